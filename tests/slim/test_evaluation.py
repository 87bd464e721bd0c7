"""slim.evaluation: evaluate_once, evaluation_loop and the checkpoint iterators, on
checkpoints of a graph-mode model."""
import time

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.event_files import scalars_by_tag
from tests.slim.graph_training import (EVAL_INPUTS, EVAL_LABELS, EVAL_SCALE, accuracy_model,
                                       expected_accuracy, save_variables, scale_checkpoint)

_v1 = tf.compat.v1


def test_evaluate_once_restores_counts_and_writes_summaries(tmp_path):
  checkpoint = scale_checkpoint(str(tmp_path / 'model.ckpt'))
  logdir = str(tmp_path / 'eval')
  assert expected_accuracy() != float(np.mean(np.argmax(EVAL_INPUTS, 1) == EVAL_LABELS))
  with tf.Graph().as_default():
    accuracy, update_op, _ = accuracy_model()
    _v1.summary.scalar('eval_accuracy', accuracy)
    runs = slim.local_variable(0, name='runs')
    value, count = slim.evaluation.evaluate_once(
        '', checkpoint, logdir, num_evals=5, eval_op=[update_op, runs.assign_add(1)],
        final_op=[accuracy, runs])
  assert value == pytest.approx(expected_accuracy())
  assert count == 5
  assert scalars_by_tag(logdir) == {'eval_accuracy': [(7, pytest.approx(expected_accuracy()))]}


def test_evaluate_once_with_variables_to_restore_and_hooks(tmp_path):
  with tf.Graph().as_default():  # the weights saved under another name
    ema = _v1.get_variable('ema/scale', initializer=EVAL_SCALE)
    path = save_variables(str(tmp_path / 'ema.ckpt'))
  ended = []

  class EndHook(_v1.train.SessionRunHook):
    def end(self, session):
      ended.append(True)

  with tf.Graph().as_default():
    accuracy, update_op, scale = accuracy_model()
    value = slim.evaluation.evaluate_once(
        '', path, None, eval_op=update_op, final_op=accuracy, summary_op=None,
        variables_to_restore={ema.op.name: scale}, hooks=[EndHook()])
  assert value == pytest.approx(expected_accuracy())
  assert ended == [True]


def test_evaluate_once_missing_checkpoint(tmp_path):
  with tf.Graph().as_default():
    accuracy, update_op, _ = accuracy_model()
    with pytest.raises(ValueError):
      slim.evaluation.evaluate_once('', str(tmp_path / 'missing'), str(tmp_path),
                                    eval_op=update_op, final_op=accuracy)


def test_evaluation_loop_stops_after_max_number_of_evaluations(tmp_path):
  scale_checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    accuracy, update_op, _ = accuracy_model()
    start = time.time()
    value = slim.evaluation.evaluation_loop(
        '', str(tmp_path), str(tmp_path / 'eval'), eval_op=update_op, final_op=accuracy,
        max_number_of_evaluations=1, eval_interval_secs=30)
  assert value == pytest.approx(expected_accuracy())
  assert time.time() - start < 20  # did not wait eval_interval_secs after the last one


def test_evaluation_loop_timeout_and_timeout_fn(tmp_path):
  scale_checkpoint(str(tmp_path / 'model.ckpt'))
  calls = []

  def timeout_fn():
    calls.append(time.time())
    return len(calls) == 2

  with tf.Graph().as_default():
    accuracy, update_op, _ = accuracy_model()
    value = slim.evaluation.evaluation_loop(
        '', str(tmp_path), str(tmp_path / 'eval'), eval_op=update_op, final_op=accuracy,
        eval_interval_secs=0, timeout=0.2, timeout_fn=timeout_fn)
  assert value == pytest.approx(expected_accuracy())  # one checkpoint, evaluated once
  assert len(calls) == 2


def test_checkpoints_iterator_and_wait_for_new_checkpoint(tmp_path):
  assert list(slim.evaluation.checkpoints_iterator(str(tmp_path), timeout=0)) == []
  start = time.time()
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), seconds_to_sleep=0.1,
                                                 timeout=0.3) is None
  assert 0.2 <= time.time() - start < 2
  first = scale_checkpoint(str(tmp_path / 'model.ckpt'), global_step=1)
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), timeout=0) == first
  assert slim.evaluation.wait_for_new_checkpoint(str(tmp_path), first, timeout=0) is None
  assert list(slim.evaluation.checkpoints_iterator(str(tmp_path), timeout=0)) == [first]


@pytest.mark.parametrize('call, message', [
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
