"""A machine-readable log of a run: one JSON object per line, appended.

    run_log = RunLog('/tmp/train/run_log.jsonl')
    run_log.run_info(vars(flags))
    run_log.step(200, 0.1234, learning_rate=0.01, examples_per_sec=1755.0)
    run_log.evaluation(1000, {'eval/Accuracy': 0.97}, checkpoint='/tmp/train/model.ckpt-1000')

Every line has `time` (Unix seconds) and `event`: "run" (the flags and the
machine), "step" (a training step), "eval" (the metrics of a checkpoint) or
"progress" (a progress line of another loop, see `slim.training.progress`).
Each line is written with one `write` on a file opened for appending, so lines
of several writers do not interleave and a crash loses at most the line being
written. Values are made JSON: NumPy numbers and arrays become numbers and lists,
and the floats NaN, inf and -inf, which JSON has no number for, are written as
the strings "NaN", "Infinity" and "-Infinity" (`float()` reads them back);
other objects are written as their `str`.
"""
import json
import math
import numbers
import os
import platform
import socket
import sys
import threading
import time

import numpy as np

__all__ = ['RunLog', 'json_safe']

_NON_FINITE = {math.inf: 'Infinity', -math.inf: '-Infinity'}


def json_safe(value):
  """`value` with what JSON cannot hold replaced (see the module docstring)."""
  if isinstance(value, np.ndarray):
    value = value.tolist()
  elif isinstance(value, np.generic):
    value = value.item()
  if value is None or isinstance(value, (bool, str)):
    return value
  if isinstance(value, numbers.Integral):
    return int(value)
  if isinstance(value, numbers.Real):
    value = float(value)
    if math.isnan(value):
      return 'NaN'
    return _NON_FINITE.get(value, value)
  if isinstance(value, dict):
    return {str(key): json_safe(item) for key, item in value.items()}
  if isinstance(value, (list, tuple, set, frozenset)):
    return [json_safe(item) for item in value]
  if isinstance(value, bytes):
    return value.decode('utf-8', 'replace')
  return str(value)


def _gpus():
  """The visible GPUs: their TensorFlow names and, where known, device names."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  gpus = []
  for device in tf.config.list_physical_devices('GPU'):
    entry = {'name': device.name}
    try:
      details = tf.config.experimental.get_device_details(device)
    except (ValueError, RuntimeError):
      details = {}
    entry.update((key, details[key]) for key in ('device_name', 'compute_capability')
                 if key in details)
    gpus.append(entry)
  return gpus


def _versions():
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim import __version__  # pylint: disable=import-outside-toplevel
  return {'python': platform.python_version(), 'tensorflow': tf.__version__,
          'numpy': np.__version__, 'slim': __version__}


class RunLog(object):
  """Appends JSON lines to `path` (its directory is made if missing).

  Args:
    path: the file, e.g. `<train_dir>/run_log.jsonl`.
    clock: the time function (default `time.time`).

  Raises:
    ValueError: `path` is empty or not a string.
  """

  def __init__(self, path, clock=time.time):
    if not isinstance(path, (str, os.PathLike)) or not str(path):
      raise ValueError('RunLog: path must be a file path, received %r' % (path,))
    self.path = os.fspath(path)
    self._clock = clock
    self._lock = threading.Lock()
    self._file = None

  def write(self, event, **fields):
    """Appends one line `{"time": ..., "event": event, **fields}`; returns it as a dict."""
    if not isinstance(event, str) or not event:
      raise ValueError('RunLog.write: event must be a non-empty string, received %r'
                       % (event,))
    reserved = sorted(set(fields) & {'time', 'event'})
    if reserved:
      raise ValueError('RunLog.write: %s is set by the run log itself; rename that field'
                       % ', '.join(reserved))
    record = {'time': self._clock(), 'event': event}
    record.update(fields)
    record = json_safe(record)
    data = (json.dumps(record, allow_nan=False, sort_keys=False) + '\n').encode('utf-8')
    with self._lock:
      if self._file is None:
        directory = os.path.dirname(self.path)
        if directory:
          os.makedirs(directory, exist_ok=True)
        self._file = open(self.path, 'ab', buffering=0)  # pylint: disable=consider-using-with
      self._file.write(data)
      self._file.flush()
    return record

  def run_info(self, flags):
    """Writes the "run" line: `flags` (a dict), the versions of Python,
    TensorFlow, NumPy and slim, the host name, the platform, the CPU count and
    the visible GPUs."""
    if not isinstance(flags, dict):
      raise TypeError('RunLog.run_info: flags must be a dict, received %r' % (flags,))
    return self.write('run', flags=flags, versions=_versions(), hostname=socket.gethostname(),
                      platform=platform.platform(), cpu_count=os.cpu_count(), gpus=_gpus(),
                      argv=list(sys.argv))

  def step(self, global_step, loss, learning_rate=None, examples_per_sec=None, **extra):
    """Writes a "step" line; None values are left out (`loss` is always there)."""
    fields = {'global_step': global_step, 'loss': loss}
    optional = dict(learning_rate=learning_rate, examples_per_sec=examples_per_sec, **extra)
    fields.update((key, value) for key, value in optional.items() if value is not None)
    return self.write('step', **fields)

  def evaluation(self, global_step, metrics, checkpoint=None):
    """Writes an "eval" line: the metrics (name -> value) of `checkpoint` at `global_step`."""
    if not isinstance(metrics, dict):
      raise TypeError('RunLog.evaluation: metrics must be a dict of name -> value, '
                      'received %r' % (metrics,))
    fields = {'global_step': global_step, 'metrics': metrics}
    if checkpoint is not None:
      fields['checkpoint'] = checkpoint
    return self.write('eval', **fields)

  def progress(self, label, unit, count, **extra):
    """Writes a "progress" line (what `Progress` logs for units other than steps)."""
    fields = {'label': label, 'unit': unit, 'count': count}
    fields.update((key, value) for key, value in extra.items() if value is not None)
    return self.write('progress', **fields)

  def close(self):
    with self._lock:
      if self._file is not None:
        self._file.close()
        self._file = None

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()
