"""Metrics over a grid of thresholds: confusion counts at thresholds, ROC and PR
curve points, AUC, precision/recall and their rates at thresholds,
sensitivity/specificity, recall at a precision and precision at a recall.

Predictions are scores in [0, 1]; a prediction is positive at threshold t when
it is greater than t. Each function returns `(value, update_op)`.
"""
import collections

import tensorflow as tf

from slim.metrics import _common

__all__ = ['precision_at_recall', 'precision_recall_at_equal_thresholds',
           'recall_at_precision', 'streaming_auc', 'streaming_curve_points',
           'streaming_false_negative_rate_at_thresholds',
           'streaming_false_negatives_at_thresholds',
           'streaming_false_positive_rate_at_thresholds',
           'streaming_false_positives_at_thresholds', 'streaming_precision_at_thresholds',
           'streaming_recall_at_thresholds', 'streaming_sensitivity_at_specificity',
           'streaming_specificity_at_sensitivity', 'streaming_true_negatives_at_thresholds',
           'streaming_true_positives_at_thresholds']

_ALL_COUNTS = ('tp', 'fn', 'tn', 'fp')
_COUNT_NAMES = {'tp': 'true_positives', 'fn': 'false_negatives', 'tn': 'true_negatives',
                'fp': 'false_positives'}


def confusion_matrix_at_thresholds(predictions, labels, thresholds, weights=None,
                                   includes=None, check_range=False):
  """Streams the confusion counts of `predictions` at each of `thresholds`.

  Creates, in the current scope, one float32 local variable `[len(thresholds)]`
  per key of `includes` (default all): 'tp' -> `true_positives`, 'fn' ->
  `false_negatives`, 'tn' -> `true_negatives`, 'fp' -> `false_positives`.

  Returns:
    `(values, update_ops)`: dicts from key to variable and to the op adding a
    batch (which returns the new counts).
  """
  includes = _ALL_COUNTS if includes is None else includes
  for key in includes:
    if key not in _ALL_COUNTS:
      raise ValueError('Invalid key: %s.' % key)
  predictions = tf.convert_to_tensor(predictions)
  if check_range:
    with tf.control_dependencies([
        tf.compat.v1.assert_greater_equal(predictions, tf.cast(0.0, predictions.dtype),
                                          message='predictions must be in [0, 1]'),
        tf.compat.v1.assert_less_equal(predictions, tf.cast(1.0, predictions.dtype),
                                       message='predictions must be in [0, 1]')]):
      predictions, labels, weights = _common.remove_squeezable_dimensions(
          tf.cast(predictions, tf.float32), tf.cast(labels, tf.bool), weights)
  else:
    predictions, labels, weights = _common.remove_squeezable_dimensions(
        predictions, labels, weights)
  predictions.get_shape().assert_is_compatible_with(labels.get_shape())
  num_thresholds = len(thresholds)
  # [num_thresholds, num_predictions] grids by broadcasting.
  flat_predictions = tf.reshape(tf.cast(predictions, tf.float32), [1, -1])
  flat_labels = tf.reshape(tf.cast(labels, tf.bool), [1, -1])
  threshold_column = tf.expand_dims(tf.constant(thresholds, tf.float32), 1)
  pred_is_pos = tf.greater(flat_predictions, threshold_column)
  pred_is_neg = tf.logical_not(pred_is_pos)
  label_is_pos = tf.logical_and(flat_labels, tf.ones_like(pred_is_pos))
  label_is_neg = tf.logical_not(label_is_pos)
  if weights is not None:
    weights = _common.broadcast_weights(tf.cast(weights, tf.float32), predictions)
    row_weights = tf.reshape(weights, [1, -1])
  conditions = {'tp': (label_is_pos, pred_is_pos), 'fn': (label_is_pos, pred_is_neg),
                'tn': (label_is_neg, pred_is_neg), 'fp': (label_is_neg, pred_is_pos)}
  values, update_ops = {}, {}
  for key in _ALL_COUNTS:
    if key not in includes:
      continue
    variable = _common.metric_variable([num_thresholds], tf.float32, name=_COUNT_NAMES[key])
    hits = tf.cast(tf.logical_and(*conditions[key]), tf.float32)
    if weights is not None:
      hits *= row_weights
    update_ops[key] = _common.accumulate(variable, tf.reduce_sum(hits, 1))
    values[key] = variable
  return values, update_ops


def _count_at_thresholds(metric, key, predictions, labels, thresholds, weights):
  predictions, labels, weights = _common.check_inputs(metric, predictions, labels, weights)
  thresholds = _common.check_thresholds(metric, thresholds)
  values, update_ops = confusion_matrix_at_thresholds(predictions, labels, thresholds,
                                                      weights=weights, includes=(key,))
  return values[key], update_ops[key]


@_common.graph_metric
def streaming_true_positives_at_thresholds(predictions, labels, thresholds, weights=None):
  """Sum of the weights of true positives at each threshold.

  Creates the local variable `true_positives` `[len(thresholds)]` in the current
  scope.

  Args:
    predictions: scores, a float tensor of any shape.
    labels: ground truth of the shape of `predictions`, cast to bool.
    thresholds: a list of floats.
    weights: None or a tensor broadcastable to `predictions`.

  Returns:
    `(counts, update_op)`, float32 `[len(thresholds)]`.
  """
  return _count_at_thresholds('streaming_true_positives_at_thresholds', 'tp', predictions,
                              labels, thresholds, weights)


@_common.graph_metric
def streaming_false_negatives_at_thresholds(predictions, labels, thresholds, weights=None):
  """False negatives at each threshold (variable `false_negatives`); as
  `streaming_true_positives_at_thresholds`."""
  return _count_at_thresholds('streaming_false_negatives_at_thresholds', 'fn', predictions,
                              labels, thresholds, weights)


@_common.graph_metric
def streaming_false_positives_at_thresholds(predictions, labels, thresholds, weights=None):
  """False positives at each threshold (variable `false_positives`); as
  `streaming_true_positives_at_thresholds`."""
  return _count_at_thresholds('streaming_false_positives_at_thresholds', 'fp', predictions,
                              labels, thresholds, weights)


@_common.graph_metric
def streaming_true_negatives_at_thresholds(predictions, labels, thresholds, weights=None):
  """True negatives at each threshold (variable `true_negatives`); as
  `streaming_true_positives_at_thresholds`."""
  return _count_at_thresholds('streaming_true_negatives_at_thresholds', 'tn', predictions,
                              labels, thresholds, weights)


@_common.graph_metric
def streaming_curve_points(labels=None, predictions=None, weights=None, num_thresholds=200,
                           metrics_collections=None, updates_collections=None, curve='ROC',
                           name=None):
  """The points of the ROC curve (false positive rate, recall) or of the PR
  curve (recall, precision) at `num_thresholds` thresholds over [0, 1].

  Creates `curve_points/true_positives`, `.../false_negatives`,
  `.../true_negatives` and `.../false_positives` `[num_thresholds]`.

  Args:
    labels: ground truth, cast to bool.
    predictions: scores in [0, 1] of the shape of `labels`.
    weights: None or a tensor broadcastable to `predictions`.
    num_thresholds: the number of thresholds, an int > 1 (default 200).
    metrics_collections, updates_collections: as for `streaming_auc`.
    curve: 'ROC' (default) or 'PR'.
    name: variable scope name (default 'curve_points').

  Returns:
    `(points, update_op)`: points `[num_thresholds, 2]` and the op (no value)
    that adds a batch.

  Raises:
    ValueError: `curve` is neither 'ROC' nor 'PR', or the shapes do not fit.
  """
  metric = 'streaming_curve_points'
  with tf.compat.v1.variable_scope(name, 'curve_points', (labels, predictions, weights)):
    _common.check_curve(metric, curve)
    predictions, labels, weights = _common.check_inputs(metric, predictions, labels, weights)
    values, update_ops = confusion_matrix_at_thresholds(
        predictions, labels, _common.thresholds_for(num_thresholds), weights=weights)
    epsilon = 1e-6
    tp, fn, tn, fp = (values[key] for key in _ALL_COUNTS)
    recall = tf.math.divide(tp + epsilon, tp + fn + epsilon)
    if curve == 'ROC':
      xs, ys = tf.math.divide(fp, fp + tn + epsilon), recall
    else:
      xs, ys = recall, tf.math.divide(tp + epsilon, tp + fp + epsilon)
    points = tf.stack([xs, ys], axis=1)
    update_op = tf.group(*update_ops.values())
    return _common.finish(points, update_op, metrics_collections, updates_collections)


@_common.graph_metric
def streaming_auc(predictions, labels, weights=None, num_thresholds=200,
                  metrics_collections=None, updates_collections=None, curve='ROC',
                  name=None):
  """Area under the ROC or PR curve, by the trapezoidal rule over
  `num_thresholds` thresholds.

  Creates `auc/true_positives`, `auc/false_negatives`, `auc/true_negatives` and
  `auc/false_positives` `[num_thresholds]`.

  Args:
    predictions: scores in [0, 1] (checked when the graph runs).
    labels: ground truth of the shape of `predictions`, cast to bool.
    weights: None or a tensor broadcastable to `predictions`.
    num_thresholds: the number of thresholds (default 200).
    metrics_collections, updates_collections: collections for the value and the
      update op.
    curve: 'ROC' (default) or 'PR'.
    name: variable scope name (default 'auc').

  Returns:
    `(auc, update_op)`.

  Example:
    auc, update_op = slim.metrics.streaming_auc(tf.sigmoid(logits), labels)
  """
  _common.check_curve('streaming_auc', curve)
  return _common.delegate('streaming_auc', tf.compat.v1.metrics.auc, predictions, labels,
                          weights, metrics_collections, updates_collections, name,
                          num_thresholds=num_thresholds, curve=curve)


@_common.graph_metric
def streaming_specificity_at_sensitivity(predictions, labels, sensitivity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
  """The specificity at the threshold whose sensitivity is closest to
  `sensitivity` (a float in [0, 1]).

  Creates `specificity_at_sensitivity/true_positives` (and the three other
  counts) `[num_thresholds]`; other arguments as for `streaming_auc`.

  Raises:
    ValueError: `sensitivity` is outside [0, 1], or the shapes do not fit.
  """
  metric = 'streaming_specificity_at_sensitivity'
  _common.check_in_unit_interval(metric, 'sensitivity', sensitivity)
  return _common.delegate(metric, tf.compat.v1.metrics.specificity_at_sensitivity,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name, sensitivity=sensitivity,
                          num_thresholds=num_thresholds)


@_common.graph_metric
def streaming_sensitivity_at_specificity(predictions, labels, specificity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
  """The sensitivity at the threshold whose specificity is closest to
  `specificity` (a float in [0, 1]).

  Creates `sensitivity_at_specificity/true_positives` (and the three other
  counts) `[num_thresholds]`; other arguments as for `streaming_auc`.

  Raises:
    ValueError: `specificity` is outside [0, 1], or the shapes do not fit.
  """
  metric = 'streaming_sensitivity_at_specificity'
  _common.check_in_unit_interval(metric, 'specificity', specificity)
  return _common.delegate(metric, tf.compat.v1.metrics.sensitivity_at_specificity,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name, specificity=specificity,
                          num_thresholds=num_thresholds)


@_common.graph_metric
def streaming_precision_at_thresholds(predictions, labels, thresholds, weights=None,
                                      metrics_collections=None, updates_collections=None,
                                      name=None):
  """Precision at each threshold.

  Creates `precision_at_thresholds/true_positives` and `.../false_positives`
  `[len(thresholds)]`.

  Returns:
    `(precision, update_op)`, float32 `[len(thresholds)]`.
  """
  metric = 'streaming_precision_at_thresholds'
  thresholds = _common.check_thresholds(metric, thresholds)
  return _common.delegate(metric, tf.compat.v1.metrics.precision_at_thresholds, predictions,
                          labels, weights, metrics_collections, updates_collections, name,
                          thresholds=thresholds)


@_common.graph_metric
def streaming_recall_at_thresholds(predictions, labels, thresholds, weights=None,
                                   metrics_collections=None, updates_collections=None,
                                   name=None):
  """Recall at each threshold.

  Creates `recall_at_thresholds/true_positives` and `.../false_negatives`
  `[len(thresholds)]`.

  Returns:
    `(recall, update_op)`, float32 `[len(thresholds)]`.
  """
  metric = 'streaming_recall_at_thresholds'
  thresholds = _common.check_thresholds(metric, thresholds)
  return _common.delegate(metric, tf.compat.v1.metrics.recall_at_thresholds, predictions,
                          labels, weights, metrics_collections, updates_collections, name,
                          thresholds=thresholds)


def _rate_at_thresholds(metric, default_scope, op_prefix, keys, predictions, labels,
                        thresholds, weights, metrics_collections, updates_collections, name):
  """counts[keys[0]] / (counts[keys[0]] + counts[keys[1]]) at each threshold."""
  numerator_key, other_key = keys
  with tf.compat.v1.variable_scope(name, default_scope, (predictions, labels, weights)):
    predictions, labels, weights = _common.check_inputs(metric, predictions, labels, weights)
    thresholds = _common.check_thresholds(metric, thresholds)
    values, update_ops = confusion_matrix_at_thresholds(predictions, labels, thresholds,
                                                        weights, includes=keys)

    def rate(counts, name):
      numerator = counts[numerator_key]
      return tf.math.divide(numerator, _common.EPSILON + numerator + counts[other_key],
                            name=op_prefix + name)

    return _common.finish(rate(values, 'value'), rate(update_ops, 'update_op'),
                          metrics_collections, updates_collections)


@_common.graph_metric
def streaming_false_positive_rate_at_thresholds(predictions, labels, thresholds,
                                                weights=None, metrics_collections=None,
                                                updates_collections=None, name=None):
  """False positive rate, fp / (fp + tn), at each threshold.

  Creates `false_positive_rate_at_thresholds/false_positives` and
  `.../true_negatives` `[len(thresholds)]`.

  Returns:
    `(rates, update_op)`, float32 `[len(thresholds)]`.
  """
  return _rate_at_thresholds('streaming_false_positive_rate_at_thresholds',
                             'false_positive_rate_at_thresholds', 'fpr_', ('fp', 'tn'), predictions,
                             labels, thresholds, weights, metrics_collections,
                             updates_collections, name)


@_common.graph_metric
def streaming_false_negative_rate_at_thresholds(predictions, labels, thresholds,
                                                weights=None, metrics_collections=None,
                                                updates_collections=None, name=None):
  """False negative rate, fn / (fn + tp), at each threshold.

  Creates `false_negative_rate_at_thresholds/false_negatives` and
  `.../true_positives` `[len(thresholds)]`.

  Returns:
    `(rates, update_op)`, float32 `[len(thresholds)]`.
  """
  return _rate_at_thresholds('streaming_false_negative_rate_at_thresholds',
                             'false_negative_rate_at_thresholds', 'fnr_', ('fn', 'tp'), predictions,
                             labels, thresholds, weights, metrics_collections,
                             updates_collections, name)


def _recall_at_precision(tp, fp, fn, precision, name, strict_mode):
  precisions = tf.math.divide(tp, tp + fp + _common.EPSILON)
  if not strict_mode:
    index = tf.argmin(tf.abs(precisions - precision), 0, output_type=tf.int32)
    return tf.math.divide(tp[index], tp[index] + fn[index] + _common.EPSILON, name)
  # The threshold whose precision is the smallest one at or above the target.
  index = tf.argmax(tf.math.divide(1.0, precisions - precision + _common.EPSILON), 0,
                    output_type=tf.int32)
  return tf.cond(precisions[index] >= precision,
                 lambda: tf.math.divide(tp[index], tp[index] + fn[index] + _common.EPSILON,
                                        name),
                 lambda: tf.constant(0.0))


@_common.graph_metric
def recall_at_precision(labels, predictions, precision, weights=None, num_thresholds=200,
                        metrics_collections=None, updates_collections=None, name=None,
                        strict_mode=False):
  """The recall at the threshold whose precision is closest to `precision`.

  With `strict_mode`, the threshold whose precision is the smallest one at or
  above `precision`, and 0 when there is none.

  Creates `recall_at_precision/true_positives` (and the three other counts)
  `[num_thresholds]`; other arguments as for `streaming_auc`.

  Raises:
    ValueError: `precision` is outside [0, 1], or the shapes do not fit.
  """
  metric = 'recall_at_precision'
  _common.check_in_unit_interval(metric, 'precision', precision)
  with tf.compat.v1.variable_scope(name, 'recall_at_precision',
                                   (predictions, labels, weights)):
    predictions, labels, weights = _common.check_inputs(metric, predictions, labels, weights)
    values, update_ops = confusion_matrix_at_thresholds(
        predictions, labels, _common.thresholds_for(num_thresholds), weights)
    value = _recall_at_precision(values['tp'], values['fp'], values['fn'], precision,
                                 'value', strict_mode)
    update_op = _recall_at_precision(update_ops['tp'], update_ops['fp'], update_ops['fn'],
                                     precision, 'update_op', strict_mode)
    return _common.finish(value, update_op, metrics_collections, updates_collections)


@_common.graph_metric
def precision_at_recall(labels, predictions, target_recall, weights=None,
                        num_thresholds=200, metrics_collections=None,
                        updates_collections=None, name=None):
  """The precision at the highest threshold whose recall is >= `target_recall`.

  Creates `precision_at_recall/true_positives` (and the three other counts)
  `[num_thresholds]`; other arguments as for `streaming_auc`.

  Raises:
    ValueError: `target_recall` is outside [0, 1], or the shapes do not fit.
  """
  metric = 'precision_at_recall'
  _common.check_in_unit_interval(metric, 'target_recall', target_recall)
  with tf.compat.v1.variable_scope(name, 'precision_at_recall',
                                   (predictions, labels, weights)):
    predictions, labels, weights = _common.check_inputs(metric, predictions, labels, weights)
    values, update_ops = confusion_matrix_at_thresholds(
        predictions, labels, _common.thresholds_for(num_thresholds), weights)

    def precision(counts, name):
      tp, fp, fn = counts['tp'], counts['fp'], counts['fn']
      recalls = tf.math.divide(tp, tp + fn + _common.EPSILON)
      # Recall falls as the threshold rises: the last admissible one.
      index = tf.reduce_sum(tf.cast(tf.greater_equal(recalls, target_recall), tf.int64)) - 1
      return tf.math.divide(tp[index] + _common.EPSILON,
                            tp[index] + fp[index] + _common.EPSILON, name)

    return _common.finish(precision(values, 'value'), precision(update_ops, 'update_op'),
                          metrics_collections, updates_collections)


PrecisionRecallData = collections.namedtuple(
    'PrecisionRecallData', ['tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'thresholds'])


@_common.graph_metric
def precision_recall_at_equal_thresholds(labels, predictions, weights=None,
                                         num_thresholds=None, use_locking=None, name=None):
  """Confusion counts, precision and recall at `num_thresholds` thresholds evenly
  spaced over [0, 1], computed from score histograms (fast for many thresholds).

  Creates `<name>/variables/tp_buckets` and `<name>/variables/fp_buckets`
  (float64 `[num_thresholds]`).

  Args:
    labels: a bool tensor.
    predictions: scores in [0, 1] (checked when the graph runs), of the shape of
      `labels`.
    weights: None or a tensor broadcastable to `predictions`.
    num_thresholds: the number of thresholds (default 201).
    use_locking: whether the scatter updates lock (default True).
    name: variable scope name (default 'precision_recall_at_equal_thresholds').

  Returns:
    `(data, update_op)`: a `PrecisionRecallData(tp, fp, tn, fn, precision,
    recall, thresholds)` of tensors `[num_thresholds]` in the dtype of
    predictions, and the op adding a batch.

  Raises:
    TypeError: `labels` is not bool.
  """
  metric = 'precision_recall_at_equal_thresholds'
  num_thresholds = 201 if num_thresholds is None else num_thresholds
  weights = 1.0 if weights is None else weights
  use_locking = True if use_locking is None else use_locking
  labels = _common.to_tensor(metric, 'labels', labels)
  predictions = _common.to_tensor(metric, 'predictions', predictions)
  if labels.dtype != tf.bool:
    raise TypeError('%s: labels must be of type bool, received %s; %s must be of type bool'
                    % (metric, labels.dtype.name, labels.name))
  _common.check_compatible(metric, 'predictions', predictions, 'labels', labels)
  with tf.compat.v1.variable_scope(name, 'precision_recall_at_equal_thresholds',
                                   (labels, predictions, weights)):
    with tf.control_dependencies([
        tf.compat.v1.assert_greater_equal(predictions, tf.cast(0.0, predictions.dtype),
                                          message='predictions must be in [0, 1]'),
        tf.compat.v1.assert_less_equal(predictions, tf.cast(1.0, predictions.dtype),
                                       message='predictions must be in [0, 1]')]):
      predictions, labels, weights = _common.remove_squeezable_dimensions(
          predictions, labels, weights)
    predictions.get_shape().assert_is_compatible_with(labels.get_shape())
    weights = tf.cast(weights, tf.float64)
    positive = tf.cast(labels, tf.float64)
    true_labels = tf.reshape(positive * weights, [-1])
    false_labels = tf.reshape((1.0 - positive) * weights, [-1])
    flat_predictions = tf.reshape(predictions, [-1])
    buckets = tf.cast(tf.floor(flat_predictions * (num_thresholds - 1)), tf.int32)
    with tf.name_scope('variables'):
      tp_buckets = _common.metric_variable([num_thresholds], tf.float64, name='tp_buckets')
      fp_buckets = _common.metric_variable([num_thresholds], tf.float64, name='fp_buckets')
    with tf.name_scope('update_op'):
      update_tp = tf.compat.v1.scatter_add(tp_buckets, buckets, true_labels,
                                           use_locking=use_locking)
      update_fp = tf.compat.v1.scatter_add(fp_buckets, buckets, false_labels,
                                           use_locking=use_locking)
    # Counts at threshold i: the buckets at or above i.
    tp = tf.cumsum(tp_buckets, reverse=True, name='tp')
    fp = tf.cumsum(fp_buckets, reverse=True, name='fp')
    tn = fp[0] - fp
    fn = tp[0] - tp
    epsilon = tf.constant(_common.EPSILON, tf.float64)
    precision = tp / tf.maximum(epsilon, tp + fp)
    recall = tp / tf.maximum(epsilon, tp + fn)
    out = lambda t: tf.cast(t, predictions.dtype)
    data = PrecisionRecallData(
        tp=out(tp), fp=out(fp), tn=out(tn), fn=out(fn), precision=out(precision),
        recall=out(recall), thresholds=out(tf.linspace(0.0, 1.0, num_thresholds)))
    return data, tf.group(update_tp, update_fp)
