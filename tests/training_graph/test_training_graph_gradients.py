"""Gradient transforms and create_train_op of slim.learning and slim.training."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.training_graph.training_graph_helpers import logistic_loss

_v1 = tf.compat.v1


def _run(fetches):
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    return sess.run(fetches)


def _two_scalars():
  """Variables a=1 and b=2 and the loss a^2 + b^2 (gradients 2 and 4)."""
  a = _v1.get_variable('a', initializer=1.0)
  b = _v1.get_variable('b', initializer=2.0)
  return a, b, a * a + b * b


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
  dense, small, values, indices = _run([clipped[0][0], clipped[1][0], clipped[3][0].values,
                                        clipped[3][0].indices])
  np.testing.assert_allclose(dense, [1.5, 2.0], rtol=1e-6)  # norm 5 -> 2.5
  np.testing.assert_allclose(small, [0.3, 0.4], rtol=1e-6)  # under the norm: unchanged
  np.testing.assert_allclose(values, [[1.5, 2.0]], rtol=1e-6)
  np.testing.assert_array_equal(indices, [1])


def test_clip_gradient_norms_fn_and_bad_norm(graph):
  var = _v1.get_variable('v', initializer=[0.0, 0.0])
  clip = slim.training.clip_gradient_norms_fn(1.0)
  [(grad, _)] = clip([(tf.constant([3.0, 4.0]), var)])
  np.testing.assert_allclose(_run(grad), [0.6, 0.8], rtol=1e-6)
  with pytest.raises(ValueError, match=r'clip_gradient_norms: max_norm must be positive, '
                                       r'received 0'):
    slim.training.clip_gradient_norms([(tf.constant([1.0]), var)], 0)


@pytest.mark.parametrize('module', [slim.learning, slim.training])
def test_multiply_gradients_by_variable_name_and_tensor(graph, module):
  a, b, _ = _two_scalars()
  c = _v1.get_variable('c', initializer=[0.0, 0.0, 0.0])
  sparse = tf.IndexedSlices(tf.constant([1.0, 2.0]), tf.constant([0, 2]), tf.constant([3]))
  multiplied = module.multiply_gradients(
      [(tf.constant(2.0), a), (tf.constant(4.0), b), (sparse, c)],
      {a: 3.0, 'b': tf.constant(0.5, tf.float64), c: 10})
  grad_a, grad_b, values = _run([multiplied[0][0], multiplied[1][0], multiplied[2][0].values])
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


def test_create_train_op_multiplies_then_clips(graph):
  a, b, loss = _two_scalars()
  train_op = slim.learning.create_train_op(
      loss, _v1.train.GradientDescentOptimizer(0.1), gradient_multipliers={a: 10.0},
      clip_gradient_norm=5.0)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    assert sess.run(train_op) == pytest.approx(5.0)  # the loss before the update
    # grad a: 2 * 10 = 20, clipped to 5; grad b: 4, under the norm.
    np.testing.assert_allclose(sess.run([a, b]), [1.0 - 0.1 * 5.0, 2.0 - 0.1 * 4.0], rtol=1e-6)
    assert sess.run(_v1.train.get_global_step()) == 1
  assert train_op in _v1.get_collection(_v1.GraphKeys.TRAIN_OP)


def test_create_train_op_transform_grads_fn_and_subset(graph):
  a, b, loss = _two_scalars()
  train_op = slim.training.create_train_op(
      loss, _v1.train.GradientDescentOptimizer(0.25), variables_to_train=[b],
      transform_grads_fn=lambda grads: [(g * 2.0, v) for g, v in grads], global_step=None)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    sess.run(train_op)
    np.testing.assert_allclose(sess.run([a, b]), [1.0, 2.0 - 0.25 * 8.0])
  assert _v1.train.get_global_step() is None  # global_step=None creates none


@pytest.mark.parametrize('update_ops, expected', [(None, 3.0), ([], 0.0)])
def test_create_train_op_runs_update_ops(graph, update_ops, expected):
  _, _, loss = _two_scalars()
  counter = _v1.get_variable('counter', initializer=0.0, trainable=False)
  _v1.add_to_collection(_v1.GraphKeys.UPDATE_OPS, _v1.assign_add(counter, 1.0))
  train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                           update_ops=update_ops)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    for _ in range(3):
      sess.run(train_op)
    assert sess.run(counter) == expected


def test_check_numerics_raises_on_nan(graph):
  w = _v1.get_variable('w', initializer=-1.0)
  loss = tf.math.log(w)  # log(-1) is NaN
  train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1))
  unchecked = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                            check_numerics=False)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r'LossTensor is inf or nan: the loss diverged \(lower the '
                             r'learning rate, clip the gradients or check the inputs\)'):
      sess.run(train_op)
    assert np.isnan(sess.run(unchecked))


def test_gradient_summaries_names(graph):
  a, b, loss = _two_scalars()
  grads = _v1.train.GradientDescentOptimizer(0.1).compute_gradients(loss, [a, b])
  with tf.name_scope('learning'):
    learning_summaries = slim.learning.add_gradients_summaries(grads + [(None, b)])
  with tf.name_scope('training'):
    training_summaries = slim.training.add_gradients_summaries(grads)
  tags = []
  for serialized in _run(learning_summaries + training_summaries):
    summary = _v1.Summary.FromString(serialized)
    tags.extend((value.tag, value.simple_value) for value in summary.value)
  norms = {tag: value for tag, value in tags if tag.endswith('norm')}
  assert norms == {'learning/a/gradient_norm': 2.0, 'learning/b/gradient_norm': 4.0,
                   'training/a_gradient_norm': 2.0, 'training/b_gradient_norm': 4.0}
  assert len(learning_summaries) == len(training_summaries) == 4  # None gradient: skipped


def test_create_train_op_summarize_gradients(graph):
  _, _, loss = _two_scalars()
  slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                summarize_gradients=True)
  names = sorted(s.op.name for s in _v1.get_collection(_v1.GraphKeys.SUMMARIES))
  # As in tf_slim, slim.learning delegates to slim.training, whose names use '_'.
  assert names == ['summarize_grads/a_gradient', 'summarize_grads/a_gradient_norm',
                   'summarize_grads/b_gradient', 'summarize_grads/b_gradient_norm']


def test_create_train_op_errors(graph):
  a, _, loss = _two_scalars()
  frozen = _v1.get_variable('frozen', initializer=1.0, trainable=False)
  sgd = _v1.train.GradientDescentOptimizer(0.1)
  with pytest.raises(TypeError, match=r'create_train_op: optimizer must be a '
                                      r'tf.compat.v1.train.Optimizer .* received 0.1'):
    slim.learning.create_train_op(loss, 0.1)
  with pytest.raises(ValueError, match=r'create_train_op: total_loss cannot be None'):
    slim.learning.create_train_op(None, sgd)
  with pytest.raises(ValueError, match=r'variables_to_train holds frozen:0, which is not '
                                       r'trainable'):
    slim.learning.create_train_op(loss, sgd, variables_to_train=[a, frozen])
  with pytest.raises(ValueError, match=r'create_train_op: clip_gradient_norm must be a '
                                       r'number >= 0 \(0: no clipping\), received -1'):
    slim.learning.create_train_op(loss, sgd, clip_gradient_norm=-1)
  with pytest.raises(TypeError, match=r'create_train_op: transform_grads_fn must be '
                                      r'callable or None, received 3'):
    slim.training.create_train_op(loss, sgd, transform_grads_fn=3)
  assert _v1.get_collection(_v1.GraphKeys.TRAIN_OP) == []


def test_create_train_op_without_trainable_variables(graph):
  _v1.get_variable('frozen', initializer=1.0, trainable=False)
  with pytest.raises(ValueError, match=r'create_train_op: there are no variables to train'):
    slim.training.create_train_op(tf.constant(1.0), _v1.train.GradientDescentOptimizer(0.1))


@pytest.mark.reference
def test_create_train_op_matches_reference(tf_slim):
  def run(module):
    with tf.Graph().as_default():
      loss = logistic_loss(seed=3)
      multipliers = {'logits/weights': 2.0}
      train_op = module.learning.create_train_op(
          loss, _v1.train.GradientDescentOptimizer(0.5), clip_gradient_norm=0.3,
          gradient_multipliers=multipliers)
      with _v1.Session() as sess:
        sess.run(_v1.global_variables_initializer())
        return [sess.run(train_op) for _ in range(5)]

  np.testing.assert_allclose(run(slim), run(tf_slim), rtol=1e-6)
