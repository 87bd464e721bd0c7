"""train_image_classifier on real clusters of processes on loopback: one parameter
server and two workers started with the same command but --job_name/--task,
asynchronous and synchronous, and a worker or the parameter server killed with -9
(bounded exit naming it, then resume from the last checkpoint)."""
import json
import time

import pytest
import tensorflow as tf

from slim.tools import cluster_lib
from tests.slim import cluster
from tests.slim import fresh_python
from tests.slim.tools import train_eval_setup as setup

PEER_TIMEOUT_SECS = 5
# A worker whose peer is gone exits within this (the watch, then the grace period).
EXIT_BOUND_SECS = PEER_TIMEOUT_SECS + 2 + cluster_lib.EXIT_GRACE_SECS + 10


def _cluster_flags(digits_dir, train_dir, hosts, *extra):
  return setup.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=%s' % digits_dir, '--train_dir=%s' % train_dir, '--batch_size=20',
      '--ps_hosts=' + hosts[0], '--worker_hosts=' + ','.join(hosts[1:]),
      '--peer_timeout_secs=%d' % PEER_TIMEOUT_SECS, '--log_every_n_steps=10'] + list(extra)


def _start(processes, flags, names=('ps', 'chief', 'worker1')):
  tasks = {'ps': ['--job_name=ps', '--task=0'], 'chief': ['--task=0'],
           'worker1': ['--task=1']}
  for name in names:
    processes.start(name, fresh_python.tool_command('train_image_classifier',
                                                    *(flags + tasks[name])))


def _wait_for_checkpoint(train_dir, processes, timeout=180):
  start = time.time()
  while time.time() - start < timeout:
    path = tf.train.latest_checkpoint(str(train_dir))
    if path and int(path.rsplit('-', 1)[1]) > 0:
      return path
    time.sleep(0.5)
  raise AssertionError('no checkpoint in %s after %ds: %s'
                       % (train_dir, timeout, processes.wait('chief', timeout=1)))


def _step(path):
  return int(path.rsplit('-', 1)[1])


def _check_finished(processes, names, timeout=240):
  results = {}
  for name in names:
    status, stdout, stderr, _ = processes.wait(name, timeout=timeout)
    assert status == 0, (name, stdout[-2000:], stderr[-4000:])
    results[name] = stdout + stderr
  return results


def _start_from_tf_config(processes, flags, hosts):
  """The cluster as Kubernetes-style TF_CONFIG describes it: a 'chief' job."""
  jobs = {'ps': ('ps', 0), 'chief': ('chief', 0), 'worker1': ('worker', 0)}
  cluster_def = {'ps': hosts[:1], 'chief': hosts[1:2], 'worker': hosts[2:]}
  for name, (job, index) in jobs.items():
    processes.start(name, fresh_python.tool_command('train_image_classifier', *flags),
                    env={'TF_CONFIG': json.dumps({'cluster': cluster_def,
                                                  'task': {'type': job, 'index': index}})})


@pytest.mark.parametrize('mode', ['async', 'sync'])
def test_a_cluster_trains_and_every_process_exits(digits_dir, tmp_path, mode):
  """Asynchronous with --ps_hosts/--worker_hosts; synchronous from TF_CONFIG."""
  train_dir = tmp_path / 'train'
  hosts = cluster.addresses(3)
  start = time.time()
  with cluster.Processes() as processes:
    if mode == 'async':
      _start(processes, _cluster_flags(digits_dir, train_dir, hosts,
                                       '--max_number_of_steps=40'))
    else:
      flags = [flag for flag in _cluster_flags(digits_dir, train_dir, hosts)
               if not flag.startswith(('--ps_hosts', '--worker_hosts'))]
      _start_from_tf_config(processes, flags + [
          '--max_number_of_steps=40', '--sync_replicas', '--replicas_to_aggregate=2'], hosts)
    outputs = _check_finished(processes, ['chief', 'worker1', 'ps'])
  print('%s cluster of 1 ps and 2 workers: %.1f s' % (mode, time.time() - start))
  assert 'worker task 0 is done' in outputs['ps'] and 'worker task 1 is done' in outputs['ps']
  # Both workers trained; the chief alone wrote the checkpoints and the events.
  assert setup.progress_lines(outputs['chief']) and setup.progress_lines(outputs['worker1'])
  step = _step(tf.train.latest_checkpoint(str(train_dir)))
  assert step == 40 if mode == 'sync' else 40 <= step <= 41
  assert len(list(train_dir.glob('events.out.tfevents.*'))) == 1
  assert (train_dir / 'flags.json').exists()
  if mode == 'sync':  # the chief's first update waited for both workers' gradients
    assert 'Synchronous training: waiting for the 2 workers' in outputs['chief']


@pytest.mark.parametrize('victim, named, mode', [
    ('worker1', 'worker task 1', 'sync'), ('ps', 'parameter server task 0', 'sync'),
    ('chief', 'the chief, worker task 0', 'async')])
def test_a_killed_task_stops_the_workers_then_training_resumes(digits_dir, tmp_path, victim,
                                                               named, mode):
  """The workers left stop naming the task; restarted, the cluster resumes from the
  last checkpoint. When the chief dies in async training, worker 1 trains on alone
  past that checkpoint until it stops: the surviving parameter server's global step
  is stale, and the restarted worker must wait for the restored one."""
  train_dir = tmp_path / 'train'
  hosts = cluster.addresses(3)
  sync = ['--sync_replicas', '--replicas_to_aggregate=2'] if mode == 'sync' else []
  flags = _cluster_flags(digits_dir, train_dir, hosts, *sync, '--save_interval_secs=1',
                         '--max_number_of_steps=100000')
  with cluster.Processes() as processes:
    _start(processes, flags)
    _wait_for_checkpoint(train_dir, processes)
    time.sleep(1)
    processes.kill(victim)
    killed = time.time()
    stopped = {'worker1': ['chief'], 'ps': ['chief', 'worker1'], 'chief': ['worker1']}[victim]
    for name in stopped:
      status, stdout, stderr, _ = processes.wait(name, timeout=EXIT_BOUND_SECS + 30)
      waited = time.time() - killed
      print('%s exited %.1f s after the kill -9 of %s' % (name, waited, victim))
      assert status == 1 and waited < EXIT_BOUND_SECS, (status, waited, stderr[-3000:])
      error = stderr.strip().splitlines()[-1]
      address = hosts[('ps', 'chief', 'worker1').index(victim)]
      assert error.startswith('train_image_classifier: error: %s (%s) is unreachable'
                              % (named, address)), error
      assert 'training resumes from' in error and 'Traceback' not in stderr
    saved = _step(tf.train.latest_checkpoint(str(train_dir)))

    # Restart what is gone (the parameter server kept the variables if alive): the
    # chief restores its last checkpoint, global step included, and goes on.
    restart = [name for name in ('ps', 'chief', 'worker1') if name == victim or
               name in stopped]
    flags[-1] = '--max_number_of_steps=%d' % (saved + 20)
    _start(processes, flags, restart)
    outputs = _check_finished(processes, ['chief', 'worker1', 'ps'])
  assert 'Restoring parameters from %s' % (train_dir / ('model.ckpt-%d' % saved)) in (
      outputs['chief'])
  first = setup.progress_lines(outputs['chief'])[0]
  assert int(first.split('global step ')[1].split('/')[0]) > saved, first
  assert setup.progress_lines(outputs['worker1']), outputs['worker1'][-2000:]
  # An asynchronous worker may add its step to the last one (as in research/slim).
  final = _step(tf.train.latest_checkpoint(str(train_dir)))
  assert final == saved + 20 or (mode == 'async' and final == saved + 21), (final, saved)
