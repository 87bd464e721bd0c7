"""Weight initializers: Xavier/Glorot and variance scaling, as TF-Slim defines them."""
import math

import tensorflow as tf

__all__ = ['xavier_initializer', 'xavier_initializer_conv2d',
           'variance_scaling_initializer']

_MODES = ('FAN_IN', 'FAN_OUT', 'FAN_AVG')


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
  """Glorot & Bengio (2010): variance 1 / average fan; uniform by default."""
  return variance_scaling_initializer(factor=1.0, mode='FAN_AVG', uniform=uniform,
                                      seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def _fans(shape):
  """(fan_in, fan_out): the last two dims times the receptive field (leading dims)."""
  if not shape:
    return 1.0, 1.0
  fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
  fan_out = float(shape[-1])
  receptive_field = 1.0
  for dim in shape[:-2]:
    receptive_field *= float(dim)
  return fan_in * receptive_field, fan_out * receptive_field


def variance_scaling_initializer(factor=2.0, mode='FAN_IN', uniform=False, seed=None,
                                 dtype=tf.float32):
  """Initializer with variance `factor / n`, n the fan in, out or their average.

  The default (factor 2, FAN_IN, normal) is He et al. (2015). The normal case
  draws from a truncated normal whose stddev is sqrt(1.3 * factor / n), so that
  after truncation the variance is close to factor / n.

  Raises:
    TypeError: `dtype` is not floating point, or `mode` is not one of
      FAN_IN, FAN_OUT, FAN_AVG.
  """
  dtype = tf.as_dtype(dtype)
  if not dtype.is_floating:
    raise TypeError('Cannot create initializer for non-floating point type.')
  if mode not in _MODES:
    raise TypeError('Unknown mode %s [FAN_IN, FAN_OUT, FAN_AVG]' % mode)

  def _initializer(shape, dtype=dtype, partition_info=None):  # pylint: disable=unused-argument
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
      raise TypeError('Cannot create initializer for non-floating point type.')
    shape = tf.TensorShape(shape).as_list()
    fan_in, fan_out = _fans(shape)
    n = {'FAN_IN': fan_in, 'FAN_OUT': fan_out, 'FAN_AVG': (fan_in + fan_out) / 2.0}[mode]
    if uniform:
      limit = math.sqrt(3.0 * factor / n)
      return tf.random.uniform(shape, -limit, limit, dtype, seed=seed)
    return tf.random.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype,
                                      seed=seed)

  return _initializer
