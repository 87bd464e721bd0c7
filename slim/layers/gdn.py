"""Generalized divisive normalization (Ballé, Laparra & Simoncelli, 2016).

    y[i] = x[i] / sqrt(beta[i] + sum_j gamma[j, i] * x[j]**2)

over the channels i, j of each position (never across positions); the inverse
(IGDN) multiplies instead of dividing. `beta` and `gamma` are trained through
the reparameterizations `reparam_beta = sqrt(beta + offset**2)` and
`reparam_gamma = sqrt(gamma + offset**2)`, bounded below so that their
square roots stay defined and their gradients alive.
"""
import tensorflow as tf

from slim.layers import _common

__all__ = ['GDN', 'gdn']

_CHANNEL_AXES = {'channels_first': 1, 'channels_last': -1}


@tf.custom_gradient
def _lower_bound(inputs, bound):
  """`max(inputs, bound)` whose gradient passes where `inputs >= bound`, or
  where it pushes `inputs` up; never to the bound."""

  def grad(upstream):
    passes = tf.logical_or(inputs >= bound, upstream < 0)
    return tf.cast(passes, upstream.dtype) * upstream, None

  return tf.maximum(inputs, bound), grad


class GDN(object):
  """The GDN layer: create it once, call it on inputs of rank 3 to 5.

  The first call creates `reparam_beta` `[channels]` and `reparam_gamma`
  `[channels, channels]` (trainable if `trainable`) in the variable scope
  `name` (default a unique 'gdn'); later calls reuse them.

  Args:
    inverse: compute IGDN (multiply by the norm) instead of GDN.
    beta_min: lower bound of beta.
    gamma_init: gamma starts as `gamma_init` times the identity matrix.
    reparam_offset: the offset of the reparameterization of beta and gamma.
    data_format: 'channels_last' or 'channels_first'.
    activity_regularizer: optional function of the output whose value, divided
      by the batch size, is added to REGULARIZATION_LOSSES.
    trainable: whether the variables are trainable.
    name: the variable scope.
    dtype: dtype of the variables and computation (default: the inputs').

  Attributes (after the first call): `beta`, `gamma` (the effective
  parameters as tensors), `variables`, `trainable_variables`, `losses`.

  Raises:
    ValueError: an unsupported data_format (here), inputs of rank other than
      3 to 5 or with unknown channels (at the call).
  """

  def __init__(self, inverse=False, beta_min=1e-6, gamma_init=.1, reparam_offset=2**-18,
               data_format='channels_last', activity_regularizer=None, trainable=True,
               name=None, dtype=None, _scope=None, _reuse=None):
    if data_format not in _CHANNEL_AXES:
      raise ValueError('GDN: Unsupported `data_format` for GDN layer: %r; expected '
                       "'channels_first' or 'channels_last'" % (data_format,))
    self.inverse = inverse
    self.data_format = data_format
    self.trainable = trainable
    self.activity_regularizer = activity_regularizer
    self.dtype = tf.as_dtype(dtype) if dtype is not None else None
    self.name = name
    self._beta_min = beta_min
    self._gamma_init = gamma_init
    self._reparam_offset = reparam_offset
    self._scope_name = _scope if _scope is not None else name
    self._reuse = _reuse
    self._scope = None
    self._input_rank = None
    self.variables = []
    self.losses = []
    self.beta = self.gamma = None

  @property
  def built(self):
    return self._scope is not None

  @property
  def trainable_variables(self):
    return list(self.variables) if self.trainable else []

  def _check_inputs(self, inputs):
    rank = inputs.get_shape().ndims
    if rank is None or not 3 <= rank <= 5:
      raise ValueError('GDN: inputs must have rank 3 to 5, received shape %s'
                       % inputs.get_shape())
    if self._input_rank is not None and rank != self._input_rank:
      raise ValueError('GDN: inputs must have rank %d, as at the first call, received '
                       'shape %s' % (self._input_rank, inputs.get_shape()))
    channels = tf.compat.dimension_value(
        inputs.get_shape()[_CHANNEL_AXES[self.data_format]])
    if channels is None:
      raise ValueError('GDN: The channel dimension of the inputs to `GDN` must be defined, '
                       'received shape %s' % inputs.get_shape())
    return rank, channels

  def build(self, channels):
    """Creates the variables for `channels` channels (in the current scope)."""
    dtype = self.dtype
    pedestal = self._reparam_offset**2

    # pylint: disable=unused-argument
    def beta_initializer(shape, dtype=dtype, partition_info=None):
      return tf.sqrt(tf.ones(shape, dtype=dtype) + pedestal)

    def gamma_initializer(shape, dtype=dtype, partition_info=None):
      return tf.sqrt(self._gamma_init * tf.eye(shape[0], dtype=dtype) + pedestal)
    # pylint: enable=unused-argument

    reparam_beta = tf.compat.v1.get_variable(
        'reparam_beta', [channels], dtype, initializer=beta_initializer,
        trainable=self.trainable)
    reparam_gamma = tf.compat.v1.get_variable(
        'reparam_gamma', [channels, channels], dtype, initializer=gamma_initializer,
        trainable=self.trainable)
    self.variables = [reparam_beta, reparam_gamma]

  def _effective_params(self):
    """beta and gamma from their reparameterizations."""
    reparam_beta, reparam_gamma = self.variables
    pedestal = tf.constant(self._reparam_offset**2, dtype=self.dtype)
    beta_bound = tf.constant((self._beta_min + self._reparam_offset**2)**.5,
                             dtype=self.dtype)
    gamma_bound = tf.constant(self._reparam_offset, dtype=self.dtype)
    # Read outside the custom gradient, so that it sees tensors, not variables.
    beta = tf.square(_lower_bound(tf.convert_to_tensor(reparam_beta), beta_bound)) - pedestal
    gamma = tf.square(_lower_bound(tf.convert_to_tensor(reparam_gamma), gamma_bound)) - pedestal
    return beta, gamma

  def __call__(self, inputs):
    """Applies GDN (or IGDN) to `inputs`; returns a tensor of their shape."""
    inputs = tf.convert_to_tensor(inputs, dtype=self.dtype)
    rank, channels = self._check_inputs(inputs)
    if self.dtype is None:
      self.dtype = inputs.dtype.base_dtype
    if self._scope is None:
      scope = tf.compat.v1.variable_scope(self._scope_name, default_name='gdn',
                                          values=[inputs], reuse=self._reuse)
    else:
      scope = tf.compat.v1.variable_scope(self._scope, reuse=True)
    with scope as captured:
      if self._scope is None:
        self.build(channels)
        self._scope = captured
        self._input_rank = rank
      self.beta, self.gamma = self._effective_params()
      outputs = self._normalize(inputs, rank)
      if self.activity_regularizer is not None:
        self._add_activity_loss(outputs)
    return outputs

  apply = __call__

  def _normalize(self, inputs, rank):
    squares = tf.square(inputs)
    if self.data_format == 'channels_last':
      kernel = tf.reshape(self.gamma, [1] * (rank - 2) + self.gamma.get_shape().as_list())
      norm_pool = tf.nn.bias_add(tf.nn.convolution(squares, kernel, padding='VALID'),
                                 self.beta)
    else:
      norm_pool = tf.einsum('nc...,cd->nd...', squares, self.gamma)
      norm_pool += tf.reshape(self.beta, [1, -1] + [1] * (rank - 2))
    norm_pool = tf.sqrt(norm_pool)
    outputs = inputs * norm_pool if self.inverse else inputs / norm_pool
    outputs.set_shape(inputs.get_shape())
    return outputs

  def _add_activity_loss(self, outputs):
    with tf.name_scope('ActivityRegularizer'):
      loss = tf.convert_to_tensor(self.activity_regularizer(outputs))
      loss = loss / tf.cast(tf.shape(outputs)[0], loss.dtype)
    self.losses.append(loss)
    if _common.in_graph_mode():
      tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES, loss)

  def compute_output_shape(self, input_shape):
    """The output shape: `input_shape` (checked)."""
    input_shape = tf.TensorShape(input_shape)
    if input_shape.ndims is None or not 3 <= input_shape.ndims <= 5:
      raise ValueError('GDN: `input_shape` must be of rank 3 to 5, inclusive, received %s'
                       % input_shape)
    if tf.compat.dimension_value(input_shape[_CHANNEL_AXES[self.data_format]]) is None:
      raise ValueError('GDN: The channel dimension of `input_shape` must be defined, '
                       'received %s' % input_shape)
    return input_shape


def gdn(inputs, inverse=False, beta_min=1e-6, gamma_init=.1, reparam_offset=2**-18,
        data_format='channels_last', activity_regularizer=None, trainable=True, name=None,
        reuse=None):
  """Applies generalized divisive normalization (`GDN`) to `inputs`.

  Creates `<name>/reparam_beta` `[channels]` and `<name>/reparam_gamma`
  `[channels, channels]` (name defaults to a unique 'gdn'); see `GDN` for the
  arguments. `reuse=True` reuses the variables of the scope `name`.

  Returns:
    A tensor of the shape of `inputs`.

  Example:
    net = slim.gdn(slim.conv2d(images, 128, [5, 5], stride=2, activation_fn=None))
  """
  inputs = tf.convert_to_tensor(inputs)
  layer = GDN(inverse=inverse, beta_min=beta_min, gamma_init=gamma_init,
              reparam_offset=reparam_offset, data_format=data_format,
              activity_regularizer=activity_regularizer, trainable=trainable, name=name,
              dtype=inputs.dtype.base_dtype, _scope=name, _reuse=reuse)
  return layer.apply(inputs)
