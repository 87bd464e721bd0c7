"""Core layers: fully connected (and legacy), bias_add, dropout, flatten, _inner_flatten."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import layers as slim_layers
from tests.slim.graph_run import run, variable_shapes

RNG = np.random.RandomState(3)
IMAGES = RNG.rand(2, 4, 6, 3).astype(np.float32)


def test_fully_connected_on_rank_2_and_4(graph):
  weights = RNG.randn(3, 5).astype(np.float32)
  init = tf.compat.v1.constant_initializer(weights)
  flat = slim.fully_connected(IMAGES[:, 0, 0], 5, weights_initializer=init, scope='flat')
  deep = slim.fully_connected(IMAGES, 5, weights_initializer=init, scope='deep',
                              normalizer_fn=slim.layer_norm)
  assert deep.shape.as_list() == [2, 4, 6, 5]
  assert variable_shapes() == {'flat/weights': [3, 5], 'flat/biases': [5],
                               'deep/weights': [3, 5], 'deep/LayerNorm/beta': [5],
                               'deep/LayerNorm/gamma': [5]}
  got_flat, got_deep = run([flat, deep])
  np.testing.assert_allclose(got_flat, np.maximum(IMAGES[:, 0, 0] @ weights, 0), rtol=1e-5)
  assert got_deep.shape == (2, 4, 6, 5)


@pytest.mark.parametrize('inputs_shape', [(3, 1024), (2, 3, 1024)])
def test_large_fully_connected_gradients_equal_tf_matmul(graph, inputs_shape):
  # 1024 x 1024 weights take weights_matmul's own input gradient: same numbers.
  inputs = tf.constant(RNG.randn(*inputs_shape).astype(np.float32))
  outputs = slim.fully_connected(inputs, 1024, activation_fn=None, biases_initializer=None)
  weights = tf.compat.v1.trainable_variables()[0]
  want = tf.tensordot(inputs, weights, 1)
  upstream = tf.constant(RNG.randn(*inputs_shape).astype(np.float32))
  got_grads = tf.gradients(outputs, [inputs, weights], upstream)
  want_grads = tf.gradients(want, [inputs, weights], upstream)
  got, expected = run([[outputs] + got_grads, [want] + want_grads])
  for a, b in zip(got, expected):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_large_fully_connected_gradients_in_tf_function():
  layer = slim.Model(lambda x: slim.fully_connected(x, 1024, activation_fn=tf.nn.relu))
  inputs = tf.constant(RNG.randn(2, 1024).astype(np.float32))

  @tf.function
  def gradients(x):
    with tf.GradientTape(persistent=True) as tape:
      tape.watch(x)
      got = tf.reduce_sum(layer(x) ** 2)
      want = tf.reduce_sum(tf.nn.relu(tf.matmul(x, layer.variables[0]) + layer.variables[1]) ** 2)
    return tape.gradient(got, [x] + list(layer.variables)), tape.gradient(
        want, [x] + list(layer.variables))

  for a, b in zip(*gradients(inputs)):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-3)


def test_relu_linear_elu_relu6_are_fully_connected(graph):
  inputs = tf.constant(-IMAGES[:, 0])
  outputs = [slim.relu(inputs, 2, scope='relu'), slim.linear(inputs, 2, scope='linear'),
             slim.elu(inputs, 2, scope='elu'), slim.relu6(inputs, 2, scope='relu6')]
  assert [o.op.name for o in outputs] == ['relu/Relu', 'linear/BiasAdd', 'elu/Elu',
                                          'relu6/Relu6']


def test_fully_connected_losses_are_named_like_tf_slim(graph):
  slim.fully_connected(IMAGES[:, 0, 0], 5, weights_regularizer=slim.l2_regularizer(0.1),
                       biases_regularizer=slim.l1_regularizer(0.1))
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert [loss.op.name for loss in losses] == [
      'fully_connected/kernel/Regularizer/l2_regularizer',
      'fully_connected/bias/Regularizer/l1_regularizer']


def test_bias_add_nchw_and_activation(graph):
  nchw = np.transpose(IMAGES, [0, 3, 1, 2]) - 0.5
  outputs = slim.bias_add(nchw, activation_fn=tf.nn.relu, data_format='NCHW',
                          initializer=tf.compat.v1.constant_initializer([1., 2., 3.]))
  assert variable_shapes() == {'BiasAdd/biases': [3]}
  want = np.maximum(nchw + np.array([1., 2., 3.]).reshape(1, 3, 1, 1), 0)
  np.testing.assert_allclose(run(outputs), want, rtol=1e-6)


def test_dropout_scales_kept_values_and_passes_through_when_not_training(graph):
  is_training = tf.compat.v1.placeholder(tf.bool, [])
  inputs = tf.ones([1000])
  outputs = slim.dropout(inputs, keep_prob=0.25, is_training=is_training, seed=1)
  shared = slim.dropout(tf.ones([50, 20]), noise_shape=[None, 1], seed=2)
  trained, rows = run([outputs, shared], {is_training: True})
  assert set(np.unique(trained)) <= {0., 4.}
  assert 150 < np.count_nonzero(trained) < 350
  np.testing.assert_array_equal(run(outputs, {is_training: False}), np.ones(1000))
  assert all(len(set(row)) == 1 for row in rows)  # one decision per row


@pytest.mark.parametrize('shape, want', [
    ((5,), [5, 1]), ((5, 3), [5, 3]), ((5, 3, 4), [5, 12]), ((None, 3, 4), [None, 12]),
    ((5, None, 4), [5, None]), ((None, None), [None, None])])
def test_flatten_shapes(graph, shape, want):
  inputs = tf.compat.v1.placeholder(tf.float32, shape)
  outputs = slim.flatten(inputs, outputs_collections='end_points')
  assert outputs.shape.as_list() == want
  assert outputs.aliases == ['Flatten']
  value = np.arange(np.prod([d or 2 for d in shape])).reshape([d or 2 for d in shape])
  np.testing.assert_array_equal(run(outputs, {inputs: value}),
                                value.reshape(value.shape[0], -1))


def test_inner_flatten_dense_and_sparse(graph):
  dense = tf.compat.v1.placeholder(tf.float32, [2, None, 4, 5])
  flattened = slim_layers._inner_flatten(dense, 3)  # pylint: disable=protected-access
  assert flattened.shape.as_list() == [2, None, 20]
  value = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
  np.testing.assert_array_equal(run(flattened, {dense: value}), value.reshape(2, 3, 20))
  sparse = tf.sparse.from_dense(tf.constant(value))
  flat_sparse = slim_layers._inner_flatten(sparse, 2)  # pylint: disable=protected-access
  np.testing.assert_array_equal(run(tf.sparse.to_dense(flat_sparse)), value.reshape(2, 60))


def test_inner_flatten_checks_rank(graph):
  with pytest.raises(ValueError, match='inputs has rank less than new_rank'):
    slim_layers._inner_flatten(tf.ones([2, 3]), 3)  # pylint: disable=protected-access
  unknown = tf.compat.v1.placeholder(tf.float32)
  flattened = slim_layers._inner_flatten(unknown, 3)  # pylint: disable=protected-access
  with pytest.raises(tf.errors.InvalidArgumentError, match='less than new_rank'):
    run(flattened, {unknown: np.ones([2, 3])})


def test_legacy_fully_connected(graph):
  inputs = tf.constant(RNG.randn(2, 4, 3).astype(np.float32))
  outputs = slim_layers.legacy_relu(inputs, 5, weight_regularizer=slim.l2_regularizer(0.1))
  assert outputs.shape.as_list() == [2, 4, 5]
  assert variable_shapes() == {'fully_connected/weights': [3, 5],
                               'fully_connected/bias': [5]}
  keys = tf.compat.v1.GraphKeys
  assert not slim.get_model_variables()
  assert [v.op.name for v in tf.compat.v1.get_collection(keys.WEIGHTS)] == [
      'fully_connected/weights']
  assert [v.op.name for v in tf.compat.v1.get_collection(keys.BIASES)] == [
      'fully_connected/bias']
  assert tf.compat.v1.get_collection(keys.ACTIVATIONS) == [outputs]
  assert len(tf.compat.v1.get_collection(keys.REGULARIZATION_LOSSES)) == 1
  linear = slim_layers.legacy_linear(inputs, 5, bias_init=None, name='linear')
  assert linear.op.name.startswith('linear/')
  assert np.all(run(outputs) >= 0)
