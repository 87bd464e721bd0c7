"""Activations: softmax, spatial_softmax, maxout and scale_gradient."""
import numpy as np
import tensorflow as tf

import slim
from tests.slim.graph_run import run

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
