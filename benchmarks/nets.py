"""Networks of `slim.nets` against tf_slim 1.1.0's, side by side in one run.

For each network, the same graph-mode work in both libraries, on the same batch
of random images held in variables: inference images/s (`is_training=False`,
fetching the logits), training-step images/s (softmax cross-entropy, plus the
auxiliary head's at weight 0.4 and the arg scope's weight decay; momentum SGD;
batch-norm moving averages updated through UPDATE_OPS; dropout on), the build
time of the training graph (network, loss and train op, gradients included, in
a fresh process) and peak RSS. Every (library, repetition) is a child process
of its own, in rotating order (benchmarks/_harness.py); figures are medians.

    python benchmarks/nets.py                                  # the four networks
    python benchmarks/nets.py --networks vgg_16,alexnet_v2 --repeats 5
    python benchmarks/nets.py --quick                          # smoke run, < 2 minutes

Needs tf-slim 1.1.0 and tf-keras for the reference, through tf_slim_reference.py
in --shared-tools, $SLIM_SHARED_TOOLS or a `shared/tools` above the checkout.
"""
import argparse
import importlib
import os
import sys
import time

# The directory of this script, first on the path, would shadow the `nets` package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p) != _HERE]

from benchmarks import _harness  # noqa: E402  pylint: disable=wrong-import-position

LIBRARIES = ['slim', 'tf_slim']
NUM_CLASSES = 1000
AUX_LOSS_WEIGHT = 0.4  # research/slim's train_image_classifier

# name -> (module of <library>.nets, function, arg-scope module, arg-scope function,
#          batch, image size, goal for training images/s, slim / tf_slim).
NETWORKS = {
    'inception_v3': ('inception_v3', 'inception_v3', 'inception_v3', 'inception_v3_arg_scope',
                     8, 299, 1.0),
    'resnet_v1_50': ('resnet_v1', 'resnet_v1_50', 'resnet_utils', 'resnet_arg_scope',
                     8, 224, 1.0),
    'vgg_16': ('vgg', 'vgg_16', 'vgg', 'vgg_arg_scope', 4, 224, 1.6),
    'alexnet_v2': ('alexnet', 'alexnet_v2', 'alexnet', 'alexnet_v2_arg_scope', 16, 224, 1.5),
}
BUILD_GOAL = 0.5  # training-graph build seconds, slim / tf_slim at most
RSS_GOAL = 1.0  # peak RSS, slim / tf_slim at most

TRAIN = 'train images/s'
INFER = 'infer images/s'
BUILD = 'train build s'
RSS = 'peak RSS (MB)'
CPU = 'train CPU ms/img'
KEYS = [TRAIN, INFER, BUILD, RSS, CPU]


# --- The child: one library, one network ----------------------------------------------------

def _graph_with_inputs(tf, images_value, labels_value):
  """A new graph holding the batch in variables, so that no step feeds or copies it."""
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.Variable(images_value, trainable=False, name='images')
    labels = tf.compat.v1.Variable(labels_value, trainable=False, name='labels')
  return graph, images, labels


def _training_step(tf, lib, network_fn, arg_scope_fn, images, labels):
  """The train op: cross-entropy (and the auxiliary head's), weight decay, momentum SGD,
  run after UPDATE_OPS."""
  with lib.arg_scope(arg_scope_fn()):
    logits, end_points = network_fn(images, num_classes=NUM_CLASSES, is_training=True)
  onehot = tf.one_hot(labels, NUM_CLASSES)
  loss = tf.compat.v1.losses.softmax_cross_entropy(onehot, tf.reshape(logits, [-1, NUM_CLASSES]))
  if 'AuxLogits' in end_points:
    loss += tf.compat.v1.losses.softmax_cross_entropy(
        onehot, tf.reshape(end_points['AuxLogits'], [-1, NUM_CLASSES]), AUX_LOSS_WEIGHT)
  loss += tf.compat.v1.losses.get_regularization_loss()
  with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
    return tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(loss)


def _images_per_s(tf, graph, fetch, batch, warmup, steps):
  """Steady-state images/s of `fetch` (and the CPU time per image, ms), after `warmup` runs."""
  with graph.as_default():
    init = tf.compat.v1.global_variables_initializer()
  with tf.compat.v1.Session(graph=graph) as session:
    session.run(init)
    clock = _harness.Clock()
    for _ in range(warmup + steps):
      session.run(fetch)
      clock.mark()
  skip = warmup - 1  # the first timed step starts at the last warm-up mark
  return clock.rate(batch, skip), 1000.0 * clock.cpu_per_unit(batch, skip)


def child(library, network, args):
  """Measures `network` in `library` and emits its figures."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  if library == 'slim':
    lib = importlib.import_module('slim')
  else:
    lib = _harness.load_reference(args.shared_tools, owner='benchmarks/nets.py')
  module, function, scope_module, scope_function, batch, size, _ = NETWORKS[network]
  network_fn = getattr(importlib.import_module(lib.__name__ + '.nets.' + module), function)
  arg_scope_fn = getattr(importlib.import_module(lib.__name__ + '.nets.' + scope_module),
                         scope_function)
  rng = np.random.RandomState(0)
  images_value = rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32)
  labels_value = rng.randint(0, NUM_CLASSES, batch).astype(np.int32)

  graph, images, labels = _graph_with_inputs(tf, images_value, labels_value)
  with graph.as_default():
    start = time.perf_counter()
    train_op = _training_step(tf, lib, network_fn, arg_scope_fn, images, labels)
    build_s = time.perf_counter() - start
  train_rate, train_cpu = _images_per_s(tf, graph, train_op, batch, args.warmup, args.steps)

  graph, images, _ = _graph_with_inputs(tf, images_value, labels_value)
  with graph.as_default(), lib.arg_scope(arg_scope_fn()):
    logits, _ = network_fn(images, num_classes=NUM_CLASSES, is_training=False)
  infer_rate, _ = _images_per_s(tf, graph, logits, batch, args.warmup, args.steps)
  _harness.emit({TRAIN: train_rate, INFER: infer_rate, BUILD: build_s, CPU: train_cpu})


# --- The parent ------------------------------------------------------------------------------

def _at_most(label, numerator, denominator, goal):
  """'label: 0.31x (goal <= 0.5x: met)', for costs (lower is better)."""
  value = numerator / denominator
  return '%s: %.2fx (goal <= %.1fx: %s)' % (label, value, goal,
                                            'met' if value <= goal else 'NOT met')


def report(network, results):
  """The table of one network's medians and its ratios slim / tf_slim, with the goals."""
  print()
  _harness.print_table(results, KEYS, names=LIBRARIES)
  med = {key: _harness.medians(results, key) for key in KEYS}
  for line in (
      _harness.ratio_line('%s training images/s' % network, med[TRAIN]['slim'],
                          med[TRAIN]['tf_slim'], goal=NETWORKS[network][6]),
      _harness.ratio_line('%s inference images/s' % network, med[INFER]['slim'],
                          med[INFER]['tf_slim']),
      _harness.ratio_line('%s training CPU time per image (tf_slim / slim)' % network,
                          med[CPU]['tf_slim'], med[CPU]['slim']),
      _at_most('%s training build' % network, med[BUILD]['slim'], med[BUILD]['tf_slim'],
               BUILD_GOAL),
      _at_most('%s peak RSS' % network, med[RSS]['slim'], med[RSS]['tf_slim'], RSS_GOAL)):
    print('  ' + line)
  print(flush=True)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--networks', default=','.join(NETWORKS),
                      help='comma-separated, of: %(default)s')
  parser.add_argument('--repeats', type=int, default=3,
                      help='child processes per library and network (default %(default)s)')
  parser.add_argument('--steps', type=int, default=10,
                      help='timed session runs of each step per child (default %(default)s)')
  parser.add_argument('--warmup', type=int, default=3,
                      help='untimed session runs of each step first (default %(default)s)')
  parser.add_argument('--quick', action='store_true',
                      help='smoke run: 1 repeat of 1 step after 1 warm-up')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', nargs=2, metavar=('LIBRARY', 'NETWORK'), help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.quick:
    args.repeats, args.steps, args.warmup = 1, 1, 1
  if args.repeats < 1 or args.steps < 1 or args.warmup < 1:
    parser.error('--repeats, --steps and --warmup must be at least 1')
  if args.child:
    return child(args.child[0], args.child[1], args)
  networks = [name.strip() for name in args.networks.split(',') if name.strip()]
  unknown = sorted(set(networks) - set(NETWORKS))
  if unknown:
    parser.error('unknown network(s) %s; known: %s' % (', '.join(unknown), ', '.join(NETWORKS)))

  print('slim vs tf_slim 1.1.0, graph mode, %d CPUs; %d repeat(s) of %d steps after %d '
        'warm-up, load average %s' % (os.cpu_count(), args.repeats, args.steps, args.warmup,
                                      _harness.load_average()), flush=True)
  options = ['--steps', str(args.steps), '--warmup', str(args.warmup)]
  if args.shared_tools:
    options += ['--shared-tools', args.shared_tools]
  for network in networks:
    batch, size = NETWORKS[network][4:6]
    print('%s: batch %d, %d x %d' % (network, batch, size, size), flush=True)
    results = _harness.run_interleaved(
        os.path.abspath(__file__), LIBRARIES, args.repeats,
        child_args=lambda library, network=network: ['--child', library, network] + options)
    report(network, results)
  print('load average at the end: %s' % _harness.load_average())
  return 0


if __name__ == '__main__':
  sys.exit(main())
