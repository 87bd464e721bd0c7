"""slim.nets.pretrained: the table of research/slim's checkpoints, and downloads
from a local server (tests/slim/checkpoint_server.py) through the mirror."""
import hashlib
import io
import json
import os
import socket
import sys
import tarfile
import threading

import numpy as np
import pytest
import tensorflow as tf

from slim.nets import nets_factory
from slim.nets import pretrained
from tests.slim import checkpoint_server

NAME = 'mobilenet_v1_0.25_128'
TARBALL = 'mobilenet_v1_0.25_128.tgz'


@pytest.fixture(scope='module')
def published(tmp_path_factory):
  """A directory holding TARBALL as research/slim publishes it (a V2 checkpoint
  of research/slim's variable names, a .tflite and a frozen graph beside it),
  and the checkpoint's values."""
  work = tmp_path_factory.mktemp('published')
  rng = np.random.RandomState(0)
  values = {'MobilenetV1/Conv2d_0/weights': rng.rand(3, 3, 3, 8).astype(np.float32),
            'MobilenetV1/Logits/Conv2d_1c_1x1/biases': rng.rand(1001).astype(np.float32)}
  prefix = str(work / 'saved' / (NAME + '.ckpt'))
  with tf.Graph().as_default():
    variables = [tf.compat.v1.get_variable(name, initializer=value)
                 for name, value in values.items()]
    saver = tf.compat.v1.train.Saver(variables)
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      saver.save(session, prefix, write_state=False)
  members = {'./' + name: str(work / 'saved' / name)
             for name in sorted(os.listdir(work / 'saved'))}
  members.update({'./%s.tflite' % NAME: b'TFL3', './%s_frozen.pb' % NAME: b'\x0a\x00',
                  './%s_info.txt' % NAME: b'Model: MobilenetV1\n'})
  served = work / 'served'
  served.mkdir()
  checkpoint_server.write_tarball(served / TARBALL, members)
  return str(served), values


@pytest.fixture
def cache(tmp_path, monkeypatch):
  """An empty cache named by $SLIM_CACHE_DIR."""
  root = tmp_path / 'cache'
  monkeypatch.setenv('SLIM_CACHE_DIR', str(root))
  return root


def _size(served):
  return os.path.getsize(os.path.join(served, TARBALL))


def _check_values(path, values):
  reader = tf.train.load_checkpoint(path)
  for name, value in values.items():
    np.testing.assert_array_equal(reader.get_tensor(name), value)


def _cache_files(root):
  return sorted(os.path.relpath(os.path.join(folder, name), root)
                for folder, _, names in os.walk(root) for name in names)


def _closed_port_url():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
  return 'http://127.0.0.1:%d/' % port


# The table.


def test_table_is_research_slims_with_nets_factory_networks():
  rows = list(pretrained.CHECKPOINTS.values())
  assert len(rows) == 48 and pretrained.names() == [row.name for row in rows]
  readme = [row.name for row in rows if row.source == 'README.md']
  assert readme == [
      'inception_v1', 'inception_v2', 'inception_v3', 'inception_v4', 'inception_resnet_v2',
      'resnet_v1_50', 'resnet_v1_101', 'resnet_v1_152', 'resnet_v2_50', 'resnet_v2_101',
      'resnet_v2_152', 'vgg_16', 'vgg_19', 'mobilenet_v1_1.0_224', 'mobilenet_v1_0.5_160',
      'mobilenet_v1_0.25_128', 'mobilenet_v2_1.4_224', 'mobilenet_v2_1.0_224',
      'nasnet_mobile', 'nasnet_large', 'pnasnet_large', 'pnasnet_mobile']
  for row in rows:
    spec = nets_factory.get_network_spec(row.network)
    assert (row.num_classes, row.labels_offset) == (spec.num_classes, spec.labels_offset), row
    assert row.sha256 is None and row.url.startswith('http')
  assert len({row.url.rsplit('/', 1)[1] for row in rows}) == len(rows)  # mirror file names
  assert pretrained.get('inception_v3') == pretrained.Checkpoint(
      'inception_v3', 'http://download.tensorflow.org/models/inception_v3_2016_08_28.tar.gz',
      'inception_v3', 1001, 0, 299, 78.0, 93.9)
  assert pretrained.get('vgg_16')[3:6] == (1000, 1, 224)
  assert pretrained.get('resnet_v2_50').image_size == 299
  assert pretrained.get('mobilenet_v1_0.5_160').url == (
      'http://download.tensorflow.org/models/mobilenet_v1_2018_02_22/mobilenet_v1_0.5_160.tgz')
  assert pretrained.get('pnasnet_large').url == ('https://storage.googleapis.com/download.'
                                                 'tensorflow.org/models/pnasnet-5_large_2017_'
                                                 '12_13.tar.gz')
  assert pretrained.get('mobilenet_v3_small').top5 is None


def test_aliases_name_the_224_checkpoint_of_their_network():
  for alias, name in pretrained.ALIASES.items():
    row = pretrained.get(alias)
    assert row.name == name and row.network == alias and row.image_size == 224
  assert pretrained.get('mobilenet_v1').url.endswith('/mobilenet_v1_1.0_224.tgz')
  with pytest.raises(ValueError, match="Unknown checkpoint 'inceptoin_v3'. Did you mean "
                                       "'inception_v3'"):
    pretrained.get('inceptoin_v3')


def test_cache_root_and_mirror_from_the_environment(monkeypatch, tmp_path):
  monkeypatch.delenv('SLIM_CACHE_DIR', raising=False)
  monkeypatch.setenv('HOME', str(tmp_path))
  assert pretrained.cache_root() == str(tmp_path / '.cache' / 'slim')
  monkeypatch.setenv('SLIM_CACHE_DIR', '/data/slim')
  assert pretrained.checkpoint_dir('mobilenet_v2') == '/data/slim/checkpoints/mobilenet_v2_1.0_224'
  assert pretrained.cache_root('/elsewhere') == '/elsewhere'
  monkeypatch.delenv('SLIM_CHECKPOINT_MIRROR', raising=False)
  assert pretrained.download_url('nasnet_large') == pretrained.get('nasnet_large').url
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', 'file:///mirror/')
  assert pretrained.download_url('nasnet_large') == (
      'file:///mirror/nasnet-a_large_04_10_2017.tar.gz')


# Downloads.


def test_download_extracts_the_checkpoint_and_a_second_call_uses_the_cache(
    published, cache, monkeypatch):
  served, values = published
  calls = []
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    path = pretrained.download(NAME, progress=lambda done, total: calls.append((done, total)))
    assert server.requests == [checkpoint_server.Request('/' + TARBALL, None, 200)]
  assert path == str(cache / 'checkpoints' / NAME / (NAME + '.ckpt'))
  _check_values(path, values)
  assert calls[-1] == (_size(served), _size(served))
  with open(cache / 'checkpoints' / NAME / '.slim_checkpoint.json') as f:
    manifest = json.load(f)
  assert manifest['checkpoint'] == NAME + '.ckpt' and len(manifest['sha256']) == 64
  assert sorted(os.listdir(cache / 'checkpoints')) == [NAME]  # no partial, no temporary
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', _closed_port_url())  # no network now
  assert pretrained.download(NAME, progress=False) == path
  assert pretrained.cached('mobilenet_v1_0.25_128') == path
  assert pretrained.cached('mobilenet_v1') is None


def test_a_file_url_mirror_serves_an_air_gapped_site(published, cache, monkeypatch):
  served, values = published
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', 'file://' + served)
  _check_values(pretrained.download(NAME, progress=False), values)


def test_an_interrupted_download_is_resumed_by_the_next_call(published, cache, monkeypatch):
  served, values = published
  with checkpoint_server.serve(served, cut_after=1000) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.DownloadError, match=r'stopped after 1000 of \d+ bytes '
                                                       r'\(0.0 MB kept in .*; rerun to resume\)'):
      pretrained.download(NAME, progress=False, retries=0)
    partial = cache / 'checkpoints' / ('.%s.partial' % TARBALL)
    assert os.path.getsize(partial) == 1000
    path = pretrained.download(NAME, progress=False)
    assert server.requests[1:] == [checkpoint_server.Request('/' + TARBALL, 'bytes=1000-', 206)]
  _check_values(path, values)
  assert not partial.exists()


def test_an_interrupted_transfer_is_resumed_within_the_call(published, cache, monkeypatch):
  served, values = published
  with checkpoint_server.serve(served, cut_after=500) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    path = pretrained.download(NAME, progress=False)
    assert [(r.range, r.status) for r in server.requests] == [(None, 200), ('bytes=500-', 206)]
  _check_values(path, values)


def test_a_server_that_ignores_range_restarts_from_zero(published, cache, monkeypatch):
  served, values = published
  with checkpoint_server.serve(served, cut_after=700) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.DownloadError):
      pretrained.download(NAME, progress=False, retries=0)
  with checkpoint_server.serve(served, ignore_range=True) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    path = pretrained.download(NAME, progress=False)
    assert server.requests == [checkpoint_server.Request('/' + TARBALL, 'bytes=700-', 200)]
  _check_values(path, values)


def test_a_size_mismatch_is_refused_and_leaves_no_file(published, cache, monkeypatch):
  served, _ = published
  size = _size(served)
  with checkpoint_server.serve(served, declared_size=size + 100) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.CorruptDownloadError,
                       match=r'the server declared %d bytes, then %d; the partial file is '
                             r'removed' % (size + 100, size)):
      pretrained.download(NAME, progress=False)
    assert [r.status for r in server.requests] == [200, 416]
  assert _cache_files(cache) == []


def test_a_complete_partial_file_is_extracted_by_the_next_call(published, cache, monkeypatch):
  served, values = published
  size = _size(served)
  with checkpoint_server.serve(served, declared_size=size + 1) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.DownloadError, match='stopped after %d of %d' % (size, size + 1)):
      pretrained.download(NAME, progress=False, retries=0)
  with checkpoint_server.serve(served) as server:  # the whole file is there already
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    _check_values(pretrained.download(NAME, progress=False), values)
    assert server.requests == [checkpoint_server.Request('/' + TARBALL, 'bytes=%d-' % size, 416)]


def test_the_sha256_is_checked_when_the_table_has_it(published, cache, monkeypatch):
  served, values = published
  row = pretrained.get(NAME)
  monkeypatch.setitem(pretrained.CHECKPOINTS, NAME, row._replace(sha256='0' * 64))
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.CorruptDownloadError, match='sha256 [0-9a-f]{64}, expected 0+;'):
      pretrained.download(NAME, progress=False)
    assert _cache_files(cache) == []
    with open(os.path.join(served, TARBALL), 'rb') as f:
      digest = hashlib.sha256(f.read()).hexdigest()
    monkeypatch.setitem(pretrained.CHECKPOINTS, NAME, row._replace(sha256=digest.upper()))
    _check_values(pretrained.download(NAME, progress=False), values)


def _unsafe_tarball(path, member):
  with tarfile.open(str(path), 'w:gz') as tar:
    tar.addfile(tarfile.TarInfo('model.ckpt.index'), io.BytesIO(b''))
    tar.addfile(member, io.BytesIO(b'x' * member.size))


@pytest.mark.parametrize('member, why', [
    (tarfile.TarInfo('../evil.txt'), "a '..' component"),
    (tarfile.TarInfo('/tmp/evil.txt'), 'an absolute path'),
    (tarfile.TarInfo('link'), 'a link or special file'),
])
def test_unsafe_tar_members_are_refused(member, why, tmp_path, cache, monkeypatch):
  member.size = 1
  if member.name == 'link':
    member.type, member.linkname, member.size = tarfile.SYMTYPE, '/etc/passwd', 0
  served = tmp_path / 'served'
  served.mkdir()
  _unsafe_tarball(served / 'nasnet-a_mobile_04_10_2017.tar.gz', member)
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.CorruptDownloadError,
                       match="refused, member '%s' is %s; the file is removed"
                             % (member.name, why)):
      pretrained.download('nasnet_mobile', progress=False)
  assert _cache_files(cache) == [] and not (tmp_path / 'evil.txt').exists()


def test_archives_without_one_checkpoint_or_unreadable_are_refused(tmp_path, cache, monkeypatch):
  served = tmp_path / 'served'
  served.mkdir()
  checkpoint_server.write_tarball(served / 'vgg_16_2016_08_28.tar.gz', {'README': b'no'})
  (served / 'vgg_19_2016_08_28.tar.gz').write_bytes(b'not an archive at all')
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.CorruptDownloadError, match='expected one checkpoint in the '
                                                              'archive, found none'):
      pretrained.download('vgg_16', progress=False)
    with pytest.raises(pretrained.CorruptDownloadError, match='not a readable tar archive'):
      pretrained.download('vgg_19', progress=False)
  assert _cache_files(cache) == []


def test_v1_files_and_the_ema_checkpoint_of_mobilenet_v3_are_found(tmp_path, cache, monkeypatch):
  served = tmp_path / 'served'
  served.mkdir()
  checkpoint_server.write_tarball(served / 'inception_v1_2016_08_28.tar.gz',
                                  {'inception_v1.ckpt': b'v1 checkpoint'})
  folder = 'v3-small_224_1.0_float/'
  checkpoint_server.write_tarball(served / 'v3-small_224_1.0_float.tgz', {
      folder + 'ema/model-388500.index': b'i', folder + 'ema/model-388500.data-00000-of-00001':
      b'd', folder + 'pristine/model.ckpt-388500.index': b'i',
      folder + 'pristine/model.ckpt-388500.data-00000-of-00001': b'd',
      folder + 'v3-small_224_1.0_float.tflite': b'TFL3'})
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    assert pretrained.download('inception_v1', progress=False) == str(
        cache / 'checkpoints' / 'inception_v1' / 'inception_v1.ckpt')
    assert pretrained.download('mobilenet_v3_small', progress=False) == str(
        cache / 'checkpoints' / 'mobilenet_v3_small' / folder / 'ema' / 'model-388500')


def test_network_faults_are_one_line_oserrors(tmp_path, cache, monkeypatch):
  url = _closed_port_url()
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', url)
  with pytest.raises(OSError) as error:
    pretrained.download('vgg_16', progress=False)
  assert isinstance(error.value, pretrained.DownloadError)
  assert str(error.value).startswith('could not download %svgg_16_2016_08_28.tar.gz: ' % url)
  assert 'refused' in str(error.value) and str(error.value).endswith('(rerun to try again)')
  assert '\n' not in str(error.value)
  with checkpoint_server.serve(tmp_path) as server:  # holds no tarball
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    with pytest.raises(pretrained.DownloadError, match='HTTP 404 Not Found'):
      pretrained.download('vgg_16', progress=False)
  assert _cache_files(cache) == []


def test_concurrent_downloads_of_one_checkpoint_download_once(published, cache, monkeypatch):
  served, values = published
  paths = []
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    threads = [threading.Thread(target=lambda: paths.append(
        pretrained.download(NAME, progress=False))) for _ in range(2)]
    for thread in threads:
      thread.start()
    for thread in threads:
      thread.join()
    assert len(server.requests) == 1
  assert len(paths) == 2 and paths[0] == paths[1]
  _check_values(paths[0], values)


def test_default_progress_goes_to_stderr(published, cache, monkeypatch, capsys):
  served, _ = published
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    pretrained.download(NAME)
  captured = capsys.readouterr()
  assert captured.out == ''
  lines = captured.err.splitlines()
  assert lines[0] == 'Downloading %s%s to %s' % (server.url, TARBALL,
                                                cache / 'checkpoints' / NAME)
  assert lines[-1].startswith(NAME + ': 0.0 of 0.0 MB (100%), ')
  assert lines[-1].endswith(' MB/s')


# resolve_checkpoint.


def test_resolve_checkpoint_returns_paths_unchanged(published, tmp_path, cache):
  prefix = str(tmp_path / 'model.ckpt-7')
  open(prefix + '.index', 'w').close()
  v1_file = tmp_path / 'inception_v3.ckpt'
  v1_file.write_bytes(b'x')
  for value in (prefix, str(v1_file), str(tmp_path), 'gs://bucket/model.ckpt'):
    assert pretrained.resolve_checkpoint(value) == value
  assert _cache_files(cache) == []


def test_resolve_checkpoint_downloads_a_name(published, cache, monkeypatch):
  served, values = published
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    path = pretrained.resolve_checkpoint(NAME, progress=False)
  _check_values(path, values)
  assert pretrained.resolve_checkpoint(NAME) == path  # from the cache


def test_resolve_checkpoint_refuses_other_values(tmp_path):
  with pytest.raises(ValueError, match=r"resolve_checkpoint: 'inceptoin_v4' is neither "
                                       r"an existing checkpoint .* nor a published checkpoint "
                                       r"name. Did you mean 'inception_v4'\? "
                                       r"\(download_checkpoint --list shows the names\)"):
    pretrained.resolve_checkpoint('inceptoin_v4')
  missing = str(tmp_path / 'inception_v3.ckpt')
  with pytest.raises(ValueError, match=r"'%s' is neither .*name. \(download" % missing):
    pretrained.resolve_checkpoint(missing)
  for value in ('', None):
    with pytest.raises(ValueError, match='value must be a checkpoint path or a published '
                                         'checkpoint name, received'):
      pretrained.resolve_checkpoint(value)


def test_progress_on_a_terminal_is_one_refreshing_line(monkeypatch):
  class Terminal(io.StringIO):
    def isatty(self):
      return True

  stream = Terminal()
  monkeypatch.setattr(sys, 'stderr', stream)
  clock = iter([0.0, 0.0, 0.1, 2.0, 3.0])
  monkeypatch.setattr(pretrained.time, 'monotonic', lambda: next(clock))
  report = pretrained._StderrProgress('vgg_16')  # pylint: disable=protected-access
  report(10**6, 5 * 10**6)  # resumed at 1 MB: not counted in the speed
  report(2 * 10**6, 5 * 10**6)  # within 0.2 s of the last line: not shown
  report(3 * 10**6, 5 * 10**6)
  report.close()
  assert stream.getvalue() == '\rvgg_16: 3.0 of 5.0 MB (60%), 1.0 MB/s, ETA 00:00:02\n'
