"""batch_norm: its three computations, moving statistics (with and without Bessel's
correction), renorm, adjustment, zero-debiasing, in graph mode and through slim.Model."""
import numpy as np
import pytest
import tensorflow as tf

import slim

RNG = np.random.RandomState(2)
X = (RNG.randn(4, 3, 5, 2) * 3 + 2).astype(np.float32)
DECAY = 0.9
EPSILON = 0.001
AXES = (0, 1, 2)
MEAN = X.mean(AXES)
VARIANCE = X.var(AXES)  # biased: what normalizes the batch
UNBIASED = X.var(AXES, ddof=1)  # Bessel-corrected: what the fused kernel reports


def train_once(outputs):
  """Runs the output, then UPDATE_OPS; returns (outputs, {variable: value})."""
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    result = sess.run(outputs)
    sess.run(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
    values = {v.op.name: sess.run(v) for v in tf.compat.v1.global_variables()}
  return result, values


def normalized(x, mean, variance):
  return (x - mean) / np.sqrt(variance + EPSILON)


@pytest.mark.parametrize('inputs, kwargs, variables, moving_variance', [
    # tf_slim's Keras layer, fused kernel: gamma before beta, unbiased variance
    (X, {}, ['gamma', 'beta', 'moving_mean', 'moving_variance'], UNBIASED),
    # the same layer by moments: biased variance
    (X, {'fused': False}, ['gamma', 'beta', 'moving_mean', 'moving_variance'], VARIANCE),
    (X.reshape(4, 15, 2), {}, ['gamma', 'beta', 'moving_mean', 'moving_variance'],
     VARIANCE),
    # tf_slim's own fused path: beta before gamma, unbiased
    (X.reshape(-1, 2), {}, ['beta', 'gamma', 'moving_mean', 'moving_variance'], UNBIASED),
    (X, {'updates_collections': ['other', tf.compat.v1.GraphKeys.UPDATE_OPS]},
     ['beta', 'gamma', 'moving_mean', 'moving_variance'], UNBIASED),
    # tf_slim's own moments: beta before gamma, biased
    (X, {'batch_weights': np.ones(4, np.float32)},
     ['beta', 'gamma', 'moving_mean', 'moving_variance'], VARIANCE),
])
def test_training_step_and_moving_statistics(graph, inputs, kwargs, variables,
                                             moving_variance):
  outputs = slim.batch_norm(inputs, decay=DECAY, scale=True, **kwargs)
  assert [v.op.name for v in slim.get_model_variables()] == [
      'BatchNorm/' + name for name in variables]
  assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)) == 2
  result, values = train_once(outputs)
  np.testing.assert_allclose(result, normalized(inputs, MEAN, VARIANCE).reshape(inputs.shape),
                             rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(values['BatchNorm/moving_mean'], (1 - DECAY) * MEAN,
                             rtol=1e-5)
  np.testing.assert_allclose(values['BatchNorm/moving_variance'],
                             DECAY + (1 - DECAY) * moving_variance, rtol=1e-5)


def test_half_inputs_keep_float32_statistics(graph):
  outputs = slim.batch_norm(X.astype(np.float16), scale=True)
  assert outputs.dtype == tf.float16
  assert {v.dtype.base_dtype for v in slim.get_model_variables()} == {tf.float32}


def test_inference_uses_moving_statistics_and_adds_no_update(graph):
  init = {'moving_mean': tf.compat.v1.constant_initializer(1.5),
          'moving_variance': tf.compat.v1.constant_initializer(4.0)}
  outputs = slim.batch_norm(X, is_training=False, param_initializers=init)
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  result, _ = train_once(outputs)
  np.testing.assert_allclose(result, normalized(X, 1.5, 4.0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('fused', [None, False])
def test_in_place_updates_and_training_tensor(graph, fused):
  is_training = tf.compat.v1.placeholder(tf.bool, [])
  outputs = slim.batch_norm(X, decay=DECAY, is_training=is_training, updates_collections=None,
                            fused=fused)
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  moving_mean = slim.get_variables_by_name('moving_mean')[0]
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    evaluated = sess.run(outputs, {is_training: False})
    np.testing.assert_allclose(sess.run(moving_mean), 0)
    trained = sess.run(outputs, {is_training: True})
    np.testing.assert_allclose(sess.run(moving_mean), (1 - DECAY) * MEAN, rtol=1e-5)
  np.testing.assert_allclose(evaluated, normalized(X, 0, 1), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(trained, normalized(X, MEAN, VARIANCE), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('fused, model_variables', [(None, 4), (False, 6)])
def test_zero_debiased_moving_mean(graph, fused, model_variables):
  slim.batch_norm(X, decay=DECAY, scale=True, zero_debias_moving_mean=True, fused=fused)
  names = [v.op.name for v in tf.compat.v1.global_variables()]
  assert names[-2:] == ['BatchNorm/BatchNorm/moving_mean/biased',
                        'BatchNorm/BatchNorm/moving_mean/local_step']
  # tf_slim makes the shadow variables model variables in its moments path only
  assert len(slim.get_model_variables()) == model_variables
  _, values = train_once(tf.constant(0.))
  np.testing.assert_allclose(values['BatchNorm/moving_mean'], MEAN, rtol=1e-5)
  assert values['BatchNorm/BatchNorm/moving_mean/local_step'] == 1


def test_renorm_variables_and_updates(graph):
  outputs = slim.batch_norm(X, decay=DECAY, renorm=True, renorm_decay=0.5)
  assert [v.op.name for v in slim.get_model_variables()] == [
      'BatchNorm/' + name for name in ('beta', 'moving_mean', 'moving_variance',
                                       'moving_stddev', 'renorm_mean', 'renorm_stddev')]
  result, values = train_once(outputs)
  stddev = np.sqrt(VARIANCE + EPSILON)
  # first step: r = stddev / 1 and d = mean / 1 undo the normalization
  np.testing.assert_allclose(result, X, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(values['BatchNorm/renorm_mean'], 0.5 * MEAN, rtol=1e-5)
  np.testing.assert_allclose(values['BatchNorm/renorm_stddev'], 0.5 + 0.5 * stddev,
                             rtol=1e-5)
  moving_stddev = DECAY + (1 - DECAY) * stddev
  np.testing.assert_allclose(values['BatchNorm/moving_stddev'], moving_stddev, rtol=1e-5)
  np.testing.assert_allclose(values['BatchNorm/moving_variance'],
                             moving_stddev**2 - EPSILON, rtol=1e-5)


def test_renorm_clipping_bounds_the_correction(graph):
  outputs = slim.batch_norm(X, renorm=True, renorm_clipping={'rmax': 1.0, 'dmax': 0.0})
  result, _ = train_once(outputs)
  np.testing.assert_allclose(result, normalized(X, MEAN, VARIANCE), rtol=1e-4, atol=1e-4)


def test_adjustment_scales_and_shifts_in_training_only(graph):
  shapes = []

  def adjustment(shape):
    shapes.append(shape)
    return tf.fill([2], 2.0), tf.fill([2], 0.5)

  is_training = tf.compat.v1.placeholder(tf.bool, [])
  outputs = slim.batch_norm(X, is_training=is_training, adjustment=adjustment)
  assert len(shapes) == 1
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    trained = sess.run(outputs, {is_training: True})
    evaluated = sess.run(outputs, {is_training: False})
  np.testing.assert_allclose(trained, 2 * normalized(X, MEAN, VARIANCE) + 0.5, rtol=1e-4,
                             atol=1e-4)
  np.testing.assert_allclose(evaluated, normalized(X, 0, 1), rtol=1e-5, atol=1e-5)


def test_nchw_and_reuse(graph):
  nchw = np.transpose(X, [0, 3, 1, 2])
  first = slim.batch_norm(nchw, data_format='NCHW', scope='bn')
  second = slim.batch_norm(nchw, data_format='NCHW', scope='bn', reuse=True)
  assert len(tf.compat.v1.global_variables()) == 3
  result, _ = train_once([first, second])
  want = np.transpose(normalized(X, MEAN, VARIANCE), [0, 3, 1, 2])
  for outputs in result:
    np.testing.assert_allclose(outputs, want, rtol=1e-4, atol=1e-4)


def test_as_normalizer_under_arg_scope(graph):
  with slim.arg_scope([slim.batch_norm], scale=True, variables_collections=['bn']):
    slim.conv2d(X, 3, 3, normalizer_fn=slim.batch_norm, scope='conv')
  assert [v.op.name for v in tf.compat.v1.get_collection('bn')] == [
      'conv/BatchNorm/gamma', 'conv/BatchNorm/beta', 'conv/BatchNorm/moving_mean',
      'conv/BatchNorm/moving_variance']


@pytest.mark.parametrize('kwargs', [{}, {'fused': False}, {'renorm': True},
                                    {'zero_debias_moving_mean': True},
                                    {'batch_weights': np.ones(4, np.float32)}])
def test_eager_training_calls_update_moving_statistics(kwargs):
  """Through slim.Model, as in graph mode after running UPDATE_OPS."""
  model = slim.Model(lambda x: slim.batch_norm(x, decay=DECAY, **kwargs))
  eager_outputs = model(X)
  with tf.Graph().as_default():
    graph_outputs, graph_values = train_once(slim.batch_norm(X, decay=DECAY, **kwargs))
  np.testing.assert_allclose(eager_outputs, graph_outputs, rtol=1e-4, atol=1e-4)
  assert list(model.variables_by_name) == list(graph_values)
  for name, variable in model.variables_by_name.items():
    np.testing.assert_allclose(variable.numpy(), graph_values[name], rtol=1e-5,
                               err_msg=name)
  tf.function(model, autograph=False)(X)  # a second, traced training call updates again
  np.testing.assert_allclose(model.variables_by_name['BatchNorm/moving_mean'].numpy(),
                             MEAN if kwargs.get('zero_debias_moving_mean') else
                             (1 - DECAY**2) * MEAN, rtol=1e-5)
