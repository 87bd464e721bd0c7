"""The datasets by name, and `get_dataset`.

    dataset = dataset_factory.get_dataset('flowers', 'train', '/data/flowers')
    dataset.num_samples, dataset.num_classes, dataset.labels_offset

Each dataset module registers its `DatasetSpec` (file pattern, splits and sizes,
number of classes, label offset, items, converter) where it is defined;
`REGISTRY` holds them all, `datasets_map` is research/slim's name -> module map.
"""
from slim.datasets import _spec
from slim.datasets import cifar10
from slim.datasets import digits
from slim.datasets import flowers
from slim.datasets import image_folder
from slim.datasets import imagenet
from slim.datasets import mnist
from slim.datasets import visualwakewords

__all__ = ['REGISTRY', 'datasets_map', 'get_dataset', 'get_spec', 'list_datasets']

REGISTRY = _spec.DATASETS

# research/slim's map: dataset name -> module (with `get_split`).
datasets_map = {module.SPEC.name: module for module in (
    cifar10, digits, flowers, image_folder, imagenet, mnist, visualwakewords)}


def get_spec(name):
  """The `DatasetSpec` of dataset `name`.

  Raises:
    ValueError: an unknown name; the message suggests the closest and lists the known ones.
  """
  return REGISTRY.lookup(name)


def list_datasets(pattern='*'):
  """The sorted names of the registered datasets matching the glob `pattern`."""
  return REGISTRY.names(pattern)


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
