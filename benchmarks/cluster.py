"""Loopback clusters: examples/s of 2 workers vs 1 on each distributed path.

    PYTHONPATH=$PWD python benchmarks/cluster.py [--paths graph_async,graph_sync,
        multi_worker,parameter_server] [--steps 200] [--repeats 2]

Each configuration is a real cluster of processes on localhost:
- graph_async / graph_sync: train_image_classifier, 1 parameter server and N
  workers (--sync_replicas --replicas_to_aggregate=N for sync);
- multi_worker: `slim.training.loop.train` under MultiWorkerMirroredStrategy,
  N workers from TF_CONFIG;
- parameter_server: `loop.train` under ParameterServerStrategy, a coordinator,
  1 parameter server and N worker servers.

All train LeNet on the digits, batch 32 per worker. The rate is read from the
chief's run log (its progress records: global step and time) after the first
records, so start-up and tracing are left out; it counts every worker's examples.
On a machine with fewer cores than processes this is not a speed-up figure: the
workers share the cores, and the ratio shows what each path costs per step.
"""
import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = ('graph_async', 'graph_sync', 'multi_worker', 'parameter_server')
BATCH = 32


def _ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(('localhost', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ['localhost:%d' % port for port in ports]


def _start(command, env=None):
  return subprocess.Popen(command, cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO,
                                                      TF_CPP_MIN_LOG_LEVEL='2', **(env or {})),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _finish(processes, timeout=900):
  failures = []
  for process in processes:
    try:
      _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
      process.kill()
      _, stderr = process.communicate()
    if process.returncode:
      failures.append(stderr[-2000:])
  if failures:
    raise RuntimeError('a process of the cluster failed:\n' + '\n'.join(failures))


def _rate(run_log, examples_per_step, skip=2):
  """Examples/s between the progress record `skip` and the last one."""
  with open(run_log) as f:
    steps = [record for record in map(json.loads, f) if record.get('event') == 'step']
  first, last = steps[skip], steps[-1]
  if last['time'] <= first['time']:
    raise RuntimeError('%s: too few progress records to time: %s' % (run_log, steps))
  return (last['global_step'] - first['global_step']) * examples_per_step / (
      last['time'] - first['time'])


def _graph(workdir, workers, steps, sync):
  hosts = _ports(1 + workers)
  flags = ['--dataset_name=digits', '--dataset_dir=%s/digits' % workdir, '--model_name=lenet',
           '--train_dir=%s/train' % workdir, '--optimizer=sgd', '--learning_rate=0.01',
           '--learning_rate_decay_type=fixed', '--weight_decay=0', '--batch_size=%d' % BATCH,
           '--max_number_of_steps=%d' % steps, '--log_every_n_steps=20',
           '--num_readers=1', '--num_preprocessing_threads=2',
           '--ps_hosts=' + hosts[0], '--worker_hosts=' + ','.join(hosts[1:])]
  if sync:
    flags += ['--sync_replicas', '--replicas_to_aggregate=%d' % workers]
  tool = [sys.executable, '-m', 'slim.tools.train_image_classifier'] + flags
  processes = [_start(tool + ['--job_name=ps', '--task=0'])]
  processes += [_start(tool + ['--task=%d' % i]) for i in range(workers)]
  _finish(processes)
  return _rate('%s/train/run_log.jsonl' % workdir, BATCH * (workers if sync else 1))


def _tf2(workdir, workers, steps, strategy):
  hosts = _ports(workers + (2 if strategy == 'parameter_server' else 0))
  me = [sys.executable, os.path.abspath(__file__), '--tf2_task', strategy,
        '--steps', str(steps), '--workdir', workdir]
  processes = []
  if strategy == 'multi_worker':
    cluster = {'worker': hosts}
    tasks = [('worker', i) for i in range(workers)]
  else:
    cluster = {'chief': hosts[:1], 'ps': hosts[1:2], 'worker': hosts[2:]}
    tasks = [('ps', 0)] + [('worker', i) for i in range(workers)] + [('chief', 0)]
  for job, index in tasks:
    processes.append(_start(me, env={'TF_CONFIG': json.dumps(
        {'cluster': cluster, 'task': {'type': job, 'index': index}})}))
  _finish(processes[-1:] if strategy == 'parameter_server' else processes)
  for process in processes:  # the parameter_server servers serve until killed
    process.kill()
    process.communicate()
  return _rate('%s/train/run_log.jsonl' % workdir,
               BATCH * (workers if strategy == 'multi_worker' else 1))


def tf2_task(strategy_name, steps, workdir):
  """One process of a TF2 cluster: a server, or a trainer running loop.train."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
  if resolver.task_type in ('ps', 'worker') and strategy_name == 'parameter_server':
    tf.distribute.Server(resolver.cluster_spec(), job_name=resolver.task_type,
                         task_index=resolver.task_id, protocol='grpc', start=True).join()
  import slim  # pylint: disable=import-outside-toplevel
  from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
  from slim.nets import lenet  # pylint: disable=import-outside-toplevel
  from slim.training import loop, run_log  # pylint: disable=import-outside-toplevel
  if strategy_name == 'multi_worker':
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
  else:
    strategy = tf.distribute.ParameterServerStrategy(resolver)
  images, labels = download_and_convert_digits.load_splits()['train']
  images = images.astype(np.float32) / 255.0

  def dataset_fn(input_context=None):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))
    return dataset.shuffle(len(images)).repeat().batch(BATCH).prefetch(2)

  def loss_fn(model, batch):
    logits, _ = model(batch[0], is_training=True)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=batch[1], logits=logits))

  model = slim.Model(lambda x, is_training: lenet.lenet(x, num_classes=10,
                                                        is_training=is_training))
  chief = strategy.extended.should_checkpoint
  log = run_log.RunLog('%s/train/run_log.jsonl' % workdir) if chief else None
  with log if log is not None else contextlib.nullcontext():
    loop.train(model, dataset_fn, loss_fn,
               optimizer=tf.compat.v1.train.GradientDescentOptimizer(0.01),
               train_dir='%s/train' % workdir, max_number_of_steps=steps, strategy=strategy,
               log_every_n_steps=20, save_interval_secs=3600, run_log=log)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--paths', default=','.join(PATHS))
  parser.add_argument('--steps', type=int, default=200)
  parser.add_argument('--repeats', type=int, default=2)
  parser.add_argument('--tf2_task', help=argparse.SUPPRESS)
  parser.add_argument('--workdir', help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.tf2_task:
    return tf2_task(args.tf2_task, args.steps, args.workdir)
  print('cores: %d, load average %s' % (os.cpu_count(), '%.2f %.2f %.2f' % os.getloadavg()))
  with tempfile.TemporaryDirectory() as root:
    subprocess.run([sys.executable, '-m', 'slim.tools.download_and_convert_data',
                    '--dataset_name=digits', '--dataset_dir=%s/digits' % root], cwd=REPO,
                   check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=REPO))
    print('%-18s %14s %14s %8s' % ('path', '1 worker ex/s', '2 workers ex/s', 'ratio'))
    for path in args.paths.split(','):
      rates = {1: [], 2: []}
      for _ in range(args.repeats):
        for workers in (1, 2):
          workdir = tempfile.mkdtemp(dir=root)
          os.symlink('%s/digits' % root, '%s/digits' % workdir)
          if path.startswith('graph'):
            rate = _graph(workdir, workers, args.steps, path == 'graph_sync')
          else:
            rate = _tf2(workdir, workers, args.steps, path)
          rates[workers].append(rate)
      one, two = statistics.median(rates[1]), statistics.median(rates[2])
      print('%-18s %14.0f %14.0f %7.2fx' % (path, one, two, two / one), flush=True)
  return 0


if __name__ == '__main__':
  sys.exit(main())
