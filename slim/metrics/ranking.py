"""Exact AUC over all the scores seen: `streaming_dynamic_auc` (ROC or PR, by
the trapezoidal rule over every distinct score) and
`auc_with_confidence_intervals` (ROC AUC from placement values, with a
DeLong-style confidence interval).

Both keep every score, label and weight (`streaming_concat`), so their memory
grows with the data; `streaming_auc` uses a fixed grid of thresholds instead.
"""
import collections
import statistics

import tensorflow as tf

from slim.metrics import _common
from slim.metrics import aggregation

__all__ = ['auc_with_confidence_intervals', 'streaming_dynamic_auc']

AucData = collections.namedtuple('AucData', ['auc', 'lower', 'upper'])


def _check_labels_and_scores(metric, labels, predictions):
  labels = _common.to_tensor(metric, 'labels', labels)
  predictions = _common.to_tensor(metric, 'predictions', predictions)
  _common.check_dtype(metric, 'labels', labels, ('floating', 'integer', 'bool'))
  _common.check_compatible(metric, 'labels', labels, 'predictions', predictions)
  return labels, predictions


def _checked_binary(labels):
  """`labels` (int64), asserting when the update runs that each is 0 or 1."""
  checks = [
      tf.compat.v1.assert_greater_equal(labels, tf.zeros_like(labels, tf.int64),
                                        message='labels must be 0 or 1, at least one is <0'),
      tf.compat.v1.assert_less_equal(labels, tf.ones_like(labels, tf.int64),
                                     message='labels must be 0 or 1, at least one is >1')]
  with tf.control_dependencies(checks):
    return tf.identity(labels)


def _concat_examples(labels, predictions, weights):
  """Streams the flat labels, predictions and (unless None) weights of every
  batch; returns the accumulated triple and one update op."""
  all_predictions, update_predictions = aggregation.streaming_concat(predictions,
                                                                     name='concat_preds')
  all_labels, update_labels = aggregation.streaming_concat(labels, name='concat_labels')
  updates = [update_labels, update_predictions]
  all_weights = None
  if weights is not None:
    all_weights, update_weights = aggregation.streaming_concat(weights, name='concat_weights')
    updates.append(update_weights)
  return (all_labels, all_predictions, all_weights), tf.group(*updates)


def _dynamic_auc(labels, predictions, curve, weights=None):
  """AUC of all the (label, prediction, weight) triples, float64; 0 when all
  the labels are the same."""
  size = tf.size(predictions)
  if weights is None:
    weights = tf.ones_like(labels, dtype=tf.float64)
  labels, predictions, weights = _common.remove_squeezable_dimensions(labels, predictions,
                                                                      weights)
  zeros = tf.zeros_like(labels, dtype=tf.float64)
  total_weight = tf.reduce_sum(weights)
  total_positive = tf.reduce_sum(tf.where(tf.greater(labels, 0), weights, zeros))

  def cumulative_at_distinct_scores(values, splits):
    """Sums of `values` over the examples scored at or above each distinct score
    (0 first)."""
    return tf.gather(tf.pad(tf.cumsum(values), paddings=[[1, 0]]), splits)

  def area():
    ordered_predictions, indices = tf.math.top_k(predictions, k=size)
    ordered_labels = tf.gather(labels, indices)
    ordered_weights = tf.gather(weights, indices)
    _, _, counts = tf.unique_with_counts(ordered_predictions)
    splits = tf.cast(tf.pad(tf.cumsum(counts), paddings=[[1, 0]]), tf.int32)
    positive_weights = tf.where(tf.greater(ordered_labels, 0), ordered_weights, zeros)
    true_positives = cumulative_at_distinct_scores(positive_weights, splits)
    if curve == 'ROC':
      negative_weights = tf.where(tf.less(ordered_labels, 1), ordered_weights, zeros)
      false_positives = cumulative_at_distinct_scores(negative_weights, splits)
      xs = tf.truediv(false_positives, total_weight - total_positive)
      ys = tf.truediv(true_positives, total_positive)
    else:
      xs = tf.truediv(true_positives, total_positive)
      positives = cumulative_at_distinct_scores(ordered_weights, splits)
      ys = tf.where(tf.greater(splits, 0), tf.truediv(true_positives, positives),
                    tf.ones_like(true_positives, dtype=tf.float64))
    heights = (ys[1:] + ys[:-1]) / 2.0
    widths = tf.abs(xs[1:] - xs[:-1])
    return tf.reduce_sum(heights * widths)

  degenerate = tf.logical_or(tf.equal(total_positive, 0),
                             tf.equal(total_positive, total_weight))
  return tf.cond(degenerate, lambda: tf.constant(0, tf.float64), area)


@_common.graph_metric
def streaming_dynamic_auc(labels, predictions, curve='ROC', metrics_collections=(),
                          updates_collections=(), name=None, weights=None):
  """Exact area under the ROC or PR curve of all the scores seen so far.

  Creates, under `dynamic_auc/`, the `streaming_concat` variables
  `concat_labels/array`, `concat_labels/size`, `concat_preds/array`,
  `concat_preds/size` (and `concat_weights/...` with weights).

  Args:
    labels: 0/1 labels (checked when the graph runs), any numeric dtype.
    predictions: scores of the shape of `labels`.
    curve: 'ROC' (default) or 'PR'.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'dynamic_auc').
    weights: None or a tensor of the shape of `predictions`.

  Returns:
    `(auc, update_op)`: a float64 AUC (0 while the labels are all equal) and the
    op (no value) that adds a batch.

  Raises:
    ValueError: an unknown curve or incompatible shapes.
  """
  _common.check_curve('streaming_dynamic_auc', curve)
  labels, predictions = _check_labels_and_scores('streaming_dynamic_auc', labels, predictions)
  with tf.compat.v1.variable_scope(name, default_name='dynamic_auc'):
    predictions = tf.reshape(tf.cast(predictions, tf.float64), [-1])
    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    if weights is not None:
      weights = tf.reshape(tf.cast(weights, tf.float64), [-1])
    accumulated, update_op = _concat_examples(_checked_binary(labels), predictions, weights)
    all_labels, all_predictions, all_weights = accumulated
    value = _dynamic_auc(all_labels, all_predictions, curve=curve, weights=all_weights)
    return _common.finish(value, update_op, metrics_collections, updates_collections)


def _placement_auc(labels, predictions, weights, alpha, logit_transformation, is_valid):
  """AUC and its confidence interval from the placement values of the scores
  (the weighted fraction of the other class each score beats), by DeLong's
  variance estimate; `(0, 0, 0)` unless `is_valid`."""
  size = tf.size(predictions, out_type=tf.int32)
  total_0 = tf.reduce_sum(tf.cast(1 - labels, weights.dtype) * weights)
  total_1 = tf.reduce_sum(tf.cast(labels, weights.dtype) * weights)
  # Ascending scores; equal scores share one segment.
  ordered_predictions, indices = tf.math.top_k(predictions, k=size, sorted=True)
  ordered_predictions = tf.reverse(ordered_predictions, axis=[0])
  indices = tf.reverse(indices, axis=[0])
  ordered_labels = tf.gather(labels, indices)
  ordered_weights = tf.gather(weights, indices)
  _, segments = tf.unique(ordered_predictions)
  is_true = tf.cast(ordered_labels, tf.float32)
  is_false = 1.0 - is_true
  # The weight of the other class in each segment, and below it.
  other_weight_of_true = tf.math.segment_sum(ordered_weights * is_false, segments)
  other_weight_of_false = tf.math.segment_sum(ordered_weights * is_true, segments)

  def placements(segment_weights):
    below = tf.cumsum(segment_weights, exclusive=True)
    value = (below + segment_weights / 2.0) / (tf.reduce_sum(segment_weights) +
                                               _common.EPSILON)
    return tf.gather(value, segments)

  placement_values = (placements(other_weight_of_true) * is_true +
                      placements(other_weight_of_false) * is_false)
  mask_0 = tf.cast(1 - ordered_labels, weights.dtype)
  mask_1 = tf.cast(ordered_labels, weights.dtype)
  placements_0, weights_0 = placement_values * mask_0, ordered_weights * mask_0
  placements_1, weights_1 = placement_values * mask_1, ordered_weights * mask_1
  auc_0 = tf.reduce_sum(weights_0 * (1.0 - placements_0)) / (total_0 + _common.EPSILON)
  auc_1 = tf.reduce_sum(weights_1 * placements_1) / (total_1 + _common.EPSILON)
  auc = tf.where(tf.less(total_0, total_1), auc_1, auc_0)
  var_0 = tf.reduce_sum(weights_0 * tf.square(1.0 - placements_0 - auc_0)) / (
      total_0 - 1.0 + _common.EPSILON)
  var_1 = tf.reduce_sum(weights_1 * tf.math.squared_difference(placements_1, auc_1)) / (
      total_1 - 1.0 + _common.EPSILON)
  std_err = tf.sqrt(var_0 / (total_0 + _common.EPSILON) + var_1 / (total_1 + _common.EPSILON))
  # The (1 - alpha) / 2 quantile of the standard normal (negative).
  z_value = statistics.NormalDist().inv_cdf((1.0 - alpha) / 2.0)
  if logit_transformation:
    estimate = tf.math.log(auc / (1.0 - auc + _common.EPSILON))
    std_err = std_err / (auc * (1.0 - auc + _common.EPSILON))
    inverse_logit = lambda x: 1.0 / (1.0 + tf.exp(-x) + _common.EPSILON)
    lower = inverse_logit(estimate + z_value * std_err)
    upper = inverse_logit(estimate - z_value * std_err)
  else:
    lower = auc + z_value * std_err
    upper = auc - z_value * std_err
  certain = tf.logical_or(tf.equal(auc, tf.ones_like(auc)), tf.equal(auc, tf.zeros_like(auc)))
  lower = tf.where(certain, auc, lower)
  upper = tf.where(certain, auc, upper)
  trivial = tf.constant(0.0)
  return AucData(*tf.cond(is_valid, lambda: [auc, lower, upper], lambda: [trivial] * 3))


@_common.graph_metric
def auc_with_confidence_intervals(labels, predictions, weights=None, alpha=0.95,
                                  logit_transformation=True, metrics_collections=(),
                                  updates_collections=(), name=None):
  """Exact ROC AUC of all the scores seen, with a confidence interval at level
  `alpha` (computed on the logit scale by default).

  A batch is added only if its weights sum to at least 1. Creates, under
  `auc_with_confidence_intervals/`, the `streaming_concat` variables
  `concat_preds/...`, `concat_labels/...` and `concat_weights/...`.

  Args:
    labels: 0/1 labels (checked when the graph runs), any numeric dtype.
    predictions: scores of the shape of `labels`.
    weights: None (all 1) or a float32 tensor of the shape of `predictions`.
    alpha: the confidence level, in (0, 1) (default 0.95).
    logit_transformation: whether to build the interval on the logit scale
      (default True), which keeps it within [0, 1].
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'auc_with_confidence_intervals').

  Returns:
    `(AucData(auc, lower, upper), update_op)`: (0, 0, 0) until both classes
    have been seen.

  Raises:
    ValueError: `alpha` not in (0, 1), or incompatible shapes.
  """
  metric = 'auc_with_confidence_intervals'
  if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
    raise ValueError('%s: alpha must be between 0 and 1; received %r' % (metric, alpha))
  labels, predictions = _check_labels_and_scores(metric, labels, predictions)
  if weights is None:
    weights = tf.ones_like(predictions)
  with tf.compat.v1.variable_scope(name, default_name='auc_with_confidence_intervals',
                                   values=[labels, predictions, weights]):
    predictions, labels, weights = _common.remove_squeezable_dimensions(predictions, labels,
                                                                        weights)
    total_weight = tf.reduce_sum(weights)
    weights = tf.reshape(weights, [-1])
    predictions = tf.reshape(tf.cast(predictions, tf.float64), [-1])
    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    # A batch whose weights sum to less than 1 is left out.
    kept = tf.where(tf.greater_equal(total_weight, 1.0), tf.size(labels), 0)
    labels = _checked_binary(labels)
    accumulated, update_op = _concat_examples(labels[:kept], predictions[:kept],
                                              weights[:kept])
    all_labels, all_predictions, all_weights = accumulated
    both_classes = tf.logical_and(tf.equal(tf.reduce_min(all_labels), 0),
                                  tf.equal(tf.reduce_max(all_labels), 1))
    is_valid = tf.logical_and(both_classes, tf.greater_equal(tf.reduce_sum(all_weights), 1.0))
    value = _placement_auc(all_labels, all_predictions, all_weights, alpha=alpha,
                           logit_transformation=logit_transformation, is_valid=is_valid)
    return _common.finish(value, update_op, metrics_collections, updates_collections)
