"""A local HTTP server of the files of a directory, for download tests, and the
tarballs it serves.

    with checkpoint_server.serve(directory) as server:
      monkeypatch.setenv('SLIM_CHECKPOINT_MIRROR', server.url)
      ...
      server.requests   # [Request(path='/x.tgz', range='bytes=10-', status=206), ...]

`serve(directory, cut_after=None, ignore_range=False, declared_size=None)`:
- GET /<file> answers 200 with the file, or 206 with 'Content-Range' for a
  'Range: bytes=N-' request (416 with 'bytes */SIZE' where N >= SIZE); 404 for
  a missing file.
- `cut_after=N`: the first answer sends only N bytes of its body and closes
  the connection (an interrupted download); later answers are whole.
- `ignore_range=True`: Range requests are answered 200 with the whole file.
- `declared_size=N`: 200 answers declare 'Content-Length: N' whatever the
  file's size (a lie where it differs); ranged answers tell the truth.

`write_tarball(path, members)` writes a .tar.gz of {archive name: bytes or a
file path}.
"""
import contextlib
import http.server
import io
import os
import re
import tarfile
import threading
import typing
import urllib.parse

__all__ = ['Request', 'serve', 'write_tarball']


class Request(typing.NamedTuple):
  """A request the server answered: its path, its Range header (None where it
  had none) and the status answered."""
  path: str
  range: typing.Optional[str]
  status: int


class _Server(http.server.ThreadingHTTPServer):
  daemon_threads = True

  def __init__(self, directory, cut_after, ignore_range, declared_size):
    super().__init__(('127.0.0.1', 0), _Handler)
    self.directory = directory
    self.cut_after = cut_after
    self.ignore_range = ignore_range
    self.declared_size = declared_size
    self.requests = []
    self.lock = threading.Lock()
    self.url = 'http://127.0.0.1:%d/' % self.server_address[1]


class _Handler(http.server.BaseHTTPRequestHandler):
  """Serves the files of `server.directory` as the module docstring says."""

  def log_message(self, *unused_args):  # quiet
    pass

  def _answer(self, status, headers, body=b''):
    server = self.server
    with server.lock:
      server.requests.append(Request(self.path, self.headers.get('Range'), status))
      cut, server.cut_after = server.cut_after, None
    self.send_response(status)
    for name, value in headers:
      self.send_header(name, value)
    self.end_headers()
    self.wfile.write(body if cut is None else body[:cut])
    self.close_connection = True

  def do_GET(self):  # pylint: disable=invalid-name
    name = urllib.parse.unquote(self.path.split('?')[0]).lstrip('/')
    path = os.path.join(self.server.directory, name)
    if not name or '..' in name.split('/') or not os.path.isfile(path):
      self._answer(404, [('Content-Length', '0')])
      return
    with open(path, 'rb') as f:
      data = f.read()
    size = len(data)
    match = re.fullmatch(r'bytes=(\d+)-', self.headers.get('Range') or '')
    if match and not self.server.ignore_range:
      start = int(match.group(1))
      if start >= size:
        self._answer(416, [('Content-Range', 'bytes */%d' % size), ('Content-Length', '0')])
        return
      self._answer(206, [('Content-Range', 'bytes %d-%d/%d' % (start, size - 1, size)),
                         ('Content-Length', str(size - start))], data[start:])
      return
    declared = size if self.server.declared_size is None else self.server.declared_size
    self._answer(200, [('Content-Length', str(declared))], data)


@contextlib.contextmanager
def serve(directory, cut_after=None, ignore_range=False, declared_size=None):
  """Serves `directory` on 127.0.0.1 (a free port) for the block; yields the
  server, with `url` ('http://127.0.0.1:PORT/') and `requests` (a list of
  `Request`)."""
  server = _Server(str(directory), cut_after, ignore_range, declared_size)
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  try:
    yield server
  finally:
    server.shutdown()
    server.server_close()
    thread.join()


def write_tarball(path, members):
  """Writes the .tar.gz `path` of `members`: {name in the archive: bytes, or the
  path of a file to add}, in that order."""
  with tarfile.open(str(path), 'w:gz') as tar:
    for name, content in members.items():
      if isinstance(content, bytes):
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
      else:
        tar.add(str(content), arcname=name)
