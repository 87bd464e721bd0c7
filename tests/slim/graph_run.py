"""Running tensors in a TF1 graph (graph-mode tests), and one value eagerly and in a graph."""
import numpy as np
import tensorflow as tf


def run(outputs, feed=None):
  """Initializes the variables of the default graph and runs `outputs`."""
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    return sess.run(outputs, feed)


def variable_shapes():
  """{name: shape} of the global variables of the default graph."""
  return {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}


def graph_value(build):
  """The value of `build()` computed in a fresh TF1 graph."""
  with tf.Graph().as_default():
    return run(build())


def eager_and_graph(build, rtol=1e-6, atol=1e-6):
  """`build()` computed eagerly; asserts that the graph value is the same."""
  eager = build().numpy()
  np.testing.assert_allclose(eager, graph_value(build), rtol=rtol, atol=atol)
  return eager
