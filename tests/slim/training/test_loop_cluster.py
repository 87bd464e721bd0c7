"""slim.training.loop.train on real clusters of processes on loopback: two
MultiWorkerMirroredStrategy workers, and a ParameterServerStrategy coordinator
with one ps and two worker servers (the processes run cluster_workers.py); and
the strategies train refuses."""
import functools
import glob
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import loop
from tests.slim import cluster
from tests.slim import fresh_python
from tests.slim.training import digits_setup

WORKERS = 'tests.slim.training.cluster_workers'


def _tf_config(spec, task_type, index):
  return json.dumps({'cluster': spec, 'task': {'type': task_type, 'index': index}})


def _report(processes, name, timeout=240):
  status, stdout, stderr, seconds = processes.wait(name, timeout=timeout)
  assert status == 0, (name, status, seconds, stdout[-3000:], stderr[-6000:])
  return json.loads(stdout.strip().splitlines()[-1])


def _multi_worker(tmp_path, train_dir, steps, *options):
  """Runs two workers of a MultiWorkerMirroredStrategy cluster training in
  `train_dir`, each with its own TMPDIR; returns their reports and the paths of
  their trained variables."""
  spec = {'worker': cluster.addresses(2)}
  outs = [str(tmp_path / ('worker%d-%d.npz' % (index, steps))) for index in range(2)]
  with cluster.Processes() as processes:
    for index in range(2):
      tmpdir = tmp_path / ('tmp%d' % index)
      tmpdir.mkdir(exist_ok=True)
      processes.start(index, fresh_python.module_command(
          WORKERS, 'multi_worker', train_dir, steps, outs[index], *options),
                      env=dict(TF_CONFIG=_tf_config(spec, 'worker', index),
                               TMPDIR=str(tmpdir)))
    reports = [_report(processes, index) for index in range(2)]
  print('multi-worker, %d steps: %s' % (steps, [
      {key: report.get(key) for key in ('task', 'train_seconds', 'return_seconds')}
      for report in reports]))
  return reports, outs


def _assert_same_weights(first, second):
  with np.load(first) as a, np.load(second) as b:
    assert sorted(a.files) == sorted(b.files)
    for name in a.files:
      np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def _step(path):
  return int(path.rsplit('-', 1)[1])


def test_multi_worker_mirrored_trains_in_lockstep_saves_on_the_chief_and_resumes(tmp_path):
  train_dir = str(tmp_path / 'train')
  # Only worker 1's clock makes saves due (every 0.05 s): the chief saves with it.
  (chief, other), outs = _multi_worker(tmp_path, train_dir, 30, '--save_secs=0.05',
                                       '--save_secs_worker=1')
  assert (chief['task'], chief['chief'], other['task'], other['chief']) == (0, True, 1, False)
  assert chief['step'] == other['step'] == 30
  assert chief['loss'] == other['loss']
  _assert_same_weights(*outs)
  # Both return at once after the last step.
  for report in (chief, other):
    assert report['return_seconds'] < 3, report
  assert abs(chief['returned_at'] - other['returned_at']) < 3

  # The chief's saves: 10 steps after the previous one at the latest, and
  # whenever worker 1's clock said so, which the chief's alone never would.
  saved = [_step(path) for path in chief['saved']]
  assert saved[-1] == 30 and max(b - a for a, b in zip([0] + saved, saved)) <= 10
  assert saved != [10, 20, 30]
  assert chief['checkpoint_path'] == other['checkpoint_path'] == os.path.join(
      train_dir, 'model.ckpt-30')
  assert other['saved'] == []  # logged by the chief only
  # train_dir holds the chief's checkpoints and events only; the other worker's
  # temporary directory (outside train_dir) is gone.
  assert sorted(_step(path[:-len('.index')])
                for path in glob.glob(os.path.join(train_dir, '*.index'))) == saved
  assert tf.train.latest_checkpoint(train_dir) == chief['checkpoint_path']
  event_files = glob.glob(os.path.join(train_dir, 'events.out.tfevents.*'))
  assert len(event_files) == 1 and '.%d.' % chief['pid'] in os.path.basename(event_files[0])
  assert chief['worker_dir'] is None
  assert other['worker_dir'].startswith(str(tmp_path / 'tmp1'))
  assert not other['worker_dir_left'] and os.listdir(str(tmp_path / 'tmp1')) == []
  with open(os.path.join(train_dir, 'run_log.jsonl')) as f:
    logged = [json.loads(line)['global_step'] for line in f]
  assert logged == chief['progress_steps'] == [5, 10, 15, 20, 25, 30]
  reader = tf.train.load_checkpoint(chief['checkpoint_path'])
  with np.load(outs[0]) as trained:
    for name in trained.files:
      np.testing.assert_array_equal(reader.get_tensor(name), trained[name], err_msg=name)

  # A second run resumes on both workers at the chief's last checkpoint.
  first_chief = chief['pid']
  (chief, other), outs = _multi_worker(tmp_path, train_dir, 50)
  assert chief['resumed_step'] == other['resumed_step'] == 30
  assert chief['step'] == other['step'] == 50
  assert chief['progress_steps'] == other['progress_steps'] == [35, 40, 45, 50]
  _assert_same_weights(*outs)
  assert [_step(path) for path in chief['saved']] == [40, 50]
  writers = sorted(int(os.path.basename(name).split('.')[-3])
                   for name in glob.glob(os.path.join(train_dir, 'events.out.tfevents.*')))
  assert writers == sorted([first_chief, chief['pid']])  # the chief of each run
  assert os.listdir(str(tmp_path / 'tmp1')) == []


def test_multi_worker_mirrored_a_nan_on_one_worker_stops_both(tmp_path):
  """A NaN in worker 1's half of the batch of step 7: the reduced loss is NaN on
  both workers, which both raise LossDivergedError at step 7 (no hang)."""
  train_dir = str(tmp_path / 'train')
  reports, _ = _multi_worker(tmp_path, train_dir, 20, '--nan_at=7')
  for report in reports:
    assert report['diverged_step'] == 7, report
    assert 'loss is nan at global step 7' in report['diverged']
    assert 'no checkpoint was written' in report['diverged']
  assert tf.train.latest_checkpoint(train_dir) is None
  assert os.listdir(str(tmp_path / 'tmp1')) == []


def test_multi_worker_mirrored_workers_that_miss_the_chief_checkpoint_stop_together(tmp_path):
  """The chief resumes from the checkpoint of a run under the default strategy
  (the same TF-Slim names); the other worker, given another (empty) train_dir,
  would start from scratch: both stop with the error, none hangs."""
  train_dir = str(tmp_path / 'train')
  model = slim.Model(functools.partial(digits_setup.lenet_like, batch_norm=True))
  loop.train(model, digits_setup.train_dataset(), digits_setup.loss_fn,
             lambda rate: tf.compat.v1.train.MomentumOptimizer(rate, 0.9, name='Momentum'),
             learning_rate=0.02, train_dir=train_dir, max_number_of_steps=3,
             moving_average_decay=0.99)
  reports, _ = _multi_worker(tmp_path, train_dir, 10,
                             '--other_train_dir=' + str(tmp_path / 'elsewhere'))
  assert reports[0]['chief'] and not reports[1]['chief']
  for report in reports:
    assert re.match(r'train: the workers would start from different global steps \(this one '
                    r'from %d, their mean is 1\.5\)' % (3 if report['chief'] else 0),
                    report['error']), report
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-3')


def test_parameter_server_strategy_trains_from_the_coordinator_and_resumes(tmp_path):
  train_dir = str(tmp_path / 'train')
  chief, ps, worker0, worker1 = cluster.addresses(4)
  spec = {'chief': [chief], 'ps': [ps], 'worker': [worker0, worker1]}
  with cluster.Processes() as processes:
    for task_type, index in (('ps', 0), ('worker', 0), ('worker', 1)):
      processes.start('%s%d' % (task_type, index),
                      fresh_python.module_command(WORKERS, 'server'),
                      env=dict(TF_CONFIG=_tf_config(spec, task_type, index)))
    reports = []
    for steps in (20, 30):
      processes.start('coordinator%d' % steps,
                      fresh_python.module_command(WORKERS, 'coordinator', train_dir, steps),
                      env=dict(TF_CONFIG=_tf_config(spec, 'chief', 0)))
      reports.append(_report(processes, 'coordinator%d' % steps))
  print('parameter servers: %s' % [{key: report[key] for key in ('train_seconds',
                                                                 'return_seconds')}
                                   for report in reports])
  first, second = reports
  assert 'max_number_of_steps is required' in first['without_max_number_of_steps']
  assert first['resumed_step'] is None and first['step'] == 20
  assert first['progress_steps'] == [5, 10, 15, 20]
  assert [_step(path) for path in first['saved']] == [10, 20]
  assert first['checkpoint_global_step'] == 20 and first['saved_equals_model']
  # The TF-Slim names, as the other strategies write them.
  model_names = first['model_names']
  assert set(first['names']) == (set(model_names) | {'global_step'}
                                 | {name + '/Momentum' for name in model_names}
                                 | {name + '/ExponentialMovingAverage' for name in model_names})
  assert second['resumed_step'] == 20 and second['step'] == 30
  assert second['progress_steps'] == [25, 30]
  assert second['checkpoint_global_step'] == 30 and second['saved_equals_model']
  assert second['names'] == first['names']
  assert tf.train.latest_checkpoint(train_dir) == os.path.join(train_dir, 'model.ckpt-30')
  assert len(glob.glob(os.path.join(train_dir, 'events.out.tfevents.*'))) == 2


def test_unsupported_strategies_are_refused_before_any_work():
  model = slim.Model(digits_setup.lenet_like)
  central = tf.distribute.experimental.CentralStorageStrategy()
  arguments = dict(model=model, dataset=digits_setup.train_dataset(),
                   loss_fn=digits_setup.loss_fn, max_number_of_steps=1,
                   optimizer=tf.compat.v1.train.GradientDescentOptimizer(0.1))
  message = (r'train: the strategy CentralStorageStrategy is not supported \(received .*\); '
             r'train runs under the default strategy, OneDeviceStrategy, MirroredStrategy, '
             r'MultiWorkerMirroredStrategy, ParameterServerStrategy\.')
  with pytest.raises(ValueError, match=message):
    loop.train(strategy=central, **arguments)
  with central.scope(), pytest.raises(ValueError, match=message):
    loop.train(**arguments)  # the strategy of the scope
  assert not model.built
  assert loop.train(strategy=tf.distribute.get_strategy(), **arguments).step == 1
