"""slim.train_eval (slim.training.evaluation): evaluate_repeatedly, evaluate_once,
the evaluation hooks and the eval step."""
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.event_files import scalars_by_tag
from tests.slim.graph_training import (EVAL_INPUTS, EVAL_SCALE, LogRecords, accuracy_model,
                                       expected_accuracy, scale_checkpoint)

_v1 = tf.compat.v1


def test_evaluate_repeatedly_sees_each_new_checkpoint(tmp_path):
  checkpoint_dir = str(tmp_path)
  scale_checkpoint(os.path.join(checkpoint_dir, 'model.ckpt'), global_step=1)
  seen = []

  class RecordStep(_v1.train.SessionRunHook):
    def end(self, session):
      seen.append(int(session.run(_v1.train.get_global_step())))
      if len(seen) == 1:  # the training writes another checkpoint meanwhile
        scale_checkpoint(os.path.join(checkpoint_dir, 'model.ckpt'), global_step=2)

  with tf.Graph().as_default():
    accuracy, update_op, _ = accuracy_model()
    _v1.train.get_or_create_global_step()
    eval_ops = {'accuracy': update_op}
    value = slim.train_eval.evaluate_repeatedly(
        checkpoint_dir, eval_ops=eval_ops, final_ops={'accuracy': accuracy},
        eval_interval_secs=0, timeout=0.5,
        hooks=[slim.train_eval.StopAfterNEvalsHook(2), RecordStep()])
  assert seen == [1, 2]
  assert value == {'accuracy': pytest.approx(expected_accuracy())}
  assert list(eval_ops) == ['accuracy']  # the caller's dict is left alone


def test_train_eval_evaluate_once_until_the_input_ends(tmp_path):
  checkpoint = scale_checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default():
    scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
    batch = _v1.train.limit_epochs(tf.constant(EVAL_INPUTS), num_epochs=3)
    total, update_op = _v1.metrics.mean(tf.reduce_sum(batch * scale))
    value = slim.train_eval.evaluate_once(
        checkpoint, eval_ops=update_op, final_ops=total,
        hooks=[slim.train_eval.StopAfterNEvalsHook(None)])
  assert value == pytest.approx(float(np.sum(EVAL_INPUTS * EVAL_SCALE)), rel=1e-5)


def test_stop_hook_logs_batches_with_rate_and_eta_per_evaluation(tmp_path):
  checkpoint = scale_checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default(), LogRecords() as records:
    _, update_op, _ = accuracy_model()
    slim.train_eval.evaluate_once(checkpoint, eval_ops=update_op,
                                  hooks=[slim.train_eval.StopAfterNEvalsHook(3)])
    slim.train_eval.evaluate_once(  # a second evaluation counts from 1 again
        checkpoint, eval_ops=update_op,
        hooks=[slim.train_eval.StopAfterNEvalsHook(2), slim.train_eval.StopAfterNEvalsHook(
            2, log_progress=False)])
  lines = [m for m in records.messages if m.startswith('eval batch')]
  assert [line.split(' (')[0] for line in lines] == [
      'eval batch 1/3', 'eval batch 2/3', 'eval batch 3/3', 'eval batch 1/2', 'eval batch 2/2']
  assert all(re.search(r'\(\d+\.\d\d batches/sec, ETA \d+:\d\d:\d\d\)$', line)
             for line in lines), lines


def test_stop_hook_logs_tens_of_long_evaluations_and_counts_without_a_total(tmp_path):
  checkpoint = scale_checkpoint(str(tmp_path / 'model.ckpt'))
  with tf.Graph().as_default(), LogRecords() as records:
    _, update_op, _ = accuracy_model()
    slim.train_eval.evaluate_once(checkpoint, eval_ops=update_op,
                                  hooks=[slim.train_eval.StopAfterNEvalsHook(25)])
  with tf.Graph().as_default(), LogRecords() as unknown:
    scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
    batch = _v1.train.limit_epochs(tf.constant(EVAL_INPUTS), num_epochs=2)
    _, update_op = _v1.metrics.mean(tf.reduce_sum(batch * scale))
    slim.train_eval.evaluate_once(checkpoint, eval_ops=update_op,
                                  hooks=[slim.train_eval.StopAfterNEvalsHook(None)])
  counts = [m.split(' (')[0] for m in records.messages if m.startswith('eval batch')]
  assert counts == ['eval batch %d/25' % n for n in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22,
                                                     24, 25)]
  lines = [m for m in unknown.messages if m.startswith('eval batch')]
  assert [line.split(' (')[0] for line in lines] == ['eval batch 1', 'eval batch 2']
  assert 'ETA' not in lines[-1]


def test_summary_at_end_hook_with_writer_and_no_eval_ops(tmp_path):
  checkpoint = scale_checkpoint(str(tmp_path / 'model.ckpt'), global_step=3)
  logdir = str(tmp_path / 'eval')
  with tf.Graph().as_default():
    scale = _v1.get_variable('scale', initializer=np.ones(3, np.float32))
    _v1.summary.scalar('scale_sum', tf.reduce_sum(scale))
    writer = _v1.summary.FileWriter(logdir)
    slim.train_eval.evaluate_once(checkpoint,
                                  hooks=[slim.train_eval.SummaryAtEndHook(summary_writer=writer)])
    writer.close()
  assert scalars_by_tag(logdir) == {'scale_sum': [(3, pytest.approx(3.5))]}


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
])
def test_train_eval_argument_errors(graph, call, message):
  with pytest.raises(ValueError, match=message):
    call()
