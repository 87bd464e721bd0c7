"""A tiny separable problem and a logistic classifier for the graph-mode loops."""
import logging

import numpy as np
import tensorflow as tf

import slim

_v1 = tf.compat.v1


def easy_problem(n=16):
  """16 one-hot-ish inputs of 4 features whose label is readable from the input."""
  rng = np.random.RandomState(0)
  labels = rng.randint(0, 2, size=(n, 1)).astype(np.float32)
  inputs = np.zeros((n, 4), np.float32)
  for i in range(n):
    inputs[i, int(2 * labels[i, 0] + rng.randint(0, 2))] = 1
  return inputs, labels


def logistic_loss(seed=0):
  """Builds a logistic classifier on `easy_problem` in the default graph; returns
  the total loss (a log loss through tf.compat.v1.losses)."""
  _v1.set_random_seed(seed)
  inputs, labels = easy_problem()
  predictions = slim.fully_connected(tf.constant(inputs), 1, activation_fn=tf.sigmoid,
                                     scope='logits')
  _v1.losses.log_loss(tf.constant(labels), predictions)
  return _v1.losses.get_total_loss()


def logistic_train_op(learning_rate=1.0, **kwargs):
  """`slim.learning.create_train_op` of `logistic_loss` with plain gradient descent."""
  optimizer = _v1.train.GradientDescentOptimizer(learning_rate)
  return slim.learning.create_train_op(logistic_loss(), optimizer, **kwargs)


def global_step_of(checkpoint_dir):
  """The global step saved in the latest checkpoint of `checkpoint_dir`."""
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(checkpoint_dir))
  return int(reader.get_tensor('global_step'))


def save_variables(path):
  """Initializes the default graph's variables and saves them to `path`."""
  with _v1.Session() as sess:
    sess.run([_v1.global_variables_initializer(), _v1.local_variables_initializer()])
    return _v1.train.Saver().save(sess, path)


def summary_values(logdir):
  """{tag: [(step, simple_value), ...]} of every events file in `logdir`."""
  values = {}
  for path in tf.io.gfile.glob(logdir + '/events.out.tfevents.*'):
    for event in _v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.HasField('simple_value'):
          values.setdefault(value.tag, []).append((event.step, value.simple_value))
  return values


class LogRecords(logging.Handler):
  """Collects the messages TensorFlow logs while attached (at INFO)."""

  def __init__(self):
    super().__init__(logging.INFO)
    self.messages = []

  def emit(self, record):
    self.messages.append(record.getMessage())

  def __enter__(self):
    self._logger = logging.getLogger('tensorflow')
    self._level = self._logger.level
    self._logger.setLevel(logging.INFO)
    self._logger.addHandler(self)
    return self

  def __exit__(self, *exc):
    self._logger.removeHandler(self)
    self._logger.setLevel(self._level)
