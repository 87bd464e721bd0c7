"""--checkpoint_path=<name of a published checkpoint>: train_image_classifier
downloads it once (here from a local mirror serving a tarball the test builds)
and starts from its weights."""
import glob
import os

import numpy as np
import pytest

from slim.tools import _cli
from slim.tools import train_image_classifier
from tests.slim import checkpoint_server
from tests.slim.tools import train_eval_setup as helpers

PUBLISHED = 'inception_v1'  # its tarball's name, inception_v1_2016_08_28.tar.gz, is served


def _train(digits_dir, train_dir, *flags):
  return train_image_classifier.main(helpers.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=' + digits_dir, '--train_dir=' + train_dir, '--batch_size=16',
      '--log_every_n_steps=0'] + list(flags))


@pytest.fixture
def mirror(digits_dir, tmp_path, monkeypatch):
  """A mirror serving a LeNet checkpoint under the published inception_v1 tarball's name."""
  base_dir = str(tmp_path / 'base')
  _train(digits_dir, base_dir, '--max_number_of_steps=5')
  files = {'inception_v1.ckpt' + path[len(os.path.join(base_dir, 'model.ckpt-5')):]: path
           for path in glob.glob(os.path.join(base_dir, 'model.ckpt-5.*'))}
  served = tmp_path / 'served'
  served.mkdir()
  checkpoint_server.write_tarball(served / 'inception_v1_2016_08_28.tar.gz', files)
  monkeypatch.setenv('SLIM_CACHE_DIR', str(tmp_path / 'cache'))
  with checkpoint_server.serve(served) as server:
    monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
    yield server, os.path.join(base_dir, 'model.ckpt-5')


def test_training_starts_from_a_published_checkpoint_downloaded_once(digits_dir, tmp_path,
                                                                     mirror):
  server, base_checkpoint = mirror
  for run in ('first', 'second'):
    train_dir = str(tmp_path / run)
    _train(digits_dir, train_dir, '--checkpoint_path=' + PUBLISHED, '--max_number_of_steps=1',
           '--learning_rate=1e-9')
    for name in ('LeNet/conv1/weights', 'LeNet/fc4/biases'):
      np.testing.assert_allclose(helpers.checkpoint_value(train_dir, name),
                                 helpers.checkpoint_value(base_checkpoint, name), atol=1e-6)
  assert [request.path for request in server.requests] == ['/inception_v1_2016_08_28.tar.gz']


def test_a_misspelt_name_is_a_flag_error_with_a_suggestion(digits_dir, tmp_path, mirror):
  with pytest.raises(_cli.FlagError, match=r"--checkpoint_path=inception_v11 is not a "
                                           r"checkpoint: .* Did you mean 'inception_v1'\?"):
    _train(digits_dir, str(tmp_path / 'train'), '--checkpoint_path=inception_v11')
  assert not mirror[0].requests
