"""AUC from score histograms (tf_slim's `metrics.histogram_ops` module)."""
import tensorflow as tf

from slim import _checks
from slim.metrics import _common

__all__ = ['auc_using_histogram']


@_common.graph_metric
def auc_using_histogram(boolean_labels, scores, score_range, nbins=100, collections=None,
                        check_shape=True, name=None):
  """ROC AUC from streamed histograms of the scores of each class.

  Updates cost O(batch + nbins) whatever the class imbalance; the result is
  exact up to the discretization of the scores into `nbins` bins.

  Creates `auc_using_histogram/hist_accumulate/hist_true_acc` and
  `.../hist_false_acc`, int64 `[nbins]`.

  Args:
    boolean_labels: a bool tensor `[batch]`, True for the positive class.
    scores: a numeric tensor `[batch]`.
    score_range: `[min, max]` of the scores, of their dtype; scores outside are
      clipped to the first or last bin.
    nbins: the number of bins, an int (default 100).
    collections: the collections of the histogram variables (default
      `[LOCAL_VARIABLES]`).
    check_shape: whether to assert at run time that both inputs are 1-D.
    name: variable scope name (default 'auc_using_histogram').

  Returns:
    `(auc, update_op)`: a float32 AUC (NaN before both classes are seen) and the
    op that adds a batch.

  Raises:
    ValueError: boolean_labels is not bool.
  """
  if collections is None:
    collections = [tf.compat.v1.GraphKeys.LOCAL_VARIABLES]
  _checks.check_count('auc_using_histogram', 'nbins', nbins)
  with tf.compat.v1.variable_scope(name, 'auc_using_histogram',
                                   [boolean_labels, scores, score_range]):
    boolean_labels, scores = _common.squeeze_labels_and_predictions(boolean_labels, scores)
    score_range = tf.convert_to_tensor(score_range, name='score_range')
    boolean_labels, scores = _check_labels_and_scores(boolean_labels, scores, check_shape)
    with tf.compat.v1.variable_scope(None, 'make_auc_histograms',
                                     [boolean_labels, scores, nbins]):
      hist_true = tf.histogram_fixed_width(tf.boolean_mask(scores, boolean_labels),
                                           score_range, nbins=nbins, dtype=tf.int64,
                                           name='hist_true')
      hist_false = tf.histogram_fixed_width(
          tf.boolean_mask(scores, tf.logical_not(boolean_labels)), score_range, nbins=nbins,
          dtype=tf.int64, name='hist_false')
    with tf.compat.v1.variable_scope(None, 'hist_accumulate', [hist_true, hist_false]):
      accumulators = [
          tf.compat.v1.get_variable(name, shape=[nbins], dtype=tf.int64,
                                    initializer=tf.compat.v1.zeros_initializer(),
                                    collections=collections, trainable=False)
          for name in ('hist_true_acc', 'hist_false_acc')]
      update_op = tf.group(accumulators[0].assign_add(hist_true),
                           accumulators[1].assign_add(hist_false), name='update_op')
    return _auc_from_histograms(accumulators[0], accumulators[1], nbins), update_op


def _check_labels_and_scores(boolean_labels, scores, check_shape):
  """Checks the dtype of the labels and, at run time, the ranks of both."""
  with tf.name_scope('_check_labels_and_scores'):
    boolean_labels = tf.convert_to_tensor(boolean_labels, name='boolean_labels')
    scores = tf.convert_to_tensor(scores, name='scores')
    if boolean_labels.dtype != tf.bool:
      raise ValueError('auc_using_histogram: Argument boolean_labels should have dtype bool.  '
                       'Found: %s' % boolean_labels.dtype)
    if not check_shape:
      return boolean_labels, scores
    checks = [
        tf.debugging.Assert(tf.equal(1, tf.rank(boolean_labels)), [
            'Argument boolean_labels should have rank 1.  Found: ', boolean_labels.name,
            tf.shape(boolean_labels)]),
        tf.debugging.Assert(tf.equal(1, tf.rank(scores)), [
            'Argument scores should have rank 1.  Found: ', scores.name, tf.shape(scores)])]
    with tf.control_dependencies(checks):
      return tf.identity(boolean_labels), tf.identity(scores)


def _auc_from_histograms(hist_true, hist_false, nbins):
  """Trapezoidal ROC AUC from the histograms of positive and negative scores,
  thresholds swept from the highest bin down."""
  normed_true = tf.truediv(hist_true, tf.reduce_sum(hist_true))
  normed_false = tf.truediv(hist_false, tf.reduce_sum(hist_false))
  delta_y = tf.cast(tf.reverse(normed_true, [0], name='delta_y_t'), tf.float32)
  delta_x = tf.cast(tf.reverse(normed_false, [0], name='delta_x_t'), tf.float32)
  y = _strict_1d_cumsum(delta_y, nbins)
  first_trapezoid = delta_x[0] * y[0] / 2.0
  other_trapezoids = delta_x[1:] * (y[1:] + y[:nbins - 1]) / 2.0
  return tf.add(first_trapezoid, tf.reduce_sum(other_trapezoids), name='auc')


def _strict_1d_cumsum(tensor, len_tensor):
  """The cumulative sum of a 1-D tensor of length `len_tensor`."""
  return tf.cumsum(tensor)[:len_tensor]
