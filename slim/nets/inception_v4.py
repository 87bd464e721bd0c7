"""Inception-v4, as research/slim defines it (Szegedy et al. 2016, arXiv:1602.07261).

A stem, 4 x Inception-A, Reduction-A, 7 x Inception-B, Reduction-B and
3 x Inception-C, then an auxiliary head on Mixed_6h and the logits. Every block
is a table of branches (`nets.inception_utils`). The published checkpoint
(inception_v4_2016_09_09) has 1001 classes (class 0 is background) and was
trained under `inception_v4_arg_scope()`:

    with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
      logits, end_points = inception_v4.inception_v4(images, num_classes=1001,
                                                     is_training=False)
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import inception_utils
from slim.nets import registry
from slim.nets.inception_utils import AvgPool, Conv, Fork, MaxPool, Mixed

__all__ = ['block_inception_a', 'block_inception_b', 'block_inception_c',
           'block_reduction_a', 'block_reduction_b', 'inception_v4', 'inception_v4_arg_scope',
           'inception_v4_base']

_NETWORK = 'inception_v4'

# 299 x 299 x 3 -> 149 x 149 x 32 -> 147 x 147 x 32 -> 147 x 147 x 64
_STEM = (
    Conv('Conv2d_1a_3x3', 32, 3, stride=2, padding='VALID'),
    Conv('Conv2d_2a_3x3', 32, 3, padding='VALID'),
    Conv('Conv2d_2b_3x3', 64, 3),
)

# 147 x 147 x 64 -> 73 x 73 x 160
_MIXED_3A = [
    (MaxPool('MaxPool_0a_3x3', 3, stride=2, padding='VALID'),),
    (Conv('Conv2d_0a_3x3', 96, 3, stride=2, padding='VALID'),),
]

# 73 x 73 x 160 -> 71 x 71 x 192
_MIXED_4A = [
    (Conv('Conv2d_0a_1x1', 64, 1), Conv('Conv2d_1a_3x3', 96, 3, padding='VALID')),
    (Conv('Conv2d_0a_1x1', 64, 1), Conv('Conv2d_0b_1x7', 64, [1, 7]),
     Conv('Conv2d_0c_7x1', 64, [7, 1]), Conv('Conv2d_1a_3x3', 96, 3, padding='VALID')),
]

# 71 x 71 x 192 -> 35 x 35 x 384
_MIXED_5A = [
    (Conv('Conv2d_1a_3x3', 192, 3, stride=2, padding='VALID'),),
    (MaxPool('MaxPool_1a_3x3', 3, stride=2, padding='VALID'),),
]

# Inception-A: 35 x 35 x 384 -> 35 x 35 x 384
_INCEPTION_A = [
    (Conv('Conv2d_0a_1x1', 96, 1),),
    (Conv('Conv2d_0a_1x1', 64, 1), Conv('Conv2d_0b_3x3', 96, 3)),
    (Conv('Conv2d_0a_1x1', 64, 1), Conv('Conv2d_0b_3x3', 96, 3), Conv('Conv2d_0c_3x3', 96, 3)),
    (AvgPool('AvgPool_0a_3x3', 3), Conv('Conv2d_0b_1x1', 96, 1)),
]

# Reduction-A: 35 x 35 x 384 -> 17 x 17 x 1024
_REDUCTION_A = [
    (Conv('Conv2d_1a_3x3', 384, 3, stride=2, padding='VALID'),),
    (Conv('Conv2d_0a_1x1', 192, 1), Conv('Conv2d_0b_3x3', 224, 3),
     Conv('Conv2d_1a_3x3', 256, 3, stride=2, padding='VALID')),
    (MaxPool('MaxPool_1a_3x3', 3, stride=2, padding='VALID'),),
]

# Inception-B: 17 x 17 x 1024 -> 17 x 17 x 1024
_INCEPTION_B = [
    (Conv('Conv2d_0a_1x1', 384, 1),),
    (Conv('Conv2d_0a_1x1', 192, 1), Conv('Conv2d_0b_1x7', 224, [1, 7]),
     Conv('Conv2d_0c_7x1', 256, [7, 1])),
    (Conv('Conv2d_0a_1x1', 192, 1), Conv('Conv2d_0b_7x1', 192, [7, 1]),
     Conv('Conv2d_0c_1x7', 224, [1, 7]), Conv('Conv2d_0d_7x1', 224, [7, 1]),
     Conv('Conv2d_0e_1x7', 256, [1, 7])),
    (AvgPool('AvgPool_0a_3x3', 3), Conv('Conv2d_0b_1x1', 128, 1)),
]

# Reduction-B: 17 x 17 x 1024 -> 8 x 8 x 1536
_REDUCTION_B = [
    (Conv('Conv2d_0a_1x1', 192, 1), Conv('Conv2d_1a_3x3', 192, 3, stride=2, padding='VALID')),
    (Conv('Conv2d_0a_1x1', 256, 1), Conv('Conv2d_0b_1x7', 256, [1, 7]),
     Conv('Conv2d_0c_7x1', 320, [7, 1]),
     Conv('Conv2d_1a_3x3', 320, 3, stride=2, padding='VALID')),
    (MaxPool('MaxPool_1a_3x3', 3, stride=2, padding='VALID'),),
]

# Inception-C: 8 x 8 x 1536 -> 8 x 8 x 1536
_INCEPTION_C = [
    (Conv('Conv2d_0a_1x1', 256, 1),),
    (Conv('Conv2d_0a_1x1', 384, 1),
     Fork((Conv('Conv2d_0b_1x3', 256, [1, 3]), Conv('Conv2d_0c_3x1', 256, [3, 1])))),
    (Conv('Conv2d_0a_1x1', 384, 1), Conv('Conv2d_0b_3x1', 448, [3, 1]),
     Conv('Conv2d_0c_1x3', 512, [1, 3]),
     Fork((Conv('Conv2d_0d_1x3', 256, [1, 3]), Conv('Conv2d_0e_3x1', 256, [3, 1])))),
    (AvgPool('AvgPool_0a_3x3', 3), Conv('Conv2d_0b_1x1', 256, 1)),
]

# The whole trunk; every layer is an end point named by its scope.
_TRUNK = _STEM + tuple(
    [Mixed('Mixed_3a', _MIXED_3A), Mixed('Mixed_4a', _MIXED_4A), Mixed('Mixed_5a', _MIXED_5A)] +
    [Mixed('Mixed_5' + c, _INCEPTION_A) for c in 'bcde'] + [Mixed('Mixed_6a', _REDUCTION_A)] +
    [Mixed('Mixed_6' + c, _INCEPTION_B) for c in 'bcdefgh'] +
    [Mixed('Mixed_7a', _REDUCTION_B)] + [Mixed('Mixed_7' + c, _INCEPTION_C) for c in 'bcd'])

_END_POINTS = inception_utils.end_point_names(_TRUNK)


def block_inception_a(inputs, scope=None, reuse=None):
  """Inception-A block (35 x 35 x 384 in and out); default scope 'BlockInceptionA'."""
  return inception_utils.mixed_block(inputs, _INCEPTION_A, scope, 'BlockInceptionA', reuse)


def block_reduction_a(inputs, scope=None, reuse=None):
  """Reduction-A block (35 x 35 x 384 to 17 x 17 x 1024); scope 'BlockReductionA'."""
  return inception_utils.mixed_block(inputs, _REDUCTION_A, scope, 'BlockReductionA', reuse)


def block_inception_b(inputs, scope=None, reuse=None):
  """Inception-B block (17 x 17 x 1024 in and out); default scope 'BlockInceptionB'."""
  return inception_utils.mixed_block(inputs, _INCEPTION_B, scope, 'BlockInceptionB', reuse)


def block_reduction_b(inputs, scope=None, reuse=None):
  """Reduction-B block (17 x 17 x 1024 to 8 x 8 x 1536); scope 'BlockReductionB'."""
  return inception_utils.mixed_block(inputs, _REDUCTION_B, scope, 'BlockReductionB', reuse)


def block_inception_c(inputs, scope=None, reuse=None):
  """Inception-C block (8 x 8 x 1536 in and out); default scope 'BlockInceptionC'."""
  return inception_utils.mixed_block(inputs, _INCEPTION_C, scope, 'BlockInceptionC', reuse)


def inception_v4_base(inputs, final_endpoint='Mixed_7d', scope=None):
  """Builds Inception-v4 from `inputs` up to `final_endpoint`.

  Args:
    inputs: a tensor `[batch, height, width, 3]`; 299 x 299 gives the shapes of
      the comments (the smallest size is 75 x 75).
    final_endpoint: the last end point to build, one of 'Conv2d_1a_3x3',
      'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a', 'Mixed_5a',
      'Mixed_5b' ... 'Mixed_5e', 'Mixed_6a' ... 'Mixed_6h', 'Mixed_7a' ...
      'Mixed_7d'. Default 'Mixed_7d'.
    scope: the variable scope; default 'InceptionV4'.

  Returns:
    The output of `final_endpoint` and the dict of end points built so far.

  Raises:
    ValueError: `final_endpoint` is not one of the above (before any variable
      is created).
  """
  _common.check_final_endpoint('inception_v4_base', final_endpoint, _END_POINTS)
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'InceptionV4', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                        stride=1, padding='SAME'):
      net, _ = inception_utils.build_end_points(inputs, _TRUNK, end_points, final_endpoint)
  return net, end_points


# research/slim's: Inception-v4 was trained under the common Inception arg scope.
inception_v4_arg_scope = inception_utils.inception_arg_scope


@registry.register_network(
    'inception_v4', arg_scope=inception_v4_arg_scope, default_image_size=299,
    preprocessing='inception', num_classes=1001, small_build=registry.SmallBuild(107))
def inception_v4(inputs, num_classes=1001, is_training=True,
                 dropout_keep_prob=0.8,
                 reuse=None,
                 scope='InceptionV4',
                 create_aux_logits=True):
  """Inception-v4 for classification.

  Args:
    inputs: a tensor `[batch, height, width, 3]`; the batch size may be
      unknown, and height and width too when `create_aux_logits` is False.
    num_classes: number of classes; 0 or None omits the logits and returns the
      globally pooled features `[batch, 1, 1, 1536]` (before dropout). Default
      1001.
    is_training: training mode of batch norm and dropout. Default True.
    dropout_keep_prob: fraction kept by the dropout before the logits. Default 0.8.
    reuse: reuse the variables of `scope`.
    scope: the variable scope. Default 'InceptionV4'.
    create_aux_logits: add the auxiliary head on Mixed_6h. Default True.

  Returns:
    The logits `[batch, num_classes]` (or the pre-logits features) and the dict
    of end points: those of `inception_v4_base`, 'AuxLogits', 'global_pool',
    'PreLogitsFlatten', 'Logits', 'Predictions'.

  Raises:
    ValueError: the auxiliary head is asked for and the height or width of
      `inputs` is unknown.
  """
  with_aux = bool(create_aux_logits and num_classes)
  if with_aux:
    inception_utils.check_aux_logits_input(_NETWORK, inputs)
  with tf.compat.v1.variable_scope(scope, 'InceptionV4', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v4_base(inputs, scope=scope)

      with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                          stride=1, padding='SAME'):
        if with_aux:
          # 17 x 17 x 1024 -> 5 x 5 x 128 -> 1 x 1 x 768 -> num_classes
          inception_utils.add_aux_logits(end_points, 'Mixed_6h', num_classes,
                                         pool_scope='AvgPool_1a_5x5', conv_scope='Conv2d_2a',
                                         logits_scope='Aux_logits')

        # 8 x 8 x 1536 -> 1 x 1 x 1536 -> dropout, 1536 -> num_classes
        logits = inception_utils.add_logits(
            net, end_points, num_classes, 'AvgPool_1a', lambda net: slim.flatten(
                slim.dropout(net, dropout_keep_prob, scope='Dropout_1b'),
                scope='PreLogitsFlatten'))
  return logits, end_points
