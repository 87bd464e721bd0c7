"""The records of a split as the tools read them: each one checked, a bad one an
error naming it, or skipped and counted.

A record is bad when it is not a tf.train.Example, has no label or several, a
label outside the classes, or an image that cannot be decoded and preprocessed
to the network's input.

How, with tf.data only: the records are read as serialized strings keyed
'<file>:<index in the file>' and taken a batch at a time; each batch is decoded
and preprocessed in a dataset of its own, whose `ignore_errors` drops a record
that fails there (a damaged file still fails the reading: it is read outside).
What is missing from the batch, or has a bad label, is a bad record; what is
wrong with it is worked out only once one is found. A batch without a bad record
goes on as it is: the checks cost a few ops per batch, no copy of its images.

    records = serialized_records(dataset, is_training=False)
    batches = checked_batches(records, dataset, decode, batch_size=32)
"""
import collections
import sys
import weakref

import tensorflow as tf

from slim.data import _record_readers as record_readers

__all__ = ['RecordCounts', 'checked_batches', 'record_counts', 'serialized_records']

# The features of the classification examples of slim.datasets.
LABEL_KEY = 'image/class/label'
IMAGE_KEY = 'image/encoded'
FORMAT_KEY = 'image/format'


# What is wrong with a bad record.
(_NOT_EXAMPLE, _NO_LABEL, _LABELS, _BAD_LABEL, _NO_IMAGE, _RAW_IMAGE, _NOT_IMAGE, _UNDECODABLE,
 _UNUSABLE) = range(9)

RecordCounts = collections.namedtuple('RecordCounts', ['split', 'skipped', 'kept'])
RecordCounts.__doc__ = """The int64 local variables counting the bad records
skipped and the good ones kept by the pipeline of the split `split` (records read,
which may run a few batches ahead of those used)."""

# {graph: the `RecordCounts` of its pipeline skipping bad records} (not a graph
# collection: a meta graph cannot hold a namedtuple).
_COUNTS = weakref.WeakKeyDictionary()


def record_counts(graph=None):
  """The `RecordCounts` of the pipeline of `graph` (default: the default graph)
  that skips bad records, or None."""
  return _COUNTS.get(graph or tf.compat.v1.get_default_graph())


def _zero(dtype=tf.int64):
  return tf.constant(0, dtype)


def _tfrecords(filename):
  return tf.data.TFRecordDataset(filename)


def serialized_records(dataset, num_readers=1, is_training=True, shuffle_buffer_size=256):
  """A `tf.data.Dataset` of (key '<file>:<index in the file>', serialized record)
  of `dataset` (a `slim.dataset.Dataset`), read as slim.data's providers read
  them: shuffled and repeated for training, one ordered pass otherwise.

  Raises:
    ValueError: no data file, a file that is not a TFRecord file, or (training)
      only empty files.
  """
  files = record_readers.get_data_files(dataset.data_sources)
  reader = dataset.reader
  if record_readers.is_tfrecord_reader(reader):
    record_readers.check_tfrecord_files('image_batches', files)
    reader = _tfrecords  # keyed by record index rather than byte offset
  found = record_readers.record_source(reader)
  if found is None:
    raise ValueError('image_batches: the reader %s has no tf.data equivalent' % reader)
  if is_training:
    record_readers.check_not_all_empty('image_batches', files)
  return record_readers.read_records(
      files, found[1], num_readers=num_readers, shuffle=is_training,
      num_epochs=None if is_training else 1, shuffle_buffer_size=shuffle_buffer_size)


def _isolated(fn, value, fallback):
  """`fn(value)`, or `fallback` where `fn` fails: run in a dataset of its own,
  whose `ignore_errors` drops the error."""
  attempt = tf.data.Dataset.from_tensors(value).map(fn).ignore_errors()
  return attempt.concatenate(tf.data.Dataset.from_tensors(fallback)).take(1) \
      .get_single_element()


def _first(values, default):
  return tf.concat([values[:1], [default]], 0)[0]


def _fields(record):
  """(labels, label, images, image, format) of a serialized Example."""
  parsed = tf.io.parse_single_example(record, {
      LABEL_KEY: tf.io.VarLenFeature(tf.int64), IMAGE_KEY: tf.io.VarLenFeature(tf.string),
      FORMAT_KEY: tf.io.VarLenFeature(tf.string)})
  labels, images = parsed[LABEL_KEY].values, parsed[IMAGE_KEY].values
  return (tf.size(labels, out_type=tf.int64), _first(labels, _zero()),
          tf.size(images, out_type=tf.int64), _first(images, ''),
          _first(parsed[FORMAT_KEY].values, ''))


class _Checker:
  """What a split's checks need: its name, the labels expected, the decoding."""

  def __init__(self, dataset, decode, labels_offset):
    split = getattr(dataset, 'split_name', None)
    name = getattr(dataset, 'name', None) or 'the dataset'
    self.where = '%s split of %s: ' % (split, name) if split else '%s: ' % name
    self.split = split or 'dataset\'s'
    self.first, self.last = labels_offset, dataset.num_classes - 1
    self.expected = '%d..%d (labels_offset=%d)' % (self.first, self.last, labels_offset)
    self.num_samples = max(int(dataset.num_samples or 1), 1)
    self.decode = decode

  def decode_record(self, position, record):
    """(position, image, label, labels) of one record; fails on an image that
    cannot be decoded or preprocessed."""
    labels = tf.io.parse_single_example(
        record, {LABEL_KEY: tf.io.VarLenFeature(tf.int64)})[LABEL_KEY].values
    return (position, self.decode(record), _first(labels, _zero()),
            tf.size(labels, out_type=tf.int64))

  def where_is(self, key):
    """'<split> of <dataset>: record <index> of <file name>' from the key '<file>:<index>'."""
    return tf.strings.join([self.where, tf.strings.regex_replace(
        key, r'^(?:.*/)?(.*):(\d+)$', r'record \2 of \1')])

  def describe(self, key, record):
    """What is wrong with the bad record `record`, keyed `key` (without quotes: an
    assertion's message escapes them)."""
    num_labels, label, num_images, image, image_format = _isolated(
        _fields, record, (tf.constant(-1, tf.int64), _zero(), _zero(), tf.constant(''),
                          tf.constant('')))
    shape = _isolated(
        lambda data: tf.shape(tf.io.decode_image(data, expand_animations=False),
                              out_type=tf.int64),
        image, tf.constant([-1, -1, -1], tf.int64))
    head = tf.strings.substr(image, 0, 4)
    known = (tf.io.is_jpeg(image) | tf.equal(head, b'\x89PNG') | tf.equal(head, b'GIF8') |
             tf.equal(tf.strings.substr(image, 0, 2), b'BM'))
    reason = tf.case([
        (num_labels < 0, lambda: _NOT_EXAMPLE), (tf.equal(num_labels, 0), lambda: _NO_LABEL),
        (num_labels > 1, lambda: _LABELS),
        ((label < self.first) | (label > self.last), lambda: _BAD_LABEL),
        (tf.equal(num_images, 0) | tf.equal(tf.strings.length(image), 0), lambda: _NO_IMAGE),
        (tf.equal(tf.strings.lower(image_format), 'raw'), lambda: _RAW_IMAGE),
        (tf.logical_not(known), lambda: _NOT_IMAGE), (shape[0] < 0, lambda: _UNDECODABLE),
    ], default=lambda: _UNUSABLE, exclusive=False)
    size = tf.strings.as_string(tf.strings.length(image))
    pixels = tf.strings.reduce_join(tf.strings.as_string(shape), separator='x')
    messages = [
        lambda: ' is not a tf.train.Example',
        lambda: ' has no label (feature %s); expected one in %s' % (LABEL_KEY, self.expected),
        lambda: tf.strings.join([' has ', tf.strings.as_string(num_labels), ' labels (feature ',
                                 LABEL_KEY, '); expected one in ', self.expected]),
        lambda: tf.strings.join([' has label ', tf.strings.as_string(label), '; expected ',
                                 self.expected]),
        lambda: ' has no image (feature %s missing or empty)' % IMAGE_KEY,
        lambda: tf.strings.join([' has a raw image of ', size, ' bytes that the decoder of '
                                 'the dataset cannot use (not the bytes of its image shape)']),
        lambda: tf.strings.join([' has an image (', size, ' bytes, format ', image_format,
                                 ') that is not a JPEG, PNG, GIF or BMP image']),
        lambda: tf.strings.join([' has a ', image_format, ' image (', size, ' bytes) that '
                                 'cannot be decoded (corrupt or truncated)']),
        lambda: tf.strings.join([' has an image of ', pixels, ' pixels that the decoder of '
                                 'the dataset or the preprocessing cannot use']),
    ]
    return tf.strings.join([self.where_is(key), tf.switch_case(reason, messages)])


def _highest_power_of_two(n):
  """The highest power of two <= n (n >= 1, int64)."""
  for shift in (1, 2, 4, 8, 16, 32):
    n = tf.bitwise.bitwise_or(n, tf.bitwise.right_shift(n, tf.constant(shift, tf.int64)))
  return n - tf.bitwise.right_shift(n, tf.constant(1, tf.int64))


def _fail(message):
  with tf.control_dependencies([tf.debugging.Assert(False, [message], summarize=1)]):
    return _zero()


def checked_batches(records, dataset, decode, batch_size, labels_offset=0,
                    skip_bad_records=False, is_training=True, num_parallel_calls=4,
                    shuffle_buffer_size=0):
  """Batches of the (image, label - `labels_offset`) of the good records of `records`.

  Args:
    records: from `serialized_records`.
    dataset: the `slim.dataset.Dataset` read (its `name`, `split_name`,
      `num_classes` and `num_samples` are used).
    decode: `fn(serialized record) -> image` of a fixed shape: the decoding and
      preprocessing.
    batch_size: records per batch.
    labels_offset: subtracted from the labels; a label must be in
      [labels_offset, num_classes).
    skip_bad_records: skip and count bad records (in the local variables of
      `record_counts()`, with a warning on stderr each time the count reaches a
      power of two) instead of failing on the first one.
    is_training: full batches in any order, or batches in the order of the
      records, the last one possibly smaller.
    num_parallel_calls: batches decoded in parallel.
    shuffle_buffer_size: the records of the shuffle buffer of `records`, for the
      check that a split is not of bad records only.

  Returns:
    A `tf.data.Dataset` of (images, int64 labels) batches. A bad record fails
    the reading with a `tf.errors.InvalidArgumentError` naming the split, the
    record and what is wrong; with `skip_bad_records`, only a split of bad
    records only does (after a pass, and ten shuffle buffers, without a good
    record).
  """
  checker = _Checker(dataset, decode, labels_offset)
  counts = None
  if skip_bad_records:
    def counter(name):
      return tf.compat.v1.Variable(0, dtype=tf.int64, trainable=False, name=name,
                                   use_resource=True,
                                   collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES])
    counts = RecordCounts(checker.split, counter('skipped_bad_records'),
                          counter('kept_records'))
    _COUNTS[tf.compat.v1.get_default_graph()] = counts
  all_bad_after = checker.num_samples + 10 * shuffle_buffer_size

  def check_batch(keys, serialized):
    count = tf.shape(serialized, out_type=tf.int64)[0]
    attempts = tf.data.Dataset.from_tensor_slices((tf.range(count), serialized)).map(
        checker.decode_record).ignore_errors().batch(count)
    none = tf.nest.map_structure(  # what a batch of records all failed gives
        lambda spec: tf.zeros([0] + [0 if d is None else d for d in spec.shape[1:]],
                              spec.dtype), attempts.element_spec)
    positions, images, labels, num_labels = attempts.concatenate(
        tf.data.Dataset.from_tensors(none)).take(1).get_single_element()
    good = tf.equal(num_labels, 1) & (labels >= checker.first) & (labels <= checker.last)
    num_good = tf.reduce_sum(tf.cast(good, tf.int64))
    num_bad = count - num_good
    labels -= tf.constant(labels_offset, tf.int64)

    def bad_positions():
      kept = tf.scatter_nd(tf.boolean_mask(positions, good)[:, None],
                           tf.ones([num_good], tf.int64), [count])
      return tf.where(tf.equal(kept, 0))[:, 0]

    def message(position):
      return checker.describe(keys[position], serialized[position])

    def on_bad():
      skipped = counts.skipped.assign_add(num_bad)
      kept = counts.kept.read_value()

      def warn():
        latest = message(bad_positions()[-1])
        ops = [tf.debugging.Assert((kept > 0) | (skipped < all_bad_after), [tf.strings.join([
            checker.where, 'the ', tf.strings.as_string(skipped), ' records read are all bad '
            '(the latest: ', latest, '); nothing to use'])], summarize=1)]
        with tf.control_dependencies(ops):
          ops.append(tf.print(tf.strings.join([
              'WARNING:tensorflow:skipped ', tf.strings.as_string(skipped), ' bad records of '
              'the ', checker.split, ' split so far (--skip_bad_records); the latest: ',
              latest]), output_stream=sys.stderr))
        with tf.control_dependencies(ops):
          return _zero()

      due = ((_highest_power_of_two(skipped) > skipped - num_bad) |
             (skipped >= all_bad_after) & tf.equal(kept, 0))
      return tf.cond(due, warn, _zero)

    if counts is None:  # the message of the first bad record, raised by `fail_on`
      return images, labels, tf.cond(num_bad > 0, lambda: message(bad_positions()[0]),
                                     lambda: tf.constant(''))
    with tf.control_dependencies([tf.cond(num_bad > 0, on_bad, _zero),
                                  counts.kept.assign_add(num_good)]):
      # A batch without a bad record as it is; else its good records (a copy).
      return tf.cond(num_bad > 0,
                     lambda: (tf.boolean_mask(images, good), tf.boolean_mask(labels, good)),
                     lambda: (tf.identity(images), tf.identity(labels)))

  def fail_on(state, batch):
    # In a scan, where the error of an assertion reads better than in a map (no
    # 'Error in user-defined function passed to ...' before it).
    images, labels, problem = batch
    with tf.control_dependencies([tf.cond(tf.equal(problem, ''), _zero,
                                          lambda: _fail(problem))]):
      return state, (tf.identity(images), tf.identity(labels))

  batches = records.batch(batch_size).map(check_batch, num_parallel_calls=num_parallel_calls,
                                          deterministic=not is_training)
  if counts is None:
    batches = batches.scan(_zero(), fail_on)
  return batches.rebatch(batch_size, drop_remainder=is_training)
