"""Layer, instance and group normalization, unit and Poincaré normalization, GDN."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import layers as slim_layers
from slim.layers import normalization
from tests.layers.graph_run import run, variable_shapes

RNG = np.random.RandomState(4)
X = (RNG.randn(2, 3, 5, 4) * 2 + 1).astype(np.float32)


def standardized(x, axes, epsilon):
  mean = x.mean(axis=axes, keepdims=True)
  return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)


def test_layer_norm(graph):
  outputs = slim.layer_norm(X)
  params_last_two = slim.layer_norm(X, begin_norm_axis=-2, begin_params_axis=-2,
                                    center=False, scope='ln')
  assert variable_shapes() == {'LayerNorm/beta': [4], 'LayerNorm/gamma': [4],
                               'ln/gamma': [5, 4]}
  assert outputs.op.name.startswith('LayerNorm/batchnorm')
  got, got_last_two = run([outputs, params_last_two])
  np.testing.assert_allclose(got, standardized(X, (1, 2, 3), 1e-12), rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(got_last_two, standardized(X, (2, 3), 1e-12), rtol=1e-4,
                             atol=1e-4)


def test_instance_norm(graph):
  nhwc = normalization.instance_norm(X)
  nchw = normalization.instance_norm(np.transpose(X, [0, 3, 1, 2]), data_format='NCHW',
                                     scope='first', center=False)
  assert variable_shapes() == {'InstanceNorm/beta': [4], 'InstanceNorm/gamma': [4],
                               'first/gamma': [4]}
  assert nhwc.op.name.startswith('InstanceNorm/instancenorm')
  got, got_first = run([nhwc, nchw])
  want = standardized(X, (1, 2), 1e-6)
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(np.transpose(got_first, [0, 2, 3, 1]), want, rtol=1e-4,
                             atol=1e-4)


@pytest.mark.parametrize('mean_close_to_zero', [False, True])
def test_group_norm(graph, mean_close_to_zero):
  outputs = slim.group_norm(X, groups=2, mean_close_to_zero=mean_close_to_zero,
                            param_initializers={'gamma': tf.compat.v1.constant_initializer(
                                2.0)})
  assert variable_shapes() == {'GroupNorm/beta': [4], 'GroupNorm/gamma': [4]}
  grouped = X.reshape(2, 3, 5, 2, 2)
  want = 2 * standardized(grouped, (1, 2, 4), 1e-6).reshape(X.shape)
  np.testing.assert_allclose(run(outputs), want, rtol=1e-4, atol=1e-4)


def test_group_norm_channels_first_with_unknown_batch(graph):
  inputs = tf.compat.v1.placeholder(tf.float32, [None, 4, 3, 5])
  outputs = normalization.group_norm(inputs, groups=4, channels_axis=-3,
                                    reduction_axes=(-2, -1), scale=False)
  assert outputs.shape.as_list() == [None, 4, 3, 5]
  nchw = np.transpose(X, [0, 3, 1, 2])
  np.testing.assert_allclose(run(outputs, {inputs: nchw}), standardized(nchw, (2, 3), 1e-6),
                             rtol=1e-4, atol=1e-4)


def test_unit_norm_and_poincare_normalize(graph):
  unit = slim.unit_norm(X, 3)
  poincare = slim_layers.poincare_normalize(X * 0.1, [1, 2], epsilon=0.01)
  got_unit, got_poincare = run([unit, poincare])
  np.testing.assert_allclose(np.linalg.norm(got_unit, axis=3), 1, rtol=1e-5)
  norms = np.sqrt(((X * 0.1)**2).sum(axis=(1, 2), keepdims=True))
  want = np.where(norms > 0.99, 0.99 * X * 0.1 / norms, X * 0.1)
  np.testing.assert_allclose(got_poincare, want, rtol=1e-5)


@pytest.mark.parametrize('rank', [3, 4, 5])
@pytest.mark.parametrize('inverse', [False, True])
def test_gdn_starts_as_x_over_sqrt_1_plus_tenth_square(graph, rank, inverse):
  inputs = np.abs(RNG.randn(*(2, 3, 4, 5, 3)[:rank - 1], 3)).astype(np.float32)
  outputs = slim.gdn(inputs, inverse=inverse)
  assert variable_shapes() == {'gdn/reparam_beta': [3], 'gdn/reparam_gamma': [3, 3]}
  norm = np.sqrt(1 + .1 * inputs**2)
  np.testing.assert_allclose(run(outputs), inputs * norm if inverse else inputs / norm,
                             rtol=1e-5, atol=1e-6)


def test_gdn_channels_first_matches_channels_last(graph):
  inputs = RNG.randn(2, 3, 4, 6).astype(np.float32)
  last = slim.gdn(inputs, gamma_init=0.3, name='last')
  first = slim.gdn(np.transpose(inputs, [0, 3, 1, 2]), gamma_init=0.3,
                   data_format='channels_first', name='first')
  got_last, got_first = run([last, first])
  np.testing.assert_allclose(np.transpose(got_first, [0, 2, 3, 1]), got_last, rtol=1e-5)


def test_gdn_layer_object_scopes_and_reuse(graph):
  layer = slim.GDN(name='g', activity_regularizer=lambda y: tf.reduce_sum(y))
  first = layer(X)
  layer(X)
  assert layer.built and len(layer.variables) == 2
  slim.gdn(X, name='g', reuse=True)
  slim.gdn(X)
  slim.gdn(X)
  assert sorted(variable_shapes()) == [
      'g/reparam_beta', 'g/reparam_gamma', 'gdn/reparam_beta', 'gdn/reparam_gamma',
      'gdn_1/reparam_beta', 'gdn_1/reparam_gamma']
  assert layer.beta.shape.as_list() == [4] and layer.gamma.shape.as_list() == [4, 4]
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(losses) == 2 and len(layer.losses) == 2
  np.testing.assert_allclose(run(losses[0]), run(tf.reduce_sum(first)) / 2, rtol=1e-5)
  assert layer.compute_output_shape([None, 3, 4]).as_list() == [None, 3, 4]


def test_gdn_lower_bound_keeps_gradients_that_push_up(graph):
  layer = slim.GDN(beta_min=0.5, reparam_offset=0.)
  layer(X)
  beta = layer.variables[0]
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(beta.assign(tf.zeros([4])))  # below the bound sqrt(0.5)
    up, down = sess.run([tf.gradients(-layer.beta, beta)[0],
                         tf.gradients(layer.beta, beta)[0]])
  assert np.all(up != 0)  # pushes beta up: passes
  np.testing.assert_array_equal(down, 0)  # pushes it further down: blocked


def test_gdn_in_slim_model_trains():
  model = slim.Model(lambda x: slim.gdn(x))
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(model(X))
  gradients = tape.gradient(loss, model.trainable_variables)
  assert [v.name for v in model.trainable_variables] == ['gdn/reparam_beta:0',
                                                         'gdn/reparam_gamma:0']
  assert all(g is not None and np.all(np.isfinite(g)) for g in gradients)
