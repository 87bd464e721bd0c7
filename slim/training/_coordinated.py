"""`slim.training.loop.train` under ParameterServerStrategy: the coordinator's side.

`train` runs on the coordinator (the 'chief' task of `TF_CONFIG`); the 'worker'
and 'ps' tasks only run a `tf.distribute.Server`. The variables live on the
parameter servers; the coordinator

- gives every worker its own copy of the input
  (`ClusterCoordinator.create_per_worker_dataset`), from a `tf.data.Dataset`
  (the batches split over the worker's replicas) or from a function
  `input_context -> tf.data.Dataset` (also called once on the coordinator, for
  its `element_spec`), and builds the model from the input's `element_spec`
  (no batch is read on the coordinator);
- schedules the steps on the workers (`ClusterCoordinator.schedule`, the
  strategy's own coordinator), only as many as `max_number_of_steps` leaves,
  and joins them every few steps (at most `MAX_STEPS_PER_JOIN`, and whenever a
  progress line, a summary or a checkpoint is due by steps) to check every
  step's loss, log the latest and write summaries and checkpoints.

The steps of the workers do not wait for each other: each reads the variables,
computes its gradients and applies them on the parameter servers, which count
every step in `global_step`. A worker that fails is replaced by the
coordinator (its step runs again on another worker), so a step may run twice.
"""
import tensorflow as tf

from slim.training import _synced
from slim.training import checkpoints

__all__ = ['MAX_STEPS_PER_JOIN', 'Input', 'Step', 'check_arguments', 'is_parameter_server',
           'run']

MAX_STEPS_PER_JOIN = 100


def is_parameter_server(strategy):
  return isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy)


def check_arguments(max_number_of_steps):
  if max_number_of_steps is None:
    raise ValueError(
        'train: under ParameterServerStrategy max_number_of_steps is required (received '
        'None): every worker reads its own copy of the input, which should repeat forever '
        '(dataset.repeat()), so the input ending cannot say when to stop.')


def _coordinator(strategy):
  """The strategy's ClusterCoordinator: the one made before, else a new one
  (`ClusterCoordinator(strategy)` returns the strategy's existing one)."""
  return tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)


class Input(object):
  """The input of the workers: its `element_spec`, and `iterator()` the
  per-worker iterators (made on the workers on the first call)."""

  def __init__(self, strategy, dataset):
    self.coordinator = _coordinator(strategy)
    self._strategy, self._dataset = strategy, dataset
    if isinstance(dataset, tf.data.Dataset):
      self.element_spec = dataset.element_spec
    else:
      # A worker's input context (TensorFlow gives the same to every worker).
      context = tf.distribute.InputContext(
          num_input_pipelines=1, input_pipeline_id=0,
          num_replicas_in_sync=strategy.num_replicas_in_sync)
      example = dataset(context)
      if not isinstance(example, tf.data.Dataset):
        raise TypeError('train: the dataset function must return a tf.data.Dataset, '
                        'returned %r' % (example,))
      self.element_spec = example.element_spec
    self._held = []

  def iterator(self):
    if not self._held:
      if isinstance(self._dataset, tf.data.Dataset):
        distributed = self._strategy.experimental_distribute_dataset(self._dataset)
      else:
        distributed = self._strategy.distribute_datasets_from_function(self._dataset)
      self._held.append(iter(self.coordinator.create_per_worker_dataset(distributed)))
    return self._held[0]

  def detach(self):
    """Gives up the iterators: returns the list holding them, the only reference left."""
    held, self._held = self._held, []
    return held


def _refuse_new_variables(unused_next_creator, **kwargs):
  raise ValueError('train: the training step scheduled on the workers made a variable (%s) '
                   'its first trace had not made' % kwargs.get('name'))


class Step(object):
  """The training step of a worker, `schedule(iterator)`: the worker's next
  batch through `replica_step` on its replicas, the outputs reduced over them,
  with the global step the step reached ('global_step', an int).

  Made in the strategy's scope: tracing it on the input's `element_spec` makes
  the optimizer's slots and the moving averages.
  """

  def __init__(self, strategy, replica_step, global_step, element_spec,
               image_summary_fn=None):
    def replica(batch):
      outputs = replica_step(batch)
      with tf.control_dependencies(list(outputs.values())):
        outputs['global_step'] = tf.identity(global_step.read_value())
      return outputs

    def step(batch):
      per_replica = strategy.run(replica, args=(batch,))
      values = {key: strategy.reduce(tf.distribute.ReduceOp.SUM if key == 'batch_size' else
                                     tf.distribute.ReduceOp.MEAN, value, axis=None)
                for key, value in per_replica.items() if key != 'global_step'}
      values['global_step'] = tf.reduce_max(
          strategy.experimental_local_results(per_replica['global_step']))
      return values

    with checkpoints.quiet_warnings():  # run and reduce outside schedule, on purpose
      tf.function(step).get_concrete_function(element_spec)
    self._step = tf.function(lambda iterator: step(next(iterator)))
    self._traced = False
    self._images = None
    if image_summary_fn is not None:
      self._images = tf.function(
          lambda iterator: image_summary_fn(_synced.first_replica(strategy, next(iterator))))

  def schedule(self, coordinator, iterator):
    """Schedules one step on a worker; returns its RemoteValue."""
    if self._traced:
      return coordinator.schedule(self._step, args=(iterator,))
    with tf.variable_creator_scope(_refuse_new_variables):  # traced here once more
      remote = coordinator.schedule(self._step, args=(iterator,))
    self._traced = True
    return remote

  def images(self, coordinator, iterator):
    """The image summaries of a batch a worker reads for them (not trained on)."""
    return coordinator.schedule(self._images, args=(iterator,)).fetch()


def _steps_to_join(loop, step):
  """How many steps to schedule before the next join: up to the next step at
  which a progress line, a summary or a checkpoint is due by steps."""
  counts = [loop.max_steps - step, MAX_STEPS_PER_JOIN]
  if loop.progress is not None and loop.progress.every_n:
    counts.append(loop.progress.every_n - step % loop.progress.every_n)
  for schedule, writer in ((loop.summaries, loop.events), (loop.saves, loop.writer)):
    if writer is not None and schedule.every_steps:
      counts.append(schedule.steps_left(step))
  return max(1, min(counts))


def _join(coordinator, remote_values):
  """Waits for the steps scheduled; returns (the outputs of those that ran, as
  dicts of numbers, whether a worker's input ended)."""
  ended = False
  try:
    coordinator.join()
  except tf.errors.OutOfRangeError:
    ended = True
  outputs = []
  for remote in remote_values:
    try:
      values = remote.fetch()
    except (tf.errors.OutOfRangeError, tf.errors.CancelledError):
      continue  # cut short by the end of a worker's input
    outputs.append({key: (int(value) if key == 'global_step' else float(value))
                    for key, value in values.items()})
  return outputs, ended


def run(loop, inputs, step_fn, checkpoint_path):
  """The coordinator's loop: `loop` is the host side of `train` (progress,
  summaries, checkpoints), `step_fn` a `Step`. Returns a TrainResult."""
  coordinator, iterator = inputs.coordinator, inputs.iterator()
  step = saved_step = loop.start()
  loss = None
  while step < loop.max_steps:
    remote_values = [step_fn.schedule(coordinator, iterator)
                     for _ in range(_steps_to_join(loop, step))]
    outputs, ended = _join(coordinator, remote_values)
    step = int(loop.global_step.numpy())
    if ended:
      tf.compat.v1.logging.warning('train: the input of a worker ended at global step %d; '
                                   'training stops', step)
    if outputs:
      for values in sorted(outputs, key=lambda values: values['global_step']):
        loop.check_loss(values['global_step'], values, checkpoint_path)
      latest = max(outputs, key=lambda values: values['global_step'])
      loss = latest['total_loss']
      last = ended or step >= loop.max_steps
      loop.log_progress(step, latest, last, int(sum(v['batch_size'] for v in outputs)))
      if loop.events is not None and (last or loop.summaries.due(step)):
        loop.summarize(step, latest, lambda: step_fn.images(coordinator, iterator))
      if loop.writer is not None and loop.saves.due(step):
        checkpoint_path, saved_step = loop.save(step), step
    if ended:
      break
  return loop.finish(step, saved_step, loss, checkpoint_path)
