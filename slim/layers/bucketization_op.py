"""`bucketize`: the bucket index of each value given sorted boundaries."""
import numbers

import tensorflow as tf

__all__ = ['bucketize']


def bucketize(input_tensor, boundaries, name=None):
  """Index of the bucket of each value: the number of boundaries <= the value.

  With boundaries [0, 10, 100], -5 -> 0, 0 -> 1, 15 -> 2, 150 -> 3.

  Args:
    input_tensor: an int32, int64, float32 or float64 tensor.
    boundaries: a sorted list of floats.
    name: name of the op (optional).

  Returns:
    An int32 tensor of the shape of `input_tensor`.

  Raises:
    TypeError: `boundaries` is not a list of numbers.
    ValueError: `boundaries` is not sorted.
  """
  if not isinstance(boundaries, (list, tuple)) or not all(
      isinstance(b, numbers.Real) and not isinstance(b, bool) for b in boundaries):
    raise TypeError('bucketize: boundaries must be a list of numbers, received %r'
                    % (boundaries,))
  if any(low > high for low, high in zip(boundaries, boundaries[1:])):
    raise ValueError('bucketize: boundaries must be sorted in increasing order, received %r'
                     % (list(boundaries),))
  return tf.raw_ops.Bucketize(input=input_tensor,
                              boundaries=[float(b) for b in boundaries], name=name)
