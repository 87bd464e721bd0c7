"""Checks shared by the tests of the image-to-image and GAN networks (pix2pix,
CycleGAN, DCGAN), which are not in nets_factory: variable tables, SavedModel
round trips of a `slim.Model` and one training step."""
import numpy as np
import tensorflow as tf

import slim
from tests.slim.nets import harness


def built_variables(network_fn, input_shape):
  """(name, shape) of the global variables `network_fn` makes on a placeholder
  of `input_shape` in a fresh graph, in creation order."""
  with tf.Graph().as_default():
    network_fn(harness.placeholder(*input_shape))
    return [(v.op.name, v.shape.as_list()) for v in tf.compat.v1.global_variables()]


def built_end_points(network_fn, input_shape):
  """(the output's static shape, {end point: static shape}) of `network_fn`
  built on a placeholder of `input_shape` in a fresh graph."""
  with tf.Graph().as_default():
    output, end_points = network_fn(harness.placeholder(*input_shape))
    return (output.shape.as_list(),
            {name: tensor.shape.as_list() for name, tensor in end_points.items()})


def parameter_count(variables, trainable_only=True):
  """The number of values of `variables` ((name, shape) pairs), without the
  batch-norm statistics unless `trainable_only` is False."""
  statistics = ('moving_mean', 'moving_variance', 'biased', 'local_step')
  return sum(int(np.prod(shape)) for name, shape in variables
             if not (trainable_only and name.rsplit('/', 1)[-1] in statistics))


def assert_no_variables_made(graph):
  """`graph` (after a refused build) holds no variable."""
  with graph.as_default():
    assert tf.compat.v1.global_variables() == []


def check_saved_model_round_trip(model, inputs, tmp_path, output=lambda outputs: outputs[0]):
  """Saves `model` (already called on `inputs`) with a serving function of
  unknown batch size, loads it, and checks that it gives the Model's output."""
  expected = output(model(inputs)).numpy()
  module = tf.Module()
  module.model = model
  module.serve = tf.function(lambda x: output(model(x)),
                             input_signature=[tf.TensorSpec([None] + list(inputs.shape[1:]))])
  tf.saved_model.save(module, str(tmp_path / 'saved'))
  loaded = tf.saved_model.load(str(tmp_path / 'saved'))
  harness.assert_close(loaded.serve(inputs), expected)
  harness.assert_close(loaded.serve(inputs[:1]), expected[:1])
  return loaded


def check_training_step_lowers_loss(network_fn, inputs, loss_fn, learning_rate=0.01, seed=0):
  """Builds `network_fn` in a `slim.Model`, takes one gradient-descent step on
  `loss_fn(outputs)` in `tf.function`, and checks that the loss went down
  (every trainable variable getting a gradient).

  Returns:
    (loss before, loss after).
  """
  tf.random.set_seed(seed)
  model = slim.Model(network_fn)
  model(inputs)

  @tf.function
  def step(x):
    with tf.GradientTape() as tape:
      loss = loss_fn(model(x))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in gradients)
    for variable, gradient in zip(model.trainable_variables, gradients):
      variable.assign_sub(learning_rate * gradient)
    return loss

  before = float(step(inputs))
  after = float(loss_fn(model(inputs)))
  assert after < before, (before, after)
  return before, after
