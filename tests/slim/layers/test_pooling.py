"""Pooling: 2-d and 3-d average and max pooling, and pool with dilation."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.graph_run import run

RNG = np.random.RandomState(3)
IMAGES = RNG.rand(2, 4, 6, 3).astype(np.float32)


@pytest.mark.parametrize('layer, shape, kwargs, want_shape, op_name', [
    (slim.max_pool2d, (2, 5, 7, 3), {}, [2, 2, 3, 3], 'MaxPool2D/MaxPool'),
    (slim.avg_pool2d, (2, 5, 7, 3), {'padding': 'SAME', 'stride': 1}, [2, 5, 7, 3],
     'AvgPool2D/AvgPool'),
    (slim.max_pool2d, (2, 3, 5, 7), {'data_format': 'NCHW'}, [2, 3, 2, 3],
     'MaxPool2D/MaxPool'),
    (slim.max_pool3d, (2, 4, 5, 7, 3), {}, [2, 2, 2, 3, 3], 'MaxPool3D/MaxPool3D'),
    (slim.avg_pool3d, (2, 3, 4, 5, 7), {'data_format': 'NCDHW'}, [2, 3, 2, 2, 3],
     'AvgPool3D/transpose_1'),
])
def test_pooling_shapes_and_op_names(graph, layer, shape, kwargs, want_shape, op_name):
  outputs = layer(tf.ones(shape), 2, **kwargs)
  assert outputs.shape.as_list() == want_shape
  assert outputs.op.name == op_name


def test_pool3d_channels_first_equals_channels_last(graph):
  volume = RNG.rand(2, 4, 4, 6, 3).astype(np.float32)
  last = slim.max_pool3d(volume, [2, 2, 3], stride=[2, 1, 3])
  first = slim.max_pool3d(np.transpose(volume, [0, 4, 1, 2, 3]), [2, 2, 3],
                          stride=[2, 1, 3], data_format='NCDHW')
  got_last, got_first = run([last, first])
  np.testing.assert_array_equal(np.transpose(got_first, [0, 2, 3, 4, 1]), got_last)


def test_pool_with_dilation(graph):
  outputs = slim.pool(IMAGES, [2, 2], 'AVG', dilation_rate=2)
  assert outputs.op.name.startswith('avg_pool')
  want = tf.nn.pool(IMAGES, [2, 2], 'AVG', padding='VALID', dilations=[2, 2])
  np.testing.assert_allclose(*run([outputs, want]))
