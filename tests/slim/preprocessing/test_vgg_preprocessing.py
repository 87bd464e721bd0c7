"""vgg_preprocessing: aspect-preserving resize, crops and channel means, by hand and
in numpy; training ranges and seeds."""
import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import vgg_preprocessing as vgg
from tests.slim.preprocessing import preprocessing_helpers as helpers


def resized_size(height, width, side):
  """The smaller side becomes `side`, the other is scaled and rounded half to even
  (float32 arithmetic, as the published code)."""
  height, width, side = np.float32(height), np.float32(width), np.float32(side)
  scale = side / width if height > width else side / height
  return int(np.rint(height * scale)), int(np.rint(width * scale))


def expected_eval(image, height, width, side=256, gray=False):
  new_height, new_width = resized_size(image.shape[0], image.shape[1], side)
  resized = helpers.resize_bilinear(image, new_height, new_width)
  top, left = (new_height - height) // 2, (new_width - width) // 2
  centred = resized[top:top + height, left:left + width] - helpers.VGG_MEANS
  return helpers.grayscale(centred) if gray else centred


def test_means_are_the_published_ones():
  assert (vgg._R_MEAN, vgg._G_MEAN, vgg._B_MEAN) == (123.68, 116.78, 103.94)
  assert (vgg._RESIZE_SIDE_MIN, vgg._RESIZE_SIDE_MAX) == (256, 512)


def test_eval_by_hand_halving_then_central_224():
  # 512 x 1024 -> smaller side 256: exactly every other pixel, 256 x 512; the central
  # 224 x 224 starts at (16, 144) of the resized image, (32, 288) of the original.
  image = helpers.random_image(512, 1024)
  output = vgg.preprocess_for_eval(image, 224, 224).numpy()
  expected = image[32:480:2, 288:736:2] - np.array([123.68, 116.78, 103.94])
  assert output.shape == (224, 224, 3) and output.dtype == np.float32
  np.testing.assert_allclose(output, expected, atol=1e-4)


@pytest.mark.parametrize('shape,size,side', [((30, 20), (224, 224), 256),
                                             ((7, 11), (9, 13), 10), ((13, 13), (5, 3), 6),
                                             ((300, 401), (224, 200), 256)])
def test_eval_matches_numpy(shape, size, side):
  image = helpers.random_image(*shape, seed=shape[0])
  output = vgg.preprocess_for_eval(image, *size, resize_side=side).numpy()
  assert output.shape == size + (3,)
  np.testing.assert_allclose(output, expected_eval(image, *size, side=side), atol=1e-2)


def test_eval_default_side_is_256_and_dispatch():
  image = helpers.random_image(30, 20)
  output = vgg.preprocess_image(image, 224, 224).numpy()
  np.testing.assert_allclose(output, expected_eval(image, 224, 224), atol=1e-2)


def test_eval_grayscale_is_gray_of_the_mean_subtracted_image():
  image = helpers.random_image(30, 20)
  output = vgg.preprocess_for_eval(image, 224, 224, use_grayscale=True).numpy()
  assert output.shape == (224, 224, 1)
  np.testing.assert_allclose(output, expected_eval(image, 224, 224, gray=True), atol=1e-2)


def test_eval_uint8_and_float_read_alike_on_0_255_scale():
  image = helpers.random_image(30, 20)
  from_uint8 = vgg.preprocess_for_eval(image, 16, 16, resize_side=20).numpy()
  for dtype in (np.float32, np.float64, np.int32):
    output = vgg.preprocess_for_eval(image.astype(dtype), 16, 16, resize_side=20)
    assert output.dtype == tf.float32
    np.testing.assert_allclose(output.numpy(), from_uint8, atol=1e-4)


def test_constant_image_gives_value_minus_means():
  image = np.empty([5, 9, 3], np.uint8)
  image[:] = [200, 100, 50]
  output = vgg.preprocess_for_train(image, 6, 6, 7, 9, seed=0).numpy()
  np.testing.assert_allclose(output, np.broadcast_to([76.32, -16.78, -53.94], (6, 6, 3)),
                             atol=1e-4)


def test_train_is_a_window_of_a_resize_within_the_side_range():
  image = helpers.random_image(6, 8)
  candidates = {side: helpers.resize_bilinear(image, *resized_size(6, 8, side))
                for side in (7, 8, 9)}
  sides_used = set()
  for seed in range(8):
    output = vgg.preprocess_for_train(image, 5, 5, resize_side_min=7, resize_side_max=9,
                                      seed=seed).numpy() + helpers.VGG_MEANS
    assert output.shape == (5, 5, 3)
    found = [side for side, resized in candidates.items()
             if helpers.matches_a_window(output, resized, atol=1e-2)]
    assert found, 'seed %d: not a (flipped) window of a resize with side in [7, 9]' % seed
    sides_used.update(found)
  assert len(sides_used) > 1


def test_train_range_dtype_grayscale():
  image = helpers.random_image(40, 30)
  output = vgg.preprocess_for_train(image, 20, 20, 24, 32, seed=1).numpy()
  assert output.shape == (20, 20, 3) and output.dtype == np.float32
  assert (output >= -helpers.VGG_MEANS - 1e-3).all()
  assert (output <= 255 - helpers.VGG_MEANS + 1e-3).all()
  gray = vgg.preprocess_for_train(image, 20, 20, 24, 32, use_grayscale=True, seed=1)
  assert gray.shape == (20, 20, 1)


def test_train_reproducible_under_seeds():
  helpers.assert_reproducible_under_seeds(
      lambda x, seed: vgg.preprocess_for_train(x, 20, 20, 24, 40, seed=seed),
      helpers.random_image(40, 30))


def test_train_static_shape_with_unknown_input_size(graph):
  image = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
  assert vgg.preprocess_image(image, 224, 224, is_training=True).shape.as_list() == [224, 224,
                                                                                      3]
  assert vgg.preprocess_image(image, 224, 224).shape.as_list() == [224, 224, 3]


def test_random_crop_same_window_for_every_image_of_the_list():
  image = helpers.random_image(9, 10)
  depth = image[:, :, :1].astype(np.float32) * 2
  for seed in range(4):
    cropped_image, cropped_depth = vgg._random_crop([image, depth], 4, 5, seed=seed)
    np.testing.assert_array_equal(cropped_image.numpy()[:, :, :1] * 2.0, cropped_depth.numpy())


def test_crop_larger_than_image_fails_when_run():
  with pytest.raises(tf.errors.InvalidArgumentError, match='Crop size greater than'):
    vgg.preprocess_for_eval(helpers.random_image(20, 20), 30, 30, resize_side=20)


@pytest.mark.parametrize('call,match', [
    (lambda: vgg.preprocess_for_eval(tf.zeros([4, 4, 1]), 2, 2), 'must have 3 channels'),
    (lambda: vgg.preprocess_for_eval(tf.zeros([4, 4]), 2, 2), '3-D tensor'),
    (lambda: vgg.preprocess_for_eval(tf.zeros([4, 4, 3]), 2, 2.5), 'output_width must be'),
    (lambda: vgg.preprocess_for_eval(tf.zeros([4, 4, 3]), 2, 2, resize_side=0),
     'resize_side must be'),
    (lambda: vgg.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, 10, 5),
     'resize_side_max must be >= resize_side_min'),
    (lambda: vgg.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, seed=1.5),
     'seed must be an int or None'),
    (lambda: vgg._mean_image_subtraction(tf.zeros([4, 4, 2]), [1.0, 2.0, 3.0]),
     'len\\(means\\) must match the number of channels'),
    (lambda: vgg._random_crop([], 2, 2), 'at least one image'),
])
def test_errors_name_function_argument_and_value(call, match):
  with pytest.raises(ValueError, match=match) as info:
    call()
  assert 'vgg_preprocessing.' in str(info.value)
