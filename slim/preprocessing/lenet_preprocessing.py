"""Image preprocessing of LeNet (MNIST): crop or pad to the output size and map
0-255 pixel values to [-1, 1) by (x - 128) / 128.

Training and evaluation are the same; there is no randomness.
"""
import tensorflow as tf

from slim.preprocessing import _ops

__all__ = ['preprocess_image']


@_ops.register('lenet')
def preprocess_image(image, output_height, output_width, is_training=False,
                     use_grayscale=False, seed=None):
  """Casts to float32, crops or zero-pads centrally, scales by (x - 128) / 128.

  Args:
    image: 3-D image, values on the 0-255 scale (cast, not rescaled), any number
      of channels (RGB with `use_grayscale`).
    output_height, output_width: positive ints, the output size.
    is_training: unused: training and evaluation are the same (default False).
    use_grayscale: convert RGB to one grayscale channel first (default False).
    seed: unused (nothing is random); accepted so that every preprocessing
      function takes the same keyword arguments (default None).

  Returns:
    float32 [output_height, output_width, channels].

  Raises:
    ValueError: if an argument is invalid.

  Example:
    image = preprocess_image(mnist_digit, 28, 28)
  """
  del is_training, seed  # The same for training and evaluation, and not random.
  function = 'lenet_preprocessing.preprocess_image'
  output_height = _ops.check_size(function, 'output_height', output_height)
  output_width = _ops.check_size(function, 'output_width', output_width)
  image = _ops.float_image(function, image, use_grayscale)
  image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
  return tf.divide(tf.subtract(image, 128.0), 128.0)
