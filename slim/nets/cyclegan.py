"""The ResNet generator of CycleGAN ("Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", Zhu et al., 2017), as research/slim
defines it, after https://github.com/junyanz/CycleGAN's architectures.lua.

An image-to-image network, not a classifier: it is not in `nets_factory`.
The generator enters its own arg scope (`arg_scope_fn`):

    predictions, end_points = cyclegan.cyclegan_generator_resnet(images)
"""
import numbers

import numpy as np
import tensorflow as tf

import slim
from slim import _checks
from slim.nets import _common

__all__ = ['cyclegan_arg_scope', 'cyclegan_generator_resnet', 'cyclegan_upsample']

UPSAMPLE_METHODS = ('nn_upsample_conv', 'bilinear_upsample_conv', 'conv2d_transpose')
PAD_MODES = ('CONSTANT', 'REFLECT', 'SYMMETRIC')


def cyclegan_arg_scope(instance_norm_center=True,
                       instance_norm_scale=True,
                       instance_norm_epsilon=0.001,
                       weights_init_stddev=0.02,
                       weight_decay=0.0):
  """The arg scope of the CycleGAN networks: conv2d followed by instance
  normalization, weights from a normal distribution, optional L2 decay.

  Args:
    instance_norm_center: whether instance normalization adds `beta` (True).
    instance_norm_scale: whether it multiplies by `gamma` (True).
    instance_norm_epsilon: added to the variance (default 0.001).
    weights_init_stddev: deviation of the initial conv2d weights (0.02).
    weight_decay: L2 scale of the conv2d weights; 0 (default) adds no
      regularization loss.

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  instance_norm_params = {'center': instance_norm_center, 'scale': instance_norm_scale,
                          'epsilon': instance_norm_epsilon}
  weights_regularizer = None
  if weight_decay and weight_decay > 0.0:
    weights_regularizer = slim.l2_regularizer(weight_decay)
  with slim.arg_scope([slim.conv2d],
                      normalizer_fn=slim.instance_norm,
                      normalizer_params=instance_norm_params,
                      weights_initializer=tf.compat.v1.random_normal_initializer(
                          0, weights_init_stddev),
                      weights_regularizer=weights_regularizer) as sc:
    return sc


def _check_upsample_args(method, pad_mode):
  if method not in UPSAMPLE_METHODS:
    raise ValueError('cyclegan_upsample: Unknown method: [%s]; method must be one of %s'
                     % (method, ', '.join(UPSAMPLE_METHODS)))
  if not (isinstance(pad_mode, str) and pad_mode.upper() in PAD_MODES):
    raise ValueError('cyclegan_upsample: pad_mode must be one of %s, received %r'
                     % (', '.join(PAD_MODES), pad_mode))


def _scaled_size(net, stride):
  """[stride[0] * height, stride[1] * width]: Python ints where all are known,
  else a tensor."""
  static = net.get_shape().as_list()[1:3]
  if (isinstance(stride, (list, tuple)) and None not in static
      and all(isinstance(s, numbers.Integral) for s in stride)):
    return [stride[0] * static[0], stride[1] * static[1]]
  shape = tf.shape(net)
  return tf.stack([stride[0] * shape[1], stride[1] * shape[2]])


def cyclegan_upsample(net, num_outputs, stride, method='conv2d_transpose',
                      pad_mode='REFLECT', align_corners=False):
  """Upsamples `net` by the factors `stride` to `num_outputs` channels, in the
  variable scope 'upconv'.

  'nn_upsample_conv' / 'bilinear_upsample_conv': a nearest-neighbour /
  bilinear resize, a padding of 1 (`pad_mode`) and a 3x3 VALID conv2d ('Conv').
  'conv2d_transpose': a 3x3 VALID conv2d_transpose of stride `stride`
  ('Conv2d_transpose'), cropped by its first row and column so that the
  output is exactly `stride` times the input.

  Args:
    net: a tensor [batch, height, width, channels].
    num_outputs: the number of output channels.
    stride: the two scale factors [height, width] (ints, or a 1x2 tensor for
      the resizing methods).
    method: 'nn_upsample_conv', 'bilinear_upsample_conv' or
      'conv2d_transpose' (default).
    pad_mode: the padding of the resizing methods, 'CONSTANT', 'REFLECT'
      (default) or 'SYMMETRIC'.
    align_corners: for 'bilinear_upsample_conv', align the centres of the
      corner pixels of input and output (default False).

  Returns:
    A tensor [batch, stride[0] * height, stride[1] * width, num_outputs].

  Raises:
    ValueError: an unknown `method` or `pad_mode`.
  """
  _check_upsample_args(method, pad_mode)
  with tf.compat.v1.variable_scope('upconv'):
    # A padding of 1 makes a 3x3 VALID convolution keep the spatial size.
    spatial_pad_1 = np.array([[0, 0], [1, 1], [1, 1], [0, 0]])
    if method == 'conv2d_transpose':
      # conv2d aligns even sizes left and conv2d_transpose right: crop the
      # first row and column (research/slim's choice, not the paper's).
      net = slim.conv2d_transpose(net, num_outputs, kernel_size=[3, 3], stride=stride,
                                  padding='valid')
      return net[:, 1:, 1:, :]
    size = _scaled_size(net, stride)
    if method == 'nn_upsample_conv':
      net = tf.image.resize(net, size, method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    else:
      net = tf.compat.v1.image.resize_bilinear(net, size, align_corners=align_corners)
    net = tf.pad(tensor=net, paddings=spatial_pad_1, mode=pad_mode)
    return slim.conv2d(net, num_outputs, kernel_size=[3, 3], padding='valid')


def _dynamic_or_static_shape(tensor):
  """The shape of `tensor`: a numpy array where it is fully known, else a tensor."""
  shape = tf.shape(input=tensor)
  static_shape = tf.get_static_value(shape)
  return static_shape if static_shape is not None else shape


def _check_generator_args(images, arg_scope_fn, num_resnet_blocks, num_filters, upsample_fn,
                          kernel_size, tanh_linear_slope):
  caller = 'cyclegan_generator_resnet'
  images = _common.check_images(caller, images)
  height, width, channels = images.get_shape().as_list()[1:]
  if height and height % 4 != 0:
    raise ValueError('The input height must be a multiple of 4. (%s: received height %d, '
                     'input shape %s)' % (caller, height, images.get_shape()))
  if width and width % 4 != 0:
    raise ValueError('The input width must be a multiple of 4. (%s: received width %d, '
                     'input shape %s)' % (caller, width, images.get_shape()))
  if channels is None:
    raise ValueError('%s: the number of input channels (also that of the output) must be '
                     'known, received shape %s' % (caller, images.get_shape()))
  _checks.check_callable(caller, 'arg_scope_fn', arg_scope_fn, allow_none=False)
  _checks.check_callable(caller, 'upsample_fn', upsample_fn, allow_none=False)
  _checks.check_count(caller, 'num_resnet_blocks', num_resnet_blocks, allow_zero=True)
  _checks.check_count(caller, 'num_filters', num_filters)
  _checks.check_number(caller, 'tanh_linear_slope', tanh_linear_slope)
  kernel_size = (list(kernel_size) if isinstance(kernel_size, (list, tuple))
                 else [kernel_size, kernel_size])
  if len(kernel_size) != 2 or not all(
      isinstance(k, numbers.Integral) and not isinstance(k, bool) and k > 0
      for k in kernel_size):
    raise ValueError('%s: kernel_size must be a positive int or a list of 2 positive ints '
                     '[height, width], received %r' % (caller, kernel_size))
  return images, kernel_size


def cyclegan_generator_resnet(images,
                              arg_scope_fn=cyclegan_arg_scope,
                              num_resnet_blocks=6,
                              num_filters=64,
                              upsample_fn=cyclegan_upsample,
                              kernel_size=3,
                              tanh_linear_slope=0.0,
                              is_training=False):
  """The CycleGAN ResNet generator: a 7x7 input convolution, two stride-2
  convolutions down, `num_resnet_blocks` residual blocks, two upsamplings and
  a 7x7 output convolution, every convolution after a reflection padding.

  Variables (no enclosing scope): 'input/Conv', 'encoder/Conv',
  'encoder/Conv_1', 'residual_blocks/block_<i>/Conv' and 'Conv_1',
  'decoder/decoder1/upconv/...', 'decoder/decoder2/upconv/...' (as
  `upsample_fn` makes them) and 'output/Conv' (weights and biases: no
  normalization); under `cyclegan_arg_scope` the other conv2d layers have
  'InstanceNorm/beta' and 'gamma' instead of 'biases'.

  Args:
    images: a tensor [batch, height, width, channels]; height and width, where
      known, multiples of 4; the channels known (the output has as many).
    arg_scope_fn: makes the arg scope the network is built in (default
      `cyclegan_arg_scope`).
    num_resnet_blocks: the number of residual blocks (default 6).
    num_filters: the filters of the first layer; the encoder doubles them
      twice (default 64).
    upsample_fn: upsample_fn(net, num_outputs=, stride=) for the decoder
      (default `cyclegan_upsample`).
    kernel_size: an int or [height, width], the kernels of the encoder,
      residual blocks and decoder (default 3).
    tanh_linear_slope: the slope of a linear term added to the tanh of the
      logits in 'predictions' (default 0).
    is_training: unused (neither dropout nor batch norm); kept for the common
      generator signature.

  Returns:
    (predictions, end_points): the predictions, of the shape of `images`, and
    'encoder_0', 'encoder_1', 'encoder_2', 'resnet_block_0' ..., 'decoder1',
    'decoder2', 'logits', 'predictions'.

  Raises:
    ValueError: `images` not of rank 4, a known height or width that is not a
      multiple of 4, unknown channels, or a bad argument.
    TypeError: an `arg_scope_fn` or `upsample_fn` that is not callable.
  """
  del is_training  # neither dropout nor batch norm
  images, kernel_size = _check_generator_args(
      images, arg_scope_fn, num_resnet_blocks, num_filters, upsample_fn, kernel_size,
      tanh_linear_slope)
  num_outputs = images.get_shape().as_list()[3]
  kernel_height, kernel_width = kernel_size
  # SAME-like reflection padding of a kernel (more after than before if even).
  paddings = np.array([[0, 0], [(kernel_height - 1) // 2, kernel_height // 2],
                       [(kernel_width - 1) // 2, kernel_width // 2], [0, 0]], dtype=np.int32)
  spatial_pad_3 = np.array([[0, 0], [3, 3], [3, 3], [0, 0]])
  end_points = {}

  with slim.arg_scope(arg_scope_fn()):
    with tf.compat.v1.variable_scope('input'):
      net = tf.pad(tensor=images, paddings=spatial_pad_3, mode='REFLECT')
      net = slim.conv2d(net, num_filters, kernel_size=[7, 7], padding='VALID')
      end_points['encoder_0'] = net

    with tf.compat.v1.variable_scope('encoder'):
      with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=2,
                          activation_fn=tf.nn.relu, padding='VALID'):
        net = tf.pad(tensor=net, paddings=paddings, mode='REFLECT')
        net = slim.conv2d(net, num_filters * 2)
        end_points['encoder_1'] = net
        net = tf.pad(tensor=net, paddings=paddings, mode='REFLECT')
        net = slim.conv2d(net, num_filters * 4)
        end_points['encoder_2'] = net
    # height / 4 x width / 4 x 4 * num_filters

    with tf.compat.v1.variable_scope('residual_blocks'):
      with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=1,
                          activation_fn=tf.nn.relu, padding='VALID'):
        for block_id in range(num_resnet_blocks):
          with tf.compat.v1.variable_scope('block_{}'.format(block_id)):
            res_net = tf.pad(tensor=net, paddings=paddings, mode='REFLECT')
            res_net = slim.conv2d(res_net, num_filters * 4)
            res_net = tf.pad(tensor=res_net, paddings=paddings, mode='REFLECT')
            res_net = slim.conv2d(res_net, num_filters * 4, activation_fn=None)
            net += res_net
            end_points['resnet_block_%d' % block_id] = net

    with tf.compat.v1.variable_scope('decoder'):
      with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=1,
                          activation_fn=tf.nn.relu):
        with tf.compat.v1.variable_scope('decoder1'):
          net = upsample_fn(net, num_outputs=num_filters * 2, stride=[2, 2])
        end_points['decoder1'] = net
        with tf.compat.v1.variable_scope('decoder2'):
          net = upsample_fn(net, num_outputs=num_filters, stride=[2, 2])
        end_points['decoder2'] = net
    # height x width x num_filters

    with tf.compat.v1.variable_scope('output'):
      net = tf.pad(tensor=net, paddings=spatial_pad_3, mode='REFLECT')
      logits = slim.conv2d(net, num_outputs, [7, 7], activation_fn=None, normalizer_fn=None,
                           padding='valid')
      logits = tf.reshape(logits, _dynamic_or_static_shape(images))
      end_points['logits'] = logits
      end_points['predictions'] = tf.tanh(logits) + logits * tanh_linear_slope
  return end_points['predictions'], end_points
