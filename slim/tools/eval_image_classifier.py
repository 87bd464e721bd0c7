r"""Evaluates an image classifier of nets/ on a dataset of datasets/.

research/slim's eval_image_classifier, same flags and defaults, in a TF1 graph
with slim.evaluation: the top-1 accuracy `eval/Accuracy` and the top-5 recall
`eval/Recall_5` of a checkpoint, printed and written as summaries in --eval_dir.

    eval_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --dataset_split_name=test --model_name=lenet --checkpoint_path=/tmp/lenet

The network takes the images' channels as train_image_classifier does: a
1-channel dataset (the digits, MNIST) as it is, an RGB one in 3 channels, or in 1
with --use_grayscale; so the flags that trained a model evaluate it. Before
evaluating, the checkpoint is checked to hold every model variable with the
network's shape (a restore would silently take another shape); a mismatch is an
error naming the flag that probably differs.

The split is read once, in order: every image counts once (--max_num_batches
stops earlier). --checkpoint_path is a checkpoint or a directory (its latest
checkpoint). With --eval_interval_secs, every new checkpoint of the directory
--checkpoint_path is evaluated as training writes them, until --timeout seconds
pass without one or --max_num_evaluations are done. --checkpoint_path may also
name a published checkpoint (download_checkpoint --list). Each evaluation is
appended as an "eval" line to the run log (run_log.jsonl) of the checkpoint's
directory when training wrote one there, else of --eval_dir.
"""
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see main).
from slim.tools import _cli

__all__ = ['FLAGS', 'PROG', 'check_flags', 'console_main', 'main', 'parse_flags']

PROG = 'eval_image_classifier'
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
             '--eval_interval_secs), or the name of a published checkpoint'),
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
    ('dataset', _cli.dataset_flags('test', 'evaluate') + [
        Flag('eval_image_size', None, int, 'image height and width (unset: the network\'s)'),
        Flag('skip_bad_records', False, bool,
             'skip bad records (no label or several, a label outside [--labels_offset, '
             'classes), an image that cannot be decoded or preprocessed) instead of stopping '
             'at the first with an error naming its split, file and index in the file; the '
             'metrics then count only the records kept, and each evaluation ends with the '
             'line "skipped N bad records of the <split> split"'),
    ]),
]


def check_flags(flags):
  """Checks the flag values before any work.

  The checks of the dataset, network and checkpoint read files: TensorFlow must
  be imported (`_cli.import_tensorflow`) first. A published checkpoint's name in
  --checkpoint_path is replaced by the downloaded checkpoint's path.

  Raises:
    FlagError: the first bad value, with the fix.
  """
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim.tools import _common  # pylint: disable=import-outside-toplevel
  values = vars(flags)
  _cli.check_at_least(values, 1, ['batch_size', 'num_preprocessing_threads'])
  _cli.check_at_least(values, 1, ['max_num_batches', 'max_num_evaluations'],
                      allow_none=True)
  _cli.check_at_least(values, 0, ['eval_interval_secs', 'timeout'], allow_none=True)
  if flags.quantize:
    raise FlagError('--quantize: quantized evaluation graphs are not supported (they need '
                    'tf.contrib.quantize, gone from TensorFlow 2); leave --quantize off')
  if flags.moving_average_decay is not None and not 0 < flags.moving_average_decay < 1:
    raise FlagError('--moving_average_decay must be in (0, 1), the decay the training used, '
                    'received %g' % flags.moving_average_decay)
  _common.check_image_network(flags.model_name, flags.dataset_name, PROG, 'evaluates')
  _common.check_dataset(flags.dataset_name, flags.dataset_split_name, flags.dataset_dir,
                        flags.labels_offset)
  _common.check_model(flags.model_name, flags.preprocessing_name, flags.eval_image_size,
                      'eval_image_size')
  if flags.eval_interval_secs is None:
    for name in ('timeout', 'max_num_evaluations'):
      if values[name] is not None:
        raise FlagError('--%s applies to repeated evaluations: give --eval_interval_secs too'
                        % name)
    flags.checkpoint_path = _common.check_checkpoint('checkpoint_path', flags.checkpoint_path)
  elif tf.io.gfile.exists(flags.checkpoint_path) and not tf.io.gfile.isdir(
      flags.checkpoint_path):
    raise FlagError('--checkpoint_path=%s must be the directory training writes checkpoints '
                    'to when --eval_interval_secs is given' % flags.checkpoint_path)
  _common.check_directory('eval_dir', flags.eval_dir)


def parse_flags(argv=None):
  """The flags of `argv` (default: the command line), parsed and checked, with
  TensorFlow imported and logging set up after the parse (see `_cli`)."""
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv)
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  check_flags(flags)
  return flags


def main(argv=None):
  """Evaluates with the flags of `argv` (default: the command line).

  Returns:
    A list with one dict per evaluation: {'global_step': step, 'eval/Accuracy':
    value, 'eval/Recall_5': value}.
  """
  flags = parse_flags(argv)
  from slim.tools import eval_lib  # pylint: disable=import-outside-toplevel
  return eval_lib.evaluate(flags)


def console_main(argv=None):
  """The `eval_image_classifier` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
