"""A dataset's description as one registry entry, and the `get_split` it gives.

Every dataset module registers its description where it defines the dataset,
`SPEC = register(name=..., ...)`, with everything about it (file pattern, splits
and sizes, classes, label offset, features and item handlers, converter), and
sets `get_split = SPEC.get_split`. Sizes and classes found in
the `dataset_info.json` that the converters write take precedence over the
registered ones, so a dataset converted here is described by what was written.
"""
import os

import tensorflow as tf

import slim
from slim import _registry
from slim.datasets import _convert
from slim.datasets import dataset_utils


def image_label_features(default_format, label_shape=(), label_default=0):
  """The features of a classification example: encoded image, format and label."""
  label_default = [label_default] * label_shape[0] if label_shape else label_default
  return {
      'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
      'image/format': tf.io.FixedLenFeature((), tf.string, default_value=default_format),
      'image/class/label': tf.io.FixedLenFeature(list(label_shape), tf.int64,
                                                 default_value=label_default),
  }


def bounding_box_features():
  return {'image/object/bbox/%s' % side: tf.io.VarLenFeature(dtype=tf.float32)
          for side in ('xmin', 'ymin', 'xmax', 'ymax')}


def bounding_box_handler():
  return slim.tfexample_decoder.BoundingBox(['ymin', 'xmin', 'ymax', 'xmax'],
                                            'image/object/bbox/')


DATASETS = _registry.Registry('dataset')


class DatasetSpec:
  """Everything about one dataset.

  Args:
    name: the registry name ('flowers').
    file_pattern: the default file pattern, '%s' standing for the split name.
    splits_to_sizes: a dict {split: number of samples}; None when only the converted
      dataset knows (read from its dataset_info.json).
    num_classes: the number of classes, the background class included (None: read
      from dataset_info.json).
    items_to_descriptions: a dict {item: description}.
    keys_to_features: a function returning the dict of TF-Example features.
    items_to_handlers: a function returning the dict of ItemHandlers.
    labels_offset: the label of the first real class (1 when 0 is 'background').
    converter: the module converting the raw data ('slim.datasets.download_and_convert_x').
    description: one line about the dataset.
  """

  def __init__(self, name, file_pattern, splits_to_sizes, num_classes, items_to_descriptions,
               keys_to_features, items_to_handlers, labels_offset=0, converter=None,
               description=''):
    self.name = name
    self.file_pattern = file_pattern
    self.splits_to_sizes = splits_to_sizes
    self.num_classes = num_classes
    self.items_to_descriptions = items_to_descriptions
    self.keys_to_features = keys_to_features
    self.items_to_handlers = items_to_handlers
    self.labels_offset = labels_offset
    self.converter = converter
    self.description = description

  def __repr__(self):
    return 'DatasetSpec(%r, splits=%s, num_classes=%s)' % (
        self.name, self.splits_to_sizes, self.num_classes)

  def _converted_info(self, dataset_dir):
    info = _convert.read_metadata(dataset_dir) if dataset_dir else None
    return info if info and info.get('dataset') == self.name else None

  def splits(self, dataset_dir=None):
    """The dict {split: number of samples} of the dataset in `dataset_dir`."""
    info = self._converted_info(dataset_dir)
    if info:
      return {name: split['num_samples'] for name, split in info['splits'].items()}
    if self.splits_to_sizes is None:
      raise ValueError(
          "%s: the splits are known only after conversion, and %r has no %s. Convert "
          "the data first: download_and_convert_data --dataset_name=%s "
          "--dataset_dir=%s" % (self.name, dataset_dir, _convert.METADATA_FILENAME,
                                self.name, dataset_dir or 'DIR'))
    return dict(self.splits_to_sizes)

  def get_split(self, split_name, dataset_dir, file_pattern=None, reader=None):
    """The `slim.dataset.Dataset` of one split of this dataset.

    Args:
      split_name: a split name ('train', 'validation', ...).
      dataset_dir: the directory of the TFRecord files.
      file_pattern: the file pattern, '%s' standing for the split name (default: the
        dataset's).
      reader: the reader (default `tf.compat.v1.TFRecordReader`).

    Returns:
      A `slim.dataset.Dataset` with also `num_classes`, `labels_to_names` (None without
      labels.txt), `labels_offset`, `name` and `split_name`.

    Raises:
      ValueError: if `split_name` is not a split of the dataset.
    """
    splits = self.splits(dataset_dir)
    if split_name not in splits:
      raise ValueError('%s: split name %r was not recognized. Known splits: %s'
                       % (self.name, split_name, ', '.join(sorted(splits))))
    info = self._converted_info(dataset_dir) or {}
    file_pattern = file_pattern or info.get('file_pattern') or self.file_pattern
    if '%s' in file_pattern:
      file_pattern = file_pattern % split_name
    labels_to_names = None
    if dataset_dir and dataset_utils.has_labels(dataset_dir):
      labels_to_names = dataset_utils.read_label_file(dataset_dir)
    decoder = slim.tfexample_decoder.TFExampleDecoder(self.keys_to_features(),
                                                      self.items_to_handlers())
    return slim.dataset.Dataset(
        data_sources=os.path.join(dataset_dir or '', file_pattern),
        reader=reader or tf.compat.v1.TFRecordReader,
        decoder=decoder,
        num_samples=splits[split_name],
        items_to_descriptions=self.items_to_descriptions,
        num_classes=info.get('num_classes', self.num_classes),
        labels_to_names=labels_to_names,
        labels_offset=info.get('labels_offset', self.labels_offset),
        name=self.name, split_name=split_name)


def register(**fields):
  """Registers the `DatasetSpec(**fields)` under its name in `DATASETS`; returns it."""
  spec = DatasetSpec(**fields)
  return DATASETS.register(spec.name, spec)
