r"""Downloads and converts a dataset to TFRecords of TF-Example protos.

    python scripts/download_and_convert_data.py --dataset_name=digits --dataset_dir=/tmp/digits
    python scripts/download_and_convert_data.py --dataset_name=flowers --dataset_dir=/tmp/flowers \
        --archive_path=~/Downloads/flower_photos.tgz
    python scripts/download_and_convert_data.py --dataset_name=image_folder \
        --images_dir=photos --dataset_dir=/tmp/photos

Datasets: the names of datasets/dataset_factory.py (cifar10, digits, flowers,
image_folder, imagenet, mnist, visualwakewords). Each converter writes its shards
in parallel, then labels.txt and dataset_info.json, into a hidden temporary
directory of --dataset_dir, renamed into place when all are complete, and prints a
summary; a second run finds the dataset and stops (--overwrite converts again). A
failed run (a full disk, a write refused) stops with one line naming the file and
leaves --dataset_dir as it was, without temporary files; a --dataset_dir that is a
file or cannot be written is refused before any work. Undecodable images stop the
run with the file's name, or with --skip_bad_images are skipped and counted. Only
the flags a dataset's converter takes may be given.
"""
import importlib
import inspect
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see main).
from slim.tools import _cli
from slim.tools._cli import Flag

__all__ = ['FLAGS', 'console_main', 'convert', 'main']

PROG = 'download_and_convert_data'

# The converter options: unset (None) leaves a converter its own default.
FLAGS = [
    ('dataset', [
        Flag('dataset_name', _cli.REQUIRED, str, 'one of the datasets above'),
        Flag('dataset_dir', _cli.REQUIRED, str,
             'where the TFRecords (and temporary files) are written'),
    ]),
    ('conversion (only the flags the dataset\'s converter takes; unset: its default)', [
        Flag('archive_path', None, str, 'an already-downloaded archive (or folder of files) of '
                                        'the dataset; unset: look in --dataset_dir, then '
                                        'download'),
        Flag('images_dir', None, str,
             'image_folder: the folder with one sub-folder of images per class'),
        Flag('num_validation', None, int, 'flowers, image_folder: images in the validation '
                                          'split'),
        Flag('num_shards', None, int, 'shards per split'),
        Flag('train_shards', None, int, 'imagenet: shards of the train split (unset: 1024)'),
        Flag('validation_shards', None, int,
             'imagenet: shards of the validation split (unset: 128)'),
        Flag('num_threads', None, int, 'parallel shard writers (unset: the number of CPUs)'),
        Flag('skip_bad_images', None, bool,
             'skip and count undecodable images instead of stopping'),
        Flag('overwrite', None, bool, 'convert again even if --dataset_dir holds the dataset'),
        Flag('small_object_area_threshold', None, float,
             'visualwakewords: objects under this fraction of the image area do not count '
             '(unset: 0.005)'),
        Flag('foreground_class_of_interest', None, str,
             "visualwakewords: the COCO category of label 1 (unset: 'person')"),
        Flag('coco_dirname', None, str,
             "visualwakewords: the COCO folder in --dataset_dir (unset: 'coco_dataset')"),
        Flag('coco_train_url', None, str, 'visualwakewords: the COCO train2014.zip URL'),
        Flag('coco_validation_url', None, str, 'visualwakewords: the COCO val2014.zip URL'),
        Flag('coco_annotations_url', None, str, 'visualwakewords: the COCO annotations zip '
                                                'URL'),
        Flag('train_directory', None, str,
             'imagenet: train/<synset>/*.JPEG (unset: DATASET_DIR/train)'),
        Flag('validation_directory', None, str,
             'imagenet: validation images (unset: DATASET_DIR/validation)'),
        Flag('labels_file', None, str, 'imagenet: the synset list '
                                       '(imagenet_lsvrc_2015_synsets.txt)'),
        Flag('imagenet_metadata_file', None, str, 'imagenet: synset names '
                                                  '(imagenet_metadata.txt)'),
        Flag('validation_labels_file', None, str,
             'imagenet: synsets of flat validation images'),
        Flag('bounding_box_file', None, str,
             'imagenet: a CSV of boxes (image,xmin,ymin,xmax,ymax)'),
        Flag('bounding_box_dir', None, str, 'imagenet: the bounding-box XML files'),
    ]),
]


def convert(dataset_name, dataset_dir, **options):
  """Runs the converter of `dataset_name` with the options it takes.

  Returns:
    The `ConversionSummary` of the converter.

  Raises:
    FlagError: the dataset is unknown or an option does not apply to it.
  """
  from slim.datasets import dataset_factory  # pylint: disable=import-outside-toplevel
  try:
    spec = dataset_factory.get_spec(dataset_name)
  except ValueError as error:
    raise _cli.FlagError('--dataset_name: %s' % error) from None
  run = importlib.import_module(spec.converter).run
  accepted = set(inspect.signature(run).parameters)
  extra = sorted(set(options) - accepted)
  if extra:
    raise _cli.FlagError('%s does not apply to --dataset_name=%s (its converter takes: %s)' % (
        ', '.join('--' + name for name in extra), dataset_name,
        ', '.join('--' + name for name in sorted(accepted - {'dataset_dir'}))))
  return run(dataset_dir, **options)


def main(argv=None):
  """Parses the flags of `argv` (default: the command line) and converts the dataset.

  Returns:
    The `ConversionSummary`.
  """
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv)
  _cli.check_at_least(vars(flags), 1, ['num_shards', 'train_shards', 'validation_shards',
                                       'num_threads'], allow_none=True)
  _cli.check_at_least(vars(flags), 0, ['num_validation'], allow_none=True)
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  args = _cli.tool_flags(flags, FLAGS)
  dataset_name, dataset_dir = args.pop('dataset_name'), args.pop('dataset_dir')
  options = {name: os.path.expanduser(value) if isinstance(value, str) else value
             for name, value in args.items() if value is not None}
  return convert(dataset_name, os.path.expanduser(dataset_dir), **options)


def console_main(argv=None):
  """The `download_and_convert_data` command; returns its exit status (a flag
  error: one line, status 2; an error met while converting: one line, status 1)."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
