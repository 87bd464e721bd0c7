"""The MNIST handwritten digits: 28x28 grayscale images of 10 classes.

Made by `download_and_convert_mnist.py` (datasets/); records hold PNG images.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = 'mnist_%s.tfrecord'

_SPLITS_TO_SIZES = {'train': 60000, 'test': 10000}

_NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A [28 x 28 x 1] grayscale image.',
    'label': 'A single integer between 0 and 9',
}


def _keys_to_features():
  return _spec.image_label_features('raw', label_shape=(1,))


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image(shape=[28, 28, 1], channels=1),
      'label': slim.tfexample_decoder.Tensor('image/class/label', shape=[]),
  }


SPEC = _spec.register(
    name='mnist', file_pattern=_FILE_PATTERN, splits_to_sizes=_SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_mnist',
    description='handwritten digits, 28x28 grayscale, 10 classes')

get_split = SPEC.get_split
