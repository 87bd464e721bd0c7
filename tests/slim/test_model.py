"""slim.Model: a slim network run eagerly and in tf.function, with graph-mode names."""
import os

import numpy as np
import pytest
import tensorflow as tf

import slim


def small_net(images, num_classes=10, is_training=True):
  """conv + batch norm + fully connected under arg_scope, with weight decay."""
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(1e-3)):
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={'is_training': is_training, 'scale': True,
                                           'decay': 0.9}):
      net = slim.conv2d(images, 8, [3, 3], scope='conv1')
      net = slim.max_pool2d(net, [2, 2], scope='pool1')
      net = slim.conv2d(net, 16, [3, 3])
      net = slim.flatten(net)
      return slim.fully_connected(net, num_classes, activation_fn=None, scope='logits')


IMAGES = np.random.RandomState(0).rand(4, 8, 8, 3).astype(np.float32)


def graph_variables():
  with tf.Graph().as_default():
    small_net(tf.constant(IMAGES))
    return [(v.op.name, v.shape.as_list()) for v in tf.compat.v1.global_variables()]


def test_variable_names_match_graph_mode():
  model = slim.Model(small_net)
  assert not model.built and model.variables == ()
  model(IMAGES)
  assert model.built
  eager = [(name, v.shape.as_list()) for name, v in model.variables_by_name.items()]
  assert eager == graph_variables()
  assert [v.name for v in model.variables] == [n + ':0' for n, _ in eager]
  assert {v.name for v in model.trainable_variables}.isdisjoint(
      v.name for v in model.non_trainable_variables)
  assert all('moving_' in v.name for v in model.non_trainable_variables)


def test_later_calls_reuse_variables():
  model = slim.Model(small_net)
  first = model(IMAGES, is_training=False)
  count = len(model.variables)
  second = model(IMAGES, is_training=False)
  assert len(model.variables) == count
  np.testing.assert_allclose(first, second)


def test_loss_falls_with_gradient_tape_in_tf_function():
  model = slim.Model(small_net)
  labels = tf.constant([1, 2, 3, 4])
  optimizer = tf.keras.optimizers.SGD(0.1)
  model(IMAGES)  # create the variables before tracing the step

  @tf.function
  def train_step(images):
    with tf.GradientTape() as tape:
      logits = model(images, is_training=True)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=labels, logits=logits)) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  losses = [float(train_step(IMAGES)) for _ in range(20)]
  assert losses[-1] < 0.5 * losses[0]


def test_variables_created_inside_tf_function_and_jit():
  model = slim.Model(small_net)
  run = tf.function(lambda x: model(x, is_training=False), jit_compile=True)
  out = run(IMAGES)
  assert out.shape == (4, 10) and len(model.variables) == 12
  np.testing.assert_allclose(out, model(IMAGES, is_training=False), rtol=1e-4, atol=1e-5)


def moving_stats(model):
  return [model.variables_by_name['conv1/BatchNorm/' + n].numpy().copy()
          for n in ('moving_mean', 'moving_variance')]


@pytest.mark.parametrize('compiled', [False, True])
def test_moving_statistics_update_in_training_calls_only(compiled):
  model = slim.Model(small_net)
  call = tf.function(model) if compiled else model
  model(IMAGES, is_training=False)
  before = moving_stats(model)
  call(IMAGES, is_training=False)
  for b, a in zip(before, moving_stats(model)):
    np.testing.assert_array_equal(b, a)
  call(IMAGES, is_training=True)
  after = moving_stats(model)
  assert not np.allclose(before[0], after[0])
  assert not np.allclose(before[1], after[1])


def test_moving_statistics_follow_batch_moments():
  model = slim.Model(lambda x, is_training: slim.batch_norm(
      x, decay=0.5, fused=False, is_training=is_training))
  x = np.random.RandomState(1).randn(16, 3).astype(np.float32) * 2 + 1
  model(x, is_training=True)
  mean, variance = [v.numpy() for v in model.non_trainable_variables]
  np.testing.assert_allclose(mean, 0.5 * x.mean(0), rtol=1e-5)
  np.testing.assert_allclose(variance, 0.5 + 0.5 * x.var(0), rtol=1e-5)


def test_regularization_losses_match_graph_mode():
  model = slim.Model(small_net)
  model(IMAGES)
  eager_losses = sorted(float(l) for l in model.losses)
  values = {name: v.numpy() for name, v in model.variables_by_name.items()}
  with tf.Graph().as_default():
    small_net(tf.constant(IMAGES))
    assign = [v.assign(values[v.op.name])
              for v in tf.compat.v1.global_variables()]
    with tf.compat.v1.Session() as sess:
      sess.run(assign)
      graph_losses = sorted(sess.run(tf.compat.v1.losses.get_regularization_losses()))
  assert len(eager_losses) == 3  # conv1, Conv and logits weights
  np.testing.assert_allclose(eager_losses, graph_losses, rtol=1e-6)


def perturb(model, seed=0):
  rng = np.random.RandomState(seed)
  for v in model.variables:
    v.assign(v + rng.rand(*v.shape).astype(np.float32))


def test_checkpoint_round_trip(tmp_path):
  model = slim.Model(small_net)
  expected = model(IMAGES, is_training=False)
  path = tf.train.Checkpoint(model=model).save(str(tmp_path / 'ckpt'))
  restored = slim.Model(small_net)
  restored(IMAGES, is_training=False)
  perturb(restored)
  tf.train.Checkpoint(model=restored).restore(path).assert_existing_objects_matched()
  np.testing.assert_allclose(restored(IMAGES, is_training=False), expected, rtol=1e-6)


def test_saved_model_round_trip(tmp_path):
  model = slim.Model(small_net)
  expected = model(IMAGES, is_training=False)
  model.serve = tf.function(lambda x: model(x, is_training=False),
                            input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)])
  tf.saved_model.save(model, str(tmp_path), signatures={'serving_default': model.serve})
  loaded = tf.saved_model.load(str(tmp_path))
  np.testing.assert_allclose(loaded.serve(IMAGES), expected, rtol=1e-5, atol=1e-6)
  outputs = loaded.signatures['serving_default'](x=tf.constant(IMAGES))
  np.testing.assert_allclose(list(outputs.values())[0], expected, rtol=1e-5, atol=1e-6)


def test_graph_saver_checkpoint_restores_into_model_and_back(tmp_path):
  graph_ckpt = str(tmp_path / 'graph' / 'model.ckpt')
  with tf.Graph().as_default():
    logits = small_net(tf.constant(IMAGES), is_training=False)
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      for v in tf.compat.v1.global_variables():  # non-trivial moving statistics
        sess.run(v.assign(v + 0.5))
      graph_logits = sess.run(logits)
      saver.save(sess, graph_ckpt)

  model = slim.Model(small_net)
  model(IMAGES, is_training=False)
  tf.compat.v1.train.Saver(model.variables_by_name).restore(None, graph_ckpt)
  np.testing.assert_allclose(model(IMAGES, is_training=False), graph_logits, rtol=1e-5)

  perturb(model, seed=3)
  eager_logits = model(IMAGES, is_training=False).numpy()
  eager_ckpt = str(tmp_path / 'eager' / 'model.ckpt')
  os.makedirs(os.path.dirname(eager_ckpt))
  tf.compat.v1.train.Saver(model.variables_by_name).save(None, eager_ckpt)
  with tf.Graph().as_default():
    logits = small_net(tf.constant(IMAGES), is_training=False)
    with tf.compat.v1.Session() as sess:
      tf.compat.v1.train.Saver().restore(sess, eager_ckpt)
      np.testing.assert_allclose(sess.run(logits), eager_logits, rtol=1e-5)


def test_a_call_building_another_network_is_an_error():
  model = slim.Model(lambda x, width: slim.fully_connected(x, width, scope='fc'))
  model(IMAGES.reshape(4, -1), 5)
  with pytest.raises(ValueError, match=r'fc/weights has shape \(192, 5\).*\(192, 6\)'):
    model(IMAGES.reshape(4, -1), 6)
  other = slim.Model(lambda x, scope: slim.fully_connected(x, 5, scope=scope))
  other(IMAGES.reshape(4, -1), 'fc')
  with pytest.raises(ValueError, match='creates the new variable other_fc/weights'):
    other(IMAGES.reshape(4, -1), 'other_fc')


def test_network_fn_must_be_callable():
  with pytest.raises(TypeError, match='network_fn must be callable'):
    slim.Model('vgg_16')


def test_end_points_collected_through_outputs_collections_in_every_mode():
  def net(images):
    with tf.compat.v1.variable_scope('net') as sc:
      collection = sc.original_name_scope + '_end_points'
      with slim.arg_scope([slim.conv2d, slim.max_pool2d], outputs_collections=collection):
        x = slim.conv2d(images, 4, [3, 3], scope='conv1')
        x = slim.max_pool2d(x, [2, 2], scope='pool1')
      return x, slim.utils.convert_collection_to_dict(collection)

  with tf.Graph().as_default():
    _, graph_end_points = net(tf.constant(IMAGES))
  model = slim.Model(net)
  _, eager_end_points = model(IMAGES)
  _, traced_end_points = tf.function(model)(IMAGES)
  assert list(graph_end_points) == ['net/conv1', 'net/pool1']
  assert list(eager_end_points) == list(graph_end_points)
  assert list(traced_end_points) == list(graph_end_points)
  assert eager_end_points['net/pool1'].shape == (4, 4, 4, 4)
  _, again = model(IMAGES)  # a second call starts from empty collections
  assert list(again) == list(graph_end_points)
