"""Python code, modules and the tools run in a fresh interpreter from the checkout,
with the checkout importable and TensorFlow's C++ logging quiet."""
import os
import re
import subprocess
import sys

from tests.conftest import REPO


def environment(**overrides):
  """The environment of a fresh process: this one's, the checkout on PYTHONPATH."""
  return dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL='2', **overrides)


def python_command(code, *args):
  """The command line running `code` with `args` as sys.argv[1:]."""
  return [sys.executable, '-c', code] + [str(arg) for arg in args]


def module_command(module, *args):
  """The command line of `python -m module args...`."""
  return [sys.executable, '-m', module] + [str(arg) for arg in args]


def tool_command(tool, *args):
  """The command line of `python -m slim.tools.<tool> args...`, as a user types it."""
  return module_command('slim.tools.' + tool, *args)


# The lines TensorFlow's C++ runtime writes to stderr at start-up whatever
# TF_CPP_MIN_LOG_LEVEL says (CUDA stub probing on a machine without a driver).
_RUNTIME_LOG = re.compile(r'^(WARNING: All log messages before absl::InitializeLog\(\)|'
                          r'[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\]).*\n?', re.M)


def run(command, timeout=300, env=None):
  """Runs `command` in the checkout; returns the CompletedProcess (text output),
  its stderr without TensorFlow's C++ start-up lines."""
  result = subprocess.run(command, cwd=REPO, env=environment() if env is None else env,
                          capture_output=True, text=True, timeout=timeout)
  result.stderr = _RUNTIME_LOG.sub('', result.stderr)
  return result


def run_python(code, *args, timeout=300, env=None):
  """Runs `code` in a fresh interpreter; returns the CompletedProcess (text output)."""
  return run(python_command(code, *args), timeout=timeout, env=env)


def run_tool(tool, *args, timeout=300):
  """Runs a tool as a user types it; returns the CompletedProcess (text output)."""
  return run(tool_command(tool, *args), timeout=timeout)


def check_ran(result):
  """Asserts a zero exit status, showing the end of the output otherwise."""
  assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-5000:])
  return result
