r"""Downloads and converts the TensorFlow flower photos to TFRecords of JPEG examples.

The archive flower_photos.tgz (flower_photos/<class>/*.jpg) is taken from
`archive_path`, else from `dataset_dir`, else downloaded, and extracted to a
temporary folder. The photos are shuffled with seed 0 (in file-name order first):
the first `num_validation` (350) form the validation split. Output:
flowers_{train,validation}_0000N-of-00005.tfrecord, labels.txt, dataset_info.json.

    python scripts/download_and_convert_data.py --dataset_name=flowers --dataset_dir=/tmp/flowers
"""
import functools
import os
import random

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import download_and_convert_image_folder
from slim.datasets import flowers

_DATA_URL = 'http://download.tensorflow.org/example_images/flower_photos.tgz'
_NUM_VALIDATION = 350
_RANDOM_SEED = 0
_NUM_SHARDS = 5
_SHARD_TEMPLATE = 'flowers_%s_%05d-of-%05d.tfrecord'


def run(dataset_dir, archive_path=None, num_validation=_NUM_VALIDATION, num_threads=None,
        skip_bad_images=False, overwrite=False):
  """Converts the flower photos to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    archive_path: the downloaded flower_photos.tgz (default: `dataset_dir`'s, then
      download).
    num_validation: photos in the validation split (default 350).
    num_threads: parallel shard writers (default: the number of CPUs).
    skip_bad_images: skip and count undecodable photos instead of stopping (default
      False).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.

  Raises:
    ValueError: if the archive has no flower_photos folder of class folders, or
      `num_validation` leaves no training photo.
    BadImageError: naming the file, for an undecodable photo (without skip_bad_images).
  """
  num_validation = _NUM_VALIDATION if num_validation is None else num_validation

  def convert():
    path, downloaded = _convert.locate_source(dataset_dir, _DATA_URL.split('/')[-1],
                                              _DATA_URL, archive_path)
    with _convert.scratch_dir(dataset_dir, flowers.SPEC.name) as scratch:
      dataset_utils.extract_archive(path, scratch)
      root = os.path.join(scratch, 'flower_photos')
      if not os.path.isdir(root):
        raise ValueError('%s has no flower_photos/ folder: it is not the flower photos archive'
                         % path)
      class_names, items = download_and_convert_image_folder.list_class_images(root)
      random.Random(_RANDOM_SEED).shuffle(items)
      if not 0 < num_validation < len(items):
        raise ValueError('flowers: num_validation must be in (0, %d) for the %d photos of %s, '
                         'received %r' % (len(items), len(items), path, num_validation))
      splits = [_convert.Split(name, split_items,
                               _convert.sharded_names(_SHARD_TEMPLATE, name), _NUM_SHARDS)
                for name, split_items in (('train', items[num_validation:]),
                                          ('validation', items[:num_validation]))]
      make_example = functools.partial(download_and_convert_image_folder.make_file_example,
                                       format_name='jpg', keep_formats=('jpeg',),
                                       target_format='jpeg')
      summary = _convert.write_dataset(
          dataset_dir, flowers.SPEC.name, splits, make_example, class_names,
          flowers.SPEC.file_pattern, num_threads=num_threads, skip_bad_images=skip_bad_images)
    if downloaded:
      os.remove(path)
    return summary
  return _convert.convert_once(dataset_dir, flowers.SPEC.name, overwrite, convert)
