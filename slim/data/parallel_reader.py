"""Reading records of many files at once, in graph mode.

`parallel_read` and `single_pass_read` return the (key, value) tensors of the next
record, read with tf.data (parallel interleave over the files, shuffle buffer), so
they need no queue runners; a reader that tf.data cannot replace (a custom
`tf.compat.v1.ReaderBase`) is read with queues as in tf_slim. `ParallelReader` is
the queue-based reader of tf_slim: several readers filling one common queue.

    key, value = parallel_read('/data/train-*', tf.compat.v1.TFRecordReader, num_readers=4)
"""
import tensorflow as tf

from slim import _checks
from slim.data import _record_readers

__all__ = ['ParallelReader', 'parallel_read', 'single_pass_read', 'get_data_files']

get_data_files = _record_readers.get_data_files


class ParallelReader(tf.compat.v1.ReaderBase):
  """Several readers of one class filling one common queue of (key, value) pairs.

  Each `read` adds a queue runner that makes every reader read a record from the
  file-name queue and enqueue it in `common_queue`, and returns the dequeue; start
  the queue runners (`tf.compat.v1.train.start_queue_runners`) before running it.
  A `tf.queue.RandomShuffleQueue` as common queue shuffles the records.

  Args:
    reader_class: a `tf.compat.v1.ReaderBase` class, e.g. `tf.compat.v1.TFRecordReader`.
    common_queue: a queue of dtypes [tf.string, tf.string].
    num_readers: the number of readers (default 4).
    reader_kwargs: keyword arguments of `reader_class` (default None).

  Raises:
    TypeError: if `common_queue` does not hold [tf.string, tf.string].
  """

  # ReaderBase.__init__ wants one reader op; this reader is made of several.
  # pylint: disable=super-init-not-called
  def __init__(self, reader_class, common_queue, num_readers=4, reader_kwargs=None):
    dtypes = list(common_queue.dtypes)
    if len(dtypes) != 2 or not all(d.is_compatible_with(tf.string) for d in dtypes):
      raise TypeError('common_queue.dtypes must be [tf.string, tf.string], received %s'
                      % dtypes)
    _checks.check_count('ParallelReader', 'num_readers', num_readers)
    reader_kwargs = reader_kwargs or {}
    self._readers = [reader_class(**reader_kwargs) for _ in range(num_readers)]
    self._common_queue = common_queue

  @property
  def num_readers(self):
    return len(self._readers)

  @property
  def common_queue(self):
    return self._common_queue

  @property
  def supports_serialize(self):
    return False

  def read(self, queue, name=None):
    """Returns the next (key, value) pair of the common queue.

    Args:
      queue: the queue of file names (e.g. of `tf.compat.v1.train.string_input_producer`).
      name: a name for the dequeue op (default None).
    """
    self._configure_readers_by(queue)
    return self._common_queue.dequeue(name=name)

  def read_up_to(self, queue, num_records, name=None):
    """Returns up to `num_records` (keys, values) of the common queue (1-D tensors).

    The common queue must support `dequeue_up_to` (a FIFOQueue or RandomShuffleQueue
    with fully defined shapes).
    """
    self._configure_readers_by(queue)
    return self._common_queue.dequeue_up_to(num_records, name)

  def _configure_readers_by(self, queue):
    enqueue_ops = [self._common_queue.enqueue(reader.read(queue)) for reader in self._readers]
    tf.compat.v1.train.add_queue_runner(
        tf.compat.v1.train.QueueRunner(self._common_queue, enqueue_ops))

  def num_records_produced(self, name=None):
    """Returns the number of records read by all readers (an int64 tensor)."""
    return tf.add_n([r.num_records_produced() for r in self._readers], name=name)

  def num_work_units_completed(self, name=None):
    """Returns the number of files finished by all readers (an int64 tensor)."""
    return tf.add_n([r.num_work_units_completed() for r in self._readers], name=name)

  def reset(self, name=None):
    """Returns an op resetting every reader."""
    return tf.group(*[r.reset() for r in self._readers], name=name)


def _queue_parallel_read(data_files, reader_class, num_epochs, num_readers, reader_kwargs,
                         shuffle, dtypes, capacity, min_after_dequeue, seed):
  """The queue-based read of tf_slim, for readers that tf.data cannot replace."""
  filename_queue = tf.compat.v1.train.string_input_producer(
      data_files, num_epochs=num_epochs, shuffle=shuffle, seed=seed, name='filenames')
  if shuffle:
    common_queue = tf.queue.RandomShuffleQueue(
        capacity=capacity, min_after_dequeue=min_after_dequeue, dtypes=dtypes, seed=seed,
        name='common_queue')
  else:
    common_queue = tf.queue.FIFOQueue(capacity=capacity, dtypes=dtypes, name='common_queue')
  tf.compat.v1.summary.scalar(
      'fraction_of_%d_full' % capacity,
      tf.cast(common_queue.size(), tf.float32) * (1. / capacity))
  return ParallelReader(reader_class, common_queue, num_readers=num_readers,
                        reader_kwargs=reader_kwargs).read(filename_queue)


def _next_pair(records):
  return tf.compat.v1.data.make_one_shot_iterator(records).get_next()


def parallel_read(data_sources, reader_class, num_epochs=None, num_readers=4,
                  reader_kwargs=None, shuffle=True, dtypes=None, capacity=256,
                  min_after_dequeue=128, seed=None, scope=None):
  """Returns the (key, value) tensors of the next record of `data_sources` (graph mode).

  Reads `num_readers` files at a time with tf.data; each run of the tensors gives
  the next record. After `num_epochs` passes the run raises `tf.errors.OutOfRangeError`.

  Args:
    data_sources: a file name or pattern ('/data/train-*'), or a list of them.
    reader_class: a TF1 reader class (e.g. `tf.compat.v1.TFRecordReader`) or a tf.data
      dataset class.
    num_epochs: passes over the data; None repeats forever (default None).
    num_readers: files read in parallel (default 4).
    reader_kwargs: keyword arguments of the reader (default None).
    shuffle: shuffle files and records (default True).
    dtypes: the record dtypes, [tf.string, tf.string] (default).
    capacity: the size of the shuffle buffer (default 256).
    min_after_dequeue: the queue's minimum fill, used by queue-based readers only
      (default 128).
    seed: the shuffle seed (default None).
    scope: a name scope (default 'parallel_read').

  Returns:
    (key, value): scalar string tensors.

  Raises:
    ValueError: if no data file is found or an argument is invalid.
    RuntimeError: if called eagerly.
  """
  _record_readers.check_graph_mode('parallel_read')
  data_files = get_data_files(data_sources)
  _checks.check_count('parallel_read', 'num_readers', num_readers)
  _checks.check_count('parallel_read', 'num_epochs', num_epochs, allow_none=True)
  _checks.check_count('parallel_read', 'capacity', capacity)
  dtypes = dtypes or [tf.string, tf.string]
  with tf.compat.v1.name_scope(scope, 'parallel_read'):
    found = _record_readers.record_source(reader_class, reader_kwargs)
    if found is None:
      return _queue_parallel_read(data_files, reader_class, num_epochs, num_readers,
                                  reader_kwargs, shuffle, dtypes, capacity,
                                  min_after_dequeue, seed)
    compression, source = found
    if _record_readers.is_tfrecord_reader(reader_class):
      _record_readers.check_tfrecord_files('parallel_read', data_files, compression)
    if num_epochs is None:
      _record_readers.check_not_all_empty('parallel_read', data_files)
    records = _record_readers.read_records(
        data_files, source, num_readers=num_readers, shuffle=shuffle, num_epochs=num_epochs,
        shuffle_buffer_size=capacity, seed=seed)
    return _next_pair(records.prefetch(tf.data.AUTOTUNE))


def single_pass_read(data_sources, reader_class, reader_kwargs=None, scope=None):
  """Returns the (key, value) tensors of the records of `data_sources`, read once in order.

  After the last record a run raises `tf.errors.OutOfRangeError` (graph mode).

  Args:
    data_sources: a file name or pattern, or a list of them.
    reader_class: a TF1 reader class or a tf.data dataset class.
    reader_kwargs: keyword arguments of the reader (default None).
    scope: a name scope (default 'single_pass_read').

  Returns:
    (key, value): scalar string tensors.
  """
  _record_readers.check_graph_mode('single_pass_read')
  data_files = get_data_files(data_sources)
  with tf.compat.v1.name_scope(scope, 'single_pass_read'):
    found = _record_readers.record_source(reader_class, reader_kwargs)
    if found is None:
      filename_queue = tf.compat.v1.train.string_input_producer(
          data_files, num_epochs=1, shuffle=False, capacity=1, name='filenames')
      return reader_class(**(reader_kwargs or {})).read(filename_queue)
    compression, source = found
    if _record_readers.is_tfrecord_reader(reader_class):
      _record_readers.check_tfrecord_files('single_pass_read', data_files, compression)
    records = _record_readers.read_records(data_files, source, shuffle=False, num_epochs=1)
    return _next_pair(records)
