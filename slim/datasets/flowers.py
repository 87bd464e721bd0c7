"""The TensorFlow flower photos: color images of varying size of 5 classes.

Made by `download_and_convert_flowers.py` (datasets/); records hold JPEG images,
in 5 shards per split.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = 'flowers_%s_*.tfrecord'

SPLITS_TO_SIZES = {'train': 3320, 'validation': 350}

_NUM_CLASSES = 5

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A color image of varying size.',
    'label': 'A single integer between 0 and 4',
}


def _keys_to_features():
  return _spec.image_label_features('png')


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image(),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
  }


SPEC = _spec.register(
    name='flowers', file_pattern=_FILE_PATTERN, splits_to_sizes=SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_flowers',
    description='flower photos of varying size, 5 classes')

get_split = SPEC.get_split
