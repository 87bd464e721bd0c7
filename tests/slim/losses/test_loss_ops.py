"""slim.losses.loss_ops: values against numpy, eager == graph, collections, errors."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim import losses
from tests.slim.graph_run import eager_and_graph

PREDICTIONS = np.array([[4., 8., 12.], [8., 1., 3.]], np.float32)
LABELS = np.array([[1., 9., 2.], [-5., -2., 6.]], np.float32)
PROBABILITIES = np.array([[.9, .2, .2], [.8, .4, .6]], np.float32)
BINARY = np.array([[1., 0., 1.], [1., 0., 0.]], np.float32)


def weighted_mean(per_element, weights):
  """numpy: sum(l * w) / count(w != 0), with w aligned on the leading dimensions."""
  weights = np.asarray(weights, np.float64)
  if weights.ndim > 1 and weights.shape[-1] == 1:
    weights = weights[..., 0]
  weights = weights.reshape(weights.shape + (1,) * (per_element.ndim - weights.ndim)
                            if weights.ndim else ())
  weights = np.broadcast_to(weights, per_element.shape)
  present = np.count_nonzero(weights)
  return np.sum(per_element * weights) / present if present else 0.0


def np_log_loss(p, l, eps=1e-7):
  return -l * np.log(p + eps) - (1 - l) * np.log(1 - p + eps)


def log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


REGRESSION = [
    ('absolute_difference', PREDICTIONS, LABELS, lambda p, l: np.abs(p - l)),
    ('mean_squared_error', PREDICTIONS, LABELS, lambda p, l: (p - l) ** 2),
    ('log_loss', PROBABILITIES, BINARY, np_log_loss),
]
WEIGHTS = [1.0, 2.3, [1.2, 0.0], [[1.2], [3.4]], [[3., 6., 5.], [0., 4., 2.]],
           [[0., 0., 0.], [0., 0., 2.]], [[0., 0., 0.], [0., 0., 0.]]]


@pytest.mark.parametrize('name,predictions,labels,np_loss', REGRESSION,
                         ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize('weights', WEIGHTS, ids=str)
def test_regression_losses_match_numpy(name, predictions, labels, np_loss, weights):
  loss_fn = getattr(losses, name)
  value = eager_and_graph(lambda: loss_fn(tf.constant(predictions), tf.constant(labels),
                                          weights=tf.constant(weights, tf.float32)))
  expected = weighted_mean(np_loss(predictions.astype(np.float64), labels), weights)
  np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


def test_absolute_difference_by_hand():
  # |p - l| = [[3, 1, 10], [13, 3, 3]]: mean 33 / 6; first row only, weight 1.2: 1.2 * 14 / 3.
  assert eager_and_graph(lambda: losses.absolute_difference(PREDICTIONS, LABELS)) == \
      pytest.approx(5.5)
  assert eager_and_graph(lambda: losses.absolute_difference(
      PREDICTIONS, LABELS, weights=[1.2, 0.0])) == pytest.approx(5.6)


def test_softmax_label_smoothing_by_hand():
  # log-softmax of [100, -100, -100] is [0, -200, -200]; smoothed labels put 0.1 / 3 on each
  # wrong class: loss = 2 * 200 * 0.1 / 3.
  value = eager_and_graph(lambda: losses.softmax_cross_entropy(
      tf.constant([[100., -100., -100.]]), tf.constant([[1, 0, 0]]), label_smoothing=0.1))
  assert value == pytest.approx(400 * 0.1 / 3, rel=1e-5)


def test_sigmoid_label_smoothing_by_hand():
  # labels smoothed to [0.95, 0.05, 0.95]; each element costs 100 * 0.05 = 5.
  value = eager_and_graph(lambda: losses.sigmoid_cross_entropy(
      tf.constant([[100., -100., 100.]]), tf.constant([[1, 0, 1]]), label_smoothing=0.1))
  assert value == pytest.approx(5.0, rel=1e-5)


LOGITS = np.array([[10., 0., 0.], [0., 10., 0.], [0., 0., 10.], [1., 2., 3.]], np.float32)
CLASSES = np.array([2, 0, 1, 2])


@pytest.mark.parametrize('weights', [1.0, [2.3, 2.4, 2.5, 0.0], [[1.], [0.], [2.], [3.]]],
                         ids=str)
@pytest.mark.parametrize('smoothing', [0.0, 0.2])
def test_softmax_cross_entropy_matches_numpy(weights, smoothing):
  onehot = np.eye(3)[CLASSES]
  targets = onehot * (1 - smoothing) + smoothing / 3
  per_example = -(targets * log_softmax(LOGITS.astype(np.float64))).sum(-1)
  value = eager_and_graph(lambda: losses.softmax_cross_entropy(
      LOGITS, onehot, weights=weights, label_smoothing=smoothing))
  np.testing.assert_allclose(value, weighted_mean(per_example, weights), rtol=1e-5)


@pytest.mark.parametrize('labels', [CLASSES, CLASSES[:, None], CLASSES.astype(np.int64)],
                         ids=['vector', 'column', 'int64'])
@pytest.mark.parametrize('weights', [1.0, [2.3, 0.0, 2.5, 1.0], [[1.], [0.], [2.], [3.]]],
                         ids=str)
def test_sparse_softmax_cross_entropy_matches_numpy(labels, weights):
  per_example = -log_softmax(LOGITS.astype(np.float64))[np.arange(4), CLASSES]
  value = eager_and_graph(lambda: losses.sparse_softmax_cross_entropy(
      LOGITS, labels, weights=weights))
  np.testing.assert_allclose(value, weighted_mean(per_example, weights), rtol=1e-5)


@pytest.mark.parametrize('weights', [1.0, [[3., 0., 1.], [1., 1., 0.]], [0.5, 2.0]], ids=str)
@pytest.mark.parametrize('smoothing', [0.0, 0.3])
def test_sigmoid_cross_entropy_matches_numpy(weights, smoothing):
  logits = np.array([[1., -2., 3.], [0.5, 0., -1.]], np.float32)
  targets = BINARY * (1 - smoothing) + 0.5 * smoothing
  x = logits.astype(np.float64)
  per_element = np.maximum(x, 0) - x * targets + np.log1p(np.exp(-np.abs(x)))
  value = eager_and_graph(lambda: losses.sigmoid_cross_entropy(
      logits, BINARY, weights=weights, label_smoothing=smoothing))
  np.testing.assert_allclose(value, weighted_mean(per_element, weights), rtol=1e-5)


def np_pairwise(predictions, labels, weights):
  """Per example: mean over ordered pairs of ((p_i - p_j) - (l_i - l_j))^2; weighted sum."""
  diffs = (predictions - labels).reshape(len(predictions), -1).astype(np.float64)
  per_example = np.array([np.mean((d[:, None] - d[None, :]) ** 2) for d in diffs])
  return np.sum(per_example * np.broadcast_to(np.reshape(weights, -1), per_example.shape))


@pytest.mark.parametrize('weights', [1.0, 2.3, [2.0, 1.0], [[1.2], [0.0]], 0.0], ids=str)
def test_mean_pairwise_squared_error_matches_numpy(weights):
  value = eager_and_graph(lambda: losses.mean_pairwise_squared_error(
      PREDICTIONS, LABELS, weights=weights))
  np.testing.assert_allclose(value, np_pairwise(PREDICTIONS, LABELS, weights), rtol=1e-5)


def test_mean_pairwise_squared_error_adds_over_the_batch():
  rng = np.random.RandomState(1)
  p, l = rng.rand(2, 3, 4, 1).astype(np.float32), rng.rand(2, 3, 4, 1).astype(np.float32)
  whole = losses.mean_pairwise_squared_error(p, l).numpy()
  parts = sum(losses.mean_pairwise_squared_error(p[i:i + 1], l[i:i + 1]).numpy()
              for i in range(2))
  assert whole == pytest.approx(parts, rel=1e-5)


def test_mean_pairwise_squared_error_zero_weight_has_finite_gradient():
  variable = tf.Variable(tf.ones([2, 3]))
  with tf.GradientTape() as tape:
    loss = losses.mean_pairwise_squared_error(variable * 2.0, variable, weights=0.0)
  assert float(loss) == 0.0
  assert np.all(np.isfinite(tape.gradient(loss, variable).numpy()))


def test_cosine_distance_by_hand():
  # unit vectors along axis 2: equal -> 0, opposite -> 2, orthogonal -> 1.
  predictions = np.array([[[1., 0.], [0., 1.]], [[1., 0.], [0., 1.]]], np.float32)
  labels = np.array([[[1., 0.], [0., -1.]], [[0., 1.], [0., 1.]]], np.float32)
  assert eager_and_graph(lambda: losses.cosine_distance(predictions, labels, axis=2)) == \
      pytest.approx((0 + 2 + 1 + 0) / 4)
  assert eager_and_graph(lambda: losses.cosine_distance(
      predictions, labels, dim=2, weights=[[1., 1.], [0., 0.]])) == pytest.approx(1.0)
  assert eager_and_graph(lambda: losses.cosine_distance(
      predictions, labels, axis=2, weights=[[0., 0.], [0., 0.]])) == 0.0


def test_hinge_loss_is_per_element_and_not_collected(graph):
  per_element = losses.hinge_loss(tf.constant([1.2, 0.4, -1.0, -1.1]),
                                  tf.constant([1.0, 0.0, 0.0, 1.0]))
  assert not losses.get_losses()
  mean = losses.compute_weighted_loss(per_element)
  assert losses.get_losses() == [mean]
  with tf.compat.v1.Session() as sess:
    np.testing.assert_allclose(sess.run(per_element), [0.0, 1.4, 0.0, 2.1], atol=1e-6)
    assert sess.run(mean) == pytest.approx(3.5 / 4)


def test_loss_op_names_and_dtype(graph):
  loss = losses.softmax_cross_entropy(tf.zeros([2, 3]), tf.ones([2, 3]))
  assert loss.op.name == 'softmax_cross_entropy_loss/value'
  assert losses.sigmoid_cross_entropy(tf.zeros([2, 3]), tf.ones([2, 3])).op.name == \
      'sigmoid_cross_entropy_loss/value'
  assert losses.compute_weighted_loss(tf.ones([2])).op.name == 'weighted_loss/value'
  assert losses.softmax_cross_entropy(tf.zeros([2, 3], tf.float64),
                                      tf.ones([2, 3])).dtype == tf.float64


def test_dynamic_shapes_in_graph(graph):
  logits = tf.compat.v1.placeholder(tf.float32, [None, 3])
  weights = tf.compat.v1.placeholder(tf.float32, [None, None])
  loss = losses.sparse_softmax_cross_entropy(logits, tf.constant(CLASSES), weights)
  with tf.compat.v1.Session() as sess:
    value = sess.run(loss, {logits: LOGITS, weights: [[2.], [0.], [1.], [1.]]})
  per_example = -log_softmax(LOGITS.astype(np.float64))[np.arange(4), CLASSES]
  assert value == pytest.approx(weighted_mean(per_example, [2., 0., 1., 1.]), rel=1e-5)


def test_losses_in_tf_function_equal_eager():
  @tf.function
  def compute(logits, labels):
    return (losses.softmax_cross_entropy(logits, labels, label_smoothing=0.1),
            losses.mean_squared_error(logits, labels, weights=[1.0, 0.0, 2.0, 1.0]))
  onehot = np.eye(3, dtype=np.float32)[CLASSES]
  in_function = [t.numpy() for t in compute(tf.constant(LOGITS), tf.constant(onehot))]
  eager = [losses.softmax_cross_entropy(LOGITS, onehot, label_smoothing=0.1).numpy(),
           losses.mean_squared_error(LOGITS, onehot, weights=[1.0, 0.0, 2.0, 1.0]).numpy()]
  np.testing.assert_allclose(in_function, eager, rtol=1e-6)


def test_graph_losses_are_collected_and_summed(graph):
  first = losses.absolute_difference(PREDICTIONS, LABELS)
  second = losses.mean_squared_error(PREDICTIONS, LABELS, weights=0.5)
  tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES,
                                 tf.constant(1.5))
  assert losses.get_losses() == [first, second]
  assert len(losses.get_regularization_losses()) == 1
  with tf.compat.v1.Session() as sess:
    total, without = sess.run([losses.get_total_loss(),
                               losses.get_total_loss(add_regularization_losses=False)])
  squared = np.mean((PREDICTIONS - LABELS) ** 2) * 0.5
  assert without == pytest.approx(5.5 + squared)
  assert total == pytest.approx(5.5 + squared + 1.5)


def test_arg_scope_on_add_loss_keeps_losses_out(graph):
  with slim.arg_scope([losses.add_loss], loss_collection=None):
    losses.absolute_difference(PREDICTIONS, LABELS)
    losses.softmax_cross_entropy(LOGITS, np.eye(3)[CLASSES])
    losses.mean_pairwise_squared_error(PREDICTIONS, LABELS)
  assert not losses.get_losses()
  losses.add_loss(tf.constant(1.0), loss_collection='mine')
  assert len(losses.get_losses(loss_collection='mine')) == 1


def test_eager_losses_touch_no_collection():
  losses.absolute_difference(PREDICTIONS, LABELS)
  assert not losses.get_losses()


def test_get_total_loss_without_losses_says_so(graph):
  with pytest.raises(ValueError, match='get_total_loss: there are no losses'):
    losses.get_total_loss()


@pytest.mark.parametrize('call,message', [
    (lambda: losses.absolute_difference(PREDICTIONS, LABELS, weights=None),
     'absolute_difference: weights must be a tensor or a number, received None'),
    (lambda: losses.mean_squared_error(PREDICTIONS, LABELS[:, :2]),
     r'mean_squared_error: predictions and labels must have the same shape, received '
     r'\(2, 3\) and \(2, 2\)'),
    (lambda: losses.log_loss(PROBABILITIES, BINARY, weights=np.ones((2, 4))),
     r'log_loss: weights must be a scalar or match the leading dimensions of the '
     r'per-element losses \(2, 3\), received weights of shape \(2, 4\)'),
    (lambda: losses.softmax_cross_entropy(LOGITS, np.eye(3)[CLASSES], weights=np.ones((4, 3))),
     r'softmax_cross_entropy: weights .* received weights of shape \(4, 3\)'),
    (lambda: losses.sparse_softmax_cross_entropy(LOGITS, [[0, 1], [2, 0]]),
     r'sparse_softmax_cross_entropy: labels must have shape \[batch_size\] or '
     r'\[batch_size, 1\] with batch_size 4 .* received shape \(2, 2\)'),
    (lambda: losses.sparse_softmax_cross_entropy(LOGITS, CLASSES, weights=[1., 2., 3.]),
     r'sparse_softmax_cross_entropy: weights .* received weights of shape \(3,\)'),
    (lambda: losses.softmax_cross_entropy(LOGITS, np.eye(3)[CLASSES], label_smoothing=1.5),
     r'softmax_cross_entropy: label_smoothing must be in \[0, 1\], received 1.5'),
    (lambda: losses.cosine_distance(PREDICTIONS, LABELS),
     "cosine_distance: You must specify 'axis'"),
    (lambda: losses.cosine_distance(PREDICTIONS, LABELS, axis=1, dim=1),
     "cosine_distance: Cannot specify both 'axis' and 'dim'"),
    (lambda: losses.mean_pairwise_squared_error(PREDICTIONS, LABELS, weights=np.ones((2, 3))),
     r'mean_pairwise_squared_error: weights must be a scalar or of shape \[batch_size\] '
     r'\(\(2,\)\), received shape \(2, 3\)'),
    (lambda: losses.absolute_difference(PREDICTIONS, None),
     'absolute_difference: labels must be a tensor or a number, received None'),
])
def test_bad_arguments_raise_clear_errors(call, message):
  with pytest.raises(ValueError, match=message):
    call()


def test_unknown_rank_is_an_error_in_graph(graph):
  predictions = tf.compat.v1.placeholder(tf.float32)
  with pytest.raises(ValueError, match='cosine_distance: the per-element losses must have a '
                                       'known rank'):
    losses.cosine_distance(predictions, tf.constant(LABELS[..., None]), axis=2)


def test_public_names_match_tf_slim():
  expected = {'absolute_difference', 'add_loss', 'cluster_loss', 'compute_weighted_loss',
              'contrastive_loss', 'cosine_distance', 'get_losses',
              'get_regularization_losses', 'get_total_loss', 'hinge_loss',
              'lifted_struct_loss', 'log_loss', 'mean_pairwise_squared_error',
              'mean_squared_error', 'metric_learning', 'npairs_loss', 'npairs_loss_multilabel',
              'sigmoid_cross_entropy', 'softmax_cross_entropy', 'sparse_softmax_cross_entropy',
              'triplet_semihard_loss'}
  assert expected <= set(dir(slim.losses))
  assert slim.losses.loss_ops.softmax_cross_entropy is slim.losses.softmax_cross_entropy
