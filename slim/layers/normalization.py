"""Normalizations without moving statistics: layer, instance and group
normalization, unit and Poincaré normalization. (Batch normalization is in
`batch_normalization.py`.)
"""
import tensorflow as tf

from slim.layers import _common
from slim.ops.arg_scope import add_arg_scope

__all__ = ['group_norm', 'instance_norm']


def _affine_params(shape, dtype, center, scale, param_initializers, variables_collections,
                   trainable):
  """`beta` (if center) and `gamma` (if scale) of shape `shape`; None if unused."""
  initializers = param_initializers or {}

  def make(name, default_initializer):
    return _common.as_tensor(_common.layer_variable(
        name, shape, dtype, initializers.get(name, default_initializer), None, trainable,
        variables_collections))

  beta = make('beta', tf.compat.v1.zeros_initializer()) if center else None
  gamma = make('gamma', tf.compat.v1.ones_initializer()) if scale else None
  return beta, gamma


def _reshaped(tensor, shape):
  return None if tensor is None else tf.reshape(tensor, shape)


@add_arg_scope
def layer_norm(inputs,
               center=True,
               scale=True,
               activation_fn=None,
               reuse=None,
               variables_collections=None,
               outputs_collections=None,
               trainable=True,
               begin_norm_axis=1,
               begin_params_axis=-1,
               scope=None):
  """Adds layer normalization (Ba, Kiros & Hinton, 2016), then the activation.

  Normalizes over axes `begin_norm_axis ... rank - 1` of each example, then
  scales and shifts by `gamma` and `beta` of shape
  `inputs.shape[begin_params_axis:]` (by default the channels). Creates `beta`
  if `center` and `gamma` if `scale` in the variable scope `scope` (default
  'LayerNorm'). The variance epsilon is 1e-12 (1e-3 for float16).

  Args:
    inputs: a tensor of known rank; `inputs.shape[begin_params_axis:]` known.
    center, scale: create and apply `beta`, `gamma`.
    activation_fn: applied last; None for linear.
    begin_norm_axis: first axis normalized over (negative counts from the end).
    begin_params_axis: first axis of the shape of `beta` and `gamma`.
    reuse, variables_collections, outputs_collections, trainable, scope: as
      for `slim.conv2d`.

  Returns:
    A tensor of the shape and dtype of `inputs`.

  Raises:
    ValueError: undefined rank, an axis not below the rank, or
      `inputs.shape[begin_params_axis:]` not fully defined.

  Example:
    net = slim.fully_connected(net, 256, normalizer_fn=slim.layer_norm)
  """
  layer = 'layer_norm'
  inputs = _common.to_tensor(layer, inputs)
  shape = inputs.get_shape()
  rank = shape.ndims
  if rank is None:
    raise ValueError('%s: Inputs %s has undefined rank.' % (layer, inputs.name))
  if begin_norm_axis < 0:
    begin_norm_axis += rank
  if begin_params_axis >= rank or begin_norm_axis >= rank:
    raise ValueError('%s: begin_params_axis (%d) and begin_norm_axis (%d) must be < '
                     'rank(inputs) (%d)' % (layer, begin_params_axis, begin_norm_axis, rank))
  params_shape = shape[begin_params_axis:]
  if not params_shape.is_fully_defined():
    raise ValueError('%s: Inputs %s: shape(inputs)[%s:] is not fully defined: %s'
                     % (layer, inputs.name, begin_params_axis, shape))
  dtype = inputs.dtype.base_dtype
  with _common.layer_scope(scope, 'LayerNorm', inputs, reuse) as sc:
    beta, gamma = _affine_params(params_shape, dtype, center, scale, None,
                                 variables_collections, trainable)
    mean, variance = tf.nn.moments(inputs, list(range(begin_norm_axis, rank)),
                                   keepdims=True)
    epsilon = 1e-3 if dtype == tf.float16 else 1e-12
    outputs = tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                        variance_epsilon=epsilon)
    outputs.set_shape(shape)
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)


@add_arg_scope
def instance_norm(inputs,
                  center=True,
                  scale=True,
                  epsilon=1e-6,
                  activation_fn=None,
                  param_initializers=None,
                  reuse=None,
                  variables_collections=None,
                  outputs_collections=None,
                  trainable=True,
                  data_format=_common.DATA_FORMAT_NHWC,
                  scope=None):
  """Adds instance normalization (Ulyanov et al., 2016), then the activation.

  Normalizes each channel of each example over its other (spatial) axes, then
  scales and shifts per channel. Creates `beta` if `center` and `gamma` if
  `scale`, of shape `[channels]`, in the variable scope `scope` (default
  'InstanceNorm').

  Args:
    inputs: a tensor of rank >= 2, `[batch, ..., channels]` (NHWC) or
      `[batch, channels, ...]` (NCHW), with known channels.
    epsilon: added to the variance.
    param_initializers: dict of initializers for 'beta' and 'gamma'.
    data_format: 'NHWC' or 'NCHW'.
    Other arguments as for `layer_norm`.

  Returns:
    A tensor of the shape of `inputs`.

  Raises:
    ValueError: undefined rank or channels, or a bad data_format.
  """
  layer = 'instance_norm'
  inputs = _common.to_tensor(layer, inputs)
  shape = inputs.get_shape()
  rank = shape.ndims
  if rank is None:
    raise ValueError('%s: Inputs %s has undefined rank.' % (layer, inputs.name))
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  channel_axis = 1 if data_format == _common.DATA_FORMAT_NCHW else rank - 1
  channels = tf.compat.dimension_value(shape[channel_axis])
  if channels is None:
    raise ValueError('%s: Inputs %s has undefined channels dimension %s.'
                     % (layer, inputs.name, shape[channel_axis:channel_axis + 1]))
  with _common.layer_scope(scope, 'InstanceNorm', inputs, reuse) as sc:
    beta, gamma = _affine_params([channels], inputs.dtype.base_dtype, center, scale,
                                 param_initializers, variables_collections, trainable)
    if channel_axis == 1:
      broadcast = [1, channels] + [1] * (rank - 2)
      beta, gamma = _reshaped(beta, broadcast), _reshaped(gamma, broadcast)
    axes = [axis for axis in range(1, rank) if axis != channel_axis]
    mean, variance = tf.nn.moments(inputs, axes, keepdims=True)
    outputs = tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, epsilon,
                                        name='instancenorm')
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)


def _group_norm_axes(layer, inputs, groups, channels_axis, reduction_axes):
  """Checks the axes of `group_norm`; returns (channels_axis, channels,
  reduction_axes) with non-negative axes."""
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: Inputs %s has undefined rank.' % (layer, inputs.name))
  if channels_axis > rank - 1:
    raise ValueError('%s: Axis is out of bounds: channels_axis %d for inputs of rank %d'
                     % (layer, channels_axis, rank))
  if channels_axis < 0:
    channels_axis += rank
  channels = tf.compat.dimension_value(inputs.get_shape()[channels_axis])
  if channels is None:
    raise ValueError('%s: Inputs %s has undefined channel dimension: %d.'
                     % (layer, inputs.name, channels_axis))
  reduction_axes = [axis + rank if axis < 0 else axis for axis in reduction_axes]
  for axis in reduction_axes:
    if axis >= rank:
      raise ValueError('%s: Axis is out of bounds: reduction axis %d for inputs of rank %d'
                       % (layer, axis, rank))
    if tf.compat.dimension_value(inputs.get_shape()[axis]) is None:
      raise ValueError('%s: Inputs %s has undefined dimensions %d.'
                       % (layer, inputs.name, axis))
    if axis == channels_axis:
      raise ValueError('%s: reduction_axis must be mutually exclusive with channels_axis, '
                       'received both %d' % (layer, axis))
  if groups > channels:
    raise ValueError('%s: Invalid groups %d for %d channels.' % (layer, groups, channels))
  if channels % groups != 0:
    raise ValueError('%s: %d channels is not commensurate with %d groups.'
                     % (layer, channels, groups))
  return channels_axis, channels, reduction_axes


@add_arg_scope
def group_norm(inputs,
               groups=32,
               channels_axis=-1,
               reduction_axes=(-3, -2),
               center=True,
               scale=True,
               epsilon=1e-6,
               activation_fn=None,
               param_initializers=None,
               reuse=None,
               variables_collections=None,
               outputs_collections=None,
               trainable=True,
               scope=None,
               mean_close_to_zero=False):
  """Adds group normalization (Wu & He, 2018), then the activation.

  Splits the channels into `groups` groups and normalizes each group of each
  example over `reduction_axes`, then scales and shifts per channel. Creates
  `beta` if `center` and `gamma` if `scale`, of shape `[channels]`, in the
  variable scope `scope` (default 'GroupNorm').

  Args:
    inputs: a tensor of rank >= 2 whose dimensions but the batch are known.
    groups: the number of groups; must divide the channels.
    channels_axis: the channels axis (negative counts from the end).
    reduction_axes: axes to normalize over, other than `channels_axis`; NHWC:
      channels_axis=-1, reduction_axes=(-3, -2); NCHW: -3 and (-2, -1).
    epsilon: added to the variance.
    param_initializers: dict of initializers for 'beta' and 'gamma'.
    mean_close_to_zero: compute the variance from sufficient statistics
      (sum of squares), as the fused batch norm does.
    Other arguments as for `layer_norm`.

  Returns:
    A tensor of the shape of `inputs`.

  Raises:
    ValueError: undefined rank or dimensions, an axis out of bounds, the
      channels axis among the reduction axes, or groups not dividing channels.
  """
  layer = 'group_norm'
  inputs = _common.to_tensor(layer, inputs)
  channels_axis, channels, reduction_axes = _group_norm_axes(
      layer, inputs, groups, channels_axis, reduction_axes)
  dynamic_shape = tf.shape(inputs)
  shape = [tf.compat.dimension_value(dim) for dim in inputs.get_shape()]
  shape = [dynamic_shape[i] if dim is None else dim for i, dim in enumerate(shape)]
  grouped_shape = (shape[:channels_axis] + [groups, channels // groups] +
                   shape[channels_axis + 1:])
  broadcast = ([1] * channels_axis + [groups, channels // groups] +
               [1] * (len(shape) - channels_axis - 1))
  grouped = tf.reshape(inputs, grouped_shape)
  moments_axes = [channels_axis + 1] + [axis + 1 if axis > channels_axis else axis
                                        for axis in reduction_axes]
  with _common.layer_scope(scope, 'GroupNorm', grouped, reuse) as sc:
    beta, gamma = _affine_params([channels], grouped.dtype.base_dtype, center, scale,
                                 param_initializers, variables_collections, trainable)
    beta, gamma = _reshaped(beta, broadcast), _reshaped(gamma, broadcast)
    if mean_close_to_zero:
      counts, mean_ss, variance_ss, _ = tf.nn.sufficient_statistics(
          grouped, moments_axes, keepdims=True)
      mean, variance = tf.nn.normalize_moments(counts, mean_ss, variance_ss, shift=None)
    else:
      mean, variance = tf.nn.moments(grouped, moments_axes, keepdims=True)
    gain = tf.math.rsqrt(variance + epsilon)
    offset = -mean * gain
    if gamma is not None:
      gain *= gamma
      offset *= gamma
    if beta is not None:
      offset += beta
    outputs = tf.reshape(grouped * gain + offset, shape)
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)


@add_arg_scope
def unit_norm(inputs, dim, epsilon=1e-7, scope=None):
  """Divides `inputs` by its L2 norm along `dim`: `x / sqrt(eps + sum(x**2))`.

  Args:
    inputs: a tensor of known rank.
    dim: the axis to normalize along, in [0, rank).
    epsilon: added under the square root.
    scope: the variable scope (default 'UnitNorm').

  Raises:
    ValueError: unknown rank, or `dim` not in [0, rank).
  """
  layer = 'unit_norm'
  inputs = _common.to_tensor(layer, inputs)
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: The input rank must be known.' % layer)
  if not 0 <= dim < rank:
    raise ValueError('%s: dim must be positive but smaller than the input rank (%d), '
                     'received %r' % (layer, rank, dim))
  with tf.compat.v1.variable_scope(scope, 'UnitNorm', [inputs]):
    lengths = tf.sqrt(epsilon + tf.reduce_sum(tf.square(inputs), dim, keepdims=True))
    return tf.math.divide(inputs, lengths)


def poincare_normalize(x, axis=1, epsilon=1e-5, name=None):
  """Projects `x` into the Poincaré ball: slices along `axis` whose norm is
  above `1 - epsilon` are scaled to norm `1 - epsilon`, others are unchanged.

  Args:
    x: a tensor.
    axis: an axis or list of axes along which to normalize.
    epsilon: distance kept from the unit sphere.
    name: the name scope (default 'poincare_normalize').

  Returns:
    A tensor of the shape of `x`.
  """
  with tf.compat.v1.name_scope(name, 'poincare_normalize', [x]) as name:
    x = tf.convert_to_tensor(x, name='x')
    square_sum = tf.reduce_sum(tf.square(x), axis, keepdims=True)
    inverse_norm = tf.minimum((1. - epsilon) * tf.math.rsqrt(square_sum), 1.)
    return tf.multiply(x, inverse_norm, name=name)
