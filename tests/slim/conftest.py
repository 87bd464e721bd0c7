"""Fixtures of the tests of slim: the digits converted to TFRecords once per session."""
import pytest

from tests.slim import fresh_python


@pytest.fixture(scope='session')
def digits_dir(tmp_path_factory):
  """The digits converted to TFRecords by the download_and_convert_data command."""
  dataset_dir = str(tmp_path_factory.mktemp('digits'))
  fresh_python.check_ran(fresh_python.run_tool('download_and_convert_data',
                                               '--dataset_name=digits',
                                               '--dataset_dir=' + dataset_dir))
  return dataset_dir
