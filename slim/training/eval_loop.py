"""TF2 evaluation: streaming metrics of a `slim.Model` over a dataset, per checkpoint.

    metric = slim.metrics.StreamingMetric(
        lambda logits, labels: slim.metrics.aggregate_metric_map({
            'eval/Accuracy': slim.metrics.streaming_accuracy(tf.argmax(logits, 1), labels),
            'eval/Recall_5': slim.metrics.streaming_recall_at_k(logits, labels, 5)}))

    def eval_fn(model, batch):              # -> the metric's inputs
      logits, _ = model(batch['image'], is_training=False)
      return logits, batch['label']

    values = evaluate_checkpoint(model, dataset, eval_fn, metric, '/tmp/train',
                                 eval_dir='/tmp/eval')        # {'eval/Accuracy': 0.97, ...}
    for path, values in evaluate_new_checkpoints(model, dataset, eval_fn, metric,
                                                 '/tmp/train', timeout=600):
      ...

The checkpoints are TF-Slim's (by variable name), as `slim.training.loop.train`
and graph-mode training write them; with `use_moving_averages` the model
variables get the values of their `<name>/ExponentialMovingAverage` shadows,
as research/slim's eval script does. Evaluation runs on one device.
"""
import collections

import numpy as np
import tensorflow as tf

from slim import _checks
from slim.metrics.streaming_metric import StreamingMetric
from slim.model import Model
from slim.training import checkpoints
from slim.training import events
from slim.training import progress as progress_lib

__all__ = ['evaluate_checkpoint', 'evaluate_new_checkpoints']

_MOVING_AVERAGE_NAME = 'ExponentialMovingAverage'
_EVAL_LOG_SECS = 10.0  # between progress lines when the number of batches is unknown


def _check_arguments(function, model, dataset, eval_fn, metric):
  if not isinstance(model, Model):
    raise TypeError('%s: model must be a slim.Model, received %r' % (function, model))
  if not isinstance(dataset, tf.data.Dataset) and not callable(dataset):
    raise TypeError('%s: dataset must be a tf.data.Dataset or a function returning one, '
                    'received %r' % (function, dataset))
  if not callable(eval_fn):
    raise TypeError('%s: eval_fn must be a function (model, batch) -> metric inputs, '
                    'received %r' % (function, eval_fn))
  if not isinstance(metric, StreamingMetric) and not callable(metric):
    raise TypeError('%s: metric must be a slim.metrics.StreamingMetric or a metric function '
                    'returning (value, update_op), received %r' % (function, metric))
  return metric if isinstance(metric, StreamingMetric) else StreamingMetric(metric)


def _restore_map(function, model, checkpoint_path, use_moving_averages):
  """Checkpoint name -> model variable, through the moving averages if asked."""
  names = model.variables_by_name
  if not use_moving_averages:
    return names
  available = tf.train.load_checkpoint(checkpoint_path).get_variable_to_shape_map()
  restore = collections.OrderedDict()
  for name, var in names.items():
    shadow = '%s/%s' % (name, _MOVING_AVERAGE_NAME)
    restore[shadow if shadow in available else name] = var
  if all(name in names for name in restore):
    raise ValueError('%s: use_moving_averages is set but the checkpoint %s has no moving '
                     'averages (no %s/%s); train with moving_average_decay or evaluate '
                     'without them.' % (function, checkpoint_path, next(iter(names)),
                                        _MOVING_AVERAGE_NAME))
  return restore


def _as_metric_inputs(inputs):
  if isinstance(inputs, dict):
    return (), inputs
  if isinstance(inputs, (list, tuple)):
    return tuple(inputs), {}
  return (inputs,), {}


def _batch_size(batch):
  """The examples in `batch`: the first dimension of its first tensor (None if unknown)."""
  shape = getattr(tf.nest.flatten(batch)[0], 'shape', None)
  if shape is None or not shape.rank or shape[0] is None:
    return None
  return int(shape[0])


def _to_python(value):
  value = np.asarray(value)
  return value.item() if value.ndim == 0 else value


class _Evaluator(object):
  """What several evaluations share: the traced eval step and the metric."""

  def __init__(self, function, model, dataset, eval_fn, metric, eval_dir, num_evals,
               use_moving_averages, run_log=None):
    self.function = function
    self.metric = _check_arguments(function, model, dataset, eval_fn, metric)
    _checks.check_count(function, 'num_evals', num_evals, allow_none=True)
    self.model, self.dataset, self.num_evals = model, dataset, num_evals
    self.use_moving_averages = use_moving_averages
    self.run_log = run_log
    self.events = events.EventWriter(eval_dir) if eval_dir else None
    self.eval_step = tf.function(lambda batch: eval_fn(model, batch), reduce_retracing=True)

  def _batches(self):
    """The batches to evaluate, and their number (None if unknown)."""
    dataset = self.dataset if isinstance(self.dataset, tf.data.Dataset) else self.dataset()
    if self.num_evals:
      dataset = dataset.take(self.num_evals)
    cardinality = int(dataset.cardinality())
    return dataset, cardinality if cardinality >= 0 else None

  def _progress(self, total):
    """The reporter of the batches, `eval batch 5/10 (...)`: as often as tf_slim's
    hook (about ten lines), or at most every 10 seconds for an unknown number."""
    return progress_lib.Progress(
        label='eval', unit='batch', total=total,
        every_n=progress_lib.eval_log_every_n(total) if total else None,
        every_secs=None if total else _EVAL_LOG_SECS, run_log=self.run_log)

  def evaluate(self, checkpoint_path):
    """Restores `checkpoint_path`, runs the metric over the dataset, writes and
    returns the values."""
    dataset, total = self._batches()
    batches = iter(dataset)
    batch = next(batches, None)
    if batch is None:
      raise ValueError('%s: the dataset is empty' % self.function)
    if not self.model.built:
      self.eval_step.get_concrete_function(batch)  # creates the variables
    checkpoints.assign_from_checkpoint(
        self.function, checkpoint_path,
        _restore_map(self.function, self.model, checkpoint_path, self.use_moving_averages))
    step = checkpoints.checkpoint_step(checkpoint_path)
    self.metric.reset_state()
    count = 0
    progress = self._progress(total)
    progress.start(0)
    while batch is not None:
      args, kwargs = _as_metric_inputs(self.eval_step(batch))
      self.metric.update_state(*args, **kwargs)
      count += 1
      examples = _batch_size(batch)
      batch = next(batches, None)
      progress.update(count, final=batch is None, examples=examples)
    result = self.metric.result()
    if isinstance(result, dict):
      values = collections.OrderedDict((k, _to_python(v)) for k, v in sorted(result.items()))
    else:
      values = collections.OrderedDict([(self.metric.name, _to_python(result))])
    tf.compat.v1.logging.info('%s: %s (global step %d, %d batches): %s', self.function,
                              checkpoint_path, step, count,
                              ', '.join('%s = %s' % item for item in values.items()))
    if self.run_log is not None:
      self.run_log.evaluation(step, values, checkpoint=checkpoint_path)
    if self.events is not None:
      scalars = {k: v for k, v in values.items() if np.ndim(v) == 0}
      self.events.scalars(step, scalars)
      self.events.flush()
    return values

  def close(self):
    if self.events is not None:
      self.events.close()


def evaluate_checkpoint(model, dataset, eval_fn, metric, checkpoint_path, eval_dir=None,
                        num_evals=None, use_moving_averages=False, run_log=None):
  """Evaluates one checkpoint: restores it into `model` and runs `metric` over `dataset`.

  Args:
    model: a `slim.Model` (built by a first call, or here by tracing `eval_fn`).
    dataset: a finite `tf.data.Dataset` of batches, or a function returning one.
    eval_fn: `eval_fn(model, batch)` -> the metric's inputs: a tuple (positional
      arguments), a dict (keyword arguments) or one tensor. Runs in a
      `tf.function`; call the model with `is_training=False`.
    metric: a `slim.metrics.StreamingMetric` (e.g. over `aggregate_metric_map`
      for several values), or a metric function, e.g.
      `slim.metrics.streaming_accuracy`. It is reset first.
    checkpoint_path: a checkpoint file prefix, or a directory (its latest).
    eval_dir: default None: directory for the values as summaries, at the
      checkpoint's global step.
    num_evals: default None: the number of batches (None: the whole dataset).
    use_moving_averages: default False: restore the moving averages
      (`<var>/ExponentialMovingAverage`) into the model variables.
    run_log: default None: a `slim.training.run_log.RunLog` that gets an "eval"
      line with the values (and the progress lines).

  Progress is logged as `eval batch 5/10 (2.00 batches/sec, 64 examples/sec,
  ETA 0:00:03)`, about ten times (see `slim.training.progress`).

  Returns:
    An OrderedDict from metric name to value (Python numbers for scalars).

  Raises:
    TypeError, ValueError: bad arguments; no checkpoint; variables missing from it.
  """
  function = 'evaluate_checkpoint'
  evaluator = _Evaluator(function, model, dataset, eval_fn, metric, eval_dir, num_evals,
                         use_moving_averages, run_log)
  try:
    return evaluator.evaluate(checkpoints.resolve_checkpoint(function, checkpoint_path))
  finally:
    evaluator.close()


def evaluate_new_checkpoints(model, dataset, eval_fn, metric, checkpoint_dir, eval_dir=None,
                             num_evals=None, use_moving_averages=False, eval_interval_secs=60,
                             timeout=None, max_number_of_evaluations=None, run_log=None):
  """Evaluates each new checkpoint of `checkpoint_dir` as training writes them.

  Arguments as `evaluate_checkpoint`, and:
    eval_interval_secs: default 60: at least this long between two evaluations
      (checkpoints written meanwhile are skipped for the latest).
    timeout: default None: stop when no new checkpoint came for this many
      seconds (None: wait forever).
    max_number_of_evaluations: default None: stop after this many.

  Returns:
    An OrderedDict from checkpoint path to its values (an OrderedDict as
    `evaluate_checkpoint` returns).
  """
  function = 'evaluate_new_checkpoints'
  _checks.check_count(function, 'max_number_of_evaluations', max_number_of_evaluations,
                      allow_none=True)
  evaluator = _Evaluator(function, model, dataset, eval_fn, metric, eval_dir, num_evals,
                         use_moving_averages, run_log)
  results = collections.OrderedDict()
  try:
    for path in checkpoints.new_checkpoints(checkpoint_dir, eval_interval_secs, timeout):
      try:
        results[path] = evaluator.evaluate(path)
      except tf.errors.NotFoundError as error:  # deleted by the trainer (max_to_keep)
        tf.compat.v1.logging.warning('%s: %s vanished before it was read (%s); waiting for '
                                     'the next one.', function, path, error.message)
        continue
      if max_number_of_evaluations and len(results) >= max_number_of_evaluations:
        break
  finally:
    evaluator.close()
  return results
