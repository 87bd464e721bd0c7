"""Parity with tf_slim 1.1.0's nets: same variables (names, shapes), and, with the
reference's weights copied in by name, the same logits and end points (max abs
difference <= 1e-4 on random inputs, inference mode).

One small configuration per family runs by default; deep ResNets and full-size
thick Inceptions run with -m slow.
"""
import importlib

import numpy as np
import pytest

from tests.nets import parity

pytestmark = pytest.mark.reference

FAMILIES = {  # our module -> (tf_slim module, arg scope function name)
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


def _compare(tf_slim, family, network, size, kwargs):
  ours = importlib.import_module('nets.' + family)
  reference = importlib.import_module('tf_slim.nets.' + family)
  arg_scope = FAMILIES[family]
  images = np.random.RandomState(7).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
  kwargs = dict({'num_classes': 10}, **kwargs)
  return parity.compare(tf_slim, getattr(reference, network), getattr(reference, arg_scope),
                        getattr(ours, network), getattr(ours, arg_scope), images, **kwargs)


def _ids(cases):
  return ['%s-%d-%s' % (n, s, '-'.join('%s=%s' % kv for kv in sorted(k.items())))
          for _, n, s, k in cases]


@pytest.mark.parametrize('family,network,size,kwargs', FAST, ids=_ids(FAST))
def test_parity(tf_slim, family, network, size, kwargs):
  result = _compare(tf_slim, family, network, size, kwargs)
  parity.assert_parity(result)
  # research/slim's extra end points (pooled features, 'global_pool') only add keys
  extra = set(result.our_end_points) - set(result.reference_end_points)
  assert extra <= {'AvgPool_0a_7x7', 'AvgPool_1a', 'global_pool'}, extra


@pytest.mark.slow
@pytest.mark.parametrize('family,network,size,kwargs', SLOW, ids=_ids(SLOW))
def test_parity_large(tf_slim, family, network, size, kwargs):
  parity.assert_parity(_compare(tf_slim, family, network, size, kwargs))
