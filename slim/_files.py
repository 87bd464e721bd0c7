"""Files and directories written whole or not at all.

What is written goes to a temporary name beside its destination and is renamed
to it when complete; on failure the temporary is removed, and the destination
keeps what it held before. Paths may be on any `tf.io.gfile` file system.

    with _files.renamed_when_complete('/data/flowers/labels.txt') as temporary:
      write(temporary)
    _files.atomic_write('/train/flags.json', text)
"""
import contextlib
import os
import uuid

import tensorflow as tf


def temporary_name(path):
  """A new hidden name beside `path`: '.<name>.tmp-<pid>-<random>'."""
  directory, name = os.path.split(os.path.normpath(path))
  return os.path.join(directory, '.%s.tmp-%d-%s' % (name, os.getpid(), uuid.uuid4().hex[:8]))


def _remove(path):
  if tf.io.gfile.isdir(path):
    tf.io.gfile.rmtree(path)
  elif tf.io.gfile.exists(path):
    tf.io.gfile.remove(path)


@contextlib.contextmanager
def renamed_when_complete(path):
  """Yields a temporary path beside `path` (its parent directory made) for the
  block to write a file or a directory at; renames it to `path` when the block
  succeeds, replacing what `path` held; removes it otherwise."""
  directory = os.path.dirname(path)
  if directory:
    tf.io.gfile.makedirs(directory)
  temporary = temporary_name(path)
  try:
    yield temporary
    if tf.io.gfile.isdir(temporary) and tf.io.gfile.exists(path):
      old = temporary_name(path)  # a directory cannot be renamed over another
      tf.io.gfile.rename(path, old)
      tf.io.gfile.rename(temporary, path)
      _remove(old)
    else:
      tf.io.gfile.rename(temporary, path, overwrite=True)
  finally:
    _remove(temporary)


def atomic_write(path, data):
  """Writes `data` (str or bytes) to `path` through a temporary name."""
  with renamed_when_complete(path) as temporary:
    with tf.io.gfile.GFile(temporary, 'wb') as f:
      f.write(data.encode('utf-8') if isinstance(data, str) else data)
