"""distribution_strategy: the mapping from DeploymentConfig and TF_CONFIG to a strategy.

The plan (which strategy, which devices) is checked for many clusters without
starting anything; strategies over several logical CPUs and an in-process
parameter-server cluster run in a fresh process (multi_device_checks.py).
"""
import json
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from slim.deployment import distribution
from slim.deployment import model_deploy
from tests.conftest import REPO
from tests.slim import cluster as loopback
from tests.slim import fresh_python
from tests.slim.deployment import multi_device_checks

_CPUS_1 = {'CPU': 1, 'GPU': 0}
_CPUS_2 = {'CPU': 2, 'GPU': 0}
_GPUS_2 = {'CPU': 1, 'GPU': 2}


def _resolver(monkeypatch, tf_config):
  if tf_config is None:
    monkeypatch.delenv('TF_CONFIG', raising=False)
  else:
    monkeypatch.setenv('TF_CONFIG', json.dumps(tf_config))
  return tf.distribute.cluster_resolver.TFConfigClusterResolver()


def _plan(monkeypatch, config, tf_config=None, devices=None):
  return distribution._plan_strategy(config, _resolver(monkeypatch, tf_config),
                                     devices or _CPUS_1)


def _workers(count, task_type='worker', index=0, chief=False, ps=0):
  cluster = {'worker': ['host%d:2222' % i for i in range(count)]}
  if chief:
    cluster['chief'] = ['chief:2222']
  if ps:
    cluster['ps'] = ['ps%d:2222' % i for i in range(ps)]
  return {'cluster': cluster, 'task': {'type': task_type, 'index': index}}


@pytest.mark.parametrize('tf_config', [None, {}, _workers(1)])
def test_one_clone_is_the_default_strategy(monkeypatch, tf_config):
  plan = _plan(monkeypatch, model_deploy.DeploymentConfig(), tf_config)
  assert plan == distribution._Plan(distribution.DEFAULT, ())


def test_cpu_clones_mirror_over_logical_cpus(monkeypatch):
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  assert _plan(monkeypatch, config, devices=_CPUS_2) == distribution._Plan(
      distribution.MIRRORED, ('/device:CPU:0', '/device:CPU:1'))


def test_gpu_clones_mirror_over_gpus(monkeypatch):
  config = model_deploy.DeploymentConfig(num_clones=2)
  assert _plan(monkeypatch, config, devices=_GPUS_2) == distribution._Plan(
      distribution.MIRRORED, ('/device:GPU:0', '/device:GPU:1'))
  # The devices are the graph-mode clone devices.
  assert [config.clone_device(i) for i in range(2)] == ['/device:GPU:0', '/device:GPU:1']


def test_cpu_clones_need_a_split_cpu(monkeypatch):
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  with pytest.raises(ValueError, match=r'num_clones=2 needs 2 CPU devices, this process has 1; '
                                       r'split the CPU .*set_logical_device_configuration.* \* 2'):
    _plan(monkeypatch, config)


def test_gpu_clones_need_gpus(monkeypatch):
  config = model_deploy.DeploymentConfig(num_clones=3)
  with pytest.raises(ValueError, match=r'num_clones=3 needs 3 GPU devices, this process has 2'):
    _plan(monkeypatch, config, devices=_GPUS_2)


@pytest.mark.parametrize('tf_config, devices, num_clones', [
    (_workers(2), _CPUS_1, 1),
    (_workers(2, task_type='worker', index=1), _CPUS_1, 1),
    (_workers(1, task_type='chief', chief=True), _CPUS_1, 1),
    (_workers(3), _GPUS_2, 2),
])
def test_several_workers_without_ps_are_multi_worker_mirrored(monkeypatch, tf_config, devices,
                                                              num_clones):
  config = model_deploy.DeploymentConfig(num_clones=num_clones)
  assert _plan(monkeypatch, config, tf_config, devices) == distribution._Plan(
      distribution.MULTI_WORKER_MIRRORED, ())


def test_multi_worker_checks_the_devices_per_worker(monkeypatch):
  with pytest.raises(ValueError, match=r'computes on 2 device\(s\) per worker \(2 GPUs\), '
                                       r'received num_clones=1'):
    _plan(monkeypatch, model_deploy.DeploymentConfig(), _workers(2), _GPUS_2)
  with pytest.raises(ValueError, match=r'computes on 1 device\(s\) per worker \(the CPU\), '
                                       r'received num_clones=2'):
    _plan(monkeypatch, model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True),
          _workers(2), _CPUS_2)
  with pytest.raises(ValueError, match=r'clone_on_cpu=True and 2 GPUs are visible'):
    _plan(monkeypatch, model_deploy.DeploymentConfig(clone_on_cpu=True), _workers(2), _GPUS_2)


def test_multi_worker_task_must_be_a_worker(monkeypatch):
  with pytest.raises(ValueError, match=r"task type must be 'worker' or 'chief'.*'evaluator'"):
    _plan(monkeypatch, model_deploy.DeploymentConfig(), _workers(2, task_type='evaluator'))


@pytest.mark.parametrize('num_replicas, num_ps_tasks', [(1, 1), (2, 2), (3, 1)])
def test_ps_tasks_are_a_parameter_server_strategy(monkeypatch, num_replicas, num_ps_tasks):
  config = model_deploy.DeploymentConfig(num_replicas=num_replicas, num_ps_tasks=num_ps_tasks)
  tf_config = _workers(num_replicas, task_type='chief', chief=True, ps=num_ps_tasks)
  assert _plan(monkeypatch, config, tf_config) == distribution._Plan(
      distribution.PARAMETER_SERVER, ())


def test_parameter_server_with_a_simple_resolver():
  # A resolver without a task type (the coordinator of TensorFlow's tutorials).
  cluster = tf.train.ClusterSpec({'worker': ['w:1'], 'ps': ['p:1', 'p:2']})
  resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(cluster, rpc_layer='grpc')
  config = model_deploy.DeploymentConfig(num_ps_tasks=2)
  assert distribution._plan_strategy(config, resolver, _CPUS_1).kind == 'parameter_server'


@pytest.mark.parametrize('config_kwargs, tf_config, pattern', [
    (dict(num_ps_tasks=2), None,
     r'num_ps_tasks=2 needs a cluster: set TF_CONFIG to \{"cluster": \{"chief": .*"ps": '
     r'\[2 addresses\]'),
    (dict(num_ps_tasks=2), _workers(1, task_type='chief', chief=True, ps=1),
     r'the cluster has 1 ps and 1 worker tasks .* but the config has num_ps_tasks=2 and '
     r'num_replicas=1'),
    (dict(num_ps_tasks=1, num_replicas=2), _workers(3, task_type='chief', chief=True, ps=1),
     r'the cluster has 1 ps and 3 worker tasks'),
    (dict(num_ps_tasks=1, ps_job_name='params'), _workers(1, 'chief', chief=True, ps=1),
     r"ParameterServerStrategy names its jobs 'worker' and 'ps', "
     r"received worker_job_name='worker', "
     r"ps_job_name='params'"),
    (dict(num_ps_tasks=1), _workers(1, task_type='worker', ps=1),
     r"this task is a 'worker' task, but a ParameterServerStrategy is made on the 'chief'.*"
     r"tf.distribute.Server\(cluster_spec, job_name='worker'"),
    (dict(num_ps_tasks=1), _workers(1, task_type='ps', ps=1), r"this task is a 'ps' task"),
    (dict(num_ps_tasks=1), _workers(1, task_type='chief', ps=1),
     r"TF_CONFIG's task is the 'chief', but its cluster has no 'chief' job"),
    (dict(), _workers(2, ps=1), r'the cluster has 1 ps tasks .* but the config has '
                                r'num_ps_tasks=0'),
])
def test_config_and_cluster_must_agree(monkeypatch, config_kwargs, tf_config, pattern):
  config = model_deploy.DeploymentConfig(**config_kwargs)
  with pytest.raises(ValueError, match=r'distribution_strategy: ' + pattern):
    _plan(monkeypatch, config, tf_config)


def test_distribution_strategy_checks_its_config():
  with pytest.raises(TypeError, match=r'distribution_strategy: config must be a '
                                      r'DeploymentConfig, received 2'):
    model_deploy.distribution_strategy(2)


def test_one_clone_gives_the_default_strategy(monkeypatch):
  monkeypatch.delenv('TF_CONFIG', raising=False)
  strategy = model_deploy.distribution_strategy(model_deploy.DeploymentConfig())
  assert strategy is tf.distribute.get_strategy()
  assert not tf.distribute.has_strategy()


def test_local_device_count_of_an_unsplit_process():
  # The split case is checked in a fresh process (the mirrored check below). Listing
  # logical devices here would start the runtime of this pytest worker: it is not done.
  assert distribution.local_device_count('CPU') == len(tf.config.list_physical_devices('CPU'))
  assert distribution.local_device_count('GPU') == len(tf.config.list_physical_devices('GPU'))


def _start_checks(names, tf_config=None):
  """Starts multi_device_checks in a fresh process (the CPU split into 2 devices)."""
  env = fresh_python.environment()
  env.pop('TF_CONFIG', None)
  if tf_config is not None:
    env['TF_CONFIG'] = json.dumps(tf_config)
  return subprocess.Popen(fresh_python.module_command(multi_device_checks.__name__, *names),
                          cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def _results(process, timeout=240):
  try:
    stdout, stderr = process.communicate(timeout=timeout)
  finally:
    if process.poll() is None:
      process.kill()
      process.communicate()
  assert process.returncode == 0, stderr[-4000:]
  return json.loads(stdout.strip().splitlines()[-1])


def _run_checks(*names):
  return _results(_start_checks(names))


def test_two_cpu_clones_in_graph_and_in_mirrored_strategy():
  """One fresh process (its CPU split in 2) runs small_net three ways on the same 16
  examples and initial values: graph deploy with 2 clones, with 1 clone, and a
  slim.Model under distribution_strategy(2 CPU clones); gradients, loss, and the
  values after 3 SGD steps agree."""
  result = _run_checks('mirrored')['mirrored']
  assert result['logical_cpus'] == 2
  # Graph mode: the clones go on the two logical CPUs, and the second clone ran on CPU:1.
  assert result['clone_devices'] == ['/device:CPU:0', '/device:CPU:1']
  assert 'CPU:1' in result['second_clone_devices']
  # Two clones of 8 examples compute what one clone of 16 does (and it is not trivially 0).
  assert result['grad_magnitude'] > 0.1 and result['trained_change'] > 0.01
  assert result['graph_two_vs_one_grad_diff'] <= 1e-5
  assert result['graph_two_vs_one_loss_diff'] <= 1e-5
  assert result['graph_two_vs_one_trained_diff'] <= 1e-5
  # The strategy mirrors over the clone devices, variables included.
  cpus = ['/job:localhost/replica:0/task:0/device:CPU:%d' % i for i in range(2)]
  assert result['strategy'] == 'MirroredStrategy'
  assert result['strategy_devices'] == cpus
  assert result['strategy_variable_devices'] == cpus
  # And trains the slim.Model as graph deploy trains the graph.
  assert result['strategy_vs_graph_grad_diff'] <= 1e-5
  assert result['strategy_vs_graph_loss_diff'] <= 1e-5
  assert result['strategy_vs_graph_trained_diff'] <= 1e-5


def test_parameter_server_strategy_on_in_process_servers():
  result = _run_checks('parameter_server')['parameter_server']
  assert result['strategy'] == 'ParameterServerStrategyV2'
  assert result['num_workers'] == 2
  assert result['variable_devices'] == ['/job:ps/replica:0/task:%d/device:CPU:0' % (i % 2)
                                        for i in range(4)]
  assert abs(result['worker_loss'] - result['numpy_loss']) <= 1e-5


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_on_two_local_workers():
  """Two worker processes on localhost ports, from TF_CONFIG: their all-reduced
  gradients are graph deploy's with one clone on both workers' examples."""
  ports = loopback.free_ports(2)
  cluster = {'worker': ['localhost:%d' % port for port in ports]}
  workers = [_start_checks(['multi_worker'], {'cluster': cluster,
                                              'task': {'type': 'worker', 'index': index}})
             for index in range(2)]
  results = [_results(worker)['multi_worker'] for worker in workers]
  expected = multi_device_checks.graph_one_clone_gradients()
  for index, result in enumerate(results):
    assert (result['multi_worker_mirrored'], result['worker'], result['num_replicas']) == (
        True, index, 2)
    assert sorted(result['grads']) == sorted(expected)
    for name, grad in result['grads'].items():
      np.testing.assert_allclose(grad, expected[name], atol=1e-5)
