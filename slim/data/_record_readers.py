"""Records of data files through tf.data, keyed as the TF1 readers key them.

Each reader a `slim.dataset.Dataset` may name becomes a function from one file
name to a `tf.data.Dataset` of (key, record) string pairs, with the keys of the TF1
reader: '<file>:<byte offset>' for TFRecords, '<file>:<line number>' for text
lines, '<file>:<record number>' for fixed-length records, '<file>' for whole files.
`read_records` interleaves the files, shards, shuffles and repeats them.
"""
import os

import tensorflow as tf

from slim.layers import _common

_TFRECORD_FRAMING_BYTES = 16  # length (8) + length crc (4) + data crc (4)


def check_graph_mode(owner):
  if not _common.in_graph_mode():
    raise RuntimeError(
        '%s builds graph-mode (tf.compat.v1) input tensors and does not run eagerly or in '
        'tf.function; use slim.dataset_data_provider.make_tf_dataset (a tf.data.Dataset) '
        'instead' % owner)


def get_data_files(data_sources):
  """Returns the sorted files of `data_sources` (file names and glob patterns).

  Args:
    data_sources: a file name or pattern ('/data/train-*'), or a list of them.

  Returns:
    A list of file names.

  Raises:
    ValueError: if no file is found.
  """
  if isinstance(data_sources, (list, tuple)):
    data_files = []
    for source in data_sources:
      data_files += get_data_files(source)
    return data_files
  if not isinstance(data_sources, (str, bytes)):
    raise ValueError('data_sources must be a file name, a glob pattern or a list of them, '
                     'received %r' % (data_sources,))
  if isinstance(data_sources, bytes):
    data_sources = data_sources.decode('utf-8')
  if any(char in data_sources for char in '*?['):
    data_files = sorted(path for path in tf.io.gfile.glob(data_sources)
                        if not tf.io.gfile.isdir(path))
  else:
    data_files = [data_sources] if tf.io.gfile.exists(data_sources) else []
  if not data_files:
    directory = os.path.dirname(data_sources)
    hint = (' (the directory %s does not exist)' % directory
            if directory and not tf.io.gfile.isdir(directory) else '')
    raise ValueError('No data files found in %s%s' % (data_sources, hint))
  return data_files


def _masked_crc32c(data):
  crc = 0xFFFFFFFF
  for byte in data:
    crc ^= byte
    for _ in range(8):
      crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
  crc ^= 0xFFFFFFFF
  return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def check_tfrecord_files(owner, data_files, compression_type='', max_files=64):
  """Raises a ValueError naming the first file that does not start as a TFRecord.

  Only the first record header of at most `max_files` files is read, so a
  truncated or corrupt record further on is reported by TensorFlow at read time.
  """
  if compression_type:
    return
  for path in data_files[:max_files]:
    with tf.io.gfile.GFile(path, 'rb') as f:
      header = f.read(12)
    if not header:
      continue
    if len(header) < 12 or _masked_crc32c(header[:8]) != int.from_bytes(header[8:], 'little'):
      raise ValueError('%s: %s is not a TFRecord file (its first record header does not '
                       'check out); data_sources must name TFRecord files, or give the '
                       "matching reader" % (owner, path))


def find_damaged_tfrecord(data_files):
  """`(file, byte offset, reason)` of the first damaged record of `data_files`, or None.

  Walks the record headers only (length and its checksum), so it finds a
  truncated file or a corrupt header quickly, not a corrupt payload.
  """
  for path in data_files:
    size = tf.io.gfile.stat(path).length
    offset = 0
    with tf.io.gfile.GFile(path, 'rb') as f:
      while offset < size:
        f.seek(offset)
        header = f.read(12)
        if len(header) < 12:
          return path, offset, 'the file ends inside a record header (truncated)'
        if _masked_crc32c(header[:8]) != int.from_bytes(header[8:], 'little'):
          return path, offset, 'the record header is corrupt'
        end = offset + int.from_bytes(header[:8], 'little') + _TFRECORD_FRAMING_BYTES
        if end > size:
          return path, offset, 'the file ends inside the record starting there (truncated)'
        offset = end
  return None


def describe_damage(data_sources):
  """A message naming the first damaged record of `data_sources` that
  `find_damaged_tfrecord` finds (after a `tf.errors.DataLossError`), or None."""
  damaged = find_damaged_tfrecord(get_data_files(data_sources))
  if damaged is None:
    return None
  path, offset, reason = damaged
  return ('%s is damaged at byte %d: %s; re-create it (e.g. with download_and_convert_data)'
          % (path, offset, reason))


def check_not_all_empty(owner, data_files):
  """Raises a ValueError if every file is empty (repeating them would never end)."""
  if all(tf.io.gfile.stat(path).length == 0 for path in data_files):
    raise ValueError('%s: every data file is empty: %s' % (owner, ', '.join(data_files[:5])))


_KEY_BATCH = 256  # records keyed per step: one function call per batch, not per record


def _keyed(filename, records, first, record_size=None):
  """(key, record) pairs; a key is '<filename>:<position>'.

  Positions start at `first` and grow by `record_size(records)` (byte sizes, for
  offsets) or by 1 per record (record numbers).
  """
  def step(start, batch):
    sizes = record_size(batch) if record_size else tf.ones_like(batch, dtype=tf.int64)
    ends = start + tf.cumsum(sizes)
    positions = tf.strings.as_string(ends - sizes)
    return ends[-1], (tf.strings.join([filename, positions], separator=':'), batch)
  return records.batch(_KEY_BATCH).scan(tf.constant(first, tf.int64), step).unbatch()


def _tfrecord_size(batch):
  return tf.cast(tf.strings.length(batch), tf.int64) + _TFRECORD_FRAMING_BYTES


def _keyed_by_offset(filename, records):
  return _keyed(filename, records, 0, _tfrecord_size)


def _keyed_by_index(filename, records, first=0):
  return _keyed(filename, records, first)


def _tfrecord_source(reader_kwargs):
  options = reader_kwargs.get('options')
  compression = tf.io.TFRecordOptions.get_compression_type_string(options) or ''
  return compression, lambda filename: _keyed_by_offset(
      filename, tf.data.TFRecordDataset(filename, compression_type=compression))


def _text_line_source(reader_kwargs):
  skip = reader_kwargs.get('skip_header_lines') or 0
  return '', lambda filename: _keyed_by_index(
      filename, tf.data.TextLineDataset(filename).skip(skip), first=skip + 1)


def _fixed_length_source(reader_kwargs):
  if reader_kwargs.get('hop_bytes'):
    return None  # tf.data has no hops: the queue-based reader reads these
  encoding = reader_kwargs.get('encoding') or ''
  return encoding, lambda filename: _keyed_by_index(filename, tf.data.FixedLengthRecordDataset(
      filename, reader_kwargs['record_bytes'], header_bytes=reader_kwargs.get('header_bytes'),
      footer_bytes=reader_kwargs.get('footer_bytes'), compression_type=encoding))


def _whole_file_source(unused_reader_kwargs):
  return '', lambda filename: tf.data.Dataset.from_tensors(
      (filename, tf.io.read_file(filename)))


_TF1_READER_SOURCES = (
    (tf.compat.v1.TFRecordReader, _tfrecord_source),
    (tf.compat.v1.TextLineReader, _text_line_source),
    (tf.compat.v1.FixedLengthRecordReader, _fixed_length_source),
    (tf.compat.v1.WholeFileReader, _whole_file_source),
)


def is_tfrecord_reader(reader):
  return isinstance(reader, type) and issubclass(
      reader, (tf.compat.v1.TFRecordReader, tf.data.TFRecordDataset))


def record_source(reader, reader_kwargs=None):
  """How `reader` reads one file with tf.data.

  Args:
    reader: a TF1 reader class, a `tf.data` dataset class, or a function from a file
      name to a `tf.data.Dataset` of records.
    reader_kwargs: the keyword arguments of the reader (default None).

  Returns:
    (compression_type, source): `source` maps a file name to a Dataset of (key, record)
    pairs. None for a TF1 reader that tf.data cannot replace (a custom ReaderBase).
  """
  reader_kwargs = dict(reader_kwargs or {})
  if isinstance(reader, type) and issubclass(reader, tf.compat.v1.ReaderBase):
    for reader_class, make_source in _TF1_READER_SOURCES:
      if issubclass(reader, reader_class):
        return make_source(reader_kwargs)
    return None
  if not callable(reader):
    raise ValueError('reader must be a TF1 reader class, a tf.data dataset class or a '
                     'function from a file name to a tf.data.Dataset, received %r' % (reader,))
  if isinstance(reader, type) and issubclass(reader, tf.data.TFRecordDataset):
    compression = reader_kwargs.get('compression_type') or ''
    return compression, lambda filename: _keyed_by_offset(
        filename, reader(filename, **reader_kwargs))
  return '', lambda filename: _keyed_by_index(filename, reader(filename, **reader_kwargs))




def read_records(data_files, source, num_readers=1, shuffle=True, num_epochs=None,
                 shuffle_buffer_size=256, seed=None, input_context=None):
  """A tf.data.Dataset of (key, record) pairs from `data_files`.

  Files are read `num_readers` at a time, interleaved record by record. With
  `shuffle`, the file order is shuffled every epoch and the records go through a
  shuffle buffer. With an `input_context` of several input pipelines, each pipeline
  reads its own files (or, with fewer files than pipelines, its own records).

  Args:
    data_files: a list of file names.
    source: a function from a file name to a Dataset of (key, record) pairs.
    num_readers: files read in parallel (default 1).
    shuffle: shuffle files and records (default True).
    num_epochs: passes over the data; None repeats forever (default None).
    shuffle_buffer_size: records in the shuffle buffer (default 256).
    seed: the shuffle seed (default None).
    input_context: a `tf.distribute.InputContext` (default None).
  """
  files = tf.data.Dataset.from_tensor_slices(list(data_files))
  pipelines = input_context.num_input_pipelines if input_context else 1
  shard_records = pipelines > 1 and len(data_files) < pipelines
  if pipelines > 1 and not shard_records:
    files = files.shard(pipelines, input_context.input_pipeline_id)
  if shuffle:
    # Pipelines sharding records must see the files in the same order.
    file_seed = seed if seed is not None or not shard_records else 0
    files = files.shuffle(len(data_files), seed=file_seed, reshuffle_each_iteration=True)
  files = files.repeat(num_epochs)
  parallel = {}
  if num_readers > 1:  # `deterministic` only means something for parallel reads
    parallel = dict(num_parallel_calls=tf.data.AUTOTUNE,
                    deterministic=not shuffle or seed is not None or shard_records)
  records = files.interleave(source, cycle_length=num_readers, block_length=1, **parallel)
  if shard_records:
    records = records.shard(pipelines, input_context.input_pipeline_id)
  if shuffle:
    records = records.shuffle(shuffle_buffer_size, seed=seed)
  return records
