"""Image preprocessing of CifarNet (CIFAR-10).

Training zero-pads the image, takes a random crop of the output size, flips it
left-right at random, changes brightness and contrast at random and
standardises it (zero mean, unit variance per image). Evaluation crops or pads
the image centrally to the output size and standardises it. Pixel values are
cast to float32 without scaling (uint8 and float inputs are read alike).

Randomness: training takes `seed`, from which each random op's op-level seed
is derived; without it the ops follow the global seed.
"""
import tensorflow as tf

from slim.preprocessing import _ops

__all__ = ['preprocess_for_train', 'preprocess_for_eval', 'preprocess_image']

_PADDING = 4


def preprocess_for_train(image, output_height, output_width, padding=_PADDING,
                         add_image_summaries=True, use_grayscale=False, seed=None):
  """Pad, random crop, random flip, random brightness and contrast, standardise.

  Args:
    image: 3-D image, any number of channels (RGB with `use_grayscale`).
    output_height, output_width: positive ints, the output size.
    padding: zero rows and columns added on each side before the crop (default 4).
    add_image_summaries: in a TF1 graph, summarise the input and the crop (default True).
    use_grayscale: convert RGB to one grayscale channel first (default False).
    seed: None or int, from which every random op's seed is derived.

  Returns:
    float32 [output_height, output_width, channels], standardised.

  Raises:
    ValueError: if an argument is invalid.

  Example:
    image = preprocess_for_train(cifar_image, 32, 32, seed=0)
  """
  function = 'cifarnet_preprocessing.preprocess_for_train'
  output_height = _ops.check_size(function, 'output_height', output_height)
  output_width = _ops.check_size(function, 'output_width', output_width)
  if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
    raise ValueError('%s: padding must be an int >= 0, received %r' % (function, padding))
  seeds = _ops.SeedStream(function, seed)
  image = _ops.check_image(function, image)
  if add_image_summaries:
    _ops.image_summary('image', image)
  image = _ops.float_image(function, image, use_grayscale)
  if padding > 0:
    image = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
  channels = tf.compat.dimension_value(image.get_shape()[2])
  size = [output_height, output_width, channels if channels else tf.shape(image)[2]]
  distorted = tf.image.random_crop(image, tf.stack(size), seed=seeds())
  distorted.set_shape([output_height, output_width, channels])
  distorted = tf.image.random_flip_left_right(distorted, seed=seeds())
  if add_image_summaries:
    _ops.image_summary('distorted_image', distorted)
  distorted = tf.image.random_brightness(distorted, max_delta=63, seed=seeds())
  distorted = tf.image.random_contrast(distorted, lower=0.2, upper=1.8, seed=seeds())
  return tf.image.per_image_standardization(distorted)


def preprocess_for_eval(image, output_height, output_width, add_image_summaries=True,
                        use_grayscale=False):
  """Central crop or zero-pad to the output size, then standardise.

  Args:
    image: 3-D image, any number of channels (RGB with `use_grayscale`).
    output_height, output_width: positive ints, the output size.
    add_image_summaries: in a TF1 graph, summarise the input and the result (default True).
    use_grayscale: convert RGB to one grayscale channel first (default False).

  Returns:
    float32 [output_height, output_width, channels], standardised.

  Raises:
    ValueError: if an argument is invalid.
  """
  function = 'cifarnet_preprocessing.preprocess_for_eval'
  output_height = _ops.check_size(function, 'output_height', output_height)
  output_width = _ops.check_size(function, 'output_width', output_width)
  image = _ops.check_image(function, image)
  if add_image_summaries:
    _ops.image_summary('image', image)
  image = _ops.float_image(function, image, use_grayscale)
  resized = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
  if add_image_summaries:
    _ops.image_summary('resized_image', resized)
  return tf.image.per_image_standardization(resized)


@_ops.register('cifarnet')
def preprocess_image(image, output_height, output_width, is_training=False,
                     add_image_summaries=True, use_grayscale=False, seed=None):
  """Preprocesses one image for training or evaluation.

  Args:
    image: 3-D image.
    output_height, output_width: the output size.
    is_training: distort for training (default False).
    add_image_summaries: image summaries in TF1 graphs (default True).
    use_grayscale: convert RGB to one grayscale channel first (default False).
    seed: training only: seed of the random ops (default None).

  Returns:
    float32 [output_height, output_width, channels], standardised.
  """
  if is_training:
    return preprocess_for_train(image, output_height, output_width,
                                add_image_summaries=add_image_summaries,
                                use_grayscale=use_grayscale, seed=seed)
  return preprocess_for_eval(image, output_height, output_width,
                             add_image_summaries=add_image_summaries,
                             use_grayscale=use_grayscale)
