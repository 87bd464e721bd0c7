"""Weight regularizers: functions `weights -> scalar loss` for `weights_regularizer`."""
import numbers

import tensorflow as tf

__all__ = ['l1_regularizer', 'l2_regularizer', 'l1_l2_regularizer', 'sum_regularizer',
           'apply_regularization']


def _checked_scale(scale, argument='scale'):
  """Returns False if `scale` disables the regularizer (0), True otherwise."""
  if isinstance(scale, numbers.Integral):
    raise ValueError('%s cannot be an integer: %s' % (argument, scale))
  if isinstance(scale, numbers.Real):
    if scale < 0.:
      raise ValueError('Setting a scale less than 0 on a regularizer: %g' % scale)
    if scale == 0.:
      tf.compat.v1.logging.info('Scale of 0 disables regularizer.')
      return False
  return True


def _scaled(norm_fn, default_scope, scale, scope):
  if not _checked_scale(scale):
    return lambda _: None

  def regularizer(weights, name=None):  # pylint: disable=unused-argument
    with tf.name_scope(scope or default_scope) as name:
      my_scale = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name='scale')
      return tf.multiply(my_scale, norm_fn(weights), name=name)

  return regularizer


def l1_regularizer(scale, scope=None):
  """Returns `fn(weights) = scale * sum(|weights|)`; scale 0 disables it.

  Raises:
    ValueError: `scale` is negative or an integer.
  """
  return _scaled(lambda w: tf.reduce_sum(tf.abs(w)), 'l1_regularizer', scale, scope)


def l2_regularizer(scale, scope=None):
  """Returns `fn(weights) = scale * sum(weights ** 2) / 2`; scale 0 disables it.

  Raises:
    ValueError: `scale` is negative or an integer.
  """
  return _scaled(tf.nn.l2_loss, 'l2_regularizer', scale, scope)


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
  """Returns the sum of an L1 and an L2 regularizer.

  Raises:
    ValueError: a scale is negative or an integer.
  """
  if isinstance(scale_l1, numbers.Integral):
    raise ValueError('scale_l1 cannot be an integer: %s' % (scale_l1,))
  if isinstance(scale_l2, numbers.Integral):
    raise ValueError('scale_l2 cannot be an integer: %s' % (scale_l2,))
  scope = scope or 'l1_l2_regularizer'
  if scale_l1 == 0.:
    return l2_regularizer(scale_l2, scope)
  if scale_l2 == 0.:
    return l1_regularizer(scale_l1, scope)
  return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)],
                         scope=scope)


def sum_regularizer(regularizer_list, scope=None):
  """Returns a regularizer adding the non-None results of `regularizer_list`
  (None when all are None), or None if the list holds no regularizer."""
  regularizer_list = [reg for reg in regularizer_list if reg is not None]
  if not regularizer_list:
    return None

  def sum_reg(weights):
    with tf.name_scope(scope or 'sum_regularizer') as name:
      penalties = [reg(weights) for reg in regularizer_list]
      penalties = [p for p in penalties if p is not None]
      return tf.add_n(penalties, name=name) if penalties else None

  return sum_reg


def apply_regularization(regularizer, weights_list=None):
  """Returns the sum of `regularizer` over `weights_list` and adds it to
  `REGULARIZATION_LOSSES`.

  Args:
    regularizer: a function `weights -> scalar Tensor`.
    weights_list: the weights; defaults to the `WEIGHTS` collection.

  Raises:
    ValueError: no weights are given or found, or a penalty is not a scalar.
  """
  if not weights_list:
    weights_list = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.WEIGHTS)
  if not weights_list:
    raise ValueError('apply_regularization: no weights to regularize; pass '
                     'weights_list or add weights to the WEIGHTS collection.')
  with tf.name_scope('get_regularization_penalty') as scope:
    penalties = [regularizer(w) for w in weights_list]
    penalties = [p if p is not None else tf.constant(0.0) for p in penalties]
    for penalty in penalties:
      if penalty.get_shape().ndims != 0:
        raise ValueError('apply_regularization: a regularizer must return a scalar, '
                         'received shape %s.' % penalty.get_shape())
    summed_penalty = tf.add_n(penalties, name=scope)
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES,
                                   summed_penalty)
    return summed_penalty
