"""The graph that train_image_classifier trains: research/slim's learning-rate
schedules and optimizers, model_deploy clones of a network with their losses and
summaries, and `train(flags)`, the tool's work after its flags are checked."""
import collections
import contextlib
import json
import os

import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.deployment import model_deploy
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _cli
from slim.tools import _common
from slim.tools import cluster_lib
from slim.tools.train_image_classifier import DECAY_TYPES
from slim.tools.train_image_classifier import FLAGS
from slim.tools.train_image_classifier import OPTIMIZER_FLAGS
from slim.tools.train_image_classifier import OPTIMIZERS
from slim.tools.train_image_classifier import PROG
from slim.training import checkpoints
from slim.training import divergence
from slim.training import progress as progress_lib
from slim.training import restore
from slim.training import run_log as run_log_lib
from slim.training import train_dir as train_dir_lib

__all__ = ['RUN_LOG_FILENAME', 'TrainingGraph', 'build_train_tensor', 'build_training_graph', 'configure_learning_rate',
           'configure_optimizer', 'export_saved_model', 'make_clone_fn', 'reporting_train_step', 'summarize_clone',
           'train']

_v1 = tf.compat.v1
_DEFAULTS = _cli.defaults(FLAGS)
RUN_LOG_FILENAME = 'run_log.jsonl'
# The flags that decide the variables of the network a train_dir holds.
_NETWORK_FLAGS = ('model_name', 'dataset_name', 'labels_offset', 'use_grayscale',
                  'train_image_size')

# What `build_training_graph` builds; `global_batch_size` is --batch_size x --num_clones.
TrainingGraph = collections.namedtuple('TrainingGraph', [
    'global_step', 'iterator', 'clones', 'learning_rate', 'optimizer', 'train_tensor',
    'total_loss', 'summary_op', 'init_fn', 'global_batch_size'])


def configure_learning_rate(learning_rate_decay_type, learning_rate, global_step,
                            num_samples_per_epoch, batch_size, num_epochs_per_decay=2.0,
                            learning_rate_decay_factor=0.94, end_learning_rate=0.0001,
                            replicas_to_aggregate=None):
  """The learning rate tensor, as research/slim schedules it.

  The decay period is `num_epochs_per_decay` epochs of steps of `batch_size`
  (divided by `replicas_to_aggregate` with synchronous replicas): 'exponential'
  multiplies the rate by `learning_rate_decay_factor` after each period
  (staircase); 'polynomial' goes linearly to `end_learning_rate` over one period;
  'fixed' keeps `learning_rate`.

  Args:
    learning_rate_decay_type: 'fixed', 'exponential' or 'polynomial'.
    learning_rate: the initial rate.
    global_step: the global step tensor.
    num_samples_per_epoch: examples in one epoch.
    batch_size: examples per step (all clones together).
    num_epochs_per_decay: default 2.0.
    learning_rate_decay_factor: default 0.94.
    end_learning_rate: default 0.0001.
    replicas_to_aggregate: default None (asynchronous training).

  Returns:
    A scalar float32 tensor named '<type>_learning_rate'.

  Raises:
    ValueError: an unknown decay type, or a decay period under one step.
  """
  if learning_rate_decay_type not in DECAY_TYPES:
    raise ValueError('configure_learning_rate: learning_rate_decay_type must be one of %s, '
                     'received %r' % (', '.join(DECAY_TYPES), learning_rate_decay_type))
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
  unknown = sorted(set(hyper_parameters) - set(OPTIMIZER_FLAGS))
  if unknown:
    raise ValueError('configure_optimizer: unknown hyper-parameters %s; known: %s'
                     % (', '.join(unknown), ', '.join(OPTIMIZER_FLAGS)))
  class_name, arguments, extra = OPTIMIZERS[optimizer]
  values = dict(_DEFAULTS, **hyper_parameters)
  kwargs = {argument: values[flag] for argument, flag in arguments.items()}
  return getattr(_v1.train, class_name)(learning_rate, **dict(extra, **kwargs))


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
    with _v1.device(inputs_device):
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
    (named 'train_op'), and the total loss tensor. A NaN or infinite loss fails
    the step before its update (`slim.training.divergence.check_loss`).
  """
  total_loss, grads_and_vars = model_deploy.optimize_clones(clones, optimizer,
                                                            var_list=variables_to_train)
  with tf.control_dependencies([divergence.check_loss(total_loss)]):
    grad_updates = optimizer.apply_gradients(grads_and_vars, global_step=global_step)
  with tf.control_dependencies([tf.group(*(list(update_ops) + [grad_updates]))]):
    train_tensor = tf.identity(total_loss, name='train_op')
  return train_tensor, total_loss


def reporting_train_step(progress, learning_rate):
  """A `train_step_fn` for `slim.learning.train`: `slim.learning.train_step`,
  then the global step, the loss and (in the run log) the learning rate reported
  to `progress` when a line is due."""
  def train_step(sess, train_op, global_step, train_step_kwargs):
    if not progress.started:
      progress.start(int(sess.run(global_step)))
    total_loss, should_stop = slim.learning.train_step(sess, train_op, global_step,
                                                       train_step_kwargs)
    step = int(sess.run(global_step))
    if progress.due(step, should_stop):
      progress.update(step, final=should_stop, loss=total_loss,
                      record={'learning_rate': float(sess.run(learning_rate))})
    return total_loss, should_stop
  return train_step


def build_training_graph(flags):
  """Builds in the default graph what the checked `flags` of
  train_image_classifier train: the input, the clones, the learning rate, the
  optimizer and the step.

  Returns:
    A `TrainingGraph`.
  """
  global_batch_size = flags.batch_size * flags.num_clones
  # Deployment: where the clones, inputs and variables go.
  deploy_config = model_deploy.DeploymentConfig(
      num_clones=flags.num_clones, clone_on_cpu=flags.clone_on_cpu, replica_id=flags.task,
      num_replicas=flags.worker_replicas, num_ps_tasks=flags.num_ps_tasks)
  with _v1.device(deploy_config.variables_device()):
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

  # The input: a batch of --batch_size per clone.
  with _v1.device(deploy_config.inputs_device()):
    iterator = _common.image_batches(
        dataset, preprocessing_fn, flags.train_image_size or network_fn.default_image_size,
        flags.batch_size, labels_offset=flags.labels_offset,
        num_readers=flags.num_readers,
        num_preprocessing_threads=flags.num_preprocessing_threads,
        num_prefetch=2 * flags.num_clones, skip_bad_records=flags.skip_bad_records)

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
  with _v1.device(deploy_config.optimizer_device()):
    learning_rate = configure_learning_rate(
        flags.learning_rate_decay_type, flags.learning_rate, global_step,
        dataset.num_samples, global_batch_size, flags.num_epochs_per_decay,
        flags.learning_rate_decay_factor, flags.end_learning_rate,
        flags.replicas_to_aggregate if flags.sync_replicas else None)
    optimizer = configure_optimizer(
        flags.optimizer, learning_rate, **{name: values for name, values in vars(flags).items()
                                           if name in OPTIMIZER_FLAGS})
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
  for clone in clones:  # each clone's loss, unscaled: 'clone_loss/clone_0', ...
    summaries.add(_common.scalar_summary(
        'clone_loss/%s' % (clone.scope.rstrip('/') or 'clone_0'),
        tf.math.add_n(_v1.get_collection(_v1.GraphKeys.LOSSES, clone.scope))))
  # The first clone's own summaries: its images, its loss (made by optimize_clones).
  summaries.update(_v1.get_collection(_v1.GraphKeys.SUMMARIES, clones[0].scope))
  summary_op = _v1.summary.merge(sorted(summaries, key=lambda s: s.name), name='summary_op')
  init_fn = restore.get_init_fn(flags.checkpoint_path, flags.train_dir,
                                checkpoint_exclude_scopes=flags.checkpoint_exclude_scopes,
                                ignore_missing_vars=flags.ignore_missing_vars)
  return TrainingGraph(global_step=global_step, iterator=iterator, clones=clones,
                       learning_rate=learning_rate, optimizer=optimizer,
                       train_tensor=train_tensor, total_loss=total_loss, summary_op=summary_op,
                       init_fn=init_fn, global_batch_size=global_batch_size)


def train(flags):
  """Trains as the checked `flags` of train_image_classifier say. The chief holds
  --train_dir (a second trainer there is refused), resumes from its newest
  readable checkpoint, checks that it fits the network, and appends a run log
  (`run_log.jsonl`): the run's flags, versions and machine, then a "step" line per
  progress line.

  Returns:
    The total loss of the last step (None when nothing was left to train).

  Raises:
    ValueError: the loss diverged, the data is damaged, or --train_dir holds the
      checkpoints of another network.
  """
  if flags.clone_on_cpu:
    _v1.logging.info('Clones on the CPU, split into %d logical devices',
                     _common.split_cpu(flags.num_clones))
  elif not tf.config.list_physical_devices('GPU'):
    _v1.logging.info('No GPU visible: the clones run on the CPU (--clone_on_cpu splits it '
                     'into --num_clones devices)')
  tf.config.set_soft_device_placement(True)  # GPU clones fall back to the CPU without GPUs
  is_chief = flags.task == 0
  total_loss = None
  with contextlib.ExitStack() as stack:
    worker = None
    if flags.cluster_task is not None:
      worker = stack.enter_context(cluster_lib.Worker(flags, PROG))
    checkpoint = None
    if is_chief:
      stack.enter_context(train_dir_lib.TrainDirLock(flags.train_dir, '--train_dir'))
      train_dir_lib.remove_stale_temporaries(flags.train_dir)
      checkpoint = train_dir_lib.recover_checkpoint_state(flags.train_dir)
    # In a cluster the chief initializes the parameter servers even when done.
    if not (checkpoint and worker is None and _finished(flags, checkpoint)):
      total_loss = _train(flags, is_chief, checkpoint, stack, worker)
    if flags.export_saved_model_dir and is_chief:
      export_saved_model(flags)
    if worker is not None:
      worker.done()
  return total_loss


def _finished(flags, checkpoint):
  """Whether the checkpoint reached --max_number_of_steps (then says so)."""
  step = checkpoints.checkpoint_step(checkpoint)
  if flags.max_number_of_steps is None or step < flags.max_number_of_steps:
    return False
  print('%s is at global step %d, --max_number_of_steps=%d: nothing to train (raise '
        '--max_number_of_steps to train on)' % (checkpoint, step, flags.max_number_of_steps))
  return True


def _check_resumable(flags, checkpoint):
  """Checks that the checkpoint of --train_dir holds the variables of this graph."""
  previous = os.path.join(flags.train_dir, 'flags.json')
  differ = ''
  if tf.io.gfile.exists(previous):
    with tf.io.gfile.GFile(previous) as f:
      trained = json.load(f)
    differ = ', '.join('--%s=%s (now %s)' % (name, trained.get(name), getattr(flags, name))
                       for name in _NETWORK_FLAGS if trained.get(name) != getattr(flags, name))
    differ = ' It was trained with %s.' % differ if differ else ''
  checkpoints.check_restorable(
      '--train_dir', checkpoint,
      {checkpoints.variable_name(v): v for v in _v1.global_variables()},
      advice='--train_dir=%s holds the checkpoints of another network or training.%s Resume '
      'with the flags it was trained with, or give a new --train_dir.' % (flags.train_dir,
                                                                          differ))


def _train(flags, is_chief, checkpoint, stack, worker):
  """Builds the graph and trains it (through `worker`, a `cluster_lib.Worker`, in a
  cluster); the chief writes flags.json and the run log."""
  with tf.Graph().as_default():
    graph = build_training_graph(flags)
    if checkpoint:
      _check_resumable(flags, checkpoint)
    run_log = None
    if is_chief:
      used_flags = _cli.tool_flags(flags, FLAGS)
      _cli.write_json(os.path.join(flags.train_dir, 'flags.json'), used_flags)
      run_log = stack.enter_context(run_log_lib.RunLog(os.path.join(flags.train_dir,
                                                                    RUN_LOG_FILENAME)))
      run_log.run_info(used_flags)
    train_step_fn = slim.learning.train_step
    if flags.log_every_n_steps:
      progress = progress_lib.Progress(
          label='global', unit='step', total=flags.max_number_of_steps,
          examples_per_step=graph.global_batch_size * (
              flags.replicas_to_aggregate if flags.sync_replicas else 1),
          every_n=flags.log_every_n_steps,
          run_log=run_log)
      train_step_fn = reporting_train_step(progress, graph.learning_rate)
    master, session_config, session_wrapper = flags.master, None, None
    if worker is not None:
      master, session_config = worker.target, worker.session_config
      session_wrapper = worker.session_wrapper
      worker.watch_global_step(graph.global_step)
      worker.wait_for_chief()
      train_step_fn = worker.checked(train_step_fn)
    dataset = dataset_factory.get_dataset(flags.dataset_name, flags.dataset_split_name,
                                          flags.dataset_dir)
    try:
      with _common.naming_damaged_records(dataset):
        return slim.learning.train(
            graph.train_tensor, logdir=flags.train_dir, master=master,
            session_config=session_config, session_wrapper=session_wrapper,
            is_chief=is_chief, init_fn=graph.init_fn,
            summary_op=graph.summary_op,
            number_of_steps=flags.max_number_of_steps,
            log_every_n_steps=0,  # the progress lines are train_step_fn's
            train_step_fn=train_step_fn, save_summaries_secs=flags.save_summaries_secs,
            save_interval_secs=flags.save_interval_secs,
            sync_optimizer=graph.optimizer if flags.sync_replicas else None)
    except (tf.errors.UnavailableError, tf.errors.AbortedError):
      # A lost peer can fail a thread of the training loop (a sync-replicas queue
      # runner, a summary) rather than the step: report the watch's verdict then too.
      lost = worker.lost_peer_error() if worker is not None else None
      if lost is None:
        raise
      raise ValueError(lost) from None
    except divergence.LossDivergedError as error:
      raise ValueError(
          'the loss is NaN or infinite at global step %s; training stopped and this step was '
          'not applied nor saved (%s). Lower --learning_rate (now %g), or check the data'
          % (error.step, 'the last checkpoint is %s' % error.last_checkpoint
             if error.last_checkpoint else 'no checkpoint was written',
             flags.learning_rate)) from None


def export_saved_model(flags):
  """Exports the latest checkpoint of --train_dir to --export_saved_model_dir with
  export_inference_graph and the network flags of training."""
  from slim.tools import export_inference_graph  # pylint: disable=import-outside-toplevel
  argv = ['--%s=%s' % (name, getattr(flags, name)) for name in (
      'model_name', 'dataset_name', 'labels_offset')]
  argv += ['--%s=%s' % (flag, value) for flag, value in (
      ('dataset_dir', flags.dataset_dir), ('preprocessing_name', flags.preprocessing_name),
      ('image_size', flags.train_image_size)) if value is not None]
  if flags.use_grayscale:
    argv.append('--use_grayscale')
  argv += ['--checkpoint_path=' + flags.train_dir,
           '--saved_model_dir=' + flags.export_saved_model_dir,
           '--add_encoded_image_signature', '--overwrite']
  _v1.logging.info('Exporting: export_inference_graph %s', ' '.join(argv))
  export_inference_graph.main(argv)
