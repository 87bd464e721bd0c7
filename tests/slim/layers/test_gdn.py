"""GDN (generalized divisive normalization): values at the start, data formats, the layer
object, the lower bound of its parameters, training through slim.Model."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.graph_run import run, variable_shapes

RNG = np.random.RandomState(4)
X = (RNG.randn(2, 3, 5, 4) * 2 + 1).astype(np.float32)


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
