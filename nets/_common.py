"""Helpers shared by the network definitions: argument checks made before any
variable exists, depth functions, stage-by-stage building with end points, and
the classification heads that several families have in common."""
import tensorflow as tf

import slim

__all__ = ['check_depth_multiplier', 'check_final_endpoint', 'check_images',
           'check_num_classes', 'conv_classifier', 'depth_fn', 'global_pool', 'named_network',
           'softmax', 'trunc_normal']


def trunc_normal(stddev):
  """A truncated normal initializer of mean 0 and standard deviation `stddev`."""
  return tf.compat.v1.truncated_normal_initializer(0.0, stddev)


def softmax(logits, scope=None):
  """Softmax over the last axis of N-d `logits` (the default `prediction_fn`).

  Builds the ops of TF-Slim's `softmax` layer under `scope` (default
  'softmax'): `Reshape` to 2-d, `Softmax`, `Reshape_1` back, so graphs keep
  their familiar output names ('InceptionV3/Predictions/Reshape_1').

  Args:
    logits: a tensor of rank >= 2 whose last dimension is known.
    scope: optional name scope.

  Returns:
    The probabilities, a tensor of the shape and type of `logits`.
  """
  logits = tf.convert_to_tensor(logits)
  with tf.compat.v1.variable_scope(scope, 'softmax', [logits]):
    num_logits = slim.utils.last_dimension(logits.get_shape(), min_rank=2)
    predictions = tf.nn.softmax(tf.reshape(logits, [-1, num_logits]))
    predictions = tf.reshape(predictions, tf.shape(logits))
    if not tf.executing_eagerly():
      predictions.set_shape(logits.get_shape())
    return predictions


def check_images(network, inputs):
  """`inputs` as a tensor of rank 4 ([batch, height, width, channels])."""
  try:
    inputs = tf.convert_to_tensor(inputs)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: inputs must be a tensor of images, received %r (%s)'
                    % (network, inputs, error)) from None
  if inputs.get_shape().ndims != 4:
    raise ValueError('%s: inputs must have rank 4 [batch, height, width, channels], '
                     'received shape %s' % (network, inputs.get_shape()))
  return inputs


def check_num_classes(network, num_classes):
  """`num_classes` must be a positive int, or 0/None for the pre-logits features."""
  if num_classes is None or (isinstance(num_classes, int) and not isinstance(num_classes, bool)
                             and num_classes >= 0):
    return num_classes
  raise ValueError('%s: num_classes must be a positive int, or 0 or None for the features '
                   'before the logits, received %r' % (network, num_classes))


def check_depth_multiplier(network, depth_multiplier):
  """Raises ValueError unless `depth_multiplier` > 0 (TF-Slim's words kept)."""
  if not depth_multiplier > 0:
    raise ValueError('%s: depth_multiplier is not greater than zero, received %r'
                     % (network, depth_multiplier))


def check_final_endpoint(network, final_endpoint, end_point_names):
  """Raises ValueError unless `final_endpoint` is one of `end_point_names`."""
  if final_endpoint not in end_point_names:
    raise ValueError('%s: Unknown final endpoint %r; expected one of %s'
                     % (network, final_endpoint, ', '.join(end_point_names)))


def named_network(network, name, doc, default_image_size):
  """Gives a network function made by a variant factory its public identity:
  name, docstring and `default_image_size`; returns it."""
  network.__name__ = network.__qualname__ = name
  network.__doc__ = doc
  network.default_image_size = default_image_size
  return network


def depth_fn(depth_multiplier, min_depth):
  """The thinned depth of a layer: `max(int(d * depth_multiplier), min_depth)`."""
  return lambda d: max(int(d * depth_multiplier), min_depth)


def global_pool(net, end_points, name='global_pool'):
  """Average over height and width (kept as 1 x 1); recorded as 'global_pool'."""
  net = tf.reduce_mean(net, [1, 2], keepdims=True, name=name)
  end_points['global_pool'] = net
  return net


def conv_classifier(net, scope, end_points_collection, num_classes, is_training,
                    dropout_keep_prob, spatial_squeeze, pool, fc6_kernel_size, fc6_depth,
                    fc6_padding='VALID', fc8_params=None):
  """The head of AlexNet, OverFeat and VGG: fully connected layers as convolutions.

  fc6 (`fc6_kernel_size`, `fc6_padding`), dropout6, fc7 (1x1, 4096); then, if
  `pool`, a global average pool; then, if `num_classes`, dropout7 and fc8
  (1x1, no activation), squeezed to [batch, num_classes] if `spatial_squeeze`.

  Args:
    net: the output of the last pooling layer.
    scope: the network's variable scope (its name keys fc8 in the end points).
    end_points_collection: the collection the network's layers add their
      outputs to; turned into the end points after fc7.
    num_classes, is_training, dropout_keep_prob, spatial_squeeze: of the network.
    pool: apply global average pooling before the logits.
    fc6_kernel_size, fc6_depth, fc6_padding: the first fully connected layer.
    fc8_params: extra keyword arguments of the logits layer.

  Returns:
    (net, end_points): the logits, or the input to the logits layer when
    `num_classes` is 0 or None.
  """
  net = slim.conv2d(net, fc6_depth, fc6_kernel_size, padding=fc6_padding, scope='fc6')
  net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout6')
  net = slim.conv2d(net, 4096, [1, 1], scope='fc7')
  end_points = slim.utils.convert_collection_to_dict(end_points_collection)
  if pool:
    net = global_pool(net, end_points)
  if num_classes:
    net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout7')
    net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                      scope='fc8', **(fc8_params or {}))
    if spatial_squeeze:
      net = tf.squeeze(net, [1, 2], name='fc8/squeezed')
    end_points[scope.name + '/fc8'] = net
  return net, end_points
