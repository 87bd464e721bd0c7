"""Building blocks of the ResNets (resnet_v1, resnet_v2): blocks of units, padded
strided convolutions, dense (atrous) stacking of blocks, and the arg scope.

A ResNet is a list of `Block`s; a block is a scope, a unit function and one
dict of unit arguments per unit, e.g.

    Block('block1', bottleneck, [{'depth': 256, 'depth_bottleneck': 64, 'stride': 1}] * 2
                                + [{'depth': 256, 'depth_bottleneck': 64, 'stride': 2}])

As in the reference implementation, a block subsamples in its last unit (not
its first): the results are the same and the memory use is lower.
"""
import collections
import contextlib

import tensorflow as tf

import slim
from slim import _checks
from slim.nets import _common

__all__ = ['Block', 'bottleneck_block', 'build_resnet', 'conv2d_same', 'imagenet_blocks',
           'resnet_arg_scope', 'stack_blocks_dense', 'subsample', 'thinned_depth_fn']

# The ImageNet ResNets of both versions: units per block, by depth; bottleneck
# depths and strides of the four blocks.
UNITS_PER_BLOCK = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
    200: (3, 24, 36, 3),
}
BLOCK_BASE_DEPTHS = (64, 128, 256, 512)
BLOCK_STRIDES = (2, 2, 2, 1)


class Block(collections.namedtuple('Block', ['scope', 'unit_fn', 'args'])):
  """A ResNet block: `scope` (its name), `unit_fn` (the residual unit, called as
  `unit_fn(net, rate=..., **unit_args)`) and `args` (a list of dicts of unit
  arguments, one per unit: 'depth', 'depth_bottleneck', 'stride')."""


def bottleneck_block(scope, unit_fn, base_depth, num_units, stride):
  """A `Block` of `num_units` bottleneck units (`unit_fn`) of depth 4 *
  `base_depth` and bottleneck depth `base_depth`; the last unit has `stride`,
  the others 1."""
  unit = {'depth': base_depth * 4, 'depth_bottleneck': base_depth}
  return Block(scope, unit_fn, [dict(unit, stride=1)] * (num_units - 1)
               + [dict(unit, stride=stride)])


def imagenet_blocks(block_fn, depth, base_depth=lambda d: d):
  """The four blocks 'block1' ... 'block4' of the ResNet of `depth` layers,
  made by `block_fn(scope, base_depth, num_units, stride)` (resnet_v1_block,
  resnet_v2_block); `base_depth` maps the nominal bottleneck depths (thinning)."""
  return [block_fn('block%d' % i, base_depth(d), units, stride)
          for i, (d, units, stride) in enumerate(
              zip(BLOCK_BASE_DEPTHS, UNITS_PER_BLOCK[depth], BLOCK_STRIDES), 1)]


def thinned_depth_fn(network, depth_multiplier, min_base_depth):
  """The bottleneck depth of a thinned ResNet, `d -> max(int(d * depth_multiplier),
  min_base_depth)` (research/slim's rule: `min_base_depth` decides where the
  product is smaller, so depth_multiplier=0 gives every block `min_base_depth`).

  Raises:
    ValueError: depth_multiplier not a number >= 0, min_base_depth not an int
      >= 0, or both 0 (every depth would be 0).
  """
  _checks.check_number(network, 'depth_multiplier', depth_multiplier)
  if depth_multiplier < 0:
    raise ValueError('%s: depth_multiplier must be >= 0 (0 gives every block '
                     'min_base_depth), received %r' % (network, depth_multiplier))
  _checks.check_count(network, 'min_base_depth', min_base_depth, allow_zero=True)
  if min(BLOCK_BASE_DEPTHS) * depth_multiplier < 1 and min_base_depth < 1:
    raise ValueError('%s: depth_multiplier=%r with min_base_depth=%r makes blocks of '
                     'depth 0; raise either' % (network, depth_multiplier, min_base_depth))
  return lambda d: max(int(d * depth_multiplier), min_base_depth)


def subsample(inputs, factor, scope=None):
  """Keeps every `factor`-th row and column of `inputs` (a 1x1 max pool).

  Args:
    inputs: a tensor [batch, height, width, channels].
    factor: the subsampling factor; 1 returns `inputs` itself.
    scope: optional name scope.

  Returns:
    The subsampled tensor.
  """
  if factor == 1:
    return inputs
  return slim.max_pool2d(inputs, [1, 1], stride=factor, scope=scope)


def conv2d_same(inputs, num_outputs, kernel_size, stride, rate=1, scope=None):
  """A strided 2-d convolution with 'SAME' padding independent of the input size.

  For stride > 1 the input is zero-padded explicitly by the effective kernel
  size minus one and convolved with 'VALID' padding, so that the result equals
  a stride-1 'SAME' convolution followed by `subsample` -- which a 'SAME'
  strided convolution is not for even input sizes.

  Variables: those of `slim.conv2d` in `scope`.

  Args:
    inputs: a tensor [batch, height, width, channels].
    num_outputs: number of output channels.
    kernel_size: an int, the size of the square kernel.
    stride: an int, the output stride.
    rate: an int, the atrous (dilation) rate (default 1).
    scope: the variable scope.

  Returns:
    The convolution's output.
  """
  if stride == 1:
    return slim.conv2d(inputs, num_outputs, kernel_size, stride=1, rate=rate,
                       padding='SAME', scope=scope)
  effective_kernel = kernel_size + (kernel_size - 1) * (rate - 1)
  pad_begin = (effective_kernel - 1) // 2
  pad_end = effective_kernel - 1 - pad_begin
  inputs = tf.pad(inputs, [[0, 0], [pad_begin, pad_end], [pad_begin, pad_end], [0, 0]])
  return slim.conv2d(inputs, num_outputs, kernel_size, stride=stride, rate=rate,
                     padding='VALID', scope=scope)


_STRIDE_ERROR = 'The target output_stride cannot be reached.'


def _dense_plan(blocks, output_stride, store_non_strided_activations):
  """How each unit and block is built for `output_stride`, worked out before
  any variable exists.

  Returns:
    For each block, (units, block_stride, block_rate_factor): `units` is a list
    of (stride, rate) for the units; `block_stride` subsamples the block's
    output (stored non-strided activations only); once the target stride is
    reached, strides turn into atrous rates.

  Raises:
    ValueError: the product of the strides never equals `output_stride`.
  """
  plan, current_stride, rate = [], 1, 1
  for block in blocks:
    units, block_stride = [], 1
    for i, unit in enumerate(block.args):
      stride = unit.get('stride', 1)
      if store_non_strided_activations and i == len(block.args) - 1:
        block_stride, stride = stride, 1
      if output_stride is not None and current_stride == output_stride:
        units.append((1, rate))
        rate *= stride
      else:
        units.append((stride, 1))
        current_stride *= stride
        if output_stride is not None and current_stride > output_stride:
          raise ValueError(_STRIDE_ERROR)
    if output_stride is not None and current_stride == output_stride:
      rate *= block_stride
      block_stride = 1
    else:
      current_stride *= block_stride
      if output_stride is not None and current_stride > output_stride:
        raise ValueError(_STRIDE_ERROR)
    plan.append((units, block_stride))
  if output_stride is not None and current_stride != output_stride:
    raise ValueError(_STRIDE_ERROR)
  return plan


@slim.add_arg_scope
def stack_blocks_dense(net, blocks, output_stride=None, outputs_collections=None,
                       store_non_strided_activations=False):
  """Stacks ResNet `blocks`, with atrous convolution past `output_stride`.

  Builds scopes 'block_name/unit_1', 'block_name/unit_2', ... When the product
  of the unit strides reaches `output_stride`, later units run with stride 1
  and an atrous rate equal to the strides they skip, so the output keeps the
  requested resolution (dense prediction, http://arxiv.org/abs/1606.00915).

  Args:
    net: a tensor [batch, height, width, channels].
    blocks: a list of `Block`s.
    output_stride: None for the nominal stride, else the ratio of input to
      output resolution: a product of the unit strides from the start.
    outputs_collections: collections to add each block's output to.
    store_non_strided_activations: move the stride of each block's last unit
      to a subsampling after the block, so that the end point of the block
      keeps the full resolution (default False).

  Returns:
    The output tensor, at `output_stride`.

  Raises:
    ValueError: `output_stride` cannot be reached (raised before any variable
      is created).
  """
  plan = _dense_plan(blocks, output_stride, store_non_strided_activations)
  for block, (units, block_stride) in zip(blocks, plan):
    with tf.compat.v1.variable_scope(block.scope, 'block', [net]) as sc:
      for i, (unit, (stride, rate)) in enumerate(zip(block.args, units)):
        with tf.compat.v1.variable_scope('unit_%d' % (i + 1), values=[net]):
          net = block.unit_fn(net, rate=rate, **dict(unit, stride=stride))
      net = slim.utils.collect_named_outputs(outputs_collections, sc.name, net)
      net = subsample(net, block_stride)
  return net


def _blocks_output_stride(network, output_stride, include_root_block):
  """The output stride asked of the blocks: conv1 and pool1 already divide the
  resolution by 4."""
  if output_stride is None or not include_root_block:
    return output_stride
  if output_stride % 4 != 0:
    raise ValueError('%s: The output_stride needs to be a multiple of 4, received %r'
                     % (network, output_stride))
  return output_stride / 4


def _batch_norm_mode(is_training):
  """arg_scope setting batch norm's mode; None leaves it to the caller's arg_scope."""
  if is_training is None:
    return contextlib.nullcontext()
  return slim.arg_scope([slim.batch_norm], is_training=is_training)


def build_resnet(network, inputs, blocks, *, unit_fn, preactivation, num_classes=None,
                 is_training=True, global_pool=True, output_stride=None,
                 include_root_block=True, reuse=None, scope=None, spatial_squeeze=False,
                 store_non_strided_activations=False):
  """Builds ResNet v1 (`preactivation=False`) or v2 (True); see resnet_v1.resnet_v1.

  `network` names the network in messages (and is the default scope); the
  other arguments after `blocks` are keyword-only, with resnet_v1's defaults.

  The root block is a 7x7 stride-2 'conv1' (without batch norm and activation
  in v2, whose units normalize their inputs) and a 3x3 stride-2 'pool1'; then
  the blocks; v2 adds a final batch norm + relu ('postnorm'); then the optional
  global pool ('pool5', end point 'global_pool') and 1x1 'logits' (end points
  '<scope>/logits', '<scope>/spatial_squeeze' and 'predictions').
  `unit_fn` is the family's residual unit, given the outputs collection.
  """
  inputs = _common.check_images(network, inputs)
  _common.check_num_classes(network, num_classes)
  output_stride = _blocks_output_stride(network, output_stride, include_root_block)
  _dense_plan(blocks, output_stride, store_non_strided_activations)  # checks, before variables
  with tf.compat.v1.variable_scope(scope, network, [inputs], reuse=reuse) as sc:
    end_points_collection = sc.original_name_scope + '_end_points'
    with slim.arg_scope([slim.conv2d, unit_fn, stack_blocks_dense],
                        outputs_collections=end_points_collection), \
         _batch_norm_mode(is_training):
      net = inputs
      if include_root_block:
        root_params = {'activation_fn': None, 'normalizer_fn': None} if preactivation else {}
        with slim.arg_scope([slim.conv2d], **root_params):
          net = conv2d_same(net, 64, 7, stride=2, scope='conv1')
        net = slim.max_pool2d(net, [3, 3], stride=2, scope='pool1')
      net = stack_blocks_dense(net, blocks, output_stride,
                               store_non_strided_activations=store_non_strided_activations)
      if preactivation:
        net = slim.batch_norm(net, activation_fn=tf.nn.relu, scope='postnorm')
      end_points = slim.utils.convert_collection_to_dict(end_points_collection)
      if global_pool:
        net = _common.global_pool(net, end_points, name='pool5')
      if num_classes:
        net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                          scope='logits')
        end_points[sc.name + '/logits'] = net
        if spatial_squeeze:
          net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
          end_points[sc.name + '/spatial_squeeze'] = net
        end_points['predictions'] = slim.softmax(net, scope='predictions')
      return net, end_points


def resnet_arg_scope(weight_decay=0.0001,
                     batch_norm_decay=0.997,
                     batch_norm_epsilon=1e-5,
                     batch_norm_scale=True,
                     activation_fn=tf.nn.relu,
                     use_batch_norm=True,
                     batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS):
  """The ResNet arg scope: He initialization, L2 weight decay, batch norm with
  the statistics of the released ResNet models, and SAME max pooling.

  Args:
    weight_decay: L2 regularization scale of the convolution weights (0.0001).
    batch_norm_decay: moving-average decay of batch norm (0.997).
    batch_norm_epsilon: added to the variance in batch norm (1e-5).
    batch_norm_scale: give batch norm a `gamma` (default True).
    activation_fn: activation of the convolutions (default relu).
    use_batch_norm: normalize the convolutions with batch norm (default True).
    batch_norm_updates_collections: where batch norm puts its update ops
      (default UPDATE_OPS).

  Returns:
    An arg_scope to build the ResNets in.
  """
  batch_norm_params = {
      'decay': batch_norm_decay,
      'epsilon': batch_norm_epsilon,
      'scale': batch_norm_scale,
      'updates_collections': batch_norm_updates_collections,
  }
  with slim.arg_scope([slim.conv2d],
                      weights_regularizer=slim.l2_regularizer(weight_decay),
                      weights_initializer=slim.variance_scaling_initializer(),
                      activation_fn=activation_fn,
                      normalizer_fn=slim.batch_norm if use_batch_norm else None,
                      normalizer_params=batch_norm_params):
    with slim.arg_scope([slim.batch_norm], **batch_norm_params):
      # SAME padding for pool1 aligns features with the image (dense prediction).
      with slim.arg_scope([slim.max_pool2d], padding='SAME') as arg_sc:
        return arg_sc
