"""A variant of LeNet (LeCun et al. 1998), as research/slim defines it, for
28 x 28 digits such as MNIST.

Two 5x5 convolutions (32 and 64 channels, SAME) each followed by a 2x2 max
pool, a 1024-unit fully connected layer, dropout and the logits:

    with slim.arg_scope(lenet.lenet_arg_scope()):
      logits, end_points = lenet.lenet(images, num_classes=10, is_training=True)
"""
import tensorflow as tf

import slim
from slim.nets import registry

__all__ = ['lenet', 'lenet_arg_scope']


def lenet_arg_scope(weight_decay=0.0):
  """The arg scope of LeNet: relu, truncated-normal (stddev 0.1) initialization
  and L2 weight decay on conv2d and fully_connected.

  Args:
    weight_decay: L2 scale of the weights; 0 adds no regularization loss.
      Default 0.0.

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay),
                      weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
                      activation_fn=tf.nn.relu) as scope:
    return scope


# No published checkpoint; trained on MNIST (10 classes) by research/slim's scripts.
@registry.register_network('lenet', arg_scope=lenet_arg_scope, default_image_size=28,
                           preprocessing='lenet', num_classes=10)
def lenet(images, num_classes=10, is_training=False,
          dropout_keep_prob=0.5,
          prediction_fn=slim.softmax,
          scope='LeNet'):
  """LeNet for classification.

  Creates `conv1`, `conv2`, `fc3` and `fc4` (weights and biases each).

  Args:
    images: a tensor `[batch, 28, 28, channels]` (other sizes change the size of
      `fc3`); the batch size may be unknown.
    num_classes: number of classes; 0 or None omits dropout and logits and
      returns the 1024 features of `fc3`. Default 10.
    is_training: whether the dropout drops. Default False.
    dropout_keep_prob: fraction kept by the dropout. Default 0.5.
    prediction_fn: maps the logits to 'Predictions' (built outside `scope`).
      Default softmax.
    scope: the variable scope. Default 'LeNet'.

  Returns:
    The logits `[batch, num_classes]` (or the `fc3` features) and the dict of
    end points: 'conv1', 'pool1', 'conv2', 'pool2', 'Flatten', 'fc3',
    'dropout3', 'Logits', 'Predictions'.
  """
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'LeNet', [images]):
    # 28 x 28 x channels
    net = end_points['conv1'] = slim.conv2d(images, 32, [5, 5], scope='conv1')
    net = end_points['pool1'] = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
    # 14 x 14 x 32
    net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
    net = end_points['pool2'] = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    # 7 x 7 x 64
    net = end_points['Flatten'] = slim.flatten(net)
    # 3136
    net = end_points['fc3'] = slim.fully_connected(net, 1024, scope='fc3')
    if not num_classes:
      return net, end_points
    net = end_points['dropout3'] = slim.dropout(net, dropout_keep_prob,
                                                is_training=is_training, scope='dropout3')
    logits = end_points['Logits'] = slim.fully_connected(net, num_classes,
                                                         activation_fn=None, scope='fc4')
  end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points
