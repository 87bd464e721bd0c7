"""A context that runs the queue runners of a TF1 graph.

    with slim.queues.QueueRunners(sess):
      sess.run(train_op)   # input queues are being filled

Queue runners start on entry (daemon threads) and are stopped and joined on
exit. New input pipelines should use tf.data instead.
"""
import contextlib
import threading

import tensorflow as tf

__all__ = ['NestedQueueRunnerError', 'QueueRunners']

_queue_runner_lock = threading.Lock()


class NestedQueueRunnerError(Exception):
  """A QueueRunners context was opened inside another one."""


@contextlib.contextmanager
def QueueRunners(session):  # pylint: disable=invalid-name
  """Starts the QUEUE_RUNNERS of the default graph for the body of the context.

  Args:
    session: the `tf.compat.v1.Session` that runs them.

  Yields:
    Nothing; the queue runners run until the context exits.

  Raises:
    NestedQueueRunnerError: the context is nested in another QueueRunners.
  """
  if not _queue_runner_lock.acquire(False):
    raise NestedQueueRunnerError('QueueRunners cannot be nested: a QueueRunners context is '
                                 'already open')
  try:
    coordinator = tf.compat.v1.train.Coordinator()
    threads = []
    for runner in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.QUEUE_RUNNERS):
      threads.extend(runner.create_threads(session, coord=coordinator, daemon=True,
                                           start=True))
    try:
      yield
    finally:
      coordinator.request_stop()
      try:
        coordinator.join(threads, stop_grace_period_secs=120)
      except RuntimeError:
        session.close()
  finally:
    _queue_runner_lock.release()
