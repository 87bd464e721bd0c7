"""Where a deployment puts its clones, inputs, optimizer and variables.

`DeploymentConfig` (research/slim's, also `model_deploy.DeploymentConfig`) says
where things go in a TF1 graph (`model_deploy`) and which `tf.distribute`
strategy deploys the same way in TF2 (`distribution`).
"""
import tensorflow as tf

from slim import _checks

__all__ = ['DeploymentConfig', 'local_device_count']


def local_device_count(device_type):
  """Logical devices of `device_type` ('CPU' or 'GPU') this process will have.

  Reads the device configuration only: it does not initialize the TF runtime, so
  logical devices and collective ops can still be configured after it.
  """
  return sum(len(tf.config.get_logical_device_configuration(device) or [None])
             for device in tf.config.get_visible_devices(device_type))


# Op types that create a variable: the ones `variables_device()` spreads over
# parameter servers (ref variables of TF1 and resource variables of TF2).
_VARIABLE_OP_TYPES = frozenset(['Variable', 'VariableV2', 'VarHandleOp', 'AutoReloadVariable'])


class _ParameterServerChooser(object):
  """Device function: variable ops round robin over `<ps job>/task:k`, the other
  ops where they already are."""

  def __init__(self, ps_device, num_tasks):
    self._ps_device = ps_device
    self._num_tasks = num_tasks
    self._next_task = 0

  def __call__(self, op):
    if op.device:
      return op.device
    node_def = op if isinstance(op, tf.compat.v1.NodeDef) else op.node_def
    if node_def.op not in _VARIABLE_OP_TYPES:
      return op.device
    task = self._next_task
    self._next_task = (task + 1) % self._num_tasks
    return tf.DeviceSpec.from_string(self._ps_device).replace(task=task).to_string()


class DeploymentConfig(object):
  """Where the clones, inputs, optimizer and variables of a deployment go.

  A replica (one worker process) runs `num_clones` copies of the model, on
  GPUs 0..num_clones-1 or on the CPU. Without parameter servers everything is
  local; with `num_ps_tasks > 0` the variables are spread round robin over the
  `ps` job's tasks and the clones run on the `worker` job.

  On the CPU, clone i goes on `/device:CPU:<i mod n>`, n being the number of
  logical devices the CPU was split into with
  `tf.config.set_logical_device_configuration` (1 when it was not split, so
  every clone is on CPU:0 as in research/slim). With parameter servers CPU
  clones stay on the workers' CPU:0.

  Args:
    num_clones: clones per replica (default 1).
    clone_on_cpu: whether the clones go on the CPU rather than GPUs (default False).
    replica_id: index of this replica, 0 for the chief (default 0).
    num_replicas: number of replicas (worker tasks) (default 1).
    num_ps_tasks: number of parameter-server tasks, 0 for none (default 0).
    worker_job_name: the worker job's name (default 'worker').
    ps_job_name: the parameter-server job's name (default 'ps').

  Raises:
    TypeError: a job name that is not a string, or `clone_on_cpu` not a bool.
    ValueError: a count or index that is not an int or is out of range;
      replicas without parameter servers; a missing job name;
      `replica_id >= num_replicas`.
  """

  def __init__(self,
               num_clones=1,
               clone_on_cpu=False,
               replica_id=0,
               num_replicas=1,
               num_ps_tasks=0,
               worker_job_name='worker',
               ps_job_name='ps'):
    num_clones = int(_checks.check_count('DeploymentConfig', 'num_clones', num_clones))
    replica_id = int(_checks.check_count('DeploymentConfig', 'replica_id', replica_id,
                                         allow_zero=True))
    num_replicas = int(_checks.check_count('DeploymentConfig', 'num_replicas', num_replicas))
    num_ps_tasks = int(_checks.check_count('DeploymentConfig', 'num_ps_tasks', num_ps_tasks,
                                           allow_zero=True))
    if not isinstance(clone_on_cpu, bool):
      raise TypeError('DeploymentConfig: clone_on_cpu must be a bool, received %r'
                      % (clone_on_cpu,))
    for name, value in (('worker_job_name', worker_job_name), ('ps_job_name', ps_job_name)):
      if value is not None and not isinstance(value, str):
        raise TypeError('DeploymentConfig: %s must be a string, received %r' % (name, value))
    if num_replicas > 1 and num_ps_tasks < 1:
      raise ValueError(
          'DeploymentConfig: When using replicas num_ps_tasks must be positive: received '
          'num_replicas=%d with num_ps_tasks=%d. Replicas share their variables through '
          'parameter servers; for all-reduce workers without them use '
          'distribution_strategy() with a TF_CONFIG cluster.' % (num_replicas, num_ps_tasks))
    if num_replicas > 1 or num_ps_tasks > 0:
      if not worker_job_name:
        raise ValueError('DeploymentConfig: Must specify worker_job_name when using '
                         'replicas, received worker_job_name=%r' % (worker_job_name,))
      if not ps_job_name:
        raise ValueError('DeploymentConfig: Must specify ps_job_name when using parameter '
                         'server, received ps_job_name=%r' % (ps_job_name,))
    if replica_id >= num_replicas:
      raise ValueError('DeploymentConfig: replica_id must be less than num_replicas, '
                       'received replica_id=%d with num_replicas=%d'
                       % (replica_id, num_replicas))
    self._num_clones = num_clones
    self._clone_on_cpu = clone_on_cpu
    self._replica_id = replica_id
    self._num_replicas = num_replicas
    self._num_ps_tasks = num_ps_tasks
    self._worker_job_name = worker_job_name
    self._ps_job_name = ps_job_name
    self._ps_device = '/job:' + ps_job_name if num_ps_tasks > 0 else ''
    self._worker_device = '/job:' + worker_job_name if num_ps_tasks > 0 else ''

  def __repr__(self):
    return ('DeploymentConfig(num_clones=%d, clone_on_cpu=%r, replica_id=%d, num_replicas=%d, '
            'num_ps_tasks=%d, worker_job_name=%r, ps_job_name=%r)'
            % (self._num_clones, self._clone_on_cpu, self._replica_id, self._num_replicas,
               self._num_ps_tasks, self._worker_job_name, self._ps_job_name))

  @property
  def num_clones(self):
    return self._num_clones

  @property
  def clone_on_cpu(self):
    return self._clone_on_cpu

  @property
  def replica_id(self):
    return self._replica_id

  @property
  def num_replicas(self):
    return self._num_replicas

  @property
  def num_ps_tasks(self):
    return self._num_ps_tasks

  @property
  def worker_job_name(self):
    return self._worker_job_name

  @property
  def ps_job_name(self):
    return self._ps_job_name

  @property
  def ps_device(self):
    """'/job:<ps_job_name>' with parameter servers, else ''."""
    return self._ps_device

  @property
  def worker_device(self):
    """'/job:<worker_job_name>' with parameter servers, else ''."""
    return self._worker_device

  def caching_device(self):
    """The `caching_device` for variables: with parameter servers, a function
    caching each variable where it is read (the worker); else None."""
    if self._num_ps_tasks > 0:
      return lambda op: op.device
    return None

  def _check_clone_index(self, method, clone_index):
    _checks.check_int('DeploymentConfig.' + method, 'clone_index', clone_index)
    if not 0 <= clone_index < self._num_clones:
      raise ValueError('DeploymentConfig.%s: clone_index must be less than num_clones '
                       '(and >= 0), received clone_index=%d with num_clones=%d'
                       % (method, clone_index, self._num_clones))

  def clone_device(self, clone_index):
    """The device of clone `clone_index` and of every op it makes.

    `/device:GPU:<clone_index>`, or the CPU with `clone_on_cpu` (see the class);
    prefixed with the worker job when there are parameter servers.

    Raises:
      ValueError: `clone_index` is not in [0, num_clones).
    """
    self._check_clone_index('clone_device', clone_index)
    if not self._clone_on_cpu:
      return self._worker_device + '/device:GPU:%d' % clone_index
    cpu_index = 0 if self._num_ps_tasks > 0 else clone_index % max(1, local_device_count('CPU'))
    return self._worker_device + '/device:CPU:%d' % cpu_index

  def clone_scope(self, clone_index):
    """The name scope of clone `clone_index`: '' for a single clone, else 'clone_<i>'.

    Raises:
      ValueError: `clone_index` is not in [0, num_clones).
    """
    self._check_clone_index('clone_scope', clone_index)
    return 'clone_%d' % clone_index if self._num_clones > 1 else ''

  def optimizer_device(self):
    """The device of the optimizer and of the gradient sums: the worker's CPU."""
    return self._worker_device + '/device:CPU:0'

  def inputs_device(self):
    """The device to build the inputs on: the worker's CPU."""
    return self._worker_device + '/device:CPU:0'

  def variables_device(self):
    """Where variables go: the local CPU, or with parameter servers a device
    function placing each new variable on the next ps task (round robin) and
    leaving the other ops where they are. Each call starts a new round."""
    device = self._ps_device + '/device:CPU:0'
    if not self._num_ps_tasks:
      return device
    return _ParameterServerChooser(device, self._num_ps_tasks)
