"""download_checkpoint (and scripts/download_checkpoint.py): --list, --name, errors."""
import os
import socket
import sys

import pytest

from slim.tools import download_checkpoint
from tests.conftest import REPO
from tests.slim import checkpoint_server
from tests.slim import fresh_python


@pytest.fixture
def mirror(tmp_path, monkeypatch):
  """A server of inception_v1's tarball (a stand-in V1 checkpoint file), set as the mirror."""
  served = tmp_path / 'served'
  served.mkdir()
  checkpoint_server.write_tarball(served / 'inception_v1_2016_08_28.tar.gz',
                                  {'inception_v1.ckpt': b'a V1 checkpoint'})
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    yield server


def _closed_port_url():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return 'http://127.0.0.1:%d/' % s.getsockname()[1]


def test_list_prints_the_table(capsys):
  assert download_checkpoint.main(['--list']) is None
  lines = capsys.readouterr().out.splitlines()
  assert lines[0].split() == ['name', 'network', 'classes', 'offset', 'size', 'top-1']
  assert lines[3].split() == ['inception_v3', 'inception_v3', '1001', '0', '299', '78.0']
  assert lines[6].split() == ['resnet_v1_50', 'resnet_v1_50', '1000', '1', '224', '75.2']
  assert len(lines) == 1 + 48 + 1
  assert lines[-1].startswith('aliases: mobilenet_v1 = mobilenet_v1_1.0_224, ')


def test_name_downloads_once_and_prints_the_path(mirror, tmp_path, monkeypatch, capsys):
  cache = tmp_path / 'cache'
  expected = str(cache / 'checkpoints' / 'inception_v1' / 'inception_v1.ckpt')
  assert download_checkpoint.main(['--name=inception_v1', '--cache_dir=' + str(cache)]) == expected
  captured = capsys.readouterr()
  assert captured.out == expected + '\n' and 'Downloading' in captured.err
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', _closed_port_url())
  assert download_checkpoint.main(['--name', 'inception_v1', '--cache_dir', str(cache)]) == (
      expected)
  assert len(mirror.requests) == 1


@pytest.mark.parametrize('argv, message', [
    (['--name=inceptoin_v3'], "--name=inceptoin_v3 is not a published checkpoint. Did you mean "
                              "'inception_v3'? (--list shows them) (see --help)"),
    ([], 'give either --name=<checkpoint> or --list (see --help)'),
    (['--list', '--name=vgg_16'], 'give either --name=<checkpoint> or --list (see --help)'),
])
def test_bad_flags_exit_2_with_one_line(argv, message, capsys):
  assert download_checkpoint.console_main(argv) == 2
  captured = capsys.readouterr()
  assert captured.err == 'download_checkpoint: error: %s\n' % message and captured.out == ''


def test_a_failed_download_exits_1_with_one_line(tmp_path, monkeypatch, capsys):
  monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', _closed_port_url())
  assert download_checkpoint.console_main(['--name=vgg_16', '--cache_dir=' + str(tmp_path)]) == 1
  err = capsys.readouterr().err.splitlines()
  assert err[-1].startswith('download_checkpoint: error: could not download http://127.0.0.1:')
  assert err[-1].endswith('(rerun to try again)')


def test_the_script_downloads_and_help_needs_no_tensorflow(mirror, tmp_path):
  cache = str(tmp_path / 'cache')
  result = fresh_python.run(
      [sys.executable, os.path.join(REPO, 'scripts', 'download_checkpoint.py'),
       '--name=inception_v1', '--cache_dir=' + cache],
      env=fresh_python.environment(SLIM_CHECKPOINT_MIRROR=mirror.url))
  fresh_python.check_ran(result)
  assert result.stdout == os.path.join(cache, 'checkpoints', 'inception_v1',
                                       'inception_v1.ckpt') + '\n'
  result = fresh_python.run_python(
      'import sys\n'
      'from slim.tools import download_checkpoint\n'
      'status = download_checkpoint.console_main(["--nme=x"])\n'
      'try:\n'
      '  download_checkpoint.main(["--help"])\n'
      'except SystemExit:\n'
      '  pass\n'
      'print(status, "tensorflow" in sys.modules)\n')
  assert result.stdout.splitlines()[-1] == '2 False', result.stderr[-2000:]
  assert result.stderr.startswith('download_checkpoint: error: ') and 'nme' in result.stderr
  assert result.stderr.count('\n') == 1  # one line
  assert '--[no]list' in result.stdout
