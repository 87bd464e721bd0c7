"""inception_preprocessing.preprocess_jpeg_for_train: the fused JPEG decode and crop
against decode-then-preprocess_for_train, in eager, tf.function, tf.data and graph
modes; shapes, range, summaries and errors."""
import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import inception_preprocessing as inception
from tests.slim.preprocessing import preprocessing_helpers as helpers


def jpeg(height, width, seed=0):
  """JPEG bytes of a smooth random image (blocky enough to survive compression)."""
  small = helpers.random_image(height // 8 + 1, width // 8 + 1, seed=seed)
  image = tf.image.resize(small, [height, width], method='bilinear')
  return tf.io.encode_jpeg(tf.cast(image, tf.uint8), quality=95).numpy()


def unfused(data, seed, **kwargs):
  return inception.preprocess_for_train(tf.io.decode_jpeg(data, channels=3), 21, 17,
                                        seed=seed, **kwargs)


def fused(data, seed, **kwargs):
  return inception.preprocess_jpeg_for_train(data, 21, 17, seed=seed, **kwargs)


@pytest.mark.parametrize('fast_mode', [True, False])
@pytest.mark.parametrize('mode', ['eager', 'function', 'dataset', 'graph'])
def test_equals_decode_then_preprocess_for_train_for_the_same_seed(mode, fast_mode):
  data = jpeg(67, 83)
  box = [[[0.1, 0.2, 0.7, 0.9]]]
  for seed in range(4):
    outputs = []
    for fn in (unfused, fused):
      build = lambda buffer, fn=fn: fn(buffer, seed, bbox=box, fast_mode=fast_mode)
      tf.random.set_seed(0)  # eager random ops with an op seed give a sequence per run
      if mode == 'graph':
        outputs.append(helpers.graph_outputs(build, data)[0])
      elif mode == 'dataset':
        outputs.append(next(iter(tf.data.Dataset.from_tensors(data).map(build))).numpy())
      elif mode == 'function':
        outputs.append(tf.function(build)(tf.constant(data)).numpy())
      else:
        outputs.append(build(tf.constant(data)).numpy())
    assert outputs[1].shape == (21, 17, 3) and outputs[1].dtype == np.float32
    # The same crop, resize, flip and colours: equal inside; at the crop's edges
    # the JPEG's chroma upsampling sees other neighbours.
    np.testing.assert_allclose(outputs[1][1:-1, 1:-1], outputs[0][1:-1, 1:-1], atol=2e-2)
    np.testing.assert_allclose(outputs[1], outputs[0], atol=0.2)
    assert np.mean(np.abs(outputs[1] - outputs[0])) < 5e-3


def test_decodes_only_the_window_given_by_the_crop_sampler():
  # The graph has no full decode, and decode_and_crop_jpeg of a window equals
  # slicing the decoded image (but for the chroma upsampling at the window's edges).
  data = jpeg(64, 96, seed=3)
  with tf.Graph().as_default() as graph:
    inception.preprocess_jpeg_for_train(tf.constant(data), 8, 8, None)
    types = {op.type for op in graph.get_operations()}
  assert 'DecodeAndCropJpeg' in types and 'ExtractJpegShape' in types
  assert 'DecodeJpeg' not in types and 'DecodeImage' not in types
  full = tf.io.decode_jpeg(data, channels=3).numpy()
  window = tf.image.decode_and_crop_jpeg(data, [8, 16, 40, 48], channels=3).numpy()
  np.testing.assert_array_equal(window[1:-1, 1:-1], full[9:47, 17:63])
  np.testing.assert_allclose(window, full[8:48, 16:64], atol=32)  # chroma at the edges


def test_without_random_crop_equals_preprocess_for_train_of_the_whole_image():
  data = jpeg(30, 40, seed=1)
  tf.random.set_seed(0)
  expected = unfused(data, 7, bbox=None, random_crop=False).numpy()
  tf.random.set_seed(0)
  np.testing.assert_array_equal(fused(data, 7, bbox=None, random_crop=False).numpy(), expected)


def test_box_defaults_whole_image_and_range_and_grayscale():
  data = jpeg(50, 60, seed=2)
  output = inception.preprocess_jpeg_for_train(data, 12, 10, None, use_grayscale=True,
                                               seed=4).numpy()
  assert output.shape == (12, 10, 1)
  assert output.min() >= -1.0 and output.max() <= 1.0


def test_graph_static_shape_and_the_two_summaries_after_the_crop():
  data = jpeg(30, 30)
  with tf.Graph().as_default():
    buffer = tf.compat.v1.placeholder(tf.string, [])
    output = inception.preprocess_jpeg_for_train(buffer, 11, 13, None)
    assert output.get_shape().as_list() == [11, 13, 3]
    names = [s.name for s in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES)]
    assert len(names) == 2 and any('cropped_resized_image' in n for n in names)
    with tf.compat.v1.Session() as session:
      assert session.run(output, {buffer: data}).shape == (11, 13, 3)


def test_not_a_jpeg_fails_when_run():
  with pytest.raises(tf.errors.InvalidArgumentError):
    inception.preprocess_jpeg_for_train(tf.constant(b'not an image'), 4, 4, None)


@pytest.mark.parametrize('call,match', [
    (lambda: inception.preprocess_jpeg_for_train(tf.zeros([4, 4, 3]), 2, 2, None),
     'image_buffer must be a scalar string tensor.*float32'),
    (lambda: inception.preprocess_jpeg_for_train([b'a', b'b'], 2, 2, None),
     r'image_buffer must be a scalar string tensor.*\(2,\)'),
    (lambda: inception.preprocess_jpeg_for_train(b'x', 0, 2, None),
     'height must be a positive int'),
    (lambda: inception.preprocess_jpeg_for_train(b'x', 2, 2, [[0., 0., 1., 1.]]),
     r'bbox must have shape \[1, num_boxes, 4\]'),
    (lambda: inception.preprocess_jpeg_for_train(b'x', 2, 2, None, area_range=(0.5, 0.2)),
     'area_range must be'),
    (lambda: inception.preprocess_jpeg_for_train(b'x', 2, 2, None, min_object_covered=-1),
     'min_object_covered'),
    (lambda: inception.preprocess_jpeg_for_train(b'x', 2, 2, None, seed=1.5),
     'seed must be an int or None'),
])
def test_errors_name_the_function_and_argument(call, match):
  with pytest.raises(ValueError, match=match) as info:
    call()
  assert 'preprocess_jpeg_for_train' in str(info.value)
