"""The Oxford VGG networks (Simonyan & Zisserman, http://arxiv.org/abs/1409.1556):
VGG-11 (configuration A), VGG-16 (D) and VGG-19 (E).

A network is a table: the number of 3x3 convolutions in each of its five
blocks (64, 128, 256, 512, 512 channels, each followed by 2x2 max pooling),
then the fully connected layers as convolutions.

    with slim.arg_scope(vgg.vgg_arg_scope()):
      logits, end_points = vgg.vgg_16(images, num_classes=1000)
"""
import tensorflow as tf

import slim
from slim.nets import _common

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


def _vgg(name, inputs, num_classes, is_training, dropout_keep_prob, spatial_squeeze, scope,
         fc_conv_padding, global_pool, reuse):
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


def _variant(name, layers, config):
  """The network function `name`, built from its row of CONVS_PER_BLOCK."""

  def network(inputs,
              num_classes=1000,
              is_training=True,
              dropout_keep_prob=0.5,
              spatial_squeeze=True,
              scope=name,
              fc_conv_padding='VALID',
              global_pool=False,
              reuse=None):
    return _vgg(name, inputs, num_classes, is_training, dropout_keep_prob, spatial_squeeze,
                scope, fc_conv_padding, global_pool, reuse)

  doc = _common.conv_classifier_doc(
      'VGG %d-layers, configuration %s; 224 x 224 images' % (layers, config), name,
      "'%s/conv1/conv1_1' ... '%s/conv5/conv5_%d', '%s/fc6', 'fc7', 'fc8'"
      % (name, name, CONVS_PER_BLOCK[name][-1], name),
      '%s/conv1/conv1_1' % name, vgg_arguments=True)
  return _common.named_network(network, name, doc, 224)


vgg_a = _variant('vgg_a', 11, 'A')
vgg_16 = _variant('vgg_16', 16, 'D')
vgg_19 = _variant('vgg_19', 19, 'E')

vgg_d = vgg_16
vgg_e = vgg_19
