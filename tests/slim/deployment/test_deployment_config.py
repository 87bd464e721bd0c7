"""DeploymentConfig: devices and scopes as research/slim pins them, and bad configs."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.deployment import model_deploy
from tests.slim.deployment.deploy_helpers import assert_device


def _check_devices(config, clone_devices, clone_scopes, local_device):
  for i, (device, scope) in enumerate(zip(clone_devices, clone_scopes)):
    assert_device(config.clone_device(i), device)
    assert config.clone_scope(i) == scope
  assert_device(config.optimizer_device(), local_device)
  assert_device(config.inputs_device(), local_device)


def test_defaults(graph):
  config = model_deploy.DeploymentConfig()
  assert slim.get_variables() == []
  assert config.caching_device() is None
  _check_devices(config, ['GPU:0'], [''], 'CPU:0')
  assert_device(config.variables_device(), 'CPU:0')
  assert (config.num_clones, config.clone_on_cpu, config.replica_id, config.num_replicas,
          config.num_ps_tasks, config.ps_device, config.worker_device) == (
              1, False, 0, 1, 0, '', '')


def test_cpu_only():
  config = model_deploy.DeploymentConfig(clone_on_cpu=True)
  assert config.caching_device() is None
  _check_devices(config, ['CPU:0'], [''], 'CPU:0')
  assert_device(config.variables_device(), 'CPU:0')


def test_multi_gpu():
  config = model_deploy.DeploymentConfig(num_clones=2)
  assert config.caching_device() is None
  _check_devices(config, ['GPU:0', 'GPU:1'], ['clone_0', 'clone_1'], 'CPU:0')
  assert_device(config.variables_device(), 'CPU:0')


def test_multi_cpu_clones_share_the_unsplit_cpu():
  # This process does not split its CPU: every clone is on CPU:0, as in research/slim.
  config = model_deploy.DeploymentConfig(num_clones=3, clone_on_cpu=True)
  _check_devices(config, ['CPU:0'] * 3, ['clone_0', 'clone_1', 'clone_2'], 'CPU:0')


def test_ps_devices(graph):
  config = model_deploy.DeploymentConfig(num_clones=1, num_ps_tasks=1)
  assert (config.ps_device, config.worker_device) == ('/job:ps', '/job:worker')
  _check_devices(config, ['/job:worker/device:GPU:0'], [''], '/job:worker/device:CPU:0')
  with tf.compat.v1.device(config.variables_device()):
    a = tf.Variable(0)
    b = tf.Variable(0)
    c = tf.no_op()
    d = slim.variable('a', [], caching_device=config.caching_device())
  assert_device(a.device, '/job:ps/task:0/device:CPU:0')
  assert_device(b.device, '/job:ps/task:0/device:CPU:0')
  assert_device(c.device, '')
  assert_device(d.device, '/job:ps/task:0/device:CPU:0')
  assert_device(d.value().device, '')


def test_variables_round_robin_over_ps_tasks(graph):
  config = model_deploy.DeploymentConfig(num_ps_tasks=2)
  with tf.compat.v1.device(config.variables_device()):
    a = tf.Variable(0)
    b = tf.Variable(0)
    c = tf.no_op()
    d = slim.variable('a', [], caching_device=config.caching_device())
    e = slim.model_variable('e', [2])
  assert [v.device for v in (a, b, d, e)] == ['/job:ps/task:%d/device:CPU:0' % t
                                              for t in (0, 1, 0, 1)]
  assert_device(c.device, '')
  assert_device(d.value().device, '')
  # The ops a variable makes besides its handle (initial value, reads) are not counted.
  assert a.initial_value.device == ''


def test_variables_device_keeps_an_explicit_device(graph):
  config = model_deploy.DeploymentConfig(num_ps_tasks=2)
  with tf.compat.v1.device(config.variables_device()):
    with tf.compat.v1.device('/job:ps/task:1/device:CPU:0'):
      pinned = tf.Variable(0)
    first = tf.Variable(0)
  assert pinned.device == '/job:ps/task:1/device:CPU:0'
  assert first.device == '/job:ps/task:0/device:CPU:0'


def test_multi_gpu_ps(graph):
  config = model_deploy.DeploymentConfig(num_clones=2, num_ps_tasks=1)
  assert config.caching_device()(tf.no_op()) == ''
  _check_devices(config, ['/job:worker/device:GPU:0', '/job:worker/device:GPU:1'],
                 ['clone_0', 'clone_1'], '/job:worker/device:CPU:0')


@pytest.mark.parametrize('num_clones', [1, 2])
def test_replicas_ps(num_clones):
  config = model_deploy.DeploymentConfig(num_replicas=2, num_clones=num_clones,
                                         num_ps_tasks=2, replica_id=1)
  scopes = ['clone_%d' % i for i in range(num_clones)] if num_clones > 1 else ['']
  _check_devices(config, ['/job:worker/device:GPU:%d' % i for i in range(num_clones)], scopes,
                 '/job:worker/device:CPU:0')
  assert config.replica_id == 1


def test_cpu_clones_with_ps_stay_on_the_workers_cpu0():
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True, num_ps_tasks=1)
  _check_devices(config, ['/job:worker/device:CPU:0'] * 2, ['clone_0', 'clone_1'],
                 '/job:worker/device:CPU:0')


def test_custom_job_names(graph):
  config = model_deploy.DeploymentConfig(num_ps_tasks=1, worker_job_name='trainer',
                                         ps_job_name='params')
  assert (config.ps_device, config.worker_device) == ('/job:params', '/job:trainer')
  assert_device(config.clone_device(0), '/job:trainer/device:GPU:0')
  with tf.compat.v1.device(config.variables_device()):
    variable = tf.Variable(0)
  assert variable.device == '/job:params/task:0/device:CPU:0'


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(num_replicas=2), r'When using replicas num_ps_tasks must be positive.*'
                           r'num_replicas=2 with num_ps_tasks=0'),
    (dict(num_replicas=2, num_ps_tasks=1, worker_job_name=''),
     r"Must specify worker_job_name when using replicas, received worker_job_name=''"),
    (dict(num_ps_tasks=1, ps_job_name=None),
     r'Must specify ps_job_name when using parameter server, received ps_job_name=None'),
    (dict(replica_id=1), r'replica_id must be less than num_replicas, received replica_id=1 '
                         r'with num_replicas=1'),
    (dict(num_replicas=2, num_ps_tasks=1, replica_id=2),
     r'replica_id must be less than num_replicas, received replica_id=2 with num_replicas=2'),
    (dict(num_clones=0), r'num_clones must be a positive int, received 0'),
    (dict(num_replicas=0), r'num_replicas must be a positive int, received 0'),
    (dict(num_ps_tasks=-1), r'num_ps_tasks must be a non-negative int, received -1'),
    (dict(replica_id=-1), r'replica_id must be a non-negative int, received -1'),
    (dict(num_clones=2.0), r'num_clones must be a positive int, received 2.0'),
    (dict(num_clones=True), r'num_clones must be a positive int, received True'),
    (dict(num_ps_tasks='2'), r"num_ps_tasks must be a non-negative int, received '2'"),
])
def test_bad_values_raise_value_error(kwargs, pattern):
  with pytest.raises(ValueError, match=r'DeploymentConfig: ' + pattern):
    model_deploy.DeploymentConfig(**kwargs)


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(clone_on_cpu='yes'), r"clone_on_cpu must be a bool, received 'yes'"),
    (dict(ps_job_name=3), r'ps_job_name must be a string, received 3'),
])
def test_bad_types_raise_type_error(kwargs, pattern):
  with pytest.raises(TypeError, match=r'DeploymentConfig: ' + pattern):
    model_deploy.DeploymentConfig(**kwargs)


@pytest.mark.parametrize('method', ['clone_device', 'clone_scope'])
def test_clone_index_out_of_range(method):
  config = model_deploy.DeploymentConfig(num_clones=2)
  for index in (2, -1):
    with pytest.raises(ValueError, match=r'DeploymentConfig.%s: clone_index must be less than '
                                         r'num_clones.*clone_index=%d with num_clones=2'
                                         % (method, index)):
      getattr(config, method)(index)
  with pytest.raises(ValueError, match=r'clone_index must be an int, received 0.5'):
    getattr(config, method)(0.5)


def test_numpy_ints_are_ints():
  config = model_deploy.DeploymentConfig(num_clones=np.int64(2), num_ps_tasks=np.int32(1))
  assert (config.num_clones, config.num_ps_tasks) == (2, 1)
  assert type(config.num_clones) is int  # pylint: disable=unidiomatic-typecheck
  assert config.clone_scope(np.int64(1)) == 'clone_1'


def test_repr_names_every_argument():
  config = model_deploy.DeploymentConfig(num_clones=2, num_replicas=3, num_ps_tasks=1,
                                         replica_id=2)
  assert repr(config) == ("DeploymentConfig(num_clones=2, clone_on_cpu=False, replica_id=2, "
                          "num_replicas=3, num_ps_tasks=1, worker_job_name='worker', "
                          "ps_job_name='ps')")
