"""Core layers: fully connected (and its legacy form), bias, dropout and flatten."""
import functools
import numbers

import tensorflow as tf

from slim import _checks
from slim.layers import _common
from slim.layers import _fast_gradients
from slim.layers import initializers
from slim.layers import utils
from slim.ops.arg_scope import add_arg_scope

__all__ = ['bias_add', 'dropout', 'flatten', 'fully_connected',
           'elu', 'linear', 'relu', 'relu6',
           'legacy_fully_connected', 'legacy_linear', 'legacy_relu']


@add_arg_scope
def fully_connected(inputs,
                    num_outputs,
                    activation_fn=tf.nn.relu,
                    normalizer_fn=None,
                    normalizer_params=None,
                    weights_initializer=initializers.xavier_initializer(),
                    weights_regularizer=None,
                    biases_initializer=tf.compat.v1.zeros_initializer(),
                    biases_regularizer=None,
                    reuse=None,
                    variables_collections=None,
                    outputs_collections=None,
                    trainable=True,
                    scope=None):
  """Adds a fully connected layer, then normalizer and activation.

  Creates `weights` `[in_units, num_outputs]` and, unless `normalizer_fn` is
  given or `biases_initializer` is None, `biases` `[num_outputs]`, in the
  variable scope `scope` (default 'fully_connected'). Inputs of rank > 2 are
  multiplied along their last dimension.

  Args:
    inputs: a tensor of rank >= 2 whose last dimension is known.
    num_outputs: the number of output units, an int.
    Other arguments as for `slim.conv2d`.

  Returns:
    The output tensor, `inputs.shape[:-1] + [num_outputs]`.

  Raises:
    ValueError: `num_outputs` is not a positive int, or `inputs` has rank < 2
      or an unknown last dimension.
  """
  layer = 'fully_connected'
  _checks.check_count(layer, 'num_outputs', num_outputs)
  inputs = _common.to_tensor(layer, inputs)
  rank = _common.check_min_rank(layer, inputs, 2)
  in_units = _common.known_dimension(layer, inputs, -1, 'last dimension')
  dtype = inputs.dtype.base_dtype

  with _common.layer_scope(scope, 'fully_connected', inputs, reuse) as sc:
    weights = _common.as_tensor(_common.layer_variable(
        'weights', [in_units, num_outputs], dtype, weights_initializer,
        weights_regularizer, trainable, variables_collections, loss_name='kernel'))
    if rank == 2:
      outputs = _fast_gradients.weights_matmul(inputs, weights)
    else:
      outputs = tf.reshape(
          _fast_gradients.weights_matmul(tf.reshape(inputs, [-1, in_units]), weights),
          tf.concat([tf.shape(inputs)[:-1], [num_outputs]], 0))
      outputs.set_shape(inputs.get_shape()[:-1].concatenate([num_outputs]))
    if not normalizer_fn and biases_initializer is not None:
      biases = _common.layer_variable('biases', [num_outputs], dtype, biases_initializer,
                                      biases_regularizer, trainable,
                                      variables_collections, loss_name='bias')
      outputs = tf.nn.bias_add(outputs, _common.as_tensor(biases))
    return _common.finish(outputs, outputs_collections, sc.name, normalizer_fn,
                          normalizer_params, activation_fn)


elu = functools.partial(fully_connected, activation_fn=tf.nn.elu)
relu = functools.partial(fully_connected, activation_fn=tf.nn.relu)
relu6 = functools.partial(fully_connected, activation_fn=tf.nn.relu6)
linear = functools.partial(fully_connected, activation_fn=None)


@add_arg_scope
def bias_add(inputs,
             activation_fn=None,
             initializer=tf.compat.v1.zeros_initializer(),
             regularizer=None,
             reuse=None,
             variables_collections=None,
             outputs_collections=None,
             trainable=True,
             data_format=_common.DATA_FORMAT_NHWC,
             scope=None):
  """Adds `biases` (one per channel) to `inputs`, then the activation.

  Creates `biases` `[channels]` in the variable scope `scope` (default
  'BiasAdd'). Channels are the last dimension, or the second for NCHW.

  Raises:
    ValueError: unknown rank or channels, NCHW with a rank other than 4, or a
      data_format other than NHWC/NCHW.
  """
  layer = 'bias_add'
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  inputs = _common.to_tensor(layer, inputs)
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: Dims of shape must be known but is None' % layer)
  if rank != 4 and data_format == _common.DATA_FORMAT_NCHW:
    raise ValueError('%s: Data format NCHW only supports 4D Tensor, received rank %d'
                     % (layer, rank))
  axis = 1 if data_format == _common.DATA_FORMAT_NCHW else -1
  num_features = _common.known_dimension(layer, inputs, axis, '`C` dimension')
  with _common.layer_scope(scope, 'BiasAdd', inputs, reuse) as sc:
    biases = _common.layer_variable('biases', [num_features], inputs.dtype.base_dtype,
                                    initializer, regularizer, trainable,
                                    variables_collections)
    outputs = tf.nn.bias_add(inputs, _common.as_tensor(biases), data_format=data_format)
    return _common.finish(outputs, outputs_collections, sc.name,
                          activation_fn=activation_fn)


def _noise_shape(inputs, noise_shape):
  """`noise_shape` with None entries taken from the shape of `inputs`."""
  if noise_shape is None or isinstance(noise_shape, tf.Tensor):
    return noise_shape
  dynamic = tf.shape(inputs)
  return [dynamic[i] if dim is None else dim for i, dim in enumerate(noise_shape)]


@add_arg_scope
def dropout(inputs,
            keep_prob=0.5,
            noise_shape=None,
            is_training=True,
            outputs_collections=None,
            scope=None,
            seed=None):
  """Keeps each element with probability `keep_prob`, scaled by 1/keep_prob,
  when `is_training`; passes `inputs` through otherwise.

  Args:
    inputs: a tensor.
    keep_prob: probability of keeping an element, a Python number in (0, 1]
      or a tensor (not checked).
    noise_shape: shape of the keep/drop mask, broadcast against `inputs`.
    is_training: a Python bool or a boolean tensor.
    outputs_collections, scope, seed: as usual; scope defaults to 'Dropout'.

  Returns:
    A tensor of the shape of `inputs`.

  Raises:
    ValueError: a Python number `keep_prob` outside (0, 1].
  """
  if isinstance(keep_prob, numbers.Real) and not 0 < keep_prob <= 1:
    raise ValueError('dropout: keep_prob must be a probability in (0, 1], received %r'
                     % (keep_prob,))
  inputs = _common.to_tensor('dropout', inputs)
  with tf.compat.v1.variable_scope(scope, 'Dropout', [inputs]) as sc:

    def dropped():
      return tf.nn.dropout(inputs, rate=1 - keep_prob,
                           noise_shape=_noise_shape(inputs, noise_shape), seed=seed)

    outputs = utils.smart_cond(is_training, dropped, lambda: tf.identity(inputs))
    return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
  """Flattens `[batch, d1, ..., dk]` to `[batch, d1 * ... * dk]`; `[batch]` to
  `[batch, 1]`.

  Raises:
    ValueError: `inputs` has unknown rank or rank < 1.
  """
  inputs = _common.to_tensor('flatten', inputs)
  rank = _common.check_min_rank('flatten', inputs, 1)
  with _common.op_scope(scope, 'Flatten', inputs) as sc:
    if rank == 1:
      outputs = tf.expand_dims(inputs, 1)
    else:
      shape = inputs.get_shape().as_list()
      batch, inner = shape[0], None
      if None not in shape[1:]:
        inner = functools.reduce(lambda a, b: a * b, shape[1:], 1)
      if inner is not None:
        target = [-1, inner]
      elif batch is not None:
        target = [batch, -1]
      else:
        target = tf.stack([tf.shape(inputs)[0], -1])
      outputs = tf.reshape(inputs, target)
      outputs.set_shape([batch, inner])
    return utils.collect_named_outputs(outputs_collections, sc, outputs)


def _product(dims):
  """The product of static sizes, None if one is unknown."""
  return None if None in dims else functools.reduce(lambda a, b: a * b, dims, 1)


@add_arg_scope
def _inner_flatten(inputs, new_rank, output_collections=None, scope=None):
  """Flattens the innermost dimensions of `inputs` so it has rank `new_rank`:
  `[2, 3, 4, 5, 6]` with new_rank 3 becomes `[2, 3, 120]`.

  Args:
    inputs: a `Tensor` or `SparseTensor` of rank >= new_rank.
    new_rank: the rank of the result, a positive int.

  Returns:
    A `Tensor` or `SparseTensor` with the values of `inputs`.

  Raises:
    ValueError: the (static) rank of `inputs` is less than `new_rank`. A dense
      input of unknown rank is checked when run.
  """
  with _common.op_scope(scope, 'InnerFlatten', inputs) as sc:
    if isinstance(inputs, tf.SparseTensor):
      rank = tf.compat.dimension_value(inputs.dense_shape.get_shape()[0])
      if rank is not None and rank < new_rank:
        raise ValueError('_inner_flatten: Inputs has rank less than new_rank. %s must have '
                         'rank at least %d. Received rank %d, shape %s'
                         % (inputs, new_rank, rank, inputs.get_shape()))
      new_shape = tf.concat([inputs.dense_shape[:new_rank - 1],
                             [tf.reduce_prod(inputs.dense_shape[new_rank - 1:])]], 0)
      flattened = tf.sparse.reshape(inputs, new_shape)
    else:
      inputs = tf.convert_to_tensor(inputs)
      rank = inputs.get_shape().ndims
      if rank is not None and rank < new_rank:
        raise ValueError('_inner_flatten: inputs has rank less than new_rank: rank %d, '
                         'new_rank %d (shape %s)' % (rank, new_rank, inputs.get_shape()))
      checks = []
      if rank is None:
        checks = [tf.debugging.assert_rank_at_least(
            inputs, new_rank, message='inputs has rank less than new_rank')]
      with tf.control_dependencies(checks):
        outer = tf.shape(inputs)[:new_rank - 1]
        flattened = tf.reshape(inputs, tf.concat([outer, [-1]], 0))
      if rank is not None:
        shape = inputs.get_shape().as_list()
        flattened.set_shape(shape[:new_rank - 1] + [_product(shape[new_rank - 1:])])
  return utils.collect_named_outputs(output_collections, sc, flattened)


def legacy_fully_connected(x,
                           num_output_units,
                           activation_fn=None,
                           weight_init=initializers.xavier_initializer(),
                           bias_init=tf.compat.v1.zeros_initializer(),
                           name=None,
                           weight_collections=(tf.compat.v1.GraphKeys.WEIGHTS,),
                           bias_collections=(tf.compat.v1.GraphKeys.BIASES,),
                           output_collections=(tf.compat.v1.GraphKeys.ACTIVATIONS,),
                           trainable=True,
                           weight_regularizer=None,
                           bias_regularizer=None):
  """The fully connected layer of TF-Slim's first API: `y = activation(x w + b)`.

  Creates `weights` `[in_units, num_output_units]` (in GLOBAL_VARIABLES and
  `weight_collections`) and, unless `bias_init` is None, `bias`
  `[num_output_units]` (in `bias_collections`), with plain `get_variable`
  (not model variables), in the variable scope `name` (default
  'fully_connected'). Inputs of rank > 2 are multiplied along their last
  dimension. The output goes to `output_collections` and ACTIVATIONS.

  Raises:
    ValueError: `num_output_units` is not a positive int, or `x` has unknown
      rank, rank < 2, or an unknown last dimension.
  """
  _checks.check_count('legacy_fully_connected', 'num_output_units', num_output_units)
  with tf.compat.v1.variable_scope(name, 'fully_connected', [x]):
    x = tf.convert_to_tensor(x)
    dims = x.get_shape().dims
    if dims is None:
      raise ValueError('legacy_fully_connected: dims of x must be known but is None')
    if len(dims) < 2:
      raise ValueError('legacy_fully_connected: rank of x must be at least 2 not: %d'
                       % len(dims))
    in_units = tf.compat.dimension_value(dims[-1])
    if in_units is None:
      raise ValueError('legacy_fully_connected: last dimension of x must be known but is '
                       'None (shape %s)' % x.get_shape())
    dtype = x.dtype.base_dtype
    global_variables = tf.compat.v1.GraphKeys.GLOBAL_VARIABLES

    def make(var_name, shape, initializer, regularizer, collections):
      return tf.compat.v1.get_variable(
          var_name, shape=shape, dtype=dtype, initializer=initializer,
          regularizer=regularizer, trainable=trainable,
          collections=list(set(list(collections or []) + [global_variables])))

    weights = make('weights', [in_units, num_output_units], weight_init,
                   weight_regularizer, weight_collections)
    flat = x if len(dims) == 2 else tf.reshape(x, [-1, in_units])
    y = tf.matmul(flat, weights)
    if bias_init is not None:
      y = tf.nn.bias_add(y, make('bias', [num_output_units], bias_init, bias_regularizer,
                                 bias_collections))
    if len(dims) > 2:
      shape = tf.unstack(tf.shape(x))
      y = tf.reshape(y, tf.stack(shape[:-1] + [num_output_units]))
      y.set_shape(x.get_shape().as_list()[:-1] + [num_output_units])
    if activation_fn is not None:
      y = activation_fn(y)
    tf.compat.v1.add_to_collections(
        list(output_collections or []) + [tf.compat.v1.GraphKeys.ACTIVATIONS], y)
    return y


legacy_relu = functools.partial(legacy_fully_connected, activation_fn=tf.nn.relu)
legacy_linear = functools.partial(legacy_fully_connected, activation_fn=None)
