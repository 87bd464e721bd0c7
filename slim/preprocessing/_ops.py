"""What the preprocessing modules share: argument checks, seeds, summaries, resizing.

Every helper works the same in a TF1 graph, eagerly, in `tf.function` and in a
`tf.data` map function.
"""
import numbers
import zlib

import tensorflow as tf

from slim import _registry

# The preprocessing functions by name: each module registers its `preprocess_image`.
PREPROCESSING = _registry.Registry('preprocessing')


def register(name):
  """Decorator registering a module's `preprocess_image` as preprocessing `name`."""
  return lambda preprocess_image: PREPROCESSING.register(name, preprocess_image)

# The weights `tf.image.rgb_to_grayscale` gives red, green and blue.
GRAYSCALE_WEIGHTS = (0.2989, 0.5870, 0.1140)


def in_graph_mode():
  """True when building a TF1 graph (summaries go to the SUMMARIES collection)."""
  return not tf.compat.v1.executing_eagerly_outside_functions()


def check_image(function, image, channels=None):
  """`image` as a 3-D tensor [height, width, channels].

  Args:
    function: name of the calling function, for the error message.
    image: the image (anything convertible to a tensor).
    channels: None (any, possibly unknown), or the static number of channels
      the function needs.

  Returns:
    The image as a tensor.

  Raises:
    ValueError: if the image is not 3-D, or its channels are not `channels`.
  """
  try:
    image = tf.convert_to_tensor(image)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: image must be a tensor or convertible to one, received %r (%s)'
                    % (function, image, error)) from None
  rank = image.get_shape().ndims
  if rank != 3:
    raise ValueError('%s: image must be a 3-D tensor [height, width, channels], received '
                     'shape %s' % (function, image.get_shape()))
  if channels is not None:
    found = tf.compat.dimension_value(image.get_shape()[2])
    if found != channels:
      raise ValueError('%s: image must have %d channels (a known last dimension), '
                       'received shape %s' % (function, channels, image.get_shape()))
  return image


def check_size(function, argument, value, allow_none=False):
  """`value` as a positive Python int (or None / 0 where `allow_none`)."""
  if allow_none and not value:
    return None
  if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0:
    return int(value)
  raise ValueError('%s: %s must be a positive int%s, received %r'
                   % (function, argument, ' or None' if allow_none else '', value))


def check_range(function, argument, value, low, high):
  """`value` as a pair (a, b) of numbers with low <= a <= b <= high."""
  try:
    first, second = (float(v) for v in value)
  except (TypeError, ValueError):
    first = second = None
  if first is None or not low <= first <= second <= high:
    raise ValueError('%s: %s must be a pair (a, b) with %g <= a <= b <= %g, received %r'
                     % (function, argument, low, high, value))
  return first, second


class SeedStream(object):
  """Distinct op-level seeds derived from one seed, so random ops do not repeat
  each other's draws. With `seed=None` every seed is None: the ops then follow
  the global seed (`tf.random.set_seed`) as TensorFlow's random ops do.

  Args:
    function: name of the calling function (errors name it; it also salts the
      derived seeds).
    seed: None or a Python int.

  Raises:
    ValueError: if `seed` is neither None nor an int.
  """

  def __init__(self, function, seed):
    if seed is not None and (not isinstance(seed, numbers.Integral)
                             or isinstance(seed, bool)):
      raise ValueError('%s: seed must be an int or None, received %r' % (function, seed))
    self._function = function
    self._seed = seed
    self._count = 0

  def __call__(self):
    """The next op-level seed (None when the stream has no seed)."""
    if self._seed is None:
      return None
    self._count += 1
    key = '%d/%s/%d' % (self._seed, self._function, self._count)
    return zlib.crc32(key.encode('ascii')) & 0x7fffffff


def random_int(maxval, seed, minval=0):
  """A scalar int32 drawn uniformly from [minval, maxval)."""
  return tf.random.uniform([], minval=minval, maxval=maxval, dtype=tf.int32, seed=seed)


def image_summary(name, image):
  """Adds an image summary of one image (3-D) or a batch of one (4-D) in a TF1 graph.

  The summary joins the SUMMARIES collection, where tf_slim's training loops
  merge it. Eagerly and in `tf.function` nothing is recorded: TF2 summaries
  need a writer and a step, which belong to the training loop.
  """
  if in_graph_mode():
    if image.get_shape().ndims == 3:
      image = tf.expand_dims(image, 0)
    tf.compat.v1.summary.image(name, image)


def to_unit_float(image):
  """float32 in [0, 1]: integers are scaled by their maximum; other floats are cast."""
  if image.dtype == tf.float32:
    return image
  return tf.image.convert_image_dtype(image, dtype=tf.float32)


def to_float(image):
  """float32 of the same values (no scaling)."""
  return tf.cast(image, tf.float32)


def scale_to_symmetric(image):
  """Maps [0, 1] to [-1, 1]."""
  return tf.multiply(tf.subtract(image, 0.5), 2.0)


def resize(image, size, method=0):
  """Resizes a 3-D image as TF1's `resize_images` did (the published checkpoints'
  preprocessing): corners not aligned and no half-pixel centres.

  Args:
    image: 3-D tensor.
    size: [new_height, new_width] (ints or int32 scalars).
    method: 0 bilinear, 1 nearest neighbour, 2 bicubic, 3 area.

  Returns:
    The resized float32 image.
  """
  return tf.compat.v1.image.resize(image, size, method=method, align_corners=False)


def to_grayscale(function, image):
  """One luminance channel from an RGB image."""
  check_image(function, image, channels=3)
  return tf.image.rgb_to_grayscale(image)


def float_image(function, image, use_grayscale):
  """The image as float32 of the same values, converted to grayscale if asked."""
  image = to_float(check_image(function, image, channels=3 if use_grayscale else None))
  return to_grayscale(function, image) if use_grayscale else image
