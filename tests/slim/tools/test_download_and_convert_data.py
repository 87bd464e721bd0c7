"""download_and_convert_data (and scripts/download_and_convert_data.py): flags in,
converter out; errors on the command line."""
import os
import sys

import pytest

from slim.tools import _cli as _cli_module
from slim.tools import download_and_convert_data
from tests.conftest import REPO
from tests.slim import fresh_python
from tests.slim.datasets import raw_archives


def test_main_converts_with_the_flags_the_converter_takes(tmp_path):
  root = str(tmp_path / 'photos')
  raw_archives.write_image_folder(root, {'a': ['1.png', '2.png'], 'b': ['1.png']})
  summary = download_and_convert_data.main([
      '--dataset_name=image_folder', '--dataset_dir', str(tmp_path / 'out'),
      '--images_dir=' + root, '--num_validation=1', '--num_shards=1', '--skip_bad_images',
      '--num_threads=2'])
  assert summary.num_samples == {'train': 2, 'validation': 1}
  again = download_and_convert_data.main([
      '--dataset_name=image_folder', '--dataset_dir=' + str(tmp_path / 'out'),
      '--images_dir=' + root, '--noskip_bad_images'])
  assert again.reused


def test_flags_that_do_not_apply_are_refused(tmp_path):
  with pytest.raises(ValueError, match=r'--images_dir does not apply to --dataset_name=mnist '
                                       r'\(its converter takes: --archive_path, --num_threads, '
                                       r'--overwrite\)'):
    download_and_convert_data.main(['--dataset_name=mnist', '--dataset_dir=' + str(tmp_path),
                                    '--images_dir=x'])
  with pytest.raises(ValueError, match="Did you mean 'cifar10'"):
    download_and_convert_data.convert('cifar', str(tmp_path))
  with pytest.raises(_cli_module.FlagError, match='--dataset_dir is required'):
    download_and_convert_data.main(['--dataset_name=mnist'])
  with pytest.raises(_cli_module.FlagError, match='--overwrite=maybe: expected true or false'):
    download_and_convert_data.main(['--dataset_name=mnist', '--dataset_dir=x',
                                    '--overwrite=maybe'])


def _cli(*args):
  return fresh_python.run([sys.executable, os.path.join(REPO, 'scripts',
                                                        'download_and_convert_data.py')]
                          + list(args))


def test_command_line_errors_and_summary(tmp_path):
  result = _cli('--dataset_name=image_folder', '--dataset_dir=' + str(tmp_path / 'out'),
                '--images_dir=' + str(tmp_path / 'empty'))
  assert result.returncode == 1
  assert 'download_and_convert_data: error:' in result.stderr
  assert 'is not a directory' in result.stderr
  raw_archives.write_mnist(str(tmp_path / 'mnist'))
  result = _cli('--dataset_name=mnist', '--dataset_dir=' + str(tmp_path / 'mnist'))
  assert result.returncode == 0, result.stderr[-2000:]
  assert 'Converted mnist' in result.stdout and 'train' in result.stdout
  assert os.path.exists(tmp_path / 'mnist' / 'train-images-idx3-ubyte.gz')  # not downloaded


@pytest.mark.parametrize('flag', ['--num_shards=-3', '--num_shards=0', '--num_threads=0',
                                  '--num_validation=-1'])
def test_counts_out_of_range_are_flag_errors(flag, tmp_path, capsys):
  assert download_and_convert_data.console_main(
      ['--dataset_name=digits', '--dataset_dir=' + str(tmp_path), flag]) == 2
  name, value = flag[2:].split('=')
  assert capsys.readouterr().err == (
      'download_and_convert_data: error: --%s must be at least %d, received %s (see --help)\n'
      % (name, 0 if name == 'num_validation' else 1, value))
  assert os.listdir(tmp_path) == []
