"""Helpers of the graph-mode layer tests."""
import tensorflow as tf


def run(outputs, feed=None):
  """Initializes the variables of the default graph and runs `outputs`."""
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    return sess.run(outputs, feed)


def variable_shapes():
  """{name: shape} of the global variables of the default graph."""
  return {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
