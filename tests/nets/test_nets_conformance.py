"""Every registered network, in every mode: graph, eager (slim.Model), tf.function,
SavedModel, and name-based checkpoints written by one mode and read by the other.

Parametrized over `nets_factory.list_networks()`. Networks are built small
(`SMALL`: input size, keyword arguments); the large ones run with `-m slow`.
"""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import nets_factory
from tests.nets import parity

NUM_CLASSES = 7
BATCH = 2

# name -> (image size, network kwargs, unknown spatial size allowed). Thin
# versions where the network has a depth multiplier; global pooling where the
# original allows any input size with it. (MobileNet v3 pools 7x7 when the size
# is unknown, as research/slim's reduce_to_1x1.)
SMALL = {
    'alexnet_v2': (224, {}, True),
    'overfeat': (231, {}, True),
    'vgg_a': (224, {}, True),
    'vgg_16': (224, {}, True),
    'vgg_19': (224, {}, True),
    'inception_v1': (64, {'global_pool': True}, True),
    'inception_v2': (64, {'depth_multiplier': 0.25, 'global_pool': True}, True),
    'inception_v3': (299, {'depth_multiplier': 0.1}, False),
    'inception_v4': (107, {}, False),
    'inception_resnet_v2': (107, {}, False),
    'lenet': (28, {}, False),
    'cifarnet': (32, {}, False),
    'mobilenet_v1': (64, {'depth_multiplier': 0.25, 'global_pool': True}, True),
    'mobilenet_v1_075': (64, {'global_pool': True}, True),
    'mobilenet_v1_050': (64, {'global_pool': True}, True),
    'mobilenet_v1_025': (64, {'global_pool': True}, True),
    'mobilenet_v2': (64, {'depth_multiplier': 0.35}, True),
    'mobilenet_v2_035': (64, {}, True),
    'mobilenet_v2_140': (64, {}, True),
    'mobilenet_v3_small': (64, {'depth_multiplier': 0.35}, False),
    'mobilenet_v3_large': (64, {'depth_multiplier': 0.35}, False),
    'mobilenet_v3_small_minimalistic': (64, {'depth_multiplier': 0.35}, False),
    'mobilenet_v3_large_minimalistic': (64, {'depth_multiplier': 0.35}, False),
    'mobilenet_edgetpu': (64, {'depth_multiplier': 0.35}, False),
    'mobilenet_edgetpu_075': (64, {}, False),
    'nasnet_cifar': (32, {}, False),
    'nasnet_mobile': (64, {}, False),
    'nasnet_large': (96, {}, False),
    'pnasnet_mobile': (64, {}, False),
    'pnasnet_large': (96, {}, False),
}
for _depth in (50, 101, 152, 200):
  SMALL['resnet_v1_%d' % _depth] = (64, {'depth_multiplier': 0.25}, True)
  SMALL['resnet_v2_%d' % _depth] = (64, {}, True)

# The default run covers one network of each family of nets/ and the small ones
# of the other families; the rest (big weights or graphs) run with -m slow.
FAST = {'alexnet_v2', 'inception_v1', 'inception_v2', 'inception_v3', 'resnet_v1_50',
        'resnet_v2_50', 'lenet', 'cifarnet', 'mobilenet_v1', 'mobilenet_v2',
        'mobilenet_v3_small'}


def _params():
  return [pytest.param(name, marks=() if name in FAST else pytest.mark.slow)
          for name in nets_factory.list_networks()]


def _images(size, seed=0):
  return np.random.RandomState(seed).uniform(-1, 1, (BATCH, size, size, 3)).astype(np.float32)


def _assert_close(actual, desired):
  """Equal to 1e-4, relative to the largest magnitude of `desired` where that
  exceeds 1: random weights make deep residual networks' logits large."""
  desired = np.asarray(desired)
  scale = max(1.0, float(np.abs(desired).max()))
  np.testing.assert_allclose(actual, desired, rtol=1e-4, atol=1e-4 * scale)


def _shapes(end_points):
  return {k: v.shape.as_list() for k, v in end_points.items() if isinstance(v, tf.Tensor)}


def _setup(name):
  size, kwargs, unknown_spatial = SMALL[name]
  network_fn = nets_factory.get_network_fn(name, NUM_CLASSES, is_training=False)
  return functools.partial(network_fn, **kwargs), size, unknown_spatial


def _graph_run(network_fn, images, input_shape, restore=None, save=None, seed=1):
  """Builds in a graph on a placeholder of `input_shape`; random variable values
  (or those of checkpoint `restore`); optionally saves to `save`."""
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.float32, input_shape)
    logits, end_points = network_fn(placeholder)
    variables = tf.compat.v1.global_variables()
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as sess:
      if restore:
        saver.restore(sess, restore)
      else:
        parity.load_values(sess, variables, parity.random_values(
            [(v.op.name, v.shape.as_list()) for v in variables], np.random.RandomState(seed)))
      if save:
        saver.save(sess, save)
      out = sess.run(logits, {placeholder: images})
  return ([(v.op.name, v.shape.as_list()) for v in variables], _shapes(end_points), out)


@pytest.mark.parametrize('name', _params())
def test_graph_and_eager_agree_and_read_each_others_checkpoints(name, tmp_path):
  network_fn, size, _ = _setup(name)
  images = _images(size)
  graph_ckpt, eager_ckpt = str(tmp_path / 'graph.ckpt'), str(tmp_path / 'eager.ckpt')
  graph_vars, graph_shapes, graph_out = _graph_run(
      network_fn, images, [None, size, size, 3], save=graph_ckpt)

  model = slim.Model(network_fn)
  logits, end_points = model(images)
  eager_vars = [(n, v.shape.as_list()) for n, v in model.variables_by_name.items()]
  assert eager_vars == graph_vars
  assert logits.shape.as_list() == [BATCH, NUM_CLASSES]
  eager_shapes = _shapes(end_points)
  assert sorted(eager_shapes) == sorted(graph_shapes)
  for key, shape in graph_shapes.items():
    assert tf.TensorShape(shape).is_compatible_with(eager_shapes[key]), key

  saver = tf.compat.v1.train.Saver(model.variables_by_name)
  saver.restore(None, graph_ckpt)
  _assert_close(model(images)[0], graph_out)

  new_values = parity.random_values(eager_vars, np.random.RandomState(2))
  for var_name, var in model.variables_by_name.items():
    var.assign(new_values[var_name])
  eager_out = model(images)[0].numpy()
  assert not np.allclose(eager_out, graph_out)
  saver.save(None, eager_ckpt)
  _, _, restored_out = _graph_run(network_fn, images, [None, size, size, 3], restore=eager_ckpt)
  _assert_close(restored_out, eager_out)


@pytest.mark.parametrize('name', _params())
def test_tf_function_and_saved_model_round_trip(name, tmp_path):
  network_fn, size, unknown_spatial = _setup(name)
  images = _images(size, seed=3)
  model = slim.Model(network_fn)
  eager_logits, eager_end_points = model(images)

  traced_logits, traced_end_points = tf.function(model)(tf.constant(images))
  _assert_close(traced_logits, eager_logits)
  assert sorted(_shapes(traced_end_points)) == sorted(_shapes(eager_end_points))

  spatial = None if unknown_spatial else size
  module = tf.Module()
  module.model = model
  module.serve = tf.function(lambda x: model(x)[0],
                             input_signature=[tf.TensorSpec([None, spatial, spatial, 3])])
  tf.saved_model.save(module, str(tmp_path / 'saved'))
  loaded = tf.saved_model.load(str(tmp_path / 'saved'))
  _assert_close(loaded.serve(images), eager_logits)
  _assert_close(loaded.serve(images[:1]), eager_logits[:1])


@pytest.mark.parametrize('name', [n for n in nets_factory.list_networks() if SMALL[n][2]])
@pytest.mark.slow
def test_unknown_spatial_size_in_graph_mode(name):
  network_fn, size, _ = _setup(name)
  images = _images(size)
  _, known_shapes, known_out = _graph_run(network_fn, images, [BATCH, size, size, 3])
  _, unknown_shapes, unknown_out = _graph_run(network_fn, images, [None, None, None, 3])
  assert sorted(unknown_shapes) == sorted(known_shapes)
  _assert_close(unknown_out, known_out)


def test_every_registered_network_has_a_small_configuration():
  assert set(SMALL) == set(nets_factory.list_networks())
