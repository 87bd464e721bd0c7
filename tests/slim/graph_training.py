"""Graph-mode training and evaluation problems: a tiny separable problem and a logistic
classifier, two scalars with known gradients, a checkpointed scale and its accuracy."""
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


def two_scalars():
  """Variables a=1 and b=2 and the loss a^2 + b^2 (gradients 2 and 4)."""
  a = _v1.get_variable('a', initializer=1.0)
  b = _v1.get_variable('b', initializer=2.0)
  return a, b, a * a + b * b


# The evaluation problem: the accuracy of argmax(inputs * scale), `scale` checkpointed.
EVAL_INPUTS = np.random.RandomState(1).rand(12, 3).astype(np.float32)
EVAL_LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], np.int64)
EVAL_SCALE = np.array([1.0, 0.5, 2.0], np.float32)  # the checkpointed weights


def expected_accuracy():
  return float(np.mean(np.argmax(EVAL_INPUTS * EVAL_SCALE, 1) == EVAL_LABELS))


def accuracy_model():
  """Accuracy of argmax(inputs * scale); returns (value, update_op, scale variable)."""
  scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
  predictions = tf.argmax(tf.constant(EVAL_INPUTS) * scale, 1)
  accuracy, update_op = _v1.metrics.accuracy(tf.constant(EVAL_LABELS), predictions)
  return accuracy, update_op, scale


def scale_checkpoint(path, global_step=7):
  """Writes a checkpoint of `scale` = EVAL_SCALE at `global_step`; returns its path."""
  with tf.Graph().as_default():
    _v1.get_variable('scale', initializer=EVAL_SCALE)
    step = _v1.train.get_or_create_global_step()
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      sess.run(step.assign(global_step))
      return _v1.train.Saver().save(sess, path, global_step=step)


def global_step_of(checkpoint_dir):
  """The global step saved in the latest checkpoint of `checkpoint_dir`."""
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(checkpoint_dir))
  return int(reader.get_tensor('global_step'))


def save_variables(path):
  """Initializes the default graph's variables and saves them to `path`."""
  with _v1.Session() as sess:
    sess.run([_v1.global_variables_initializer(), _v1.local_variables_initializer()])
    return _v1.train.Saver().save(sess, path)


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
