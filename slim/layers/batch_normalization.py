"""Batch normalization, with batch renormalization and zero-debiased moving mean.

`batch_norm` keeps TF-Slim's contract in graph mode: in training its moving
statistics are updated by ops placed in `updates_collections` (UPDATE_OPS by
default, run them with the train op), or in place when `updates_collections`
is None. In eager mode and inside a `tf.function` of an eager program there
are no collections: training calls update the moving statistics themselves.

tf_slim 1.1.0 computes batch norm in one of three ways, and the choice shows in
the variables (their order and dtype) and in the moving variance: the fused
kernel reports the batch variance with Bessel's correction (n / (n - 1)), the
moments path without it. `batch_norm` takes the same way as tf_slim for every
combination of arguments:

- 'fused': `fused` not False, rank 2 or 4, no batch_weights, renorm or
  adjustment, and one of zero_debias_moving_mean, rank 2 or
  updates_collections other than UPDATE_OPS. beta then gamma, in float32.
- 'layer' (a Keras layer in tf_slim): otherwise, with UPDATE_OPS and without
  batch_weights or zero_debias_moving_mean. gamma then beta (float32 for half
  inputs); the fused kernel for rank 4 and 5 inputs of float16, bfloat16 or
  float32 without renorm or adjustment, moments otherwise. The only way that
  renorms and adjusts.
- 'moments': everything else. beta then gamma, in the inputs' dtype.

Where the fused kernel runs with a fixed decay and no zero-debiasing, it also
computes the new moving averages, which the update ops then assign.
"""
import contextlib

import tensorflow as tf

from slim.layers import _common
from slim.layers import utils
from slim.ops import variables
from slim.ops.arg_scope import add_arg_scope

__all__ = ['batch_norm']

_UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS
_FUSED, _LAYER, _MOMENTS = 'fused', 'layer', 'moments'
_FUSED_KERNEL_DTYPES = (tf.float16, tf.bfloat16, tf.float32)
_RENORM_CLIPPING_KEYS = ('rmax', 'rmin', 'dmax')
_MIN_FUSED_EPSILON = 1.001e-5  # the smallest epsilon the fused kernel takes


def _choose_path(rank, fused, batch_weights, renorm, adjustment, zero_debias,
                 updates_collections):
  """tf_slim's choice of computation, see the module docstring."""
  default_updates = updates_collections == _UPDATE_OPS
  fusable = (batch_weights is None and not renorm and rank in (2, 4) and
             adjustment is None)
  if fused and fusable and (zero_debias or rank == 2 or not default_updates):
    return _FUSED
  if batch_weights is None and default_updates and not zero_debias:
    return _LAYER
  return _MOMENTS


def _moving_average(variable, value, rate):
  """variable <- variable - (variable - value) * rate, `rate` being 1 - decay;
  returns the update."""
  with tf.name_scope('AssignMovingAvg'):
    return variable.assign_sub((variable - tf.cast(value, variable.dtype)) * rate)


def _assign(variable, value):
  """variable <- value, in the name scope of a moving-average update."""
  with tf.name_scope('AssignMovingAvg'):
    return variable.assign(value)


def _update_rate(decay, dtype):
  """1 - decay, as one tensor shared by the updates of a layer."""
  if isinstance(decay, (tf.Tensor, tf.Variable)):
    return tf.cast(1.0 - decay, dtype)
  return tf.constant(1.0 - decay, dtype)


def _zero_debiased_average(variable, value, decay, make_variable):
  """Moving average of `value` into `variable` without the bias towards its
  initial value: `variable` <- biased / (1 - decay ** steps), where `biased`
  is the plain moving average from zero and `steps` the number of updates.

  `biased` and `local_step` live in the variable scope named after `variable`
  (inside the current one: 'BatchNorm/BatchNorm/moving_mean/biased').
  """
  with tf.compat.v1.variable_scope(variable.name.split(':')[0]):
    biased = make_variable('biased', variable.get_shape(), variable.dtype.base_dtype)
    local_step = make_variable('local_step', [], variable.dtype.base_dtype)
  with tf.name_scope('AssignMovingAvg'):
    value = tf.cast(value, variable.dtype)
    new_biased = biased.assign_sub((biased - value) * (1.0 - decay))
    steps = local_step.assign_add(1)
    return variable.assign(new_biased / (1.0 - tf.pow(tf.cast(decay, variable.dtype),
                                                      steps)))


@contextlib.contextmanager
def _without_partitioner(scope):
  """The variable scope `scope` without its partitioner."""
  with tf.compat.v1.variable_scope(scope) as local_scope:
    local_scope.set_partitioner(None)
    yield


class _Params(object):
  """The variables of a batch-norm layer (beta/gamma are None when not used)."""

  def __init__(self, path, shape, dtype, center, scale, renorm, param_initializers,
               param_regularizers, variables_collections, trainable):
    initializers = param_initializers or {}
    regularizers = param_regularizers or {}
    zeros, ones = tf.compat.v1.zeros_initializer(), tf.compat.v1.ones_initializer()

    def make(name, default_initializer, is_trainable, collections=variables_collections,
             regularizer=None, initializer=None):
      # Statistics are updated by each replica of a tf.distribute strategy and
      # read as their mean across replicas, as Keras keeps them.
      sync = {} if is_trainable else {
          'synchronization': tf.VariableSynchronization.ON_READ,
          'aggregation': tf.VariableAggregation.MEAN}
      return _common.layer_variable(
          name, shape, dtype, initializer or initializers.get(name, default_initializer),
          regularizer, is_trainable, collections, loss_name=name if regularizer else None,
          **sync)

    self.beta = self.gamma = None
    for name in (('gamma', 'beta') if path == _LAYER else ('beta', 'gamma')):
      if name == 'beta' and center:
        self.beta = make('beta', zeros, trainable, regularizer=regularizers.get('beta'))
      if name == 'gamma' and scale:
        self.gamma = make('gamma', ones, trainable, regularizer=regularizers.get('gamma'))
    # Moving statistics are never partitioned, whatever the scope's partitioner.
    scope = tf.compat.v1.get_variable_scope()
    with (_without_partitioner(scope) if scope.partitioner is not None else
          contextlib.nullcontext()):
      self.moving_mean = make('moving_mean', zeros, False)
      self.moving_variance = make('moving_variance', ones, False)
      if renorm:
        variance_initializer = initializers.get('moving_variance', ones)

        def stddev_initializer(*args, **kwargs):
          return tf.sqrt(variance_initializer(*args, **kwargs))

        self.moving_stddev = make('moving_stddev', None, False, None,
                                  initializer=stddev_initializer)
        self.renorm_mean = make('renorm_mean', None, False, None,
                                initializer=initializers.get('moving_mean', zeros))
        self.renorm_stddev = make('renorm_stddev', None, False, None,
                                  initializer=stddev_initializer)


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

  updates = utils.smart_cond(is_training, updates_fn,
                             lambda: [tf.identity(v) for v in moving_vars])
  for update in updates:
    tf.compat.v1.add_to_collections(updates_collections, update)
  return outputs


def _fused(inputs, params, is_training, epsilon, data_format, average_rate=None):
  """The fused kernel: (outputs, batch mean, batch variance with Bessel's
  correction), or the moving statistics when not training.

  With `average_rate` (1 - decay, a number), training returns instead the new
  moving averages, computed by the kernel from the moving statistics.
  """
  channels = params.moving_mean.get_shape()
  gamma = params.gamma if params.gamma is not None else tf.ones(channels)
  beta = params.beta if params.beta is not None else tf.zeros(channels)
  epsilon = max(epsilon, _MIN_FUSED_EPSILON)

  def fused(mean, variance, training, rate=1.0):
    return tf.raw_ops.FusedBatchNormV3(
        x=inputs, scale=gamma, offset=beta, mean=mean, variance=variance, epsilon=epsilon,
        exponential_avg_factor=rate, data_format=data_format, is_training=training)[:3]

  def training():
    if average_rate is not None:
      return fused(params.moving_mean, params.moving_variance, True, average_rate)
    no_statistics = tf.constant([], tf.float32)
    return fused(no_statistics, no_statistics, True)

  def inference():
    return fused(params.moving_mean, params.moving_variance, False)

  return utils.smart_cond(is_training, training, inference)


def _compose(scale, offset, then_scale, then_offset):
  """The affine map `x * scale + offset` followed by `then`; None is identity."""
  if then_scale is not None:
    scale = then_scale if scale is None else scale * then_scale
    offset = None if offset is None else offset * then_scale
  if then_offset is not None:
    offset = then_offset if offset is None else offset + then_offset
  return scale, offset


def _renorm_correction(params, mean, variance, is_training, epsilon, renorm_decay,
                       renorm_clipping):
  """Batch renormalization (Ioffe, 2017): the correction (r, d) of the batch
  statistics towards the renorm moving averages, and the batch moments made to
  depend on the update of those averages."""
  stddev = tf.sqrt(variance + epsilon)
  renorm_stddev = tf.maximum(params.renorm_stddev, tf.sqrt(epsilon))
  r = stddev / renorm_stddev
  d = (mean - params.renorm_mean) / renorm_stddev
  with tf.control_dependencies([r, d]):  # corrections from the values before update
    mean, stddev = tf.identity(mean), tf.identity(stddev)
  if renorm_clipping.get('rmin') is not None:
    r = tf.maximum(r, renorm_clipping['rmin'])
  if renorm_clipping.get('rmax') is not None:
    r = tf.minimum(r, renorm_clipping['rmax'])
  if renorm_clipping.get('dmax') is not None:
    d = tf.clip_by_value(d, -renorm_clipping['dmax'], renorm_clipping['dmax'])
  r = utils.smart_cond(is_training, lambda: r, lambda: tf.ones_like(r))
  d = utils.smart_cond(is_training, lambda: d, lambda: tf.zeros_like(d))

  def update_renorm_statistics():
    rate = _update_rate(renorm_decay, params.renorm_mean.dtype.base_dtype)
    return [_moving_average(params.renorm_mean, mean, rate),
            _moving_average(params.renorm_stddev, stddev, rate)]

  updates = utils.smart_cond(is_training, update_renorm_statistics,
                             lambda: [tf.identity(params.renorm_mean),
                                      tf.identity(params.renorm_stddev)])
  with tf.control_dependencies(updates):
    mean, variance = tf.identity(mean), tf.identity(variance)
  return tf.stop_gradient(r, name='renorm_r'), tf.stop_gradient(d, name='renorm_d'), mean, \
      variance


def _layer_moments(inputs, params, is_training, epsilon, channels_first, renorm,
                   renorm_decay, renorm_clipping, adjustment):
  """Moments path of tf_slim's Keras layer: (outputs, statistics for the
  moving averages), with renorm and adjustment."""
  rank = inputs.get_shape().ndims
  axis = 1 if channels_first else rank - 1
  broadcast_shape = [1] * rank
  broadcast_shape[axis] = tf.compat.dimension_value(inputs.get_shape()[axis])
  broadcast = ((lambda t: t if t is None else tf.reshape(t, broadcast_shape))
               if axis != rank - 1 else (lambda t: t))
  half = inputs.dtype.base_dtype in (tf.float16, tf.bfloat16)
  x = tf.cast(inputs, tf.float32) if half else inputs
  scale, offset = broadcast(params.gamma), broadcast(params.beta)
  if utils.constant_value(is_training) is False:
    mean, variance = params.moving_mean, params.moving_variance
    statistics = None
  else:
    if adjustment is not None:
      adjust_scale, adjust_offset = adjustment(tf.shape(x))
      adjust_scale = utils.smart_cond(is_training, lambda: adjust_scale,
                                      lambda: tf.ones_like(adjust_scale))
      adjust_offset = utils.smart_cond(is_training, lambda: adjust_offset,
                                       lambda: tf.zeros_like(adjust_offset))
      scale, offset = _compose(adjust_scale, adjust_offset, scale, offset)
    batch_mean, batch_variance = tf.nn.moments(
        tf.cast(x, params.moving_mean.dtype), [a for a in range(rank) if a != axis])
    mean = utils.smart_cond(is_training, lambda: batch_mean,
                            lambda: tf.convert_to_tensor(params.moving_mean))
    variance = utils.smart_cond(is_training, lambda: batch_variance,
                                lambda: tf.convert_to_tensor(params.moving_variance))
    statistics = mean, variance
    if renorm:
      r, d, new_mean, new_variance = _renorm_correction(
          params, mean, variance, is_training, epsilon, renorm_decay, renorm_clipping)
      statistics = new_mean, new_variance
      scale, offset = _compose(broadcast(r), broadcast(d), scale, offset)
  cast = lambda t: t if t is None else tf.cast(t, x.dtype)
  outputs = tf.nn.batch_normalization(x, broadcast(cast(mean)), broadcast(cast(variance)),
                                      cast(offset), cast(scale), epsilon)
  if half:
    outputs = tf.cast(outputs, inputs.dtype)
  return outputs, statistics


def _slim_moments(inputs, params, is_training, epsilon, channels_first, batch_weights):
  """tf_slim's own moments path: (outputs, batch mean, batch variance)."""
  rank = inputs.get_shape().ndims
  axis = 1 if channels_first else rank - 1
  broadcast_shape = [1] * rank
  broadcast_shape[axis] = tf.compat.dimension_value(inputs.get_shape()[axis])
  reshape = lambda t: None if t is None else tf.reshape(t, broadcast_shape)
  axes = [a for a in range(rank) if a != axis]
  if utils.constant_value(is_training) is False:
    mean = variance = None
    use_mean, use_variance = params.moving_mean, params.moving_variance
  else:
    if batch_weights is None:
      mean, variance = tf.nn.moments(inputs, axes)
    else:
      weights = tf.reshape(tf.convert_to_tensor(batch_weights), [-1] + [1] * (rank - 1))
      mean, variance = tf.nn.weighted_moments(inputs, axes, weights)
    use_mean, use_variance = utils.smart_cond(
        is_training, lambda: (mean, variance),
        lambda: (tf.identity(params.moving_mean), tf.identity(params.moving_variance)))
  outputs = tf.nn.batch_normalization(inputs, reshape(use_mean), reshape(use_variance),
                                      reshape(params.beta), reshape(params.gamma), epsilon)
  return outputs, mean, variance


def _check_arguments(layer, inputs, data_format, renorm, renorm_clipping, path):
  """The checks of `batch_norm` that need the inputs; returns (rank, channels)."""
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: Inputs %s has undefined rank.' % (layer, inputs.name))
  if rank < 2:
    raise ValueError('%s: inputs must have rank >= 2 (batch and channels), received rank '
                     '%d (shape %s)' % (layer, rank, inputs.get_shape()))
  axis = 1 if data_format == _common.DATA_FORMAT_NCHW else rank - 1
  channels = tf.compat.dimension_value(inputs.get_shape()[axis])
  if channels is None:
    raise ValueError('%s: Inputs %s has undefined channels dimension (axis %d), received '
                     'shape %s' % (layer, inputs.name, axis, inputs.get_shape()))
  if renorm and path == _MOMENTS:
    raise ValueError('%s: renorm is not supported with batch_weights, updates_collections '
                     'or zero_debias_moving_mean' % layer)
  unknown = set(renorm_clipping or {}) - set(_RENORM_CLIPPING_KEYS)
  if renorm and unknown:
    raise ValueError('%s: renorm_clipping has invalid keys %s; supported keys: %s'
                     % (layer, sorted(unknown), ', '.join(_RENORM_CLIPPING_KEYS)))
  return rank, channels


def _debias_variable_maker(model_variables):
  """How the shadow variables of a zero-debiased mean are made: model
  variables in the moments path, plain global ones in the fused path."""

  def make(name, shape, dtype):
    create = variables.model_variable if model_variables else tf.compat.v1.get_variable
    return create(name, shape=shape, dtype=dtype,
                  initializer=tf.compat.v1.zeros_initializer(), trainable=False)

  return make


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
  `center`, `gamma` if `scale`, the non-trainable `moving_mean` and
  `moving_variance`; with `renorm` also `moving_stddev`, `renorm_mean` and
  `renorm_stddev`; with `zero_debias_moving_mean` the non-trainable
  `<scope>/<scope>/moving_mean/biased` and `.../local_step`.

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
    fused: None or True use the fused kernel where tf_slim does; False never.
    data_format: 'NHWC' or 'NCHW'.
    zero_debias_moving_mean: zero-debias the moving mean (Kingma & Ba, 2015).
    renorm: batch renormalization (Ioffe, 2017): normalize with the batch
      statistics corrected towards moving averages of decay `renorm_decay`.
      Needs the default `updates_collections` and no batch_weights.
    renorm_clipping: dict with optional 'rmax', 'rmin', 'dmax' bounding the
      correction `r` to [rmin, rmax] and `d` to [-dmax, dmax].
    renorm_decay: decay of the renorm moving averages.
    adjustment: function `shape -> (scale, offset)` applied to the normalized
      output in training (before gamma and beta).

  Returns:
    The normalized tensor, the shape of `inputs`.

  Raises:
    ValueError: a data_format other than NHWC/NCHW, undefined rank or
      channels, renorm where tf_slim cannot renorm, or unknown
      renorm_clipping keys.
    TypeError: float64 inputs where tf_slim takes the fused kernel (rank 2,
      or zero_debias_moving_mean or other updates_collections) and `fused` is
      not False.

  Example:
    net = slim.conv2d(images, 64, [3, 3], normalizer_fn=slim.batch_norm,
                      normalizer_params={'is_training': is_training})
  """
  layer = 'batch_norm'
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  inputs = _common.to_tensor(layer, inputs)
  fused = True if fused is None else bool(fused)
  path = _choose_path(inputs.get_shape().ndims, fused, batch_weights, renorm, adjustment,
                      zero_debias_moving_mean, updates_collections)
  rank, channels = _check_arguments(layer, inputs, data_format, renorm, renorm_clipping,
                                    path)
  channels_first = data_format == _common.DATA_FORMAT_NCHW
  dtype = inputs.dtype.base_dtype
  use_kernel = path == _FUSED or (
      path == _LAYER and fused and rank in (4, 5) and not renorm and
      adjustment is None and dtype in _FUSED_KERNEL_DTYPES)
  if path == _FUSED and dtype not in _FUSED_KERNEL_DTYPES:
    raise TypeError('%s: the fused kernel takes float16, bfloat16 or float32 inputs, '
                    'received %s; pass fused=False' % (layer, dtype.name))
  # The kernel can also average the moving statistics, with a fixed decay.
  averaged_in_kernel = (use_kernel and not zero_debias_moving_mean and
                        isinstance(decay, (int, float)))
  param_dtype = dtype
  if path == _FUSED or (path == _LAYER and dtype in (tf.float16, tf.bfloat16)):
    param_dtype = tf.float32

  with _common.layer_scope(scope, 'BatchNorm', inputs, reuse) as sc:
    params = _Params(path, [channels], param_dtype, center, scale,
                     renorm and path == _LAYER, param_initializers, param_regularizers,
                     variables_collections, trainable)
    statistics = None
    if use_kernel:
      x = inputs
      if rank == 2:
        x = tf.reshape(inputs, [-1, channels, 1, 1] if channels_first
                       else [-1, 1, 1, channels])
      kernel_format = {4: 'NHWC', 5: 'NDHWC'}[max(rank, 4)]
      if channels_first:
        kernel_format = {4: 'NCHW', 5: 'NCDHW'}[max(rank, 4)]
      outputs, mean, variance = _fused(x, params, is_training, epsilon, kernel_format,
                                       average_rate=1.0 - decay if averaged_in_kernel else None)
      statistics = mean, variance
      if rank == 2:
        outputs = tf.reshape(outputs, tf.shape(inputs))
    elif path == _LAYER:
      outputs, statistics = _layer_moments(
          inputs, params, is_training, epsilon, channels_first, renorm, renorm_decay,
          renorm_clipping or {}, adjustment)
    else:
      outputs, mean, variance = _slim_moments(inputs, params, is_training, epsilon,
                                              channels_first, batch_weights)
      statistics = mean, variance
    outputs.set_shape(inputs.get_shape())

    def updates():
      mean, variance = statistics
      if averaged_in_kernel:  # the statistics are the new moving averages
        return [_assign(params.moving_mean, mean), _assign(params.moving_variance, variance)]
      rate = _update_rate(decay, params.moving_mean.dtype.base_dtype)
      if zero_debias_moving_mean:
        make = _debias_variable_maker(model_variables=path == _MOMENTS)
        update_mean = _zero_debiased_average(params.moving_mean, mean, decay, make)
      else:
        update_mean = _moving_average(params.moving_mean, mean, rate)
      if renorm and path == _LAYER:
        stddev = _moving_average(params.moving_stddev, tf.sqrt(variance + epsilon), rate)
        update_variance = params.moving_variance.assign(
            tf.nn.relu(stddev * stddev - epsilon))
      else:
        update_variance = _moving_average(params.moving_variance, variance, rate)
      return [update_mean, update_variance]

    if statistics is not None:
      outputs = _apply_updates(
          is_training, updates, (params.moving_mean, params.moving_variance),
          _UPDATE_OPS if path == _LAYER else updates_collections, outputs)
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)
