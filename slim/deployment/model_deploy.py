"""Deploy a slim model over several clones, replicas and parameter servers.

research/slim's `model_deploy`, on public TensorFlow. A `DeploymentConfig` says
where things go; `create_clones` calls a model function once per clone (each in
its own name scope and on its own device, sharing one set of variables placed
on the variables device); `optimize_clones` sums the clones' gradients;
`deploy` does both and returns a `DeployedModel` with a train op, a summary op
and the total loss. All of this builds a TF1 graph (collections, sessions).

    config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
    with tf.Graph().as_default():
      with tf.compat.v1.device(config.variables_device()):
        global_step = slim.create_global_step()
      with tf.compat.v1.device(config.inputs_device()):
        batches = make_input_queue()
      def model_fn(batches):
        images, labels = batches.dequeue()
        logits = network(images)
        tf.compat.v1.losses.softmax_cross_entropy(labels, logits)
      with tf.compat.v1.device(config.optimizer_device()):
        optimizer = tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)
      model = model_deploy.deploy(config, model_fn, [batches], optimizer=optimizer)
      slim.learning.train(model.train_op, logdir, summary_op=model.summary_op)

`model_fn` puts its losses in the `LOSSES` collection (every `tf.compat.v1.losses`
and `slim.losses` function does). Each clone's losses are divided by the number
of clones and the regularization losses are counted once (on the first clone),
so the summed gradient is that of the mean loss over all the clones' examples.
Only the first clone's `UPDATE_OPS` (e.g. batch-norm moving averages) run.

In TF2 (eager, `tf.function`), `distribution_strategy(config)` gives the
`tf.distribute` strategy that deploys the same way (see `deployment.distribution`).
"""
import collections

import tensorflow as tf

import slim
from slim import _checks
from slim.deployment.deployment_config import DeploymentConfig
from slim.deployment.distribution import distribution_strategy

__all__ = ['create_clones',
           'deploy',
           'distribution_strategy',
           'optimize_clones',
           'DeployedModel',
           'DeploymentConfig',
           'Clone']

_GraphKeys = tf.compat.v1.GraphKeys

# What one call of model_fn made: its return value, its name scope ('' for a
# single clone, 'clone_<i>/' otherwise) and its device.
Clone = collections.namedtuple('Clone', ['outputs', 'scope', 'device'])

# What deploy() returns; train_op is None without an optimizer, summary_op None
# without summaries, total_loss None when model_fn made no loss.
DeployedModel = collections.namedtuple('DeployedModel',
                                       ['train_op', 'summary_op', 'total_loss', 'clones'])

def _check_graph_mode(function):
  if tf.executing_eagerly():
    raise RuntimeError(
        '%s builds a TF1 graph: call it inside `with tf.Graph().as_default():`. In TF2 '
        '(eager, tf.function) use model_deploy.distribution_strategy(config).' % function)


def _check_deploy_args(function, config, model_fn, args, kwargs):
  if not isinstance(config, DeploymentConfig):
    raise TypeError('%s: config must be a DeploymentConfig, received %r' % (function, config))
  _checks.check_callable(function, 'model_fn', model_fn, allow_none=False)
  if args is not None and not isinstance(args, (list, tuple)):
    raise TypeError('%s: args must be a list or tuple of positional arguments for model_fn, '
                    'received %r' % (function, args))
  if kwargs is not None and not isinstance(kwargs, dict):
    raise TypeError('%s: kwargs must be a dict of keyword arguments for model_fn, '
                    'received %r' % (function, kwargs))
  _check_graph_mode(function)


def _check_optimizer(function, optimizer):
  if not (hasattr(optimizer, 'compute_gradients') and hasattr(optimizer, 'apply_gradients')):
    raise TypeError(
        '%s: optimizer must be a tf.compat.v1.train.Optimizer (with compute_gradients and '
        'apply_gradients), received %r. A Keras optimizer works with '
        'distribution_strategy(config) in TF2.' % (function, optimizer))


def create_clones(config, model_fn, args=None, kwargs=None):
  """Calls `model_fn(*args, **kwargs)` once per clone, as `config` says.

  Clone i is built in name scope `config.clone_scope(i)` on device
  `config.clone_device(i)`; clones after the first reuse the first one's
  variables. Every `slim.model_variable` and `slim.variable` goes on
  `config.variables_device()`. A clone's losses, summaries and update ops are
  those of its scope: `tf.compat.v1.get_collection(GraphKeys.LOSSES, clone.scope)`.

  Args:
    config: a `DeploymentConfig`.
    model_fn: the function building one clone of the model.
    args: positional arguments for `model_fn` (default None: none).
    kwargs: keyword arguments for `model_fn` (default None: none).

  Returns:
    A list of `Clone(outputs, scope, device)`, one per clone.

  Raises:
    TypeError: a bad `config`, `model_fn`, `args` or `kwargs`.
    RuntimeError: called eagerly (outside a TF1 graph).
  """
  _check_deploy_args('create_clones', config, model_fn, args, kwargs)
  args = args or []
  kwargs = kwargs or {}
  clones = []
  with slim.arg_scope([slim.model_variable, slim.variable], device=config.variables_device()):
    for i in range(config.num_clones):
      with tf.compat.v1.name_scope(config.clone_scope(i)) as clone_scope:
        clone_device = config.clone_device(i)
        with tf.compat.v1.device(clone_device):
          with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(),
                                           reuse=True if i > 0 else None):
            outputs = model_fn(*args, **kwargs)
        clones.append(Clone(outputs, clone_scope, clone_device))
  return clones


def _gather_clone_loss(clone, num_clones, regularization_losses):
  """The loss of one clone: its `LOSSES` (divided by `num_clones` when there are
  several) plus `regularization_losses`; None when both are empty. Adds scalar
  summaries 'clone_loss' and 'regularization_loss' (off the clone's device)."""
  sum_loss = None
  clone_loss = None
  regularization_loss = None
  with tf.compat.v1.device(clone.device):
    parts = []
    clone_losses = tf.compat.v1.get_collection(_GraphKeys.LOSSES, clone.scope)
    if clone_losses:
      clone_loss = tf.math.add_n(clone_losses, name='clone_loss')
      if num_clones > 1:
        clone_loss = tf.math.divide(clone_loss, 1.0 * num_clones, name='scaled_clone_loss')
      parts.append(clone_loss)
    if regularization_losses:
      regularization_loss = tf.math.add_n(regularization_losses, name='regularization_loss')
      parts.append(regularization_loss)
    if parts:
      sum_loss = tf.math.add_n(parts)
  if clone_loss is not None:
    tf.compat.v1.summary.scalar(clone.scope + '/clone_loss', clone_loss)
  if regularization_loss is not None:
    tf.compat.v1.summary.scalar('regularization_loss', regularization_loss)
  return sum_loss


def _optimize_clone(optimizer, clone, num_clones, regularization_losses, **kwargs):
  """(loss, gradients) of one clone; gradients are computed on the clone's device
  by `optimizer.compute_gradients(loss, **kwargs)`. Both are None without a loss."""
  sum_loss = _gather_clone_loss(clone, num_clones, regularization_losses)
  clone_grad = None
  if sum_loss is not None:
    with tf.compat.v1.device(clone.device):
      clone_grad = optimizer.compute_gradients(sum_loss, **kwargs)
  return sum_loss, clone_grad


def _in_clone_scopes(clones, regularization_losses):
  """Yields each clone, inside its name scope, with the regularization losses to
  add to its loss: all of them for the first clone, None for the others (so
  they are counted once)."""
  for clone in clones:
    with tf.compat.v1.name_scope(clone.scope):
      yield clone, regularization_losses
    regularization_losses = None


def optimize_clones(clones, optimizer, regularization_losses=None, **kwargs):
  """The total loss of the clones and their gradients summed per variable.

  Each clone's loss is its `LOSSES` divided by the number of clones; the
  regularization losses are added to the first clone's only.

  Args:
    clones: the `Clone`s made by `create_clones`.
    optimizer: a `tf.compat.v1.train.Optimizer` (its `compute_gradients` is used).
    regularization_losses: the regularization losses (default None: the
      `REGULARIZATION_LOSSES` collection; `[]` for none).
    **kwargs: passed to `optimizer.compute_gradients`.

  Returns:
    `(total_loss, grads_and_vars)`: the tensor 'total_loss' (sum of the clone
    losses) and a list of (gradient summed over clones, variable).

  Raises:
    TypeError: `optimizer` is not a TF1 optimizer.
    ValueError: no clone has a loss.
  """
  _check_optimizer('optimize_clones', optimizer)
  grads_and_vars = []
  clones_losses = []
  num_clones = len(clones)
  if regularization_losses is None:
    regularization_losses = tf.compat.v1.get_collection(_GraphKeys.REGULARIZATION_LOSSES)
  for clone, clone_regularization in _in_clone_scopes(clones, regularization_losses):
    clone_loss, clone_grad = _optimize_clone(optimizer, clone, num_clones,
                                             clone_regularization, **kwargs)
    if clone_loss is not None:
      clones_losses.append(clone_loss)
      grads_and_vars.append(clone_grad)
  if not clones_losses:
    raise ValueError('optimize_clones: the clones made no loss: model_fn must add its losses '
                     'to the LOSSES collection (e.g. with tf.compat.v1.losses or slim.losses), '
                     'or the graph must hold REGULARIZATION_LOSSES')
  total_loss = tf.math.add_n(clones_losses, name='total_loss')
  return total_loss, _sum_clones_gradients(grads_and_vars)


def _sum_clones_gradients(clone_grads):
  """Sums the gradients of each variable over the clones.

  Args:
    clone_grads: one list of (gradient, variable) per clone, all in the same
      variable order, gradients already scaled by 1 / num_clones.

  Returns:
    A list of (summed gradient, variable), leaving out variables no clone has a
    gradient for. A variable with one gradient keeps it as it is.
  """
  sum_grads = []
  for grads_and_var in zip(*clone_grads):
    var = grads_and_var[0][1]
    grads = []
    for grad, other_var in grads_and_var:
      if other_var is not var:
        raise ValueError('_sum_clones_gradients: the clones list their variables in different '
                         'orders (%s against %s)' % (var.op.name, other_var.op.name))
      if grad is not None:
        grads.append(grad)
    if grads:
      if len(grads) > 1:
        summed = tf.math.add_n(grads, name=var.op.name + '/sum_grads')
      else:
        summed = grads[0]
      sum_grads.append((summed, var))
  return sum_grads


def _add_gradients_summaries(grads_and_vars):
  """Histogram summaries '<var>:gradient' and '<var>:gradient_norm' per gradient
  (also put in the `SUMMARIES` collection); returns the list of them."""
  summaries = []
  for grad, var in grads_and_vars:
    if grad is None:
      tf.compat.v1.logging.info('Var %s has no gradient', var.op.name)
      continue
    values = grad.values if isinstance(grad, tf.IndexedSlices) else grad
    summaries.append(tf.compat.v1.summary.histogram(var.op.name + ':gradient', values))
    summaries.append(tf.compat.v1.summary.histogram(var.op.name + ':gradient_norm',
                                                    tf.linalg.global_norm([values])))
  return summaries


def _total_loss_without_optimizer(clones):
  clones_losses = []
  regularization_losses = tf.compat.v1.get_collection(_GraphKeys.REGULARIZATION_LOSSES)
  for clone, clone_regularization in _in_clone_scopes(clones, regularization_losses):
    clone_loss = _gather_clone_loss(clone, len(clones), clone_regularization)
    if clone_loss is not None:
      clones_losses.append(clone_loss)
  return tf.math.add_n(clones_losses, name='total_loss') if clones_losses else None


def deploy(config, model_fn, args=None, kwargs=None, optimizer=None,
           summarize_gradients=False):
  """Builds the clones of a model and, with an optimizer, the op that trains them.

  Clones are made by `create_clones`. With `optimizer`, the gradients of the
  clones are summed (`optimize_clones`), applied with the global step (created
  on the variables device if missing), and `train_op` returns the total loss
  after running the update and the first clone's `UPDATE_OPS`. Without one,
  only the total loss is built (e.g. for evaluation). The summary op merges the
  summaries that existed before, those of the first clone, the loss summaries
  and, with `summarize_gradients`, gradient histograms.

  Args:
    config: a `DeploymentConfig`.
    model_fn: the function building one clone; it adds its losses to `LOSSES`.
    args: positional arguments for `model_fn` (default None).
    kwargs: keyword arguments for `model_fn` (default None).
    optimizer: a `tf.compat.v1.train.Optimizer` (default None: no training).
    summarize_gradients: whether to add gradient histograms (default False).

  Returns:
    `DeployedModel(train_op, summary_op, total_loss, clones)`.

  Raises:
    TypeError: a bad `config`, `model_fn`, `args`, `kwargs` or `optimizer`.
    RuntimeError: called eagerly (outside a TF1 graph).
  """
  _check_deploy_args('deploy', config, model_fn, args, kwargs)
  if optimizer is not None:
    _check_optimizer('deploy', optimizer)
  summaries = set(tf.compat.v1.get_collection(_GraphKeys.SUMMARIES))
  clones = create_clones(config, model_fn, args, kwargs)
  first_clone = clones[0]
  update_ops = tf.compat.v1.get_collection(_GraphKeys.UPDATE_OPS, first_clone.scope)

  train_op = None
  total_loss = None
  with tf.compat.v1.device(config.optimizer_device()):
    if optimizer is not None:
      with tf.compat.v1.device(config.variables_device()):
        global_step = slim.get_or_create_global_step()
      total_loss, clones_gradients = optimize_clones(clones, optimizer)
      if clones_gradients:
        if summarize_gradients:
          summaries |= set(_add_gradients_summaries(clones_gradients))
        update_ops.append(optimizer.apply_gradients(clones_gradients,
                                                    global_step=global_step))
        with tf.control_dependencies([tf.group(*update_ops)]):
          train_op = tf.identity(total_loss, name='train_op')
    else:
      total_loss = _total_loss_without_optimizer(clones)

    summaries |= set(tf.compat.v1.get_collection(_GraphKeys.SUMMARIES, first_clone.scope))
    if total_loss is not None:
      summaries.add(tf.compat.v1.summary.scalar('total_loss', total_loss))
    summary_op = None
    if summaries:
      summary_op = tf.compat.v1.summary.merge(sorted(summaries, key=lambda s: s.name),
                                              name='summary_op')
  return DeployedModel(train_op, summary_op, total_loss, clones)
