"""slim.evaluation and slim.train_eval (slim.training.evaluation): evaluating checkpoints."""
import os
import time

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.training_graph.training_graph_helpers import save_variables, summary_values

_v1 = tf.compat.v1

INPUTS = np.random.RandomState(1).rand(12, 3).astype(np.float32)
LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], np.int64)
SCALE = np.array([1.0, 0.5, 2.0], np.float32)  # the checkpointed weights


def _expected_accuracy():
  return float(np.mean(np.argmax(INPUTS * SCALE, 1) == LABELS))


def _model():
  """Accuracy of argmax(inputs * scale); returns (value, update_op, scale variable)."""
  scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
  predictions = tf.argmax(tf.constant(INPUTS) * scale, 1)
  accuracy, update_op = _v1.metrics.accuracy(tf.constant(LABELS), predictions)
  return accuracy, update_op, scale


def _checkpoint(path, global_step=7):
  """Writes a checkpoint of `scale` = SCALE at `global_step`; returns its path."""
  with tf.Graph().as_default():
    _v1.get_variable('scale', initializer=SCALE)
    step = _v1.train.get_or_create_global_step()
    with _v1.Session() as sess:
      sess.run(_v1.global_variables_initializer())
      sess.run(step.assign(global_step))
      return _v1.train.Saver().save(sess, path, global_step=step)


def test_evaluate_once_restores_counts_and_writes_summaries(tmp_path):
  checkpoint = _checkpoint(str(tmp_path / 'model.ckpt'))
  logdir = str(tmp_path / 'eval')
  assert _expected_accuracy() != float(np.mean(np.argmax(INPUTS, 1) == LABELS))
  with tf.Graph().as_default():
    accuracy, update_op, _ = _model()
    _v1.summary.scalar('eval_accuracy', accuracy)
    runs = slim.local_variable(0, name='runs')
    value, count = slim.evaluation.evaluate_once(
        '', checkpoint, logdir, num_evals=5, eval_op=[update_op, runs.assign_add(1)],
        final_op=[accuracy, runs])
  assert value == pytest.approx(_expected_accuracy())
  assert count == 5
  assert summary_values(logdir) == {'eval_accuracy': [(7, pytest.approx(_expected_accuracy()))]}


def test_evaluate_once_with_variables_to_restore_and_hooks(tmp_path):
  with tf.Graph().as_default():  # the weights saved under another name
    ema = _v1.get_variable('ema/scale', initializer=SCALE)
    path = save_variables(str(tmp_path / 'ema.ckpt'))
  ended = []

  class EndHook(_v1.train.SessionRunHook):
    def end(self, session):
      ended.append(True)

  with tf.Graph().as_default():
    accuracy, update_op, scale = _model()
    value = slim.evaluation.evaluate_once(
        '', path, None, eval_op=update_op, final_op=accuracy, summary_op=None,
        variables_to_restore={ema.op.name: scale}, hooks=[EndHook()])
  assert value == pytest.approx(_expected_accuracy())
  assert ended == [True]


def test_evaluate_once_missing_checkpoint(tmp_path):
  with tf.Graph().as_default():
    accuracy, update_op, _ = _model()
    with pytest.raises(ValueError):
      slim.evaluation.evaluate_once('', str(tmp_path / 'missing'), str(tmp_path),
                                    eval_op=update_op, final_op=accuracy)


def test_evaluation_loop_stops_after_max_number_of_evaluations(tmp_path):
  _checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    accuracy, update_op, _ = _model()
    start = time.time()
    value = slim.evaluation.evaluation_loop(
        '', str(tmp_path), str(tmp_path / 'eval'), eval_op=update_op, final_op=accuracy,
        max_number_of_evaluations=1, eval_interval_secs=30)
  assert value == pytest.approx(_expected_accuracy())
  assert time.time() - start < 20  # did not wait eval_interval_secs after the last one


def test_evaluation_loop_timeout_and_timeout_fn(tmp_path):
  _checkpoint(str(tmp_path / 'model.ckpt'))
  calls = []

  def timeout_fn():
    calls.append(time.time())
    return len(calls) == 2

  with tf.Graph().as_default():
    accuracy, update_op, _ = _model()
    value = slim.evaluation.evaluation_loop(
        '', str(tmp_path), str(tmp_path / 'eval'), eval_op=update_op, final_op=accuracy,
        eval_interval_secs=0, timeout=0.2, timeout_fn=timeout_fn)
  assert value == pytest.approx(_expected_accuracy())  # one checkpoint, evaluated once
  assert len(calls) == 2


def test_evaluate_repeatedly_sees_each_new_checkpoint(tmp_path):
  checkpoint_dir = str(tmp_path)
  _checkpoint(os.path.join(checkpoint_dir, 'model.ckpt'), global_step=1)
  seen = []

  class RecordStep(_v1.train.SessionRunHook):
    def end(self, session):
      seen.append(int(session.run(_v1.train.get_global_step())))
      if len(seen) == 1:  # the training writes another checkpoint meanwhile
        _checkpoint(os.path.join(checkpoint_dir, 'model.ckpt'), global_step=2)

  with tf.Graph().as_default():
    accuracy, update_op, _ = _model()
    _v1.train.get_or_create_global_step()
    eval_ops = {'accuracy': update_op}
    value = slim.train_eval.evaluate_repeatedly(
        checkpoint_dir, eval_ops=eval_ops, final_ops={'accuracy': accuracy},
        eval_interval_secs=0, timeout=0.5,
        hooks=[slim.train_eval.StopAfterNEvalsHook(2), RecordStep()])
  assert seen == [1, 2]
  assert value == {'accuracy': pytest.approx(_expected_accuracy())}
  assert list(eval_ops) == ['accuracy']  # the caller's dict is left alone


def test_train_eval_evaluate_once_until_the_input_ends(tmp_path):
  checkpoint = _checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
    batch = _v1.train.limit_epochs(tf.constant(INPUTS), num_epochs=3)
    total, update_op = _v1.metrics.mean(tf.reduce_sum(batch * scale))
    value = slim.train_eval.evaluate_once(
        checkpoint, eval_ops=update_op, final_ops=total,
        hooks=[slim.train_eval.StopAfterNEvalsHook(None)])
  assert value == pytest.approx(float(np.sum(INPUTS * SCALE)), rel=1e-5)


def test_summary_at_end_hook_with_writer_and_no_eval_ops(tmp_path):
  checkpoint = _checkpoint(str(tmp_path / 'model.ckpt'), global_step=3)
  logdir = str(tmp_path / 'eval')
  with tf.Graph().as_default():
    scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
    _v1.summary.scalar('scale_sum', tf.reduce_sum(scale))
    writer = _v1.summary.FileWriter(logdir)
    slim.train_eval.evaluate_once(checkpoint,
                                  hooks=[slim.train_eval.SummaryAtEndHook(summary_writer=writer)])
    writer.close()
  assert summary_values(logdir) == {'scale_sum': [(3, pytest.approx(3.5))]}


def test_checkpoints_iterator_and_wait_for_new_checkpoint(tmp_path):
  assert list(slim.evaluation.checkpoints_iterator(str(tmp_path), timeout=0)) == []
  start = time.time()
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), seconds_to_sleep=0.1,
                                                 timeout=0.3) is None
  assert 0.2 <= time.time() - start < 2
  first = _checkpoint(str(tmp_path / 'model.ckpt'), global_step=1)
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), timeout=0) == first
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), first, timeout=0) is None
  assert list(slim.evaluation.checkpoints_iterator(str(tmp_path), timeout=0)) == [first]


def test_get_or_create_eval_step(graph):
  step = slim.evaluation.get_or_create_eval_step()
  assert step is slim.train_eval.get_or_create_eval_step()
  assert step.op.name == 'eval_step' and step.dtype.base_dtype == tf.int64
  assert step in _v1.local_variables() and step not in _v1.global_variables()
  _v1.add_to_collection(_v1.GraphKeys.EVAL_STEP, tf.constant(0, tf.int64))
  with pytest.raises(ValueError, match=r'get_or_create_eval_step: Multiple tensors added to '
                                       r'tf.GraphKeys.EVAL_STEP'):
    slim.train_eval.get_or_create_eval_step()


@pytest.mark.parametrize('call, message', [
    (lambda: slim.train_eval.SummaryAtEndHook(),
     r'SummaryAtEndHook: One of log_dir or summary_writer should be used'),
    (lambda: slim.train_eval.StopAfterNEvalsHook(0),
     r'StopAfterNEvalsHook: num_evals must be a positive int or None, received 0'),
    (lambda: slim.evaluation.evaluate_once('', 'ckpt', 'dir', num_evals=2.5),
     r'evaluate_once: num_evals must be a positive int or None, received 2.5'),
    (lambda: slim.evaluation.evaluation_loop('', 'dir', 'dir', max_number_of_evaluations=0),
     r'evaluate_repeatedly: max_number_of_evaluations must be a positive int or None, '
     r'received 0'),
    (lambda: slim.evaluation.evaluation_loop('', 'dir', 'dir', timeout=-1),
     r'evaluate_repeatedly: timeout must be a non-negative number of seconds or None, '
     r'received -1'),
    (lambda: slim.evaluation.evaluation_loop('', 'dir', None, summary_op=tf.constant('')),
     r'evaluation_loop: logdir cannot be None when there is a summary_op to write'),
])
def test_evaluation_argument_errors(graph, call, message):
  with pytest.raises(ValueError, match=message):
    call()


def test_checkpoints_iterator_needs_a_callable_timeout_fn():
  with pytest.raises(TypeError, match=r'checkpoints_iterator: timeout_fn must be callable or '
                                      r'None, received 3'):
    list(slim.evaluation.checkpoints_iterator('dir', timeout_fn=3))
