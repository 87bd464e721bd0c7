r"""Downloads COCO 2014 and converts it to the Visual Wake Words TFRecords.

Visual Wake Words labels a COCO image 1 when it holds an object of the
foreground class ('person' by default) larger than `small_object_area_threshold`
of the image area, else 0 (background). Steps:

1. COCO: `archive_path` (default `dataset_dir`/coco_dataset) must hold
   annotations/instances_{train,val}2014.json and the train2014/ and val2014/
   image folders; a missing part is extracted from its zip in that folder
   (annotations_trainval2014.zip, train2014.zip, val2014.zip) or downloaded.
2. labels.txt (0:background, 1:<class>) and the filtered annotations
   instances_visualwakewords_{train,val}2014.json in `dataset_dir`.
3. TFRecords train.record-0000N-of-00100 and val.record-0000N-of-00010 with
   image/encoded, image/format, image/class/label, image/object/bbox/{ymin,xmin,
   ymax,xmax} (normalized), image/object/area, image/filename, image/source_id,
   image/key/sha256, image/height, image/width.

    python scripts/download_and_convert_data.py --dataset_name=visualwakewords \
        --dataset_dir=/tmp/vww --small_object_area_threshold=0.005 \
        --foreground_class_of_interest=person
"""
import collections
import hashlib
import json
import os

import tensorflow as tf

from slim import _files
from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import visualwakewords

COCO_TRAIN_URL = 'http://images.cocodataset.org/zips/train2014.zip'
COCO_VALIDATION_URL = 'http://images.cocodataset.org/zips/val2014.zip'
COCO_ANNOTATIONS_URL = 'http://images.cocodataset.org/annotations/annotations_trainval2014.zip'

# split: (annotations file, image folder, default shards)
_SPLITS = {
    'train': ('instances_train2014.json', 'train2014', 100),
    'val': ('instances_val2014.json', 'val2014', 10),
}
_SHARD_TEMPLATE = '%s.record-%05d-of-%05d'


def _ensure_coco_part(coco_dir, expected_path, url):
  """Extracts (downloading first if needed) the zip holding `expected_path`."""
  if os.path.exists(expected_path):
    return
  archive, _ = _convert.locate_source(coco_dir, url.split('/')[-1], url)
  print('Extracting %s into %s' % (archive, coco_dir))
  dataset_utils.extract_archive(archive, coco_dir)
  if not os.path.exists(expected_path):
    raise ValueError('%s has no %s' % (archive, os.path.relpath(expected_path, coco_dir)))


def download_coco_dataset(coco_dir, coco_train_url=COCO_TRAIN_URL,
                          coco_validation_url=COCO_VALIDATION_URL,
                          coco_annotations_url=COCO_ANNOTATIONS_URL):
  """Makes sure `coco_dir` holds the COCO 2014 annotations and image folders.

  A missing part is extracted from its zip in `coco_dir`, downloaded first if needed.
  """
  os.makedirs(coco_dir, exist_ok=True)
  image_urls = {'train': coco_train_url, 'val': coco_validation_url}
  for split_name, (annotations, images, _) in _SPLITS.items():
    _ensure_coco_part(coco_dir, os.path.join(coco_dir, 'annotations', annotations),
                      coco_annotations_url)
    _ensure_coco_part(coco_dir, os.path.join(coco_dir, images), image_urls[split_name])


def create_visual_wakeword_annotations(annotations_file, visualwakewords_annotations_file,
                                       small_object_area_threshold,
                                       foreground_class_of_interest):
  """Filters COCO instance annotations to Visual Wake Words annotations.

  Args:
    annotations_file: a COCO instances JSON file.
    visualwakewords_annotations_file: where to write the filtered annotations (JSON).
    small_object_area_threshold: the fraction of the image area below which objects
      are ignored.
    foreground_class_of_interest: the COCO category name of label 1.

  Returns:
    The dict written: {'images': [...], 'annotations': {image id: {'objects': [{'area',
    'bbox'}], 'label'}}, 'categories': {id: category}}.

  Raises:
    ValueError: if the file is not COCO instances JSON or lacks the category.
  """
  try:
    with tf.io.gfile.GFile(annotations_file, 'r') as f:
      coco = json.load(f)
    images, categories = coco['images'], coco['categories']
    annotations = coco['annotations']
  except (ValueError, KeyError, TypeError) as error:
    raise ValueError('%s is not a COCO instances annotation file: %s'
                     % (annotations_file, error)) from None
  foreground = {c['id']: c for c in categories if c['name'] == foreground_class_of_interest}
  if not foreground:
    raise ValueError('%s has no category %r; its categories: %s' % (
        annotations_file, foreground_class_of_interest,
        ', '.join(sorted(c['name'] for c in categories))))
  by_image = collections.defaultdict(list)
  for annotation in annotations:
    by_image[annotation['image_id']].append(annotation)
  filtered = {}
  for image in images:
    image_area = float(image['height'] * image['width'])
    objects = [{'area': a['area'], 'bbox': a['bbox']} for a in by_image[image['id']]
               if a['category_id'] in foreground
               and a['area'] / image_area > small_object_area_threshold]
    filtered[image['id']] = {'objects': objects, 'label': 1 if objects else 0}
  result = {'images': images, 'annotations': filtered, 'categories': foreground}
  _files.atomic_write(visualwakewords_annotations_file, json.dumps(result))
  return result


def _make_example(item):
  """The example of one (COCO image dict, its VWW annotations, image folder)."""
  image, annotations, image_dir = item
  height, width = image['height'], image['width']
  path = os.path.join(image_dir, image['file_name'])
  if not os.path.exists(path):
    raise _convert.BadImageError('%s: missing image file' % path)
  data, image_format, _, _ = _convert.read_image_file(path)
  boxes = {side: [] for side in ('xmin', 'xmax', 'ymin', 'ymax')}
  for obj in annotations['objects']:
    x, y, box_width, box_height = obj['bbox']
    boxes['xmin'].append(float(x) / width)
    boxes['xmax'].append(float(x + box_width) / width)
    boxes['ymin'].append(float(y) / height)
    boxes['ymax'].append(float(y + box_height) / height)
  feature = {
      'image/height': dataset_utils.int64_feature(height),
      'image/width': dataset_utils.int64_feature(width),
      'image/filename': dataset_utils.bytes_feature(image['file_name']),
      'image/source_id': dataset_utils.bytes_feature(str(image['id'])),
      'image/key/sha256': dataset_utils.bytes_feature(hashlib.sha256(data).hexdigest()),
      'image/encoded': dataset_utils.bytes_feature(data),
      'image/format': dataset_utils.bytes_feature(image_format),
      'image/class/label': dataset_utils.int64_feature(annotations['label']),
      'image/object/area': dataset_utils.float_list_feature(
          [float(obj['area']) for obj in annotations['objects']]),
  }
  for side, values in boxes.items():
    feature['image/object/bbox/%s' % side] = dataset_utils.float_list_feature(values)
  return tf.train.Example(features=tf.train.Features(feature=feature))


def run(dataset_dir, small_object_area_threshold=0.005, foreground_class_of_interest='person',
        archive_path=None, coco_dirname='coco_dataset', num_shards=None, num_threads=None,
        skip_bad_images=False, overwrite=False, coco_train_url=COCO_TRAIN_URL,
        coco_validation_url=COCO_VALIDATION_URL, coco_annotations_url=COCO_ANNOTATIONS_URL):
  """Converts COCO 2014 to Visual Wake Words TFRecords in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    small_object_area_threshold: objects smaller than this fraction of the image do not
      count (default 0.005).
    foreground_class_of_interest: the COCO category of label 1 (default 'person').
    archive_path: the COCO folder (default `dataset_dir`/`coco_dirname`).
    coco_dirname: the COCO folder's name inside `dataset_dir` (default 'coco_dataset').
    num_shards: shards per split (default 100 for train, 10 for val).
    num_threads: parallel shard writers (default: the number of CPUs).
    skip_bad_images: skip and count undecodable images instead of stopping (default
      False).
    overwrite: convert again even if `dataset_dir` holds the dataset (default False).
    coco_train_url, coco_validation_url, coco_annotations_url: where the COCO 2014
      zips are downloaded from (default images.cocodataset.org).

  Returns:
    The `ConversionSummary`.
  """
  def convert():
    coco_dir = archive_path or os.path.join(dataset_dir, coco_dirname)
    download_coco_dataset(coco_dir, coco_train_url, coco_validation_url, coco_annotations_url)
    splits = []
    for split_name, (annotations, images, default_shards) in _SPLITS.items():
      filtered = create_visual_wakeword_annotations(
          os.path.join(coco_dir, 'annotations', annotations),
          os.path.join(dataset_dir, 'instances_visualwakewords_%s.json' % images),
          small_object_area_threshold, foreground_class_of_interest)
      image_dir = os.path.join(coco_dir, images)
      items = [(image, filtered['annotations'][image['id']], image_dir)
               for image in filtered['images']]
      splits.append(_convert.Split(split_name, items,
                                   _convert.sharded_names(_SHARD_TEMPLATE, split_name),
                                   num_shards or default_shards))
    return _convert.write_dataset(
        dataset_dir, visualwakewords.SPEC.name, splits, _make_example,
        ['background', foreground_class_of_interest], visualwakewords.SPEC.file_pattern,
        num_threads=num_threads, skip_bad_images=skip_bad_images,
        extra_info={'small_object_area_threshold': small_object_area_threshold,
                    'foreground_class_of_interest': foreground_class_of_interest})
  return _convert.convert_once(dataset_dir, visualwakewords.SPEC.name, overwrite, convert)
