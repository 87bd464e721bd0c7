"""repeat and stack: the scopes of the layers they build."""
import functools

import numpy as np

import slim

RNG = np.random.RandomState(5)
IMAGES = RNG.rand(2, 3, 4, 5).astype(np.float32)


def test_repeat_and_stack_scopes(graph):
  net = slim.repeat(IMAGES, 2, slim.conv2d, 4, [3, 3], scope='conv1')
  net = slim.repeat(net, 1, functools.partial(slim.conv2d, kernel_size=1), 4)
  net = slim.stack(net, slim.conv2d, [(6, [1, 1]), (7, 1)], scope='block')
  net = slim.stack(slim.flatten(net), slim.fully_connected, [5, 3])
  assert net.shape.as_list() == [2, 3]
  assert [v.op.name for v in slim.get_model_variables('.*weights')] == [
      'conv1/conv1_1/weights', 'conv1/conv1_2/weights', 'Repeat/convolution2d_1/weights',
      'block/block_1/weights', 'block/block_2/weights',
      'Stack/fully_connected_1/weights', 'Stack/fully_connected_2/weights']
