"""The TF2 side of model_deploy: the `tf.distribute` strategy for a DeploymentConfig.

`distribution_strategy(config)` returns the strategy that deploys a model in TF2
(eager, `tf.function`) the way `model_deploy.deploy` does in a TF1 graph. The
cluster comes from the `TF_CONFIG` environment variable (or a cluster resolver):

- num_ps_tasks=0 and no cluster (TF_CONFIG unset, or a single task):
  num_clones=1: the default strategy;
  num_clones=N>1: MirroredStrategy over clone_device(0), ..., clone_device(N-1).
- num_ps_tasks=0, num_replicas=1 and a cluster of 2+ tasks in 'worker' (and
  'chief'), no 'ps', this task a 'worker' or the 'chief': MultiWorkerMirroredStrategy.
- num_ps_tasks=P, num_replicas=R and a cluster of P 'ps' tasks and R 'worker'
  tasks, this task the 'chief' (the coordinator): ParameterServerStrategy.

Clones map to replicas in sync: on one machine each clone is a replica of the
MirroredStrategy, on the device `clone_device` gives it. On the CPU the clones
need as many logical CPU devices; split the CPU before TensorFlow runs anything:

    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = model_deploy.distribution_strategy(
        model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True))

All-reduce workers (MultiWorkerMirroredStrategy) have no parameter servers, so
their number is the one TF_CONFIG lists (DeploymentConfig keeps research/slim's
rule that `num_replicas > 1` needs `num_ps_tasks > 0`); each computes on all
its GPUs, or on its CPU, and `num_clones` must say how many that is. With
parameter servers, TF_CONFIG must hold exactly `num_ps_tasks` 'ps' tasks and
`num_replicas` 'worker' tasks, the job names must be TensorFlow's 'worker' and
'ps', the strategy is made on the 'chief' task, and the 'worker' and 'ps' tasks
only run a `tf.distribute.Server`; each worker computes on all its GPUs.

A TF_CONFIG for two all-reduce workers, on the first of them:

    {"cluster": {"worker": ["host1:2222", "host2:2222"]},
     "task": {"type": "worker", "index": 0}}

and on the coordinator of DeploymentConfig(num_replicas=2, num_ps_tasks=1):

    {"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"],
                 "ps": ["host3:2222"]},
     "task": {"type": "chief", "index": 0}}

A replica's loss divided by `strategy.num_replicas_in_sync` (and the
regularization losses likewise) gives, summed over replicas, the gradient
`deploy` computes: that of the mean loss over all the examples.

`slim.training.loop.train` trains under every strategy made here: the default
strategy, MirroredStrategy, MultiWorkerMirroredStrategy (a `train` in every
worker process; only the chief writes `train_dir`) and ParameterServerStrategy
(`train` on the coordinator, the steps scheduled on the workers); and under
OneDeviceStrategy. It refuses any other (CentralStorageStrategy, TPUStrategy).
"""
import collections
import json

import tensorflow as tf

from slim.deployment.deployment_config import DeploymentConfig
from slim.deployment.deployment_config import local_device_count

__all__ = ['distribution_strategy']

DEFAULT = 'default'
MIRRORED = 'mirrored'
MULTI_WORKER_MIRRORED = 'multi_worker_mirrored'
PARAMETER_SERVER = 'parameter_server'

# The strategy to make: one of the kinds above, and the devices of a MirroredStrategy.
_Plan = collections.namedtuple('_Plan', ['kind', 'devices'])

_SPLIT_CPU_HINT = (
    'split the CPU before TensorFlow runs anything: tf.config.set_logical_device_configuration('
    "tf.config.list_physical_devices('CPU')[0], [tf.config.LogicalDeviceConfiguration()] * %d)")


def _num_tasks(cluster_spec, job):
  return cluster_spec.num_tasks(job) if job in cluster_spec.jobs else 0


def _cluster_text(cluster_spec):
  return json.dumps(cluster_spec.as_dict(), sort_keys=True)


def _plan_parameter_server(config, cluster_spec, task_type):
  example = ('{"cluster": {"chief": ["host0:2222"], "worker": [%d addresses], '
             '"ps": [%d addresses]}, "task": {"type": "chief", "index": 0}}'
             % (config.num_replicas, config.num_ps_tasks))
  if not cluster_spec.jobs:
    raise ValueError('distribution_strategy: num_ps_tasks=%d needs a cluster: set TF_CONFIG '
                     'to %s, or pass cluster_resolver' % (config.num_ps_tasks, example))
  if (config.worker_job_name, config.ps_job_name) != ('worker', 'ps'):
    raise ValueError("distribution_strategy: ParameterServerStrategy names its jobs 'worker' "
                     "and 'ps', received worker_job_name=%r, ps_job_name=%r"
                     % (config.worker_job_name, config.ps_job_name))
  num_ps = _num_tasks(cluster_spec, 'ps')
  num_workers = _num_tasks(cluster_spec, 'worker')
  if (num_ps, num_workers) != (config.num_ps_tasks, config.num_replicas):
    raise ValueError('distribution_strategy: the cluster has %d ps and %d worker tasks (%s), '
                     'but the config has num_ps_tasks=%d and num_replicas=%d; TF_CONFIG must '
                     'look like %s' % (num_ps, num_workers, _cluster_text(cluster_spec),
                                       config.num_ps_tasks, config.num_replicas, example))
  if task_type not in (None, 'chief'):
    raise ValueError(
        "distribution_strategy: this task is a %r task, but a ParameterServerStrategy is made "
        "on the 'chief' (the coordinator); on a %r task run tf.distribute.Server(cluster_spec, "
        'job_name=%r, task_index=<index>).join() instead' % (task_type, task_type, task_type))
  if task_type == 'chief' and not _num_tasks(cluster_spec, 'chief'):
    raise ValueError("distribution_strategy: TF_CONFIG's task is the 'chief', but its cluster "
                     "has no 'chief' job (%s); add the chief's address, as in %s"
                     % (_cluster_text(cluster_spec), example))
  return _Plan(PARAMETER_SERVER, ())


def _plan_multi_worker(config, task_type, device_counts):
  if config.num_replicas != 1:
    raise ValueError('distribution_strategy: all-reduce workers are counted by TF_CONFIG; '
                     'num_replicas must be 1, received %d' % config.num_replicas)
  if task_type not in ('worker', 'chief'):
    raise ValueError("distribution_strategy: TF_CONFIG's task type must be 'worker' or "
                     "'chief' in a MultiWorkerMirroredStrategy cluster, received %r"
                     % (task_type,))
  num_gpus = device_counts['GPU']
  if config.clone_on_cpu and num_gpus:
    raise ValueError('distribution_strategy: MultiWorkerMirroredStrategy computes on every '
                     'GPU of a worker, but clone_on_cpu=True and %d GPUs are visible; hide '
                     "them with tf.config.set_visible_devices([], 'GPU')" % num_gpus)
  per_worker = num_gpus or 1
  if config.num_clones != per_worker:
    raise ValueError('distribution_strategy: MultiWorkerMirroredStrategy computes on %d '
                     'device(s) per worker (%s), received num_clones=%d'
                     % (per_worker, '%d GPUs' % num_gpus if num_gpus else 'the CPU',
                        config.num_clones))
  return _Plan(MULTI_WORKER_MIRRORED, ())


def _plan_local(config, device_counts):
  if config.num_clones == 1:
    return _Plan(DEFAULT, ())
  device_type = 'CPU' if config.clone_on_cpu else 'GPU'
  available = device_counts[device_type]
  if available < config.num_clones:
    if config.clone_on_cpu:
      fix = _SPLIT_CPU_HINT % config.num_clones
    else:
      fix = 'use fewer clones, or clone_on_cpu=True with the CPU split into logical devices'
    raise ValueError('distribution_strategy: num_clones=%d needs %d %s devices, this process '
                     'has %d; %s' % (config.num_clones, config.num_clones, device_type,
                                     available, fix))
  return _Plan(MIRRORED, tuple('/device:%s:%d' % (device_type, i)
                               for i in range(config.num_clones)))


def _plan_strategy(config, cluster_resolver, device_counts):
  """Which strategy `config` and the cluster call for (see the module's table).

  Args:
    config: a `DeploymentConfig`.
    cluster_resolver: a `tf.distribute.cluster_resolver.ClusterResolver`.
    device_counts: {'CPU': n, 'GPU': m}, the local logical devices.

  Returns:
    A `_Plan(kind, devices)`.
  """
  cluster_spec = cluster_resolver.cluster_spec()
  task_type = cluster_resolver.task_type
  if config.num_ps_tasks > 0:
    return _plan_parameter_server(config, cluster_spec, task_type)
  num_ps = _num_tasks(cluster_spec, 'ps')
  if num_ps:
    raise ValueError('distribution_strategy: the cluster has %d ps tasks (%s) but the config '
                     'has num_ps_tasks=0' % (num_ps, _cluster_text(cluster_spec)))
  num_workers = _num_tasks(cluster_spec, 'worker') + _num_tasks(cluster_spec, 'chief')
  if num_workers > 1:
    return _plan_multi_worker(config, task_type, device_counts)
  return _plan_local(config, device_counts)


def distribution_strategy(config, cluster_resolver=None):
  """The `tf.distribute` strategy deploying as `config` says, in TF2.

  See the module's table for the mapping. Call it before TensorFlow runs
  anything when the cluster is multi-worker (collective ops are configured at
  startup); the CPU must be split into logical devices before for CPU clones.

  Args:
    config: a `DeploymentConfig`.
    cluster_resolver: a `tf.distribute.cluster_resolver.ClusterResolver`
      (default None: from the TF_CONFIG environment variable).

  Returns:
    The default strategy, a `MirroredStrategy`, a `MultiWorkerMirroredStrategy`
    or a `ParameterServerStrategy`.

  Raises:
    TypeError: `config` is not a DeploymentConfig.
    ValueError: the config and the cluster or the local devices disagree; the
      message says what TF_CONFIG or the device setup must be.

  Example:

    strategy = model_deploy.distribution_strategy(config)
    with strategy.scope():
      model = slim.Model(network_fn)
      model(sample_images)            # creates the (mirrored) variables
  """
  if not isinstance(config, DeploymentConfig):
    raise TypeError('distribution_strategy: config must be a DeploymentConfig, received %r'
                    % (config,))
  if cluster_resolver is None:
    cluster_resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
  device_counts = {'CPU': local_device_count('CPU'), 'GPU': local_device_count('GPU')}
  plan = _plan_strategy(config, cluster_resolver, device_counts)
  if plan.kind == MIRRORED:
    return tf.distribute.MirroredStrategy(devices=list(plan.devices))
  if plan.kind == MULTI_WORKER_MIRRORED:
    return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=cluster_resolver)
  if plan.kind == PARAMETER_SERVER:
    return tf.distribute.ParameterServerStrategy(cluster_resolver)
  return tf.distribute.get_strategy()
