"""Inception blocks as data, shared by Inception-v4 and Inception-ResNet-v2.

A block is a list of branches and a branch is a tuple of layers applied in
turn. `Conv`, `MaxPool` and `AvgPool` each stand for one slim layer; `Fork`
applies its layers to the same input and concatenates their outputs (the split
towers of Inception-C); `Mixed` is a whole block in its own scope, whose
branches are built under `Branch_0`, `Branch_1`, ... and concatenated along
the channels. A network's trunk is then a sequence of such layers, each an end
point named by its scope (`build_end_points`).

    _REDUCTION = [
        (Conv('Conv2d_1a_3x3', 384, 3, stride=2, padding='VALID'),),
        (MaxPool('MaxPool_1a_3x3', 3, stride=2, padding='VALID'),),
    ]
    net = concat_branches(net, _REDUCTION)   # Branch_0/Conv2d_1a_3x3/weights, ...

The heads (auxiliary logits, global pooling) and the batch-norm parameters
of both networks' arg scopes are here too.
"""
import collections

import tensorflow as tf

import slim

__all__ = ['AvgPool', 'Conv', 'Fork', 'MaxPool', 'Mixed', 'add_aux_logits', 'add_logits',
           'apply_layers', 'batch_norm_params', 'build_end_points', 'check_aux_logits_input',
           'check_final_endpoint', 'concat_branches', 'global_pool', 'mixed_block']

Conv = collections.namedtuple('Conv', ['scope', 'depth', 'kernel', 'stride', 'padding'],
                              defaults=(1, 'SAME'))
MaxPool = collections.namedtuple('MaxPool', ['scope', 'kernel', 'stride', 'padding'],
                                 defaults=(1, 'SAME'))
AvgPool = collections.namedtuple('AvgPool', ['scope', 'kernel', 'stride', 'padding'],
                                 defaults=(1, 'SAME'))
Fork = collections.namedtuple('Fork', ['layers'])
Mixed = collections.namedtuple('Mixed', ['scope', 'branches'])

_POOLS = {MaxPool: 'max_pool2d', AvgPool: 'avg_pool2d'}  # looked up on `slim` when used


def _apply_layer(net, layer):
  if isinstance(layer, Conv):
    return slim.conv2d(net, layer.depth, layer.kernel, stride=layer.stride,
                       padding=layer.padding, scope=layer.scope)
  if isinstance(layer, Fork):
    return tf.concat([_apply_layer(net, part) for part in layer.layers], axis=3)
  if isinstance(layer, Mixed):
    return mixed_block(net, layer.branches, layer.scope, None)
  pool = _POOLS.get(type(layer))
  if pool is None:
    raise TypeError('Inception block: unknown layer %r; expected Conv, MaxPool, AvgPool, '
                    'Fork or Mixed' % (layer,))
  return getattr(slim, pool)(net, layer.kernel, stride=layer.stride, padding=layer.padding,
              scope=layer.scope)


def apply_layers(net, layers):
  """Applies a sequence of layers (a branch) to `net`."""
  for layer in layers:
    net = _apply_layer(net, layer)
  return net


def concat_branches(net, branches):
  """Builds each branch on `net` in scope `Branch_<i>`; concatenates the outputs."""
  outputs = []
  for index, branch in enumerate(branches):
    with tf.compat.v1.variable_scope('Branch_%d' % index):
      outputs.append(apply_layers(net, branch))
  return tf.concat(outputs, axis=3)


def mixed_block(inputs, branches, scope, default_name, reuse=None):
  """`concat_branches` inside the variable scope `scope` (or `default_name`)."""
  with tf.compat.v1.variable_scope(scope, default_name, [inputs], reuse=reuse):
    return concat_branches(inputs, branches)


def build_end_points(net, layers, final_endpoint, end_points):
  """Applies `layers` in turn, recording each output in `end_points` under the
  layer's scope, and stops after `final_endpoint`.

  Returns:
    The last output and whether `final_endpoint` was reached.
  """
  for layer in layers:
    net = end_points[layer.scope] = _apply_layer(net, layer)
    if layer.scope == final_endpoint:
      return net, True
  return net, False


def check_final_endpoint(network, final_endpoint, end_points):
  """Raises ValueError unless `final_endpoint` is one of `end_points`."""
  if final_endpoint not in end_points:
    raise ValueError('%s: Unknown final endpoint %r; expected one of %s'
                     % (network, final_endpoint, ', '.join(end_points)))


def check_aux_logits_input(network, inputs):
  """Raises ValueError unless `inputs` has a static height and width, which the
  auxiliary head needs (its last convolution spans the whole map)."""
  shape = tf.TensorShape(inputs.shape)
  if shape.rank != 4 or shape[1:3].is_fully_defined():
    return  # a wrong rank is reported by the first layer
  raise ValueError('%s: the auxiliary logits need inputs of known height and width, '
                   'received shape %s; pass create_aux_logits=False for images of '
                   'unknown size' % (network, shape))


def add_aux_logits(end_points, source, num_classes, pool_scope, conv_scope, logits_scope):
  """Adds the auxiliary classifier on `end_points[source]` in scope 'AuxLogits'
  and records it as `end_points['AuxLogits']`: a 5x5/3 average pool, a 1x1 conv
  to 128 channels, a conv over the whole remaining map to 768, linear logits."""
  with tf.compat.v1.variable_scope('AuxLogits'):
    net = slim.avg_pool2d(end_points[source], [5, 5], stride=3, padding='VALID',
                          scope=pool_scope)
    net = slim.conv2d(net, 128, [1, 1], stride=1, padding='SAME', scope='Conv2d_1b_1x1')
    net = slim.conv2d(net, 768, net.get_shape()[1:3], stride=1, padding='VALID',
                      scope=conv_scope)
    net = slim.flatten(net)
    end_points['AuxLogits'] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                   scope=logits_scope)


def global_pool(net, pool_scope):
  """Average over the whole map: a VALID pool when its size is static, else
  `reduce_mean` (op 'global_pool'). Keeps the 1 x 1 spatial dimensions."""
  kernel_size = net.get_shape()[1:3]
  if kernel_size.is_fully_defined():
    return slim.avg_pool2d(net, kernel_size, padding='VALID', scope=pool_scope)
  return tf.reduce_mean(net, axis=[1, 2], keepdims=True, name='global_pool')


def add_logits(net, end_points, num_classes, pool_scope, pre_logits):
  """The classifier, in scope 'Logits': the global average pool
  ('global_pool'); then, when `num_classes` is set, `pre_logits(net)` (dropout
  and flatten, in the network's order; 'PreLogitsFlatten'), linear logits
  ('Logits') and their softmax ('Predictions').

  Returns:
    The logits, or the pooled features when `num_classes` is 0 or None.
  """
  with tf.compat.v1.variable_scope('Logits'):
    net = end_points['global_pool'] = global_pool(net, pool_scope)
    if not num_classes:
      return net
    net = end_points['PreLogitsFlatten'] = pre_logits(net)
    logits = end_points['Logits'] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                         scope='Logits')
    end_points['Predictions'] = tf.nn.softmax(logits, name='Predictions')
    return logits


def batch_norm_params(decay, epsilon, updates_collections, scale):
  """The batch-norm arguments of the Inception arg scopes (fused where possible)."""
  return {
      'decay': decay,
      'epsilon': epsilon,
      'updates_collections': updates_collections,
      'fused': None,
      'scale': scale,
  }
