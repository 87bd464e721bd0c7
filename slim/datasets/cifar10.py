"""CIFAR-10: 32x32 color images of 10 classes (airplane ... truck).

Made by `download_and_convert_cifar10.py` (datasets/); records hold PNG images.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = 'cifar10_%s.tfrecord'

SPLITS_TO_SIZES = {'train': 50000, 'test': 10000}

_NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A [32 x 32 x 3] color image.',
    'label': 'A single integer between 0 and 9',
}


def _keys_to_features():
  return _spec.image_label_features('png')


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image(shape=[32, 32, 3]),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
  }


SPEC = _spec.register(
    name='cifar10', file_pattern=_FILE_PATTERN, splits_to_sizes=SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_cifar10',
    description='32x32 color images, 10 classes')

get_split = SPEC.get_split
