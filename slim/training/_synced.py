"""`slim.training.loop.train` under the strategies whose replicas step together:
the default strategy, OneDeviceStrategy, MirroredStrategy and
MultiWorkerMirroredStrategy.

Every replica (of every worker) runs each step on its part of the batch; the
gradients are summed and every replica applies the same update. Under
MultiWorkerMirroredStrategy a `train` runs in each worker process and whatever
involves collectives (the step, the replica averaging of a save, the end of the
input) must happen on every worker at the same step: the step reduces, with
the losses, each worker's say on whether a summary or a checkpoint is due by
its clock, so that all of them act on the same answer.
"""
import tensorflow as tf

__all__ = ['AVERAGED', 'SUMMED', 'Input', 'check_same_step', 'first_replica',
           'replica_averager', 'train_step_fn']

# The outputs of a step, reduced over the replicas in two all-reduces: the
# summed ones (the examples, and how many workers' clocks say a summary or a
# checkpoint is due), and the averaged ones.
SUMMED = ('batch_size', 'summaries_due', 'save_due')
AVERAGED = ('total_loss', 'loss', 'regularization_loss', 'learning_rate')


def first_replica(strategy, structure):
  """The first local replica's part of each per-replica value of `structure`."""
  return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0],
                               structure)


class Input(object):
  """The batches: the strategy's distributed iterator over the dataset (or the
  datasets a function `input_context -> dataset` makes) and its first batch."""

  def __init__(self, strategy, dataset):
    if isinstance(dataset, tf.data.Dataset):
      distributed = strategy.experimental_distribute_dataset(dataset)
    else:
      distributed = strategy.distribute_datasets_from_function(dataset)
    self._held = [iter(distributed)]
    self.first = self.next()

  def next(self):
    """The next batch, or None at the end of the input (on every worker at once)."""
    return next(self._held[0], None)

  def detach(self):
    """Gives up the iterator: returns the list holding it, the only reference left."""
    held, self._held = self._held, []
    return held


def train_step_fn(strategy, replica_step, with_learning_rate):
  """The step of all the replicas, a `tf.function`: `train_step(batch, due) ->
  {name: value}`, the outputs of `replica_step` reduced over the replicas, with
  'summaries_due' and 'save_due': how many replicas were given `due` ([summaries
  due, save due], 1 or 0, by this process's clock) saying so."""
  averaged = [key for key in AVERAGED if with_learning_rate or key != 'learning_rate']

  def replica_outputs(batch, due):
    outputs = replica_step(batch)
    outputs['summaries_due'], outputs['save_due'] = due[0], due[1]
    return {'summed': tf.stack([outputs[key] for key in SUMMED]),
            'averaged': tf.stack([outputs[key] for key in averaged])}

  @tf.function(reduce_retracing=True)
  def train_step(batch, due):
    packed = strategy.run(replica_outputs, args=(batch, due))
    values = {}
    for name, keys, op in (('summed', SUMMED, tf.distribute.ReduceOp.SUM),
                           ('averaged', averaged, tf.distribute.ReduceOp.MEAN)):
      values.update(zip(keys, tf.unstack(strategy.reduce(op, packed[name], axis=None))))
    return values

  return train_step


def replica_averager(strategy, names_to_variables):
  """A function giving every replica the mean over all the replicas (of every
  worker) of the variables each replica updates on its own (batch-norm moving
  statistics, kept on read), so that a checkpoint, written from the first
  replica, holds the whole batch's; None when there is nothing to average.
  Under MultiWorkerMirroredStrategy it is a collective: every worker calls it
  at the same step."""
  on_read = [var for var in names_to_variables.values()
             if var.synchronization == tf.VariableSynchronization.ON_READ]
  if strategy.num_replicas_in_sync == 1 or not on_read:
    return None

  @tf.function
  def average():
    for var in on_read:
      var.assign(var.read_value())  # read across replicas: their mean, given to each

  def average_in_scope():
    with strategy.scope():
      average()
  return average_in_scope


def check_same_step(strategy, start_step, train_dir):
  """Under MultiWorkerMirroredStrategy, raises on every worker at once if the
  workers would not all start from the same global step (some did not find the
  checkpoint the chief resumes from); `start_step` is this worker's."""
  if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    return

  @tf.function
  def mean_and_spread(step):
    mean = strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: step), axis=None)
    spread = strategy.run(lambda: tf.abs(step - mean))
    return mean, strategy.reduce(tf.distribute.ReduceOp.SUM, spread, axis=None)

  with strategy.scope():
    mean, spread = mean_and_spread(tf.constant(start_step, tf.float64))
  if float(spread) > 0:
    raise ValueError(
        'train: the workers would start from different global steps (this one from %d, '
        'their mean is %.1f): they did not all find the same latest checkpoint in %s. '
        'Every worker must read the train_dir the chief writes (a shared file system).'
        % (start_step, float(mean), train_dir))
