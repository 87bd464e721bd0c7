"""cifarnet_preprocessing: crop/pad and standardisation derived in numpy; training
windows, statistics and seeds; summaries; errors."""
import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import cifarnet_preprocessing as cifarnet
from tests.slim.preprocessing import preprocessing_helpers as helpers


# CifarNet evaluation.

@pytest.mark.parametrize('shape,size', [((32, 32, 3), (32, 32)), ((36, 30, 3), (32, 32)),
                                        ((5, 7, 3), (4, 9)), ((28, 28, 1), (32, 24))])
def test_cifarnet_eval_crop_or_pad_then_standardise(shape, size):
  image = helpers.random_image(*shape, seed=shape[0])
  output = cifarnet.preprocess_for_eval(image, *size).numpy()
  assert output.shape == size + shape[2:] and output.dtype == np.float32
  expected = helpers.standardize(helpers.crop_or_pad(image, *size))
  np.testing.assert_allclose(output, expected, atol=1e-5)


def test_cifarnet_eval_by_hand_two_values():
  # Half 0, half 2: mean 1, standard deviation 1 -> -1 and +1.
  image = np.zeros([4, 4, 1], np.uint8)
  image[:, 2:] = 2
  np.testing.assert_allclose(cifarnet.preprocess_for_eval(image, 4, 4).numpy()[..., 0],
                             [[-1, -1, 1, 1]] * 4, atol=1e-6)


def test_cifarnet_eval_grayscale_and_dtypes():
  image = helpers.random_image(32, 32)
  gray = cifarnet.preprocess_for_eval(image, 30, 30, use_grayscale=True).numpy()
  assert gray.shape == (30, 30, 1)
  expected = helpers.standardize(helpers.crop_or_pad(helpers.grayscale(image), 30, 30))
  np.testing.assert_allclose(gray, expected, atol=1e-5)
  from_uint8 = cifarnet.preprocess_image(image, 30, 30).numpy()
  from_float = cifarnet.preprocess_image(image.astype(np.float32), 30, 30).numpy()
  np.testing.assert_allclose(from_float, from_uint8, atol=1e-6)


# CifarNet training.

def test_cifarnet_train_is_the_standardised_window_of_the_padded_image():
  # With one channel, brightness (+d) and contrast (*c around the mean) are undone by
  # the standardisation, so the output is a standardised (flipped) window of the
  # zero-padded image.
  image = helpers.random_image(8, 8, channels=1)
  padded = np.pad(image.astype(np.float64), [(4, 4), (4, 4), (0, 0)])
  for seed in range(6):
    output = cifarnet.preprocess_for_train(image, 8, 8, seed=seed).numpy()
    assert output.shape == (8, 8, 1)
    assert any(np.allclose(output, helpers.standardize(window), atol=1e-4)
               for window in helpers.windows(padded, 8, 8))


def test_cifarnet_train_padding_zero_keeps_the_image():
  image = helpers.random_image(6, 6, channels=1)
  output = cifarnet.preprocess_for_train(image, 6, 6, padding=0, seed=3).numpy()
  expected = helpers.standardize(image)
  assert (np.allclose(output, expected, atol=1e-4)
          or np.allclose(output, expected[:, ::-1], atol=1e-4))


def test_cifarnet_train_shape_dtype_statistics_and_grayscale():
  image = helpers.random_image(32, 32)
  output = cifarnet.preprocess_for_train(image, 28, 30, seed=1).numpy()
  assert output.shape == (28, 30, 3) and output.dtype == np.float32
  assert abs(output.mean()) < 1e-4 and abs(output.std() - 1.0) < 1e-3
  gray = cifarnet.preprocess_image(image, 28, 30, is_training=True, use_grayscale=True, seed=1)
  assert gray.shape == (28, 30, 1)


def test_cifarnet_train_reproducible_under_seeds():
  helpers.assert_reproducible_under_seeds(
      lambda x, seed: cifarnet.preprocess_for_train(x, 32, 32, seed=seed),
      helpers.random_image(32, 32))


def test_cifarnet_summaries_in_graph_mode(graph):
  cifarnet.preprocess_image(tf.zeros([32, 32, 3], tf.uint8), 32, 32, is_training=True)
  cifarnet.preprocess_image(tf.zeros([32, 32, 3], tf.uint8), 32, 32)
  assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES)) == 4
  cifarnet.preprocess_image(tf.zeros([32, 32, 3]), 32, 32, add_image_summaries=False)
  assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES)) == 4


@pytest.mark.parametrize('call,match', [
    (lambda: cifarnet.preprocess_for_train(tf.zeros([4, 4, 3]), 4, 4, padding=-1),
     'padding must be an int >= 0'),
    (lambda: cifarnet.preprocess_for_train(tf.zeros([4, 4, 3]), -4, 4), 'output_height must'),
    (lambda: cifarnet.preprocess_for_eval(tf.zeros([4, 4, 3, 1]), 4, 4), '3-D tensor'),
    (lambda: cifarnet.preprocess_for_eval(tf.zeros([4, 4, 1]), 4, 4, use_grayscale=True),
     'must have 3 channels'),
    (lambda: cifarnet.preprocess_for_train(tf.zeros([4, 4, 3]), 4, 4, seed=[1]),
     'seed must be an int or None'),
])
def test_errors_name_function_argument_and_value(call, match):
  with pytest.raises(ValueError, match=match) as info:
    call()
  assert '_preprocessing.preprocess_' in str(info.value)
