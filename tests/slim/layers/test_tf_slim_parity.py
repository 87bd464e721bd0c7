"""Parity with tf_slim 1.1.0: each layer is built with the reference and with slim in
separate graphs, given the same variable values by name, and run side by side
(outputs, variables, regularization losses, moving statistics after updates)."""
import numpy as np
import pytest
import tensorflow as tf

from tests.slim.layers import parity

pytestmark = pytest.mark.reference

RNG = np.random.RandomState(0)
X3 = RNG.randn(2, 9, 3).astype(np.float32)
X4 = (RNG.randn(4, 7, 9, 3) * 2 + 1).astype(np.float32)
X5 = RNG.randn(2, 4, 5, 6, 3).astype(np.float32)


def l2(module):
  return module.l2_regularizer(0.01)


def _partitioned(module, inputs):
  """Layers under a partitioner, with regularizers (one loss per part)."""
  with tf.compat.v1.variable_scope('p', partitioner=tf.compat.v1.fixed_size_partitioner(2)):
    net = module.conv2d(inputs, 4, 3, weights_regularizer=l2(module),
                        normalizer_fn=module.batch_norm,
                        normalizer_params={'scale': True,
                                           'param_regularizers': {'gamma': l2(module)}})
    return module.fully_connected(module.flatten(net), 6, weights_regularizer=l2(module))


LAYERS = {
    'conv2d': (lambda m, x: m.conv2d(x, 4, [3, 2], stride=2, weights_regularizer=l2(m),
                                     biases_regularizer=l2(m)), X4),
    'conv2d_rate_valid_bn': (lambda m, x: m.conv2d(x, 4, 3, rate=2, padding='VALID',
                                                   normalizer_fn=m.batch_norm), X4),
    'conv2d_whole_input': (lambda m, x: m.conv2d(x, 5, [7, 9], padding='VALID'), X4),
    'conv1d': (lambda m, x: m.conv1d(x, 4, 3, stride=2), X3),
    'conv3d': (lambda m, x: m.conv3d(x, 4, 3, padding='VALID'), X5),
    'separable_conv2d': (lambda m, x: m.separable_conv2d(
        x, 5, 3, depth_multiplier=2, stride=2, weights_regularizer=l2(m)), X4),
    'depthwise_conv2d': (lambda m, x: m.separable_conv2d(x, None, 3, depth_multiplier=2,
                                                         rate=2, weights_regularizer=l2(m)),
                         X4),
    'conv2d_transpose_same': (lambda m, x: m.conv2d_transpose(x, 4, 3, stride=2), X4),
    'conv2d_transpose_valid': (lambda m, x: m.conv2d_transpose(
        x, 4, [3, 4], stride=[2, 3], padding='VALID', weights_regularizer=l2(m)), X4),
    'conv3d_transpose': (lambda m, x: m.conv3d_transpose(x, 4, 3, stride=2,
                                                         padding='VALID'), X5),
    'conv2d_in_plane': (lambda m, x: m.conv2d_in_plane(x, [2, 1], stride=2), X4),
    'fully_connected': (lambda m, x: m.fully_connected(x, 4, weights_regularizer=l2(m),
                                                       biases_regularizer=l2(m)), X4),
    'legacy_fully_connected': (lambda m, x: m.legacy_fully_connected(x, 4), X3),
    'layer_norm': (lambda m, x: m.layer_norm(x), X4),
    'layer_norm_axes': (lambda m, x: m.layer_norm(x, begin_norm_axis=2,
                                                  begin_params_axis=1), X4),
    'group_norm': (lambda m, x: m.group_norm(tf.concat([x, 2 * x], -1), groups=3), X4),
    'group_norm_channels_first': (lambda m, x: m.group_norm(
        x, groups=1, channels_axis=-3, reduction_axes=(-2, -1), mean_close_to_zero=True),
                                  X4),
    'instance_norm': (lambda m, x: m.instance_norm(x), X4),
    'instance_norm_nchw': (lambda m, x: m.instance_norm(x, data_format='NCHW'), X4),
    'gdn': (lambda m, x: m.gdn(x), X4),
    'igdn_rank5': (lambda m, x: m.gdn(x, inverse=True), X5),
    'spatial_softmax': (lambda m, x: m.spatial_softmax(x, temperature=0.5), X4),
    'spatial_softmax_nchw': (lambda m, x: m.spatial_softmax(x, data_format='NCHW'), X4),
    'maxout': (lambda m, x: m.maxout(x, 3, axis=2), X4),
    'avg_pool3d_ncdhw': (lambda m, x: m.avg_pool3d(x, 2, data_format='NCDHW'), X5),
    'stack': (lambda m, x: m.stack(x, m.conv2d, [(4, 3), (5, [1, 1])], scope='s'), X4),
    'partitioned_regularized': (lambda m, x: _partitioned(m, x), X4),
    'repeat': (lambda m, x: m.repeat(x, 2, m.conv2d, 3, 3), X4),
}


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_layer_matches_reference(tf_slim, name):
  build, inputs = LAYERS[name]
  parity.compare(tf_slim, build, [inputs])


def _batch_norm(**kwargs):
  training = kwargs.pop('training_tensor', None)

  def build(module, inputs):
    arguments = dict(kwargs)
    if training is not None:
      arguments['is_training'] = tf.compat.v1.placeholder_with_default(training, [])
    if arguments.get('param_regularizers') == 'l2':
      arguments['param_regularizers'] = {'beta': l2(module), 'gamma': l2(module)}
    return module.batch_norm(inputs, **arguments)

  return build


def _adjustment(shape):
  return tf.ones(shape[-1:]) * 1.5, tf.ones(shape[-1:]) * 0.25


# Each path of tf_slim's batch_norm (fused kernel, Keras layer fused or by
# moments, its own moments), in training, inference and with a training tensor.
BATCH_NORM = {
    'layer_fused_rank4': (dict(scale=True), 4),
    'layer_fused_nchw': (dict(data_format='NCHW'), 4),
    'layer_fused_rank5': (dict(), 5),
    'layer_moments_rank3': (dict(scale=True), 3),
    'layer_moments_unfused': (dict(fused=False, scale=True, param_regularizers='l2'), 4),
    'fused_regularizers': (dict(updates_collections=None, param_regularizers='l2'), 2),
    'layer_moments_float64': (dict(dtype=np.float64), 4),
    'layer_half': (dict(dtype=np.float16, scale=True), 4),
    'layer_inference': (dict(is_training=False), 4),
    'layer_training_tensor': (dict(training_tensor=True), 4),
    'layer_inference_tensor': (dict(training_tensor=False, fused=False), 3),
    'fused_rank2': (dict(), 2),
    'fused_rank2_nchw': (dict(data_format='NCHW', scale=True), 2),
    'fused_in_place': (dict(updates_collections=None), 4),
    'fused_zero_debias': (dict(zero_debias_moving_mean=True, training_tensor=True), 4),
    'fused_other_collections': (dict(updates_collections=['my_updates']), 4),
    'moments_zero_debias': (dict(zero_debias_moving_mean=True, fused=False), 4),
    'moments_batch_weights': (dict(batch_weights=np.linspace(0.1, 1, 4).astype(np.float32),
                                   data_format='NCHW'), 4),
    'moments_in_place_tensor': (dict(updates_collections=None, fused=False,
                                     training_tensor=True), 3),
    'renorm': (dict(renorm=True, scale=True), 4),
    'renorm_clipping': (dict(renorm=True, renorm_clipping={'rmax': 1.1, 'rmin': 0.9,
                                                           'dmax': 0.1},
                             renorm_decay=0.5), 4),
    'renorm_training_tensor': (dict(renorm=True, training_tensor=True), 3),
    'renorm_inference': (dict(renorm=True, is_training=False), 4),
    'adjustment': (dict(adjustment=_adjustment, scale=True), 4),
    'renorm_adjustment_nchw': (dict(renorm=True, adjustment=_adjustment,
                                    data_format='NCHW'), 4),
    'initializers': (dict(scale=True, param_initializers={
        'gamma': tf.compat.v1.constant_initializer(2.0),
        'moving_mean': tf.compat.v1.constant_initializer(0.5),
        'moving_variance': tf.compat.v1.constant_initializer(3.0)}), 4),
}
SHAPES = {2: (4, -1), 3: (4, 63, 3), 4: (4, 7, 9, 3), 5: (4, 7, 1, 9, 3)}


@pytest.mark.parametrize('name', sorted(BATCH_NORM))
def test_batch_norm_matches_reference(tf_slim, name):
  """Outputs, variables (names, order, dtype) and moving statistics after two
  updates (decay 0.9), including the Bessel correction of the fused paths."""
  kwargs, rank = BATCH_NORM[name]
  kwargs = dict(kwargs, decay=0.9)
  dtype = kwargs.pop('dtype', np.float32)
  inputs = X4.reshape(SHAPES[rank]).astype(dtype)
  tolerance = 2e-3 if dtype == np.float16 else 1e-5
  parity.compare(tf_slim, _batch_norm(**kwargs), [inputs], steps=2, rtol=tolerance,
                 atol=tolerance)
