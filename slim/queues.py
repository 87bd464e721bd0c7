"""Starting and stopping the queue runners of a graph around a block of session runs.

    with slim.queues.QueueRunners(sess):
      images = sess.run(batch)
"""
import contextlib
import threading

import tensorflow as tf

__all__ = ['NestedQueueRunnerError', 'QueueRunners']

_queue_runner_lock = threading.Lock()


class NestedQueueRunnerError(Exception):
  """QueueRunners contexts were nested."""


@contextlib.contextmanager
def QueueRunners(session):  # pylint: disable=invalid-name
  """Runs the graph's queue runners (collection QUEUE_RUNNERS) during the block.

  On exit the threads are asked to stop and joined (the session is closed if they
  do not stop within two minutes).

  Args:
    session: the running `tf.compat.v1.Session`.

  Raises:
    NestedQueueRunnerError: if a QueueRunners block is opened inside another.
  """
  if not _queue_runner_lock.acquire(False):
    raise NestedQueueRunnerError('QueueRunners cannot be nested')
  coord = tf.compat.v1.train.Coordinator()
  threads = []
  try:
    for runner in session.graph.get_collection(tf.compat.v1.GraphKeys.QUEUE_RUNNERS):
      threads.extend(runner.create_threads(session, coord=coord, daemon=True, start=True))
    yield
  finally:
    coord.request_stop()
    try:
      coord.join(threads, stop_grace_period_secs=120)
    except RuntimeError:
      session.close()
    _queue_runner_lock.release()
