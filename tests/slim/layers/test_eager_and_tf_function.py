"""Every family of layers through slim.Model: eager and tf.function calls give the
graph-mode variable names and outputs, and gradients reach every variable."""
import numpy as np
import tensorflow as tf

import slim

IMAGES = np.random.RandomState(6).rand(2, 6, 6, 3).astype(np.float32)


def network(images, is_training=True):
  with slim.arg_scope([slim.conv2d, slim.conv2d_transpose],
                      weights_regularizer=slim.l2_regularizer(0.01)):
    net = slim.conv2d(images, 4, 3, normalizer_fn=slim.batch_norm,
                      normalizer_params={'is_training': is_training}, scope='conv')
    net = slim.conv2d_transpose(net, 4, 3, stride=2, scope='deconv')
    net = slim.separable_conv2d(net, 4, 3, depth_multiplier=2, scope='sep')
    net = slim.conv2d_in_plane(net, [2, 1], scope='in_plane')
    net = slim.layer_norm(net)
    net = slim.group_norm(net, groups=2)
    net = slim.instance_norm(net)
    net = slim.gdn(net)
    net = slim.max_pool2d(net, 2, outputs_collections='end_points')
    keypoints = slim.spatial_softmax(net)
    net = slim.repeat(net, 2, slim.conv2d, 4, 1, scope='repeat')
    net = slim.stack(slim.flatten(net), slim.fully_connected, [8, 4], scope='fc')
    logits = slim.fully_connected(tf.concat([net, keypoints], 1), 3, activation_fn=None,
                                  normalizer_fn=slim.layer_norm, scope='logits')
    end_points = slim.utils.convert_collection_to_dict('end_points')
    return slim.softmax(logits), end_points


def graph_reference():
  """Names, initial values and outputs of a graph-mode build."""
  with tf.Graph().as_default():
    outputs, end_points = network(tf.constant(IMAGES), is_training=False)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      values = {v.op.name: sess.run(v) for v in tf.compat.v1.global_variables()}
      return values, sess.run(outputs), list(end_points)


def test_model_matches_graph_mode_and_trains():
  values, graph_outputs, graph_end_points = graph_reference()
  model = slim.Model(network)
  model(IMAGES, is_training=False)
  assert list(model.variables_by_name) == list(values)
  for name, variable in model.variables_by_name.items():
    variable.assign(values[name])
  eager_outputs, end_points = model(IMAGES, is_training=False)
  traced = tf.function(lambda x: model(x, is_training=False), autograph=False)
  traced_outputs, _ = traced(IMAGES)
  np.testing.assert_allclose(eager_outputs, graph_outputs, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(traced_outputs, graph_outputs, rtol=1e-4, atol=1e-5)
  assert list(end_points) == graph_end_points == ['MaxPool2D']
  assert len(model.losses) == 4  # conv, deconv and the two repeated convs' weights

  with tf.GradientTape() as tape:
    outputs, _ = model(IMAGES)
    loss = -tf.reduce_sum(tf.math.log(outputs[:, 0])) + tf.add_n(model.losses)
  gradients = tape.gradient(loss, model.trainable_variables)
  missing = [v.name for v, g in zip(model.trainable_variables, gradients) if g is None]
  assert not missing
