"""MobileNet V3 (Howard et al. 2019, https://arxiv.org/abs/1905.02244) and
MobileNet-EdgeTPU: conv defs and the named variants.

    logits, end_points = mobilenet_v3.large(images)      # scope 'MobilenetV3'
    logits, end_points = mobilenet_v3.small(images)
    logits, end_points = mobilenet_v3.edge_tpu(images)   # scope 'MobilenetEdgeTPU'

The minimalistic variants drop squeeze-excite, hard-swish and 5x5 depthwise
kernels, which suits a wider range of hardware.
"""
import copy
import functools

import numpy as np
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry
from slim.nets.mobilenet import conv_blocks as ops
from slim.nets.mobilenet import mobilenet as lib

__all__ = ['DEFAULTS', 'DEFAULTS_GROUP_NORM', 'V3_LARGE', 'V3_LARGE_MINIMALISTIC', 'V3_SMALL', 'V3_SMALL_MINIMALISTIC',
           'V3_EDGETPU', 'V3_LARGE_DETECTION', 'V3_SMALL_DETECTION', 'hard_swish',
           'reduce_to_1x1', 'mbv3_op', 'mbv3_fused', 'mbv3_op_se', 'mobilenet',
           'mobilenet_base', 'training_scope', 'wrapped_partial', 'large', 'small',
           'large_minimalistic', 'small_minimalistic', 'edge_tpu', 'edge_tpu_075']

op = lib.op
expand_input = ops.expand_input_by_factor

# Squeeze-excite of V3: a quarter of the channels, relu inside, hard sigmoid
# (with the checkpoints' constant 0.16667) as the gate.
squeeze_excite = functools.partial(
    ops.squeeze_excite, squeeze_factor=4, inner_activation_fn=tf.nn.relu,
    gating_fn=lambda x: tf.nn.relu6(x + 3) * 0.16667)


def _se4(expansion_tensor, input_tensor):  # pylint: disable=unused-argument
  """Squeeze-excite as an `expansion_transform` of `expanded_conv`."""
  return squeeze_excite(expansion_tensor)


def hard_swish(x):
  """x * relu6(x + 3) / 6, in name scope 'hard_swish'."""
  with tf.compat.v1.name_scope('hard_swish'):
    return x * tf.nn.relu6(x + np.float32(3)) * np.float32(1. / 6.)


def reduce_to_1x1(input_tensor, default_size=7, **kwargs):
  """Average pooling over the whole (square) input, or `default_size` when the
  size is unknown or not square; `kwargs` go to `slim.avg_pool2d`."""
  height, width = input_tensor.shape.as_list()[1:3]
  size = height if height is not None and width == height else default_size
  return slim.avg_pool2d(input_tensor, kernel_size=[size, size], **kwargs)


def mbv3_op(ef, n, k, s=1, act=tf.nn.relu, se=None, **kwargs):
  """A V3 block: `expanded_conv` with expansion factor `ef`, `n` outputs, a `k`x`k`
  depthwise of stride `s`, inner activation `act` and expansion transform `se`
  (kwargs go to `expanded_conv`)."""
  return op(ops.expanded_conv, expansion_size=expand_input(ef), kernel_size=(k, k),
            stride=s, num_outputs=n, inner_activation_fn=act, expansion_transform=se,
            **kwargs)


def mbv3_fused(ef, n, k, s=1, **kwargs):
  """A fused V3 block (EdgeTPU): a full `k`x`k` expansion convolution of stride `s`
  instead of 1x1 expansion plus depthwise (kwargs go to `mbv3_op`)."""
  expansion_fn = functools.partial(slim.conv2d, kernel_size=k, stride=s)
  return mbv3_op(ef, n, k=1, s=s, depthwise_location=None, expansion_fn=expansion_fn,
                 **kwargs)


mbv3_op_se = functools.partial(mbv3_op, se=_se4)

DEFAULTS = {
    (ops.expanded_conv,): dict(normalizer_fn=slim.batch_norm, residual=True),
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        'normalizer_fn': slim.batch_norm,
        'activation_fn': tf.nn.relu,
    },
    (slim.batch_norm,): {'center': True, 'scale': True},
}

# The defaults with group norm (8 groups) in place of batch norm (use_groupnorm).
DEFAULTS_GROUP_NORM = {
    (ops.expanded_conv,): dict(normalizer_fn=slim.group_norm, residual=True),
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        'normalizer_fn': slim.group_norm,
        'activation_fn': tf.nn.relu,
    },
    (slim.group_norm,): {'groups': 8},
}


def _head(last_channels, features, activation_fn=None):
  """The last three layers: 1x1 conv to `last_channels`, pooling to 1x1, and a
  1x1 conv without batch norm to `features` channels."""
  activation = {} if activation_fn is None else {'activation_fn': activation_fn}
  return [
      op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=last_channels,
         **activation),
      op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
      op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=features,
         normalizer_fn=None, **activation),
  ]


# pyformat: disable
V3_LARGE = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3),
           activation_fn=hard_swish),                                     # 112 x 112 x 16
        mbv3_op(ef=1, n=16, k=3),
        mbv3_op(ef=4, n=24, k=3, s=2),                                    # 56 x 56 x 24
        mbv3_op(ef=3, n=24, k=3, s=1),
        mbv3_op_se(ef=3, n=40, k=5, s=2),                                 # 28 x 28 x 40
        mbv3_op_se(ef=3, n=40, k=5, s=1),
        mbv3_op_se(ef=3, n=40, k=5, s=1),
        mbv3_op(ef=6, n=80, k=3, s=2, act=hard_swish),                    # 14 x 14 x 80
        mbv3_op(ef=2.5, n=80, k=3, s=1, act=hard_swish),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),                # 14 x 14 x 112
        mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=160, k=5, s=2, act=hard_swish),                # 7 x 7 x 160
        mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
    ] + _head(960, 1280, hard_swish))                                     # 1 x 1 x 1280

# 72.2% top-1.
V3_LARGE_MINIMALISTIC = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3)),    # 112 x 112 x 16
        mbv3_op(ef=1, n=16, k=3),
        mbv3_op(ef=4, n=24, k=3, s=2),                                    # 56 x 56 x 24
        mbv3_op(ef=3, n=24, k=3, s=1),
        mbv3_op(ef=3, n=40, k=3, s=2),                                    # 28 x 28 x 40
        mbv3_op(ef=3, n=40, k=3, s=1),
        mbv3_op(ef=3, n=40, k=3, s=1),
        mbv3_op(ef=6, n=80, k=3, s=2),                                    # 14 x 14 x 80
        mbv3_op(ef=2.5, n=80, k=3, s=1),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1),
        mbv3_op(ef=6, n=112, k=3, s=1),                                   # 14 x 14 x 112
        mbv3_op(ef=6, n=112, k=3, s=1),
        mbv3_op(ef=6, n=160, k=3, s=2),                                   # 7 x 7 x 160
        mbv3_op(ef=6, n=160, k=3, s=1),
        mbv3_op(ef=6, n=160, k=3, s=1),
    ] + _head(960, 1280))                                                 # 1 x 1 x 1280

V3_SMALL = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3),
           activation_fn=hard_swish),                                     # 112 x 112 x 16
        mbv3_op_se(ef=1, n=16, k=3, s=2),                                 # 56 x 56 x 16
        mbv3_op(ef=72. / 16, n=24, k=3, s=2),                             # 28 x 28 x 24
        mbv3_op(ef=(88. / 24), n=24, k=3, s=1),
        mbv3_op_se(ef=4, n=40, k=5, s=2, act=hard_swish),                 # 14 x 14 x 40
        mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),                 # 14 x 14 x 48
        mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=96, k=5, s=2, act=hard_swish),                 # 7 x 7 x 96
        mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
    ] + _head(576, 1024, hard_swish))                                     # 1 x 1 x 1024

# 62% top-1.
V3_SMALL_MINIMALISTIC = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3)),    # 112 x 112 x 16
        mbv3_op(ef=1, n=16, k=3, s=2),                                    # 56 x 56 x 16
        mbv3_op(ef=72. / 16, n=24, k=3, s=2),                             # 28 x 28 x 24
        mbv3_op(ef=(88. / 24), n=24, k=3, s=1),
        mbv3_op(ef=4, n=40, k=3, s=2),                                    # 14 x 14 x 40
        mbv3_op(ef=6, n=40, k=3, s=1),
        mbv3_op(ef=6, n=40, k=3, s=1),
        mbv3_op(ef=3, n=48, k=3, s=1),                                    # 14 x 14 x 48
        mbv3_op(ef=3, n=48, k=3, s=1),
        mbv3_op(ef=6, n=96, k=3, s=2),                                    # 7 x 7 x 96
        mbv3_op(ef=6, n=96, k=3, s=1),
        mbv3_op(ef=6, n=96, k=3, s=1),
    ] + _head(576, 1024))                                                 # 1 x 1 x 1024

# EdgeTPU-friendly: fused (full) convolutions instead of depthwise ones early on.
V3_EDGETPU = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=(3, 3)),    # 112 x 112 x 32
        mbv3_fused(k=3, s=1, ef=1, n=16),
        mbv3_fused(k=3, s=2, ef=8, n=32),                                 # 56 x 56 x 32
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=2, ef=8, n=48),                                 # 28 x 28 x 48
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_op(k=3, s=2, ef=8, n=96),                                    # 14 x 14 x 96
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=8, n=96, residual=False),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=5, s=2, ef=8, n=160),                                   # 7 x 7 x 160
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=3, s=1, ef=8, n=192),                                   # 7 x 7 x 192
        op(slim.conv2d, stride=1, num_outputs=1280, kernel_size=(1, 1)),  # 7 x 7 x 1280
    ])
# pyformat: enable


@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet(input_tensor,
              num_classes=1001,
              depth_multiplier=1.0,
              scope='MobilenetV3',
              conv_defs=None,
              finegrain_classification_mode=False,
              use_groupnorm=False,
              **kwargs):
  """MobileNet V3 (Large by default). Inference mode is created by default; build
  under `training_scope()` to train.

  Args:
    input_tensor: images [batch, height, width, 3] (224 x 224 by default).
    num_classes: number of classes (default 1001); 0 or None returns features.
    depth_multiplier: scales the depth of every layer (default 1.0).
    scope: variable scope (default 'MobilenetV3').
    conv_defs: the architecture (default `V3_LARGE`).
    finegrain_classification_mode: keep the last layer's width whatever the
      depth multiplier (ignored if final_endpoint stops earlier).
    use_groupnorm: normalize with `slim.group_norm` instead of batch norm: the
      conv defs' defaults become `DEFAULTS_GROUP_NORM`, with `groups` groups
      (a keyword argument, default 8); variables '.../GroupNorm/{gamma,beta}'
      instead of '.../BatchNorm/...' (default False).
    **kwargs: passed to `mobilenet.mobilenet` (prediction_fn, reuse, base_only,
      use_reduce_mean_for_pooling, final_endpoint, output_stride,
      use_explicit_padding, is_training).

  Returns:
    (logits, end_points); see `mobilenet.mobilenet`.

  Raises:
    ValueError: a `multiplier` argument (use depth_multiplier).
  """
  lib._check_no_generic_multiplier(  # pylint: disable=protected-access
      'mobilenet_v3.mobilenet', kwargs)
  if conv_defs is None:
    conv_defs = V3_LARGE
  if use_groupnorm:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defs['defaults'] = dict(DEFAULTS_GROUP_NORM)
    conv_defs['defaults'][(slim.group_norm,)] = {'groups': kwargs.pop('groups', 8)}
  if finegrain_classification_mode:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defs['spec'][-1] = conv_defs['spec'][-1]._replace(
        multiplier_func=lambda params, multiplier: params)
  return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs,
                       scope=scope, multiplier=depth_multiplier, **kwargs)


training_scope = lib.training_scope


@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
  """The layers of MobileNet V3 without pooling and logits; returns (net, end_points)."""
  return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True,
                   **kwargs)


wrapped_partial = _common.wrapped_partial

# The published checkpoints have 1001 classes.
_REGISTRATION = dict(arg_scope=training_scope, default_image_size=224,
                     preprocessing='inception', num_classes=1001)


@registry.register_network('mobilenet_v3_large', **_REGISTRATION,
                           small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}))
@tf.autograph.experimental.do_not_convert
def large(input_tensor, num_classes=1001, depth_multiplier=1.0, scope='MobilenetV3',
          conv_defs=V3_LARGE, finegrain_classification_mode=False, **kwargs):
  """MobileNet V3 Large (checkpoints v3-large_224_1.0_*); arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


mobilenet.default_image_size = large.default_image_size


@registry.register_network('mobilenet_v3_small', **_REGISTRATION,
                           small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}))
@tf.autograph.experimental.do_not_convert
def small(input_tensor, num_classes=1001, depth_multiplier=1.0, scope='MobilenetV3',
          conv_defs=V3_SMALL, finegrain_classification_mode=False, **kwargs):
  """MobileNet V3 Small (checkpoints v3-small_224_1.0_*); arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


@registry.register_network('mobilenet_edgetpu', **_REGISTRATION,
                           small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}))
@tf.autograph.experimental.do_not_convert
def edge_tpu(input_tensor, num_classes=1001, depth_multiplier=1.0, scope='MobilenetEdgeTPU',
             conv_defs=V3_EDGETPU, finegrain_classification_mode=False, **kwargs):
  """MobileNet-EdgeTPU (checkpoint mobilenet_edgetpu_224_1.0), in scope
  'MobilenetEdgeTPU'. Inference mode is created by default; arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


@registry.register_network('mobilenet_edgetpu_075', **_REGISTRATION,
                           small_build=registry.SmallBuild(64))
@tf.autograph.experimental.do_not_convert
def edge_tpu_075(input_tensor, num_classes=1001, depth_multiplier=0.75,
                 scope='MobilenetEdgeTPU', conv_defs=V3_EDGETPU,
                 finegrain_classification_mode=True, **kwargs):
  """MobileNet-EdgeTPU with depth multiplier 0.75 and a full-width last layer
  (checkpoint mobilenet_edgetpu_224_0.75); arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


@registry.register_network('mobilenet_v3_large_minimalistic', **_REGISTRATION,
                           small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}))
@tf.autograph.experimental.do_not_convert
def large_minimalistic(input_tensor, num_classes=1001, depth_multiplier=1.0,
                       scope='MobilenetV3', conv_defs=V3_LARGE_MINIMALISTIC,
                       finegrain_classification_mode=False, **kwargs):
  """MobileNet V3 Large minimalistic: no squeeze-excite, hard-swish or 5x5
  kernels (checkpoint v3-large-minimalistic_224_1.0); arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


@registry.register_network('mobilenet_v3_small_minimalistic', **_REGISTRATION,
                           small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}))
@tf.autograph.experimental.do_not_convert
def small_minimalistic(input_tensor, num_classes=1001, depth_multiplier=1.0,
                       scope='MobilenetV3', conv_defs=V3_SMALL_MINIMALISTIC,
                       finegrain_classification_mode=False, **kwargs):
  """MobileNet V3 Small minimalistic: no squeeze-excite, hard-swish or 5x5
  kernels (checkpoint v3-small-minimalistic_224_1.0); arguments as `mobilenet`."""
  return mobilenet(input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier,
                   scope=scope, conv_defs=conv_defs,
                   finegrain_classification_mode=finegrain_classification_mode, **kwargs)


def _reduce_consecutive_layers(conv_defs, start_id, end_id, multiplier=0.5):
  """A copy of `conv_defs` whose layers start_id..end_id (0-based, inclusive) have
  `num_outputs` scaled by `multiplier` (the detection variants)."""
  defs = copy.deepcopy(conv_defs)
  for layer in defs['spec'][start_id:end_id + 1]:
    if 'num_outputs' not in layer.params:
      raise ValueError('_reduce_consecutive_layers: layer %r has no num_outputs'
                       % (layer.op,))
    layer.params['num_outputs'] = int(np.round(layer.params['num_outputs'] * multiplier))
  return defs


V3_LARGE_DETECTION = _reduce_consecutive_layers(V3_LARGE, 13, 16)
V3_SMALL_DETECTION = _reduce_consecutive_layers(V3_SMALL, 9, 12)
