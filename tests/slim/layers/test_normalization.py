"""Layer, instance and group normalization, unit and Poincaré normalization."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import layers as slim_layers
from slim.layers import normalization
from tests.slim.graph_run import run, variable_shapes

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
