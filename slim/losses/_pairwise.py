"""Pairwise distances, masked reductions and argument checks shared by the
metric-learning losses (`slim.losses.metric_learning`)."""
import tensorflow as tf

__all__ = ['pairwise_distance', 'masked_maximum', 'masked_minimum']


def check_tensor(caller, argument, value, rank, dtype=None):
  """`value` as a tensor of static rank `rank` (or unknown rank)."""
  if value is None:
    raise ValueError('%s: %s must be a tensor, received None' % (caller, argument))
  try:
    tensor = tf.convert_to_tensor(value, dtype_hint=dtype)
  except (TypeError, ValueError) as error:
    raise ValueError('%s: %s must be a tensor or convertible to one, received %r (%s)'
                     % (caller, argument, value, error)) from None
  if tensor.shape.rank not in (None, rank):
    raise ValueError('%s: %s must have rank %d, received shape %s'
                     % (caller, argument, rank, tensor.shape))
  return tensor


def column(labels):
  """1-D `labels` as a column `[n, 1]`."""
  return tf.reshape(labels, [-1, 1])


def pairwise_distance(feature, squared=False):
  """Euclidean distances between the rows of `feature`, computed stably.

  `output[i, j] = ||feature[i] - feature[j]||_2`; the diagonal is exactly 0
  and rounding never makes a squared distance negative.

  Args:
    feature: 2-D float tensor `[num_data, feature_dim]`.
    squared: whether to return squared distances (default False).

  Returns:
    A `[num_data, num_data]` tensor.
  """
  feature = check_tensor('pairwise_distance', 'feature', feature, 2, tf.float32)
  norms = tf.reduce_sum(tf.square(feature), axis=1, keepdims=True)
  squared_distances = norms + tf.transpose(norms) - 2.0 * tf.matmul(
      feature, feature, transpose_b=True)
  squared_distances = tf.maximum(squared_distances, 0.0)
  is_zero = tf.less_equal(squared_distances, 0.0)
  if squared:
    distances = squared_distances
  else:
    # sqrt has an infinite gradient at 0: move zeros off it, then zero them.
    distances = tf.sqrt(squared_distances + tf.cast(is_zero, tf.float32) * 1e-16)
  distances *= tf.cast(tf.logical_not(is_zero), tf.float32)
  off_diagonal = 1.0 - tf.eye(tf.shape(feature)[0])
  return distances * off_diagonal


def masked_maximum(data, mask, dim=1):
  """Maximum of `data` along `dim` over the entries where `mask` is 1.

  Args:
    data: float tensor.
    mask: 0/1 float (or bool) tensor of the shape of `data`.
    dim: the reduced dimension (default 1).

  Returns:
    The maxima, with `dim` kept as size 1; where no entry is masked, the
    minimum of `data` along `dim`.
  """
  mask = tf.cast(mask, data.dtype)
  minimums = tf.reduce_min(data, dim, keepdims=True)
  return tf.reduce_max((data - minimums) * mask, dim, keepdims=True) + minimums


def masked_minimum(data, mask, dim=1):
  """Minimum of `data` along `dim` over the entries where `mask` is 1.

  Args, as for `masked_maximum`.

  Returns:
    The minima, with `dim` kept as size 1; where no entry is masked, the
    maximum of `data` along `dim`.
  """
  mask = tf.cast(mask, data.dtype)
  maximums = tf.reduce_max(data, dim, keepdims=True)
  return tf.reduce_min((data - maximums) * mask, dim, keepdims=True) + maximums


def printed(tensor, *items):
  """`tensor`, printing `items` to stderr whenever it is computed."""
  with tf.control_dependencies([tf.print(*items)]):
    return tf.identity(tensor)
