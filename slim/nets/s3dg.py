"""S3D-G, the gated separable 3-D network for video classification (Xie et al.,
"Rethinking Spatiotemporal Feature Learning: Speed-Accuracy Trade-offs in
Video Classification", https://arxiv.org/abs/1712.04851): Inception v1
inflated to 3-D, its 3x3 convolutions split into spatial and temporal parts,
with feature gating. Variables keep Inception v1's names, so that an image
checkpoint can be inflated into it.

    with slim.arg_scope(s3dg.s3dg_arg_scope()):
      logits, end_points = s3dg.s3dg(clips, num_classes=400)  # clips [batch, 64, 224, 224, 3]
"""
import collections

import tensorflow as tf

import slim
from slim import _checks
from slim.nets import _common
from slim.nets import i3d_utils
from slim.nets import registry

__all__ = ['END_POINTS', 'TEMPORAL_START_POINTS', 'batch_norm_params', 'classification_head',
           's3dg', 's3dg_arg_scope', 's3dg_base', 'self_gating', 'video_arg_scope']

conv3d_spatiotemporal = i3d_utils.conv3d_spatiotemporal
inception_block_v1_3d = i3d_utils.inception_block_v1_3d

# The stages of the trunk: a convolution, a max pool, or an Inception block
# (the depths of Branch_0 1x1; Branch_1 1x1, 3x3; Branch_2 1x1, 3x3; Branch_3 1x1).
Conv = collections.namedtuple('Conv', ['scope', 'depth', 'kernel', 'stride'])
Pool = collections.namedtuple('Pool', ['scope', 'kernel', 'stride'])
Block = collections.namedtuple('Block', ['scope', 'depths'])

STAGES = (
    # 64 x 224 x 224 x 3
    Conv('Conv2d_1a_7x7', 64, [None, 7, 7], 2),  # frames of the kernel: first_temporal_kernel_size
    # 32 x 112 x 112 x 64
    Pool('MaxPool_2a_3x3', [1, 3, 3], [1, 2, 2]),
    # 32 x 56 x 56 x 64
    Conv('Conv2d_2b_1x1', 64, [1, 1, 1], 1),
    Conv('Conv2d_2c_3x3', 192, [None, 3, 3], 1),  # 3 frames from temporal_conv_startat on
    # 32 x 56 x 56 x 192
    Pool('MaxPool_3a_3x3', [1, 3, 3], [1, 2, 2]),
    # 32 x 28 x 28 x 192
    Block('Mixed_3b', (64, 96, 128, 16, 32, 32)),
    # 32 x 28 x 28 x 256
    Block('Mixed_3c', (128, 128, 192, 32, 96, 64)),
    # 32 x 28 x 28 x 480
    Pool('MaxPool_4a_3x3', [3, 3, 3], [2, 2, 2]),
    # 16 x 14 x 14 x 480
    Block('Mixed_4b', (192, 96, 208, 16, 48, 64)),
    Block('Mixed_4c', (160, 112, 224, 24, 64, 64)),
    Block('Mixed_4d', (128, 128, 256, 24, 64, 64)),
    # 16 x 14 x 14 x 512
    Block('Mixed_4e', (112, 144, 288, 32, 64, 64)),
    # 16 x 14 x 14 x 528
    Block('Mixed_4f', (256, 160, 320, 32, 128, 128)),
    # 16 x 14 x 14 x 832
    Pool('MaxPool_5a_2x2', [2, 2, 2], [2, 2, 2]),
    # 8 x 7 x 7 x 832
    Block('Mixed_5b', (256, 160, 320, 32, 128, 128)),
    # 8 x 7 x 7 x 832
    Block('Mixed_5c', (384, 192, 384, 48, 128, 128)),
    # 8 x 7 x 7 x 1024
)

END_POINTS = [stage.scope for stage in STAGES]
# Where temporal convolutions and gating may start: the stages that have them.
TEMPORAL_START_POINTS = ['Conv2d_2c_3x3'] + [s.scope for s in STAGES if isinstance(s, Block)]
FIRST_TEMPORAL_KERNEL_SIZES = (1, 3, 5, 7)
# Batch norm normalizes the channels of either layout.
_BATCH_NORM_FORMATS = {'NDHWC': 'NHWC', 'NCDHW': 'NCHW'}


def batch_norm_params(decay, epsilon, renorm=False):
  """The batch-norm arguments of the I3D and S3D-G arg scopes (not fused;
  moving statistics also in 'moving_vars'; batch renormalization if `renorm`)."""
  params = {
      'decay': decay,
      'epsilon': epsilon,
      'fused': False,
      'variables_collections': {
          'beta': None,
          'gamma': None,
          'moving_mean': ['moving_vars'],
          'moving_variance': ['moving_vars'],
      },
  }
  if renorm:
    params['renorm'] = True
  return params


def video_arg_scope(weight_decay, batch_norm_params, separable):
  """The arg scope of I3D and S3D-G: L2 weight decay, relu and batch norm on
  `slim.conv3d` and `conv3d_spatiotemporal`; `separable` for the latter."""
  with slim.arg_scope([slim.conv3d, conv3d_spatiotemporal],
                      weights_regularizer=slim.l2_regularizer(weight_decay),
                      activation_fn=tf.nn.relu,
                      normalizer_fn=slim.batch_norm,
                      normalizer_params=batch_norm_params):
    with slim.arg_scope([conv3d_spatiotemporal], separable=separable) as sc:
      return sc


def s3dg_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999, batch_norm_epsilon=0.001):
  """The S3D-G arg scope: weight decay, relu, batch norm, separable 3-D convolutions.

  Args:
    weight_decay: L2 regularization scale of the weights (1e-7).
    batch_norm_decay: moving-average decay of batch norm (0.999).
    batch_norm_epsilon: added to the variance in batch norm (0.001).

  Returns:
    An arg_scope to build S3D-G in.
  """
  return video_arg_scope(weight_decay, batch_norm_params(batch_norm_decay, batch_norm_epsilon),
                         separable=True)


def _axes(data_format):
  return [data_format.index(axis) for axis in 'DHW']


def self_gating(input_tensor, scope, data_format='NDHWC'):
  """S3D-G's feature gating: each channel scaled by a sigmoid of a linear map
  of the channels averaged over frames, height and width.

  Variables: `scope`/self_gating/transformer_W/weights [1, 1, 1, C, C] (no
  biases, truncated normal 0.01).

  Args:
    input_tensor: a 5-D tensor of clips, of known channels.
    scope: the scope of the gated layer.
    data_format: 'NDHWC' (default) or 'NCDHW'.

  Returns:
    A tensor of the shape of `input_tensor`.

  Raises:
    ValueError: an unknown `data_format`, or `input_tensor` not of rank 5.
  """
  data_format = i3d_utils.check_data_format('self_gating', data_format)
  input_tensor = i3d_utils.check_clips('self_gating', input_tensor)
  num_channels = input_tensor.get_shape()[data_format.index('C')]
  with tf.compat.v1.name_scope(scope + '/self_gating'):
    average = tf.reduce_mean(input_tensor, _axes(data_format), keepdims=True, name='avg_pool3d')
  weights = slim.conv3d(average, num_channels, [1, 1, 1], activation_fn=None,
                        normalizer_fn=None, biases_initializer=None, data_format=data_format,
                        weights_initializer=_common.trunc_normal(0.01),
                        scope=scope + '/self_gating/transformer_W')
  with tf.compat.v1.name_scope(scope + '/self_gating'):
    return tf.multiply(tf.sigmoid(weights), input_tensor, name='gated')


def check_base_arguments(caller, first_temporal_kernel_size, temporal_conv_startat,
                         gating_startat, final_endpoint, min_depth, depth_multiplier,
                         data_format):
  """Checks the arguments of `s3dg_base` (before any variable is made)."""
  if first_temporal_kernel_size not in FIRST_TEMPORAL_KERNEL_SIZES or isinstance(
      first_temporal_kernel_size, bool):
    raise ValueError('%s: first_temporal_kernel_size can only be 1, 3, 5 or 7, received %r'
                     % (caller, first_temporal_kernel_size))
  for argument, value in (('temporal_conv_startat', temporal_conv_startat),
                          ('gating_startat', gating_startat)):
    if value is not None and value not in TEMPORAL_START_POINTS:
      raise ValueError('%s: %s must be None (never) or one of %s, received %r'
                       % (caller, argument, ', '.join(TEMPORAL_START_POINTS), value))
  _common.check_final_endpoint(caller, final_endpoint, END_POINTS)
  _checks.check_count(caller, 'min_depth', min_depth)
  _common.check_depth_multiplier(caller, depth_multiplier)
  i3d_utils.check_data_format(caller, data_format)


def s3dg_base(inputs,
              first_temporal_kernel_size=3,
              temporal_conv_startat='Conv2d_2c_3x3',
              gating_startat='Conv2d_2c_3x3',
              final_endpoint='Mixed_5c',
              min_depth=16,
              depth_multiplier=1.0,
              data_format='NDHWC',
              scope='InceptionV1'):
  """The trunk of S3D-G (and of I3D) from `inputs` up to `final_endpoint`.

  Variables in `scope`: 'Conv2d_1a_7x7', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3'
  (and its 'temporal' part where separable), 'Mixed_3b/Branch_0/Conv2d_0a_1x1',
  ..., 'Mixed_5c/Branch_3/Conv2d_0b_1x1', and '<layer>/self_gating/transformer_W'
  where gated.

  Args:
    inputs: a 5-D tensor of clips, [batch, frames, height, width, channels]
      for 'NDHWC'.
    first_temporal_kernel_size: frames spanned by 'Conv2d_1a_7x7', 1, 3 (the
      default), 5 or 7 (I3D's); never separable.
    temporal_conv_startat: the first stage whose 3x3 convolutions span 3
      frames (before it, 1), one of TEMPORAL_START_POINTS, or None for none
      (default 'Conv2d_2c_3x3').
    gating_startat: the first stage with self-gating, one of
      TEMPORAL_START_POINTS, or None for none (default 'Conv2d_2c_3x3').
    final_endpoint: the last stage to build, one of END_POINTS (default 'Mixed_5c').
    min_depth: the least number of channels of a thinned layer (default 16).
    depth_multiplier: scales the channels of every layer (default 1.0).
    data_format: 'NDHWC' (default) or 'NCDHW'.
    scope: the variable scope (default 'InceptionV1').

  Returns:
    (net, end_points): the output of `final_endpoint`, and a dict of the
    output of each stage built.

  Raises:
    ValueError: `inputs` not of rank 5, a `first_temporal_kernel_size` other
      than 1, 3, 5 or 7, an unknown start point, final endpoint or data
      format, a `min_depth` < 1 or a `depth_multiplier` <= 0.
  """
  caller = 's3dg_base'
  inputs = i3d_utils.check_clips(caller, inputs)
  check_base_arguments(caller, first_temporal_kernel_size, temporal_conv_startat,
                       gating_startat, final_endpoint, min_depth, depth_multiplier, data_format)
  depth = _common.depth_fn(depth_multiplier, min_depth)

  def gating_fn(net, scope):
    return self_gating(net, scope, data_format=data_format)

  end_points = {}
  t, gate = 1, None
  net = inputs
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with slim.arg_scope([slim.conv3d], weights_initializer=_common.trunc_normal(0.01)):
      with slim.arg_scope([slim.conv3d, slim.max_pool3d, conv3d_spatiotemporal], stride=1,
                          data_format=data_format, padding='SAME'), \
          slim.arg_scope([slim.batch_norm], data_format=_BATCH_NORM_FORMATS[data_format]):
        for stage in STAGES:
          if stage.scope == temporal_conv_startat:
            t = 3
          if stage.scope == gating_startat:
            gate = gating_fn
          if isinstance(stage, Pool):
            net = slim.max_pool3d(net, stage.kernel, stride=stage.stride, scope=stage.scope)
          elif isinstance(stage, Block):
            net = inception_block_v1_3d(net, *[depth(d) for d in stage.depths],
                                        temporal_kernel_size=t, self_gating_fn=gate,
                                        data_format=data_format, scope=stage.scope)
          elif stage.scope == 'Conv2d_1a_7x7':  # separable convolutions are slow here
            net = conv3d_spatiotemporal(net, depth(stage.depth),
                                        [first_temporal_kernel_size] + stage.kernel[1:],
                                        stride=stage.stride, separable=False, scope=stage.scope)
          elif stage.kernel[0] is None:
            net = conv3d_spatiotemporal(net, depth(stage.depth), [t] + stage.kernel[1:],
                                        scope=stage.scope)
            if gate is not None:
              net = gate(net, scope=stage.scope)
          else:
            net = slim.conv3d(net, depth(stage.depth), stage.kernel, scope=stage.scope)
          end_points[stage.scope] = net
          if stage.scope == final_endpoint:
            break
  return net, end_points


def classification_head(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze,
                        prediction_fn, data_format='NDHWC'):
  """The head of I3D and S3D-G, in scope 'Logits': a [2, 7, 7] average pool
  (stride 1, VALID; smaller for a small input), dropout, 1x1x1 logits
  'Conv2d_0c_1x1' averaged over the remaining frames, squeezed to
  [batch, num_classes] if `spatial_squeeze`; end points 'Logits' and
  'Predictions'. With `num_classes` 0 or None, the pooled features averaged
  over frames, [batch, 1, 1, channels] (end point 'AvgPool_0a_7x7', no dropout).

  Returns:
    The logits, or the features.
  """
  with tf.compat.v1.variable_scope('Logits'):
    if data_format.startswith('NC'):
      net = tf.transpose(net, [0, 2, 3, 4, 1])
    kernel_size = i3d_utils.reduced_kernel_size_3d(net, [2, 7, 7])
    net = slim.avg_pool3d(net, kernel_size, stride=1, data_format='NDHWC',
                          scope='AvgPool_0a_7x7')
    if not num_classes:
      net = end_points['AvgPool_0a_7x7'] = tf.reduce_mean(net, axis=1, name='TemporalPool')
      return net
    net = slim.dropout(net, dropout_keep_prob, scope='Dropout_0b')
    logits = slim.conv3d(net, num_classes, [1, 1, 1], activation_fn=None, normalizer_fn=None,
                         data_format='NDHWC', scope='Conv2d_0c_1x1')
    logits = tf.reduce_mean(logits, axis=1)  # over the frames
    if spatial_squeeze:
      logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
    end_points['Logits'] = logits
    end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
    return logits


@registry.register_network(
    's3dg', arg_scope=s3dg_arg_scope, default_image_size=224, preprocessing='inception',
    num_classes=400, num_frames=64,
    small_build=registry.SmallBuild(32, {'depth_multiplier': 0.25}, num_frames=8))
def s3dg(inputs,
         num_classes=1000,
         first_temporal_kernel_size=3,
         temporal_conv_startat='Conv2d_2c_3x3',
         gating_startat='Conv2d_2c_3x3',
         final_endpoint='Mixed_5c',
         min_depth=16,
         depth_multiplier=1.0,
         dropout_keep_prob=0.8,
         is_training=True,
         prediction_fn=slim.softmax,
         spatial_squeeze=True,
         reuse=None,
         data_format='NDHWC',
         scope='InceptionV1'):
  """S3D-G for video classification; clips of 64 frames of 224 x 224.

  Variables: those of `s3dg_base`, and 'Logits/Conv2d_0c_1x1'.

  Args:
    inputs: a 5-D tensor of clips, [batch, frames, height, width, channels]
      for 'NDHWC'.
    num_classes: number of classes (default 1000); 0 or None returns the
      pooled features [batch, 1, 1, channels] (end point 'AvgPool_0a_7x7').
    first_temporal_kernel_size, temporal_conv_startat, gating_startat,
      final_endpoint, min_depth, depth_multiplier, data_format: see
      `s3dg_base` (defaults 3, 'Conv2d_2c_3x3', 'Conv2d_2c_3x3', 'Mixed_5c',
      16, 1.0, 'NDHWC').
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
    ValueError: `inputs` not of rank 5, a wrong `num_classes`, or a wrong
      argument of the base (see `s3dg_base`).
  """
  caller = 's3dg'
  inputs = i3d_utils.check_clips(caller, inputs)
  _common.check_num_classes(caller, num_classes)
  check_base_arguments(caller, first_temporal_kernel_size, temporal_conv_startat,
                       gating_startat, final_endpoint, min_depth, depth_multiplier, data_format)
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = s3dg_base(
          inputs, first_temporal_kernel_size=first_temporal_kernel_size,
          temporal_conv_startat=temporal_conv_startat, gating_startat=gating_startat,
          final_endpoint=final_endpoint, min_depth=min_depth,
          depth_multiplier=depth_multiplier, data_format=data_format, scope=scope)
      logits = classification_head(net, end_points, num_classes, dropout_keep_prob,
                                   spatial_squeeze, prediction_fn, data_format)
  return logits, end_points
