"""What every layer does: check its arguments, open its scope, make its weights,
apply normalizer and activation, and record its output.

Checks run before any variable is made, and their errors name the layer, the
argument, the value received and what was expected.
"""
import contextlib
import weakref

import tensorflow as tf

from slim.layers import utils
from slim.ops import variables

DATA_FORMAT_NCHW = 'NCHW'
DATA_FORMAT_NHWC = 'NHWC'
DATA_FORMAT_NCDHW = 'NCDHW'
DATA_FORMAT_NDHWC = 'NDHWC'


def in_graph_mode():
  """True when building a TF1 graph (collections and UPDATE_OPS exist); False
  when executing eagerly or tracing a `tf.function` of an eager program."""
  return not tf.compat.v1.executing_eagerly_outside_functions()


def to_tensor(layer, inputs, argument='inputs'):
  try:
    return tf.convert_to_tensor(inputs)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: %s must be a tensor or convertible to one, received %r (%s)'
                    % (layer, argument, inputs, error)) from None


def check_rank(layer, inputs, ranks, argument='inputs'):
  """Returns the static rank of `inputs`, which must be one of `ranks`."""
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: %s must have a known rank, received a tensor of undefined '
                     'rank' % (layer, argument))
  if rank not in ranks:
    expected = ' or '.join(str(r) for r in ranks)
    raise ValueError('%s: %s must have rank %s, received rank %d (shape %s)'
                     % (layer, argument, expected, rank, inputs.get_shape()))
  return rank


def check_min_rank(layer, inputs, min_rank, argument='inputs'):
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: %s must have a known rank, received a tensor of undefined '
                     'rank' % (layer, argument))
  if rank < min_rank:
    raise ValueError('%s: %s must have rank >= %d, received rank %d (shape %s)'
                     % (layer, argument, min_rank, rank, inputs.get_shape()))
  return rank


def positive_ints(layer, argument, value, n):
  """`value` as a tuple of `n` positive ints (an int is repeated n times)."""
  try:
    return utils.n_positive_integers(n, value)
  except (TypeError, ValueError):
    raise ValueError('%s: %s must be %d positive int%s, received %r'
                     % (layer, argument, n, 's' if n > 1 else '', value)) from None


def check_padding(layer, padding):
  """'SAME' or 'VALID' (any case), returned in upper case."""
  if isinstance(padding, str) and padding.upper() in ('SAME', 'VALID'):
    return padding.upper()
  raise ValueError("%s: padding must be 'SAME' or 'VALID', received %r"
                   % (layer, padding))


def check_data_format(layer, data_format, allowed):
  """`data_format`, which must be one of `allowed` (tf_slim's order of words)."""
  if data_format not in allowed:
    raise ValueError('%s: data_format has to be either %s, received %r'
                     % (layer, ' or '.join(str(f) for f in allowed), data_format))
  return data_format


def channels_first(data_format):
  return bool(data_format) and data_format.startswith('NC')


def known_dimension(layer, inputs, axis, what='channel dimension'):
  """The static size of `inputs` along `axis`, which must be known."""
  value = tf.compat.dimension_value(inputs.get_shape()[axis])
  if value is None:
    raise ValueError('%s: the %s (axis %d) of inputs must be known, received shape %s'
                     % (layer, what, axis, inputs.get_shape()))
  return value




class _NamedRegularizer(object):
  """A regularizer whose graph-mode losses live in the name scope `scope`
  (made unique: `scope_1` for the second part of a partitioned variable).

  tf_slim builds conv, separable and fully connected layers from Keras layers,
  whose weights are 'kernel' and 'bias' until a custom getter renames them: their
  losses are named 'Conv/kernel/Regularizer/...'. `get_variable` calls a
  regularizer twice (to test for None, then lazily for the collection); in a
  graph the loss is made once and returned both times.
  """

  def __init__(self, regularizer, scope):
    self._regularizer = regularizer
    self._scope = scope
    self._losses = weakref.WeakKeyDictionary()  # graph -> {weights name: loss}

  def __call__(self, weights):
    if not in_graph_mode():
      return self._regularizer(weights)
    graph = tf.compat.v1.get_default_graph()
    losses = self._losses.setdefault(graph, {})
    if weights.name not in losses:
      with graph.name_scope(graph.unique_name(self._scope) + '/'):
        losses[weights.name] = self._regularizer(weights)
    return losses[weights.name]


def layer_variable(name, shape, dtype, initializer, regularizer, trainable,
                   variables_collections, collection_name=None, loss_name=None,
                   synchronization=tf.VariableSynchronization.AUTO,
                   aggregation=tf.VariableAggregation.NONE):
  """Creates (or reuses) a model variable of a layer in the current scope.

  `variables_collections` is a list for every variable of the layer or a dict
  keyed by `collection_name` (the variable's short name by default). The
  regularization loss is named after `loss_name` (e.g. 'kernel') if given, as
  tf_slim names the losses of its Keras-built layers, else after `name`.
  `synchronization` and `aggregation` say how `tf.distribute` keeps replicas.
  """
  collections = utils.get_variable_collections(variables_collections,
                                               collection_name or name)
  if regularizer is not None and loss_name is not None:
    scope = tf.compat.v1.get_default_graph().get_name_scope()
    regularizer = _NamedRegularizer(
        regularizer, '%s%s/Regularizer' % (scope + '/' if scope else '', loss_name))
  return variables.model_variable(name, shape=shape, dtype=dtype,
                                  initializer=initializer, regularizer=regularizer,
                                  trainable=trainable, collections=collections,
                                  synchronization=synchronization, aggregation=aggregation)


def is_partitioned(var):
  """Whether `var` is a PartitionedVariable (made under a scope's partitioner)."""
  return not isinstance(var, tf.Variable) and callable(getattr(var, 'as_tensor', None))


def as_tensor(var):
  """A plain or partitioned variable as one tensor."""
  return var.as_tensor() if is_partitioned(var) else var


def layer_scope(scope, default_name, inputs, reuse=None):
  """The variable scope of a layer with variables (`scope` or a unique default)."""
  return tf.compat.v1.variable_scope(scope, default_name, [inputs], reuse=reuse)


@contextlib.contextmanager
def op_scope(scope, default_name, inputs):
  """The name scope of a layer without variables; yields its name ('Pool/')."""
  with tf.compat.v1.name_scope(scope, default_name, [inputs]) as name:
    yield name


def finish(outputs, outputs_collections, alias, normalizer_fn=None,
           normalizer_params=None, activation_fn=None):
  """Applies normalizer and activation, and records the output under `alias`."""
  if normalizer_fn is not None:
    outputs = normalizer_fn(outputs, **(normalizer_params or {}))
  if activation_fn is not None:
    outputs = activation_fn(outputs)
  return utils.collect_named_outputs(outputs_collections, alias, outputs)
