"""Shared fixtures: quiet TensorFlow, fresh graphs, and the tf_slim reference.

The reference (tf-slim 1.1.0, run on TF 2.21 by ../shared/tools/tf_slim_reference.py
with tf-keras installed) is used only by tests marked `reference`; they are
skipped where it is not available.
"""
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ../shared/tools beside the checkout; SLIM_SHARED_TOOLS overrides it (e.g. in a worktree).
SHARED_TOOLS = os.environ.get('SLIM_SHARED_TOOLS',
                              os.path.join(os.path.dirname(REPO), 'shared', 'tools'))


def pytest_configure(config):
  config.addinivalue_line('markers', 'slow: long-running; excluded from the default run')
  config.addinivalue_line('markers', 'reference: compares with tf-slim 1.1.0')


@pytest.fixture(autouse=True)
def no_leaked_global_seed():
  """Clears the eager global seed after each test, so that no test's order changes
  another's random draws (op seeds combine with it)."""
  yield
  tf.random.set_seed(None)


@pytest.fixture
def graph():
  """A fresh default graph for a graph-mode test."""
  with tf.Graph().as_default() as g:
    yield g


def load_reference():
  """Returns the patched tf_slim module, or None if it cannot be loaded here."""
  if SHARED_TOOLS not in sys.path:
    sys.path.append(SHARED_TOOLS)
  try:
    import tf_slim_reference  # pylint: disable=import-outside-toplevel
    return tf_slim_reference.load()
  except ImportError:
    return None


@pytest.fixture(scope='session')
def tf_slim():
  """The reference tf_slim 1.1.0 (skips the test where it is not installed)."""
  module = load_reference()
  if module is None:
    pytest.skip('tf-slim 1.1.0 with tf-keras (the reference) is not installed')
  return module
