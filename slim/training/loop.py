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
"""
import collections
import contextlib
import numbers
import time

import numpy as np
import tensorflow as tf

from slim import _checks
from slim.model import Model
from slim.training import checkpoints
from slim.training import divergence
from slim.training import events
from slim.training import progress as progress_lib
from slim.training import train_dir as train_dir_lib

__all__ = ['TrainResult', 'train']

TrainResult = collections.namedtuple('TrainResult', ['step', 'loss', 'checkpoint_path'])
TrainResult.__doc__ = """What `train` ends with: the global step, the last total loss
(None if no step ran) and the last checkpoint written or restored (None without one)."""

_REDUCE = {'batch_size': tf.distribute.ReduceOp.SUM}


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


def _first_replica(strategy, structure):
  return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0],
                               structure)


def _distribute(strategy, dataset):
  if isinstance(dataset, tf.data.Dataset):
    return strategy.experimental_distribute_dataset(dataset)
  return strategy.distribute_datasets_from_function(dataset)


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


def _average_replicas(strategy, names_to_variables):
  """Gives every replica the mean of the replicas' values for variables each
  replica updates on its own (batch-norm moving statistics, kept on read): the
  checkpoint, written from the first replica, then holds the whole batch's."""
  if strategy.num_replicas_in_sync == 1:
    return
  for var in names_to_variables.values():
    if var.trainable or not var.dtype.is_floating:
      continue
    local = strategy.experimental_local_results(var)
    if len(local) > 1:
      var.assign(tf.add_n([v.read_value() for v in local]) / len(local))


class _Schedule(object):
  """Whether an action (logging, summaries, checkpoints) is due, by steps or seconds."""

  def __init__(self, every_steps=None, every_secs=None, step=0):
    self.every_steps, self.every_secs = every_steps, every_secs
    self.last_step, self.last_time = step, time.time()

  def due(self, step):
    if self.every_steps and step - self.last_step >= self.every_steps:
      return True
    return bool(self.every_secs and time.time() - self.last_time >= self.every_secs)

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
      `strategy.scope()`) by tracing `loss_fn` on the first batch; a model
      built beforehand must have been built under `strategy.scope()`.
    dataset: a `tf.data.Dataset` of batches (the global batch), or a function
      `input_context -> tf.data.Dataset` (per-replica batches, see
      `tf.distribute.Strategy.distribute_datasets_from_function`). Training
      stops when it is exhausted.
    loss_fn: `loss_fn(model, batch) -> scalar loss`, the mean over the
      (per-replica) batch; the model's regularization losses are added to it.
    optimizer: a `tf.compat.v1.train.Optimizer` (e.g. `MomentumOptimizer(0.01,
      0.9)`), or a function `learning_rate -> optimizer` given `learning_rate`.
    train_dir: default None: where checkpoints and summaries go; None writes
      nothing. If it holds a checkpoint, training resumes from it (and
      `init_fn` is not called).
    max_number_of_steps: default None: stop when the global step reaches it
      (None: when the dataset ends).
    learning_rate: default None: for an optimizer factory, a number or a
      function of the global step (e.g. `lambda step:
      tf.compat.v1.train.exponential_decay(0.01, step, 100, 0.94, staircase=True)`);
      it is also summarized.
    strategy: default None: the current `tf.distribute` strategy (the
      default one outside any scope), e.g. `tf.distribute.MirroredStrategy()`.
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
      seconds.
    image_summary_fn: default None: `fn(batch) -> {tag: [N, H, W, C] images}`
      run on the first replica's batch at each summary (3 images per tag).
    save_interval_secs, save_interval_steps: default 600, None: write a
      checkpoint every this many seconds and/or steps (and at the end).
    max_to_keep: default 5: checkpoints kept.
    run_log: default None: a `slim.training.run_log.RunLog`; each progress line
      is also written there as a "step" line, with the learning rate.

  Returns:
    A `TrainResult(step, loss, checkpoint_path)`.

  Raises:
    TypeError, ValueError: a bad argument (before any variable is made), an
      empty dataset, a loss that is not a scalar.
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

  iterator = iter(_distribute(strategy, dataset))
  first_batch = next(iterator, None)
  if first_batch is None:
    raise ValueError('train: the dataset is empty')
  with strategy.scope():
    global_step = tf.Variable(0, dtype=tf.int64, name='global_step', trainable=False,
                              aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    optimizer, learning_rate_fn = _make_optimizer(optimizer, learning_rate, global_step)
    if not model.built:
      tf.function(lambda batch: loss_fn(model, batch)).get_concrete_function(
          _first_replica(strategy, first_batch))
    elif not all(strategy.extended.variable_created_in_scope(v) for v in model.variables):
      raise ValueError('train: the variables of the model %s were not made in the scope of '
                       'the strategy %s (the model was built outside this strategy\'s scope, '
                       'or in another\'s); build it under strategy.scope(), or let train '
                       'build it.' % (model.name, type(strategy).__name__))
    ema = (tf.compat.v1.train.ExponentialMovingAverage(moving_average_decay,
                                                       num_updates=global_step)
           if moving_average_decay else None)
  train_vars = _variables_to_train(model, variables_to_train)
  multipliers = _multipliers(model, train_vars, gradient_multipliers)
  model_vars = list(model.variables)
  num_replicas = strategy.num_replicas_in_sync

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

  @tf.function(reduce_retracing=True)
  def train_step(batch):
    per_replica = strategy.run(replica_step, args=(batch,))
    return {key: strategy.reduce(_REDUCE.get(key, tf.distribute.ReduceOp.MEAN), value,
                                 axis=None)
            for key, value in per_replica.items()}

  recorder = _CreationRecorder()
  with strategy.scope(), tf.variable_creator_scope(recorder):
    train_step.get_concrete_function(first_batch)  # creates slots and averages
  state = _train_state_names(model, global_step, optimizer, ema, recorder.created)

  with contextlib.ExitStack() as stack:
    checkpoint_path = None
    if train_dir and strategy.extended.should_checkpoint:
      stack.enter_context(train_dir_lib.TrainDirLock(train_dir))
      train_dir_lib.remove_stale_temporaries(train_dir)
      checkpoint_path = train_dir_lib.recover_checkpoint_state(train_dir)
    elif train_dir:
      checkpoint_path = tf.train.latest_checkpoint(train_dir)
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
                                       every_n=log_every_n_steps, run_log=run_log)
    loop = _Loop(strategy, train_dir, state, global_step, max_number_of_steps, max_to_keep,
                 progress, _Schedule(save_summaries_steps, save_summaries_secs),
                 _Schedule(save_interval_steps, save_interval_secs), image_summary_fn)
    return loop.run(train_step, first_batch, iterator, checkpoint_path)


class _Loop(object):
  """The host side of `train`: steps, NaN checks, logs, summaries, checkpoints."""

  def __init__(self, strategy, train_dir, state, global_step, max_number_of_steps,
               max_to_keep, progress, summaries, saves, image_summary_fn):
    self.strategy, self.state, self.global_step = strategy, state, global_step
    self.max_steps = max_number_of_steps
    self.progress = progress
    self.summaries, self.saves = summaries, saves
    self.image_summary_fn = image_summary_fn
    self.writer = self.events = None
    if train_dir:
      self.writer = checkpoints.CheckpointWriter(train_dir, state, max_to_keep, strategy)
      self.events = events.EventWriter(train_dir)

  def run(self, train_step, batch, iterator, checkpoint_path):
    step = int(self.global_step.numpy())
    for schedule in (self.summaries, self.saves):
      schedule.done(step)
    saved_step, loss, record = step, None, None
    if self.progress is not None:
      self.progress.start(step)
    try:
      while batch is not None and (self.max_steps is None or step < self.max_steps):
        values = {key: float(value) for key, value in train_step(batch).items()}
        step = int(self.global_step.numpy())
        loss = values['total_loss']
        if not np.isfinite(loss):
          raise divergence.LossDivergedError(
              'train', step, checkpoint_path, loss=loss,
              detail='loss %s, regularization %s' % (values['loss'],
                                                     values['regularization_loss']),
              advice='Lower the learning rate or clip the gradients (clip_gradient_norm).')
        last = self.max_steps is not None and step >= self.max_steps
        if self.progress is not None:
          record = ({'learning_rate': values['learning_rate']} if 'learning_rate' in values
                    else None)
          self.progress.update(step, final=last, examples=int(values['batch_size']),
                               record=record, loss=loss)
        if self.events is not None and (self.summaries.due(step) or last):
          self._summarize(step, values, batch)
        if self.writer is not None and self.saves.due(step):
          checkpoint_path, saved_step = self._save(step), step
        batch = next(iterator, None)
      if self.progress is not None:
        self.progress.finish(record=record, loss=loss)  # the input ended first
      if self.writer is not None and step != saved_step:
        checkpoint_path = self._save(step)
      else:
        self._average_replicas()
    finally:
      if self.events is not None:
        self.events.close()
    return TrainResult(step, loss, checkpoint_path)

  def _summarize(self, step, values, batch):
    elapsed = max(time.time() - self.summaries.last_time, 1e-9)
    scalars = {'total_loss': values['total_loss'], 'losses/loss': values['loss'],
               'losses/regularization_loss': values['regularization_loss'],
               'global_step/sec': (step - self.summaries.last_step) / elapsed}
    if 'learning_rate' in values:
      scalars['learning_rate'] = values['learning_rate']
    self.events.scalars(step, scalars)
    if self.image_summary_fn is not None:
      images = self.image_summary_fn(_first_replica(self.strategy, batch))
      self.events.images(step, {tag: np.asarray(value) for tag, value in images.items()})
    self.events.flush()
    self.summaries.done(step)

  def _average_replicas(self):
    with self.strategy.scope():
      _average_replicas(self.strategy, self.state)

  def _save(self, step):
    self._average_replicas()
    path = self.writer.save(step)
    tf.compat.v1.logging.info('train: saved %s', path)
    self.saves.done(step)
    return path
