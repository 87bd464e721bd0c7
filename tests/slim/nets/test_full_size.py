"""research/slim's tests that run networks at full size (slow): unknown image
size with global pooling, and training then evaluation with reuse."""
import numpy as np
import pytest
import tensorflow as tf

from slim.nets import inception_resnet_v2, inception_v4, mobilenet_v1

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('network, last, size, pre_pool', [
    (inception_v4.inception_v4, 'Mixed_7d', (350, 400), (9, 11)),
    (inception_resnet_v2.inception_resnet_v2, 'Conv2d_7b_1x1', (330, 400), (8, 11)),
])
def test_global_pool_unknown_image_shape(graph, network, last, size, pre_pool):
  inputs = tf.compat.v1.placeholder(tf.float32, (1, None, None, 3))
  logits, end_points = network(inputs, 1000, create_aux_logits=False)
  assert logits.shape.as_list() == [1, 1000]
  assert end_points['global_pool'].op.type == 'Mean'  # not a fixed-size pool
  images = np.random.RandomState(0).uniform(size=(1,) + size + (3,)).astype(np.float32)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    logits_out, pre_pool_out = sess.run([logits, end_points[last]], {inputs: images})
  assert logits_out.shape == (1, 1000)
  assert pre_pool_out.shape == (1,) + pre_pool + (1536,)


@pytest.mark.parametrize('network', [inception_v4.inception_v4,
                                     inception_resnet_v2.inception_resnet_v2,
                                     mobilenet_v1.mobilenet_v1])
def test_train_then_eval_with_reuse(graph, network):
  train_inputs = tf.random.uniform((5, 150, 150, 3))
  network(train_inputs, 1000)
  count = len(tf.compat.v1.global_variables())
  eval_inputs = tf.random.uniform((2, 150, 150, 3))
  logits, _ = network(eval_inputs, 1000, is_training=False, reuse=True)
  assert len(tf.compat.v1.global_variables()) == count
  predictions = tf.argmax(logits, 1)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    assert sess.run(predictions).shape == (2,)
