"""Builds a network in a TF1 graph and through `slim.Model` (eagerly and in
`tf.function`), with the same weights, and compares the results."""
import numpy as np
import tensorflow as tf

import slim


def random_values(shapes_by_name, seed=0):
  """Values for every variable: normal weights, moving variances near 1."""
  rng = np.random.RandomState(seed)
  values = {}
  for name, shape in sorted(shapes_by_name.items()):
    if name.endswith('moving_variance'):
      values[name] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    elif name == 'global_step':
      values[name] = np.zeros(shape, np.int64)
    else:
      values[name] = (0.1 * rng.standard_normal(shape)).astype(np.float32)
  return values


def run_in_graph(network_fn, images, batch=None):
  """Builds `network_fn` on a placeholder of images' shape (batch dimension
  `batch`), sets random values, runs it; returns (variable values by name,
  output, end points as arrays, variable names in creation order)."""
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.float32, (batch,) + images.shape[1:])
    output, end_points = network_fn(placeholder)
    variables = tf.compat.v1.global_variables()
    names = [v.op.name for v in variables]
    values = random_values({v.op.name: v.shape.as_list() for v in variables})
    with tf.compat.v1.Session() as sess:
      # Initialize every variable at once, feeding its initial value.
      sess.run([v.initializer for v in variables],
               {v.initial_value: values[v.op.name] for v in variables})
      output, end_points = sess.run([output, end_points], {placeholder: images})
  return values, output, end_points, names


def assert_close(actual, expected):
  """Equal up to float32 rounding relative to the largest magnitude."""
  scale = max(1e-6, float(np.max(np.abs(expected))))
  np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale)


def check_graph_model_function_agree(network_fn, images):
  """Graph mode, slim.Model eagerly and slim.Model under tf.function make the
  same variables (names and shapes) and, with the same values, the same output
  and end points; returns the Model."""
  values, graph_output, graph_end_points, graph_names = run_in_graph(network_fn, images)

  model = slim.Model(network_fn)
  model(tf.constant(images))
  assert sorted(model.variables_by_name) == sorted(graph_names)
  for name, variable in model.variables_by_name.items():
    assert variable.shape.as_list() == list(values[name].shape), name
    variable.assign(values[name])

  eager_output, eager_end_points = model(tf.constant(images))
  traced = tf.function(model)
  function_output, function_end_points = traced(tf.constant(images))
  assert list(eager_end_points) == list(graph_end_points)
  assert list(function_end_points) == list(graph_end_points)
  assert_close(eager_output.numpy(), graph_output)
  assert_close(function_output.numpy(), graph_output)
  for name, value in graph_end_points.items():
    assert eager_end_points[name].shape == value.shape, name
    assert_close(eager_end_points[name].numpy(), value)
    assert_close(function_end_points[name].numpy(), value)
  return model
