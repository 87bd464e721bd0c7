"""Image networks side by side: slim's graph mode and TF2 paths, tf_slim 1.1.0 and
Keras 3's `keras.applications`.

The contenders (--contenders, default slim,tf_slim,keras):

  slim      slim.nets in graph mode: a tf.compat.v1 Session running research/
            slim's training step (below).
  tf_slim   tf_slim 1.1.0's nets, the same graph-mode step (the reference).
  slim_tf2  slim.nets through slim's TF2 path: a `slim.Model` wrapping the
            network (in its arg scope, is_training=True) trained by
            `slim.training.loop.train` itself (no train_dir, the batch from
            `tf.data.Dataset.from_tensors(...).repeat()`, a progress line every
            step, which marks the clock as in benchmarks/train_loop.py): its
            tf.function step, GradientTape, the loss below plus `model.losses`,
            `tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)`, batch-norm moving
            averages updated by the Model's training calls. The loop's host work
            per step is included. Inference: another `slim.Model`,
            is_training=False, called in a tf.function.
  keras     `keras.applications` (Keras 3, weights=None) at its best: see
            benchmarks/_keras_nets.py (a tf.function step with jit_compile off,
            as Keras's compile() picks on a CPU-only machine; no auxiliary heads;
            weight decay on the kernels of Conv2D, SeparableConv2D and Dense).

The training step: softmax cross-entropy (plus the auxiliary head's at weight
0.4 where slim's network has one), the arg scope's L2 weight decay
(`wd * sum(w ** 2) / 2`), momentum SGD (lr 0.01, momentum 0.9), batch-norm
moving averages updated (graph: through UPDATE_OPS), dropout on. All hold the
same batch of random images in [-1, 1] in variables (or a dataset's constant),
so no step feeds or copies it. Figures per contender: training and inference
images/s after the warm-up, training CPU ms per image (all threads), peak RSS
(`_harness.emit`), the training-graph build seconds (graph contenders only:
`nan` for the TF2 ones, whose build is the trace inside their first call) and
'first step s', comparable for all: from the start of building the model to the
end of its first training step (graph: build, Session, variable initialization
and first run; TF2: variables, trace and first run). Every (contender,
repetition) is a child process of its own, in rotating order
(benchmarks/_harness.py); figures are medians. Networks a contender lacks are
skipped for it (tf_slim: the MobileNets, NASNet and Inception-ResNet-v2; Keras:
AlexNet), with a line saying so.

Per network: the table of medians, the trainable parameters, and the ratios with
their goals: training images/s slim / the best of tf_slim and keras >= 1.0 and
slim / tf_slim >= 1.0 (vgg_16 1.6, alexnet_v2 1.5); inference images/s slim /
keras >= 1.0; build slim / tf_slim <= 0.5; peak RSS slim / keras and slim /
tf_slim <= 1.0; slim_tf2 / keras and slim_tf2 / slim training without one. At
the end a markdown summary, one row per network, to paste into a note.

    python benchmarks/nets.py                    # all networks with 2+ contenders
    python benchmarks/nets.py --networks vgg_16,alexnet_v2 --repeats 5
    python benchmarks/nets.py --contenders slim,slim_tf2,tf_slim,keras --networks resnet_v1_50
    python benchmarks/nets.py --quick            # smoke run: 1 repeat, 1 step

Needs tf-slim 1.1.0 and tf-keras for the reference, through tf_slim_reference.py
in --shared-tools, $SLIM_SHARED_TOOLS or a `shared/tools` above the checkout.
"""
import argparse
import collections
import functools
import gc
import importlib
import inspect
import logging
import math
import os
import sys
import time

# The directory of this script, first on the path, would shadow the `nets` package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p) != _HERE]

from benchmarks import _harness  # noqa: E402  pylint: disable=wrong-import-position
from benchmarks import _keras_nets  # noqa: E402  pylint: disable=wrong-import-position

CONTENDERS = ['slim', 'slim_tf2', 'tf_slim', 'keras']
DEFAULT_CONTENDERS = 'slim,tf_slim,keras'
NUM_CLASSES = 1000
AUX_LOSS_WEIGHT = 0.4  # research/slim's train_image_classifier

# name -> (module of <library>.nets, function, arg-scope module, arg-scope function,
#          the arg scope's default weight_decay (Keras's weight decay; the graph child
#          checks it), batch, image size, goal for training images/s slim / tf_slim:
#          None where tf_slim lacks the network).
Network = collections.namedtuple('Network', ['module', 'function', 'scope_module',
                                             'scope_function', 'weight_decay', 'batch',
                                             'size', 'goal'])
NETWORKS = {
    'inception_v3': Network('inception_v3', 'inception_v3', 'inception_v3',
                            'inception_v3_arg_scope', 4e-5, 8, 299, 1.0),
    'resnet_v1_50': Network('resnet_v1', 'resnet_v1_50', 'resnet_utils', 'resnet_arg_scope',
                            1e-4, 8, 224, 1.0),
    'vgg_16': Network('vgg', 'vgg_16', 'vgg', 'vgg_arg_scope', 5e-4, 4, 224, 1.6),
    'alexnet_v2': Network('alexnet', 'alexnet_v2', 'alexnet', 'alexnet_v2_arg_scope',
                          5e-4, 16, 224, 1.5),
    'mobilenet_v2': Network('mobilenet.mobilenet_v2', 'mobilenet', 'mobilenet.mobilenet',
                            'training_scope', 4e-5, 16, 224, None),
    'mobilenet_v3_large': Network('mobilenet.mobilenet_v3', 'large', 'mobilenet.mobilenet',
                                  'training_scope', 4e-5, 16, 224, None),
    'inception_resnet_v2': Network('inception_resnet_v2', 'inception_resnet_v2',
                                   'inception_resnet_v2', 'inception_resnet_v2_arg_scope',
                                   4e-5, 4, 299, None),
    'nasnet_mobile': Network('nasnet.nasnet', 'build_nasnet_mobile', 'nasnet.nasnet',
                             'nasnet_mobile_arg_scope', 4e-5, 8, 224, None),
}
TF_SLIM_NETWORKS = ('inception_v3', 'resnet_v1_50', 'vgg_16', 'alexnet_v2')
TRAIN_GOAL = 1.0  # training images/s, slim / the best of tf_slim and keras, at least
INFER_GOAL = 1.0  # inference images/s, slim / keras, at least
BUILD_GOAL = 0.5  # training-graph build seconds, slim / tf_slim at most
RSS_GOAL = 1.0  # peak RSS, slim / tf_slim and slim / keras at most

TRAIN = 'train images/s'
INFER = 'infer images/s'
BUILD = 'train build s'
FIRST = 'first step s'
RSS = 'peak RSS (MB)'
CPU = 'train CPU ms/img'
PARAMETERS = 'parameters'
KEYS = [TRAIN, INFER, BUILD, FIRST, RSS, CPU]


def missing(contender, network):
  """Why `contender` has no `network` (None: it has it)."""
  if contender == 'tf_slim' and network not in TF_SLIM_NETWORKS:
    return 'tf_slim 1.1.0 has no %s' % network
  if contender == 'keras' and network not in _keras_nets.APPLICATIONS:
    return 'keras.applications has no %s' % network
  return None


# --- The child: one contender, one network --------------------------------------------------

def network_functions(lib, network):
  """(network function, arg-scope function) of `network` in `lib` (slim or tf_slim);
  checks the arg scope's weight_decay against NETWORKS."""
  spec = NETWORKS[network]
  module = importlib.import_module('%s.nets.%s' % (lib.__name__, spec.module))
  scope_module = importlib.import_module('%s.nets.%s' % (lib.__name__, spec.scope_module))
  arg_scope_fn = getattr(scope_module, spec.scope_function)
  weight_decay = inspect.signature(arg_scope_fn).parameters['weight_decay'].default
  if weight_decay != spec.weight_decay:
    raise ValueError('NETWORKS[%r].weight_decay is %r, but %s.%s defaults to %r'
                     % (network, spec.weight_decay, scope_module.__name__,
                        spec.scope_function, weight_decay))
  return getattr(module, spec.function), arg_scope_fn


def _timed_runs(run, batch, warmup, steps, start):
  """(images/s, CPU ms per image, seconds from `start` to the end of the first run)
  of `run()` called warmup + steps times, the rates after the warm-up."""
  clock = _harness.Clock()
  for _ in range(warmup + steps):
    run()
    clock.mark()
  skip = warmup - 1  # the first timed run starts at the last warm-up mark
  return (clock.rate(batch, skip), 1000.0 * clock.cpu_per_unit(batch, skip),
          clock.marks[0] - start)


def graph_with_inputs(tf, images_value, labels_value):
  """A new graph holding the batch in variables, so that no step feeds or copies it."""
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.Variable(images_value, trainable=False, name='images')
    labels = tf.compat.v1.Variable(labels_value, trainable=False, name='labels')
  return graph, images, labels


def graph_training_step(tf, lib, network_fn, arg_scope_fn, images, labels):
  """The train op: cross-entropy (and the auxiliary head's), weight decay, momentum SGD,
  after the UPDATE_OPS."""
  with lib.arg_scope(arg_scope_fn()):
    logits, end_points = network_fn(images, num_classes=NUM_CLASSES, is_training=True)
  onehot = tf.one_hot(labels, NUM_CLASSES)
  loss = tf.compat.v1.losses.softmax_cross_entropy(onehot, tf.reshape(logits, [-1, NUM_CLASSES]))
  if 'AuxLogits' in end_points:
    loss += tf.compat.v1.losses.softmax_cross_entropy(
        onehot, tf.reshape(end_points['AuxLogits'], [-1, NUM_CLASSES]), AUX_LOSS_WEIGHT)
  loss += tf.compat.v1.losses.get_regularization_loss()
  # As research/slim and create_train_op: the loss waits for the batch-norm updates, and
  # the gradients are built outside that scope (inside it, every gradient op would get a
  # control input from every update op: 200,000 edges on inception_v3).
  updates = tf.group(*tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
  with tf.control_dependencies([updates]):
    loss = tf.identity(loss)
  return tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(loss)


def _session_runs(tf, graph, fetch, batch, args, start):
  """`_timed_runs` of `session.run(fetch)` in a new session of `graph`."""
  with graph.as_default():
    init = tf.compat.v1.global_variables_initializer()
  with tf.compat.v1.Session(graph=graph) as session:
    session.run(init)
    return _timed_runs(lambda: session.run(fetch), batch, args.warmup, args.steps, start)


def _count(variables):
  return sum(v.shape.num_elements() for v in variables)


def graph_child(tf, lib, network, images_value, labels_value, args):
  """The figures of `network` in `lib` (slim or tf_slim), graph mode."""
  network_fn, arg_scope_fn = network_functions(lib, network)
  batch = images_value.shape[0]
  graph, images, labels = graph_with_inputs(tf, images_value, labels_value)
  with graph.as_default():
    start = time.perf_counter()
    train_op = graph_training_step(tf, lib, network_fn, arg_scope_fn, images, labels)
    build_s = time.perf_counter() - start
    parameters = _count(tf.compat.v1.trainable_variables())
  train_rate, train_cpu, first_s = _session_runs(tf, graph, train_op, batch, args, start)

  graph, images, _ = graph_with_inputs(tf, images_value, labels_value)
  with graph.as_default(), lib.arg_scope(arg_scope_fn()):
    logits, _ = network_fn(images, num_classes=NUM_CLASSES, is_training=False)
  infer_rate, _, _ = _session_runs(tf, graph, logits, batch, args, time.perf_counter())
  return {TRAIN: train_rate, INFER: infer_rate, BUILD: build_s, FIRST: first_s,
          CPU: train_cpu, PARAMETERS: parameters}



def _in_arg_scope(slim, network_fn, arg_scope_fn, images, is_training):
  with slim.arg_scope(arg_scope_fn()):
    return network_fn(images, num_classes=NUM_CLASSES, is_training=is_training)


def slim_tf2_child(tf, network, images_value, labels_value, args):
  """The figures of `network` through slim's TF2 path (see the module docstring)."""
  import slim  # pylint: disable=import-outside-toplevel
  from slim.training import loop  # pylint: disable=import-outside-toplevel
  network_fn, arg_scope_fn = network_functions(slim, network)
  batch_size = images_value.shape[0]

  def new_model(is_training):
    return slim.Model(functools.partial(_in_arg_scope, slim, network_fn, arg_scope_fn,
                                        is_training=is_training), name=network)

  def loss_fn(model, batch):
    images, labels = batch
    logits, end_points = model(images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels, tf.reshape(logits, [-1, NUM_CLASSES])))
    if 'AuxLogits' in end_points:
      loss += AUX_LOSS_WEIGHT * tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels, tf.reshape(end_points['AuxLogits'], [-1, NUM_CLASSES])))
    return loss

  logger = tf.get_logger()
  for handler in logger.handlers:  # keep the progress lines off the output
    handler.setLevel(logging.WARNING)
  logger.setLevel(logging.INFO)
  clock = _harness.Clock()
  logger.addHandler(_harness.LogClock(clock))
  start = time.perf_counter()
  model = new_model(is_training=True)
  dataset = tf.data.Dataset.from_tensors((images_value, labels_value)).repeat()
  loop.train(model, dataset, loss_fn, tf.compat.v1.train.MomentumOptimizer(0.01, 0.9),
             max_number_of_steps=args.warmup + args.steps, log_every_n_steps=1)
  if len(clock.marks) != args.warmup + args.steps:
    raise RuntimeError('slim_tf2: the loop logged %d steps, expected %d'
                       % (len(clock.marks), args.warmup + args.steps))
  skip = args.warmup - 1
  parameters = _count(model.trainable_variables)
  del model
  gc.collect()

  model = new_model(is_training=False)
  images = tf.Variable(images_value, trainable=False)
  infer = tf.function(lambda: model(images)[0])
  infer_rate, _, _ = _timed_runs(lambda: infer().numpy(), batch_size, args.warmup, args.steps,
                                 time.perf_counter())
  return {TRAIN: clock.rate(batch_size, skip), INFER: infer_rate, BUILD: math.nan,
          FIRST: clock.marks[0] - start, CPU: 1000.0 * clock.cpu_per_unit(batch_size, skip),
          PARAMETERS: parameters}


def keras_child(tf, network, images_value, labels_value, args):
  """The figures of `network`'s Keras application (benchmarks/_keras_nets.py)."""
  batch = images_value.shape[0]
  images = tf.Variable(images_value, trainable=False)
  labels = tf.Variable(labels_value, trainable=False)
  start = time.perf_counter()
  step, parameters = _keras_nets.training_step(network, images, labels, NUM_CLASSES,
                                               NETWORKS[network].weight_decay)
  train_rate, train_cpu, first_s = _timed_runs(lambda step=step: step().numpy(), batch,
                                               args.warmup, args.steps, start)
  del step
  gc.collect()  # the model and the step hold each other
  infer = _keras_nets.inference_step(network, images, NUM_CLASSES)
  infer_rate, _, _ = _timed_runs(lambda: infer().numpy(), batch, args.warmup, args.steps,
                                 time.perf_counter())
  return {TRAIN: train_rate, INFER: infer_rate, BUILD: math.nan, FIRST: first_s,
          CPU: train_cpu, PARAMETERS: parameters}


def child(contender, network, args):
  """Measures `network` with `contender` and emits its figures."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  spec = NETWORKS[network]
  rng = np.random.RandomState(0)
  images_value = rng.uniform(-1, 1, (spec.batch, spec.size, spec.size, 3)).astype(np.float32)
  labels_value = rng.randint(0, NUM_CLASSES, spec.batch).astype(np.int32)
  if contender == 'keras':
    figures = keras_child(tf, network, images_value, labels_value, args)
  elif contender == 'slim_tf2':
    figures = slim_tf2_child(tf, network, images_value, labels_value, args)
  else:
    lib = (importlib.import_module('slim') if contender == 'slim' else
           _harness.load_reference(args.shared_tools, owner='benchmarks/nets.py'))
    figures = graph_child(tf, lib, network, images_value, labels_value, args)
  _harness.emit(figures)


# --- The parent ------------------------------------------------------------------------------

BEST = 'best of tf_slim, keras'
# A ratio reported: median of `key`, numerator / denominator (contenders, or BEST),
# with a goal (None: none; 'network': the network's own, NETWORKS) that the ratio
# must reach (at_most: not exceed), in the summary table under `column` or not (None).
Ratio = collections.namedtuple('Ratio', ['label', 'key', 'numerator', 'denominator', 'goal',
                                         'at_most', 'column'])
RATIOS = [
    Ratio('training images/s', TRAIN, 'slim', BEST, TRAIN_GOAL, False,
          'train slim / best (>= 1.0)'),
    Ratio('training images/s', TRAIN, 'slim', 'tf_slim', 'network', False,
          'train slim / tf_slim'),
    Ratio('training images/s', TRAIN, 'slim', 'keras', None, False, None),
    Ratio('training images/s', TRAIN, 'slim_tf2', 'keras', None, False,
          'train slim_tf2 / keras'),
    Ratio('training images/s', TRAIN, 'slim_tf2', 'slim', None, False, None),
    Ratio('inference images/s', INFER, 'slim', 'keras', INFER_GOAL, False,
          'infer slim / keras (>= 1.0)'),
    Ratio('inference images/s', INFER, 'slim', 'tf_slim', None, False, None),
    Ratio('training CPU time per image', CPU, 'tf_slim', 'slim', None, False, None),
    Ratio('training CPU time per image', CPU, 'keras', 'slim', None, False, None),
    Ratio('training build', BUILD, 'slim', 'tf_slim', BUILD_GOAL, True,
          'build slim / tf_slim (<= 0.5)'),
    Ratio('peak RSS', RSS, 'slim', 'keras', RSS_GOAL, True, 'RSS slim / keras (<= 1.0)'),
    Ratio('peak RSS', RSS, 'slim', 'tf_slim', RSS_GOAL, True, 'RSS slim / tf_slim (<= 1.0)'),
]


def report(network, results):
  """Prints the table of one network's medians and its ratios; returns the cells of
  its summary row, {column: text}."""
  print()
  _harness.print_table(results, KEYS)
  med = {key: _harness.medians(results, key) for key in KEYS + [PARAMETERS]}
  print('  trainable parameters: ' + ', '.join(
      '%s %.2fM' % (name, med[PARAMETERS][name] / 1e6) for name in results))
  others = [name for name in ('tf_slim', 'keras') if name in results]
  cells = {}
  for ratio in RATIOS:
    denominator = shown = ratio.denominator
    if denominator == BEST and others:
      denominator = max(others, key=lambda name, key=ratio.key: med[key][name])
      shown = '%s (%s)' % (BEST, denominator)
    if ratio.numerator not in results or denominator not in results:
      continue
    goal = NETWORKS[network].goal if ratio.goal == 'network' else ratio.goal
    value = med[ratio.key][ratio.numerator] / med[ratio.key][denominator]
    line = '  %s %s, %s / %s: %.2fx' % (network, ratio.label, ratio.numerator, shown, value)
    cell = '%.2f' % value
    if goal is not None:
      sign = '<=' if ratio.at_most else '>='
      verdict = 'met' if (value <= goal if ratio.at_most else value >= goal) else 'NOT met'
      line += ' (goal %s %.1fx: %s)' % (sign, goal, verdict)
      cell += (' (%s %.1f) ' % (sign, goal) if ratio.goal == 'network' else ' ') + verdict
    print(line)
    if ratio.column:
      cells[ratio.column] = cell
  print(flush=True)
  return cells


def print_summary(summary):
  """One markdown row per network: the summary ratios and whether their goals are met."""
  columns = [ratio.column for ratio in RATIOS
             if ratio.column and any(ratio.column in cells for cells in summary.values())]
  print('| network | ' + ' | '.join(columns) + ' |')
  print('|---' * (len(columns) + 1) + '|')
  for network, cells in summary.items():
    print('| %s | %s |' % (network, ' | '.join(cells.get(column, '-') for column in columns)))


def parse_names(parser, flag, text, known):
  names = [name.strip() for name in text.split(',') if name.strip()]
  unknown = sorted(set(names) - set(known))
  if unknown or not names:
    parser.error('%s: unknown or no name(s) in %r; known: %s' % (flag, text, ', '.join(known)))
  return names


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--contenders', default=DEFAULT_CONTENDERS,
                      help='comma-separated, of: %s (default %%(default)s)'
                      % ', '.join(CONTENDERS))
  parser.add_argument('--networks',
                      help='comma-separated, of: %s (default: those with at least 2 of the '
                      'contenders)' % ', '.join(NETWORKS))
  parser.add_argument('--repeats', type=int, default=3,
                      help='child processes per contender and network (default %(default)s)')
  parser.add_argument('--steps', type=int, default=10,
                      help='timed runs of each step per child (default %(default)s)')
  parser.add_argument('--warmup', type=int, default=3,
                      help='untimed runs of each step first (default %(default)s)')
  parser.add_argument('--quick', action='store_true',
                      help='smoke run: 1 repeat of 1 step after 1 warm-up')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', nargs=2, metavar=('CONTENDER', 'NETWORK'),
                      help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.quick:
    args.repeats, args.steps, args.warmup = 1, 1, 1
  if args.repeats < 1 or args.steps < 1 or args.warmup < 1:
    parser.error('--repeats, --steps and --warmup must be at least 1')
  if args.child:
    return child(args.child[0], args.child[1], args)
  contenders = parse_names(parser, '--contenders', args.contenders, CONTENDERS)
  if args.networks:
    networks = parse_names(parser, '--networks', args.networks, list(NETWORKS))
  else:
    networks = [network for network in NETWORKS
                if sum(not missing(name, network) for name in contenders) >= 2]
    if not networks:
      parser.error('--contenders %s: no network has 2 of them' % args.contenders)

  print('%s; %d CPUs; %d repeat(s) of %d steps after %d warm-up, load average %s' % (
      ' vs '.join(contenders), os.cpu_count(), args.repeats, args.steps, args.warmup,
      _harness.load_average()), flush=True)
  options = ['--steps', str(args.steps), '--warmup', str(args.warmup)]
  if args.shared_tools:
    options += ['--shared-tools', args.shared_tools]
  summary = collections.OrderedDict()
  for network in networks:
    spec = NETWORKS[network]
    print('%s: batch %d, %d x %d' % (network, spec.batch, spec.size, spec.size), flush=True)
    for name in contenders:
      if missing(name, network):
        print('  %s skipped: %s' % (name, missing(name, network)))
    names = [name for name in contenders if not missing(name, network)]
    if not names:
      continue
    results = _harness.run_interleaved(
        os.path.abspath(__file__), names, args.repeats,
        child_args=lambda name, network=network: ['--child', name, network] + options)
    summary[network] = report(network, results)
  print('Summary (%s; %d repeat(s), load average at the end %s):'
        % (', '.join(contenders), args.repeats, _harness.load_average()))
  print_summary(summary)
  return 0


if __name__ == '__main__':
  sys.exit(main())
