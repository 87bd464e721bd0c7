"""Graph-mode training with hooks: `create_train_op` builds the op that applies one
step of gradients and returns the loss; `train` runs it in a
`tf.compat.v1.train.MonitoredTrainingSession` until a hook asks it to stop.

Example:

  with tf.Graph().as_default():
    logits = my_net(images)
    tf.compat.v1.losses.softmax_cross_entropy(onehot_labels, logits)
    total_loss = tf.compat.v1.losses.get_total_loss()
    optimizer = tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)
    train_op = slim.training.create_train_op(
        total_loss, optimizer,
        transform_grads_fn=slim.training.clip_gradient_norms_fn(5.0))
    slim.training.train(
        train_op, '/tmp/model',
        hooks=[tf.compat.v1.train.StopAtStepHook(last_step=1000)])
"""
import contextlib
import numbers

import tensorflow as tf

from slim import _checks
from slim.training import divergence
from slim.training import train_dir

__all__ = [
    'add_gradients_summaries',
    'clip_gradient_norms',
    'clip_gradient_norms_fn',
    'create_train_op',
    'multiply_gradients',
    'train',
]

_v1 = tf.compat.v1


_USE_GLOBAL_STEP = _checks.Default('_USE_GLOBAL_STEP')


def _gradient_values(grad):
  """The dense values of a gradient (the `values` of an `IndexedSlices`)."""
  return grad.values if isinstance(grad, tf.IndexedSlices) else grad


def _map_gradient(grad, fn):
  """Applies `fn` to the values of `grad`, keeping the indices of `IndexedSlices`."""
  if isinstance(grad, tf.IndexedSlices):
    return tf.IndexedSlices(fn(grad.values), grad.indices, grad.dense_shape)
  return fn(grad)


def _check_grads_and_vars(function, grads_and_vars):
  if not isinstance(grads_and_vars, list):
    raise ValueError('%s: `grads_and_vars` must be a list of (gradient, variable) pairs, '
                     'received %s' % (function, type(grads_and_vars).__name__))


def summarize_gradients_as(grads_and_vars, separator):
  """Adds a histogram of each gradient and a scalar of its norm, named
  `<variable op name><separator>gradient` and `...gradient_norm`.

  slim.training names them `w_gradient`, slim.learning `w/gradient`; both call this.
  Returns the list of summary tensors.
  """
  summaries = []
  for grad, var in grads_and_vars:
    if grad is None:
      _v1.logging.info('Var %s has no gradient', var.op.name)
      continue
    values = _gradient_values(grad)
    prefix = var.op.name + separator
    summaries.append(_v1.summary.histogram(prefix + 'gradient', values))
    summaries.append(_v1.summary.scalar(prefix + 'gradient_norm',
                                        tf.linalg.global_norm([values])))
  return summaries


def add_gradients_summaries(grads_and_vars):
  """Adds a histogram and a norm summary for every gradient.

  The summaries are named `<variable op name>_gradient` and
  `<variable op name>_gradient_norm`; variables without a gradient are logged
  and skipped.

  Args:
    grads_and_vars: a list of (gradient, variable) pairs.

  Returns:
    The list of summary tensors created.
  """
  return summarize_gradients_as(grads_and_vars, '_')


def clip_gradient_norms(gradients_to_variables, max_norm):
  """Clips each gradient to an L2 norm of at most `max_norm` (`tf.clip_by_norm`).

  `None` gradients pass through; `IndexedSlices` are clipped on their values.

  Args:
    gradients_to_variables: a list of (gradient, variable) pairs.
    max_norm: the largest norm allowed, a positive number or a scalar tensor.

  Returns:
    A list of (clipped gradient, variable) pairs.

  Raises:
    ValueError: `max_norm` is a number that is not positive.
  """
  if isinstance(max_norm, numbers.Number) and not max_norm > 0:
    raise ValueError('clip_gradient_norms: max_norm must be positive, received %r' % (max_norm,))
  return [(None if grad is None else
           _map_gradient(grad, lambda values: tf.clip_by_norm(values, max_norm)), var)
          for grad, var in gradients_to_variables]


def clip_gradient_norms_fn(max_norm):
  """Returns a `transform_grads_fn` for `create_train_op` that clips every gradient
  to the norm `max_norm` (see `clip_gradient_norms`)."""

  def clip_norms(gradients_to_variables):
    return clip_gradient_norms(gradients_to_variables, max_norm)

  return clip_norms


def _lookup_multiplier(gradient_multipliers, var):
  """The multiplier for `var`, keyed by the variable itself or its op name, or None."""
  for key in (var, var.op.name):
    try:
      if key in gradient_multipliers:
        return gradient_multipliers[key]
    except TypeError:  # an unhashable variable: only names can match
      continue
  return None


def multiply_gradients(grads_and_vars, gradient_multipliers):
  """Scales the gradients of chosen variables.

  Args:
    grads_and_vars: a list of (gradient, variable) pairs.
    gradient_multipliers: a non-empty dict from variables, or variable op names,
      to the factor (a number or a scalar tensor) their gradient is multiplied by.

  Returns:
    The list of (gradient, variable) pairs, with the chosen gradients scaled.

  Raises:
    ValueError: `grads_and_vars` is not a list, `gradient_multipliers` is empty or
      not a dict, or a variable with a multiplier has no gradient.
  """
  _check_grads_and_vars('multiply_gradients', grads_and_vars)
  if not gradient_multipliers:
    raise ValueError('multiply_gradients: `gradient_multipliers` is empty (received %r); pass '
                     'a dict from variables or their names to factors' % (gradient_multipliers,))
  if not isinstance(gradient_multipliers, dict):
    raise ValueError('multiply_gradients: `gradient_multipliers` must be a dict, received %s'
                     % type(gradient_multipliers).__name__)

  multiplied = []
  for grad, var in grads_and_vars:
    multiplier = _lookup_multiplier(gradient_multipliers, var)
    if multiplier is not None:
      if grad is None:
        raise ValueError('multiply_gradients: Requested multiple of `None` gradient: variable '
                         '%s has a multiplier but no gradient' % var.op.name)
      if isinstance(multiplier, (tf.Tensor, tf.Variable)):
        multiplier = tf.cast(multiplier, grad.dtype)
      else:
        multiplier = tf.constant(multiplier, dtype=grad.dtype)
      grad = _map_gradient(grad, lambda values, factor=multiplier: values * factor)
    multiplied.append((grad, var))
  return multiplied


def _check_optimizer(optimizer):
  if not (hasattr(optimizer, 'compute_gradients') and hasattr(optimizer, 'apply_gradients')):
    raise TypeError('create_train_op: optimizer must be a tf.compat.v1.train.Optimizer (with '
                    'compute_gradients and apply_gradients), received %r' % (optimizer,))


def _variables_to_train(variables_to_train):
  trainable = _v1.trainable_variables()
  if variables_to_train is None:
    variables_to_train = trainable
  else:
    variables_to_train = list(variables_to_train)
    trainable_ids = {id(v) for v in trainable}
    for var in variables_to_train:
      if not (getattr(var, 'trainable', False) or id(var) in trainable_ids):
        raise ValueError('create_train_op: variables_to_train holds %s, which is not trainable'
                         % getattr(var, 'name', var))
  if not variables_to_train:
    raise ValueError('create_train_op: there are no variables to train (variables_to_train=%r '
                     'and the graph has no trainable variables)' % (variables_to_train,))
  return variables_to_train


def _with_dependencies(dependencies, tensor, name):
  """`tensor` through an identity that runs after `dependencies`."""
  with tf.control_dependencies(dependencies):
    return tf.identity(tensor, name=name)


def create_train_op(total_loss,
                    optimizer,
                    global_step=_USE_GLOBAL_STEP,
                    update_ops=None,
                    variables_to_train=None,
                    transform_grads_fn=None,
                    summarize_gradients=False,
                    gate_gradients=_v1.train.Optimizer.GATE_OP,
                    aggregation_method=None,
                    colocate_gradients_with_ops=False,
                    check_numerics=True):
  """Builds the op that runs the update ops, applies one step of gradients and
  returns the total loss.

  The returned tensor is added to the `TRAIN_OP` collection.

  Args:
    total_loss: a scalar `Tensor`, the loss to minimize.
    optimizer: a `tf.compat.v1.train.Optimizer`.
    global_step: the step variable the optimizer increments; left to its default,
      the graph's global step (created if missing); `None` increments nothing.
    update_ops: ops run before the loss is computed (batch-norm moving averages);
      default None: the `UPDATE_OPS` collection. A warning is logged when a given
      list misses some of that collection.
    variables_to_train: the variables to update (default: all trainable ones).
    transform_grads_fn: None, or a function from the list of (gradient, variable)
      pairs to a new list: clipping, multipliers, ...
    summarize_gradients: add a histogram and a norm summary per gradient
      (default False).
    gate_gradients, aggregation_method, colocate_gradients_with_ops: passed to
      `optimizer.compute_gradients`.
    check_numerics: make the op fail when the loss is inf or NaN, before the
      gradients are applied (default True).

  Returns:
    A `Tensor` that applies the gradients and evaluates to the total loss.

  Raises:
    TypeError: `optimizer` is not a TF1 optimizer.
    ValueError: there is nothing to train, or a variable to train is not trainable.

  Example:
    train_op = slim.training.create_train_op(
        total_loss, tf.compat.v1.train.GradientDescentOptimizer(0.1),
        transform_grads_fn=slim.training.clip_gradient_norms_fn(1.0))
  """
  if total_loss is None:
    raise ValueError('create_train_op: total_loss cannot be None; pass the loss tensor, '
                     'e.g. tf.compat.v1.losses.get_total_loss()')
  _check_optimizer(optimizer)
  _checks.check_callable('create_train_op', 'transform_grads_fn', transform_grads_fn)
  if global_step is _USE_GLOBAL_STEP:
    global_step = _v1.train.get_or_create_global_step()

  collected_update_ops = set(_v1.get_collection(_v1.GraphKeys.UPDATE_OPS))
  update_ops = collected_update_ops if update_ops is None else set(update_ops)
  if not collected_update_ops.issubset(update_ops):
    _v1.logging.warning('update_ops in create_train_op does not contain all the update_ops '
                        'in GraphKeys.UPDATE_OPS')
  if update_ops:
    with tf.control_dependencies(sorted(update_ops, key=lambda op: op.name)):
      barrier = tf.no_op(name='update_barrier')
    total_loss = _with_dependencies([barrier], total_loss, 'control_dependency')

  grads = optimizer.compute_gradients(
      total_loss,
      _variables_to_train(variables_to_train),
      gate_gradients=gate_gradients,
      aggregation_method=aggregation_method,
      colocate_gradients_with_ops=colocate_gradients_with_ops)
  if transform_grads_fn:
    grads = transform_grads_fn(grads)
  if summarize_gradients:
    with tf.name_scope('summarize_grads'):
      add_gradients_summaries(grads)

  with tf.name_scope('train_op') as train_op_scope:
    if check_numerics:  # a diverged step fails before it applies its gradients
      total_loss = divergence.check_loss(total_loss)
  with tf.control_dependencies([total_loss] if check_numerics else []):
    grad_updates = optimizer.apply_gradients(grads, global_step=global_step)

  with tf.name_scope(train_op_scope):
    train_op = _with_dependencies([grad_updates], total_loss, 'control_dependency')

  train_ops = _v1.get_collection_ref(_v1.GraphKeys.TRAIN_OP)
  if train_op not in train_ops:
    train_ops.append(train_op)
  return train_op


def train(train_op,
          logdir,
          master='',
          is_chief=True,
          scaffold=None,
          hooks=None,
          chief_only_hooks=None,
          save_checkpoint_secs=600,
          save_summaries_steps=100,
          config=None,
          max_wait_secs=7200,
          run_metadata=None,
          save_checkpoint_steps=None,
          save_summaries_secs=None):
  """Runs `train_op` in a `MonitoredTrainingSession` until a hook requests a stop.

  The session restores the latest checkpoint of `logdir` if there is one, and the
  chief saves checkpoints and summaries there. Stop training with a hook such as
  `tf.compat.v1.train.StopAtStepHook`, or by exhausting the input
  (`OutOfRangeError`).

  Args:
    train_op: the tensor from `create_train_op`.
    logdir: where checkpoints and summaries go; None writes nothing.
    master: the TensorFlow master (default '': in process).
    is_chief: whether this replica initializes the model and writes (default True).
    scaffold: a `tf.compat.v1.train.Scaffold` (init ops, init_fn, saver, ...).
    hooks: `SessionRunHook`s run by every replica.
    chief_only_hooks: `SessionRunHook`s run by the chief only.
    save_checkpoint_secs: seconds between checkpoints (default 600; None: none by time).
    save_summaries_steps: global steps between summaries (default 100; None: none by steps).
    config: a `tf.compat.v1.ConfigProto` for the session.
    max_wait_secs: how long a non-chief waits for the chief to create the model
      (default 7200).
    run_metadata: a `tf.compat.v1.RunMetadata` filled by every run.
    save_checkpoint_steps: global steps between checkpoints (default None); when
      given, it replaces `save_checkpoint_secs`.
    save_summaries_secs: seconds between summaries (default None); when given, it
      replaces `save_summaries_steps`.

  Returns:
    The loss of the last step run, or None if no step ran.

  The chief holds `logdir` while it trains (a second trainer there fails with
  `TrainDirInUseError`), removes what an interrupted save left, and resumes from
  the newest readable checkpoint.

  Raises:
    ValueError: `logdir` is None on the chief while checkpoints or summaries are
      requested.
    LossDivergedError: the loss became NaN or infinite (with `create_train_op`'s
      `check_numerics`); the step was not applied.
  """
  if train_op is None:
    raise ValueError('train: train_op cannot be None; pass the tensor returned by '
                     'create_train_op')
  if logdir is None and is_chief:
    for name, value in (('save_summaries_steps', save_summaries_steps),
                        ('save_summaries_secs', save_summaries_secs),
                        ('save_checkpoint_secs', save_checkpoint_secs),
                        ('save_checkpoint_steps', save_checkpoint_steps)):
      if value:
        raise ValueError('train: logdir cannot be None when %s is not None (received %r); '
                         'pass a logdir or set %s=None' % (name, value, name))

  if save_checkpoint_steps is not None:
    save_checkpoint_secs = None
  if save_summaries_secs is not None:
    save_summaries_steps = None

  loss = None
  step = _GlobalStepReader()
  with contextlib.ExitStack() as stack:
    if is_chief and logdir:
      stack.enter_context(train_dir.TrainDirLock(logdir))
      train_dir.remove_stale_temporaries(logdir)
      train_dir.recover_checkpoint_state(logdir)
    with _v1.train.MonitoredTrainingSession(
        master=master,
        is_chief=is_chief,
        checkpoint_dir=logdir,
        scaffold=scaffold,
        hooks=list(hooks or []) + [step],
        chief_only_hooks=chief_only_hooks,
        save_checkpoint_secs=save_checkpoint_secs,
        save_checkpoint_steps=save_checkpoint_steps,
        save_summaries_steps=save_summaries_steps,
        save_summaries_secs=save_summaries_secs,
        config=config,
        max_wait_secs=max_wait_secs) as session:
      try:
        while not session.should_stop():
          loss = session.run(train_op, run_metadata=run_metadata)
      except tf.errors.InvalidArgumentError as error:
        if not divergence.is_check_numerics_error(error):
          raise
        current = step.read()
        raise divergence.LossDivergedError(
            'train', None if current is None else current + 1,
            tf.train.latest_checkpoint(logdir) if logdir else None) from None
  return loss


class _GlobalStepReader(_v1.train.SessionRunHook):
  """Reads the global step in the raw session of the last run, without hooks (to
  name the step a failure came at)."""

  def __init__(self):
    self._session = self._global_step = None

  def begin(self):
    self._global_step = _v1.train.get_global_step()

  def before_run(self, run_context):
    self._session = run_context.session

  def read(self):
    """The global step, or None if it cannot be read."""
    if self._session is None or self._global_step is None:
      return None
    try:
      return int(self._session.run(self._global_step))
    except tf.errors.OpError:
      return None
