"""inception_preprocessing: evaluation values derived by hand and in numpy, training
shapes, ranges, seeds and bounding boxes."""
import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import inception_preprocessing as inception
from tests.slim.preprocessing import preprocessing_helpers as helpers


def expected_eval(image, height, width, scale, central_fraction=0.875, gray=False):
  """Central crop (start = int((size - size * fraction) / 2)), TF1 bilinear resize,
  then [0, 1] -> [-1, 1]."""
  image = np.asarray(image, np.float64) / scale
  if gray:
    image = helpers.grayscale(image)
  top = int((image.shape[0] - image.shape[0] * central_fraction) / 2)
  left = int((image.shape[1] - image.shape[1] * central_fraction) / 2)
  image = image[top:image.shape[0] - top, left:image.shape[1] - left]
  return (helpers.resize_bilinear(image, height, width) - 0.5) * 2


# Evaluation.

def test_eval_by_hand_crop_keeps_14_of_16_and_resize_takes_every_other_pixel():
  image = helpers.random_image(16, 16)
  # Crop start int((16 - 14) / 2) = 1, size 14; 14 -> 7 samples rows/columns 0, 2, ..., 12.
  expected = (image[1:15:2, 1:15:2] / 255.0 - 0.5) * 2
  output = inception.preprocess_for_eval(image, 7, 7).numpy()
  np.testing.assert_allclose(output, expected, atol=1e-6)


@pytest.mark.parametrize('shape,size', [((20, 24), (8, 10)), ((33, 17), (29, 31)),
                                        ((9, 9), (5, 13))])
def test_eval_matches_numpy_on_uint8(shape, size):
  image = helpers.random_image(*shape, seed=sum(shape))
  output = inception.preprocess_for_eval(image, *size).numpy()
  assert output.shape == size + (3,) and output.dtype == np.float32
  np.testing.assert_allclose(output, expected_eval(image, *size, scale=255.0), atol=2e-5)


def test_eval_grayscale_matches_numpy():
  image = helpers.random_image(20, 24)
  output = inception.preprocess_for_eval(image, 8, 10, use_grayscale=True).numpy()
  assert output.shape == (8, 10, 1)
  np.testing.assert_allclose(output, expected_eval(image, 8, 10, 255.0, gray=True), atol=2e-5)


def test_eval_dtypes_integers_are_scaled_by_their_maximum_floats_taken_as_unit_range():
  image = helpers.random_image(20, 24)
  from_uint8 = inception.preprocess_for_eval(image, 8, 10).numpy()
  from_float = inception.preprocess_for_eval((image / 255.0).astype(np.float32), 8, 10)
  np.testing.assert_allclose(from_float.numpy(), from_uint8, atol=1e-6)
  from_float64 = inception.preprocess_for_eval(image / 255.0, 8, 10)
  assert from_float64.dtype == tf.float32
  np.testing.assert_allclose(from_float64.numpy(), from_uint8, atol=1e-6)
  wide = image.astype(np.uint16) * 257  # 255 * 257 == 65535
  np.testing.assert_allclose(inception.preprocess_for_eval(wide, 8, 10).numpy(), from_uint8,
                             atol=1e-6)


def test_eval_options_fraction_no_crop_no_resize():
  image = helpers.random_image(20, 24)
  half = inception.preprocess_for_eval(image, 8, 10, central_fraction=0.5).numpy()
  np.testing.assert_allclose(half, expected_eval(image, 8, 10, 255.0, 0.5), atol=2e-5)
  no_crop = inception.preprocess_for_eval(image, 8, 10, central_crop=False).numpy()
  np.testing.assert_allclose(no_crop, expected_eval(image, 8, 10, 255.0, 1.0), atol=2e-5)
  no_resize = inception.preprocess_for_eval(image, None, None).numpy()
  np.testing.assert_allclose(no_resize, (image[1:19, 1:23] / 255.0 - 0.5) * 2, atol=1e-6)


def test_preprocess_image_dispatches_to_eval():
  image = helpers.random_image(20, 24)
  np.testing.assert_array_equal(inception.preprocess_image(image, 8, 10).numpy(),
                                inception.preprocess_for_eval(image, 8, 10).numpy())
  no_crop = inception.preprocess_image(image, 8, 10, crop_image=False).numpy()
  np.testing.assert_allclose(no_crop, expected_eval(image, 8, 10, 255.0, 1.0), atol=2e-5)


# Training.

@pytest.mark.parametrize('fast_mode', [True, False])
@pytest.mark.parametrize('use_grayscale', [False, True])
def test_train_shape_dtype_range(fast_mode, use_grayscale):
  image = helpers.random_image(40, 30)
  output = inception.preprocess_for_train(image, 17, 19, None, fast_mode=fast_mode,
                                          use_grayscale=use_grayscale, seed=1)
  channels = 1 if use_grayscale else 3
  assert output.shape == (17, 19, channels) and output.dtype == tf.float32
  assert -1.0 <= float(tf.reduce_min(output)) <= float(tf.reduce_max(output)) <= 1.0


@pytest.mark.parametrize('fast_mode', [True, False])
def test_train_on_a_gray_constant_image_only_brightness_acts(fast_mode):
  # Crop, resize and flip keep a constant image; saturation and hue do not move gray;
  # contrast keeps a constant image: what is left is a brightness shift of at most 32/255.
  image = np.full([24, 24, 3], 0.5, np.float32)
  for seed in range(4):
    output = inception.preprocess_for_train(image, 9, 9, None, fast_mode=fast_mode,
                                            seed=seed).numpy()
    np.testing.assert_allclose(output, output[0, 0, 0], atol=1e-5)
    assert abs(output[0, 0, 0]) <= 2 * 32 / 255 + 1e-5


def test_train_without_random_crop_keeps_whole_image():
  # Left half black, right half white: without the crop both halves survive the resize.
  image = np.zeros([20, 20, 3], np.float32)
  image[:, 10:] = 1.0
  output = inception.preprocess_for_train(image, 10, 10, None, random_crop=False,
                                          seed=0).numpy()
  left, right = output[:, :5].mean(), output[:, 5:].mean()
  assert abs(left - right) > 1.0  # the two halves are still apart (one possibly flipped)


def test_train_static_shape_with_unknown_input_size(graph):
  image = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
  output = inception.preprocess_for_train(image, 11, 13, None)
  assert output.get_shape().as_list() == [11, 13, 3]
  summaries = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES)
  assert len(summaries) == 4


def test_train_without_summaries_adds_none(graph):
  inception.preprocess_for_train(tf.zeros([8, 8, 3]), 4, 4, None, add_image_summaries=False)
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES)


@pytest.mark.parametrize('fast_mode', [True, False])
def test_train_reproducible_under_seeds(fast_mode):
  helpers.assert_reproducible_under_seeds(
      lambda x, seed: inception.preprocess_for_train(x, 12, 12, None, fast_mode=fast_mode,
                                                     seed=seed),
      helpers.random_image(30, 40))


# Bounding boxes.

def test_distorted_crop_contains_the_box_when_it_must_cover_all_of_it():
  image = helpers.random_image(40, 50)
  box = np.array([[[0.25, 0.2, 0.75, 0.6]]], np.float32)  # rows 10-30, columns 10-30
  for seed in range(12):
    crop, distorted = inception.distorted_bounding_box_crop(
        image, box, min_object_covered=1.0, area_range=(0.05, 1.0), seed=seed)
    ymin, xmin, ymax, xmax = distorted.numpy()[0, 0]
    assert ymin <= 0.25 + 1e-6 and xmin <= 0.2 + 1e-6
    assert ymax >= 0.75 - 1e-6 and xmax >= 0.6 - 1e-6
    top, left = int(round(ymin * 40)), int(round(xmin * 50))
    expected = image[top:int(round(ymax * 40)), left:int(round(xmax * 50))]
    np.testing.assert_array_equal(crop.numpy(), expected)


def test_distorted_crop_area_range():
  image = helpers.random_image(50, 50)
  areas = set()
  for seed in range(12):
    crop, _ = inception.distorted_bounding_box_crop(
        image, None, min_object_covered=0.0, aspect_ratio_range=(0.5, 2.0),
        area_range=(0.2, 0.4), seed=seed)
    area = crop.shape[0] * crop.shape[1] / 2500.0
    areas.add(area)
    assert 0.18 <= area <= 0.42 or area == 1.0  # the whole image when no box is found
  assert len(areas) > 1


def test_train_crop_respects_box_through_preprocess_image():
  # The box is the white square; every crop must contain all of it, so after the
  # resize the white area is a fixed share of the crop at least as large as the box's.
  image = np.zeros([40, 40, 3], np.uint8)
  image[10:30, 10:30] = 255
  box = [[[0.25, 0.25, 0.75, 0.75]]]
  for seed in range(6):
    output = inception.preprocess_image(image, 20, 20, is_training=True, bbox=box,
                                        min_object_covered=1.0, seed=seed).numpy()
    assert output.shape == (20, 20, 3)
    bright = output.mean(axis=2) > 0.0
    assert bright.sum() >= 0.25 * 400 * 0.8


# Building blocks.

def test_apply_with_random_selector_reaches_every_case_with_python_ints():
  received = []

  def func(x, case):
    received.append(case)
    return x + case

  seen = {int(inception.apply_with_random_selector(tf.constant(0), func, 3, seed=s))
          for s in range(30)}
  assert seen == {0, 1, 2}
  assert set(received) == {0, 1, 2} and all(isinstance(c, int) for c in received)
  assert int(inception.apply_with_random_selector(tf.constant(5), func, 1)) == 5


@pytest.mark.parametrize('ordering', range(4))
@pytest.mark.parametrize('fast_mode', [True, False])
def test_distort_color_stays_in_unit_range(ordering, fast_mode):
  image = tf.constant(helpers.random_image(8, 8) / 255.0, tf.float32)
  output = inception.distort_color(image, ordering, fast_mode, seed=ordering).numpy()
  assert output.shape == (8, 8, 3) and output.min() >= 0.0 and output.max() <= 1.0
  assert not np.allclose(output, image.numpy())


# Errors.

@pytest.mark.parametrize('call,match', [
    (lambda: inception.distort_color(tf.zeros([4, 4, 3]), 4), 'color_ordering must be in'),
    (lambda: inception.distort_color(tf.zeros([4, 4, 1])), 'must have 3 channels'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4]), 2, 2, None), '3-D tensor'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 1]), 2, 2, None),
     'must have 3 channels'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 3]), 0, 2, None),
     'height must be a positive int'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, [[0., 0., 1., 1.]]),
     r'bbox must have shape \[1, num_boxes, 4\]'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, None, seed='x'),
     'seed must be an int or None'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, None,
                                            area_range=(0.5, 0.2)), 'area_range must be'),
    (lambda: inception.preprocess_for_train(tf.zeros([4, 4, 3]), 2, 2, None,
                                            min_object_covered=1.5), 'min_object_covered'),
    (lambda: inception.preprocess_for_eval(tf.zeros([4, 4, 3]), 2, 2, central_fraction=1.5),
     r'central_fraction must be in \(0, 1\]'),
    (lambda: inception.preprocess_for_eval(tf.zeros([4, 4, 1]), 2, 2, use_grayscale=True),
     'must have 3 channels'),
])
def test_errors_name_function_argument_and_value(call, match):
  with pytest.raises(ValueError, match=match) as info:
    call()
  assert 'preprocess' in str(info.value) or 'distort' in str(info.value)
