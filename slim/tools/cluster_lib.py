"""train_image_classifier's processes in a cluster (--ps_hosts/--worker_hosts or
TF_CONFIG), all started with the same command but --job_name and --task:

- a parameter server serves the variables until every worker is done, then exits;
- a worker serves its task, trains through it (seeing only the parameter servers
  and itself), watches its peers, and tells the parameter servers when it is done.

A worker stops with one line naming the task when a parameter server or the chief
stops answering for --peer_timeout_secs, and with --sync_replicas when any
worker does (an asynchronous worker's loss is a warning: the others go on). If
the training step is stuck in a remote call, the process exits
`EXIT_GRACE_SECS` later anyway.
"""
import contextlib
import os
import re
import sys
import threading
import time

import tensorflow as tf

from slim.deployment import cluster

__all__ = ['EXIT_GRACE_SECS', 'Worker', 'serve']

_v1 = tf.compat.v1
EXIT_GRACE_SECS = 10


def serve(flags):
  """Runs the parameter server --task until the workers are done."""
  cluster.serve_until_workers_done(flags.cluster_task)


class Worker(object):
  """A worker task of the cluster, from its start to its done report.

  Args:
    flags: train_image_classifier's checked flags (`flags.cluster_task` set).
    prog: the tool's name, for the line of a forced exit.

  Use:
    with Worker(flags, PROG) as worker:
      slim.learning.train(..., master=worker.target, session_config=worker.session_config,
                          train_step_fn=worker.checked(train_step_fn))
      worker.done()
  """

  def __init__(self, flags, prog):
    self._flags, self._prog = flags, prog
    self._task = flags.cluster_task
    self._server = cluster.start_server(self._task)
    self.target = flags.master or self._server.target
    self.session_config = cluster.session_config(self._task)
    self.error = None
    self._global_step_read = None  # (session, tensor), once watch_global_step is called
    self._watch = None
    self._started = False

  def __enter__(self):
    spec, index = self._task.cluster_spec, self._task.task_index
    peers = [(cluster.PS, i) for i in range(spec.num_tasks(cluster.PS))]
    peers += [(cluster.WORKER, i) for i in range(spec.num_tasks(cluster.WORKER)) if i != index]
    _v1.logging.info('%s: training through %s', cluster.describe(self._task), self.target)
    self._watch = cluster.PeerWatch(self._task, self._server.target, peers,
                                    self._flags.peer_timeout_secs, self._on_lost)
    self._watch.__enter__()
    return self

  def __exit__(self, *unused):
    self._watch.stop()

  def watch_global_step(self, global_step):
    """Lets a lost peer's check read the global step (where `global_step` lives)."""
    graph = tf.Graph()
    with graph.as_default(), _v1.device(global_step.device):
      handle = tf.raw_ops.VarHandleOp(dtype=tf.int64, shape=[], shared_name=global_step.op.name)
      step = tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.int64)
    self._global_step_read = (
        _v1.Session(self._server.target, graph=graph, config=self.session_config), step)

  def checked(self, train_step_fn):
    """`train_step_fn` that first raises the error of a lost peer, if any, and
    reports a step that a lost peer failed as that peer's loss. With
    --sync_replicas the chief's first step waits for every worker's first (else
    the chief would aggregate its own gradients until the others come)."""
    def train_step(*args):
      if not self._started:
        self._started = True
        if self._flags.sync_replicas:
          self._wait_until_all_ready()
      if self.error:
        raise ValueError(self.error)
      try:
        return train_step_fn(*args)
      except (tf.errors.UnavailableError, tf.errors.AbortedError):
        # A peer's death often fails the step before the watch has timed it out:
        # report the watch's verdict (the lost task, how to resume) when it comes.
        lost = self.lost_peer_error()
        if lost is None:
          raise
        raise ValueError(lost) from None
    return train_step

  def lost_peer_error(self):
    """The error of a lost peer, waiting for the watch's verdict at most a
    --peer_timeout_secs and a little more; None if every peer still answers."""
    deadline = time.time() + self._flags.peer_timeout_secs + 5
    while self.error is None and time.time() < deadline:
      time.sleep(0.1)
    return self.error

  def _wait_until_all_ready(self):
    cluster.tell_parameter_servers(self._task, self.target, cluster.READY, [0])
    if self._task.task_index != 0:
      return
    num_workers = self._task.cluster_spec.num_tasks(cluster.WORKER)
    _v1.logging.info('Synchronous training: waiting for the %d workers to be ready', num_workers)
    cluster.wait_for_workers(self.target, self.session_config, cluster.READY, 0, num_workers,
                             should_stop=lambda: bool(self.error))

  def wait_for_chief(self):
    """Waits (quietly) until this run's chief has initialized or restored the
    variables: then the session's own readiness checks, 30 s apart, find the
    model ready, and a parameter server that outlived the previous chief does not
    pass its stale values (global step included) for this run's."""
    if self._task.task_index == 0:
      return
    _v1.logging.info('Waiting for the chief to initialize the variables')
    cluster.wait_for_workers(self.target, self.session_config, cluster.INITIALIZED, 0, 1,
                             should_stop=lambda: bool(self.error))

  def session_wrapper(self, session):
    """`session_wrapper` of `slim.learning.train`: the chief's session is ready
    (variables initialized or restored): the other workers may start."""
    others = self._task.cluster_spec.num_tasks(cluster.WORKER) - 1
    if self._task.task_index == 0 and others:
      cluster.tell_parameter_servers(self._task, self.target, cluster.INITIALIZED, [0],
                                     copies=others)
    return session

  def done(self):
    """Stops the watch and tells the parameter servers this worker is done."""
    self._watch.stop()
    cluster.tell_parameter_servers(self._task, self.target, cluster.DONE)

  def _read_global_step(self):
    """The global step, read where it lives (None while it cannot be read)."""
    sess, step = self._global_step_read
    with contextlib.suppress(tf.errors.OpError):
      return int(sess.run(step, options=_v1.RunOptions(timeout_in_ms=10000)))
    return None

  def _finished(self):
    """Whether the global step has reached --max_number_of_steps (so a peer that
    left has left because training is over)."""
    if self._flags.max_number_of_steps is None or self._global_step_read is None:
      return False
    step = self._read_global_step()
    return step is not None and step >= self._flags.max_number_of_steps

  def _on_lost(self, job_name, task_index, error):
    lost = cluster.describe(self._task, job_name, task_index)
    # A parameter server leaves after every worker is done; a worker may leave when
    # training is over (the global step is read from a parameter server that is up).
    if job_name == cluster.WORKER and self._finished():
      self._watch.stop()
      return
    checkpoint = tf.train.latest_checkpoint(self._flags.train_dir)
    resume = ('training resumes from %s' % checkpoint if checkpoint else
              'no checkpoint was written yet')
    if job_name == cluster.PS:
      why = 'it holds the variables'
    elif task_index == 0:
      why = 'the chief alone initializes and saves the variables'
    elif self._flags.sync_replicas:
      why = ('synchronous training (--sync_replicas) stops rather than aggregate the '
             'gradients of fewer workers')
    else:
      _v1.logging.warning('%s is unreachable (%s): asynchronous training goes on without '
                          'it; restart it to have it rejoin', lost, _first_line(error))
      return
    self.error = ('%s is unreachable for %ds (%s): %s; this worker stops. Restart the lost '
                  'task, then the stopped ones (%s)' % (
                      lost, self._flags.peer_timeout_secs, _first_line(error), why, resume))
    timer = threading.Timer(EXIT_GRACE_SECS, self._exit)
    timer.daemon = True
    timer.start()

  def _exit(self):
    """Ends a process still stuck EXIT_GRACE_SECS after a lost peer's error."""
    sys.stdout.flush()
    sys.stderr.write('%s: error: %s\n' % (self._prog, self.error))
    sys.stderr.flush()
    os._exit(1)  # pylint: disable=protected-access


def _first_line(error):
  """The cause in a remote error's text, e.g. 'Connection refused'."""
  text = ' '.join(getattr(error, 'message', str(error)).split()).split(' Additional GRPC')[0]
  text = re.sub(r'Graph execution error:|=+|\b[A-Z_]+: |From /job:[^ ]*: ?', ' ', text)
  text = ' '.join(text.split())
  return text[:200] or type(error).__name__
