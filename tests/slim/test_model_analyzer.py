"""slim.model_analyzer: sizes of variables (graph and eager) and of operations, printed."""
import numpy as np
import tensorflow as tf

import slim


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
