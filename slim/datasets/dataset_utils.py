"""Helpers for writing and describing datasets: features, label files, downloads.

`tf.train.Feature` builders (`int64_feature`, `bytes_feature`, ...), the standard
image example (`image_to_tfexample`), the labels file ('0:airplane' per line), and
downloads of archives to a temporary name renamed when complete.
"""
import errno
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile

import tensorflow as tf

from slim import _files
from slim.training import progress as progress_lib

__all__ = [
    'LABELS_FILENAME', 'int64_feature', 'int64_list_feature', 'bytes_feature',
    'bytes_list_feature', 'float_feature', 'float_list_feature', 'image_to_tfexample',
    'download_url', 'download_and_uncompress_tarball', 'download_and_uncompress_zipfile',
    'extract_archive', 'write_label_file', 'label_file_text', 'has_labels', 'read_label_file',
    'open_sharded_output_tfrecords',
]

LABELS_FILENAME = 'labels.txt'
PROGRESS_SECS = 5.0  # the least seconds between two progress lines of a download or conversion
DOWNLOAD_TIMEOUT_SECS = 60  # the most a download waits for the server
_MB = float(1 << 20)
# The errors of a write refused by the disk or the file system.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _as_list(values):
  return list(values) if isinstance(values, (tuple, list)) else [values]


def _as_bytes(value):
  return value.encode('utf-8') if isinstance(value, str) else bytes(value)


def int64_feature(values):
  """A Feature of int64s from an int or a list of ints."""
  return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in _as_list(values)]))


def int64_list_feature(values):
  """A Feature of int64s from a list of ints."""
  return int64_feature(list(values))


def bytes_feature(values):
  """A Feature of one byte string (a str is encoded as UTF-8)."""
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[_as_bytes(values)]))


def bytes_list_feature(values):
  """A Feature of several byte strings."""
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[_as_bytes(v) for v in values]))


def float_feature(values):
  """A Feature of floats from a float or a list of floats."""
  return tf.train.Feature(float_list=tf.train.FloatList(value=_as_list(values)))


def float_list_feature(values):
  """A Feature of floats from a list of floats."""
  return float_feature(list(values))


def image_to_tfexample(image_data, image_format, height, width, class_id):
  """The standard classification example: encoded image, its format, size and label.

  Args:
    image_data: the encoded image (bytes).
    image_format: 'png', 'jpeg', 'raw', ... (str or bytes).
    height, width: the image size in pixels.
    class_id: the integer label.

  Returns:
    A `tf.train.Example` with 'image/encoded', 'image/format', 'image/class/label',
    'image/height' and 'image/width'.
  """
  return tf.train.Example(features=tf.train.Features(feature={
      'image/encoded': bytes_feature(image_data),
      'image/format': bytes_feature(image_format),
      'image/class/label': int64_feature(class_id),
      'image/height': int64_feature(height),
      'image/width': int64_feature(width),
  }))


def download_url(url, dataset_dir, filename=None):
  """Downloads `url` into `dataset_dir` (to a temporary name, renamed when complete).

  Returns:
    The path of the downloaded file.

  Raises:
    OSError: the download failed (the server cannot be reached, answered an
      error, or stayed silent for DOWNLOAD_TIMEOUT_SECS) or cannot be written;
      nothing of it is kept.
  """
  filename = filename or url.split('/')[-1]
  path = os.path.join(dataset_dir, filename)
  progress = []  # made at the first block, when the size is known

  def report(done, total_size):
    if not progress:
      progress.append(progress_lib.Progress(
          label='>> Downloading %s:' % filename, unit='MB', plural='MB',
          total=total_size / _MB if total_size > 0 else None, every_secs=PROGRESS_SECS,
          log_fn=print_line))
      progress[0].start(0.0)
    progress[0].update(done / _MB)

  try:
    with _files.renamed_when_complete(path) as temporary:
      with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECS) as response, \
          open(temporary, 'wb') as out:
        total_size, done = int(response.headers.get('Content-Length') or 0), 0
        while True:
          block = response.read(1 << 20)
          if not block:
            break
          out.write(block)
          done += len(block)
          report(done, total_size)
  except (urllib.error.URLError, TimeoutError) as error:
    raise OSError('could not download %s: %s; check the network (or put %s in %s yourself) '
                  'and rerun' % (url, getattr(error, 'reason', error) or 'timed out', filename,
                                 dataset_dir)) from None
  except OSError as error:
    if error.errno not in _WRITE_ERRNOS:
      raise
    raise type(error)('cannot write the download of %s to %s: %s; nothing of it was kept'
                      % (url, path, error.strerror)) from None
  if progress:
    progress[0].finish()
  print('Successfully downloaded %s (%d bytes).' % (filename, os.path.getsize(path)))
  return path


def print_line(line):
  """Prints a progress line at once (the converters' `log_fn`)."""
  print(line, flush=True)


def extract_archive(archive_path, directory):
  """Extracts a .tar, .tar.gz, .tgz or .zip archive into `directory`.

  Members that would land outside `directory` (absolute paths, '..') are refused.

  Raises:
    ValueError: if the file is not such an archive or is corrupt.
    OSError: naming `directory`, if it cannot be written (a full disk).
  """
  real_directory = os.path.realpath(directory)

  def check(name):
    target = os.path.realpath(os.path.join(directory, name))
    if os.path.commonpath([real_directory, target]) != real_directory:
      raise ValueError('%s: the archive member %r would be written outside %s'
                       % (archive_path, name, directory))

  try:
    if zipfile.is_zipfile(archive_path):
      with zipfile.ZipFile(archive_path) as archive:
        for name in archive.namelist():
          check(name)
        archive.extractall(directory)
      return
    with tarfile.open(archive_path) as archive:
      members = archive.getmembers()
      for member in members:
        check(member.name)
        if member.issym() or member.islnk():
          raise ValueError('%s: the archive member %r is a link' % (archive_path, member.name))
      archive.extractall(directory, members=members)
  except OSError as error:
    if error.errno in _WRITE_ERRNOS and error.filename != archive_path:
      raise type(error)('cannot extract %s into %s: %s' % (archive_path, directory,
                                                           error.strerror)) from None
    raise ValueError('%s is not a readable .tar.gz, .tgz or .zip archive: %s'
                     % (archive_path, error)) from None
  except (tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
    raise ValueError('%s is not a readable .tar.gz, .tgz or .zip archive: %s'
                     % (archive_path, error)) from None


def download_and_uncompress_tarball(tarball_url, dataset_dir):
  """Downloads the tarball at `tarball_url` into `dataset_dir` and extracts it there."""
  extract_archive(download_url(tarball_url, dataset_dir), dataset_dir)


def download_and_uncompress_zipfile(zip_url, dataset_dir):
  """Downloads the zip file at `zip_url` into `dataset_dir` and extracts it there."""
  extract_archive(download_url(zip_url, dataset_dir), dataset_dir)


def write_label_file(labels_to_class_names, dataset_dir, filename=LABELS_FILENAME):
  """Writes the labels file: one 'label:class name' line per label, in label order.

  Args:
    labels_to_class_names: a dict from integer label to class name.
    dataset_dir: the directory of the file.
    filename: the file name (default 'labels.txt').
  """
  _files.atomic_write(os.path.join(dataset_dir, filename),
                      label_file_text(labels_to_class_names))


def label_file_text(labels_to_class_names):
  """The text of a labels file: one 'label:class name' line per label, in order."""
  return ''.join('%d:%s\n' % (label, labels_to_class_names[label])
                 for label in sorted(labels_to_class_names))


def has_labels(dataset_dir, filename=LABELS_FILENAME):
  """Whether `dataset_dir` holds a labels file."""
  return tf.io.gfile.exists(os.path.join(dataset_dir, filename))


def read_label_file(dataset_dir, filename=LABELS_FILENAME):
  """Reads the labels file of `dataset_dir` into a dict {label: class name}.

  Raises:
    ValueError: if a line is not 'label:class name'.
  """
  path = os.path.join(dataset_dir, filename)
  with tf.io.gfile.GFile(path, 'rb') as f:
    text = f.read().decode('utf-8')
  labels_to_class_names = {}
  for number, line in enumerate(text.splitlines(), 1):
    if not line.strip():
      continue
    label, separator, name = line.partition(':')
    if not separator or not label.strip().lstrip('-').isdigit():
      raise ValueError("%s line %d: expected 'label:class name', received %r"
                       % (path, number, line))
    labels_to_class_names[int(label)] = name
  return labels_to_class_names


def open_sharded_output_tfrecords(exit_stack, base_path, num_shards):
  """Opens `num_shards` TFRecord writers '<base_path>-00000-of-0000N', closed by `exit_stack`.

  Args:
    exit_stack: a `contextlib.ExitStack` that closes the writers.
    base_path: the path before the shard suffix.
    num_shards: the number of shards.

  Returns:
    The list of writers.
  """
  return [exit_stack.enter_context(tf.io.TFRecordWriter(
      '{}-{:05d}-of-{:05d}'.format(base_path, index, num_shards)))
          for index in range(num_shards)]


def remove_tree(path):
  """Removes a file or directory tree if it exists."""
  if os.path.isdir(path):
    shutil.rmtree(path, ignore_errors=True)
  elif os.path.exists(path):
    os.remove(path)
