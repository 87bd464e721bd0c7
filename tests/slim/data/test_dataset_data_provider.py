"""DatasetDataProvider and make_tf_dataset: graph-mode tensors and tf.data datasets."""
import os

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.data import example_records
from tests.slim.data.example_records import RUN_OPTIONS, run_until_out_of_range

DatasetDataProvider = slim.dataset_data_provider.DatasetDataProvider
make_tf_dataset = slim.dataset_data_provider.make_tf_dataset


@pytest.fixture(scope='module')
def records(tmp_path_factory):
  """Two files of five PNG examples; labels 0-4 and 10-14."""
  return example_records.write_image_records(tmp_path_factory.mktemp('records'))


def _tf1_reader_keys(paths):
  """The record keys of tf.compat.v1.TFRecordReader, the ground truth."""
  with tf.Graph().as_default():
    queue = tf.compat.v1.train.string_input_producer(paths, num_epochs=1, shuffle=False)
    key, _ = tf.compat.v1.TFRecordReader().read(queue)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.local_variables_initializer())
      with slim.queues.QueueRunners(sess):
        return [k.decode() for k in run_until_out_of_range(sess, key)]


def _graph_items(dataset, items, **options):
  with tf.Graph().as_default():
    provider = DatasetDataProvider(dataset, **options)
    tensors = provider.get(items)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.tables_initializer())
      return run_until_out_of_range(sess, tensors)


def test_graph_provider_reads_every_record_with_tf1_reader_keys(records):
  paths, images = records
  dataset = example_records.image_dataset(paths)
  results = _graph_items(dataset, ['record_key', 'image', 'label'], shuffle=False,
                         num_epochs=1)
  assert [key.decode() for key, _, _ in results] == _tf1_reader_keys(paths)
  for _, image, label in results:
    np.testing.assert_array_equal(image, images[label])


def test_graph_provider_tensors_and_items(records, graph):
  provider = DatasetDataProvider(example_records.image_dataset(records[0]))
  image, label = provider.get(['image', 'label'])
  [same_label] = provider.get(['label'])
  assert image.shape.as_list() == [None, None, 3] and label.dtype == tf.int64
  assert same_label is label
  assert provider.list_items() == ['image', 'label', 'record_key']
  assert provider.num_samples() == 10
  with pytest.raises(ValueError, match=r'Item \[labels\] is invalid'):
    provider.get(['labels'])
  with tf.compat.v1.Session() as sess:
    first = sess.run({'image': image, 'label': label}, options=RUN_OPTIONS)
  np.testing.assert_array_equal(first['image'], records[1][first['label']])


def test_epochs_with_parallel_readers_then_out_of_range(records):
  dataset = example_records.image_dataset(records[0])
  labels = [label for (label,) in _graph_items(dataset, ['label'], num_readers=2,
                                               shuffle=True, num_epochs=2, seed=1)]
  assert sorted(labels) == sorted(2 * list(records[1]))
  assert labels != sorted(labels)


def test_unshuffled_parallel_readers_interleave_the_files(records):
  dataset = example_records.image_dataset(records[0])
  labels = [label for (label,) in _graph_items(dataset, ['label'], num_readers=2,
                                               shuffle=False, num_epochs=1)]
  assert labels == [0, 10, 1, 11, 2, 12, 3, 13, 4, 14]


def test_seeded_shuffle_repeats_and_graph_and_eager_agree(records):
  dataset = example_records.image_dataset(records[0])
  options = dict(num_readers=2, shuffle=True, num_epochs=1, seed=7)
  first = _graph_items(dataset, ['record_key', 'label'], **options)
  second = _graph_items(dataset, ['record_key', 'label'], **options)
  assert first == second
  eager = [(item['record_key'].numpy(), item['label'].numpy())
           for item in DatasetDataProvider(dataset, **options).as_dataset()]
  assert eager == [tuple(result) for result in first]


def test_as_dataset_eager_matches_graph_items(records):
  dataset = example_records.image_dataset(records[0])
  graph_results = _graph_items(dataset, ['record_key', 'image', 'label'], shuffle=False,
                               num_epochs=1, num_readers=2)
  provider = DatasetDataProvider(dataset, shuffle=False, num_epochs=1, num_readers=2)
  eager_results = list(provider.as_dataset())
  assert len(eager_results) == len(graph_results) == 10
  for eager, (key, image, label) in zip(eager_results, graph_results):
    assert eager['record_key'].numpy() == key
    assert eager['label'].numpy() == label
    np.testing.assert_array_equal(eager['image'].numpy(), image)


def test_tf_dataset_in_tf_function_with_items_subset(records):
  tf_dataset = make_tf_dataset(example_records.image_dataset(records[0]), items=['label'],
                               shuffle=False, num_epochs=3)
  assert set(tf_dataset.element_spec) == {'label'}

  @tf.function
  def total(ds):
    result = tf.constant(0, tf.int64)
    for item in ds:
      result += item['label']
    return result

  assert int(total(tf_dataset)) == 3 * sum(records[1])


def test_input_context_shards_files_or_records(records):
  dataset = example_records.image_dataset(records[0])

  def labels(pipeline_id, data_sources=None):
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id)
    ds = example_records.image_dataset(data_sources) if data_sources else dataset
    return sorted(int(item['label']) for item in DatasetDataProvider(
        ds, shuffle=True, num_epochs=1).as_dataset(input_context=context, items=['label']))

  by_files = [labels(0), labels(1)]
  assert by_files == [[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]]
  by_records = [labels(0, records[0][:1]), labels(1, records[0][:1])]
  assert sorted(by_records[0] + by_records[1]) == [0, 1, 2, 3, 4]
  assert len(by_records[0]) == 3 and len(by_records[1]) == 2


def test_distribute_datasets_from_function(records):
  provider = DatasetDataProvider(example_records.image_dataset(records[0]), shuffle=False,
                                 num_epochs=1)
  strategy = tf.distribute.OneDeviceStrategy('/cpu:0')
  distributed = strategy.distribute_datasets_from_function(
      lambda context: provider.as_dataset(context, items=['label']).batch(
          context.get_per_replica_batch_size(4)))
  seen = [int(v) for batch in distributed for v in batch['label'].numpy()]
  assert sorted(seen) == sorted(records[1])


def test_decoder_with_a_lookup_table_in_graph_mode(tmp_path):
  path = str(tmp_path / 'text.tfrecord')
  with tf.io.TFRecordWriter(path) as writer:
    for name in (b'cat', b'dog'):
      writer.write(tf.train.Example(features=tf.train.Features(feature={
          'name': tf.train.Feature(bytes_list=tf.train.BytesList(value=[name]))}))
                   .SerializeToString())
  with tf.Graph().as_default():
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ['dog', 'cat'], tf.constant([0, 1], tf.int64)), -1)
    decoder = slim.tfexample_decoder.TFExampleDecoder(
        {'name': tf.io.FixedLenFeature([], tf.string)},
        {'id': slim.tfexample_decoder.LookupTensor('name', table)})
    dataset = slim.dataset.Dataset(path, tf.compat.v1.TFRecordReader, decoder, 2, {})
    [ids] = DatasetDataProvider(dataset, shuffle=False, num_epochs=1).get(['id'])
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.tables_initializer())
      assert run_until_out_of_range(sess, ids) == [1, 0]


def test_graph_iterator_one_shot_or_initialized_with_the_tables(graph):
  plain = slim.data.dataset_data_provider.graph_iterator(tf.data.Dataset.range(3))
  table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
      tf.constant([0, 1, 2], tf.int64), tf.constant([10, 11, 12], tf.int64)), -1)
  looked_up = slim.data.dataset_data_provider.graph_iterator(
      tf.data.Dataset.range(3).map(table.lookup))
  initializers = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.TABLE_INITIALIZERS)
  with pytest.raises(ValueError, match='does not have an initializer'):
    plain.initializer  # pylint: disable=pointless-statement  (one-shot: nothing to run)
  assert looked_up.initializer in initializers  # run by tables_initializer()
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.tables_initializer())
    assert run_until_out_of_range(sess, plain.get_next()) == [0, 1, 2]
    assert run_until_out_of_range(sess, looked_up.get_next()) == [10, 11, 12]


def _write_lines(path, lines):
  with open(path, 'w') as f:
    f.write(''.join(line + '\n' for line in lines))


class _LineDecoder(slim.data_decoder.DataDecoder):
  """Decodes a text record to itself (item 'line')."""

  def decode(self, data, items):
    return [data for _ in items]

  def list_items(self):
    return ['line']


def test_text_line_reader_keys_and_header_lines(tmp_path):
  paths = [str(tmp_path / name) for name in ('a.csv', 'b.csv')]
  _write_lines(paths[0], ['header', 'a1', 'a2'])
  _write_lines(paths[1], ['header', 'b1'])
  dataset = slim.dataset.Dataset(paths, tf.compat.v1.TextLineReader, _LineDecoder(), 3, {})
  results = _graph_items(dataset, ['record_key', 'line'], shuffle=False, num_epochs=1,
                         reader_kwargs={'skip_header_lines': 1})
  with tf.Graph().as_default():
    key, value = slim.parallel_reader.single_pass_read(
        paths[0], tf.compat.v1.TextLineReader, reader_kwargs={'skip_header_lines': 1})
    with tf.compat.v1.Session() as sess:
      assert run_until_out_of_range(sess, [key, value])[0] == [paths[0].encode() + b':2',
                                                               b'a1']
  assert [(k.decode(), v) for k, v in results] == [
      (paths[0] + ':2', b'a1'), (paths[0] + ':3', b'a2'), (paths[1] + ':2', b'b1')]


def test_reader_without_tf_data_equivalent_reads_with_queues(tmp_path):
  path = str(tmp_path / 'fixed.bin')
  with open(path, 'wb') as f:
    f.write(b'aabbccdd')
  dataset = slim.dataset.Dataset(path, tf.compat.v1.FixedLengthRecordReader, _LineDecoder(),
                                 3, {})
  reader_kwargs = {'record_bytes': 4, 'hop_bytes': 2}
  with tf.Graph().as_default():
    provider = DatasetDataProvider(dataset, reader_kwargs=reader_kwargs, shuffle=False,
                                   num_epochs=1)
    [line] = provider.get(['line'])
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.local_variables_initializer())
      with slim.queues.QueueRunners(sess):
        assert run_until_out_of_range(sess, line) == [b'aabb', b'bbcc', b'ccdd']
  with pytest.raises(ValueError, match='has no tf.data equivalent'):
    make_tf_dataset(dataset, reader_kwargs=reader_kwargs)


def test_tf_data_dataset_class_and_function_as_readers(records):
  for reader in (tf.data.TFRecordDataset, lambda filename: tf.data.TFRecordDataset(filename)):
    dataset = example_records.image_dataset(records[0], reader=reader)
    items = list(make_tf_dataset(dataset, shuffle=False, num_epochs=1))
    assert [int(item['label']) for item in items] == sorted(records[1])
  keys = [item['record_key'].numpy().decode() for item in items]
  assert keys[1] == records[0][0] + ':1'  # functions give record numbers


def test_errors_are_clear_and_early(records, tmp_path, graph):
  dataset = example_records.image_dataset(records[0])
  with pytest.raises(ValueError, match='record_key` cannot also be used for a dataset item'):
    DatasetDataProvider(dataset, record_key='image')
  with pytest.raises(ValueError, match='num_readers must be a positive int, received 0'):
    DatasetDataProvider(dataset, num_readers=0)
  with pytest.raises(ValueError, match='num_epochs must be a positive int or None'):
    DatasetDataProvider(dataset, num_epochs=0)
  missing_dir = os.path.join(str(tmp_path), 'nowhere', 'train-*')
  with pytest.raises(ValueError, match=r'No data files found in .*nowhere.* does not exist'):
    DatasetDataProvider(example_records.image_dataset(missing_dir))
  with pytest.raises(ValueError, match='No data files found'):
    DatasetDataProvider(example_records.image_dataset(str(tmp_path / 'none-*')))
  with pytest.raises(ValueError, match='dataset must be a slim.dataset.Dataset'):
    DatasetDataProvider('flowers')


def test_a_file_that_is_not_a_tfrecord_is_named(tmp_path):
  path = tmp_path / 'train-00000-of-00001'
  path.write_bytes(b'this is a text file, not TFRecords\n' * 4)
  dataset = example_records.image_dataset(str(tmp_path / 'train-*'))
  with pytest.raises(ValueError, match='train-00000-of-00001 is not a TFRecord file'):
    make_tf_dataset(dataset)
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='is not a TFRecord file'):
      DatasetDataProvider(dataset)


def test_empty_files_repeated_forever_are_refused(tmp_path):
  (tmp_path / 'train-0').write_bytes(b'')
  dataset = example_records.image_dataset(str(tmp_path / 'train-*'))
  with pytest.raises(ValueError, match='every data file is empty'):
    make_tf_dataset(dataset)
  assert list(make_tf_dataset(dataset, num_epochs=1)) == []


def test_truncated_tfrecord_raises_data_loss_not_a_hang(records, tmp_path):
  data = open(records[0][0], 'rb').read()
  path = tmp_path / 'cut-00000'
  path.write_bytes(data[:len(data) - 40])
  dataset = example_records.image_dataset(str(path))
  with tf.Graph().as_default():
    [label] = DatasetDataProvider(dataset, shuffle=False, num_epochs=1).get(['label'])
    with tf.compat.v1.Session() as sess:
      with pytest.raises(tf.errors.DataLossError):
        run_until_out_of_range(sess, label)


def test_eager_get_points_to_as_dataset(records):
  provider = DatasetDataProvider(example_records.image_dataset(records[0]))
  assert provider.list_items() == ['image', 'label', 'record_key']
  with pytest.raises(RuntimeError, match=r'iterate over provider.as_dataset\(\)'):
    provider.get(['image'])
  with pytest.raises(ValueError, match=r"unknown items \['imgae'\]"):
    provider.as_dataset(items=['imgae'])


@pytest.mark.reference
def test_provider_gives_the_keys_and_items_of_tf_slim(records, tf_slim):
  dataset = example_records.image_dataset(records[0])

  def read(module):
    with tf.Graph().as_default():
      provider = module.dataset_data_provider.DatasetDataProvider(
          dataset, shuffle=False, num_epochs=1)
      tensors = provider.get(['record_key', 'label'])
      with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.local_variables_initializer())
        coord = tf.compat.v1.train.Coordinator()
        threads = tf.compat.v1.train.start_queue_runners(sess, coord)
        results = run_until_out_of_range(sess, tensors)
        coord.request_stop()
        coord.join(threads)
        return results

  assert sorted(read(slim)) == sorted(read(tf_slim))


def test_eager_provider_checks_its_files_when_made(tmp_path):
  with pytest.raises(ValueError, match='No data files found'):
    DatasetDataProvider(example_records.image_dataset(str(tmp_path / 'none-*')))
  (tmp_path / 'text-0').write_text('plain text, not records')
  with pytest.raises(ValueError, match='text-0 is not a TFRecord file'):
    DatasetDataProvider(example_records.image_dataset(str(tmp_path / 'text-*')))
