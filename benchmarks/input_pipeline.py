"""Images/s of a training input pipeline, slim against tf_slim 1.1.0 (the reference).

TFRecords of ImageNet-like JPEG photos (2048 records in 8 shards; each a window
of about 350 x 400 pixels, height and width drawn in 0.8-1.2 times that, cut from
scikit-learn's sample photos and encoded at quality 90; written once into a
temporary directory with datasets/dataset_utils) are read, decoded, preprocessed
for training (preprocessing_factory 'inception', is_training=True: random crop,
flip, colour distortion, to 299 x 299) and batched by 32. The contenders:

  tf_slim.queue    the reference's DatasetDataProvider.get (queue runners), the
                   preprocessing, tf.train.batch (--threads threads) and
                   prefetch_queue: research/slim's train_image_classifier input.
  slim.get         the same code with slim: its graph-mode provider reads with
                   tf.data under get(); batching still by tf.train.batch.
  slim.dataset     slim's provider.as_dataset(), map(preprocessing,
                   num_parallel_calls=--threads), batch, prefetch(1), eagerly.
  slim.autotune    the same with AUTOTUNE parallelism and prefetch: slim's natural
                   TF2 path.
  slim.fused       as slim.autotune, but the provider hands over the undecoded
                   JPEG bytes (a `tfexample_decoder.Tensor('image/encoded')` item)
                   and `inception_preprocessing.preprocess_jpeg_for_train` decodes
                   only the crop window (the official TF ImageNet pipelines' trick).

Is that enough to keep training fed? `inception_v3.step` measures, in the same
run, the images/s of slim's inception_v3 training step (graph, slim.learning's
create_train_op, momentum, batch --step-batch at 299 on a fixed synthetic batch,
with the auxiliary head's loss as in research/slim): the pipeline keeps the step
fed when it makes images faster than the step consumes them, and the CPU time
per image of each tells the share of the cores the input takes from the step.

tf_slim 1.1.0 ships no preprocessing, so every pipeline calls the same
preprocessing function (ours): only reading, decoding and batching differ. Each
pipeline warms up, then consumes --batches batches (a reduce_mean of each, in the
pipeline's own mode), many more than its queues or prefetch buffers hold, while
the rate and the CPU time per image are measured.
Every contender runs in its own process, interleaved, --repeats times; the
figures are medians.

    python benchmarks/input_pipeline.py            # about 8 minutes on 2 cores
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

PIPELINES = ['tf_slim.queue', 'slim.get', 'slim.dataset', 'slim.autotune', 'slim.fused']
STEP = 'inception_v3.step'


# ---------------------------------------------------------------------------
# The records.

def _sample_photos():
  import sklearn.datasets  # pylint: disable=import-outside-toplevel
  return sklearn.datasets.load_sample_images().images


def _jpeg_examples(num_images, record_shape, seed):
  """Yields tf.Examples of JPEG photos with labels 0-4: windows of the sample
  photos, height and width each drawn in [0.8, 1.2] x `record_shape`."""
  from slim.datasets import dataset_utils  # pylint: disable=import-outside-toplevel
  rng = np.random.RandomState(seed)
  photos = _sample_photos()
  for index in range(num_images):
    photo = photos[index % len(photos)]
    height, width = [min(int(side * rng.uniform(0.8, 1.2)), limit)
                     for side, limit in zip(record_shape, photo.shape[:2])]
    top = rng.randint(0, photo.shape[0] - height + 1)
    left = rng.randint(0, photo.shape[1] - width + 1)
    data = tf.io.encode_jpeg(photo[top:top + height, left:left + width], quality=90).numpy()
    yield dataset_utils.image_to_tfexample(data, b'jpeg', height, width, index % 5)


def make_records(directory, num_images, num_shards, record_shape, seed=0):
  """Writes the records once into `directory` (through a temporary directory
  renamed at the end); returns the file pattern."""
  from slim.datasets import dataset_utils  # pylint: disable=import-outside-toplevel
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
      for index, example in enumerate(_jpeg_examples(num_images, record_shape, seed)):
        data = example.SerializeToString()
        total_bytes += len(data)
        writers[index % num_shards].write(data)
    with open(os.path.join(scratch, 'info.json'), 'w') as f:
      json.dump({'num_images': num_images, 'num_shards': num_shards,
                 'record_shape': list(record_shape),
                 'mean_record_bytes': total_bytes / num_images}, f)
    os.rename(scratch, directory)
  finally:
    if os.path.exists(scratch):
      shutil.rmtree(scratch)
  return pattern


def make_dataset(module, pattern, num_images, image_format='jpeg', image_shape=None,
                 channels=3):
  """A `Dataset` of image records (`datasets.dataset_utils.image_to_tfexample`),
  made with `module` (slim or tf_slim)."""
  keys_to_features = {
      'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
      'image/format': tf.io.FixedLenFeature((), tf.string, default_value=image_format),
      'image/class/label': tf.io.FixedLenFeature((), tf.int64, default_value=0),
  }
  items_to_handlers = {
      'image': module.tfexample_decoder.Image(shape=image_shape, channels=channels),
      'encoded': module.tfexample_decoder.Tensor('image/encoded'),  # the JPEG bytes
      'label': module.tfexample_decoder.Tensor('image/class/label'),
  }
  decoder = module.tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)
  return module.dataset.Dataset(
      data_sources=pattern, reader=tf.compat.v1.TFRecordReader, decoder=decoder,
      num_samples=num_images,
      items_to_descriptions={'image': 'a photo', 'encoded': 'its JPEG', 'label': '0-4'})


def _preprocessing_fn(name):
  from slim.preprocessing import preprocessing_factory  # pylint: disable=import-outside-toplevel
  return preprocessing_factory.get_preprocessing(name, is_training=True)


# ---------------------------------------------------------------------------
# The contenders, each run in a child process.

def queue_batch(module, dataset, preprocess, batch_size, readers=4, threads=4):
  """research/slim's train_image_classifier input, in the default graph, with
  `module` (slim or tf_slim): provider.get, `preprocess(image)`, tf.train.batch,
  prefetch_queue. Returns the (images, labels) batch tensors."""
  provider = module.dataset_data_provider.DatasetDataProvider(
      dataset, num_readers=readers, common_queue_capacity=20 * batch_size,
      common_queue_min=10 * batch_size)
  image, label = provider.get(['image', 'label'])
  images, labels = tf.compat.v1.train.batch(
      [preprocess(image), label], batch_size=batch_size, num_threads=threads,
      capacity=5 * batch_size)
  return module.prefetch_queue.prefetch_queue([images, labels], capacity=2).dequeue()


def _queue_pipeline(module, pattern, args):
  """queue_batch in a session. Returns (a function running one batch, a function
  closing)."""
  size = args.image_size
  graph = tf.Graph()
  with graph.as_default():
    images, labels = queue_batch(
        module, make_dataset(module, pattern, args.num_images),
        lambda image: _preprocessing_fn(args.preprocessing)(image, size, size),
        args.batch_size, args.readers, args.threads)
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


def _dataset_pipeline(pattern, args, parallel_calls, prefetch, fused=False):
  """slim's as_dataset, mapped, batched and prefetched, iterated eagerly; `fused`:
  the JPEG bytes through preprocess_jpeg_for_train."""
  import slim  # pylint: disable=import-outside-toplevel
  provider = slim.dataset_data_provider.DatasetDataProvider(
      make_dataset(slim, pattern, args.num_images), num_readers=args.readers,
      common_queue_capacity=20 * args.batch_size)
  size = args.image_size
  if fused:
    from slim.preprocessing import inception_preprocessing  # pylint: disable=import-outside-toplevel
    source, preprocessing_fn = 'encoded', lambda data, height, width: (
        inception_preprocessing.preprocess_jpeg_for_train(data, height, width, None))
  else:
    source, preprocessing_fn = 'image', _preprocessing_fn(args.preprocessing)
  dataset = provider.as_dataset(items=[source, 'label']).map(
      lambda item: (preprocessing_fn(item[source], size, size), item['label']),
      num_parallel_calls=parallel_calls)
  iterator = iter(dataset.batch(args.batch_size).prefetch(prefetch))

  def run_batch():
    images, labels = next(iterator)
    return float(tf.reduce_mean(images)), int(tf.reduce_sum(labels))

  return run_batch, lambda: None


def measure_inception_step(args):
  """Images/s and CPU per image of slim's inception_v3 training step (graph) on a
  fixed synthetic batch: what the input pipeline has to keep up with."""
  import slim  # pylint: disable=import-outside-toplevel
  from slim.nets import nets_factory  # pylint: disable=import-outside-toplevel
  batch_size, size, num_classes = args.step_batch, args.image_size, 1001
  rng = np.random.RandomState(0)
  graph = tf.Graph()
  with graph.as_default():
    images = tf.constant(rng.uniform(-1, 1, (batch_size, size, size, 3)).astype(np.float32))
    labels = tf.constant(np.arange(batch_size) % num_classes)
    network_fn = nets_factory.get_network_fn('inception_v3', num_classes=num_classes,
                                             weight_decay=4e-5, is_training=True)
    logits, end_points = network_fn(images)
    tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, end_points['AuxLogits'],
                                                     weights=0.4)
    tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = slim.learning.create_train_op(tf.compat.v1.losses.get_total_loss(),
                                             tf.compat.v1.train.MomentumOptimizer(0.01, 0.9))
    init = tf.compat.v1.global_variables_initializer()
  with tf.compat.v1.Session(graph=graph) as session:
    session.run(init)
    clock = _harness.Clock()
    for _ in range(args.step_warmup + args.steps + 1):
      session.run(train_op)
      clock.mark()
  return {'images/s': clock.rate(batch_size, args.step_warmup),
          'CPU ms/image': 1e3 * clock.cpu_per_unit(batch_size, args.step_warmup)}


def measure_pipeline(name, pattern, args):
  if name == STEP:
    return measure_inception_step(args)
  if name == 'tf_slim.queue':
    run_batch, close = _queue_pipeline(_harness.load_reference(args.shared_tools,
                                                               'input_pipeline'), pattern, args)
  elif name == 'slim.get':
    import slim  # pylint: disable=import-outside-toplevel
    run_batch, close = _queue_pipeline(slim, pattern, args)
  elif name == 'slim.dataset':
    run_batch, close = _dataset_pipeline(pattern, args, args.threads, 1)
  else:
    run_batch, close = _dataset_pipeline(pattern, args, tf.data.AUTOTUNE, tf.data.AUTOTUNE,
                                         fused=name == 'slim.fused')
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
  parser.add_argument('--batches', type=int, default=150,
                      help='timed batches (many more than the queues buffer)')
  parser.add_argument('--readers', type=int, default=4, help='files read in parallel')
  parser.add_argument('--threads', type=int, default=4,
                      help="preprocessing threads (research/slim's default: 4)")
  parser.add_argument('--preprocessing', default='inception',
                      help="a preprocessing_factory name, for training (default 'inception')")
  parser.add_argument('--image-size', type=int, default=299, help='preprocessed image side')
  parser.add_argument('--num-images', type=int, default=2048)
  parser.add_argument('--num-shards', type=int, default=8)
  parser.add_argument('--record-height', type=int, default=350,
                      help='mean height of the JPEG photos')
  parser.add_argument('--record-width', type=int, default=400, help='mean width of the photos')
  parser.add_argument('--step-batch', type=int, default=8,
                      help='batch of the inception_v3 step (its images/s is per image)')
  parser.add_argument('--step-warmup', type=int, default=2, help='inception_v3 warm-up steps')
  parser.add_argument('--steps', type=int, default=6, help='timed inception_v3 steps')
  parser.add_argument('--step-repeats', type=int, default=1,
                      help='runs of the inception_v3 step (0: none)')
  parser.add_argument('--records-dir', default=os.path.join(tempfile.gettempdir(),
                                                            'slim_bench_photos'))
  parser.add_argument('--only', help='comma-separated contenders to run')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.quick:
    args.repeats, args.warmup, args.batches = 1, 5, 15
    args.step_warmup, args.steps = 1, 2
  return args


def child_argv(args, name):
  argv = ['--child', name]
  for option in ('batch_size', 'warmup', 'batches', 'readers', 'threads', 'preprocessing',
                 'image_size', 'num_images', 'step_batch', 'step_warmup', 'steps',
                 'shared_tools'):
    value = getattr(args, option)
    if value is not None:
      argv += ['--' + option.replace('_', '-'), str(value)]
  return argv


def print_ratios(rates, cpu):
  """The speed-ups over the reference, and whether each pipeline keeps the
  inception_v3 step fed."""
  base = 'tf_slim.queue'
  if base in rates:
    for name, label, goal in (
        ('slim.autotune', 'slim.autotune / tf_slim.queue (each its natural path)', 2.0),
        ('slim.fused', 'slim.fused / tf_slim.queue (fused JPEG decode and crop)', 2.0),
        ('slim.dataset', 'slim.dataset / tf_slim.queue (same threads)', None),
        ('slim.get', 'slim.get / tf_slim.queue (same graph code)', None)):
      if name in rates:
        print(_harness.ratio_line(label, rates[name], rates[base], goal=goal))
        print(_harness.ratio_line('  CPU per image, tf_slim.queue / %s' % name, cpu[base],
                                  cpu[name]))
  if STEP in rates:
    print('\ninception_v3 training step: %.1f images/s, %.0f CPU ms/image' % (rates[STEP],
                                                                             cpu[STEP]))
    for name in PIPELINES:
      if name in rates:
        print('  %-14s %6.1f images/s = %5.1fx the step (%s); its CPU is %2.0f%% of a trained '
              'image\'s (input + step)' % (
                  name, rates[name], rates[name] / rates[STEP],
                  'keeps it fed' if rates[name] >= rates[STEP] else 'NOT fed',
                  100.0 * cpu[name] / (cpu[name] + cpu[STEP])))


def main():
  args = parse_args()
  record_shape = (args.record_height, args.record_width)
  directory = '%s-%d-%d-%dx%d' % ((args.records_dir, args.num_images, args.num_shards)
                                  + record_shape)
  pattern = os.path.join(directory, 'photos-*')
  if args.child:
    tf.get_logger().setLevel('ERROR')
    _harness.emit(measure_pipeline(args.child, pattern, args))
    return
  make_records(directory, args.num_images, args.num_shards, record_shape)
  with open(os.path.join(directory, 'info.json')) as f:
    info = json.load(f)
  names = [name for name in PIPELINES if not args.only or name in args.only.split(',')]
  if args.preprocessing != 'inception' and 'slim.fused' in names:
    names.remove('slim.fused')  # preprocess_jpeg_for_train is inception's
    print("slim.fused left out: it runs 'inception' preprocessing only")
  print('input pipeline: %d JPEG records ~%dx%d (0.8-1.2x each side; %.1f kB each, %d shards) '
        '-> decode -> %r training preprocessing to %dx%d -> batch %d; readers %d, threads %d; '
        '%d cores, TensorFlow %s; load %s' % (
            info['num_images'], args.record_height, args.record_width,
            info['mean_record_bytes'] / 1e3, info['num_shards'], args.preprocessing,
            args.image_size, args.image_size, args.batch_size, args.readers, args.threads,
            os.cpu_count(), tf.__version__, _harness.load_average()), flush=True)
  results = _harness.run_interleaved(os.path.abspath(__file__), names, args.repeats,
                                     lambda name: child_argv(args, name))
  if args.step_repeats and (not args.only or STEP in args.only.split(',')):
    print('%s: batch %d, %d warm-up then %d timed steps' % (STEP, args.step_batch,
                                                           args.step_warmup, args.steps))
    results.update(_harness.run_interleaved(os.path.abspath(__file__), [STEP],
                                            args.step_repeats,
                                            lambda name: child_argv(args, name)))
  print()
  _harness.print_table(results, ['images/s', 'CPU ms/image', 'peak RSS (MB)'])
  print_ratios(_harness.medians(results, 'images/s'), _harness.medians(results, 'CPU ms/image'))
  print('load average at the end: %s' % _harness.load_average())


if __name__ == '__main__':
  main()
