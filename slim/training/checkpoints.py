"""TF-Slim checkpoints from TF2 code: find, read, write and wait for them.

A TF-Slim checkpoint maps variable names (`conv1/weights`, `global_step`,
`conv1/weights/Momentum`, `conv1/weights/ExponentialMovingAverage`) to values,
in files `model.ckpt-<step>.index` / `.data-*` beside a `checkpoint` state file
naming the latest ones. Graph-mode code (`tf.compat.v1.train.Saver`,
`slim.evaluation`, research/slim's scripts) reads it by name; so do these
helpers, for variables made eagerly (`slim.Model`) or under a
`tf.distribute` strategy.

Writes are atomic for readers that go through the state file (as
`tf.train.latest_checkpoint` does): the Saver writes the data and index files,
then replaces the state file (written to a temporary name and renamed).
"""
import contextlib
import logging
import os
import re
import time

import tensorflow as tf

from slim.ops import variables as variables_lib
from slim.training import train_dir

__all__ = ['CheckpointWriter', 'assign_from_checkpoint', 'check_restorable', 'checkpoint_step',
           'new_checkpoints', 'resolve_checkpoint', 'variable_name']


def variable_name(var):
  """The name of `var` in a checkpoint: 'conv1/weights' for 'conv1/weights:0'."""
  if getattr(var, '_save_slice_info', None):  # pylint: disable=protected-access
    return variables_lib.get_variable_full_name(var)
  return var.name.rsplit(':', 1)[0]


def resolve_checkpoint(function, checkpoint_path):
  """The checkpoint file prefix for `checkpoint_path`: itself, or a directory's latest.

  A path ending in `.index` or `.data-...` is taken as its prefix.

  Raises:
    ValueError: no checkpoint there.
  """
  if not checkpoint_path or not isinstance(checkpoint_path, (str, os.PathLike)):
    raise ValueError('%s: checkpoint_path must be a checkpoint file prefix or a directory, '
                     'received %r' % (function, checkpoint_path))
  checkpoint_path = os.fspath(checkpoint_path)
  if tf.io.gfile.isdir(checkpoint_path):
    latest = tf.train.latest_checkpoint(checkpoint_path)
    if latest is None:
      raise ValueError('%s: no checkpoint in the directory %s (no `checkpoint` state file, '
                       'or it names no existing checkpoint)' % (function, checkpoint_path))
    return latest
  prefix = re.sub(r'\.(index|data-\d+-of-\d+)$', '', checkpoint_path)
  if tf.io.gfile.exists(prefix + '.index') or tf.io.gfile.exists(prefix):
    return prefix
  raise ValueError('%s: no checkpoint at %s (expected a file prefix such as '
                   'model.ckpt-1000, with its .index file, or a directory)'
                   % (function, checkpoint_path))


def checkpoint_step(checkpoint_path):
  """The global step of a checkpoint: its `global_step` value, else the number
  ending its name (`model.ckpt-1200`), else 0."""
  reader = tf.train.load_checkpoint(checkpoint_path)
  if reader.has_tensor('global_step'):
    return int(reader.get_tensor('global_step'))
  match = re.search(r'-(\d+)$', checkpoint_path)
  return int(match.group(1)) if match else 0


def assign_from_checkpoint(function, checkpoint_path, names_to_variables):
  """Assigns each variable the checkpoint's value of its name, eagerly.

  Works for variables of a `tf.distribute` strategy (every replica gets the
  value), without any collective (each worker of a cluster restores on its own).

  Args:
    function: the caller's name, for errors.
    checkpoint_path: a checkpoint file prefix.
    names_to_variables: dict from checkpoint name to variable.

  Raises:
    ValueError: a name is missing from the checkpoint, or its shape or dtype differs.
  """
  reader = tf.train.load_checkpoint(checkpoint_path)
  shapes = reader.get_variable_to_shape_map()
  missing = [name for name in names_to_variables if name not in shapes]
  if missing:
    raise ValueError('%s: the checkpoint %s lacks %d variable(s): %s'
                     % (function, checkpoint_path, len(missing), ', '.join(missing[:10])
                        + (', ...' if len(missing) > 10 else '')))
  check_restorable(function, checkpoint_path, names_to_variables)
  for name, var in names_to_variables.items():
    # Without reading back: reading a variable kept on read (batch-norm statistics)
    # of a multi-worker strategy is a collective that every worker would have to join.
    var.assign(reader.get_tensor(name), read_value=False)


def _base_dtype(var):
  return tf.as_dtype(var.dtype).base_dtype


def check_restorable(function, checkpoint_path, names_to_variables, require_all=True,
                     advice=''):
  """Checks, before a restore, that the checkpoint holds each variable by its name
  with its shape and dtype (a graph-mode restore would silently give a variable
  the checkpoint's shape).

  Args:
    function: the caller's name, for errors.
    checkpoint_path: a checkpoint file prefix.
    names_to_variables: dict from checkpoint name to variable (or a list of
      partitions of one variable).
    require_all: whether a name missing from the checkpoint is an error (default
      True); otherwise only the names present are compared.
    advice: a sentence ending the error: how to fix it.

  Raises:
    ValueError: no checkpoint at `checkpoint_path`; or the first difference,
      naming the variable, both shapes or dtypes, and how many variables differ.
  """
  try:
    reader = tf.train.load_checkpoint(checkpoint_path)
  except tf.errors.NotFoundError:
    raise ValueError('%s: there is no checkpoint at %s (expected a file prefix such as '
                     'model.ckpt-1000, with its .index file)' % (function, checkpoint_path)
                     ) from None
  shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
  problems = []
  for name, var in sorted(names_to_variables.items()):
    var = var[0] if isinstance(var, (list, tuple)) else var
    slice_info = getattr(var, '_save_slice_info', None)  # pylint: disable=protected-access
    shape = list(slice_info.full_shape) if slice_info else var.shape.as_list()
    if name not in shapes:
      if require_all:
        problems.append('%s is missing from the checkpoint' % name)
    elif list(shapes[name]) != shape:
      problems.append('variable %s has shape %s here but %s in the checkpoint'
                      % (name, shape, list(shapes[name])))
    elif dtypes[name] != _base_dtype(var):
      problems.append('variable %s has dtype %s here but %s in the checkpoint'
                      % (name, _base_dtype(var).name, dtypes[name].name))
  if problems:
    more = ' (and %d more)' % (len(problems) - 1) if len(problems) > 1 else ''
    raise ValueError('%s: cannot restore %s: %s%s.%s' % (
        function, checkpoint_path, problems[0], more, ' ' + advice if advice else ''))


def _local_variable(strategy, var):
  """A plain variable holding `var`'s value (its first replica under a strategy)."""
  return strategy.experimental_local_results(var)[0] if strategy else var


@contextlib.contextmanager
def quiet_warnings():
  """Silences TensorFlow's Python warnings in the block (the v1 Saver's
  deprecations, a strategy's advice on purpose ignored)."""
  logger = tf.get_logger()
  level = logger.level
  logger.setLevel(logging.ERROR)
  try:
    yield
  finally:
    logger.setLevel(level)


class CheckpointWriter(object):
  """Writes `<directory>/model.ckpt-<step>` by variable name, keeping the last few.

  Args:
    directory: where checkpoints go (made if missing).
    names_to_variables: dict from checkpoint name to variable.
    max_to_keep: default 5: older checkpoints are deleted (also those of an
      earlier run in the same directory).
    strategy: the `tf.distribute` strategy of the variables, if any (the first
      replica's values are written).
  """

  def __init__(self, directory, names_to_variables, max_to_keep=5, strategy=None):
    self.directory = directory
    local = {name: _local_variable(strategy, var) for name, var in names_to_variables.items()}
    with quiet_warnings():  # the Saver is what writes TF-Slim's format
      self._saver = tf.compat.v1.train.Saver(local, max_to_keep=max_to_keep,
                                             save_relative_paths=True)
      state = tf.train.get_checkpoint_state(directory)
      if state is not None:
        self._saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))

  def save(self, step):
    """Writes the checkpoint of `step` and returns its path."""
    tf.io.gfile.makedirs(self.directory)
    with train_dir.saving_checkpoint(self.directory):
      return self._saver.save(None, os.path.join(self.directory, 'model.ckpt'),
                              global_step=int(step), write_meta_graph=False)


def new_checkpoints(checkpoint_dir, min_interval_secs=0, timeout=None, seconds_to_sleep=1):
  """Yields each new latest checkpoint of `checkpoint_dir` as it appears.

  Stops when no new checkpoint came within `timeout` seconds (None: waits
  forever). At most one checkpoint per `min_interval_secs`; checkpoints written
  meanwhile are skipped for the latest.
  """
  last = None
  while True:
    deadline = None if timeout is None else time.time() + timeout
    path = tf.train.latest_checkpoint(checkpoint_dir)
    while path is None or path == last:
      if deadline is not None and time.time() + seconds_to_sleep > deadline:
        tf.compat.v1.logging.info('No new checkpoint in %s for %s seconds.', checkpoint_dir,
                                  timeout)
        return
      time.sleep(seconds_to_sleep)
      path = tf.train.latest_checkpoint(checkpoint_dir)
    last = path
    started = time.time()
    yield path
    time.sleep(max(0.0, started + min_interval_secs - time.time()))
