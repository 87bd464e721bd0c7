r"""Converts a folder of images, one sub-folder per class, to TFRecords.

    photos/cats/001.jpg  photos/cats/002.png  photos/dogs/001.jpg ...

Classes are the sub-folder names in alphabetical order (labels from 0). If the
folder is already split (photos/train/<class>/..., photos/validation/<class>/...
or photos/test/<class>/...), the splits are kept; otherwise `num_validation`
images (default 10%) chosen with seed 0 form the validation split. JPEG and PNG
files are stored as they are, other formats (BMP, GIF) as PNG; every image is
decoded once to check it. Output: image_folder_<split>_0000N-of-0000M.tfrecord,
labels.txt and dataset_info.json (classes, split sizes, image formats), which
`dataset_factory.get_dataset('image_folder', ...)` reads.

    python scripts/download_and_convert_data.py --dataset_name=image_folder \
        --images_dir=photos --dataset_dir=/tmp/photos_tfrecords
"""
import math
import os
import random

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import image_folder

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.gif')
_PRESPLIT_NAMES = ('train', 'validation', 'test')
_SHARD_TEMPLATE = 'image_folder_%s_%05d-of-%05d.tfrecord'
_RECORDS_PER_SHARD = 1024
_SEED = 0


def _visible_dirs(path):
  return sorted(entry for entry in os.listdir(path)
                if not entry.startswith('.') and os.path.isdir(os.path.join(path, entry)))


def _images_under(directory):
  found = []
  for dirpath, dirnames, filenames in os.walk(directory):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
    found += [os.path.join(dirpath, name) for name in sorted(filenames)
              if not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS)]
  return found


def list_class_images(root, class_names=None):
  """The class names and the (image path, label) pairs of a folder of class sub-folders.

  Args:
    root: a folder with one sub-folder of images per class.
    class_names: the classes to label in this order (default: the sub-folders, sorted).

  Returns:
    (class_names, items): items are (path, label) pairs, in folder order.

  Raises:
    ValueError: if `root` is not a folder, has no class sub-folder or no image.
  """
  if not os.path.isdir(root):
    raise ValueError('%s is not a directory; expected a folder with one sub-folder per class'
                     % root)
  found = _visible_dirs(root)
  if not found:
    raise ValueError('%s has no class sub-folders; expected one sub-folder of images per '
                     'class, e.g. %s' % (root, os.path.join(root, 'cats', '001.jpg')))
  class_names = list(class_names or found)
  items = []
  for name in found:
    items += [(path, class_names.index(name)) for path in _images_under(os.path.join(root, name))]
  if not items:
    raise ValueError('%s: no images (%s) in its class sub-folders %s'
                     % (root, ', '.join(IMAGE_EXTENSIONS), ', '.join(found)))
  return class_names, items


def make_file_example(item, format_name=None, keep_formats=('jpeg', 'png'),
                      target_format='png'):
  """The example of an image file; `format_name` overrides the stored format name."""
  path, label = item
  data, image_format, height, width = _convert.read_image_file(
      path, keep_formats=keep_formats, target_format=target_format)
  return dataset_utils.image_to_tfexample(data, format_name or image_format, height, width,
                                          label)


def _split_items(images_dir, num_validation):
  """{split name: items} and the class names of `images_dir`."""
  subdirs = _visible_dirs(images_dir) if os.path.isdir(images_dir) else []
  if 'train' in subdirs and set(subdirs) <= set(_PRESPLIT_NAMES) and len(subdirs) > 1:
    class_names = sorted({name for split in subdirs
                          for name in _visible_dirs(os.path.join(images_dir, split))})
    return class_names, {split: list_class_images(os.path.join(images_dir, split),
                                                  class_names)[1] for split in subdirs}
  class_names, items = list_class_images(images_dir)
  random.Random(_SEED).shuffle(items)
  if num_validation is None:
    num_validation = len(items) // 10
  if not 0 <= num_validation < len(items):
    raise ValueError('image_folder: num_validation must be in [0, %d) for the %d images of %s, '
                     'received %r' % (len(items), len(items), images_dir, num_validation))
  splits = {'train': items[num_validation:]}
  if num_validation:
    splits['validation'] = items[:num_validation]
  return class_names, splits


def run(dataset_dir, images_dir, num_validation=None, num_shards=None, num_threads=None,
        skip_bad_images=False, overwrite=False):
  """Converts the class sub-folders of `images_dir` to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    images_dir: the folder of class sub-folders (or of train/validation/test folders
      of class sub-folders).
    num_validation: images held out for validation when `images_dir` is not split
      (default: 10%).
    num_shards: shards per split (default: one per 1024 images).
    num_threads: parallel shard writers (default: the number of CPUs).
    skip_bad_images: skip and count undecodable images instead of stopping (default
      False).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.

  Raises:
    ValueError: if `images_dir` has no class sub-folder or image, or
      `num_validation` leaves no training image.
    BadImageError: naming the file, for an undecodable image (without skip_bad_images).
  """
  if not images_dir:
    raise ValueError('image_folder: images_dir (--images_dir) must name the folder of '
                     'class sub-folders')

  def convert():
    class_names, split_items = _split_items(images_dir, num_validation)
    splits = [_convert.Split(
        name, items, _convert.sharded_names(_SHARD_TEMPLATE, name),
        num_shards or math.ceil(len(items) / _RECORDS_PER_SHARD))
              for name, items in split_items.items() if items]
    return _convert.write_dataset(
        dataset_dir, image_folder.SPEC.name, splits, make_file_example, class_names,
        image_folder.SPEC.file_pattern, num_threads=num_threads,
        skip_bad_images=skip_bad_images, extra_info={'source': os.path.abspath(images_dir)})
  return _convert.convert_once(dataset_dir, image_folder.SPEC.name, overwrite, convert)
