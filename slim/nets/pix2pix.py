"""The U-Net generator and PatchGAN discriminator of "Image-to-Image Translation
with Conditional Adversarial Networks" (Isola et al., 2017), as research/slim
defines them.

Image-to-image networks, not classifiers: they are not in `nets_factory`.

    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
      logits, end_points = pix2pix.pix2pix_generator(images, num_outputs=3)
      patch_logits, _ = pix2pix.pix2pix_discriminator(pairs, [64, 128, 256, 512])
"""
import collections
import functools
import numbers

import tensorflow as tf

import slim
from slim import _checks
from slim.nets import _common

__all__ = ['Block', 'pix2pix_arg_scope', 'pix2pix_discriminator', 'pix2pix_generator',
           'upsample']

UPSAMPLE_METHODS = ('nn_upsample_conv', 'conv2d_transpose')
PAD_MODES = ('CONSTANT', 'REFLECT', 'SYMMETRIC')


def pix2pix_arg_scope():
  """The arg scope of both networks: instance normalization (center, scale,
  epsilon 1e-5) after conv2d and conv2d_transpose, whose weights start from a
  normal of deviation 0.02.

  Returns:
    An arg_scope dict for `slim.arg_scope`.
  """
  instance_norm_params = {'center': True, 'scale': True, 'epsilon': 0.00001}
  with slim.arg_scope([slim.conv2d, slim.conv2d_transpose],
                      normalizer_fn=slim.instance_norm,
                      normalizer_params=instance_norm_params,
                      weights_initializer=tf.compat.v1.random_normal_initializer(0, 0.02)) as sc:
    return sc


def _check_method(caller, argument, method):
  if method not in UPSAMPLE_METHODS:
    raise ValueError('%s: Unknown method: [%s]; %s must be one of %s'
                     % (caller, method, argument, ', '.join(UPSAMPLE_METHODS)))
  return method


def _scaled_size(net, factors):
  """[factors[0] * height, factors[1] * width] of `net`: Python ints where
  both are known, else a tensor."""
  static = net.get_shape().as_list()[1:3]
  if (isinstance(factors, (list, tuple)) and None not in static
      and all(isinstance(f, numbers.Integral) for f in factors)):
    return [factors[0] * static[0], factors[1] * static[1]]
  dynamic = tf.shape(net)
  return tf.stack([factors[0] * dynamic[1], factors[1] * dynamic[2]])


def upsample(net, num_outputs, kernel_size, method='nn_upsample_conv'):
  """Upsamples `net` by the factors `kernel_size`, then convolves it to
  `num_outputs` channels (no activation).

  'nn_upsample_conv': nearest-neighbour resize, then a 4x4 conv2d (scope
  'Conv'); 'conv2d_transpose': a 4x4 conv2d_transpose of stride `kernel_size`
  (scope 'Conv2d_transpose').

  Args:
    net: a tensor [batch, height, width, channels].
    num_outputs: the number of output channels.
    kernel_size: the two scale factors [height, width] (ints, or a 1x2 tensor
      for 'nn_upsample_conv').
    method: 'nn_upsample_conv' (default) or 'conv2d_transpose'.

  Returns:
    A tensor [batch, kernel_size[0] * height, kernel_size[1] * width, num_outputs].

  Raises:
    ValueError: an unknown `method`.
  """
  _check_method('upsample', 'method', method)
  if method == 'nn_upsample_conv':
    net = tf.image.resize(net, _scaled_size(net, kernel_size),
                          method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    return slim.conv2d(net, num_outputs, [4, 4], activation_fn=None)
  return slim.conv2d_transpose(net, num_outputs, [4, 4], stride=kernel_size, activation_fn=None)


class Block(collections.namedtuple('Block', ['num_filters', 'decoder_keep_prob'])):
  """One level of the U-Net: an encoder convolution of `num_filters` and its
  mirror in the decoder, which sees the encoder's output concatenated to its
  input and, when `decoder_keep_prob` > 0, drops out with that keep probability."""
  __slots__ = ()


def _default_generator_blocks():
  """The seven blocks of the paper's 256 x 256 generator (64 ... 512 filters;
  dropout 0.5 on the three decoder levels nearest the bottleneck)."""
  return [Block(64, 0.5), Block(128, 0.5), Block(256, 0.5),
          Block(512, 0), Block(512, 0), Block(512, 0), Block(512, 0)]


def _check_blocks(blocks):
  for i, block in enumerate(blocks):
    if not (isinstance(block, tuple) and len(block) == 2):
      raise TypeError('pix2pix_generator: blocks[%d] must be a Block(num_filters, '
                      'decoder_keep_prob), received %r' % (i, block))
    _checks.check_count('pix2pix_generator', 'blocks[%d].num_filters' % i, block[0])
    _checks.check_number('pix2pix_generator', 'blocks[%d].decoder_keep_prob' % i, block[1],
                         minimum=0)
    if block[1] > 1:
      raise ValueError('pix2pix_generator: blocks[%d].decoder_keep_prob must be in [0, 1] '
                       '(0: no dropout), received %r' % (i, block[1]))
  return [Block(*block) for block in blocks]


def _check_generator_inputs(net, num_outputs, blocks):
  net = _common.check_images('pix2pix_generator', net)
  _checks.check_count('pix2pix_generator', 'num_outputs', num_outputs)
  multiple = 2 ** len(blocks)
  for axis, size in (('height', net.get_shape()[1]), ('width', net.get_shape()[2])):
    if size is not None and size % multiple:
      raise ValueError('pix2pix_generator: the input %s must be a multiple of 2**len(blocks) '
                       '= %d (one halving per block), received %d (input shape %s)'
                       % (axis, multiple, size, net.get_shape()))
  if net.get_shape()[3] is None:
    raise ValueError('pix2pix_generator: the number of input channels must be known, '
                     'received shape %s' % net.get_shape())
  return net


def pix2pix_generator(net,
                      num_outputs,
                      blocks=None,
                      upsample_method='nn_upsample_conv',
                      is_training=False):
  """The U-Net generator: one stride-2 4x4 convolution per block down, then one
  upsampling per block up, each decoder level fed the matching encoder output.

  Variables: 'encoder/Conv', 'encoder/Conv_1', ... (one per block; the first
  and the last without normalization), 'decoder/Conv' ... (or
  'decoder/Conv2d_transpose' ..., one per block) and 'output/Conv' (no
  normalization); under `pix2pix_arg_scope` the normalized layers have
  'InstanceNorm/beta' and 'gamma' instead of 'biases'. The decoder's dropout
  is active in training and in inference, as in the paper.

  Args:
    net: a tensor [batch, height, width, channels]; height and width must be
      multiples of 2**len(blocks) (128 with the default blocks) and the
      channels known. The batch size and spatial sizes may be unknown.
    num_outputs: the number of output channels.
    blocks: a list of `Block`s, encoder order; None or empty: the default
      (`_default_generator_blocks()`).
    upsample_method: 'nn_upsample_conv' (default) or 'conv2d_transpose'.
    is_training: unused (the dropout is always active); kept for the common
      generator signature. Default False.

  Returns:
    (logits, end_points): the logits [batch, height, width, num_outputs], and
    'encoder0' ... 'encoder<n-1>', 'decoder0' ... 'decoder<n-1>', 'logits',
    'predictions' (tanh of the logits).

  Raises:
    ValueError: `net` not of rank 4, unknown channels, a height or width that
      is not a multiple of 2**len(blocks), a bad `num_outputs` or block, or an
      unknown `upsample_method`.
  """
  del is_training  # the dropout is active at training and at test time
  blocks = _check_blocks(blocks or _default_generator_blocks())
  net = _check_generator_inputs(net, num_outputs, blocks)
  _check_method('pix2pix_generator', 'upsample_method', upsample_method)
  upsample_fn = functools.partial(upsample, method=upsample_method)
  output_shape = net.get_shape().as_list()[:3] + [num_outputs]
  if None in output_shape:
    output_shape = tf.concat([tf.shape(net)[:3], [num_outputs]], 0)
  end_points = {}

  encoder_activations = []
  with tf.compat.v1.variable_scope('encoder'):
    with slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2,
                        activation_fn=tf.nn.leaky_relu):
      for block_id, block in enumerate(blocks):
        if block_id == 0:  # no normalization on the first layer (section 5.1.1)
          net = slim.conv2d(net, block.num_filters, normalizer_fn=None)
        elif block_id < len(blocks) - 1:
          net = slim.conv2d(net, block.num_filters)
        else:  # the bottleneck: neither normalization nor activation
          net = slim.conv2d(net, block.num_filters, activation_fn=None, normalizer_fn=None)
        encoder_activations.append(net)
        end_points['encoder%d' % block_id] = net

  with tf.compat.v1.variable_scope('decoder'):
    with slim.arg_scope([slim.dropout], is_training=True):
      for block_id, block in enumerate(reversed(blocks)):
        if block_id > 0:
          net = tf.concat([net, encoder_activations[-block_id - 1]], axis=3)
        net = tf.nn.relu(net)  # before the upsampling
        net = upsample_fn(net, block.num_filters, [2, 2])
        if block.decoder_keep_prob > 0:
          net = slim.dropout(net, keep_prob=block.decoder_keep_prob)
        end_points['decoder%d' % block_id] = net

  with tf.compat.v1.variable_scope('output'):
    logits = slim.conv2d(net, num_outputs, [4, 4], activation_fn=None, normalizer_fn=None)
    logits = tf.reshape(logits, output_shape)
    end_points['logits'] = logits
    end_points['predictions'] = tf.tanh(logits)
  return logits, end_points


def _check_discriminator_args(net, num_filters, padding, pad_mode, activation_fn):
  caller = 'pix2pix_discriminator'
  net = _common.check_images(caller, net)
  if isinstance(num_filters, (str, bytes)) or not isinstance(num_filters, (list, tuple)):
    raise TypeError('%s: num_filters must be a list of filter counts, one per layer, '
                    'received %r' % (caller, num_filters))
  if len(num_filters) < 2:
    raise ValueError('%s: num_filters must list at least 2 layers (the last one has stride '
                     '1), received %r' % (caller, num_filters))
  for i, filters in enumerate(num_filters):
    _checks.check_count(caller, 'num_filters[%d]' % i, filters)
  if not (isinstance(padding, numbers.Integral) and not isinstance(padding, bool)):
    raise TypeError('%s: padding must be a non-negative int (the padding before each '
                    'convolution), received %r' % (caller, padding))
  if padding < 0:
    raise ValueError('%s: padding must be a non-negative int, received %r' % (caller, padding))
  if not (isinstance(pad_mode, str) and pad_mode.upper() in PAD_MODES):
    raise ValueError('%s: pad_mode must be one of %s, received %r'
                     % (caller, ', '.join(PAD_MODES), pad_mode))
  _checks.check_callable(caller, 'activation_fn', activation_fn)
  return net


def pix2pix_discriminator(net, num_filters, padding=2, pad_mode='REFLECT',
                          activation_fn=tf.nn.leaky_relu, is_training=False):
  """The PatchGAN discriminator: 4x4 VALID convolutions, each after a padding
  of `padding` pixels; stride 2 except for the last two.

  Variables: 'conv0' (weights and biases: no normalization), 'conv1' ...
  'conv<n-1>' (normalized by the arg scope), 'conv<n>' (the logits, 1 channel,
  weights and biases), n = len(num_filters).

  Args:
    net: a tensor [batch, height, width, channels].
    num_filters: the filters of each layer but the logits, at least 2 layers.
    padding: pixels padded on each side before each convolution (default 2;
      0: none).
    pad_mode: how `tf.pad` pads: 'CONSTANT', 'REFLECT' (default) or 'SYMMETRIC'.
    activation_fn: the activation of every layer but the logits (default
      tf.nn.leaky_relu).
    is_training: unused; kept for the common discriminator signature.

  Returns:
    (logits, end_points): the logits [batch, N, N, 1], one per patch, and the
    end points 'conv0' ... 'conv<n-1>', 'logits', 'predictions' (sigmoid).

  Raises:
    TypeError: a `padding` that is not an int, or `num_filters` not a list.
    ValueError: `net` not of rank 4, a negative `padding`, fewer than 2 layers,
      a bad filter count or `pad_mode`.
  """
  del is_training  # neither dropout nor batch norm
  net = _check_discriminator_args(net, num_filters, padding, pad_mode, activation_fn)
  num_layers = len(num_filters)
  end_points = {}

  def padded(net, scope):
    if not padding:
      return net
    with tf.compat.v1.variable_scope(scope):
      paddings = tf.constant([[0, 0], [padding, padding], [padding, padding], [0, 0]],
                             dtype=tf.int32)
      return tf.pad(tensor=net, paddings=paddings, mode=pad_mode)

  with slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2, padding='valid',
                      activation_fn=activation_fn):
    net = slim.conv2d(padded(net, 'conv0'), num_filters[0], normalizer_fn=None, scope='conv0')
    end_points['conv0'] = net
    for i in range(1, num_layers - 1):
      scope = 'conv%d' % i
      net = slim.conv2d(padded(net, scope), num_filters[i], scope=scope)
      end_points[scope] = net
    scope = 'conv%d' % (num_layers - 1)
    net = slim.conv2d(padded(net, scope), num_filters[-1], stride=1, scope=scope)
    end_points[scope] = net

    scope = 'conv%d' % num_layers
    logits = slim.conv2d(padded(net, scope), 1, stride=1, activation_fn=None,
                         normalizer_fn=None, scope=scope)
    end_points['logits'] = logits
    end_points['predictions'] = tf.sigmoid(logits)
  return logits, end_points
