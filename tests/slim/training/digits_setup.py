"""What the TF2 training tests share: the digits, a small LeNet-like net, its
loss and its metric inputs."""
import functools

import numpy as np
import tensorflow as tf

import slim


@functools.lru_cache(maxsize=None)
def digits():
  """The digits at 28x28 as floats in [0, 1]: ((train_x, train_y), (test_x, test_y)),
  1500 / 297 examples (the `datasets` split)."""
  from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
  splits = download_and_convert_digits.load_splits()
  return tuple((images.astype(np.float32) / 255.0, labels)
               for images, labels in (splits['train'], splits['test']))


def lenet_like(images, num_classes=10, is_training=False, weight_decay=1e-4,
               batch_norm=False):
  """LeNet with fewer channels (16, 32, 128); batch norm after the convolutions if asked."""
  normalizer = dict(normalizer_fn=slim.batch_norm,
                    normalizer_params={'is_training': is_training, 'decay': 0.9}
                    ) if batch_norm else {}
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay)):
    with slim.arg_scope([slim.conv2d], **normalizer):
      net = slim.conv2d(images, 16, [5, 5], scope='conv1')
      net = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
      net = slim.conv2d(net, 32, [5, 5], scope='conv2')
      net = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    net = slim.fully_connected(slim.flatten(net), 128, scope='fc3')
    return slim.fully_connected(net, num_classes, activation_fn=None, scope='fc4')


def train_dataset(batch_size=32, seed=0):
  (images, labels), _ = digits()
  return (tf.data.Dataset.from_tensor_slices((images, labels))
          .shuffle(len(images), seed=seed).repeat().batch(batch_size))


def test_dataset(batch_size=100):
  _, (images, labels) = digits()
  return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)


def loss_fn(model, batch):
  images, labels = batch
  logits = model(images, is_training=True)
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                       logits=logits))


def eval_fn(model, batch):
  images, labels = batch
  return tf.argmax(model(images, is_training=False), 1), labels


def accuracy_metric():
  return slim.metrics.StreamingMetric(
      lambda predictions, labels: slim.metrics.aggregate_metric_map(
          {'accuracy': slim.metrics.streaming_accuracy(predictions, labels)}))


def numpy_accuracy(model):
  _, (images, labels) = digits()
  return float(np.mean(np.argmax(model(images, is_training=False), 1) == labels))
