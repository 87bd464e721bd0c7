"""`optimize_loss`: a training op from a loss, with learning-rate decay,
gradient noise, multipliers, clipping and summaries; `adaptive_clipping_fn`.

    train_op = slim.optimize_loss(loss, tf.compat.v1.train.get_or_create_global_step(),
                                  learning_rate=0.1, optimizer='Adam',
                                  clip_gradients=5.0)

Optimizers are `tf.compat.v1.train.Optimizer`s (compute_gradients and
apply_gradients). The training op is built in a TF1 graph, or inside a
`tf.function` (there pass `variables=` and a `tf.Variable` global step).
"""
import numbers

import tensorflow as tf

from slim.layers import _common

__all__ = ['OPTIMIZER_CLS_NAMES', 'OPTIMIZER_SUMMARIES', 'adaptive_clipping_fn',
           'optimize_loss']

_train = tf.compat.v1.train


def _momentum(learning_rate):
  return _train.MomentumOptimizer(learning_rate, momentum=0.9)


OPTIMIZER_CLS_NAMES = {
    'Adagrad': _train.AdagradOptimizer,
    'Adam': _train.AdamOptimizer,
    'Ftrl': _train.FtrlOptimizer,
    'Momentum': _momentum,
    'RMSProp': _train.RMSPropOptimizer,
    'SGD': _train.GradientDescentOptimizer,
}

OPTIMIZER_SUMMARIES = [
    'learning_rate',
    'loss',
    'gradients',
    'gradient_norm',
    'global_gradient_norm',
]


def _is_number(value):
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_optimizer_class(optimizer):
  return isinstance(optimizer, type) and issubclass(optimizer, _train.Optimizer)


def _check_loss(loss):
  if loss is None:
    raise ValueError('optimize_loss: loss must be a scalar tensor, received None')
  try:
    loss = tf.convert_to_tensor(loss)
  except (TypeError, ValueError) as error:
    raise ValueError('optimize_loss: loss must be a scalar tensor, received %r (%s)'
                     % (loss, error)) from None
  if loss.shape.rank != 0:
    raise ValueError('optimize_loss: loss must be a scalar tensor, received shape %s'
                     % loss.shape)
  return loss


def _check_global_step(global_step, increment_global_step):
  """The global step to use (maybe from the graph), checked."""
  if global_step is None:
    return _train.get_global_step()
  if increment_global_step and not isinstance(global_step, tf.Variable):
    raise AttributeError(
        'optimize_loss: global_step must be a variable, since it is incremented at each '
        'step, received %r; pass a variable or increment_global_step=False' % (global_step,))
  _train.assert_global_step(global_step)
  return global_step


def _check_learning_rate(learning_rate):
  if learning_rate is None or _is_number(learning_rate) and learning_rate >= 0.0:
    return
  if _is_number(learning_rate):
    raise ValueError('optimize_loss: Invalid learning_rate %s. It must be >= 0.'
                     % learning_rate)
  if not (isinstance(learning_rate, (tf.Tensor, tf.Variable)) and
          learning_rate.shape.rank == 0):
    raise ValueError('optimize_loss: Learning rate should be 0d Tensor or float. Got %s of '
                     'type %s' % (learning_rate, type(learning_rate)))


def _check_optimizer(optimizer, learning_rate):
  """Raises for an optimizer that cannot work (callables are checked when called)."""
  if isinstance(optimizer, str):
    if learning_rate is None:
      raise ValueError('optimize_loss: Learning rate is None, but should be specified if '
                       'optimizer is string (%s).' % optimizer)
    if optimizer not in OPTIMIZER_CLS_NAMES:
      raise ValueError('optimize_loss: Optimizer name should be one of [%s], you provided '
                       '%s.' % (', '.join(OPTIMIZER_CLS_NAMES), optimizer))
  elif _is_optimizer_class(optimizer):
    if learning_rate is None:
      raise ValueError('optimize_loss: Learning rate is None, but should be specified if '
                       'optimizer is class (%s).' % optimizer)
  elif not isinstance(optimizer, _train.Optimizer) and not callable(optimizer):
    raise ValueError('optimize_loss: Unrecognized optimizer: should be string, subclass of '
                     'tf.compat.v1.train.Optimizer, instance of such a subclass or function '
                     'with one argument. Got %s.' % (optimizer,))


def _check_arguments(summaries, clip_gradients, learning_rate, learning_rate_decay_fn,
                     global_step):
  for summary in summaries:
    if summary not in OPTIMIZER_SUMMARIES:
      raise ValueError('optimize_loss: Summaries should be one of [%s], you provided %s.'
                       % (', '.join(OPTIMIZER_SUMMARIES), summary))
  if clip_gradients is not None and not callable(clip_gradients):
    if not _is_number(clip_gradients):
      raise ValueError('optimize_loss: Unknown type %s for clip_gradients (%r); expected a '
                       'float or a function of grads_and_vars'
                       % (type(clip_gradients), clip_gradients))
    if clip_gradients <= 0:
      raise ValueError('optimize_loss: clip_gradients must be > 0, received %r'
                       % clip_gradients)
  if learning_rate is not None and learning_rate_decay_fn is not None and global_step is None:
    raise ValueError('optimize_loss: global_step is required for learning_rate_decay_fn. '
                     'Create one (tf.compat.v1.train.get_or_create_global_step()) or pass it.')


def _make_learning_rate(learning_rate):
  """The learning rate as a scalar tensor: a number becomes a non-trainable variable
  'learning_rate' in a TF1 graph, a constant eagerly and in tf.function."""
  if learning_rate is None or not _is_number(learning_rate):
    return learning_rate
  if _common.in_graph_mode():
    return tf.compat.v1.get_variable(
        'learning_rate', [], trainable=False,
        initializer=tf.compat.v1.constant_initializer(learning_rate))
  return tf.constant(learning_rate, tf.float32, name='learning_rate')


def _make_optimizer(optimizer, lr):
  if isinstance(optimizer, str):
    return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
  if _is_optimizer_class(optimizer):
    return optimizer(learning_rate=lr)
  if isinstance(optimizer, _train.Optimizer):
    return optimizer
  opt = optimizer(lr) if lr is not None else optimizer()
  if not isinstance(opt, _train.Optimizer):
    raise ValueError('optimize_loss: Unrecognized optimizer: function should return subclass '
                     'of Optimizer (tf.compat.v1.train.Optimizer). Got %s.' % (opt,))
  return opt


def _summary(kind, name, value):
  """A TF1 summary (tf.compat.v1.summary.scalar or .histogram) into SUMMARIES. In
  tf.function only while a default `tf.summary` writer is set (it writes there)."""
  if not _common.in_graph_mode():
    recording = tf.get_static_value(tf.summary.should_record_summaries())
    if recording is not None and not recording:
      return
  getattr(tf.compat.v1.summary, kind)(name, value)


def _global_norm(gradients):
  return tf.linalg.global_norm([grad for grad, _ in gradients])


def _add_scaled_noise_to_gradients(grads_and_vars, gradient_noise_scale):
  """Adds zero-mean truncated normal noise times `gradient_noise_scale` to each gradient."""
  noisy = []
  for gradient, variable in grads_and_vars:
    if gradient is not None:
      if isinstance(gradient, tf.IndexedSlices):
        shape = gradient.dense_shape
        gradient = tf.convert_to_tensor(gradient)
      else:
        shape = gradient.shape if gradient.shape.is_fully_defined() else tf.shape(gradient)
      gradient = gradient + tf.random.truncated_normal(shape) * gradient_noise_scale
    noisy.append((gradient, variable))
  return noisy


def _multiplier(variable, gradient_multipliers):
  """The multiplier of `variable`: keyed by the variable, its ref() or its name."""
  for key, value in gradient_multipliers.items():
    if isinstance(key, str):
      if key == variable.name:
        return value
    elif key is variable or (hasattr(key, 'deref') and key.deref() is variable):
      return value
  return None


def _scale(gradient, factor):
  if isinstance(gradient, tf.IndexedSlices):
    return tf.IndexedSlices(gradient.values * tf.cast(factor, gradient.values.dtype),
                            gradient.indices, gradient.dense_shape)
  return gradient * tf.cast(factor, gradient.dtype)


def _multiply_gradients(grads_and_vars, gradient_multipliers):
  multiplied = []
  for gradient, variable in grads_and_vars:
    multiplier = None if gradient is None else _multiplier(variable, gradient_multipliers)
    if multiplier is not None:
      gradient = _scale(gradient, multiplier)
    multiplied.append((gradient, variable))
  return multiplied


def _clip_gradients_by_norm(grads_and_vars, clip_norm):
  gradients, variables = zip(*grads_and_vars)
  clipped, _ = tf.clip_by_global_norm(gradients, clip_norm)
  return list(zip(clipped, variables))


def _gradient_summaries(gradients, summaries):
  for gradient, variable in gradients:
    values = gradient.values if isinstance(gradient, tf.IndexedSlices) else gradient
    if values is None:
      continue
    var_name = variable.name.replace(':', '_')
    if 'gradients' in summaries:
      _summary('histogram', 'gradients/%s' % var_name, values)
    if 'gradient_norm' in summaries:
      _summary('scalar', 'gradient_norm/%s' % var_name, tf.linalg.global_norm([values]))


def _after(dependencies, tensor):
  """`tensor` (an identity named 'control_dependency') computed after `dependencies`."""
  with tf.control_dependencies(dependencies):
    return tf.identity(tensor, name='control_dependency')


def optimize_loss(loss,
                  global_step,
                  learning_rate,
                  optimizer,
                  gradient_noise_scale=None,
                  gradient_multipliers=None,
                  clip_gradients=None,
                  learning_rate_decay_fn=None,
                  update_ops=None,
                  variables=None,
                  name=None,
                  summaries=None,
                  colocate_gradients_with_ops=False,
                  increment_global_step=True):
  """Builds the training op of `loss`: the loss, computed after one update step.

  Creates, in variable scope `name` (default 'OptimizeLoss'), a non-trainable
  variable 'learning_rate' when `learning_rate` is a number (TF1 graph), and
  the optimizer's slots.

  Args:
    loss: a scalar tensor.
    global_step: a scalar int variable, incremented at each step unless
      `increment_global_step` is False; None: the graph's global step, if any.
    learning_rate: a float, a scalar tensor, or None (for an optimizer function
      taking no argument).
    optimizer: a name from `OPTIMIZER_CLS_NAMES` ('SGD', 'Adam', ...), a
      subclass of `tf.compat.v1.train.Optimizer` (built with the learning
      rate), an instance of one, or a function of the learning rate (or of
      nothing when `learning_rate` is None) returning one.
    gradient_noise_scale: adds truncated normal noise of this scale (default None).
    gradient_multipliers: dict from variables (or their names or `ref()`) to
      factors applied to their gradients.
    clip_gradients: a float (clip by global norm) or a function of the list of
      (gradient, variable) pairs, e.g. `adaptive_clipping_fn()`.
    learning_rate_decay_fn: `fn(learning_rate, global_step)` returning the
      decayed rate, e.g. `functools.partial(tf.compat.v1.train.exponential_decay,
      decay_steps=1000, decay_rate=0.9)`; needs a global step.
    update_ops: operations to run before each step; default the UPDATE_OPS
      collection.
    variables: the variables to train; default the trainable variables.
    name: the variable scope (default 'OptimizeLoss').
    summaries: what to summarize, from `OPTIMIZER_SUMMARIES`; default
      ['loss', 'learning_rate', 'global_gradient_norm'].
    colocate_gradients_with_ops: passed to `compute_gradients`.
    increment_global_step: whether the step increments `global_step`.

  Returns:
    The loss tensor, computed after the gradients are applied.

  Raises:
    ValueError: a bad loss, learning rate, optimizer, summary name or
      clip_gradients; a decay function without global step; no variables.
    TypeError: `global_step` is not a scalar integer.
    AttributeError: `global_step` is a tensor but must be incremented.
    RuntimeError: called eagerly outside `tf.function`.
  """
  if tf.executing_eagerly():
    raise RuntimeError('optimize_loss builds a training op: call it in a TF1 graph or inside '
                       'a tf.function, not eagerly')
  loss = _check_loss(loss)
  global_step = _check_global_step(global_step, increment_global_step)
  _check_learning_rate(learning_rate)
  _check_optimizer(optimizer, learning_rate)
  summaries = (['loss', 'learning_rate', 'global_gradient_norm'] if summaries is None
               else list(summaries))
  _check_arguments(summaries, clip_gradients, learning_rate, learning_rate_decay_fn,
                   global_step)

  with tf.compat.v1.variable_scope(name, 'OptimizeLoss', [loss, global_step]):
    if update_ops is None:
      update_ops = set(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
    if update_ops:
      loss = _after(list(update_ops), loss)

    lr = _make_learning_rate(learning_rate)
    if lr is not None and learning_rate_decay_fn is not None:
      lr = learning_rate_decay_fn(lr, global_step)
    opt = _make_optimizer(optimizer, lr)

    if variables is None:
      variables = tf.compat.v1.trainable_variables()
    if not variables:
      raise ValueError('optimize_loss: there are no variables to optimize (no trainable '
                       'variables in the graph); inside tf.function pass them with '
                       'variables=...')
    gradients = opt.compute_gradients(loss, variables,
                                      colocate_gradients_with_ops=colocate_gradients_with_ops)
    if gradient_noise_scale is not None:
      gradients = _add_scaled_noise_to_gradients(gradients, gradient_noise_scale)
    if gradient_multipliers is not None:
      gradients = _multiply_gradients(gradients, gradient_multipliers)
      if not gradients:
        raise ValueError('optimize_loss: Empty list of (gradient, var) pairs encountered. '
                         'This is most likely to be caused by an improper value of '
                         'gradient_multipliers.')

    norm_summaries = 'global_gradient_norm' in summaries or 'gradient_norm' in summaries
    if norm_summaries:
      _summary('scalar', 'global_norm/gradient_norm', _global_norm(gradients))
    if callable(clip_gradients):
      gradients = clip_gradients(gradients)
    elif clip_gradients is not None:
      gradients = _clip_gradients_by_norm(gradients, clip_gradients)

    if 'loss' in summaries:
      _summary('scalar', 'loss', loss)
    if lr is not None and 'learning_rate' in summaries:
      _summary('scalar', 'learning_rate', lr)
    _gradient_summaries(gradients, summaries)
    if clip_gradients is not None and norm_summaries:
      _summary('scalar', 'global_norm/clipped_gradient_norm', _global_norm(gradients))

    grad_updates = opt.apply_gradients(
        gradients, global_step=global_step if increment_global_step else None, name='train')
    return _after([grad_updates], loss)


def _moving_average(name, value, decay, state):
  """Updates the moving average `name` (zero-initialized) with `value`; returns it.

  In a TF1 graph the average is a variable of the current variable scope; eagerly
  and in tf.function it is created once and kept in `state`.
  """
  if _common.in_graph_mode():
    average = tf.compat.v1.get_variable(name, shape=value.shape, dtype=value.dtype,
                                        initializer=tf.compat.v1.zeros_initializer(),
                                        trainable=False)
  else:
    if name not in state:
      with tf.init_scope():
        state[name] = tf.Variable(tf.zeros(value.shape, value.dtype), trainable=False,
                                  name='AdaptiveMaxNorm/' + name)
    average = state[name]
  with tf.name_scope('AssignMovingAvg'):
    return average.assign_sub((average - value) * tf.cast(1.0 - decay, value.dtype))


def adaptive_clipping_fn(std_factor=2.,
                         decay=0.95,
                         static_max_norm=None,
                         global_step=None,
                         report_summary=False,
                         epsilon=1e-8,
                         name=None):
  """A gradient-clipping function adapting its threshold to the gradient norms.

  Keeps moving averages of the mean and the square of log(global norm) (in
  variables 'mean' and 'sq_mean' of scope `name`, default 'AdaptiveMaxNorm').
  When the norm exceeds `exp(mean + std_factor * std)`, the gradients are
  rescaled to the norm `exp(mean)` (section 3.2.1 of arXiv:1412.1602).

  Args:
    std_factor: the threshold in standard deviations (default 2).
    decay: decay of the moving averages (default 0.95).
    static_max_norm: if given, also clip the norm to this value.
    global_step: if given, the decay is `min(decay, n / (n + 1))` at step n,
      for faster adaptation at the start.
    report_summary: add the scalar summary
      'global_norm/adaptive_max_gradient_norm'.
    epsilon: keeps the log and the variance away from 0 (default 1e-8).
    name: the variable scope (default 'AdaptiveMaxNorm').

  Returns:
    A function from a list of (gradient, variable) pairs to the clipped list,
    for `optimize_loss(clip_gradients=...)`.
  """
  state = {}

  def gradient_clipping(grads_and_vars):
    grads, variables = zip(*grads_and_vars)
    norm = tf.linalg.global_norm(grads)
    with tf.compat.v1.variable_scope(name, 'AdaptiveMaxNorm', [norm]):
      log_norm = tf.math.log(norm + epsilon)
      step_decay = decay
      if global_step is not None:
        steps = tf.cast(global_step, tf.float32)
        step_decay = tf.minimum(decay, steps / (steps + 1.0))
      mean = _moving_average('mean', log_norm, step_decay, state)
      sq_mean = _moving_average('sq_mean', tf.square(log_norm), step_decay, state)
      std = tf.sqrt(tf.maximum(epsilon, sq_mean - tf.square(mean)))
      max_norm = tf.exp(mean + std_factor * std)
    if report_summary:
      _summary('scalar', 'global_norm/adaptive_max_gradient_norm', max_norm)
    factor = tf.where(norm < max_norm, tf.ones_like(norm), tf.exp(mean) / norm)
    if static_max_norm is not None:
      factor = tf.minimum(static_max_norm / norm, factor)
    clipped = [None if grad is None else _scale(grad, factor) for grad in grads]
    return list(zip(clipped, variables))

  return gradient_clipping
