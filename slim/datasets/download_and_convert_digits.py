r"""Converts scikit-learn's 8x8 digits to TFRecords of 28x28 grayscale PNG examples.

The digits ship inside scikit-learn (`sklearn.datasets.load_digits()`): nothing
is downloaded. Pixel values 0..16 are scaled to 0..255, the images resized to
28x28 (bilinear) and split with the permutation of seed 0: the first 1500 for
train, the other 297 for test. Output: digits_{train,test}_0000N-of-0000M.tfrecord,
labels.txt, dataset_info.json.

    python scripts/download_and_convert_data.py --dataset_name=digits --dataset_dir=/tmp/digits
"""
import numpy as np
import tensorflow as tf

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import digits

_NUM_TRAIN = 1500
_SEED = 0
_IMAGE_SIZE = 28
_NUM_SHARDS = 2
_SHARD_TEMPLATE = 'digits_%s_%05d-of-%05d.tfrecord'
_CLASS_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']


def load_splits():
  """The digits as {'train': (images, labels), 'test': (images, labels)}.

  Images are uint8 [n, 28, 28, 1], labels int64 [n].

  Raises:
    ImportError: if scikit-learn is not installed.
  """
  try:
    from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
  except ImportError as error:
    raise ImportError("the digits dataset needs scikit-learn: pip install scikit-learn "
                      "(or pip install 'slim[digits]')") from error
  data = load_digits()
  scaled = data.images.astype(np.float32)[..., None] * (255.0 / 16.0)
  resized = tf.image.resize(scaled, [_IMAGE_SIZE, _IMAGE_SIZE], method='bilinear').numpy()
  images = np.clip(np.round(resized), 0, 255).astype(np.uint8)
  order = np.random.RandomState(_SEED).permutation(len(images))
  images, labels = images[order], data.target[order].astype(np.int64)
  return {'train': (images[:_NUM_TRAIN], labels[:_NUM_TRAIN]),
          'test': (images[_NUM_TRAIN:], labels[_NUM_TRAIN:])}


def _make_example(item):
  image, label = item
  return dataset_utils.image_to_tfexample(_convert.encode_png(image), 'png', _IMAGE_SIZE,
                                          _IMAGE_SIZE, int(label))


def run(dataset_dir, num_threads=None, overwrite=False):
  """Converts the digits to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    num_threads: parallel shard writers (default: the number of CPUs).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.
  """
  def convert():
    splits = [_convert.Split(name, list(zip(images, labels)),
                             _convert.sharded_names(_SHARD_TEMPLATE, name), _NUM_SHARDS)
              for name, (images, labels) in load_splits().items()]
    return _convert.write_dataset(
        dataset_dir, digits.SPEC.name, splits, _make_example, _CLASS_NAMES,
        digits.SPEC.file_pattern, num_threads=num_threads,
        extra_info={'image_size': [_IMAGE_SIZE, _IMAGE_SIZE, 1]})
  return _convert.convert_once(dataset_dir, digits.SPEC.name, overwrite, convert)
