"""Streaming metrics against values derived with numpy (and scikit-learn), over
several batches, built in a TF1 graph and run through StreamingMetric."""
import numpy as np
import pytest
import sklearn.metrics

import slim
from tests.slim.metrics.metrics_helpers import run_in_graph, run_in_tf2

metrics = slim.metrics
RUNNERS = [pytest.param(run_in_graph, id='graph'), pytest.param(run_in_tf2, id='tf2')]
NUM_BATCHES = 3


def _rng():
  return np.random.RandomState(7)


def _batches(*arrays):
  """Splits arrays of equal length into NUM_BATCHES batches of tuples."""
  return list(zip(*[np.split(a, NUM_BATCHES) for a in arrays]))


@pytest.mark.parametrize('run', RUNNERS)
def test_accuracy_weighted(run):
  rng = _rng()
  predictions = rng.randint(0, 3, 30).astype(np.int64)
  labels = rng.randint(0, 3, 30).astype(np.int64)
  weights = rng.rand(30).astype(np.float32)
  value, names = run(metrics.streaming_accuracy, _batches(predictions, labels, weights))
  expected = np.sum((predictions == labels) * weights) / np.sum(weights)
  assert value == pytest.approx(expected, rel=1e-5)
  assert names == ['accuracy/count:0', 'accuracy/total:0']


@pytest.mark.parametrize('run', RUNNERS)
def test_mean(run):
  values = _rng().randn(12, 2).astype(np.float32)
  value, _ = run(metrics.streaming_mean, _batches(values))
  assert value == pytest.approx(values.mean(), abs=1e-6)


@pytest.mark.parametrize('run', RUNNERS)
def test_precision_and_recall(run):
  rng = _rng()
  predictions, labels = rng.rand(60) > 0.5, rng.rand(60) > 0.4
  batches = _batches(predictions, labels)
  precision, _ = run(metrics.streaming_precision, batches)
  recall, _ = run(metrics.streaming_recall, batches)
  true_positives = np.sum(predictions & labels)
  assert precision == pytest.approx(true_positives / np.sum(predictions), rel=1e-6)
  assert recall == pytest.approx(true_positives / np.sum(labels), rel=1e-6)


@pytest.mark.parametrize('run', RUNNERS)
def test_auc_on_a_grid_equals_the_exact_auc(run):
  # Scores halfway between thresholds k/10: the 11-threshold curve is exact.
  rng = _rng()
  predictions = ((rng.randint(0, 10, 60) + 0.5) / 10).astype(np.float32)
  labels = (rng.rand(60) < predictions).astype(np.int64)
  value, names = run(metrics.streaming_auc, _batches(predictions, labels), num_thresholds=11)
  assert value == pytest.approx(sklearn.metrics.roc_auc_score(labels, predictions), abs=1e-4)
  assert names == ['auc/false_negatives:0', 'auc/false_positives:0', 'auc/true_negatives:0',
                   'auc/true_positives:0']


@pytest.mark.parametrize('run', RUNNERS)
def test_dynamic_auc_is_exact(run):
  rng = _rng()
  predictions = rng.rand(45).astype(np.float32)
  labels = (rng.rand(45) < predictions).astype(np.int64)
  value, _ = run(metrics.streaming_dynamic_auc, _batches(labels, predictions))
  assert value == pytest.approx(sklearn.metrics.roc_auc_score(labels, predictions), abs=1e-6)


@pytest.mark.parametrize('run', RUNNERS)
def test_auc_with_confidence_intervals(run):
  rng = _rng()
  predictions = rng.rand(60).astype(np.float32)
  labels = (rng.rand(60) < predictions).astype(np.int64)
  (auc, lower, upper), _ = run(metrics.auc_with_confidence_intervals,
                               _batches(labels, predictions))
  assert auc == pytest.approx(sklearn.metrics.roc_auc_score(labels, predictions), abs=1e-5)
  assert lower < auc < upper


def _top_k(scores, k):
  return np.argsort(-scores, axis=1)[:, :k]


@pytest.mark.parametrize('run', RUNNERS)
def test_recall_at_k(run):
  rng = _rng()
  scores = rng.rand(30, 6).astype(np.float32)
  labels = rng.randint(0, 6, 30).astype(np.int64)
  expected = np.mean([labels[i] in _top_k(scores, 2)[i] for i in range(30)])
  sparse_value, _ = run(metrics.streaming_sparse_recall_at_k,
                        _batches(scores, labels[:, None]), k=2)
  dense_value, names = run(metrics.streaming_recall_at_k, _batches(scores, labels), k=2)
  assert sparse_value == pytest.approx(expected)
  assert dense_value == pytest.approx(expected)
  assert names == ['recall_at_2/count:0', 'recall_at_2/total:0']


@pytest.mark.parametrize('run', RUNNERS)
def test_precision_and_average_precision_at_k(run):
  rng = _rng()
  scores = rng.rand(12, 5).astype(np.float32)
  labels = np.stack([rng.choice(5, 2, replace=False) for _ in range(12)]).astype(np.int64)
  top = _top_k(scores, 3)
  hits = np.array([[top[i, j] in labels[i] for j in range(3)] for i in range(12)])
  precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, 4)
  average_precision = np.sum(precision_at_i * hits, axis=1) / 2  # min(k, 2 labels)
  precision, _ = run(metrics.streaming_sparse_precision_at_k, _batches(scores, labels), k=3)
  mean_ap, _ = run(metrics.streaming_sparse_average_precision_at_k, _batches(scores, labels),
                   k=3)
  mean_ap_top_k, _ = run(metrics.streaming_sparse_average_precision_at_top_k,
                         _batches(top.astype(np.int64), labels))
  assert precision == pytest.approx(hits.mean())
  assert mean_ap == pytest.approx(average_precision.mean())
  assert mean_ap_top_k == pytest.approx(average_precision.mean())


@pytest.mark.parametrize('run', RUNNERS)
def test_mean_iou(run):
  rng = _rng()
  predictions = rng.randint(0, 4, (6, 5)).astype(np.int64)
  labels = rng.randint(0, 4, (6, 5)).astype(np.int64)
  confusion = sklearn.metrics.confusion_matrix(labels.ravel(), predictions.ravel(),
                                               labels=range(4))
  intersection = np.diag(confusion)
  union = confusion.sum(0) + confusion.sum(1) - intersection
  value, names = run(metrics.streaming_mean_iou, _batches(predictions, labels), num_classes=4)
  assert value == pytest.approx(np.mean(intersection[union > 0] / union[union > 0]), rel=1e-5)
  assert names == ['mean_iou/total_confusion_matrix:0']


@pytest.mark.parametrize('run', RUNNERS)
def test_covariance_and_pearson(run):
  rng = _rng()
  predictions = rng.randn(30).astype(np.float32)
  labels = (0.5 * predictions + rng.randn(30)).astype(np.float32)
  weights = rng.randint(0, 4, 30).astype(np.float32)
  covariance, _ = run(metrics.streaming_covariance, _batches(predictions, labels))
  pearson, names = run(metrics.streaming_pearson_correlation, _batches(predictions, labels))
  weighted, _ = run(metrics.streaming_covariance, _batches(predictions, labels, weights))
  assert covariance == pytest.approx(np.cov(predictions, labels)[0, 1], rel=1e-4)
  assert pearson == pytest.approx(np.corrcoef(predictions, labels)[0, 1], rel=1e-4)
  assert weighted == pytest.approx(
      np.cov(predictions, labels, fweights=weights.astype(int))[0, 1], rel=1e-4)
  assert 'pearson_r/variance_labels/comoment:0' in names and len(names) == 12


@pytest.mark.parametrize('run', RUNNERS)
def test_streaming_concat(run):
  values = np.arange(24, dtype=np.int32).reshape(2, 12)
  batches = [(b,) for b in np.split(values, 4, axis=1)]
  concatenated, names = run(metrics.streaming_concat, batches, axis=1)
  np.testing.assert_array_equal(concatenated, values)
  truncated, _ = run(metrics.streaming_concat, batches, axis=-1, max_size=5)
  np.testing.assert_array_equal(truncated, values[:, :5])
  assert names == ['streaming_concat/array:0', 'streaming_concat/size:0']


@pytest.mark.parametrize('run', RUNNERS)
def test_cohen_kappa(run):
  rng = _rng()
  labels = rng.randint(0, 3, 30).astype(np.int64)
  predictions = np.where(rng.rand(30) < 0.6, labels, rng.randint(0, 3, 30)).astype(np.int64)
  value, _ = run(metrics.cohen_kappa, _batches(labels, predictions), num_classes=3)
  assert value == pytest.approx(sklearn.metrics.cohen_kappa_score(labels, predictions),
                                abs=1e-6)


@pytest.mark.parametrize('run', RUNNERS)
def test_errors_rates_and_counts(run):
  rng = _rng()
  predictions, labels = rng.randn(2, 12).astype(np.float32)
  batches = _batches(predictions, labels)
  assert run(metrics.streaming_mean_absolute_error, batches)[0] == pytest.approx(
      np.abs(predictions - labels).mean(), rel=1e-5)
  assert run(metrics.streaming_root_mean_squared_error, batches)[0] == pytest.approx(
      np.sqrt(np.square(predictions - labels).mean()), rel=1e-5)
  assert run(metrics.streaming_percentage_less, _batches(predictions), threshold=0.3)[
      0] == pytest.approx(np.mean(predictions < 0.3))
  assert run(metrics.count, _batches(predictions))[0] == 12
  false_positive_rate, _ = run(metrics.streaming_false_positive_rate,
                               _batches(predictions > 0, labels > 0))
  assert false_positive_rate == pytest.approx(
      np.sum((predictions > 0) & (labels <= 0)) / np.sum(labels <= 0))


@pytest.mark.parametrize('run', RUNNERS)
def test_precision_recall_at_equal_thresholds(run):
  rng = _rng()
  predictions = rng.rand(30).astype(np.float32)
  labels = rng.rand(30) < 0.5
  data, names = run(metrics.precision_recall_at_equal_thresholds, _batches(labels, predictions),
                    num_thresholds=5)
  buckets = np.floor(predictions * 4).astype(int)
  expected_tp = [np.sum(labels & (buckets >= i)) for i in range(5)]
  expected_fp = [np.sum(~labels & (buckets >= i)) for i in range(5)]
  np.testing.assert_allclose(data.tp, expected_tp)
  np.testing.assert_allclose(data.fp, expected_fp)
  np.testing.assert_allclose(data.thresholds, np.linspace(0, 1, 5))
  assert names == ['precision_recall_at_equal_thresholds/variables/fp_buckets:0',
                   'precision_recall_at_equal_thresholds/variables/tp_buckets:0']


def test_accuracy_of_one_batch_works_eagerly():
  value = metrics.accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4]),
                           weights=np.array([1., 1., 2., 0.], np.float32))
  assert float(value) == pytest.approx(0.5)
