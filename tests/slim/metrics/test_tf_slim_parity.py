"""Parity with tf-slim 1.1.0: the same values and local variable names for the
same batches, in a TF1 graph."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.metrics.metrics_helpers import run_in_graph

pytestmark = pytest.mark.reference


def _batches(*arrays):
  return list(zip(*[np.split(np.asarray(a), 3) for a in arrays]))


def _data():
  rng = np.random.RandomState(11)
  scores = rng.rand(30).astype(np.float32)
  labels = (rng.rand(30) < scores).astype(np.int64)
  class_scores = rng.rand(30, 5).astype(np.float32)
  class_labels = rng.randint(0, 5, (30, 2)).astype(np.int64)
  real = rng.randn(2, 30).astype(np.float32)
  return scores, labels, class_scores, class_labels, real


def _cases():
  scores, labels, class_scores, class_labels, (x, y) = _data()
  top_2 = np.argsort(-class_scores, 1)[:, :2].astype(np.int64)
  units = np.stack([x, y], 1) / np.linalg.norm(np.stack([x, y], 1), axis=1, keepdims=True)
  return {
      'streaming_accuracy': (_batches(labels, scores > 0.5), {}),
      'streaming_precision': (_batches(scores > 0.4, labels), {}),
      'streaming_false_positive_rate': (_batches(scores > 0.4, labels), {}),
      'streaming_false_negative_rate': (_batches(scores > 0.4, labels), {}),
      'streaming_auc': (_batches(scores, labels), {'curve': 'PR'}),
      'streaming_curve_points': (_batches(labels, scores), {'num_thresholds': 7}),
      'streaming_dynamic_auc': (_batches(labels, scores), {}),
      'auc_with_confidence_intervals': (_batches(labels, scores), {}),
      'streaming_precision_at_thresholds': (_batches(scores, labels),
                                            {'thresholds': [0.3, 0.6]}),
      'streaming_false_negative_rate_at_thresholds': (_batches(scores, labels),
                                                      {'thresholds': [0.3, 0.6]}),
      'recall_at_precision': (_batches(labels, scores), {'precision': 0.7}),
      'precision_at_recall': (_batches(labels, scores), {'target_recall': 0.6}),
      'precision_recall_at_equal_thresholds': (_batches(labels > 0, scores),
                                               {'num_thresholds': 11}),
      'streaming_sparse_recall_at_k': (_batches(class_scores, class_labels), {'k': 2}),
      'streaming_sparse_precision_at_top_k': (_batches(top_2, class_labels), {}),
      'streaming_sparse_average_precision_at_k': (_batches(class_scores, class_labels),
                                                  {'k': 3}),
      'streaming_sparse_average_precision_at_top_k': (_batches(top_2, class_labels), {}),
      'streaming_covariance': (_batches(x, y), {}),
      'streaming_pearson_correlation': (_batches(x, y, np.abs(x)), {}),
      'streaming_mean_cosine_distance': (_batches(units, units[::-1]), {'dim': 1}),
      'streaming_mean_iou': (_batches(class_labels[:, 0], class_labels[:, 1]),
                             {'num_classes': 5}),
      'streaming_concat': (_batches(class_scores), {'max_size': 20}),
      'cohen_kappa': (_batches(class_labels[:, 0], class_labels[:, 1]), {'num_classes': 5}),
      'count': (_batches(x, np.abs(y)), {}),
      'f1_score': (_batches(labels, scores), {'num_thresholds': 11}),
      'auc_using_histogram': (_batches(labels > 0, scores), {'score_range': [0., 1.]}),
  }


CASES = _cases()


@pytest.mark.parametrize('name', sorted(CASES))
def test_same_values_and_variables_as_tf_slim(tf_slim, name):
  batches, kwargs = CASES[name]
  ours, our_names = run_in_graph(getattr(slim.metrics, name), batches, **kwargs)
  theirs, their_names = run_in_graph(getattr(tf_slim.metrics, name), batches, **kwargs)
  tf.nest.map_structure(
      functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6), ours, theirs)
  assert our_names == their_names


def test_same_public_names(tf_slim):
  public = lambda module: {n for n in dir(module) if not n.startswith('_')}
  assert public(tf_slim.metrics) - public(slim.metrics) <= {
      'absolute_import', 'division', 'print_function'}
  assert tf_slim.metrics.metric_ops.__all__ == [
      n for n in tf_slim.metrics.metric_ops.__all__ if n in slim.metrics.metric_ops.__all__]
