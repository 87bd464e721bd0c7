"""Transposed convolution layers ("deconvolution") in 2-d and 3-d."""
import tensorflow as tf

from slim import _checks
from slim.layers import _common
from slim.layers import initializers
from slim.ops.arg_scope import add_arg_scope

__all__ = ['convolution2d_transpose', 'convolution3d_transpose',
           'conv2d_transpose', 'conv3d_transpose']

_FORMATS = {2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}
_OPS = {2: tf.nn.conv2d_transpose, 3: tf.nn.conv3d_transpose}


def _output_length(length, kernel, stride, padding):
  """The output length along one spatial axis (static int or scalar tensor)."""
  if padding == 'SAME':
    return length * stride
  return length * stride + max(kernel - stride, 0)


def _transpose(layer, default_scope, spatial_dims, inputs, num_outputs, kernel_size, stride,
               padding, data_format, activation_fn, normalizer_fn, normalizer_params,
               weights_initializer, weights_regularizer, biases_initializer,
               biases_regularizer, reuse, variables_collections, outputs_collections,
               trainable, scope):
  """Shared body of the transposed convolutions: checks, variables, op."""
  _common.check_data_format(layer, data_format, _FORMATS[spatial_dims])
  inputs = _common.to_tensor(layer, inputs)
  rank = _common.check_rank(layer, inputs, (spatial_dims + 2,))
  _checks.check_count(layer, 'num_outputs', num_outputs)
  kernel_size = _common.positive_ints(layer, 'kernel_size', kernel_size, spatial_dims)
  strides = _common.positive_ints(layer, 'stride', stride, spatial_dims)
  padding = _common.check_padding(layer, padding)
  first = _common.channels_first(data_format)
  channel_axis = 1 if first else rank - 1
  spatial_axes = list(range(2, rank)) if first else list(range(1, rank - 1))
  in_channels = _common.known_dimension(layer, inputs, channel_axis)
  dtype = inputs.dtype.base_dtype

  with _common.layer_scope(scope, default_scope, inputs, reuse) as sc:
    weights = _common.layer_variable(
        'weights', list(kernel_size) + [num_outputs, in_channels], dtype,
        weights_initializer, weights_regularizer, trainable, variables_collections,
        loss_name='kernel')
    use_biases = not normalizer_fn and biases_initializer is not None
    if use_biases:  # made before the op, in tf_slim's order
      biases = _common.layer_variable('biases', [num_outputs], dtype, biases_initializer,
                                      biases_regularizer, trainable,
                                      variables_collections, loss_name='bias')
    static_shape = inputs.get_shape().as_list()
    dynamic_shape = tf.shape(inputs)
    output_shape = [static_shape[0], None, None, None, None][:rank]
    dynamic_output = [dynamic_shape[0]] + [None] * (rank - 1)
    output_shape[channel_axis] = dynamic_output[channel_axis] = num_outputs
    for axis, size, step in zip(spatial_axes, kernel_size, strides):
      length = static_shape[axis]
      if length is not None:
        output_shape[axis] = dynamic_output[axis] = _output_length(length, size, step,
                                                                   padding)
      else:
        dynamic_output[axis] = _output_length(dynamic_shape[axis], size, step, padding)
    if static_shape[0] is not None:
      dynamic_output[0] = static_shape[0]
    full_strides = [1, 1] + list(strides) if first else [1] + list(strides) + [1]
    outputs = _OPS[spatial_dims](inputs, _common.as_tensor(weights), tf.stack(dynamic_output),
                                 full_strides, padding, data_format=data_format)
    outputs.set_shape(output_shape)
    if use_biases:
      outputs = tf.nn.bias_add(outputs, _common.as_tensor(biases),
                               data_format='NCHW' if first else None)
    return _common.finish(outputs, outputs_collections, sc.name, normalizer_fn,
                          normalizer_params, activation_fn)


@add_arg_scope
def convolution2d_transpose(inputs,
                            num_outputs,
                            kernel_size,
                            stride=1,
                            padding='SAME',
                            data_format=_common.DATA_FORMAT_NHWC,
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
  """Adds a 2-d transposed convolution, then normalizer and activation.

  Creates `weights` `[kh, kw, num_outputs, in_channels]` and, unless a
  normalizer is given or `biases_initializer` is None, `biases`
  `[num_outputs]`, in the variable scope `scope` (default 'Conv2d_transpose').
  Each spatial size grows to `size * stride` ('SAME') or
  `size * stride + max(kernel - stride, 0)` ('VALID').

  Args:
    inputs: a 4-d tensor, NHWC or NCHW, with known channels.
    num_outputs: the number of output channels.
    kernel_size: 2 positive ints or one int.
    stride: 2 positive ints or one int.
    padding: 'SAME' or 'VALID'.
    data_format: 'NHWC' or 'NCHW'.
    Other arguments as for `slim.conv2d`.

  Returns:
    The output tensor.

  Raises:
    ValueError: a wrong rank, size, padding or data_format, or unknown
      channels.

  Example:
    net = slim.conv2d_transpose(net, 64, [4, 4], stride=2, scope='deconv1')
  """
  return _transpose('conv2d_transpose', 'Conv2d_transpose', 2, inputs, num_outputs,
                    kernel_size, stride, padding, data_format, activation_fn, normalizer_fn,
                    normalizer_params, weights_initializer, weights_regularizer,
                    biases_initializer, biases_regularizer, reuse, variables_collections,
                    outputs_collections, trainable, scope)


@add_arg_scope
def convolution3d_transpose(inputs,
                            num_outputs,
                            kernel_size,
                            stride=1,
                            padding='SAME',
                            data_format=_common.DATA_FORMAT_NDHWC,
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
  """Adds a 3-d transposed convolution, then normalizer and activation.

  As `convolution2d_transpose` with 5-d inputs ('NDHWC' or 'NCDHW'), `weights`
  `[kd, kh, kw, num_outputs, in_channels]` and default scope
  'Conv3d_transpose'; `kernel_size` and `stride` are 3 positive ints or one.
  """
  return _transpose('conv3d_transpose', 'Conv3d_transpose', 3, inputs, num_outputs,
                    kernel_size, stride, padding, data_format, activation_fn, normalizer_fn,
                    normalizer_params, weights_initializer, weights_regularizer,
                    biases_initializer, biases_regularizer, reuse, variables_collections,
                    outputs_collections, trainable, scope)


conv2d_transpose = convolution2d_transpose
conv3d_transpose = convolution3d_transpose
