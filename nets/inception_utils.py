"""What the Inception networks share: the arg scope, and tables of stages.

An Inception network is a sequence of named stages, each recorded as an end
point: single layers (`conv`, `max_pool`, `avg_pool`) and `mixed` modules whose
branches ('Branch_0', 'Branch_1', ...) run side by side and are concatenated
along the channels. A branch is a list of layers applied in order; `fork`
applies several layers to the same input and concatenates them (Inception v3's
1x3 / 3x1 pairs). Depths in the tables are nominal: `build_stages` thins them
with the network's depth function.

    STAGES = [
        ('Conv2d_1a_7x7', conv(64, [7, 7], stride=2)),
        ('Mixed_3b', mixed([conv(64, [1, 1], 'Conv2d_0a_1x1')],
                           [max_pool([3, 3], 'MaxPool_0a_3x3'),
                            conv(32, [1, 1], 'Conv2d_0b_1x1')])),
    ]
    net = build_stages(images, STAGES, end_points, final_endpoint, depth)
"""
import tensorflow as tf

import slim
from nets import _common

__all__ = ['avg_pool', 'build_stages', 'classification_head', 'conv', 'fork',
           'inception_arg_scope', 'max_pool', 'mixed', 'reduced_kernel_size_for_small_input']


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
  batch_norm_params = {
      'decay': batch_norm_decay,
      'epsilon': batch_norm_epsilon,
      'updates_collections': batch_norm_updates_collections,
      'fused': use_fused_batchnorm,
      'scale': batch_norm_scale,
  }
  if batch_norm_var_collection:
    batch_norm_params['variables_collections'] = {
        'beta': None,
        'gamma': None,
        'moving_mean': [batch_norm_var_collection],
        'moving_variance': [batch_norm_var_collection],
    }
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay)):
    with slim.arg_scope([slim.conv2d],
                        weights_initializer=slim.variance_scaling_initializer(),
                        activation_fn=activation_fn,
                        normalizer_fn=slim.batch_norm if use_batch_norm else None,
                        normalizer_params=batch_norm_params if use_batch_norm else {}) as sc:
      return sc


class _Layer(object):
  """One layer of a table: `kind` (conv, max_pool, avg_pool), its arguments, and
  its scope (None: the name of the stage it makes)."""

  def __init__(self, kind, args, scope, params):
    self.kind, self.args, self.scope, self.params = kind, args, scope, params

  def __call__(self, net, scope, depth, concat_axis):
    scope = self.scope or scope
    if self.kind == 'conv':
      num_outputs, kernel_size = self.args
      return slim.conv2d(net, depth(num_outputs), kernel_size, scope=scope, **self.params)
    pool = slim.max_pool2d if self.kind == 'max_pool' else slim.avg_pool2d
    return pool(net, self.args[0], scope=scope, **self.params)


def conv(num_outputs, kernel_size, scope=None, stddev=None, **params):
  """A `slim.conv2d` of `num_outputs` (nominal) channels; `stddev` sets a
  truncated normal initializer; `params` go to the layer (stride, padding)."""
  if stddev is not None:
    params['weights_initializer'] = _common.trunc_normal(stddev)
  return _Layer('conv', (num_outputs, kernel_size), scope, params)


def max_pool(kernel_size, scope=None, **params):
  """A `slim.max_pool2d`; `params` go to the layer (stride, padding)."""
  return _Layer('max_pool', (kernel_size,), scope, params)


def avg_pool(kernel_size, scope=None, **params):
  """A `slim.avg_pool2d`; `params` go to the layer (stride, padding)."""
  return _Layer('avg_pool', (kernel_size,), scope, params)


def fork(*layers):
  """Layers applied to the same input, their outputs concatenated."""

  def build(net, scope, depth, concat_axis):
    return tf.concat([layer(net, scope, depth, concat_axis) for layer in layers],
                     concat_axis)

  return build


def mixed(*branches):
  """An Inception module: each branch (a list of layers) in scope 'Branch_<i>',
  the branch outputs concatenated."""

  def build(net, scope, depth, concat_axis):
    outputs = []
    with tf.compat.v1.variable_scope(scope):
      for i, branch in enumerate(branches):
        with tf.compat.v1.variable_scope('Branch_%d' % i):
          branch_net = net
          for layer in branch:
            branch_net = layer(branch_net, None, depth, concat_axis)
          outputs.append(branch_net)
      return tf.concat(outputs, concat_axis)

  return build


def build_stages(net, stages, end_points, final_endpoint, depth=lambda d: d, concat_axis=3):
  """Builds `stages` (a list of (name, stage)) in order, recording each output in
  `end_points`, and stops after `final_endpoint`.

  Returns:
    The output of the last stage built.
  """
  for name, stage in stages:
    net = stage(net, name, depth, concat_axis)
    end_points[name] = net
    if name == final_endpoint:
      break
  return net


def reduced_kernel_size_for_small_input(input_tensor, kernel_size):
  """`kernel_size` capped at the (static) height and width of `input_tensor`;
  unchanged when they are unknown."""
  shape = input_tensor.get_shape().as_list()
  if shape[1] is None or shape[2] is None:
    return kernel_size
  return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def classification_head(net, end_points, head, num_classes, dropout_keep_prob, spatial_squeeze,
                        global_pool, prediction_fn):
  """Pooling, dropout, 1x1 logits and predictions, in scope 'Logits'.

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
