"""Classification metrics: the accuracy of one batch, and the streaming best F1
score over thresholds (tf_slim's `metrics.classification` module)."""
import tensorflow as tf

from slim.metrics import _common
from slim.metrics import curves

__all__ = ['accuracy', 'f1_score']


def accuracy(predictions, labels, weights=None, name=None):
  """The (weighted) fraction of `predictions` equal to `labels` in one batch (no
  variables; works eagerly too).

  Args:
    predictions: predicted classes, of the dtype and shape of `labels`.
    labels: ground truth, a bool, integer or string tensor.
    weights: None or a float tensor broadcastable to `labels`.
    name: name scope (default 'accuracy').

  Returns:
    A float32 scalar.

  Raises:
    ValueError: labels are not bool, integer or string, or the dtypes differ.
  """
  labels = _common.to_tensor('accuracy', 'labels', labels)
  predictions = _common.to_tensor('accuracy', 'predictions', predictions)
  if not (labels.dtype.is_integer or labels.dtype in (tf.bool, tf.string)):
    raise ValueError('accuracy: Labels should have bool, integer, or string dtype, not %r'
                     % labels.dtype)
  if not labels.dtype.is_compatible_with(predictions.dtype):
    raise ValueError('accuracy: Dtypes of predictions and labels should match. Given: '
                     'predictions (%r) and labels (%r)' % (predictions.dtype, labels.dtype))
  with tf.name_scope(name or 'accuracy'):
    is_correct = tf.cast(tf.equal(predictions, labels), tf.float32)
    if weights is None:
      return tf.reduce_mean(is_correct)
    is_correct = tf.multiply(is_correct, weights)
    num_values = tf.multiply(weights, tf.ones_like(is_correct))
    return tf.math.divide(tf.reduce_sum(is_correct), tf.reduce_sum(num_values))


@_common.graph_metric
def f1_score(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
             updates_collections=None, name=None):
  """The best F1 score, 2 * precision * recall / (precision + recall), over
  `num_thresholds` thresholds spread over [0, 1], streamed over batches.

  Creates `f1/true_positives`, `f1/false_positives` and `f1/false_negatives`
  `[num_thresholds]`.

  Args:
    labels: ground truth, cast to bool.
    predictions: scores in [0, 1] (checked when the graph runs), of the shape of
      `labels`.
    weights: None or a tensor broadcastable to `labels`.
    num_thresholds: the number of thresholds (default 200).
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'f1').

  Returns:
    `(f1, update_op)`.

  Example:
    f1, update_op = slim.metrics.f1_score(labels, tf.sigmoid(logits))
  """
  predictions, labels, weights = _common.check_inputs(
      'f1_score', predictions, labels, weights)
  with tf.compat.v1.variable_scope(name, 'f1', (labels, predictions, weights)):
    predictions, labels, weights = _common.remove_squeezable_dimensions(
        predictions, labels, weights)
    values, update_ops = curves.confusion_matrix_at_thresholds(
        predictions, labels, _common.thresholds_for(num_thresholds), weights,
        includes=('tp', 'fp', 'fn'), check_range=True)

    def best_f1(counts, name):
      # 2PR / (P + R) written as 2tp / (2tp + fp + fn): the same score with one
      # rounding, so e.g. P = 0.5, R = 1 gives the float32 nearest to 2/3.
      tp, fp, fn = counts['tp'], counts['fp'], counts['fn']
      return tf.reduce_max(tf.math.divide(2.0 * tp, _common.EPSILON + 2.0 * tp + fp + fn),
                           name='f1_' + name)

    value = _common.aggregate_across_replicas(
        metrics_collections, lambda _, counts: best_f1(counts, 'value'), values)
    update_op = best_f1(update_ops, 'update')
    return _common.finish(value, update_op, None, updates_collections)
