r"""Trains or fine-tunes an image classifier of nets/ on a dataset of datasets/.

research/slim's train_image_classifier, same flags and defaults, in a TF1 graph:
model_deploy clones, slim.data input through tf.data, slim.learning.train.

    download_and_convert_data --dataset_name=digits --dataset_dir=/tmp/digits
    train_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --model_name=lenet --train_dir=/tmp/lenet --optimizer=sgd \
        --learning_rate=0.02 --learning_rate_decay_type=fixed --weight_decay=0 \
        --batch_size=50 --max_number_of_steps=300
    eval_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --dataset_split_name=test --model_name=lenet --checkpoint_path=/tmp/lenet

Fine-tuning: --checkpoint_path restores a checkpoint (except the variables under
--checkpoint_exclude_scopes) when --train_dir has none yet; --trainable_scopes
limits the variables trained. Training resumes from the latest checkpoint of
--train_dir; the resolved flags are saved there as flags.json.

--batch_size is the batch of one clone, as in research/slim: a step of
--num_clones clones trains on num_clones x batch_size images, the global batch
that the progress line's examples/sec and the learning-rate schedule count
(--num_epochs_per_decay epochs of global batches). With --clone_on_cpu the CPU
is split into --num_clones logical devices (CPU:0, CPU:1, ...), one clone on
each; on GPUs clone i runs on GPU:i.
"""
import logging
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see main).
from slim.tools import _cli

__all__ = ['DECAY_TYPES', 'FLAGS', 'OPTIMIZERS', 'OPTIMIZER_FLAGS', 'PROG', 'check_flags',
           'console_main', 'main', 'parse_flags']

PROG = 'train_image_classifier'
Flag = _cli.Flag
FlagError = _cli.FlagError

FLAGS = [
    ('deployment', [
        Flag('master', '', str, 'the TensorFlow master to train on (empty: in process)'),
        Flag('train_dir', '/tmp/tfmodel/', str,
             'where checkpoints, event files and flags.json are written'),
        Flag('num_clones', 1, int, 'copies of the model per worker, each on its own batch '
                                   'of --batch_size images'),
        Flag('clone_on_cpu', False, bool,
             'put the clones on the CPU, split into --num_clones logical devices'),
        Flag('worker_replicas', 1, int, 'worker tasks training together'),
        Flag('num_ps_tasks', 0, int, 'parameter-server tasks holding the variables (0: the '
                                     'worker holds them)'),
        Flag('num_readers', 4, int, 'dataset files read in parallel'),
        Flag('num_preprocessing_threads', 4, int, 'images preprocessed in parallel'),
        Flag('log_every_n_steps', 10, int, 'global steps between progress lines'),
        Flag('save_summaries_secs', 600, int, 'seconds between summaries'),
        Flag('save_interval_secs', 600, int, 'seconds between checkpoints'),
        Flag('task', 0, int, 'this worker\'s task index (0: the chief); in a cluster, the '
                             'index of this process in its --job_name'),
    ]),
    ('cluster', [
        Flag('ps_hosts', None, str, 'comma-separated host:port of the parameter servers of a '
                                    'cluster of processes (unset: TF_CONFIG\'s, if set)'),
        Flag('worker_hosts', None, str, 'comma-separated host:port of the workers of the '
                                        'cluster, the chief first'),
        Flag('job_name', 'worker', str, 'this process\'s job in the cluster: worker (trains) or '
                                        'ps (serves the variables until the workers are done)',
             ('worker', 'ps')),
        Flag('peer_timeout_secs', 60, int, 'in a cluster, seconds a parameter server, the chief '
                                           'or (with --sync_replicas) a worker may not answer '
                                           'before this worker stops with an error naming it'),
    ]),
    ('optimization', [
        Flag('weight_decay', 0.00004, float, 'L2 weight decay of the model weights'),
        Flag('optimizer', 'rmsprop', str,
             'adadelta, adagrad, adam, ftrl, momentum, sgd or rmsprop'),
        Flag('adadelta_rho', 0.95, float, 'adadelta: decay rate'),
        Flag('adagrad_initial_accumulator_value', 0.1, float,
             'adagrad: initial accumulator value'),
        Flag('adam_beta1', 0.9, float, 'adam: decay rate of the first moment'),
        Flag('adam_beta2', 0.999, float, 'adam: decay rate of the second moment'),
        Flag('opt_epsilon', 1.0, float, 'adadelta, adam, rmsprop: epsilon'),
        Flag('ftrl_learning_rate_power', -0.5, float, 'ftrl: learning rate power'),
        Flag('ftrl_initial_accumulator_value', 0.1, float, 'ftrl: initial accumulator value'),
        Flag('ftrl_l1', 0.0, float, 'ftrl: L1 regularization strength'),
        Flag('ftrl_l2', 0.0, float, 'ftrl: L2 regularization strength'),
        Flag('momentum', 0.9, float, 'momentum: momentum'),
        Flag('rmsprop_momentum', 0.9, float, 'rmsprop: momentum'),
        Flag('rmsprop_decay', 0.9, float, 'rmsprop: decay'),
        Flag('quantize_delay', -1, int, 'quantization-aware training from this step; not '
                                        'available (it needs tf.contrib): keep it negative'),
    ]),
    ('learning rate', [
        Flag('learning_rate_decay_type', 'exponential', str, 'fixed, exponential or polynomial'),
        Flag('learning_rate', 0.01, float, 'initial learning rate'),
        Flag('end_learning_rate', 0.0001, float, 'polynomial: the final learning rate'),
        Flag('label_smoothing', 0.0, float, 'label smoothing of the cross-entropy'),
        Flag('learning_rate_decay_factor', 0.94, float, 'exponential: the factor of each decay'),
        Flag('num_epochs_per_decay', 2.0, float,
             'epochs between two exponential decays, or of the polynomial decay'),
        Flag('sync_replicas', False, bool, 'aggregate the replicas\' gradients synchronously'),
        Flag('replicas_to_aggregate', 1, int, 'with --sync_replicas: gradients aggregated per '
                                              'update'),
        Flag('moving_average_decay', None, float,
             'keep moving averages of the model variables with this decay (unset: none)'),
    ]),
    ('dataset', _cli.dataset_flags('train', 'train') + [
        Flag('batch_size', 32, int, 'images per clone and step (a step trains on '
                                    '--num_clones x --batch_size images)'),
        Flag('train_image_size', None, int, 'image height and width (unset: the network\'s)'),
        Flag('max_number_of_steps', None, int, 'stop at this global step (unset: never)'),
        Flag('skip_bad_records', False, bool,
             'skip bad records (no label or several, a label outside [--labels_offset, '
             'classes), an image that cannot be decoded or preprocessed) instead of stopping '
             'at the first with an error naming its split, file and index in the file; the '
             'records skipped are counted, with a warning line on stderr each time the count '
             'reaches a power of two (each epoch counts them again)'),
    ]),
    ('fine-tuning', [
        Flag('checkpoint_path', None, str,
             'a checkpoint (or its directory) to start from when --train_dir has none, or the '
             'name of a published one (download_checkpoint --list), downloaded once'),
        Flag('checkpoint_exclude_scopes', None, str,
             'comma-separated scopes of variables not restored from --checkpoint_path'),
        Flag('trainable_scopes', None, str,
             'comma-separated scopes of the variables to train (unset: all)'),
        Flag('ignore_missing_vars', False, bool,
             'skip variables missing from --checkpoint_path instead of failing'),
    ]),
    ('export', [
        Flag('export_saved_model_dir', None, str,
             'at the end of training, the chief exports the last checkpoint there as a '
             'SavedModel, as export_inference_graph --saved_model_dir '
             '--add_encoded_image_signature does with the same network flags (replacing an '
             'earlier export)'),
    ]),
]

# Optimizer name: (tf.compat.v1.train class name, {constructor argument: flag}, extra
# arguments).
OPTIMIZERS = {
    'adadelta': ('AdadeltaOptimizer', {'rho': 'adadelta_rho', 'epsilon': 'opt_epsilon'}, {}),
    'adagrad': ('AdagradOptimizer',
                {'initial_accumulator_value': 'adagrad_initial_accumulator_value'}, {}),
    'adam': ('AdamOptimizer',
             {'beta1': 'adam_beta1', 'beta2': 'adam_beta2', 'epsilon': 'opt_epsilon'}, {}),
    'ftrl': ('FtrlOptimizer',
             {'learning_rate_power': 'ftrl_learning_rate_power',
              'initial_accumulator_value': 'ftrl_initial_accumulator_value',
              'l1_regularization_strength': 'ftrl_l1',
              'l2_regularization_strength': 'ftrl_l2'}, {}),
    'momentum': ('MomentumOptimizer', {'momentum': 'momentum'}, {'name': 'Momentum'}),
    'rmsprop': ('RMSPropOptimizer',
                {'decay': 'rmsprop_decay', 'momentum': 'rmsprop_momentum',
                 'epsilon': 'opt_epsilon'}, {}),
    'sgd': ('GradientDescentOptimizer', {}, {}),
}
OPTIMIZER_FLAGS = sorted({flag for _, flags, _ in OPTIMIZERS.values() for flag in flags.values()})
DECAY_TYPES = ('fixed', 'exponential', 'polynomial')
_CLUSTER_PROCESS = []  # the task, once main knows this process is part of a cluster


def check_flags(flags):
  """Checks the flag values before any work.

  The checks of the dataset, network and checkpoint read files and TensorFlow's
  devices: TensorFlow must be imported (`_cli.import_tensorflow`) first.

  Args:
    flags: the `argparse.Namespace` of `_cli.parse_flags`.

  Raises:
    FlagError: the first bad value, with the fix.
  """
  from slim.tools import _common  # pylint: disable=import-outside-toplevel
  values = vars(flags)
  _cli.check_at_least(values, 1, ['num_clones', 'batch_size', 'worker_replicas',
                                     'num_readers', 'num_preprocessing_threads',
                                     'replicas_to_aggregate', 'peer_timeout_secs'])
  _cli.check_at_least(values, 0, ['num_ps_tasks', 'task', 'log_every_n_steps',
                                     'save_summaries_secs', 'save_interval_secs',
                                     'weight_decay', 'label_smoothing'])
  _cli.check_at_least(values, 1, ['max_number_of_steps'], allow_none=True)
  if flags.quantize_delay >= 0:
    raise FlagError('--quantize_delay=%d: quantization-aware training is not supported '
                    '(it needs tf.contrib.quantize, gone from TensorFlow 2); leave '
                    '--quantize_delay at -1 (any negative value: none) and quantize after '
                    'training with export_inference_graph --tflite_quantize=int8'
                    % flags.quantize_delay)
  if flags.optimizer not in OPTIMIZERS:
    raise FlagError('--optimizer must be one of %s, received %r'
                    % (', '.join(sorted(OPTIMIZERS)), flags.optimizer))
  if flags.learning_rate_decay_type not in DECAY_TYPES:
    raise FlagError('--learning_rate_decay_type must be one of %s, received %r'
                    % (', '.join(DECAY_TYPES), flags.learning_rate_decay_type))
  if not flags.learning_rate > 0:
    raise FlagError('--learning_rate must be positive, received %g' % flags.learning_rate)
  if flags.moving_average_decay is not None and not 0 < flags.moving_average_decay < 1:
    raise FlagError('--moving_average_decay must be in (0, 1), e.g. 0.9999, received %g'
                    % flags.moving_average_decay)
  _check_cluster(flags)
  if flags.job_name == 'worker' and flags.task >= flags.worker_replicas:
    raise FlagError('--task=%d must be less than --worker_replicas=%d'
                    % (flags.task, flags.worker_replicas))
  if flags.worker_replicas > 1 and flags.num_ps_tasks < 1:
    raise FlagError('--worker_replicas=%d needs parameter servers: give --num_ps_tasks >= 1'
                    % flags.worker_replicas)
  if flags.job_name == 'ps':  # a parameter server reads no data and builds no network
    return
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  num_gpus = len(tf.config.list_physical_devices('GPU'))
  if not flags.clone_on_cpu and 0 < num_gpus < flags.num_clones:
    raise FlagError('--num_clones=%d but only %d GPUs are visible: give --num_clones=%d, or '
                    '--clone_on_cpu' % (flags.num_clones, num_gpus, num_gpus))
  _common.check_image_network(flags.model_name, flags.dataset_name, PROG, 'trains')
  _common.check_dataset(flags.dataset_name, flags.dataset_split_name, flags.dataset_dir,
                        flags.labels_offset)
  _common.check_model(flags.model_name, flags.preprocessing_name, flags.train_image_size,
                      'train_image_size')
  _common.check_directory('train_dir', flags.train_dir)
  if flags.checkpoint_path is not None:  # a name becomes the downloaded checkpoint's path
    flags.checkpoint_path = _common.check_checkpoint('checkpoint_path', flags.checkpoint_path)


def _check_cluster(flags):
  """Sets `flags.cluster_task`, the `ClusterTask` of this process (None outside a
  cluster), from --ps_hosts/--worker_hosts or TF_CONFIG; --worker_replicas and
  --num_ps_tasks left at their defaults take the cluster's counts."""
  from slim.deployment import cluster  # pylint: disable=import-outside-toplevel
  flags.cluster_task = None
  try:
    if flags.ps_hosts or flags.worker_hosts:
      task = cluster.task_of(flags.ps_hosts, flags.worker_hosts, flags.job_name, flags.task)
    else:
      task = cluster.task_of_tf_config()
      if task is not None:
        for name, value, default in (('job_name', task.job_name, 'worker'),
                                     ('task', task.task_index, 0)):
          if getattr(flags, name) not in (default, value):
            raise ValueError('--%s=%s disagrees with TF_CONFIG\'s task (%s %d); leave it '
                             'unset' % (name, getattr(flags, name), task.job_name,
                                        task.task_index))
  except ValueError as error:
    raise FlagError(str(error)) from None
  if task is None:
    if flags.job_name == 'ps':
      raise FlagError('--job_name=ps needs a cluster: give --ps_hosts and --worker_hosts, '
                      'or set TF_CONFIG')
    return
  source = '--ps_hosts/--worker_hosts' if flags.ps_hosts or flags.worker_hosts else 'TF_CONFIG'
  for name, job, default in (('worker_replicas', 'worker', 1), ('num_ps_tasks', 'ps', 0)):
    count = task.cluster_spec.num_tasks(job)
    if getattr(flags, name) not in (default, count):
      raise FlagError('--%s=%d but %s lists %d %s tasks; leave --%s unset'
                      % (name, getattr(flags, name), source, count, job, name))
    setattr(flags, name, count)
  flags.job_name, flags.task, flags.cluster_task = task.job_name, task.task_index, task


def parse_flags(argv=None):
  """The flags of `argv` (default: the command line), parsed and checked, with
  TensorFlow imported and logging set up after the parse (see `_cli`)."""
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv)
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  check_flags(flags)
  return flags


def main(argv=None):
  """Trains with the flags of `argv` (default: the command line).

  Returns:
    The total loss of the last step.
  """
  flags = parse_flags(argv)
  if flags.cluster_task is not None:
    _CLUSTER_PROCESS.append(flags.cluster_task)
  if flags.job_name == 'ps':
    from slim.tools import cluster_lib  # pylint: disable=import-outside-toplevel
    return cluster_lib.serve(flags)
  from slim.tools import train_lib  # pylint: disable=import-outside-toplevel
  return train_lib.train(flags)


def console_main(argv=None):
  """The `train_image_classifier` command; returns its exit status.

  A process of a cluster ends with `os._exit`: the clean-up of its server and
  sessions would wait for peers that may be gone.
  """
  status = _cli.run(PROG, main, argv)
  if _CLUSTER_PROCESS:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # pylint: disable=protected-access
  return status


if __name__ == '__main__':
  sys.exit(console_main())
