"""Helpers of the core-extras tests: one value computed eagerly and in a TF1 graph."""
import numpy as np
import tensorflow as tf


def graph_value(build):
  """The value of `build()` computed in a fresh TF1 graph."""
  with tf.Graph().as_default():
    tensor = build()
    with tf.compat.v1.Session() as sess:
      return sess.run(tensor)


def eager_and_graph(build, rtol=1e-6, atol=1e-6):
  """`build()` computed eagerly; asserts that the graph value is the same."""
  eager = build().numpy()
  np.testing.assert_allclose(eager, graph_value(build), rtol=rtol, atol=atol)
  return eager
