"""Bad input: the error names the metric and the argument, keeps tf_slim's
exception type, and comes before any variable is created."""
import numpy as np
import pytest
import tensorflow as tf

import slim

metrics = slim.metrics


def _ones(shape, dtype=tf.float32):
  return tf.ones(shape, dtype)


CASES = {
    # Shapes that do not fit.
    'accuracy_shapes': (
        lambda: metrics.streaming_accuracy(_ones([2, 2]), _ones([3, 1], tf.int64)),
        ValueError, r'streaming_accuracy: predictions and labels .*Shapes .* are incompatible'),
    'pearson_shapes': (
        lambda: metrics.streaming_pearson_correlation(_ones([2, 3]), _ones([4])),
        ValueError, r'streaming_pearson_correlation: predictions and labels'),
    'mean_iou_shapes': (
        lambda: metrics.streaming_mean_iou(_ones([5], tf.int64), _ones([6], tf.int64), 2),
        ValueError, r'streaming_mean_iou: predictions and labels'),
    'dynamic_auc_shapes': (
        lambda: metrics.streaming_dynamic_auc(_ones([6]), _ones([5])),
        ValueError, r'streaming_dynamic_auc: labels and predictions .*Shapes'),
    'mean_weights': (
        lambda: metrics.streaming_mean(_ones([2, 3]), weights=_ones([4])),
        ValueError, r'streaming_mean: weights of shape \(4,\) can not be broadcast'),
    'auc_weights': (
        lambda: metrics.streaming_auc(_ones([4, 2]), _ones([4, 2]), weights=_ones([4, 3])),
        ValueError, r'streaming_auc: weights of shape \(4, 3\)'),
    'concat_unknown_rank': (
        lambda: metrics.streaming_concat(tf.compat.v1.placeholder(tf.float32)),
        ValueError, r'streaming_concat: `values` must have known statically known rank'),
    'concat_axis': (
        lambda: metrics.streaming_concat(_ones([2, 3]), axis=2),
        ValueError, r'streaming_concat: axis = 2 not in \[0, 2\)'),
    'concat_unknown_dimension': (
        lambda: metrics.streaming_concat(tf.compat.v1.placeholder(tf.float32, [None, None])),
        ValueError, r'streaming_concat: all dimensions of `values` other than'),
    # Wrong dtypes.
    'sparse_recall_float_labels': (
        lambda: metrics.streaming_sparse_recall_at_k(_ones([2, 4]), _ones([2, 1]), 2),
        TypeError, r'streaming_sparse_recall_at_k: labels must have a dtype of kind integer'),
    'recall_at_k_float_labels': (
        lambda: metrics.streaming_recall_at_k(_ones([2, 4]), _ones([2]), 2),
        TypeError, r'streaming_recall_at_k: labels must .*integer, received float32'),
    'average_precision_float_top_k': (
        lambda: metrics.streaming_sparse_average_precision_at_top_k(
            _ones([2, 2]), _ones([2, 1], tf.int64)),
        TypeError, r'streaming_sparse_average_precision_at_top_k: top_k_predictions'),
    'covariance_dtypes': (
        lambda: metrics.streaming_covariance(_ones([2], tf.float64), _ones([2])),
        TypeError, r'streaming_covariance: predictions and labels must have the same dtype'),
    'mean_strings': (
        lambda: metrics.streaming_mean(tf.constant(['a', 'b'])),
        TypeError, r'streaming_mean: values must have a dtype of kind'),
    'mean_not_a_tensor': (
        lambda: metrics.streaming_mean(object()),
        TypeError, r'streaming_mean: values must be a tensor'),
    'equal_thresholds_labels': (
        lambda: metrics.precision_recall_at_equal_thresholds(_ones([3], tf.int64), _ones([3])),
        TypeError, r'precision_recall_at_equal_thresholds: labels must be of type bool'),
    'histogram_labels': (
        lambda: metrics.auc_using_histogram(_ones([3], tf.int64), _ones([3]), [0., 1.]),
        ValueError, r'auc_using_histogram: Argument boolean_labels should have dtype bool'),
    'accuracy_float_labels': (
        lambda: metrics.accuracy(_ones([3], tf.int32), _ones([3])),
        ValueError, r'accuracy: Labels should have bool, integer, or string dtype'),
    'accuracy_dtype_mismatch': (
        lambda: metrics.accuracy(_ones([3], tf.int32), _ones([3], tf.int64)),
        ValueError, r'accuracy: Dtypes of predictions and labels should match'),
    # Other arguments out of range.
    'k': (lambda: metrics.streaming_sparse_recall_at_k(_ones([2, 4]), _ones([2, 1], tf.int64), 0),
          ValueError, r'streaming_sparse_recall_at_k: k must be a positive int, received 0'),
    'num_classes': (
        lambda: metrics.streaming_mean_iou(_ones([5], tf.int64), _ones([5], tf.int64), 0),
        ValueError, r'streaming_mean_iou: num_classes must be a positive int'),
    'kappa_num_classes': (
        lambda: metrics.cohen_kappa(_ones([5], tf.int64), _ones([5], tf.int64), 1),
        ValueError, r'cohen_kappa: `num_classes` must be >= 2'),
    'thresholds': (
        lambda: metrics.streaming_precision_at_thresholds(_ones([3]), _ones([3]), 'high'),
        ValueError, r'streaming_precision_at_thresholds: thresholds must be a list of floats'),
    'curve': (
        lambda: metrics.streaming_dynamic_auc(_ones([3]), _ones([3]), curve='TEST_CURVE'),
        ValueError, r'streaming_dynamic_auc: curve must be either ROC or PR, TEST_CURVE'),
    'sensitivity': (
        lambda: metrics.streaming_specificity_at_sensitivity(_ones([3]), _ones([3]), 1.5),
        ValueError, r'streaming_specificity_at_sensitivity: `sensitivity` must be in'),
    'precision': (
        lambda: metrics.recall_at_precision(_ones([3]), _ones([3]), -0.1),
        ValueError, r'recall_at_precision: `precision` must be in the range \[0, 1\]'),
    'target_recall': (
        lambda: metrics.precision_at_recall(_ones([3]), _ones([3]), 2),
        ValueError, r'precision_at_recall: `target_recall` must be in the range'),
    'alpha': (
        lambda: metrics.auc_with_confidence_intervals(_ones([3]), _ones([3]), alpha=1.5),
        ValueError, r'auc_with_confidence_intervals: alpha must be between 0 and 1'),
    'aggregate_nothing': (
        lambda: metrics.aggregate_metrics(), ValueError,
        r'aggregate_metrics: Expected at least one'),
    'aggregate_map_not_a_dict': (
        lambda: metrics.aggregate_metric_map([1, 2]), TypeError,
        r'aggregate_metric_map: names_to_tuples must be a dict'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_input_is_named_before_any_variable(graph, case):
  build, error, pattern = CASES[case]
  with pytest.raises(error, match=pattern):
    build()
  assert graph.get_collection(tf.compat.v1.GraphKeys.LOCAL_VARIABLES) == []
  assert graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) == []


def test_bad_labels_fail_when_the_update_runs(graph):
  labels = tf.compat.v1.placeholder(tf.int64, [None])
  _, update_op = metrics.streaming_dynamic_auc(labels, tf.constant([0.1, 0.9, 0.5]))
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.local_variables_initializer())
    with pytest.raises(tf.errors.InvalidArgumentError, match='labels must be 0 or 1'):
      sess.run(update_op, {labels: np.array([0, 1, 2])})
