"""Models, data and device checks shared by the deployment tests."""
import numpy as np
import tensorflow as tf

import slim


def canonical_device(device):
  """A device string in one spelling ('GPU:0' and '/device:GPU:0' are the same)."""
  return tf.DeviceSpec.from_string(device or '').to_string()


def assert_device(actual, expected):
  assert canonical_device(actual) == canonical_device(expected), (actual, expected)


def logistic_classifier(inputs, labels, scope=None, reuse=None):
  with tf.compat.v1.variable_scope(scope, 'LogisticClassifier', [inputs, labels], reuse=reuse):
    predictions = slim.fully_connected(inputs, 1, activation_fn=tf.sigmoid,
                                       scope='fully_connected')
    tf.compat.v1.losses.log_loss(labels, predictions)
    return predictions


def batch_norm_classifier(inputs, labels, scope=None, reuse=None):
  with tf.compat.v1.variable_scope(scope, 'BatchNormClassifier', [inputs, labels],
                                   reuse=reuse):
    inputs = slim.batch_norm(inputs, decay=0.1, fused=True)
    predictions = slim.fully_connected(inputs, 1, activation_fn=tf.sigmoid,
                                       scope='fully_connected')
    tf.compat.v1.losses.log_loss(labels, predictions)
    return predictions


def small_net(images, weight_decay=0.01):
  """A small slim CNN (conv, pool, fc) with L2-regularized weights, no batch norm."""
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay)):
    net = slim.conv2d(images, 4, [3, 3], scope='conv1')
    net = slim.max_pool2d(net, [2, 2], scope='pool1')
    return slim.fully_connected(slim.flatten(net), 3, activation_fn=None, scope='logits')


def small_net_data(num_examples=16, seed=0):
  rng = np.random.RandomState(seed)
  images = rng.rand(num_examples, 6, 6, 2).astype(np.float32)
  labels = rng.randint(0, 3, size=num_examples)
  return images, labels


def small_net_clone_fn(batches):
  """A clone of small_net with a softmax loss; each call takes the next (images, labels)
  of the list `batches`: clone i sees batch i."""
  images, labels = batches.pop(0)
  logits = small_net(tf.constant(images))
  tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)


SMALL_NET_SHAPES = {'conv1/weights': (3, 3, 2, 4), 'conv1/biases': (4,),
                    'logits/weights': (36, 3), 'logits/biases': (3,)}


def small_net_initial_values(seed=1):
  """Fixed values for small_net's variables, so that separate runs start alike."""
  rng = np.random.RandomState(seed)
  return {name: (0.3 * rng.randn(*shape)).astype(np.float32)
          for name, shape in sorted(SMALL_NET_SHAPES.items())}
