"""Parity with tf-slim 1.1.0 (the reference): the same variables (names, shapes)
and, with the reference's random weights copied in by name, the same outputs and
end points (harness.assert_close), in inference mode.

tf_slim's own networks (AlexNet, OverFeat, VGG, Inception v1-v3, ResNets) are
compared with `tf_slim.nets`; the networks tf_slim does not ship (Inception-v4,
Inception-ResNet-v2, MobileNet v1, LeNet, CifarNet) run the same network code
on the reference's layers (harness.reference_layers). One small configuration
per family runs by default; the large ones with -m slow.
"""
import importlib

import numpy as np
import pytest
import tensorflow as tf

from slim.nets import cifarnet
from slim.nets import inception_resnet_v2
from slim.nets import inception_utils
from slim.nets import inception_v4
from slim.nets import lenet
from slim.nets import mobilenet_v1
from tests.slim.nets import harness

pytestmark = pytest.mark.reference

# --- tf_slim's networks --------------------------------------------------------------------------

FAMILIES = {  # module of slim.nets and tf_slim.nets -> arg scope function name
    'alexnet': 'alexnet_v2_arg_scope', 'overfeat': 'overfeat_arg_scope', 'vgg': 'vgg_arg_scope',
    'inception_v1': 'inception_v1_arg_scope', 'inception_v2': 'inception_v2_arg_scope',
    'inception_v3': 'inception_v3_arg_scope', 'resnet_v1': 'resnet_arg_scope',
    'resnet_v2': 'resnet_arg_scope',
}

# (family, network, image size, kwargs)
FAST = [
    ('alexnet', 'alexnet_v2', 224, {}),
    ('overfeat', 'overfeat', 231, {}),
    ('vgg', 'vgg_a', 224, {}),
    ('inception_v1', 'inception_v1', 224, {}),
    ('inception_v2', 'inception_v2', 96, {'depth_multiplier': 0.5, 'spatial_squeeze': False}),
    ('inception_v3', 'inception_v3', 107, {'depth_multiplier': 0.5}),
    ('resnet_v1', 'resnet_v1_50', 64, {}),
    ('resnet_v2', 'resnet_v2_50', 64, {}),
    ('resnet_v1', 'resnet_v1_50', 65, {'global_pool': False, 'output_stride': 8}),
    ('resnet_v2', 'resnet_v2_50', 65, {'num_classes': None, 'output_stride': 16}),
]
SLOW = [
    ('vgg', 'vgg_16', 224, {}),
    ('vgg', 'vgg_19', 224, {}),
    ('inception_v2', 'inception_v2', 224, {}),
    ('inception_v3', 'inception_v3', 299, {}),
] + [('resnet_v%d' % v, 'resnet_v%d_%d' % (v, d), 64, {})
     for v in (1, 2) for d in (101, 152, 200)]

# research/slim's extra end points (pooled features, 'global_pool') only add keys.
EXTRA_END_POINTS = ('AvgPool_0a_7x7', 'AvgPool_1a', 'global_pool')


def _compare_family(tf_slim, family, network, size, kwargs):
  ours = importlib.import_module('slim.nets.' + family)
  reference = importlib.import_module('tf_slim.nets.' + family)
  arg_scope = FAMILIES[family]
  kwargs = dict({'num_classes': 10, 'is_training': False}, **kwargs)
  harness.compare_with_reference(
      harness.in_arg_scope(getattr(reference, network), getattr(reference, arg_scope),
                           layers=tf_slim, **kwargs),
      harness.in_arg_scope(getattr(ours, network), getattr(ours, arg_scope), **kwargs),
      harness.images(size, seed=7), extra_end_points=EXTRA_END_POINTS)


def _ids(cases):
  return ['%s-%d-%s' % (n, s, '-'.join('%s=%s' % kv for kv in sorted(k.items())))
          for _, n, s, k in cases]


@pytest.mark.parametrize('family,network,size,kwargs', FAST, ids=_ids(FAST))
def test_parity(tf_slim, family, network, size, kwargs):
  _compare_family(tf_slim, family, network, size, kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('family,network,size,kwargs', SLOW, ids=_ids(SLOW))
def test_parity_large(tf_slim, family, network, size, kwargs):
  _compare_family(tf_slim, family, network, size, kwargs)


# --- the networks tf_slim does not ship, on the reference's layers -----------------------------

MODULES = (cifarnet, inception_resnet_v2, inception_utils, inception_v4, lenet, mobilenet_v1)


def _mobilenet_arg_scope():
  return mobilenet_v1.mobilenet_v1_arg_scope(is_training=False,
                                             normalizer_fn=mobilenet_v1.slim.batch_norm)


def _inception_v4_blocks(images):
  """The five Inception-v4 blocks in turn: 9 x 9 x 384 -> 1 x 1 x 1536."""
  end_points = {}
  net = images
  for block in (inception_v4.block_inception_a, inception_v4.block_reduction_a,
                inception_v4.block_inception_b, inception_v4.block_reduction_b,
                inception_v4.block_inception_c):
    net = end_points[block.__name__] = block(net)
  return net, end_points


def _inception_resnet_v2_blocks(images):
  """The three residual blocks in turn (any depth), the last one with relu6."""
  end_points = {}
  net = end_points['block35'] = inception_resnet_v2.block35(images, scale=0.17)
  net = end_points['block17'] = inception_resnet_v2.block17(net, scale=0.1)
  net = end_points['block8'] = inception_resnet_v2.block8(net, scale=3.0,
                                                          activation_fn=tf.nn.relu6)
  return net, end_points


# name -> (network function, input shape).
CASES = {
    'inception_v4_stem': (harness.in_arg_scope(
        inception_v4.inception_v4_base, inception_v4.inception_v4_arg_scope,
        final_endpoint='Mixed_5a'), [2, 47, 47, 3]),
    'inception_v4_blocks': (harness.in_arg_scope(
        _inception_v4_blocks, inception_v4.inception_v4_arg_scope, module=inception_v4),
                            [2, 9, 9, 384]),
    'inception_resnet_v2_stem': (harness.in_arg_scope(
        inception_resnet_v2.inception_resnet_v2_base,
        inception_resnet_v2.inception_resnet_v2_arg_scope, final_endpoint='Mixed_5b',
        align_feature_maps=True), [2, 41, 41, 3]),
    'inception_resnet_v2_blocks': (harness.in_arg_scope(
        _inception_resnet_v2_blocks, inception_resnet_v2.inception_resnet_v2_arg_scope,
        module=inception_resnet_v2), [2, 5, 5, 64]),
    'mobilenet_v1': (harness.in_arg_scope(
        mobilenet_v1.mobilenet_v1, _mobilenet_arg_scope, module=mobilenet_v1, num_classes=11,
        depth_multiplier=0.25, is_training=False), [2, 64, 64, 3]),
    'mobilenet_v1_base_stride8': (harness.in_arg_scope(
        mobilenet_v1.mobilenet_v1_base, _mobilenet_arg_scope, module=mobilenet_v1,
        depth_multiplier=0.25, output_stride=8, use_explicit_padding=True), [2, 48, 48, 3]),
    'lenet': (harness.in_arg_scope(lenet.lenet, lenet.lenet_arg_scope), [2, 28, 28, 1]),
    'cifarnet': (harness.in_arg_scope(cifarnet.cifarnet, cifarnet.cifarnet_arg_scope),
                 [2, 32, 32, 3]),
}
SLOW_CASES = {
    'inception_v4': (harness.in_arg_scope(
        inception_v4.inception_v4, inception_v4.inception_v4_arg_scope, num_classes=7,
        is_training=False), [1, 107, 107, 3]),
    'inception_resnet_v2': (harness.in_arg_scope(
        inception_resnet_v2.inception_resnet_v2,
        inception_resnet_v2.inception_resnet_v2_arg_scope, num_classes=7, is_training=False),
                            [1, 107, 107, 3]),
}


def _check_on_reference_layers(tf_slim, network_fn, input_shape):
  inputs = np.random.RandomState(1).uniform(-1, 1, input_shape).astype(np.float32)
  harness.compare_with_reference(harness.on_reference_layers(tf_slim, MODULES, network_fn),
                                 network_fn, inputs)


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_as_reference(tf_slim, case):
  _check_on_reference_layers(tf_slim, *CASES[case])


@pytest.mark.slow
@pytest.mark.parametrize('case', sorted(SLOW_CASES))
def test_full_networks_same_as_reference(tf_slim, case):
  _check_on_reference_layers(tf_slim, *SLOW_CASES[case])


def test_reference_layers_are_patched_only_while_building(tf_slim):
  with harness.reference_layers(tf_slim, MODULES):
    assert lenet.slim is tf_slim
  assert lenet.slim is not tf_slim and lenet.slim.__name__ == 'slim'
