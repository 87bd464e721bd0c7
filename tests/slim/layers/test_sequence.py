"""Sequences and labels: images_to_sequence and back, dense_to_sparse, one_hot_encoding."""
import numpy as np
import tensorflow as tf

import slim
from tests.slim.graph_run import run

RNG = np.random.RandomState(5)
IMAGES = RNG.rand(2, 3, 4, 5).astype(np.float32)


def test_images_to_sequence_and_back(graph):
  sequence = slim.images_to_sequence(IMAGES)
  images = slim.sequence_to_images(sequence, 3)
  first = slim.sequence_to_images(sequence, 3, output_data_format='channels_first')
  from_nchw = slim.images_to_sequence(np.transpose(IMAGES, [0, 3, 1, 2]),
                                      data_format='NCHW')
  assert sequence.shape.as_list() == [4, 6, 5]
  assert images.shape.as_list() == [2, 3, 4, 5]
  assert first.shape.as_list() == [2, 5, 3, 4]
  got_sequence, got_images, got_first, got_nchw = run([sequence, images, first, from_nchw])
  np.testing.assert_array_equal(got_sequence,
                                np.transpose(IMAGES, [2, 0, 1, 3]).reshape(4, 6, 5))
  np.testing.assert_array_equal(got_images, IMAGES)
  np.testing.assert_array_equal(got_first, np.transpose(IMAGES, [0, 3, 1, 2]))
  np.testing.assert_array_equal(got_nchw, got_sequence)


def test_dense_to_sparse_and_one_hot(graph):
  labels = np.array([[3, 1, 0], [2, 0, 0]], np.int32)
  sparse = slim.dense_to_sparse(labels, outputs_collections='c')
  one_hot = slim.one_hot_encoding(labels[:, 0], 4, on_value=2.0, off_value=-1.0)
  assert one_hot.op.name == 'OneHotEncoding/one_hot'
  assert tf.compat.v1.get_collection('c') == [sparse]
  got_sparse, got_one_hot = run([sparse, one_hot])
  np.testing.assert_array_equal(got_sparse.indices, [[0, 0], [0, 1], [1, 0]])
  np.testing.assert_array_equal(got_sparse.values, [3, 1, 2])
  np.testing.assert_array_equal(got_sparse.dense_shape, [2, 3])
  np.testing.assert_array_equal(got_one_hot, [[-1, -1, -1, 2], [-1, -1, 2, -1]])
