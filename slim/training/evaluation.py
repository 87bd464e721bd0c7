"""Graph-mode evaluation of checkpoints with hooks.

`evaluate_once` restores one checkpoint and runs `eval_ops` (metric updates) until
a hook, usually `StopAfterNEvalsHook`, stops it, then returns the values of
`final_ops`. `evaluate_repeatedly` does so for every new checkpoint of a directory,
as `checkpoints_iterator` finds them.

Example:

  accuracy, update_op = tf.compat.v1.metrics.accuracy(labels, predictions)
  tf.compat.v1.summary.scalar('accuracy', accuracy)
  value = slim.train_eval.evaluate_once(
      tf.train.latest_checkpoint('/tmp/model'),
      eval_ops=update_op, final_ops=accuracy,
      hooks=[slim.train_eval.StopAfterNEvalsHook(100),
             slim.train_eval.SummaryAtEndHook('/tmp/model/eval')])
"""
import time

import tensorflow as tf

from slim import _checks
from slim.training import checkpoints
from slim.training import progress as _progress_lib

__all__ = [
    'StopAfterNEvalsHook',
    'SummaryAtEndHook',
    'checkpoints_iterator',
    'evaluate_once',
    'evaluate_repeatedly',
    'get_or_create_eval_step',
    'wait_for_new_checkpoint',
]

_v1 = tf.compat.v1
_logging = _v1.logging


def _log_line(line):
  _logging.info('%s', line)


def get_or_create_eval_step():
  """Returns the evaluation step counter of the default graph, creating it if needed.

  Creates the local int64 variable `eval_step` (initialized to 0), registered in the
  `LOCAL_VARIABLES` and `EVAL_STEP` collections.

  Returns:
    The `eval_step` variable.

  Raises:
    ValueError: the `EVAL_STEP` collection holds more than one tensor.
  """
  eval_steps = _v1.get_collection(_v1.GraphKeys.EVAL_STEP)
  if len(eval_steps) > 1:
    raise ValueError('get_or_create_eval_step: Multiple tensors added to tf.GraphKeys.EVAL_STEP '
                     '(%s); keep one' % ', '.join(t.name for t in eval_steps))
  if eval_steps:
    return eval_steps[0]
  return _v1.get_variable(
      'eval_step', shape=[], dtype=tf.int64, initializer=_v1.zeros_initializer(),
      trainable=False, collections=[_v1.GraphKeys.LOCAL_VARIABLES, _v1.GraphKeys.EVAL_STEP])


def _get_latest_eval_step_value(update_ops):
  """The value of the eval step, read after `update_ops` (a list or a dict) have run."""
  if isinstance(update_ops, dict):
    update_ops = list(update_ops.values())
  with tf.control_dependencies(update_ops):
    return tf.identity(get_or_create_eval_step().read_value())


class StopAfterNEvalsHook(_v1.train.SessionRunHook):
  """Requests a stop once the evaluation loop has run `eval_ops` `num_evals` times.

  The evaluation functions give the hook the updated eval step; it logs progress
  as `eval batch 5/10 (2.00 batches/sec, ETA 0:00:03)`: every batch when there
  are fewer than 20 (or an unknown number), else every tenth of them, and at the
  last one.
  """

  def __init__(self, num_evals, log_progress=True):
    """Creates the hook.

    Args:
      num_evals: how many batches to evaluate; None runs until the input is
        exhausted (`OutOfRangeError`).
      log_progress: log the progress lines (default True).

    Raises:
      ValueError: `num_evals` is not a positive int or None.
    """
    _checks.check_count('StopAfterNEvalsHook', 'num_evals', num_evals, allow_none=True)
    self._num_evals = num_evals
    self._evals_completed = None
    self._log_progress = log_progress
    self._progress = None

  def _set_evals_completed_tensor(self, updated_eval_step):
    self._evals_completed = updated_eval_step

  def after_create_session(self, session, coord):
    if self._log_progress:  # a new evaluation: its rate counts from now
      self._progress = _progress_lib.Progress(
          label='eval', unit='batch', total=self._num_evals, log_fn=_log_line,
          every_n=_progress_lib.eval_log_every_n(self._num_evals))
      self._progress.start(0)

  def before_run(self, run_context):
    if self._evals_completed is None:
      raise ValueError('StopAfterNEvalsHook: no eval step to watch; use the hook with '
                       'evaluate_once or evaluate_repeatedly and pass eval_ops')
    return _v1.train.SessionRunArgs({'evals_completed': self._evals_completed})

  def after_run(self, run_context, run_values):
    evals_completed = int(run_values.results['evals_completed'])
    done = self._num_evals is not None and evals_completed >= self._num_evals
    if self._progress is not None:
      self._progress.update(evals_completed, final=done)
    if done:
      run_context.request_stop()


class SummaryAtEndHook(_v1.train.SessionRunHook):
  """Runs the summary op once, when the evaluation ends, and writes it at the
  global step of the restored checkpoint."""

  def __init__(self, log_dir=None, summary_writer=None, summary_op=None, feed_dict=None):
    """Creates the hook.

    Args:
      log_dir: the directory of the events file; used when `summary_writer` is None
        (through `tf.compat.v1.summary.FileWriterCache`).
      summary_writer: a `tf.compat.v1.summary.FileWriter`.
      summary_op: the summary op to run; default None: all summaries of the graph
        (`merge_all` when the session begins).
      feed_dict: a feed dict for running the summary op.

    Raises:
      ValueError: both `log_dir` and `summary_writer` are None.
    """
    if log_dir is None and summary_writer is None:
      raise ValueError('SummaryAtEndHook: One of log_dir or summary_writer should be used '
                       '(both are None)')
    self._log_dir = log_dir
    self._summary_writer = summary_writer
    self._summary_op = summary_op
    self._replace_summary_op = summary_op is None
    self._feed_dict = feed_dict
    self._global_step = None

  def begin(self):
    if self._replace_summary_op:
      self._summary_op = _v1.summary.merge_all()  # None when the graph has no summaries
    self._global_step = _v1.train.get_or_create_global_step()

  def after_create_session(self, session, coord):
    if self._summary_writer is None and self._log_dir:
      self._summary_writer = _v1.summary.FileWriterCache.get(self._log_dir)

  def end(self, session):
    if self._summary_op is not None:
      global_step = _v1.train.global_step(session, self._global_step)
      summary = session.run(self._summary_op, self._feed_dict)
      if self._summary_writer:
        self._summary_writer.add_summary(summary, global_step)
    if self._summary_writer:
      self._summary_writer.flush()


def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1,
                            timeout=None):
  """Waits until the latest checkpoint of `checkpoint_dir` differs from `last_checkpoint`.

  Args:
    checkpoint_dir: the directory of the checkpoints (its `checkpoint` state file).
    last_checkpoint: the checkpoint path already seen, or None (default).
    seconds_to_sleep: seconds between looks (default 1).
    timeout: the most seconds to wait; None (default) waits forever.

  Returns:
    The new checkpoint path, or None when the timeout came first.
  """
  _checks.check_seconds('wait_for_new_checkpoint', 'seconds_to_sleep', seconds_to_sleep,
                        allow_none=False)
  _checks.check_seconds('wait_for_new_checkpoint', 'timeout', timeout)
  _logging.info('Waiting for new checkpoint at %s', checkpoint_dir)
  stop_time = None if timeout is None else time.time() + timeout
  while True:
    checkpoint_path = tf.train.latest_checkpoint(checkpoint_dir)
    if checkpoint_path is not None and checkpoint_path != last_checkpoint:
      _logging.info('Found new checkpoint at %s', checkpoint_path)
      return checkpoint_path
    if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
      return None
    time.sleep(seconds_to_sleep)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
  """Yields each new checkpoint path of `checkpoint_dir` as it appears.

  New checkpoints are looked for only when the loop comes back to the iterator, so
  checkpoints written meanwhile and replaced are skipped. When `timeout` seconds
  pass without a new checkpoint, the iterator ends, unless `timeout_fn` is given and
  returns False, in which case it waits again.

  Args:
    checkpoint_dir: the directory of the checkpoints.
    min_interval_secs: the least seconds between two yields (default 0).
    timeout: the most seconds to wait for a new checkpoint; None (default) waits forever.
    timeout_fn: None, or a function of no arguments called on timeout; the iterator
      ends when it returns True.

  Yields:
    Checkpoint paths, oldest first.

  Example:
    for path in slim.evaluation.checkpoints_iterator('/tmp/model', timeout=3600):
      evaluate(path)
  """
  _checks.check_seconds('checkpoints_iterator', 'min_interval_secs', min_interval_secs,
                        allow_none=False)
  _checks.check_callable('checkpoints_iterator', 'timeout_fn', timeout_fn)
  checkpoint_path = None
  while True:
    new_checkpoint_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path,
                                                  timeout=timeout)
    if new_checkpoint_path is None:
      if timeout_fn is None:
        _logging.info('Timed-out waiting for a checkpoint.')
        return
      if timeout_fn():
        return
      continue
    start = time.time()
    checkpoint_path = new_checkpoint_path
    yield checkpoint_path
    time_to_next_eval = start + min_interval_secs - time.time()
    if time_to_next_eval > 0:
      time.sleep(time_to_next_eval)


def _prepare_eval_ops(eval_ops, hooks):
  """Adds the eval step increment to `eval_ops` and hands the updated step to the
  `StopAfterNEvalsHook`s of `hooks`. Returns the new eval ops (a copy)."""
  eval_step = get_or_create_eval_step()
  if eval_ops is None:
    return None
  update_eval_step = _v1.assign_add(eval_step, 1, use_locking=True)
  if isinstance(eval_ops, dict):
    eval_ops = dict(eval_ops, update_eval_step=update_eval_step)
  elif isinstance(eval_ops, (tuple, list)):
    eval_ops = list(eval_ops) + [update_eval_step]
  else:
    eval_ops = [eval_ops, update_eval_step]
  eval_step_value = _get_latest_eval_step_value(eval_ops)
  for hook in hooks:
    if isinstance(hook, StopAfterNEvalsHook):
      hook._set_evals_completed_tensor(eval_step_value)  # pylint: disable=protected-access
  return eval_ops


def _run_evaluation(checkpoint_path, master, scaffold, eval_ops, feed_dict, hooks, config):
  """Restores `checkpoint_path` in a `MonitoredSession` and runs `eval_ops` until stopped.
  The global variables present in the checkpoint must have their shapes and dtypes
  there."""
  checkpoints.check_restorable(
      'evaluate', checkpoint_path,
      {checkpoints.variable_name(var): var for var in _v1.global_variables()},
      require_all=False, advice='Evaluate it with the model that was trained.')
  session_creator = _v1.train.ChiefSessionCreator(
      scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path, master=master,
      config=config)
  _logging.info('Starting evaluation at %s', time.strftime('%Y-%m-%dT%H:%M:%S'))
  start = time.time()
  with _v1.train.MonitoredSession(session_creator=session_creator, hooks=hooks) as session:
    if eval_ops is not None:
      while not session.should_stop():
        session.run(eval_ops, feed_dict)
  _logging.info('Inference Time : %.5fs', time.time() - start)
  _logging.info('Finished evaluation at %s', time.strftime('%Y-%m-%dT%H:%M:%S'))


def evaluate_once(checkpoint_path, master='', scaffold=None, eval_ops=None, feed_dict=None,
                  final_ops=None, final_ops_feed_dict=None, hooks=None, config=None):
  """Restores one checkpoint, runs `eval_ops` until a hook stops, and returns `final_ops`.

  The local variable `eval_step` counts the runs of `eval_ops` (a custom
  `scaffold.local_init_op` must initialize it). With `eval_ops` None, the session
  is only created and closed, so that hooks such as `SummaryAtEndHook` run.

  Args:
    checkpoint_path: the checkpoint to restore.
    master: the TensorFlow master (default '').
    scaffold: a `tf.compat.v1.train.Scaffold` (default: a new one; its saver
      restores the checkpoint).
    eval_ops: a tensor, a list or a dict of tensors run at every step.
    feed_dict: a feed dict for `eval_ops`.
    final_ops: a tensor, a list or a dict of tensors evaluated once at the end.
    final_ops_feed_dict: a feed dict for `final_ops`.
    hooks: `SessionRunHook`s, usually a `StopAfterNEvalsHook`.
    config: a `tf.compat.v1.ConfigProto` for the session.

  Returns:
    The values of `final_ops`, or None if `final_ops` is None.

  Raises:
    ValueError: `checkpoint_path` is not a checkpoint.
  """
  hooks = list(hooks or [])
  eval_ops = _prepare_eval_ops(eval_ops, hooks)
  final_ops_hook = _v1.train.FinalOpsHook(final_ops, final_ops_feed_dict)
  hooks.append(final_ops_hook)
  _run_evaluation(checkpoint_path, master, scaffold, eval_ops, feed_dict, hooks, config)
  return final_ops_hook.final_ops_values


def evaluate_repeatedly(checkpoint_dir, master='', scaffold=None, eval_ops=None,
                        feed_dict=None, final_ops=None, final_ops_feed_dict=None,
                        eval_interval_secs=60, hooks=None, config=None,
                        max_number_of_evaluations=None, timeout=None, timeout_fn=None):
  """Evaluates every new checkpoint of `checkpoint_dir`, as `evaluate_once` does.

  Args:
    checkpoint_dir: the directory the training writes checkpoints to.
    master, scaffold, eval_ops, feed_dict, final_ops, final_ops_feed_dict, hooks,
      config: as for `evaluate_once`.
    eval_interval_secs: the least seconds between two evaluations (default 60).
    max_number_of_evaluations: stop after this many evaluations; None (default)
      goes on until the timeout.
    timeout: the most seconds to wait for a new checkpoint; None (default) waits forever.
    timeout_fn: None, or a function of no arguments called on timeout; evaluation
      ends when it returns True, and waits again otherwise.

  Returns:
    The values of `final_ops` at the last evaluation, or None.

  Raises:
    ValueError: a count or a number of seconds is out of range.
  """
  function = 'evaluate_repeatedly'
  _checks.check_seconds(function, 'eval_interval_secs', eval_interval_secs, allow_none=False)
  _checks.check_count(function, 'max_number_of_evaluations', max_number_of_evaluations,
                      allow_none=True)
  _checks.check_seconds(function, 'timeout', timeout)
  hooks = list(hooks or [])
  eval_ops = _prepare_eval_ops(eval_ops, hooks)
  final_ops_hook = _v1.train.FinalOpsHook(final_ops, final_ops_feed_dict)
  hooks.append(final_ops_hook)

  num_evaluations = 0
  for checkpoint_path in checkpoints_iterator(
      checkpoint_dir, min_interval_secs=eval_interval_secs, timeout=timeout,
      timeout_fn=timeout_fn):
    _run_evaluation(checkpoint_path, master, scaffold, eval_ops, feed_dict, hooks, config)
    num_evaluations += 1
    if (max_number_of_evaluations is not None and
        num_evaluations >= max_number_of_evaluations):
      break
  return final_ops_hook.final_ops_values
