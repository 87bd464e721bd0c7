r"""Downloads and converts a dataset to TFRecords of TF-Example protos.

    python scripts/download_and_convert_data.py --dataset_name=digits --dataset_dir=/tmp/digits
    python scripts/download_and_convert_data.py --dataset_name=flowers --dataset_dir=/tmp/flowers \
        --archive_path=~/Downloads/flower_photos.tgz
    python scripts/download_and_convert_data.py --dataset_name=image_folder \
        --images_dir=photos --dataset_dir=/tmp/photos

Datasets: the names of datasets/dataset_factory.py (cifar10, digits, flowers,
image_folder, imagenet, mnist, visualwakewords). Each converter writes its shards
in parallel to temporary names renamed when all are complete, then labels.txt
and dataset_info.json, and prints a summary; a second run finds the dataset and
stops (--overwrite converts again). Undecodable images stop the run with the
file's name, or with --skip_bad_images are skipped and counted. Only the flags a
dataset's converter takes may be given.
"""
import argparse
import importlib
import inspect
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from datasets import dataset_factory  # pylint: disable=wrong-import-position
from scripts._flags import boolean as _boolean  # pylint: disable=wrong-import-position


# flag: (type, help); defaults are the converters' own.
_CONVERTER_FLAGS = {
    'archive_path': (str, 'an already-downloaded archive (or folder of files) of the dataset; '
                          'default: look in --dataset_dir, then download'),
    'images_dir': (str, 'image_folder: the folder with one sub-folder of images per class'),
    'num_validation': (int, 'flowers, image_folder: images in the validation split'),
    'num_shards': (int, 'shards per split'),
    'train_shards': (int, 'imagenet: shards of the train split (default 1024)'),
    'validation_shards': (int, 'imagenet: shards of the validation split (default 128)'),
    'num_threads': (int, 'parallel shard writers (default: the number of CPUs)'),
    'skip_bad_images': (_boolean, 'skip and count undecodable images instead of stopping'),
    'overwrite': (_boolean, 'convert again even if --dataset_dir holds the dataset'),
    'small_object_area_threshold': (float, 'visualwakewords: objects under this fraction of '
                                           'the image area do not count (default 0.005)'),
    'foreground_class_of_interest': (str, "visualwakewords: the COCO category of label 1 "
                                          "(default 'person')"),
    'coco_dirname': (str, "visualwakewords: the COCO folder in --dataset_dir "
                          "(default 'coco_dataset')"),
    'coco_train_url': (str, 'visualwakewords: the COCO train2014.zip URL'),
    'coco_validation_url': (str, 'visualwakewords: the COCO val2014.zip URL'),
    'coco_annotations_url': (str, 'visualwakewords: the COCO annotations zip URL'),
    'train_directory': (str, 'imagenet: train/<synset>/*.JPEG (default DATASET_DIR/train)'),
    'validation_directory': (str, 'imagenet: validation images (default '
                                  'DATASET_DIR/validation)'),
    'labels_file': (str, 'imagenet: the synset list (imagenet_lsvrc_2015_synsets.txt)'),
    'imagenet_metadata_file': (str, 'imagenet: synset names (imagenet_metadata.txt)'),
    'validation_labels_file': (str, 'imagenet: synsets of flat validation images'),
    'bounding_box_file': (str, 'imagenet: a CSV of boxes (image,xmin,ymin,xmax,ymax)'),
    'bounding_box_dir': (str, 'imagenet: the bounding-box XML files'),
}


def _parser():
  parser = argparse.ArgumentParser(
      prog='download_and_convert_data', description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--dataset_name', required=True,
                      help='one of: %s' % ', '.join(sorted(dataset_factory.REGISTRY)))
  parser.add_argument('--dataset_dir', required=True,
                      help='where the TFRecords (and temporary files) are written')
  for flag, (flag_type, help_text) in _CONVERTER_FLAGS.items():
    if flag_type is _boolean:
      parser.add_argument('--' + flag, type=_boolean, nargs='?', const=True, help=help_text)
      parser.add_argument('--no' + flag, dest=flag, action='store_false', default=None,
                          help=argparse.SUPPRESS)
    else:
      parser.add_argument('--' + flag, type=flag_type, help=help_text)
  return parser


def convert(dataset_name, dataset_dir, **options):
  """Runs the converter of `dataset_name` with the options it takes.

  Returns:
    The `ConversionSummary` of the converter.

  Raises:
    ValueError: if the dataset is unknown or an option does not apply to it.
  """
  spec = dataset_factory.get_spec(dataset_name)
  run = importlib.import_module(spec.converter).run
  accepted = set(inspect.signature(run).parameters)
  extra = sorted(set(options) - accepted)
  if extra:
    raise ValueError('%s does not apply to --dataset_name=%s (its converter takes: %s)' % (
        ', '.join('--' + name for name in extra), dataset_name,
        ', '.join('--' + name for name in sorted(accepted - {'dataset_dir'}))))
  return run(dataset_dir, **options)


def main(argv=None):
  """Parses the flags of `argv` (default: the command line) and converts the dataset.

  Returns:
    The `ConversionSummary`.
  """
  args = vars(_parser().parse_args(argv))
  dataset_name, dataset_dir = args.pop('dataset_name'), args.pop('dataset_dir')
  options = {name: os.path.expanduser(value) if isinstance(value, str) else value
             for name, value in args.items() if value is not None}
  return convert(dataset_name, os.path.expanduser(dataset_dir), **options)


if __name__ == '__main__':
  try:
    main()
  except (ValueError, OSError, ImportError) as error:
    sys.exit('download_and_convert_data: error: %s' % error)
