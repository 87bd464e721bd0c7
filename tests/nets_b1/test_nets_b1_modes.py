"""One network, three ways to run it: a graph-mode build, eager calls through
slim.Model, and tf.function over the Model: same variables, same outputs,
same end points; unknown batch and (where the network allows) spatial sizes."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import inception_resnet_v2, inception_v4, mobilenet_v1
from tests.nets_b1 import helpers

# Autograph converts every function of a network it traces: Inception-ResNet-v2
# traces in ~5 s without it and ~45 s with it. The big Inceptions trace without
# autograph here (with it in the slow tests); the small networks with it.
BIG = ('inception_v4', 'inception_resnet_v2')


def check_modes(name, size, autograph, batch=2, **kwargs):
  """Builds network `name` (under its arg scope, inference mode) in graph mode,
  through slim.Model and in tf.function over the Model; checks that variables,
  outputs and end points agree, and that the batch size may be unknown."""
  net = helpers.NETS[name]
  network_fn = functools.partial(helpers.with_arg_scope(name, **kwargs), is_training=False)
  inputs = helpers.images(size, net.channels, batch=batch)
  model = slim.Model(network_fn)
  model(inputs)
  helpers.randomize_batch_norm(model)
  eager_output, eager_end_points = model(inputs)
  weights = {n: v.numpy() for n, v in model.variables_by_name.items()}

  input_shape = [None, size, size, net.channels]
  names, static_shape, graph_output, graph_end_points = helpers.run_in_graph(
      network_fn, inputs, weights, input_shape)
  assert names == list(model.variables_by_name)
  assert static_shape == [None] + list(eager_output.shape[1:])
  helpers.assert_close(eager_output.numpy(), graph_output)
  helpers.assert_end_points_close(eager_end_points, graph_end_points)

  traced = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec(input_shape)],
                       autograph=autograph)
  concrete_output, concrete_end_points = traced.get_concrete_function().structured_outputs
  assert concrete_output.shape.as_list() == static_shape
  assert sorted(concrete_end_points) == sorted(eager_end_points)
  function_output, function_end_points = traced(inputs[:1])
  helpers.assert_close(function_output.numpy(), eager_output.numpy()[:1])
  helpers.assert_end_points_close(
      function_end_points, {k: v.numpy()[:1] for k, v in eager_end_points.items()})
  assert len(model.variables) == len(names)


@pytest.mark.parametrize('name', list(helpers.NETS))
def test_graph_model_and_tf_function_agree(name):
  net = helpers.NETS[name]
  check_modes(name, net.small_size, autograph=name not in BIG, **net.small_kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', list(helpers.NETS))
def test_full_size_graph_model_and_tf_function_agree(name):
  net = helpers.NETS[name]
  check_modes(name, net.size, autograph=True, batch=1, num_classes=net.classes)


# Networks whose height and width may be unknown: (function, kwargs, channels of
# the pooled features, two input sizes).
UNKNOWN_SIZE = {
    'inception_v4': (inception_v4.inception_v4, {'num_classes': None}, 1536, (75, 91)),
    'inception_resnet_v2': (inception_resnet_v2.inception_resnet_v2, {'num_classes': None},
                            1536, (75, 91)),
    'mobilenet_v1': (mobilenet_v1.mobilenet_v1,
                     {'num_classes': 7, 'global_pool': True, 'depth_multiplier': 0.25},
                     None, (40, 72)),
}


@pytest.mark.parametrize('name', sorted(UNKNOWN_SIZE))
def test_unknown_height_and_width(name):
  fn, kwargs, depth, sizes = UNKNOWN_SIZE[name]
  network_fn = functools.partial(fn, is_training=False, **kwargs)
  model = slim.Model(network_fn)
  traced = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec([None, None, None, 3])],
                       autograph=name not in BIG)
  for size in sizes:
    inputs = helpers.images(size, 3, batch=1, seed=size)
    output, end_points = model(inputs)
    function_output, function_end_points = traced(inputs)
    helpers.assert_close(function_output.numpy(), output.numpy())
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
    helpers.NETS[name].fn(tf.compat.v1.placeholder(tf.float32, [None, None, None, 3]))


@pytest.mark.parametrize('name, features', [('lenet', [2, 1024]), ('cifarnet', [2, 192]),
                                            ('mobilenet_v1', [2, 1, 1, 256])])
def test_pre_logits_through_model(name, features):
  net = helpers.NETS[name]
  model = slim.Model(functools.partial(net.fn, num_classes=None, **net.small_kwargs))
  output, end_points = model(helpers.images(net.small_size, net.channels))
  assert list(output.shape) == features
  assert 'Logits' not in end_points and 'Predictions' not in end_points
  last_layer = {'lenet': 'LeNet/fc4/', 'cifarnet': 'CifarNet/logits/',
                'mobilenet_v1': 'MobilenetV1/Logits/'}[name]
  assert not [n for n in model.variables_by_name if n.startswith(last_layer)]


def test_training_calls_update_moving_statistics():
  network_fn = helpers.with_arg_scope('mobilenet_v1', depth_multiplier=0.25, num_classes=5)
  model = slim.Model(network_fn)
  inputs = helpers.images(32, 3)
  model(inputs, is_training=True)
  moving_mean = model.variables_by_name['MobilenetV1/Conv2d_0/BatchNorm/moving_mean']
  before = moving_mean.numpy()
  model(inputs, is_training=True)
  assert not np.allclose(moving_mean.numpy(), before)
  model(inputs, is_training=False)
  assert model.losses  # weight decay of the arg scope, in eager mode too
