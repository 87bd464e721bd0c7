"""slim.training.train: a MonitoredTrainingSession loop with hooks."""
import os

import pytest
import tensorflow as tf

import slim
from tests.training_graph.training_graph_helpers import (global_step_of, logistic_loss,
                                                         summary_values)

_v1 = tf.compat.v1


class CountingHook(_v1.train.SessionRunHook):
  """Counts the runs it sees and remembers the hook calls."""

  def __init__(self):
    self.runs = 0
    self.calls = []

  def begin(self):
    self.calls.append('begin')

  def after_run(self, run_context, run_values):
    self.runs += 1

  def end(self, session):
    self.calls.append('end')


def _train_op():
  loss = logistic_loss()
  _v1.summary.scalar('loss', loss)
  return slim.training.create_train_op(loss, _v1.train.GradientDescentOptimizer(1.0))


def test_train_with_hooks_reaches_the_loss_target():
  hook, chief_hook = CountingHook(), CountingHook()
  with tf.Graph().as_default():
    loss = slim.training.train(
        _train_op(), None, hooks=[_v1.train.StopAtStepHook(num_steps=150), hook],
        chief_only_hooks=[chief_hook], save_checkpoint_secs=None, save_summaries_steps=None)
  assert loss < 0.03
  assert hook.runs == chief_hook.runs == 150
  assert hook.calls == chief_hook.calls == ['begin', 'end']


def test_train_checkpoints_by_steps_and_resumes(tmp_path):
  logdir = str(tmp_path)
  with tf.Graph().as_default():
    slim.training.train(_train_op(), logdir, hooks=[_v1.train.StopAtStepHook(last_step=20)],
                        save_checkpoint_steps=10, save_summaries_steps=5)
  state = tf.train.get_checkpoint_state(logdir)
  assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
      'model.ckpt-0', 'model.ckpt-10', 'model.ckpt-20']
  steps = [step for step, _ in summary_values(logdir)['loss']]
  assert len(steps) in (4, 5) and steps[0] <= 1 and steps[-1] <= 20, steps  # every 5 steps

  hook = CountingHook()
  with tf.Graph().as_default():
    slim.training.train(_train_op(), logdir, hooks=[_v1.train.StopAtStepHook(last_step=30), hook],
                        save_checkpoint_steps=10, save_summaries_steps=None)
  assert hook.runs == 10  # restored at 20
  assert global_step_of(logdir) == 30


def test_train_scaffold_init_fn_and_run_metadata():
  calls = []
  with tf.Graph().as_default():
    train_op = _train_op()
    scaffold = _v1.train.Scaffold(init_fn=lambda scaffold, session: calls.append(scaffold))
    metadata = _v1.RunMetadata()
    slim.training.train(train_op, None, scaffold=scaffold, run_metadata=metadata,
                        hooks=[_v1.train.StopAtStepHook(num_steps=2)],
                        save_checkpoint_secs=None, save_summaries_steps=None)
  assert calls == [scaffold]


@pytest.mark.parametrize('argument', ['save_summaries_steps', 'save_checkpoint_secs',
                                      'save_checkpoint_steps', 'save_summaries_secs'])
def test_train_without_logdir_refuses_to_save(argument):
  arguments = dict(save_summaries_steps=None, save_checkpoint_secs=None)
  arguments[argument] = 10
  with tf.Graph().as_default():
    train_op = _train_op()
    with pytest.raises(ValueError, match=r'train: logdir cannot be None when %s is not None '
                                         r'\(received 10\)' % argument):
      slim.training.train(train_op, None, **arguments)


def test_train_op_none_is_an_error():
  with pytest.raises(ValueError, match=r'train: train_op cannot be None'):
    slim.training.train(None, None)
