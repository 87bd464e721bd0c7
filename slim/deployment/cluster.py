"""The processes of a graph-mode cluster: research/slim's parameter servers and
workers, each a `tf.distribute.Server` of one `tf.train.ClusterSpec`.

- `task_of(ps_hosts, worker_hosts, job_name, task_index)` or `task_of_tf_config()`:
  which cluster this process belongs to, and its task in it.
- `serve_until_workers_done(task)`: what a parameter server does: it serves the
  variables until every worker has said it is done.
- `tell_parameter_servers` / `wait_for_workers`: worker indices passed through
  queues on the parameter servers (workers done, workers ready to train).
- `PeerWatch`: pings the other tasks from a background thread, and reports the
  one that stops answering (killed, its machine gone, frozen) so that a trainer
  can stop instead of hanging in a remote call.

A TF_CONFIG cluster with a 'chief' job (Kubernetes-style) maps to research/slim's
numbering: the chief is worker task 0 and worker i is worker task i + 1.
"""
import collections
import json
import os
import threading
import time

import tensorflow as tf

__all__ = ['ClusterTask', 'DONE', 'INITIALIZED', 'PeerWatch', 'READY', 'describe', 'serve_until_workers_done',
           'session_config', 'start_server', 'task_of', 'task_of_tf_config',
           'tell_parameter_servers', 'wait_for_workers']

_v1 = tf.compat.v1
_logging = _v1.logging
WORKER, PS = 'worker', 'ps'
_QUEUE_CAPACITY = 4096
# The queues of worker indices on the parameter servers: workers done, workers ready
# to train, the chief's variables initialized or restored (one token per other worker).
DONE, READY, INITIALIZED = 'done', 'ready', 'initialized'
_SILENCE_NOTICE_SECS = 30

ClusterTask = collections.namedtuple('ClusterTask', ['cluster_spec', 'job_name', 'task_index'])
ClusterTask.__doc__ = """A process of a cluster: the `tf.train.ClusterSpec`, and the
job ('worker' or 'ps') and index of the task this process runs."""


def _device(job_name, task_index):
  return '/job:%s/task:%d' % (job_name, task_index)


def describe(task, job_name=None, task_index=None):
  """'worker task 1 (host:port)', naming the chief as such."""
  job_name = task.job_name if job_name is None else job_name
  task_index = task.task_index if task_index is None else task_index
  address = task.cluster_spec.task_address(job_name, task_index)
  if job_name == PS:
    return 'parameter server task %d (%s)' % (task_index, address)
  if task_index == 0:
    return 'the chief, worker task 0 (%s)' % address
  return 'worker task %d (%s)' % (task_index, address)


def _parse_hosts(flag, text):
  hosts = [host.strip() for host in (text or '').split(',') if host.strip()]
  for host in hosts:
    name, _, port = host.rpartition(':')
    if not name or not port.isdigit() or not 0 < int(port) < 65536:
      raise ValueError('--%s: %r is not a host:port address (e.g. localhost:2222), in %r'
                       % (flag, host, text))
  if len(set(hosts)) != len(hosts):
    raise ValueError('--%s lists an address twice: %r' % (flag, text))
  return hosts


def _check_task(cluster, job_name, task_index, where):
  if job_name not in (WORKER, PS):
    raise ValueError("%s: the job must be 'worker' or 'ps', received %r" % (where, job_name))
  if not 0 <= task_index < len(cluster.get(job_name, ())):
    raise ValueError('%s: task %d of job %r does not exist; the cluster has %d %s tasks'
                     % (where, task_index, job_name, len(cluster.get(job_name, ())), job_name))
  if PS not in cluster:
    raise ValueError('%s: the cluster has no parameter server (%s); give it at least one '
                     '(graph-mode workers share their variables through them)'
                     % (where, json.dumps(cluster)))
  return ClusterTask(tf.train.ClusterSpec(cluster), job_name, task_index)


def task_of(ps_hosts, worker_hosts, job_name, task_index):
  """The task of the cluster that --ps_hosts and --worker_hosts describe.

  Args:
    ps_hosts: comma-separated host:port of the parameter servers.
    worker_hosts: comma-separated host:port of the workers (the first is the chief).
    job_name: 'worker' or 'ps'.
    task_index: this task's index in its job.

  Returns:
    A `ClusterTask`.

  Raises:
    ValueError: a malformed address, a missing job, or a task outside the cluster.
  """
  cluster = {PS: _parse_hosts('ps_hosts', ps_hosts),
             WORKER: _parse_hosts('worker_hosts', worker_hosts)}
  if not cluster[WORKER]:
    raise ValueError('--worker_hosts: a cluster needs at least one worker, received %r'
                     % (worker_hosts,))
  return _check_task({job: hosts for job, hosts in cluster.items() if hosts}, job_name,
                     task_index, '--job_name=%s --task=%d' % (job_name, task_index))


def task_of_tf_config(environ=None):
  """The task the TF_CONFIG environment variable describes, or None without one.

  Jobs 'chief', 'worker' and 'ps' are used ('evaluator' is not a training task);
  the chief becomes worker task 0.

  Raises:
    ValueError: TF_CONFIG is not JSON or does not describe a task of its cluster.
  """
  text = (os.environ if environ is None else environ).get('TF_CONFIG', '').strip()
  if not text:
    return None
  try:
    config = json.loads(text)
    cluster = {job: list(hosts) for job, hosts in config['cluster'].items()}
    job_name, task_index = config['task']['type'], int(config['task']['index'])
  except (ValueError, KeyError, TypeError, AttributeError) as error:
    raise ValueError('TF_CONFIG must be JSON like {"cluster": {"worker": [...], "ps": [...]}, '
                     '"task": {"type": "worker", "index": 0}}; %s in %r'
                     % (error, text)) from None
  if cluster.get('chief'):
    cluster[WORKER] = list(cluster.pop('chief')) + list(cluster.get(WORKER, ()))
    if job_name == 'chief':
      job_name = WORKER
    elif job_name == WORKER:
      task_index += 1
  cluster = {job: hosts for job, hosts in cluster.items() if job in (WORKER, PS) and hosts}
  return _check_task(cluster, job_name, task_index, 'TF_CONFIG')


def start_server(task):
  """Starts this process's `tf.distribute.Server` for `task`; returns it."""
  try:
    return tf.distribute.Server(task.cluster_spec, job_name=task.job_name,
                                task_index=task.task_index, protocol='grpc', start=True)
  except tf.errors.OpError as error:
    raise ValueError('cannot serve %s: %s (is the port in use, or the host not this '
                     'machine?)' % (describe(task), error.message.strip())) from None


def session_config(task):
  """A `ConfigProto` for a worker's sessions: it sees the parameter servers and its
  own task only, so that its ops run on it and a dead worker does not stop it; ops
  for a GPU it does not have run on its CPU."""
  return _v1.ConfigProto(device_filters=['/job:ps', _device(WORKER, task.task_index)],
                         allow_soft_placement=True)


def _workers_queue(name, ps_index):
  """The queue of worker indices `name` on parameter server `ps_index`, shared by
  every session of the cluster that makes it."""
  with _v1.device(_device(PS, ps_index)):
    return tf.queue.FIFOQueue(_QUEUE_CAPACITY, [tf.int32], shapes=[[]],
                              shared_name='slim_workers_' + name,
                              name='workers_%s_%d' % (name, ps_index))


def tell_parameter_servers(task, target, name, ps_indices=None, copies=1, timeout_secs=30):
  """Puts worker `task`'s index (`copies` times) in the queue `name` of the
  parameter servers `ps_indices` (default: all)."""
  if ps_indices is None:
    ps_indices = range(task.cluster_spec.num_tasks(PS))
  graph = tf.Graph()
  with graph.as_default():
    enqueues = [_workers_queue(name, i).enqueue_many([[task.task_index] * copies])
                for i in ps_indices]
  sess = _v1.Session(target, graph=graph, config=session_config(task))
  sess.run(enqueues, options=_v1.RunOptions(timeout_in_ms=int(timeout_secs * 1000)))


def wait_for_workers(target, config, name, ps_index, num_workers, poll_secs=1.0,
                     on_worker=None, should_stop=None):
  """Waits until the queue `name` of parameter server `ps_index` has received the
  index of each of the `num_workers` workers (a worker counted once).

  Args:
    target, config: the master and the `ConfigProto` of the session used.
    name: the queue's name.
    ps_index: the parameter server holding it.
    num_workers: how many distinct workers to wait for.
    poll_secs: how often `should_stop` is asked (default 1).
    on_worker: default None: `on_worker(index, count)` called for each new worker.
    should_stop: default None: a function; the wait ends (returns False) when it
      returns True.

  Returns:
    True when every worker was received.
  """
  graph = tf.Graph()
  with graph.as_default():
    dequeue = _workers_queue(name, ps_index).dequeue()
  sess = _v1.Session(target, graph=graph, config=config)
  received = set()
  while len(received) < num_workers:
    if should_stop is not None and should_stop():
      return False
    try:
      worker = int(sess.run(dequeue, options=_v1.RunOptions(
          timeout_in_ms=int(poll_secs * 1000))))
    except tf.errors.DeadlineExceededError:
      continue
    if worker not in received:
      received.add(worker)
      if on_worker is not None:
        on_worker(worker, len(received))
  return True


def serve_until_workers_done(task, server=None):
  """Serves as parameter server `task` until every worker has said it is done
  (`tell_parameter_servers(..., DONE)`); a worker that restarts and says it again
  is counted once.

  Args:
    task: a `ClusterTask` of the 'ps' job.
    server: its started server (default None: started here).

  Returns:
    The server (serving until the process exits).
  """
  server = server or start_server(task)
  num_workers = task.cluster_spec.num_tasks(WORKER)
  print('%s serving; it exits once the %d workers are done' % (describe(task), num_workers),
        flush=True)
  wait_for_workers(server.target, _v1.ConfigProto(device_filters=[_device(PS, task.task_index)]),
                   DONE, task.task_index, num_workers, poll_secs=5.0,
                   on_worker=lambda worker, count: print(
                       'worker task %d is done (%d of %d)' % (worker, count, num_workers),
                       flush=True))
  return server


class PeerWatch(object):
  """Pings the other tasks of a cluster from a background thread.

  A task that answered once and then fails to answer for `timeout_secs` (refused,
  reset, or no answer) is lost: `on_lost(job_name, task_index, error)` is called
  once for it, from the watch's thread, and it is no longer pinged. A task that
  never answered yet is waited for (it may be starting), with a warning naming it
  after 30 s.

  Args:
    task: this process's `ClusterTask`.
    target: the master to ping through (this task's server's target).
    peers: the `(job_name, task_index)` to watch.
    timeout_secs: how long a task may not answer before it is lost.
    on_lost: the function called for a lost task.
    interval_secs: time between two pings of a task (default 1).
  """

  def __init__(self, task, target, peers, timeout_secs, on_lost, interval_secs=1.0):
    self._timeout_secs = timeout_secs
    self._interval_secs = interval_secs
    self._on_lost = on_lost
    self._stop = threading.Event()
    self._task = task
    self._seen = set()
    self._pings = {}
    for job_name, task_index in peers:
      graph = tf.Graph()
      with graph.as_default(), _v1.device(_device(job_name, task_index)):
        stamp = tf.timestamp()
      config = _v1.ConfigProto(device_filters=[_device(job_name, task_index),
                                               _device(task.job_name, task.task_index)])
      self._pings[(job_name, task_index)] = (_v1.Session(target, graph=graph, config=config),
                                             stamp)
    self._thread = threading.Thread(target=self._run, name='PeerWatch', daemon=True)

  def __enter__(self):
    self._thread.start()
    notice = threading.Timer(_SILENCE_NOTICE_SECS, self._report_silent)
    notice.daemon = True
    notice.start()
    return self

  def _report_silent(self):
    silent = [peer for peer in list(self._pings) if peer not in self._seen]
    if silent and not self._stop.is_set():
      _logging.warning('no answer after %ds from %s: is it started, and is its address right? '
                       '(waiting on)', _SILENCE_NOTICE_SECS, ', '.join(
                           describe(self._task, *peer) for peer in silent))

  def __exit__(self, *unused):
    self.stop()

  def stop(self):
    """Stops pinging (the sessions are not closed: closing one waits for its peer)."""
    self._stop.set()

  def _run(self):
    seen, failing_since = self._seen, {}
    while self._pings and not self._stop.wait(self._interval_secs):
      for peer, (sess, stamp) in list(self._pings.items()):
        if self._stop.is_set():
          return
        try:
          sess.run(stamp, options=_v1.RunOptions(
              timeout_in_ms=int(1000 * min(self._timeout_secs, 10))))
          seen.add(peer)
          failing_since.pop(peer, None)
        except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                tf.errors.AbortedError, tf.errors.CancelledError,
                tf.errors.InternalError) as error:
          if peer not in seen:
            continue
          since = failing_since.setdefault(peer, time.time())
          if time.time() - since >= self._timeout_secs:
            del self._pings[peer]
            self._on_lost(peer[0], peer[1], error)
