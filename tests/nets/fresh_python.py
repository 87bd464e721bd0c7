"""Runs a script in a fresh Python process with this checkout on the path."""
import subprocess
import sys

from tests.conftest import REPO


def assert_prints_ok(script):
  """Runs `script`; fails with its stderr unless it prints exactly 'ok'."""
  result = subprocess.run([sys.executable, '-c', script], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={'PYTHONPATH': REPO,
                                                       'TF_CPP_MIN_LOG_LEVEL': '2'})
  assert result.stdout.strip() == 'ok', result.stderr[-2000:]
