"""Streaming counts and ratios: true/false positives/negatives, mean, accuracy,
precision, recall, false positive/negative rates, count and Cohen's kappa.

Each function returns `(value, update_op)`: `update_op` accumulates a batch
into local variables and returns the new value, `value` reads it. Note the
argument order: predictions first, then labels (tf.compat.v1.metrics take
labels first).
"""
import tensorflow as tf

from slim.metrics import _common

__all__ = ['cohen_kappa', 'count', 'streaming_accuracy', 'streaming_false_negative_rate',
           'streaming_false_negatives', 'streaming_false_positive_rate',
           'streaming_false_positives', 'streaming_mean', 'streaming_mean_tensor',
           'streaming_precision', 'streaming_recall', 'streaming_true_negatives',
           'streaming_true_positives']


@_common.graph_metric
def streaming_true_positives(predictions, labels, weights=None, metrics_collections=None,
                             updates_collections=None, name=None):
  """Sum of the weights of true positives (predictions and labels cast to bool).

  Creates the local variable `true_positives/count` (a float32 scalar).

  Args:
    predictions: predicted values, a tensor of any shape, cast to bool.
    labels: ground truth of the shape of `predictions`, cast to bool.
    weights: None (each element counts 1), or a tensor broadcastable to
      `predictions` (its rank 0 or the rank of `predictions`).
    metrics_collections: collections to add the value to.
    updates_collections: collections to add the update op to.
    name: variable scope name (default 'true_positives').

  Returns:
    `(value, update_op)`: the accumulated sum and the op adding a batch to it.

  Raises:
    ValueError: shapes of predictions, labels or weights do not fit.
    RuntimeError: called eagerly (use `slim.metrics.StreamingMetric`).
  """
  return _common.delegate('streaming_true_positives', tf.compat.v1.metrics.true_positives,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name)


@_common.graph_metric
def streaming_true_negatives(predictions, labels, weights=None, metrics_collections=None,
                             updates_collections=None, name=None):
  """Sum of the weights of true negatives; as `streaming_true_positives`
  (variable `true_negatives/count`)."""
  return _common.delegate('streaming_true_negatives', tf.compat.v1.metrics.true_negatives,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name)


@_common.graph_metric
def streaming_false_positives(predictions, labels, weights=None, metrics_collections=None,
                              updates_collections=None, name=None):
  """Sum of the weights of false positives; as `streaming_true_positives`
  (variable `false_positives/count`)."""
  return _common.delegate('streaming_false_positives', tf.compat.v1.metrics.false_positives,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name)


@_common.graph_metric
def streaming_false_negatives(predictions, labels, weights=None, metrics_collections=None,
                              updates_collections=None, name=None):
  """Sum of the weights of false negatives; as `streaming_true_positives`
  (variable `false_negatives/count`)."""
  return _common.delegate('streaming_false_negatives', tf.compat.v1.metrics.false_negatives,
                          predictions, labels, weights, metrics_collections,
                          updates_collections, name)


@_common.graph_metric
def streaming_mean(values, weights=None, metrics_collections=None, updates_collections=None,
                   name=None):
  """Weighted mean of `values` over all batches.

  Creates the local variables `mean/total` and `mean/count` (float32 scalars).

  Args:
    values: a tensor of any shape.
    weights: None or a tensor broadcastable to `values`.
    metrics_collections, updates_collections, name: as for
      `streaming_true_positives` (default scope 'mean').

  Returns:
    `(mean, update_op)`; the mean is 0 before any weight is seen.

  Example:
    mean, update_op = slim.metrics.streaming_mean(losses)
  """
  values = _common.to_tensor('streaming_mean', 'values', values)
  _common.check_dtype('streaming_mean', 'values', values, ('floating', 'integer', 'bool'))
  weights = _common.check_weights('streaming_mean', weights, values)
  return tf.compat.v1.metrics.mean(values, weights=weights,
                                   metrics_collections=metrics_collections,
                                   updates_collections=updates_collections, name=name)


@_common.graph_metric
def streaming_mean_tensor(values, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
  """Element-wise weighted mean of `values` over batches (a tensor of the shape
  of `values`).

  Creates the local variables `mean/total_tensor` and `mean/count_tensor`, of the
  shape of `values`; other arguments as for `streaming_mean`.
  """
  values = _common.to_tensor('streaming_mean_tensor', 'values', values)
  _common.check_dtype('streaming_mean_tensor', 'values', values, ('floating', 'integer', 'bool'))
  weights = _common.check_weights('streaming_mean_tensor', weights, values)
  return tf.compat.v1.metrics.mean_tensor(values, weights=weights,
                                          metrics_collections=metrics_collections,
                                          updates_collections=updates_collections, name=name)


@_common.graph_metric
def streaming_accuracy(predictions, labels, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
  """How often `predictions` equals `labels` (weighted), over all batches.

  Creates the local variables `accuracy/total` and `accuracy/count`.

  Args:
    predictions: predicted classes, a tensor of any shape (cast to the dtype of
      labels).
    labels: ground truth of the shape of `predictions`.
    weights, metrics_collections, updates_collections, name: as for
      `streaming_true_positives` (default scope 'accuracy').

  Returns:
    `(accuracy, update_op)`.

  Example:
    accuracy, update_op = slim.metrics.streaming_accuracy(
        tf.argmax(logits, 1), labels)
  """
  return _common.delegate('streaming_accuracy', tf.compat.v1.metrics.accuracy, predictions, labels,
                   weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_precision(predictions, labels, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
  """Precision, true_positives / (true_positives + false_positives), of boolean
  predictions over all batches.

  Creates `precision/true_positives/count` and `precision/false_positives/count`;
  arguments as for `streaming_true_positives` (default scope 'precision').
  """
  return _common.delegate('streaming_precision', tf.compat.v1.metrics.precision, predictions,
                   labels, weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_recall(predictions, labels, weights=None, metrics_collections=None,
                     updates_collections=None, name=None):
  """Recall, true_positives / (true_positives + false_negatives), of boolean
  predictions over all batches.

  Creates `recall/true_positives/count` and `recall/false_negatives/count`;
  arguments as for `streaming_true_positives` (default scope 'recall').
  """
  return _common.delegate('streaming_recall', tf.compat.v1.metrics.recall, predictions, labels,
                   weights, metrics_collections, updates_collections, name)


def _streaming_rate(metric, default_scope, numerator_metric, other_metric, predictions,
                    labels, weights, metrics_collections, updates_collections, name):
  """numerator / (numerator + other) of two boolean counts, 0 while both are 0."""
  predictions, labels, weights = _common.check_inputs(
      metric, predictions, labels, weights)
  with tf.compat.v1.variable_scope(name, default_scope, (predictions, labels, weights)):
    predictions, labels, weights = _common.remove_squeezable_dimensions(
        tf.cast(predictions, tf.bool), tf.cast(labels, tf.bool), weights)
    numerator, numerator_update = numerator_metric(labels=labels, predictions=predictions,
                                                   weights=weights)
    other, other_update = other_metric(labels=labels, predictions=predictions,
                                       weights=weights)

    def rate(n, o, name):
      total = n + o
      return tf.where(tf.greater(total, 0), tf.math.divide_no_nan(n, total),
                      tf.zeros_like(total), name=name)

    value = rate(numerator, other, 'value')
    update_op = rate(numerator_update, other_update, 'update_op')
    return _common.finish(value, update_op, metrics_collections, updates_collections)


@_common.graph_metric
def streaming_false_positive_rate(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
  """False positive rate, false_positives / (false_positives + true_negatives).

  Creates `false_positive_rate/false_positives/count` and
  `false_positive_rate/true_negatives/count`; arguments as for
  `streaming_true_positives`. The rate is 0 while there are no negatives.
  """
  return _streaming_rate('streaming_false_positive_rate', 'false_positive_rate',
                         tf.compat.v1.metrics.false_positives,
                         tf.compat.v1.metrics.true_negatives, predictions, labels, weights,
                         metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_false_negative_rate(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
  """False negative rate, false_negatives / (false_negatives + true_positives).

  Creates `false_negative_rate/false_negatives/count` and
  `false_negative_rate/true_positives/count`; arguments as for
  `streaming_true_positives`. The rate is 0 while there are no positives.
  """
  return _streaming_rate('streaming_false_negative_rate', 'false_negative_rate',
                         tf.compat.v1.metrics.false_negatives,
                         tf.compat.v1.metrics.true_positives, predictions, labels, weights,
                         metrics_collections, updates_collections, name)


@_common.graph_metric
def count(values, weights=None, metrics_collections=None, updates_collections=None,
          name=None):
  """The number of elements of `values` (or the sum of `weights`) over batches.

  Creates the local variable `count/count` (a float32 scalar).

  Args:
    values: a tensor of any shape.
    weights: None or a tensor broadcastable to `values`.
    metrics_collections, updates_collections, name: as for `streaming_mean`
      (default scope 'count').

  Returns:
    `(count, update_op)`.
  """
  values = _common.to_tensor('count', 'values', values)
  weights = _common.check_weights('count', weights, values)
  with tf.compat.v1.variable_scope(name, 'count', (values, weights)):
    total = _common.metric_variable([], tf.float32, name='count')
    if weights is None:
      num_values = tf.cast(tf.size(values), tf.float32)
    else:
      values = tf.cast(values, tf.float32)
      values, _, weights = _common.remove_squeezable_dimensions(values, None, weights)
      weights = _common.broadcast_weights(tf.cast(weights, tf.float32), values)
      num_values = tf.reduce_sum(weights)
    with tf.control_dependencies([values]):
      update_op = _common.accumulate(total, num_values)
    value = _common.aggregate_variable(total, metrics_collections)
    return _common.finish(value, update_op, None, updates_collections)


@_common.graph_metric
def cohen_kappa(labels, predictions_idx, num_classes, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
  """Cohen's kappa, the agreement of two raters beyond chance, over batches.

  kappa = (po - pe) / (1 - pe) from the streamed confusion matrix: `po` the
  observed agreement, `pe` the agreement expected by chance.

  Creates the local variables `cohen_kappa/po`, `cohen_kappa/pe_row` and
  `cohen_kappa/pe_col` of shape `[num_classes]` (int64, or float32 with
  floating-point weights).

  Args:
    labels: class ids, shape `[batch]` or `[batch, 1]`.
    predictions_idx: predicted class ids, of the shape of `labels`.
    num_classes: the number of classes, an int >= 2.
    weights, metrics_collections, updates_collections, name: as for
      `streaming_true_positives` (default scope 'cohen_kappa').

  Returns:
    `(kappa, update_op)`, float64.

  Raises:
    ValueError: `num_classes` < 2 or the shapes do not fit.
  """
  metric = 'cohen_kappa'
  if num_classes < 2:
    raise ValueError('%s: `num_classes` must be >= 2. Found: %r' % (metric, num_classes))
  labels = _common.to_tensor(metric, 'labels', labels)
  predictions_idx = _common.to_tensor(metric, 'predictions_idx', predictions_idx)
  if labels.get_shape().ndims is not None and labels.get_shape().ndims > 2:
    raise ValueError('%s: labels must have rank at most 2, received shape %s'
                     % (metric, labels.get_shape()))
  with tf.compat.v1.variable_scope(name, 'cohen_kappa', (labels, predictions_idx, weights)):
    if labels.get_shape().ndims == 2:
      labels = tf.squeeze(labels, axis=[-1])
    predictions_idx, labels, weights = _common.remove_squeezable_dimensions(
        predictions_idx, labels, weights)
    _common.check_compatible(metric, 'predictions_idx', predictions_idx, 'labels', labels)
    stat_dtype = tf.int64 if weights is None or weights.dtype.is_integer else tf.float32
    po = _common.metric_variable((num_classes,), stat_dtype, name='po')
    pe_row = _common.metric_variable((num_classes,), stat_dtype, name='pe_row')
    pe_col = _common.metric_variable((num_classes,), stat_dtype, name='pe_col')
    counts = tf.math.confusion_matrix(labels, predictions_idx, num_classes=num_classes,
                                      weights=weights, dtype=stat_dtype,
                                      name='counts_in_table')
    update_po = _common.accumulate(po, tf.linalg.diag_part(counts))
    update_pe_row = _common.accumulate(pe_row, tf.reduce_sum(counts, axis=0))
    update_pe_col = _common.accumulate(pe_col, tf.reduce_sum(counts, axis=1))

    def kappa(po, pe_row, pe_col, name):
      total = tf.cast(tf.reduce_sum(pe_row), tf.float64)
      observed = tf.cast(tf.reduce_sum(po), tf.float64)
      expected = tf.reduce_sum(tf.math.divide_no_nan(
          tf.cast(pe_row * pe_col, tf.float64), total))
      return _common.safe_scalar_div(observed - expected, total - expected, name=name)

    value = kappa(po, pe_row, pe_col, 'value')
    update_op = kappa(update_po, update_pe_row, update_pe_col, 'update_op')
    return _common.finish(value, update_op, metrics_collections, updates_collections)
