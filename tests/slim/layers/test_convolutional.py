"""Convolutions: N-d, separable/depthwise, in-plane and transposed (graph mode)."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.graph_run import run, variable_shapes

RNG = np.random.RandomState(1)
IMAGES = RNG.rand(2, 7, 9, 3).astype(np.float32)


@pytest.mark.parametrize('layer, inputs_shape, kwargs, output_shape, weights_shape', [
    (slim.conv2d, (2, 7, 9, 3), {}, [2, 7, 9, 4], [3, 3, 3, 4]),
    (slim.conv2d, (2, 7, 9, 3), {'stride': 2}, [2, 4, 5, 4], [3, 3, 3, 4]),
    (slim.conv2d, (2, 7, 9, 3), {'padding': 'VALID', 'rate': 2}, [2, 3, 5, 4], [3, 3, 3, 4]),
    (slim.conv2d, (2, 3, 7, 9), {'data_format': 'NCHW'}, [2, 4, 7, 9], [3, 3, 3, 4]),
    (slim.conv1d, (2, 9, 3), {'stride': 2}, [2, 5, 4], [3, 3, 4]),
    (slim.conv3d, (2, 5, 7, 9, 3), {'padding': 'valid'}, [2, 3, 5, 7, 4], [3, 3, 3, 3, 4]),
    (slim.convolution, (2, 9, 3), {}, [2, 9, 4], [3, 3, 4]),
])
def test_convolution_shapes_and_variables(graph, layer, inputs_shape, kwargs, output_shape,
                                          weights_shape):
  outputs = layer(tf.ones(inputs_shape), 4, 3, **kwargs)
  assert outputs.shape.as_list() == output_shape
  assert variable_shapes() == {'Conv/weights': weights_shape, 'Conv/biases': [4]}
  assert outputs.op.name == 'Conv/Relu'


def test_conv2d_equals_tf_nn_and_whole_input_kernel_is_a_matmul(graph):
  kernel = RNG.randn(7, 9, 3, 5).astype(np.float32)
  init = tf.compat.v1.constant_initializer(kernel)
  same = slim.conv2d(IMAGES, 5, 3, stride=2, activation_fn=None, scope='a',
                     weights_initializer=tf.compat.v1.constant_initializer(kernel[:3, :3]))
  whole = slim.conv2d(IMAGES, 5, [7, 9], padding='VALID', activation_fn=None,
                      weights_initializer=init, scope='b')
  assert whole.shape.as_list() == [2, 1, 1, 5]
  got_same, got_whole = run([same, whole])
  want_same = tf.nn.conv2d(IMAGES, kernel[:3, :3], 2, 'SAME')
  want_whole = tf.nn.conv2d(IMAGES, kernel, 1, 'VALID')
  np.testing.assert_allclose(got_same, run(want_same), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(got_whole, run(want_whole), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('padding, stride', [('SAME', 1), ('SAME', 2), ('VALID', 1)])
def test_1x1_conv2d_of_a_1x1_input_has_tf_nn_values_and_gradients(graph, padding, stride):
  # As VGG's fc7 and the logits of Inception, ResNet and MobileNet: [batch, 1, 1, C] in,
  # a large kernel.
  inputs = tf.constant(RNG.randn(3, 1, 1, 1024).astype(np.float32))
  outputs = slim.conv2d(inputs, 1024, 1, stride=stride, padding=padding, activation_fn=None,
                        biases_initializer=None)
  assert outputs.shape.as_list() == [3, 1, 1, 1024]
  assert outputs.op.name == 'Conv/Conv2D'
  kernel = tf.compat.v1.trainable_variables()[0]
  want = tf.nn.conv2d(inputs, kernel, stride, padding)
  got, expected = run([[outputs] + tf.gradients(outputs, [inputs, kernel]),
                       [want] + tf.gradients(want, [inputs, kernel])])
  for a, b in zip(got, expected):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('kernel_size, padding, stride, gradient_ops', [
    (1, 'SAME', 1, {'MatMul'}), (1, 'VALID', 1, {'MatMul'}),
    (3, 'SAME', 1, {'Conv2D', 'Conv2DBackpropFilter'}),
    ([1, 5], 'SAME', 1, {'Conv2D', 'Conv2DBackpropFilter'}),
    (3, 'VALID', 1, {'Conv2DBackpropInput', 'Conv2DBackpropFilter'}),
    (2, 'SAME', 1, {'Conv2DBackpropInput', 'Conv2DBackpropFilter'}),
    (3, 'SAME', 2, {'Conv2DBackpropInput', 'Conv2DBackpropFilter'})])
def test_conv2d_values_and_gradients_equal_tf_nn(graph, kernel_size, padding, stride,
                                                 gradient_ops):
  # Stride 1, 1x1 or SAME with odd sizes: _fast_gradients' own gradients.
  inputs = tf.constant(RNG.randn(2, 5, 7, 6).astype(np.float32))
  outputs = slim.conv2d(inputs, 4, kernel_size, stride=stride, padding=padding,
                        activation_fn=None, biases_initializer=None)
  assert outputs.op.type == 'Conv2D' and outputs.op.name == 'Conv/Conv2D'
  kernel = tf.compat.v1.trainable_variables()[0]
  want = tf.nn.conv2d(inputs, kernel, stride, padding)
  upstream = tf.constant(RNG.randn(*want.shape.as_list()).astype(np.float32))
  got_grads = tf.gradients(outputs, [inputs, kernel], upstream)
  want_grads = tf.gradients(want, [inputs, kernel], upstream)
  assert gradient_ops <= {op.type for op in tf.compat.v1.get_default_graph().get_operations()
                          if op.name.startswith('gradients/Conv/')}
  got, expected = run([[outputs] + got_grads, [want] + want_grads])
  for a, b in zip(got, expected):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('kernel_size', [1, 3])
def test_conv2d_gradients_in_tf_function_and_eagerly(kernel_size):
  layer = slim.Model(lambda x: slim.conv2d(x, 4, kernel_size))
  inputs = tf.constant(RNG.randn(2, 5, 7, 6).astype(np.float32))
  layer(inputs)

  def gradients(x):
    kernel, biases = layer.variables
    with tf.GradientTape(persistent=True) as tape:
      tape.watch(x)
      got = tf.reduce_sum(layer(x) ** 2)
      want = tf.reduce_sum(tf.nn.relu(tf.nn.conv2d(x, kernel, 1, 'SAME') + biases) ** 2)
    return tape.gradient(got, [x, kernel, biases]), tape.gradient(want, [x, kernel, biases])

  for run_gradients in (gradients, tf.function(gradients)):
    for a, b in zip(*run_gradients(inputs)):
      np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('rate', [1, 2])
def test_separable_conv2d_is_tf_nn_separable_conv2d_with_its_gradients(graph, rate):
  inputs = tf.constant(RNG.randn(2, 9, 9, 4).astype(np.float32))
  outputs = slim.separable_conv2d(inputs, 6, 3, depth_multiplier=2, rate=rate,
                                  activation_fn=None, biases_initializer=None, scope='sep')
  assert outputs.op.type == 'Conv2D' and outputs.op.name == 'sep/separable_conv2d'
  assert outputs.graph.get_operation_by_name('sep/separable_conv2d/depthwise').type == (
      'DepthwiseConv2dNative')
  variables = [inputs] + tf.compat.v1.trainable_variables()
  want = tf.nn.separable_conv2d(inputs, variables[1], variables[2], [1, 1, 1, 1], 'SAME',
                                dilations=[rate, rate])
  got, expected = run([[outputs] + tf.gradients(outputs, variables),
                       [want] + tf.gradients(want, variables)])
  for a, b in zip(got, expected):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_conv2d_gradient_is_found_in_an_imported_meta_graph(graph):
  inputs = tf.constant(RNG.randn(2, 5, 7, 6).astype(np.float32), name='inputs')
  slim.conv2d(inputs, 4, 1, activation_fn=None)
  meta_graph = tf.compat.v1.train.export_meta_graph()
  with tf.Graph().as_default() as imported:
    tf.compat.v1.train.import_meta_graph(meta_graph)
    outputs, inputs = [imported.get_tensor_by_name(name)
                       for name in ('Conv/BiasAdd:0', 'inputs:0')]
    conv = imported.get_operation_by_name('Conv/Conv2D')
    assert conv.get_attr('_gradient_op_type') == b'SlimConv2DStride1'
    gradient, = tf.gradients(outputs, inputs)
    kernel = conv.inputs[1]
    want = tf.reduce_sum(kernel[0, 0], axis=1) * tf.ones([2, 5, 7, 1])
    got, expected = run([gradient, want])
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_conv2d_under_arg_scope_with_normalizer_and_regularizer(graph):
  with slim.arg_scope([slim.conv2d, slim.conv2d_transpose, slim.separable_conv2d],
                      padding='VALID', normalizer_fn=slim.batch_norm,
                      weights_regularizer=slim.l2_regularizer(0.1)):
    net = slim.conv2d(IMAGES, 4, 3, scope='conv')
    net = slim.separable_conv2d(net, 4, 3, scope='sep')
    net = slim.conv2d_transpose(net, 2, 3, scope='deconv')
  assert net.shape.as_list() == [2, 5, 7, 2]
  names = variable_shapes()
  assert 'conv/biases' not in names and 'conv/BatchNorm/moving_mean' in names
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  # tf_slim names the losses after the Keras weights it builds these layers from
  assert [loss.op.name for loss in losses] == [
      'conv/kernel/Regularizer/l2_regularizer',
      'sep/depthwise_kernel/Regularizer/l2_regularizer',
      'sep/pointwise_kernel/Regularizer/l2_regularizer',
      'deconv/kernel/Regularizer/l2_regularizer']


def test_variables_collections_and_reuse(graph):
  images = tf.constant(IMAGES)
  slim.conv2d(images, 4, 3, scope='conv', variables_collections={'weights': ['w']})
  slim.conv2d(images, 4, 3, scope='conv', reuse=True)
  assert [v.op.name for v in tf.compat.v1.get_collection('w')] == ['conv/weights']
  assert len(tf.compat.v1.global_variables()) == 2
  assert len(slim.get_model_variables()) == 2


def test_separable_and_depthwise(graph):
  separable = slim.separable_conv2d(IMAGES, 5, 3, depth_multiplier=2, stride=2, scope='s')
  depthwise = slim.separable_conv2d(IMAGES, None, [3, 1], depth_multiplier=2, scope='d')
  assert separable.shape.as_list() == [2, 4, 5, 5]
  assert depthwise.shape.as_list() == [2, 7, 9, 6]
  assert variable_shapes() == {
      's/depthwise_weights': [3, 3, 3, 2], 's/pointwise_weights': [1, 1, 6, 5],
      's/biases': [5], 'd/depthwise_weights': [3, 1, 3, 2], 'd/biases': [6]}


def test_conv2d_in_plane_takes_the_same_kernel_for_every_channel(graph):
  gradient = slim.conv2d_in_plane(IMAGES, [1, 2], padding='VALID', activation_fn=None,
                                  weights_initializer=tf.compat.v1.constant_initializer(
                                      [1., -1.]))
  assert variable_shapes() == {'ConvInPlane/weights': [1, 2, 1, 1],
                                 'ConvInPlane/biases': [3]}
  np.testing.assert_allclose(run(gradient), IMAGES[:, :, :-1] - IMAGES[:, :, 1:],
                             atol=1e-6)


@pytest.mark.parametrize('size, kernel, stride, padding, expected', [
    (5, 3, 2, 'SAME', 10), (5, 3, 2, 'VALID', 11), (5, 1, 2, 'VALID', 10),
    (5, 2, 2, 'VALID', 10), (5, 4, 3, 'VALID', 16), (5, 3, 1, 'SAME', 5)])
def test_conv2d_transpose_output_sizes(graph, size, kernel, stride, padding, expected):
  outputs = slim.conv2d_transpose(tf.ones([2, size, size + 1, 3]), 4, kernel,
                                  stride=stride, padding=padding)
  other = _transposed_length(size + 1, kernel, stride, padding)
  assert outputs.shape.as_list() == [2, expected, other, 4]
  assert run(tf.shape(outputs)).tolist() == [2, expected, other, 4]


def _transposed_length(size, kernel, stride, padding):
  return size * stride + (max(kernel - stride, 0) if padding == 'VALID' else 0)


def test_conv2d_transpose_with_unknown_sizes_and_numbers(graph):
  images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
  outputs = slim.conv2d_transpose(images, 4, [3, 2], stride=[2, 3], padding='VALID',
                                  activation_fn=None, biases_initializer=None)
  assert outputs.shape.as_list() == [None, None, None, 4]
  assert variable_shapes() == {'Conv2d_transpose/weights': [3, 2, 4, 3]}
  weights = tf.compat.v1.global_variables()[0]
  want = tf.nn.conv2d_transpose(IMAGES, weights, [2, 15, 27, 4], [1, 2, 3, 1], 'VALID')
  got, want = run([outputs, want], {images: IMAGES})
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv3d_transpose(graph):
  outputs = slim.conv3d_transpose(tf.ones([2, 3, 4, 5, 3]), 4, 3, stride=2)
  ncdhw = slim.conv3d_transpose(tf.ones([2, 3, 4, 5, 6]), 4, [1, 2, 3], stride=[1, 2, 1],
                                padding='VALID', data_format='NCDHW', scope='first')
  assert outputs.shape.as_list() == [2, 6, 8, 10, 4]
  assert ncdhw.shape.as_list() == [2, 4, 4, 10, 8]
  names = variable_shapes()
  assert names['Conv3d_transpose/weights'] == [3, 3, 3, 4, 3]
  assert names['first/weights'] == [1, 2, 3, 4, 3]
