"""CycleGAN: the ResNet generator and `cyclegan_upsample` of research/slim's
nets/cyclegan.py. End points at research/slim's test sizes, every upsampling
method, the input checks, the variables of the default build, graph / eager /
tf.function agreement, SavedModel, one training step, and parity with the same
code on tf-slim 1.1.0's layers."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import cyclegan
from tests.slim.nets import gan_checks
from tests.slim.nets import harness

METHODS = ('conv2d_transpose', 'nn_upsample_conv', 'bilinear_upsample_conv')


def _small(method='conv2d_transpose', **kwargs):
  """A small generator: 8 filters, 2 residual blocks."""
  kwargs = dict({'num_filters': 8, 'num_resnet_blocks': 2}, **kwargs)
  upsample_fn = functools.partial(cyclegan.cyclegan_upsample, method=method)
  return functools.partial(cyclegan.cyclegan_generator_resnet, upsample_fn=upsample_fn,
                           **kwargs)


def _end_point_table(batch, height, width, channels=3, filters=64, blocks=6):
  table = {'encoder_0': [batch, height, width, filters],
           'encoder_1': [batch, _half(height), _half(width), filters * 2],
           'encoder_2': [batch, _quarter(height), _quarter(width), filters * 4]}
  for i in range(blocks):
    table['resnet_block_%d' % i] = table['encoder_2']
  table['decoder1'] = table['encoder_1']
  table['decoder2'] = table['encoder_0']
  table['logits'] = table['predictions'] = [batch, height, width, channels]
  return table


def _half(size):
  return None if size is None else size // 2


def _quarter(size):
  return None if size is None else size // 4


def _normalized(name, shape):
  return [(name + '/weights', shape), (name + '/InstanceNorm/beta', shape[-1:]),
          (name + '/InstanceNorm/gamma', shape[-1:])]


DEFAULT_VARIABLES = (
    _normalized('input/Conv', [7, 7, 3, 64]) +
    _normalized('encoder/Conv', [3, 3, 64, 128]) +
    _normalized('encoder/Conv_1', [3, 3, 128, 256]) +
    [v for i in range(6) for conv in ('Conv', 'Conv_1')
     for v in _normalized('residual_blocks/block_%d/%s' % (i, conv), [3, 3, 256, 256])] +
    [('decoder/decoder1/upconv/Conv2d_transpose/weights', [3, 3, 128, 256]),
     ('decoder/decoder1/upconv/Conv2d_transpose/biases', [128]),
     ('decoder/decoder2/upconv/Conv2d_transpose/weights', [3, 3, 64, 128]),
     ('decoder/decoder2/upconv/Conv2d_transpose/biases', [64]),
     ('output/Conv/weights', [7, 7, 64, 3]), ('output/Conv/biases', [3])])


# --- shapes and variables ----------------------------------------------------------------------

@pytest.mark.parametrize('shape', [[4, 32, 32, 3],
                                   pytest.param([3, 128, 128, 3], marks=pytest.mark.slow),
                                   pytest.param([2, 80, 400, 3], marks=pytest.mark.slow)])
def test_end_points_at_research_slim_sizes(shape):
  output_shape, end_points = gan_checks.built_end_points(cyclegan.cyclegan_generator_resnet,
                                                         shape)
  assert output_shape == shape
  assert end_points == _end_point_table(*shape)
  assert list(end_points) == list(_end_point_table(*shape))


def test_unknown_batch_and_width():
  output_shape, end_points = gan_checks.built_end_points(cyclegan.cyclegan_generator_resnet,
                                                         [None, 32, None, 3])
  assert output_shape == [None, 32, None, 3]
  assert end_points == _end_point_table(None, 32, None)


def test_default_variables_and_parameter_count():
  variables = gan_checks.built_variables(cyclegan.cyclegan_generator_resnet, [1, 32, 32, 3])
  assert variables == DEFAULT_VARIABLES
  assert gan_checks.parameter_count(variables) == 7841219


@pytest.mark.parametrize('method,layer,biases', [
    ('nn_upsample_conv', 'Conv', False), ('bilinear_upsample_conv', 'Conv', False),
    ('conv2d_transpose', 'Conv2d_transpose', True)])
def test_each_upsample_method(method, layer, biases):
  network_fn = _small(method)
  output_shape, end_points = gan_checks.built_end_points(network_fn, [2, 16, 24, 3])
  assert output_shape == [2, 16, 24, 3]
  assert end_points == _end_point_table(2, 16, 24, filters=8, blocks=2)
  names = [n for n, _ in gan_checks.built_variables(network_fn, [2, 16, 24, 3])
           if n.startswith('decoder/decoder1/')]
  leaves = ['biases'] if biases else ['InstanceNorm/beta', 'InstanceNorm/gamma']
  assert names == ['decoder/decoder1/upconv/%s/%s' % (layer, leaf)
                   for leaf in ['weights'] + leaves]


@pytest.mark.parametrize('kernel_size', [3, 4, 5, 6, [3, 5]])
def test_input_and_output_same_shape_for_every_kernel_size(kernel_size):
  output_shape, _ = gan_checks.built_end_points(_small(kernel_size=kernel_size),
                                                [None, 32, 32, 3])
  assert output_shape == [None, 32, 32, 3]


@pytest.mark.parametrize('method', METHODS)
def test_upsample_shapes(graph, method):
  up = cyclegan.cyclegan_upsample(harness.placeholder(2, 5, 7, 6), 3, [2, 2], method=method)
  assert up.shape.as_list() == [2, 10, 14, 3]
  with tf.compat.v1.variable_scope('by_2_3'):  # upconv again would make the same variables
    up = cyclegan.cyclegan_upsample(harness.placeholder(2, 5, 7, 6), 3, [2, 3], method=method)
  # As in research/slim, conv2d_transpose crops one row and column whatever the
  # stride: 3 * 7 + 1 - 1 - 1 columns.
  assert up.shape.as_list() == [2, 10, 20 if method == 'conv2d_transpose' else 21, 3]


@pytest.mark.parametrize('method', ['nn_upsample_conv', 'bilinear_upsample_conv'])
def test_upsample_unknown_size_and_tensor_stride(graph, method):
  net = harness.placeholder(None, None, None, 2)
  up = cyclegan.cyclegan_upsample(net, 3, tf.constant([2, 3]), method=method)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    assert sess.run(tf.shape(up), {net: np.zeros([1, 4, 5, 2])}).tolist() == [1, 8, 15, 3]


def test_bilinear_align_corners_keeps_the_corners():
  net = tf.constant(np.arange(8, dtype=np.float32).reshape([1, 2, 2, 2]))
  identity = tf.compat.v1.constant_initializer(
      np.pad(np.eye(2, dtype=np.float32)[None, None], [[1, 1], [1, 1], [0, 0], [0, 0]]))
  with slim.arg_scope([slim.conv2d], weights_initializer=identity, activation_fn=None):
    model = slim.Model(lambda x, align: cyclegan.cyclegan_upsample(
        x, 2, [2, 2], method='bilinear_upsample_conv', align_corners=align))
    aligned = model(net, True).numpy()
    unaligned = model(net, False).numpy()
  np.testing.assert_allclose(aligned[0, [0, 0, -1, -1], [0, -1, 0, -1]],
                             net.numpy()[0, [0, 0, -1, -1], [0, -1, 0, -1]], rtol=1e-6)
  assert not np.allclose(aligned, unaligned)


def test_dynamic_or_static_shape(graph):
  shape_of = cyclegan._dynamic_or_static_shape  # pylint: disable=protected-access
  static = shape_of(harness.placeholder(2, 4, 4, 3))
  assert isinstance(static, np.ndarray) and static.tolist() == [2, 4, 4, 3]
  dynamic = shape_of(harness.placeholder(None, 4, 4, 3))
  assert isinstance(dynamic, tf.Tensor)


def test_arg_scope(graph):
  values, losses = harness.initial_values(_small(), [1, 16, 16, 3])
  assert losses == []
  assert 0.015 < values['residual_blocks/block_0/Conv/weights'].std() < 0.025

  decayed = functools.partial(cyclegan.cyclegan_arg_scope, weight_decay=1e-4,
                              instance_norm_center=False)
  names = [n for n, _ in gan_checks.built_variables(_small(arg_scope_fn=decayed),
                                                    [1, 16, 16, 3])]
  assert 'input/Conv/InstanceNorm/gamma' in names
  assert not [n for n in names if n.endswith('/beta')]
  _, losses = harness.initial_values(_small(arg_scope_fn=decayed), [1, 16, 16, 3])
  assert len(losses) == 8 and 'output/Conv/weights' in losses  # every conv2d, not transposed


def test_tanh_linear_slope():
  run = harness.run_in_graph(_small(tanh_linear_slope=0.5), harness.images(16))
  logits = run.end_points['logits']
  harness.assert_close(run.output, np.tanh(logits) + 0.5 * logits)


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize('size', [29, 30, 31])
def test_height_and_width_must_be_multiples_of_four(graph, size):
  with pytest.raises(ValueError, match=r'The input height must be a multiple of 4\..*%d' % size):
    cyclegan.cyclegan_generator_resnet(harness.placeholder(None, size, 32, 3))
  with pytest.raises(ValueError, match=r'The input width must be a multiple of 4\..*%d' % size):
    cyclegan.cyclegan_generator_resnet(harness.placeholder(None, 32, size, 3))
  gan_checks.assert_no_variables_made(graph)


@pytest.mark.parametrize('shape,kwargs,error,message', [
    ([1, 32, 32, None], {}, ValueError, 'number of input channels .* must be known'),
    ([32, 32, 3], {}, ValueError, 'rank 4'),
    ([1, 32, 32, 3], {'kernel_size': 0}, ValueError, 'kernel_size must be a positive int'),
    ([1, 32, 32, 3], {'kernel_size': [3, 3, 3]}, ValueError, 'list of 2 positive ints'),
    ([1, 32, 32, 3], {'num_filters': 0}, ValueError, 'num_filters must be a positive int'),
    ([1, 32, 32, 3], {'num_resnet_blocks': -1}, ValueError,
     'num_resnet_blocks must be a non-negative int'),
    ([1, 32, 32, 3], {'upsample_fn': 'conv2d_transpose'}, TypeError,
     'upsample_fn must be callable'),
    ([1, 32, 32, 3], {'arg_scope_fn': None}, TypeError, 'arg_scope_fn must be callable'),
])
def test_generator_refuses_bad_arguments(graph, shape, kwargs, error, message):
  with pytest.raises(error, match=message):
    cyclegan.cyclegan_generator_resnet(harness.placeholder(*shape), **kwargs)
  gan_checks.assert_no_variables_made(graph)


def test_upsample_refuses_unknown_method_and_pad_mode(graph):
  net = harness.placeholder(1, 4, 4, 2)
  with pytest.raises(ValueError, match=r'Unknown method: \[bicubic\].*bilinear_upsample_conv'):
    cyclegan.cyclegan_upsample(net, 3, [2, 2], method='bicubic')
  with pytest.raises(ValueError, match="pad_mode must be one of CONSTANT, REFLECT, SYMMETRIC"):
    cyclegan.cyclegan_upsample(net, 3, [2, 2], method='nn_upsample_conv', pad_mode='EDGE')
  gan_checks.assert_no_variables_made(graph)


# --- modes, SavedModel, training ---------------------------------------------------------------

@pytest.mark.parametrize('method', METHODS)
def test_graph_eager_and_function_agree(method):
  harness.check_modes(_small(method), harness.images(16))


def test_unknown_spatial_size_in_tf_function():
  model = slim.Model(_small())
  images = harness.images(16)
  expected = model(images)[0].numpy()
  traced = tf.function(lambda x: model(x)[0],
                       input_signature=[tf.TensorSpec([None, None, None, 3])])
  assert traced.get_concrete_function().structured_outputs.shape.as_list() == [
      None, None, None, 3]
  harness.assert_close(traced(images), expected)
  assert traced(harness.images(8, batch=1)).shape == (1, 8, 8, 3)


def test_saved_model_round_trip(tmp_path):
  model = slim.Model(_small('nn_upsample_conv'))
  gan_checks.check_saved_model_round_trip(model, harness.images(16, seed=3), tmp_path)


def test_training_step_lowers_l1_loss():
  images = tf.constant(harness.images(16, seed=4))
  target = tf.constant(harness.images(16, seed=5) * 0.5)
  gan_checks.check_training_step_lowers_loss(
      _small(), images, lambda outputs: tf.reduce_mean(tf.abs(outputs[0] - target)))


@pytest.mark.slow
def test_default_generator_runs_at_128():
  run = harness.run_in_graph(cyclegan.cyclegan_generator_resnet, harness.images(128, batch=1))
  assert run.output.shape == (1, 128, 128, 3)


# --- parity with tf-slim 1.1.0's layers --------------------------------------------------------

@pytest.mark.reference
@pytest.mark.parametrize('method', [METHODS[0]] + [pytest.param(m, marks=pytest.mark.slow)
                                                   for m in METHODS[1:]])
def test_parity_with_reference_layers(tf_slim, method):
  network_fn = _small(method)
  harness.compare_with_reference(harness.on_reference_layers(tf_slim, [cyclegan], network_fn),
                                 network_fn, harness.images(16, seed=7))


def test_research_slim_paths():
  import nets.cyclegan  # pylint: disable=import-outside-toplevel
  assert nets.cyclegan is cyclegan
