"""AlexNet v2: the single-column network of "One weird trick for parallelizing
convolutional neural networks" (Krizhevsky, 2014), without LRN layers.

The fully connected layers are convolutions, so the network also runs fully
convolutionally on larger images (`spatial_squeeze=False`).

    with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
      logits, end_points = alexnet.alexnet_v2(images, num_classes=1000)
"""
import tensorflow as tf

import slim
from nets import _common

__all__ = ['alexnet_v2', 'alexnet_v2_arg_scope']


def alexnet_v2_arg_scope(weight_decay=0.0005):
  """The AlexNet v2 arg scope: relu, biases 0.1, L2 weight decay, SAME
  convolutions and VALID max pooling.

  Args:
    weight_decay: the L2 regularization scale of the weights (default 0.0005).

  Returns:
    An arg_scope to build `alexnet_v2` in.
  """
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      activation_fn=tf.nn.relu,
                      biases_initializer=tf.compat.v1.constant_initializer(0.1),
                      weights_regularizer=slim.l2_regularizer(weight_decay)):
    with slim.arg_scope([slim.conv2d], padding='SAME'):
      with slim.arg_scope([slim.max_pool2d], padding='VALID') as arg_sc:
        return arg_sc


def alexnet_v2(inputs,
               num_classes=1000,
               is_training=True,
               dropout_keep_prob=0.5,
               spatial_squeeze=True,
               scope='alexnet_v2',
               global_pool=False):
  """AlexNet version 2 (http://arxiv.org/abs/1404.5997); 224 x 224 images.

  Variables: 'alexnet_v2/conv1' ... 'conv5', 'fc6', 'fc7', 'fc8', each with
  `weights` and `biases`.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    num_classes: number of classes (default 1000). If 0 or None, the logits
      layer is omitted and its input features (before dropout) are returned.
    is_training: whether dropout is active (default True).
    dropout_keep_prob: probability of keeping activations in dropout (0.5).
    spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True).
    scope: the variable scope (default 'alexnet_v2').
    global_pool: average the features over space before the logits, for any
      input size (default False).

  Returns:
    (net, end_points): the logits (or the features when `num_classes` is 0 or
    None), and a dict of the outputs of every layer keyed by its scope name
    ('alexnet_v2/conv1', ..., 'alexnet_v2/fc8').

  Raises:
    ValueError: `inputs` not of rank 4, or a wrong `num_classes`.
  """
  inputs = _common.check_images('alexnet_v2', inputs)
  _common.check_num_classes('alexnet_v2', num_classes)
  with tf.compat.v1.variable_scope(scope, 'alexnet_v2', [inputs]) as sc:
    end_points_collection = sc.original_name_scope + '_end_points'
    with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.max_pool2d],
                        outputs_collections=[end_points_collection]):
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
      with slim.arg_scope([slim.conv2d],
                          weights_initializer=_common.trunc_normal(0.005),
                          biases_initializer=tf.compat.v1.constant_initializer(0.1)):
        return _common.conv_classifier(
            net, sc, end_points_collection, num_classes, is_training, dropout_keep_prob,
            spatial_squeeze, global_pool, fc6_kernel_size=[5, 5], fc6_depth=4096,
            fc8_params={'biases_initializer': tf.compat.v1.zeros_initializer()})


alexnet_v2.default_image_size = 224
