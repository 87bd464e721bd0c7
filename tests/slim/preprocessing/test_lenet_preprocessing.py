"""lenet_preprocessing: padding and scaling by hand and in numpy, grayscale, dtypes, errors."""
import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import lenet_preprocessing as lenet
from tests.slim.preprocessing import preprocessing_helpers as helpers


def test_lenet_pads_28_to_32_by_hand():
  image = np.full([28, 28, 1], 192, np.uint8)
  output = lenet.preprocess_image(image, 32, 32).numpy()
  expected = np.full([32, 32, 1], -1.0)  # zero padding: (0 - 128) / 128
  expected[2:30, 2:30] = 0.5  # (192 - 128) / 128
  np.testing.assert_array_equal(output, expected)


@pytest.mark.parametrize('is_training', [False, True])
def test_lenet_matches_numpy_in_training_and_evaluation(is_training):
  image = helpers.random_image(30, 25, channels=1)
  output = lenet.preprocess_image(image, 28, 27, is_training=is_training).numpy()
  np.testing.assert_allclose(output, (helpers.crop_or_pad(image, 28, 27) - 128) / 128,
                             atol=1e-6)


def test_lenet_grayscale_and_dtypes():
  image = helpers.random_image(28, 28)
  gray = lenet.preprocess_image(image, 28, 28, use_grayscale=True).numpy()
  np.testing.assert_allclose(gray, (helpers.grayscale(image) - 128) / 128, atol=1e-5)
  from_float = lenet.preprocess_image(image.astype(np.float64), 28, 28)
  assert from_float.dtype == tf.float32
  np.testing.assert_allclose(from_float.numpy(), (image - 128.0) / 128, atol=1e-6)


@pytest.mark.parametrize('call,match', [
    (lambda: lenet.preprocess_image(tf.zeros([4, 4, 1]), 4, None), 'output_width must'),
    (lambda: lenet.preprocess_image(tf.zeros([4, 4]), 4, 4), '3-D tensor'),
])
def test_errors_name_function_argument_and_value(call, match):
  with pytest.raises(ValueError, match=match) as info:
    call()
  assert '_preprocessing.preprocess_' in str(info.value)
