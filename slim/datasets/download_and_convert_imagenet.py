r"""Converts ImageNet (ILSVRC-2012) folders to TFRecords, with the bounding boxes.

ImageNet cannot be downloaded without an account: download and untar the
images yourself (research/slim's download_imagenet.sh), so that
`dataset_dir`/train/<synset>/*.JPEG and `dataset_dir`/validation/ hold them. The
validation folder holds synset sub-folders, or the flat ILSVRC2012_val_*.JPEG
files labelled by imagenet_2012_validation_synset_labels.txt (line i is the synset
of ILSVRC2012_val_<i>.JPEG). The small text files (synset list, synset names,
validation labels) are taken from `dataset_dir`, else downloaded from
tensorflow/models. Boxes come from the ILSVRC bounding-box XML files
(`bounding_box_dir`, default `dataset_dir`/bounding_boxes) or from the CSV that
research/slim's process_bounding_boxes.py writes (`bounding_box_file`).

Labels are 1..1000 in the order of the synset list (0 is the background class).
Images are shuffled with seed 12345 and written as JPEG (PNG or other content
re-encoded): train-0000N-of-01024 and validation-0000N-of-00128 with research/
slim's features, plus labels.txt (0:background, then the synset names) and
dataset_info.json.

    python scripts/download_and_convert_data.py --dataset_name=imagenet --dataset_dir=/data/imagenet
"""
import os
import random
import re
import xml.etree.ElementTree as ElementTree

import tensorflow as tf

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import imagenet

_DATASETS_URL = ('https://raw.githubusercontent.com/tensorflow/models/master/research/slim/'
                 'datasets/')
SYNSETS_FILENAME = 'imagenet_lsvrc_2015_synsets.txt'
METADATA_FILENAME = 'imagenet_metadata.txt'
VALIDATION_LABELS_FILENAME = 'imagenet_2012_validation_synset_labels.txt'
_VALIDATION_LABELS_URL = _DATASETS_URL + VALIDATION_LABELS_FILENAME
_DEFAULT_SHARDS = {'train': 1024, 'validation': 128}
_SHUFFLE_SEED = 12345
_JPEG_EXTENSIONS = ('.jpeg', '.jpg')
_VALIDATION_NAME = re.compile(r'ILSVRC2012_val_(\d+)\.JPEG$', re.IGNORECASE)


def _text_file(dataset_dir, given, filename, url):
  if given:
    if not os.path.exists(given):
      raise FileNotFoundError('%s does not exist' % given)
    return given
  return _convert.locate_source(dataset_dir, filename, url)[0]


def _box_from_object(obj, width, height):
  """[xmin, ymin, xmax, ymax] relative to the size, clamped to [0, 1], or None if empty."""
  box = obj.find('bndbox')
  xs = [float(box.find(tag).text) / width for tag in ('xmin', 'xmax')]
  ys = [float(box.find(tag).text) / height for tag in ('ymin', 'ymax')]
  xmin, xmax = [min(max(v, 0.0), 1.0) for v in (min(xs), max(xs))]
  ymin, ymax = [min(max(v, 0.0), 1.0) for v in (min(ys), max(ys))]
  if xmin >= xmax or ymin >= ymax:
    return None
  return [xmin, ymin, xmax, ymax]


def process_bounding_boxes(bounding_box_dir, synsets=None):
  """The boxes of the ILSVRC XML annotations under `bounding_box_dir`.

  Boxes are relative to the annotated size and clamped to [0, 1]; empty boxes are
  dropped. With `synsets`, an XML file in a synset folder keeps only the boxes of
  its synset (boxes labelled with another listed synset are dropped).

  Returns:
    A dict {'<image name>.JPEG': [[xmin, ymin, xmax, ymax], ...]}.

  Raises:
    ValueError: naming the file, if an XML file cannot be parsed.
  """
  synsets = set(synsets or ())
  image_to_boxes = {}
  for dirpath, _, filenames in os.walk(bounding_box_dir):
    folder_synset = os.path.basename(dirpath)
    for filename in sorted(f for f in filenames if f.endswith('.xml')):
      path = os.path.join(dirpath, filename)
      try:
        root = ElementTree.parse(path).getroot()
        width = float(root.find('size/width').text)
        height = float(root.find('size/height').text)
        boxes = []
        for obj in root.iter('object'):
          label = obj.findtext('name')
          if folder_synset in synsets and label != folder_synset and label in synsets:
            continue
          box = _box_from_object(obj, width, height)
          if box:
            boxes.append(box)
      except (ElementTree.ParseError, AttributeError, ValueError, ZeroDivisionError) as error:
        raise ValueError('%s is not an ImageNet bounding-box XML file: %s'
                         % (path, error)) from None
      if boxes:
        image_to_boxes[os.path.splitext(filename)[0] + '.JPEG'] = boxes
  return image_to_boxes


def read_bounding_box_file(path):
  """The boxes of a CSV of 'image.JPEG,xmin,ymin,xmax,ymax' lines, as a dict by image."""
  image_to_boxes = {}
  with tf.io.gfile.GFile(path, 'r') as f:
    for number, line in enumerate(f, 1):
      if not line.strip():
        continue
      parts = line.strip().split(',')
      try:
        if len(parts) != 5:
          raise ValueError('5 fields expected')
        image_to_boxes.setdefault(parts[0], []).append([float(v) for v in parts[1:]])
      except ValueError as error:
        raise ValueError('%s line %d: expected image,xmin,ymin,xmax,ymax, received %r (%s)'
                         % (path, number, line, error)) from None
  return image_to_boxes


def _synset_images(directory, synsets):
  """(path, synset) pairs of the listed synsets' sub-folders of `directory`."""
  found = []
  for synset in synsets:
    folder = os.path.join(directory, synset)
    if os.path.isdir(folder):
      found += [(os.path.join(folder, name), synset) for name in sorted(os.listdir(folder))
                if name.lower().endswith(_JPEG_EXTENSIONS)]
  return found


def _flat_validation_images(directory, labels_path):
  """(path, synset) pairs of flat ILSVRC2012_val_<i>.JPEG files and their label file."""
  with tf.io.gfile.GFile(labels_path, 'r') as f:
    labels = [line.strip() for line in f if line.strip()]
  found = []
  for name in sorted(os.listdir(directory)):
    match = _VALIDATION_NAME.match(name)
    if match:
      index = int(match.group(1)) - 1
      if not 0 <= index < len(labels):
        raise ValueError('%s has no label for %s (it lists %d images)'
                         % (labels_path, name, len(labels)))
      found.append((os.path.join(directory, name), labels[index]))
  return found


def _make_example(item):
  path, synset, label, human, boxes = item
  with open(path, 'rb') as f:
    data = f.read()
  image = _convert.decode_image(data, path)
  if _convert.image_format_of(data) != 'jpeg':
    data = _convert.encode_jpeg(image)
  sides = list(zip(*boxes)) if boxes else [[], [], [], []]
  feature = {
      'image/height': dataset_utils.int64_feature(image.shape[0]),
      'image/width': dataset_utils.int64_feature(image.shape[1]),
      'image/colorspace': dataset_utils.bytes_feature('RGB'),
      'image/channels': dataset_utils.int64_feature(3),
      'image/class/label': dataset_utils.int64_feature(label),
      'image/class/synset': dataset_utils.bytes_feature(synset),
      'image/class/text': dataset_utils.bytes_feature(human),
      'image/object/bbox/label': dataset_utils.int64_feature([label] * len(boxes)),
      # imagenet.py (as research/slim's) reads the object labels from this key.
      'image/object/class/label': dataset_utils.int64_feature([label] * len(boxes)),
      'image/format': dataset_utils.bytes_feature('JPEG'),
      'image/filename': dataset_utils.bytes_feature(os.path.basename(path)),
      'image/encoded': dataset_utils.bytes_feature(data),
  }
  for side, values in zip(('xmin', 'ymin', 'xmax', 'ymax'), sides):
    feature['image/object/bbox/%s' % side] = dataset_utils.float_feature(list(values))
  return tf.train.Example(features=tf.train.Features(feature=feature))


def _bounding_boxes(dataset_dir, bounding_box_file, bounding_box_dir, synsets):
  if bounding_box_file:
    return read_bounding_box_file(bounding_box_file)
  bounding_box_dir = bounding_box_dir or os.path.join(dataset_dir, 'bounding_boxes')
  if os.path.isdir(bounding_box_dir):
    return process_bounding_boxes(bounding_box_dir, synsets)
  print('No bounding boxes (no %s, no bounding_box_file): the records get none'
        % bounding_box_dir)
  return {}


def run(dataset_dir, train_directory=None, validation_directory=None, labels_file=None,
        imagenet_metadata_file=None, validation_labels_file=None, bounding_box_file=None,
        bounding_box_dir=None, train_shards=None, validation_shards=None, num_shards=None,
        num_threads=None, skip_bad_images=False, overwrite=False):
  """Converts the ImageNet folders to TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory, and the default place of the inputs.
    train_directory: train/<synset>/*.JPEG (default `dataset_dir`/train).
    validation_directory: the validation images (default `dataset_dir`/validation).
    labels_file: the synset list (default imagenet_lsvrc_2015_synsets.txt).
    imagenet_metadata_file: the synset names (default imagenet_metadata.txt).
    validation_labels_file: the synsets of flat validation images (default
      imagenet_2012_validation_synset_labels.txt).
    bounding_box_file: a CSV of boxes (default None: the XML files).
    bounding_box_dir: the XML files of boxes (default `dataset_dir`/bounding_boxes).
    train_shards, validation_shards: shards per split (default 1024 and 128).
    num_shards: shards of every split, overriding the two above (default None).
    num_threads: parallel shard writers (default: the number of CPUs).
    skip_bad_images: skip and count undecodable images instead of stopping.
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).

  Returns:
    The `ConversionSummary`.

  Raises:
    ValueError: if there is no image folder, or a synset has no name.
  """
  def convert():
    synsets = imagenet.read_synsets(_text_file(dataset_dir, labels_file, SYNSETS_FILENAME,
                                               imagenet.SYNSETS_URL))
    synset_to_human = imagenet.read_synset_to_human(_text_file(
        dataset_dir, imagenet_metadata_file, METADATA_FILENAME, imagenet.SYNSET_TO_HUMAN_URL))
    missing = [s for s in synsets if s not in synset_to_human]
    if missing:
      raise ValueError('the synsets %s have no name in the metadata file' % missing[:5])
    labels = {synset: index for index, synset in enumerate(synsets, 1)}
    boxes = _bounding_boxes(dataset_dir, bounding_box_file, bounding_box_dir, synsets)
    shards = {'train': num_shards or train_shards or _DEFAULT_SHARDS['train'],
              'validation': num_shards or validation_shards or _DEFAULT_SHARDS['validation']}
    directories = {'train': train_directory or os.path.join(dataset_dir, 'train'),
                   'validation': validation_directory or os.path.join(dataset_dir, 'validation')}
    splits = []
    for split_name, directory in directories.items():
      if not os.path.isdir(directory):
        print('No %s folder %s: split skipped' % (split_name, directory))
        continue
      found = _synset_images(directory, synsets)
      if not found and split_name == 'validation':
        found = _flat_validation_images(directory, _text_file(
            dataset_dir, validation_labels_file, VALIDATION_LABELS_FILENAME,
            _VALIDATION_LABELS_URL))
      if not found:
        raise ValueError('%s holds no JPEG image of a listed synset' % directory)
      random.Random(_SHUFFLE_SEED).shuffle(found)
      items = [(path, synset, labels[synset], synset_to_human[synset],
                boxes.get(os.path.basename(path), [])) for path, synset in found]
      splits.append(_convert.Split(split_name, items,
                                   _convert.sharded_names('%s-%05d-of-%05d', split_name),
                                   shards[split_name]))
    if not splits:
      raise ValueError('no ImageNet image folder: expected %s and/or %s'
                       % (directories['train'], directories['validation']))
    return _convert.write_dataset(
        dataset_dir, imagenet.SPEC.name, splits, _make_example,
        [synset_to_human[s] for s in synsets], imagenet.SPEC.file_pattern, labels_offset=1,
        num_threads=num_threads, skip_bad_images=skip_bad_images,
        extra_info={'synsets': synsets})
  return _convert.convert_once(dataset_dir, imagenet.SPEC.name, overwrite, convert)
