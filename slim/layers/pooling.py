"""Pooling layers: average and max pooling in 2-d and 3-d, and N-d `pool`."""
import tensorflow as tf

from slim.layers import _common
from slim.layers import utils
from slim.ops.arg_scope import add_arg_scope

__all__ = ['avg_pool2d', 'avg_pool3d', 'max_pool2d', 'max_pool3d', 'pool']

_FORMATS = {2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}
# tf.nn ops and the names tf_slim's pooling ops have ('MaxPool2D/MaxPool').
_POOL_OPS = {('avg', 2): (tf.nn.avg_pool2d, 'AvgPool'), ('max', 2): (tf.nn.max_pool2d, 'MaxPool'),
             ('avg', 3): (tf.nn.avg_pool3d, 'AvgPool3D'),
             ('max', 3): (tf.nn.max_pool3d, 'MaxPool3D')}


def _pool(kind, layer, default_scope, spatial_dims, inputs, kernel_size, stride,
          padding, data_format, outputs_collections, scope):
  """Shared body of the fixed-rank pooling layers: checks, then `tf.nn` pooling.

  3-d pooling runs channels last (TensorFlow has no NCDHW pooling kernels on
  CPU): NCDHW inputs are transposed there and back.
  """
  _common.check_data_format(layer, data_format, _FORMATS[spatial_dims])
  inputs = _common.to_tensor(layer, inputs)
  _common.check_rank(layer, inputs, (spatial_dims + 2,))
  kernel = _common.positive_ints(layer, 'kernel_size', kernel_size, spatial_dims)
  strides = _common.positive_ints(layer, 'stride', stride, spatial_dims)
  padding = _common.check_padding(layer, padding)
  pool_op, op_name = _POOL_OPS[(kind, spatial_dims)]
  with _common.op_scope(scope, default_scope, inputs) as sc:
    if spatial_dims == 3 and _common.channels_first(data_format):
      outputs = pool_op(tf.transpose(inputs, [0, 2, 3, 4, 1]), kernel, strides, padding,
                        name=op_name)
      outputs = tf.transpose(outputs, [0, 4, 1, 2, 3])
    else:
      outputs = pool_op(inputs, kernel, strides, padding, data_format=data_format,
                        name=op_name)
    return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=_common.DATA_FORMAT_NHWC, outputs_collections=None,
               scope=None):
  """Adds 2-d average pooling (name scope 'AvgPool2D').

  Args:
    inputs: a 4-d tensor, NHWC or NCHW.
    kernel_size: 2 positive ints or one int: the pooling window.
    stride: 2 positive ints or one int.
    padding: 'VALID' (default) or 'SAME'.
    data_format: 'NHWC' or 'NCHW'.
    outputs_collections, scope: as usual.

  Returns:
    The pooled tensor.
  """
  return _pool('avg', 'avg_pool2d', 'AvgPool2D', 2, inputs, kernel_size, stride, padding,
               data_format, outputs_collections, scope)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=_common.DATA_FORMAT_NHWC, outputs_collections=None,
               scope=None):
  """Adds 2-d max pooling (name scope 'MaxPool2D'); arguments as `avg_pool2d`."""
  return _pool('max', 'max_pool2d', 'MaxPool2D', 2, inputs, kernel_size, stride, padding,
               data_format, outputs_collections, scope)


@add_arg_scope
def avg_pool3d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=_common.DATA_FORMAT_NDHWC, outputs_collections=None,
               scope=None):
  """Adds 3-d average pooling (name scope 'AvgPool3D') on NDHWC or NCDHW inputs."""
  return _pool('avg', 'avg_pool3d', 'AvgPool3D', 3, inputs, kernel_size, stride, padding,
               data_format, outputs_collections, scope)


@add_arg_scope
def max_pool3d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=_common.DATA_FORMAT_NDHWC, outputs_collections=None,
               scope=None):
  """Adds 3-d max pooling (name scope 'MaxPool3D') on NDHWC or NCDHW inputs."""
  return _pool('max', 'max_pool3d', 'MaxPool3D', 3, inputs, kernel_size, stride, padding,
               data_format, outputs_collections, scope)


@add_arg_scope
def pool(inputs, kernel_size, pooling_type, padding='VALID', data_format=None,
         dilation_rate=1, stride=1, outputs_collections=None, scope=None):
  """Adds N-d pooling (`tf.nn.pool`) with dilation; name scope '<type>_pool'.

  Args:
    inputs: a tensor of rank N+2 (N = 1, 2 or 3).
    kernel_size, dilation_rate, stride: N positive ints or one int.
    pooling_type: 'AVG' or 'MAX'.
    padding: 'VALID' or 'SAME'.
    data_format: as for `tf.nn.pool` (None for channels last).

  Raises:
    ValueError: unknown rank or rank < 3.
  """
  layer = 'pool'
  inputs = _common.to_tensor(layer, inputs)
  rank = inputs.get_shape().ndims
  if rank is None:
    raise ValueError('%s: Rank of inputs must be known' % layer)
  if rank < 3:
    raise ValueError('%s: Rank of inputs must be >= 3, received rank %d' % (layer, rank))
  spatial_dims = rank - 2
  with _common.op_scope(scope, '%s_pool' % pooling_type.lower(), inputs) as sc:
    outputs = tf.nn.pool(
        inputs,
        window_shape=_common.positive_ints(layer, 'kernel_size', kernel_size,
                                           spatial_dims),
        pooling_type=pooling_type, padding=_common.check_padding(layer, padding),
        data_format=data_format,
        dilations=_common.positive_ints(layer, 'dilation_rate', dilation_rate,
                                        spatial_dims),
        strides=_common.positive_ints(layer, 'stride', stride, spatial_dims),
        name=sc)
    return utils.collect_named_outputs(outputs_collections, sc, outputs)
