"""Inception v1 (GoogLeNet; Szegedy et al., "Going deeper with convolutions",
http://arxiv.org/abs/1409.4842), with batch norm after each convolution.

    with slim.arg_scope(inception_v1.inception_v1_arg_scope()):
      logits, end_points = inception_v1.inception_v1(images, num_classes=1001)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import inception_utils
from slim.nets import inception_v3
from slim.nets import registry
from slim.nets.inception_utils import Conv, MaxPool, Mixed

__all__ = ['inception_v1', 'inception_v1_arg_scope', 'inception_v1_base']

# tf_slim's and research/slim's module-level initializer helper.
trunc_normal = _common.trunc_normal


def _mixed(scope, b0, b1, b2, b3, branch_2_conv='Conv2d_0b_3x3'):
  """An Inception v1 module: 1x1 | 1x1, 3x3 | 1x1, 3x3 | 3x3 max pool, 1x1.
  The 'b' arguments are the depths of each branch's convolutions."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', b0, [1, 1]),),
      (Conv('Conv2d_0a_1x1', b1[0], [1, 1]), Conv('Conv2d_0b_3x3', b1[1], [3, 3])),
      (Conv('Conv2d_0a_1x1', b2[0], [1, 1]), Conv(branch_2_conv, b2[1], [3, 3])),
      (MaxPool('MaxPool_0a_3x3', [3, 3]), Conv('Conv2d_0b_1x1', b3, [1, 1])),
  ])


# The layers before the Inception modules.
ROOT_STAGES = (
    # 224 x 224 x 3
    Conv('Conv2d_1a_7x7', 64, [7, 7], stride=2),
    # 112 x 112 x 64
    MaxPool('MaxPool_2a_3x3', [3, 3], stride=2),
    # 56 x 56 x 64
    Conv('Conv2d_2b_1x1', 64, [1, 1]),
    Conv('Conv2d_2c_3x3', 192, [3, 3]),
    # 56 x 56 x 192
    MaxPool('MaxPool_3a_3x3', [3, 3], stride=2),
)

MIXED_STAGES = (
    # 28 x 28 x 192
    _mixed('Mixed_3b', 64, (96, 128), (16, 32), 32),
    # 28 x 28 x 256
    _mixed('Mixed_3c', 128, (128, 192), (32, 96), 64),
    # 28 x 28 x 480
    MaxPool('MaxPool_4a_3x3', [3, 3], stride=2),
    # 14 x 14 x 480
    _mixed('Mixed_4b', 192, (96, 208), (16, 48), 64),
    _mixed('Mixed_4c', 160, (112, 224), (24, 64), 64),
    _mixed('Mixed_4d', 128, (128, 256), (24, 64), 64),
    _mixed('Mixed_4e', 112, (144, 288), (32, 64), 64),
    _mixed('Mixed_4f', 256, (160, 320), (32, 128), 128),
    # 14 x 14 x 832
    MaxPool('MaxPool_5a_2x2', [2, 2], stride=2),
    # 7 x 7 x 832
    _mixed('Mixed_5b', 256, (160, 320), (32, 128), 128, branch_2_conv='Conv2d_0a_3x3'),
    _mixed('Mixed_5c', 384, (192, 384), (48, 128), 128),
    # 7 x 7 x 1024
)

END_POINTS = inception_utils.end_point_names(ROOT_STAGES + MIXED_STAGES)

_HEAD = {
    'pool_kernel': [7, 7], 'reduce_kernel': False, 'pool_stride': 1,
    'pool_scope': 'AvgPool_0a_7x7', 'pool_end_point': 'AvgPool_0a_7x7',
    'global_pool_name': 'global_pool', 'dropout_scope': 'Dropout_0b',
    'logits_scope': 'Conv2d_0c_1x1', 'pre_logits': False, 'predictions_in_logits_scope': True,
}


def inception_v1_base(inputs, final_endpoint='Mixed_5c', scope='InceptionV1',
                      include_root_block=True):
  """Inception v1 from `inputs` up to `final_endpoint`.

  Variables in `scope`: 'Conv2d_1a_7x7', ..., 'Mixed_5c/Branch_3/Conv2d_0b_1x1',
  each a convolution (with batch norm under the arg scope).

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    final_endpoint: the last stage to build (default 'Mixed_5c'), one of
      END_POINTS.
    scope: the variable scope (default 'InceptionV1').
    include_root_block: build the layers before 'Mixed_3b' (default True).

  Returns:
    (net, end_points): the output of `final_endpoint`, and a dict of the output
    of each stage built.

  Raises:
    ValueError: an unknown `final_endpoint` (before any variable is made).
  """
  stages = (ROOT_STAGES if include_root_block else ()) + MIXED_STAGES
  _common.check_final_endpoint('inception_v1_base', final_endpoint,
                               inception_utils.end_point_names(stages))
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_initializer=_common.trunc_normal(0.01)):
      with slim.arg_scope([slim.conv2d, slim.max_pool2d], stride=1, padding='SAME'):
        net, _ = inception_utils.build_end_points(inputs, stages, end_points, final_endpoint)
        return net, end_points


# research/slim's nets_factory builds Inception v1 under Inception v3's arg scope.
@registry.register_network(
    'inception_v1', arg_scope=inception_v3.inception_v3_arg_scope, default_image_size=224,
    preprocessing='inception', num_classes=1001,
    small_build=registry.SmallBuild(64, {'global_pool': True}, any_image_size=True))
def inception_v1(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV1',
                 global_pool=False):
  """Inception v1 for classification; 224 x 224 images.

  Variables: those of `inception_v1_base`, and 'Logits/Conv2d_0c_1x1'.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    num_classes: number of classes (default 1000); 0 or None returns the
      pooled features (end point 'AvgPool_0a_7x7' or 'global_pool').
    is_training: batch norm and dropout mode (default True).
    dropout_keep_prob: probability of keeping activations in dropout (0.8).
    prediction_fn: maps logits to predictions (default softmax).
    spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True).
    reuse: reuse the variables of `scope`.
    scope: the variable scope (default 'InceptionV1').
    global_pool: average over space instead of the 7x7 pool, for any input
      size (default False).

  Returns:
    (logits, end_points): end points of the base, the pooled features,
    'Logits' and 'Predictions'.

  Raises:
    ValueError: `inputs` not of rank 4, or a wrong `num_classes`.
  """
  inputs = _common.check_images('inception_v1', inputs)
  _common.check_num_classes('inception_v1', num_classes)
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v1_base(inputs, scope=scope)
      return inception_utils.classification_head(
          net, end_points, _HEAD, num_classes, dropout_keep_prob, spatial_squeeze,
          global_pool, prediction_fn)


def inception_v1_arg_scope(weight_decay=0.00004,
                           use_batch_norm=True,
                           batch_norm_var_collection='moving_vars',
                           **kwargs):
  """The Inception v1 arg scope (batch norm, not in the paper, helps).

  Args:
    weight_decay: L2 regularization scale of the weights (0.00004).
    use_batch_norm: batch norm after each convolution (default True).
    batch_norm_var_collection: extra collection of the moving statistics.
    **kwargs: more of `inception_utils.inception_arg_scope`'s arguments.

  Returns:
    An arg_scope to build Inception v1 in.
  """
  return inception_utils.inception_arg_scope(
      weight_decay=weight_decay, use_batch_norm=use_batch_norm,
      batch_norm_var_collection=batch_norm_var_collection, **kwargs)
