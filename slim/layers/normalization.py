"""Normalization layers: batch normalization.

`batch_norm` keeps TF-Slim's contract in graph mode: in training its moving
statistics are updated by ops placed in `updates_collections` (UPDATE_OPS by
default, run them with the train op), or in place when `updates_collections`
is None. In eager mode and inside a `tf.function` of an eager program there
are no collections: training calls update the moving statistics themselves.
"""
import tensorflow as tf

from slim.layers import _common
from slim.layers import utils
from slim.ops.arg_scope import add_arg_scope

__all__ = ['batch_norm']

_UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


def _moving_average_update(moving, value, decay):
  """moving <- moving * decay + value * (1 - decay); returns the assign op."""
  with tf.name_scope('AssignMovingAvg'):
    delta = (moving - tf.cast(value, moving.dtype)) * (1.0 - decay)
    return moving.assign_sub(delta)


class _Params(object):
  """The variables of a batch-norm layer (beta/gamma may be constants)."""

  def __init__(self, params_shape, dtype, center, scale, param_initializers,
               param_regularizers, variables_collections, trainable):
    initializers = param_initializers or {}
    regularizers = param_regularizers or {}

    def make(name, default_initializer, is_trainable, regularize=True):
      return _common.layer_variable(
          name, params_shape, dtype, initializers.get(name, default_initializer),
          regularizers.get(name) if regularize else None, is_trainable,
          variables_collections)

    zeros, ones = tf.compat.v1.zeros_initializer(), tf.compat.v1.ones_initializer()
    self.beta = make('beta', zeros, trainable) if center else None
    self.gamma = make('gamma', ones, trainable) if scale else None
    # Moving statistics are never partitioned, whatever the scope's partitioner.
    with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope()) as local_scope:
      local_scope.set_partitioner(None)
      self.moving_mean = make('moving_mean', zeros, False, regularize=False)
      self.moving_variance = make('moving_variance', ones, False, regularize=False)


def _apply_updates(is_training, updates_fn, moving_vars, updates_collections, outputs):
  """Runs or registers the moving-statistics updates of a training call.

  Returns `outputs`, made to depend on the updates when they run in place.
  """
  training = utils.constant_value(is_training)
  if training is not None and not training:
    return outputs
  if updates_collections is None or not _common.in_graph_mode():

    def force_updates():
      with tf.control_dependencies(updates_fn()):
        return tf.nest.map_structure(tf.identity, outputs)

    return utils.smart_cond(is_training, force_updates, lambda: outputs)

  update_mean, update_variance = utils.smart_cond(
      is_training, updates_fn, lambda: [tf.identity(v) for v in moving_vars])
  tf.compat.v1.add_to_collections(updates_collections, update_mean)
  tf.compat.v1.add_to_collections(updates_collections, update_variance)
  return outputs


def _fused(inputs, params, is_training, epsilon, data_format):
  """Fused batch norm of a 4-d input: (outputs, batch_mean, batch_variance)."""
  gamma = params.gamma if params.gamma is not None else tf.ones_like(params.moving_mean)
  beta = params.beta if params.beta is not None else tf.zeros_like(params.moving_mean)

  def training():
    return tf.compat.v1.nn.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                            data_format=data_format)

  def inference():
    return tf.compat.v1.nn.fused_batch_norm(
        inputs, gamma, beta, mean=params.moving_mean, variance=params.moving_variance,
        epsilon=epsilon, is_training=False, data_format=data_format)

  return utils.smart_cond(is_training, training, inference)


@add_arg_scope
def batch_norm(inputs,
               decay=0.999,
               center=True,
               scale=False,
               epsilon=0.001,
               activation_fn=None,
               param_initializers=None,
               param_regularizers=None,
               updates_collections=_UPDATE_OPS,
               is_training=True,
               reuse=None,
               variables_collections=None,
               outputs_collections=None,
               trainable=True,
               batch_weights=None,
               fused=None,
               data_format=_common.DATA_FORMAT_NHWC,
               zero_debias_moving_mean=False,
               scope=None,
               renorm=False,
               renorm_clipping=None,
               renorm_decay=0.99,
               adjustment=None):
  """Adds batch normalization (Ioffe & Szegedy, 2015), then the activation.

  Normalizes over every axis but the channels (last, or second for NCHW).
  Creates, in the variable scope `scope` (default 'BatchNorm'): `beta` if
  `center`, `gamma` if `scale`, and the non-trainable `moving_mean` and
  `moving_variance`.

  Args:
    inputs: a tensor of rank >= 2 with known channels.
    decay: decay of the moving averages, e.g. 0.999, 0.99 or 0.9.
    center: add the learned offset `beta`.
    scale: multiply by the learned `gamma` (not needed before relu + conv).
    epsilon: added to the variance.
    activation_fn: applied last; None for linear.
    param_initializers: dict of initializers for 'beta', 'gamma',
      'moving_mean', 'moving_variance'.
    param_regularizers: dict of regularizers for 'beta' and 'gamma'.
    updates_collections: graph mode: the collections that receive the update
      ops of the moving statistics; None to update in place.
    is_training: Python bool or boolean tensor: batch statistics (and update
      the moving ones) when true, moving statistics when false.
    reuse, variables_collections, outputs_collections, trainable, scope: as
      for `slim.conv2d`.
    batch_weights: optional `[batch]` tensor weighting the examples in the
      batch statistics.
    fused: None or True use the fused kernel where possible (rank 2 or 4, no
      batch_weights, renorm or adjustment); False never.
    data_format: 'NHWC' or 'NCHW'.
    zero_debias_moving_mean: zero-debias the moving mean.
    renorm, renorm_clipping, renorm_decay: batch renormalization (Ioffe, 2017).
    adjustment: function `shape -> (scale, bias)` adjusting the normalized
      output in training.

  Returns:
    The normalized tensor, the shape of `inputs`.

  Raises:
    ValueError: a data_format other than NHWC/NCHW, undefined rank or
      channels.
  """
  layer = 'batch_norm'
  _common.check_data_format(layer, data_format, ('NHWC', 'NCHW'))
  inputs = _common.to_tensor(layer, inputs)
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: Inputs %s has undefined rank.' % (layer, inputs.name))
  channels_first = data_format == _common.DATA_FORMAT_NCHW
  channels = _common.known_dimension(layer, inputs, 1 if channels_first else -1,
                                     'channels dimension (`C`)')
  fusable = (batch_weights is None and not renorm and adjustment is None and
             rank in (2, 4) and not zero_debias_moving_mean)
  use_fused = fused is not False and fusable
  if renorm or adjustment is not None or zero_debias_moving_mean:
    raise NotImplementedError('batch_norm: renorm, adjustment and zero_debias_moving_mean '
                              'are not implemented yet')

  with _common.layer_scope(scope, 'BatchNorm', inputs, reuse) as sc:
    param_dtype = tf.float32 if use_fused else inputs.dtype.base_dtype
    params = _Params([channels], param_dtype, center, scale, param_initializers,
                     param_regularizers, variables_collections, trainable)
    if use_fused:
      original_shape = inputs.get_shape()
      x = inputs
      if rank == 2:
        x = tf.reshape(inputs, [-1, channels, 1, 1] if channels_first
                       else [-1, 1, 1, channels])
      outputs, mean, variance = _fused(x, params, is_training, epsilon, data_format)
      if rank == 2:
        outputs = tf.reshape(outputs, tf.shape(inputs))
      outputs.set_shape(original_shape)
    else:
      axes = [0] + list(range(2, rank)) if channels_first else list(range(rank - 1))
      broadcast = [1, channels] + [1] * (rank - 2) if channels_first else [channels]

      def batch_moments():
        if batch_weights is None:
          return tf.nn.moments(inputs, axes)
        weights = tf.reshape(tf.convert_to_tensor(batch_weights),
                             [-1] + [1] * (rank - 1))
        return tf.nn.weighted_moments(inputs, axes, weights)

      training = utils.constant_value(is_training)
      if training is None or training:
        mean, variance = batch_moments()
      else:
        mean, variance = params.moving_mean, params.moving_variance
      use_mean, use_variance = utils.smart_cond(
          is_training, lambda: (mean, variance),
          lambda: (tf.identity(params.moving_mean), tf.identity(params.moving_variance)))
      reshape = lambda t: None if t is None else tf.reshape(t, broadcast)
      outputs = tf.nn.batch_normalization(inputs, reshape(use_mean), reshape(use_variance),
                                          reshape(params.beta), reshape(params.gamma),
                                          epsilon)
      outputs.set_shape(inputs.get_shape())

    def updates():
      return [_moving_average_update(params.moving_mean, mean, decay),
              _moving_average_update(params.moving_variance, variance, decay)]

    outputs = _apply_updates(is_training, updates,
                             (params.moving_mean, params.moving_variance),
                             updates_collections, outputs)
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)
