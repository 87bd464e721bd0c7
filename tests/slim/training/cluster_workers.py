"""The processes of the multi-process training tests (test_loop_cluster.py), each
run in a fresh interpreter with its TF_CONFIG:

    python -m tests.slim.training.cluster_workers multi_worker TRAIN_DIR STEPS OUT [options]
    python -m tests.slim.training.cluster_workers server
    python -m tests.slim.training.cluster_workers coordinator TRAIN_DIR STEPS

`multi_worker` is one worker of a MultiWorkerMirroredStrategy cluster, and
`coordinator` the coordinator of a ParameterServerStrategy one, whose 'ps' and
'worker' tasks are `server`s (which run until killed). Both train the LeNet-like
net on the digits with `slim.training.loop.train` and print one JSON line of
results; `multi_worker` also writes the trained variables to OUT (a .npz file).
"""
import argparse
import functools
import json
import logging
import os
import re
import sys
import time

import numpy as np
import tensorflow as tf

import slim
from slim.training import divergence
from slim.training import loop
from slim.training import run_log as run_log_lib
from tests.slim.training import digits_setup

BATCH_SIZE = 32


class _LogLines(logging.Handler):
  """Keeps TensorFlow's log lines, with their times."""

  def __init__(self):
    super(_LogLines, self).__init__(logging.INFO)
    self.lines = []

  def emit(self, record):
    self.lines.append((record.created, record.getMessage()))

  def find(self, pattern):
    """[(time, match)] of the lines matching `pattern`."""
    return [(created, re.search(pattern, line)) for created, line in self.lines
            if re.search(pattern, line)]


def _capture_logs():
  lines = _LogLines()
  logger = tf.get_logger()
  logger.addHandler(lines)
  logger.setLevel(logging.INFO)
  return lines


def _momentum(learning_rate):
  return tf.compat.v1.train.MomentumOptimizer(learning_rate, 0.9, name='Momentum')


def _summary(lines, result, started):
  """What both kinds of trainers report: the result, the resume and the times."""
  resumed = lines.find(r'resuming from (\S+) \(global step (\d+)\)')
  progress = lines.find(r'^global step (\d+)/')
  return dict(
      step=result.step, loss=result.loss, checkpoint_path=result.checkpoint_path,
      resumed_step=int(resumed[0][1].group(2)) if resumed else None,
      progress_steps=[int(match.group(1)) for _, match in progress],
      saved=[match.group(1) for _, match in lines.find(r'^train: saved (\S+)$')],
      train_seconds=time.time() - started, returned_at=time.time(),
      # From the last progress line (the last step) to `train` returning.
      return_seconds=time.time() - progress[-1][0] if progress else None)


def _nan_from(step, worker):
  """A map over the (index, batch) of a worker's input making the images of
  batch `step` on `worker` NaN (and only there)."""
  def poison(index, batch):
    images, labels = batch
    bad = tf.logical_and(tf.equal(index, step), tf.equal(worker, 1))
    return tf.where(bad, images * np.nan, images), labels
  return poison


def multi_worker(args):
  """One worker of a MultiWorkerMirroredStrategy cluster from TF_CONFIG."""
  strategy = tf.distribute.MultiWorkerMirroredStrategy()
  task = strategy.cluster_resolver.task_id
  lines = _capture_logs()
  model = slim.Model(functools.partial(digits_setup.lenet_like, batch_norm=True))

  def dataset_fn(context):
    batches = digits_setup.train_dataset(context.get_per_replica_batch_size(BATCH_SIZE),
                                         seed=context.input_pipeline_id)
    if args.nan_at is not None:  # a NaN in one worker's batch of that step only
      batches = batches.enumerate().map(_nan_from(args.nan_at - 1, task))
    return batches

  train_dir = args.other_train_dir if args.other_train_dir and task else args.train_dir
  run_log = run_log_lib.RunLog(os.path.join(train_dir, 'run_log.jsonl'))
  # Only this worker's clock may make a save due: the others follow it.
  save_interval_secs = args.save_secs if task == args.save_secs_worker else 600
  started = time.time()
  report = dict(task=task, pid=os.getpid(), chief=strategy.extended.should_checkpoint)
  try:
    result = loop.train(
        model, dataset_fn, digits_setup.loss_fn, _momentum, learning_rate=0.02,
        strategy=strategy, train_dir=train_dir, max_number_of_steps=args.steps,
        moving_average_decay=0.99, log_every_n_steps=5, save_summaries_steps=5,
        save_interval_steps=10, save_interval_secs=save_interval_secs, max_to_keep=100,
        run_log=run_log)
  except divergence.LossDivergedError as error:
    report.update(diverged=str(error), diverged_step=error.step,
                  train_seconds=time.time() - started)
  except ValueError as error:
    report.update(error=str(error), train_seconds=time.time() - started)
  else:
    report.update(_summary(lines, result, started))
    np.savez(args.out, **{name: var.numpy() for name, var in model.variables_by_name.items()})
  run_log.close()
  worker_dirs = lines.find(r'^train: not the chief: this worker saves into (\S+) ')
  report['worker_dir'] = worker_dirs[0][1].group(1) if worker_dirs else None
  report['worker_dir_left'] = bool(worker_dirs) and os.path.exists(report['worker_dir'])
  return report


def server(unused_args):
  """A 'ps' or 'worker' task of a ParameterServerStrategy cluster: runs until killed."""
  resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
  server_ = tf.distribute.Server(resolver.cluster_spec(), job_name=resolver.task_type,
                                 task_index=resolver.task_id,
                                 protocol=resolver.rpc_layer or 'grpc', start=True)
  print(json.dumps({'started': '%s:%d' % (resolver.task_type, resolver.task_id)}), flush=True)
  server_.join()


def coordinator(args):
  """The coordinator ('chief') of a ParameterServerStrategy cluster from TF_CONFIG."""
  resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
  strategy = tf.distribute.experimental.ParameterServerStrategy(resolver)
  lines = _capture_logs()
  model = slim.Model(digits_setup.lenet_like)
  train = functools.partial(
      loop.train, model, digits_setup.train_dataset(BATCH_SIZE), digits_setup.loss_fn,
      _momentum, learning_rate=0.02, strategy=strategy, train_dir=args.train_dir,
      moving_average_decay=0.99, log_every_n_steps=5, save_interval_steps=10)
  try:
    train(max_number_of_steps=None)
    refused = None
  except ValueError as error:
    refused = str(error)
  started = time.time()
  result = train(max_number_of_steps=args.steps)
  report = _summary(lines, result, started)
  report['without_max_number_of_steps'] = refused
  reader = tf.train.load_checkpoint(result.checkpoint_path)
  report.update(
      model_names=list(model.variables_by_name),
      names=sorted(reader.get_variable_to_shape_map()),
      checkpoint_global_step=int(reader.get_tensor('global_step')),
      saved_equals_model=all(np.array_equal(reader.get_tensor(name), var.numpy())
                             for name, var in model.variables_by_name.items()))
  return report


def main(argv):
  parser = argparse.ArgumentParser()
  commands = parser.add_subparsers(dest='command', required=True)
  for name in ('multi_worker', 'coordinator'):
    command = commands.add_parser(name)
    command.add_argument('train_dir')
    command.add_argument('steps', type=int)
    if name == 'multi_worker':
      command.add_argument('out')
      command.add_argument('--nan_at', type=int, default=None,
                           help='the global step whose batch is NaN on worker 1')
      command.add_argument('--save_secs', type=float, default=600)
      command.add_argument('--save_secs_worker', type=int, default=None,
                           help='the worker whose save_interval_secs is --save_secs')
      command.add_argument('--other_train_dir', default=None,
                           help='the train_dir of the workers other than the chief')
  commands.add_parser('server')
  args = parser.parse_args(argv)
  report = {'multi_worker': multi_worker, 'server': server,
            'coordinator': coordinator}[args.command](args)
  print(json.dumps(report), flush=True)


if __name__ == '__main__':
  main(sys.argv[1:])
