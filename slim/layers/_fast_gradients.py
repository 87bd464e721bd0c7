"""Layer products whose gradients TensorFlow's CPU kernels compute slowly, with their
gradients written as faster products: the same numbers up to float rounding.

  * `weights_matmul`: x W with a large W. Its input gradient, dy W^T, is a MatMul of
    a few rows by a large transposed matrix, 5-10x slower than (W dy^T)^T: 0.7 s
    against 0.06 s for VGG-16's fc6 at batch 4 ([4, 4096] x [4096, 25088]).
  * `conv2d` of stride 1, NHWC, 1x1 or SAME with odd kernel sizes. For 1x1,
    Conv2DBackpropInput and Conv2DBackpropFilter take 1.35x the time of the two
    matrix products they are, summed over the 1x1 convolutions of ResNet, Inception
    and MobileNet (up to 2x); for larger kernels, Conv2DBackpropInput takes 1.35x the
    time of the forward convolution of dy by the flipped kernel that it is (VGG's,
    ResNet's and Inception's shapes).

The forward ops stay TensorFlow's own (MatMul, Conv2D): graphs, fusions and exports
are unchanged. In a TF1 graph only their gradient is replaced, through
`Graph.gradient_override_map` and a gradient registered here by name, so a graph
imported later (a meta graph) finds it whenever slim is imported. A GradientTape
ignores override maps, so in TF2 code (eager, `tf.function`) the product is wrapped
in `tf.custom_gradient` instead. benchmarks/op_profile.py shows the kernels' times.
"""
import tensorflow as tf

_MATMUL_GRADIENT = 'SlimMatMulOfLargeWeights'
_CONV2D_GRADIENT = 'SlimConv2DStride1'
# Smaller weight matrices keep TensorFlow's input gradient, about as fast for them.
_LARGE_WEIGHTS = 1 << 20


def _is_large(weights):
  size = weights.get_shape().num_elements()
  return size is not None and size >= _LARGE_WEIGHTS


def _matmul_gradients(inputs, weights, dy):
  """The gradients of `inputs` x `weights` (2-d) given `dy`."""
  if _is_large(weights):
    d_inputs = tf.transpose(tf.matmul(weights, dy, transpose_b=True))
  else:
    d_inputs = tf.matmul(dy, weights, transpose_b=True)
  return d_inputs, tf.matmul(inputs, dy, transpose_a=True)


def _conv2d_gradients(inputs, kernel, dy):
  """The gradients of the stride-1 convolution of `conv2d` given `dy`."""
  height, width, channels_in, channels_out = kernel.get_shape().as_list()
  if height == width == 1:
    d_inputs, d_kernel = _matmul_gradients(tf.reshape(inputs, [-1, channels_in]),
                                           tf.reshape(kernel, [channels_in, channels_out]),
                                           tf.reshape(dy, [-1, channels_out]))
    return tf.reshape(d_inputs, tf.shape(inputs)), tf.reshape(d_kernel, tf.shape(kernel))
  flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
  return (tf.nn.conv2d(dy, flipped, strides=1, padding='SAME'),
          tf.compat.v1.nn.conv2d_backprop_filter(inputs, tf.shape(kernel), dy, [1, 1, 1, 1],
                                                 'SAME'))


def _register(name, gradients):
  def gradient(op, dy):
    return gradients(op.inputs[0], op.inputs[1], dy)
  try:
    tf.RegisterGradient(name)(gradient)
  except KeyError:  # registered already: this module loaded under a second name
    pass


_register(_MATMUL_GRADIENT, _matmul_gradients)
_register(_CONV2D_GRADIENT, _conv2d_gradients)


def _with_gradient(product, op_type, gradient_name, gradients, inputs, weights):
  """`product(inputs, weights)`, differentiated by `gradients(inputs, weights, dy)`."""
  if not tf.compat.v1.executing_eagerly_outside_functions():  # a TF1 graph
    with tf.compat.v1.get_default_graph().gradient_override_map({op_type: gradient_name}):
      return product(inputs, weights)

  @tf.custom_gradient
  def differentiated(inputs, weights):
    return product(inputs, weights), lambda dy: gradients(inputs, weights, dy)
  return differentiated(inputs, weights)


def weights_matmul(inputs, weights):
  """`tf.matmul(inputs, weights)` of a layer, [rows, K] x [K, N]; with at least 2^20
  weights, its input gradient is computed as (weights dy^T)^T."""
  inputs, weights = tf.convert_to_tensor(inputs), tf.convert_to_tensor(weights)
  if not _is_large(weights):
    return tf.matmul(inputs, weights)
  return _with_gradient(tf.matmul, 'MatMul', _MATMUL_GRADIENT, _matmul_gradients,
                        inputs, weights)


def has_fast_gradients(kernel_size, stride, rate, padding):
  """Whether `conv2d` takes a 2-d NHWC convolution of these arguments."""
  if any(n != 1 for n in list(stride) + list(rate)):
    return False
  return all(k == 1 for k in kernel_size) or (
      padding == 'SAME' and all(k % 2 for k in kernel_size))


def conv2d(inputs, kernel, padding, name):
  """`tf.nn.conv2d` of NHWC `inputs` by `kernel`, stride 1, 1x1 or SAME with odd kernel
  sizes (`has_fast_gradients`), whose gradients are computed as described above (those
  of `weights_matmul` for a large 1x1 kernel, as the logits of a 1x1 input)."""
  inputs, kernel = tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel)

  def convolution(inputs, kernel):
    return tf.nn.conv2d(inputs, kernel, strides=1, padding=padding, name=name)
  return _with_gradient(convolution, 'Conv2D', _CONV2D_GRADIENT, _conv2d_gradients,
                        inputs, kernel)
