"""ResNet v2 (He et al., "Identity Mappings in Deep Residual Networks",
http://arxiv.org/abs/1603.05027): full pre-activation bottleneck units, batch
norm and relu before each convolution. ResNet-50, 101, 152 and 200 differ only
in their block table.

    with slim.arg_scope(resnet_v2.resnet_arg_scope()):
      net, end_points = resnet_v2.resnet_v2_101(images, 1001, is_training=False)

The published checkpoints were trained on 299 x 299 images with Inception
preprocessing and a background class (1001 classes).
"""
import tensorflow as tf

import slim
from slim.nets import registry
from slim.nets import resnet_utils

__all__ = ['bottleneck', 'resnet_arg_scope', 'resnet_v2', 'resnet_v2_block', 'resnet_v2_50',
           'resnet_v2_101', 'resnet_v2_152', 'resnet_v2_200']

resnet_arg_scope = resnet_utils.resnet_arg_scope


@slim.add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None):
  """The pre-activation bottleneck unit of ResNet v2: batch norm + relu
  ('preact'), then 1x1, 3x3 (strided) and 1x1 convolutions added to the
  (projected or subsampled) input, with no activation after the sum.

  Variables in `scope` (default 'bottleneck_v2'): 'preact' (batch norm),
  'conv1', 'conv2', 'conv3' (biases, no batch norm), and 'shortcut' when
  `depth` differs from the input depth.

  Args:
    inputs: a tensor [batch, height, width, channels].
    depth: output depth.
    depth_bottleneck: depth of the first two convolutions.
    stride: the unit's stride (in its 3x3 convolution).
    rate: atrous rate of the 3x3 convolution.
    outputs_collections: collections to add the output to.
    scope: the variable scope.

  Returns:
    The unit's output.
  """
  with tf.compat.v1.variable_scope(scope, 'bottleneck_v2', [inputs]) as sc:
    depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
    preact = slim.batch_norm(inputs, activation_fn=tf.nn.relu, scope='preact')
    if depth == depth_in:
      shortcut = resnet_utils.subsample(inputs, stride, 'shortcut')
    else:
      shortcut = slim.conv2d(preact, depth, [1, 1], stride=stride, normalizer_fn=None,
                             activation_fn=None, scope='shortcut')
    residual = slim.conv2d(preact, depth_bottleneck, [1, 1], stride=1, scope='conv1')
    residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                        scope='conv2')
    residual = slim.conv2d(residual, depth, [1, 1], stride=1, normalizer_fn=None,
                           activation_fn=None, scope='conv3')
    return slim.utils.collect_named_outputs(outputs_collections, sc.name, shortcut + residual)


def resnet_v2(inputs,
              blocks,
              num_classes=None,
              is_training=True,
              global_pool=True,
              output_stride=None,
              include_root_block=True,
              reuse=None,
              scope=None,
              spatial_squeeze=False):
  """Builds a ResNet v2 from its `blocks` (see the resnet_v2_* functions).

  Variables in `scope` (default 'resnet_v2'): 'conv1' (7x7, stride 2, biases
  and no batch norm), the units ('block1/unit_1/bottleneck_v2/preact' ...),
  'postnorm' (batch norm), and 'logits' when `num_classes`.

  Args:
    inputs: a tensor [batch, height, width, channels]; without the root block,
      the output of an activation-less convolution.
    blocks: a list of `resnet_utils.Block`s.
    num_classes: number of classes; None (default) or 0 returns the features
      after 'postnorm' (globally pooled if `global_pool`).
    is_training: batch-norm mode (default True); None leaves it to arg_scope.
    global_pool: average over space before the logits (default True); False
      for dense prediction.
    output_stride: None for the nominal stride 32, or 8, 16, ... (atrous).
    include_root_block: build conv1 and pool1 (default True).
    reuse: reuse the variables of `scope`.
    scope: the variable scope.
    spatial_squeeze: squeeze the logits to [batch, num_classes] (default False,
      as TF-Slim; research/slim's factory squeezes).

  Returns:
    (net, end_points): the logits [batch, 1, 1, num_classes] (or squeezed), or
    the features; end points keyed by scope name ('resnet_v2_50/block1', ...),
    plus 'global_pool' and 'predictions'.

  Raises:
    ValueError: `output_stride` not reachable (or not a multiple of 4 with the
      root block), `inputs` not of rank 4.
  """
  return resnet_utils.build_resnet(
      'resnet_v2', inputs, blocks, unit_fn=bottleneck, preactivation=True,
      num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, include_root_block=include_root_block, reuse=reuse,
      scope=scope, spatial_squeeze=spatial_squeeze)


def resnet_v2_block(scope, base_depth, num_units, stride):
  """A block of `num_units` v2 bottleneck units of depth 4 * `base_depth`, the
  last with `stride` (the others 1)."""
  return resnet_utils.bottleneck_block(scope, bottleneck, base_depth, num_units, stride)


def _resnet_v2_of_depth(depth, inputs, **kwargs):
  """The ResNet v2 of `depth` layers (a row of resnet_utils.UNITS_PER_BLOCK)."""
  blocks = resnet_utils.imagenet_blocks(resnet_v2_block, depth)
  return resnet_utils.build_resnet('resnet_v2_%d' % depth, inputs, blocks,
                                   unit_fn=bottleneck, preactivation=True, **kwargs)


# The checkpoints were trained with Inception preprocessing, at 299, with a
# background class (research/slim's preprocessing_factory says 'vgg', its
# README 'inception').
_REGISTRATION = dict(arg_scope=resnet_arg_scope, default_image_size=224,
                     preprocessing='inception', num_classes=1001,
                     factory_kwargs={'spatial_squeeze': True},
                     small_build=registry.SmallBuild(64, any_image_size=True))


@registry.register_network('resnet_v2_50', **_REGISTRATION)
def resnet_v2_50(inputs, num_classes=None, is_training=True, global_pool=True,
                 output_stride=None, reuse=None, scope='resnet_v2_50', spatial_squeeze=False):
  """ResNet-50 v2: blocks of (3, 4, 6, 3) bottleneck units; 224 x 224 images
  (299 for the published checkpoints). Arguments as `resnet_v2`."""
  return _resnet_v2_of_depth(
      50, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze)


resnet_v2.default_image_size = resnet_v2_50.default_image_size


@registry.register_network('resnet_v2_101', **_REGISTRATION)
def resnet_v2_101(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v2_101', spatial_squeeze=False):
  """ResNet-101 v2: blocks of (3, 4, 23, 3) bottleneck units; arguments as
  `resnet_v2_50`."""
  return _resnet_v2_of_depth(
      101, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze)


@registry.register_network('resnet_v2_152', **_REGISTRATION)
def resnet_v2_152(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v2_152', spatial_squeeze=False):
  """ResNet-152 v2: blocks of (3, 8, 36, 3) bottleneck units; arguments as
  `resnet_v2_50`."""
  return _resnet_v2_of_depth(
      152, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze)


@registry.register_network('resnet_v2_200', **_REGISTRATION)
def resnet_v2_200(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v2_200', spatial_squeeze=False):
  """ResNet-200 v2: blocks of (3, 24, 36, 3) bottleneck units; arguments as
  `resnet_v2_50`."""
  return _resnet_v2_of_depth(
      200, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze)
