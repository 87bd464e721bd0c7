"""One network, every way to run it: a TF1 graph, eager calls through slim.Model,
tf.function over the Model, SavedModel, and name-based checkpoints written by
one mode and read by the other. Same variables, outputs and end points; unknown
batch and (where the network allows) spatial sizes.

The registry-driven tests build every registered network at its small build
(`registry.SmallBuild`); those outside harness.FAST_NETWORKS run with -m slow.
"""
import functools
import threading

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import nets_factory
from slim.nets.mobilenet import conv_blocks
from slim.nets.mobilenet import mobilenet
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import pnasnet
from tests.slim.nets import harness

NUM_CLASSES = 7
BATCH = 2


def _small(name):
  """(network_fn with 7 classes in inference mode, image size, any image size)."""
  build = nets_factory.get_network_spec(name).small_build
  network_fn = nets_factory.get_network_fn(name, NUM_CLASSES, is_training=False)
  return functools.partial(network_fn, **build.kwargs), build.image_size, build.any_image_size


def _unknown_batch(name, known_size=True):
  """The input shape of `name`'s small build with an unknown batch (and size)."""
  return harness.small_input_shape(name, batch=None, known_size=known_size)


# --- every registered network -----------------------------------------------------------------

@pytest.mark.parametrize('name', harness.registered_networks())
def test_graph_and_eager_agree_and_read_each_others_checkpoints(name, tmp_path):
  network_fn, _, _ = _small(name)
  images = harness.small_inputs(name)
  graph_ckpt, eager_ckpt = str(tmp_path / 'graph.ckpt'), str(tmp_path / 'eager.ckpt')
  graph = harness.run_in_graph(network_fn, images, _unknown_batch(name), seed=1,
                               save=graph_ckpt)

  model = slim.Model(network_fn)
  logits, end_points = model(images)
  assert harness.model_variables(model) == graph.variables
  assert logits.shape.as_list() == [BATCH, NUM_CLASSES]
  assert sorted(end_points) == sorted(graph.end_point_shapes)
  for key, shape in graph.end_point_shapes.items():
    assert tf.TensorShape(shape).is_compatible_with(end_points[key].shape), key

  saver = tf.compat.v1.train.Saver(model.variables_by_name)
  saver.restore(None, graph_ckpt)
  harness.assert_close(model(images)[0], graph.output)

  harness.assign(model, harness.random_values(model.variables_by_name.items(), seed=2))
  eager_out = model(images)[0].numpy()
  assert not np.allclose(eager_out, graph.output)
  saver.save(None, eager_ckpt)
  restored = harness.run_in_graph(network_fn, images, _unknown_batch(name), restore=eager_ckpt)
  harness.assert_close(restored.output, eager_out)


@pytest.mark.parametrize('name', harness.registered_networks())
def test_tf_function_and_saved_model_round_trip(name, tmp_path):
  network_fn, _, any_image_size = _small(name)
  images = harness.small_inputs(name, seed=3)
  model = slim.Model(network_fn)
  eager_logits, eager_end_points = model(images)

  traced_logits, traced_end_points = tf.function(model)(tf.constant(images))
  harness.assert_close(traced_logits, eager_logits)
  assert list(traced_end_points) == list(eager_end_points)

  module = tf.Module()
  module.model = model
  module.serve = tf.function(
      lambda x: model(x)[0],
      input_signature=[tf.TensorSpec(_unknown_batch(name, known_size=not any_image_size))])
  tf.saved_model.save(module, str(tmp_path / 'saved'))
  loaded = tf.saved_model.load(str(tmp_path / 'saved'))
  harness.assert_close(loaded.serve(images), eager_logits)
  harness.assert_close(loaded.serve(images[:1]), eager_logits[:1])


@pytest.mark.slow
@pytest.mark.parametrize('name', [p.values[0] for p in harness.registered_networks(
    lambda spec: spec.small_build.any_image_size)])
def test_unknown_spatial_size_in_graph_mode(name):
  network_fn, _, _ = _small(name)
  images = harness.small_inputs(name)
  known = harness.run_in_graph(network_fn, images, harness.small_input_shape(name, BATCH))
  unknown = harness.run_in_graph(network_fn, images, _unknown_batch(name, known_size=False))
  assert sorted(unknown.end_point_shapes) == sorted(known.end_point_shapes)
  harness.assert_close(unknown.output, known.output)


# --- graph, Model and tf.function of chosen builds ---------------------------------------------

# LeNet reads MNIST digits: one channel.
CHANNELS = {'lenet': 1}
# Autograph converts every function of a network it traces: Inception-ResNet-v2
# traces in ~5 s without it and ~45 s with it. The big Inceptions trace without
# autograph in the default run (with it in the slow tests); the others with it.
BIG = ('inception_v4', 'inception_resnet_v2')


def _registered(name, **kwargs):
  """Network `name` from the registry, built in its arg scope in inference
  mode with `kwargs`."""
  spec = nets_factory.get_network_spec(name)
  return harness.in_arg_scope(spec.function, spec.arg_scope, is_training=False, **kwargs)


# name -> keyword arguments of the small build (MobileNet v1 with its 7x7 pool
# reduced to the 2x2 map, not globally pooled as in the conformance tests).
SMALL_BUILDS = {'inception_v4': {}, 'inception_resnet_v2': {},
                'mobilenet_v1': {'depth_multiplier': 0.25}, 'lenet': {}, 'cifarnet': {}}


@pytest.mark.parametrize('name', list(SMALL_BUILDS))
def test_graph_model_and_tf_function_agree(name):
  size = nets_factory.get_network_spec(name).small_build.image_size
  harness.check_modes(_registered(name, **SMALL_BUILDS[name]),
                      harness.images(size, CHANNELS.get(name, 3)), autograph=name not in BIG)


@pytest.mark.slow
@pytest.mark.parametrize('name', list(SMALL_BUILDS))
def test_full_size_graph_model_and_tf_function_agree(name):
  spec = nets_factory.get_network_spec(name)
  harness.check_modes(_registered(name, num_classes=spec.num_classes),
                      harness.images(spec.default_image_size, CHANNELS.get(name, 3), batch=1))


# MobileNet V2/V3 and NASNet builds: (network_fn, image size).
NASNET_SMALL = {'num_cells': 2, 'num_conv_filters': 8}
CHOSEN_BUILDS = {
    'mobilenet_v2_035': (mobilenet_v2.mobilenet_v2_035, 64),
    'mobilenet_v3_small': (mobilenet_v3.small, 64),
    'mobilenet_edgetpu_075': (functools.partial(mobilenet_v3.edge_tpu_075, num_classes=7), 64),
    'nasnet_cifar': (harness.in_arg_scope(
        nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, num_classes=10,
        is_training=False, config=nasnet.cifar_config().override_from_dict(NASNET_SMALL)), 32),
    'pnasnet_mobile': (harness.in_arg_scope(
        pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope, num_classes=10,
        is_training=False,
        config=pnasnet.mobile_imagenet_config().override_from_dict(NASNET_SMALL)), 96),
}


@pytest.mark.parametrize('name', list(CHOSEN_BUILDS))
def test_chosen_builds_agree_in_graph_model_and_function(name):
  network_fn, size = CHOSEN_BUILDS[name]
  harness.check_modes(network_fn, harness.images(size))


# --- MobileNet's named outputs ------------------------------------------------------------------

def _split_expansion_mobilenet(images):
  """MobileNet V2's first four layers, expansions split in two."""
  spec = dict(mobilenet_v2.V2_DEF, overrides={(conv_blocks.expanded_conv,):
                                              {'split_expansion': 2}})
  return mobilenet.mobilenet(images, conv_defs=spec, final_endpoint='layer_4')


SPLIT_OUTPUTS = {'layer_3/expand_part_0_output', 'layer_3/expand_part_1_output',
                 'layer_3/expansion_output', 'layer_3/depthwise_output', 'layer_3/output'}


def test_split_outputs_are_end_points_in_every_mode():
  model = harness.check_modes(_split_expansion_mobilenet, harness.images(64))
  _, end_points = model(tf.constant(harness.images(64)))
  assert SPLIT_OUTPUTS <= set(end_points)
  assert 'global_pool' in end_points and 'layer_5' not in end_points


def test_named_outputs_inside_a_model_leave_its_collections_alone():
  def network_fn(images):
    with slim.arg_scope([slim.conv2d], outputs_collections='convs'):
      logits, end_points = _split_expansion_mobilenet(images)
    return logits, dict(end_points, convs=slim.utils.convert_collection_to_dict('convs'))

  _, end_points = slim.Model(network_fn)(harness.images(64))
  with tf.Graph().as_default():
    _, graph_end_points = network_fn(tf.compat.v1.placeholder(tf.float32, [2, 64, 64, 3]))
  assert SPLIT_OUTPUTS <= set(end_points)
  # every conv2d of the layers, none lost to the frames the MobileNet layers open
  assert list(end_points['convs']) == list(graph_end_points['convs'])
  assert 'Mobilenet/expanded_conv_2/expand_part_1' in end_points['convs']


def test_named_outputs_of_threads_stay_apart():
  results = {}

  def call(key, size):
    model = slim.Model(_split_expansion_mobilenet)
    results[key] = model(harness.images(size, seed=key))[1]

  threads = [threading.Thread(target=call, args=(key, 32 + 32 * key)) for key in range(2)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  assert list(results[0]) == list(results[1])
  for key, size in ((0, 32), (1, 64)):
    assert results[key]['layer_3/expansion_output'].shape[1] == size // 2


# --- unknown sizes --------------------------------------------------------------------------------

# Networks whose height and width may be unknown: (network, kwargs, channels of
# the pooled features, two input sizes).
UNKNOWN_SIZE = {
    'inception_v4': ({'num_classes': None}, 1536, (75, 91)),
    'inception_resnet_v2': ({'num_classes': None}, 1536, (75, 91)),
    'mobilenet_v1': ({'num_classes': 7, 'global_pool': True, 'depth_multiplier': 0.25},
                     None, (40, 72)),
}


@pytest.mark.parametrize('name', sorted(UNKNOWN_SIZE))
def test_unknown_height_and_width(name):
  kwargs, depth, sizes = UNKNOWN_SIZE[name]
  network_fn = functools.partial(nets_factory.get_network_spec(name).function,
                                 is_training=False, **kwargs)
  model = slim.Model(network_fn)
  traced = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec([None, None, None, 3])],
                       autograph=name not in BIG)
  for size in sizes:
    inputs = harness.images(size, batch=1, seed=size)
    output, end_points = model(inputs)
    function_output, function_end_points = traced(inputs)
    harness.assert_close(function_output, output)
    assert 'global_pool' in end_points and 'AvgPool_1a' not in function_end_points
    expected = [1, 1, 1, depth] if depth else [1, kwargs['num_classes']]
    assert list(function_output.shape) == expected
  with tf.Graph().as_default():
    output, end_points = network_fn(tf.compat.v1.placeholder(tf.float32, [None, None, None, 3]))
    assert output.shape.as_list() == ([None, 1, 1, depth] if depth
                                      else [None, kwargs['num_classes']])


@pytest.mark.parametrize('name', ['lenet', 'cifarnet'])
def test_fixed_size_networks_need_known_height_and_width(graph, name):
  with pytest.raises(ValueError):
    nets_factory.get_network_spec(name).function(
        tf.compat.v1.placeholder(tf.float32, [None, None, None, 3]))


def test_mobilenet_unknown_batch_and_spatial_size_under_tf_function():
  model = slim.Model(lambda images: mobilenet_v2.mobilenet(images, depth_multiplier=0.35))
  model(tf.constant(harness.images(64)))
  traced = tf.function(model, input_signature=[tf.TensorSpec([None, None, None, 3])])
  for shape in ((1, 64, 64, 3), (3, 96, 80, 3)):
    logits, end_points = traced(tf.zeros(shape))
    assert logits.shape == (shape[0], 1001)
    assert end_points['global_pool'].shape == (shape[0], 1, 1, 448)
  concrete = traced.get_concrete_function()
  assert concrete.structured_outputs[0].shape.as_list() == [None, 1001]


def test_nasnet_unknown_batch_size():
  network_fn = harness.in_arg_scope(
      nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope, num_classes=10,
      is_training=False,
      config=nasnet.mobile_imagenet_config().override_from_dict(NASNET_SMALL))
  images = harness.images(96, batch=1)
  assert harness.run_in_graph(network_fn, images, [None, 96, 96, 3]).output.shape == (1, 10)
  traced = tf.function(slim.Model(network_fn),
                       input_signature=[tf.TensorSpec([None, 96, 96, 3])])
  assert traced(tf.constant(images))[0].shape == (1, 10)  # creates the variables
  assert traced(tf.zeros([3, 96, 96, 3]))[0].shape == (3, 10)
  assert traced.get_concrete_function().structured_outputs[0].shape.as_list() == [None, 10]


# --- features and training calls -----------------------------------------------------------------

@pytest.mark.parametrize('name, features', [('lenet', [2, 1024]), ('cifarnet', [2, 192]),
                                            ('mobilenet_v1', [2, 1, 1, 256])])
def test_pre_logits_through_model(name, features):
  spec = nets_factory.get_network_spec(name)
  model = slim.Model(functools.partial(spec.function, num_classes=None,
                                       **SMALL_BUILDS[name]))
  output, end_points = model(harness.images(spec.small_build.image_size,
                                            CHANNELS.get(name, 3)))
  assert list(output.shape) == features
  assert 'Logits' not in end_points and 'Predictions' not in end_points
  last_layer = {'lenet': 'LeNet/fc4/', 'cifarnet': 'CifarNet/logits/',
                'mobilenet_v1': 'MobilenetV1/Logits/'}[name]
  assert not [n for n in model.variables_by_name if n.startswith(last_layer)]


def test_training_calls_update_moving_statistics():
  spec = nets_factory.get_network_spec('mobilenet_v1')

  def network_fn(images, is_training):
    with slim.arg_scope(spec.arg_scope()):
      return spec.function(images, num_classes=5, depth_multiplier=0.25,
                           is_training=is_training)

  model = slim.Model(network_fn)
  inputs = harness.images(32)
  model(inputs, is_training=True)
  moving_mean = model.variables_by_name['MobilenetV1/Conv2d_0/BatchNorm/moving_mean']
  before = moving_mean.numpy()
  model(inputs, is_training=True)
  assert not np.allclose(moving_mean.numpy(), before)
  model(inputs, is_training=False)
  assert model.losses  # weight decay of the arg scope, in eager mode too


def test_mobilenet_training_call_updates_batch_norm_statistics():
  model = slim.Model(lambda images, is_training: mobilenet_v3.small(
      images, depth_multiplier=0.5, is_training=is_training))
  images = tf.constant(harness.images(64))
  with slim.arg_scope(mobilenet_v3.training_scope()):
    model(images, is_training=True)
    mean = model.variables_by_name['MobilenetV3/Conv/BatchNorm/moving_mean']
    before = mean.numpy().copy()
    model(images, is_training=True)
  assert not np.allclose(mean.numpy(), before)
  assert len(model.losses) == len([v for v in model.variables_by_name
                                   if v.endswith('/weights') and 'depthwise' not in v])
