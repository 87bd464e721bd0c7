"""slim.training.training: the gradient transforms (clipping, multipliers, summaries),
create_train_op, and train (a MonitoredTrainingSession loop with hooks)."""
import os

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.event_files import scalars_by_tag
from tests.slim.graph_run import run
from tests.slim.graph_training import global_step_of, logistic_loss, two_scalars

_v1 = tf.compat.v1


@pytest.mark.parametrize('module', [slim.learning, slim.training])
def test_clip_gradient_norms_values(graph, module):
  var = _v1.get_variable('v', initializer=[0.0, 0.0])
  sparse = tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]), tf.constant([2, 2]))
  clipped = module.clip_gradient_norms(
      [(tf.constant([3.0, 4.0]), var), (tf.constant([0.3, 0.4]), var), (None, var),
       (sparse, var)], 2.5)
  assert clipped[2] == (None, var)
  assert all(v is var for _, v in clipped)
  assert isinstance(clipped[3][0], tf.IndexedSlices)
  dense, small, values, indices = run([clipped[0][0], clipped[1][0], clipped[3][0].values,
                                       clipped[3][0].indices])
  np.testing.assert_allclose(dense, [1.5, 2.0], rtol=1e-6)  # norm 5 -> 2.5
  np.testing.assert_allclose(small, [0.3, 0.4], rtol=1e-6)  # under the norm: unchanged
  np.testing.assert_allclose(values, [[1.5, 2.0]], rtol=1e-6)
  np.testing.assert_array_equal(indices, [1])


def test_clip_gradient_norms_fn_and_bad_norm(graph):
  var = _v1.get_variable('v', initializer=[0.0, 0.0])
  clip = slim.training.clip_gradient_norms_fn(1.0)
  [(grad, _)] = clip([(tf.constant([3.0, 4.0]), var)])
  np.testing.assert_allclose(run(grad), [0.6, 0.8], rtol=1e-6)
  with pytest.raises(ValueError, match=r'clip_gradient_norms: max_norm must be positive, '
                                       r'received 0'):
    slim.training.clip_gradient_norms([(tf.constant([1.0]), var)], 0)


@pytest.mark.parametrize('module', [slim.learning, slim.training])
def test_multiply_gradients_by_variable_name_and_tensor(graph, module):
  a, b, _ = two_scalars()
  c = _v1.get_variable('c', initializer=[0.0, 0.0, 0.0])
  sparse = tf.IndexedSlices(tf.constant([1.0, 2.0]), tf.constant([0, 2]), tf.constant([3]))
  multiplied = module.multiply_gradients(
      [(tf.constant(2.0), a), (tf.constant(4.0), b), (sparse, c)],
      {a: 3.0, 'b': tf.constant(0.5, tf.float64), c: 10})
  grad_a, grad_b, values = run([multiplied[0][0], multiplied[1][0], multiplied[2][0].values])
  assert (grad_a, grad_b) == (6.0, 2.0)  # by variable; by op name, float64 cast to float32
  np.testing.assert_allclose(values, [10.0, 20.0])
  assert [v for _, v in multiplied] == [a, b, c]


@pytest.mark.parametrize('grads, multipliers, message', [
    ('tuple', {'a': 1.0}, r'multiply_gradients: `grads_and_vars` must be a list of '
                          r'\(gradient, variable\) pairs, received tuple'),
    ('list', {}, r'multiply_gradients: `gradient_multipliers` is empty \(received \{\}\)'),
    ('list', 3, r'multiply_gradients: `gradient_multipliers` must be a dict, received int'),
    ('none', {'a': 2.0}, r'Requested multiple of `None` gradient: variable a has a '
                         r'multiplier but no gradient'),
])
def test_multiply_gradients_errors(graph, grads, multipliers, message):
  a = _v1.get_variable('a', initializer=1.0)
  pairs = {'tuple': ((tf.constant(1.0), a),), 'list': [(tf.constant(1.0), a)],
           'none': [(None, a)]}[grads]
  with pytest.raises(ValueError, match=message):
    slim.learning.multiply_gradients(pairs, multipliers)


def test_create_train_op_transform_grads_fn_and_subset(graph):
  a, b, loss = two_scalars()
  train_op = slim.training.create_train_op(
      loss, _v1.train.GradientDescentOptimizer(0.25), variables_to_train=[b],
      transform_grads_fn=lambda grads: [(g * 2.0, v) for g, v in grads], global_step=None)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    sess.run(train_op)
    np.testing.assert_allclose(sess.run([a, b]), [1.0, 2.0 - 0.25 * 8.0])
  assert _v1.train.get_global_step() is None  # global_step=None creates none


def test_gradient_summaries_names(graph):
  a, b, loss = two_scalars()
  grads = _v1.train.GradientDescentOptimizer(0.1).compute_gradients(loss, [a, b])
  with tf.name_scope('learning'):
    learning_summaries = slim.learning.add_gradients_summaries(grads + [(None, b)])
  with tf.name_scope('training'):
    training_summaries = slim.training.add_gradients_summaries(grads)
  tags = []
  for serialized in run(learning_summaries + training_summaries):
    summary = _v1.Summary.FromString(serialized)
    tags.extend((value.tag, value.simple_value) for value in summary.value)
  norms = {tag: value for tag, value in tags if tag.endswith('norm')}
  assert norms == {'learning/a/gradient_norm': 2.0, 'learning/b/gradient_norm': 4.0,
                   'training/a_gradient_norm': 2.0, 'training/b_gradient_norm': 4.0}
  assert len(learning_summaries) == len(training_summaries) == 4  # None gradient: skipped


def test_create_train_op_without_trainable_variables(graph):
  _v1.get_variable('frozen', initializer=1.0, trainable=False)
  with pytest.raises(ValueError, match=r'create_train_op: there are no variables to train'):
    slim.training.create_train_op(tf.constant(1.0), _v1.train.GradientDescentOptimizer(0.1))


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
  steps = [step for step, _ in scalars_by_tag(logdir)['loss']]
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
