r"""Downloads and converts CIFAR-10 to TFRecords of 32x32 color PNG examples.

The archive cifar-10-python.tar.gz (Python pickles of the batches) is taken from
`archive_path`, else from `dataset_dir`, else downloaded; its batches are read
from the archive without extracting it. Output: cifar10_train.tfrecord (the five
data batches), cifar10_test.tfrecord, labels.txt, dataset_info.json.

    python scripts/download_and_convert_data.py --dataset_name=cifar10 --dataset_dir=/tmp/cifar10
"""
import io
import os
import pickle
import tarfile

import numpy as np

from slim.datasets import _convert
from slim.datasets import cifar10
from slim.datasets import dataset_utils

_DATA_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
_BATCHES_DIR = 'cifar-10-batches-py'
_NUM_TRAIN_FILES = 5
_IMAGE_SIZE = 32
_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
                'ship', 'truck']

# What a pickle of numpy arrays may name; anything else in a pickle is refused.
_ALLOWED_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'), ('numpy._core.numeric', '_frombuffer'),
    ('numpy', 'ndarray'), ('numpy', 'dtype'), ('_codecs', 'encode'),
}


class _ArrayUnpickler(pickle.Unpickler):
  """Unpickles dicts, lists and numpy arrays only: a pickle cannot run code."""

  def find_class(self, module, name):
    if (module, name) not in _ALLOWED_GLOBALS:
      raise pickle.UnpicklingError('global %s.%s is not allowed' % (module, name))
    return super().find_class(module, name)


def _load_batch(archive, member_name, archive_path):
  """(images uint8 [n, 32, 32, 3], labels int64 [n]) of one pickled batch."""
  try:
    member = archive.extractfile(member_name)
  except KeyError:
    raise ValueError('%s has no %s: it is not the CIFAR-10 python archive'
                     % (archive_path, member_name)) from None
  try:
    batch = _ArrayUnpickler(io.BytesIO(member.read()), encoding='bytes').load()
    data = np.asarray(batch[b'data'], dtype=np.uint8)
    labels = np.asarray(batch[b'labels'], dtype=np.int64)
    images = data.reshape(len(data), 3, _IMAGE_SIZE, _IMAGE_SIZE).transpose(0, 2, 3, 1)
  except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError) as error:
    raise ValueError('%s: %s is not a CIFAR-10 batch: %s'
                     % (archive_path, member_name, error)) from None
  if len(images) != len(labels):
    raise ValueError('%s: %s holds %d images but %d labels'
                     % (archive_path, member_name, len(images), len(labels)))
  return images, labels


def read_archive(archive_path):
  """{'train': (images, labels), 'test': (images, labels)} of a CIFAR-10 python archive.

  Raises:
    ValueError: if the archive or one of its batches cannot be read.
  """
  try:
    with tarfile.open(archive_path, 'r:*') as archive:
      train = [_load_batch(archive, '%s/data_batch_%d' % (_BATCHES_DIR, index), archive_path)
               for index in range(1, _NUM_TRAIN_FILES + 1)]
      test = _load_batch(archive, '%s/test_batch' % _BATCHES_DIR, archive_path)
  except (tarfile.TarError, EOFError, OSError) as error:
    raise ValueError('%s is not a readable .tar.gz archive: %s' % (archive_path, error)) from None
  return {'train': (np.concatenate([images for images, _ in train]),
                    np.concatenate([labels for _, labels in train])),
          'test': test}


def _make_example(item):
  image, label = item
  return dataset_utils.image_to_tfexample(_convert.encode_png(image), 'png', _IMAGE_SIZE,
                                          _IMAGE_SIZE, int(label))


def run(dataset_dir, archive_path=None, num_threads=None, overwrite=False):
  """Converts CIFAR-10 to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    archive_path: the downloaded cifar-10-python.tar.gz (default: `dataset_dir`'s, then
      download).
    num_threads: parallel shard writers (default: the number of CPUs).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.

  Raises:
    ValueError: if the archive is not the CIFAR-10 python archive.
  """
  def convert():
    path, downloaded = _convert.locate_source(dataset_dir, _DATA_URL.split('/')[-1],
                                              _DATA_URL, archive_path)
    splits = [_convert.Split(name, list(zip(images, labels)),
                             lambda index, count, s=name: 'cifar10_%s.tfrecord' % s)
              for name, (images, labels) in read_archive(path).items()]
    summary = _convert.write_dataset(dataset_dir, cifar10.SPEC.name, splits, _make_example,
                                     _CLASS_NAMES, cifar10.SPEC.file_pattern,
                                     num_threads=num_threads)
    if downloaded:
      os.remove(path)
    return summary
  return _convert.convert_once(dataset_dir, cifar10.SPEC.name, overwrite, convert)
