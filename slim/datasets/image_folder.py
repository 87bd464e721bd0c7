"""A custom dataset from a folder of images with one sub-folder per class.

    photos/cats/1.jpg, photos/cats/2.png, photos/dogs/1.jpg, ...

`download_and_convert_image_folder.py` (datasets/) converts it and writes
labels.txt (classes in alphabetical order, labels from 0) and dataset_info.json
(classes, split sizes, image formats), from which `get_split` takes its sizes and
number of classes: nothing about a custom dataset is hard-coded.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = 'image_folder_%s_*.tfrecord'

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A color image of varying size.',
    'label': 'The class of the image, an integer from 0 in the order of labels.txt',
}


def _keys_to_features():
  return _spec.image_label_features('jpeg')


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image(),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
  }


SPEC = _spec.register(
    name='image_folder', file_pattern=_FILE_PATTERN, splits_to_sizes=None,
    num_classes=None, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_image_folder',
    description='your images, one sub-folder per class (sizes from dataset_info.json)')

get_split = SPEC.get_split
