"""The TF2 training loop: a `slim.Model`, a `tf.data` input, a `tf.compat.v1.train`
optimizer, TF-Slim checkpoints.

    model = slim.Model(functools.partial(lenet.lenet, num_classes=10))

    def loss_fn(model, batch):
      logits, _ = model(batch['image'], is_training=True)
      return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=batch['label'], logits=logits))

    result = train(
        model, dataset, loss_fn,
        optimizer=lambda lr: tf.compat.v1.train.MomentumOptimizer(lr, 0.9, name='Momentum'),
        learning_rate=lambda step: tf.compat.v1.train.exponential_decay(
            0.01, step, decay_steps=500, decay_rate=0.94, staircase=True),
        train_dir='/tmp/lenet', max_number_of_steps=2000, moving_average_decay=0.9999)
    print(result.step, result.loss)

Each step runs `loss_fn` in a `tf.function` (under `strategy.run` for a
`tf.distribute` strategy), adds the model's regularization losses, multiplies
and clips the gradients, applies them with the optimizer (which increments
`global_step`) and then updates the moving averages. Batch-norm statistics
update themselves in the model's training calls.

The checkpoints are TF-Slim's: `train_dir/model.ckpt-<step>` holding the model
variables, `global_step`, the optimizer's slots under their graph-mode names
(`conv1/weights/Momentum`, `conv1/weights/RMSProp_1`) and state (`beta1_power`),
and the moving averages (`conv1/weights/ExponentialMovingAverage`). Graph-mode
code reads them (`slim.evaluation`, research/slim's eval script), and a new
`train` in the same `train_dir` resumes from the latest one.

Strategies: the default one, `OneDeviceStrategy`, `MirroredStrategy`,
`MultiWorkerMirroredStrategy` and `ParameterServerStrategy`; any other is
refused before any work.

- `MultiWorkerMirroredStrategy` (a `train` in every worker process, the
  cluster from `TF_CONFIG`): the workers step in lockstep. Only the chief
  (`strategy.extended.should_checkpoint`) writes to `train_dir` (checkpoints,
  summaries, the run log) and holds its lock; every other worker makes the
  same saves into a temporary directory of its own, removed when `train` ends
  (a save may involve collectives, so all workers save together). Whether a
  save or a summary is due is decided together: each worker's timers go into
  the step and are reduced with the losses. A new `train` on every worker
  resumes from the chief's latest checkpoint in `train_dir` (which every
  worker must see); workers that would start from different global steps stop
  with an error.
- `ParameterServerStrategy` (`train` on the coordinator, the 'chief' task;
  the 'worker' and 'ps' tasks only run a `tf.distribute.Server`): the model is
  built from the input's `element_spec`; every worker reads its own copy of
  the input; the steps are scheduled on the workers through the strategy's
  `ClusterCoordinator` and joined every few steps (at most 100, and whenever a
  progress line, a summary or a checkpoint is due) to check and log their
  losses; the coordinator writes the checkpoints and summaries.
  `max_number_of_steps` is required and the input should repeat forever (a
  worker's input that ends ends the training).
"""
import collections
import contextlib
import functools
import numbers
import os
import shutil
import tempfile
import threading
import time

import numpy as np
import tensorflow as tf

from slim import _checks
from slim.model import Model
from slim.training import _coordinated
from slim.training import _synced
from slim.training import checkpoints
from slim.training import divergence
from slim.training import events
from slim.training import progress as progress_lib
from slim.training import train_dir as train_dir_lib

__all__ = ['TrainResult', 'train']

TrainResult = collections.namedtuple('TrainResult', ['step', 'loss', 'checkpoint_path'])
TrainResult.__doc__ = """What `train` ends with: the global step, the last total loss
(None if no step ran) and the last checkpoint written or restored (None without one)."""

_SUPPORTED_STRATEGIES = ('the default strategy', 'OneDeviceStrategy', 'MirroredStrategy',
                        'MultiWorkerMirroredStrategy', 'ParameterServerStrategy')


def _check_arguments(model, dataset, loss_fn, optimizer, learning_rate, strategy,
                     clip_gradient_norm, gradient_multipliers, moving_average_decay, init_fn,
                     image_summary_fn):
  if not isinstance(model, Model):
    raise TypeError('train: model must be a slim.Model, received %r' % (model,))
  if not isinstance(dataset, tf.data.Dataset) and not callable(dataset):
    raise TypeError('train: dataset must be a tf.data.Dataset or a function '
                    'input_context -> tf.data.Dataset, received %r' % (dataset,))
  for argument, value in (('loss_fn', loss_fn), ('init_fn', init_fn),
                          ('image_summary_fn', image_summary_fn)):
    _checks.check_callable('train', argument, value)
  if loss_fn is None:
    raise TypeError('train: loss_fn must be a function (model, batch) -> loss, received None')
  if isinstance(optimizer, tf.compat.v1.train.Optimizer):
    if learning_rate is not None:
      raise ValueError('train: learning_rate is given to an optimizer factory; this '
                       'optimizer (%r) already has its learning rate. Pass optimizer=lambda '
                       'lr: ... to use a schedule.' % (optimizer,))
  elif not callable(optimizer):
    raise TypeError('train: optimizer must be a tf.compat.v1.train.Optimizer or a function '
                    'learning_rate -> optimizer, received %r' % (optimizer,))
  elif learning_rate is None:
    raise ValueError('train: an optimizer factory needs learning_rate (a number or a '
                     'function of the global step)')
  if learning_rate is not None and not callable(learning_rate) and (
      isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real)):
    raise TypeError('train: learning_rate must be a number or a function of the global '
                    'step, received %r' % (learning_rate,))
  if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
    raise TypeError('train: strategy must be a tf.distribute.Strategy, received %r'
                    % (strategy,))
  if (isinstance(clip_gradient_norm, bool) or
      not isinstance(clip_gradient_norm, numbers.Real) or clip_gradient_norm < 0):
    raise ValueError('train: clip_gradient_norm must be a number >= 0 (0: no clipping), '
                     'received %r' % (clip_gradient_norm,))
  if gradient_multipliers is not None and not isinstance(gradient_multipliers, dict):
    raise TypeError('train: gradient_multipliers must be a dict from variable (or its '
                    'name) to multiplier, received %r' % (gradient_multipliers,))
  if moving_average_decay and not (isinstance(moving_average_decay, numbers.Real) and
                                   0 < moving_average_decay < 1):
    raise ValueError('train: moving_average_decay must be in (0, 1), or None for no moving '
                     'averages, received %r' % (moving_average_decay,))


@functools.lru_cache(maxsize=None)
def _default_strategy_type():
  """The class of the default strategy: what `tf.distribute.get_strategy()` gives
  in a new thread, where no strategy scope is entered (scopes are per thread)."""
  found = []
  thread = threading.Thread(target=lambda: found.append(type(tf.distribute.get_strategy())))
  thread.start()
  thread.join()
  return found[0]


def _check_strategy(strategy):
  """Refuses a strategy `train` does not run under (see _SUPPORTED_STRATEGIES)."""
  supported = (tf.distribute.OneDeviceStrategy, tf.distribute.MirroredStrategy,
               tf.distribute.MultiWorkerMirroredStrategy,
               tf.distribute.experimental.ParameterServerStrategy, _default_strategy_type())
  if not isinstance(strategy, supported):
    raise ValueError(
        'train: the strategy %s is not supported (received %r); train runs under %s. Use '
        'MirroredStrategy for the devices of one machine, MultiWorkerMirroredStrategy or '
        'ParameterServerStrategy for a cluster.'
        % (type(strategy).__name__, strategy, ', '.join(_SUPPORTED_STRATEGIES)))


def _make_optimizer(optimizer, learning_rate, global_step):
  """`(optimizer, learning_rate_fn)`: the optimizer, and a function computing the
  current learning rate (None when unknown)."""
  if isinstance(optimizer, tf.compat.v1.train.Optimizer):
    return optimizer, None
  if callable(learning_rate):
    def learning_rate_fn():
      value = learning_rate(global_step)
      # tf.compat.v1.train.*_decay return a function when run eagerly.
      return tf.convert_to_tensor(value() if callable(value) else value)
    made = optimizer(learning_rate_fn)
  else:
    def learning_rate_fn():
      return tf.constant(learning_rate, tf.float32)
    made = optimizer(float(learning_rate))
  if not isinstance(made, tf.compat.v1.train.Optimizer):
    raise TypeError('train: the optimizer factory must return a '
                    'tf.compat.v1.train.Optimizer, returned %r' % (made,))
  return made, learning_rate_fn


def _release_in_background(held):
  """Drops the objects of the list `held` (emptied) in a new thread.

  Deleting a tf.data iterator can take up to a minute in TensorFlow 2.21: it
  waits for the iterator's autotuning thread, which may miss the wake-up of
  the cancellation and sleep out its optimization period (which doubles up to
  60 s as the input runs). Dropped in a thread, the iterator leaves `train`
  free to return; the thread is not a daemon, so the process ends once the
  deletion is done.
  """
  if held:
    threading.Thread(target=held.clear, name='slim_train_release_input').start()


def _variables_to_train(model, variables_to_train):
  if variables_to_train is None:
    chosen = list(model.trainable_variables)
  else:
    chosen = list(variables_to_train)
    known = {v.ref() for v in model.variables}
    strangers = [v.name for v in chosen if v.ref() not in known]
    if strangers:
      raise ValueError('train: variables_to_train must be variables of the model, received '
                       'others: %s' % ', '.join(strangers))
  if not chosen:
    raise ValueError('train: there is no variable to train (the model has %d trainable '
                     'variables; variables_to_train=%r)' % (len(model.trainable_variables),
                                                            variables_to_train))
  return chosen


def _multipliers(model, variables, gradient_multipliers):
  """The multiplier of each variable to train (None: 1), from a dict keyed by
  variable or checkpoint name."""
  if not gradient_multipliers:
    return [None] * len(variables)
  by_name = model.variables_by_name
  by_ref = {}
  for key, multiplier in gradient_multipliers.items():
    var = by_name.get(key.rsplit(':', 1)[0]) if isinstance(key, str) else key
    if var is None or not hasattr(var, 'ref') or all(var is not v for v in by_name.values()):
      raise ValueError('train: gradient_multipliers key %r is not a variable of the model '
                       '(names look like %s)' % (key, ', '.join(list(by_name)[:3])))
    by_ref[var.ref()] = multiplier
  return [by_ref.get(v.ref()) for v in variables]


def _transform_gradient(grad, multiplier, clip_gradient_norm):
  """Multiplies then clips (by its own norm) one gradient, dense or sparse."""
  if grad is None:
    return None
  values = grad.values if isinstance(grad, tf.IndexedSlices) else grad
  if multiplier is not None:
    values = values * tf.cast(multiplier, values.dtype)
  if clip_gradient_norm > 0:
    values = tf.clip_by_norm(values, clip_gradient_norm)
  if isinstance(grad, tf.IndexedSlices):
    return tf.IndexedSlices(values, grad.indices, grad.dense_shape)
  return values


class _CreationRecorder(object):
  """Variable creator recording, in order, the variables a trace creates."""

  def __init__(self):
    self.created = []

  def __call__(self, next_creator, **kwargs):
    var = next_creator(**kwargs)
    self.created.append(var)
    return var


def _train_state_names(model, global_step, optimizer, ema, created):
  """OrderedDict from TF-Slim checkpoint name to variable for the whole training
  state: model variables, global_step, then what the first step created, named
  as in a graph: slots `<var>/<optimizer name>[_k]` (k counting that variable's
  slots in creation order), the optimizer's other variables, EMA shadows
  `<var>/<ema name>`."""
  names = collections.OrderedDict(model.variables_by_name)
  names['global_step'] = global_step
  primary_of = {}
  for name, var in model.variables_by_name.items():
    for slot_name in optimizer.get_slot_names():
      slot = optimizer.get_slot(var, slot_name)
      if slot is not None:
        primary_of[slot.ref()] = (name, optimizer.get_name())
    if ema is not None and ema.average(var) is not None:
      primary_of[ema.average(var).ref()] = (name, ema.name)
  slot_counts = collections.Counter()
  for var in created:
    if var.ref() in primary_of:
      primary, suffix = primary_of[var.ref()]
      count = slot_counts[(primary, suffix)]
      slot_counts[(primary, suffix)] += 1
      name = '%s/%s%s' % (primary, suffix, '_%d' % count if count else '')
    else:
      name = checkpoints.variable_name(var)
    if name in names:
      raise ValueError('train: two variables of the training state are both named %s in '
                       'the checkpoint' % name)
    names[name] = var
  return names


class _Schedule(object):
  """Whether an action (summaries, checkpoints) is due, by steps or seconds."""

  def __init__(self, every_steps=None, every_secs=None, step=0):
    self.every_steps, self.every_secs = every_steps, every_secs
    self.last_step, self.last_time = step, time.time()

  def steps_due(self, step):
    return bool(self.every_steps and step - self.last_step >= self.every_steps)

  def secs_due(self):
    """Due by this process's clock (which workers do not share)."""
    return bool(self.every_secs and time.time() - self.last_time >= self.every_secs)

  def due(self, step):
    return self.steps_due(step) or self.secs_due()

  def steps_left(self, step):
    """The steps until it is due by steps (None: not scheduled by steps)."""
    return self.every_steps - (step - self.last_step) if self.every_steps else None

  def done(self, step):
    self.last_step, self.last_time = step, time.time()


def train(model, dataset, loss_fn, optimizer, train_dir=None, max_number_of_steps=None,
          learning_rate=None, strategy=None, variables_to_train=None, clip_gradient_norm=0,
          gradient_multipliers=None, moving_average_decay=None, init_fn=None,
          log_every_n_steps=100, save_summaries_steps=100, save_summaries_secs=None,
          image_summary_fn=None, save_interval_secs=600, save_interval_steps=None,
          max_to_keep=5, run_log=None):
  """Trains `model` on `dataset` with a TF2 loop; checkpoints in TF-Slim's format.

  Args:
    model: a `slim.Model`. If not built yet, `train` builds it (under
      `strategy.scope()`) by tracing `loss_fn` on the first batch (under
      ParameterServerStrategy: on the dataset's `element_spec`); a model built
      beforehand must have been built under `strategy.scope()`.
    dataset: a `tf.data.Dataset` of batches (the global batch), or a function
      `input_context -> tf.data.Dataset` (per-replica batches, see
      `tf.distribute.Strategy.distribute_datasets_from_function`). Training
      stops when it is exhausted. Under ParameterServerStrategy every worker
      reads its own copy (a batch is a step of one worker; a function gets the
      same input context on every worker), which should repeat forever.
    loss_fn: `loss_fn(model, batch) -> scalar loss`, the mean over the
      (per-replica) batch; the model's regularization losses are added to it.
    optimizer: a `tf.compat.v1.train.Optimizer` (e.g. `MomentumOptimizer(0.01,
      0.9)`), or a function `learning_rate -> optimizer` given `learning_rate`.
    train_dir: default None: where checkpoints and summaries go; None writes
      nothing. If it holds a checkpoint, training resumes from it (and
      `init_fn` is not called). Under MultiWorkerMirroredStrategy only the
      chief writes there, and every worker resumes from the chief's latest
      checkpoint there: give all of them the same (shared) directory.
    max_number_of_steps: default None: stop when the global step reaches it
      (None: when the dataset ends; required under ParameterServerStrategy).
    learning_rate: default None: for an optimizer factory, a number or a
      function of the global step (e.g. `lambda step:
      tf.compat.v1.train.exponential_decay(0.01, step, 100, 0.94, staircase=True)`);
      it is also summarized.
    strategy: default None: the current `tf.distribute` strategy (the
      default one outside any scope), e.g. `tf.distribute.MirroredStrategy()`:
      the default strategy, a OneDeviceStrategy, MirroredStrategy,
      MultiWorkerMirroredStrategy or ParameterServerStrategy (see above).
    variables_to_train: default None: the model's trainable variables; a
      subset (see `restore.get_variables_to_train` for research/slim's
      `--trainable_scopes`).
    clip_gradient_norm: default 0: if > 0, each gradient is clipped to this norm.
    gradient_multipliers: default None: dict from variable (or checkpoint name)
      to a multiplier of its gradient (applied before clipping).
    moving_average_decay: default None: if set, moving averages of all the
      model variables (`tf.compat.v1.train.ExponentialMovingAverage` with the
      global step as `num_updates`), saved as `<var>/ExponentialMovingAverage`.
    init_fn: default None: `init_fn(model)`, run once the variables exist when
      there is no checkpoint to resume from (e.g. fine-tuning with
      `functools.partial(restore.restore_checkpoint, checkpoint_path=...,
      exclude_scopes=...)`).
    log_every_n_steps: default 100: a progress line every this many steps and
      at the last one, logged with `tf.compat.v1.logging.info`: `global step
      200/1000: loss = 0.1234 (35.12 steps/sec, 1124 examples/sec, ETA
      0:00:22)` (see `slim.training.progress`); None or 0: none.
    save_summaries_steps, save_summaries_secs: default 100, None: write the
      losses, learning rate and steps/s summaries every this many steps and/or
      seconds (of any worker's clock, under MultiWorkerMirroredStrategy).
    image_summary_fn: default None: `fn(batch) -> {tag: [N, H, W, C] images}`
      run on the first replica's batch at each summary (3 images per tag);
      under ParameterServerStrategy on a batch a worker reads for it.
    save_interval_secs, save_interval_steps: default 600, None: write a
      checkpoint every this many seconds and/or steps (and at the end).
    max_to_keep: default 5: checkpoints kept.
    run_log: default None: a `slim.training.run_log.RunLog`; each progress line
      is also written there as a "step" line, with the learning rate (by the
      chief only, in a cluster).

  Returns:
    A `TrainResult(step, loss, checkpoint_path)`; on every worker of a
    MultiWorkerMirroredStrategy cluster, the checkpoint is the chief's.

  Raises:
    TypeError, ValueError: a bad argument (before any variable is made), a
      strategy not supported (before any work), an empty dataset, a loss that
      is not a scalar; workers of a cluster starting from different global
      steps (on all of them).
    slim.training.divergence.LossDivergedError (an InvalidArgumentError): the
      loss became NaN or infinite; the message gives the global step. No
      checkpoint of that step is written.
    slim.training.train_dir.TrainDirInUseError: another process trains in
      `train_dir`.
  """
  _check_arguments(model, dataset, loss_fn, optimizer, learning_rate, strategy,
                   clip_gradient_norm, gradient_multipliers, moving_average_decay, init_fn,
                   image_summary_fn)
  for argument, value in (('max_number_of_steps', max_number_of_steps),
                          ('log_every_n_steps', log_every_n_steps or None),
                          ('save_summaries_steps', save_summaries_steps),
                          ('save_interval_steps', save_interval_steps),
                          ('max_to_keep', max_to_keep)):
    _checks.check_count('train', argument, value, allow_none=True)
  for argument, value in (('save_summaries_secs', save_summaries_secs),
                          ('save_interval_secs', save_interval_secs)):
    _checks.check_seconds('train', argument, value, allow_zero=False)
  strategy = strategy or tf.distribute.get_strategy()
  _check_strategy(strategy)
  coordinated = _coordinated.is_parameter_server(strategy)
  if coordinated:
    _coordinated.check_arguments(max_number_of_steps)

  with contextlib.ExitStack() as stack:
    inputs = (_coordinated.Input if coordinated else _synced.Input)(strategy, dataset)
    stack.callback(lambda: _release_in_background(inputs.detach()))
    if coordinated:
      example = inputs.element_spec
    elif inputs.first is None:
      raise ValueError('train: the dataset is empty')
    else:
      example = _synced.first_replica(strategy, inputs.first)
    with strategy.scope():
      global_step = tf.Variable(0, dtype=tf.int64, name='global_step', trainable=False,
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
      optimizer, learning_rate_fn = _make_optimizer(optimizer, learning_rate, global_step)
      if not model.built:
        tf.function(lambda batch: loss_fn(model, batch)).get_concrete_function(example)
      elif not all(strategy.extended.variable_created_in_scope(v) for v in model.variables):
        raise ValueError('train: the variables of the model %s were not made in the scope of '
                         'the strategy %s (the model was built outside this strategy\'s '
                         'scope, or in another\'s); build it under strategy.scope(), or let '
                         'train build it.' % (model.name, type(strategy).__name__))
      ema = (tf.compat.v1.train.ExponentialMovingAverage(moving_average_decay,
                                                         num_updates=global_step)
             if moving_average_decay else None)
    replica_step = _replica_step_fn(
        model, loss_fn, optimizer, global_step, ema, learning_rate_fn, clip_gradient_norm,
        _variables_to_train(model, variables_to_train), gradient_multipliers,
        strategy.num_replicas_in_sync)

    recorder = _CreationRecorder()
    with strategy.scope(), tf.variable_creator_scope(recorder):  # creates slots and averages
      if coordinated:
        train_step = _coordinated.Step(strategy, replica_step, global_step, example,
                                       image_summary_fn)
      else:
        train_step = _synced.train_step_fn(strategy, replica_step,
                                           learning_rate_fn is not None)
        train_step.get_concrete_function(inputs.first, tf.TensorSpec([2], tf.float32))
    state = _train_state_names(model, global_step, optimizer, ema, recorder.created)

    chief = strategy.extended.should_checkpoint
    write_dir, checkpoint_path = train_dir, None
    if train_dir and chief:
      stack.enter_context(train_dir_lib.TrainDirLock(train_dir))
      train_dir_lib.remove_stale_temporaries(train_dir)
      checkpoint_path = train_dir_lib.recover_checkpoint_state(train_dir)
    elif train_dir:  # another worker of the cluster: reads the chief's checkpoints only
      checkpoint_path = train_dir_lib.latest_readable_checkpoint(train_dir, log=False)[0]
      write_dir = tempfile.mkdtemp(prefix='slim_train_worker_')
      stack.callback(shutil.rmtree, write_dir, ignore_errors=True)
      tf.compat.v1.logging.info('train: not the chief: this worker saves into %s (removed '
                                'at the end), the chief into %s', write_dir, train_dir)
    _synced.check_same_step(strategy, checkpoints.checkpoint_step(checkpoint_path)
                            if checkpoint_path else 0, train_dir)
    if checkpoint_path:
      with strategy.scope():
        checkpoints.assign_from_checkpoint('train', checkpoint_path, state)
      tf.compat.v1.logging.info('train: resuming from %s (global step %d)', checkpoint_path,
                                int(global_step.numpy()))
    elif init_fn is not None:
      init_fn(model)
    progress = None
    if log_every_n_steps:
      progress = progress_lib.Progress(label='global', unit='step', total=max_number_of_steps,
                                       every_n=log_every_n_steps,
                                       run_log=run_log if chief else None)
    loop = _Loop(strategy, train_dir, write_dir, state, global_step, max_number_of_steps,
                 max_to_keep, progress, _Schedule(save_summaries_steps, save_summaries_secs),
                 _Schedule(save_interval_steps, save_interval_secs), image_summary_fn)
    stack.callback(loop.close)
    if coordinated:
      return _coordinated.run(loop, inputs, train_step, checkpoint_path)
    return loop.run(train_step, inputs, checkpoint_path)


def _replica_step_fn(model, loss_fn, optimizer, global_step, ema, learning_rate_fn,
                     clip_gradient_norm, train_vars, gradient_multipliers, num_replicas):
  """The step of one replica: `replica_step(batch) -> {name: float32 scalar}`
  (the losses, the batch size, the learning rate if known), once the update is
  applied."""
  multipliers = _multipliers(model, train_vars, gradient_multipliers)
  model_vars = list(model.variables)

  def replica_step(batch):
    with tf.GradientTape() as tape:
      loss = tf.convert_to_tensor(loss_fn(model, batch))
      if loss.shape.rank not in (0, None):
        raise ValueError('train: loss_fn must return a scalar loss, returned shape %s'
                         % loss.shape)
      losses = model.losses
      regularization = (tf.add_n([tf.cast(l, loss.dtype) for l in losses]) if losses
                        else tf.zeros([], loss.dtype))
      total_loss = loss + regularization
      replica_share = total_loss / num_replicas  # gradients are summed over replicas
    grads = tape.gradient(replica_share, train_vars)
    if all(g is None for g in grads):
      raise ValueError('train: the loss does not depend on any variable to train')
    outputs = {'total_loss': total_loss, 'loss': loss, 'regularization_loss': regularization,
               'batch_size': tf.shape(tf.nest.flatten(batch)[0])[0]}
    if learning_rate_fn is not None:
      outputs['learning_rate'] = learning_rate_fn()
    grads_and_vars = [(_transform_gradient(g, m, clip_gradient_norm), v)
                      for g, m, v in zip(grads, multipliers, train_vars)]
    update = optimizer.apply_gradients(grads_and_vars, global_step=global_step)
    if ema is not None:
      with tf.control_dependencies([update]):
        update = ema.apply(model_vars)
    with tf.control_dependencies([update]):
      return {key: tf.identity(tf.cast(value, tf.float32)) for key, value in outputs.items()}

  return replica_step


class _Loop(object):
  """The host side of `train`: steps, NaN checks, logs, summaries, checkpoints.

  `write_dir` is where this process writes checkpoints and events: `train_dir`,
  or a temporary directory for a worker of a cluster that is not the chief (the
  checkpoint paths it returns are the chief's, in `train_dir`).
  """

  def __init__(self, strategy, train_dir, write_dir, state, global_step, max_number_of_steps,
               max_to_keep, progress, summaries, saves, image_summary_fn):
    self.strategy, self.global_step = strategy, global_step
    self.train_dir, self.write_dir = train_dir, write_dir
    self.max_steps = max_number_of_steps
    self.progress, self.record = progress, None
    self.summaries, self.saves = summaries, saves
    self.image_summary_fn = image_summary_fn
    self.average_replicas = (None if _coordinated.is_parameter_server(strategy) else
                             _synced.replica_averager(strategy, state))
    self.writer = self.events = None
    if train_dir:
      chief = write_dir == train_dir
      self.writer = checkpoints.CheckpointWriter(write_dir, state,
                                                 max_to_keep if chief else 1, strategy)
      self.events = events.EventWriter(write_dir)

  def close(self):
    if self.events is not None:
      self.events.close()

  def start(self):
    """Starts the schedules and the progress at the global step; returns it."""
    step = int(self.global_step.numpy())
    for schedule in (self.summaries, self.saves):
      schedule.done(step)
    if self.progress is not None:
      self.progress.start(step)
    return step

  def run(self, train_step, inputs, checkpoint_path):
    step = saved_step = self.start()
    batch, loss = inputs.first, None
    while batch is not None and (self.max_steps is None or step < self.max_steps):
      due = tf.constant([self.summaries.secs_due(), self.saves.secs_due()], tf.float32)
      values = {key: float(value) for key, value in train_step(batch, due).items()}
      step = int(self.global_step.numpy())
      loss = values['total_loss']
      self.check_loss(step, values, checkpoint_path)
      last = self.max_steps is not None and step >= self.max_steps
      self.log_progress(step, values, last, int(values['batch_size']))
      if self.events is not None and (last or self.summaries.steps_due(step) or
                                      values['summaries_due']):
        self.summarize(step, values, functools.partial(self._first_replica_images, batch))
      if self.writer is not None and (self.saves.steps_due(step) or values['save_due']):
        checkpoint_path, saved_step = self.save(step), step
      if not last:
        batch = inputs.next()
    return self.finish(step, saved_step, loss, checkpoint_path)

  def finish(self, step, saved_step, loss, checkpoint_path):
    """The last progress line (if the input ended first) and checkpoint."""
    if self.progress is not None:
      self.progress.finish(record=self.record, loss=loss)
    if self.writer is not None and step != saved_step:
      checkpoint_path = self.save(step)
    elif self.average_replicas is not None:
      self.average_replicas()
    return TrainResult(step, loss, checkpoint_path)

  def check_loss(self, step, values, checkpoint_path):
    """Raises LossDivergedError if the total loss of `values` is not finite."""
    loss = values['total_loss']
    if not np.isfinite(loss):
      raise divergence.LossDivergedError(
          'train', step, checkpoint_path, loss=loss,
          detail='loss %s, regularization %s' % (values['loss'], values['regularization_loss']),
          advice='Lower the learning rate or clip the gradients (clip_gradient_norm).')

  def log_progress(self, step, values, final, examples):
    if self.progress is not None:
      self.record = ({'learning_rate': values['learning_rate']} if 'learning_rate' in values
                     else None)
      self.progress.update(step, final=final, examples=examples, record=self.record,
                           loss=values['total_loss'])

  def _first_replica_images(self, batch):
    return self.image_summary_fn(_synced.first_replica(self.strategy, batch))

  def summarize(self, step, values, images):
    """Writes the scalars of `values` and, given an image_summary_fn, the images
    `images()` returns (its result on a batch)."""
    elapsed = max(time.time() - self.summaries.last_time, 1e-9)
    scalars = {'total_loss': values['total_loss'], 'losses/loss': values['loss'],
               'losses/regularization_loss': values['regularization_loss'],
               'global_step/sec': (step - self.summaries.last_step) / elapsed}
    if 'learning_rate' in values:
      scalars['learning_rate'] = values['learning_rate']
    self.events.scalars(step, scalars)
    if self.image_summary_fn is not None:
      self.events.images(step, {tag: np.asarray(value) for tag, value in images().items()})
    self.events.flush()
    self.summaries.done(step)

  def save(self, step):
    """Writes the checkpoint of `step`; returns its path in train_dir."""
    if self.average_replicas is not None:
      self.average_replicas()
    path = self.writer.save(step)
    self.saves.done(step)
    if self.write_dir != self.train_dir:
      return os.path.join(self.train_dir, os.path.basename(path))
    tf.compat.v1.logging.info('train: saved %s', path)
    return path
