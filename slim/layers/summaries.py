"""Summaries of tensors, activations and graph collections (graph mode).

    slim.summarize_activations()       # every tensor in the ACTIVATIONS collection
    slim.summarize_collection('end_points', name_filter='.*/Conv2d_1.*')

Scalars get a scalar summary, other tensors a histogram; string and bool
tensors are skipped. Summaries go to the SUMMARIES collection.
"""
import functools
import re

import tensorflow as tf

__all__ = ['summarize_tensor', 'summarize_activation', 'summarize_tensors',
           'summarize_collection', 'summarize_variables', 'summarize_weights',
           'summarize_biases', 'summarize_activations']

_GRAPH_KEYS = tf.compat.v1.GraphKeys


def _scalar_summary(tensor, tag=None):
  """Scalar summary of a rank-0 `tensor`, tagged '<op name>_summary' by default."""
  if tensor.get_shape().ndims != 0:
    raise ValueError('summarize_tensor: a scalar summary needs a tensor of rank 0, '
                     'received %s of shape %s' % (tensor.op.name, tensor.get_shape()))
  return tf.compat.v1.summary.scalar(tag or '%s_summary' % tensor.op.name, tensor)


def _histogram_summary(tensor, tag=None):
  return tf.compat.v1.summary.histogram(tag or '%s_summary' % tensor.op.name, tensor)


def _fraction(condition):
  return tf.reduce_mean(tf.cast(condition, tf.float32))


def summarize_activation(op):
  """Histogram summary '<name>/activation' of an activation tensor.

  For relu, softplus and relu6 outputs it also adds the scalar '<name>/zeros'
  (fraction of negative pre-activations); for relu6 also '<name>/sixes'
  (fraction above 6).

  Args:
    op: the activation tensor.

  Returns:
    The histogram summary.
  """
  name = op.op.name
  if op.op.type in ('Relu', 'Softplus', 'Relu6'):
    pre_activation = op.op.inputs[0]
    _scalar_summary(_fraction(tf.less(pre_activation, tf.cast(0.0, pre_activation.dtype))),
                    '%s/zeros' % name)
    if op.op.type == 'Relu6':
      _scalar_summary(
          _fraction(tf.greater(pre_activation, tf.cast(6.0, pre_activation.dtype))),
          '%s/sixes' % name)
  return _histogram_summary(op, '%s/activation' % name)


def summarize_tensor(tensor, tag=None):
  """Scalar summary of a scalar, histogram of anything else.

  Args:
    tensor: the tensor (or variable).
    tag: the summary tag (default '<op name>_summary').

  Returns:
    The summary, or None for string and bool tensors.
  """
  dtype = tensor.dtype.base_dtype
  if dtype in (tf.string, tf.bool):
    return None
  if tensor.get_shape().ndims == 0:
    return _scalar_summary(tensor, tag)
  return _histogram_summary(tensor, tag)


def summarize_tensors(tensors, summarizer=summarize_tensor):
  """`summarizer` on each of `tensors`; returns the list of summaries."""
  return [summarizer(tensor) for tensor in tensors]


def summarize_collection(collection, name_filter=None, summarizer=summarize_tensor):
  """Summarizes the tensors of a graph collection whose op name matches `name_filter`.

  Args:
    collection: the collection name.
    name_filter: a regular expression matched (re.match) against op names;
      None keeps all.
    summarizer: the function making one summary (default `summarize_tensor`).

  Returns:
    The list of summaries.
  """
  tensors = [tensor for tensor in tf.compat.v1.get_collection(collection)
             if name_filter is None or re.match(name_filter, tensor.op.name)]
  return summarize_tensors(tensors, summarizer)


summarize_variables = functools.partial(summarize_collection, _GRAPH_KEYS.GLOBAL_VARIABLES)
summarize_weights = functools.partial(summarize_collection, _GRAPH_KEYS.WEIGHTS)
summarize_biases = functools.partial(summarize_collection, _GRAPH_KEYS.BIASES)


def summarize_activations(name_filter=None, summarizer=summarize_activation):
  """Summarizes the ACTIVATIONS collection with `summarize_activation`."""
  return summarize_collection(_GRAPH_KEYS.ACTIVATIONS, name_filter, summarizer)
