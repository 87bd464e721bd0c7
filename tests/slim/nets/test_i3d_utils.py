"""slim.nets.i3d_utils: the centering initializer, (separable) spatiotemporal
convolutions, the 3-D Inception block and the reduced pool size."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import i3d_utils
from tests.slim.nets.harness import placeholder


def test_center_initializer_is_the_identity_at_the_middle_frame():
  value = i3d_utils.center_initializer()([3, 1, 1, 4, 4]).numpy()
  expected = np.zeros([3, 1, 1, 4, 4], np.float32)
  expected[1, 0, 0] = np.eye(4)
  np.testing.assert_array_equal(value, expected)
  assert i3d_utils.center_initializer()([5, 1, 1, 2, 2], tf.bfloat16).dtype == tf.bfloat16


@pytest.mark.parametrize('shape,dtype,match', [
    ([3, 1, 1, 4, 4], tf.float16, 'dtype must be float32 or bfloat16, received float16'),
    ([3, 1, 4, 4], tf.float32, r'rank 5.*\[3, 1, 4, 4\]'),
    ([3, 1, 1, 4, 5], tf.float32, 'input and output channels must be the same'),
    ([3, 3, 1, 4, 4], tf.float32, 'spatial kernel size must be 1 x 1'),
    ([2, 1, 1, 4, 4], tf.float32, 'temporal kernel size must be odd'),
])
def test_center_initializer_errors(shape, dtype, match):
  with pytest.raises(ValueError, match='center_initializer: .*' + match):
    i3d_utils.center_initializer()(shape, dtype)


def _variables():
  return {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}


def test_separable_convolution_is_spatial_then_temporal(graph):
  net = i3d_utils.conv3d_spatiotemporal(placeholder(2, 8, 16, 16, 3), 6, [3, 3, 3],
                                        stride=[2, 2, 2], separable=True, scope='conv')
  assert net.shape.as_list() == [2, 4, 8, 8, 6]
  assert _variables() == {'conv/weights': [1, 3, 3, 3, 6], 'conv/biases': [6],
                          'conv/temporal/weights': [3, 1, 1, 6, 6],
                          'conv/temporal/biases': [6]}


def test_one_frame_kernel_or_not_separable_is_one_convolution(graph):
  i3d_utils.conv3d_spatiotemporal(placeholder(2, 8, 16, 16, 3), 6, [1, 3, 3], separable=True,
                                  scope='spatial')
  i3d_utils.conv3d_spatiotemporal(placeholder(2, 8, 16, 16, 3), 6, [3, 3, 3], scope='full')
  assert _variables() == {'spatial/weights': [1, 3, 3, 3, 6], 'spatial/biases': [6],
                          'full/weights': [3, 3, 3, 3, 6], 'full/biases': [6]}


def test_separable_convolution_starts_as_its_spatial_part_and_takes_arg_scopes():
  def network_fn(clips):
    with slim.arg_scope([i3d_utils.conv3d_spatiotemporal], separable=True,
                        activation_fn=None):
      both = i3d_utils.conv3d_spatiotemporal(clips, 3, [3, 3, 3], scope='both')
    spatial = slim.conv3d(clips, 3, [1, 3, 3], activation_fn=None, reuse=True, scope='both')
    return both, {'spatial': spatial}

  clips = np.random.RandomState(0).uniform(-1, 1, [1, 5, 6, 6, 3]).astype(np.float32)
  model = slim.Model(network_fn)
  both, end_points = model(clips)
  np.testing.assert_allclose(both.numpy(), end_points['spatial'].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('kwargs,match', [({'kernel_size': [3, 3]}, 'kernel_size'),
                                          ({'stride': [1, 0, 1]}, 'stride')])
def test_conv3d_spatiotemporal_errors(graph, kwargs, match):
  arguments = dict(kernel_size=[3, 3, 3], stride=1)
  arguments.update(kwargs)
  with pytest.raises(ValueError, match='conv3d_spatiotemporal: %s must be' % match):
    i3d_utils.conv3d_spatiotemporal(placeholder(1, 4, 8, 8, 3), 4, **arguments)
  assert not tf.compat.v1.global_variables()


def test_inception_block(graph):
  gated = []

  def gate(net, scope):
    gated.append(scope)
    return net

  with slim.arg_scope([slim.conv3d, slim.max_pool3d, i3d_utils.conv3d_spatiotemporal],
                      stride=1, padding='SAME'):
    net = i3d_utils.inception_block_v1_3d(placeholder(2, 4, 8, 8, 5), 1, 2, 3, 4, 5, 6,
                                          self_gating_fn=gate, scope='Mixed')
  assert net.shape.as_list() == [2, 4, 8, 8, 1 + 3 + 5 + 6]
  assert gated == ['Conv2d_0a_1x1', 'Conv2d_0b_3x3', 'Conv2d_0b_3x3', 'Conv2d_0b_1x1']
  found = _variables()
  assert found['Mixed/Branch_1/Conv2d_0b_3x3/weights'] == [3, 3, 3, 2, 3]
  assert found['Mixed/Branch_3/Conv2d_0b_1x1/weights'] == [1, 1, 1, 5, 6]
  assert sorted({n.split('/')[1] for n in found}) == ['Branch_0', 'Branch_1', 'Branch_2',
                                                       'Branch_3']


def test_reduced_kernel_size_3d(graph):
  assert i3d_utils.reduced_kernel_size_3d(placeholder(1, 8, 7, 7, 3), [2, 7, 7]) == [2, 7, 7]
  assert i3d_utils.reduced_kernel_size_3d(placeholder(1, 1, 2, 3, 3), [2, 7, 7]) == [1, 2, 3]
  assert i3d_utils.reduced_kernel_size_3d(placeholder(1, None, 2, 3, 3), [2, 7, 7]) == [2, 7, 7]
  with pytest.raises(ValueError, match='input_tensor must have rank 5'):
    i3d_utils.reduced_kernel_size_3d(placeholder(1, 7, 7, 3), [2, 7, 7])
