"""pix2pix: the U-Net generator and PatchGAN discriminator of research/slim's
nets/pix2pix.py. End points at research/slim's test sizes, every upsampling
method, the errors, the variables of the default builds, graph / eager /
tf.function agreement, SavedModel, one training step, and parity with the
same code on tf-slim 1.1.0's layers."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import pix2pix
from tests.slim.nets import gan_checks
from tests.slim.nets import harness

METHODS = ('nn_upsample_conv', 'conv2d_transpose')


def _generator(num_outputs=4, **kwargs):
  def network_fn(images):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
      return pix2pix.pix2pix_generator(images, num_outputs, **kwargs)
  return network_fn


def _discriminator(num_filters=(64, 128, 256, 512), **kwargs):
  def network_fn(images):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
      return pix2pix.pix2pix_discriminator(images, list(num_filters), **kwargs)
  return network_fn


def _reduced_default_blocks():
  """research/slim's test blocks: the default ones with 1/32 of the filters."""
  return [pix2pix.Block(b.num_filters // 32, b.decoder_keep_prob)
          for b in pix2pix._default_generator_blocks()]  # pylint: disable=protected-access


# Small blocks without dropout: deterministic, 32 x 32 inputs.
SMALL_BLOCKS = [pix2pix.Block(4, 0), pix2pix.Block(8, 0), pix2pix.Block(8, 0)]

# research/slim's test: 2 x 256 x 256 x 3 -> 4 outputs, reduced default blocks.
GENERATOR_END_POINTS = {
    'encoder0': [2, 128, 128, 2], 'encoder1': [2, 64, 64, 4], 'encoder2': [2, 32, 32, 8],
    'encoder3': [2, 16, 16, 16], 'encoder4': [2, 8, 8, 16], 'encoder5': [2, 4, 4, 16],
    'encoder6': [2, 2, 2, 16],
    'decoder0': [2, 4, 4, 16], 'decoder1': [2, 8, 8, 16], 'decoder2': [2, 16, 16, 16],
    'decoder3': [2, 32, 32, 16], 'decoder4': [2, 64, 64, 8], 'decoder5': [2, 128, 128, 4],
    'decoder6': [2, 256, 256, 2],
    'logits': [2, 256, 256, 4], 'predictions': [2, 256, 256, 4],
}

# The default generator (7 blocks, 4 outputs): every variable, in creation order.
_NORMALIZED = ['weights', 'InstanceNorm/beta', 'InstanceNorm/gamma']
_ENCODER_IN_OUT = [(3, 64), (64, 128), (128, 256), (256, 512), (512, 512), (512, 512),
                   (512, 512)]
_DECODER_IN_OUT = [(512, 512), (1024, 512), (1024, 512), (1024, 512), (768, 256), (384, 128),
                   (192, 64)]


def _layer(name, in_out, leaves):
  channels_in, channels_out = in_out
  shapes = {'weights': [4, 4, channels_in, channels_out], 'biases': [channels_out],
            'InstanceNorm/beta': [channels_out], 'InstanceNorm/gamma': [channels_out]}
  return [('%s/%s' % (name, leaf), shapes[leaf]) for leaf in leaves]


GENERATOR_VARIABLES = (
    _layer('encoder/Conv', _ENCODER_IN_OUT[0], ['weights', 'biases']) +
    [v for i in range(1, 6) for v in _layer('encoder/Conv_%d' % i, _ENCODER_IN_OUT[i],
                                            _NORMALIZED)] +
    _layer('encoder/Conv_6', _ENCODER_IN_OUT[6], ['weights', 'biases']) +
    _layer('decoder/Conv', _DECODER_IN_OUT[0], _NORMALIZED) +
    [v for i in range(1, 7) for v in _layer('decoder/Conv_%d' % i, _DECODER_IN_OUT[i],
                                            _NORMALIZED)] +
    _layer('output/Conv', (64, 4), ['weights', 'biases']))
assert len(GENERATOR_VARIABLES) == 42

DISCRIMINATOR_VARIABLES = [
    ('conv0/weights', [4, 4, 3, 64]), ('conv0/biases', [64]),
    ('conv1/weights', [4, 4, 64, 128]), ('conv1/InstanceNorm/beta', [128]),
    ('conv1/InstanceNorm/gamma', [128]),
    ('conv2/weights', [4, 4, 128, 256]), ('conv2/InstanceNorm/beta', [256]),
    ('conv2/InstanceNorm/gamma', [256]),
    ('conv3/weights', [4, 4, 256, 512]), ('conv3/InstanceNorm/beta', [512]),
    ('conv3/InstanceNorm/gamma', [512]),
    ('conv4/weights', [4, 4, 512, 1]), ('conv4/biases', [1]),
]


# --- generator ---------------------------------------------------------------------------------

@pytest.mark.parametrize('method', METHODS)
def test_generator_end_points_at_research_slim_sizes(method):
  output_shape, end_points = gan_checks.built_end_points(
      _generator(blocks=_reduced_default_blocks(), upsample_method=method), [2, 256, 256, 3])
  assert output_shape == [2, 256, 256, 4]
  assert end_points == GENERATOR_END_POINTS
  assert list(end_points) == list(GENERATOR_END_POINTS)


def test_generator_default_variables_and_parameter_count():
  variables = gan_checks.built_variables(_generator(), [1, 256, 256, 3])
  assert variables == GENERATOR_VARIABLES
  assert gan_checks.parameter_count(variables) == 48840900


def test_generator_conv2d_transpose_variables():
  variables = gan_checks.built_variables(
      _generator(blocks=SMALL_BLOCKS, upsample_method='conv2d_transpose'), [1, 32, 32, 3])
  decoder = [(n, s) for n, s in variables if n.startswith('decoder/')]
  assert decoder == [
      ('decoder/Conv2d_transpose/weights', [4, 4, 8, 8]),
      ('decoder/Conv2d_transpose/InstanceNorm/beta', [8]),
      ('decoder/Conv2d_transpose/InstanceNorm/gamma', [8]),
      ('decoder/Conv2d_transpose_1/weights', [4, 4, 8, 16]),
      ('decoder/Conv2d_transpose_1/InstanceNorm/beta', [8]),
      ('decoder/Conv2d_transpose_1/InstanceNorm/gamma', [8]),
      ('decoder/Conv2d_transpose_2/weights', [4, 4, 4, 12]),
      ('decoder/Conv2d_transpose_2/InstanceNorm/beta', [4]),
      ('decoder/Conv2d_transpose_2/InstanceNorm/gamma', [4]),
  ]


def test_block_number_dictates_number_of_layers():
  _, end_points = gan_checks.built_end_points(
      _generator(blocks=[pix2pix.Block(8, 0.5), pix2pix.Block(16, 0)]), [2, 64, 64, 3])
  assert list(end_points) == ['encoder0', 'encoder1', 'decoder0', 'decoder1', 'logits',
                              'predictions']


def test_one_block_is_the_first_layer():
  network_fn = _generator(blocks=[pix2pix.Block(8, 0)])
  _, end_points = gan_checks.built_end_points(network_fn, [1, 8, 8, 3])
  assert list(end_points) == ['encoder0', 'decoder0', 'logits', 'predictions']
  assert [n for n, _ in gan_checks.built_variables(network_fn, [1, 8, 8, 3])] == [
      'encoder/Conv/weights', 'encoder/Conv/biases', 'decoder/Conv/weights',
      'decoder/Conv/InstanceNorm/beta', 'decoder/Conv/InstanceNorm/gamma',
      'output/Conv/weights', 'output/Conv/biases']


@pytest.mark.parametrize('method', METHODS)
def test_generator_unknown_batch_and_spatial_size(method):
  network_fn = _generator(blocks=SMALL_BLOCKS, upsample_method=method)
  output_shape, end_points = gan_checks.built_end_points(network_fn, [None, None, None, 3])
  assert output_shape == [None, None, None, 4]
  assert end_points['encoder2'] == [None, None, None, 8]
  run = harness.run_in_graph(network_fn, harness.images(32), [None, None, None, 3])
  assert run.output.shape == (2, 32, 32, 4)
  assert run.end_points['decoder2'].shape == (2, 32, 32, 4)
  assert np.abs(run.end_points['predictions']).max() <= 1


def test_decoder_dropout_is_active_in_inference():
  model = slim.Model(_generator(blocks=[pix2pix.Block(4, 0.5), pix2pix.Block(8, 0)],
                                is_training=False))
  images = harness.images(16)
  first, second = model(images)[0].numpy(), model(images)[0].numpy()
  assert not np.allclose(first, second)


def test_arg_scope_initializes_and_normalizes():
  values, losses = harness.initial_values(_generator(blocks=SMALL_BLOCKS), [1, 32, 32, 3])
  assert losses == []
  weights = values['decoder/Conv_2/weights']
  assert 0.015 < weights.std() < 0.025 and abs(weights.mean()) < 0.005
  np.testing.assert_array_equal(values['encoder/Conv_1/InstanceNorm/gamma'], np.ones([8]))
  assert not values['encoder/Conv_1/InstanceNorm/beta'].any()


@pytest.mark.parametrize('method', METHODS)
def test_upsample_shapes(graph, method):
  net = harness.placeholder(2, 5, 7, 6)
  up = pix2pix.upsample(net, 3, [2, 3], method=method)
  assert up.shape.as_list() == [2, 10, 21, 3]
  layer = {'nn_upsample_conv': 'Conv', 'conv2d_transpose': 'Conv2d_transpose'}[method]
  assert harness.variable_names() == [layer + '/weights', layer + '/biases']


def test_upsample_by_a_tensor(graph):
  up = pix2pix.upsample(harness.placeholder(None, 4, 4, 2), 3, tf.constant([2, 2]))
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    assert sess.run(tf.shape(up), {graph.get_tensor_by_name('Placeholder:0'):
                                   np.zeros([1, 4, 4, 2])}).tolist() == [1, 8, 8, 3]


# --- generator errors --------------------------------------------------------------------------

def test_unknown_upsample_method_is_refused_before_any_variable(graph):
  with pytest.raises(ValueError, match=r"Unknown method: \[bilinear\].*nn_upsample_conv"):
    _generator(blocks=SMALL_BLOCKS, upsample_method='bilinear')(
        harness.placeholder(1, 32, 32, 3))
  gan_checks.assert_no_variables_made(graph)
  with pytest.raises(ValueError, match=r'Unknown method: \[resize\]'):
    pix2pix.upsample(harness.placeholder(1, 4, 4, 2), 3, [2, 2], method='resize')


@pytest.mark.parametrize('shape,message', [
    ([1, 48, 64, 3], 'height must be a multiple of 2\\*\\*len\\(blocks\\) = 32.*received 48'),
    ([1, 64, 40, 3], 'width must be a multiple of 2\\*\\*len\\(blocks\\) = 32.*received 40'),
    ([1, 64, 64, None], 'channels must be known'),
    ([64, 64, 3], 'rank 4'),
])
def test_generator_refuses_bad_inputs(graph, shape, message):
  blocks = [pix2pix.Block(4, 0)] * 5
  with pytest.raises(ValueError, match=message):
    _generator(blocks=blocks)(harness.placeholder(*shape))
  gan_checks.assert_no_variables_made(graph)


def test_default_generator_needs_multiples_of_128(graph):
  with pytest.raises(ValueError, match='multiple of 2\\*\\*len\\(blocks\\) = 128'):
    _generator()(harness.placeholder(1, 64, 64, 3))


@pytest.mark.parametrize('kwargs,error,message', [
    ({'num_outputs': 0}, ValueError, 'num_outputs must be a positive int, received 0'),
    ({'blocks': [(4, 0), 'x']}, TypeError, r'blocks\[1\] must be a Block'),
    ({'blocks': [pix2pix.Block(0, 0)]}, ValueError, r'blocks\[0\].num_filters'),
    ({'blocks': [pix2pix.Block(4, 1.5)]}, ValueError, r'decoder_keep_prob must be in \[0, 1\]'),
])
def test_generator_refuses_bad_arguments(graph, kwargs, error, message):
  with pytest.raises(error, match=message):
    _generator(**kwargs)(harness.placeholder(1, 32, 32, 3))
  gan_checks.assert_no_variables_made(graph)


# --- discriminator -----------------------------------------------------------------------------

def _layer_output_size(input_size, kernel_size=4, stride=2, pad=2):
  return (input_size + pad * 2 - kernel_size) // stride + 1


@pytest.mark.parametrize('padding', [2, 0])
def test_discriminator_four_layers_at_research_slim_size(padding):
  size = 256
  sizes = []
  for stride in (2, 2, 2, 1, 1):
    size = _layer_output_size(size, stride=stride, pad=padding)
    sizes.append(size)
  output_shape, end_points = gan_checks.built_end_points(_discriminator(padding=padding),
                                                         [2, 256, 256, 3])
  assert output_shape == [2, sizes[-1], sizes[-1], 1]
  assert end_points == {
      'conv0': [2, sizes[0], sizes[0], 64], 'conv1': [2, sizes[1], sizes[1], 128],
      'conv2': [2, sizes[2], sizes[2], 256], 'conv3': [2, sizes[3], sizes[3], 512],
      'logits': output_shape, 'predictions': output_shape}
  assert sizes[-1] == (35 if padding else 24)


def test_discriminator_variables_and_parameter_count():
  variables = gan_checks.built_variables(_discriminator(), [1, 256, 256, 3])
  assert variables == DISCRIMINATOR_VARIABLES
  assert gan_checks.parameter_count(variables) == 2765633


@pytest.mark.parametrize('pad_mode', ['CONSTANT', 'REFLECT', 'symmetric'])
def test_discriminator_pad_modes_and_activation(pad_mode):
  network_fn = _discriminator((8, 16, 16), pad_mode=pad_mode, activation_fn=tf.nn.relu)
  run = harness.run_in_graph(network_fn, harness.images(32), [None, None, None, 3])
  assert run.output.shape == (2, 11, 11, 1)
  assert run.end_points['conv2'].min() >= 0  # relu
  np.testing.assert_allclose(run.end_points['predictions'], 1 / (1 + np.exp(-run.output)),
                             rtol=1e-5)


@pytest.mark.parametrize('kwargs,error,message', [
    ({'padding': 1.5}, TypeError, 'padding must be a non-negative int.*received 1.5'),
    ({'padding': -1}, ValueError, 'padding must be a non-negative int, received -1'),
    ({'pad_mode': 'WRAP'}, ValueError, "pad_mode must be one of CONSTANT, REFLECT, SYMMETRIC"),
    ({'num_filters': [64]}, ValueError, 'at least 2 layers'),
    ({'num_filters': [64, 0]}, ValueError, r'num_filters\[1\] must be a positive int'),
    ({'num_filters': 64}, TypeError, 'num_filters must be a list'),
    ({'activation_fn': 'relu'}, TypeError, 'activation_fn must be callable'),
])
def test_discriminator_refuses_bad_arguments(graph, kwargs, error, message):
  kwargs = dict({'num_filters': [64, 128]}, **kwargs)
  with pytest.raises(error, match=message):
    pix2pix.pix2pix_discriminator(harness.placeholder(1, 32, 32, 3), **kwargs)
  gan_checks.assert_no_variables_made(graph)


# --- modes, SavedModel, training ---------------------------------------------------------------

@pytest.mark.parametrize('method', METHODS)
def test_generator_graph_eager_and_function_agree(method):
  harness.check_modes(_generator(blocks=SMALL_BLOCKS, upsample_method=method),
                      harness.images(32))


def test_discriminator_graph_eager_and_function_agree():
  harness.check_modes(_discriminator((8, 16, 16)), harness.images(32, channels=6))


def test_saved_model_round_trip(tmp_path):
  images = harness.images(32, seed=3)
  model = slim.Model(_generator(blocks=SMALL_BLOCKS))
  gan_checks.check_saved_model_round_trip(model, images, tmp_path)


def test_generator_training_step_lowers_l1_loss():
  images = tf.constant(harness.images(32, seed=4))
  target = tf.constant(harness.images(32, channels=4, seed=5) * 0.5)
  gan_checks.check_training_step_lowers_loss(
      _generator(blocks=SMALL_BLOCKS), images,
      lambda outputs: tf.reduce_mean(tf.abs(outputs[1]['predictions'] - target)))


def test_discriminator_training_step_lowers_cross_entropy():
  images = tf.constant(harness.images(32, seed=6))
  labels = tf.constant(np.tile([[1.0], [0.0]], [1, 121]).reshape([2, 11, 11, 1]), tf.float32)
  gan_checks.check_training_step_lowers_loss(
      _discriminator((8, 16, 16)), images,
      lambda outputs: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
          labels=labels, logits=outputs[0])))


@pytest.mark.slow
@pytest.mark.parametrize('method', METHODS)
def test_default_generator_runs_at_256(method):
  run = harness.run_in_graph(_generator(upsample_method=method), harness.images(256, batch=1))
  assert run.output.shape == (1, 256, 256, 4)


# --- parity with tf-slim 1.1.0's layers --------------------------------------------------------

@pytest.mark.reference
@pytest.mark.parametrize('method', [METHODS[0], pytest.param(METHODS[1], marks=pytest.mark.slow)])
def test_generator_parity_with_reference_layers(tf_slim, method):
  network_fn = harness.in_arg_scope(pix2pix.pix2pix_generator, pix2pix.pix2pix_arg_scope,
                                    num_outputs=4, blocks=SMALL_BLOCKS,
                                    upsample_method=method)
  harness.compare_with_reference(
      harness.on_reference_layers(tf_slim, [pix2pix], network_fn), network_fn,
      harness.images(32, seed=7))


@pytest.mark.reference
def test_discriminator_parity_with_reference_layers(tf_slim):
  network_fn = harness.in_arg_scope(pix2pix.pix2pix_discriminator, pix2pix.pix2pix_arg_scope,
                                    num_filters=[8, 16, 16])
  harness.compare_with_reference(
      harness.on_reference_layers(tf_slim, [pix2pix], network_fn), network_fn,
      harness.images(32, seed=8))


def test_research_slim_paths():
  import nets.pix2pix  # pylint: disable=import-outside-toplevel
  assert nets.pix2pix is pix2pix
  assert pix2pix.Block._fields == ('num_filters', 'decoder_keep_prob')
