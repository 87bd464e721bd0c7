"""Training throughput of the training loops, slim against tf_slim 1.1.0 (the reference).

For each net, three loops train it:

  tf_slim.learning   the reference's `learning.train` (graph, Supervisor).
  slim.learning      slim's `slim.learning.train` (graph).
  slim.loop          slim's TF2 loop, `slim.training.loop.train` (a slim.Model,
                     eager and tf.function).

Two inputs (--input; the default runs 'records', research/slim's setup):

  records     each loop reads TFRecords through its own library's input path, as
              research/slim's train_image_classifier does: the graph loops through
              their library's DatasetDataProvider.get, the net's training
              preprocessing, tf.train.batch (4 threads) and prefetch_queue (queue
              runners); the TF2 loop through slim's provider.as_dataset(), map
              (AUTOTUNE), batch, prefetch. lenet reads scikit-learn's digits
              (28x28 PNG, datasets/download_and_convert_digits) with lenet
              preprocessing; resnet_v1_50 reads ImageNet-like JPEG photos
              (input_pipeline.py's records) with vgg preprocessing at 224. Both are
              written once into the temporary directory.
  synthetic   the same in-memory batch forever (`tf.data.Dataset.from_tensors`):
              the loops alone.

Each uses its defaults (the graph loops log every step and summarize and save
every 10 minutes; the TF2 loop summarizes every 100 steps and logs, here, every
--warmup steps), writes
into a fresh directory, with softmax cross-entropy plus weight decay and
momentum SGD. The rate is examples/s in the steady state: from the end of the
warm-up steps to the last step (marked by `train_step_fn` in the graph loops,
by the TF2 loop's progress log lines). Every contender runs in its own process,
interleaved with the others, --repeats times; the figures are medians.

    python benchmarks/train_loop.py                # lenet b128, resnet_v1_50 b8: ~10 min
    python benchmarks/train_loop.py --input records,synthetic --nets lenet
    python benchmarks/train_loop.py --nets lenet   # one net
    python benchmarks/train_loop.py --quick        # a smoke run, ~1-2 min

Needs tf-slim 1.1.0 and tf-keras for the reference (see _harness.load_reference).
"""
import argparse
import logging
import os
import sys
import tempfile

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402
import input_pipeline  # noqa: E402

sys.path.insert(0, _harness.REPO)

LOOPS = ['tf_slim.learning', 'slim.learning', 'slim.loop']
FLOOR = 'bare.session'  # run with --only: a bare session.run loop, no training loop
INPUTS = ['records', 'synthetic']
GOALS = {('lenet', 'slim.learning'): 1.0, ('lenet', 'slim.loop'): 1.5,
         ('resnet_v1_50', 'slim.learning'): 1.0, ('resnet_v1_50', 'slim.loop'): 1.0}
WEIGHT_DECAY = 4e-5


class NetSetup(object):
  """One benchmarked net: input shape, classes, and how long to run."""

  def __init__(self, name, batch_size, image_shape, num_classes, warmup, steps, quick):
    self.name, self.batch_size = name, batch_size
    self.image_shape, self.num_classes = image_shape, num_classes
    self.warmup, self.steps, self.quick = warmup, steps, quick  # quick: (warmup, steps)


NETS = {
    'lenet': NetSetup('lenet', 128, (28, 28, 1), 10, warmup=20, steps=100, quick=(5, 10)),
    'resnet_v1_50': NetSetup('resnet_v1_50', 8, (224, 224, 3), 1000, warmup=2, steps=8,
                             quick=(1, 1)),
}


def synthetic_batch(setup):
  rng = np.random.RandomState(0)
  images = rng.uniform(-1, 1, (setup.batch_size,) + setup.image_shape).astype(np.float32)
  labels = (np.arange(setup.batch_size) % setup.num_classes).astype(np.int64)
  return images, labels


def synthetic_dataset(setup):
  """The same batch forever, from memory."""
  return tf.data.Dataset.from_tensors(synthetic_batch(setup)).repeat()


def write_records(setup):
  """Writes the net's TFRecords once; returns (file pattern, number of records)."""
  if setup.name == 'lenet':
    from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
    directory = os.path.join(tempfile.gettempdir(), 'slim_bench_digits')
    download_and_convert_digits.run(directory)
    return os.path.join(directory, 'digits_train_*.tfrecord'), 1500
  shape, num_images, num_shards = (350, 400), 2048, 8
  directory = os.path.join(tempfile.gettempdir(), 'slim_bench_photos-%d-%d-%dx%d' % (
      (num_images, num_shards) + shape))
  return input_pipeline.make_records(directory, num_images, num_shards, shape), num_images


def records_dataset(module, setup):
  """The net's records as a `module.dataset.Dataset` (module: slim or tf_slim)."""
  pattern, num_images = write_records(setup)
  if setup.name == 'lenet':
    return input_pipeline.make_dataset(module, pattern, num_images, 'png', [28, 28, 1], 1)
  return input_pipeline.make_dataset(module, pattern, num_images)


def _preprocess_fn(setup):
  from slim.preprocessing import preprocessing_factory  # pylint: disable=import-outside-toplevel
  preprocess = preprocessing_factory.get_preprocessing(setup.name, is_training=True)
  height, width = setup.image_shape[:2]
  return lambda image: preprocess(image, height, width)


def graph_input(module, setup, input_mode):
  """(images, labels) tensors of the default graph, read with `module`."""
  if input_mode == 'synthetic':
    return tf.compat.v1.data.make_one_shot_iterator(synthetic_dataset(setup)).get_next()
  return input_pipeline.queue_batch(module, records_dataset(module, setup),
                                    _preprocess_fn(setup), setup.batch_size)


def tf2_input(setup, input_mode):
  """A `tf.data.Dataset` of (images, labels) batches, read with slim."""
  if input_mode == 'synthetic':
    return synthetic_dataset(setup)
  import slim  # pylint: disable=import-outside-toplevel
  provider = slim.dataset_data_provider.DatasetDataProvider(records_dataset(slim, setup),
                                                            num_readers=4)
  preprocess = _preprocess_fn(setup)
  return provider.as_dataset(items=['image', 'label']).map(
      lambda item: (preprocess(item['image']), item['label']),
      num_parallel_calls=tf.data.AUTOTUNE).batch(
          setup.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# The networks. slim takes them from nets_factory; tf_slim has resnet_v1 but no
# lenet, so its lenet is research/slim's, written with tf_slim's layers.

def reference_lenet(tf_slim, images, num_classes):
  with tf_slim.arg_scope([tf_slim.conv2d, tf_slim.fully_connected],
                         weights_regularizer=tf_slim.l2_regularizer(WEIGHT_DECAY),
                         weights_initializer=tf.compat.v1.truncated_normal_initializer(
                             stddev=0.1),
                         activation_fn=tf.nn.relu):
    with tf.compat.v1.variable_scope('LeNet'):
      net = tf_slim.conv2d(images, 32, [5, 5], scope='conv1')
      net = tf_slim.max_pool2d(net, [2, 2], 2, scope='pool1')
      net = tf_slim.conv2d(net, 64, [5, 5], scope='conv2')
      net = tf_slim.max_pool2d(net, [2, 2], 2, scope='pool2')
      net = tf_slim.flatten(net)
      net = tf_slim.fully_connected(net, 1024, scope='fc3')
      net = tf_slim.dropout(net, 0.5, is_training=True, scope='dropout3')
      return tf_slim.fully_connected(net, num_classes, activation_fn=None, scope='fc4')


def reference_logits(tf_slim, setup, images):
  if setup.name == 'lenet':
    return reference_lenet(tf_slim, images, setup.num_classes)
  from tf_slim.nets import resnet_v1  # pylint: disable=import-outside-toplevel
  with tf_slim.arg_scope(resnet_v1.resnet_arg_scope(weight_decay=WEIGHT_DECAY)):
    return resnet_v1.resnet_v1_50(images, setup.num_classes, is_training=True)[0]


def slim_network_fn(setup):
  from slim.nets import nets_factory  # pylint: disable=import-outside-toplevel
  return nets_factory.get_network_fn(setup.name, num_classes=setup.num_classes,
                                     weight_decay=WEIGHT_DECAY, is_training=True)


def _squeezed(logits):
  """[batch, classes] logits (resnets give [batch, 1, 1, classes] by default)."""
  return tf.squeeze(logits, [1, 2]) if logits.shape.rank == 4 else logits


def _optimizer():
  return tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)


def _count_parameters(variables):
  return int(sum(np.prod(v.shape.as_list()) for v in variables))


# ---------------------------------------------------------------------------
# The loops, each run in a child process.

def _train_graph(module, setup, input_mode, reference):
  """(graph, train_op, number of parameters) of the net, built with `module`."""
  tf.compat.v1.disable_eager_execution()
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    images, labels = graph_input(module, setup, input_mode)
    if reference:
      logits = reference_logits(module, setup, images)
    else:
      logits = slim_network_fn(setup)(images)[0]
    tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, _squeezed(logits))
    train_op = module.learning.create_train_op(tf.compat.v1.losses.get_total_loss(),
                                               _optimizer())
    parameters = _count_parameters(tf.compat.v1.trainable_variables())
  return graph, train_op, parameters


def measure_bare_session(setup, input_mode, warmup, steps):
  """The floor of any graph loop: slim's train_op run by a bare `session.run` loop
  (queue runners started; no Supervisor, logging, summaries or checkpoints)."""
  import slim  # pylint: disable=import-outside-toplevel
  graph, train_op, parameters = _train_graph(slim, setup, input_mode, reference=False)
  with graph.as_default():
    init = [tf.compat.v1.global_variables_initializer(),
            tf.compat.v1.local_variables_initializer()]
  with tf.compat.v1.Session(graph=graph) as session:
    session.run(init)
    coord = tf.compat.v1.train.Coordinator()
    threads = tf.compat.v1.train.start_queue_runners(session, coord=coord)
    clock = _harness.Clock()
    for _ in range(warmup + steps):
      session.run(train_op)
      clock.mark()
    coord.request_stop()
  coord.join(threads, stop_grace_period_secs=10, ignore_live_threads=True)
  return {'steps/s': clock.rate(1, warmup - 1),
          'examples/s': clock.rate(setup.batch_size, warmup - 1),
          'CPU ms/example': 1e3 * clock.cpu_per_unit(setup.batch_size, warmup - 1),
          'parameters': parameters}


def measure_graph_loop(module, setup, input_mode, warmup, steps, train_dir, reference):
  """`module.learning.train` for warmup + steps steps; examples/s after the warm-up.

  Eager execution is off, as in a TF1 program: the reference's Supervisor threads
  read the global step with `tf.compat.v1.train.global_step`, which fails in a
  thread where TF2's eager mode is on.
  """
  graph, train_op, parameters = _train_graph(module, setup, input_mode, reference)
  clock = _harness.Clock()

  def timed_train_step(sess, train_op, global_step, train_step_kwargs):
    result = module.learning.train_step(sess, train_op, global_step, train_step_kwargs)
    clock.mark()
    return result

  with graph.as_default():
    module.learning.train(train_op, train_dir, train_step_fn=timed_train_step,
                          number_of_steps=warmup + steps)
  if len(clock.marks) != warmup + steps:
    raise RuntimeError('%s ran %d steps, expected %d'
                       % (module.__name__, len(clock.marks), warmup + steps))
  return {'steps/s': clock.rate(1, warmup - 1),
          'examples/s': clock.rate(setup.batch_size, warmup - 1),
          'CPU ms/example': 1e3 * clock.cpu_per_unit(setup.batch_size, warmup - 1),
          'parameters': parameters}



def measure_tf2_loop(setup, input_mode, warmup, steps, train_dir):
  """`slim.training.loop.train` for warmup + steps steps, logging every `warmup`
  steps; examples/s from the log line after the warm-up to the last one."""
  import slim  # pylint: disable=import-outside-toplevel
  from slim.training import loop  # pylint: disable=import-outside-toplevel
  if steps % warmup:
    raise ValueError('measure_tf2_loop: steps (%d) must be a multiple of warmup (%d)'
                     % (steps, warmup))
  model = slim.Model(slim_network_fn(setup))

  def loss_fn(model, batch):
    images, labels = batch
    logits = _squeezed(model(images)[0])
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

  clock = _harness.Clock()
  logger = tf.get_logger()
  logger.setLevel(logging.INFO)
  logger.addHandler(_harness.LogClock(clock))
  loop.train(model, tf2_input(setup, input_mode), loss_fn, _optimizer(), train_dir=train_dir,
             max_number_of_steps=warmup + steps, log_every_n_steps=warmup)
  if len(clock.marks) != (warmup + steps) // warmup:
    raise RuntimeError('slim.loop logged %d times, expected %d'
                       % (len(clock.marks), (warmup + steps) // warmup))
  return {'steps/s': clock.rate(warmup, 0),
          'examples/s': clock.rate(setup.batch_size * warmup, 0),
          'CPU ms/example': 1e3 * clock.cpu_per_unit(setup.batch_size * warmup, 0),
          'parameters': _count_parameters(model.trainable_variables)}


def measure(name, setup, input_mode, warmup, steps, shared_tools):
  with tempfile.TemporaryDirectory(prefix='train_loop-') as train_dir:
    if name == 'tf_slim.learning':
      tf_slim = _harness.load_reference(shared_tools, 'train_loop')
      return measure_graph_loop(tf_slim, setup, input_mode, warmup, steps, train_dir,
                                reference=True)
    if name == 'slim.learning':
      import slim  # pylint: disable=import-outside-toplevel
      return measure_graph_loop(slim, setup, input_mode, warmup, steps, train_dir,
                                reference=False)
    if name == 'bare.session':
      return measure_bare_session(setup, input_mode, warmup, steps)
    return measure_tf2_loop(setup, input_mode, warmup, steps, train_dir)


# ---------------------------------------------------------------------------

def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--nets', default='lenet,resnet_v1_50',
                      help='comma-separated: %s' % ', '.join(NETS))
  parser.add_argument('--quick', action='store_true', help='a smoke run: few steps, 1 repeat')
  parser.add_argument('--repeats', type=int, default=3, help='runs of each contender')
  parser.add_argument('--warmup', type=int, help="steps before timing (default: the net's)")
  parser.add_argument('--steps', type=int,
                      help="timed steps, a multiple of --warmup (default: the net's)")
  parser.add_argument('--input', default='records',
                      help='comma-separated inputs: %s (default records)' % ', '.join(INPUTS))
  parser.add_argument('--only', help='comma-separated loops to run (also: %s, a bare '
                      'session.run loop of slim\'s train_op, the floor of the graph loops)'
                      % FLOOR)
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  unknown = [net for net in args.nets.split(',') if net not in NETS]
  if unknown:
    parser.error('unknown nets %s; known: %s' % (unknown, ', '.join(NETS)))
  unknown = [mode for mode in args.input.split(',') if mode not in INPUTS]
  if unknown:
    parser.error('unknown inputs %s; known: %s' % (unknown, ', '.join(INPUTS)))
  if args.quick:
    args.repeats = 1
  return args


def steps_of(args, setup):
  warmup, steps = setup.quick if args.quick else (setup.warmup, setup.steps)
  return args.warmup or warmup, args.steps or steps


def run_net(args, net, input_mode, names):
  """Runs the loops on one net and input; prints the table; returns the ratio lines."""
  setup = NETS[net]
  warmup, steps = steps_of(args, setup)
  if input_mode == 'records':
    write_records(setup)  # once, before the children time anything
  print('\n%s, %s input: batch %d of %s, %d warm-up steps then %d timed steps' % (
      net, input_mode, setup.batch_size, 'x'.join(map(str, setup.image_shape)), warmup,
      steps), flush=True)

  def child_args(name):
    argv = ['--child', '%s:%s:%s' % (net, input_mode, name)]
    for option in ('warmup', 'steps', 'shared_tools'):
      if getattr(args, option) is not None:
        argv += ['--' + option.replace('_', '-'), str(getattr(args, option))]
    return argv + (['--quick'] if args.quick else [])

  results = _harness.run_interleaved(os.path.abspath(__file__), names, args.repeats,
                                     child_args)
  parameters = {runs[0]['parameters'] for runs in results.values()}
  if len(parameters) != 1:
    print('WARNING: the loops trained nets of different sizes: %s' % parameters)
  _harness.print_table(results, ['examples/s', 'steps/s', 'CPU ms/example', 'peak RSS (MB)'])
  rates = _harness.medians(results, 'examples/s')
  lines = []
  if 'tf_slim.learning' in rates:
    for name in names[1:]:
      if name in rates:
        lines.append(_harness.ratio_line(
            '%s (%s input) %s / tf_slim.learning' % (net, input_mode, name), rates[name],
            rates['tf_slim.learning'], GOALS.get((net, name))))
        print(lines[-1])
  return lines


def main():
  args = parse_args()
  if args.child:
    net, input_mode, name = args.child.split(':')
    setup = NETS[net]
    warmup, steps = steps_of(args, setup)
    _harness.emit(measure(name, setup, input_mode, warmup, steps, args.shared_tools))
    return
  names = [name for name in LOOPS + [FLOOR]
           if name in (args.only.split(',') if args.only else LOOPS)]
  print('training loops, momentum SGD, inputs %s; %d cores, TensorFlow %s; load %s' % (
      args.input, os.cpu_count(), tf.__version__, _harness.load_average()), flush=True)
  summary = []
  for net in args.nets.split(','):
    for input_mode in args.input.split(','):
      summary += run_net(args, net, input_mode, names)
  print('\n' + '\n'.join(summary))
  print('load average at the end: %s' % _harness.load_average())


if __name__ == '__main__':
  main()
