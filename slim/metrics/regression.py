"""Streaming errors and correlations of real-valued predictions: mean absolute,
relative, squared and root-mean-squared error, covariance, Pearson correlation,
cosine distance, percentage below a threshold, and the mean intersection over
union of a segmentation.

Each function returns `(value, update_op)`.
"""
import tensorflow as tf

from slim import _checks
from slim.metrics import _common
from slim.metrics import basics

__all__ = ['streaming_covariance', 'streaming_mean_absolute_error',
           'streaming_mean_cosine_distance', 'streaming_mean_iou',
           'streaming_mean_relative_error', 'streaming_mean_squared_error',
           'streaming_pearson_correlation', 'streaming_percentage_less',
           'streaming_root_mean_squared_error']


def _check_real_pair(metric, predictions, labels, weights):
  """Converts and checks predictions and labels of one real dtype, and weights."""
  predictions, labels, weights = _common.check_inputs(
      metric, predictions, labels, weights)
  _common.check_dtype(metric, 'predictions', predictions, ('floating', 'integer'))
  _common.check_same_dtype(metric, 'predictions', predictions, 'labels', labels)
  return predictions, labels, weights


def _as_float32(*tensors):
  return [None if t is None else tf.cast(t, tf.float32) for t in tensors]


def _errors_metric(metric, v1_metric, predictions, labels, weights, metrics_collections,
                   updates_collections, name, **kwargs):
  predictions, labels, weights = _check_real_pair(metric, predictions, labels, weights)
  return _common.delegate(metric, v1_metric, predictions, labels, weights,
                          metrics_collections, updates_collections, name, **kwargs)


@_common.graph_metric
def streaming_mean_absolute_error(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
  """Weighted mean of |predictions - labels| over batches.

  Creates `mean_absolute_error/total` and `mean_absolute_error/count`.

  Args:
    predictions: a float tensor of any shape.
    labels: a tensor of the shape of `predictions`.
    weights: None or a tensor broadcastable to `predictions`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'mean_absolute_error').

  Returns:
    `(mean_absolute_error, update_op)`.
  """
  return _errors_metric('streaming_mean_absolute_error',
                        tf.compat.v1.metrics.mean_absolute_error, predictions, labels,
                        weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_mean_relative_error(predictions, labels, normalizer, weights=None,
                                  metrics_collections=None, updates_collections=None,
                                  name=None):
  """Weighted mean of |predictions - labels| / normalizer (0 where the
  normalizer is 0); `normalizer` has the shape of `predictions`.

  Creates `mean_relative_error/total` and `.../count`; other arguments as for
  `streaming_mean_absolute_error`.
  """
  metric = 'streaming_mean_relative_error'
  normalizer = _common.to_tensor(metric, 'normalizer', normalizer)
  return _errors_metric(metric, tf.compat.v1.metrics.mean_relative_error, predictions,
                        labels, weights, metrics_collections, updates_collections, name,
                        normalizer=normalizer)


@_common.graph_metric
def streaming_mean_squared_error(predictions, labels, weights=None, metrics_collections=None,
                                 updates_collections=None, name=None):
  """Weighted mean of (predictions - labels)^2 over batches.

  Creates `mean_squared_error/total` and `.../count`; arguments as for
  `streaming_mean_absolute_error`.
  """
  return _errors_metric('streaming_mean_squared_error',
                        tf.compat.v1.metrics.mean_squared_error, predictions, labels,
                        weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_root_mean_squared_error(predictions, labels, weights=None,
                                      metrics_collections=None, updates_collections=None,
                                      name=None):
  """Square root of the weighted mean of (predictions - labels)^2.

  Creates `root_mean_squared_error/total` and `.../count`; arguments as for
  `streaming_mean_absolute_error`.
  """
  return _errors_metric('streaming_root_mean_squared_error',
                        tf.compat.v1.metrics.root_mean_squared_error, predictions, labels,
                        weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def streaming_covariance(predictions, labels, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
  """Unbiased (weighted) sample covariance of predictions and labels over all
  batches, by a numerically stable streaming update of the co-moment.

  Creates the float32 scalars `covariance/count`, `covariance/mean_prediction`,
  `covariance/mean_label` and `covariance/comoment`.

  Args:
    predictions: a float tensor of any shape.
    labels: a float tensor of the shape of `predictions`.
    weights: None or a tensor broadcastable to `labels`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'covariance').

  Returns:
    `(covariance, update_op)`: comoment / (count - 1), NaN while count <= 1.
  """
  predictions, labels, weights = _check_real_pair('streaming_covariance', predictions, labels,
                                                  weights)
  predictions, labels, weights = _as_float32(predictions, labels, weights)
  with tf.compat.v1.variable_scope(name, 'covariance', (predictions, labels, weights)):
    predictions, labels, weights = _common.remove_squeezable_dimensions(
        predictions, labels, weights)
    predictions.get_shape().assert_is_compatible_with(labels.get_shape())
    count = _common.metric_variable([], tf.float32, name='count')
    mean_prediction = _common.metric_variable([], tf.float32, name='mean_prediction')
    mean_label = _common.metric_variable([], tf.float32, name='mean_label')
    comoment = _common.metric_variable([], tf.float32, name='comoment')
    if weights is None:
      batch_count = tf.cast(tf.size(labels), tf.float32)
      weighted_predictions, weighted_labels = predictions, labels
    else:
      weights = _common.broadcast_weights(weights, labels)
      batch_count = tf.reduce_sum(weights)
      weighted_predictions = tf.multiply(predictions, weights)
      weighted_labels = tf.multiply(labels, weights)

    update_count = _common.accumulate(count, batch_count)
    prev_count = update_count - batch_count

    def update_mean(mean, weighted_values):
      """Moves `mean` to the mean over all batches; returns (batch mean, previous
      mean)."""
      batch_mean = tf.math.divide_no_nan(tf.reduce_sum(weighted_values), batch_count)
      delta = tf.math.divide_no_nan((batch_mean - mean) * batch_count, update_count)
      return batch_mean, _common.accumulate(mean, delta) - delta

    batch_mean_prediction, prev_mean_prediction = update_mean(mean_prediction,
                                                              weighted_predictions)
    batch_mean_label, prev_mean_label = update_mean(mean_label, weighted_labels)
    coresiduals = (predictions - batch_mean_prediction) * (labels - batch_mean_label)
    if weights is not None:
      coresiduals *= weights
    # The batch co-moment, plus the correction for the shift between the means
    # of the former batches and of this one.
    delta_comoment = tf.reduce_sum(coresiduals) + (
        (prev_mean_prediction - batch_mean_prediction) * (prev_mean_label - batch_mean_label) *
        (prev_count * batch_count / update_count))
    update_comoment = _common.accumulate(comoment, delta_comoment)

    def covariance(name):
      return tf.where(tf.less_equal(count, 1.0), tf.constant(float('nan')),
                      tf.truediv(comoment, count - 1), name=name)

    value = covariance('covariance')
    with tf.control_dependencies([update_comoment]):
      update_op = covariance('update_op')
  return _common.finish(value, update_op, metrics_collections, updates_collections)


@_common.graph_metric
def streaming_pearson_correlation(predictions, labels, weights=None,
                                  metrics_collections=None, updates_collections=None,
                                  name=None):
  """Pearson correlation of predictions and labels over all batches:
  cov(p, l) / (sqrt(cov(p, p)) * sqrt(cov(l, l))).

  Creates three `streaming_covariance` variable sets under `pearson_r/`:
  `covariance`, `variance_predictions` and `variance_labels`.

  Args:
    predictions: a float tensor of any shape.
    labels: a float tensor of the shape of `predictions`.
    weights: None or a tensor broadcastable to `labels`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'pearson_r').

  Returns:
    `(pearson_r, update_op)`.
  """
  predictions, labels, weights = _check_real_pair('streaming_pearson_correlation',
                                                  predictions, labels, weights)
  predictions, labels, weights = _as_float32(predictions, labels, weights)
  with tf.compat.v1.variable_scope(name, 'pearson_r', (predictions, labels, weights)):
    predictions, labels, weights = _common.remove_squeezable_dimensions(
        predictions, labels, weights)
    predictions.get_shape().assert_is_compatible_with(labels.get_shape())
    if weights is not None:
      weights = _common.broadcast_weights(weights, labels)
    cov, update_cov = streaming_covariance(predictions, labels, weights=weights,
                                           name='covariance')
    var_predictions, update_var_predictions = streaming_covariance(
        predictions, predictions, weights=weights, name='variance_predictions')
    var_labels, update_var_labels = streaming_covariance(labels, labels, weights=weights,
                                                         name='variance_labels')

    def pearson(cov, var_predictions, var_labels, name):
      return tf.truediv(cov, tf.sqrt(var_predictions) * tf.sqrt(var_labels), name=name)

    value = pearson(cov, var_predictions, var_labels, 'pearson_r')
    update_op = pearson(update_cov, update_var_predictions, update_var_labels, 'update_op')
  return _common.finish(value, update_op, metrics_collections, updates_collections)


@_common.graph_metric
def streaming_mean_cosine_distance(predictions, labels, dim, weights=None,
                                   metrics_collections=None, updates_collections=None,
                                   name=None):
  """Mean cosine distance, 1 - sum(predictions * labels, dim), of unit-norm
  vectors along dimension `dim`.

  Creates `mean_cosine_distance/total` and `.../count`.

  Args:
    predictions: a float tensor of unit vectors along `dim`.
    labels: a float tensor of the shape of `predictions`, unit vectors too.
    dim: the dimension of the vectors, an int.
    weights: None or a tensor broadcastable to the distances (`dim` of size 1).
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'mean_cosine_distance').

  Returns:
    `(mean_distance, update_op)`.
  """
  predictions, labels, weights = _check_real_pair('streaming_mean_cosine_distance',
                                                  predictions, labels, weights)
  predictions, labels, weights = _common.remove_squeezable_dimensions(
      predictions, labels, weights)
  predictions.get_shape().assert_is_compatible_with(labels.get_shape())
  radial_diffs = tf.reduce_sum(tf.multiply(predictions, labels), axis=[dim], keepdims=True)
  mean_distance, update_op = basics.streaming_mean(radial_diffs, weights, None, None,
                                                   name or 'mean_cosine_distance')
  return _common.finish(tf.subtract(1.0, mean_distance), tf.subtract(1.0, update_op),
                        metrics_collections, updates_collections)


@_common.graph_metric
def streaming_percentage_less(values, threshold, weights=None, metrics_collections=None,
                              updates_collections=None, name=None):
  """The (weighted) fraction of `values` below `threshold`, over batches.

  Creates `percentage_below_threshold/total` and `.../count`.

  Args:
    values: a numeric tensor of any shape.
    threshold: a scalar.
    weights: None or a tensor broadcastable to `values`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'percentage_below_threshold').

  Returns:
    `(percentage, update_op)`, a fraction in [0, 1].
  """
  metric = 'streaming_percentage_less'
  values = _common.to_tensor(metric, 'values', values)
  _common.check_dtype(metric, 'values', values, ('floating', 'integer'))
  weights = _common.check_weights(metric, weights, values)
  return tf.compat.v1.metrics.percentage_below(
      values, threshold, weights=weights, metrics_collections=metrics_collections,
      updates_collections=updates_collections, name=name)


@_common.graph_metric
def streaming_mean_iou(predictions, labels, num_classes, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):
  """Mean intersection over union of the classes present, from the streamed
  confusion matrix: IOU = true_positive / (true_positive + false_positive +
  false_negative) per class.

  Creates `mean_iou/total_confusion_matrix`, float64 `[num_classes, num_classes]`.

  Args:
    predictions: predicted class ids, an int tensor of any shape.
    labels: ground-truth class ids of the shape of `predictions`.
    num_classes: the number of classes, a positive int.
    weights: None or a tensor of the shape of `predictions` (0 masks a pixel).
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'mean_iou').

  Returns:
    `(mean_iou, update_op)`; `update_op` returns the updated confusion matrix.

  Example:
    miou, update_op = slim.metrics.streaming_mean_iou(
        tf.argmax(logits, -1), labels, num_classes=21)
  """
  metric = 'streaming_mean_iou'
  _checks.check_count(metric, 'num_classes', num_classes)
  predictions, labels, weights = _common.check_inputs(
      metric, predictions, labels, weights)
  _common.check_compatible(metric, 'predictions', predictions, 'labels', labels)
  return tf.compat.v1.metrics.mean_iou(labels, predictions, int(num_classes), weights=weights,
                                       metrics_collections=metrics_collections,
                                       updates_collections=updates_collections, name=name)
