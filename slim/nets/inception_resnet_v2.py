"""Inception-ResNet-v2, as research/slim defines it (Szegedy et al. 2016,
arXiv:1602.07261).

A stem up to Mixed_5b, 10 x block35, Mixed_6a, 20 x block17, Mixed_7a,
10 x block8 and a 1x1 convolution to 1536 channels, then an auxiliary head on
PreAuxLogits and the logits. Blocks are tables of branches
(`nets.inception_utils`); a residual block adds `scale` times a linear 1x1
projection of its concatenated branches to its input. The published
checkpoint (inception_resnet_v2_2016_08_30) has 1001 classes (class 0 is
background) and was trained under `inception_resnet_v2_arg_scope()`:

    with slim.arg_scope(inception_resnet_v2.inception_resnet_v2_arg_scope()):
      logits, end_points = inception_resnet_v2.inception_resnet_v2(
          images, num_classes=1001, is_training=False)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import inception_utils
from slim.nets import registry
from slim.nets.inception_utils import AvgPool, Conv, MaxPool, Mixed

__all__ = ['block17', 'block35', 'block8', 'inception_resnet_v2',
           'inception_resnet_v2_arg_scope', 'inception_resnet_v2_base']

_NETWORK = 'inception_resnet_v2'

_END_POINTS = ('Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3',
               'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a',
               'PreAuxLogits', 'Mixed_7a', 'Conv2d_7b_1x1')

# 35 x 35 x 192 -> 35 x 35 x 320
_MIXED_5B = [
    (Conv('Conv2d_1x1', 96, 1),),
    (Conv('Conv2d_0a_1x1', 48, 1), Conv('Conv2d_0b_5x5', 64, 5)),
    (Conv('Conv2d_0a_1x1', 64, 1), Conv('Conv2d_0b_3x3', 96, 3), Conv('Conv2d_0c_3x3', 96, 3)),
    (AvgPool('AvgPool_0a_3x3', 3), Conv('Conv2d_0b_1x1', 64, 1)),
]

# The branches of the residual blocks (35 x 35 x 320, 17 x 17 x 1088, 8 x 8 x 2080).
_BLOCK35 = [
    (Conv('Conv2d_1x1', 32, 1),),
    (Conv('Conv2d_0a_1x1', 32, 1), Conv('Conv2d_0b_3x3', 32, 3)),
    (Conv('Conv2d_0a_1x1', 32, 1), Conv('Conv2d_0b_3x3', 48, 3), Conv('Conv2d_0c_3x3', 64, 3)),
]
_BLOCK17 = [
    (Conv('Conv2d_1x1', 192, 1),),
    (Conv('Conv2d_0a_1x1', 128, 1), Conv('Conv2d_0b_1x7', 160, [1, 7]),
     Conv('Conv2d_0c_7x1', 192, [7, 1])),
]
_BLOCK8 = [
    (Conv('Conv2d_1x1', 192, 1),),
    (Conv('Conv2d_0a_1x1', 192, 1), Conv('Conv2d_0b_1x3', 224, [1, 3]),
     Conv('Conv2d_0c_3x1', 256, [3, 1])),
]


def _stem(padding):
  """299 x 299 x 3 -> 35 x 35 x 320 (sizes for VALID `padding`)."""
  return (
      Conv('Conv2d_1a_3x3', 32, 3, stride=2, padding=padding),  # 149 x 149 x 32
      Conv('Conv2d_2a_3x3', 32, 3, padding=padding),            # 147 x 147 x 32
      Conv('Conv2d_2b_3x3', 64, 3),                             # 147 x 147 x 64
      MaxPool('MaxPool_3a_3x3', 3, stride=2, padding=padding),  # 73 x 73 x 64
      Conv('Conv2d_3b_1x1', 80, 1, padding=padding),            # 73 x 73 x 80
      Conv('Conv2d_4a_3x3', 192, 3, padding=padding),           # 71 x 71 x 192
      MaxPool('MaxPool_5a_3x3', 3, stride=2, padding=padding),  # 35 x 35 x 192
      Mixed('Mixed_5b', _MIXED_5B),                             # 35 x 35 x 320
  )


def _mixed_6a(stride, padding):
  """35 x 35 x 320 -> 17 x 17 x 1088 (stride 2), or 33 x 33 x 1088 (stride 1)."""
  return Mixed('Mixed_6a', [
      (Conv('Conv2d_1a_3x3', 384, 3, stride=stride, padding=padding),),
      (Conv('Conv2d_0a_1x1', 256, 1), Conv('Conv2d_0b_3x3', 256, 3),
       Conv('Conv2d_1a_3x3', 384, 3, stride=stride, padding=padding)),
      (MaxPool('MaxPool_1a_3x3', 3, stride=stride, padding=padding),),
  ])


def _mixed_7a(padding):
  """17 x 17 x 1088 -> 8 x 8 x 2080."""
  return Mixed('Mixed_7a', [
      (Conv('Conv2d_0a_1x1', 256, 1), Conv('Conv2d_1a_3x3', 384, 3, stride=2, padding=padding)),
      (Conv('Conv2d_0a_1x1', 256, 1), Conv('Conv2d_1a_3x3', 288, 3, stride=2, padding=padding)),
      (Conv('Conv2d_0a_1x1', 256, 1), Conv('Conv2d_0b_3x3', 288, 3),
       Conv('Conv2d_1a_3x3', 320, 3, stride=2, padding=padding)),
      (MaxPool('MaxPool_1a_3x3', 3, stride=2, padding=padding),),
  ])


def _residual_block(net, branches, scale, activation_fn, scope, default_name, reuse):
  """net + scale * (linear 1x1 projection of the branches back to net's depth),
  then `activation_fn`. With relu6 the scaled residual is clipped to [-6, 6]."""
  with tf.compat.v1.variable_scope(scope, default_name, [net], reuse=reuse):
    net = tf.convert_to_tensor(net)
    mixed = inception_utils.concat_branches(net, branches)
    up = slim.conv2d(mixed, net.get_shape()[3], 1, normalizer_fn=None, activation_fn=None,
                     scope='Conv2d_1x1')
    scaled_up = up * scale
    if activation_fn == tf.nn.relu6:  # pylint: disable=comparison-with-callable
      scaled_up = tf.clip_by_value(scaled_up, -6.0, 6.0)
    net += scaled_up
    if activation_fn:
      net = activation_fn(net)
  return net


def block35(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 35 x 35 residual block (Inception-ResNet-A); default scope 'Block35'.

  Creates three branches (1x1; 1x1, 3x3; 1x1, 3x3, 3x3) and the projection
  `Conv2d_1x1` (weights and biases). `net` must have a static depth.
  """
  return _residual_block(net, _BLOCK35, scale, activation_fn, scope, 'Block35', reuse)


def block17(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 17 x 17 residual block (Inception-ResNet-B); default scope 'Block17'.

  Creates two branches (1x1; 1x1, 1x7, 7x1) and the projection `Conv2d_1x1`.
  """
  return _residual_block(net, _BLOCK17, scale, activation_fn, scope, 'Block17', reuse)


def block8(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 8 x 8 residual block (Inception-ResNet-C); default scope 'Block8'.

  Creates two branches (1x1; 1x1, 1x3, 3x1) and the projection `Conv2d_1x1`.
  """
  return _residual_block(net, _BLOCK8, scale, activation_fn, scope, 'Block8', reuse)


def _check_base_arguments(final_endpoint, output_stride):
  function = 'inception_resnet_v2_base'
  if output_stride not in (8, 16):
    raise ValueError('%s: output_stride must be 8 or 16, received %r'
                     % (function, output_stride))
  _common.check_final_endpoint(function, final_endpoint, _END_POINTS)
  if output_stride == 8 and (
      _END_POINTS.index(final_endpoint) > _END_POINTS.index('PreAuxLogits')):
    raise ValueError('%s: output_stride==8 is only supported up to the PreAuxlogits '
                     'end_point for now; received final_endpoint=%r'
                     % (function, final_endpoint))


def inception_resnet_v2_base(inputs,
                             final_endpoint='Conv2d_7b_1x1',
                             output_stride=16,
                             align_feature_maps=False,
                             scope=None,
                             activation_fn=tf.nn.relu):
  """Builds Inception-ResNet-v2 from `inputs` up to `final_endpoint`.

  Args:
    inputs: a tensor `[batch, height, width, channels]`.
    final_endpoint: the last end point to build, one of 'Conv2d_1a_3x3',
      'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3', 'Conv2d_3b_1x1',
      'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a', 'PreAuxLogits',
      'Mixed_7a', 'Conv2d_7b_1x1'. Default 'Conv2d_7b_1x1'.
    output_stride: 16, or 8 for atrous block17s (then only up to
      'PreAuxLogits'). Default 16.
    align_feature_maps: use SAME instead of VALID padding everywhere, so that
      feature maps align with the input. Default False.
    scope: the variable scope; default 'InceptionResnetV2'.
    activation_fn: activation of the residual blocks. Default tf.nn.relu.

  Returns:
    The output of `final_endpoint` and the dict of end points built so far.

  Raises:
    ValueError: an unknown `final_endpoint`, `output_stride` not 8 or 16, or
      `output_stride` 8 with an end point after 'PreAuxLogits' (all before any
      variable is created).
  """
  _check_base_arguments(final_endpoint, output_stride)
  padding = 'SAME' if align_feature_maps else 'VALID'
  use_atrous = output_stride == 8
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'InceptionResnetV2', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                        stride=1, padding='SAME'):
      # 299 x 299 x 3 -> 35 x 35 x 320
      net, done = inception_utils.build_end_points(inputs, _stem(padding), end_points,
                                                    final_endpoint)
      if done:
        return net, end_points
      net = slim.repeat(net, 10, block35, scale=0.17, activation_fn=activation_fn)

      # 35 x 35 x 320 -> 17 x 17 x 1088 (33 x 33 x 1088 at output stride 8)
      net, done = inception_utils.build_end_points(
          net, [_mixed_6a(1 if use_atrous else 2, padding)], end_points, final_endpoint)
      if done:
        return net, end_points
      with slim.arg_scope([slim.conv2d], rate=2 if use_atrous else 1):
        net = slim.repeat(net, 20, block17, scale=0.10, activation_fn=activation_fn)
      end_points['PreAuxLogits'] = net
      if final_endpoint == 'PreAuxLogits':
        return net, end_points

      # 17 x 17 x 1088 -> 8 x 8 x 2080
      net, done = inception_utils.build_end_points(net, [_mixed_7a(padding)], end_points,
                                                   final_endpoint)
      if done:
        return net, end_points
      net = slim.repeat(net, 9, block8, scale=0.20, activation_fn=activation_fn)
      net = block8(net, activation_fn=None)

      # 8 x 8 x 2080 -> 8 x 8 x 1536
      net = end_points['Conv2d_7b_1x1'] = slim.conv2d(net, 1536, 1, scope='Conv2d_7b_1x1')
  return net, end_points


def inception_resnet_v2_arg_scope(
    weight_decay=0.00004,
    batch_norm_decay=0.9997,
    batch_norm_epsilon=0.001,
    activation_fn=tf.nn.relu,
    batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
    batch_norm_scale=False):
  """The arg scope Inception-ResNet-v2 was trained with.

  L2 weight decay on the weights and biases of conv2d and fully_connected;
  conv2d gets `activation_fn` and batch norm.

  Args:
    weight_decay: L2 scale of weights and biases. Default 0.00004.
    batch_norm_decay: decay of the moving averages. Default 0.9997.
    batch_norm_epsilon: added to the variance. Default 0.001.
    activation_fn: activation of the convolutions. Default tf.nn.relu.
    batch_norm_updates_collections: collection of the moving-average updates.
      Default UPDATE_OPS.
    batch_norm_scale: give batch norm a `gamma`. Default False (the published
      checkpoint has none).

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  regularizer = slim.l2_regularizer(weight_decay)
  with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=regularizer,
                      biases_regularizer=regularizer):
    with slim.arg_scope([slim.conv2d], activation_fn=activation_fn,
                        normalizer_fn=slim.batch_norm,
                        normalizer_params=inception_utils.batch_norm_params(
                            batch_norm_decay, batch_norm_epsilon,
                            batch_norm_updates_collections, batch_norm_scale)) as scope:
      return scope


@registry.register_network(
    'inception_resnet_v2', arg_scope=inception_resnet_v2_arg_scope, default_image_size=299,
    preprocessing='inception', num_classes=1001, small_build=registry.SmallBuild(107))
def inception_resnet_v2(inputs, num_classes=1001, is_training=True,
                        dropout_keep_prob=0.8,
                        reuse=None,
                        scope='InceptionResnetV2',
                        create_aux_logits=True,
                        activation_fn=tf.nn.relu):
  """Inception-ResNet-v2 for classification.

  Args:
    inputs: a tensor `[batch, height, width, 3]`; the batch size may be
      unknown, and height and width too when `create_aux_logits` is False.
    num_classes: number of classes; 0 or None omits the logits (and the
      auxiliary head) and returns the globally pooled features
      `[batch, 1, 1, 1536]`. Default 1001.
    is_training: training mode of batch norm and dropout. Default True.
    dropout_keep_prob: fraction kept by the dropout before the logits. Default 0.8.
    reuse: reuse the variables of `scope`.
    scope: the variable scope. Default 'InceptionResnetV2'.
    create_aux_logits: add the auxiliary head on PreAuxLogits. Default True.
    activation_fn: activation of the residual blocks. Default tf.nn.relu.

  Returns:
    The logits `[batch, num_classes]` (or the pre-logits features) and the dict
    of end points: those of `inception_resnet_v2_base`, 'AuxLogits',
    'global_pool', 'PreLogitsFlatten' (after dropout), 'Logits', 'Predictions'.

  Raises:
    ValueError: the auxiliary head is asked for and the height or width of
      `inputs` is unknown.
  """
  with_aux = bool(create_aux_logits and num_classes)
  if with_aux:
    inception_utils.check_aux_logits_input(_NETWORK, inputs)
  with tf.compat.v1.variable_scope(scope, 'InceptionResnetV2', [inputs],
                                   reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_resnet_v2_base(inputs, scope=scope,
                                                 activation_fn=activation_fn)
      if with_aux:
        # 17 x 17 x 1088 -> 5 x 5 x 128 -> 1 x 1 x 768 -> num_classes
        inception_utils.add_aux_logits(end_points, 'PreAuxLogits', num_classes,
                                       pool_scope='Conv2d_1a_3x3', conv_scope='Conv2d_2a_5x5',
                                       logits_scope='Logits')

      # 8 x 8 x 1536 -> 1 x 1 x 1536 -> 1536, dropout -> num_classes
      logits = inception_utils.add_logits(
          net, end_points, num_classes, 'AvgPool_1a_8x8', lambda net: slim.dropout(
              slim.flatten(net), dropout_keep_prob, is_training=is_training, scope='Dropout'))
  return logits, end_points
