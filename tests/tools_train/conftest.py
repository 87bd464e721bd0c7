"""Fixtures of the training tools' tests: the digits converted once per session."""
import pytest

from tests.tools_train import tools_train_helpers as helpers


@pytest.fixture(scope='session')
def digits_dir(tmp_path_factory):
  """The digits converted to TFRecords by the download_and_convert_data command."""
  dataset_dir = str(tmp_path_factory.mktemp('digits'))
  helpers.check_ran(helpers.run_tool('download_and_convert_data', '--dataset_name=digits',
                                     '--dataset_dir=' + dataset_dir))
  return dataset_dir
