"""AlexNet v2: the single-column network of "One weird trick for parallelizing
convolutional neural networks" (Krizhevsky, 2014), without LRN layers.

The fully connected layers are convolutions, so the network also runs fully
convolutionally on larger images (`spatial_squeeze=False`).

    with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
      logits, end_points = alexnet.alexnet_v2(images, num_classes=1000)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry

__all__ = ['alexnet_v2', 'alexnet_v2_arg_scope']

# tf_slim's and research/slim's module-level initializer helper.
trunc_normal = _common.trunc_normal


def alexnet_v2_arg_scope(weight_decay=0.0005):
  """The AlexNet v2 arg scope: relu, biases 0.1, L2 weight decay, SAME
  convolutions and VALID max pooling.

  Args:
    weight_decay: the L2 regularization scale of the weights (default 0.0005).

  Returns:
    An arg_scope to build `alexnet_v2` in.
  """
  return _common.conv_classifier_arg_scope(
      weight_decay, tf.compat.v1.constant_initializer(0.1), max_pool_padding='VALID')


# No published checkpoint: the 1000 classes of its definition.
@registry.register_network('alexnet_v2', arg_scope=alexnet_v2_arg_scope, default_image_size=224,
                           preprocessing='vgg', num_classes=1000, labels_offset=1,
                           small_build=registry.SmallBuild(224, any_image_size=True))
def alexnet_v2(inputs,
               num_classes=1000,
               is_training=True,
               dropout_keep_prob=0.5,
               spatial_squeeze=True,
               scope='alexnet_v2',
               global_pool=False):
  inputs = _common.check_images('alexnet_v2', inputs)
  _common.check_num_classes('alexnet_v2', num_classes)
  with _common.end_points_scope('alexnet_v2', inputs, scope) as (sc, end_points_collection):
    # 224 x 224 x 3
    net = slim.conv2d(inputs, 64, [11, 11], 4, padding='VALID', scope='conv1')
    # 54 x 54 x 64
    net = slim.max_pool2d(net, [3, 3], 2, scope='pool1')
    net = slim.conv2d(net, 192, [5, 5], scope='conv2')
    # 26 x 26 x 192
    net = slim.max_pool2d(net, [3, 3], 2, scope='pool2')
    net = slim.conv2d(net, 384, [3, 3], scope='conv3')
    net = slim.conv2d(net, 384, [3, 3], scope='conv4')
    net = slim.conv2d(net, 256, [3, 3], scope='conv5')
    # 12 x 12 x 256
    net = slim.max_pool2d(net, [3, 3], 2, scope='pool5')
    # 5 x 5 x 256
    return _common.conv_classifier(
        net, sc, end_points_collection, num_classes, is_training, dropout_keep_prob,
        spatial_squeeze, global_pool, fc6_kernel_size=[5, 5], fc6_depth=4096,
        fc_weights_stddev=0.005)


alexnet_v2.__doc__ = _common.conv_classifier_doc(
    'AlexNet version 2 (http://arxiv.org/abs/1404.5997); 224 x 224 images', 'alexnet_v2',
    "'alexnet_v2/conv1' ... 'conv5', 'fc6', 'fc7', 'fc8'", 'alexnet_v2/conv1')
