"""Losses of TF-Slim: weighted means of per-element losses, added to `LOSSES`.

Each loss returns a scalar: the sum of the per-element losses times their
weights, divided by the number of elements whose weight is not zero (0 when
there are none). `weights` is a scalar, or a tensor whose shape matches the
leading dimensions of the per-element losses (`[batch_size]`,
`[batch_size, 1]`, or the full shape); size-1 dimensions broadcast.

In a TF1 graph every loss is added to the `tf.compat.v1.GraphKeys.LOSSES`
collection (`slim.losses.get_total_loss` sums it); eagerly there are no
collections and the losses are just returned.

    loss = slim.losses.softmax_cross_entropy(logits, onehot_labels,
                                             label_smoothing=0.1)
    total_loss = slim.losses.get_total_loss()
"""
import numbers

import tensorflow as tf

from slim.ops.arg_scope import add_arg_scope

__all__ = ['absolute_difference', 'add_loss', 'cosine_distance', 'compute_weighted_loss',
           'get_losses', 'get_regularization_losses', 'get_total_loss', 'hinge_loss',
           'log_loss', 'mean_pairwise_squared_error', 'mean_squared_error',
           'sigmoid_cross_entropy', 'softmax_cross_entropy',
           'sparse_softmax_cross_entropy']

_LOSSES = tf.compat.v1.GraphKeys.LOSSES


# ---------------------------------------------------------------------------
# Argument checks (they run before any op is made).

def _tensor(caller, argument, value, dtype=None):
  if value is None:
    raise ValueError('%s: %s must be a tensor or a number, received None' % (caller, argument))
  try:
    tensor = tf.convert_to_tensor(value)
  except (TypeError, ValueError) as error:
    raise ValueError('%s: %s must be a tensor or convertible to one, received %r (%s)'
                     % (caller, argument, value, error)) from None
  return tensor if dtype is None else tf.cast(tensor, dtype)


def _pair(caller, first_name, first, second_name, second):
  """`first` and `second` as tensors of compatible shapes."""
  first = _tensor(caller, first_name, first)
  second = _tensor(caller, second_name, second)
  if not first.shape.is_compatible_with(second.shape):
    raise ValueError('%s: %s and %s must have the same shape, received %s and %s'
                     % (caller, first_name, second_name, first.shape, second.shape))
  return first, second


def _known_rank(caller, what, tensor):
  rank = tensor.shape.rank
  if rank is None:
    raise ValueError('%s: %s must have a known rank, received a tensor of unknown rank '
                     '(give it a static shape, e.g. with set_shape)' % (caller, what))
  return rank


def _dim(tensor, axis):
  return tf.compat.dimension_value(tensor.shape[axis])


def _dims_match(weights_shape, losses_shape):
  """Whether each dimension of weights equals the losses' one or is 1 (or unknown)."""
  for weight_dim, loss_dim in zip(weights_shape.as_list(), losses_shape.as_list()):
    if weight_dim not in (None, 1) and loss_dim is not None and weight_dim != loss_dim:
      return False
  return True


def _aligned_weights(caller, losses, weights):
  """`weights` as float32 with the rank of `losses`, ready to broadcast against it."""
  weights = _tensor(caller, 'weights', weights, tf.float32)
  losses_rank = _known_rank(caller, 'the per-element losses', losses)
  weights_rank = _known_rank(caller, 'weights', weights)
  if weights_rank > 1 and _dim(weights, -1) in (None, 1):  # [batch_size, 1] -> [batch_size]
    weights = tf.squeeze(weights, [-1])
    weights_rank -= 1
  if weights_rank > losses_rank or not _dims_match(weights.shape, losses.shape):
    raise ValueError('%s: weights must be a scalar or match the leading dimensions of the '
                     'per-element losses %s, received weights of shape %s'
                     % (caller, losses.shape, weights.shape))
  for _ in range(losses_rank - weights_rank if weights_rank else 0):
    weights = tf.expand_dims(weights, -1)
  return weights


def _weighted_mean(caller, losses, weights):
  """The weighted mean of `losses` (op 'value' of the current name scope), in LOSSES."""
  input_dtype = losses.dtype
  losses = tf.cast(losses, tf.float32)
  weights = _aligned_weights(caller, losses, weights)
  total = tf.reduce_sum(losses * weights)
  present = tf.cast(tf.not_equal(weights, 0.0), tf.float32)
  num_present = tf.reduce_sum(tf.broadcast_to(present, tf.shape(losses)))
  mean = tf.cast(tf.math.divide_no_nan(total, num_present, name='value'), input_dtype)
  add_loss(mean)
  return mean


# ---------------------------------------------------------------------------
# The LOSSES collection.

@add_arg_scope
def add_loss(loss, loss_collection=_LOSSES):
  """Adds `loss` to `loss_collection` (nothing when it is None, or when eager).

  Args:
    loss: a loss tensor.
    loss_collection: the collection, default `tf.compat.v1.GraphKeys.LOSSES`;
      `arg_scope([slim.losses.add_loss], loss_collection=None)` keeps every
      slim loss out of the collection.
  """
  if loss_collection and not tf.executing_eagerly():
    tf.compat.v1.add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=_LOSSES):
  """The losses in `loss_collection` (default LOSSES), filtered by `scope` if given."""
  return tf.compat.v1.get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
  """The regularization losses (REGULARIZATION_LOSSES), filtered by `scope` if given."""
  return tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES, scope)


def get_total_loss(add_regularization_losses=True, name='total_loss'):
  """The sum of the LOSSES collection, plus the regularization losses by default.

  Args:
    add_regularization_losses: whether to add REGULARIZATION_LOSSES (default True).
    name: name of the returned tensor, default 'total_loss'.

  Returns:
    A scalar tensor.

  Raises:
    ValueError: there is no loss to sum.
  """
  losses = get_losses()
  if add_regularization_losses:
    losses += get_regularization_losses()
  if not losses:
    raise ValueError('get_total_loss: there are no losses to sum: the LOSSES%s collection '
                     'of the default graph is empty (losses are collected in graph mode '
                     'only)' % (' and REGULARIZATION_LOSSES collections are'
                                if add_regularization_losses else ' collection is'))
  return tf.add_n(losses, name=name)


def compute_weighted_loss(losses, weights=1.0, scope=None):
  """The weighted mean of per-element `losses`, added to LOSSES.

  Args:
    losses: a tensor `[batch_size, d1, ..., dN]` of known rank.
    weights: a scalar or a tensor matching the leading dimensions of `losses`
      (default 1.0).
    scope: name scope of the ops (default 'weighted_loss').

  Returns:
    A scalar tensor of the dtype of `losses`.

  Raises:
    ValueError: `weights` is None, a rank is unknown or the shapes do not match.
  """
  with tf.compat.v1.name_scope(scope, 'weighted_loss', [losses, weights]):
    return _weighted_mean('compute_weighted_loss',
                          _tensor('compute_weighted_loss', 'losses', losses), weights)


# ---------------------------------------------------------------------------
# Regression losses.

def _regression_loss(caller, default_scope, per_element, predictions, labels, weights,
                     scope):
  """The weighted mean of `per_element(predictions, labels)` (both cast to float32)."""
  with tf.compat.v1.name_scope(scope, default_scope, [predictions, labels, weights]):
    predictions, labels = _pair(caller, 'predictions', predictions, 'labels', labels)
    losses = per_element(tf.cast(predictions, tf.float32), tf.cast(labels, tf.float32))
    return _weighted_mean(caller, losses, weights)


def absolute_difference(predictions, labels=None, weights=1.0, scope=None):
  """Mean absolute error `|predictions - labels|`, weighted.

  Args:
    predictions: the predicted values.
    labels: the targets, of the shape of `predictions`.
    weights: a scalar, `[batch_size]`, or the shape of `predictions` (default 1.0).
    scope: name scope (default 'absolute_difference').

  Returns:
    A scalar float32 tensor.

  Raises:
    ValueError: shapes do not match, or `weights` is None.
  """
  return _regression_loss('absolute_difference', 'absolute_difference',
                          lambda p, l: tf.abs(p - l), predictions, labels, weights, scope)


def mean_squared_error(predictions, labels=None, weights=1.0, scope=None):
  """Mean squared error `(predictions - labels)^2`, weighted.

  Arguments, return value and errors as for `absolute_difference`.
  """
  return _regression_loss('mean_squared_error', 'mean_squared_error',
                          tf.math.squared_difference, predictions, labels, weights, scope)


def log_loss(predictions, labels=None, weights=1.0, epsilon=1e-7, scope=None):
  """Binary log loss `-l log(p + eps) - (1 - l) log(1 - p + eps)`, weighted.

  Args:
    predictions: probabilities in [0, 1].
    labels: targets in [0, 1], of the shape of `predictions`.
    weights: as for `absolute_difference`.
    epsilon: added inside the logarithms (default 1e-7).
    scope: name scope (default 'log_loss').

  Returns:
    A scalar float32 tensor.
  """
  def per_element(p, l):
    return -l * tf.math.log(p + epsilon) - (1.0 - l) * tf.math.log(1.0 - p + epsilon)
  return _regression_loss('log_loss', 'log_loss', per_element, predictions, labels,
                          weights, scope)


def hinge_loss(logits, labels=None, scope=None):
  """Per-element hinge loss `max(0, 1 - (2 labels - 1) logits)` (not reduced).

  Args:
    logits: float tensor; > 0 predicts the positive class.
    labels: 0/1 targets, of the shape of `logits`.
    scope: name scope (default 'hinge_loss').

  Returns:
    A float32 tensor of the shape of `logits` (nothing is added to LOSSES).
  """
  with tf.compat.v1.name_scope(scope, 'hinge_loss', [logits, labels]):
    logits, labels = _pair('hinge_loss', 'logits', logits, 'labels', labels)
    signs = 2.0 * tf.cast(labels, tf.float32) - 1.0
    return tf.nn.relu(1.0 - signs * tf.cast(logits, tf.float32))


def mean_pairwise_squared_error(predictions, labels=None, weights=1.0, scope=None):
  """Squared error of the differences between pairs of elements of each example.

  For an example with n elements `p` and labels `l`, the loss is the mean over
  all ordered pairs (i, j) of `((p_i - p_j) - (l_i - l_j))^2`, i.e.
  `2 sum(d^2) / n - 2 (sum d)^2 / n^2` with `d = p - l`. The result is the sum
  over the batch of these losses times the example weights.

  Args:
    predictions: `[batch_size, d1, ..., dN]`.
    labels: of the shape of `predictions`.
    weights: a scalar or `[batch_size]` (`[batch_size, 1]` too; default 1.0).
    scope: name scope (default 'mean_pairwise_squared_error').

  Returns:
    A scalar float32 tensor, 0 when every weight is 0.

  Raises:
    ValueError: shapes do not match, a rank is unknown, or `weights` is None or
      not per example.
  """
  caller = 'mean_pairwise_squared_error'
  with tf.compat.v1.name_scope(scope, caller, [predictions, labels, weights]):
    predictions, labels = _pair(caller, 'predictions', predictions, 'labels', labels)
    diffs = tf.cast(predictions, tf.float32) - tf.cast(labels, tf.float32)
    if _known_rank(caller, 'predictions', diffs) < 1:
      raise ValueError('%s: predictions must have a batch dimension, received a scalar'
                       % caller)
    weights = _tensor(caller, 'weights', weights, tf.float32)
    _known_rank(caller, 'weights', weights)
    while weights.shape.rank > 1 and _dim(weights, -1) == 1:
      weights = tf.squeeze(weights, [-1])
    if weights.shape.rank > 1 or not _dims_match(weights.shape, diffs.shape):
      raise ValueError('%s: weights must be a scalar or of shape [batch_size] (%s), '
                       'received shape %s' % (caller, diffs.shape[:1], weights.shape))
    axis = list(range(1, diffs.shape.rank))
    elements_per_example = tf.cast(tf.reduce_prod(tf.shape(diffs)[1:]), tf.float32)
    num_present = (tf.cast(tf.not_equal(weights, 0.0), tf.float32) * elements_per_example *
                   tf.ones(tf.shape(diffs)[:1]))
    term1 = 2.0 * tf.math.divide_no_nan(tf.reduce_sum(tf.square(diffs), axis), num_present)
    term2 = 2.0 * tf.math.divide_no_nan(tf.square(tf.reduce_sum(diffs, axis)),
                                        tf.square(num_present))
    loss = tf.reduce_sum((term1 - term2) * weights)
    mean_loss = tf.where(tf.reduce_sum(num_present) > 0, loss, tf.zeros_like(loss),
                         name='value')
    add_loss(mean_loss)
    return mean_loss


def cosine_distance(predictions, labels=None, axis=None, weights=1.0, scope=None, dim=None):
  """Cosine distance `1 - sum(predictions * labels, axis)`, weighted.

  `predictions` and `labels` must already be unit-normalized along `axis`.

  Args:
    predictions: float tensor.
    labels: of the shape of `predictions`.
    axis: the dimension of the vectors (required).
    weights: a scalar or a tensor matching the leading dimensions of the
      distances (the shape without `axis`); default 1.0.
    scope: name scope (default 'cosine_distance_loss').
    dim: the former name of `axis`.

  Returns:
    A scalar float32 tensor.

  Raises:
    ValueError: `axis` is missing (or given twice), shapes do not match, or
      `weights` is None.
  """
  if axis is not None and dim is not None:
    raise ValueError("cosine_distance: Cannot specify both 'axis' and 'dim' (its former "
                     "name), received axis=%r and dim=%r" % (axis, dim))
  axis = dim if axis is None else axis
  if axis is None:
    raise ValueError("cosine_distance: You must specify 'axis'.")
  with tf.compat.v1.name_scope(scope, 'cosine_distance_loss', [predictions, labels, weights]):
    predictions, labels = _pair('cosine_distance', 'predictions', predictions, 'labels',
                                labels)
    products = tf.cast(predictions, tf.float32) * tf.cast(labels, tf.float32)
    losses = 1.0 - tf.reduce_sum(products, axis=[axis])
    return _weighted_mean('cosine_distance', losses, weights)


# ---------------------------------------------------------------------------
# Classification losses.

def _label_smoothing(caller, label_smoothing):
  """`label_smoothing` checked: a number in [0, 1] or a tensor."""
  if isinstance(label_smoothing, numbers.Real) and not isinstance(label_smoothing, bool):
    if not 0 <= label_smoothing <= 1:
      raise ValueError('%s: label_smoothing must be in [0, 1], received %r'
                       % (caller, label_smoothing))
    return label_smoothing
  if isinstance(label_smoothing, (tf.Tensor, tf.Variable)):
    return label_smoothing
  raise ValueError('%s: label_smoothing must be a number in [0, 1], received %r'
                   % (caller, label_smoothing))


def _is_zero(label_smoothing):
  return isinstance(label_smoothing, numbers.Real) and label_smoothing == 0


def sigmoid_cross_entropy(logits, multi_class_labels, weights=1.0, label_smoothing=0,
                          scope=None):
  """Sigmoid cross-entropy of independent (multi-label) classes, weighted.

  With `label_smoothing` s, labels become `labels * (1 - s) + 0.5 * s`.

  Args:
    logits: `[batch_size, num_classes]` logits.
    multi_class_labels: targets in [0, 1], of the shape of `logits`.
    weights: a scalar, `[batch_size]` or `[batch_size, num_classes]` (default 1.0).
    label_smoothing: in [0, 1], default 0.
    scope: name scope (default 'sigmoid_cross_entropy_loss').

  Returns:
    A scalar tensor of the dtype of `logits`.

  Raises:
    ValueError: shapes do not match, `weights` is None or `label_smoothing` is
      out of range.
  """
  caller = 'sigmoid_cross_entropy'
  label_smoothing = _label_smoothing(caller, label_smoothing)
  with tf.compat.v1.name_scope(scope, 'sigmoid_cross_entropy_loss',
                               [logits, multi_class_labels, weights]):
    logits, labels = _pair(caller, 'logits', logits, 'multi_class_labels',
                           multi_class_labels)
    labels = tf.cast(labels, logits.dtype)
    if not _is_zero(label_smoothing):
      smoothing = tf.cast(label_smoothing, logits.dtype)
      labels = labels * (1.0 - smoothing) + 0.5 * smoothing
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                     name='xentropy')
    return _weighted_mean(caller, losses, weights)


def softmax_cross_entropy(logits, onehot_labels, weights=1.0, label_smoothing=0,
                          scope=None):
  """Softmax cross-entropy with one-hot labels, weighted per example.

  With `label_smoothing` s and n classes, labels become
  `onehot_labels * (1 - s) + s / n`.

  Args:
    logits: `[batch_size, num_classes]` logits.
    onehot_labels: `[batch_size, num_classes]` one-hot (or soft) labels; no
      gradient flows into them.
    weights: a scalar or `[batch_size]` (default 1.0).
    label_smoothing: in [0, 1], default 0.
    scope: name scope (default 'softmax_cross_entropy_loss').

  Returns:
    A scalar tensor of the dtype of `logits`.

  Raises:
    ValueError: shapes do not match, `weights` is None or not per example, or
      `label_smoothing` is out of range.
  """
  caller = 'softmax_cross_entropy'
  label_smoothing = _label_smoothing(caller, label_smoothing)
  with tf.compat.v1.name_scope(scope, 'softmax_cross_entropy_loss',
                               [logits, onehot_labels, weights]):
    logits, labels = _pair(caller, 'logits', logits, 'onehot_labels', onehot_labels)
    labels = tf.cast(labels, logits.dtype)
    if not _is_zero(label_smoothing):
      smoothing = tf.cast(label_smoothing, logits.dtype)
      num_classes = tf.cast(tf.shape(labels)[-1], logits.dtype)
      labels = labels * (1.0 - smoothing) + smoothing / num_classes
    losses = tf.nn.softmax_cross_entropy_with_logits(
        labels=tf.stop_gradient(labels), logits=logits, name='xentropy')
    return _weighted_mean(caller, losses, weights)


def sparse_softmax_cross_entropy(logits, labels, weights=1.0, scope=None):
  """Softmax cross-entropy with integer class labels, weighted per example.

  Args:
    logits: `[batch_size, num_classes]` logits.
    labels: `[batch_size]` or `[batch_size, 1]` int32/int64 labels in
      `[0, num_classes)`.
    weights: a scalar, `[batch_size]` or `[batch_size, 1]` (default 1.0).
    scope: name scope (default 'sparse_softmax_cross_entropy_loss').

  Returns:
    A scalar tensor of the dtype of `logits`.

  Raises:
    ValueError: shapes of `logits`, `labels` and `weights` do not match, or
      `weights` is None.
  """
  caller = 'sparse_softmax_cross_entropy'
  with tf.compat.v1.name_scope(scope, 'sparse_softmax_cross_entropy_loss',
                               [logits, labels, weights]):
    logits = _tensor(caller, 'logits', logits)
    labels = _tensor(caller, 'labels', labels)
    if _known_rank(caller, 'logits', logits) != 2:
      raise ValueError('%s: logits must have shape [batch_size, num_classes], received '
                       'shape %s' % (caller, logits.shape))
    labels_rank = _known_rank(caller, 'labels', labels)
    if (labels_rank not in (1, 2) or (labels_rank == 2 and _dim(labels, 1) not in (None, 1))
        or not labels.shape[:1].is_compatible_with(logits.shape[:1])):
      raise ValueError('%s: labels must have shape [batch_size] or [batch_size, 1] with '
                       'batch_size %s (from logits %s), received shape %s'
                       % (caller, _dim(logits, 0), logits.shape, labels.shape))
    labels = tf.reshape(labels, tf.shape(labels)[:1])
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                            name='xentropy')
    return _weighted_mean(caller, losses, weights)
