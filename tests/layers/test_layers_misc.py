"""softmax, spatial_softmax, maxout, scale_gradient, sequences and labels, repeat and
stack, and the exports of slim.layers.layers."""
import functools
import sys

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import layers as slim_layers
from slim.layers import normalization
from slim.ops import arg_scope as arg_scope_lib
from tests.layers.graph_run import run

RNG = np.random.RandomState(5)
IMAGES = RNG.rand(2, 3, 4, 5).astype(np.float32)


def test_softmax_over_last_axis(graph):
  logits = tf.compat.v1.placeholder(tf.float32, [None, 3, 4, 5])
  outputs = slim.softmax(logits)
  assert outputs.shape.as_list() == [None, 3, 4, 5]
  want = np.exp(IMAGES) / np.exp(IMAGES).sum(-1, keepdims=True)
  np.testing.assert_allclose(run(outputs, {logits: IMAGES}), want, rtol=1e-5)


def test_spatial_softmax_expected_positions(graph):
  features = np.full((1, 3, 5, 2), -50., np.float32)
  features[0, 0, 4, 0] = 50.  # channel 0 peaks at the top right corner
  features[0, 1, 2, 1] = 50.  # channel 1 at the centre
  inputs = tf.compat.v1.placeholder(tf.float32, [None, None, None, 2])
  keypoints = slim.spatial_softmax(inputs, temperature=2.0, trainable=False)
  assert keypoints.shape.as_list() == [None, 4]
  temperature, = tf.compat.v1.global_variables()
  assert temperature.op.name == 'spatial_softmax/temperature'
  assert not tf.compat.v1.trainable_variables()
  np.testing.assert_allclose(run(keypoints, {inputs: features}), [[-1., 1., 0., 0.]],
                             atol=1e-5)


def test_maxout(graph):
  last = slim.maxout(IMAGES[..., :4], 2)
  middle = slim.maxout(IMAGES, 2, axis=2)
  assert last.shape.as_list() == [2, 3, 4, 2]
  assert middle.shape.as_list() == [2, 3, 2, 5]
  got_last, got_middle = run([last, middle])
  np.testing.assert_array_equal(got_last, IMAGES[..., :4].reshape(2, 3, 4, 2, 2).max(-1))
  # another axis: tf_slim reshapes to [..., num_units, ..., features / num_units]
  np.testing.assert_array_equal(got_middle, IMAGES.reshape(2, 3, 2, 5, 2).max(-1))


def test_scale_gradient(graph):
  inputs = tf.constant([1., 2.])
  outputs = slim.scale_gradient(inputs, 0.25)
  gradient, = tf.gradients(outputs * 4., inputs)
  np.testing.assert_allclose(run([outputs, gradient]), [[1., 2.], [1., 1.]])


def test_scale_gradient_eager():
  inputs = tf.constant([3.])
  with tf.GradientTape() as tape:
    tape.watch(inputs)
    outputs = slim.scale_gradient(inputs, tf.constant([-2.]))
  np.testing.assert_allclose(tape.gradient(outputs, inputs), [-2.])


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


def test_layers_module_exports_tf_slims_names():
  assert len(slim_layers.__all__) == 46
  for name in slim_layers.__all__:
    assert getattr(slim, name) is getattr(slim_layers, name)
  assert callable(slim_layers._inner_flatten)  # pylint: disable=protected-access
  assert slim.group_norm is normalization.group_norm
  assert slim.instance_norm is normalization.instance_norm


@pytest.mark.reference
def test_exports_and_arg_scope_decorations_match_tf_slim(tf_slim):
  reference = sys.modules['tf_slim.layers.layers']
  assert sorted(slim_layers.__all__) == sorted(reference.__all__)
  for name in reference.__all__ + ['_inner_flatten']:
    ours, theirs = getattr(slim_layers, name), getattr(reference, name)
    if isinstance(theirs, (functools.partial, type)):
      continue
    assert arg_scope_lib.has_arg_scope(ours) == tf_slim.has_arg_scope(theirs), name
