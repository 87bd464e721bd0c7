"""What the Inception networks share: the arg scope, tables of layers, and heads.

An Inception trunk is a table: a sequence of layers, each an end point named by
its scope. `Conv`, `MaxPool` and `AvgPool` stand for one slim layer each (a
stride or padding left as None comes from the arg scope); `Call` is a layer
built by a function; `Mixed` is an Inception module, whose branches (tuples of
layers applied in turn) are built under 'Branch_0', 'Branch_1', ... and
concatenated along the channels; `Fork` applies its layers to the same input
and concatenates them (the 1x3 / 3x1 pairs of Inception v3 and v4). Depths in
the tables are nominal: `build_end_points` thins them with the network's depth
function.

    TRUNK = (
        Conv('Conv2d_1a_7x7', 64, [7, 7], stride=2),
        Mixed('Mixed_3b', [(Conv('Conv2d_0a_1x1', 64, [1, 1]),),
                           (MaxPool('MaxPool_0a_3x3', [3, 3]),
                            Conv('Conv2d_0b_1x1', 32, [1, 1]))]),
    )
    net, done = build_end_points(images, TRUNK, end_points, final_endpoint)
"""
import collections

import tensorflow as tf

import slim
from slim.nets import _common

__all__ = ['AvgPool', 'Call', 'Conv', 'Fork', 'MaxPool', 'Mixed', 'add_aux_logits',
           'add_logits', 'batch_norm_params', 'build_end_points', 'check_aux_logits_input',
           'classification_head', 'concat_branches', 'end_point_names', 'inception_arg_scope',
           'mixed_block', 'reduced_kernel_size_for_small_input']


def batch_norm_params(decay, epsilon, updates_collections, scale, fused=None,
                      var_collection=None):
  """The batch-norm arguments of the Inception arg scopes; `var_collection`
  names an extra collection for the moving statistics."""
  params = {
      'decay': decay,
      'epsilon': epsilon,
      'updates_collections': updates_collections,
      'fused': fused,
      'scale': scale,
  }
  if var_collection:
    params['variables_collections'] = {
        'beta': None,
        'gamma': None,
        'moving_mean': [var_collection],
        'moving_variance': [var_collection],
    }
  return params


def inception_arg_scope(weight_decay=0.00004,
                        use_batch_norm=True,
                        batch_norm_decay=0.9997,
                        batch_norm_epsilon=0.001,
                        activation_fn=tf.nn.relu,
                        batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
                        batch_norm_scale=False,
                        batch_norm_var_collection=None,
                        use_fused_batchnorm=None):
  """The Inception arg scope: L2 weight decay, He initialization, batch norm, relu.

  Inception-v4 was trained under it (`inception_v4_arg_scope` is this function).

  Args:
    weight_decay: L2 regularization scale of conv and fully connected weights.
    use_batch_norm: normalize the convolutions with batch norm (default True).
    batch_norm_decay: moving-average decay of batch norm (0.9997).
    batch_norm_epsilon: added to the variance in batch norm (0.001).
    activation_fn: activation of the convolutions (default relu).
    batch_norm_updates_collections: where batch norm puts its update ops.
    batch_norm_scale: give batch norm a `gamma` (default False).
    batch_norm_var_collection: an extra collection for the moving mean and
      variance (TF-Slim's arg scopes use 'moving_vars'); None for none.
    use_fused_batchnorm: use the fused batch-norm kernel (None: when possible).

  Returns:
    An arg_scope to build the Inception networks in.
  """
  normalizer_params = batch_norm_params(
      batch_norm_decay, batch_norm_epsilon, batch_norm_updates_collections, batch_norm_scale,
      use_fused_batchnorm, batch_norm_var_collection) if use_batch_norm else {}
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay)):
    with slim.arg_scope([slim.conv2d],
                        weights_initializer=slim.variance_scaling_initializer(),
                        activation_fn=activation_fn,
                        normalizer_fn=slim.batch_norm if use_batch_norm else None,
                        normalizer_params=normalizer_params) as sc:
      return sc


# The layers of the tables; `stride` and `padding` left as None come from the arg scope.
Conv = collections.namedtuple('Conv', ['scope', 'depth', 'kernel', 'stride', 'padding',
                                       'stddev'], defaults=(None, None, None))
MaxPool = collections.namedtuple('MaxPool', ['scope', 'kernel', 'stride', 'padding'],
                                 defaults=(None, None))
AvgPool = collections.namedtuple('AvgPool', ['scope', 'kernel', 'stride', 'padding'],
                                 defaults=(None, None))
Fork = collections.namedtuple('Fork', ['layers'])
Mixed = collections.namedtuple('Mixed', ['scope', 'branches'])
# A layer made by `build(net, scope, depth)`, for what the other kinds do not say.
Call = collections.namedtuple('Call', ['scope', 'build'])

_POOLS = {MaxPool: 'max_pool2d', AvgPool: 'avg_pool2d'}  # looked up on `slim` when used


def _identity(depth):
  return depth


def _stride_and_padding(layer):
  return {name: value for name, value in (('stride', layer.stride), ('padding', layer.padding))
          if value is not None}


def _apply_layer(net, layer, depth, axis):
  if isinstance(layer, Conv):
    params = _stride_and_padding(layer)
    if layer.stddev is not None:
      params['weights_initializer'] = _common.trunc_normal(layer.stddev)
    return slim.conv2d(net, depth(layer.depth), layer.kernel, scope=layer.scope, **params)
  if isinstance(layer, Fork):
    return tf.concat([_apply_layer(net, part, depth, axis) for part in layer.layers], axis)
  if isinstance(layer, Mixed):
    with tf.compat.v1.variable_scope(layer.scope, values=[net]):
      return concat_branches(net, layer.branches, depth, axis)
  if isinstance(layer, Call):
    return layer.build(net, layer.scope, depth)
  pool = _POOLS.get(type(layer))
  if pool is None:
    raise TypeError('Inception table: unknown layer %r; expected Conv, MaxPool, AvgPool, '
                    'Fork, Mixed or Call' % (layer,))
  return getattr(slim, pool)(net, layer.kernel, scope=layer.scope, **_stride_and_padding(layer))


def concat_branches(net, branches, depth=_identity, axis=3):
  """Builds each branch (a sequence of layers) on `net` in scope 'Branch_<i>';
  concatenates the outputs along `axis`."""
  outputs = []
  for index, branch in enumerate(branches):
    with tf.compat.v1.variable_scope('Branch_%d' % index):
      branch_net = net
      for layer in branch:
        branch_net = _apply_layer(branch_net, layer, depth, axis)
      outputs.append(branch_net)
  return tf.concat(outputs, axis)


def mixed_block(inputs, branches, scope, default_name, reuse=None):
  """A module as a function of its own (research/slim's `block_inception_a`,
  ...): `concat_branches` in the variable scope `scope` (or `default_name`),
  with stride 1 and SAME padding unless a layer says otherwise."""
  with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1,
                      padding='SAME'):
    with tf.compat.v1.variable_scope(scope, default_name, [inputs], reuse=reuse):
      return concat_branches(inputs, branches)


def end_point_names(layers):
  """The end points a table makes, in order: the scopes of its layers."""
  return [layer.scope for layer in layers]


def build_end_points(net, layers, end_points, final_endpoint, depth=_identity, axis=3):
  """Applies `layers` in turn, recording each output in `end_points` under the
  layer's scope, and stops after `final_endpoint`.

  Args:
    net: the input.
    layers: a table (a sequence of layers).
    end_points: the dict to record the outputs in.
    final_endpoint: the scope of the last layer to build.
    depth: maps the nominal depths of the table to those built (default: as is).
    axis: the channel axis, along which branches are concatenated (default 3).

  Returns:
    The last output and whether `final_endpoint` was reached.
  """
  for layer in layers:
    net = end_points[layer.scope] = _apply_layer(net, layer, depth, axis)
    if layer.scope == final_endpoint:
      return net, True
  return net, False


def reduced_kernel_size_for_small_input(input_tensor, kernel_size):
  """`kernel_size` capped at the (static) height and width of `input_tensor`;
  unchanged when they are unknown."""
  shape = input_tensor.get_shape().as_list()
  if shape[1] is None or shape[2] is None:
    return kernel_size
  return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def classification_head(net, end_points, head, num_classes, dropout_keep_prob, spatial_squeeze,
                        global_pool, prediction_fn):
  """The head of Inception v1-v3: pooling, dropout, 1x1 logits and predictions,
  in scope 'Logits'.

  Args:
    net: the output of the base network.
    end_points: the end points, updated with the pooled features ('global_pool'
      or `head['pool_end_point']`), 'PreLogits' if `head['pre_logits']`,
      'Logits' and 'Predictions'.
    head: the family's names: 'pool_kernel' (nominal), 'reduce_kernel' (cap it
      for small inputs), 'pool_stride' (None: the layer's default),
      'pool_scope' (formatted with the kernel size), 'pool_end_point',
      'global_pool_name', 'dropout_scope', 'logits_scope', 'pre_logits',
      'predictions_in_logits_scope'.
    num_classes, dropout_keep_prob, spatial_squeeze, global_pool,
    prediction_fn: of the network.

  Returns:
    (net, end_points): the logits, or the pooled features when `num_classes`
    is 0 or None.
  """
  with tf.compat.v1.variable_scope('Logits'):
    if global_pool:
      net = _common.global_pool(net, end_points, name=head['global_pool_name'])
    else:
      kernel_size = head['pool_kernel']
      if head['reduce_kernel']:
        kernel_size = reduced_kernel_size_for_small_input(net, kernel_size)
      stride = {} if head['pool_stride'] is None else {'stride': head['pool_stride']}
      net = slim.avg_pool2d(net, kernel_size, padding='VALID',
                            scope=head['pool_scope'].format(*kernel_size), **stride)
      end_points[head['pool_end_point']] = net
    if not num_classes:
      return net, end_points
    net = slim.dropout(net, keep_prob=dropout_keep_prob, scope=head['dropout_scope'])
    if head['pre_logits']:
      end_points['PreLogits'] = net
    logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                         scope=head['logits_scope'])
    if spatial_squeeze:
      logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
    end_points['Logits'] = logits
    if head['predictions_in_logits_scope']:
      end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  if not head['predictions_in_logits_scope']:
    end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points


def check_aux_logits_input(network, inputs):
  """Raises ValueError unless `inputs` has a static height and width, which the
  auxiliary head of Inception-v4 and Inception-ResNet-v2 needs (its last
  convolution spans the whole map)."""
  shape = tf.TensorShape(inputs.shape)
  if shape.rank != 4 or shape[1:3].is_fully_defined():
    return  # a wrong rank is reported by the first layer
  raise ValueError('%s: the auxiliary logits need inputs of known height and width, '
                   'received shape %s; pass create_aux_logits=False for images of '
                   'unknown size' % (network, shape))


def add_aux_logits(end_points, source, num_classes, pool_scope, conv_scope, logits_scope):
  """The auxiliary classifier of Inception-v4 and Inception-ResNet-v2 on
  `end_points[source]`, in scope 'AuxLogits', recorded as
  `end_points['AuxLogits']`: a 5x5/3 average pool, a 1x1 conv to 128 channels,
  a conv over the whole remaining map to 768, linear logits."""
  with tf.compat.v1.variable_scope('AuxLogits'):
    net = slim.avg_pool2d(end_points[source], [5, 5], stride=3, padding='VALID',
                          scope=pool_scope)
    net = slim.conv2d(net, 128, [1, 1], stride=1, padding='SAME', scope='Conv2d_1b_1x1')
    net = slim.conv2d(net, 768, net.get_shape()[1:3], stride=1, padding='VALID',
                      scope=conv_scope)
    net = slim.flatten(net)
    end_points['AuxLogits'] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                   scope=logits_scope)


def add_logits(net, end_points, num_classes, pool_scope, pre_logits):
  """The classifier of Inception-v4 and Inception-ResNet-v2, in scope 'Logits':
  the global average pool ('global_pool': a VALID pool in `pool_scope` when the
  map's size is static, else a mean); then, when `num_classes` is set,
  `pre_logits(net)` (dropout and flatten, in the network's order;
  'PreLogitsFlatten'), linear logits ('Logits') and their softmax
  ('Predictions').

  Returns:
    The logits, or the pooled features when `num_classes` is 0 or None.
  """
  with tf.compat.v1.variable_scope('Logits'):
    kernel_size = net.get_shape()[1:3]
    if kernel_size.is_fully_defined():
      net = slim.avg_pool2d(net, kernel_size, padding='VALID', scope=pool_scope)
    else:
      net = tf.reduce_mean(net, axis=[1, 2], keepdims=True, name='global_pool')
    end_points['global_pool'] = net
    if not num_classes:
      return net
    net = end_points['PreLogitsFlatten'] = pre_logits(net)
    logits = end_points['Logits'] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                         scope='Logits')
    end_points['Predictions'] = tf.nn.softmax(logits, name='Predictions')
    return logits
