"""A variant of the CIFAR-10 network of the TensorFlow tutorial, as research/slim
defines it, for 32 x 32 images.

Two 5x5 convolutions with 64 channels, each with a 2x2 max pool and local
response normalization, then fully connected layers of 384 and 192 units and
the logits:

    with slim.arg_scope(cifarnet.cifarnet_arg_scope()):
      logits, end_points = cifarnet.cifarnet(images, num_classes=10, is_training=True)
"""
import tensorflow as tf

import slim
from slim.nets import registry

__all__ = ['cifarnet', 'cifarnet_arg_scope']


def trunc_normal(stddev):
  """A truncated-normal initializer of standard deviation `stddev`."""
  return tf.compat.v1.truncated_normal_initializer(stddev=stddev)


def _lrn(net, name):
  return tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)


def cifarnet_arg_scope(weight_decay=0.004):
  """The arg scope of CifarNet: relu everywhere; conv2d initialized with a
  truncated normal of stddev 0.05; fully_connected with stddev 0.04, biases
  0.1 and L2 weight decay.

  Args:
    weight_decay: L2 scale of the fully connected weights. Default 0.004.

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  with slim.arg_scope([slim.conv2d], weights_initializer=trunc_normal(5e-2),
                      activation_fn=tf.nn.relu):
    with slim.arg_scope([slim.fully_connected],
                        biases_initializer=tf.compat.v1.constant_initializer(0.1),
                        weights_initializer=trunc_normal(0.04),
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=tf.nn.relu) as scope:
      return scope


# No published checkpoint; trained on CIFAR-10 by research/slim's scripts.
@registry.register_network('cifarnet', arg_scope=cifarnet_arg_scope, default_image_size=32,
                           preprocessing='cifarnet', num_classes=10)
def cifarnet(images, num_classes=10, is_training=False,
             dropout_keep_prob=0.5,
             prediction_fn=slim.softmax,
             scope='CifarNet'):
  """CifarNet for classification.

  Creates `conv1`, `conv2`, `fc3`, `fc4` and `logits` (weights and biases
  each); `logits` has its own initializers and no weight decay.

  Args:
    images: a tensor `[batch, 32, 32, channels]` (other sizes change the size of
      `fc3`); the batch size may be unknown.
    num_classes: number of classes; 0 or None omits the logits and returns the
      192 features of `fc4`. Default 10.
    is_training: whether the dropout drops. Default False.
    dropout_keep_prob: fraction kept by the dropout after `fc3`. Default 0.5.
    prediction_fn: maps the logits to 'Predictions'. Default softmax.
    scope: the variable scope. Default 'CifarNet'.

  Returns:
    The logits `[batch, num_classes]` (or the `fc4` features) and the dict of
    end points: 'conv1', 'pool1', 'conv2', 'pool2', 'Flatten', 'fc3', 'fc4',
    'Logits', 'Predictions'.
  """
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'CifarNet', [images]):
    # 32 x 32 x channels
    net = end_points['conv1'] = slim.conv2d(images, 64, [5, 5], scope='conv1')
    net = end_points['pool1'] = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
    net = _lrn(net, 'norm1')
    # 16 x 16 x 64
    net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
    net = _lrn(net, 'norm2')
    net = end_points['pool2'] = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    # 8 x 8 x 64
    net = end_points['Flatten'] = slim.flatten(net)
    # 4096
    net = end_points['fc3'] = slim.fully_connected(net, 384, scope='fc3')
    net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout3')
    net = end_points['fc4'] = slim.fully_connected(net, 192, scope='fc4')
    if not num_classes:
      return net, end_points
    logits = end_points['Logits'] = slim.fully_connected(
        net, num_classes, biases_initializer=tf.compat.v1.zeros_initializer(),
        weights_initializer=trunc_normal(1 / 192.0), weights_regularizer=None,
        activation_fn=None, scope='logits')
    end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points
