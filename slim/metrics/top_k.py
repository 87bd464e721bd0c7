"""Top-k metrics: recall and precision at k, and mean average precision at k,
for single labels or sets of labels (dense or sparse) per example.

`predictions` are class scores `[D1, ... DN, num_classes]`; `top_k_predictions`
are class ids `[D1, ... DN, k]`, best first; `labels` are class ids, an int
tensor `[D1, ... DN, num_labels]` (or `[D1, ... DN]`) or a SparseTensor. Each
function returns `(value, update_op)`.
"""
import tensorflow as tf

from slim import _checks
from slim.metrics import _common
from slim.metrics import basics

__all__ = ['sparse_recall_at_top_k', 'streaming_recall_at_k',
           'streaming_sparse_average_precision_at_k',
           'streaming_sparse_average_precision_at_top_k', 'streaming_sparse_precision_at_k',
           'streaming_sparse_precision_at_top_k', 'streaming_sparse_recall_at_k']


def _check_labels(metric, labels):
  labels = _common.to_tensor(metric, 'labels', labels)
  _common.check_dtype(metric, 'labels', labels, ('integer',))
  return labels


def _check_scores(metric, predictions, labels, k=None):
  """Converts and checks class scores, labels and (when given) k."""
  if k is not None:
    _checks.check_count(metric, 'k', k)
  predictions = _common.to_tensor(metric, 'predictions', predictions)
  _common.check_dtype(metric, 'predictions', predictions, ('floating', 'integer'))
  if predictions.get_shape().ndims == 0:
    raise ValueError('%s: predictions must have rank >= 1 (the last dimension the '
                     'classes), received a scalar' % metric)
  return predictions, _check_labels(metric, labels)


def _check_top_k(metric, top_k_predictions, labels):
  top_k_predictions = _common.to_tensor(metric, 'top_k_predictions', top_k_predictions)
  _common.check_dtype(metric, 'top_k_predictions', top_k_predictions, ('integer',))
  return top_k_predictions, _check_labels(metric, labels)


def _at_top_k(metric, kind, v1_metric, top_k_predictions, labels, class_id, weights,
              metrics_collections, updates_collections, name):
  """tf.compat.v1.metrics' precision or recall at top k, in the name scope
  '<kind>_at_k[_class<id>]' (tf_slim's default)."""
  top_k_predictions, labels = _check_top_k(metric, top_k_predictions, labels)
  with tf.compat.v1.name_scope(name, _common.at_k_name(kind, class_id=class_id),
                               (top_k_predictions, labels, weights)) as scope:
    return v1_metric(labels, top_k_predictions, class_id=class_id, weights=weights,
                     metrics_collections=metrics_collections,
                     updates_collections=updates_collections, name=scope)


@_common.graph_metric
def streaming_recall_at_k(predictions, labels, k, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
  """How often the label is among the `k` highest-scored classes (the mean of
  `tf.math.in_top_k`).

  Creates `recall_at_<k>/total` and `recall_at_<k>/count`.

  Args:
    predictions: class scores, a float tensor `[batch, num_classes]`.
    labels: class ids, an int32 or int64 tensor `[batch]`.
    k: a positive int.
    weights: None or a tensor broadcastable to `[batch]`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'recall_at_<k>').

  Returns:
    `(recall, update_op)`.

  Raises:
    ValueError: wrong ranks or k. TypeError: labels are not int32 or int64.
  """
  metric = 'streaming_recall_at_k'
  predictions, labels = _check_scores(metric, predictions, labels, k)
  if labels.dtype not in (tf.int32, tf.int64):
    raise TypeError('%s: labels must be int32 or int64, received %s'
                    % (metric, labels.dtype.name))
  if predictions.get_shape().ndims not in (None, 2) or labels.get_shape().ndims not in (
      None, 1):
    raise ValueError('%s: predictions must have rank 2 and labels rank 1, received shapes '
                     '%s and %s' % (metric, predictions.get_shape(), labels.get_shape()))
  in_top_k = tf.cast(tf.math.in_top_k(labels, tf.cast(predictions, tf.float32), k),
                     tf.float32)
  return basics.streaming_mean(in_top_k, weights, metrics_collections, updates_collections,
                               name or _common.at_k_name('recall', k))


@_common.graph_metric
def streaming_sparse_recall_at_k(predictions, labels, k, class_id=None, weights=None,
                                 metrics_collections=None, updates_collections=None,
                                 name=None):
  """Recall at k: of the labels of each example, the fraction among its `k`
  highest-scored classes (or, with `class_id`, the recall of that class).

  Creates the float64 scalars `recall_at_<k>/true_positive_at_<k>` and
  `recall_at_<k>/false_negative_at_<k>` (with `_class<id>` suffixes for a
  `class_id`).

  Args:
    predictions: class scores `[D1, ... DN, num_classes]`.
    labels: class ids, int64 `[D1, ... DN, num_labels]` or `[D1, ... DN]`, or a
      SparseTensor; ids outside [0, num_classes) count as misses.
    k: a positive int.
    class_id: None, or the class whose recall is computed.
    weights: None or a tensor broadcastable to `[D1, ... DN]`.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: name scope (default 'recall_at_<k>').

  Returns:
    `(recall, update_op)`, float64; NaN while there is no label.

  Example:
    recall_at_5, update_op = slim.metrics.streaming_sparse_recall_at_k(
        logits, tf.expand_dims(labels, 1), k=5)
  """
  predictions, labels = _check_scores('streaming_sparse_recall_at_k', predictions, labels, k)
  return tf.compat.v1.metrics.recall_at_k(
      labels, predictions, k, class_id=class_id, weights=weights,
      metrics_collections=metrics_collections, updates_collections=updates_collections,
      name=name)


@_common.graph_metric
def streaming_sparse_precision_at_k(predictions, labels, k, class_id=None, weights=None,
                                    metrics_collections=None, updates_collections=None,
                                    name=None):
  """Precision at k: of the `k` highest-scored classes of each example, the
  fraction among its labels (or, with `class_id`, the precision of that class).

  Creates the float64 scalars `precision_at_<k>/true_positive_at_<k>` and
  `precision_at_<k>/false_positive_at_<k>`; arguments as for
  `streaming_sparse_recall_at_k`.

  Returns:
    `(precision, update_op)`, float64.
  """
  predictions, labels = _check_scores('streaming_sparse_precision_at_k', predictions, labels,
                                      k)
  return tf.compat.v1.metrics.precision_at_k(
      labels, predictions, k, class_id=class_id, weights=weights,
      metrics_collections=metrics_collections, updates_collections=updates_collections,
      name=name)


@_common.graph_metric
def streaming_sparse_precision_at_top_k(top_k_predictions, labels, class_id=None,
                                        weights=None, metrics_collections=None,
                                        updates_collections=None, name=None):
  """Precision of the given top-k class ids `[D1, ... DN, k]` against the labels;
  as `streaming_sparse_precision_at_k` (default scope 'precision_at_k').

  Raises:
    TypeError: top_k_predictions or labels are not integer.
  """
  return _at_top_k('streaming_sparse_precision_at_top_k', 'precision',
                   tf.compat.v1.metrics.precision_at_top_k, top_k_predictions, labels,
                   class_id, weights, metrics_collections, updates_collections, name)


@_common.graph_metric
def sparse_recall_at_top_k(labels, top_k_predictions, class_id=None, weights=None,
                           metrics_collections=None, updates_collections=None, name=None):
  """Recall of the given top-k class ids `[D1, ... DN, k]` against the labels;
  as `streaming_sparse_recall_at_k` (default scope 'recall_at_k').

  Raises:
    TypeError: top_k_predictions or labels are not integer.
  """
  return _at_top_k('sparse_recall_at_top_k', 'recall', tf.compat.v1.metrics.recall_at_top_k,
                   top_k_predictions, labels, class_id, weights, metrics_collections,
                   updates_collections, name)


@_common.graph_metric
def streaming_sparse_average_precision_at_k(predictions, labels, k, weights=None,
                                            metrics_collections=None,
                                            updates_collections=None, name=None):
  """Mean average precision at k of the `k` highest-scored classes.

  The average precision of an example is the sum over the ranks i <= k that
  hit a label of precision@i, divided by min(k, number of labels). Label ids
  outside [0, num_classes) are ignored.

  Creates the float64 scalars `average_precision_at_<k>/max` and
  `average_precision_at_<k>/total`; arguments as for
  `streaming_sparse_recall_at_k`.

  Returns:
    `(mean_average_precision, update_op)`, float64.
  """
  predictions, labels = _check_scores('streaming_sparse_average_precision_at_k', predictions,
                                      labels, k)
  return tf.compat.v1.metrics.average_precision_at_k(
      labels, predictions, k, weights=weights, metrics_collections=metrics_collections,
      updates_collections=updates_collections, name=name)


def _expand_labels(labels, predictions_idx):
  """Gives `labels` the rank of `predictions_idx` (a trailing dimension of 1)
  when it has one less."""
  with tf.compat.v1.name_scope(None, 'expand_labels', (labels, predictions_idx)) as scope:
    if isinstance(labels, tf.SparseTensor):
      return tf.cond(
          tf.equal(tf.rank(predictions_idx), tf.size(labels.dense_shape) + 1),
          lambda: tf.sparse.reshape(labels, tf.concat([labels.dense_shape, [1]], 0),
                                    name=scope),
          lambda: labels)
    labels_rank = labels.get_shape().ndims
    predictions_rank = predictions_idx.get_shape().ndims
    if labels_rank is not None and predictions_rank is not None:
      if predictions_rank == labels_rank:
        return labels
      if predictions_rank == labels_rank + 1:
        return tf.expand_dims(labels, -1, name=scope)
      raise ValueError('Unexpected labels shape %s for predictions shape %s: labels must '
                       'have the rank of predictions or one less.'
                       % (labels.get_shape(), predictions_idx.get_shape()))
    return tf.cond(tf.equal(tf.rank(predictions_idx), tf.rank(labels) + 1),
                   lambda: tf.expand_dims(labels, -1, name=scope), lambda: labels)


def _repeat_label_sets(labels, k):
  """`[D1, ... DN, num_labels]` labels -> `[D1, ... DN, k, num_labels]`: the
  label set of an example once for each of its k predictions."""
  with tf.compat.v1.name_scope(None, 'labels_per_k', (labels,)):
    if isinstance(labels, tf.SparseTensor):
      rank = tf.size(labels.dense_shape)
      expanded = tf.sparse.reshape(labels, tf.concat(
          [labels.dense_shape[:rank - 1], [1], labels.dense_shape[rank - 1:]], 0))
      return expanded if k == 1 else tf.sparse.concat(-2, [expanded] * k)
    expanded = tf.expand_dims(labels, -2)
    if k == 1:
      return expanded
    ones = tf.ones_like(tf.shape(labels))
    return tf.tile(expanded, tf.concat([ones[:-1], [k], ones[-1:]], 0))


def _num_relevant(labels, k):
  """min(k, the number of labels) per example (dense labels count ids >= 0)."""
  with tf.compat.v1.name_scope(None, 'num_relevant', (labels,)):
    if isinstance(labels, tf.SparseTensor):
      return tf.minimum(tf.sets.size(labels), k)
    num_labels = tf.reduce_sum(tf.cast(tf.greater_equal(labels, 0), labels.dtype), axis=-1)
    return tf.minimum(num_labels, tf.cast(k, labels.dtype))


def _average_precision_per_example(labels, predictions_idx):
  """The average precision at k of each example, float64 `[D1, ... DN]`."""
  metric = 'streaming_sparse_average_precision_at_top_k'
  with tf.compat.v1.name_scope(None, 'average_precision', (predictions_idx, labels)):
    predictions_idx = tf.cast(predictions_idx, tf.int64, name='predictions_idx')
    if predictions_idx.get_shape().ndims == 0:
      raise ValueError('%s: The rank of `predictions_idx` must be at least 1.' % metric)
    k = predictions_idx.get_shape().as_list()[-1]
    if k is None:
      raise ValueError('%s: The last dimension of predictions_idx must be set. Currently, it '
                       'is None.' % metric)
    labels = _expand_labels(labels, predictions_idx)
    # relevant[..., i] is 1 where the i-th prediction is one of the labels.
    hits = tf.sets.intersection(tf.expand_dims(predictions_idx, -1),
                                _repeat_label_sets(labels, k))
    relevant = tf.cast(tf.sets.size(hits), tf.float64, name='relevant_per_k')
    tp_per_k = tf.cumsum(relevant, axis=-1, name='tp_per_k')
    retrieved_per_k = tf.cumsum(tf.ones_like(relevant), axis=-1, name='retrieved_per_k')
    precision_per_k = tf.math.divide(tp_per_k, retrieved_per_k, name='precision_per_k')
    precision_sum = tf.reduce_sum(precision_per_k * relevant, axis=-1, name='precision_sum')
    return tf.math.divide(precision_sum, tf.cast(_num_relevant(labels, k), tf.float64))


@_common.graph_metric
def streaming_sparse_average_precision_at_top_k(top_k_predictions, labels, weights=None,
                                                metrics_collections=None,
                                                updates_collections=None, name=None):
  """Mean average precision of the given top-k class ids `[D1, ... DN, k]` (k
  known statically) against the labels.

  Creates the float64 scalars `average_precision_at_top_k/max` (the sum of the
  weights) and `average_precision_at_top_k/total` (the weighted sum of the
  average precisions); other arguments as for `streaming_sparse_recall_at_k`.

  Returns:
    `(mean_average_precision, update_op)`, float64.

  Raises:
    ValueError: top_k_predictions is a scalar or its last dimension is unknown.
    TypeError: top_k_predictions or labels are not integer.
  """
  top_k_predictions, labels = _check_top_k('streaming_sparse_average_precision_at_top_k',
                                           top_k_predictions, labels)
  with tf.compat.v1.name_scope(name, 'average_precision_at_top_k',
                               (top_k_predictions, labels, weights)) as scope:
    average_precision = _average_precision_per_example(labels, top_k_predictions)
    if weights is not None:
      weights = _common.broadcast_weights(tf.cast(weights, tf.float64), average_precision)
      average_precision = tf.multiply(average_precision, weights)
    with tf.compat.v1.name_scope(None, 'max', (average_precision,)) as max_scope:
      max_var = _common.metric_variable([], tf.float64, name=max_scope)
      if weights is None:
        batch_max = tf.cast(tf.size(average_precision, name='batch_max'), tf.float64)
      else:
        batch_max = tf.reduce_sum(weights, name='batch_max')
      max_update = _common.accumulate(max_var, batch_max, name='update')
    with tf.compat.v1.name_scope(None, 'total', (average_precision,)) as total_scope:
      total_var = _common.metric_variable([], tf.float64, name=total_scope)
      batch_total = tf.reduce_sum(average_precision, name='batch_total')
      total_update = _common.accumulate(total_var, batch_total, name='update')
    value = _common.aggregate_across_replicas(
        metrics_collections,
        lambda _, total, count: _common.safe_scalar_div(total, count, name='mean'),
        total_var, max_var)
    update_op = _common.safe_scalar_div(total_update, max_update, name=scope)
    return _common.finish(value, update_op, None, updates_collections)
