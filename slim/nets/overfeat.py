"""OverFeat (Sermanet et al., 2014, http://arxiv.org/abs/1312.6229), the fast model.

The fully connected layers are convolutions: classify 231 x 231 images, or run
fully convolutionally on larger ones with `spatial_squeeze=False`.

    with slim.arg_scope(overfeat.overfeat_arg_scope()):
      logits, end_points = overfeat.overfeat(images, num_classes=1000)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry

__all__ = ['overfeat', 'overfeat_arg_scope']

# tf_slim's and research/slim's module-level initializer helper.
trunc_normal = _common.trunc_normal


def overfeat_arg_scope(weight_decay=0.0005):
  """The OverFeat arg scope: relu, zero biases, L2 weight decay, SAME
  convolutions and VALID max pooling.

  Args:
    weight_decay: the L2 regularization scale of the weights (default 0.0005).

  Returns:
    An arg_scope to build `overfeat` in.
  """
  return _common.conv_classifier_arg_scope(
      weight_decay, tf.compat.v1.zeros_initializer(), max_pool_padding='VALID')


# No published checkpoint: the 1000 classes of its definition.
@registry.register_network('overfeat', arg_scope=overfeat_arg_scope, default_image_size=231,
                           preprocessing='vgg', num_classes=1000, labels_offset=1,
                           small_build=registry.SmallBuild(231, any_image_size=True))
def overfeat(inputs,
             num_classes=1000,
             is_training=True,
             dropout_keep_prob=0.5,
             spatial_squeeze=True,
             scope='overfeat',
             global_pool=False):
  inputs = _common.check_images('overfeat', inputs)
  _common.check_num_classes('overfeat', num_classes)
  with _common.end_points_scope('overfeat', inputs, scope) as (sc, end_points_collection):
    # 231 x 231 x 3
    net = slim.conv2d(inputs, 64, [11, 11], 4, padding='VALID', scope='conv1')
    # 56 x 56 x 64
    net = slim.max_pool2d(net, [2, 2], scope='pool1')
    net = slim.conv2d(net, 256, [5, 5], padding='VALID', scope='conv2')
    # 24 x 24 x 256
    net = slim.max_pool2d(net, [2, 2], scope='pool2')
    net = slim.conv2d(net, 512, [3, 3], scope='conv3')
    net = slim.conv2d(net, 1024, [3, 3], scope='conv4')
    net = slim.conv2d(net, 1024, [3, 3], scope='conv5')
    # 12 x 12 x 1024
    net = slim.max_pool2d(net, [2, 2], scope='pool5')
    # 6 x 6 x 1024
    return _common.conv_classifier(
        net, sc, end_points_collection, num_classes, is_training, dropout_keep_prob,
        spatial_squeeze, global_pool, fc6_kernel_size=[6, 6], fc6_depth=3072,
        fc_weights_stddev=0.005)


overfeat.__doc__ = _common.conv_classifier_doc(
    'The OverFeat network; 231 x 231 images', 'overfeat',
    "'overfeat/conv1' ... 'conv5', 'fc6', 'fc7', 'fc8'", 'overfeat/conv1')
