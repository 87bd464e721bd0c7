"""Convolution layers: N-d convolution, separable, depthwise and in-plane convolution."""
import tensorflow as tf

from slim import _checks
from slim.layers import _common
from slim.layers import _fast_gradients
from slim.layers import initializers
from slim.ops.arg_scope import add_arg_scope

__all__ = ['convolution', 'convolution1d', 'convolution2d', 'convolution3d',
           'conv1d', 'conv2d', 'conv3d',
           'separable_convolution2d', 'separable_conv2d',
           'convolution2d_in_plane', 'conv2d_in_plane']

_CONV_DATA_FORMATS = (None, 'NWC', 'NCW', 'NHWC', 'NCHW', 'NDHWC', 'NCDHW')
_DATA_FORMAT_BY_RANK = {(3, False): 'NWC', (4, False): 'NHWC', (5, False): 'NDHWC',
                        (3, True): 'NCW', (4, True): 'NCHW', (5, True): 'NCDHW'}


def _covers_whole_input(inputs, kernel_size, rate, padding, data_format):
  """True for a 2-d VALID convolution whose kernel spans the whole (static)
  input: its output is 1x1 and it is a matrix product (VGG's fc6, AlexNet's)."""
  if (padding != 'VALID' or _common.channels_first(data_format) or
      len(kernel_size) != 2 or any(r != 1 for r in rate)):
    return False
  spatial = inputs.get_shape().as_list()[1:3]
  return spatial == list(kernel_size)


def _separable_conv2d(inputs, depthwise, pointwise, strides, padding, data_format, rate):
  """`tf.nn.separable_conv2d`, the same ops and names, its NHWC pointwise convolution
  through `_fast_gradients.conv2d`."""
  if _common.channels_first(data_format):
    return tf.nn.separable_conv2d(inputs, depthwise, pointwise, strides, padding,
                                  data_format=data_format, dilations=rate)
  with tf.compat.v1.name_scope(None, 'separable_conv2d', [inputs, depthwise, pointwise]) as name:
    outputs = tf.nn.depthwise_conv2d(inputs, depthwise, strides, padding, dilations=rate,
                                     name='depthwise')
    return _fast_gradients.conv2d(outputs, pointwise, 'VALID', name=name)


def _whole_input_conv(inputs, weights):
  """The convolution of `_covers_whole_input` as one matmul on flattened inputs."""
  kernel_shape = weights.get_shape().as_list()
  depth = kernel_shape[0] * kernel_shape[1] * kernel_shape[2]
  flat = tf.reshape(inputs, [-1, depth])
  outputs = _fast_gradients.weights_matmul(flat, tf.reshape(weights, [depth, kernel_shape[3]]))
  return tf.reshape(outputs, [-1, 1, 1, kernel_shape[3]], name='Conv2D')


def _convolution(layer, inputs, num_outputs, kernel_size, stride, padding, data_format,
                 rate, activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                 weights_regularizer, biases_initializer, biases_regularizer, reuse,
                 variables_collections, outputs_collections, trainable, scope, conv_dims):
  """`convolution`, with `layer` naming the public function in errors."""
  if data_format not in _CONV_DATA_FORMATS:
    raise ValueError('%s: Invalid data_format: %r, expected one of %s'
                     % (layer, data_format, ', '.join(map(repr, _CONV_DATA_FORMATS))))
  inputs = _common.to_tensor(layer, inputs)
  rank = inputs.get_shape().ndims
  if conv_dims is not None and rank != conv_dims + 2:
    raise ValueError('%s: Convolution expects input with rank %d, got %s (inputs of shape '
                     '%s)' % (layer, conv_dims + 2, rank, inputs.get_shape()))
  if rank not in (3, 4, 5):
    raise ValueError('%s: Convolution not supported for input with rank %s: inputs must '
                     'have rank 3, 4 or 5 (shape %s)' % (layer, rank, inputs.get_shape()))
  spatial_dims = rank - 2
  _checks.check_count(layer, 'num_outputs', num_outputs)
  kernel_size = _common.positive_ints(layer, 'kernel_size', kernel_size, spatial_dims)
  stride = _common.positive_ints(layer, 'stride', stride, spatial_dims)
  rate = _common.positive_ints(layer, 'rate', rate, spatial_dims)
  padding = _common.check_padding(layer, padding)
  if any(r > 1 for r in rate) and any(s > 1 for s in stride):
    raise ValueError('%s: rate and stride cannot both be above 1, received rate=%s and '
                     'stride=%s' % (layer, rate, stride))
  first = _common.channels_first(data_format)
  tf_format = _DATA_FORMAT_BY_RANK[(rank, first)]
  in_channels = _common.known_dimension(layer, inputs, 1 if first else -1)
  dtype = inputs.dtype.base_dtype

  with _common.layer_scope(scope, 'Conv', inputs, reuse) as sc:
    weights = _common.layer_variable(
        'weights', list(kernel_size) + [in_channels, num_outputs], dtype,
        weights_initializer, weights_regularizer, trainable, variables_collections,
        loss_name='kernel')
    kernel = _common.as_tensor(weights)
    if rank == 4 and _covers_whole_input(inputs, kernel_size, rate, padding, data_format):
      outputs = _whole_input_conv(inputs, kernel)
    elif (rank == 4 and not first and
          _fast_gradients.has_fast_gradients(kernel_size, stride, rate, padding)):
      outputs = _fast_gradients.conv2d(inputs, kernel, padding, name='Conv2D')
    else:
      outputs = tf.nn.convolution(inputs, kernel, strides=stride, padding=padding,
                                  data_format=tf_format, dilations=rate,
                                  name='Conv%dD' % spatial_dims)
    if not normalizer_fn and biases_initializer is not None:
      biases = _common.layer_variable('biases', [num_outputs], dtype, biases_initializer,
                                      biases_regularizer, trainable,
                                      variables_collections, loss_name='bias')
      outputs = tf.nn.bias_add(outputs, _common.as_tensor(biases),
                               data_format='NCHW' if first else None)
    return _common.finish(outputs, outputs_collections, sc.name, normalizer_fn,
                          normalizer_params, activation_fn)


@add_arg_scope
def convolution(inputs,
                num_outputs,
                kernel_size,
                stride=1,
                padding='SAME',
                data_format=None,
                rate=1,
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
                scope=None,
                conv_dims=None):
  """Adds an N-d convolution (N = 1, 2 or 3), then normalizer and activation.

  Creates `weights` of shape `kernel_size + [in_channels, num_outputs]` and,
  unless `normalizer_fn` is given or `biases_initializer` is None, `biases` of
  shape `[num_outputs]`, in the variable scope `scope` (default 'Conv').

  Args:
    inputs: a tensor of rank N+2: `[batch, spatial..., channels]`, or channels
      second when `data_format` starts with 'NC'.
    num_outputs: number of output channels.
    kernel_size: N positive ints, or one int for all spatial dims.
    stride: N positive ints or one int.
    padding: 'SAME' or 'VALID'.
    data_format: None (channels last), 'NWC', 'NCW', 'NHWC', 'NCHW', 'NDHWC' or
      'NCDHW'.
    rate: dilation rate, N positive ints or one int; `rate` > 1 needs stride 1.
    activation_fn: applied last; None for a linear output. Default relu.
    normalizer_fn: e.g. `slim.batch_norm`, applied instead of biases.
    normalizer_params: keyword arguments of `normalizer_fn`.
    weights_initializer, weights_regularizer, biases_initializer,
    biases_regularizer: for the variables.
    reuse: reuse the variables of `scope`.
    variables_collections: a list, or a dict keyed 'weights'/'biases', of extra
      collections for the variables.
    outputs_collections: collections to add the output to (end points).
    trainable: whether the variables are trainable.
    scope: the variable scope.
    conv_dims: N, if given, checked against the rank of `inputs`.

  Returns:
    The output tensor.

  Raises:
    ValueError: a wrong rank, size, padding or data_format, or both `rate`
      and `stride` above 1.
  """
  return _convolution('convolution', inputs, num_outputs, kernel_size, stride, padding,
                      data_format, rate, activation_fn, normalizer_fn, normalizer_params,
                      weights_initializer, weights_regularizer, biases_initializer,
                      biases_regularizer, reuse, variables_collections,
                      outputs_collections, trainable, scope, conv_dims)


def _with_dims(conv_dims, name):
  """`convolution` fixed to `conv_dims` spatial dimensions."""

  @add_arg_scope
  def conv_nd(inputs,
              num_outputs,
              kernel_size,
              stride=1,
              padding='SAME',
              data_format=None,
              rate=1,
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
    return _convolution('conv%dd' % conv_dims, inputs, num_outputs, kernel_size, stride,
                        padding, data_format, rate, activation_fn, normalizer_fn,
                        normalizer_params, weights_initializer, weights_regularizer,
                        biases_initializer, biases_regularizer, reuse,
                        variables_collections, outputs_collections, trainable, scope,
                        conv_dims)

  conv_nd.__name__ = conv_nd.__qualname__ = name
  conv_nd.__doc__ = ('Adds a %d-d convolution: `convolution` with inputs of rank %d.'
                     % (conv_dims, conv_dims + 2))
  return conv_nd


convolution1d = _with_dims(1, 'convolution1d')
convolution2d = _with_dims(2, 'convolution2d')
convolution3d = _with_dims(3, 'convolution3d')
conv1d = convolution1d
conv2d = convolution2d
conv3d = convolution3d


@add_arg_scope
def separable_convolution2d(inputs,
                            num_outputs,
                            kernel_size,
                            depth_multiplier=1,
                            stride=1,
                            padding='SAME',
                            data_format=_common.DATA_FORMAT_NHWC,
                            rate=1,
                            activation_fn=tf.nn.relu,
                            normalizer_fn=None,
                            normalizer_params=None,
                            weights_initializer=initializers.xavier_initializer(),
                            pointwise_initializer=None,
                            weights_regularizer=None,
                            biases_initializer=tf.compat.v1.zeros_initializer(),
                            biases_regularizer=None,
                            reuse=None,
                            variables_collections=None,
                            outputs_collections=None,
                            trainable=True,
                            scope=None):
  """Adds a depthwise-separable 2-d convolution, or only its depthwise part.

  Creates `depthwise_weights` `[kh, kw, in_channels, depth_multiplier]`; when
  `num_outputs` is not None also `pointwise_weights`
  `[1, 1, in_channels * depth_multiplier, num_outputs]`; and `biases` unless a
  normalizer is given or `biases_initializer` is None. Scope 'SeparableConv2d'.

  Args:
    inputs: a 4-d tensor, NHWC or NCHW.
    num_outputs: output channels, or None for a depthwise convolution whose
      output has `in_channels * depth_multiplier` channels.
    kernel_size: 2 positive ints or one int.
    depth_multiplier: depthwise outputs per input channel.
    stride, padding, data_format, rate: as for `convolution`.
    pointwise_initializer: defaults to `weights_initializer`.
    Other arguments as for `convolution`.

  Returns:
    The output tensor.
  """
  layer = 'separable_conv2d'
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  inputs = _common.to_tensor(layer, inputs)
  _common.check_rank(layer, inputs, (4,))
  _checks.check_count(layer, 'num_outputs', num_outputs, allow_none=True)
  kernel_h, kernel_w = _common.positive_ints(layer, 'kernel_size', kernel_size, 2)
  stride_h, stride_w = _common.positive_ints(layer, 'stride', stride, 2)
  rate = _common.positive_ints(layer, 'rate', rate, 2)
  _checks.check_count(layer, 'depth_multiplier', depth_multiplier)
  padding = _common.check_padding(layer, padding)
  first = _common.channels_first(data_format)
  in_channels = _common.known_dimension(layer, inputs, 1 if first else -1)
  strides = [1, 1, stride_h, stride_w] if first else [1, stride_h, stride_w, 1]
  dtype = inputs.dtype.base_dtype
  if pointwise_initializer is None:
    pointwise_initializer = weights_initializer

  # tf_slim builds the separable case from a Keras layer (losses named after
  # 'depthwise_kernel', 'pointwise_kernel', 'bias'), the depthwise one directly.
  separable = num_outputs is not None
  with _common.layer_scope(scope, 'SeparableConv2d', inputs, reuse) as sc:
    depthwise = _common.layer_variable(
        'depthwise_weights', [kernel_h, kernel_w, in_channels, depth_multiplier], dtype,
        weights_initializer, weights_regularizer, trainable, variables_collections,
        'weights', loss_name='depthwise_kernel' if separable else None)
    if separable:
      pointwise = _common.layer_variable(
          'pointwise_weights', [1, 1, in_channels * depth_multiplier, num_outputs], dtype,
          pointwise_initializer, weights_regularizer, trainable, variables_collections,
          'weights', loss_name='pointwise_kernel')
      outputs = _separable_conv2d(inputs, _common.as_tensor(depthwise),
                                  _common.as_tensor(pointwise), strides, padding, data_format,
                                  rate)
    else:
      num_outputs = in_channels * depth_multiplier
      outputs = tf.nn.depthwise_conv2d(inputs, _common.as_tensor(depthwise), strides,
                                       padding, data_format=data_format, dilations=rate)
    if not normalizer_fn and biases_initializer is not None:
      biases = _common.layer_variable('biases', [num_outputs], dtype, biases_initializer,
                                      biases_regularizer, trainable,
                                      variables_collections,
                                      loss_name='bias' if separable else None)
      outputs = tf.nn.bias_add(outputs, _common.as_tensor(biases),
                               data_format=data_format)
    return _common.finish(outputs, outputs_collections, sc.name, normalizer_fn,
                          normalizer_params, activation_fn)


separable_conv2d = separable_convolution2d


@add_arg_scope
def convolution2d_in_plane(inputs,
                           kernel_size,
                           stride=1,
                           padding='SAME',
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
  """Convolves every channel of an NHWC input with the same 2-d kernel.

  Creates `weights` `[kh, kw, 1, 1]`, shared by all channels, and unless a
  normalizer is given or `biases_initializer` is None, `biases` `[channels]`,
  in the variable scope `scope` (default 'ConvInPlane'). Useful for fixed
  per-channel filters such as image gradients (kernel_size [1, 2] or [2, 1]).

  Args:
    inputs: a 4-d NHWC tensor with known channels.
    kernel_size: 2 positive ints or one int.
    stride: 2 positive ints or one int.
    Other arguments as for `convolution`.

  Returns:
    A tensor with the channels of `inputs`.

  Raises:
    ValueError: inputs not of rank 4 or unknown channels, bad sizes or padding.
  """
  layer = 'conv2d_in_plane'
  inputs = _common.to_tensor(layer, inputs)
  _common.check_rank(layer, inputs, (4,))
  kernel_h, kernel_w = _common.positive_ints(layer, 'kernel_size', kernel_size, 2)
  stride_h, stride_w = _common.positive_ints(layer, 'stride', stride, 2)
  padding = _common.check_padding(layer, padding)
  channels = _common.known_dimension(layer, inputs, -1)
  dtype = inputs.dtype.base_dtype
  with _common.layer_scope(scope, 'ConvInPlane', inputs, reuse) as sc:
    weights = _common.layer_variable('weights', [kernel_h, kernel_w, 1, 1], dtype,
                                     weights_initializer, weights_regularizer, trainable,
                                     variables_collections)
    kernel = tf.tile(_common.as_tensor(weights), [1, 1, channels, 1])
    outputs = tf.nn.depthwise_conv2d(inputs, kernel, [1, stride_h, stride_w, 1], padding)
    if not normalizer_fn and biases_initializer is not None:
      biases = _common.layer_variable('biases', [channels], dtype, biases_initializer,
                                      biases_regularizer, trainable, variables_collections)
      outputs = tf.nn.bias_add(outputs, _common.as_tensor(biases))
    return _common.finish(outputs, outputs_collections, sc.name, normalizer_fn,
                          normalizer_params, activation_fn)


conv2d_in_plane = convolution2d_in_plane
