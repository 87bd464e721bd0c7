"""MobileNet V2 (Sandler et al. 2018, https://arxiv.org/abs/1801.04381).

The 1.0 model: 3.5M parameters, 300M multiply-adds, 72% top-1 on ImageNet at 224.

    with slim.arg_scope(mobilenet_v2.training_scope()):
      logits, end_points = mobilenet_v2.mobilenet(images)   # scope 'MobilenetV2'
"""
import copy

import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry
from slim.nets.mobilenet import conv_blocks as ops
from slim.nets.mobilenet import mobilenet as lib

__all__ = ['V2_DEF', 'mobilenet', 'mobilenet_base', 'mobilenet_v2_140', 'mobilenet_v2_050',
           'mobilenet_v2_035', 'training_scope', 'wrapped_partial']

op = lib.op
expand_input = ops.expand_input_by_factor

# Batch-norm centring/scaling and the activation are part of the architecture,
# so they are here rather than in training_scope.
# pyformat: disable
V2_DEF = dict(
    defaults={
        (slim.batch_norm,): {'center': True, 'scale': True},
        (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
            'normalizer_fn': slim.batch_norm, 'activation_fn': tf.nn.relu6
        },
        (ops.expanded_conv,): {
            'expansion_size': expand_input(6),
            'split_expansion': 1,
            'normalizer_fn': slim.batch_norm,
            'residual': True
        },
        (slim.conv2d, slim.separable_conv2d): {'padding': 'SAME'}
    },
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),    # 112 x 112 x 32
        op(ops.expanded_conv, expansion_size=expand_input(1, divisible_by=1),
           num_outputs=16),                                              # 112 x 112 x 16
        op(ops.expanded_conv, stride=2, num_outputs=24),                  # 56 x 56 x 24
        op(ops.expanded_conv, stride=1, num_outputs=24),
        op(ops.expanded_conv, stride=2, num_outputs=32),                  # 28 x 28 x 32
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=2, num_outputs=64),                  # 14 x 14 x 64
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=96),                  # 14 x 14 x 96
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=2, num_outputs=160),                 # 7 x 7 x 160
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=320),                 # 7 x 7 x 320
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280)   # 7 x 7 x 1280
    ],
)
# pyformat: enable


def training_scope(**kwargs):
  """The arg scope to train MobileNet V2: `mobilenet.training_scope(**kwargs)`
  (is_training, weight_decay, stddev, dropout_keep_prob, bn_decay)."""
  return lib.training_scope(**kwargs)


# The published checkpoints (mobilenet_v2_<multiplier>_<size>) have 1001 classes.
_REGISTRATION = dict(arg_scope=training_scope, default_image_size=224,
                     preprocessing='inception', num_classes=1001)


@registry.register_network(
    'mobilenet_v2', **_REGISTRATION,
    small_build=registry.SmallBuild(64, {'depth_multiplier': 0.35}, any_image_size=True))
@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet(input_tensor,
              num_classes=1001,
              depth_multiplier=1.0,
              scope='MobilenetV2',
              conv_defs=None,
              finegrain_classification_mode=False,
              min_depth=None,
              divisible_by=None,
              activation_fn=None,
              **kwargs):
  """MobileNet V2 (inference mode by default; train under `training_scope()`).

  Args:
    input_tensor: images [batch, height, width, 3]; any size (224 is the default).
    num_classes: number of classes (default 1001); 0 or None returns features.
    depth_multiplier: scales the depth of every layer (default 1.0).
    scope: variable scope (default 'MobilenetV2').
    conv_defs: the architecture (default `V2_DEF`).
    finegrain_classification_mode: keep the last layer at 1280 channels for
      depth_multiplier < 1 (better accuracy on ImageNet-like tasks).
    min_depth: if given, every layer has at least this many channels.
    divisible_by: if given, every layer's channels are a multiple of this.
    activation_fn: activation of the convolutions (default relu6).
    **kwargs: passed to `mobilenet.mobilenet` (prediction_fn, reuse, base_only,
      final_endpoint, output_stride, use_explicit_padding, is_training).

  Returns:
    (logits, end_points); see `mobilenet.mobilenet`.

  Raises:
    ValueError: a `multiplier` argument (use depth_multiplier).
  """
  lib._check_no_generic_multiplier(  # pylint: disable=protected-access
      'mobilenet_v2.mobilenet', kwargs)
  if conv_defs is None:
    conv_defs = V2_DEF
  if finegrain_classification_mode:
    conv_defs = copy.deepcopy(conv_defs)
    if depth_multiplier < 1:
      conv_defs['spec'][-1].params['num_outputs'] /= depth_multiplier
  if activation_fn:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defaults = conv_defs['defaults'][
        (slim.conv2d, slim.fully_connected, slim.separable_conv2d)]
    conv_defaults['activation_fn'] = activation_fn

  # Only the arguments given: an enclosing arg scope may set the others.
  depth_args = {}
  if min_depth is not None:
    depth_args['min_depth'] = min_depth
  if divisible_by is not None:
    depth_args['divisible_by'] = divisible_by
  with slim.arg_scope((lib.depth_multiplier,), **depth_args):
    return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs,
                         scope=scope, multiplier=depth_multiplier, **kwargs)


wrapped_partial = _common.wrapped_partial

# The narrow variants keep a 1280-wide last layer (finegrain_classification_mode).
_VARIANT_SMALL_BUILD = registry.SmallBuild(64, any_image_size=True)


@registry.register_network('mobilenet_v2_140', **_REGISTRATION,
                           small_build=_VARIANT_SMALL_BUILD)
@tf.autograph.experimental.do_not_convert
def mobilenet_v2_140(input_tensor, num_classes=1001, depth_multiplier=1.4, scope='MobilenetV2',
                     conv_defs=None, finegrain_classification_mode=False, min_depth=None,
                     divisible_by=None, activation_fn=None, **kwargs):
  """MobileNet V2 with depth multiplier 1.4 (checkpoint mobilenet_v2_1.4_224);
  arguments as `mobilenet`."""
  return mobilenet(
      input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier, scope=scope,
      conv_defs=conv_defs, finegrain_classification_mode=finegrain_classification_mode,
      min_depth=min_depth, divisible_by=divisible_by, activation_fn=activation_fn, **kwargs)


@tf.autograph.experimental.do_not_convert
def mobilenet_v2_050(input_tensor, num_classes=1001, depth_multiplier=0.50,
                     scope='MobilenetV2', conv_defs=None, finegrain_classification_mode=True,
                     min_depth=None, divisible_by=None, activation_fn=None, **kwargs):
  """MobileNet V2 with depth multiplier 0.5 and a full-width last layer;
  arguments as `mobilenet`. (research/slim's nets_factory does not list it.)"""
  return mobilenet(
      input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier, scope=scope,
      conv_defs=conv_defs, finegrain_classification_mode=finegrain_classification_mode,
      min_depth=min_depth, divisible_by=divisible_by, activation_fn=activation_fn, **kwargs)


mobilenet_v2_050.default_image_size = mobilenet.default_image_size


@registry.register_network('mobilenet_v2_035', **_REGISTRATION,
                           small_build=_VARIANT_SMALL_BUILD)
@tf.autograph.experimental.do_not_convert
def mobilenet_v2_035(input_tensor, num_classes=1001, depth_multiplier=0.35,
                     scope='MobilenetV2', conv_defs=None, finegrain_classification_mode=True,
                     min_depth=None, divisible_by=None, activation_fn=None, **kwargs):
  """MobileNet V2 with depth multiplier 0.35 and a full-width last layer
  (checkpoint mobilenet_v2_0.35_224); arguments as `mobilenet`."""
  return mobilenet(
      input_tensor, num_classes=num_classes, depth_multiplier=depth_multiplier, scope=scope,
      conv_defs=conv_defs, finegrain_classification_mode=finegrain_classification_mode,
      min_depth=min_depth, divisible_by=divisible_by, activation_fn=activation_fn, **kwargs)


@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
  """The layers of MobileNet V2 without pooling and logits; returns (net, end_points)."""
  return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True,
                   **kwargs)
