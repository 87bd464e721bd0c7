"""The README's main job (for now a demo of the core): a slim CNN trained on the
scikit-learn digits, eagerly with `slim.Model` and a `tf.function` step.

    python -m scripts.quickstart [--steps 300] [--batch_size 64]
"""
import argparse
import time

import numpy as np
import tensorflow as tf

import slim


def digits_split(seed=0):
  """scikit-learn's 8x8 digits (shipped inside the package), as NHWC floats in
  [0, 1], shuffled once and split 1500 / 297."""
  from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
  digits = load_digits()
  images = (digits.images / 16.0).astype(np.float32)[..., None]
  order = np.random.RandomState(seed).permutation(len(images))
  images, labels = images[order], digits.target[order].astype(np.int64)
  return (images[:1500], labels[:1500]), (images[1500:], labels[1500:])


def digits_cnn(images, num_classes=10, is_training=False):
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(1e-4)):
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={'is_training': is_training, 'decay': 0.9}):
      net = slim.conv2d(images, 32, [3, 3], scope='conv1')
      net = slim.conv2d(net, 64, [3, 3], stride=2, scope='conv2')
      net = slim.conv2d(net, 64, [3, 3], stride=2, scope='conv3')
    net = slim.flatten(net)
    net = slim.dropout(net, 0.8, is_training=is_training)
    return slim.fully_connected(net, num_classes, activation_fn=None, scope='logits')


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--steps', type=int, default=300, help='training steps (default 300)')
  parser.add_argument('--batch_size', type=int, default=64, help='batch size (default 64)')
  args = parser.parse_args(argv)

  (train_x, train_y), (test_x, test_y) = digits_split()
  print('digits: %d train / %d test images of 8x8' % (len(train_x), len(test_x)))
  batches = iter(tf.data.Dataset.from_tensor_slices((train_x, train_y))
                 .shuffle(len(train_x), seed=0).repeat().batch(args.batch_size))
  model = slim.Model(digits_cnn)
  model(train_x[:1], is_training=False)
  print('model: %d variables, %d parameters' % (
      len(model.variables), sum(int(np.prod(v.shape)) for v in model.trainable_variables)))
  optimizer = tf.keras.optimizers.Adam(1e-3)

  @tf.function
  def train_step(images, labels):
    with tf.GradientTape() as tape:
      logits = model(images, is_training=True)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=labels, logits=logits)) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  start = time.time()
  for step in range(1, args.steps + 1):
    loss = train_step(*next(batches))
    if step % 100 == 0 or step == args.steps:
      elapsed = time.time() - start
      print('step %d/%d  loss %.3f  %.0f examples/s' % (
          step, args.steps, float(loss), step * args.batch_size / elapsed))
  predictions = np.argmax(model(test_x, is_training=False), axis=1)
  accuracy = float(np.mean(predictions == test_y))
  print('test accuracy: %.4f on %d held-out digits' % (accuracy, len(test_y)))
  return accuracy


if __name__ == '__main__':
  main()
