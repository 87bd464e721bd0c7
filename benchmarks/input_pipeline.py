"""Images/s of a training input pipeline, slim against tf_slim 1.1.0 (the reference).

TFRecords of 224 x 224 JPEG images (2048 records in 8 shards, cut from
scikit-learn's sample photos, written once into a temporary directory with
datasets/dataset_utils) are read, decoded, preprocessed for training
(preprocessing_factory 'inception', is_training=True: random crop, flip, color
distortion, to 224 x 224) and batched by 32. The contenders:

  tf_slim.queue    the reference's DatasetDataProvider.get (queue runners), the
                   preprocessing, tf.train.batch (--threads threads) and
                   prefetch_queue: research/slim's train_image_classifier input.
  slim.get         the same code with slim: its graph-mode provider reads with
                   tf.data under get(); batching still by tf.train.batch.
  slim.dataset     slim's provider.as_dataset(), map(preprocessing,
                   num_parallel_calls=--threads), batch, prefetch(1), eagerly.
  slim.autotune    the same with AUTOTUNE parallelism and prefetch: slim's natural
                   TF2 path.

tf_slim 1.1.0 ships no preprocessing, so every pipeline calls the same
preprocessing function (ours): only reading, decoding and batching differ. Each
pipeline warms up, then consumes --batches batches (a reduce_mean of each, in the
pipeline's own mode), many more than its queues or prefetch buffers hold, while
the rate and the CPU time per image are measured.
Every contender runs in its own process, interleaved, --repeats times; the
figures are medians.

    python benchmarks/input_pipeline.py            # about 6 minutes on 2 cores
    python benchmarks/input_pipeline.py --quick    # a smoke run

Needs tf-slim 1.1.0 and tf-keras for the reference (see _harness.load_reference)
and scikit-learn for the sample photos.
"""
import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402

sys.path.insert(0, _harness.REPO)

PIPELINES = ['tf_slim.queue', 'slim.get', 'slim.dataset', 'slim.autotune']


# ---------------------------------------------------------------------------
# The records.

def _sample_photos():
  import sklearn.datasets  # pylint: disable=import-outside-toplevel
  return sklearn.datasets.load_sample_images().images


def _jpeg_examples(num_images, record_size, seed):
  """Yields tf.Examples of `record_size` x `record_size` JPEG images (random square
  crops of the sample photos) with labels 0-4."""
  from datasets import dataset_utils  # pylint: disable=import-outside-toplevel
  rng = np.random.RandomState(seed)
  photos = _sample_photos()
  for index in range(num_images):
    photo = photos[index % len(photos)]
    side = rng.randint(min(photo.shape[:2]) // 2, min(photo.shape[:2]) + 1)
    top = rng.randint(0, photo.shape[0] - side + 1)
    left = rng.randint(0, photo.shape[1] - side + 1)
    resized = tf.image.resize(photo[top:top + side, left:left + side],
                              [record_size, record_size], antialias=True)
    image = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
    data = tf.io.encode_jpeg(image, quality=90).numpy()
    yield dataset_utils.image_to_tfexample(data, b'jpeg', record_size, record_size, index % 5)


def make_records(directory, num_images, num_shards, record_size, seed=0):
  """Writes the records once into `directory` (through a temporary directory
  renamed at the end); returns the file pattern."""
  from datasets import dataset_utils  # pylint: disable=import-outside-toplevel
  pattern = os.path.join(directory, 'photos-*')
  if os.path.exists(os.path.join(directory, 'info.json')):
    return pattern
  parent = os.path.dirname(os.path.abspath(directory))
  os.makedirs(parent, exist_ok=True)
  scratch = tempfile.mkdtemp(prefix='.tmp-', dir=parent)
  try:
    with contextlib.ExitStack() as stack:
      writers = dataset_utils.open_sharded_output_tfrecords(
          stack, os.path.join(scratch, 'photos'), num_shards)
      total_bytes = 0
      for index, example in enumerate(_jpeg_examples(num_images, record_size, seed)):
        data = example.SerializeToString()
        total_bytes += len(data)
        writers[index % num_shards].write(data)
    with open(os.path.join(scratch, 'info.json'), 'w') as f:
      json.dump({'num_images': num_images, 'num_shards': num_shards, 'record_size': record_size,
                 'mean_record_bytes': total_bytes / num_images}, f)
    os.rename(scratch, directory)
  finally:
    if os.path.exists(scratch):
      shutil.rmtree(scratch)
  return pattern


def make_dataset(module, pattern, num_images):
  """A `Dataset` of the records, made with `module` (slim or tf_slim)."""
  keys_to_features = {
      'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
      'image/format': tf.io.FixedLenFeature((), tf.string, default_value='jpeg'),
      'image/class/label': tf.io.FixedLenFeature((), tf.int64, default_value=0),
  }
  items_to_handlers = {
      'image': module.tfexample_decoder.Image(),
      'label': module.tfexample_decoder.Tensor('image/class/label'),
  }
  decoder = module.tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)
  return module.dataset.Dataset(
      data_sources=pattern, reader=tf.compat.v1.TFRecordReader, decoder=decoder,
      num_samples=num_images, items_to_descriptions={'image': 'a photo', 'label': '0-4'})


def _preprocessing_fn(name):
  from preprocessing import preprocessing_factory  # pylint: disable=import-outside-toplevel
  return preprocessing_factory.get_preprocessing(name, is_training=True)


# ---------------------------------------------------------------------------
# The contenders, each run in a child process.

def _queue_pipeline(module, pattern, args):
  """research/slim's graph input: provider.get, preprocessing, tf.train.batch,
  prefetch_queue. Returns (a function running one batch, a function closing)."""
  batch_size, size = args.batch_size, args.image_size
  graph = tf.Graph()
  with graph.as_default():
    provider = module.dataset_data_provider.DatasetDataProvider(
        make_dataset(module, pattern, args.num_images), num_readers=args.readers,
        common_queue_capacity=20 * batch_size, common_queue_min=10 * batch_size)
    image, label = provider.get(['image', 'label'])
    image = _preprocessing_fn(args.preprocessing)(image, size, size)
    images, labels = tf.compat.v1.train.batch(
        [image, label], batch_size=batch_size, num_threads=args.threads,
        capacity=5 * batch_size)
    batch_queue = module.prefetch_queue.prefetch_queue([images, labels], capacity=2)
    images, labels = batch_queue.dequeue()
    consumed = [tf.reduce_mean(images), tf.reduce_sum(labels)]
    init = [tf.compat.v1.global_variables_initializer(),
            tf.compat.v1.local_variables_initializer(), tf.compat.v1.tables_initializer()]
  session = tf.compat.v1.Session(graph=graph)
  session.run(init)
  coord = tf.compat.v1.train.Coordinator()
  with graph.as_default():
    threads = tf.compat.v1.train.start_queue_runners(session, coord=coord)

  def close():
    coord.request_stop()
    session.close()  # cancels the queue runners' pending enqueues
    coord.join(threads, stop_grace_period_secs=10, ignore_live_threads=True)

  return lambda: session.run(consumed), close


def _dataset_pipeline(pattern, args, parallel_calls, prefetch):
  """slim's as_dataset, mapped, batched and prefetched, iterated eagerly."""
  import slim  # pylint: disable=import-outside-toplevel
  provider = slim.dataset_data_provider.DatasetDataProvider(
      make_dataset(slim, pattern, args.num_images), num_readers=args.readers,
      common_queue_capacity=20 * args.batch_size)
  preprocessing_fn, size = _preprocessing_fn(args.preprocessing), args.image_size
  dataset = provider.as_dataset(items=['image', 'label']).map(
      lambda item: (preprocessing_fn(item['image'], size, size), item['label']),
      num_parallel_calls=parallel_calls)
  iterator = iter(dataset.batch(args.batch_size).prefetch(prefetch))

  def run_batch():
    images, labels = next(iterator)
    return float(tf.reduce_mean(images)), int(tf.reduce_sum(labels))

  return run_batch, lambda: None


def measure_pipeline(name, pattern, args):
  if name == 'tf_slim.queue':
    run_batch, close = _queue_pipeline(_harness.load_reference(args.shared_tools,
                                                               'input_pipeline'), pattern, args)
  elif name == 'slim.get':
    import slim  # pylint: disable=import-outside-toplevel
    run_batch, close = _queue_pipeline(slim, pattern, args)
  elif name == 'slim.dataset':
    run_batch, close = _dataset_pipeline(pattern, args, args.threads, 1)
  else:
    run_batch, close = _dataset_pipeline(pattern, args, tf.data.AUTOTUNE, tf.data.AUTOTUNE)
  clock = _harness.Clock()
  for _ in range(args.warmup + args.batches + 1):
    run_batch()
    clock.mark()
  close()
  return {'images/s': clock.rate(args.batch_size, args.warmup),
          'CPU ms/image': 1e3 * clock.cpu_per_unit(args.batch_size, args.warmup),
          'first batch (s)': clock.marks[0] - clock.start}


# ---------------------------------------------------------------------------

def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--quick', action='store_true', help='a smoke run: few batches, 1 repeat')
  parser.add_argument('--repeats', type=int, default=3, help='runs of each contender')
  parser.add_argument('--batch-size', type=int, default=32)
  parser.add_argument('--warmup', type=int, default=10, help='batches before timing')
  parser.add_argument('--batches', type=int, default=60,
                      help='timed batches (many more than the queues buffer)')
  parser.add_argument('--readers', type=int, default=4, help='files read in parallel')
  parser.add_argument('--threads', type=int, default=4,
                      help="preprocessing threads (research/slim's default: 4)")
  parser.add_argument('--preprocessing', default='inception',
                      help="a preprocessing_factory name, for training (default 'inception')")
  parser.add_argument('--image-size', type=int, default=224, help='preprocessed image side')
  parser.add_argument('--num-images', type=int, default=2048)
  parser.add_argument('--num-shards', type=int, default=8)
  parser.add_argument('--record-size', type=int, default=224, help='side of the JPEG images')
  parser.add_argument('--records-dir', default=os.path.join(tempfile.gettempdir(),
                                                            'slim_bench_photos'))
  parser.add_argument('--only', help='comma-separated contenders to run')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.quick:
    args.repeats, args.warmup, args.batches = 1, 5, 15
  return args


def child_argv(args, name):
  argv = ['--child', name]
  for option in ('batch_size', 'warmup', 'batches', 'readers', 'threads', 'preprocessing',
                 'image_size', 'num_images', 'shared_tools'):
    value = getattr(args, option)
    if value is not None:
      argv += ['--' + option.replace('_', '-'), str(value)]
  return argv


def main():
  args = parse_args()
  directory = '%s-%d-%d-%d' % (args.records_dir, args.num_images, args.num_shards,
                               args.record_size)
  pattern = os.path.join(directory, 'photos-*')
  if args.child:
    tf.get_logger().setLevel('ERROR')
    _harness.emit(measure_pipeline(args.child, pattern, args))
    return
  make_records(directory, args.num_images, args.num_shards, args.record_size)
  with open(os.path.join(directory, 'info.json')) as f:
    info = json.load(f)
  names = [name for name in PIPELINES if not args.only or name in args.only.split(',')]
  print('input pipeline: %d JPEG records %dx%d (%.1f kB each, %d shards) -> decode -> %r '
        'training preprocessing to %dx%d -> batch %d; readers %d, threads %d; %d cores, '
        'TensorFlow %s; load %s' % (
            info['num_images'], args.record_size, args.record_size,
            info['mean_record_bytes'] / 1e3, info['num_shards'], args.preprocessing,
            args.image_size, args.image_size, args.batch_size, args.readers, args.threads,
            os.cpu_count(), tf.__version__, _harness.load_average()), flush=True)
  results = _harness.run_interleaved(os.path.abspath(__file__), names, args.repeats,
                                     lambda name: child_argv(args, name))
  print()
  _harness.print_table(results, ['images/s', 'CPU ms/image', 'peak RSS (MB)'])
  rates = _harness.medians(results, 'images/s')
  cpu = _harness.medians(results, 'CPU ms/image')
  if 'tf_slim.queue' in rates:
    base = 'tf_slim.queue'
    for name, label, goal in (
        ('slim.autotune', 'slim.autotune / tf_slim.queue (each its natural path)', 2.0),
        ('slim.dataset', 'slim.dataset / tf_slim.queue (same threads)', None),
        ('slim.get', 'slim.get / tf_slim.queue (same graph code)', None)):
      if name in rates:
        print(_harness.ratio_line(label, rates[name], rates[base], goal=goal))
        print(_harness.ratio_line('  CPU per image, tf_slim.queue / %s' % name, cpu[base],
                                  cpu[name]))
  print('load average at the end: %s' % _harness.load_average())


if __name__ == '__main__':
  main()
