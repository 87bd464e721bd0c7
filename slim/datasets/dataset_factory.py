"""The one registry of datasets, and `get_dataset`.

    dataset = dataset_factory.get_dataset('flowers', 'train', '/data/flowers')
    dataset.num_samples, dataset.num_classes, dataset.labels_offset

Each entry (`REGISTRY[name]`, a `DatasetSpec`) carries the dataset's file pattern,
splits and sizes, number of classes, label offset, items and converter.
"""
import difflib

from slim.datasets import cifar10
from slim.datasets import digits
from slim.datasets import flowers
from slim.datasets import image_folder
from slim.datasets import imagenet
from slim.datasets import mnist
from slim.datasets import visualwakewords

_MODULES = (cifar10, digits, flowers, image_folder, imagenet, mnist, visualwakewords)

REGISTRY = {module.SPEC.name: module.SPEC for module in _MODULES}

# research/slim's name: dataset name -> module (with `get_split`).
datasets_map = {module.SPEC.name: module for module in _MODULES}


def get_spec(name):
  """The registry entry of dataset `name`.

  Raises:
    ValueError: if `name` is not registered (listing the known names).
  """
  if name in REGISTRY:
    return REGISTRY[name]
  close = difflib.get_close_matches(str(name), list(REGISTRY), n=1)
  suggestion = ' Did you mean %r?' % close[0] if close else ''
  raise ValueError('Name of dataset unknown: %r.%s Known datasets: %s'
                   % (name, suggestion, ', '.join(sorted(REGISTRY))))


def get_dataset(name, split_name, dataset_dir, file_pattern=None, reader=None):
  """The `slim.dataset.Dataset` of split `split_name` of dataset `name`.

  Args:
    name: a registered dataset name ('flowers', 'digits', ...).
    split_name: a split of that dataset ('train', 'validation', 'test', ...).
    dataset_dir: the directory of its TFRecord files.
    file_pattern: the file pattern, '%s' standing for the split name (default: the
      dataset's).
    reader: the reader (default `tf.compat.v1.TFRecordReader`).

  Returns:
    A `slim.dataset.Dataset` with `num_samples`, `num_classes`, `labels_to_names`,
    `labels_offset` and `name`.

  Raises:
    ValueError: if the dataset or the split is unknown.
  """
  return get_spec(name).get_split(split_name, dataset_dir, file_pattern, reader)
