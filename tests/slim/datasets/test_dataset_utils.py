"""dataset_utils: features, labels file, archives, sharded writers."""
import contextlib
import io
import os
import socket
import tarfile

import numpy as np
import pytest
import tensorflow as tf

from slim.datasets import _convert
from slim.datasets import dataset_utils


def test_feature_helpers():
  assert dataset_utils.int64_feature(3).int64_list.value == [3]
  assert dataset_utils.int64_feature([1, np.int64(2)]).int64_list.value == [1, 2]
  assert dataset_utils.bytes_feature('png').bytes_list.value == [b'png']
  assert dataset_utils.bytes_list_feature(['a', b'b']).bytes_list.value == [b'a', b'b']
  assert dataset_utils.float_feature(0.5).float_list.value == [0.5]
  assert dataset_utils.float_list_feature((0.25, 1.0)).float_list.value == [0.25, 1.0]


def test_image_to_tfexample_has_the_standard_keys():
  example = dataset_utils.image_to_tfexample(b'\x89PNG', 'png', 4, 5, 7)
  features = example.features.feature
  assert sorted(features) == ['image/class/label', 'image/encoded', 'image/format',
                              'image/height', 'image/width']
  assert features['image/format'].bytes_list.value == [b'png']
  assert features['image/class/label'].int64_list.value == [7]
  assert features['image/height'].int64_list.value == [4]


def test_label_file_round_trip_and_errors(tmp_path):
  labels = {0: 'airplane', 1: 'a:b name', 10: 'truck'}
  dataset_utils.write_label_file(labels, str(tmp_path))
  assert dataset_utils.has_labels(str(tmp_path))
  assert (tmp_path / 'labels.txt').read_text() == '0:airplane\n1:a:b name\n10:truck\n'
  assert dataset_utils.read_label_file(str(tmp_path)) == labels
  assert oct(os.stat(tmp_path / 'labels.txt').st_mode & 0o777) != oct(0o600)
  (tmp_path / 'bad.txt').write_text('0:zero\nnot a label line\n')
  with pytest.raises(ValueError, match=r"bad.txt line 2: expected 'label:class name'"):
    dataset_utils.read_label_file(str(tmp_path), 'bad.txt')
  assert not dataset_utils.has_labels(str(tmp_path / 'none'))


def test_extract_archive_refuses_escaping_members(tmp_path):
  path = str(tmp_path / 'evil.tgz')
  with tarfile.open(path, 'w:gz') as archive:
    info = tarfile.TarInfo('../escaped.txt')
    info.size = 1
    archive.addfile(info, io.BytesIO(b'x'))
  with pytest.raises(ValueError, match=r"member '../escaped.txt' would be written outside"):
    dataset_utils.extract_archive(path, str(tmp_path / 'out'))
  assert not os.path.exists(tmp_path / 'escaped.txt')


def test_open_sharded_output_tfrecords(tmp_path):
  base = str(tmp_path / 'train.record')
  with contextlib.ExitStack() as stack:
    writers = dataset_utils.open_sharded_output_tfrecords(stack, base, 3)
    for index, writer in enumerate(writers):
      writer.write(b'record %d' % index)
  assert sorted(os.listdir(tmp_path)) == ['train.record-%05d-of-00003' % i for i in range(3)]
  assert [r.numpy() for r in tf.data.TFRecordDataset(base + '-00001-of-00003')] == [
      b'record 1']


def test_split_shards_are_contiguous_and_never_more_than_items():
  split = _convert.Split('train', list(range(10)), lambda i, n: 'f-%d-of-%d' % (i, n), 3)
  assert split.filenames == ['f-0-of-3', 'f-1-of-3', 'f-2-of-3']
  assert [split.shard_items(i) for i in range(3)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
  assert _convert.Split('t', [1, 2], lambda i, n: str(n), 5).filenames == ['2', '2']
  with pytest.raises(ValueError, match="split 'train' has no items"):
    _convert.Split('train', [], lambda i, n: '', 1)


def test_image_checks_name_the_source():
  png = tf.io.encode_png(np.zeros((2, 3, 1), np.uint8)).numpy()
  assert _convert.image_format_of(png) == 'png'
  assert _convert.decode_image(png, 'x.png').shape == (2, 3, 3)
  with pytest.raises(_convert.BadImageError, match='x.jpg: empty image file'):
    _convert.decode_image(b'', 'x.jpg')
  with pytest.raises(_convert.BadImageError, match='y.png: not a decodable image'):
    _convert.decode_image(png[:20], 'y.png')


def test_download_url_renames_when_complete(tmp_path):
  source = tmp_path / 'source.bin'
  source.write_bytes(b'payload')
  path = dataset_utils.download_url(source.as_uri(), str(tmp_path / 'out'))
  assert path == str(tmp_path / 'out' / 'source.bin')
  assert os.listdir(tmp_path / 'out') == ['source.bin']
  with pytest.raises(OSError):
    dataset_utils.download_url((tmp_path / 'missing.bin').as_uri(), str(tmp_path / 'out'))
  assert os.listdir(tmp_path / 'out') == ['source.bin']


def test_download_url_prints_progress_then_the_size(tmp_path, capsys):
  source = tmp_path / 'source.bin'
  source.write_bytes(b'x' * (3 << 20))
  dataset_utils.download_url(source.as_uri(), str(tmp_path / 'out'))
  lines = capsys.readouterr().out.splitlines()
  assert lines[-1] == 'Successfully downloaded source.bin (%d bytes).' % (3 << 20)
  # Quick: no line before the final one (every PROGRESS_SECS seconds at most).
  assert len(lines) == 2 and lines[0].startswith('>> Downloading source.bin: MB 3.0/3.0'), lines


def test_download_url_names_the_url_when_the_server_is_unreachable(tmp_path, monkeypatch):
  with socket.socket() as probe:  # a port nothing listens on
    probe.bind(('127.0.0.1', 0))
    url = 'http://127.0.0.1:%d/flower_photos.tgz' % probe.getsockname()[1]
  with pytest.raises(OSError, match=r'^could not download %s: .*refused.*; check the network \(or '
                                    r'put flower_photos.tgz in .*/out yourself\) and rerun$' % url):
    dataset_utils.download_url(url, str(tmp_path / 'out'))
  with socket.socket() as silent:  # accepts, never answers
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    monkeypatch.setattr(dataset_utils, 'DOWNLOAD_TIMEOUT_SECS', 0.5)
    with pytest.raises(OSError, match=r'^could not download .*: timed out'):
      dataset_utils.download_url('http://127.0.0.1:%d/x.tgz' % silent.getsockname()[1],
                                 str(tmp_path / 'out'))
  assert os.listdir(tmp_path / 'out') == []
