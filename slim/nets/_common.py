"""Helpers shared by the network definitions: argument checks made before any
variable exists, depth functions, and the classification heads that several
families have in common."""
import contextlib
import functools

import tensorflow as tf

import slim
from slim import _checks

__all__ = ['check_depth_multiplier', 'check_final_endpoint', 'check_images',
           'check_num_classes', 'conv_classifier', 'conv_classifier_arg_scope',
           'conv_classifier_doc', 'depth_fn', 'end_points_scope', 'global_pool',
           'trunc_normal', 'wrapped_partial']


def trunc_normal(stddev):
  """A truncated normal initializer of mean 0 and standard deviation `stddev`."""
  return tf.compat.v1.truncated_normal_initializer(0.0, stddev)


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
  """Returns `num_classes`: a positive int, or 0 or None for the features before
  the logits; else ValueError."""
  return _checks.check_count(network, 'num_classes', num_classes, allow_none=True,
                             allow_zero=True)


def check_depth_multiplier(network, depth_multiplier):
  """Returns `depth_multiplier`, a number > 0; else ValueError (TF-Slim's words
  kept for a number <= 0)."""
  _checks.check_number(network, 'depth_multiplier', depth_multiplier)
  if not depth_multiplier > 0:
    raise ValueError('%s: depth_multiplier is not greater than zero, received %r'
                     % (network, depth_multiplier))
  return depth_multiplier


def check_final_endpoint(network, final_endpoint, end_point_names):
  """Raises ValueError unless `final_endpoint` is one of `end_point_names`."""
  if final_endpoint not in end_point_names:
    raise ValueError('%s: Unknown final endpoint %r; expected one of %s'
                     % (network, final_endpoint, ', '.join(end_point_names)))


def _with_defaults(func, defaults):
  """`func` whose keyword arguments default to `defaults` (a call may override them)."""

  @functools.wraps(func)
  def wrapper(*args, **kwargs):
    return func(*args, **dict(defaults, **kwargs))

  return wrapper


def wrapped_partial(func, *args, new_defaults=None, **kwargs):
  """research/slim's `functools.partial` of a network function that keeps the
  function's name, docstring and attributes (such as `default_image_size`).

  `args` and `kwargs` are bound as by `functools.partial`; `new_defaults`
  (MobileNet v3's) are keyword defaults that a call may still override, e.g.
  `wrapped_partial(mobilenet, new_defaults={'scope': 'MobilenetEdgeTPU'})`.
  """
  if new_defaults:
    func = _with_defaults(func, dict(new_defaults))
  partial_func = functools.partial(func, *args, **kwargs)
  functools.update_wrapper(partial_func, func)
  return partial_func


def depth_fn(depth_multiplier, min_depth):
  """The thinned depth of a layer: `max(int(d * depth_multiplier), min_depth)`."""
  return lambda d: max(int(d * depth_multiplier), min_depth)


def global_pool(net, end_points, name='global_pool'):
  """Average over height and width (kept as 1 x 1); recorded as 'global_pool'."""
  net = tf.reduce_mean(net, [1, 2], keepdims=True, name=name)
  end_points['global_pool'] = net
  return net


def conv_classifier_arg_scope(weight_decay, biases_initializer, max_pool_padding=None):
  """The arg scope of AlexNet, OverFeat and VGG: relu, L2 weight decay and
  `biases_initializer` on conv2d and fully_connected; SAME convolutions; and,
  if given, `max_pool_padding` for max pooling."""
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      activation_fn=tf.nn.relu,
                      weights_regularizer=slim.l2_regularizer(weight_decay),
                      biases_initializer=biases_initializer):
    with slim.arg_scope([slim.conv2d], padding='SAME') as arg_sc:
      if max_pool_padding is None:
        return arg_sc
      with slim.arg_scope([slim.max_pool2d], padding=max_pool_padding) as arg_sc:
        return arg_sc


@contextlib.contextmanager
def end_points_scope(network, inputs, scope, reuse=None):
  """The variable scope of a network whose end points are the outputs of its
  conv2d, fully_connected and max_pool2d layers, gathered in a collection.

  Yields:
    (the variable scope, the name of the end points collection).
  """
  with tf.compat.v1.variable_scope(scope, network, [inputs], reuse=reuse) as sc:
    end_points_collection = sc.original_name_scope + '_end_points'
    with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.max_pool2d],
                        outputs_collections=end_points_collection):
      yield sc, end_points_collection


_CONV_CLASSIFIER_DOC = """%(summary)s.

  Variables: %(variables)s,
  each with `weights` and `biases`.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    num_classes: number of classes (default 1000). If 0 or None, the logits
      layer is omitted and its input features (before dropout) are returned.
    is_training: whether dropout is active (default True).
    dropout_keep_prob: probability of keeping activations in dropout (0.5).
    spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True).
    scope: the variable scope (default '%(name)s').
    global_pool: average the features over space before the logits, for any
      input size (default False).

  Returns:
    (net, end_points): the logits (or the features when `num_classes` is 0 or
    None), and a dict of the outputs of every layer keyed by its scope name
    ('%(first)s', ..., '%(name)s/fc8').

  Raises:
    ValueError: `inputs` not of rank 4, or a wrong `num_classes`.
  """


def conv_classifier_doc(summary, name, variables, first_end_point):
  """The docstring of a network with `conv_classifier`'s head (AlexNet, OverFeat)."""
  return _CONV_CLASSIFIER_DOC % {'summary': summary, 'name': name, 'variables': variables,
                                 'first': first_end_point}


def conv_classifier(net, scope, end_points_collection, num_classes, is_training,
                    dropout_keep_prob, spatial_squeeze, pool, fc6_kernel_size, fc6_depth,
                    fc6_padding='VALID', fc_weights_stddev=None):
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
    fc_weights_stddev: if set (AlexNet, OverFeat), fc6-fc8 weights start from
      a truncated normal of this deviation, fc6 and fc7 biases at 0.1 and fc8
      biases at 0.

  Returns:
    (net, end_points): the logits, or the input to the logits layer when
    `num_classes` is 0 or None.
  """
  initializers, fc8_params = {}, {}
  if fc_weights_stddev is not None:
    initializers = {'weights_initializer': trunc_normal(fc_weights_stddev),
                    'biases_initializer': tf.compat.v1.constant_initializer(0.1)}
    fc8_params = {'biases_initializer': tf.compat.v1.zeros_initializer()}
  with slim.arg_scope([slim.conv2d], **initializers):
    net = slim.conv2d(net, fc6_depth, fc6_kernel_size, padding=fc6_padding, scope='fc6')
    net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout6')
    net = slim.conv2d(net, 4096, [1, 1], scope='fc7')
    end_points = slim.utils.convert_collection_to_dict(end_points_collection)
    if pool:
      net = global_pool(net, end_points)
    if num_classes:
      net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout7')
      net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                        scope='fc8', **fc8_params)
      if spatial_squeeze:
        net = tf.squeeze(net, [1, 2], name='fc8/squeezed')
      end_points[scope.name + '/fc8'] = net
  return net, end_points
