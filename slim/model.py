"""`slim.Model`: run a slim network function eagerly or in `tf.function`.

    model = slim.Model(functools.partial(inception.inception_v3, num_classes=5))
    logits, end_points = model(images, is_training=True)   # creates variables
    logits, end_points = model(images, is_training=False)  # reuses them

The first call creates the variables, with exactly the names a graph-mode build
gives (`InceptionV3/Conv2d_1a_3x3/weights`); later calls reuse them. The model
is a `tf.Module`: `variables`, `trainable_variables`, `tf.train.Checkpoint`,
`tf.saved_model.save` and `tf.distribute` work on it. Batch-norm layers update
their moving statistics in training calls by themselves, `losses` returns the
regularization losses of the current values of the variables, and named
outputs (`outputs_collections`, end points) are collected during eager calls
as in graph mode.

Checkpoints in the TF-Slim (name-based) format, readable by graph-mode code and
`slim.assign_from_checkpoint_fn`, go through `variables_by_name`:

    saver = tf.compat.v1.train.Saver(model.variables_by_name)
    saver.save(None, '/tmp/model.ckpt')       # eager: no session
"""
import collections
import functools
import inspect
import re

import tensorflow as tf

from slim import _checks
from slim.layers import utils

__all__ = ['Model']


def _function_name(fn):
  name = getattr(fn, '__name__', None) or getattr(getattr(fn, 'func', None), '__name__',
                                                  type(fn).__name__)
  name = re.sub(r'\W', '_', name)
  return name if name and not name[0].isdigit() else 'model_' + name


def _initial_value(name, shape, dtype, initializer):
  """The initial value (or a function making it) that get_variable would use."""
  if initializer is None:
    if dtype.is_floating:
      initializer = tf.compat.v1.glorot_uniform_initializer()
    elif dtype.is_integer or dtype.is_unsigned or dtype.is_bool:
      initializer = tf.compat.v1.zeros_initializer()
    else:
      raise ValueError('An initializer for variable %s of %s is required' % (name, dtype))
  if isinstance(initializer, type):
    initializer = initializer()
  if not callable(initializer):
    return initializer
  if not shape.is_fully_defined():
    raise ValueError('Shape of a new variable (%s) must be fully defined, but instead '
                     'was %s.' % (name, shape))
  takes_partition_info = 'partition_info' in inspect.signature(initializer).parameters
  extra = {'partition_info': None} if takes_partition_info else {}
  return functools.partial(initializer, shape.as_list(), dtype=dtype, **extra)


def _create_variable(name, shape=None, dtype=None, initializer=None, trainable=None,
                     caching_device=None, validate_shape=True, constraint=None,
                     synchronization=tf.VariableSynchronization.AUTO,
                     aggregation=tf.VariableAggregation.NONE, **_):
  """Creates the variable `name` as tf.compat.v1.get_variable would, outside any
  variable store, so that two Models never share variables."""
  dtype = tf.as_dtype(dtype or tf.float32)
  initial_value = _initial_value(name, tf.TensorShape(shape), dtype, initializer)
  with tf.init_scope():
    # The trailing '/' makes the name absolute: the enclosing name scope is not
    # prepended, so the variable is named exactly as its variable scope says.
    return tf.Variable(initial_value, name=name + '/', dtype=dtype,
                       trainable=True if trainable is None else trainable,
                       caching_device=caching_device, validate_shape=validate_shape,
                       constraint=constraint, synchronization=synchronization,
                       aggregation=aggregation)


class _Bookkeeping(object):
  """Creation order and regularizers: a plain object, so tf.Module does not track it."""

  def __init__(self):
    self.order = []
    self.regularizers = []  # (variable name, regularizer)


class Model(tf.Module):
  """Wraps a function that builds a slim network so it can be called many times.

  Args:
    network_fn: a function building the network from its arguments, e.g.
      `functools.partial(slim.nets.vgg.vgg_16, num_classes=10)`.
    name: name of the module; defaults to the function's name.

  The variable names are relative to the variable scope active at the first
  call, as in graph mode; every later call must use the same variables.
  """

  def __init__(self, network_fn, name=None):
    _checks.check_callable('Model', 'network_fn', network_fn, allow_none=False)
    super(Model, self).__init__(name=name or _function_name(network_fn))
    self._network_fn = network_fn
    self._slim_variables = {}  # name without ':0' -> variable, tracked by tf.Module
    self._bookkeeping = _Bookkeeping()
    self._built = False

  @property
  def built(self):
    """Whether the first call has created the variables."""
    return self._built

  # slim networks are graph-building Python (control flow on static values), so
  # autograph has nothing to convert; converting every layer made tracing slow.
  @tf.autograph.experimental.do_not_convert
  def __call__(self, *args, **kwargs):
    """Calls the network function, creating its variables on the first call."""
    scope = tf.compat.v1.get_variable_scope()
    with tf.compat.v1.variable_scope(scope, custom_getter=self._get_variable,
                                     auxiliary_name_scope=False), \
         utils.eager_collections():
      outputs = self._network_fn(*args, **kwargs)
    self._built = True
    return outputs

  def _get_variable(self, getter, name, *args, **kwargs):
    """Custom getter: returns the variable of a former call, or creates it."""
    regularizer = kwargs.get('regularizer')
    existing = self._slim_variables.get(name)
    if existing is not None:
      shape = kwargs.get('shape')
      if shape is not None and not existing.shape.is_compatible_with(shape):
        raise ValueError(
            'Model %s: variable %s has shape %s, but this call asks for shape %s. A '
            'Model reuses the variables of its first call, so each call must build '
            'the same network.' % (self.name, name, existing.shape, tf.TensorShape(shape)))
      return existing
    if self._built:
      raise ValueError(
          'Model %s: this call creates the new variable %s, but the variables were '
          'created by the first call (%d of them). Each call must build the same '
          'network, in the same variable scope.' % (self.name, name,
                                                   len(self._bookkeeping.order)))
    if kwargs.get('partitioner') is not None:
      raise ValueError('Model %s: partitioned variables (%s) are not supported; remove '
                       'the partitioner.' % (self.name, name))
    if tf.compat.v1.executing_eagerly_outside_functions():
      variable = _create_variable(name, **kwargs)
    else:  # a TF1 graph: its variable store and collections, as graph-mode slim
      variable = getter(name, *args, **kwargs)
    self._slim_variables[name] = variable
    self._bookkeeping.order.append(name)
    if regularizer is not None:
      self._bookkeeping.regularizers.append((name, regularizer))
    return variable

  @property
  def variables(self):
    """The variables, in creation order (empty before the first call)."""
    return tuple(self._slim_variables[name] for name in self._bookkeeping.order)

  @property
  def trainable_variables(self):
    """The trainable variables, in creation order."""
    return tuple(v for v in self.variables if v.trainable)

  @property
  def non_trainable_variables(self):
    """The non-trainable variables (e.g. batch-norm moving statistics)."""
    return tuple(v for v in self.variables if not v.trainable)

  @property
  def variables_by_name(self):
    """OrderedDict from checkpoint name ('conv1/weights') to variable."""
    return collections.OrderedDict(
        (name, self._slim_variables[name]) for name in self._bookkeeping.order)

  @property
  def losses(self):
    """The regularization losses, computed from the current variable values."""
    losses = []
    for name, regularizer in self._bookkeeping.regularizers:
      loss = regularizer(self._slim_variables[name])
      if loss is not None:
        losses.append(loss)
    return losses
