"""slim.bucketize (slim.layers.bucketization_op): bucket ids by hand, and errors."""
import numpy as np
import pytest
import tensorflow as tf

import slim


def test_bucketize_by_hand():
  values = slim.bucketize(tf.constant([-5., 0., 9.9, 15., 100., 150.]), [0., 10., 100.])
  assert values.dtype == tf.int32
  np.testing.assert_array_equal(values, [0, 1, 1, 2, 3, 3])
  np.testing.assert_array_equal(slim.bucketize(tf.constant([[1, 7]]), [5]), [[0, 1]])


def test_bucketize_errors():
  with pytest.raises(TypeError, match='bucketize: boundaries must be a list of numbers, '
                                      'received 3.0'):
    slim.bucketize(tf.constant([1.]), 3.0)
  with pytest.raises(ValueError, match=r'bucketize: boundaries must be sorted in increasing '
                                       r'order, received \[2, 1\]'):
    slim.bucketize(tf.constant([1.]), [2, 1])
