"""I3D, Inflated 3-D Inception v1 for video classification (Carreira and
Zisserman, "Quo Vadis, Action Recognition? A New Model and the Kinetics
Dataset", https://arxiv.org/abs/1705.07750): S3D-G's trunk with a 7-frame
first convolution, full 3-D convolutions from 'Conv2d_2c_3x3' on and no
gating. Variables keep Inception v1's names, so that an image checkpoint can
be inflated into it.

    with slim.arg_scope(i3d.i3d_arg_scope()):
      logits, end_points = i3d.i3d(clips, num_classes=400)  # clips [batch, 64, 224, 224, 3]
"""
import tensorflow as tf

import slim
from slim.nets import _common
from slim.nets import i3d_utils
from slim.nets import registry
from slim.nets import s3dg

__all__ = ['i3d', 'i3d_arg_scope', 'i3d_base']

conv3d_spatiotemporal = i3d_utils.conv3d_spatiotemporal


def i3d_arg_scope(weight_decay=1e-7,
                  batch_norm_decay=0.999,
                  batch_norm_epsilon=0.001,
                  use_renorm=False,
                  separable_conv3d=False):
  """The I3D arg scope: weight decay, relu and batch norm on the 3-D convolutions.

  Args:
    weight_decay: L2 regularization scale of the weights (1e-7).
    batch_norm_decay: moving-average decay of batch norm (0.999).
    batch_norm_epsilon: added to the variance in batch norm (0.001).
    use_renorm: batch renormalization (default False).
    separable_conv3d: split the 3-D convolutions into spatial and temporal
      parts, as S3D does (default False).

  Returns:
    An arg_scope to build I3D in.
  """
  return s3dg.video_arg_scope(
      weight_decay,
      s3dg.batch_norm_params(batch_norm_decay, batch_norm_epsilon,
                              renorm=use_renorm),
      separable=separable_conv3d)


def i3d_base(inputs, final_endpoint='Mixed_5c', scope='InceptionV1'):
  """The trunk of I3D from `inputs` up to `final_endpoint`: `s3dg.s3dg_base`
  with a first temporal kernel of 7 frames, temporal convolutions from
  'Conv2d_2c_3x3' on, no gating, min_depth 16, depth_multiplier 1.0, 'NDHWC'.

  Variables in `scope`: 'Conv2d_1a_7x7' (weights [7, 7, 7, 3, 64]), ...,
  'Mixed_5c/Branch_3/Conv2d_0b_1x1'.

  Args:
    inputs: a tensor of clips [batch, frames, height, width, channels].
    final_endpoint: the last stage to build, one of `s3dg.END_POINTS`
      (default 'Mixed_5c').
    scope: the variable scope (default 'InceptionV1').

  Returns:
    (net, end_points): the output of `final_endpoint`, and a dict of the
    output of each stage built.

  Raises:
    ValueError: `inputs` not of rank 5, or an unknown `final_endpoint`.
  """
  return s3dg.s3dg_base(inputs, first_temporal_kernel_size=7,
                        temporal_conv_startat='Conv2d_2c_3x3', gating_startat=None,
                        final_endpoint=final_endpoint, min_depth=16, depth_multiplier=1.0,
                        data_format='NDHWC', scope=scope)


@registry.register_network(
    'i3d', arg_scope=i3d_arg_scope, default_image_size=224, preprocessing='inception',
    num_classes=400, num_frames=64, small_build=registry.SmallBuild(32, num_frames=8))
def i3d(inputs,
        num_classes=1000,
        dropout_keep_prob=0.8,
        is_training=True,
        prediction_fn=slim.softmax,
        spatial_squeeze=True,
        reuse=None,
        scope='InceptionV1'):
  """I3D for video classification; clips of 64 frames of 224 x 224.

  Variables: those of `i3d_base`, and 'Logits/Conv2d_0c_1x1'.

  Args:
    inputs: a tensor of clips [batch, frames, height, width, channels].
    num_classes: number of classes (default 1000); 0 or None returns the
      pooled features [batch, 1, 1, 1024] (end point 'AvgPool_0a_7x7').
    dropout_keep_prob: probability of keeping activations in dropout (0.8).
    is_training: batch norm and dropout mode (default True).
    prediction_fn: maps logits to predictions (default softmax).
    spatial_squeeze: squeeze the logits to [batch, num_classes] (default
      True), else [batch, 1, 1, num_classes].
    reuse: reuse the variables of `scope`.
    scope: the variable scope (default 'InceptionV1').

  Returns:
    (logits, end_points): the end points of the base, 'Logits' and 'Predictions'.

  Raises:
    ValueError: `inputs` not of rank 5, or a wrong `num_classes`.
  """
  inputs = i3d_utils.check_clips('i3d', inputs)
  _common.check_num_classes('i3d', num_classes)
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = i3d_base(inputs, scope=scope)
      logits = s3dg.classification_head(net, end_points, num_classes, dropout_keep_prob,
                                        spatial_squeeze, prediction_fn)
  return logits, end_points
