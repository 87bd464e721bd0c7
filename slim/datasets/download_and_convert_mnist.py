r"""Downloads and converts MNIST to TFRecords of 28x28 grayscale PNG examples.

The four gzipped IDX files (train-images-idx3-ubyte.gz, ...) are taken from
`archive_path` (a directory holding them), else from `dataset_dir`, else downloaded.
Output: mnist_train.tfrecord, mnist_test.tfrecord, labels.txt, dataset_info.json.
Files downloaded by the run are removed after the conversion.

    python scripts/download_and_convert_data.py --dataset_name=mnist --dataset_dir=/tmp/mnist
"""
import gzip
import os
import struct

import numpy as np

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import mnist

_DATA_URL = 'https://storage.googleapis.com/cvdf-datasets/mnist/'
_SPLIT_FILES = {
    'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
}
_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049
_CLASS_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']


def _read_idx(path, magic, header_ints):
  """The header ints and the uint8 payload of a gzipped IDX file."""
  try:
    with gzip.open(path, 'rb') as f:
      header = f.read(4 * (1 + header_ints))
      if len(header) < 4 * (1 + header_ints):
        raise ValueError('truncated header')
      values = struct.unpack('>%di' % (1 + header_ints), header)
      if values[0] != magic:
        raise ValueError('magic number %d, expected %d' % (values[0], magic))
      size = int(np.prod(values[1:]))
      payload = f.read(size)
  except (OSError, EOFError, gzip.BadGzipFile, ValueError) as error:
    raise ValueError('%s is not a gzipped MNIST IDX file: %s' % (path, error)) from None
  if len(payload) != size:
    raise ValueError('%s is truncated: %d of %d bytes' % (path, len(payload), size))
  return values[1:], np.frombuffer(payload, dtype=np.uint8)


def read_images(path):
  """The images of an MNIST images file as uint8 [n, rows, cols, 1]."""
  (count, rows, cols), pixels = _read_idx(path, _IMAGES_MAGIC, 3)
  return pixels.reshape(count, rows, cols, 1)


def read_labels(path):
  """The labels of an MNIST labels file as int64 [n]."""
  _, labels = _read_idx(path, _LABELS_MAGIC, 1)
  return labels.astype(np.int64)


def _make_example(item):
  image, label = item
  return dataset_utils.image_to_tfexample(_convert.encode_png(image), 'png', image.shape[0],
                                          image.shape[1], int(label))


def run(dataset_dir, archive_path=None, num_threads=None, overwrite=False):
  """Converts MNIST to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    archive_path: a directory holding the four .gz files (default: `dataset_dir`, then
      download from the MNIST mirror).
    num_threads: parallel shard writers (default: the number of CPUs).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.

  Raises:
    ValueError: if a file is not a gzipped IDX file of the right kind, or images and
      labels disagree.
  """
  def convert():
    downloaded = []
    splits = []
    for split_name, filenames in _SPLIT_FILES.items():
      paths = []
      for filename in filenames:
        path, fetched = _convert.locate_source(
            dataset_dir, filename, _DATA_URL + filename,
            os.path.join(archive_path, filename) if archive_path else None)
        paths.append(path)
        if fetched:
          downloaded.append(path)
      images, labels = read_images(paths[0]), read_labels(paths[1])
      if len(images) != len(labels):
        raise ValueError('%s holds %d images but %s holds %d labels'
                         % (paths[0], len(images), paths[1], len(labels)))
      splits.append(_convert.Split(split_name, list(zip(images, labels)),
                                   lambda index, count, s=split_name: 'mnist_%s.tfrecord' % s))
    summary = _convert.write_dataset(dataset_dir, mnist.SPEC.name, splits, _make_example,
                                     _CLASS_NAMES, mnist.SPEC.file_pattern,
                                     num_threads=num_threads)
    for path in downloaded:
      os.remove(path)
    return summary
  return _convert.convert_once(dataset_dir, mnist.SPEC.name, overwrite, convert)
