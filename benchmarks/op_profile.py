"""Where a training step spends its time, per TensorFlow op type: slim's graph-mode step
against the other contenders of benchmarks/nets.py, each in a process of its own.

Each contender builds benchmarks/nets.py's training step for the network (the same
batch, loss and optimizer), runs it --warmup times, times --steps runs, then runs them
again under TensorFlow's profiler (`tf.profiler.experimental`) and sums the executed
ops' durations by op type, from the trace's host events ('name:Type'). The op times
of the threads add up: their sum exceeds the step's wall time on a multi-core machine.

    python benchmarks/op_profile.py --network vgg_16                  # slim, keras
    python benchmarks/op_profile.py --network inception_v3 --contenders slim,tf_slim,keras
    python benchmarks/op_profile.py --network resnet_v1_50 --top 10 --names 5
"""
import argparse
import collections
import glob
import os
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p) != _HERE]

from benchmarks import _harness  # noqa: E402  pylint: disable=wrong-import-position
from benchmarks import _keras_nets  # noqa: E402  pylint: disable=wrong-import-position
from benchmarks import nets  # noqa: E402  pylint: disable=wrong-import-position


def _step(tf, contender, network, args):
  """A function running one training step of `network` in `contender`."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  spec = nets.NETWORKS[network]
  rng = np.random.RandomState(0)
  images_value = rng.uniform(-1, 1, (spec.batch, spec.size, spec.size, 3)).astype(np.float32)
  labels_value = rng.randint(0, nets.NUM_CLASSES, spec.batch).astype(np.int32)
  if contender == 'keras':
    step, _ = _keras_nets.training_step(network, tf.Variable(images_value, trainable=False),
                                        tf.Variable(labels_value, trainable=False),
                                        nets.NUM_CLASSES, spec.weight_decay)
    return lambda: step().numpy()
  lib = (__import__('slim') if contender == 'slim' else
         _harness.load_reference(args.shared_tools, owner='benchmarks/op_profile.py'))
  network_fn, arg_scope_fn = nets.network_functions(lib, network)
  graph, images, labels = nets.graph_with_inputs(tf, images_value, labels_value)
  with graph.as_default():
    train_op = nets.graph_training_step(tf, lib, network_fn, arg_scope_fn, images, labels)
    init = tf.compat.v1.global_variables_initializer()
  session = tf.compat.v1.Session(graph=graph)
  session.run(init)
  return lambda: session.run(train_op)


def _op_times(logdir):
  """({op type: summed ms}, {op name: summed ms}) of the profile in `logdir`."""
  from tensorflow.tsl.profiler.protobuf import xplane_pb2  # pylint: disable=import-outside-toplevel
  paths = glob.glob(os.path.join(logdir, '**', '*.xplane.pb'), recursive=True)
  if len(paths) != 1:
    raise RuntimeError('op_profile: expected one .xplane.pb under %s, found %d'
                       % (logdir, len(paths)))
  space = xplane_pb2.XSpace()
  with open(paths[0], 'rb') as f:
    space.ParseFromString(f.read())
  by_type, by_name = collections.Counter(), collections.Counter()
  for plane in space.planes:
    for line in plane.lines:
      for event in line.events:
        name, _, op_type = plane.event_metadata[event.metadata_id].name.rpartition(':')
        # Executed ops are 'scope/name:Type'; skip the runtime's own events
        # ('ExecutorState::Process', 'EagerLocalExecute: ...').
        if (name and not name.endswith(':') and op_type[:1].isupper() and
            ' ' not in op_type + name):
          by_type[op_type] += event.duration_ps / 1e9
          by_name[name + ':' + op_type] += event.duration_ps / 1e9
  return by_type, by_name


def child(contender, network, args):
  """Times and profiles `network`'s training step in `contender`; emits the figures."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  run = _step(tf, contender, network, args)
  for _ in range(args.warmup):
    run()
  start = time.perf_counter()
  for _ in range(args.steps):
    run()
  step_s = (time.perf_counter() - start) / args.steps
  with tempfile.TemporaryDirectory(prefix='op_profile-') as logdir:
    tf.profiler.experimental.start(logdir)
    for _ in range(args.steps):
      run()
    tf.profiler.experimental.stop()
    by_type, by_name = _op_times(logdir)
  _harness.emit({'step s': step_s, 'op ms': sum(by_type.values()) / args.steps,
                 'types': [(k, ms / args.steps) for k, ms in by_type.most_common(args.top)],
                 'names': [(k, ms / args.steps) for k, ms in by_name.most_common(args.names)]})


def report(network, results):
  """Per contender: wall time per step, the ops' summed time, the top op types and ops."""
  for contender, result in results.items():
    total = result['op ms']
    print('\n%s %s: %.3f s a step (%.2f images/s); ops %.0f ms a step, summed over threads'
          % (network, contender, result['step s'],
             nets.NETWORKS[network].batch / result['step s'], total))
    for op_type, ms in result['types']:
      print('  %-38s %8.1f ms %5.1f%%' % (op_type, ms, 100.0 * ms / total))
    if result['names']:
      print('  the slowest ops:')
      for name, ms in result['names']:
        print('    %8.1f ms  %s' % (ms, name))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--network', default='vgg_16', choices=sorted(nets.NETWORKS))
  parser.add_argument('--contenders', default='slim,keras',
                      help='comma-separated, of: slim, tf_slim, keras (default %(default)s)')
  parser.add_argument('--steps', type=int, default=3, help='timed and profiled steps')
  parser.add_argument('--warmup', type=int, default=3, help='untimed steps first')
  parser.add_argument('--top', type=int, default=15, help='op types shown')
  parser.add_argument('--names', type=int, default=8, help='slowest single ops shown')
  parser.add_argument('--shared-tools', help='directory of tf_slim_reference.py')
  parser.add_argument('--child', nargs=2, metavar=('CONTENDER', 'NETWORK'),
                      help=argparse.SUPPRESS)
  args = parser.parse_args()
  if min(args.steps, args.warmup, args.top) < 1 or args.names < 0:
    parser.error('--steps, --warmup and --top must be at least 1, --names at least 0')
  if args.child:
    return child(args.child[0], args.child[1], args)
  contenders = nets.parse_names(parser, '--contenders', args.contenders,
                           ['slim', 'tf_slim', 'keras'])
  lacking = [name for name in contenders if nets.missing(name, args.network)]
  if lacking:
    parser.error('; '.join(nets.missing(name, args.network) for name in lacking))
  options = ['--steps', str(args.steps), '--warmup', str(args.warmup), '--top', str(args.top),
             '--names', str(args.names)]
  if args.shared_tools:
    options += ['--shared-tools', args.shared_tools]
  print('%s, batch %d: %s; %d steps after %d warm-up, load average %s'
        % (args.network, nets.NETWORKS[args.network].batch, ', '.join(contenders), args.steps,
           args.warmup, _harness.load_average()), flush=True)
  results = _harness.run_interleaved(
      os.path.abspath(__file__), contenders, 1, verbose=False,
      child_args=lambda name: ['--child', name, args.network] + options)
  report(args.network, {name: runs[0] for name, runs in results.items()})
  return 0


if __name__ == '__main__':
  sys.exit(main())
