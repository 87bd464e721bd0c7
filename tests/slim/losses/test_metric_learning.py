"""slim.losses.metric_learning against numpy implementations written here."""
import numpy as np
import pytest
import tensorflow as tf

from slim.losses import metric_learning
from tests.slim import graph_run

RNG = np.random.RandomState(7)
EMBEDDINGS = RNG.rand(12, 5).astype(np.float32)
LABELS = np.array([0, 1, 2, 0, 1, 2, 3, 3, 0, 1, 2, 1])


def np_distances(x, squared=False):
  x = x.astype(np.float64)
  d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
  return d2 if squared else np.sqrt(d2)


def eager_and_graph_5(build):
  return graph_run.eager_and_graph(build, rtol=1e-5)


@pytest.mark.parametrize('squared', [False, True])
def test_pairwise_distance(squared):
  value = eager_and_graph_5(lambda: metric_learning.pairwise_distance(EMBEDDINGS, squared))
  np.testing.assert_allclose(value, np_distances(EMBEDDINGS, squared), atol=1e-5)
  assert np.all(np.diag(value) == 0)


def test_pairwise_distance_gradient_is_finite_for_equal_rows():
  feature = tf.Variable([[1., 2.], [1., 2.], [0., 1.]])
  with tf.GradientTape() as tape:
    total = tf.reduce_sum(metric_learning.pairwise_distance(feature))
  assert np.all(np.isfinite(tape.gradient(total, feature).numpy()))


def test_contrastive_loss():
  anchor, positive = RNG.rand(8, 4).astype(np.float32), RNG.rand(8, 4).astype(np.float32)
  similar = np.array([1, 0, 1, 1, 0, 0, 1, 0])
  d = np.linalg.norm(anchor.astype(np.float64) - positive, axis=1)
  expected = np.mean(similar * d ** 2 + (1 - similar) * np.maximum(0.8 - d, 0) ** 2)
  value = eager_and_graph_5(lambda: metric_learning.contrastive_loss(similar, anchor, positive,
                                                                   margin=0.8))
  assert value == pytest.approx(expected, rel=1e-5)


def np_triplet_semihard(labels, embeddings, margin):
  d = np_distances(embeddings, squared=True)
  total, count = 0.0, 0
  for a in range(len(labels)):
    negatives = np.sort(d[a][labels != labels[a]])
    for p in range(len(labels)):
      if p == a or labels[p] != labels[a]:
        continue
      farther = negatives[negatives > d[a, p]]
      negative = farther[0] if farther.size else negatives[-1]
      total += max(0.0, margin + d[a, p] - negative)
      count += 1
  return total / count


@pytest.mark.parametrize('margin', [0.2, 1.0])
def test_triplet_semihard_loss(margin):
  value = eager_and_graph_5(lambda: metric_learning.triplet_semihard_loss(
      LABELS, EMBEDDINGS, margin=margin))
  assert value == pytest.approx(np_triplet_semihard(LABELS, EMBEDDINGS, margin), rel=1e-5)


def np_lifted_struct(labels, embeddings, margin):
  d = np_distances(embeddings)
  terms = []
  for i in range(len(labels)):
    for j in range(i + 1, len(labels)):
      if labels[i] != labels[j]:
        continue
      negatives = np.sum(np.exp(margin - d[i][labels != labels[i]])) + \
          np.sum(np.exp(margin - d[j][labels != labels[j]]))
      terms.append(max(0.0, d[i, j] + np.log(negatives)) ** 2)
  return np.sum(terms) / (2 * len(terms))


@pytest.mark.parametrize('margin', [0.5, 1.0])
def test_lifted_struct_loss(margin):
  value = eager_and_graph_5(lambda: metric_learning.lifted_struct_loss(
      LABELS, EMBEDDINGS, margin=margin))
  assert value == pytest.approx(np_lifted_struct(LABELS, EMBEDDINGS, margin), rel=1e-5)


def np_npairs(label_matrix, anchor, positive, reg_lambda):
  reg = 0.25 * reg_lambda * (np.mean(np.sum(anchor.astype(np.float64) ** 2, 1)) +
                             np.mean(np.sum(positive.astype(np.float64) ** 2, 1)))
  logits = anchor.astype(np.float64) @ positive.T
  logits -= logits.max(1, keepdims=True)
  log_probabilities = logits - np.log(np.exp(logits).sum(1, keepdims=True))
  targets = label_matrix / label_matrix.sum(1, keepdims=True)
  return reg + np.mean(-(targets * log_probabilities).sum(1))


def test_npairs_loss():
  anchor, positive = RNG.rand(6, 4).astype(np.float32), RNG.rand(6, 4).astype(np.float32)
  labels = np.array([0, 1, 2, 1, 3, 0])
  expected = np_npairs((labels[:, None] == labels[None, :]).astype(float), anchor, positive,
                       0.02)
  value = eager_and_graph_5(lambda: metric_learning.npairs_loss(labels, anchor, positive,
                                                              reg_lambda=0.02))
  assert value == pytest.approx(expected, rel=1e-5)


def sparse_rows(indicators):
  return [tf.sparse.from_dense(tf.constant(row[None, :], tf.int64)) for row in indicators]


def test_npairs_loss_multilabel():
  anchor, positive = RNG.rand(6, 4).astype(np.float32), RNG.rand(6, 4).astype(np.float32)
  indicators = RNG.randint(0, 2, (6, 5))
  indicators[:, -1] = 1
  expected = np_npairs((indicators @ indicators.T).astype(float), anchor, positive, 0.01)
  value = eager_and_graph_5(lambda: metric_learning.npairs_loss_multilabel(
      sparse_rows(indicators), anchor, positive, reg_lambda=0.01))
  assert value == pytest.approx(expected, rel=1e-5)
  one_label = metric_learning.npairs_loss_multilabel(sparse_rows(np.eye(6, dtype=int)),
                                                     anchor, positive)
  assert one_label.numpy() == pytest.approx(
      metric_learning.npairs_loss(np.arange(6), anchor, positive).numpy(), rel=1e-6)


def test_npairs_loss_multilabel_wants_sparse_tensors():
  with pytest.raises(TypeError, match='sparse_labels must be a list of SparseTensors'):
    metric_learning.npairs_loss_multilabel([np.ones(3)], EMBEDDINGS[:1], EMBEDDINGS[:1])


# -- Clustering loss: a plain numpy version of the same facility-location search.

def np_assign(d, centers):
  predictions = np.argmin(d[centers], axis=0)
  predictions[centers] = np.arange(len(centers))
  return predictions


def np_cluster_loss(embeddings, labels, multiplier, pam, score):
  d = np_distances(embeddings)
  k = len(np.unique(labels))

  def augmented(centers):
    return -np.sum(np.min(d[centers], axis=0)) + multiplier * (
        1 - score(labels, np_assign(d, centers)))

  centers = []
  for _ in range(k):
    candidates = [i for i in range(len(labels)) if i not in centers]
    centers.append(candidates[int(np.argmax([augmented(centers + [c]) for c in candidates]))])
  for _ in range(5 if pam else 0):
    predictions = np_assign(d, centers)
    for cluster in range(k):
      members = np.flatnonzero(predictions == cluster)
      within = -d[np.ix_(members, members)].sum(0)
      scores = []
      for member in members:
        trial = list(centers)
        trial[cluster] = member
        scores.append(multiplier * (1 - score(labels, np_assign(d, trial))))
      centers[cluster] = members[int(np.argmax(within + np.array(scores)))]
  gt = sum(-np.min(d[np.ix_(labels == c, labels == c)].sum(0)) for c in np.unique(labels))
  predicted = -np.sum(np.min(d[centers], axis=0))
  return max(0.0, predicted + multiplier * (1 - score(labels, np_assign(d, centers))) - gt)


def const_score(labels, predictions):
  return float(np.all(labels == predictions))


@pytest.mark.parametrize('pam', [False, True])
def test_cluster_loss_nmi(pam):
  metrics = pytest.importorskip('sklearn.metrics')
  rng = np.random.RandomState(3)
  labels = np.repeat(np.arange(4), 4)
  embeddings = (rng.randn(16, 3) * 0.6 + np.eye(4, 3)[labels] * 2).astype(np.float32)
  expected = np_cluster_loss(embeddings, labels, 1.5, pam,
                             metrics.normalized_mutual_info_score)
  value = eager_and_graph_5(lambda: metric_learning.cluster_loss(
      labels, embeddings, margin_multiplier=1.5, enable_pam_finetuning=pam))
  assert value == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_cluster_loss_in_tf_function_equals_eager():
  labels = np.array([0, 0, 1, 1, 2, 2])
  embeddings = np.random.RandomState(2).rand(6, 2).astype(np.float32)
  loss = tf.function(lambda l, e: metric_learning.cluster_loss(l, e, 1.0, margin_type='const'))
  assert float(loss(labels, embeddings)) == pytest.approx(
      float(metric_learning.cluster_loss(labels, embeddings, 1.0, margin_type='const')))


def test_cluster_loss_const_margin():
  rng = np.random.RandomState(5)
  labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
  embeddings = rng.rand(9, 2).astype(np.float32)
  expected = np_cluster_loss(embeddings, labels, 2.0, True, const_score)
  value = metric_learning.cluster_loss(labels[:, None], embeddings, 2.0, margin_type='const')
  assert value.shape == ()
  assert float(value) == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_clustering_helpers():
  d = tf.constant(np_distances(EMBEDDINGS[:5]), tf.float32)
  np.testing.assert_array_equal(metric_learning.update_1d_tensor(
      tf.constant([4, 5, 6]), 1, tf.constant([9])), [4, 9, 6])
  np.testing.assert_array_equal(metric_learning.get_cluster_assignment(d, [3, 0]),
                                np_assign(d.numpy(), [3, 0]))
  assert float(metric_learning.compute_facility_energy(d, [1])) == pytest.approx(
      -d.numpy()[1].sum(), rel=1e-6)
  assert float(metric_learning.compute_clustering_score([0, 0, 1], [1, 1, 0], 'const')) == 0
  assert float(metric_learning.compute_clustering_score([2, 0], [2, 0], 'const')) == 1


def test_bad_margin_type_and_shapes():
  with pytest.raises(ValueError, match="cluster_loss: Unrecognized margin_type: 'nmix'"):
    metric_learning.cluster_loss(LABELS, EMBEDDINGS, 1.0, margin_type='nmix')
  with pytest.raises(ValueError, match=r'triplet_semihard_loss: labels must have rank 1, '
                                       r'received shape \(12, 1\)'):
    metric_learning.triplet_semihard_loss(LABELS[:, None], EMBEDDINGS)
  with pytest.raises(ValueError, match=r'lifted_struct_loss: labels must have one entry per '
                                       r'embedding \(\(12,\)\), received shape \(3,\)'):
    metric_learning.lifted_struct_loss(LABELS[:3], EMBEDDINGS)
  with pytest.raises(ValueError, match='contrastive_loss: embeddings_anchor and '
                                       'embeddings_positive must have the same shape'):
    metric_learning.contrastive_loss(LABELS, EMBEDDINGS, EMBEDDINGS[:, :2])
