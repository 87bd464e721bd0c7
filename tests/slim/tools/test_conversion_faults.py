"""download_and_convert_data when the disk or the file system refuses a write: one
line naming the path, the dataset_dir as it was before, no temporary file left."""
import errno
import hashlib
import os
import tarfile
import threading
import urllib.request

import pytest
import tensorflow as tf

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.tools import download_and_convert_data
from tests.slim.datasets import raw_archives

_PROG = 'download_and_convert_data'


def _snapshot(directory):
  """{name: sha1 of the file} of every entry of `directory` (hidden ones included)."""
  snapshot = {}
  for name in sorted(os.listdir(directory)):
    with open(os.path.join(directory, name), 'rb') as f:
      snapshot[name] = hashlib.sha1(f.read()).hexdigest()
  return snapshot


def _error_line(err):
  lines = [line for line in err.splitlines() if line.startswith(_PROG + ': error: ')]
  assert len(lines) == 1, err[-3000:]
  return lines[0][len(_PROG + ': error: '):]


class _FullDiskWriter:
  """A TFRecordWriter of which the disk fills up after `capacity` records in all."""

  capacity = 0
  written = 0
  lock = threading.Lock()

  def __init__(self, path, options=None):
    self._writer = _REAL_WRITER(path, options)

  def write(self, record):
    with _FullDiskWriter.lock:
      if _FullDiskWriter.written >= _FullDiskWriter.capacity:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
      _FullDiskWriter.written += 1
    self._writer.write(record)

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()


_REAL_WRITER = tf.io.TFRecordWriter


def _fill_disk_after(monkeypatch, records):
  monkeypatch.setattr(_FullDiskWriter, 'capacity', records)
  monkeypatch.setattr(_FullDiskWriter, 'written', 0)
  monkeypatch.setattr(tf.io, 'TFRecordWriter', _FullDiskWriter)


def test_disk_full_midway_keeps_the_previous_digits(tmp_path, monkeypatch, capsys):
  out = str(tmp_path / 'digits')
  argv = ['--dataset_name=digits', '--dataset_dir=' + out]
  assert download_and_convert_data.console_main(argv) == 0
  before = _snapshot(out)
  _fill_disk_after(monkeypatch, 700)  # the 2 train shards of 750 and the test ones in parallel
  capsys.readouterr()
  assert download_and_convert_data.console_main(argv + ['--overwrite']) == 1
  line = _error_line(capsys.readouterr().err)
  assert line.startswith('cannot write digits_'), line
  assert line.endswith('-of-00002.tfrecord in %s: No space left on device; the conversion '
                       'stopped and left %s as it was' % (out, out)), line
  assert _snapshot(out) == before  # the same files, no temporary left


def _image_folder(tmp_path):
  root = str(tmp_path / 'photos')
  raw_archives.write_image_folder(root, {'a': ['%d.png' % i for i in range(4)],
                                         'b': ['%d.png' % i for i in range(3)]})
  return ['--dataset_name=image_folder', '--images_dir=' + root, '--num_validation=2',
          '--num_shards=2', '--num_threads=2']


def test_disk_full_on_a_first_conversion_leaves_nothing(tmp_path, monkeypatch, capsys):
  out = str(tmp_path / 'out')
  _fill_disk_after(monkeypatch, 3)
  assert download_and_convert_data.console_main(_image_folder(tmp_path) +
                                                 ['--dataset_dir=' + out]) == 1
  line = _error_line(capsys.readouterr().err)
  assert 'No space left on device' in line and out in line, line
  assert os.listdir(out) == []


def test_disk_full_on_labels_txt_keeps_the_previous_dataset(tmp_path, monkeypatch, capsys):
  out = str(tmp_path / 'out')
  argv = _image_folder(tmp_path) + ['--dataset_dir=' + out]
  assert download_and_convert_data.console_main(argv) == 0
  before = _snapshot(out)

  def full_open(path, *args, **kwargs):
    if os.path.basename(path) == dataset_utils.LABELS_FILENAME:
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return open(path, *args, **kwargs)

  monkeypatch.setattr(_convert, 'open', full_open, raising=False)
  capsys.readouterr()
  assert download_and_convert_data.console_main(argv + ['--overwrite']) == 1
  assert _error_line(capsys.readouterr().err) == (
      'cannot write labels.txt in %s: No space left on device; the conversion stopped and '
      'left %s as it was' % (out, out))
  assert _snapshot(out) == before


def test_a_write_refused_names_the_shard(tmp_path, monkeypatch, capsys):
  def refused(path, options=None):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

  monkeypatch.setattr(tf.io, 'TFRecordWriter', refused)
  out = str(tmp_path / 'out')
  assert download_and_convert_data.console_main(_image_folder(tmp_path) +
                                                 ['--dataset_dir=' + out]) == 1
  line = _error_line(capsys.readouterr().err)
  assert line.startswith('cannot write image_folder_') and 'Permission denied' in line, line
  assert os.listdir(out) == []


def test_a_dataset_dir_that_is_a_file(tmp_path, capsys):
  afile = tmp_path / 'afile'
  afile.write_text('x')
  for dataset_dir, says in ((str(afile), 'is a file'),
                            (str(afile / 'sub'), 'cannot be made: %s is a file' % afile)):
    assert download_and_convert_data.console_main([
        '--dataset_name=digits', '--dataset_dir=' + dataset_dir]) == 1
    assert _error_line(capsys.readouterr().err) == (
        'dataset_dir %s %s, not a directory; give a directory for the TFRecords'
        % (dataset_dir, says))
  assert afile.read_text() == 'x'


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes in read-only directories')
def test_a_read_only_dataset_dir(tmp_path, capsys):
  out = tmp_path / 'out'
  argv = _image_folder(tmp_path) + ['--dataset_dir=' + str(out)]
  assert download_and_convert_data.console_main(argv) == 0
  before = _snapshot(str(out))
  out.chmod(0o555)
  try:
    assert download_and_convert_data.console_main(argv) == 0  # finished already: read only
    capsys.readouterr()
    for dataset_dir, where in ((out, out), (out / 'sub', out)):
      assert download_and_convert_data.console_main(
          argv[:-1] + ['--dataset_dir=' + str(dataset_dir), '--overwrite']) == 1
      assert _error_line(capsys.readouterr().err) == (
          'dataset_dir %s: the directory %s cannot be written (permission denied); give a '
          'directory you can write to' % (dataset_dir, where))
    assert _snapshot(str(out)) == before
  finally:
    out.chmod(0o755)


def test_a_directory_refusing_writes_is_named(tmp_path, monkeypatch, capsys):
  # As test_a_read_only_dataset_dir, for root too: os.access says what chmod would.
  out = tmp_path / 'out'
  out.mkdir()
  monkeypatch.setattr(os, 'access', lambda path, mode: os.path.realpath(path) != str(out))
  assert download_and_convert_data.console_main(_image_folder(tmp_path) + [
      '--dataset_dir=' + str(out / 'sub')]) == 1
  assert _error_line(capsys.readouterr().err) == (
      'dataset_dir %s: the directory %s cannot be written (permission denied); give a '
      'directory you can write to' % (out / 'sub', out))
  assert os.listdir(out) == []


class _Response:
  """An HTTP response of 2 blocks of bytes."""

  headers = {'Content-Length': str(2 << 20)}

  def __init__(self, *unused_args, **unused_kwargs):
    self._blocks = [b'x' * (1 << 20)] * 2

  def read(self, unused_size):
    return self._blocks.pop() if self._blocks else b''

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    pass


class _FullDiskFile:
  """A file of which the disk fills up at the second write."""

  def __init__(self, path, mode):
    self._file = open(path, mode)  # pylint: disable=unspecified-encoding
    self._writes = 0

  def write(self, data):
    self._writes += 1
    if self._writes > 1:
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return self._file.write(data)

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self._file.close()


def test_a_download_on_a_full_disk_keeps_nothing(tmp_path, monkeypatch):
  monkeypatch.setattr(urllib.request, 'urlopen', _Response)
  monkeypatch.setattr(dataset_utils, 'open', _FullDiskFile, raising=False)
  with pytest.raises(OSError, match=r'^cannot write the download of http://x/a.tgz to %s: No '
                                    r'space left on device; nothing of it was kept$'
                     % os.path.join(str(tmp_path), 'a.tgz')):
    dataset_utils.download_url('http://x/a.tgz', str(tmp_path))
  assert os.listdir(tmp_path) == []


def test_an_extraction_on_a_full_disk_names_the_directory(tmp_path, monkeypatch):
  archive = str(tmp_path / 'flowers.tgz')
  raw_archives.write_flowers_archive(archive)

  def extractall(*unused_args, **unused_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

  monkeypatch.setattr(tarfile.TarFile, 'extractall', extractall)
  with pytest.raises(OSError, match='^cannot extract %s into %s: No space left on device$'
                     % (archive, tmp_path / 'x')):
    dataset_utils.extract_archive(archive, str(tmp_path / 'x'))
