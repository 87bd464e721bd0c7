"""Conversions between dense tensors and `SparseTensor`s.

    sparse = dense_to_sparse_tensor([[1, 0], [0, 2]])      # drops the zeros
    ids = indicators_to_sparse_ids([[0, 1, 1], [1, 0, 0]])  # [[1, 2], [0]]
"""
import numbers

import tensorflow as tf

__all__ = ['dense_to_sparse_tensor', 'indicators_to_sparse_ids', 'sparse_row_envelope']


def _ignore_value(dtype, ignore_value=None):
  """`ignore_value` as a tensor of `dtype`; by default '' for strings, else 0."""
  if ignore_value is None:
    ignore_value = '' if dtype == tf.string else dtype.as_numpy_dtype()
  return tf.cast(ignore_value, dtype, name='ignore_value')


def dense_to_sparse_tensor(dense_tensor, ignore_value=None):
  """The `SparseTensor` of the entries of `dense_tensor` not equal to `ignore_value`.

  Args:
    dense_tensor: a tensor (any rank, even unknown).
    ignore_value: the value to drop; default the zero of the dtype ('' for
      strings).

  Returns:
    A `SparseTensor` with int64 indices and dense shape, of the shape of
    `dense_tensor`.
  """
  with tf.name_scope('DenseToSparseTensor'):
    dense_tensor = tf.convert_to_tensor(dense_tensor)
    ignore = _ignore_value(dense_tensor.dtype, ignore_value)
    indices = tf.where(tf.not_equal(dense_tensor, ignore), name='indices')
    return tf.SparseTensor(
        indices=indices,
        values=tf.gather_nd(dense_tensor, indices, name='values'),
        dense_shape=tf.shape(dense_tensor, out_type=tf.int64, name='dense_shape'))


def indicators_to_sparse_ids(indicators, ignore_value=None, dtype=tf.int64):
  """The positions (along the last axis) of the set indicators, as sparse ids.

  For indicators of shape `(d0, ..., dn, num_classes)`, entry `(i..., j)` of
  the result is the class of the j-th indicator of row `i...` not equal to
  `ignore_value`. E.g. `[[0, 1, 1], [1, 0, 0]]` gives the ids `[[1, 2], [0]]`:
  indices `[[0, 0], [0, 1], [1, 0]]`, values `[1, 2, 0]`, dense shape `[2, 2]`.

  Args:
    indicators: a dense tensor `(d0, ..., dn, num_classes)`.
    ignore_value: the value of unset indicators; default the zero of the dtype
      ('' for strings).
    dtype: the integer dtype of the ids (default int64).

  Returns:
    A `SparseTensor` of shape `(d0, ..., dn, max_ids_per_row)`.

  Raises:
    ValueError: `dtype` is not an integer type.
  """
  dtype = tf.as_dtype(dtype)
  if not dtype.is_integer:
    raise ValueError('indicators_to_sparse_ids: Invalid dtype %s not integer; dtype must '
                     'be an integer type such as tf.int64' % dtype.name)
  with tf.compat.v1.name_scope(None, 'indicators_to_sparse_ids', (indicators, ignore_value)):
    indicators = tf.convert_to_tensor(indicators, name='indicators')
    is_set = tf.not_equal(indicators, _ignore_value(indicators.dtype, ignore_value))
    # Position of each set indicator among the set ones of its row, from 1.
    ranks = tf.where(is_set, tf.cumsum(tf.cast(is_set, tf.int64), axis=-1),
                     tf.zeros_like(indicators, dtype=tf.int64))
    max_per_row = tf.reshape(tf.reduce_max(ranks), [1])
    set_entries = dense_to_sparse_tensor(ranks, ignore_value=0)
    return tf.SparseTensor(
        indices=tf.concat([set_entries.indices[:, :-1],
                           tf.reshape(set_entries.values - 1, [-1, 1])], axis=1,
                          name='indices'),
        values=tf.cast(set_entries.indices[:, -1], dtype, name='values'),
        dense_shape=tf.concat([set_entries.dense_shape[:-1], max_per_row], axis=0,
                              name='dense_shape'))


def sparse_row_envelope(sparse_input, row_axis=0, col_axis=1, name=None):
  """The length of each row of a `SparseTensor`: 1 + its last column index.

  For indices `[[0, 0], [2, 0], [2, 1], [2, 2]]` and shape `[3, 3]` this is
  `[1, 0, 3]`.

  Args:
    sparse_input: a `SparseTensor` of rank >= 2.
    row_axis: the axis of the rows (default 0).
    col_axis: the axis of the columns (default 1).
    name: name scope (default 'sparse_row_envelope').

  Returns:
    A 1-D int64 tensor with one entry per row.

  Raises:
    ValueError: `row_axis` or `col_axis` is not an int, or they are equal.
  """
  for argument, value in (('row_axis', row_axis), ('col_axis', col_axis)):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
      raise ValueError('sparse_row_envelope: `row_axis` and `col_axis` must be integers; '
                       '%s received %r' % (argument, value))
  if row_axis == col_axis:
    raise ValueError('sparse_row_envelope: Row and column can not be the same axis; '
                     'received row_axis=col_axis=%d' % row_axis)
  with tf.compat.v1.name_scope(name, 'sparse_row_envelope', [sparse_input]):
    row_indices = sparse_input.indices[:, row_axis]
    col_indices = sparse_input.indices[:, col_axis]
    num_rows = tf.cast(sparse_input.dense_shape[row_axis], tf.int32)
    envelope = tf.math.unsorted_segment_max(col_indices + 1, row_indices, num_rows)
    return tf.maximum(envelope, tf.zeros_like(envelope))
