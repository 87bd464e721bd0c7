"""Variables: creation with arg_scope-able defaults, lookup by scope and name,
assignment from values or checkpoints, and device choice for parameter servers.

Variables are created through `tf.compat.v1.get_variable`, so variable scopes,
`reuse`, partitioners and custom getters behave as in TF-Slim. In graph mode
the usual collections (`GLOBAL_VARIABLES`, `MODEL_VARIABLES`, ...) are kept;
in eager mode collections do not exist, and `slim.Model` tracks variables.
"""
import re

import numpy as np
import tensorflow as tf

from slim.ops.arg_scope import add_arg_scope

__all__ = ['add_model_variable',
           'assert_global_step',
           'assert_or_get_global_step',
           'assign_from_checkpoint',
           'assign_from_checkpoint_fn',
           'assign_from_values',
           'assign_from_values_fn',
           'create_global_step',
           'filter_variables',
           'get_global_step',
           'get_or_create_global_step',
           'get_local_variables',
           'get_model_variables',
           'get_trainable_variables',
           'get_unique_variable',
           'get_variables_by_name',
           'get_variables_by_suffix',
           'get_variable_full_name',
           'get_variables_to_restore',
           'get_variables',
           'global_variable',
           'local_variable',
           'model_variable',
           'variable',
           'VariableDeviceChooser']

_GraphKeys = tf.compat.v1.GraphKeys


def assert_global_step(global_step_tensor):
  """Raises if `global_step_tensor` is not a scalar integer variable or tensor."""
  tf.compat.v1.train.assert_global_step(global_step_tensor)


def assert_or_get_global_step(graph=None, global_step_tensor=None):
  """Checks `global_step_tensor` if given, else returns the graph's global step."""
  if global_step_tensor is None:
    return get_global_step(graph)
  assert_global_step(global_step_tensor)
  return global_step_tensor


def get_global_step(graph=None):
  """Returns the global step of `graph` (default graph if None), or None."""
  return tf.compat.v1.train.get_global_step(graph)


def create_global_step(graph=None):
  """Creates the global step of `graph`; raises ValueError if it already exists."""
  return tf.compat.v1.train.create_global_step(graph)


def get_or_create_global_step(graph=None):
  """Returns the global step of `graph`, creating it first if needed."""
  return tf.compat.v1.train.get_or_create_global_step(graph)


def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
  """Creates a non-trainable variable in the `LOCAL_VARIABLES` collection."""
  return tf.compat.v1.Variable(initial_value, trainable=False,
                               collections=[_GraphKeys.LOCAL_VARIABLES],
                               validate_shape=validate_shape, name=name,
                               use_resource=use_resource)


def global_variable(initial_value, validate_shape=True, name=None, use_resource=None):
  """Creates a non-trainable variable in the `GLOBAL_VARIABLES` collection."""
  return tf.compat.v1.Variable(initial_value, trainable=False,
                               collections=[_GraphKeys.GLOBAL_VARIABLES],
                               validate_shape=validate_shape, name=name,
                               use_resource=use_resource)


@add_arg_scope
def variable(name,
             shape=None,
             dtype=None,
             initializer=None,
             regularizer=None,
             trainable=True,
             collections=None,
             caching_device=None,
             device=None,
             partitioner=None,
             custom_getter=None,
             use_resource=None,
             synchronization=tf.VariableSynchronization.AUTO,
             aggregation=tf.VariableAggregation.NONE):
  """Gets an existing variable with these parameters or creates a new one.

  Arguments are those of `tf.compat.v1.get_variable`, plus `device` (a device
  string or function placing the variable) and `custom_getter` (called as
  `custom_getter(getter, name, ..., reuse=current reuse)`). `collections`
  defaults to `[GLOBAL_VARIABLES]`.

  Returns:
    The created or existing variable.
  """
  collections = list(set(collections if collections is not None
                         else [_GraphKeys.GLOBAL_VARIABLES]))
  getter = tf.compat.v1.get_variable
  if custom_getter is not None:
    reuse = tf.compat.v1.get_variable_scope().reuse

    def getter(*args, **kwargs):  # pylint: disable=function-redefined
      return custom_getter(tf.compat.v1.get_variable, *args, reuse=reuse, **kwargs)

  with tf.compat.v1.device(device or ''):
    return getter(name, shape=shape, dtype=dtype, initializer=initializer,
                  regularizer=regularizer, trainable=trainable,
                  collections=collections, caching_device=caching_device,
                  partitioner=partitioner, use_resource=use_resource,
                  synchronization=synchronization, aggregation=aggregation)


@add_arg_scope
def model_variable(name,
                   shape=None,
                   dtype=tf.float32,
                   initializer=None,
                   regularizer=None,
                   trainable=True,
                   collections=None,
                   caching_device=None,
                   device=None,
                   partitioner=None,
                   custom_getter=None,
                   use_resource=None,
                   synchronization=tf.VariableSynchronization.AUTO,
                   aggregation=tf.VariableAggregation.NONE):
  """Like `variable`, and also adds the variable to `MODEL_VARIABLES`.

  Layers create their weights through this function, so
  `arg_scope([slim.model_variable], device=...)` places every layer variable.

  Returns:
    The created or existing variable.
  """
  collections = list(collections or []) + [_GraphKeys.GLOBAL_VARIABLES,
                                           _GraphKeys.MODEL_VARIABLES]
  return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                  regularizer=regularizer, trainable=trainable,
                  collections=collections, caching_device=caching_device,
                  device=device, partitioner=partitioner,
                  custom_getter=custom_getter, use_resource=use_resource,
                  synchronization=synchronization, aggregation=aggregation)


def add_model_variable(var):
  """Adds `var` to the `MODEL_VARIABLES` collection (once)."""
  if var not in tf.compat.v1.get_collection(_GraphKeys.MODEL_VARIABLES):
    tf.compat.v1.add_to_collection(_GraphKeys.MODEL_VARIABLES, var)


def get_variables(scope=None, suffix=None, collection=_GraphKeys.GLOBAL_VARIABLES):
  """Returns the variables of `collection` whose name matches scope and suffix.

  Args:
    scope: a name prefix (a regular expression matched at the start of the
      name) or a `VariableScope`.
    suffix: a regular expression the end of the name must match; the `:0`
      output index is allowed after it.
    collection: the collection to search.
  """
  if isinstance(scope, tf.compat.v1.VariableScope):
    scope = scope.name
  if suffix is not None:
    if ':' not in suffix:
      suffix += ':'
    scope = (scope or '') + '.*' + suffix
  return tf.compat.v1.get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
  """Returns the `MODEL_VARIABLES` matching scope and suffix."""
  return get_variables(scope, suffix, _GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None):
  """Returns the `LOCAL_VARIABLES` matching scope and suffix."""
  return get_variables(scope, suffix, _GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
  """Returns the `TRAINABLE_VARIABLES` matching scope and suffix."""
  return get_variables(scope, suffix, _GraphKeys.TRAINABLE_VARIABLES)


def _scope_list(argument, value):
  if not isinstance(value, (list, tuple)):
    raise TypeError('get_variables_to_restore: %s must be a list or tuple of scope '
                    'names, received %r.' % (argument, value))
  return value


def get_variables_to_restore(include=None, exclude=None):
  """Returns the global variables under the `include` scopes and not under `exclude`.

  Args:
    include: list or tuple of scope names; None includes every variable.
    exclude: list or tuple of scope names to leave out; None excludes none.

  Raises:
    TypeError: `include` or `exclude` is given but is not a list or tuple.
  """
  if include is None:
    included = get_variables()
  else:
    included = [v for scope in _scope_list('include', include)
                for v in get_variables(scope)]
  excluded = set()
  if exclude is not None:
    for scope in _scope_list('exclude', exclude):
      excluded.update(get_variables(scope))
  return [v for v in included if v not in excluded]


def get_variables_by_suffix(suffix, scope=None):
  """Returns the global variables whose name ends with `suffix`."""
  return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None):
  """Returns the global variables whose last name component is `given_name`."""
  suffix = '/' + given_name + ':|^' + given_name + ':'
  return get_variables(scope=scope, suffix=suffix)


def _op_name(var):
  """The variable's name without the output index: 'conv1/weights'."""
  return var.name.rsplit(':', 1)[0]


def get_unique_variable(var_op_name):
  """Returns the global variable named exactly `var_op_name`.

  Raises:
    ValueError: no variable, or no variable with exactly that name, exists.
  """
  candidates = get_variables(scope=var_op_name)
  if not candidates:
    raise ValueError("Couldn't find variable %s" % var_op_name)
  for candidate in candidates:
    if _op_name(candidate) == var_op_name:
      return candidate
  raise ValueError('Variable %s does not uniquely identify a variable' % var_op_name)


def _find_global_variable(var_name):
  matches = tf.compat.v1.get_collection(_GraphKeys.GLOBAL_VARIABLES, var_name)
  if len(matches) == 1:
    return matches[0]
  for var in matches:
    if _op_name(var) == var_name:
      return var
  if not matches:
    raise ValueError('Variable %s wasn\'t found' % var_name)
  raise ValueError("Variable %s doesn't uniquely identify a variable" % var_name)


def assign_from_values(var_names_to_values):
  """Returns `(assign_op, feed_dict)` assigning the given values by variable name.

  The values are fed through placeholders, so they are not stored in the graph.

  Args:
    var_names_to_values: dict from variable name to a numpy value.

  Raises:
    ValueError: a name matches no variable, or more than one.
  """
  feed_dict = {}
  assign_ops = []
  for var_name, value in var_names_to_values.items():
    var = _find_global_variable(var_name)
    placeholder = tf.compat.v1.placeholder(var.dtype.base_dtype, var.get_shape(),
                                           name='placeholder/' + _op_name(var))
    assign_ops.append(var.assign(placeholder))
    feed_dict[placeholder] = np.asarray(value).reshape(var.get_shape())
  return tf.group(*assign_ops), feed_dict


def assign_from_values_fn(var_names_to_values):
  """Returns `fn(session)` that assigns the given values by variable name."""
  assign_op, feed_dict = assign_from_values(var_names_to_values)

  def callback(session):
    return session.run(assign_op, feed_dict)

  return callback


def get_variable_full_name(var):
  """The name a (possibly partitioned) variable has in a checkpoint."""
  # pylint: disable=protected-access
  slice_info = getattr(var, '_save_slice_info', None)
  return slice_info.full_name if slice_info else _op_name(var)


def _group_by_checkpoint_name(var_list):
  if isinstance(var_list, (list, tuple)):
    grouped = {}
    for var in var_list:
      grouped.setdefault(get_variable_full_name(var), []).append(var)
    return grouped
  return {name: list(value) if isinstance(value, (list, tuple)) else [value]
          for name, value in var_list.items()}


def _checkpoint_value_for(var, ckpt_name, ckpt_value):
  # pylint: disable=protected-access
  slice_info = getattr(var, '_save_slice_info', None)
  if slice_info:
    index = tuple(slice(start, start + size)
                  for start, size in zip(slice_info.var_offset, slice_info.var_shape))
    return ckpt_value[index].reshape(slice_info.var_shape)
  if var.get_shape() != ckpt_value.shape:
    raise ValueError(
        'Total size of new array must be unchanged for %s lh_shape: [%s], '
        'rh_shape: [%s]' % (ckpt_name, ckpt_value.shape, var.get_shape()))
  return ckpt_value


def _checkpoint_reader(model_path):
  """A reader of the checkpoint `model_path`: a file prefix, or a directory
  holding checkpoints (its latest one is read)."""
  if tf.io.gfile.isdir(model_path):
    model_path = tf.train.latest_checkpoint(model_path) or model_path
  return tf.compat.v1.train.NewCheckpointReader(model_path)


def assign_from_checkpoint(model_path, var_list, ignore_missing_vars=False):
  """Returns `(assign_op, feed_dict)` restoring `var_list` from a checkpoint.

  Args:
    model_path: a checkpoint file prefix.
    var_list: a list of variables (partitioned ones by part), or a dict from
      checkpoint name to a variable or list of variables.
    ignore_missing_vars: if True, variables missing from the checkpoint are
      skipped with a warning instead of raising.

  Raises:
    ValueError: a variable is missing (and not ignored) or its shape differs.
  """
  reader = _checkpoint_reader(model_path)
  feed_dict = {}
  assign_ops = []
  for ckpt_name, variables in _group_by_checkpoint_name(var_list).items():
    if not reader.has_tensor(ckpt_name):
      message = 'Checkpoint is missing variable [%s]' % ckpt_name
      if ignore_missing_vars:
        tf.compat.v1.logging.warning(message)
        continue
      raise ValueError(message)
    ckpt_value = reader.get_tensor(ckpt_name)
    for var in variables:
      placeholder = tf.compat.v1.placeholder(var.dtype.base_dtype, var.get_shape(),
                                             name='placeholder/' + _op_name(var))
      assign_ops.append(var.assign(placeholder))
      feed_dict[placeholder] = _checkpoint_value_for(var, ckpt_name, ckpt_value)
  return tf.group(*assign_ops), feed_dict


def assign_from_checkpoint_fn(model_path, var_list, ignore_missing_vars=False,
                              reshape_variables=False):
  """Returns `fn(session)` restoring `var_list` from `model_path` with a Saver.

  Args:
    model_path: a checkpoint file prefix.
    var_list: a list of variables or a dict from checkpoint name to variable.
    ignore_missing_vars: if True, variables absent from the checkpoint are
      skipped with a warning; if none is left, returns None.
    reshape_variables: restore values whose shape differs but whose number of
      elements matches, reshaping them.

  Raises:
    ValueError: `var_list` is empty.
    tf.errors.InvalidArgumentError (from the function returned): a variable
      whose shape or dtype differs from the checkpoint's, unless
      `reshape_variables`.
  """
  if not var_list:
    raise ValueError('assign_from_checkpoint_fn: var_list cannot be empty.')
  if ignore_missing_vars:
    reader = _checkpoint_reader(model_path)
    if not isinstance(var_list, dict):
      var_list = {get_variable_full_name(var): var for var in var_list}
    available = {}
    for name, var in var_list.items():
      if reader.has_tensor(name):
        available[name] = var
      else:
        tf.compat.v1.logging.warning('Variable %s missing in checkpoint %s',
                                     name, model_path)
    var_list = available
  if not var_list:
    tf.compat.v1.logging.warning('No Variables to restore')
    return None
  saver = tf.compat.v1.train.Saver(var_list, reshape=reshape_variables)
  if not isinstance(var_list, dict):
    var_list = {get_variable_full_name(var): var for var in var_list}

  def callback(session):
    if not reshape_variables:  # the restore would silently keep the checkpoint's shape
      from slim.training import checkpoints  # pylint: disable=import-outside-toplevel
      try:
        checkpoints.check_restorable('assign_from_checkpoint_fn', model_path, var_list,
                                     require_all=False,
                                     advice='Pass reshape_variables=True to reshape values '
                                     'of as many elements.')
      except ValueError as error:
        raise tf.errors.InvalidArgumentError(None, None, str(error)) from None
    saver.restore(session, model_path)

  return callback


class VariableDeviceChooser(object):
  """Device function for variables: round robin over parameter-server tasks.

  `VariableDeviceChooser(2)` places variables on `/job:ps/task:0`,
  `/job:ps/task:1`, `/job:ps/task:0`, ... With `num_tasks=0` it places them on
  the given local device (`device_type`, `device_index`).
  """

  def __init__(self, num_tasks=0, job_name='ps', device_type='CPU', device_index=0,
               replica=None):
    self._job_name = job_name
    self._device_type = device_type
    self._device_index = device_index
    self._replica = replica
    self._num_tasks = num_tasks
    self._next_task_id = 0

  def __call__(self, op):
    job = task = None
    if self._num_tasks > 0:
      job, task = self._job_name, self._next_task_id
      self._next_task_id = (self._next_task_id + 1) % self._num_tasks
    return tf.compat.v1.DeviceSpec(job=job, replica=self._replica, task=task,
                                   device_type=self._device_type,
                                   device_index=self._device_index).to_string()


def filter_variables(var_list, include_patterns=None, exclude_patterns=None,
                     reg_search=True):
  """Keeps the variables whose name matches an include pattern and no exclude one.

  Args:
    var_list: the variables to filter.
    include_patterns: regular expressions; None keeps every variable.
    exclude_patterns: regular expressions; None drops none.
    reg_search: if True a pattern may match anywhere in the name (`re.search`),
      else only at its start (`re.match`).
  """
  matches = re.search if reg_search else re.match

  def any_match(patterns, var):
    return any(matches(pattern, _op_name(var)) for pattern in patterns)

  kept = [v for v in var_list if include_patterns is None or any_match(include_patterns, v)]
  if exclude_patterns is None:
    return kept
  return [v for v in kept if not any_match(exclude_patterns, v)]
