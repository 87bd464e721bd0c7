"""Inception v2 (Ioffe & Szegedy, "Batch Normalization", http://arxiv.org/abs/1502.03167):
the BN-Inception network, with a depthwise separable first convolution.

    with slim.arg_scope(inception_v2.inception_v2_arg_scope()):
      logits, end_points = inception_v2.inception_v2(images, num_classes=1001)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import inception_utils
from slim.nets import inception_v3
from slim.nets import registry
from slim.nets.inception_utils import AvgPool, Call, Conv, MaxPool, Mixed

__all__ = ['inception_v2', 'inception_v2_arg_scope', 'inception_v2_base']

# tf_slim's and research/slim's module-level initializer helper.
trunc_normal = _common.trunc_normal


def _first_conv(net, scope, depth):
  """Conv2d_1a_7x7, separable: its depthwise multiplier keeps it from being
  overparameterized."""
  return slim.separable_conv2d(net, depth(64), [7, 7],
                               depth_multiplier=min(int(depth(64) / 3), 8), stride=2,
                               padding='SAME', weights_initializer=_common.trunc_normal(1.0),
                               scope=scope)


def _mixed(scope, b0, b1, b2, b3, pool=AvgPool, pool_scope='AvgPool_0a_3x3'):
  """An Inception v2 module: 1x1 | 1x1, 3x3 | 1x1, 3x3, 3x3 | 3x3 pool, 1x1.
  The 'b' arguments are the depths of each branch's convolutions."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', b0, [1, 1]),),
      (Conv('Conv2d_0a_1x1', b1[0], [1, 1], stddev=0.09), Conv('Conv2d_0b_3x3', b1[1], [3, 3])),
      (Conv('Conv2d_0a_1x1', b2[0], [1, 1], stddev=0.09), Conv('Conv2d_0b_3x3', b2[1], [3, 3]),
       Conv('Conv2d_0c_3x3', b2[1], [3, 3])),
      (pool(pool_scope, [3, 3]), Conv('Conv2d_0b_1x1', b3, [1, 1], stddev=0.1)),
  ])


def _reduction(scope, b0, b1):
  """A grid-size reduction module: 1x1, 3x3/2 | 1x1, 3x3, 3x3/2 | 3x3/2 max pool."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', b0[0], [1, 1], stddev=0.09),
       Conv('Conv2d_1a_3x3', b0[1], [3, 3], stride=2)),
      (Conv('Conv2d_0a_1x1', b1[0], [1, 1], stddev=0.09), Conv('Conv2d_0b_3x3', b1[1], [3, 3]),
       Conv('Conv2d_1a_3x3', b1[1], [3, 3], stride=2)),
      (MaxPool('MaxPool_1a_3x3', [3, 3], stride=2),),
  ])


def _root_stages(use_separable_conv):
  """The layers before the Inception modules."""
  return (
      # 224 x 224 x 3
      Call('Conv2d_1a_7x7', _first_conv) if use_separable_conv else
      Conv('Conv2d_1a_7x7', 64, [7, 7], stride=2, stddev=1.0),
      # 112 x 112 x 64
      MaxPool('MaxPool_2a_3x3', [3, 3], stride=2),
      # 56 x 56 x 64
      Conv('Conv2d_2b_1x1', 64, [1, 1], stddev=0.1),
      Conv('Conv2d_2c_3x3', 192, [3, 3]),
      # 56 x 56 x 192
      MaxPool('MaxPool_3a_3x3', [3, 3], stride=2),
  )


MIXED_STAGES = (
    # 28 x 28 x 192
    _mixed('Mixed_3b', 64, (64, 64), (64, 96), 32),
    # 28 x 28 x 256
    _mixed('Mixed_3c', 64, (64, 96), (64, 96), 64),
    # 28 x 28 x 320
    _reduction('Mixed_4a', (128, 160), (64, 96)),
    # 14 x 14 x 576
    _mixed('Mixed_4b', 224, (64, 96), (96, 128), 128),
    _mixed('Mixed_4c', 192, (96, 128), (96, 128), 128),
    _mixed('Mixed_4d', 160, (128, 160), (128, 160), 96),
    _mixed('Mixed_4e', 96, (128, 192), (160, 192), 96),
    # 14 x 14 x 576
    _reduction('Mixed_5a', (128, 192), (192, 256)),
    # 7 x 7 x 1024
    _mixed('Mixed_5b', 352, (192, 320), (160, 224), 128),
    _mixed('Mixed_5c', 352, (192, 320), (192, 224), 128, MaxPool, 'MaxPool_0a_3x3'),
    # 7 x 7 x 1024
)

END_POINTS = inception_utils.end_point_names(_root_stages(True) + MIXED_STAGES)

_HEAD = {
    'pool_kernel': [7, 7], 'reduce_kernel': True, 'pool_stride': None,
    'pool_scope': 'AvgPool_1a_{}x{}', 'pool_end_point': 'AvgPool_1a',
    'global_pool_name': 'global_pool', 'dropout_scope': 'Dropout_1b',
    'logits_scope': 'Conv2d_1c_1x1', 'pre_logits': False, 'predictions_in_logits_scope': False,
}


def inception_v2_base(inputs,
                      final_endpoint='Mixed_5c',
                      min_depth=16,
                      depth_multiplier=1.0,
                      scope=None,
                      use_separable_conv=True,
                      data_format='NHWC',
                      include_root_block=True):
  """Inception v2 from `inputs` up to `final_endpoint`.

  Variables in `scope` (default 'InceptionV2'): 'Conv2d_1a_7x7' (separable:
  `depthwise_weights` and `pointwise_weights`), ..., 'Mixed_5c/Branch_3/
  Conv2d_0b_1x1', each convolution with batch norm under the arg scope.

  Args:
    inputs: a tensor [batch_size, height, width, channels] (or NCHW).
    final_endpoint: the last stage to build (default 'Mixed_5c'), one of
      END_POINTS.
    min_depth: the least depth of any convolution (16), binding when
      `depth_multiplier` < 1.
    depth_multiplier: multiplies every convolution's depth (default 1.0; > 0).
    scope: the variable scope.
    use_separable_conv: make Conv2d_1a_7x7 separable (default True).
    data_format: 'NHWC' (default) or 'NCHW' (needs use_separable_conv=False).
    include_root_block: build the layers before 'Mixed_3b' (default True).

  Returns:
    (net, end_points): the output of `final_endpoint`, and a dict of the output
    of each stage built.

  Raises:
    ValueError: an unknown `final_endpoint`, `depth_multiplier` <= 0, or a
      wrong `data_format` (before any variable is made).
  """
  _common.check_depth_multiplier('inception_v2_base', depth_multiplier)
  if data_format not in ('NHWC', 'NCHW'):
    raise ValueError("inception_v2_base: data_format must be either NHWC or NCHW, received %r"
                     % (data_format,))
  if data_format == 'NCHW' and use_separable_conv:
    raise ValueError('inception_v2_base: separable convolution only supports NHWC layout. '
                     'NCHW data format can only be used when use_separable_conv is False.')
  stages = (_root_stages(use_separable_conv) if include_root_block else ()) + MIXED_STAGES
  _common.check_final_endpoint('inception_v2_base', final_endpoint,
                               inception_utils.end_point_names(stages))
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'InceptionV2', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1,
                        padding='SAME', data_format=data_format):
      net, _ = inception_utils.build_end_points(
          inputs, stages, end_points, final_endpoint,
          _common.depth_fn(depth_multiplier, min_depth), 3 if data_format == 'NHWC' else 1)
      return net, end_points


# research/slim's nets_factory builds Inception v2 under Inception v3's arg scope.
@registry.register_network(
    'inception_v2', arg_scope=inception_v3.inception_v3_arg_scope, default_image_size=224,
    preprocessing='inception', num_classes=1001,
    small_build=registry.SmallBuild(64, {'depth_multiplier': 0.25, 'global_pool': True},
                                    any_image_size=True))
def inception_v2(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV2',
                 global_pool=False):
  """Inception v2 for classification; 224 x 224 images.

  Variables: those of `inception_v2_base`, and 'Logits/Conv2d_1c_1x1'.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    num_classes: number of classes (default 1000); 0 or None returns the
      pooled features (end point 'AvgPool_1a' or 'global_pool').
    is_training: batch norm and dropout mode (default True).
    dropout_keep_prob: probability of keeping activations in dropout (0.8).
    min_depth, depth_multiplier: thin the network (see `inception_v2_base`).
    prediction_fn: maps logits to predictions (default softmax).
    spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True);
      inputs much larger than 224 x 224 need False.
    reuse: reuse the variables of `scope`.
    scope: the variable scope (default 'InceptionV2').
    global_pool: average over space instead of the 7x7 pool, for any input
      size (default False).

  Returns:
    (logits, end_points): end points of the base, the pooled features,
    'Logits' and 'Predictions'.

  Raises:
    ValueError: `depth_multiplier` <= 0, `inputs` not of rank 4, or a wrong
      `num_classes`.
  """
  _common.check_depth_multiplier('inception_v2', depth_multiplier)
  inputs = _common.check_images('inception_v2', inputs)
  _common.check_num_classes('inception_v2', num_classes)
  with tf.compat.v1.variable_scope(scope, 'InceptionV2', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v2_base(inputs, scope=scope, min_depth=min_depth,
                                          depth_multiplier=depth_multiplier)
      return inception_utils.classification_head(
          net, end_points, _HEAD, num_classes, dropout_keep_prob, spatial_squeeze,
          global_pool, prediction_fn)


def inception_v2_arg_scope(weight_decay=0.00004,
                           batch_norm_var_collection='moving_vars',
                           **kwargs):
  """The Inception v2 arg scope.

  Args:
    weight_decay: L2 regularization scale of the weights (0.00004).
    batch_norm_var_collection: extra collection of the moving statistics.
    **kwargs: more of `inception_utils.inception_arg_scope`'s arguments.

  Returns:
    An arg_scope to build Inception v2 in.
  """
  return inception_utils.inception_arg_scope(
      weight_decay=weight_decay, batch_norm_var_collection=batch_norm_var_collection, **kwargs)
