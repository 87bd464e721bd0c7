"""`StreamingMetric`: run a slim metric in TF2, batch after batch.

    recall = slim.metrics.StreamingMetric(slim.metrics.streaming_sparse_recall_at_k, k=5)
    for logits, labels in dataset:
      recall.update_state(logits, labels)   # a tf.function; the first call
                                            # creates the local variables
    print(recall.result())                  # the value over all batches
    recall.reset_state()                    # zeros the variables again

A metric function builds graph ops and local variables, and a `tf.function`
traces its body more than once, so the variables must outlive one trace.
`StreamingMetric` is a `tf.Module` that owns them: on the first trace it creates
each variable the metric asks for (eagerly, with its graph-mode name, e.g.
`accuracy/total`), and on later traces it hands the same variables back in
the same order. `update_state` runs the update op in a `tf.function`;
`result` runs the value alone, from a graph where the metric is built without
automatic control dependencies and pruned to the value, as a TF1 session
fetching `value` would. Several metrics at once:

    metrics = slim.metrics.StreamingMetric(
        lambda logits, labels: slim.metrics.aggregate_metric_map({
            'accuracy': slim.metrics.streaming_accuracy(tf.argmax(logits, 1), labels),
            'recall@5': slim.metrics.streaming_recall_at_k(logits, labels, 5)}))

`update_state` and `result` can also be called inside a `tf.function` of
your own; `variables` and `tf.train.Checkpoint` work as for any module.
"""
import functools

import tensorflow as tf

from slim import _checks

__all__ = ['StreamingMetric']


def _metric_name(fn):
  name = getattr(fn, '__name__', None) or getattr(getattr(fn, 'func', None), '__name__',
                                                  None)
  return name if name and name.isidentifier() else 'streaming_metric'


def _as_fetch(value):
  """A tensor to return from a function (None for an op that has no value)."""
  if isinstance(value, tf.Operation):
    return None
  return tf.convert_to_tensor(value)


class _VariableOrder(object):
  """Creation order of the metric's variables: a plain object, so tf.Module does
  not track it."""

  def __init__(self):
    self.next_index = 0
    self.creating = False


class StreamingMetric(tf.Module):
  """Runs a metric function (one returning `(value, update_op)`) in TF2.

  Args:
    metric_fn: a slim metric, e.g. `slim.metrics.streaming_accuracy`, or any
      function returning `(value, update_op)` (nested structures allowed, e.g.
      `aggregate_metric_map`).
    name: name of the module (default: the function's name).
    **metric_kwargs: arguments bound to every call, e.g. `k=5` or
      `num_classes=21`.

  The local variables are created by the first `update_state` call (whose
  input structure and dtypes later calls must keep; the batch size may vary),
  with the names they have in a graph. `update_state` returns what running the
  update op returns (for most metrics the updated value).

  Raises:
    TypeError: metric_fn is not callable.
    RuntimeError: created while building a TF1 graph (there, call the metric
      function itself).
  """

  def __init__(self, metric_fn, name=None, **metric_kwargs):
    _checks.check_callable('StreamingMetric', 'metric_fn', metric_fn, allow_none=False)
    if not tf.compat.v1.executing_eagerly_outside_functions():
      raise RuntimeError(
          'StreamingMetric runs metrics in TF2 (eager execution); while building a TF1 '
          'graph call %s itself and run its update op.' % _metric_name(metric_fn))
    super(StreamingMetric, self).__init__(name=name or _metric_name(metric_fn))
    self._metric_fn = functools.partial(metric_fn, **metric_kwargs)
    self._metric_variables = []  # tracked by tf.Module: variables, checkpoints
    self._initial_values = []
    self._order = _VariableOrder()
    self._input_signature = None
    self._value_fn = None

    def update(*inputs, **input_kwargs):  # one function per module: its own traces
      _, update_op = self._call_metric(*inputs, **input_kwargs)
      return tf.nest.map_structure(_as_fetch, update_op)

    self._update_fn = tf.function(update, reduce_retracing=True)

  @property
  def built(self):
    """Whether the first update has created the variables."""
    return self._input_signature is not None

  def update_state(self, *inputs, **input_kwargs):
    """Adds a batch: runs the metric's update op on `inputs`.

    Returns:
      What the update op returns (the updated value for most metrics; None
      where the update op is a group of ops).
    """
    signature = tf.nest.map_structure(_type_spec, (inputs, input_kwargs))
    if self._input_signature is not None:
      try:
        tf.nest.assert_same_structure(signature, self._input_signature)
      except (TypeError, ValueError) as error:
        raise ValueError('StreamingMetric %s: update_state got inputs of another structure '
                         'than its first call: %s' % (self.name, error)) from None
    outputs = self._update_fn(*inputs, **input_kwargs)
    if self._input_signature is None:
      self._input_signature = signature
    return outputs

  def result(self):
    """The metric's value over the batches since the last reset, without
    updating it.

    Raises:
      RuntimeError: before the first `update_state` (the inputs the metric is
        built for are not known yet).
    """
    if self._input_signature is None:
      raise RuntimeError('StreamingMetric %s: call update_state before result; the first '
                         'update creates the variables.' % self.name)
    if self._value_fn is None:
      self._value_fn = self._build_value_fn()
    return self._value_fn()

  def reset_state(self):
    """Sets the variables back to their initial values (zeros), as
    `local_variables_initializer` does in a graph."""
    for variable, value in zip(self._metric_variables, self._initial_values):
      variable.assign(value)

  @property
  def variables_by_name(self):
    """Dict from graph-mode name ('accuracy/total') to variable."""
    return {v.name.split(':')[0]: v for v in self._metric_variables}

  def _call_metric(self, *inputs, **input_kwargs):
    """Calls the metric function with this module's variables."""
    self._order.next_index = 0
    with tf.variable_creator_scope(self._reuse_or_create):
      outputs = self._metric_fn(*inputs, **input_kwargs)
    if self._order.next_index != len(self._metric_variables):
      raise ValueError('StreamingMetric %s: this call built the metric with %d variables, '
                       'the first one with %d; each call must build the same metric.'
                       % (self.name, self._order.next_index, len(self._metric_variables)))
    try:
      value, update_op = outputs
    except (TypeError, ValueError):
      raise TypeError('StreamingMetric %s: the metric function must return (value, '
                      'update_op), received %r' % (self.name, outputs)) from None
    return value, update_op

  def _reuse_or_create(self, next_creator, **kwargs):
    """Variable creator: the variable of the same rank in the first trace, or a
    new eager variable during the first trace."""
    if self._order.creating:  # the eager variable being made below
      return next_creator(**kwargs)
    index = self._order.next_index
    self._order.next_index += 1
    if index < len(self._metric_variables):
      return self._existing_variable(index, kwargs.get('name'))
    if self.built:
      raise ValueError('StreamingMetric %s: this call creates the new variable %s; the '
                       'variables were created by the first update_state.'
                       % (self.name, kwargs.get('name')))
    initial_value = kwargs['initial_value']
    validate_shape = kwargs.get('validate_shape', True)
    self._order.creating = True
    try:
      with tf.init_scope():
        if callable(initial_value):
          initial_value = initial_value()
        variable = tf.Variable(
            initial_value, trainable=False, name=kwargs.get('name'), dtype=kwargs.get('dtype'),
            shape=None if validate_shape else tf.TensorShape(None),
            synchronization=kwargs.get('synchronization', tf.VariableSynchronization.AUTO),
            aggregation=kwargs.get('aggregation', tf.VariableAggregation.NONE))
    finally:
      self._order.creating = False
    self._metric_variables.append(variable)
    self._initial_values.append(initial_value)
    return variable

  def _existing_variable(self, index, name):
    variable = self._metric_variables[index]
    base_name = (name or '').rstrip('/').split('/')[-1]
    if base_name and base_name not in variable.name:
      raise ValueError('StreamingMetric %s: variable %d is %s in the first call but %r in '
                       'this one; each call must build the same metric.'
                       % (self.name, index, variable.name, name))
    return variable

  def _build_value_fn(self):
    """A function computing the value alone from the variables: the metric
    built in a graph without automatic control dependencies, pruned to its
    value (so the update ops are not run)."""
    built = {}

    def build(inputs, input_kwargs):
      value, _ = self._call_metric(*inputs, **input_kwargs)
      built['value'] = tf.nest.map_structure(_as_fetch, value)

    graph_function = tf.compat.v1.wrap_function(build, self._input_signature)
    return graph_function.prune(feeds=[], fetches=built['value'])


def _type_spec(value):
  """The spec (dtype and shape) of an input; None stays None."""
  if value is None:
    return None
  if not isinstance(value, (tf.Tensor, tf.SparseTensor, tf.RaggedTensor, tf.Variable)):
    value = tf.convert_to_tensor(value)
  return tf.type_spec_from_value(value)
