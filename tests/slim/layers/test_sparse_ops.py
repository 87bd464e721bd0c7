"""slim.layers.sparse_ops: dense to sparse tensors, indicators to sparse ids, row envelopes."""
import numpy as np
import pytest
import tensorflow as tf

from slim.layers import sparse_ops


def test_dense_to_sparse_tensor():
  sparse = sparse_ops.dense_to_sparse_tensor([[1, 2, 0, 0], [3, 0, 5, 0]])
  np.testing.assert_array_equal(sparse.indices, [[0, 0], [0, 1], [1, 0], [1, 2]])
  np.testing.assert_array_equal(sparse.values, [1, 2, 3, 5])
  np.testing.assert_array_equal(sparse.dense_shape, [2, 4])
  assert sparse.indices.dtype == sparse.dense_shape.dtype == tf.int64
  strings = sparse_ops.dense_to_sparse_tensor([b'a', b'', b'b'])
  np.testing.assert_array_equal(strings.values, [b'a', b'b'])
  kept = sparse_ops.dense_to_sparse_tensor([1, 0, 1], ignore_value=1)
  np.testing.assert_array_equal(kept.indices, [[1]])


def test_dense_to_sparse_tensor_unknown_shape_in_graph(graph):
  dense = tf.compat.v1.placeholder(tf.int32)
  sparse = sparse_ops.dense_to_sparse_tensor(dense)
  with tf.compat.v1.Session() as sess:
    value = sess.run(sparse, {dense: [[0, 7], [8, 0]]})
  np.testing.assert_array_equal(value.indices, [[0, 1], [1, 0]])
  np.testing.assert_array_equal(value.dense_shape, [2, 2])


def test_indicators_to_sparse_ids():
  # rows [0, 1, 1] and [1, 0, 0] hold classes [1, 2] and [0]
  ids = sparse_ops.indicators_to_sparse_ids([[0, 1, 1], [1, 0, 0]], dtype=tf.int32)
  np.testing.assert_array_equal(ids.indices, [[0, 0], [0, 1], [1, 0]])
  np.testing.assert_array_equal(ids.values, [1, 2, 0])
  assert ids.values.dtype == tf.int32
  np.testing.assert_array_equal(ids.dense_shape, [2, 2])
  words = sparse_ops.indicators_to_sparse_ids([['x', '', 'x']], ignore_value='')
  np.testing.assert_array_equal(words.values, [0, 2])
  with pytest.raises(ValueError, match='indicators_to_sparse_ids: Invalid dtype float32 not '
                                       'integer'):
    sparse_ops.indicators_to_sparse_ids([[1]], dtype=tf.float32)


def test_sparse_row_envelope():
  sparse = tf.SparseTensor([[0, 0], [2, 0], [2, 1], [2, 2]], [1, 1, 1, 1], [4, 3])
  np.testing.assert_array_equal(sparse_ops.sparse_row_envelope(sparse), [1, 0, 3, 0])
  with pytest.raises(ValueError, match='Row and column can not be the same axis'):
    sparse_ops.sparse_row_envelope(sparse, 1, 1)
  with pytest.raises(ValueError, match='`row_axis` and `col_axis` must be integers; col_axis '
                                       "received 'x'"):
    sparse_ops.sparse_row_envelope(sparse, 0, 'x')
