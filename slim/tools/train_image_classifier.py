r"""Trains or fine-tunes an image classifier of nets/ on a dataset of datasets/.

research/slim's train_image_classifier, same flags and defaults, in a TF1 graph:
model_deploy clones, slim.data input through tf.data, slim.learning.train.

    download_and_convert_data --dataset_name=digits --dataset_dir=/tmp/digits
    train_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --model_name=lenet --use_grayscale --train_dir=/tmp/lenet --optimizer=sgd \
        --learning_rate=0.02 --learning_rate_decay_type=fixed --weight_decay=0 \
        --batch_size=50 --max_number_of_steps=300
    eval_image_classifier --dataset_name=digits --dataset_dir=/tmp/digits \
        --dataset_split_name=test --model_name=lenet --use_grayscale \
        --checkpoint_path=/tmp/lenet

Fine-tuning: --checkpoint_path restores a checkpoint (except the variables under
--checkpoint_exclude_scopes) when --train_dir has none yet; --trainable_scopes
limits the variables trained. Training resumes from the latest checkpoint of
--train_dir; the resolved flags are saved there as flags.json.

--batch_size is the batch of one step, split evenly over the --num_clones
clones. With --clone_on_cpu the CPU is split into --num_clones logical devices
(CPU:0, CPU:1, ...), one clone on each; on GPUs clone i runs on GPU:i.
"""
import datetime
import os
import sys
import time

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.deployment import model_deploy
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _cli
from slim.tools import _common
from slim.training import restore

__all__ = ['FLAGS', 'OPTIMIZERS', 'ProgressLog', 'build_train_tensor', 'check_flags',
           'configure_learning_rate', 'configure_optimizer', 'console_main', 'main',
           'make_clone_fn', 'parse_flags', 'summarize_clone']

_v1 = tf.compat.v1
Flag = _cli.Flag
FlagError = _cli.FlagError

FLAGS = [
    ('deployment', [
        Flag('master', '', str, 'the TensorFlow master to train on (empty: in process)'),
        Flag('train_dir', '/tmp/tfmodel/', str,
             'where checkpoints, event files and flags.json are written'),
        Flag('num_clones', 1, int, 'copies of the model per worker; the batch is split '
                                   'between them'),
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
        Flag('task', 0, int, 'this worker\'s task index (0: the chief)'),
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
    ('dataset', _common.dataset_flags('train', 'train') + [
        Flag('batch_size', 32, int, 'images per step, split over the clones'),
        Flag('train_image_size', None, int, 'image height and width (unset: the network\'s)'),
        Flag('max_number_of_steps', None, int, 'stop at this global step (unset: never)'),
    ]),
    ('fine-tuning', [
        Flag('checkpoint_path', None, str,
             'a checkpoint (or its directory) to start from when --train_dir has none'),
        Flag('checkpoint_exclude_scopes', None, str,
             'comma-separated scopes of variables not restored from --checkpoint_path'),
        Flag('trainable_scopes', None, str,
             'comma-separated scopes of the variables to train (unset: all)'),
        Flag('ignore_missing_vars', False, bool,
             'skip variables missing from --checkpoint_path instead of failing'),
    ]),
]

_DEFAULTS = _cli.defaults(FLAGS)

# Optimizer name: (tf.compat.v1.train class, {constructor argument: flag}, extra arguments).
OPTIMIZERS = {
    'adadelta': (_v1.train.AdadeltaOptimizer,
                 {'rho': 'adadelta_rho', 'epsilon': 'opt_epsilon'}, {}),
    'adagrad': (_v1.train.AdagradOptimizer,
                {'initial_accumulator_value': 'adagrad_initial_accumulator_value'}, {}),
    'adam': (_v1.train.AdamOptimizer,
             {'beta1': 'adam_beta1', 'beta2': 'adam_beta2', 'epsilon': 'opt_epsilon'}, {}),
    'ftrl': (_v1.train.FtrlOptimizer,
             {'learning_rate_power': 'ftrl_learning_rate_power',
              'initial_accumulator_value': 'ftrl_initial_accumulator_value',
              'l1_regularization_strength': 'ftrl_l1',
              'l2_regularization_strength': 'ftrl_l2'}, {}),
    'momentum': (_v1.train.MomentumOptimizer, {'momentum': 'momentum'}, {'name': 'Momentum'}),
    'rmsprop': (_v1.train.RMSPropOptimizer,
                {'decay': 'rmsprop_decay', 'momentum': 'rmsprop_momentum',
                 'epsilon': 'opt_epsilon'}, {}),
    'sgd': (_v1.train.GradientDescentOptimizer, {}, {}),
}
_OPTIMIZER_FLAGS = sorted({flag for _, flags, _ in OPTIMIZERS.values() for flag in flags.values()})
_DECAY_TYPES = ('fixed', 'exponential', 'polynomial')


def configure_learning_rate(learning_rate_decay_type, learning_rate, global_step,
                            num_samples_per_epoch, batch_size, num_epochs_per_decay=2.0,
                            learning_rate_decay_factor=0.94, end_learning_rate=0.0001,
                            replicas_to_aggregate=None):
  """The learning rate tensor, as research/slim schedules it.

  The decay period is `num_epochs_per_decay` epochs of `batch_size` steps
  (divided by `replicas_to_aggregate` with synchronous replicas): 'exponential'
  multiplies the rate by `learning_rate_decay_factor` after each period
  (staircase); 'polynomial' goes linearly to `end_learning_rate` over one period;
  'fixed' keeps `learning_rate`.

  Args:
    learning_rate_decay_type: 'fixed', 'exponential' or 'polynomial'.
    learning_rate: the initial rate.
    global_step: the global step tensor.
    num_samples_per_epoch: examples in one epoch.
    batch_size: examples per step.
    num_epochs_per_decay: default 2.0.
    learning_rate_decay_factor: default 0.94.
    end_learning_rate: default 0.0001.
    replicas_to_aggregate: default None (asynchronous training).

  Returns:
    A scalar float32 tensor named '<type>_learning_rate'.

  Raises:
    ValueError: an unknown decay type, or a decay period under one step.
  """
  if learning_rate_decay_type not in _DECAY_TYPES:
    raise ValueError('configure_learning_rate: learning_rate_decay_type must be one of %s, '
                     'received %r' % (', '.join(_DECAY_TYPES), learning_rate_decay_type))
  if learning_rate_decay_type == 'fixed':
    return tf.constant(learning_rate, name='fixed_learning_rate')
  decay_steps = int(num_samples_per_epoch * num_epochs_per_decay / batch_size)
  if replicas_to_aggregate:
    decay_steps /= replicas_to_aggregate
  if decay_steps < 1:
    raise ValueError('configure_learning_rate: the decay period is under one step (%d '
                     'examples x %g epochs / batch of %d); raise --num_epochs_per_decay'
                     % (num_samples_per_epoch, num_epochs_per_decay, batch_size))
  if learning_rate_decay_type == 'exponential':
    return _v1.train.exponential_decay(learning_rate, global_step, decay_steps,
                                       learning_rate_decay_factor, staircase=True,
                                       name='exponential_decay_learning_rate')
  return _v1.train.polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate,
                                    power=1.0, cycle=False,
                                    name='polynomial_decay_learning_rate')


def configure_optimizer(optimizer, learning_rate, **hyper_parameters):
  """The `tf.compat.v1.train` optimizer named `optimizer`.

  Args:
    optimizer: one of `OPTIMIZERS`: 'adadelta', 'adagrad', 'adam', 'ftrl',
      'momentum', 'rmsprop' or 'sgd'.
    learning_rate: a float or a scalar tensor.
    **hyper_parameters: flag values (`adam_beta1=0.9`, `opt_epsilon=1.0`, ...);
      those not given take the flags' defaults, those of other optimizers are
      ignored.

  Returns:
    The optimizer.

  Raises:
    ValueError: an unknown optimizer or hyper-parameter.
  """
  if optimizer not in OPTIMIZERS:
    raise ValueError('configure_optimizer: optimizer must be one of %s, received %r'
                     % (', '.join(sorted(OPTIMIZERS)), optimizer))
  unknown = sorted(set(hyper_parameters) - set(_OPTIMIZER_FLAGS))
  if unknown:
    raise ValueError('configure_optimizer: unknown hyper-parameters %s; known: %s'
                     % (', '.join(unknown), ', '.join(_OPTIMIZER_FLAGS)))
  optimizer_class, arguments, extra = OPTIMIZERS[optimizer]
  values = dict(_DEFAULTS, **hyper_parameters)
  kwargs = {argument: values[flag] for argument, flag in arguments.items()}
  return optimizer_class(learning_rate, **dict(extra, **kwargs))


def make_clone_fn(network_fn, num_classes, label_smoothing=0.0, image_summaries=3,
                  inputs_device='/device:CPU:0'):
  """The model function of one clone: a batch from the iterator, the network and
  its softmax cross-entropy losses.

  An 'AuxLogits' end point (Inception) adds a loss of weight 0.4 in scope
  'aux_loss'. The first `image_summaries` images of the batch get an image summary.

  Args:
    network_fn: from `nets_factory.get_network_fn`.
    num_classes: classes of the logits (the labels are one-hot encoded).
    label_smoothing: default 0.0.
    image_summaries: images of the batch summarized (default 3; 0: none).
    inputs_device: where the batch is taken from the iterator (default the CPU).

  Returns:
    `clone_fn(iterator)` returning the network's end points.
  """
  def clone_fn(iterator):
    with tf.device(inputs_device):
      images, labels = iterator.get_next()
    if image_summaries:
      _v1.add_to_collection(_v1.GraphKeys.SUMMARIES,
                            _common.image_summary('images', images, image_summaries))
    onehot_labels = slim.one_hot_encoding(labels, num_classes)
    logits, end_points = network_fn(images)
    if 'AuxLogits' in end_points:
      slim.losses.softmax_cross_entropy(end_points['AuxLogits'], onehot_labels,
                                        label_smoothing=label_smoothing, weights=0.4,
                                        scope='aux_loss')
    slim.losses.softmax_cross_entropy(logits, onehot_labels, label_smoothing=label_smoothing,
                                      weights=1.0)
    return end_points
  return clone_fn


def summarize_clone(clone):
  """The summaries of `clone` (the first one) as research/slim writes them: a
  histogram 'activations/<end point>' and a scalar 'sparsity/<end point>' for every
  end point, 'losses/<loss>' for its losses, and a histogram per model variable.

  Returns:
    A set of summary tensors.
  """
  summaries = set()
  for name, value in clone.outputs.items():
    summaries.add(_common.histogram_summary('activations/' + name, value))
    summaries.add(_common.scalar_summary('sparsity/' + name, tf.nn.zero_fraction(value)))
  for loss in _v1.get_collection(_v1.GraphKeys.LOSSES, clone.scope):
    summaries.add(_common.scalar_summary('losses/' + loss.op.name, loss))
  for variable in slim.get_model_variables():
    summaries.add(_common.histogram_summary(variable.op.name, variable))
  return summaries


def build_train_tensor(clones, optimizer, global_step, variables_to_train, update_ops):
  """The clones' gradients applied with `optimizer`, after `update_ops`.

  Args:
    clones: from `model_deploy.create_clones`.
    optimizer: a `tf.compat.v1.train.Optimizer`.
    global_step: incremented by each update.
    variables_to_train: the variables the gradients are taken of.
    update_ops: ops to run with each step (batch-norm statistics, moving averages).

  Returns:
    `(train_tensor, total_loss)`: the total loss, computed after the update
    (named 'train_op'), and the total loss tensor.
  """
  total_loss, grads_and_vars = model_deploy.optimize_clones(clones, optimizer,
                                                            var_list=variables_to_train)
  grad_updates = optimizer.apply_gradients(grads_and_vars, global_step=global_step)
  with tf.control_dependencies([tf.group(*(list(update_ops) + [grad_updates]))]):
    train_tensor = tf.identity(total_loss, name='train_op')
  return train_tensor, total_loss


class ProgressLog(object):
  """A `train_step_fn` for `slim.learning.train` that logs, every
  `log_every_n_steps` global steps, the loss, steps and examples per second
  (since the previous line) and the time left:

      global step 200/1000: loss = 0.1234 (35.1 steps/sec, 1755 examples/sec, ETA 0:00:22)

  Args:
    batch_size: examples per step.
    log_every_n_steps: global steps between lines (0: none).
    number_of_steps: the last global step, for the ETA (default None: no ETA).
  """

  def __init__(self, batch_size, log_every_n_steps, number_of_steps=None):
    self.batch_size = batch_size
    self.log_every_n_steps = log_every_n_steps
    self.number_of_steps = number_of_steps
    self._last = None  # (time, global step) of the previous line or of the first step

  def __call__(self, sess, train_op, global_step, train_step_kwargs):
    if self._last is None:
      self._last = (time.time(), int(sess.run(global_step)))
    total_loss, should_stop = slim.learning.train_step(sess, train_op, global_step,
                                                       train_step_kwargs)
    if self.log_every_n_steps:
      step = int(sess.run(global_step))
      if step % self.log_every_n_steps == 0 or should_stop:
        _v1.logging.info('%s', self.line(step, total_loss, time.time()))
    return total_loss, should_stop

  def line(self, step, total_loss, now):
    """The progress line at global `step`, reached at time `now`."""
    last_time, last_step = self._last
    self._last = (now, step)
    text = 'global step %d' % step
    if self.number_of_steps:
      text += '/%d' % self.number_of_steps
    text += ': loss = %.4f' % total_loss
    if step <= last_step or now <= last_time:
      return text
    rate = (step - last_step) / (now - last_time)
    text += ' (%.1f steps/sec, %.0f examples/sec' % (rate, rate * self.batch_size)
    if self.number_of_steps:
      text += ', ETA %s' % datetime.timedelta(
          seconds=round(max(self.number_of_steps - step, 0) / rate))
    return text + ')'


def check_flags(flags):
  """Checks the flag values before any work.

  Args:
    flags: the `argparse.Namespace` of `parse_flags`.

  Raises:
    FlagError: the first bad value, with the fix.
  """
  values = vars(flags)
  _common.check_at_least(values, 1, ['num_clones', 'batch_size', 'worker_replicas',
                                     'num_readers', 'num_preprocessing_threads',
                                     'replicas_to_aggregate'])
  _common.check_at_least(values, 0, ['num_ps_tasks', 'task', 'log_every_n_steps',
                                     'save_summaries_secs', 'save_interval_secs',
                                     'weight_decay', 'label_smoothing'])
  _common.check_at_least(values, 1, ['max_number_of_steps'], allow_none=True)
  if flags.quantize_delay >= 0:
    raise FlagError('--quantize_delay=%d: quantization-aware training is not supported '
                    '(it needs tf.contrib.quantize, gone from TensorFlow 2); leave '
                    '--quantize_delay at -1 (any negative value: none) and quantize after '
                    'training with export_inference_graph --tflite_quantize=int8'
                    % flags.quantize_delay)
  if flags.optimizer not in OPTIMIZERS:
    raise FlagError('--optimizer must be one of %s, received %r'
                    % (', '.join(sorted(OPTIMIZERS)), flags.optimizer))
  if flags.learning_rate_decay_type not in _DECAY_TYPES:
    raise FlagError('--learning_rate_decay_type must be one of %s, received %r'
                    % (', '.join(_DECAY_TYPES), flags.learning_rate_decay_type))
  if not flags.learning_rate > 0:
    raise FlagError('--learning_rate must be positive, received %g' % flags.learning_rate)
  if flags.moving_average_decay is not None and not 0 < flags.moving_average_decay < 1:
    raise FlagError('--moving_average_decay must be in (0, 1), e.g. 0.9999, received %g'
                    % flags.moving_average_decay)
  if flags.batch_size % flags.num_clones:
    raise FlagError('--batch_size=%d does not divide by --num_clones=%d: the batch is split '
                    'evenly over the clones; give a multiple of %d, e.g. --batch_size=%d'
                    % (flags.batch_size, flags.num_clones, flags.num_clones,
                       flags.num_clones * max(1, round(flags.batch_size / flags.num_clones))))
  if flags.task >= flags.worker_replicas:
    raise FlagError('--task=%d must be less than --worker_replicas=%d'
                    % (flags.task, flags.worker_replicas))
  if flags.worker_replicas > 1 and flags.num_ps_tasks < 1:
    raise FlagError('--worker_replicas=%d needs parameter servers: give --num_ps_tasks >= 1'
                    % flags.worker_replicas)
  num_gpus = len(tf.config.list_physical_devices('GPU'))
  if not flags.clone_on_cpu and 0 < num_gpus < flags.num_clones:
    raise FlagError('--num_clones=%d but only %d GPUs are visible: give --num_clones=%d, or '
                    '--clone_on_cpu' % (flags.num_clones, num_gpus, num_gpus))
  _common.check_dataset(flags.dataset_name, flags.dataset_split_name, flags.dataset_dir,
                        flags.labels_offset)
  _common.check_model(flags.model_name, flags.preprocessing_name, flags.train_image_size,
                      'train_image_size')
  if flags.checkpoint_path is not None:
    _common.check_checkpoint('checkpoint_path', flags.checkpoint_path)


def parse_flags(argv=None):
  """The flags of `argv` (default: the command line), checked; see `_cli.parse_flags`."""
  return _cli.parse_flags('train_image_classifier', __doc__, FLAGS, check_flags, argv)


def main(argv=None):
  """Trains with the flags of `argv` (default: the command line).

  Returns:
    The total loss of the last step.
  """
  flags = parse_flags(argv)
  _v1.logging.set_verbosity(_v1.logging.INFO)
  if flags.clone_on_cpu:
    _v1.logging.info('Clones on the CPU, split into %d logical devices',
                     _common.split_cpu(flags.num_clones))
  elif not tf.config.list_physical_devices('GPU'):
    _v1.logging.info('No GPU visible: the clones run on the CPU (--clone_on_cpu splits it '
                     'into --num_clones devices)')
  tf.config.set_soft_device_placement(True)  # GPU clones fall back to the CPU without GPUs
  tf.io.gfile.makedirs(flags.train_dir)
  _cli.write_json(os.path.join(flags.train_dir, 'flags.json'), vars(flags))

  with tf.Graph().as_default():
    # Deployment: where the clones, inputs and variables go.
    deploy_config = model_deploy.DeploymentConfig(
        num_clones=flags.num_clones, clone_on_cpu=flags.clone_on_cpu, replica_id=flags.task,
        num_replicas=flags.worker_replicas, num_ps_tasks=flags.num_ps_tasks)
    with tf.device(deploy_config.variables_device()):
      global_step = slim.create_global_step()

    # The dataset, the network and its preprocessing.
    dataset = dataset_factory.get_dataset(flags.dataset_name, flags.dataset_split_name,
                                          flags.dataset_dir)
    num_classes = dataset.num_classes - flags.labels_offset
    network_fn = nets_factory.get_network_fn(flags.model_name, num_classes=num_classes,
                                             weight_decay=flags.weight_decay, is_training=True)
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        flags.preprocessing_name or flags.model_name, is_training=True,
        use_grayscale=flags.use_grayscale)

    # The input: batches of one clone each.
    with tf.device(deploy_config.inputs_device()):
      iterator = _common.image_batches(
          dataset, preprocessing_fn, flags.train_image_size or network_fn.default_image_size,
          flags.batch_size // flags.num_clones, labels_offset=flags.labels_offset,
          num_readers=flags.num_readers,
          num_preprocessing_threads=flags.num_preprocessing_threads,
          num_prefetch=2 * flags.num_clones)

    # The clones, and the summaries of the first one.
    clone_fn = make_clone_fn(network_fn, num_classes, flags.label_smoothing,
                             inputs_device=deploy_config.inputs_device())
    clones = model_deploy.create_clones(deploy_config, clone_fn, [iterator])
    update_ops = _v1.get_collection(_v1.GraphKeys.UPDATE_OPS, clones[0].scope)
    summaries = summarize_clone(clones[0])

    # Moving averages, learning rate and optimizer.
    moving_average_variables = variable_averages = None
    if flags.moving_average_decay:
      moving_average_variables = slim.get_model_variables()
      variable_averages = _v1.train.ExponentialMovingAverage(flags.moving_average_decay,
                                                              global_step)
    with tf.device(deploy_config.optimizer_device()):
      learning_rate = configure_learning_rate(
          flags.learning_rate_decay_type, flags.learning_rate, global_step,
          dataset.num_samples, flags.batch_size, flags.num_epochs_per_decay,
          flags.learning_rate_decay_factor, flags.end_learning_rate,
          flags.replicas_to_aggregate if flags.sync_replicas else None)
      optimizer = configure_optimizer(
          flags.optimizer, learning_rate, **{name: values for name, values in vars(flags).items()
                                             if name in _OPTIMIZER_FLAGS})
    summaries.add(_common.scalar_summary('learning_rate', learning_rate))
    if flags.sync_replicas:
      optimizer = _v1.train.SyncReplicasOptimizer(
          optimizer, replicas_to_aggregate=flags.replicas_to_aggregate,
          total_num_replicas=flags.worker_replicas, variable_averages=variable_averages,
          variables_to_average=moving_average_variables)
    elif variable_averages is not None:
      update_ops.append(variable_averages.apply(moving_average_variables))

    # The training step, and the fine-tuning start.
    variables_to_train = restore.get_variables_to_train(flags.trainable_scopes)
    train_tensor, total_loss = build_train_tensor(clones, optimizer, global_step,
                                                  variables_to_train, update_ops)
    summaries.add(_common.scalar_summary('total_loss', total_loss))
    # The first clone's own summaries: its images, its loss (made by optimize_clones).
    summaries.update(_v1.get_collection(_v1.GraphKeys.SUMMARIES, clones[0].scope))
    summary_op = _v1.summary.merge(sorted(summaries, key=lambda s: s.name), name='summary_op')
    init_fn = restore.get_init_fn(flags.checkpoint_path, flags.train_dir,
                                  checkpoint_exclude_scopes=flags.checkpoint_exclude_scopes,
                                  ignore_missing_vars=flags.ignore_missing_vars)

    # Train.
    return slim.learning.train(
        train_tensor, logdir=flags.train_dir, master=flags.master, is_chief=flags.task == 0,
        init_fn=init_fn, summary_op=summary_op, number_of_steps=flags.max_number_of_steps,
        log_every_n_steps=0,  # ProgressLog writes the progress lines
        train_step_fn=ProgressLog(flags.batch_size, flags.log_every_n_steps,
                                  flags.max_number_of_steps),
        save_summaries_secs=flags.save_summaries_secs,
        save_interval_secs=flags.save_interval_secs,
        sync_optimizer=optimizer if flags.sync_replicas else None)


def console_main(argv=None):
  """The `train_image_classifier` command; returns its exit status."""
  return _cli.run('train_image_classifier', main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
