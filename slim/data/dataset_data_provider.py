"""Items of a `slim.dataset.Dataset`, read and decoded with tf.data.

Graph mode, as in tf_slim: `get` returns the tensors of the next record; every
`get` of one provider returns tensors of the same record.

    provider = DatasetDataProvider(dataset, num_readers=4, shuffle=True, num_epochs=1)
    image, label = provider.get(['image', 'label'])

Underneath there are no queue runners: the files are interleaved `num_readers` at
a time, records are shuffled in a buffer of `common_queue_capacity`, decoded by a
parallel map (AUTOTUNE) and prefetched. With `num_epochs`, a run after the last
record raises `tf.errors.OutOfRangeError`.

Eagerly, in `tf.function` and with `tf.distribute`, use the same reading as a
`tf.data.Dataset` of item dicts:

    for batch in provider.as_dataset().batch(32):
      logits = model(batch['image'])

    strategy.distribute_datasets_from_function(
        lambda context: provider.as_dataset(context).batch(
            context.get_per_replica_batch_size(64)))
"""
import tensorflow as tf

from slim import _checks
from slim.data import _record_readers
from slim.data import data_provider
from slim.data import parallel_reader
from slim.layers import _common

__all__ = ['DatasetDataProvider', 'graph_iterator', 'make_tf_dataset']


def _check_dataset(owner, dataset):
  missing = [name for name in ('data_sources', 'reader', 'decoder', 'num_samples')
             if not hasattr(dataset, name)]
  if missing:
    raise ValueError('%s: dataset must be a slim.dataset.Dataset, received %r (it has no %s)'
                     % (owner, dataset, ', '.join(missing)))


def _check_items(owner, decoder_items, items, record_key):
  if items is None:
    return list(decoder_items), True
  if not isinstance(items, (list, tuple)):
    raise ValueError('%s: items must be a list of item names, received %r' % (owner, items))
  unknown = [item for item in items if item not in decoder_items and item != record_key]
  if unknown:
    raise ValueError('%s: unknown items %s. Known items: %s' % (
        owner, unknown, ', '.join(list(decoder_items) + [record_key])))
  return [item for item in items if item != record_key], record_key in items


def make_tf_dataset(dataset, items=None, num_readers=1, reader_kwargs=None, shuffle=True,
                    num_epochs=None, shuffle_buffer_size=256, record_key='record_key',
                    seed=None, input_context=None):
  """A `tf.data.Dataset` of the decoded items of `dataset`, one dict per record.

  Works eagerly, in `tf.function`, with `tf.distribute` and in graph mode.

  Args:
    dataset: a `slim.dataset.Dataset`.
    items: the item names to decode (default None: every item and `record_key`).
    num_readers: files read in parallel (default 1).
    reader_kwargs: keyword arguments of the dataset's reader (default None).
    shuffle: shuffle files every epoch and records in a buffer (default True).
    num_epochs: passes over the data; None repeats forever (default None).
    shuffle_buffer_size: records in the shuffle buffer (default 256).
    record_key: the item name of the record key '<file>:<offset>' (default 'record_key').
    seed: the shuffle seed (default None).
    input_context: a `tf.distribute.InputContext`; each input pipeline then reads its
      own files, or its own records when there are fewer files than pipelines
      (default None).

  Returns:
    A `tf.data.Dataset` of dicts {item: tensor}.

  Raises:
    ValueError: if no data file is found, a file is not of the reader's format, an
      item is unknown, `record_key` is a dataset item, or an argument is invalid.

  Example:
    for item in make_tf_dataset(dataset, num_epochs=1, shuffle=False).batch(32):
      images, labels = item['image'], item['label']
  """
  owner = 'make_tf_dataset'
  _check_dataset(owner, dataset)
  decoder_items = list(dataset.decoder.list_items())
  if record_key in decoder_items:
    raise ValueError('The item name used for `record_key` cannot also be used for a '
                     'dataset item: %s' % record_key)
  items, with_key = _check_items(owner, decoder_items, items, record_key)
  _checks.check_count(owner, 'num_readers', num_readers)
  _checks.check_count(owner, 'num_epochs', num_epochs, allow_none=True)
  _checks.check_count(owner, 'shuffle_buffer_size', shuffle_buffer_size)
  data_files = parallel_reader.get_data_files(dataset.data_sources)
  found = _record_readers.record_source(dataset.reader, reader_kwargs)
  if found is None:
    raise ValueError('%s: the reader %s has no tf.data equivalent; give the Dataset a '
                     'tf.compat.v1 TFRecordReader, TextLineReader, FixedLengthRecordReader '
                     'or WholeFileReader, a tf.data dataset class, or a function from a file '
                     'name to a tf.data.Dataset' % (owner, dataset.reader))
  compression, source = found
  if _record_readers.is_tfrecord_reader(dataset.reader):
    _record_readers.check_tfrecord_files(owner, data_files, compression)
  if num_epochs is None:
    _record_readers.check_not_all_empty(owner, data_files)
  records = _record_readers.read_records(
      data_files, source, num_readers=num_readers, shuffle=shuffle, num_epochs=num_epochs,
      shuffle_buffer_size=shuffle_buffer_size, seed=seed, input_context=input_context)

  def decode(key, record):
    decoded = dict(zip(items, dataset.decoder.decode(record, items))) if items else {}
    if with_key:
      decoded[record_key] = key
    return decoded

  deterministic = not shuffle or seed is not None
  return records.map(decode, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=deterministic).prefetch(tf.data.AUTOTUNE)


def graph_iterator(tf_dataset):
  """An iterator for a session run without initializers when possible.

  A one-shot iterator cannot hold stateful objects (a lookup table of a decoder);
  then the iterator is initializable and its initializer joins the table initializers
  (`tf.compat.v1.tables_initializer()`, run by Scaffold, Supervisor, slim.learning).
  """
  try:
    return tf.compat.v1.data.make_one_shot_iterator(tf_dataset)
  except ValueError:
    iterator = tf.compat.v1.data.make_initializable_iterator(tf_dataset)
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.TABLE_INITIALIZERS,
                                   iterator.initializer)
    return iterator


class DatasetDataProvider(data_provider.DataProvider):
  """Provides the decoded items of a `slim.dataset.Dataset`.

  In graph mode the records are read when the provider is made, and `get` returns
  the tensors of the next record. In every mode `as_dataset` returns the same
  reading as a `tf.data.Dataset` of item dicts.

  Args:
    dataset: a `slim.dataset.Dataset`.
    num_readers: files read in parallel (default 1).
    reader_kwargs: keyword arguments of the dataset's reader (default None).
    shuffle: shuffle files every epoch and records in a buffer (default True).
    num_epochs: passes over the data; None repeats forever (default None).
    common_queue_capacity: the size of the shuffle buffer (default 256).
    common_queue_min: the minimum fill of the queue of queue-based readers (default 128).
    record_key: the item name of the record key '<file>:<offset>' (default 'record_key').
    seed: the shuffle seed (default None).
    scope: a name scope for the graph-mode ops (default 'parallel_read').

  Raises:
    ValueError: if `record_key` is a dataset item, no data file is found, or an
      argument is invalid.
  """

  def __init__(self, dataset, num_readers=1, reader_kwargs=None, shuffle=True,
               num_epochs=None, common_queue_capacity=256, common_queue_min=128,
               record_key='record_key', seed=None, scope=None):
    _check_dataset('DatasetDataProvider', dataset)
    items = list(dataset.decoder.list_items())
    if record_key in items:
      raise ValueError('The item name used for `record_key` cannot also be used for a '
                       'dataset item: %s' % record_key)
    self._dataset = dataset
    self._record_key = record_key
    self._item_names = items + [record_key]
    self._options = dict(num_readers=num_readers, reader_kwargs=reader_kwargs,
                         shuffle=shuffle, num_epochs=num_epochs,
                         shuffle_buffer_size=common_queue_capacity, record_key=record_key,
                         seed=seed)
    items_to_tensors = None
    if _common.in_graph_mode():
      with tf.compat.v1.name_scope(scope, 'parallel_read'):
        items_to_tensors = self._graph_items(common_queue_min)
    else:
      make_tf_dataset(dataset, **self._options)  # checks the files and options now
    super().__init__(items_to_tensors=items_to_tensors, num_samples=dataset.num_samples)

  def _graph_items(self, common_queue_min):
    if _record_readers.record_source(self._dataset.reader,
                                     self._options['reader_kwargs']) is None:
      return self._queue_items(common_queue_min)
    return dict(graph_iterator(make_tf_dataset(self._dataset, **self._options)).get_next())

  def _queue_items(self, common_queue_min):
    """tf_slim's reading, for a reader that tf.data cannot replace."""
    options = self._options
    key, data = parallel_reader.parallel_read(
        self._dataset.data_sources, reader_class=self._dataset.reader,
        num_epochs=options['num_epochs'], num_readers=options['num_readers'],
        reader_kwargs=options['reader_kwargs'], shuffle=options['shuffle'],
        capacity=options['shuffle_buffer_size'], min_after_dequeue=common_queue_min,
        seed=options['seed'], scope='queue')
    items = list(self._dataset.decoder.list_items())
    items_to_tensors = dict(zip(items, self._dataset.decoder.decode(data, items)))
    items_to_tensors[self._record_key] = key
    return items_to_tensors

  def get(self, items):
    """Returns the tensors of `items` of the current record (graph mode).

    Raises:
      ValueError: if `items` is not a list or tuple or names an unknown item.
      RuntimeError: if the provider was made eagerly (use `as_dataset`).
    """
    if self._items_to_tensors is None:
      raise RuntimeError(
          'DatasetDataProvider.get returns graph-mode tensors, but this provider was made '
          'eagerly; iterate over provider.as_dataset() instead')
    return super().get(items)

  def list_items(self):
    return list(self._item_names)

  def as_dataset(self, input_context=None, items=None):
    """This provider's reading as a `tf.data.Dataset` of item dicts.

    Args:
      input_context: a `tf.distribute.InputContext` to read this input pipeline's
        shard (default None: everything).
      items: the item names to decode (default None: every item and the record key).

    Returns:
      A `tf.data.Dataset` of dicts {item: tensor}.
    """
    return make_tf_dataset(self._dataset, items=items, input_context=input_context,
                           **self._options)
