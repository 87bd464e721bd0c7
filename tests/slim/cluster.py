"""Multi-process clusters on loopback for the distributed tests: free ports, and the
processes of a cluster started in fresh interpreters and always reaped."""
import contextlib
import os
import random
import signal
import socket
import subprocess
import time

from tests.conftest import REPO
from tests.slim import fresh_python


# Below Linux's ephemeral range (32768-60999), from which outgoing connections
# (gRPC's among them) take their local ports: a port picked here stays free until
# the server that is given it binds it, seconds later.
_PORTS = (20000, 32000)


def free_ports(count):
  """`count` distinct TCP ports free on localhost now, outside the ephemeral range."""
  ports = []
  while len(ports) < count:
    port = random.randrange(*_PORTS)
    with socket.socket() as s:
      try:
        s.bind(('localhost', port))
      except OSError:
        continue
    if port not in ports:
      ports.append(port)
  return ports


def addresses(count):
  return ['localhost:%d' % port for port in free_ports(count)]


class Processes(object):
  """The processes of one cluster: started with `start`, reaped (killed if still
  running) when the `with` block ends."""

  def __init__(self):
    self._started = {}

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    for process in self._started.values():
      if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
      process.communicate()

  def start(self, name, command, env=None):
    """Starts `command` (a list) in the checkout as process `name`, in its own
    process group, its output captured."""
    environment = fresh_python.environment(**(env or {}))
    self._started[name] = subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)
    return self._started[name]

  def kill(self, name):
    """kill -9 of process `name` (and its children)."""
    process = self._started[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()

  def wait(self, name, timeout=240):
    """Waits for process `name`; returns `(exit status, stdout, stderr, seconds
    waited)`; on timeout kills it and returns the status None."""
    process = self._started[name]
    start = time.time()
    with contextlib.suppress(subprocess.TimeoutExpired):
      stdout, stderr = process.communicate(timeout=timeout)
      return process.returncode, stdout, _quiet(stderr), time.time() - start
    os.killpg(process.pid, signal.SIGKILL)
    stdout, stderr = process.communicate()
    return None, stdout, _quiet(stderr), time.time() - start


def _quiet(stderr):
  return fresh_python._RUNTIME_LOG.sub('', stderr)  # pylint: disable=protected-access
