"""Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for
Computer Vision", http://arxiv.org/abs/1512.00567).

    with slim.arg_scope(inception_v3.inception_v3_arg_scope()):
      logits, end_points = inception_v3.inception_v3(images, num_classes=1001)

The stages are named as in the reference code, not the paper: conv0 is
'Conv2d_1a_3x3', pool1 'MaxPool_3a_3x3', mixed_35x35x256a 'Mixed_5b', ...,
mixed_17x17x768a 'Mixed_6a', ..., mixed_8x8x2048b 'Mixed_7c'.
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import inception_utils
from slim.nets import registry
from slim.nets.inception_utils import AvgPool, Conv, Fork, MaxPool, Mixed

__all__ = ['inception_v3', 'inception_v3_arg_scope', 'inception_v3_base']

# tf_slim's and research/slim's module-level initializer helper.
trunc_normal = _common.trunc_normal

# The layers before the Inception modules, with VALID padding unless marked.
ROOT_STAGES = (
    # 299 x 299 x 3
    Conv('Conv2d_1a_3x3', 32, [3, 3], stride=2),
    # 149 x 149 x 32
    Conv('Conv2d_2a_3x3', 32, [3, 3]),
    # 147 x 147 x 32
    Conv('Conv2d_2b_3x3', 64, [3, 3], padding='SAME'),
    # 147 x 147 x 64
    MaxPool('MaxPool_3a_3x3', [3, 3], stride=2),
    # 73 x 73 x 64
    Conv('Conv2d_3b_1x1', 80, [1, 1]),
    # 73 x 73 x 80
    Conv('Conv2d_4a_3x3', 192, [3, 3]),
    # 71 x 71 x 192
    MaxPool('MaxPool_5a_3x3', [3, 3], stride=2),
)


def _mixed_35(scope, b3, b1_scopes=('Conv2d_0a_1x1', 'Conv2d_0b_5x5')):
  """A 35 x 35 module: 1x1 | 1x1, 5x5 | 1x1, 3x3, 3x3 | 3x3 avg pool, 1x1 (`b3`)."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', 64, [1, 1]),),
      (Conv(b1_scopes[0], 48, [1, 1]), Conv(b1_scopes[1], 64, [5, 5])),
      (Conv('Conv2d_0a_1x1', 64, [1, 1]), Conv('Conv2d_0b_3x3', 96, [3, 3]),
       Conv('Conv2d_0c_3x3', 96, [3, 3])),
      (AvgPool('AvgPool_0a_3x3', [3, 3]), Conv('Conv2d_0b_1x1', b3, [1, 1])),
  ])


def _mixed_17(scope, d):
  """A 17 x 17 module with factorized 7x7 convolutions of depth `d`:
  1x1 | 1x1, 1x7, 7x1 | 1x1, 7x1, 1x7, 7x1, 1x7 | 3x3 avg pool, 1x1."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', 192, [1, 1]),),
      (Conv('Conv2d_0a_1x1', d, [1, 1]), Conv('Conv2d_0b_1x7', d, [1, 7]),
       Conv('Conv2d_0c_7x1', 192, [7, 1])),
      (Conv('Conv2d_0a_1x1', d, [1, 1]), Conv('Conv2d_0b_7x1', d, [7, 1]),
       Conv('Conv2d_0c_1x7', d, [1, 7]), Conv('Conv2d_0d_7x1', d, [7, 1]),
       Conv('Conv2d_0e_1x7', 192, [1, 7])),
      (AvgPool('AvgPool_0a_3x3', [3, 3]), Conv('Conv2d_0b_1x1', 192, [1, 1])),
  ])


def _mixed_8(scope, branch_1_3x1_scope):
  """An 8 x 8 module with expanded filter banks: 1x1 | 1x1, (1x3 and 3x1) |
  1x1, 3x3, (1x3 and 3x1) | 3x3 avg pool, 1x1."""
  return Mixed(scope, [
      (Conv('Conv2d_0a_1x1', 320, [1, 1]),),
      (Conv('Conv2d_0a_1x1', 384, [1, 1]),
       Fork((Conv('Conv2d_0b_1x3', 384, [1, 3]), Conv(branch_1_3x1_scope, 384, [3, 1])))),
      (Conv('Conv2d_0a_1x1', 448, [1, 1]), Conv('Conv2d_0b_3x3', 384, [3, 3]),
       Fork((Conv('Conv2d_0c_1x3', 384, [1, 3]), Conv('Conv2d_0d_3x1', 384, [3, 1])))),
      (AvgPool('AvgPool_0a_3x3', [3, 3]), Conv('Conv2d_0b_1x1', 192, [1, 1])),
  ])


# The Inception modules, with SAME padding unless marked.
MIXED_STAGES = (
    # 35 x 35 x 192
    _mixed_35('Mixed_5b', 32),
    # 35 x 35 x 256
    _mixed_35('Mixed_5c', 64, b1_scopes=('Conv2d_0b_1x1', 'Conv_1_0c_5x5')),
    # 35 x 35 x 288
    _mixed_35('Mixed_5d', 64),
    # 35 x 35 x 288
    Mixed('Mixed_6a', [
        (Conv('Conv2d_1a_1x1', 384, [3, 3], stride=2, padding='VALID'),),
        (Conv('Conv2d_0a_1x1', 64, [1, 1]), Conv('Conv2d_0b_3x3', 96, [3, 3]),
         Conv('Conv2d_1a_1x1', 96, [3, 3], stride=2, padding='VALID')),
        (MaxPool('MaxPool_1a_3x3', [3, 3], stride=2, padding='VALID'),),
    ]),
    # 17 x 17 x 768
    _mixed_17('Mixed_6b', 128),
    _mixed_17('Mixed_6c', 160),
    _mixed_17('Mixed_6d', 160),
    _mixed_17('Mixed_6e', 192),
    # 17 x 17 x 768
    Mixed('Mixed_7a', [
        (Conv('Conv2d_0a_1x1', 192, [1, 1]),
         Conv('Conv2d_1a_3x3', 320, [3, 3], stride=2, padding='VALID')),
        (Conv('Conv2d_0a_1x1', 192, [1, 1]), Conv('Conv2d_0b_1x7', 192, [1, 7]),
         Conv('Conv2d_0c_7x1', 192, [7, 1]),
         Conv('Conv2d_1a_3x3', 192, [3, 3], stride=2, padding='VALID')),
        (MaxPool('MaxPool_1a_3x3', [3, 3], stride=2, padding='VALID'),),
    ]),
    # 8 x 8 x 1280
    _mixed_8('Mixed_7b', 'Conv2d_0b_3x1'),
    # 8 x 8 x 2048
    _mixed_8('Mixed_7c', 'Conv2d_0c_3x1'),
    # 8 x 8 x 2048
)

END_POINTS = inception_utils.end_point_names(ROOT_STAGES + MIXED_STAGES)

_HEAD = {
    'pool_kernel': [8, 8], 'reduce_kernel': True, 'pool_stride': None,
    'pool_scope': 'AvgPool_1a_{}x{}', 'pool_end_point': 'AvgPool_1a',
    'global_pool_name': 'GlobalPool', 'dropout_scope': 'Dropout_1b',
    'logits_scope': 'Conv2d_1c_1x1', 'pre_logits': True, 'predictions_in_logits_scope': False,
}


def inception_v3_base(inputs,
                      final_endpoint='Mixed_7c',
                      min_depth=16,
                      depth_multiplier=1.0,
                      scope=None):
  """Inception v3 from `inputs` up to `final_endpoint`.

  Variables in `scope` (default 'InceptionV3'): 'Conv2d_1a_3x3', ...,
  'Mixed_7c/Branch_3/Conv2d_0b_1x1', each a convolution with batch norm under
  the arg scope.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    final_endpoint: the last stage to build (default 'Mixed_7c'), one of
      END_POINTS.
    min_depth: the least depth of any convolution (16), binding when
      `depth_multiplier` < 1.
    depth_multiplier: multiplies every convolution's depth (default 1.0; > 0).
    scope: the variable scope.

  Returns:
    (net, end_points): the output of `final_endpoint`, and a dict of the output
    of each stage built.

  Raises:
    ValueError: an unknown `final_endpoint` or `depth_multiplier` <= 0 (before
      any variable is made).
  """
  _common.check_depth_multiplier('inception_v3_base', depth_multiplier)
  _common.check_final_endpoint('inception_v3_base', final_endpoint, END_POINTS)
  depth = _common.depth_fn(depth_multiplier, min_depth)
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'InceptionV3', [inputs]):
    net = inputs
    for padding, stages in (('VALID', ROOT_STAGES), ('SAME', MIXED_STAGES)):
      with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1,
                          padding=padding):
        net, done = inception_utils.build_end_points(net, stages, end_points, final_endpoint,
                                                     depth)
      if done:
        return net, end_points


def _aux_logits(end_points, num_classes, depth, spatial_squeeze):
  """The auxiliary classifier on Mixed_6e, in scope 'AuxLogits'."""
  with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1,
                      padding='SAME'):
    with tf.compat.v1.variable_scope('AuxLogits'):
      # 17 x 17 x 768
      aux = slim.avg_pool2d(end_points['Mixed_6e'], [5, 5], stride=3, padding='VALID',
                            scope='AvgPool_1a_5x5')
      # 5 x 5 x 768
      aux = slim.conv2d(aux, depth(128), [1, 1], scope='Conv2d_1b_1x1')
      kernel_size = inception_utils.reduced_kernel_size_for_small_input(aux, [5, 5])
      aux = slim.conv2d(aux, depth(768), kernel_size,
                        weights_initializer=_common.trunc_normal(0.01), padding='VALID',
                        scope='Conv2d_2a_{}x{}'.format(*kernel_size))
      # 1 x 1 x 768
      aux = slim.conv2d(aux, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                        weights_initializer=_common.trunc_normal(0.001), scope='Conv2d_2b_1x1')
      if spatial_squeeze:
        aux = tf.squeeze(aux, [1, 2], name='SpatialSqueeze')
      end_points['AuxLogits'] = aux


def inception_v3_arg_scope(weight_decay=0.00004,
                           batch_norm_var_collection='moving_vars',
                           batch_norm_decay=0.9997,
                           batch_norm_epsilon=0.001,
                           updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
                           use_fused_batchnorm=True,
                           **kwargs):
  """The Inception v3 arg scope.

  Args:
    weight_decay: L2 regularization scale of the weights (0.00004).
    batch_norm_var_collection: extra collection of the moving statistics.
    batch_norm_decay: moving-average decay of batch norm (0.9997).
    batch_norm_epsilon: added to the variance in batch norm (0.001).
    updates_collections: where batch norm puts its update ops.
    use_fused_batchnorm: use the fused batch-norm kernel (default True).
    **kwargs: more of `inception_utils.inception_arg_scope`'s arguments.

  Returns:
    An arg_scope to build Inception v3 in.
  """
  kwargs.setdefault('batch_norm_updates_collections', updates_collections)
  return inception_utils.inception_arg_scope(
      weight_decay=weight_decay, batch_norm_var_collection=batch_norm_var_collection,
      batch_norm_decay=batch_norm_decay, batch_norm_epsilon=batch_norm_epsilon,
      use_fused_batchnorm=use_fused_batchnorm, **kwargs)


@registry.register_network(
    'inception_v3', arg_scope=inception_v3_arg_scope, default_image_size=299,
    preprocessing='inception', num_classes=1001,
    small_build=registry.SmallBuild(299, {'depth_multiplier': 0.1}))
def inception_v3(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 create_aux_logits=True,
                 scope='InceptionV3',
                 global_pool=False):
  """Inception v3 for classification; 299 x 299 images.

  Variables: those of `inception_v3_base`, 'AuxLogits/...' (if
  `create_aux_logits`) and 'Logits/Conv2d_1c_1x1'.

  Args:
    inputs: a tensor [batch_size, height, width, channels].
    num_classes: number of classes (default 1000); 0 or None returns the
      pooled features (end point 'AvgPool_1a' or 'global_pool').
    is_training: batch norm and dropout mode (default True).
    dropout_keep_prob: probability of keeping activations in dropout (0.8).
    min_depth, depth_multiplier: thin the network (see `inception_v3_base`).
    prediction_fn: maps logits to predictions (default softmax).
    spatial_squeeze: squeeze the logits to [batch_size, num_classes] (True);
      inputs of 300 x 300 or more need False.
    reuse: reuse the variables of `scope`.
    create_aux_logits: add the auxiliary classifier (default True).
    scope: the variable scope (default 'InceptionV3').
    global_pool: average over space instead of the 8x8 pool, for any input
      size (default False).

  Returns:
    (logits, end_points): end points of the base, 'AuxLogits', the pooled
    features, 'PreLogits', 'Logits' and 'Predictions'.

  Raises:
    ValueError: `depth_multiplier` <= 0, `inputs` not of rank 4, or a wrong
      `num_classes`.
  """
  _common.check_depth_multiplier('inception_v3', depth_multiplier)
  inputs = _common.check_images('inception_v3', inputs)
  _common.check_num_classes('inception_v3', num_classes)
  with tf.compat.v1.variable_scope(scope, 'InceptionV3', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v3_base(inputs, scope=scope, min_depth=min_depth,
                                          depth_multiplier=depth_multiplier)
      if create_aux_logits and num_classes:
        _aux_logits(end_points, num_classes, _common.depth_fn(depth_multiplier, min_depth),
                    spatial_squeeze)
      return inception_utils.classification_head(
          net, end_points, _HEAD, num_classes, dropout_keep_prob, spatial_squeeze,
          global_pool, prediction_fn)
