"""The graph that eval_image_classifier evaluates: research/slim's metrics of a
network on one ordered pass over a split, the variables restored (or their
moving averages), and `evaluate(flags)`, the tool's work after its flags are
checked."""
import math
import os
import sys

import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _common
from slim.tools import _records
from slim.tools import export_lib
from slim.tools import train_lib
from slim.tools._cli import FlagError
from slim.training import checkpoints
from slim.training import run_log as run_log_lib

__all__ = ['ReportHook', 'check_checkpoint_fits', 'evaluate', 'metric_ops', 'num_batches',
           'run_log_path', 'variables_to_restore']

_v1 = tf.compat.v1


def variables_to_restore(moving_average_decay=None, global_step=None):
  """{checkpoint name: variable} of the evaluation graph.

  With `moving_average_decay`, the model variables read their moving averages
  (`<name>/ExponentialMovingAverage`) and the global step its own value;
  otherwise every variable reads its own name.
  """
  if not moving_average_decay:
    return slim.get_variables_to_restore()
  averages = _v1.train.ExponentialMovingAverage(moving_average_decay, global_step)
  names_to_variables = averages.variables_to_restore(slim.get_model_variables())
  names_to_variables[global_step.op.name] = global_step
  return names_to_variables


def metric_ops(logits, labels):
  """The streaming metrics of research/slim: 'Accuracy' (top 1) and 'Recall_5'.

  Returns:
    `(names_to_values, names_to_updates)`, names 'eval/Accuracy' and 'eval/Recall_5'.
  """
  predictions = tf.argmax(logits, 1)
  return slim.metrics.aggregate_metric_map({
      'eval/Accuracy': slim.metrics.streaming_accuracy(predictions, labels),
      'eval/Recall_5': slim.metrics.streaming_recall_at_k(logits, labels, 5),
  })


def num_batches(num_samples, batch_size, max_num_batches=None):
  """Batches in one pass over `num_samples` (the last one partial), at most
  `max_num_batches`."""
  batches = int(math.ceil(num_samples / float(batch_size)))
  return min(batches, max_num_batches) if max_num_batches else batches


class ReportHook(_v1.train.SessionRunHook):
  """At the end of each evaluation, prints the metric values with the global step
  of the checkpoint, appends `{'global_step': step, name: value, ...}` to
  `results`, and an "eval" line to `run_log` (a `RunLog`, or None) naming the
  checkpoint `checkpoint_fn()` gives. With `record_counts` (a
  `_records.RecordCounts`), also prints the bad records skipped and the records
  kept, and adds 'skipped_bad_records' to the results."""

  def __init__(self, names_to_values, global_step, results, run_log=None,
               checkpoint_fn=lambda: None, record_counts=None):
    self._names_to_values = names_to_values
    self._record_counts = record_counts
    self._global_step = global_step
    self.results = results
    self._run_log = run_log
    self._checkpoint_fn = checkpoint_fn

  def end(self, session):
    values, step = session.run([self._names_to_values, self._global_step])
    values = {name: float(value) for name, value in values.items()}
    self.results.append(dict(values, global_step=int(step)))
    print('global step %d: %s' % (step, ', '.join(
        '%s = %.4f' % (name, value) for name, value in sorted(values.items()))))
    if self._record_counts is not None:
      skipped, kept = session.run([self._record_counts.skipped, self._record_counts.kept])
      self.results[-1]['skipped_bad_records'] = int(skipped)
      print('skipped %d bad records of the %s split (--skip_bad_records): the metrics count '
            'only the %d records kept' % (skipped, self._record_counts.split, kept))
    sys.stdout.flush()
    if self._run_log is not None:
      self._run_log.evaluation(int(step), values, checkpoint=self._checkpoint_fn())


def check_checkpoint_fits(flags, checkpoint_path, num_classes, images):
  """Checks that the checkpoint holds the graph's model variables with their shapes.

  Args:
    flags: the tool's flags.
    checkpoint_path: a checkpoint prefix.
    num_classes: the classes of the network.
    images: the network's input batch (for its size and channels).

  Raises:
    FlagError: a variable missing or of another shape, naming the flag to change.
  """
  size, channels = images.shape.as_list()[-2:]
  spec = export_lib.ClassifierSpec(flags.model_name, num_classes, flags.labels_offset, size,
                                   channels, None, flags.preprocessing_name or flags.model_name)
  shapes = {checkpoints.variable_name(var): var.shape.as_list()
            for var in slim.get_model_variables()}
  try:
    export_lib.check_checkpoint_fits(spec, checkpoint_path, shapes,
                                     image_size_flag='--eval_image_size')
  except ValueError as error:
    raise FlagError(str(error)) from None


def run_log_path(checkpoint_path, eval_dir):
  """The run log an evaluation is appended to: the one training wrote beside the
  checkpoints (the directory `checkpoint_path` or the checkpoint's), else
  `eval_dir`'s."""
  directory = (checkpoint_path if tf.io.gfile.isdir(checkpoint_path) else
               os.path.dirname(checkpoint_path))
  beside = os.path.join(directory, train_lib.RUN_LOG_FILENAME)
  if tf.io.gfile.exists(beside):
    return beside
  return os.path.join(eval_dir, train_lib.RUN_LOG_FILENAME)


def evaluate(flags):
  """Evaluates as the checked `flags` of eval_image_classifier say.

  Returns:
    A list with one dict per evaluation: {'global_step': step, 'eval/Accuracy':
    value, 'eval/Recall_5': value}, and 'skipped_bad_records' with
    --skip_bad_records.
  """
  with tf.Graph().as_default():
    global_step = slim.get_or_create_global_step()

    # The dataset, the network and its preprocessing.
    dataset = dataset_factory.get_dataset(flags.dataset_name, flags.dataset_split_name,
                                          flags.dataset_dir)
    network_fn = nets_factory.get_network_fn(
        flags.model_name, num_classes=dataset.num_classes - flags.labels_offset,
        is_training=False)
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        flags.preprocessing_name or flags.model_name, is_training=False,
        use_grayscale=flags.use_grayscale)

    # One ordered pass over the split.
    images, labels = _common.image_batches(
        dataset, preprocessing_fn, flags.eval_image_size or network_fn.default_image_size,
        flags.batch_size, labels_offset=flags.labels_offset,
        num_preprocessing_threads=flags.num_preprocessing_threads,
        is_training=False, skip_bad_records=flags.skip_bad_records).get_next()

    # The model, what to restore, and the metrics.
    logits, _ = network_fn(images)
    checkpoint_path = flags.checkpoint_path
    if tf.io.gfile.isdir(checkpoint_path):
      checkpoint_path = tf.train.latest_checkpoint(checkpoint_path)
    elif flags.eval_interval_secs is not None:
      checkpoint_path = None  # the directory training will write to
    if checkpoint_path:  # none yet: the loop waits for the first one
      check_checkpoint_fits(flags, checkpoint_path, dataset.num_classes - flags.labels_offset,
                            images)
    restored = variables_to_restore(flags.moving_average_decay, global_step)
    if checkpoint_path and flags.moving_average_decay:
      checkpoints.check_restorable(
          '--checkpoint_path', checkpoint_path, restored,
          advice='--moving_average_decay evaluates the moving averages that training kept '
          'with --moving_average_decay: evaluate this checkpoint without it')
    names_to_values, names_to_updates = metric_ops(logits, labels)
    summary_op = _v1.summary.merge([_common.scalar_summary(name, value)
                                    for name, value in sorted(names_to_values.items())])
    results = []
    run_log = run_log_lib.RunLog(run_log_path(flags.checkpoint_path, flags.eval_dir))
    report = ReportHook(
        names_to_values, global_step, results, run_log,
        checkpoint_fn=lambda: checkpoint_path or tf.train.latest_checkpoint(
            flags.checkpoint_path), record_counts=_records.record_counts())
    evaluation = dict(num_evals=num_batches(dataset.num_samples, flags.batch_size,
                                            flags.max_num_batches),
                      eval_op=list(names_to_updates.values()), summary_op=summary_op,
                      variables_to_restore=restored, hooks=[report])

    # Evaluate.
    with run_log, _common.naming_damaged_records(dataset):
      if flags.eval_interval_secs is None:
        _v1.logging.info('Evaluating %s', checkpoint_path)
        slim.evaluation.evaluate_once(flags.master, checkpoint_path, flags.eval_dir,
                                      **evaluation)
      else:
        slim.evaluation.evaluation_loop(
            flags.master, flags.checkpoint_path, flags.eval_dir,
            eval_interval_secs=flags.eval_interval_secs, timeout=flags.timeout,
            max_number_of_evaluations=flags.max_num_evaluations, **evaluation)
    return results
