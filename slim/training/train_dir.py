"""A training directory that survives faults.

- `TrainDirLock`: one trainer at a time in a directory. The lock is an
  exclusive `flock` on `<train_dir>/.slim_train.lock`, which the kernel drops
  when its process ends, however it ends (kill -9 included).
- `remove_stale_temporaries`: what an interrupted save leaves (TensorFlow's
  `*.tempstate*` data files, `<prefix>_temp` shard directories, `checkpoint.tmp*`
  state files).
- `recover_checkpoint_state`: the `checkpoint` state file rebuilt to name the
  readable checkpoints present, by relative path, so that a resume skips a
  truncated newest checkpoint, survives a corrupt state file, and resumes a moved
  or copied directory from itself.
"""
import contextlib
import errno
import os
import re
import socket
import time

import numpy as np
import tensorflow as tf

from slim import _files

__all__ = ['LOCK_FILENAME', 'TrainDirInUseError', 'TrainDirLock', 'checkpoint_problem',
           'latest_readable_checkpoint', 'recover_checkpoint_state', 'remove_stale_temporaries',
           'saving_checkpoint']

LOCK_FILENAME = '.slim_train.lock'
STATE_FILENAME = 'checkpoint'
_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+)\s*$')
_STALE = re.compile(r'(\.tempstate\d*$)|(_temp(_[0-9a-f]+)?$)|(^checkpoint\.tmp[0-9a-f]+$)')
_STEP = re.compile(r'-(\d+)$')


class TrainDirInUseError(OSError):
  """Another live process trains in the directory."""


def _is_local(directory):
  return '://' not in directory


_HELD = {}  # real path of a locked directory -> [TrainDirLocks holding it, lock file descriptor]


class TrainDirLock(object):
  """Holds `directory` for one trainer; a context manager, re-entrant within a
  process (a tool holding its train_dir calls `slim.learning.train`, which holds
  it too).

  On a file system without `flock` (or a remote one: `gs://`, `hdfs://`) nothing
  is locked.

  Raises (on entry):
    TrainDirInUseError: another live process holds the directory.
  """

  def __init__(self, directory, function='train'):
    self.directory = directory
    self.function = function
    self._key = None

  def __enter__(self):
    tf.io.gfile.makedirs(self.directory)
    if not _is_local(self.directory):
      return self
    key = os.path.realpath(self.directory)
    if key in _HELD:
      _HELD[key][0] += 1
      self._key = key
      return self
    try:
      import fcntl  # pylint: disable=import-outside-toplevel
    except ImportError:  # not on POSIX
      return self
    path = os.path.join(self.directory, LOCK_FILENAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
      holder = os.read(fd, 512).decode('utf-8', 'replace').strip() or 'another process'
      os.close(fd)
      if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
        return self  # a file system without locks
      raise TrainDirInUseError(
          '%s: another trainer (%s) is training in %s; wait for it to finish or stop it, '
          'or train in another directory' % (self.function, holder, self.directory)) from None
    os.ftruncate(fd, 0)
    os.write(fd, ('pid %d on %s since %s' % (os.getpid(), socket.gethostname(),
                                             time.strftime('%Y-%m-%d %H:%M:%S'))).encode())
    _HELD[key] = [1, fd]
    self._key = key
    return self

  def __exit__(self, *unused_exc_info):
    if self._key is None:
      return
    held = _HELD[self._key]
    held[0] -= 1
    if not held[0]:
      del _HELD[self._key]
      os.close(held[1])  # closing drops the lock
    self._key = None


def remove_stale_temporaries(directory):
  """Removes the temporaries of an interrupted checkpoint save from `directory`;
  returns their names. Call it holding the directory's lock."""
  removed = []
  for name in sorted(tf.io.gfile.listdir(directory)) if tf.io.gfile.isdir(directory) else []:
    name = name.rstrip('/')
    if _STALE.search(name):
      path = os.path.join(directory, name)
      if tf.io.gfile.isdir(path):
        tf.io.gfile.rmtree(path)
      else:
        tf.io.gfile.remove(path)
      removed.append(name)
  if removed:
    tf.compat.v1.logging.warning('Removed what an interrupted save left in %s: %s',
                                 directory, ', '.join(removed))
  return removed


@contextlib.contextmanager
def saving_checkpoint(directory):
  """A block that saves a checkpoint in `directory`: a failure of the write (disk
  full, a file size limit, permissions) removes what the save left and becomes
  an `OSError` naming the directory; the earlier checkpoints are untouched (the
  state file names them until a save completes)."""
  try:
    yield
  except tf.errors.OpError as error:
    remove_stale_temporaries(directory)
    latest = tf.train.latest_checkpoint(directory)
    raise OSError('saving a checkpoint in %s failed (%s). %s; free space (or fix the '
                  'permissions) and rerun to resume' % (
                      directory, _io_reason(error),
                      'The checkpoint %s is intact' % latest if latest else
                      'No checkpoint was written')) from None


def _io_reason(error):
  """The file system's words in a TensorFlow I/O error ('File too large', ...)."""
  lines = [line.strip() for line in error.message.splitlines()
           if line.strip() and not line.strip().startswith('[[')]
  reasons = [line.rsplit('; ', 1)[-1] for line in lines if '; ' in line]
  return (reasons or lines or [type(error).__name__])[-1]


def checkpoint_problem(prefix):
  """Why the checkpoint `prefix` cannot be restored, or None if it looks whole.

  Reads its index and compares the size of its data files with the bytes of the
  numeric tensors the index lists (a truncated or missing data file shows).
  """
  try:
    reader = tf.train.load_checkpoint(prefix)
  except (tf.errors.OpError, ValueError) as error:
    return 'its index cannot be read (%s)' % str(error).splitlines()[0][:200]
  expected = 0
  dtypes = reader.get_variable_to_dtype_map()
  for name, shape in reader.get_variable_to_shape_map().items():
    if dtypes[name] != tf.string:
      expected += int(np.prod(shape, dtype=np.int64)) * dtypes[name].size
  shards = tf.io.gfile.glob(prefix + '.data-*')
  counts = {re.search(r'-of-(\d+)$', shard).group(1) for shard in shards
            if re.search(r'-of-(\d+)$', shard)}
  if expected and (len(counts) != 1 or len(shards) != int(counts.pop())):
    return 'data files are missing (%d found)' % len(shards)
  size = sum(tf.io.gfile.stat(shard).length for shard in shards)
  if size < expected:
    return 'its data is truncated (%d bytes of at least %d)' % (size, expected)
  return None


def _read_state(directory):
  """(checkpoint paths named by the state file, oldest first, or None if there is
  no state file; whether the file is corrupt)."""
  path = os.path.join(directory, STATE_FILENAME)
  if not tf.io.gfile.exists(path):
    return None, False
  try:
    with tf.io.gfile.GFile(path, 'rb') as f:
      text = f.read().decode('utf-8')
  except (tf.errors.OpError, UnicodeDecodeError):
    return None, True
  named, latest = [], None
  for line in text.splitlines():
    if not line.strip():
      continue
    match = _STATE_LINE.match(line)
    if not match:
      return None, True
    key, value = match.groups()
    if key in ('model_checkpoint_path', 'all_model_checkpoint_paths'):
      if not value.startswith('"'):
        return None, True
      value = re.sub(r'\\(.)', r'\1', value[1:-1])
      if key == 'model_checkpoint_path':
        latest = value
      elif value not in named:
        named.append(value)
  if latest is not None and latest not in named:
    named.append(latest)
  return named, False


def _local(directory, path):
  """`path` as a checkpoint of `directory` when `directory` holds one of its name
  (a moved or copied directory), else `path` (relative ones joined to `directory`)."""
  here = os.path.join(directory, os.path.basename(path))
  if tf.io.gfile.exists(here + '.index'):
    return here
  return path if os.path.isabs(path) or '://' in path else os.path.join(directory, path)


def _checkpoints_present(directory):
  prefixes = [path[:-len('.index')]
              for path in tf.io.gfile.glob(os.path.join(directory, '*.index'))]
  return sorted((p for p in prefixes if _STEP.search(p)),
                key=lambda p: int(_STEP.search(p).group(1)))


def latest_readable_checkpoint(directory, log=True):
  """`(newest whole checkpoint of directory or None, [whole checkpoints, oldest
  first], whether the state file should be rewritten)`; writes nothing.

  The checkpoints are those the state file names, found beside it even if the
  directory moved, or those present on disk when the state file is corrupt or
  names none. Each checkpoint skipped is logged with the reason.

  Raises:
    ValueError: there are checkpoints, but none can be read.
  """
  named, corrupt = _read_state(directory)
  warn = tf.compat.v1.logging.warning if log else (lambda *args: None)
  if corrupt:
    warn('The checkpoint state file of %s is corrupt: rebuilt from the checkpoints present',
         directory)
  candidates = [_local(directory, path) for path in named or []]
  candidates = [path for path in candidates if tf.io.gfile.exists(path + '.index')]
  if not candidates:
    candidates = _checkpoints_present(directory)
  whole, problems = [], []
  for prefix in candidates:
    problem = checkpoint_problem(prefix)
    if problem:
      warn('Skipping the checkpoint %s: %s', prefix, problem)
      problems.append('%s: %s' % (os.path.basename(prefix), problem))
    else:
      whole.append(prefix)
  if candidates and not whole:
    raise ValueError('None of the checkpoints in %s can be read (%s); remove them to start '
                     'over' % (directory, '; '.join(problems)))
  state = [_relative(directory, path) for path in whole]
  needs_rewrite = corrupt or (named is None and bool(whole)) or (
      named is not None and state != named)
  return (whole[-1] if whole else None), whole, needs_rewrite


def recover_checkpoint_state(directory):
  """Makes the state file of `directory` name its whole checkpoints (relative
  paths, newest last) and returns the newest, or None. Call it holding the
  directory's lock: it writes.

  Raises:
    ValueError: there are checkpoints, but none can be read.
  """
  latest, whole, needs_rewrite = latest_readable_checkpoint(directory)
  state_file = os.path.join(directory, STATE_FILENAME)
  if needs_rewrite and latest is None:  # a corrupt state file, no checkpoint
    tf.io.gfile.remove(state_file)
  elif needs_rewrite:
    lines = ['model_checkpoint_path: "%s"' % _relative(directory, latest)]
    lines += ['all_model_checkpoint_paths: "%s"' % _relative(directory, path) for path in whole]
    _files.atomic_write(state_file, '\n'.join(lines) + '\n')
  return latest


def _relative(directory, path):
  """`path` relative to `directory` when it is in it."""
  if os.path.dirname(os.path.normpath(path)) == os.path.normpath(directory):
    return os.path.basename(path)
  return path
