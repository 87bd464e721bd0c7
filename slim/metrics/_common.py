"""What every streaming metric shares: its local variables, its argument checks,
weights broadcasting, and the collections its value and update op go to.

A metric is a pair `(value, update_op)` over local variables: the update op
accumulates a batch, the value reads the accumulated state. In a TF1 graph the
variables are in the LOCAL_VARIABLES and METRIC_VARIABLES collections. In TF2
the variables belong to a `slim.metrics.StreamingMetric`, which creates them on
its first trace and reuses them after.
"""
import functools

import tensorflow as tf

# The small quantity tf_slim adds to denominators and thresholds.
EPSILON = 1e-7

_METRIC_COLLECTIONS = (tf.compat.v1.GraphKeys.LOCAL_VARIABLES,
                       tf.compat.v1.GraphKeys.METRIC_VARIABLES)


_GUIDANCE = 'Let slim.metrics.StreamingMetric own the variables'


def graph_metric(fn):
  """Marks `fn` as a metric that builds graph ops and local variables.

  Called eagerly it raises RuntimeError (as tf.compat.v1.metrics do); called in
  a bare `tf.function`, the error TensorFlow raises on the trace that creates
  the variables again is given the way out: `slim.metrics.StreamingMetric`.
  """
  name = fn.__name__

  @functools.wraps(fn)
  def metric(*args, **kwargs):
    if tf.executing_eagerly():
      raise RuntimeError(
          'slim.metrics.%s is not supported when eager execution is enabled: it builds '
          'graph ops and local variables. In TF2 run it through '
          'slim.metrics.StreamingMetric(slim.metrics.%s, ...), or call it while building '
          'a tf.compat.v1 Graph.' % (name, name))
    try:
      return fn(*args, **kwargs)
    except ValueError as error:
      if 'singleton tf.Variables' not in str(error) or _GUIDANCE in str(error):
        raise
      raise ValueError(
          'slim.metrics.%s creates local variables, and a tf.function traces its body '
          'more than once. %s: metric = slim.metrics.StreamingMetric(slim.metrics.%s, ...); '
          'metric.update_state(...); metric.result(). (%s)'
          % (name, _GUIDANCE, name, error)) from None

  return metric


def metric_variable(shape, dtype, validate_shape=True, name=None):
  """A local variable of zeros in LOCAL_VARIABLES and METRIC_VARIABLES, summed
  across replicas when read (the variable every metric accumulates in)."""
  return tf.compat.v1.Variable(
      lambda: tf.zeros(shape, dtype), trainable=False, collections=list(_METRIC_COLLECTIONS),
      validate_shape=validate_shape, synchronization=tf.VariableSynchronization.ON_READ,
      aggregation=tf.VariableAggregation.SUM, name=name)


def accumulate(variable, delta, name=None):
  """Adds `delta` to `variable`; returns the new value as a tensor."""
  return tf.convert_to_tensor(variable.assign_add(delta, name=name))


def finish(value, update_op, metrics_collections, updates_collections):
  """Adds the value and the update op to their collections; returns the pair."""
  if metrics_collections:
    tf.compat.v1.add_to_collections(metrics_collections, value)
  if updates_collections:
    tf.compat.v1.add_to_collections(updates_collections, update_op)
  return value, update_op


def aggregate_across_replicas(metrics_collections, value_fn, *args):
  """Computes the value from the variables `args` in cross-replica context, so
  that a metric under a tf.distribute strategy reads the sum over replicas."""

  def merge(strategy, *values):
    value = value_fn(strategy, *values)
    if metrics_collections:
      tf.compat.v1.add_to_collections(metrics_collections, value)
    return value

  return tf.distribute.get_replica_context().merge_call(merge, args=args)


def aggregate_variable(variable, metrics_collections):
  """The value of a metric variable, summed across replicas."""
  return aggregate_across_replicas(
      metrics_collections, lambda strategy, v: strategy.extended.read_var(v), variable)


def safe_scalar_div(numerator, denominator, name):
  """`numerator / denominator`, 0 where the denominator is 0."""
  return tf.math.divide_no_nan(numerator, denominator, name=name)


def at_k_name(name, k=None, class_id=None):
  """'recall_at_5', 'precision_at_k_class3': the default scope of a top-k metric."""
  name = '%s_at_%d' % (name, k) if k is not None else '%s_at_k' % name
  if class_id is not None:
    name = '%s_class%d' % (name, class_id)
  return name


def thresholds_for(num_thresholds):
  """`num_thresholds` thresholds spread over [0, 1], the first just below 0 and
  the last just above 1 (the grid of the curve metrics)."""
  inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
  return [0.0 - EPSILON] + inner + [1.0 + EPSILON]


# Argument checks: they run before any variable is made, and their errors name
# the metric, the argument, the value received and what was expected.


def to_tensor(metric, argument, value):
  """`value` as a tensor (or SparseTensor); TypeError naming the argument."""
  if isinstance(value, (tf.Tensor, tf.SparseTensor, tf.Variable)):
    return value
  if isinstance(value, tf.compat.v1.SparseTensorValue):
    return tf.SparseTensor.from_value(value)
  try:
    return tf.convert_to_tensor(value)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: %s must be a tensor or convertible to one, received %r (%s)'
                    % (metric, argument, value, error)) from None


def check_compatible(metric, name_a, a, name_b, b):
  """ValueError unless the static shapes of `a` and `b` are compatible."""
  if not a.get_shape().is_compatible_with(b.get_shape()):
    raise ValueError('%s: %s and %s must have compatible shapes, received %s of shape %s '
                     'and %s of shape %s: Shapes %s and %s are incompatible'
                     % (metric, name_a, name_b, name_a, a.get_shape(), name_b, b.get_shape(),
                        a.get_shape(), b.get_shape()))




def check_in_unit_interval(metric, argument, value):
  """ValueError unless `value` is a number in [0, 1]."""
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
    raise ValueError('%s: `%s` must be in the range [0, 1], received %r'
                     % (metric, argument, value))
  return value


def check_dtype(metric, argument, tensor, kinds):
  """TypeError unless the dtype of `tensor` is of one of `kinds` ('floating',
  'integer', 'bool', 'string')."""
  dtype = tensor.dtype.base_dtype
  ok = (('floating' in kinds and dtype.is_floating) or
        ('integer' in kinds and dtype.is_integer) or
        ('bool' in kinds and dtype == tf.bool) or ('string' in kinds and dtype == tf.string))
  if not ok:
    raise TypeError('%s: %s must have a dtype of kind %s, received %s'
                    % (metric, argument, ' or '.join(kinds), dtype.name))
  return tensor


def check_same_dtype(metric, name_a, a, name_b, b):
  if a.dtype.base_dtype != b.dtype.base_dtype:
    raise TypeError('%s: %s and %s must have the same dtype, received %s and %s'
                    % (metric, name_a, name_b, a.dtype.name, b.dtype.name))


def check_thresholds(metric, thresholds):
  """`thresholds` as a list of floats; ValueError naming the argument."""
  try:
    values = [float(t) for t in thresholds]
  except (TypeError, ValueError):
    raise ValueError('%s: thresholds must be a list of floats, received %r'
                     % (metric, thresholds)) from None
  if not values:
    raise ValueError('%s: thresholds must not be empty' % metric)
  return values


def check_curve(metric, curve):
  if curve not in ('ROC', 'PR'):
    raise ValueError('%s: curve must be either ROC or PR, %s unknown' % (metric, curve))
  return curve


def delegate(metric, v1_metric, predictions, labels, weights, metrics_collections,
             updates_collections, name, **kwargs):
  """Checks the arguments of `metric`, then builds its tf.compat.v1.metrics
  version (which takes labels first)."""
  predictions, labels, weights = check_inputs(metric, predictions, labels,
                                                              weights)
  return v1_metric(labels=labels, predictions=predictions, weights=weights,
                   metrics_collections=metrics_collections,
                   updates_collections=updates_collections, name=name, **kwargs)


# Shapes: squeezing the extra dimension of labels, predictions and weights, and
# broadcasting weights to values, as tf.compat.v1.metrics do.


def squeeze_labels_and_predictions(labels, predictions, expected_rank_diff=0):
  """Squeezes the last dimension (of size 1) of `labels` or `predictions` when
  their ranks differ by one more or less than `expected_rank_diff`."""
  labels = tf.convert_to_tensor(labels)
  predictions = tf.convert_to_tensor(predictions)
  labels_shape, predictions_shape = labels.get_shape(), predictions.get_shape()
  labels_rank, predictions_rank = labels_shape.ndims, predictions_shape.ndims
  if labels_rank is not None and predictions_rank is not None:
    rank_diff = predictions_rank - labels_rank
    if (rank_diff == expected_rank_diff + 1 and
        predictions_shape.dims[-1].is_compatible_with(1)):
      predictions = tf.squeeze(predictions, [-1])
    elif rank_diff == expected_rank_diff - 1 and labels_shape.dims[-1].is_compatible_with(1):
      labels = tf.squeeze(labels, [-1])
    return labels, predictions
  rank_diff = tf.rank(predictions) - tf.rank(labels)
  if predictions_rank is None or predictions_shape.dims[-1].is_compatible_with(1):
    predictions = tf.cond(tf.equal(expected_rank_diff + 1, rank_diff),
                          lambda: tf.squeeze(predictions, [-1]), lambda: predictions)
  if labels_rank is None or labels_shape.dims[-1].is_compatible_with(1):
    labels = tf.cond(tf.equal(expected_rank_diff - 1, rank_diff),
                     lambda: tf.squeeze(labels, [-1]), lambda: labels)
  return labels, predictions


def remove_squeezable_dimensions(predictions, labels, weights):
  """Aligns labels with predictions (squeezing a trailing 1) and weights with
  predictions (squeezing or expanding one trailing dimension)."""
  predictions = tf.convert_to_tensor(predictions)
  if labels is not None:
    labels, predictions = squeeze_labels_and_predictions(labels, predictions)
    predictions.get_shape().assert_is_compatible_with(labels.get_shape())
  if weights is None:
    return predictions, labels, None
  weights = tf.convert_to_tensor(weights)
  weights_shape = weights.get_shape()
  weights_rank = weights_shape.ndims
  if weights_rank == 0:
    return predictions, labels, weights
  predictions_rank = predictions.get_shape().ndims
  if predictions_rank is not None and weights_rank is not None:
    if weights_rank - predictions_rank == 1:
      weights = tf.squeeze(weights, [-1])
    elif predictions_rank - weights_rank == 1:
      weights = tf.expand_dims(weights, -1)
    return predictions, labels, weights
  rank_diff = tf.rank(weights) - tf.rank(predictions)
  if weights_rank is not None and not weights_shape.dims[-1].is_compatible_with(1):
    maybe_squeeze = lambda: weights
  else:
    maybe_squeeze = lambda: tf.squeeze(weights, [-1])

  def adjust():
    maybe_expand = lambda: tf.cond(tf.equal(rank_diff, -1),
                                   lambda: tf.expand_dims(weights, -1), lambda: weights)
    return tf.cond(tf.equal(rank_diff, 1), maybe_squeeze, maybe_expand)

  weights = tf.cond(tf.equal(tf.rank(weights), 0), lambda: weights, adjust)
  return predictions, labels, weights


BROADCAST_ERROR = 'weights can not be broadcast to values.'


def assert_broadcastable(weights, values):
  """An op asserting that `weights` broadcast to `values` (scalar, or the same
  rank with each dimension 1 or equal); ValueError when known statically."""
  with tf.name_scope('assert_broadcastable'):
    weights = tf.convert_to_tensor(weights, name='weights')
    values = tf.convert_to_tensor(values, name='values')
    weights_shape, values_shape = weights.get_shape(), values.get_shape()
    if weights_shape.ndims is not None and values_shape.ndims is not None:
      if weights_shape.ndims == 0:
        return tf.no_op(name='static_scalar_check_success')
      if weights_shape.ndims != values_shape.ndims:
        raise ValueError('%s values.rank=%d. weights.rank=%d. values.shape=%s. weights.shape=%s.'
                         % (BROADCAST_ERROR, values_shape.ndims, weights_shape.ndims,
                            values_shape, weights_shape))
      if weights_shape.is_fully_defined() and values_shape.is_fully_defined():
        for i, (w, v) in enumerate(zip(weights_shape.as_list(), values_shape.as_list())):
          if w not in (1, v):
            raise ValueError('%s Mismatch at dim %d. values.shape=%s, weights.shape=%s.'
                             % (BROADCAST_ERROR, i, values_shape, weights_shape))
        return tf.no_op(name='static_dims_check_success')
    weights_dims, values_dims = tf.shape(weights), tf.shape(values)
    is_scalar = tf.equal(0, tf.rank(weights))

    def valid_dims():
      # Every weights dimension must be 1 or the values dimension.
      values_2d = tf.expand_dims(values_dims, -1)
      allowed = tf.concat([values_2d, tf.ones_like(values_2d)], axis=1)
      invalid = tf.sets.difference(tf.expand_dims(weights_dims, -1), allowed)
      return tf.equal(0, tf.size(invalid.values))

    def valid_nonscalar():
      same_rank = tf.equal(tf.rank(values), tf.rank(weights))
      return tf.cond(same_rank, valid_dims, lambda: same_rank)

    is_valid = tf.cond(is_scalar, lambda: is_scalar, valid_nonscalar)
    return tf.debugging.Assert(
        is_valid, [BROADCAST_ERROR, 'weights.shape=', weights.name, weights_dims,
                   'values.shape=', values.name, values_dims, 'is_scalar=', is_scalar])


def broadcast_weights(weights, values):
  """`weights` broadcast to the shape of `values` (asserting it can be)."""
  with tf.name_scope('broadcast_weights') as scope:
    values = tf.convert_to_tensor(values, name='values')
    weights = tf.convert_to_tensor(weights, dtype=values.dtype.base_dtype, name='weights')
    if (weights.get_shape().is_fully_defined() and values.get_shape().is_fully_defined() and
        weights.get_shape().is_compatible_with(values.get_shape())):
      return weights
    with tf.control_dependencies([assert_broadcastable(weights, values)]):
      return tf.multiply(weights, tf.ones_like(values), name=scope)


def check_weights(metric, weights, values):
  """`weights` as a tensor (None stays None); ValueError, naming the metric, when
  it can statically be seen not to broadcast to `values` (after the alignment of
  remove_squeezable_dimensions)."""
  if weights is None:
    return None
  weights = to_tensor(metric, 'weights', weights)
  values_shape, weights_shape = values.get_shape(), weights.get_shape()
  if weights_shape.ndims in (None, 0) or values_shape.ndims is None:
    return weights
  dims = weights_shape.as_list()
  if len(dims) - values_shape.ndims == 1 and dims[-1] in (None, 1):
    dims = dims[:-1]
  elif values_shape.ndims - len(dims) == 1:
    dims = dims + [1]
  compatible = len(dims) == values_shape.ndims and all(
      w is None or v is None or w in (1, v) for w, v in zip(dims, values_shape.as_list()))
  if not compatible:
    raise ValueError('%s: weights of shape %s can not be broadcast to values of shape %s: %s'
                     % (metric, weights_shape, values_shape, BROADCAST_ERROR))
  return weights


def check_inputs(metric, predictions, labels, weights=None):
  """Converts the three arguments; ValueError naming the metric when the shapes
  of predictions and labels (one trailing 1 aside) or the weights do not fit."""
  predictions = to_tensor(metric, 'predictions', predictions)
  labels = to_tensor(metric, 'labels', labels)
  p_shape, l_shape = predictions.get_shape(), labels.get_shape()
  if p_shape.ndims is not None and l_shape.ndims is not None:
    if p_shape.ndims == l_shape.ndims + 1 and p_shape.dims[-1].is_compatible_with(1):
      p_shape = p_shape[:-1]
    elif l_shape.ndims == p_shape.ndims + 1 and l_shape.dims[-1].is_compatible_with(1):
      l_shape = l_shape[:-1]
  if not p_shape.is_compatible_with(l_shape):
    raise ValueError('%s: predictions and labels must have compatible shapes, received '
                     'predictions of shape %s and labels of shape %s: Shapes %s and %s are '
                     'incompatible' % (metric, predictions.get_shape(), labels.get_shape(),
                                       p_shape, l_shape))
  weights = check_weights(metric, weights, predictions)
  return predictions, labels, weights
