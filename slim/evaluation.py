"""TF-Slim's evaluation entry points: evaluate one checkpoint, or every new one.

Both restore a checkpoint, run `eval_op` (usually metric update ops) `num_evals`
times, write the summaries to `logdir` at the checkpoint's global step, and return
the value of `final_op`.

Example:

  names_to_values, names_to_updates = slim.metrics.aggregate_metric_map({
      'accuracy': tf.compat.v1.metrics.accuracy(labels, predictions),
  })
  for name, value in names_to_values.items():
    tf.compat.v1.summary.scalar(name, value)
  slim.evaluation.evaluation_loop(
      '', '/tmp/model', '/tmp/model/eval', num_evals=100,
      eval_op=list(names_to_updates.values()), eval_interval_secs=600)
"""
import tensorflow as tf

from slim import _checks
from slim.training import evaluation as _evaluation

__all__ = [
    'StopAfterNEvalsHook',
    'SummaryAtEndHook',
    'checkpoints_iterator',
    'evaluate_once',
    'evaluation_loop',
    'get_or_create_eval_step',
    'wait_for_new_checkpoint',
]

_v1 = tf.compat.v1

StopAfterNEvalsHook = _evaluation.StopAfterNEvalsHook
SummaryAtEndHook = _evaluation.SummaryAtEndHook
evaluate_repeatedly = _evaluation.evaluate_repeatedly
get_or_create_eval_step = _evaluation.get_or_create_eval_step
wait_for_new_checkpoint = _evaluation.wait_for_new_checkpoint
checkpoints_iterator = _evaluation.checkpoints_iterator


_USE_DEFAULT = _checks.Default('_USE_DEFAULT')


def _evaluation_hooks(function, num_evals, logdir, summary_op, summary_op_feed_dict, hooks):
  """The hooks of an evaluation: stop after `num_evals`, write the summaries at the
  end, then the caller's `hooks`."""
  _checks.check_count(function, 'num_evals', num_evals, allow_none=True)
  if summary_op is _USE_DEFAULT:
    summary_op = _v1.summary.merge_all()
  all_hooks = [StopAfterNEvalsHook(num_evals)]
  if summary_op is not None:
    if logdir is None:
      raise ValueError('%s: logdir cannot be None when there is a summary_op to write; pass a '
                       'logdir or summary_op=None' % function)
    all_hooks.append(SummaryAtEndHook(log_dir=logdir, summary_op=summary_op,
                                      feed_dict=summary_op_feed_dict))
  all_hooks.extend(hooks or [])
  return all_hooks


def _scaffold(initial_op, initial_op_feed_dict, variables_to_restore, init_fn=None):
  """A scaffold running `initial_op`, restoring `variables_to_restore` (default: all)."""
  saver = None if variables_to_restore is None else _v1.train.Saver(variables_to_restore)
  return _v1.train.Scaffold(init_op=initial_op, init_feed_dict=initial_op_feed_dict,
                            init_fn=init_fn, saver=saver)


def evaluate_once(master,
                  checkpoint_path,
                  logdir,
                  num_evals=1,
                  initial_op=None,
                  initial_op_feed_dict=None,
                  eval_op=None,
                  eval_op_feed_dict=None,
                  final_op=None,
                  final_op_feed_dict=None,
                  summary_op=_USE_DEFAULT,
                  summary_op_feed_dict=None,
                  variables_to_restore=None,
                  session_config=None,
                  hooks=None):
  """Evaluates the model at `checkpoint_path` once.

  Args:
    master: the TensorFlow master ('' in process).
    checkpoint_path: the checkpoint to restore.
    logdir: where the summaries are written.
    num_evals: how many times `eval_op` runs (default 1; None: until the input ends).
    initial_op: an op run before the evaluation (the scaffold's init_op).
    initial_op_feed_dict: a feed dict for `initial_op`.
    eval_op: the op (or list, or dict of ops) run `num_evals` times.
    eval_op_feed_dict: a feed dict for `eval_op`.
    final_op: the tensor (or list, or dict) evaluated after the last `eval_op`.
    final_op_feed_dict: a feed dict for `final_op`.
    summary_op: the summary op run at the end; default: all summaries of the graph
      (`tf.compat.v1.summary.merge_all()`); None writes none.
    summary_op_feed_dict: a feed dict for `summary_op`.
    variables_to_restore: the variables to restore (default None: all saveable ones).
    session_config: a `tf.compat.v1.ConfigProto` for the session.
    hooks: more `SessionRunHook`s.

  Returns:
    The value of `final_op`, or None if `final_op` is None.

  Raises:
    ValueError: `checkpoint_path` is not a checkpoint, or `num_evals` is not a
      positive int.
  """
  all_hooks = _evaluation_hooks('evaluate_once', num_evals, logdir, summary_op,
                                summary_op_feed_dict, hooks)
  return _evaluation.evaluate_once(
      checkpoint_path,
      master=master,
      scaffold=_scaffold(initial_op, initial_op_feed_dict, variables_to_restore),
      eval_ops=eval_op,
      feed_dict=eval_op_feed_dict,
      final_ops=final_op,
      final_ops_feed_dict=final_op_feed_dict,
      hooks=all_hooks,
      config=session_config)


def evaluation_loop(master,
                    checkpoint_dir,
                    logdir,
                    num_evals=1,
                    initial_op=None,
                    initial_op_feed_dict=None,
                    init_fn=None,
                    eval_op=None,
                    eval_op_feed_dict=None,
                    final_op=None,
                    final_op_feed_dict=None,
                    summary_op=_USE_DEFAULT,
                    summary_op_feed_dict=None,
                    variables_to_restore=None,
                    eval_interval_secs=60,
                    max_number_of_evaluations=None,
                    session_config=None,
                    timeout=None,
                    timeout_fn=None,
                    hooks=None):
  """Evaluates each new checkpoint of `checkpoint_dir`, as `evaluate_once` does.

  Args:
    master, logdir, num_evals, initial_op, initial_op_feed_dict, eval_op,
      eval_op_feed_dict, final_op, final_op_feed_dict, summary_op,
      summary_op_feed_dict, variables_to_restore, session_config, hooks: as for
      `evaluate_once`.
    checkpoint_dir: the directory the training writes checkpoints to.
    init_fn: the scaffold's `init_fn(scaffold, session)`; a session restored from a
      checkpoint does not run it.
    eval_interval_secs: the least seconds between two evaluations (default 60).
    max_number_of_evaluations: stop after this many evaluations; None (default)
      goes on until the timeout.
    timeout: the most seconds to wait for a new checkpoint; None (default) waits forever.
    timeout_fn: None, or a function of no arguments called on timeout; the loop ends
      when it returns True and waits again otherwise.

  Returns:
    The value of `final_op` at the last evaluation, or None.

  Raises:
    ValueError: a count or a number of seconds is out of range.
  """
  all_hooks = _evaluation_hooks('evaluation_loop', num_evals, logdir, summary_op,
                                summary_op_feed_dict, hooks)
  return _evaluation.evaluate_repeatedly(
      checkpoint_dir,
      master=master,
      scaffold=_scaffold(initial_op, initial_op_feed_dict, variables_to_restore, init_fn),
      eval_ops=eval_op,
      feed_dict=eval_op_feed_dict,
      final_ops=final_op,
      final_ops_feed_dict=final_op_feed_dict,
      eval_interval_secs=eval_interval_secs,
      hooks=all_hooks,
      config=session_config,
      max_number_of_evaluations=max_number_of_evaluations,
      timeout=timeout,
      timeout_fn=timeout_fn)
