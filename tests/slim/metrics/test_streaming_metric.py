"""TF2: slim.metrics.StreamingMetric gives the values of a TF1 graph over
several batches, owns and resets its variables, and works inside tf.function."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.metrics.metrics_helpers import run_in_graph, run_in_tf2

metrics = slim.metrics


def _scores_and_labels(seed=3, n=24, shape=()):
  rng = np.random.RandomState(seed)
  scores = rng.rand(n, *shape).astype(np.float32)
  labels = (rng.rand(n, *shape) < scores).astype(np.int64)
  return scores, labels


def _score_batches(labels_first=False, weights=False):
  scores, labels = _scores_and_labels()
  arrays = [labels, scores] if labels_first else [scores, labels]
  if weights:
    arrays.append(np.random.RandomState(4).rand(len(scores)).astype(np.float32))
  return list(zip(*[np.split(a, 3) for a in arrays]))


def _class_batches(top_k=False):
  rng = np.random.RandomState(5)
  scores = rng.rand(12, 5).astype(np.float32)
  labels = rng.randint(0, 5, (12, 2)).astype(np.int64)
  first = np.argsort(-scores, 1)[:, :2].astype(np.int64) if top_k else scores
  return list(zip(np.split(first, 3), np.split(labels, 3)))


def _real_batches(unit=False):
  rng = np.random.RandomState(6)
  predictions, labels = rng.randn(2, 12, 3).astype(np.float32)
  if unit:
    predictions /= np.linalg.norm(predictions, axis=1, keepdims=True)
    labels /= np.linalg.norm(labels, axis=1, keepdims=True)
  return list(zip(np.split(predictions, 3), np.split(labels, 3)))


THRESHOLDS = [0.2, 0.5, 0.8]
CASES = {
    'true_positives': (metrics.streaming_true_positives, {}, _score_batches),
    'false_negatives': (metrics.streaming_false_negatives, {}, _score_batches),
    'true_negatives_weighted': (metrics.streaming_true_negatives, {},
                                functools.partial(_score_batches, weights=True)),
    'false_positive_rate': (metrics.streaming_false_positive_rate, {}, _score_batches),
    'false_negative_rate': (metrics.streaming_false_negative_rate, {}, _score_batches),
    'mean_tensor': (metrics.streaming_mean_tensor, {},
                    lambda: [(b[0],) for b in _real_batches()]),
    'true_positives_at_thresholds': (metrics.streaming_true_positives_at_thresholds,
                                     {'thresholds': THRESHOLDS}, _score_batches),
    'false_positives_at_thresholds': (metrics.streaming_false_positives_at_thresholds,
                                      {'thresholds': THRESHOLDS}, _score_batches),
    'precision_at_thresholds': (metrics.streaming_precision_at_thresholds,
                                {'thresholds': THRESHOLDS}, _score_batches),
    'recall_at_thresholds': (metrics.streaming_recall_at_thresholds,
                             {'thresholds': THRESHOLDS}, _score_batches),
    'false_positive_rate_at_thresholds': (
        metrics.streaming_false_positive_rate_at_thresholds, {'thresholds': THRESHOLDS},
        _score_batches),
    'false_negative_rate_at_thresholds': (
        metrics.streaming_false_negative_rate_at_thresholds, {'thresholds': THRESHOLDS},
        _score_batches),
    'curve_points_pr': (metrics.streaming_curve_points, {'curve': 'PR', 'num_thresholds': 9},
                        functools.partial(_score_batches, labels_first=True)),
    'auc_pr': (metrics.streaming_auc, {'curve': 'PR'}, _score_batches),
    'dynamic_auc_pr_weighted': (
        lambda labels, scores, weights: metrics.streaming_dynamic_auc(
            labels, scores, curve='PR', weights=weights), {},
        functools.partial(_score_batches, labels_first=True, weights=True)),
    'specificity_at_sensitivity': (metrics.streaming_specificity_at_sensitivity,
                                   {'sensitivity': 0.7}, _score_batches),
    'sensitivity_at_specificity': (metrics.streaming_sensitivity_at_specificity,
                                   {'specificity': 0.7}, _score_batches),
    'recall_at_precision': (metrics.recall_at_precision, {'precision': 0.6},
                            functools.partial(_score_batches, labels_first=True)),
    'recall_at_precision_strict': (metrics.recall_at_precision,
                                   {'precision': 0.6, 'strict_mode': True},
                                   functools.partial(_score_batches, labels_first=True)),
    'precision_at_recall': (metrics.precision_at_recall, {'target_recall': 0.7},
                            functools.partial(_score_batches, labels_first=True)),
    'f1_score': (metrics.f1_score, {'num_thresholds': 20},
                 functools.partial(_score_batches, labels_first=True)),
    'auc_using_histogram': (
        metrics.auc_using_histogram, {'score_range': [0., 1.], 'nbins': 10},
        lambda: [(l.astype(bool), s) for s, l in _score_batches()]),
    'sparse_precision_at_top_k': (metrics.streaming_sparse_precision_at_top_k, {},
                                  functools.partial(_class_batches, top_k=True)),
    'sparse_recall_at_top_k_class': (
        metrics.sparse_recall_at_top_k, {'class_id': 2},
        lambda: [(l, p) for p, l in _class_batches(top_k=True)]),
    'sparse_recall_at_k': (metrics.streaming_sparse_recall_at_k, {'k': 2}, _class_batches),
    'mean_squared_error': (metrics.streaming_mean_squared_error, {}, _real_batches),
    'mean_relative_error': (metrics.streaming_mean_relative_error,
                            {'normalizer': np.full((4, 3), 2.0, np.float32)}, _real_batches),
    'mean_cosine_distance': (metrics.streaming_mean_cosine_distance, {'dim': 1},
                             functools.partial(_real_batches, unit=True)),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_tf2_gives_the_graph_values_and_names(case):
  metric_fn, kwargs, make_batches = CASES[case]
  batches = make_batches()
  graph_value, graph_names = run_in_graph(metric_fn, batches, **kwargs)
  tf2_value, tf2_names = run_in_tf2(metric_fn, batches, **kwargs)
  tf.nest.map_structure(
      lambda g, e: np.testing.assert_allclose(e, g, rtol=1e-5, atol=1e-6),
      graph_value, tf2_value)
  assert tf2_names == graph_names


def test_update_state_returns_the_new_value_and_result_does_not_update():
  mean = metrics.StreamingMetric(metrics.streaming_mean)
  assert not mean.built
  assert float(mean.update_state(tf.constant([1., 3.]))) == 2.0
  assert mean.built
  assert float(mean.result()) == float(mean.result()) == 2.0
  assert float(mean.update_state(tf.constant([8.]))) == 4.0
  assert sorted(mean.variables_by_name) == ['mean/count', 'mean/total']


def test_reset_state_starts_over_and_batch_sizes_may_vary():
  concat = metrics.StreamingMetric(metrics.streaming_concat)
  concat.update_state(tf.ones([2, 3]))
  concat.update_state(tf.zeros([5, 3]))
  assert concat.result().shape == (7, 3)
  variables = concat.variables
  concat.reset_state()
  assert concat.result().shape == (0, 3)
  concat.update_state(tf.fill([1, 3], 7.0))
  np.testing.assert_array_equal(concat.result(), [[7, 7, 7]])
  assert concat.variables == variables


def test_update_and_result_inside_a_tf_function():
  accuracy = metrics.StreamingMetric(metrics.streaming_accuracy)

  @tf.function
  def evaluate(predictions, labels):
    accuracy.update_state(predictions, labels)
    return accuracy.result()

  assert float(evaluate(tf.constant([1, 2, 3, 4]), tf.constant([1, 2, 0, 0]))) == 0.5
  assert float(evaluate(tf.constant([5, 6]), tf.constant([5, 6]))) == pytest.approx(4 / 6)
  assert float(accuracy.result()) == pytest.approx(4 / 6)


def test_several_metrics_as_one_map_and_checkpoint(tmp_path):
  def evaluation(logits, labels):
    return metrics.aggregate_metric_map({
        'accuracy': metrics.streaming_accuracy(tf.argmax(logits, 1), labels),
        'recall_at_2': metrics.streaming_recall_at_k(logits, labels, 2)})

  both = metrics.StreamingMetric(evaluation)
  logits = tf.constant([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5]])
  updates = both.update_state(logits, tf.constant([2, 0, 1], tf.int64))
  expected = {'accuracy': 1 / 3, 'recall_at_2': 1.0}
  assert {k: pytest.approx(float(v)) for k, v in updates.items()} == expected
  path = tf.train.Checkpoint(metrics=both).save(str(tmp_path / 'metrics'))
  both.reset_state()
  assert float(both.result()['accuracy']) == 0.0
  tf.train.Checkpoint(metrics=both).restore(path).assert_consumed()
  assert {k: pytest.approx(float(v)) for k, v in both.result().items()} == expected


def test_sparse_labels():
  recall = metrics.StreamingMetric(metrics.streaming_sparse_recall_at_k, k=1)
  labels = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], tf.constant([1, 0, 1], tf.int64), [2, 2])
  recall.update_state(tf.constant([[0.1, 0.9], [0.8, 0.2]]), labels)
  assert float(recall.result()) == pytest.approx(2 / 3)


def test_streaming_metric_errors():
  with pytest.raises(TypeError, match='metric_fn must be callable'):
    metrics.StreamingMetric('streaming_mean')
  mean = metrics.StreamingMetric(metrics.streaming_mean)
  with pytest.raises(RuntimeError, match='call update_state before result'):
    mean.result()
  mean.update_state(tf.constant([1.]))
  with pytest.raises(ValueError, match='another structure'):
    mean.update_state(tf.constant([1.]), tf.constant([1.]))
  not_a_pair = metrics.StreamingMetric(lambda x: tf.reduce_sum(x))
  with pytest.raises(TypeError, match=r'must return \(value, update_op\)'):
    not_a_pair.update_state(tf.constant([1., 2., 3.]))
  with tf.Graph().as_default():
    with pytest.raises(RuntimeError, match='call streaming_mean itself'):
      metrics.StreamingMetric(metrics.streaming_mean)


def test_metric_functions_outside_graphs_point_to_streaming_metric():
  with pytest.raises(RuntimeError, match=r'StreamingMetric\(slim.metrics.streaming_mean'):
    metrics.streaming_mean(tf.constant([1.]))

  @tf.function
  def bare(values):
    return metrics.streaming_mean(values)[1]

  with pytest.raises(ValueError, match='Let slim.metrics.StreamingMetric own the variables'):
    bare(tf.constant([1.]))
