"""MobileNet v1, as research/slim defines it (Howard et al. 2017, arXiv:1704.04861).

The body is data: `MOBILENETV1_CONV_DEFS`, one full 3x3 convolution then 13
depthwise-separable ones (`DepthSepConv`: a 3x3 depthwise convolution
`Conv2d_<i>_depthwise` and a 1x1 pointwise one `Conv2d_<i>_pointwise`).
`depth_multiplier` thins every layer (never below `min_depth`);
`mobilenet_v1_075`, `_050` and `_025` are the thin variants. Batch norm,
relu6 and the initializers come from `mobilenet_v1_arg_scope()`, under which
the published checkpoints (mobilenet_v1_<multiplier>_<size>, 1001 classes with
class 0 background) were trained:

    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(is_training=False)):
      logits, end_points = mobilenet_v1.mobilenet_v1(images, num_classes=1001,
                                                     is_training=False)

The body of the 1.0 network has 3,185,088 weights; with batch norm and the
1001-class logits the published 1.0 checkpoint holds 4,254,889 numbers.
"""
import collections

import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import registry

__all__ = ['Conv', 'DepthSepConv', 'MOBILENETV1_CONV_DEFS', 'mobilenet_v1', 'mobilenet_v1_025',
           'mobilenet_v1_050', 'mobilenet_v1_075', 'mobilenet_v1_arg_scope',
           'mobilenet_v1_base', 'wrapped_partial']

# A full convolution, and a depthwise-separable one (3x3 depthwise, then 1x1 to
# `depth` channels); `stride` applies to the (depthwise) 3x3 convolution.
Conv = collections.namedtuple('Conv', ['kernel', 'stride', 'depth'])
DepthSepConv = collections.namedtuple('DepthSepConv', ['kernel', 'stride', 'depth'])

# The body; the shapes are those of a 224 x 224 x 3 input at depth_multiplier 1.
MOBILENETV1_CONV_DEFS = [
    Conv(kernel=[3, 3], stride=2, depth=32),            # 0: 112 x 112 x 32
    DepthSepConv(kernel=[3, 3], stride=1, depth=64),    # 1: 112 x 112 x 64
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),   # 2: 56 x 56 x 128
    DepthSepConv(kernel=[3, 3], stride=1, depth=128),   # 3: 56 x 56 x 128
    DepthSepConv(kernel=[3, 3], stride=2, depth=256),   # 4: 28 x 28 x 256
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),   # 5: 28 x 28 x 256
    DepthSepConv(kernel=[3, 3], stride=2, depth=512),   # 6: 14 x 14 x 512
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),   # 7
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),   # 8
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),   # 9
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),   # 10
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),   # 11: 14 x 14 x 512
    DepthSepConv(kernel=[3, 3], stride=2, depth=1024),  # 12: 7 x 7 x 1024
    DepthSepConv(kernel=[3, 3], stride=1, depth=1024),  # 13: 7 x 7 x 1024
]

_OUTPUT_STRIDES = (8, 16, 32)


def _fixed_padding(inputs, kernel_size, rate=1):
  """Pads height and width so that a VALID convolution of `kernel_size` at
  `rate` gives the output size of a SAME one, whatever the input size."""
  padding = []
  for size in kernel_size[:2]:
    total = size + (size - 1) * (rate - 1) - 1
    padding.append([total // 2, total - total // 2])
  return tf.pad(inputs, [[0, 0]] + padding + [[0, 0]])


def _end_point_names(conv_defs):
  names = []
  for index, conv_def in enumerate(conv_defs):
    if isinstance(conv_def, DepthSepConv):
      names += ['Conv2d_%d_depthwise' % index, 'Conv2d_%d_pointwise' % index]
    else:
      names.append('Conv2d_%d' % index)
  return names


def _check_base_arguments(final_endpoint, depth_multiplier, conv_defs, output_stride):
  function = 'mobilenet_v1_base'
  _common.check_depth_multiplier(function, depth_multiplier)
  if output_stride is not None and output_stride not in _OUTPUT_STRIDES:
    raise ValueError('%s: Only allowed output_stride values are 8, 16, 32; received %r'
                     % (function, output_stride))
  for index, conv_def in enumerate(conv_defs):
    if not isinstance(conv_def, (Conv, DepthSepConv)):
      raise ValueError('%s: Unknown convolution type %s for layer %d; expected Conv or '
                       'DepthSepConv' % (function, type(conv_def).__name__, index))
  _common.check_final_endpoint(function, final_endpoint, _end_point_names(conv_defs))


def mobilenet_v1_base(inputs,
                      final_endpoint='Conv2d_13_pointwise',
                      min_depth=8,
                      depth_multiplier=1.0,
                      conv_defs=None,
                      output_stride=None,
                      use_explicit_padding=False,
                      scope=None):
  """Builds the MobileNet v1 body from `inputs` up to `final_endpoint`.

  Creates `Conv2d_0/weights`, then per separable layer
  `Conv2d_<i>_depthwise/depthwise_weights` and `Conv2d_<i>_pointwise/weights`
  (plus batch norm or biases, as the arg scope says).

  Args:
    inputs: a tensor `[batch, height, width, channels]`.
    final_endpoint: the last end point to build: 'Conv2d_0',
      'Conv2d_<i>_depthwise' or 'Conv2d_<i>_pointwise' (i = 1 ... 13 for the
      default body). Default 'Conv2d_13_pointwise'.
    min_depth: the least number of channels of a thinned layer. Default 8.
    depth_multiplier: multiplies the depth of every layer; must be > 0.
      Default 1.0.
    conv_defs: the body, a list of `Conv` and `DepthSepConv`; default
      `MOBILENETV1_CONV_DEFS`.
    output_stride: None, or 8, 16 or 32: the largest ratio of input to output
      size; beyond it strides become atrous rates. Default None.
    use_explicit_padding: pad the inputs explicitly and convolve with VALID
      padding, giving the sizes of SAME padding. Default False.
    scope: the variable scope; default 'MobilenetV1'.

  Returns:
    The output of `final_endpoint` and the dict of end points built so far.

  Raises:
    ValueError: `depth_multiplier` <= 0, `output_stride` not None, 8, 16 or 32,
      an entry of `conv_defs` neither `Conv` nor `DepthSepConv`, or an unknown
      `final_endpoint` (all before any variable is created).
  """
  conv_defs = MOBILENETV1_CONV_DEFS if conv_defs is None else conv_defs
  _check_base_arguments(final_endpoint, depth_multiplier, conv_defs, output_stride)

  def depth(channels):
    return max(int(channels * depth_multiplier), min_depth)

  padding = 'VALID' if use_explicit_padding else 'SAME'
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'MobilenetV1', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding=padding):
      # Once the product of the strides so far reaches `output_stride`, later
      # strides become atrous rates.
      current_stride, rate = 1, 1
      net = inputs
      for index, conv_def in enumerate(conv_defs):
        if output_stride is not None and current_stride == output_stride:
          layer_stride, layer_rate = 1, rate
          rate *= conv_def.stride
        else:
          layer_stride, layer_rate = conv_def.stride, 1
          current_stride *= conv_def.stride

        if isinstance(conv_def, Conv):
          end_point = 'Conv2d_%d' % index
          if use_explicit_padding:
            net = _fixed_padding(net, conv_def.kernel)
          net = end_points[end_point] = slim.conv2d(
              net, depth(conv_def.depth), conv_def.kernel, stride=conv_def.stride,
              scope=end_point)
          if end_point == final_endpoint:
            break
          continue

        end_point = 'Conv2d_%d_depthwise' % index
        if use_explicit_padding:
          net = _fixed_padding(net, conv_def.kernel, layer_rate)
        # num_outputs=None: the depthwise convolution alone.
        net = end_points[end_point] = slim.separable_conv2d(
            net, None, conv_def.kernel, depth_multiplier=1, stride=layer_stride,
            rate=layer_rate, scope=end_point)
        if end_point == final_endpoint:
          break
        end_point = 'Conv2d_%d_pointwise' % index
        net = end_points[end_point] = slim.conv2d(net, depth(conv_def.depth), [1, 1],
                                                  stride=1, scope=end_point)
        if end_point == final_endpoint:
          break
  return net, end_points


def _reduced_kernel_size_for_small_input(input_tensor, kernel_size):
  """`kernel_size`, shrunk to the static height and width of `input_tensor`
  (unchanged where those are unknown)."""
  shape = input_tensor.get_shape().as_list()
  if shape[1] is None or shape[2] is None:
    return kernel_size
  return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def mobilenet_v1_arg_scope(
    is_training=True,
    weight_decay=0.00004,
    stddev=0.09,
    regularize_depthwise=False,
    batch_norm_decay=0.9997,
    batch_norm_epsilon=0.001,
    batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
    normalizer_fn=slim.batch_norm):
  """The arg scope MobileNet v1 was trained with.

  conv2d and separable_conv2d get truncated-normal initialization, relu6 and
  `normalizer_fn`; batch norm has `beta` and `gamma`; L2 weight decay on the
  conv2d weights, and on the depthwise weights with `regularize_depthwise`.

  Args:
    is_training: training mode of batch norm; None leaves it out of the scope
      (to set it elsewhere). Default True.
    weight_decay: L2 scale of the weights. Default 0.00004.
    stddev: standard deviation of the truncated-normal initializer. Default 0.09.
    regularize_depthwise: also regularize the depthwise weights. Default False.
    batch_norm_decay: decay of the moving averages. Default 0.9997.
    batch_norm_epsilon: added to the variance. Default 0.001.
    batch_norm_updates_collections: collection of the moving-average updates.
      Default UPDATE_OPS.
    normalizer_fn: normalizer of the convolutions. Default slim.batch_norm.

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  batch_norm_params = {
      'center': True,
      'scale': True,
      'decay': batch_norm_decay,
      'epsilon': batch_norm_epsilon,
      'updates_collections': batch_norm_updates_collections,
  }
  if is_training is not None:
    batch_norm_params['is_training'] = is_training

  weights_init = tf.compat.v1.truncated_normal_initializer(stddev=stddev)
  regularizer = slim.l2_regularizer(weight_decay)
  depthwise_regularizer = regularizer if regularize_depthwise else None
  with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                      weights_initializer=weights_init,
                      activation_fn=tf.nn.relu6, normalizer_fn=normalizer_fn):
    with slim.arg_scope([slim.batch_norm], **batch_norm_params):
      with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
        with slim.arg_scope([slim.separable_conv2d],
                            weights_regularizer=depthwise_regularizer) as scope:
          return scope


# The published checkpoints (mobilenet_v1_<multiplier>_<size>) have 1001 classes.
_REGISTRATION = dict(arg_scope=mobilenet_v1_arg_scope, default_image_size=224,
                     preprocessing='inception', num_classes=1001)


@registry.register_network(
    'mobilenet_v1', **_REGISTRATION,
    small_build=registry.SmallBuild(64, {'depth_multiplier': 0.25, 'global_pool': True},
                                    any_image_size=True))
def mobilenet_v1(inputs,
                 num_classes=1000,
                 dropout_keep_prob=0.999,
                 is_training=True,
                 min_depth=8,
                 depth_multiplier=1.0,
                 conv_defs=None,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='MobilenetV1',
                 global_pool=False):
  """MobileNet v1 for classification.

  After the body: an average pool (7 x 7, or smaller for small inputs, or
  global), dropout, and a 1x1 convolution to the logits
  (`Logits/Conv2d_1c_1x1`, with biases).

  Args:
    inputs: a tensor `[batch, height, width, channels]`; batch, height and
      width may be unknown.
    num_classes: number of classes; 0 or None omits the logits and returns the
      pooled features `[batch, 1, 1, depth]` (before dropout). Default 1000.
    dropout_keep_prob: fraction kept by the dropout. Default 0.999.
    is_training: training mode of batch norm and dropout. Default True.
    min_depth, depth_multiplier, conv_defs: as for `mobilenet_v1_base`.
    prediction_fn: maps the logits to 'Predictions' (None: no predictions).
      Default softmax.
    spatial_squeeze: squeeze the logits to `[batch, num_classes]`; otherwise
      `[batch, 1, 1, num_classes]`. Default True.
    reuse: reuse the variables of `scope`.
    scope: the variable scope. Default 'MobilenetV1'.
    global_pool: average over the whole map, whatever its size; otherwise a
      7 x 7 VALID pool, which leaves larger maps larger than 1 x 1. Default False.

  Returns:
    The logits (or the pre-logits features) and the dict of end points: those
    of `mobilenet_v1_base`, 'AvgPool_1a' or 'global_pool', 'Logits',
    'Predictions'.

  Raises:
    ValueError: `inputs` is not of rank 4, or as `mobilenet_v1_base`.
  """
  input_shape = tf.TensorShape(inputs.shape)
  if input_shape.rank != 4:
    raise ValueError('mobilenet_v1: Invalid input tensor rank, expected 4, was: %s '
                     '(shape %s)' % (input_shape.rank, input_shape))

  with tf.compat.v1.variable_scope(scope, 'MobilenetV1', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = mobilenet_v1_base(inputs, scope=scope, min_depth=min_depth,
                                          depth_multiplier=depth_multiplier,
                                          conv_defs=conv_defs)
      with tf.compat.v1.variable_scope('Logits'):
        if global_pool:
          net = end_points['global_pool'] = tf.reduce_mean(
              net, axis=[1, 2], keepdims=True, name='global_pool')
        else:
          kernel_size = _reduced_kernel_size_for_small_input(net, [7, 7])
          net = end_points['AvgPool_1a'] = slim.avg_pool2d(
              net, kernel_size, padding='VALID', scope='AvgPool_1a')
        if not num_classes:
          return net, end_points
        # 1 x 1 x 1024
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope='Dropout_1b')
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                             normalizer_fn=None, scope='Conv2d_1c_1x1')
        if spatial_squeeze:
          logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
      end_points['Logits'] = logits
      if prediction_fn:
        end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points


wrapped_partial = _common.wrapped_partial

# The thin variants: small builds at their own depth.
_THIN_SMALL_BUILD = registry.SmallBuild(64, {'global_pool': True}, any_image_size=True)


@registry.register_network('mobilenet_v1_075', **_REGISTRATION, small_build=_THIN_SMALL_BUILD)
def mobilenet_v1_075(inputs, num_classes=1000, dropout_keep_prob=0.999, is_training=True,
                     min_depth=8, depth_multiplier=0.75, conv_defs=None,
                     prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
                     scope='MobilenetV1', global_pool=False):
  """MobileNet v1 with depth multiplier 0.75 (checkpoints mobilenet_v1_0.75_*);
  arguments as `mobilenet_v1`."""
  return mobilenet_v1(
      inputs, num_classes=num_classes, dropout_keep_prob=dropout_keep_prob,
      is_training=is_training, min_depth=min_depth, depth_multiplier=depth_multiplier,
      conv_defs=conv_defs, prediction_fn=prediction_fn, spatial_squeeze=spatial_squeeze,
      reuse=reuse, scope=scope, global_pool=global_pool)


@registry.register_network('mobilenet_v1_050', **_REGISTRATION, small_build=_THIN_SMALL_BUILD)
def mobilenet_v1_050(inputs, num_classes=1000, dropout_keep_prob=0.999, is_training=True,
                     min_depth=8, depth_multiplier=0.50, conv_defs=None,
                     prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
                     scope='MobilenetV1', global_pool=False):
  """MobileNet v1 with depth multiplier 0.5 (checkpoints mobilenet_v1_0.5_*);
  arguments as `mobilenet_v1`."""
  return mobilenet_v1(
      inputs, num_classes=num_classes, dropout_keep_prob=dropout_keep_prob,
      is_training=is_training, min_depth=min_depth, depth_multiplier=depth_multiplier,
      conv_defs=conv_defs, prediction_fn=prediction_fn, spatial_squeeze=spatial_squeeze,
      reuse=reuse, scope=scope, global_pool=global_pool)


@registry.register_network('mobilenet_v1_025', **_REGISTRATION, small_build=_THIN_SMALL_BUILD)
def mobilenet_v1_025(inputs, num_classes=1000, dropout_keep_prob=0.999, is_training=True,
                     min_depth=8, depth_multiplier=0.25, conv_defs=None,
                     prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
                     scope='MobilenetV1', global_pool=False):
  """MobileNet v1 with depth multiplier 0.25 (checkpoints mobilenet_v1_0.25_*);
  arguments as `mobilenet_v1`."""
  return mobilenet_v1(
      inputs, num_classes=num_classes, dropout_keep_prob=dropout_keep_prob,
      is_training=is_training, min_depth=min_depth, depth_multiplier=depth_multiplier,
      conv_defs=conv_defs, prediction_fn=prediction_fn, spatial_squeeze=spatial_squeeze,
      reuse=reuse, scope=scope, global_pool=global_pool)
