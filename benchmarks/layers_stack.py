"""Graph build time and training-step time of a conv2d / batch_norm / relu stack,
slim against tf_slim 1.1.0 (the reference), side by side in one run.

Both build the same network in graph mode on the same input: `--layers`
convolutions of `--channels` 3x3 filters, each followed by batch_norm (training
mode, moving statistics updated through UPDATE_OPS) and relu, then a mean loss
and a plain SGD step that runs UPDATE_OPS. Builds and steps alternate between
the two libraries; the figures are medians.

    python benchmarks/layers_stack.py                       # 20 layers, 32x56x56x64
    python benchmarks/layers_stack.py --batch 8 --size 28   # quicker

Needs tf-slim 1.1.0 and tf-keras for the reference, through tf_slim_reference.py
(see _harness.load_reference).
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402

sys.path.insert(0, _harness.REPO)

import slim  # noqa: E402


def build_stack(module, images, num_layers, channels):
  """The layers under test: conv2d + batch_norm + relu, `num_layers` times."""
  with module.arg_scope([module.conv2d], num_outputs=channels, kernel_size=[3, 3],
                        normalizer_fn=module.batch_norm,
                        normalizer_params={'is_training': True, 'scale': True}):
    net = images
    for i in range(num_layers):
      net = module.conv2d(net, scope='conv%d' % (i + 1))
  return net


def build_graph(module, images_value, num_layers, channels):
  """A graph with the stack and a training step; returns (graph, seconds to build
  the stack, init op, init feed, train op)."""
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    feed = tf.compat.v1.placeholder(tf.float32, images_value.shape)
    images = tf.Variable(feed, trainable=False, name='images')
    start = time.perf_counter()
    net = build_stack(module, images, num_layers, channels)
    seconds = time.perf_counter() - start
    loss = tf.reduce_mean(tf.square(net))
    updates = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
    if len(updates) != 2 * num_layers:
      sys.exit('layers_stack: %s made %d update ops, expected %d'
               % (module.__name__, len(updates), 2 * num_layers))
    with tf.control_dependencies(updates):
      train_op = tf.compat.v1.train.GradientDescentOptimizer(0.01).minimize(loss)
    init = tf.compat.v1.global_variables_initializer()
  return graph, seconds, init, {feed: images_value}, train_op


class Trainer(object):
  """A session running the training step of one library's graph."""

  def __init__(self, module, images_value, num_layers, channels):
    graph, _, init, init_feed, self._train_op = build_graph(module, images_value,
                                                            num_layers, channels)
    self._session = tf.compat.v1.Session(graph=graph)
    self._session.run(init, init_feed)

  def step(self):
    """Runs one step; returns its seconds."""
    start = time.perf_counter()
    self._session.run(self._train_op)
    return time.perf_counter() - start

  def close(self):
    self._session.close()


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--layers', type=int, default=20)
  parser.add_argument('--batch', type=int, default=32)
  parser.add_argument('--size', type=int, default=56, help='height and width')
  parser.add_argument('--channels', type=int, default=64)
  parser.add_argument('--builds', type=int, default=9, help='builds per library')
  parser.add_argument('--warmup', type=int, default=2, help='steps before timing')
  parser.add_argument('--runs', type=int, default=5, help='timed steps per library')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  args = parser.parse_args()

  tf_slim = _harness.load_reference(args.shared_tools, 'layers_stack')
  images_value = np.random.RandomState(0).rand(
      args.batch, args.size, args.size, args.channels).astype(np.float32)
  libraries = (('slim', slim), ('tf_slim', tf_slim))
  print('%d x (conv2d 3x3 + batch_norm + relu), input %s, graph mode, training with '
        'UPDATE_OPS, TensorFlow %s; load %s' % (args.layers, list(images_value.shape),
                                                 tf.__version__, _harness.load_average()))

  # Builds and steps alternate between the libraries, so that other load on
  # the machine falls on both alike.
  build = {name: [] for name, _ in libraries}
  for _ in range(args.builds):
    for name, module in libraries:
      build[name].append(build_graph(module, images_value, args.layers, args.channels)[1])
  trainers = {name: Trainer(module, images_value, args.layers, args.channels)
              for name, module in libraries}
  steps = {name: [] for name, _ in libraries}
  for run in range(args.warmup + args.runs):
    for name, _ in libraries:
      seconds = trainers[name].step()
      if run >= args.warmup:
        steps[name].append(seconds)
  for trainer in trainers.values():
    trainer.close()

  print('%-8s %14s %14s' % ('', 'build (ms)', 'step (ms)'))
  medians = {}
  for name, _ in libraries:
    medians[name] = (statistics.median(build[name]), statistics.median(steps[name]))
    print('%-8s %14.1f %14.1f' % (name, 1e3 * medians[name][0], 1e3 * medians[name][1]))
  print(_harness.ratio_line('build time, slim / tf_slim', medians['slim'][0],
                            medians['tf_slim'][0]))
  print(_harness.ratio_line('step time, slim / tf_slim', medians['slim'][1],
                            medians['tf_slim'][1]))
  print('load average at the end: %s' % _harness.load_average())


if __name__ == '__main__':
  main()
