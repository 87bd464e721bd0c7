"""slim.queues.QueueRunners: runs the queue runners of a session, and does not nest."""
import pytest
import tensorflow as tf

import slim


def test_queue_runners_feed_a_queue(graph):
  queue = tf.queue.FIFOQueue(4, tf.int32)
  runner = tf.compat.v1.train.QueueRunner(queue, [queue.enqueue(7)])
  tf.compat.v1.train.add_queue_runner(runner)
  item = queue.dequeue()
  with tf.compat.v1.Session() as sess:
    with slim.queues.QueueRunners(sess):
      assert [sess.run(item) for _ in range(3)] == [7, 7, 7]
      with pytest.raises(slim.queues.NestedQueueRunnerError, match='cannot be nested'):
        with slim.queues.QueueRunners(sess):
          pass
  # The context released its lock (the queue above is closed now: use another graph).
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    with slim.queues.QueueRunners(sess):
      pass


def test_queue_runners_cannot_nest(graph):
  with tf.compat.v1.Session() as sess:
    with slim.queues.QueueRunners(sess):
      with pytest.raises(slim.queues.NestedQueueRunnerError):
        with slim.queues.QueueRunners(sess):
          pass
