"""parallel_reader: graph-mode reading with tf.data and queues; the graph-only readers
(and prefetch_queue) refuse eager mode."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.data import example_records
from tests.slim.data.example_records import RUN_OPTIONS, run_until_out_of_range

parallel_reader = slim.parallel_reader


@pytest.fixture(scope='module')
def paths(tmp_path_factory):
  return example_records.write_image_records(tmp_path_factory.mktemp('records'),
                                             num_files=3, records_per_file=4)[0]


def test_parallel_read_reads_every_record_of_every_epoch(paths, graph):
  key, value = parallel_reader.parallel_read(paths, tf.compat.v1.TFRecordReader,
                                             num_epochs=2, num_readers=3, seed=3)
  with tf.compat.v1.Session() as sess:
    results = run_until_out_of_range(sess, [key, value])
  keys = [k.decode() for k, _ in results]
  assert len(keys) == 24 and len(set(keys)) == 12
  assert {k.rsplit(':', 1)[0] for k in keys} == set(paths)
  assert all(v for _, v in results)


def test_single_pass_read_is_in_order_then_out_of_range(paths, graph):
  key, _ = parallel_reader.single_pass_read(paths[1], tf.compat.v1.TFRecordReader)
  with tf.compat.v1.Session() as sess:
    keys = [k.decode() for k in run_until_out_of_range(sess, key)]
  offsets = [int(k.rsplit(':', 1)[1]) for k in keys]
  assert len(keys) == 4 and offsets[0] == 0 and offsets == sorted(offsets)


def test_get_data_files_globs_and_lists(paths, tmp_path):
  directory = paths[0].rsplit('/', 1)[0]
  assert parallel_reader.get_data_files(directory + '/images-*') == sorted(paths)
  assert parallel_reader.get_data_files([paths[2], paths[0]]) == [paths[2], paths[0]]
  with pytest.raises(ValueError, match='No data files found in'):
    parallel_reader.get_data_files(str(tmp_path / 'missing.tfrecord'))
  with pytest.raises(ValueError, match='data_sources must be a file name, a glob pattern'):
    parallel_reader.get_data_files(3)


def test_parallel_reader_fills_a_common_queue(paths, graph):
  common_queue = tf.queue.FIFOQueue(capacity=16, dtypes=[tf.string, tf.string],
                                    shapes=[[], []])
  reader = parallel_reader.ParallelReader(tf.compat.v1.TFRecordReader, common_queue,
                                          num_readers=2)
  assert reader.num_readers == 2 and reader.common_queue is common_queue
  queue = tf.compat.v1.train.string_input_producer(paths, num_epochs=1, shuffle=False)
  keys, _ = reader.read_up_to(queue, 5)
  produced = reader.num_records_produced()
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.local_variables_initializer())
    with slim.queues.QueueRunners(sess):
      batches = run_until_out_of_range(sess, keys)
      assert sess.run(produced, options=RUN_OPTIONS) == 12
  files = [k.decode().rsplit(':', 1)[0] for batch in batches for k in batch]
  assert sorted(files) == sorted(4 * paths)


def test_parallel_reader_wants_a_queue_of_two_strings(graph):
  with pytest.raises(TypeError, match=r'common_queue.dtypes must be \[tf.string, tf.string\]'):
    parallel_reader.ParallelReader(tf.compat.v1.TFRecordReader,
                                   tf.queue.FIFOQueue(4, dtypes=[tf.string, tf.int32]))


def test_graph_only_functions_refuse_eager_mode(paths):
  message = r'builds graph-mode .* does not run eagerly or in tf.function; use .*make_tf_dataset'
  with pytest.raises(RuntimeError, match='parallel_read ' + message):
    parallel_reader.parallel_read(paths, tf.compat.v1.TFRecordReader)
  with pytest.raises(RuntimeError, match='single_pass_read ' + message):
    parallel_reader.single_pass_read(paths, tf.compat.v1.TFRecordReader)
  with pytest.raises(RuntimeError, match='prefetch_queue ' + message):
    slim.prefetch_queue.prefetch_queue([tf.constant(np.zeros(2))])
