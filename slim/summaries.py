"""Summaries with optional prefixes and printing, for graph-mode training loops.

    slim.summaries.add_scalar_summary(total_loss, 'total_loss', prefix='losses')
    slim.summaries.add_histogram_summaries(slim.get_model_variables())
    slim.summaries.add_zero_fraction_summaries(activations)

Each function returns the serialized `Summary` string tensor and adds it to
the SUMMARIES collection (`tf.compat.v1.summary.merge_all` gathers them).
With `print_summary=True` the value is also printed each time the summary
is computed.
"""
import tensorflow as tf

__all__ = ['add_histogram_summary', 'add_image_summary', 'add_scalar_summary',
           'add_zero_fraction_summary', 'add_histogram_summaries', 'add_image_summaries',
           'add_scalar_summaries', 'add_zero_fraction_summaries']


def _summary_name(tensor, name=None, prefix=None, postfix=None):
  """`prefix/name/postfix`, with the op name of `tensor` as default name."""
  if not name:
    name = tensor.op.name
  if prefix:
    name = prefix + '/' + name
  if postfix:
    name = name + '/' + postfix
  return name


def _summary(kind, tensor, name, prefix, print_summary):
  """A `kind` summary (tf.compat.v1.summary.scalar or .image), printed if asked."""
  summary_name = _summary_name(tensor, name, prefix)
  if not print_summary:
    return kind(summary_name, tensor)
  summary = kind(summary_name, tensor, collections=[])
  with tf.control_dependencies([tf.print(summary_name, tensor)]):
    summary = tf.identity(summary)
  tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.SUMMARIES, summary)
  return summary


def add_histogram_summary(tensor, name=None, prefix=None):
  """Adds a histogram summary of `tensor`.

  Args:
    tensor: a tensor or variable.
    name: the summary name (default: the op name of `tensor`).
    prefix: prepended to the name as 'prefix/name'.

  Returns:
    The string tensor of the serialized summary.
  """
  return tf.compat.v1.summary.histogram(_summary_name(tensor, name, prefix), tensor)


def add_image_summary(tensor, name=None, prefix=None, print_summary=False):
  """Adds an image summary of `tensor` `[batch, height, width, channels]`.

  Args:
    tensor: the images (1, 3 or 4 channels).
    name, prefix: as for `add_histogram_summary`.
    print_summary: also print the images' values when computed (default False).

  Returns:
    The string tensor of the serialized summary.
  """
  return _summary(tf.compat.v1.summary.image, tensor, name, prefix, print_summary)


def add_scalar_summary(tensor, name=None, prefix=None, print_summary=False):
  """Adds a scalar summary of `tensor`.

  Args:
    tensor: a scalar tensor or variable.
    name, prefix: as for `add_histogram_summary`.
    print_summary: also print the value when computed (default False).

  Returns:
    The string tensor of the serialized summary.
  """
  return _summary(tf.compat.v1.summary.scalar, tensor, name, prefix, print_summary)


def add_zero_fraction_summary(tensor, name=None, prefix=None, print_summary=False):
  """Adds a scalar summary of the fraction of zeros in `tensor`, named
  '<prefix>/<name>/Fraction_of_Zero_Values'.

  Returns:
    The string tensor of the serialized summary.
  """
  name = _summary_name(tensor, name, prefix, 'Fraction_of_Zero_Values')
  return add_scalar_summary(tf.math.zero_fraction(tensor), name,
                            print_summary=print_summary)


def add_histogram_summaries(tensors, prefix=None):
  """`add_histogram_summary` for each of `tensors`; returns the list of summaries."""
  return [add_histogram_summary(tensor, prefix=prefix) for tensor in tensors]


def add_image_summaries(tensors, prefix=None):
  """`add_image_summary` for each of `tensors`; returns the list of summaries."""
  return [add_image_summary(tensor, prefix=prefix) for tensor in tensors]


def add_scalar_summaries(tensors, prefix=None, print_summary=False):
  """`add_scalar_summary` for each of `tensors`; returns the list of summaries."""
  return [add_scalar_summary(tensor, prefix=prefix, print_summary=print_summary)
          for tensor in tensors]


def add_zero_fraction_summaries(tensors, prefix=None):
  """`add_zero_fraction_summary` for each of `tensors`; returns the list."""
  return [add_zero_fraction_summary(tensor, prefix=prefix) for tensor in tensors]
