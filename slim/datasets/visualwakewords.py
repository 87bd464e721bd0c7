"""Visual Wake Words: COCO images labelled person (1) or not (0), for tiny models.

An image is a 'person' image when it holds a person box larger than a fraction
(0.5% by default) of the image. Made by `download_and_convert_visualwakewords.py`
(datasets/) from the COCO 2014 images and instance annotations.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = '%s.record-*'

_SPLITS_TO_SIZES = {'train': 82783, 'val': 40504}

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A color image of varying height and width.',
    'label': 'The label id of the image, an integer in {0, 1}',
    'object/bbox': 'A list of bounding boxes.',
}

_NUM_CLASSES = 2

LABELS_FILENAME = 'labels.txt'


def _keys_to_features():
  features = _spec.image_label_features('jpeg', label_default=-1)
  features.update(_spec.bounding_box_features())
  return features


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image('image/encoded', 'image/format'),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
      'object/bbox': _spec.bounding_box_handler(),
  }


SPEC = _spec.register(
    name='visualwakewords', file_pattern=_FILE_PATTERN, splits_to_sizes=_SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_visualwakewords',
    description='COCO images: person or not, 2 classes')

get_split = SPEC.get_split
