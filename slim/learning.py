"""TF-Slim's graph-mode training loop: `create_train_op` and `train`.

`train` does what tf_slim's did with a `tf.compat.v1.train.Supervisor`, on a
`tf.compat.v1.train.SessionManager`: it initializes the model or restores the
latest checkpoint of `logdir` (the global step goes on from there), saves
checkpoints every `save_interval_secs` and summaries every `save_summaries_secs`,
logs the loss, and stops at `number_of_steps` global steps or when the input is
exhausted. It works whether or not eager execution is disabled: the timed saves
run between steps in the training thread (the Supervisor's threads need eager
execution disabled for the whole program).

Example:

  with tf.Graph().as_default():
    predictions = my_net(images)
    tf.compat.v1.losses.log_loss(labels, predictions)
    total_loss = tf.compat.v1.losses.get_total_loss()
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.1)
    train_op = slim.learning.create_train_op(total_loss, optimizer,
                                             clip_gradient_norm=4.0)
    final_loss = slim.learning.train(train_op, '/tmp/model', number_of_steps=1000,
                                     log_every_n_steps=100)
"""
import contextlib
import numbers
import sys
import time

import tensorflow as tf

from slim import _checks
from slim.training import _chief_services
from slim.training import checkpoints as _checkpoints
from slim.training import divergence as _divergence
from slim.training import progress as _progress_lib
from slim.training import train_dir as _train_dir
from slim.training import training as _training

__all__ = [
    'add_gradients_summaries', 'clip_gradient_norms', 'multiply_gradients',
    'create_train_op', 'train_step', 'train'
]

_v1 = tf.compat.v1
_logging = _v1.logging

clip_gradient_norms = _training.clip_gradient_norms
multiply_gradients = _training.multiply_gradients
_USE_GLOBAL_STEP = _training._USE_GLOBAL_STEP  # pylint: disable=protected-access


_USE_DEFAULT = _checks.Default('_USE_DEFAULT')


def add_gradients_summaries(grads_and_vars):
  """Adds a histogram and a norm summary for every gradient.

  The summaries are named `<variable op name>/gradient` and
  `<variable op name>/gradient_norm`; variables without a gradient are logged and
  skipped.

  Args:
    grads_and_vars: a list of (gradient, variable) pairs.

  Returns:
    The list of summary tensors created.
  """
  return _training.summarize_gradients_as(grads_and_vars, '/')


def create_train_op(total_loss,
                    optimizer,
                    global_step=_USE_GLOBAL_STEP,
                    update_ops=None,
                    variables_to_train=None,
                    clip_gradient_norm=0,
                    summarize_gradients=False,
                    gate_gradients=_v1.train.Optimizer.GATE_OP,
                    aggregation_method=None,
                    colocate_gradients_with_ops=False,
                    gradient_multipliers=None,
                    check_numerics=True):
  """Builds the op that runs the update ops, applies one step of gradients and
  returns the total loss.

  Gradients are first multiplied by `gradient_multipliers`, then clipped to
  `clip_gradient_norm`. See `slim.training.create_train_op` for the rest.

  Args:
    total_loss: a scalar `Tensor`, the loss to minimize.
    optimizer: a `tf.compat.v1.train.Optimizer`.
    global_step: the step variable to increment; default: the graph's global step
      (created if missing); None increments nothing.
    update_ops: ops run before the loss (default None: the `UPDATE_OPS` collection).
    variables_to_train: the variables to update (default: all trainable ones).
    clip_gradient_norm: if > 0, clip each gradient to this norm (default 0: no clipping).
    summarize_gradients: add a histogram and a norm summary per gradient (default False).
    gate_gradients, aggregation_method, colocate_gradients_with_ops: passed to
      `optimizer.compute_gradients`.
    gradient_multipliers: None, or a dict from variables (or their op names) to the
      factor their gradient is multiplied by.
    check_numerics: make the op fail when the loss is inf or NaN (default True).

  Returns:
    A `Tensor` that applies the gradients and evaluates to the total loss.

  Raises:
    TypeError: `optimizer` is not a TF1 optimizer.
    ValueError: `clip_gradient_norm` is negative or not a number, or there is nothing
      to train.
  """
  if (isinstance(clip_gradient_norm, bool) or not isinstance(clip_gradient_norm, numbers.Real)
      or clip_gradient_norm < 0):
    raise ValueError('create_train_op: clip_gradient_norm must be a number >= 0 (0: no '
                     'clipping), received %r' % (clip_gradient_norm,))

  def transform_grads_fn(grads):
    if gradient_multipliers:
      with tf.name_scope('multiply_grads'):
        grads = multiply_gradients(grads, gradient_multipliers)
    if clip_gradient_norm > 0:
      with tf.name_scope('clip_grads'):
        grads = clip_gradient_norms(grads, clip_gradient_norm)
    return grads

  return _training.create_train_op(
      total_loss=total_loss,
      optimizer=optimizer,
      global_step=global_step,
      update_ops=update_ops,
      variables_to_train=variables_to_train,
      transform_grads_fn=transform_grads_fn,
      summarize_gradients=summarize_gradients,
      gate_gradients=gate_gradients,
      aggregation_method=aggregation_method,
      colocate_gradients_with_ops=colocate_gradients_with_ops,
      check_numerics=check_numerics)


def _progress(number_of_steps):
  """The reporter of `train`'s log lines: tf_slim's `global step N: loss = X (S
  sec/step` and then the steps/sec since the previous line and the ETA."""
  return _progress_lib.Progress(label='global', unit='step', total=number_of_steps or None,
                                show_total=False, log_fn=_log_line)


def _log_line(line):
  _logging.info('%s', line)


def train_step(sess, train_op, global_step, train_step_kwargs):
  """Runs one step of training; the default `train_step_fn` of `train`.

  `train_step_kwargs` may hold: `should_stop`, `should_log`, `should_trace` (boolean
  scalar tensors), `logdir` (needed with `should_trace`), `summary_writer`, and
  `progress` (a `slim.training.progress.Progress`, which `train` puts there to add
  steps/sec and the ETA to the log line).

  Args:
    sess: the session.
    train_op: the tensor from `create_train_op`.
    global_step: the global step tensor.
    train_step_kwargs: the dict described above.

  Returns:
    `(total_loss, should_stop)`.

  Raises:
    ValueError: `should_trace` is in `train_step_kwargs` but `logdir` is not.
  """
  if 'should_trace' in train_step_kwargs and 'logdir' not in train_step_kwargs:
    raise ValueError('train_step: logdir must be present in train_step_kwargs when '
                     'should_trace is present (keys: %s)' % sorted(train_step_kwargs))
  progress = train_step_kwargs.get('progress')
  if progress is not None and not progress.started:
    progress.start(int(sess.run(global_step)))
  start_time = time.time()
  options = run_metadata = None
  if 'should_trace' in train_step_kwargs and sess.run(train_step_kwargs['should_trace']):
    options = _v1.RunOptions(trace_level=_v1.RunOptions.FULL_TRACE)
    run_metadata = _v1.RunMetadata()

  total_loss, np_global_step = sess.run([train_op, global_step], options=options,
                                        run_metadata=run_metadata)
  step_seconds = time.time() - start_time

  if run_metadata is not None:
    _chief_services.write_trace(run_metadata, train_step_kwargs['logdir'], np_global_step,
                                train_step_kwargs.get('summary_writer'))

  if 'should_log' in train_step_kwargs:
    # The step read with train_op may precede its increment: read it again.
    should_log, step_after = sess.run([train_step_kwargs['should_log'], global_step])
    if should_log:
      if progress is not None:
        progress.log(int(step_after), step_seconds=step_seconds, loss=total_loss)
      else:
        _log_line(_progress_lib.format_line('global', 'step', int(step_after),
                                            fields={'loss': total_loss},
                                            step_seconds=step_seconds))

  should_stop = False
  if 'should_stop' in train_step_kwargs:
    should_stop = bool(sess.run(train_step_kwargs['should_stop']))
  return total_loss, should_stop


def _wait_for_step(sess, global_step, step):
  """Blocks until the global step reaches `step` (non-chief startup delay)."""
  while _v1.train.global_step(sess, global_step) < step:
    time.sleep(1.0)


def _check_train_arguments(train_op, logdir, train_step_fn, log_every_n_steps,
                           number_of_steps, summary_op, saver, trace_every_n_steps,
                           startup_delay_steps, sync_optimizer, init_fn, session_wrapper):
  """The argument checks of `train`; returns `sync_optimizer` as a list or None."""
  if train_op is None:
    raise ValueError('train: train_op cannot be None; pass the tensor returned by '
                     'slim.learning.create_train_op')
  if logdir is None:
    if summary_op is not _USE_DEFAULT:
      raise ValueError('train: Cannot provide summary_op because logdir=None')
    if saver is not None:
      raise ValueError('train: Cannot provide saver because logdir=None')
    if trace_every_n_steps is not None:
      raise ValueError('train: Cannot provide trace_every_n_steps because logdir=None')
  _checks.check_callable('train', 'train_step_fn', train_step_fn, allow_none=False)
  _checks.check_callable('train', 'init_fn', init_fn)
  _checks.check_callable('train', 'session_wrapper', session_wrapper)
  _checks.check_count('train', 'log_every_n_steps', log_every_n_steps, allow_zero=True)
  if number_of_steps is not None and (isinstance(number_of_steps, bool) or
                                      not isinstance(number_of_steps, numbers.Real) or
                                      number_of_steps <= 0):
    raise ValueError('train: `number_of_steps` must be either None or a positive number, '
                     'received %r' % (number_of_steps,))
  _checks.check_count('train', 'trace_every_n_steps', trace_every_n_steps, allow_none=True)
  _checks.check_count('train', 'startup_delay_steps', startup_delay_steps, allow_zero=True)
  if isinstance(sync_optimizer, _v1.train.SyncReplicasOptimizer):
    sync_optimizer = [sync_optimizer]
  if sync_optimizer is not None:
    if not isinstance(sync_optimizer, (list, tuple)):
      sync_optimizer = [sync_optimizer]
    if startup_delay_steps > 0:
      raise ValueError('train: startup_delay_steps must be zero when sync_optimizer is '
                       'supplied, received %d' % startup_delay_steps)
    for optimizer in sync_optimizer:
      if not isinstance(optimizer, _v1.train.SyncReplicasOptimizer):
        raise ValueError('train: `sync_optimizer` must be a tf.train.SyncReplicasOptimizer '
                         '(or a list of them), received %r' % (optimizer,))
  return sync_optimizer


def _default_train_step_kwargs(global_step, number_of_steps, log_every_n_steps, is_chief,
                               trace_every_n_steps, logdir):
  """The ops `train_step` reads: when to stop, to log and to trace."""
  with tf.name_scope('train_step'):
    kwargs = {}
    if number_of_steps:
      kwargs['should_stop'] = tf.greater_equal(global_step, number_of_steps)
    else:
      kwargs['should_stop'] = tf.constant(False)
    if log_every_n_steps > 0:
      kwargs['should_log'] = tf.equal(tf.math.floormod(global_step, log_every_n_steps), 0)
      kwargs['progress'] = _progress(number_of_steps)
    if is_chief and trace_every_n_steps is not None:
      kwargs['should_trace'] = tf.equal(tf.math.floormod(global_step, trace_every_n_steps), 0)
      kwargs['logdir'] = logdir
  return kwargs


def train(train_op,
          logdir,
          train_step_fn=train_step,
          train_step_kwargs=_USE_DEFAULT,
          log_every_n_steps=1,
          graph=None,
          master='',
          is_chief=True,
          global_step=None,
          number_of_steps=None,
          init_op=_USE_DEFAULT,
          init_feed_dict=None,
          local_init_op=_USE_DEFAULT,
          init_fn=None,
          ready_op=_USE_DEFAULT,
          summary_op=_USE_DEFAULT,
          save_summaries_secs=600,
          summary_writer=_USE_DEFAULT,
          startup_delay_steps=0,
          saver=None,
          save_interval_secs=600,
          sync_optimizer=None,
          session_config=None,
          session_wrapper=None,
          trace_every_n_steps=None,
          ignore_live_threads=False):
  """Runs the training loop of a TF1 graph, as tf_slim's Supervisor-based `train` did.

  The chief initializes the model (`init_op`, then `init_fn`) unless `logdir`
  holds a checkpoint, which is restored instead; it writes `graph.pbtxt`, saves a
  checkpoint `model.ckpt-<step>` at the start, every `save_interval_secs` and at
  the end, and summaries (with `global_step/sec`) at the start and every
  `save_summaries_secs`; these run between steps. A non-chief waits for the chief
  to initialize the model. The graph is finalized.
  Every `log_every_n_steps` global steps a line is logged:
  `global step 200: loss = 0.1234 (0.010 sec/step, 98.50 steps/sec, ETA 0:00:08)`
  (the ETA when `number_of_steps` is given). With `sync_optimizer`, gradients are
  aggregated synchronously across replicas; otherwise updates are asynchronous.
  An `AbortedError` (a server of the cluster restarted) restarts the session.

  The chief holds `logdir` while it trains (a second trainer there fails with
  `slim.training.train_dir.TrainDirInUseError`), removes what an interrupted save
  left, resumes from the newest readable checkpoint (skipping a truncated one,
  rebuilding a corrupt `checkpoint` state file), and checks that the checkpoint
  holds this graph's variables with their shapes before restoring it. When the
  checkpoint it resumes from reached `number_of_steps`, nothing is trained.

  Args:
    train_op: the tensor from `create_train_op`: applies the gradients, returns the loss.
    logdir: where checkpoints and summaries go; None writes nothing.
    train_step_fn: `fn(session, train_op, global_step, train_step_kwargs)` returning
      `(loss, should_stop)`; default `train_step`.
    train_step_kwargs: the dict passed to `train_step_fn`; default: `should_stop` (at
      `number_of_steps`), `should_log` (every `log_every_n_steps`), `should_trace`
      and `logdir` (every `trace_every_n_steps`), `summary_writer`, `progress`.
    log_every_n_steps: global steps between log lines (default 1; 0: none).
    graph: the graph to train (default: the default graph).
    master: the TensorFlow master (default '': in process).
    is_chief: whether this replica initializes, saves and writes summaries (default True).
    global_step: the global step tensor (default: the graph's, created if missing).
    number_of_steps: stop when the global step reaches it (default None: never;
      training also stops when the input raises OutOfRangeError).
    init_op: the initialization op (default: `global_variables_initializer()`).
    init_feed_dict: a feed dict for `init_op`.
    local_init_op: run in every session (default: local variables and tables
      initializers).
    init_fn: `fn(session)` run after `init_op`, e.g. to load pre-trained weights; not
      run when a checkpoint of `logdir` is restored.
    ready_op: op listing what is not ready (default: `report_uninitialized_variables()`).
    summary_op: the summaries to save (default: `merge_all()`); None: none.
    save_summaries_secs: seconds between summaries (default 600).
    summary_writer: a `FileWriter`; default: one on `logdir`; None: no summaries.
    startup_delay_steps: a non-chief waits for the global step to reach this
      (default 0); must be 0 with `sync_optimizer`.
    saver: the checkpoint `Saver` (default: a new `tf.compat.v1.train.Saver()`).
    save_interval_secs: seconds between checkpoints (default 600).
    sync_optimizer: a `tf.compat.v1.train.SyncReplicasOptimizer`, or a list of them.
    session_config: a `tf.compat.v1.ConfigProto`.
    session_wrapper: `fn(session)` returning a wrapped session (e.g. a debugger) used
      for the training steps.
    trace_every_n_steps: write a Chrome trace `tf_trace-<step>.json` to `logdir` and
      the run metadata to the summaries every this many steps (default None: never).
    ignore_live_threads: do not raise when threads are still alive at the end.

  Returns:
    The loss of the last step, or None if no step ran.

  Raises:
    ValueError: `logdir` holds checkpoints of another graph, or none readable;
      `train_op` is None; `logdir` is None with `summary_op`, `saver` or
      `trace_every_n_steps`; `number_of_steps` is not positive; `startup_delay_steps`
      is not 0 with `sync_optimizer`; an argument has the wrong type.
    RuntimeError: the model is not ready after initialization (e.g. `init_op=None`
      with uninitialized variables).
    slim.training.divergence.LossDivergedError: the loss became NaN or infinite
      (with `create_train_op`'s `check_numerics`); that step was not applied.
  """
  sync_optimizer = _check_train_arguments(
      train_op, logdir, train_step_fn, log_every_n_steps, number_of_steps, summary_op, saver,
      trace_every_n_steps, startup_delay_steps, sync_optimizer, init_fn, session_wrapper)

  graph = graph or _v1.get_default_graph()
  with contextlib.ExitStack() as stack, graph.as_default():
    checkpoint = None
    if is_chief and logdir:
      stack.enter_context(_train_dir.TrainDirLock(logdir))
      _train_dir.remove_stale_temporaries(logdir)
      checkpoint = _train_dir.recover_checkpoint_state(logdir)
    if global_step is None:
      global_step = _v1.train.get_or_create_global_step()
    if checkpoint:  # a resume: the graph must be the one that was saved
      _checkpoints.check_restorable(
          'train', checkpoint, {_checkpoints.variable_name(v): v
                                for v in _v1.global_variables()},
          require_all=saver is None,
          advice='The logdir %s holds the checkpoints of another model: train this one in '
          'another logdir.' % logdir)
    if saver is None:
      saver = _v1.train.Saver(save_relative_paths=True)
      if checkpoint:  # max_to_keep counts the checkpoints of earlier runs too
        with _checkpoints.quiet_warnings():  # the state file names the whole ones now
          saver.recover_last_checkpoints(list(
              tf.train.get_checkpoint_state(logdir).all_model_checkpoint_paths))
    init_op, ready_op, local_init_op, ready_for_local_init_op = _init_ops(
        init_op, ready_op, local_init_op, sync_optimizer, is_chief)
    if summary_op is _USE_DEFAULT:
      summary_op = _v1.summary.merge_all()
    if not (is_chief and logdir):
      summary_writer = None
    elif summary_writer is _USE_DEFAULT:
      summary_writer = _v1.summary.FileWriter(logdir)
    sync = None
    if is_chief and sync_optimizer is not None:
      sync = ([opt.get_chief_queue_runner() for opt in sync_optimizer],
              [opt.get_init_tokens_op() for opt in sync_optimizer])
    if train_step_kwargs is _USE_DEFAULT:
      train_step_kwargs = _default_train_step_kwargs(
          global_step, number_of_steps, log_every_n_steps, is_chief, trace_every_n_steps,
          logdir)
    if summary_writer is not None:
      train_step_kwargs['summary_writer'] = summary_writer
    services = None
    if is_chief and logdir:
      services = _chief_services.ChiefServices(
          graph, logdir, global_step, saver, save_interval_secs, summary_op, summary_writer,
          save_summaries_secs)
    session_manager = _v1.train.SessionManager(
        local_init_op=local_init_op, ready_op=ready_op,
        ready_for_local_init_op=ready_for_local_init_op, graph=graph)
    graph.finalize()

    def create_session():
      if is_chief:
        return session_manager.prepare_session(
            master, init_op=init_op, saver=saver, checkpoint_dir=logdir,
            config=session_config, init_feed_dict=init_feed_dict, init_fn=init_fn)
      return session_manager.wait_for_session(master, config=session_config,
                                              max_wait_secs=7200)

    def train_steps(sess, coord):
      if not is_chief and startup_delay_steps > 0:
        _wait_for_step(sess, global_step, min(startup_delay_steps, number_of_steps or sys.maxsize))
      total_loss = None
      # A resume of a finished training, or a worker joining one.
      if ((checkpoint or not is_chief) and number_of_steps and
          _v1.train.global_step(sess, global_step) >= number_of_steps):
        _logging.info('The global step is already %d (number_of_steps=%d): nothing to train.',
                      _v1.train.global_step(sess, global_step), number_of_steps)
        return None
      if services is not None:
        services.start(sess)
      try:
        while not coord.should_stop():
          total_loss, should_stop = train_step_fn(sess, train_op, global_step, train_step_kwargs)
          if services is not None:
            services.run_due(sess)
          if should_stop:
            _logging.info('Stopping Training.')
            break
      except tf.errors.OutOfRangeError as error:
        _logging.info('Caught OutOfRangeError. Stopping Training. %s', error)
      except tf.errors.InvalidArgumentError as error:
        if not _divergence.is_check_numerics_error(error):
          raise
        raise _divergence.LossDivergedError(
            'train', _v1.train.global_step(sess, global_step) + 1,
            tf.train.latest_checkpoint(logdir) if logdir else None) from None
      if services is not None:
        _logging.info('Finished training! Saving model to disk.')
        services.save(sess)
      return total_loss

    while True:
      try:
        return _run_session(create_session, session_wrapper, sync, train_steps, services,
                            ignore_live_threads)
      except tf.errors.AbortedError:
        _logging.info('Retrying training!')


def _init_ops(init_op, ready_op, local_init_op, sync_optimizer, is_chief):
  """The initialization ops of `train`, defaults filled in; with sync optimizers, the
  local init op also initializes their local steps (or the chief's)."""
  with tf.name_scope('init_ops'):
    if init_op is _USE_DEFAULT:
      init_op = _v1.global_variables_initializer()
    if ready_op is _USE_DEFAULT:
      ready_op = _v1.report_uninitialized_variables()
      # Not an error if a failure comes before the session runs it.
      getattr(ready_op, 'mark_used', lambda: None)()
    if local_init_op is _USE_DEFAULT:
      local_init_op = tf.group(_v1.local_variables_initializer(), _v1.tables_initializer())
    ready_for_local_init_op = None
    if sync_optimizer is not None:
      with tf.control_dependencies([local_init_op] if local_init_op is not None else []):
        local_init_op = tf.group(*[opt.chief_init_op if is_chief else opt.local_step_init_op
                                   for opt in sync_optimizer])
      ready_for_local_init_op = tf.concat(
          [opt.ready_for_local_init_op for opt in sync_optimizer], axis=0)
  return init_op, ready_op, local_init_op, ready_for_local_init_op


def _run_session(create_session, session_wrapper, sync, train_steps, services,
                 ignore_live_threads):
  """One session of `train`: create it, start the queue runners, run `train_steps`,
  stop and join the threads, close. Returns the last loss; an error of the loop or of
  a queue runner is raised once the threads are joined.

  The chief queue runners of sync optimizers wait for gradients that no step will
  send any more: they have their own coordinator and are joined after the session
  is closed, which cancels their wait.
  """
  session = create_session()
  coord, sync_coord = _v1.train.Coordinator(), _v1.train.Coordinator()
  threads, sync_threads = [], []
  total_loss = None
  try:
    _logging.info('Starting Session.')
    sess = session
    if session_wrapper is not None:
      _logging.info('Wrapping session with wrapper function: %s', session_wrapper)
      sess = session_wrapper(session)
    for runner in _v1.get_collection(_v1.GraphKeys.QUEUE_RUNNERS):
      threads.extend(runner.create_threads(session, coord=coord, daemon=True, start=True))
    _logging.info('Starting Queues.')
    if sync is not None:
      chief_queue_runners, init_tokens_op = sync
      for runner in chief_queue_runners:
        sync_threads.extend(runner.create_threads(session, coord=sync_coord, daemon=True,
                                                  start=True))
      sess.run(init_tokens_op)
    total_loss = train_steps(sess, coord)
  finally:
    coord.request_stop()
    sync_coord.request_stop()
    try:
      coord.join(threads, stop_grace_period_secs=120, ignore_live_threads=ignore_live_threads)
    finally:
      if services is not None:
        services.close()
      session.close()
      sync_coord.join(sync_threads, stop_grace_period_secs=10, ignore_live_threads=True)
  return total_loss
