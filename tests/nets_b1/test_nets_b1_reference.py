"""The same network code on tf-slim 1.1.0's layers (the reference) and on
`slim`'s: identical variables (names, shapes) and outputs for equal weights."""
import numpy as np
import pytest
import tensorflow as tf

from slim.nets import cifarnet, inception_resnet_v2, inception_utils, inception_v4, lenet
from slim.nets import mobilenet_v1
from tests.nets_b1 import helpers

pytestmark = pytest.mark.reference

MODULES = (cifarnet, inception_resnet_v2, inception_utils, inception_v4, lenet, mobilenet_v1)


def under(arg_scope, network, module=None, **kwargs):
  """`network(images, **kwargs)` under `arg_scope()` with batch norm in
  inference mode, taking the layers from `module` (default: the network's)
  when called: `slim`, or the reference patched in."""
  module = module or __import__(network.__module__, fromlist=['slim'])

  def network_fn(images):
    layers = module.slim
    with layers.arg_scope(arg_scope()), layers.arg_scope([layers.batch_norm],
                                                         is_training=False):
      return network(images, **kwargs)

  return network_fn


def mobilenet_arg_scope():
  layers = mobilenet_v1.slim
  return mobilenet_v1.mobilenet_v1_arg_scope(is_training=False,
                                             normalizer_fn=layers.batch_norm)


def inception_v4_blocks(images):
  """The five Inception-v4 blocks in turn: 9 x 9 x 384 -> 1 x 1 x 1536."""
  end_points = {}
  net = images
  for block in (inception_v4.block_inception_a, inception_v4.block_reduction_a,
                inception_v4.block_inception_b, inception_v4.block_reduction_b,
                inception_v4.block_inception_c):
    net = end_points[block.__name__] = block(net)
  return net, end_points


def inception_resnet_v2_blocks(images):
  """The three residual blocks in turn (any depth), the last one with relu6."""
  end_points = {}
  net = end_points['block35'] = inception_resnet_v2.block35(images, scale=0.17)
  net = end_points['block17'] = inception_resnet_v2.block17(net, scale=0.1)
  net = end_points['block8'] = inception_resnet_v2.block8(net, scale=3.0,
                                                          activation_fn=tf.nn.relu6)
  return net, end_points


# name -> (network function, input shape).
CASES = {
    'inception_v4_stem': (under(inception_v4.inception_v4_arg_scope,
                                inception_v4.inception_v4_base, final_endpoint='Mixed_5a'),
                          [2, 47, 47, 3]),
    'inception_v4_blocks': (under(inception_v4.inception_v4_arg_scope, inception_v4_blocks,
                                  module=inception_v4), [2, 9, 9, 384]),
    'inception_resnet_v2_stem': (under(inception_resnet_v2.inception_resnet_v2_arg_scope,
                                       inception_resnet_v2.inception_resnet_v2_base,
                                       final_endpoint='Mixed_5b', align_feature_maps=True),
                                 [2, 41, 41, 3]),
    'inception_resnet_v2_blocks': (under(inception_resnet_v2.inception_resnet_v2_arg_scope,
                                         inception_resnet_v2_blocks,
                                         module=inception_resnet_v2), [2, 5, 5, 64]),
    'mobilenet_v1': (under(mobilenet_arg_scope, mobilenet_v1.mobilenet_v1, num_classes=11,
                           depth_multiplier=0.25, is_training=False), [2, 64, 64, 3]),
    'mobilenet_v1_base_stride8': (under(mobilenet_arg_scope, mobilenet_v1.mobilenet_v1_base,
                                        depth_multiplier=0.25, output_stride=8,
                                        use_explicit_padding=True), [2, 48, 48, 3]),
    'lenet': (under(lenet.lenet_arg_scope, lenet.lenet), [2, 28, 28, 1]),
    'cifarnet': (under(cifarnet.cifarnet_arg_scope, cifarnet.cifarnet), [2, 32, 32, 3]),
}
SLOW_CASES = {
    'inception_v4': (under(inception_v4.inception_v4_arg_scope, inception_v4.inception_v4,
                           num_classes=7, is_training=False), [1, 107, 107, 3]),
    'inception_resnet_v2': (under(inception_resnet_v2.inception_resnet_v2_arg_scope,
                                  inception_resnet_v2.inception_resnet_v2, num_classes=7,
                                  is_training=False), [1, 107, 107, 3]),
}


def check_against_reference(tf_slim, monkeypatch, network_fn, input_shape):
  inputs = np.random.RandomState(1).uniform(-1, 1, input_shape).astype(np.float32)
  weights = helpers.initial_weights(network_fn, input_shape)
  names, shape, output, end_points = helpers.run_in_graph(network_fn, inputs, weights)
  for module in MODULES:
    monkeypatch.setattr(module, 'slim', tf_slim)
  reference = helpers.run_in_graph(network_fn, inputs, weights)
  # Same names; the order may differ (tf_slim's 4-d batch norm makes gamma
  # before beta, slim's beta before gamma).
  assert sorted(reference[0]) == sorted(names) and reference[1] == shape
  helpers.assert_close(output, reference[2])
  helpers.assert_end_points_close(end_points, reference[3])


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_as_reference(tf_slim, monkeypatch, case):
  check_against_reference(tf_slim, monkeypatch, *CASES[case])


@pytest.mark.slow
@pytest.mark.parametrize('case', sorted(SLOW_CASES))
def test_full_networks_same_as_reference(tf_slim, monkeypatch, case):
  check_against_reference(tf_slim, monkeypatch, *SLOW_CASES[case])
