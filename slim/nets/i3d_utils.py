"""What the video networks I3D and S3D-G share: 3-D convolutions that may be
split into a spatial and a temporal part, the 3-D Inception v1 block, the
centering initializer of the temporal convolutions and the head's pool size.

Clips are 5-D: [batch, frames, height, width, channels] ('NDHWC', the
default) or [batch, channels, frames, height, width] ('NCDHW').

    net = i3d_utils.conv3d_spatiotemporal(clips, 64, [3, 3, 3], separable=True,
                                          scope='Conv2d_2c_3x3')
    # Conv2d_2c_3x3/weights [1, 3, 3, C, 64] then Conv2d_2c_3x3/temporal/weights [3, 1, 1, 64, 64]
"""
import numpy as np
import tensorflow as tf

import slim

__all__ = ['DATA_FORMATS', 'center_initializer', 'check_clips', 'check_data_format',
           'conv3d_spatiotemporal', 'inception_block_v1_3d', 'reduced_kernel_size_3d']

DATA_FORMATS = ('NDHWC', 'NCDHW')


def check_data_format(caller, data_format):
  """Returns `data_format` if it is 'NDHWC' or 'NCDHW'; else ValueError."""
  if data_format not in DATA_FORMATS:
    raise ValueError("%s: data_format must be 'NDHWC' or 'NCDHW', received %r"
                     % (caller, data_format))
  return data_format


def check_clips(caller, inputs):
  """`inputs` as a tensor of rank 5 (a batch of clips); else TypeError or ValueError."""
  try:
    inputs = tf.convert_to_tensor(inputs)
  except (TypeError, ValueError) as error:
    raise TypeError('%s: inputs must be a tensor of clips, received %r (%s)'
                    % (caller, inputs, error)) from None
  if inputs.get_shape().ndims != 5:
    raise ValueError('%s: inputs must have rank 5 [batch, frames, height, width, channels], '
                     'received shape %s' % (caller, inputs.get_shape()))
  return inputs


def _triple(caller, argument, value):
  """`value` (an int, or 3 ints) as a list of 3 positive ints; else ValueError."""
  values = [value] * 3 if isinstance(value, int) and not isinstance(value, bool) else value
  if (not isinstance(values, (list, tuple)) or len(values) != 3
      or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values)):
    raise ValueError('%s: %s must be a positive int or 3 positive ints [depth, height, '
                     'width], received %r' % (caller, argument, value))
  return list(values)


def center_initializer():
  """An initializer of temporal convolution kernels [t, 1, 1, c, c] (t odd)
  that starts them as the identity: 1 at the middle frame from each channel
  to itself, 0 elsewhere. Separable 3-D convolutions train well from it.

  Returns:
    `initializer(shape, dtype=tf.float32, partition_info=None)`, which raises
    ValueError for a dtype other than float32 or bfloat16, a shape not of
    rank 5, input and output channels that differ, spatial sizes other than
    1 or an even temporal size.
  """

  def initializer(shape, dtype=tf.float32, partition_info=None):
    del partition_info  # unused
    dtype = tf.as_dtype(dtype or tf.float32)
    shape = [int(d) for d in shape]
    caller = 'center_initializer'
    if dtype not in (tf.float32, tf.bfloat16):
      raise ValueError('%s: dtype must be float32 or bfloat16, received %s'
                       % (caller, dtype.name))
    if len(shape) != 5:
      raise ValueError('%s: the kernel must have rank 5 [t, 1, 1, channels, channels], '
                       'received shape %s' % (caller, shape))
    if shape[3] != shape[4]:
      raise ValueError('%s: input and output channels must be the same, received shape %s'
                       % (caller, shape))
    if shape[1:3] != [1, 1]:
      raise ValueError('%s: the spatial kernel size must be 1 x 1 (a pointwise '
                       'convolution), received shape %s' % (caller, shape))
    if shape[0] % 2 == 0:
      raise ValueError('%s: the temporal kernel size must be odd, received shape %s'
                       % (caller, shape))
    value = np.zeros(shape, np.float32)
    value[shape[0] // 2, 0, 0] = np.eye(shape[3], dtype=np.float32)
    return tf.constant(value, dtype=dtype)

  return initializer


@slim.add_arg_scope
def conv3d_spatiotemporal(inputs,
                          num_outputs,
                          kernel_size,
                          stride=1,
                          padding='SAME',
                          activation_fn=None,
                          normalizer_fn=None,
                          normalizer_params=None,
                          weights_regularizer=None,
                          separable=False,
                          data_format='NDHWC',
                          scope=''):
  """A 3-D convolution, or, if `separable` and the kernel spans more than one
  frame, a spatial [1, k, k] convolution followed by a temporal [t, 1, 1] one.

  Variables: `scope`/weights (and biases or the normalizer's); if separable,
  also `scope`/temporal/weights [t, 1, 1, num_outputs, num_outputs] (from
  `center_initializer`) and `scope`/temporal/biases, with `activation_fn`
  and no normalizer.

  Args:
    inputs: a 5-D tensor of clips.
    num_outputs: the number of output channels.
    kernel_size: [frames, height, width] of the kernel (3 ints).
    stride: an int, or [frames, height, width] (default 1).
    padding: 'SAME' (default) or 'VALID'.
    activation_fn: applied after each convolution (default None: linear).
    normalizer_fn, normalizer_params: normalization of the (spatial)
      convolution, in place of biases (default none).
    weights_regularizer: of the (spatial) convolution's weights (default none).
    separable: split the convolution in two as above (default False).
    data_format: 'NDHWC' (default) or 'NCDHW'.
    scope: the variable scope.

  Returns:
    The output, [batch, frames', height', width', num_outputs] for 'NDHWC'.

  Raises:
    ValueError: a `kernel_size` or `stride` not of 3 positive ints.
  """
  kernel_size = _triple('conv3d_spatiotemporal', 'kernel_size', kernel_size)
  stride = _triple('conv3d_spatiotemporal', 'stride', stride)
  params = {'padding': padding, 'activation_fn': activation_fn, 'data_format': data_format}
  if not separable or kernel_size[0] == 1:
    return slim.conv3d(inputs, num_outputs, kernel_size, stride=stride,
                       normalizer_fn=normalizer_fn, normalizer_params=normalizer_params,
                       weights_regularizer=weights_regularizer, scope=scope, **params)
  net = slim.conv3d(inputs, num_outputs, [1] + kernel_size[1:], stride=[1] + stride[1:],
                    normalizer_fn=normalizer_fn, normalizer_params=normalizer_params,
                    weights_regularizer=weights_regularizer, scope=scope, **params)
  return slim.conv3d(net, num_outputs, [kernel_size[0], 1, 1], stride=[stride[0], 1, 1],
                     normalizer_fn=None, weights_initializer=center_initializer(),
                     scope=scope + '/temporal', **params)


def _channel_axis(caller, data_format):
  return check_data_format(caller, data_format).index('C')


@slim.add_arg_scope
def inception_block_v1_3d(inputs,
                          num_outputs_0_0a,
                          num_outputs_1_0a,
                          num_outputs_1_0b,
                          num_outputs_2_0a,
                          num_outputs_2_0b,
                          num_outputs_3_0b,
                          temporal_kernel_size=3,
                          self_gating_fn=None,
                          data_format='NDHWC',
                          scope=''):
  """The 3-D Inception v1 block of I3D and S3D-G (Xie et al., "Rethinking
  Spatiotemporal Feature Learning", https://arxiv.org/abs/1712.04851): four
  branches concatenated along the channels.

  Variables in `scope`: Branch_0/Conv2d_0a_1x1; Branch_1/Conv2d_0a_1x1 and
  Branch_1/Conv2d_0b_3x3 (a `conv3d_spatiotemporal` [t, 3, 3]); the same in
  Branch_2; Branch_3/Conv2d_0b_1x1 after a 3x3x3 max pool; with
  `self_gating_fn`, that function's variables after each branch.

  Args:
    inputs: a 5-D tensor of clips.
    num_outputs_0_0a, num_outputs_1_0a, num_outputs_1_0b, num_outputs_2_0a,
      num_outputs_2_0b, num_outputs_3_0b: output channels of Branch_<i>'s
      Conv2d_0<x> convolution.
    temporal_kernel_size: frames spanned by the 3x3 convolutions (default 3).
    self_gating_fn: `fn(net, scope=...)` applied to the output of each branch
      (default None: no gating).
    data_format: 'NDHWC' (default) or 'NCDHW'; the stride, padding and
      data format of the layers come from the arg scope.
    scope: the variable scope.

  Returns:
    The concatenated branches, with num_outputs_0_0a + num_outputs_1_0b +
    num_outputs_2_0b + num_outputs_3_0b channels.

  Raises:
    ValueError: an unknown `data_format`.
  """
  axis = _channel_axis('inception_block_v1_3d', data_format)
  t = temporal_kernel_size
  branches = [
      [('conv', 'Conv2d_0a_1x1', num_outputs_0_0a)],
      [('conv', 'Conv2d_0a_1x1', num_outputs_1_0a), ('st', 'Conv2d_0b_3x3', num_outputs_1_0b)],
      [('conv', 'Conv2d_0a_1x1', num_outputs_2_0a), ('st', 'Conv2d_0b_3x3', num_outputs_2_0b)],
      [('pool', 'MaxPool_0a_3x3', None), ('conv', 'Conv2d_0b_1x1', num_outputs_3_0b)],
  ]
  outputs = []
  with tf.compat.v1.variable_scope(scope):
    for index, layers in enumerate(branches):
      with tf.compat.v1.variable_scope('Branch_%d' % index):
        net = inputs
        for kind, name, depth in layers:
          if kind == 'conv':
            net = slim.conv3d(net, depth, [1, 1, 1], scope=name)
          elif kind == 'st':
            net = conv3d_spatiotemporal(net, depth, [t, 3, 3], scope=name)
          else:
            net = slim.max_pool3d(net, [3, 3, 3], scope=name)
        if self_gating_fn is not None:
          net = self_gating_fn(net, scope=name)
        outputs.append(net)
    return tf.concat(outputs, axis)


def reduced_kernel_size_3d(input_tensor, kernel_size):
  """`kernel_size` [frames, height, width] reduced to the size of a small
  input; unchanged where the frames, height or width are unknown.

  Args:
    input_tensor: a 5-D tensor [batch, frames, height, width, channels].
    kernel_size: 3 ints.

  Returns:
    A list of 3 ints.

  Raises:
    ValueError: `kernel_size` not of 3 ints, or `input_tensor` not of rank 5.
  """
  kernel_size = _triple('reduced_kernel_size_3d', 'kernel_size', kernel_size)
  shape = input_tensor.get_shape()
  if shape.ndims != 5:
    raise ValueError('reduced_kernel_size_3d: input_tensor must have rank 5 [batch, frames, '
                     'height, width, channels], received shape %s' % (shape,))
  sizes = shape.as_list()[1:4]
  if None in sizes:
    return kernel_size
  return [min(size, k) for size, k in zip(sizes, kernel_size)]

