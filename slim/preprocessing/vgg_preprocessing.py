"""Image preprocessing of the VGG networks (also used by ResNet V1), after Simonyan and
Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition" (2015).

Training resizes the image so that its smaller side is a random length in
[resize_side_min, resize_side_max] (aspect ratio kept), takes a random crop of
the output size and flips it left-right at random. Evaluation resizes the
smaller side to 256 and takes the central crop. Both subtract the ImageNet
channel means; pixel values stay on the 0-255 scale of the input (no dtype
scaling: uint8 and float images alike are read as 0-255), and the output is
float32.

Randomness: training takes `seed`, from which each random op's op-level seed
is derived; without it the ops follow the global seed.
"""
import tensorflow as tf

from slim.preprocessing import _ops

__all__ = ['preprocess_for_train', 'preprocess_for_eval', 'preprocess_image']

_R_MEAN = 123.68
_G_MEAN = 116.78
_B_MEAN = 103.94

_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512


def _channel_means(use_grayscale):
  """The means subtracted from RGB, or from the grayscale channel: the grayscale of
  the RGB means, so that gray(image) - gray(means) == gray(image - means)."""
  means = [_R_MEAN, _G_MEAN, _B_MEAN]
  if use_grayscale:
    return [sum(w * m for w, m in zip(_ops.GRAYSCALE_WEIGHTS, means))]
  return means


def _crop(image, offset_height, offset_width, crop_height, crop_width):
  """The [crop_height, crop_width] window of a 3-D image at the given offsets.

  Raises (when run) InvalidArgumentError if the window does not fit the image.
  """
  shape = tf.shape(image)
  fits = tf.debugging.assert_greater_equal(
      shape[:2], tf.stack([crop_height, crop_width]),
      message='Crop size greater than the image size.')
  cropped_shape = tf.stack([crop_height, crop_width, shape[2]])
  offsets = tf.stack([tf.cast(offset_height, tf.int32), tf.cast(offset_width, tf.int32), 0])
  with tf.control_dependencies([fits]):
    image = tf.slice(image, offsets, cropped_shape)
  return tf.reshape(image, cropped_shape)


def _check_image_list(function, image_list):
  if not image_list:
    raise ValueError('%s: image_list must hold at least one image, received %r'
                     % (function, image_list))
  return [_ops.check_image(function, image) for image in image_list]


def _random_crop(image_list, crop_height, crop_width, seed=None):
  """The same random [crop_height, crop_width] window of every image in the list
  (images of one height and width, channels may differ).

  Raises:
    ValueError: if the list is empty or an image is not 3-D (InvalidArgumentError
      when run if the sizes differ or the window does not fit).
  """
  image_list = _check_image_list('vgg_preprocessing._random_crop', image_list)
  seeds = _ops.SeedStream('vgg_preprocessing._random_crop', seed)
  size = tf.shape(image_list[0])[:2]
  same_size = [tf.debugging.assert_equal(tf.shape(image)[:2], size,
                                         message='Images of different sizes.')
               for image in image_list[1:]]
  fits = tf.debugging.assert_greater_equal(size, tf.stack([crop_height, crop_width]),
                                           message='Crop size greater than the image size.')
  with tf.control_dependencies(same_size + [fits]):
    offset_height = _ops.random_int(size[0] - crop_height + 1, seeds())
    offset_width = _ops.random_int(size[1] - crop_width + 1, seeds())
  return [_crop(image, offset_height, offset_width, crop_height, crop_width)
          for image in image_list]


def _central_crop(image_list, crop_height, crop_width):
  """The central [crop_height, crop_width] window of each image (offsets rounded down)."""
  image_list = _check_image_list('vgg_preprocessing._central_crop', image_list)
  outputs = []
  for image in image_list:
    shape = tf.shape(image)
    outputs.append(_crop(image, (shape[0] - crop_height) // 2, (shape[1] - crop_width) // 2,
                         crop_height, crop_width))
  return outputs


def _mean_image_subtraction(image, means):
  """Subtracts `means[c]` from channel c of a 3-D image.

  Raises:
    ValueError: if the image is not 3-D or `len(means)` is not its channel count.
  """
  function = 'vgg_preprocessing._mean_image_subtraction'
  image = _ops.check_image(function, image)
  num_channels = tf.compat.dimension_value(image.get_shape()[-1])
  if len(means) != num_channels:
    raise ValueError('%s: len(means) must match the number of channels, received %d means '
                     'for an image of shape %s' % (function, len(means), image.get_shape()))
  return image - tf.constant(means, dtype=image.dtype)


def _smallest_size_at_least(height, width, smallest_side):
  """(new_height, new_width), int32, with the smaller side equal to `smallest_side`
  and the aspect ratio kept (the other side rounded half to even)."""
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  smallest_side = tf.cast(smallest_side, tf.float32)
  scale = tf.where(height > width, smallest_side / width, smallest_side / height)
  new_height = tf.cast(tf.math.rint(height * scale), tf.int32)
  new_width = tf.cast(tf.math.rint(width * scale), tf.int32)
  return new_height, new_width


def _aspect_preserving_resize(image, smallest_side):
  """Bilinear resize (TF1 convention) of a 3-D image so that its smaller side is
  `smallest_side`; returns float32."""
  image = _ops.check_image('vgg_preprocessing._aspect_preserving_resize', image)
  shape = tf.shape(image)
  new_height, new_width = _smallest_size_at_least(shape[0], shape[1], smallest_side)
  resized = _ops.resize(image, tf.stack([new_height, new_width]))
  resized.set_shape([None, None, image.get_shape()[2]])
  return resized


def _finish(function, image, output_height, output_width, use_grayscale):
  """Shared tail of a crop: static shape, float32, grayscale, mean subtraction."""
  image.set_shape([output_height, output_width, 3])
  image = _ops.to_float(image)
  if use_grayscale:
    image = _ops.to_grayscale(function, image)
  return _mean_image_subtraction(image, _channel_means(use_grayscale))


def preprocess_for_train(image, output_height, output_width, resize_side_min=_RESIZE_SIDE_MIN,
                         resize_side_max=_RESIZE_SIDE_MAX, use_grayscale=False, seed=None):
  """Random aspect-preserving resize, random crop, random flip, mean subtraction.

  Args:
    image: 3-D RGB image, values on the 0-255 scale (any real dtype).
    output_height, output_width: positive ints, the output size.
    resize_side_min, resize_side_max: range of the smaller side after the resize,
      drawn uniformly (inclusive; defaults 256, 512).
    use_grayscale: return one channel, the grayscale of the mean-subtracted
      image (default False).
    seed: None or int, from which every random op's seed is derived.

  Returns:
    float32 [output_height, output_width, 3] (or 1 with `use_grayscale`).

  Raises:
    ValueError: if the image is not RGB or a size is invalid.

  Example:
    image = preprocess_for_train(decoded_jpeg, 224, 224, seed=3)
  """
  function = 'vgg_preprocessing.preprocess_for_train'
  image = _ops.check_image(function, image, channels=3)
  output_height = _ops.check_size(function, 'output_height', output_height)
  output_width = _ops.check_size(function, 'output_width', output_width)
  resize_side_min = _ops.check_size(function, 'resize_side_min', resize_side_min)
  resize_side_max = _ops.check_size(function, 'resize_side_max', resize_side_max)
  if resize_side_max < resize_side_min:
    raise ValueError('%s: resize_side_max must be >= resize_side_min, received %d < %d'
                     % (function, resize_side_max, resize_side_min))
  seeds = _ops.SeedStream(function, seed)
  resize_side = _ops.random_int(resize_side_max + 1, seeds(), minval=resize_side_min)
  image = _aspect_preserving_resize(image, resize_side)
  image = _random_crop([image], output_height, output_width, seed=seeds())[0]
  image = _finish(function, image, output_height, output_width, use_grayscale)
  # Flipping commutes with the grayscale conversion and the mean subtraction.
  return tf.image.random_flip_left_right(image, seed=seeds())


def preprocess_for_eval(image, output_height, output_width, resize_side=_RESIZE_SIDE_MIN,
                        use_grayscale=False):
  """Aspect-preserving resize to `resize_side`, central crop, mean subtraction.

  Args:
    image: 3-D RGB image, values on the 0-255 scale (any real dtype).
    output_height, output_width: positive ints, the output size.
    resize_side: the smaller side after the resize (default 256).
    use_grayscale: return one channel (default False).

  Returns:
    float32 [output_height, output_width, 3] (or 1 with `use_grayscale`).

  Raises:
    ValueError: if the image is not RGB or a size is invalid.
  """
  function = 'vgg_preprocessing.preprocess_for_eval'
  image = _ops.check_image(function, image, channels=3)
  output_height = _ops.check_size(function, 'output_height', output_height)
  output_width = _ops.check_size(function, 'output_width', output_width)
  resize_side = _ops.check_size(function, 'resize_side', resize_side)
  image = _aspect_preserving_resize(image, resize_side)
  image = _central_crop([image], output_height, output_width)[0]
  return _finish(function, image, output_height, output_width, use_grayscale)


@_ops.register('vgg')
def preprocess_image(image, output_height, output_width, is_training=False,
                     resize_side_min=_RESIZE_SIDE_MIN, resize_side_max=_RESIZE_SIDE_MAX,
                     use_grayscale=False, seed=None):
  """Preprocesses one image for training or evaluation.

  Args:
    image: 3-D RGB image, values on the 0-255 scale.
    output_height, output_width: the output size.
    is_training: distort for training (default False).
    resize_side_min: training: lower bound of the smaller side; evaluation: the
      smaller side (default 256).
    resize_side_max: training only: upper bound of the smaller side (default 512).
    use_grayscale: return one channel (default False).
    seed: training only: seed of the random ops (default None).

  Returns:
    float32 [output_height, output_width, channels], channel means subtracted.
  """
  if is_training:
    return preprocess_for_train(image, output_height, output_width, resize_side_min,
                                resize_side_max, use_grayscale, seed=seed)
  return preprocess_for_eval(image, output_height, output_width, resize_side_min,
                             use_grayscale)
