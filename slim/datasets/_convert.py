"""What every converter shares: checked image reading, parallel sharded writing, the
dataset metadata file and the summary.

`write_dataset` writes the shards of every split in parallel threads, then
`labels.txt` and `dataset_info.json` (the mark of a finished dataset), to a
hidden temporary directory inside `dataset_dir`; only when all are complete are
they renamed to their final names, `dataset_info.json` last. An interrupted or
failed run (a full disk, a permission refused) leaves `dataset_dir` as it was,
without temporary files, and its error names the file it could not write; a
re-run finds the finished dataset and stops, unless asked to overwrite it.
"""
import concurrent.futures
import contextlib
import errno
import json
import os
import tempfile
import threading

import numpy as np
import tensorflow as tf

from slim.datasets import dataset_utils
from slim.training import progress as progress_lib

METADATA_FILENAME = 'dataset_info.json'
_TEMPORARY_PREFIX = '.tmp-'

_MAGIC_BYTES = ((b'\xff\xd8\xff', 'jpeg'), (b'\x89PNG', 'png'), (b'GIF8', 'gif'), (b'BM', 'bmp'))


class BadImageError(ValueError):
  """An image that cannot be decoded (corrupt, truncated, not an image)."""


def image_format_of(data):
  """'jpeg', 'png', 'gif', 'bmp' from the first bytes of an encoded image, else None."""
  for magic, name in _MAGIC_BYTES:
    if data.startswith(magic):
      return name
  return None


def decode_image(data, source, channels=3):
  """Decodes an encoded image to a uint8 array [height, width, channels].

  Raises:
    BadImageError: naming `source`, if the data is not a decodable image.
  """
  if not data:
    raise BadImageError('%s: empty image file' % source)
  try:
    return tf.io.decode_image(data, channels=channels, expand_animations=False).numpy()
  except tf.errors.OpError as error:
    reason = (error.message or str(error)).strip().splitlines()[-1]
    raise BadImageError('%s: not a decodable image (%s)' % (source, reason)) from None


def encode_png(image):
  """PNG bytes of a uint8 array [height, width, channels]."""
  return tf.io.encode_png(np.asarray(image, dtype=np.uint8)).numpy()


def encode_jpeg(image):
  return tf.io.encode_jpeg(np.asarray(image, dtype=np.uint8), quality=100).numpy()


def read_image_file(path, keep_formats=('jpeg', 'png'), target_format='png', channels=3):
  """Reads and checks an image file; re-encodes it unless its format is in `keep_formats`.

  Returns:
    (encoded bytes, format name, height, width).

  Raises:
    BadImageError: naming the file, if it cannot be decoded.
  """
  with open(path, 'rb') as f:
    data = f.read()
  image = decode_image(data, path, channels)
  image_format = image_format_of(data)
  if image_format not in keep_formats:
    data = encode_jpeg(image) if target_format == 'jpeg' else encode_png(image)
    image_format = target_format
  return data, image_format, image.shape[0], image.shape[1]


class Split:
  """One split to write: its items and the final names of its shards.

  Args:
    name: the split name ('train').
    items: the list of things `make_example` turns into examples.
    shard_names: a function (shard index, number of shards) -> file name.
    num_shards: the number of shards (at most one per item).
  """

  def __init__(self, name, items, shard_names, num_shards=1):
    if not items:
      raise ValueError('split %r has no items to write' % name)
    self.name = name
    self.items = list(items)
    self.num_shards = max(1, min(int(num_shards), len(self.items)))
    self.filenames = [shard_names(index, self.num_shards) for index in range(self.num_shards)]

  def shard_items(self, index):
    bounds = np.linspace(0, len(self.items), self.num_shards + 1).astype(int)
    return self.items[bounds[index]:bounds[index + 1]]


class ConversionSummary:
  """What a conversion wrote: records, shards and skipped images per split, classes."""

  def __init__(self, info, dataset_dir, skipped=None, reused=False):
    self.info = info
    self.dataset_dir = dataset_dir
    self.skipped = skipped or {}
    self.reused = reused

  @property
  def num_samples(self):
    return {name: split['num_samples'] for name, split in self.info['splits'].items()}

  def __str__(self):
    lines = ['%s %s in %s' % ('Found existing' if self.reused else 'Converted',
                              self.info['dataset'], self.dataset_dir),
             '  %-12s %9s %7s %8s' % ('split', 'records', 'shards', 'skipped')]
    for name, split in self.info['splits'].items():
      lines.append('  %-12s %9d %7d %8d' % (name, split['num_samples'], len(split['files']),
                                            split['skipped']))
    lines.append('  classes: %d (%s), image formats: %s' % (
        self.info['num_classes'], dataset_utils.LABELS_FILENAME,
        ', '.join(self.info['image_formats']) or 'none'))
    for name, reasons in self.skipped.items():
      for reason in reasons:
        lines.append('  skipped (%s): %s' % (name, reason))
    return '\n'.join(lines)


def read_metadata(dataset_dir):
  """The dataset_info.json of `dataset_dir` as a dict, or None if there is none."""
  path = os.path.join(dataset_dir, METADATA_FILENAME)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path, 'r') as f:
    try:
      return json.load(f)
    except ValueError as error:
      raise ValueError('%s is not valid JSON: %s' % (path, error)) from None


def existing_dataset(dataset_dir, name):
  """The summary of a finished conversion of `name` in `dataset_dir`, or None."""
  info = read_metadata(dataset_dir) if os.path.isdir(dataset_dir) else None
  if not info or info.get('dataset') != name:
    return None
  for split in info['splits'].values():
    if not all(os.path.exists(os.path.join(dataset_dir, f)) for f in split['files']):
      return None
  return ConversionSummary(info, dataset_dir, reused=True)


def remove_stale_temporaries(dataset_dir, name):
  """Removes what an interrupted conversion of `name` left (hidden temporary dirs)."""
  prefix = '%s%s-' % (_TEMPORARY_PREFIX, name)
  for entry in os.listdir(dataset_dir) if os.path.isdir(dataset_dir) else ():
    if entry.startswith(prefix):
      print('Removing %s, left by an interrupted conversion' % entry)
      dataset_utils.remove_tree(os.path.join(dataset_dir, entry))


@contextlib.contextmanager
def scratch_dir(dataset_dir, name):
  """A hidden temporary directory inside `dataset_dir`, removed on exit."""
  os.makedirs(dataset_dir, exist_ok=True)
  path = tempfile.mkdtemp(prefix='%s%s-' % (_TEMPORARY_PREFIX, name), dir=dataset_dir)
  try:
    yield path
  finally:
    dataset_utils.remove_tree(path)


def _example_format(example):
  values = example.features.feature['image/format'].bytes_list.value
  return values[0].decode('utf-8').lower() if values else None


class _Stopped(Exception):
  pass


def conversion_progress(name, total):
  """The reporter of a conversion's images, printed at most every
  `dataset_utils.PROGRESS_SECS` seconds and at the end:
  `>> flowers: image 540/3670 (58.20 images/sec, ETA 0:00:53)`."""
  return progress_lib.Progress(label='>> %s:' % name, unit='image', total=total,
                               every_secs=dataset_utils.PROGRESS_SECS,
                               log_fn=dataset_utils.print_line)


def _write_error(path, error):
  """The OSError of a failed write of `path`, a file of a conversion's scratch
  directory: it names the file in `dataset_dir` and says that nothing was kept."""
  reason = (error.strerror if isinstance(error, OSError) and error.strerror else
            getattr(error, 'message', None) or str(error))
  work_dir, filename = os.path.split(path)
  dataset_dir = os.path.dirname(work_dir)
  failure = OSError('cannot write %s in %s: %s; the conversion stopped and left %s as it was'
                    % (filename, dataset_dir, reason.strip(), dataset_dir))
  failure.errno = (errno.ENOSPC if isinstance(error, tf.errors.ResourceExhaustedError) else
                   getattr(error, 'errno', None) or errno.EIO)
  return failure


def _write_shard(path, items, make_example, skip_bad_images, stop, progress):
  """Writes one shard, counting each item in `progress`; returns (records
  written, skipped reasons, image formats).

  Raises:
    OSError: naming the shard, if it cannot be written (a full disk).
  """
  written, skipped, formats = 0, [], set()
  try:
    writer = tf.io.TFRecordWriter(path)
  except (OSError, tf.errors.OpError) as error:
    raise _write_error(path, error) from None
  with contextlib.closing(writer):
    for item in items:
      if stop.is_set():
        raise _Stopped()
      try:
        example = make_example(item)
      except BadImageError as error:
        if not skip_bad_images:
          raise
        skipped.append(str(error))
        progress.advance()
        continue
      try:
        writer.write(example.SerializeToString())
      except (OSError, tf.errors.OpError) as error:
        raise _write_error(path, error) from None
      progress.advance()
      written += 1
      image_format = _example_format(example)
      if image_format:
        formats.add(image_format)
    try:
      writer.close()  # the last records reach the disk here
    except (OSError, tf.errors.OpError) as error:
      raise _write_error(path, error) from None
  return written, skipped, formats


def _run_shards(name, work_dir, splits, make_example, num_threads, skip_bad_images):
  """Writes every shard of every split in `work_dir`, `num_threads` at a time,
  printing the images done (see `conversion_progress`) and each shard written."""
  stop = threading.Event()
  results = {}
  progress = conversion_progress(name, sum(len(split.items) for split in splits))
  progress.start(0)
  with concurrent.futures.ThreadPoolExecutor(max_workers=num_threads) as pool:
    futures = {}
    for split in splits:
      for index, filename in enumerate(split.filenames):
        future = pool.submit(_write_shard, os.path.join(work_dir, filename),
                             split.shard_items(index), make_example, skip_bad_images, stop,
                             progress)
        futures[future] = (split.name, index)
    try:
      for future in concurrent.futures.as_completed(futures):
        name, index = futures[future]
        results[(name, index)] = future.result()
        split = next(s for s in splits if s.name == name)
        print('>> %s: shard %d/%d written (%d records)' % (
            name, index + 1, split.num_shards, results[(name, index)][0]), flush=True)
    except BaseException:
      stop.set()
      for future in futures:
        future.cancel()
      raise
  progress.finish()
  return results


def write_dataset(dataset_dir, name, splits, make_example, class_names, file_pattern,
                  labels_offset=0, num_threads=None, skip_bad_images=False, extra_info=None):
  """Converts the items of `splits` to TFRecord shards in `dataset_dir`.

  Args:
    dataset_dir: the output directory (made if missing).
    name: the dataset name (as registered in dataset_factory).
    splits: a list of `Split`s.
    make_example: a function item -> `tf.train.Example`; it raises `BadImageError`
      for an image that cannot be decoded.
    class_names: the class names in label order (label `labels_offset + i`).
    file_pattern: the dataset's file pattern with '%s' for the split name.
    labels_offset: the label of the first class name (1 when 0 is a background).
    num_threads: parallel shard writers (default: the number of CPUs, at most 16).
    skip_bad_images: skip and count undecodable images instead of stopping.
    extra_info: more fields for dataset_info.json.

  Returns:
    A `ConversionSummary`.

  Raises:
    BadImageError: naming the file, for an undecodable image (without skip_bad_images).
    ValueError: if a split ends up with no record.
  """
  num_threads = num_threads or min(16, os.cpu_count() or 1)
  with scratch_dir(dataset_dir, name) as work_dir:
    results = _run_shards(name, work_dir, splits, make_example, num_threads, skip_bad_images)
    info = {'dataset': name, 'num_classes': len(class_names) + labels_offset,
            'labels_offset': labels_offset, 'classes': list(class_names),
            'file_pattern': file_pattern, 'splits': {}, 'image_formats': set()}
    skipped = {}
    for split in splits:
      shards = [results[(split.name, index)] for index in range(split.num_shards)]
      written = sum(shard[0] for shard in shards)
      skipped[split.name] = [reason for shard in shards for reason in shard[1]]
      if not written:
        raise ValueError('%s: split %r has no valid record (%d images skipped)'
                         % (name, split.name, len(skipped[split.name])))
      info['image_formats'].update(*[shard[2] for shard in shards])
      info['splits'][split.name] = {'num_samples': written, 'files': split.filenames,
                                    'skipped': len(skipped[split.name])}
    info['image_formats'] = sorted(info['image_formats'])
    info.update(extra_info or {})
    labels = {labels_offset + i: class_name for i, class_name in enumerate(class_names)}
    if labels_offset:
      labels[0] = 'background'
    _write_text(work_dir, dataset_utils.LABELS_FILENAME, dataset_utils.label_file_text(labels))
    _write_text(work_dir, METADATA_FILENAME, json.dumps(info, indent=1))
    _publish(dataset_dir, work_dir, splits, file_pattern)
  return ConversionSummary(info, dataset_dir, skipped)


def _write_text(work_dir, filename, text):
  path = os.path.join(work_dir, filename)
  try:
    with open(path, 'w', encoding='utf-8') as f:
      f.write(text)
  except OSError as error:
    raise _write_error(path, error) from None


def _publish(dataset_dir, work_dir, splits, file_pattern):
  """Moves the finished shards, labels.txt and last dataset_info.json in place,
  removing other files of the same splits."""
  metadata = os.path.join(dataset_dir, METADATA_FILENAME)
  if os.path.exists(metadata):
    os.remove(metadata)  # the dataset is being replaced: not finished until rewritten
  for split in splits:
    pattern = os.path.join(dataset_dir, file_pattern % split.name)
    for stale in tf.io.gfile.glob(pattern):
      if os.path.basename(stale) not in split.filenames:
        os.remove(stale)
    for filename in split.filenames:
      os.replace(os.path.join(work_dir, filename), os.path.join(dataset_dir, filename))
  for filename in (dataset_utils.LABELS_FILENAME, METADATA_FILENAME):
    os.replace(os.path.join(work_dir, filename), os.path.join(dataset_dir, filename))


def locate_source(dataset_dir, filename, url, archive_path=None):
  """Finds a source archive: `archive_path`, or `filename` in `dataset_dir`, or downloads it.

  Returns:
    (path, downloaded): `downloaded` is True when this call fetched it from `url`.

  Raises:
    FileNotFoundError: if `archive_path` is given and does not exist.
  """
  if archive_path:
    if not os.path.exists(archive_path):
      raise FileNotFoundError('archive_path %s does not exist' % archive_path)
    return archive_path, False
  candidate = os.path.join(dataset_dir, filename)
  if os.path.exists(candidate):
    return candidate, False
  print('No %s in %s: downloading %s' % (filename, dataset_dir, url))
  return dataset_utils.download_url(url, dataset_dir, filename), True


def sharded_names(template, split_name):
  """Shard names from `template` with '%s' (split), then shard index and count formats."""
  return lambda index, count: template % (split_name, index, count)


def check_output_dir(dataset_dir):
  """Checks that `dataset_dir` is, or can be made, a directory this process can
  write to.

  Raises:
    NotADirectoryError: naming the file that `dataset_dir` is, or is inside.
    PermissionError: naming the directory that cannot be written.
  """
  existing = os.path.abspath(dataset_dir)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    what = ('is a file' if existing == os.path.abspath(dataset_dir) else
            'cannot be made: %s is a file' % existing)
    raise NotADirectoryError('dataset_dir %s %s, not a directory; give a directory for the '
                             'TFRecords' % (dataset_dir, what))
  if not os.access(existing, os.W_OK | os.X_OK):
    raise PermissionError('dataset_dir %s: the directory %s cannot be written (permission '
                          'denied); give a directory you can write to' % (dataset_dir, existing))


def convert_once(dataset_dir, name, overwrite, convert):
  """Runs `convert()` (which returns a summary) unless `dataset_dir` already holds `name`.

  Returns:
    The `ConversionSummary` printed (of the existing dataset when nothing was done).

  Raises:
    OSError: `dataset_dir` is a file or cannot be written (see `check_output_dir`).
  """
  if not overwrite:
    existing = existing_dataset(dataset_dir, name)
    if existing:
      print('Dataset files already exist. Exiting without re-creating them.')
      print(existing)
      return existing
  check_output_dir(dataset_dir)
  remove_stale_temporaries(dataset_dir, name)
  summary = convert()
  print(summary)
  return summary
