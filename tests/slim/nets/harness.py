"""The one harness of the network tests: build a network in a TF1 graph, through
`slim.Model` (eagerly and in `tf.function`), or on tf-slim 1.1.0's layers (the
reference), with the same weights, and compare what comes out.

    run = harness.run_in_graph(network_fn, images)           # random weights
    model = harness.check_modes(network_fn, images)          # graph == eager == tf.function
    reference = harness.run_in_graph(reference_fn, images)
    harness.assert_parity(reference, harness.run_in_graph(our_fn, images, values=reference.values))

Weights are random (`random_values`, scaled so that activations stay O(1);
batch-norm statistics are not the identity, so that normalization matters).
Outputs agree when `assert_close` holds: to 1e-4, relative to the largest
magnitude of the expected value where that exceeds 1.
"""
import collections
import contextlib
import sys
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import nets_factory

GraphRun = collections.namedtuple('GraphRun', [
    'variables',         # [(name, shape)], in creation order
    'output_shape',      # the static shape of the output
    'output',            # the output (numpy)
    'end_points',        # {name: numpy value}, in the network's order
    'end_point_shapes',  # {name: static shape}
    'values',            # {name: value} of the variables
])


def placeholder(*shape):
  """A float32 placeholder of `shape` (None: unknown) in the default graph."""
  return tf.compat.v1.placeholder(tf.float32, shape)


def static_shape(tensor):
  """The static shape of `tensor` as a list (None: unknown)."""
  return tensor.shape.as_list()


def images(size, channels=3, batch=2, seed=0):
  """Random images [batch, size, size, channels] in [-1, 1)."""
  return np.random.RandomState(seed).uniform(
      -1, 1, (batch, size, size, channels)).astype(np.float32)


def clips(size, num_frames, channels=3, batch=2, seed=0):
  """Random clips [batch, num_frames, size, size, channels] in [-1, 1)."""
  return np.random.RandomState(seed).uniform(
      -1, 1, (batch, num_frames, size, size, channels)).astype(np.float32)


def small_input_shape(name, batch=2, known_size=True):
  """The input shape of network `name`'s small build (`registry.SmallBuild`):
  [batch, size, size, 3], or [batch, frames, size, size, 3] for a video
  network; None for an unknown batch or (without `known_size`) height and width."""
  spec = nets_factory.get_network_spec(name)
  size = spec.small_build.image_size if known_size else None
  frames = [spec.small_build.num_frames] if spec.is_video else []
  return [batch] + frames + [size, size, 3]


def small_inputs(name, batch=2, seed=0):
  """Random inputs of network `name`'s small build: images, or clips for a
  video network (see `small_input_shape`)."""
  return np.random.RandomState(seed).uniform(
      -1, 1, small_input_shape(name, batch)).astype(np.float32)


def random_values(named_variables, seed=0):
  """Random values for `named_variables` ((name, variable) pairs), by name:
  weights normal with variance 2 / fan-in, biases and batch-norm offsets and
  means small, scales and variances near 1; integer variables (a global step) 0."""
  rng = np.random.RandomState(seed)
  values = {}
  for name, variable in named_variables:
    shape, dtype = variable.shape.as_list(), variable.dtype
    leaf = name.rsplit('/', 1)[-1]
    if dtype.is_integer:
      value = np.zeros(shape)
    elif leaf == 'moving_variance':
      value = rng.uniform(0.5, 1.5, shape)
    elif leaf == 'gamma':
      value = rng.uniform(0.8, 1.2, shape)
    elif leaf in ('moving_mean', 'beta', 'biases'):
      value = rng.normal(0.0, 0.1, shape)
    else:
      fan_in = max(1, int(np.prod(shape[:-1])))
      value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
    values[name] = np.asarray(value).astype(dtype.as_numpy_dtype)
  return values


def graph_variables():
  """(name, variable) of the global variables of the default graph, in creation order."""
  return [(v.op.name, v) for v in tf.compat.v1.global_variables()]


def load_values(sess, values):
  """Initializes the global variables of the session's graph to `values` (by
  name), feeding the initial values, in one run."""
  variables = tf.compat.v1.global_variables()
  missing = [v.op.name for v in variables if v.op.name not in values]
  assert not missing, 'no value for %s' % missing
  sess.run([v.initializer for v in variables],
           {v.initializer.inputs[1]: values[v.op.name] for v in variables})


def variable_names(pattern=None):
  """The names of the global variables of the default graph (matching the
  regular expression `pattern`)."""
  return [v.op.name for v in tf.compat.v1.global_variables(pattern)]


def _variable_of(loss):
  """The name of the variable a regularization loss reads."""
  pending, seen = [loss.op], set()
  while pending:
    op = pending.pop()
    if op.type == 'VarHandleOp':
      return op.name
    seen.add(op.name)
    pending.extend(t.op for t in op.inputs if t.op.name not in seen)
  raise AssertionError('no variable behind %s' % loss.name)


def regularized():
  """The sorted names of the variables with a regularization loss in the default graph."""
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  return sorted(_variable_of(loss) for loss in losses)


def initial_values(network_fn, input_shape):
  """Builds `network_fn` in a fresh graph and initializes it; returns (the
  initial values by name, the regularized variables)."""
  with tf.Graph().as_default():
    network_fn(tf.compat.v1.placeholder(tf.float32, input_shape))
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      return sess.run({v.op.name: v for v in tf.compat.v1.global_variables()}), regularized()


def _tensors(end_points):
  return {k: v for k, v in end_points.items() if isinstance(v, tf.Tensor)}


def run_in_graph(network_fn, inputs, input_shape=None, values=None, seed=0, restore=None,
                 save=None):
  """Builds `network_fn` on a placeholder of `input_shape` (default: the shape
  of `inputs`) in a fresh graph and runs it on `inputs`.

  The variables take `values` (name -> value), else the values of checkpoint
  `restore`, else `random_values(seed)`; with `save`, they are saved there.

  Returns:
    A `GraphRun`.
  """
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.float32, input_shape or inputs.shape)
    output, end_points = network_fn(placeholder)
    end_points = _tensors(end_points)
    named = graph_variables()
    saver = tf.compat.v1.train.Saver() if restore or save else None
    with tf.compat.v1.Session() as sess:
      if restore:
        saver.restore(sess, restore)
        values = sess.run(dict(named))
      else:
        values = random_values(named, seed) if values is None else values
        load_values(sess, values)
      if save:
        saver.save(sess, save)
      out, end_point_values = sess.run((output, end_points), {placeholder: inputs})
  return GraphRun([(name, v.shape.as_list()) for name, v in named], output.shape.as_list(),
                  out, end_point_values,
                  {k: v.shape.as_list() for k, v in end_points.items()}, values)


def assert_close(actual, expected, what=''):
  """Equal to 1e-4, relative to the largest magnitude of `expected` where that
  exceeds 1 (random weights make deep networks' outputs large)."""
  expected = np.asarray(expected)
  scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
  np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-4 * scale,
                             err_msg=what)


def assert_end_points_close(actual, expected):
  """The same end points, in the same order, with close values."""
  assert list(actual) == list(expected)
  for name, value in expected.items():
    assert_close(actual[name], value, name)


def model_variables(model):
  """(name, shape) of the variables of a `slim.Model`, in creation order."""
  return [(name, v.shape.as_list()) for name, v in model.variables_by_name.items()]


def assign(model, values):
  """Sets the variables of a `slim.Model` to `values` (by name)."""
  for name, variable in model.variables_by_name.items():
    variable.assign(values[name])


def check_modes(network_fn, inputs, autograph=True, seed=0):
  """Builds `network_fn` in a graph (unknown batch size), through `slim.Model`
  eagerly, and in `tf.function` over the Model (unknown batch size); checks
  that they make the same variables (names, shapes, order) and, with the same
  random values, the same output and end points.

  Returns:
    The Model, its variables set to those values.
  """
  input_shape = [None] + list(inputs.shape[1:])
  graph = run_in_graph(network_fn, inputs, input_shape, seed=seed)

  model = slim.Model(network_fn)
  model(inputs)
  assert model_variables(model) == graph.variables
  assert len(model.variables) == len(graph.variables)
  assign(model, graph.values)
  eager_output, eager_end_points = model(inputs)
  assert graph.output_shape == [None] + list(eager_output.shape[1:])
  assert_close(eager_output, graph.output)
  assert_end_points_close({k: v.numpy() for k, v in eager_end_points.items()},
                          graph.end_points)

  traced = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec(input_shape)],
                       autograph=autograph)
  concrete_output, concrete_end_points = traced.get_concrete_function().structured_outputs
  assert concrete_output.shape.as_list() == graph.output_shape
  assert list(concrete_end_points) == list(graph.end_points)
  function_output, function_end_points = traced(inputs[:1])
  assert_close(function_output, eager_output.numpy()[:1])
  assert_end_points_close({k: v.numpy() for k, v in function_end_points.items()},
                          {k: v[:1] for k, v in graph.end_points.items()})
  return model


def in_arg_scope(network, arg_scope, layers=None, module=None, **kwargs):
  """`network(images, **kwargs)` built under `arg_scope()` with batch norm in
  inference mode.

  The arg scopes are those of `layers` (slim or the reference tf_slim), or of
  `module.slim` looked up at each call (default: the network's module), so
  that a network built on `reference_layers` gets the reference's arg scopes.
  """

  def network_fn(images_):
    lib = layers or (module or sys.modules[network.__module__]).slim
    with lib.arg_scope(arg_scope()), lib.arg_scope([lib.batch_norm], is_training=False):
      return network(images_, **kwargs)

  return network_fn


@contextlib.contextmanager
def reference_layers(tf_slim, modules):
  """Makes the network code of `modules` use tf_slim 1.1.0's layers (their
  module attribute `slim`) while open: the reference for networks tf_slim
  does not ship."""
  with contextlib.ExitStack() as stack:
    for module in modules:
      stack.enter_context(mock.patch.object(module, 'slim', tf_slim))
    yield


def on_reference_layers(tf_slim, modules, network_fn):
  """`network_fn` built with `reference_layers(tf_slim, modules)`."""

  def reference_fn(images_):
    with reference_layers(tf_slim, modules):
      return network_fn(images_)

  return reference_fn


def assert_parity(reference, ours, extra_end_points=()):
  """Two `GraphRun`s of the same network with the same values (the reference's
  and ours): the same variables (names, shapes), output and end points (ours
  may add `extra_end_points`)."""
  assert dict(ours.variables) == dict(reference.variables)
  assert ours.output_shape == reference.output_shape
  assert_close(ours.output, reference.output, 'output')
  missing = set(reference.end_points) - set(ours.end_points)
  assert not missing, missing
  extra = set(ours.end_points) - set(reference.end_points)
  assert extra <= set(extra_end_points), extra
  for name, value in reference.end_points.items():
    assert_close(ours.end_points[name], value, name)


def compare_with_reference(reference_fn, our_fn, inputs, extra_end_points=(), seed=0):
  """Runs `reference_fn` with random values and `our_fn` with the same values
  (by name) on `inputs`, in graphs; asserts parity (see `assert_parity`)."""
  reference = run_in_graph(reference_fn, inputs, seed=seed)
  ours = run_in_graph(our_fn, inputs, values=reference.values)
  assert_parity(reference, ours, extra_end_points)
  return reference, ours


# The networks whose registry-driven tests run by default: one network of each
# family of tf_slim's nets and the small ones of the other families; the rest
# (big weights or graphs) run with -m slow. The video networks I3D and S3D-G run
# there too; tests/slim/nets/test_video.py runs a thin S3D-G in every mode by default.
FAST_NETWORKS = frozenset([
    'alexnet_v2', 'inception_v1', 'inception_v2', 'inception_v3', 'resnet_v1_50',
    'resnet_v2_50', 'lenet', 'cifarnet', 'mobilenet_v1', 'mobilenet_v2', 'mobilenet_v3_small'])


def registered_networks(where=lambda spec: True):
  """pytest parameters: the registered networks whose spec satisfies `where`,
  those outside FAST_NETWORKS marked slow."""
  return [pytest.param(name, marks=() if name in FAST_NETWORKS else pytest.mark.slow)
          for name, spec in nets_factory.NETWORKS.items() if where(spec)]
