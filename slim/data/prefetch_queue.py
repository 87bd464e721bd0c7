"""A queue that prefetches tensors (e.g. assembled batches) in graph mode.

    images, labels = tf.compat.v1.train.batch([image, label], batch_size=32)
    batch_queue = prefetch_queue([images, labels])
    images, labels = batch_queue.dequeue()

Queue runners fill the queue: start them with `tf.compat.v1.train.start_queue_runners`
(or `slim.queues.QueueRunners`). With tf.data, use `dataset.prefetch` instead.
"""
import tensorflow as tf

from slim.data import _record_readers

__all__ = ['prefetch_queue']


def prefetch_queue(tensors, capacity=8, num_threads=1, dynamic_pad=False, shared_name=None,
                   name=None):
  """Returns a FIFO queue filled with `tensors` by `num_threads` queue-runner threads.

  Args:
    tensors: a list or dict of tensors to enqueue.
    capacity: the maximum number of elements in the queue (default 8).
    num_threads: the number of threads running the enqueue op (default 1).
    dynamic_pad: allow unknown dimensions, padded at dequeue (default False).
    shared_name: share the queue under this name across sessions (default None).
    name: a name scope (default 'prefetch_queue').

  Returns:
    A queue whose `dequeue()` gives tensors of the types and shapes of `tensors`
    (a dict with the keys of `tensors` if it is a dict).

  Raises:
    ValueError: if a shape is not fully defined and `dynamic_pad` is False.
    RuntimeError: if called eagerly.
  """
  _record_readers.check_graph_mode('prefetch_queue')
  if isinstance(tensors, dict):
    names = sorted(tensors)
    tensor_list = [tensors[key] for key in names]
  else:
    names = None
    tensor_list = tensors
  queue_class = tf.queue.PaddingFIFOQueue if dynamic_pad else tf.queue.FIFOQueue
  with tf.compat.v1.name_scope(name, 'prefetch_queue', tensor_list) as name:
    queue = queue_class(capacity=capacity, dtypes=[t.dtype for t in tensor_list],
                        shapes=[t.get_shape() for t in tensor_list], names=names,
                        shared_name=shared_name)
    enqueue_op = queue.enqueue(tensors)
    tf.compat.v1.train.add_queue_runner(
        tf.compat.v1.train.QueueRunner(queue, [enqueue_op] * num_threads))
    tf.compat.v1.summary.scalar('fraction_of_%d_full' % capacity,
                                tf.cast(queue.size(), tf.float32) * (1. / capacity))
    return queue
