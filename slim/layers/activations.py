"""Activation-like layers: softmax over the last axis, spatial softmax (expected
feature positions), maxout, and a gradient-scaling identity."""
import tensorflow as tf

from slim import _checks
from slim.layers import _common
from slim.layers import utils
from slim.ops import variables
from slim.ops.arg_scope import add_arg_scope

__all__ = ['maxout', 'scale_gradient', 'softmax', 'spatial_softmax']


@add_arg_scope
def softmax(logits, scope=None):
  """Softmax over the last axis of `logits` of any rank >= 2.

  Args:
    logits: a tensor of rank >= 2 with a known last dimension (the classes).
    scope: the variable scope (default 'softmax').

  Returns:
    A tensor of the shape and dtype of `logits`.

  Raises:
    ValueError: `logits` has rank < 2 or an unknown last dimension.
  """
  layer = 'softmax'
  logits = _common.to_tensor(layer, logits, 'logits')
  _common.check_min_rank(layer, logits, 2, 'logits')
  num_logits = _common.known_dimension(layer, logits, -1, 'last dimension')
  with tf.compat.v1.variable_scope(scope, 'softmax', [logits]):
    predictions = tf.nn.softmax(tf.reshape(logits, [-1, num_logits]))
    predictions = tf.reshape(predictions, tf.shape(logits))
    predictions.set_shape(logits.get_shape())
    return predictions


@add_arg_scope
def spatial_softmax(features,
                    temperature=None,
                    name=None,
                    variables_collections=None,
                    trainable=True,
                    data_format='NHWC'):
  """The expected image position of each channel under its spatial softmax
  (Finn et al., 2016: deep spatial autoencoders).

  Each channel's softmax over the `H x W` positions (divided by a temperature)
  weights a grid of coordinates in [-1, 1]; the result lists, per channel, the
  expected coordinates along height and width: `[i1, j1, ..., iN, jN]`.
  Creates the scalar model variable `temperature` (initialized to
  `temperature`, or 1 if None) in the variable scope `name` (default
  'spatial_softmax').

  Args:
    features: a 4-d feature map, NHWC or NCHW, with known channels.
    temperature: the initial softmax temperature; None for 1.
    name: the variable scope.
    variables_collections: list or dict (key 'temperature') of collections.
    trainable: whether the temperature is trained.
    data_format: 'NHWC' or 'NCHW'.

  Returns:
    A `[batch, 2 * channels]` tensor of keypoints.

  Raises:
    ValueError: a bad data_format, or unknown channels.
  """
  layer = 'spatial_softmax'
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  features = _common.to_tensor(layer, features, 'features')
  _common.check_rank(layer, features, (4,), 'features')
  channels_first = data_format == _common.DATA_FORMAT_NCHW
  num_channels = tf.compat.dimension_value(features.get_shape()[1 if channels_first else 3])
  if num_channels is None:
    raise ValueError('%s: The num_channels dimension of the inputs to `spatial_softmax` '
                     'should be defined. Found `None` (shape %s).'
                     % (layer, features.get_shape()))
  with tf.compat.v1.variable_scope(name, 'spatial_softmax'):
    shape = tf.shape(features)
    height, width = (shape[2], shape[3]) if channels_first else (shape[1], shape[2])
    with tf.name_scope('spatial_softmax_op'):
      pos_x, pos_y = tf.meshgrid(tf.linspace(-1., 1., num=height),
                                 tf.linspace(-1., 1., num=width), indexing='ij')
      pos_x = tf.reshape(pos_x, [height * width])
      pos_y = tf.reshape(pos_y, [height * width])
      initializer = (tf.compat.v1.ones_initializer() if temperature is None else
                     tf.compat.v1.constant_initializer(temperature))
      collections = (utils.get_variable_collections(variables_collections, 'temperature')
                     if trainable else None)
      temperature = variables.model_variable('temperature', shape=(), dtype=tf.float32,
                                             initializer=initializer,
                                             collections=collections, trainable=trainable)
      if not channels_first:
        features = tf.transpose(features, [0, 3, 1, 2])
      attention = tf.nn.softmax(tf.reshape(features, [-1, height * width]) / temperature)
      expected_x = tf.reduce_sum(pos_x * attention, [1], keepdims=True)
      expected_y = tf.reduce_sum(pos_y * attention, [1], keepdims=True)
      keypoints = tf.reshape(tf.concat([expected_x, expected_y], 1), [-1, num_channels * 2])
      keypoints.set_shape([None, num_channels * 2])
  return keypoints


@add_arg_scope
def maxout(inputs, num_units, axis=-1, scope=None):
  """Maxout (Goodfellow et al., 2013): the maximum over each of `num_units`
  groups of consecutive features along `axis`.

  Args:
    inputs: a tensor whose size along `axis` is known and a multiple of
      `num_units`.
    num_units: the number of features left along `axis`.
    axis: the axis to pool (default the last).
    scope: the variable scope (default 'MaxOut').

  Returns:
    The tensor with `num_units` features along `axis`.

  Raises:
    ValueError: `num_units` is not a positive int, or the size along `axis` is
      not a multiple of it.
  """
  layer = 'maxout'
  _checks.check_count(layer, 'num_units', num_units)
  inputs = _common.to_tensor(layer, inputs)
  with tf.compat.v1.variable_scope(scope, 'MaxOut', [inputs]):
    shape = inputs.get_shape().as_list()
    num_channels = shape[axis]
    if num_channels is None or num_channels % num_units:
      raise ValueError('%s: number of features(%s) is not a multiple of num_units(%d)'
                       % (layer, num_channels, num_units))
    shape[axis] = num_units
    shape += [num_channels // num_units]
    dynamic_shape = tf.shape(inputs)
    shape = [dynamic_shape[i] if dim is None else dim for i, dim in enumerate(shape)]
    return tf.reduce_max(tf.reshape(inputs, shape), -1, keepdims=False)


@tf.custom_gradient
def _scaled_identity(inputs, gradient_multiplier):

  def grad(upstream):
    return upstream * gradient_multiplier, None

  return tf.identity(inputs), grad


def scale_gradient(inputs, gradient_multiplier):
  """Identity whose gradient is multiplied by `gradient_multiplier`.

  Lets part of a network learn at another rate (or not at all, with 0)
  without touching the optimizer.

  Args:
    inputs: a tensor.
    gradient_multiplier: a tensor broadcastable to `inputs`.

  Returns:
    A tensor equal to `inputs`.
  """
  inputs = tf.convert_to_tensor(inputs)
  return _scaled_identity(inputs, tf.convert_to_tensor(gradient_multiplier,
                                                       dtype_hint=inputs.dtype))
