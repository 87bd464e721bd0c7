"""Collecting metrics: streaming concatenation of values, and grouping many
`(value, update_op)` pairs into lists or dicts for evaluation loops."""
import collections.abc

import tensorflow as tf

from slim import _checks
from slim.metrics import _common

__all__ = ['aggregate_metric_map', 'aggregate_metrics', 'streaming_concat']


def _next_array_size(required_size, growth_factor=1.5):
  """The smallest power of `growth_factor` that is >= `required_size` (an int32
  tensor): the capacity streaming_concat grows its buffer to."""
  exponent = tf.math.ceil(tf.math.log(tf.cast(required_size, tf.float32)) /
                          tf.math.log(tf.cast(growth_factor, tf.float32)))
  return tf.cast(tf.math.ceil(growth_factor ** exponent), tf.int32)


@_common.graph_metric
def streaming_concat(values, axis=0, max_size=None, metrics_collections=None,
                     updates_collections=None, name=None):
  """Concatenates `values` of every batch along `axis`.

  Values are appended to a buffer that grows by a factor 1.5 when full, so the
  cost per batch is amortized constant.

  Creates the local variables `streaming_concat/array` (the buffer, its shape
  not validated) and `streaming_concat/size` (int32, the rows in use).

  Args:
    values: a tensor of known rank whose dimensions other than `axis` are known.
    axis: the dimension to concatenate along (default 0; negative counts from
      the end).
    max_size: None, or the most elements kept along `axis` (later ones are
      dropped); the buffer is then allocated once.
    metrics_collections, updates_collections: collections for the value and the
      update op.
    name: variable scope name (default 'streaming_concat').

  Returns:
    `(concatenated, update_op)`; `update_op` returns the new size.

  Raises:
    ValueError: unknown rank, `axis` out of range, or a dimension other than
      `axis` unknown.

  Example:
    all_scores, update_op = slim.metrics.streaming_concat(scores)
  """
  metric = 'streaming_concat'
  values = _common.to_tensor(metric, 'values', values)
  shape = values.get_shape()
  if shape.ndims is None:
    raise ValueError('%s: `values` must have known statically known rank, received a '
                     'tensor of unknown rank' % metric)
  ndim = shape.ndims
  if not isinstance(axis, int) or isinstance(axis, bool):
    raise ValueError('%s: axis must be an int, received %r' % (metric, axis))
  if axis < 0:
    axis += ndim
  if not 0 <= axis < ndim:
    raise ValueError('%s: axis = %r not in [0, %r)' % (metric, axis, ndim))
  fixed_shape = [tf.compat.dimension_value(d) for n, d in enumerate(shape) if n != axis]
  if any(d is None for d in fixed_shape):
    raise ValueError('%s: all dimensions of `values` other than the dimension to concatenate '
                     'along must have statically known size, received shape %s (axis %d)'
                     % (metric, shape, axis))
  if max_size is not None:
    _checks.check_count(metric, 'max_size', max_size)
  with tf.compat.v1.variable_scope(name, 'streaming_concat', (values,)):
    # The buffer holds the concatenation axis first.
    array = _common.metric_variable([max_size or 0] + fixed_shape, values.dtype,
                                    validate_shape=False, name='array')
    size = _common.metric_variable([], tf.int32, name='size')
    to_axis = [0 if n == axis else n + 1 if n < axis else n for n in range(ndim)]
    valid = array[:size]
    valid.set_shape([None] + fixed_shape)
    value = tf.transpose(valid, to_axis, name='concat')

    batch_size = tf.shape(values)[axis]
    if max_size is not None:
      batch_size = tf.minimum(batch_size, max_size - size)
    to_front = [axis] + [n for n in range(ndim) if n != axis]
    batch = tf.transpose(values, to_front)[:batch_size]
    new_size = size + batch_size
    capacity = tf.shape(array)[0]

    def grow():
      old = array.value()
      with tf.control_dependencies([old]):
        bigger = tf.zeros(tf.stack([_next_array_size(new_size)] + fixed_shape), values.dtype)
        reallocated = array.assign(bigger)
      with tf.control_dependencies([reallocated]):
        copied = array[:size].assign(old[:size])
      with tf.control_dependencies([copied]):
        return tf.no_op()

    maybe_grow = tf.cond(new_size > capacity, grow, tf.no_op)
    with tf.control_dependencies([maybe_grow]):
      appended = array[size:new_size].assign(batch)
    with tf.control_dependencies([appended]):
      update_op = tf.convert_to_tensor(size.assign(new_size))
    return _common.finish(value, update_op, metrics_collections, updates_collections)


def aggregate_metrics(*value_update_tuples):
  """Splits `(value, update_op)` pairs into a list of values and a list of
  update ops.

  Example:
    values, updates = slim.metrics.aggregate_metrics(
        slim.metrics.streaming_accuracy(predictions, labels),
        slim.metrics.streaming_recall(predictions, labels))

  Raises:
    ValueError: no pair is given.
  """
  if not value_update_tuples:
    raise ValueError('aggregate_metrics: Expected at least one value_tensor/update_op pair')
  values, updates = zip(*value_update_tuples)
  return list(values), list(updates)


def aggregate_metric_map(names_to_tuples):
  """Splits a dict from metric name to `(value, update_op)` into a dict of
  values and a dict of update ops (with the same keys).

  Example:
    names_to_values, names_to_updates = slim.metrics.aggregate_metric_map({
        'accuracy': slim.metrics.streaming_accuracy(predictions, labels),
        'recall@5': slim.metrics.streaming_sparse_recall_at_k(logits, labels, 5)})

  Raises:
    TypeError: `names_to_tuples` is not a dict of pairs.
  """
  if not isinstance(names_to_tuples, collections.abc.Mapping):
    raise TypeError('aggregate_metric_map: names_to_tuples must be a dict from name to '
                    '(value, update_op), received %r' % (names_to_tuples,))
  names = list(names_to_tuples.keys())
  if not names:
    return {}, {}
  values, updates = zip(*names_to_tuples.values())
  return dict(zip(names, values)), dict(zip(names, updates))
