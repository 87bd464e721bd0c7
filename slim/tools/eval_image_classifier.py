r"""Evaluates an image classifier of nets/ on a dataset of datasets/.

research/slim's eval_image_classifier, same flags and defaults, in a TF1 graph
with slim.evaluation: the top-1 accuracy `eval/Accuracy` and the top-5 recall
`eval/Recall_5` of a checkpoint, printed and written as summaries in --eval_dir.

    eval_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --dataset_split_name=test --model_name=lenet --use_grayscale \
        --checkpoint_path=/tmp/lenet

The split is read once, in order: every image counts once (--max_num_batches
stops earlier). --checkpoint_path is a checkpoint or a directory (its latest
checkpoint). With --eval_interval_secs, every new checkpoint of the directory
--checkpoint_path is evaluated as training writes them, until --timeout seconds
pass without one or --max_num_evaluations are done.
"""
import math
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _cli
from slim.tools import _common

__all__ = ['FLAGS', 'ReportHook', 'check_flags', 'console_main', 'main', 'metric_ops',
           'num_batches', 'parse_flags', 'variables_to_restore']

_v1 = tf.compat.v1
Flag = _cli.Flag
FlagError = _cli.FlagError

FLAGS = [
    ('evaluation', [
        Flag('batch_size', 100, int, 'images per batch'),
        Flag('max_num_batches', None, int, 'evaluate at most this many batches (unset: the '
                                           'whole split)'),
        Flag('master', '', str, 'the TensorFlow master to evaluate on (empty: in process)'),
        Flag('checkpoint_path', '/tmp/tfmodel/', str,
             'a checkpoint, or a directory of checkpoints (its latest; every new one with '
             '--eval_interval_secs)'),
        Flag('eval_dir', '/tmp/tfmodel/', str, 'where the summaries are written'),
        Flag('num_preprocessing_threads', 4, int, 'images preprocessed in parallel'),
        Flag('moving_average_decay', None, float,
             'evaluate the moving averages the training kept with this decay (unset: the '
             'variables)'),
        Flag('quantize', False, bool, 'evaluate a quantized graph; not available (it needs '
                                      'tf.contrib): keep false'),
        Flag('eval_interval_secs', None, float,
             'evaluate every new checkpoint of --checkpoint_path, at most once per this many '
             'seconds (unset: evaluate once)'),
        Flag('timeout', None, float, 'with --eval_interval_secs: stop after this many seconds '
                                     'without a new checkpoint (unset: wait forever)'),
        Flag('max_num_evaluations', None, int,
             'with --eval_interval_secs: stop after this many evaluations (unset: no limit)'),
    ]),
    ('dataset', _common.dataset_flags('test', 'evaluate') + [
        Flag('eval_image_size', None, int, 'image height and width (unset: the network\'s)'),
    ]),
]


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
  of the checkpoint and appends `{'global_step': step, name: value, ...}` to
  `results`."""

  def __init__(self, names_to_values, global_step, results):
    self._names_to_values = names_to_values
    self._global_step = global_step
    self.results = results

  def end(self, session):
    values, step = session.run([self._names_to_values, self._global_step])
    result = dict({name: float(value) for name, value in values.items()},
                  global_step=int(step))
    self.results.append(result)
    print('global step %d: %s' % (step, ', '.join(
        '%s = %.4f' % (name, value) for name, value in sorted(values.items()))))
    sys.stdout.flush()


def check_flags(flags):
  """Checks the flag values before any work.

  Raises:
    FlagError: the first bad value, with the fix.
  """
  values = vars(flags)
  _common.check_at_least(values, 1, ['batch_size', 'num_preprocessing_threads'])
  _common.check_at_least(values, 1, ['max_num_batches', 'max_num_evaluations'],
                         allow_none=True)
  _common.check_at_least(values, 0, ['eval_interval_secs', 'timeout'], allow_none=True)
  if flags.quantize:
    raise FlagError('--quantize: quantized evaluation graphs are not supported (they need '
                    'tf.contrib.quantize, gone from TensorFlow 2); leave --quantize off')
  if flags.moving_average_decay is not None and not 0 < flags.moving_average_decay < 1:
    raise FlagError('--moving_average_decay must be in (0, 1), the decay the training used, '
                    'received %g' % flags.moving_average_decay)
  _common.check_dataset(flags.dataset_name, flags.dataset_split_name, flags.dataset_dir,
                        flags.labels_offset)
  _common.check_model(flags.model_name, flags.preprocessing_name, flags.eval_image_size,
                      'eval_image_size')
  if flags.eval_interval_secs is None:
    for name in ('timeout', 'max_num_evaluations'):
      if values[name] is not None:
        raise FlagError('--%s applies to repeated evaluations: give --eval_interval_secs too'
                        % name)
    _common.check_checkpoint('checkpoint_path', flags.checkpoint_path)
  elif tf.io.gfile.exists(flags.checkpoint_path) and not tf.io.gfile.isdir(
      flags.checkpoint_path):
    raise FlagError('--checkpoint_path=%s must be the directory training writes checkpoints '
                    'to when --eval_interval_secs is given' % flags.checkpoint_path)


def parse_flags(argv=None):
  """The flags of `argv` (default: the command line), checked; see `_cli.parse_flags`."""
  return _cli.parse_flags('eval_image_classifier', __doc__, FLAGS, check_flags, argv)


def main(argv=None):
  """Evaluates with the flags of `argv` (default: the command line).

  Returns:
    A list with one dict per evaluation: {'global_step': step, 'eval/Accuracy':
    value, 'eval/Recall_5': value}.
  """
  flags = parse_flags(argv)
  _v1.logging.set_verbosity(_v1.logging.INFO)
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
        is_training=False).get_next()

    # The model, what to restore, and the metrics.
    logits, _ = network_fn(images)
    restored = variables_to_restore(flags.moving_average_decay, global_step)
    names_to_values, names_to_updates = metric_ops(logits, labels)
    summary_op = _v1.summary.merge([_common.scalar_summary(name, value)
                                    for name, value in sorted(names_to_values.items())])
    results = []
    report = ReportHook(names_to_values, global_step, results)
    evaluation = dict(num_evals=num_batches(dataset.num_samples, flags.batch_size,
                                            flags.max_num_batches),
                      eval_op=list(names_to_updates.values()), summary_op=summary_op,
                      variables_to_restore=restored, hooks=[report])

    # Evaluate.
    if flags.eval_interval_secs is None:
      checkpoint_path = flags.checkpoint_path
      if tf.io.gfile.isdir(checkpoint_path):
        checkpoint_path = tf.train.latest_checkpoint(checkpoint_path)
      _v1.logging.info('Evaluating %s', checkpoint_path)
      slim.evaluation.evaluate_once(flags.master, checkpoint_path, flags.eval_dir,
                                    **evaluation)
    else:
      slim.evaluation.evaluation_loop(
          flags.master, flags.checkpoint_path, flags.eval_dir,
          eval_interval_secs=flags.eval_interval_secs, timeout=flags.timeout,
          max_number_of_evaluations=flags.max_num_evaluations, **evaluation)
    return results


def console_main(argv=None):
  """The `eval_image_classifier` command; returns its exit status."""
  return _cli.run('eval_image_classifier', main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
