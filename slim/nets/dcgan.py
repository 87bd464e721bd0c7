"""The DCGAN generator and discriminator ("Unsupervised Representation Learning
with Deep Convolutional Generative Adversarial Networks", Radford et al., 2015,
https://arxiv.org/abs/1511.06434), as research/slim defines them.

GAN networks, not classifiers: they are not in `nets_factory`.

    images, _ = dcgan.generator(noise, final_size=32)        # noise [batch, N]
    logits, _ = dcgan.discriminator(images)                   # logits [batch, 1]
"""
import math
import numbers

import tensorflow as tf

import slim
from slim import _checks
from slim.nets import _common

__all__ = ['discriminator', 'generator']


def _is_power_of_two(value):
  return (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0
          and value & (value - 1) == 0)


def _validate_image_inputs(inputs):
  """Checks that `inputs` are square images of a known power-of-2 size.

  Raises:
    ValueError: rank not 4, unknown height or width, height != width, or a
      size that is not a power of 2.
  """
  inputs = _common.check_images('dcgan.discriminator', inputs)
  shape = inputs.get_shape()
  if not shape[1:3].is_fully_defined():
    raise ValueError('dcgan.discriminator: the input height and width must be known, '
                     'received shape %s' % shape)
  height, width = shape.as_list()[1:3]
  if height != width:
    raise ValueError('Input tensor does not have equal width and height: %s '
                     '(dcgan.discriminator: square images expected)' % shape[1:3])
  if not _is_power_of_two(width):
    raise ValueError('Input tensor `width` is not a power of 2: %d (dcgan.discriminator: '
                     'expected 1, 2, 4, 8, ...)' % width)
  return inputs


def _batch_norm_params(is_training, fused_batch_norm):
  return {'is_training': is_training, 'zero_debias_moving_mean': True,
          'fused': fused_batch_norm}


# As in research/slim, batch norm is not fused by default: some GAN losses need
# the gradient of the gradient of batch norm.
def discriminator(inputs,
                  depth=64,
                  is_training=True,
                  reuse=None,
                  scope='Discriminator',
                  fused_batch_norm=False):
  """The DCGAN discriminator: log2(size) stride-2 4x4 convolutions (leaky relu;
  batch norm but on the first) down to 1 x 1, then a 1x1 convolution to one logit.

  Variables, in `scope`: 'conv1' (weights, biases), 'conv2' ... (weights and
  'BatchNorm/beta', 'moving_mean', 'moving_variance'; with
  'moving_mean/biased' and 'moving_mean/local_step' in training, for the
  zero-debiased moving mean) and 'Conv' (the logits, weights and biases).

  Args:
    inputs: float images [batch, size, size, channels], size a power of 2.
    depth: channels of the first convolution, doubled at each next one (64).
    is_training: whether batch norm normalizes with the batch statistics and
      updates its moving averages (default True).
    reuse: whether to reuse the variables of `scope` (None).
    scope: the variable scope (default 'Discriminator').
    fused_batch_norm: use the fused batch norm kernel (default False).

  Returns:
    (logits, end_points): the logits [batch, 1], and 'conv1' ... 'conv<log2(size)>',
    'logits'.

  Raises:
    ValueError: images not of rank 4, not square, of unknown or non-power-of-2
      size, or a bad `depth`.
  """
  inputs = _validate_image_inputs(inputs)
  _checks.check_count('dcgan.discriminator', 'depth', depth)
  num_layers = int(math.log2(inputs.get_shape().as_list()[1]))
  end_points = {}
  with tf.compat.v1.variable_scope(scope, values=[inputs], reuse=reuse):
    with slim.arg_scope([slim.batch_norm], **_batch_norm_params(is_training, fused_batch_norm)):
      with slim.arg_scope([slim.conv2d], stride=2, kernel_size=4,
                          activation_fn=tf.nn.leaky_relu):
        net = inputs
        for i in range(num_layers):
          layer = 'conv%i' % (i + 1)
          net = slim.conv2d(net, depth * 2**i,
                            normalizer_fn=None if i == 0 else slim.batch_norm, scope=layer)
          end_points[layer] = net
        # 1 x 1 x depth * 2**(num_layers - 1)
        logits = slim.conv2d(net, 1, kernel_size=1, stride=1, padding='VALID',
                             normalizer_fn=None, activation_fn=None)
        logits = tf.reshape(logits, [-1, 1])
        end_points['logits'] = logits
  return logits, end_points


def _check_generator_args(inputs, depth, final_size, num_outputs):
  caller = 'dcgan.generator'
  try:
    inputs = tf.convert_to_tensor(inputs)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: inputs must be a tensor [batch, N], received %r (%s)'
                    % (caller, inputs, error)) from None
  if inputs.get_shape().ndims != 2:
    raise ValueError('%s: inputs must have rank 2 [batch_size, N] (a noise vector per '
                     'image), received shape %s' % (caller, inputs.get_shape()))
  if inputs.get_shape()[1] is None:
    raise ValueError('%s: the input size N must be known, received shape %s'
                     % (caller, inputs.get_shape()))
  if not _is_power_of_two(final_size):
    raise ValueError('%s: `final_size` (%r) must be a power of 2.' % (caller, final_size))
  if final_size < 8:
    raise ValueError('%s: `final_size` (%i) must be greater than 8 or equal to it (a power '
                     'of 2 >= 8).' % (caller, final_size))
  _checks.check_count(caller, 'depth', depth)
  _checks.check_count(caller, 'num_outputs', num_outputs)
  return inputs


def generator(inputs,
              depth=64,
              final_size=32,
              num_outputs=3,
              is_training=True,
              reuse=None,
              scope='Generator',
              fused_batch_norm=False):
  """The DCGAN generator: a noise vector through 4x4 transposed convolutions
  (relu, batch norm) from 4 x 4 up to `final_size`, then a 1x1 convolution to
  `num_outputs` channels.

  Variables, in `scope`: 'deconv1' ... 'deconv<n-1>' (weights and
  'BatchNorm/beta', 'moving_mean', 'moving_variance'; with
  'moving_mean/biased' and 'moving_mean/local_step' in training),
  'deconv<n>' and 'logits' (weights and biases), n = log2(final_size) - 1.

  Args:
    inputs: a tensor [batch, N], N known.
    depth: channels of the last transposed convolution, doubled at each
      earlier one (default 64).
    final_size: the output height and width, a power of 2 >= 8 (default 32).
    num_outputs: the output channels (default 3).
    is_training: whether batch norm uses the batch statistics and updates its
      moving averages (default True).
    reuse: whether to reuse the variables of `scope` (None).
    scope: the variable scope (default 'Generator').
    fused_batch_norm: use the fused batch norm kernel (default False).

  Returns:
    (logits, end_points): the logits [batch, final_size, final_size,
    num_outputs] (no activation), and 'deconv1' ... 'deconv<n>', 'logits'.

  Raises:
    ValueError: `inputs` not of rank 2 or of unknown N, a `final_size` that is
      not a power of 2 or is below 8, or a bad `depth` or `num_outputs`.
  """
  inputs = _check_generator_args(inputs, depth, final_size, num_outputs)
  num_layers = int(math.log2(final_size)) - 1
  end_points = {}
  with tf.compat.v1.variable_scope(scope, values=[inputs], reuse=reuse):
    with slim.arg_scope([slim.batch_norm], **_batch_norm_params(is_training, fused_batch_norm)):
      with slim.arg_scope([slim.conv2d_transpose], normalizer_fn=slim.batch_norm, stride=2,
                          kernel_size=4):
        net = tf.expand_dims(tf.expand_dims(inputs, 1), 1)
        # The first layer makes 4 x 4 of the 1 x 1 input.
        layer = 'deconv1'
        net = slim.conv2d_transpose(net, depth * 2**(num_layers - 1), stride=1,
                                    padding='VALID', scope=layer)
        end_points[layer] = net
        for i in range(2, num_layers):
          layer = 'deconv%i' % i
          net = slim.conv2d_transpose(net, depth * 2**(num_layers - i), scope=layer)
          end_points[layer] = net
        # The last one: neither normalization nor activation.
        layer = 'deconv%i' % num_layers
        net = slim.conv2d_transpose(net, depth, normalizer_fn=None, activation_fn=None,
                                    scope=layer)
        end_points[layer] = net
        # final_size x final_size x depth
        logits = slim.conv2d(net, num_outputs, normalizer_fn=None, activation_fn=None,
                             kernel_size=1, stride=1, padding='VALID', scope='logits')
        end_points['logits'] = logits
        logits.get_shape().assert_has_rank(4)
        logits.get_shape().assert_is_compatible_with([None, final_size, final_size,
                                                      num_outputs])
  return logits, end_points
