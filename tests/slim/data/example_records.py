"""Small TFRecord files of image examples for the slim.data tests (written eagerly)."""
import os

import numpy as np
import tensorflow as tf

import slim


def image_example(image, label, image_format='png', extra=None):
  """A serialized Example of an encoded uint8 image [h, w, c] and an int label."""
  if image_format == 'png':
    encoded = tf.io.encode_png(image).numpy()
  elif image_format == 'jpeg':
    encoded = tf.io.encode_jpeg(image, quality=100).numpy()
  else:
    encoded = image.tobytes()
  feature = {
      'image/encoded': tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded])),
      'image/format': tf.train.Feature(bytes_list=tf.train.BytesList(
          value=[image_format.encode()])),
      'image/class/label': tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
  }
  feature.update(extra or {})
  return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_image_records(directory, num_files=2, records_per_file=5, shape=(6, 5, 3), seed=0,
                        prefix='images'):
  """Writes num_files TFRecord files of PNG examples; returns their paths and the images.

  Record j of file i has label 10 * i + j, so a label names its record.
  """
  rng = np.random.RandomState(seed)
  paths, images = [], {}
  for i in range(num_files):
    path = os.path.join(str(directory), '%s-%05d-of-%05d' % (prefix, i, num_files))
    with tf.io.TFRecordWriter(path) as writer:
      for j in range(records_per_file):
        image = rng.randint(0, 256, size=shape).astype(np.uint8)
        images[10 * i + j] = image
        writer.write(image_example(image, 10 * i + j))
    paths.append(path)
  return paths, images


def image_decoder():
  keys_to_features = {
      'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
      'image/format': tf.io.FixedLenFeature((), tf.string, default_value='png'),
      'image/class/label': tf.io.FixedLenFeature([], tf.int64, default_value=-1),
  }
  items_to_handlers = {
      'image': slim.tfexample_decoder.Image(),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
  }
  return slim.tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)


def image_dataset(data_sources, num_samples=10, reader=None, decoder=None):
  return slim.dataset.Dataset(
      data_sources=data_sources, reader=reader or tf.compat.v1.TFRecordReader,
      decoder=decoder or image_decoder(), num_samples=num_samples,
      items_to_descriptions={'image': 'a color image', 'label': 'its label'})


RUN_OPTIONS = tf.compat.v1.RunOptions(timeout_in_ms=60000)


def run_until_out_of_range(sess, fetches, limit=1000):
  """Runs `fetches` until OutOfRangeError (with a timeout per run); returns the results."""
  results = []
  for _ in range(limit):
    try:
      results.append(sess.run(fetches, options=RUN_OPTIONS))
    except tf.errors.OutOfRangeError:
      return results
  raise AssertionError('no OutOfRangeError after %d runs' % limit)
