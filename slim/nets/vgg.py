"""The Oxford VGG networks (Simonyan & Zisserman, http://arxiv.org/abs/1409.1556):
VGG-11 (configuration A), VGG-16 (D) and VGG-19 (E).

A network is a table: the number of 3x3 convolutions in each of its five
blocks (64, 128, 256, 512, 512 channels, each followed by 2x2 max pooling),
then the fully connected layers as convolutions.

    with slim.arg_scope(vgg.vgg_arg_scope()):
      logits, end_points = vgg.vgg_16(images, num_classes=1000)

The three networks take the same arguments:
  inputs: a tensor [batch_size, height, width, channels] (224 x 224 images).
  num_classes: number of classes (default 1000). If 0 or None, the logits
    layer is omitted and its input features (fc7, before dropout) are returned.
  is_training: whether dropout is active (default True).
  dropout_keep_prob: probability of keeping activations in dropout (0.5).
  spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True).
  scope: the variable scope (default: the network's name).
  fc_conv_padding: padding of fc6 (default 'VALID'); 'SAME' gives a map of
    predictions at 1/32 of the input size in fully convolutional use.
  global_pool: average the features over space before the logits, for any
    input size (default False).
  reuse: reuse the variables of `scope`.
and return (net, end_points): the logits (or the features), and a dict of the
outputs of every layer keyed by its scope name ('vgg_16/conv1/conv1_1', ...,
'vgg_16/fc8'). They raise ValueError for `inputs` not of rank 4 or a wrong
`num_classes`, before any variable is made.
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry

__all__ = ['vgg_a', 'vgg_16', 'vgg_19', 'vgg_d', 'vgg_e', 'vgg_arg_scope']

# Output depth of the convolutions of each block.
BLOCK_DEPTHS = (64, 128, 256, 512, 512)

# Convolutions per block, by network.
CONVS_PER_BLOCK = {
    'vgg_a': (1, 1, 2, 2, 2),
    'vgg_16': (2, 2, 3, 3, 3),
    'vgg_19': (2, 2, 4, 4, 4),
}


def vgg_arg_scope(weight_decay=0.0005):
  """The VGG arg scope: relu, zero biases, L2 weight decay, SAME convolutions.

  Args:
    weight_decay: the L2 regularization scale of the weights (default 0.0005).

  Returns:
    An arg_scope to build the VGG networks in.
  """
  return _common.conv_classifier_arg_scope(weight_decay, tf.compat.v1.zeros_initializer())


def _vgg(name, inputs, *, num_classes, is_training, dropout_keep_prob, spatial_squeeze, scope,
         fc_conv_padding, global_pool, reuse):
  """Builds the VGG network `name` from its row of CONVS_PER_BLOCK."""
  inputs = _common.check_images(name, inputs)
  _common.check_num_classes(name, num_classes)
  with _common.end_points_scope(name, inputs, scope, reuse) as (sc, end_points_collection):
    net = inputs
    # 224 x 224 x 3, halved by each block, to 7 x 7 x 512.
    for block, (depth, convs) in enumerate(zip(BLOCK_DEPTHS, CONVS_PER_BLOCK[name]), 1):
      net = slim.repeat(net, convs, slim.conv2d, depth, [3, 3], scope='conv%d' % block)
      net = slim.max_pool2d(net, [2, 2], scope='pool%d' % block)
    return _common.conv_classifier(
        net, sc, end_points_collection, num_classes, is_training, dropout_keep_prob,
        spatial_squeeze, global_pool, fc6_kernel_size=[7, 7], fc6_depth=4096,
        fc6_padding=fc_conv_padding)


# Converted from Caffe: 1000 classes, no background class.
_REGISTRATION = dict(arg_scope=vgg_arg_scope, default_image_size=224, preprocessing='vgg',
                     num_classes=1000, labels_offset=1,
                     small_build=registry.SmallBuild(224, any_image_size=True))


@registry.register_network('vgg_a', **_REGISTRATION)
def vgg_a(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
          spatial_squeeze=True, scope='vgg_a', fc_conv_padding='VALID', global_pool=False,
          reuse=None):
  """VGG 11-layers, configuration A: 'vgg_a/conv1/conv1_1' ... 'conv5/conv5_2',
  'fc6', 'fc7', 'fc8' (weights and biases each). Arguments: see the module."""
  return _vgg('vgg_a', inputs, num_classes=num_classes, is_training=is_training,
              dropout_keep_prob=dropout_keep_prob, spatial_squeeze=spatial_squeeze,
              scope=scope, fc_conv_padding=fc_conv_padding, global_pool=global_pool,
              reuse=reuse)


@registry.register_network('vgg_16', **_REGISTRATION)
def vgg_16(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
           spatial_squeeze=True, scope='vgg_16', fc_conv_padding='VALID', global_pool=False,
           reuse=None):
  """VGG 16-layers, configuration D: 'vgg_16/conv1/conv1_1' ... 'conv5/conv5_3',
  'fc6', 'fc7', 'fc8' (weights and biases each). Arguments: see the module."""
  return _vgg('vgg_16', inputs, num_classes=num_classes, is_training=is_training,
              dropout_keep_prob=dropout_keep_prob, spatial_squeeze=spatial_squeeze,
              scope=scope, fc_conv_padding=fc_conv_padding, global_pool=global_pool,
              reuse=reuse)


@registry.register_network('vgg_19', **_REGISTRATION)
def vgg_19(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
           spatial_squeeze=True, scope='vgg_19', fc_conv_padding='VALID', global_pool=False,
           reuse=None):
  """VGG 19-layers, configuration E: 'vgg_19/conv1/conv1_1' ... 'conv5/conv5_4',
  'fc6', 'fc7', 'fc8' (weights and biases each). Arguments: see the module."""
  return _vgg('vgg_19', inputs, num_classes=num_classes, is_training=is_training,
              dropout_keep_prob=dropout_keep_prob, spatial_squeeze=spatial_squeeze,
              scope=scope, fc_conv_padding=fc_conv_padding, global_pool=global_pool,
              reuse=reuse)


vgg_d = vgg_16
vgg_e = vgg_19
