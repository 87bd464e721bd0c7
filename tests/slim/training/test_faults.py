"""The library's training and evaluation paths under faults: a loss that
diverges stops every training path at its global step without applying or
saving that step; a resume or an evaluation of a checkpoint of another model is
refused before the restore; a finished training is not extended; a truncated
newest checkpoint is skipped."""
import os

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import divergence
from slim.training import loop
from tests.slim.training import digits_setup
from tests.slim.training import test_loop

_v1 = tf.compat.v1


def _diverging_train_op(diverge_at=3):
  """A train op whose loss is finite for `diverge_at - 1` steps, then infinite (the
  step that would make the global step `diverge_at` takes log(0))."""
  global_step = _v1.train.get_or_create_global_step()
  w = _v1.get_variable('w', initializer=1.0)
  loss = w * tf.math.log(tf.cast(diverge_at - 1 - global_step, tf.float32))
  return slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.01)), w


def test_check_numerics_fails_the_step_before_its_update():
  with tf.Graph().as_default():
    w = _v1.get_variable('w', initializer=-1.0)
    train_op = slim.learning.create_train_op(tf.math.log(w),
                                             _v1.train.GradientDescentOptimizer(0.1))
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      with pytest.raises(tf.errors.InvalidArgumentError, match=divergence.CHECK_NUMERICS_MESSAGE):
        sess.run(train_op)
      assert sess.run([w, _v1.train.get_global_step()]) == [-1.0, 0]  # nothing applied


def test_learning_train_stops_at_the_diverged_step_without_saving_it(tmp_path):
  with tf.Graph().as_default():
    train_op, _ = _diverging_train_op(diverge_at=3)
    with pytest.raises(divergence.LossDivergedError) as raised:
      slim.learning.train(train_op, str(tmp_path), number_of_steps=10, log_every_n_steps=0)
  assert raised.value.step == 3
  assert raised.value.last_checkpoint == str(tmp_path / 'model.ckpt-0')
  assert str(raised.value).startswith(
      'train: the loss is NaN or infinite at global step 3; training stopped and this step was '
      'not saved (the last checkpoint is %s/model.ckpt-0). Lower the learning rate' % tmp_path)
  assert isinstance(raised.value, tf.errors.InvalidArgumentError)
  assert tf.train.latest_checkpoint(str(tmp_path)).endswith('model.ckpt-0')


def test_hook_based_train_stops_at_the_diverged_step(tmp_path):
  with tf.Graph().as_default():
    train_op, _ = _diverging_train_op(diverge_at=4)
    with pytest.raises(divergence.LossDivergedError,
                       match=r'^train: the loss is NaN or infinite at global step 4; .* \(the '
                             r'last checkpoint is .*model.ckpt-0\)'):
      slim.training.train(train_op, str(tmp_path),
                          hooks=[_v1.train.StopAtStepHook(num_steps=10)])
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(tmp_path)))
  assert reader.get_tensor('global_step') == 0 and np.isfinite(reader.get_tensor('w'))


def test_tf2_loop_raises_the_shared_error(tmp_path):
  images = np.random.RandomState(0).rand(3, 4, 6, 6, 1).astype(np.float32)
  images[1, 0, 0, 0, 0] = np.nan
  dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros((3, 4), np.int64)))
  with pytest.raises(divergence.LossDivergedError, match=r'at global step 2 \(loss nan'):
    loop.train(slim.Model(test_loop.small_net), dataset, digits_setup.loss_fn,
               _v1.train.GradientDescentOptimizer(0.1), train_dir=str(tmp_path))


def _linear_model(units):
  _v1.train.get_or_create_global_step()
  return slim.fully_connected(tf.ones([2, 3]), units, scope='fc')


def test_learning_train_refuses_to_resume_a_checkpoint_of_another_model(tmp_path):
  with tf.Graph().as_default():
    loss = tf.reduce_sum(_linear_model(4))
    train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1))
    slim.learning.train(train_op, str(tmp_path), number_of_steps=2, log_every_n_steps=0)
  with tf.Graph().as_default():
    loss = tf.reduce_sum(_linear_model(5))
    train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1))
    with pytest.raises(ValueError, match=r'^train: cannot restore .*model.ckpt-2: variable '
                                         r'fc/biases has shape \[5\] here but \[4\] in the '
                                         r'checkpoint \(and 1 more\). The logdir .* holds the '
                                         r'checkpoints of another model'):
      slim.learning.train(train_op, str(tmp_path), number_of_steps=4, log_every_n_steps=0)


def test_evaluation_refuses_a_checkpoint_of_another_shape_or_dtype(tmp_path):
  with tf.Graph().as_default():
    _linear_model(4)
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      path = _v1.train.Saver().save(sess, str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    predictions = _linear_model(5)
    with pytest.raises(ValueError, match=r'^evaluate: cannot restore .*: variable fc/biases '
                                         r'has shape \[5\] here but \[4\] in the checkpoint'):
      slim.evaluation.evaluate_once('', path, str(tmp_path), final_op=predictions,
                                    summary_op=None)
  with tf.Graph().as_default():
    _v1.train.get_or_create_global_step()
    _v1.get_variable('fc/weights', shape=[3, 4], dtype=tf.float64)
    with pytest.raises(ValueError, match=r'variable fc/weights has dtype float64 here but '
                                         r'float32 in the checkpoint'):
      slim.evaluation.evaluate_once('', path, str(tmp_path), summary_op=None)


def test_a_finished_training_is_not_extended_and_a_truncated_newest_is_skipped(tmp_path):
  def train(number_of_steps):
    with tf.Graph().as_default():
      loss = tf.reduce_sum(_linear_model(4))
      train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.01))
      return slim.learning.train(train_op, str(tmp_path), number_of_steps=number_of_steps,
                                 log_every_n_steps=0)
  assert train(3) is not None
  assert train(3) is None  # nothing to train
  assert tf.train.latest_checkpoint(str(tmp_path)).endswith('model.ckpt-3')
  os.truncate(tmp_path / 'model.ckpt-3.data-00000-of-00001', 8)
  train(5)  # resumes from model.ckpt-0, the newest whole one
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(tmp_path)))
  assert tf.train.latest_checkpoint(str(tmp_path)).endswith('model.ckpt-5')
  assert reader.get_tensor('global_step') == 5


def test_assign_from_checkpoint_fn_refuses_another_shape_unless_reshaping(tmp_path):
  with tf.Graph().as_default():
    _v1.get_variable('w', initializer=np.arange(12, dtype=np.float32).reshape(3, 4))
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      path = _v1.train.Saver().save(sess, str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    w = _v1.get_variable('w', shape=[4, 3])
    restore = slim.assign_from_checkpoint_fn(path, [w])
    reshape = slim.assign_from_checkpoint_fn(path, [w], reshape_variables=True)
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      with pytest.raises(tf.errors.InvalidArgumentError,
                         match=r'assign_from_checkpoint_fn: cannot restore .*: variable w has '
                               r'shape \[4, 3\] here but \[3, 4\] in the checkpoint. Pass '
                               r'reshape_variables=True'):
        restore(sess)
      reshape(sess)
      assert sess.run(w).tolist() == np.arange(12).reshape(4, 3).tolist()


def test_tf2_loop_holds_its_train_dir_and_resumes_before_a_truncated_checkpoint(tmp_path):
  def train(steps):
    return loop.train(slim.Model(test_loop.small_net), test_loop.random_batches(),
                      digits_setup.loss_fn, _v1.train.GradientDescentOptimizer(0.1),
                      train_dir=str(tmp_path), max_number_of_steps=steps, save_interval_steps=2)
  assert train(4).checkpoint_path.endswith('model.ckpt-4')
  os.truncate(tmp_path / 'model.ckpt-4.data-00000-of-00001', 8)
  (tmp_path / 'model.ckpt-6.data-00000-of-00001.tempstate99').write_bytes(b'partial')
  result = train(5)  # from model.ckpt-2: 3 steps
  assert result.step == 5 and result.checkpoint_path.endswith('model.ckpt-5')
  assert not list(tmp_path.glob('*tempstate*'))
  with slim.training.train_dir.TrainDirLock(str(tmp_path)):  # this process may re-enter
    assert train(5).step == 5
