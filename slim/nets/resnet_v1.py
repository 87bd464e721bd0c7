"""ResNet v1 (He et al., "Deep Residual Learning for Image Recognition",
http://arxiv.org/abs/1512.03385): bottleneck units with batch norm after the
convolutions. ResNet-50, 101, 152 and 200 differ only in their block table.

    with slim.arg_scope(resnet_v1.resnet_arg_scope()):
      net, end_points = resnet_v1.resnet_v1_101(images, 1000, is_training=False)

For dense prediction, use `global_pool=False` and `output_stride=16` (atrous
convolution in the last block), with inputs of size 32 k + 1 (e.g. 321) so that
feature corners align with image corners.
"""
import tensorflow as tf

import slim
from slim.nets import registry
from slim.nets import resnet_utils

__all__ = ['bottleneck', 'resnet_arg_scope', 'resnet_v1', 'resnet_v1_block', 'resnet_v1_50',
           'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200']

resnet_arg_scope = resnet_utils.resnet_arg_scope


@slim.add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None, use_bounded_activations=False):
  """The bottleneck residual unit of ResNet v1: 1x1, 3x3 (strided), 1x1 convolutions
  added to the (projected or subsampled) input, then relu.

  Variables in `scope` (default 'bottleneck_v1'): 'conv1', 'conv2', 'conv3', and
  'shortcut' when `depth` differs from the input depth.

  Args:
    inputs: a tensor [batch, height, width, channels].
    depth: output depth.
    depth_bottleneck: depth of the first two convolutions.
    stride: the unit's stride (in its 3x3 convolution).
    rate: atrous rate of the 3x3 convolution.
    outputs_collections: collections to add the output to.
    scope: the variable scope.
    use_bounded_activations: relu6 and a clipped residual, for quantized
      inference (default False).

  Returns:
    The unit's output.
  """
  with tf.compat.v1.variable_scope(scope, 'bottleneck_v1', [inputs]) as sc:
    depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
    if depth == depth_in:
      shortcut = resnet_utils.subsample(inputs, stride, 'shortcut')
    else:
      shortcut = slim.conv2d(inputs, depth, [1, 1], stride=stride,
                             activation_fn=tf.nn.relu6 if use_bounded_activations else None,
                             scope='shortcut')
    residual = slim.conv2d(inputs, depth_bottleneck, [1, 1], stride=1, scope='conv1')
    residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                        scope='conv2')
    residual = slim.conv2d(residual, depth, [1, 1], stride=1, activation_fn=None,
                           scope='conv3')
    if use_bounded_activations:
      output = tf.nn.relu6(shortcut + tf.clip_by_value(residual, -6.0, 6.0))
    else:
      output = tf.nn.relu(shortcut + residual)
    return slim.utils.collect_named_outputs(outputs_collections, sc.name, output)


def resnet_v1(inputs,
              blocks,
              num_classes=None,
              is_training=True,
              global_pool=True,
              output_stride=None,
              include_root_block=True,
              reuse=None,
              scope=None,
              spatial_squeeze=False,
              store_non_strided_activations=False):
  """Builds a ResNet v1 from its `blocks` (see the resnet_v1_* functions).

  Variables in `scope` (default 'resnet_v1'): 'conv1' (7x7, stride 2) then
  'block1/unit_1/bottleneck_v1/conv1' ..., and 'logits' when `num_classes`.

  Args:
    inputs: a tensor [batch, height, width, channels].
    blocks: a list of `resnet_utils.Block`s.
    num_classes: number of classes; None (default) or 0 returns the features of
      the last block (globally pooled if `global_pool`).
    is_training: batch-norm mode (default True); None leaves it to arg_scope.
    global_pool: average over space before the logits (default True); False
      for dense prediction.
    output_stride: None for the nominal stride 32, or 8, 16, ... (atrous).
    include_root_block: build conv1 and pool1 (default True).
    reuse: reuse the variables of `scope`.
    scope: the variable scope.
    spatial_squeeze: squeeze the logits to [batch, num_classes] (default False,
      as TF-Slim; research/slim's factory squeezes).
    store_non_strided_activations: keep full-resolution block end points (see
      `resnet_utils.stack_blocks_dense`).

  Returns:
    (net, end_points): the logits [batch, 1, 1, num_classes] (or squeezed), or
    the features; end points keyed by scope name ('resnet_v1_50/block1', ...),
    plus 'global_pool' and 'predictions'.

  Raises:
    ValueError: `output_stride` not reachable (or not a multiple of 4 with the
      root block), `inputs` not of rank 4.
  """
  return resnet_utils.build_resnet(
      'resnet_v1', inputs, blocks, unit_fn=bottleneck, preactivation=False,
      num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, include_root_block=include_root_block, reuse=reuse,
      scope=scope, spatial_squeeze=spatial_squeeze,
      store_non_strided_activations=store_non_strided_activations)


def resnet_v1_block(scope, base_depth, num_units, stride):
  """A block of `num_units` v1 bottleneck units of depth 4 * `base_depth`, the
  last with `stride` (the others 1)."""
  return resnet_utils.bottleneck_block(scope, bottleneck, base_depth, num_units, stride)


def _resnet_v1_of_depth(depth, inputs, *, scope, min_base_depth, depth_multiplier,
                        **kwargs):
  """The ResNet v1 of `depth` layers (a row of resnet_utils.UNITS_PER_BLOCK),
  its bottlenecks thinned to max(int(d * depth_multiplier), min_base_depth)."""
  name = 'resnet_v1_%d' % depth
  blocks = resnet_utils.imagenet_blocks(
      resnet_v1_block, depth,
      resnet_utils.thinned_depth_fn(name, depth_multiplier, min_base_depth))
  return resnet_utils.build_resnet(name, inputs, blocks, unit_fn=bottleneck,
                                   preactivation=False, scope=scope, **kwargs)


# Converted from the authors' Caffe models: 1000 classes, no background class.
_REGISTRATION = dict(arg_scope=resnet_arg_scope, default_image_size=224, preprocessing='vgg',
                     num_classes=1000, labels_offset=1,
                     factory_kwargs={'spatial_squeeze': True},
                     small_build=registry.SmallBuild(64, {'depth_multiplier': 0.25},
                                                     any_image_size=True))


@registry.register_network('resnet_v1_50', **_REGISTRATION)
def resnet_v1_50(inputs, num_classes=None, is_training=True, global_pool=True,
                 output_stride=None, reuse=None, scope='resnet_v1_50', spatial_squeeze=False,
                 store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1):
  """ResNet-50 v1: blocks of (3, 4, 6, 3) bottleneck units; 224 x 224 images.

  Arguments as `resnet_v1`; `depth_multiplier` (1, a number >= 0) and
  `min_base_depth` (8) thin the bottleneck depths d to
  max(int(d * depth_multiplier), min_base_depth): with depth_multiplier=0 every
  block has bottleneck depth `min_base_depth`.

  Raises:
    ValueError: as `resnet_v1`; a negative depth_multiplier or min_base_depth,
      or both giving depth 0.
  """
  return _resnet_v1_of_depth(
      50, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze,
      store_non_strided_activations=store_non_strided_activations,
      min_base_depth=min_base_depth, depth_multiplier=depth_multiplier)


resnet_v1.default_image_size = resnet_v1_50.default_image_size


@registry.register_network('resnet_v1_101', **_REGISTRATION)
def resnet_v1_101(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v1_101', spatial_squeeze=False,
                  store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1):
  """ResNet-101 v1: blocks of (3, 4, 23, 3) bottleneck units; arguments as
  `resnet_v1_50`."""
  return _resnet_v1_of_depth(
      101, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze,
      store_non_strided_activations=store_non_strided_activations,
      min_base_depth=min_base_depth, depth_multiplier=depth_multiplier)


@registry.register_network('resnet_v1_152', **_REGISTRATION)
def resnet_v1_152(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v1_152', spatial_squeeze=False,
                  store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1):
  """ResNet-152 v1: blocks of (3, 8, 36, 3) bottleneck units; arguments as
  `resnet_v1_50`."""
  return _resnet_v1_of_depth(
      152, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze,
      store_non_strided_activations=store_non_strided_activations,
      min_base_depth=min_base_depth, depth_multiplier=depth_multiplier)


@registry.register_network('resnet_v1_200', **_REGISTRATION)
def resnet_v1_200(inputs, num_classes=None, is_training=True, global_pool=True,
                  output_stride=None, reuse=None, scope='resnet_v1_200', spatial_squeeze=False,
                  store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1):
  """ResNet-200 v1: blocks of (3, 24, 36, 3) bottleneck units; arguments as
  `resnet_v1_50`."""
  return _resnet_v1_of_depth(
      200, inputs, num_classes=num_classes, is_training=is_training, global_pool=global_pool,
      output_stride=output_stride, reuse=reuse, scope=scope, spatial_squeeze=spatial_squeeze,
      store_non_strided_activations=store_non_strided_activations,
      min_base_depth=min_base_depth, depth_multiplier=depth_multiplier)
