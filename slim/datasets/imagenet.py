"""ImageNet (ILSVRC-2012): color images of 1000 classes, plus a background class 0.

Labels run 1..1000 (synsets in the order of imagenet_lsvrc_2015_synsets.txt), 0
being the unused background class: `num_classes` is 1001, `labels_offset` 1. Some
training images carry bounding boxes of their object. Made by
`download_and_convert_imagenet.py` (datasets/) from the train and validation
folders, or by research/slim's build_imagenet_data.py (same records).

WARNING: not for object detection: every box of an image belongs to its one label.
"""
import urllib.request

import tensorflow as tf

import slim
from slim.datasets import _spec

_FILE_PATTERN = '%s-*'

_SPLITS_TO_SIZES = {'train': 1281167, 'validation': 50000}

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A color image of varying height and width.',
    'label': 'The label id of the image, integer between 0 and 999',
    'label_text': 'The text of the label.',
    'object/bbox': 'A list of bounding boxes.',
    'object/label': 'A list of labels, one per each object.',
}

_NUM_CLASSES = 1001

_METADATA_BASE_URL = ('https://raw.githubusercontent.com/tensorflow/models/master/research/'
                      'inception/inception/data/')
SYNSETS_URL = _METADATA_BASE_URL + 'imagenet_lsvrc_2015_synsets.txt'
SYNSET_TO_HUMAN_URL = _METADATA_BASE_URL + 'imagenet_metadata.txt'


def read_synsets(path):
  """The synset ids of a file with one id per line ('n01440764')."""
  with tf.io.gfile.GFile(path, 'r') as f:
    synsets = [line.strip() for line in f if line.strip()]
  if not synsets:
    raise ValueError('%s lists no synset' % path)
  return synsets


def read_synset_to_human(path):
  """The dict {synset: human-readable name} of a file of 'synset<TAB>name' lines."""
  synset_to_human = {}
  with tf.io.gfile.GFile(path, 'r') as f:
    for number, line in enumerate(f, 1):
      if not line.strip():
        continue
      parts = line.strip().split('\t')
      if len(parts) != 2:
        raise ValueError("%s line %d: expected 'synset<TAB>name', received %r"
                         % (path, number, line))
      synset_to_human[parts[0]] = parts[1]
  return synset_to_human


def create_readable_names_for_imagenet_labels(synsets_file=None, synset_to_human_file=None):
  """The dict {label: human-readable name}, with 0: 'background' and 1..N the synsets.

  Args:
    synsets_file: the list of challenge synsets (default: downloaded from
      tensorflow/models, as research/slim does).
    synset_to_human_file: the synset-to-name file (default: downloaded likewise).

  Raises:
    ValueError: if a synset has no name.
  """
  if synsets_file is None:
    synsets_file, _ = urllib.request.urlretrieve(SYNSETS_URL)
  if synset_to_human_file is None:
    synset_to_human_file, _ = urllib.request.urlretrieve(SYNSET_TO_HUMAN_URL)
  synset_to_human = read_synset_to_human(synset_to_human_file)
  labels_to_names = {0: 'background'}
  for label, synset in enumerate(read_synsets(synsets_file), 1):
    if synset not in synset_to_human:
      raise ValueError('synset %s of %s has no name in %s'
                       % (synset, synsets_file, synset_to_human_file))
    labels_to_names[label] = synset_to_human[synset]
  return labels_to_names


def _keys_to_features():
  features = _spec.image_label_features('jpeg', label_default=-1)
  features.update(_spec.bounding_box_features())
  features['image/class/text'] = tf.io.FixedLenFeature([], tf.string, default_value='')
  features['image/object/class/label'] = tf.io.VarLenFeature(dtype=tf.int64)
  return features


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image('image/encoded', 'image/format'),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
      'label_text': slim.tfexample_decoder.Tensor('image/class/text'),
      'object/bbox': _spec.bounding_box_handler(),
      'object/label': slim.tfexample_decoder.Tensor('image/object/class/label'),
  }


SPEC = _spec.register(
    name='imagenet', file_pattern=_FILE_PATTERN, splits_to_sizes=_SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    labels_offset=1, converter='slim.datasets.download_and_convert_imagenet',
    description='ILSVRC-2012, 1000 classes and background, with bounding boxes')


def get_split(split_name, dataset_dir, file_pattern=None, reader=None):
  """The `slim.dataset.Dataset` of an ImageNet split (see `DatasetSpec.get_split`).

  `labels_to_names` comes from labels.txt in `dataset_dir` (written by the converter);
  unlike research/slim nothing is downloaded when it is missing (then it is None; see
  `create_readable_names_for_imagenet_labels`).
  """
  return SPEC.get_split(split_name, dataset_dir, file_pattern, reader)
