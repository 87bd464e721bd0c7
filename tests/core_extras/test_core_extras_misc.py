"""bucketize, sparse ops, summaries, model_analyzer and queues."""
import glob
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import sparse_ops

layer_summaries = sys.modules['slim.layers.summaries']
SUMMARIES = tf.compat.v1.GraphKeys.SUMMARIES


def run(tensors):
  with tf.compat.v1.Session() as sess:
    return sess.run(tensors)


# -- bucketize

def test_bucketize_by_hand():
  values = slim.bucketize(tf.constant([-5., 0., 9.9, 15., 100., 150.]), [0., 10., 100.])
  assert values.dtype == tf.int32
  np.testing.assert_array_equal(values, [0, 1, 1, 2, 3, 3])
  np.testing.assert_array_equal(slim.bucketize(tf.constant([[1, 7]]), [5]), [[0, 1]])


def test_bucketize_errors():
  with pytest.raises(TypeError, match='bucketize: boundaries must be a list of numbers, '
                                      'received 3.0'):
    slim.bucketize(tf.constant([1.]), 3.0)
  with pytest.raises(ValueError, match=r'bucketize: boundaries must be sorted in increasing '
                                       r'order, received \[2, 1\]'):
    slim.bucketize(tf.constant([1.]), [2, 1])


# -- sparse ops

def test_dense_to_sparse_tensor():
  sparse = sparse_ops.dense_to_sparse_tensor([[1, 2, 0, 0], [3, 0, 5, 0]])
  np.testing.assert_array_equal(sparse.indices, [[0, 0], [0, 1], [1, 0], [1, 2]])
  np.testing.assert_array_equal(sparse.values, [1, 2, 3, 5])
  np.testing.assert_array_equal(sparse.dense_shape, [2, 4])
  assert sparse.indices.dtype == sparse.dense_shape.dtype == tf.int64
  strings = sparse_ops.dense_to_sparse_tensor([b'a', b'', b'b'])
  np.testing.assert_array_equal(strings.values, [b'a', b'b'])
  kept = sparse_ops.dense_to_sparse_tensor([1, 0, 1], ignore_value=1)
  np.testing.assert_array_equal(kept.indices, [[1]])


def test_dense_to_sparse_tensor_unknown_shape_in_graph(graph):
  dense = tf.compat.v1.placeholder(tf.int32)
  sparse = sparse_ops.dense_to_sparse_tensor(dense)
  with tf.compat.v1.Session() as sess:
    value = sess.run(sparse, {dense: [[0, 7], [8, 0]]})
  np.testing.assert_array_equal(value.indices, [[0, 1], [1, 0]])
  np.testing.assert_array_equal(value.dense_shape, [2, 2])


def test_indicators_to_sparse_ids():
  # rows [0, 1, 1] and [1, 0, 0] hold classes [1, 2] and [0]
  ids = sparse_ops.indicators_to_sparse_ids([[0, 1, 1], [1, 0, 0]], dtype=tf.int32)
  np.testing.assert_array_equal(ids.indices, [[0, 0], [0, 1], [1, 0]])
  np.testing.assert_array_equal(ids.values, [1, 2, 0])
  assert ids.values.dtype == tf.int32
  np.testing.assert_array_equal(ids.dense_shape, [2, 2])
  words = sparse_ops.indicators_to_sparse_ids([['x', '', 'x']], ignore_value='')
  np.testing.assert_array_equal(words.values, [0, 2])
  with pytest.raises(ValueError, match='indicators_to_sparse_ids: Invalid dtype float32 not '
                                       'integer'):
    sparse_ops.indicators_to_sparse_ids([[1]], dtype=tf.float32)


def test_sparse_row_envelope():
  sparse = tf.SparseTensor([[0, 0], [2, 0], [2, 1], [2, 2]], [1, 1, 1, 1], [4, 3])
  np.testing.assert_array_equal(sparse_ops.sparse_row_envelope(sparse), [1, 0, 3, 0])
  with pytest.raises(ValueError, match='Row and column can not be the same axis'):
    sparse_ops.sparse_row_envelope(sparse, 1, 1)
  with pytest.raises(ValueError, match='`row_axis` and `col_axis` must be integers; col_axis '
                                       "received 'x'"):
    sparse_ops.sparse_row_envelope(sparse, 0, 'x')


# -- slim.summaries

def written_values(directory):
  [path] = glob.glob(os.path.join(directory, '*'))
  return {value.tag: value.simple_value
          for event in tf.compat.v1.train.summary_iterator(path) for value in event.summary.value}


@pytest.mark.parametrize('print_summary', [False, True])
def test_scalar_summary_is_written(graph, tmp_path, print_summary):
  summary = slim.summaries.add_scalar_summary(tf.ones([]) * 3, 'score', 'eval',
                                              print_summary=print_summary)
  assert tf.compat.v1.get_collection(SUMMARIES) == [summary]
  writer = tf.compat.v1.summary.FileWriter(str(tmp_path))
  writer.add_summary(run(tf.compat.v1.summary.merge_all()), 1)
  writer.close()
  assert written_values(str(tmp_path)) == {'eval/score': 3.0}


def test_printed_summary_prints(graph, capfd):
  summary = slim.summaries.add_scalar_summary(tf.constant(2.5), 'value', print_summary=True)
  run(summary)
  assert 'value 2.5' in capfd.readouterr().err


def test_summary_names(graph):
  activations = tf.constant([[0., 1.], [2., 0.]], name='act')
  [zeros] = slim.summaries.add_zero_fraction_summaries([activations], prefix='train')
  assert zeros.op.name == 'train/act/Fraction_of_Zero_Values'
  histograms = slim.summaries.add_histogram_summaries([activations])
  assert histograms[0].op.type == 'HistogramSummary'
  images = slim.summaries.add_image_summaries([tf.zeros([1, 4, 4, 3], name='image')], 'in')
  assert images[0].op.name == 'in/image'
  scalars = slim.summaries.add_scalar_summaries([tf.constant(1.0, name='a')], prefix='p')
  assert scalars[0].op.name == 'p/a' and len(tf.compat.v1.get_collection(SUMMARIES)) == 4
  summary = tf.compat.v1.Summary.FromString(run(zeros))
  assert summary.value[0].simple_value == 0.5


# -- slim.layers.summaries

def test_summarize_tensor_by_rank_and_dtype(graph):
  assert layer_summaries.summarize_tensor(tf.constant(1.0)).op.type == 'ScalarSummary'
  assert layer_summaries.summarize_tensor(tf.constant([1., 2.])).op.type == 'HistogramSummary'
  assert layer_summaries.summarize_tensor(tf.constant([True])) is None
  assert layer_summaries.summarize_tensor(tf.constant('a')) is None
  assert layer_summaries.summarize_tensor(tf.constant(2.0, name='c'), tag='t').op.name == 't'


@pytest.mark.parametrize('activation,names', [
    (tf.identity, ['act/activation']),
    (tf.nn.relu, ['act/activation', 'act/zeros']),
    (tf.nn.relu6, ['act/activation', 'act/sixes', 'act/zeros']),
])
def test_summarize_activation(graph, activation, names):
  output = activation(tf.constant([-1., 3., 8.]), name='act')
  assert layer_summaries.summarize_activation(output).op.type == 'HistogramSummary'
  summaries = {s.op.name: s for s in tf.compat.v1.get_collection(SUMMARIES)}
  assert sorted(summaries) == names
  if 'act/sixes' in summaries:  # one pre-activation of three is below 0, one above 6
    for name in ('act/sixes', 'act/zeros'):
      value = tf.compat.v1.Summary.FromString(run(summaries[name])).value[0].simple_value
      assert value == pytest.approx(1 / 3)


def test_summarize_collection_filters_by_regex(graph):
  value = tf.constant(1.0)
  for name in ('Test2', 'Foobar', 'Test3'):
    tf.compat.v1.add_to_collection('foo', tf.identity(value, name=name))
  summaries = layer_summaries.summarize_collection('foo', r'Test[123]')
  assert sorted(s.op.name for s in summaries) == ['Test2_summary', 'Test3_summary']
  tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ACTIVATIONS,
                                 tf.nn.relu(value, name='r'))
  assert [s.op.name for s in slim.summarize_activations()] == ['r/activation']
  tf.compat.v1.get_variable('v', [2])
  assert [s.op.name for s in slim.summarize_variables()] == ['v_summary']


# -- slim.model_analyzer

def test_analyze_vars(graph, capsys):
  weights = tf.compat.v1.get_variable('weights', [3, 4])
  biases = tf.compat.v1.get_variable('biases', [5], tf.float64)
  assert slim.model_analyzer.analyze_vars([weights, biases]) == (17, 12 * 4 + 5 * 8)
  assert capsys.readouterr().out == ''
  slim.model_analyzer.analyze_vars([weights, biases], print_info=True)
  lines = capsys.readouterr().out.splitlines()
  assert lines[3] == 'weights:0 (float32 3x4) [12, bytes: 48]'
  assert lines[4] == 'biases:0 (float64 5) [5, bytes: 40]'
  assert lines[-2:] == ['Total size of variables: 17', 'Total bytes of variables: 88']


def test_analyze_vars_of_an_eager_model():
  model = slim.Model(lambda x: slim.conv2d(x, 4, [3, 3], scope='conv'))
  model(tf.zeros([1, 5, 5, 2]))
  assert slim.model_analyzer.analyze_vars(model.variables) == (3 * 3 * 2 * 4 + 4,
                                                               (72 + 4) * 4)


def test_analyze_ops(graph, capsys):
  a = tf.constant(np.zeros([2, 3], np.float32), name='a')
  b = tf.constant(np.ones([2, 3], np.float32), name='b')
  tf.add(a, b, name='sum')
  tf.compat.v1.placeholder(tf.float32, None, name='unknown')
  assert slim.model_analyzer.analyze_ops(tf.compat.v1.get_default_graph(), True) == 18
  lines = capsys.readouterr().out.splitlines()
  assert lines[1] == 'Operations: name -> (type shapes) [size]'
  assert lines[3:] == ['a \t-> (float32 2x3) [6]', 'b \t-> (float32 2x3) [6]',
                       'sum \t-> (float32 2x3) [6]', 'unknown \t->  [0]']


def test_tensor_description():
  assert slim.model_analyzer.tensor_description(tf.zeros([1, 8, 8, 1024])) == \
      '(float32 1x8x8x1024)'
  assert slim.model_analyzer.tensor_description(tf.constant(1, tf.int64)) == '(int64 )'


# -- slim.queues

def test_queue_runners_feed_a_queue(graph):
  queue = tf.queue.FIFOQueue(4, tf.int32)
  runner = tf.compat.v1.train.QueueRunner(queue, [queue.enqueue(7)])
  tf.compat.v1.train.add_queue_runner(runner)
  item = queue.dequeue()
  with tf.compat.v1.Session() as sess:
    with slim.queues.QueueRunners(sess):
      assert [sess.run(item) for _ in range(3)] == [7, 7, 7]
      with pytest.raises(slim.queues.NestedQueueRunnerError, match='cannot be nested'):
        with slim.queues.QueueRunners(sess):
          pass
  # The context released its lock (the queue above is closed now: use another graph).
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    with slim.queues.QueueRunners(sess):
      pass
