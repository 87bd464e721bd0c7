"""DCGAN: the generator and discriminator of research/slim's nets/dcgan.py.
End points at research/slim's test sizes, the input checks, the variables of
the default builds, `reuse`, graph / eager / tf.function agreement (training
and inference), SavedModel, one training step, and parity with the same code
on tf-slim 1.1.0's layers."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import dcgan
from tests.slim.nets import gan_checks
from tests.slim.nets import harness


def _noise(batch=2, size=16, seed=0):
  return np.random.RandomState(seed).normal(size=(batch, size)).astype(np.float32)


def _batch_norm(name, channels):
  """A batch-normalized layer's variables in training (zero-debiased moving mean)."""
  return [(name + '/BatchNorm/beta', [channels]), (name + '/BatchNorm/moving_mean', [channels]),
          (name + '/BatchNorm/moving_variance', [channels]),
          ('%s/BatchNorm/%s/BatchNorm/moving_mean/biased' % (name, name), [channels]),
          ('%s/BatchNorm/%s/BatchNorm/moving_mean/local_step' % (name, name), [])]


GENERATOR_VARIABLES = (  # final_size 32, depth 64, 3 outputs, noise of 64
    [('Generator/deconv1/weights', [4, 4, 512, 64])] + _batch_norm('Generator/deconv1', 512) +
    [('Generator/deconv2/weights', [4, 4, 256, 512])] + _batch_norm('Generator/deconv2', 256) +
    [('Generator/deconv3/weights', [4, 4, 128, 256])] + _batch_norm('Generator/deconv3', 128) +
    [('Generator/deconv4/weights', [4, 4, 64, 128]), ('Generator/deconv4/biases', [64]),
     ('Generator/logits/weights', [1, 1, 64, 3]), ('Generator/logits/biases', [3])])

DISCRIMINATOR_VARIABLES = (  # 32 x 32 x 3, depth 64
    [('Discriminator/conv1/weights', [4, 4, 3, 64]), ('Discriminator/conv1/biases', [64])] +
    [v for i, (c_in, c_out) in enumerate([(64, 128), (128, 256), (256, 512), (512, 1024)], 2)
     for v in [('Discriminator/conv%d/weights' % i, [4, 4, c_in, c_out])] +
     _batch_norm('Discriminator/conv%d' % i, c_out)] +
    [('Discriminator/Conv/weights', [1, 1, 1024, 1]), ('Discriminator/Conv/biases', [1])])


# --- generator ---------------------------------------------------------------------------------

@pytest.mark.parametrize('power,batch', list(zip(range(3, 7), range(3, 8))))
def test_generator_end_points_at_research_slim_sizes(power, batch):
  final_size = 2 ** power
  output_shape, end_points = gan_checks.built_end_points(
      functools.partial(dcgan.generator, depth=32, final_size=final_size), [batch, 64])
  assert output_shape == [batch, final_size, final_size, 3]
  expected = {'deconv%d' % j: [batch, 2 ** (j + 1), 2 ** (j + 1), 32 * 2 ** (power - j - 1)]
              for j in range(1, power)}
  expected['logits'] = output_shape
  assert end_points == expected
  assert list(end_points) == list(expected)


def test_generator_default_variables_and_parameter_count():
  variables = gan_checks.built_variables(dcgan.generator, [100, 64])
  assert variables == GENERATOR_VARIABLES
  assert gan_checks.parameter_count(variables) == 3277955
  assert gan_checks.parameter_count(variables, trainable_only=False) == 3280646


def test_generator_in_inference_has_no_debiasing_variables():
  variables = gan_checks.built_variables(
      functools.partial(dcgan.generator, is_training=False), [1, 64])
  assert not [n for n, _ in variables if n.endswith(('/biased', '/local_step'))]
  assert len(variables) == 22 - 6


def test_generator_output_channels_and_fused_batch_norm():
  output_shape, end_points = gan_checks.built_end_points(
      functools.partial(dcgan.generator, depth=8, final_size=8, num_outputs=1,
                        fused_batch_norm=True), [None, 10])
  assert output_shape == [None, 8, 8, 1]
  assert end_points == {'deconv1': [None, 4, 4, 16], 'deconv2': [None, 8, 8, 8],
                        'logits': [None, 8, 8, 1]}


@pytest.mark.parametrize('inputs_shape,kwargs,message', [
    ([5, 32, 32], {}, r'inputs must have rank 2 \[batch_size, N\].*\(5, 32, 32\)'),
    ([5, None], {}, 'the input size N must be known'),
    ([3, 2], {'final_size': 30}, r'`final_size` \(30\) must be a power of 2'),
    ([3, 2], {'final_size': 0}, r'`final_size` \(0\) must be a power of 2'),
    ([3, 2], {'final_size': 4}, r'`final_size` \(4\) must be greater than 8'),
    ([3, 2], {'depth': 0}, 'depth must be a positive int, received 0'),
    ([3, 2], {'num_outputs': -3}, 'num_outputs must be a positive int, received -3'),
])
def test_generator_refuses_bad_inputs(graph, inputs_shape, kwargs, message):
  with pytest.raises(ValueError, match=message):
    dcgan.generator(harness.placeholder(*inputs_shape), **kwargs)
  gan_checks.assert_no_variables_made(graph)


# --- discriminator -----------------------------------------------------------------------------

@pytest.mark.parametrize('power,batch', list(zip(range(1, 6), range(3, 8))))
def test_discriminator_end_points_at_research_slim_sizes(power, batch):
  size = 2 ** power
  output_shape, end_points = gan_checks.built_end_points(
      functools.partial(dcgan.discriminator, depth=32), [batch, size, size, 3])
  assert output_shape == [batch, 1]
  expected = {'conv%d' % j: [batch, size // 2 ** j, size // 2 ** j, 32 * 2 ** (j - 1)]
              for j in range(1, power + 1)}
  expected['logits'] = [batch, 1]
  assert end_points == expected
  assert list(end_points) == list(expected)


def test_discriminator_default_variables_and_parameter_count():
  variables = gan_checks.built_variables(dcgan.discriminator, [5, 32, 32, 3])
  assert variables == DISCRIMINATOR_VARIABLES
  assert gan_checks.parameter_count(variables) == 11147201


def test_discriminator_of_one_pixel_is_the_logits_layer():
  variables = gan_checks.built_variables(dcgan.discriminator, [2, 1, 1, 3])
  assert [n for n, _ in variables] == ['Discriminator/Conv/weights', 'Discriminator/Conv/biases']


@pytest.mark.parametrize('shape,message', [
    ([5, 32, 32], 'rank 4'),
    ([5, 32, None, 3], 'height and width must be known'),
    ([5, 32, 16, 3], r'not have equal width and height: \(32, 16\)'),
    ([5, 30, 30, 3], 'not a power of 2: 30'),
])
def test_discriminator_refuses_bad_inputs(graph, shape, message):
  with pytest.raises(ValueError, match=message):
    dcgan.discriminator(harness.placeholder(*shape))
  gan_checks.assert_no_variables_made(graph)


def test_validate_image_inputs(graph):
  validate = dcgan._validate_image_inputs  # pylint: disable=protected-access
  validate(harness.placeholder(None, 8, 8, None))
  with pytest.raises(ValueError, match='not a power of 2'):
    validate(harness.placeholder(None, 12, 12, 3))


def test_reuse_shares_the_variables(graph):
  images = harness.placeholder(2, 8, 8, 3)
  real, _ = dcgan.discriminator(images, depth=4)
  fake, _ = dcgan.discriminator(images * 0.5, depth=4, reuse=True)
  assert len(tf.compat.v1.global_variables()) == 16  # conv1, conv2, conv3 (+ 5 each), Conv
  assert real.shape.as_list() == fake.shape.as_list() == [2, 1]
  with pytest.raises(ValueError, match='already exists'):
    dcgan.discriminator(images, depth=4)


def test_training_updates_the_zero_debiased_moving_mean():
  model = slim.Model(functools.partial(dcgan.generator, depth=4, final_size=8))
  noise = _noise()
  model(noise)
  mean = model.variables_by_name['Generator/deconv1/BatchNorm/moving_mean']
  step = model.variables_by_name[
      'Generator/deconv1/BatchNorm/Generator/deconv1/BatchNorm/moving_mean/local_step']
  before = mean.numpy().copy()
  model(_noise(seed=1))
  assert not np.allclose(mean.numpy(), before) and float(step) == 2.0
  model(_noise(seed=2), is_training=False)
  assert float(step) == 2.0


# --- modes, SavedModel, training ---------------------------------------------------------------

GENERATOR = functools.partial(dcgan.generator, depth=4, final_size=16)
DISCRIMINATOR = functools.partial(dcgan.discriminator, depth=4)


def test_graph_eager_and_function_agree_in_inference():
  harness.check_modes(functools.partial(GENERATOR, is_training=False), _noise())
  harness.check_modes(functools.partial(DISCRIMINATOR, is_training=False), harness.images(16))


@pytest.mark.parametrize('network_fn,inputs', [(GENERATOR, _noise()),
                                               (DISCRIMINATOR, harness.images(16))])
def test_graph_eager_and_function_agree_in_training(network_fn, inputs):
  # Batch statistics: every mode sees the whole batch.
  graph = harness.run_in_graph(network_fn, inputs, [None] + list(inputs.shape[1:]))
  model = slim.Model(network_fn)
  model(inputs)
  assert harness.model_variables(model) == graph.variables
  harness.assign(model, graph.values)
  harness.assert_close(model(inputs)[0], graph.output)
  traced = tf.function(lambda x: model(x)[0])
  harness.assert_close(traced(tf.constant(inputs)), graph.output)


def test_saved_model_round_trip(tmp_path):
  model = slim.Model(functools.partial(dcgan.generator, depth=4, final_size=16,
                                       is_training=False))
  gan_checks.check_saved_model_round_trip(model, _noise(seed=3), tmp_path)


def test_generator_training_step_lowers_l1_loss():
  target = tf.constant(harness.images(8, seed=5) * 0.5)
  gan_checks.check_training_step_lowers_loss(
      functools.partial(dcgan.generator, depth=8, final_size=8), tf.constant(_noise(seed=4)),
      lambda outputs: tf.reduce_mean(tf.abs(tf.tanh(outputs[0]) - target)))


def test_discriminator_training_step_lowers_cross_entropy():
  images = tf.constant(harness.images(16, batch=4, seed=6))
  labels = tf.constant([[1.0], [0.0], [1.0], [0.0]])
  gan_checks.check_training_step_lowers_loss(
      functools.partial(dcgan.discriminator, depth=8), images,
      lambda outputs: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
          labels=labels, logits=outputs[0])))


# --- parity with tf-slim 1.1.0's layers --------------------------------------------------------

@pytest.mark.reference
@pytest.mark.parametrize('is_training', [True, pytest.param(False, marks=pytest.mark.slow)])
def test_parity_with_reference_layers(tf_slim, is_training):
  for network_fn, inputs in [
      (functools.partial(dcgan.generator, depth=4, final_size=16, is_training=is_training),
       _noise(seed=7)),
      (functools.partial(dcgan.discriminator, depth=4, is_training=is_training),
       harness.images(16, seed=8))]:
    harness.compare_with_reference(harness.on_reference_layers(tf_slim, [dcgan], network_fn),
                                   network_fn, inputs)


def test_research_slim_paths():
  import nets.dcgan  # pylint: disable=import-outside-toplevel
  assert nets.dcgan is dcgan
