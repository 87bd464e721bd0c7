"""Small raw datasets in their original download formats, and reading converted splits.

MNIST (gzipped IDX), CIFAR-10 (tar.gz of pickled batches), flower photos (tgz of
JPEG folders), COCO 2014 (instances JSON, zipped, and JPEG folders), ImageNet
(synset folders, flat validation, synset lists, bounding-box XML), image folders.
"""
import gzip
import io
import json
import os
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import tensorflow as tf

import slim
from slim.datasets import dataset_factory


def random_image(rng, height=6, width=5, channels=3):
  return rng.randint(0, 256, size=(height, width, channels)).astype(np.uint8)


def jpeg_bytes(image):
  return tf.io.encode_jpeg(image, quality=95).numpy()


def png_bytes(image):
  return tf.io.encode_png(image).numpy()


def write_mnist(directory, counts=(('train', 6), ('t10k', 4)), seed=0):
  """Writes the four .gz IDX files; returns {'train': (images, labels), 'test': ...}."""
  rng = np.random.RandomState(seed)
  os.makedirs(directory, exist_ok=True)
  result = {}
  for prefix, count in counts:
    images = rng.randint(0, 256, size=(count, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=count).astype(np.uint8)
    with gzip.open(os.path.join(directory, '%s-images-idx3-ubyte.gz' % prefix), 'wb') as f:
      f.write(struct.pack('>iiii', 2051, count, 28, 28) + images.tobytes())
    with gzip.open(os.path.join(directory, '%s-labels-idx1-ubyte.gz' % prefix), 'wb') as f:
      f.write(struct.pack('>ii', 2049, count) + labels.tobytes())
    result['train' if prefix == 'train' else 'test'] = (images[..., None], labels)
  return result


def _add_bytes(archive, name, data):
  info = tarfile.TarInfo(name)
  info.size = len(data)
  archive.addfile(info, io.BytesIO(data))


def write_cifar10_archive(path, per_batch=2, num_test=3, seed=0):
  """Writes cifar-10-python.tar.gz; returns {'train': (images, labels), 'test': ...}."""
  rng = np.random.RandomState(seed)
  splits = {'train': ([], []), 'test': ([], [])}
  with tarfile.open(path, 'w:gz') as archive:
    batches = ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']
    for name in batches:
      count = num_test if name == 'test_batch' else per_batch
      images = rng.randint(0, 256, size=(count, 32, 32, 3)).astype(np.uint8)
      labels = [int(v) for v in rng.randint(0, 10, size=count)]
      batch = {b'data': images.transpose(0, 3, 1, 2).reshape(count, -1), b'labels': labels}
      _add_bytes(archive, 'cifar-10-batches-py/' + name, pickle.dumps(batch, protocol=2))
      split = splits['test' if name == 'test_batch' else 'train']
      split[0].append(images)
      split[1].extend(labels)
  return {name: (np.concatenate(images), np.array(labels))
          for name, (images, labels) in splits.items()}


def write_flowers_archive(path, classes=('daisy', 'roses', 'tulips'), per_class=3, seed=0):
  """Writes flower_photos.tgz with per_class JPEGs per class; returns {name: (class, image)}."""
  rng = np.random.RandomState(seed)
  photos = {}
  with tarfile.open(path, 'w:gz') as archive:
    _add_bytes(archive, 'flower_photos/LICENSE.txt', b'photos under CC-BY')
    for class_name in classes:
      for index in range(per_class):
        image = random_image(rng, 7 + index, 9)
        name = '%s_%d.jpg' % (class_name, index)
        _add_bytes(archive, 'flower_photos/%s/%s' % (class_name, name), jpeg_bytes(image))
        photos[name] = (class_name, image)
  return photos


def write_image_folder(root, layout, seed=0):
  """Writes root/<class>/<name> images of heights 4, 5, ...; layout: {class: [file names]}
  (the extension gives the format).

  Returns {path: (class, image)}.
  """
  from PIL import Image  # pylint: disable=import-outside-toplevel
  rng = np.random.RandomState(seed)
  written = {}
  for class_name, names in layout.items():
    os.makedirs(os.path.join(root, class_name), exist_ok=True)
    for name in names:
      image = random_image(rng, 4 + len(written), 6)  # the height tells the images apart
      path = os.path.join(root, class_name, name)
      extension = os.path.splitext(name)[1].lower()
      if extension == '.png':
        data = png_bytes(image)
      elif extension == '.bmp':
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, 'BMP')
        data = buffer.getvalue()
      else:
        data = jpeg_bytes(image)
      with open(path, 'wb') as f:
        f.write(data)
      written[path] = (class_name, image)
  return written


def write_coco(coco_dir, seed=0):
  """COCO 2014 in miniature: 3 train and 2 val images, annotations zipped.

  Train images: 0 a large person (label 1), 1 a tiny person (0), 2 a large cat (0).
  Returns {split: {file_name: (label, boxes [ymin, xmin, ymax, xmax])}}.
  """
  rng = np.random.RandomState(seed)
  categories = [{'id': 1, 'name': 'person', 'supercategory': 'person'},
                {'id': 17, 'name': 'cat', 'supercategory': 'animal'}]
  layouts = {
      'train2014': [(1, [10, 20, 40, 30]), (1, [0, 0, 2, 2]), (17, [5, 5, 60, 40])],
      'val2014': [(1, [30, 10, 20, 40]), (None, None)],
  }
  expected = {}
  archive = zipfile.ZipFile(os.path.join(coco_dir, 'annotations_trainval2014.zip'), 'w')
  os.makedirs(coco_dir, exist_ok=True)
  for folder, objects in layouts.items():
    os.makedirs(os.path.join(coco_dir, folder), exist_ok=True)
    images, annotations, split = [], [], {}
    for index, (category, bbox) in enumerate(objects):
      file_name = 'COCO_%s_%012d.jpg' % (folder, index)
      height, width = 50, 80
      with open(os.path.join(coco_dir, folder, file_name), 'wb') as f:
        f.write(jpeg_bytes(random_image(rng, height, width)))
      images.append({'id': 100 + index, 'file_name': file_name, 'height': height,
                     'width': width})
      label, boxes = 0, []
      if category:
        x, y, w, h = bbox
        annotations.append({'id': 1000 + index, 'image_id': 100 + index,
                            'category_id': category, 'area': float(w * h), 'bbox': bbox})
        if category == 1 and w * h / float(height * width) > 0.005:
          label, boxes = 1, [[y / height, x / width, (y + h) / height, (x + w) / width]]
      split[file_name] = (label, boxes)
    archive.writestr('annotations/instances_%s.json' % folder, json.dumps(
        {'images': images, 'annotations': annotations, 'categories': categories}))
    expected['train' if folder == 'train2014' else 'val'] = split
  archive.close()
  return expected


SYNSETS = ['n01440764', 'n01443537', 'n01484850']
HUMANS = {'n01440764': 'tench, Tinca tinca', 'n01443537': 'goldfish, Carassius auratus',
          'n01484850': 'great white shark', 'n09999999': 'not in the challenge'}


def _box_xml(name, width, height, boxes):
  objects = ''.join(
      '<object><name>%s</name><bndbox><xmin>%d</xmin><ymin>%d</ymin><xmax>%d</xmax>'
      '<ymax>%d</ymax></bndbox></object>' % ((label,) + tuple(box)) for label, box in boxes)
  return ('<annotation><filename>%s</filename><size><width>%d</width><height>%d</height>'
          '</size>%s</annotation>' % (name, width, height, objects))


def write_imagenet(dataset_dir, seed=0):
  """ImageNet in miniature: 2 train images per synset, 3 flat validation images.

  Train image n01443537_1.JPEG is really a PNG. n01440764_0 has one box (and one of
  another synset, dropped); n01484850_1 has an inverted box (kept, reordered).
  Returns {split: {file name: (label, synset, [[xmin, ymin, xmax, ymax]])}}.
  """
  rng = np.random.RandomState(seed)
  expected = {'train': {}, 'validation': {}}
  for label, synset in enumerate(SYNSETS, 1):
    os.makedirs(os.path.join(dataset_dir, 'train', synset))
    for index in range(2):
      name = '%s_%d.JPEG' % (synset, index)
      image = random_image(rng, 20, 10)
      data = png_bytes(image) if name == 'n01443537_1.JPEG' else jpeg_bytes(image)
      with open(os.path.join(dataset_dir, 'train', synset, name), 'wb') as f:
        f.write(data)
      expected['train'][name] = (label, synset, [])
  os.makedirs(os.path.join(dataset_dir, 'train', 'n09999999'))  # not listed: ignored
  with open(os.path.join(dataset_dir, 'train', 'n09999999', 'x_0.JPEG'), 'wb') as f:
    f.write(jpeg_bytes(random_image(rng)))
  boxes_dir = os.path.join(dataset_dir, 'bounding_boxes')
  os.makedirs(os.path.join(boxes_dir, 'n01440764'))
  os.makedirs(os.path.join(boxes_dir, 'n01484850'))
  with open(os.path.join(boxes_dir, 'n01440764', 'n01440764_0.xml'), 'w') as f:
    f.write(_box_xml('n01440764_0', 100, 200,
                     [('n01440764', (10, 20, 50, 100)), ('n01443537', (0, 0, 5, 5))]))
  with open(os.path.join(boxes_dir, 'n01484850', 'n01484850_1.xml'), 'w') as f:
    f.write(_box_xml('n01484850_1', 100, 100, [('n01484850', (80, 90, 20, 10))]))
  expected['train']['n01440764_0.JPEG'] = (1, 'n01440764', [[0.1, 0.1, 0.5, 0.5]])
  expected['train']['n01484850_1.JPEG'] = (3, 'n01484850', [[0.2, 0.1, 0.8, 0.9]])
  os.makedirs(os.path.join(dataset_dir, 'validation'))
  validation_synsets = ['n01484850', 'n01440764', 'n01484850']
  for index, synset in enumerate(validation_synsets, 1):
    name = 'ILSVRC2012_val_%08d.JPEG' % index
    with open(os.path.join(dataset_dir, 'validation', name), 'wb') as f:
      f.write(jpeg_bytes(random_image(rng, 12, 16)))
    expected['validation'][name] = (SYNSETS.index(synset) + 1, synset, [])
  with open(os.path.join(dataset_dir, 'imagenet_2012_validation_synset_labels.txt'), 'w') as f:
    f.write('\n'.join(validation_synsets) + '\n')
  with open(os.path.join(dataset_dir, 'imagenet_lsvrc_2015_synsets.txt'), 'w') as f:
    f.write('\n'.join(SYNSETS) + '\n')
  with open(os.path.join(dataset_dir, 'imagenet_metadata.txt'), 'w') as f:
    f.write(''.join('%s\t%s\n' % item for item in HUMANS.items()))
  return expected


def _as_numpy(item):
  return {key: value.numpy() if hasattr(value, 'numpy') else value
          for key, value in item.items()}


def read_split(name, split_name, dataset_dir):
  """The decoded items of a converted split, read in graph mode and eagerly (checked equal).

  Returns:
    (dataset, items): the slim Dataset and a list of dicts of numpy values.
  """
  dataset = dataset_factory.get_dataset(name, split_name, dataset_dir)
  items = list(dataset.decoder.list_items())
  with tf.Graph().as_default():
    provider = slim.dataset_data_provider.DatasetDataProvider(dataset, shuffle=False,
                                                              num_epochs=1)
    tensors = dict(zip(items, provider.get(items)))
    graph_items = []
    with tf.compat.v1.Session() as sess:
      while True:
        try:
          graph_items.append(sess.run(tensors, options=tf.compat.v1.RunOptions(
              timeout_in_ms=60000)))
        except tf.errors.OutOfRangeError:
          break
  provider = slim.dataset_data_provider.DatasetDataProvider(dataset, shuffle=False,
                                                            num_epochs=1)
  eager_items = [_as_numpy(item) for item in provider.as_dataset(items=items)]
  assert len(graph_items) == len(eager_items) == dataset.num_samples
  for graph_item, eager_item in zip(graph_items, eager_items):
    assert set(graph_item) == set(eager_item)
    for key in graph_item:
      np.testing.assert_array_equal(graph_item[key], eager_item[key])
  return dataset, eager_items
