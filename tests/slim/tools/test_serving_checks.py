"""The signatures of an exported SavedModel (a LeNet with random values) check their
inputs with errors that say what was expected, and take an empty batch."""
import re

import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import preprocessing_factory
from slim.tools import export_lib
from tests.slim.tools import export_setup

NAMES = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine')


@pytest.fixture(scope='module')
def lenet(tmp_path_factory):
  """(checkpoint, loaded SavedModel with serving_default and serving_encoded, module)."""
  root = tmp_path_factory.mktemp('serving_checks')
  checkpoint = export_setup.random_checkpoint(str(root / 'model.ckpt'), 'lenet', 10, 28, 1)
  spec = export_lib.ClassifierSpec('lenet', 10, 0, 28, 1, None, 'lenet', NAMES)
  module = export_lib.serving_module(spec, checkpoint)
  export_lib.write_saved_model(module, str(root / 'serving'), encoded_image_signature=True)
  return checkpoint, tf.saved_model.load(str(root / 'serving')), module


def serving_default(lenet, images):
  return lenet[1].signatures[export_lib.SERVING_DEFAULT](images=images)


def serving_encoded(lenet, encoded_images):
  return lenet[1].signatures[export_lib.SERVING_ENCODED](encoded_images=encoded_images)


def test_serving_default_is_unchanged_for_images_of_the_declared_shape(lenet):
  images = np.random.RandomState(0).uniform(-1, 1, [3, 28, 28, 1]).astype(np.float32)
  outputs = serving_default(lenet, tf.constant(images))
  reference_logits, reference_probabilities = export_setup.graph_outputs(lenet[0], 'lenet', 10,
                                                                         images)
  np.testing.assert_allclose(outputs['logits'], reference_logits, atol=1e-5)
  np.testing.assert_allclose(outputs['probabilities'], reference_probabilities, atol=1e-6)
  np.testing.assert_array_equal(outputs['classes'], reference_logits.argmax(-1))
  assert list(outputs['class_names'].numpy()) == [
      NAMES[label].encode() for label in reference_logits.argmax(-1)]


@pytest.mark.parametrize('shape', [[2, 32, 32, 1], [2, 28, 28, 3], [2, 28, 28]],
                         ids=['size', 'channels', 'rank'])
def test_serving_default_names_the_shape_it_expects(lenet, shape):
  expected = 'serving_default: images must be [batch, 28, 28, 1], received shape [%s]' % (
      ', '.join(map(str, shape)))
  with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(expected)):
    serving_default(lenet, tf.zeros(shape))


def test_module_function_rejects_a_wrong_static_shape_naming_both(lenet):
  with pytest.raises(TypeError, match=re.escape('(2, 32, 32, 1)') + '.*' +
                     re.escape('(None, 28, 28, 1)')):
    lenet[2].serve(tf.zeros([2, 32, 32, 1]))


def test_serving_default_rejects_another_dtype(lenet):
  with pytest.raises(tf.errors.InvalidArgumentError, match='expected to be a float tensor'):
    serving_default(lenet, tf.zeros([2, 28, 28, 1], tf.float64))


def check_empty(outputs):
  assert {key: (value.shape.as_list(), value.dtype) for key, value in outputs.items()} == {
      'logits': ([0, 10], tf.float32), 'probabilities': ([0, 10], tf.float32),
      'classes': ([0], tf.int64), 'class_names': ([0], tf.string)}


def test_serving_default_takes_an_empty_batch(lenet):
  check_empty(serving_default(lenet, tf.zeros([0, 28, 28, 1])))


def test_serving_encoded_takes_an_empty_batch(lenet):
  check_empty(serving_encoded(lenet, tf.constant([], tf.string)))


def test_serving_encoded_classifies_images_as_serving_default(lenet):
  digits = np.random.RandomState(1).randint(0, 256, [2, 28, 28, 1]).astype(np.uint8)
  encoded = tf.stack([tf.io.encode_png(digit) for digit in digits])
  preprocess = preprocessing_factory.get_preprocessing('lenet')
  preprocessed = tf.stack([preprocess(digit, 28, 28) for digit in digits])
  np.testing.assert_allclose(serving_encoded(lenet, encoded)['logits'],
                             serving_default(lenet, preprocessed)['logits'], atol=1e-5)


def test_serving_encoded_names_the_strings_that_are_not_images(lenet):
  png = tf.io.encode_png(tf.zeros([28, 28, 1], tf.uint8)).numpy()
  expected = ('serving_encoded: encoded_images must hold JPEG, PNG, GIF, BMP, WebP or JPEG XL '
              'images, received other data at index 1, 3')
  with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(expected)):
    serving_encoded(lenet, tf.constant([png, b'notes', png, b'']))


def test_serving_encoded_leaves_a_damaged_image_to_the_decoder(lenet):
  png = tf.io.encode_png(tf.zeros([28, 28, 1], tf.uint8)).numpy()
  with pytest.raises(tf.errors.InvalidArgumentError, match='PNG'):
    serving_encoded(lenet, tf.constant([png[:20]]))
