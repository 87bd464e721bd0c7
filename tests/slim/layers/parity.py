"""Builds a layer with tf_slim (the reference) and with slim in separate graphs,
gives both the same variable values by name, and runs them side by side."""
import numpy as np
import tensorflow as tf

import slim

UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


class Run(object):
  """What one build gave: variables (name -> shape), values, outputs, updates."""

  def __init__(self, variables, model_variables, outputs, after_updates, losses,
               num_updates):
    self.variables = variables
    self.model_variables = model_variables
    self.outputs = outputs
    self.after_updates = after_updates
    self.losses = losses
    self.num_updates = num_updates


def _run(module, build, inputs, values, feed, steps):
  with tf.Graph().as_default():
    tensors = [tf.constant(x) for x in inputs]
    outputs = build(module, *tensors)
    updates = tf.compat.v1.get_collection(UPDATE_OPS)
    losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    global_variables = tf.compat.v1.global_variables()
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      if values is None:
        values = {v.op.name: sess.run(v) for v in global_variables}
      else:
        for v in global_variables:
          v.load(values[v.op.name], sess)
      # A loss made by get_variable is lazy: its `op` is the first one made.
      loss_values = [(loss.op.name, sess.run(tf.convert_to_tensor(loss))) for loss in losses]
      results = []
      for _ in range(steps):
        results.append(sess.run(outputs, feed_dict=feed))
        sess.run(updates, feed_dict=feed)
      after = {v.op.name: sess.run(v) for v in global_variables}
    run = Run([(v.op.name, v.shape.as_list()) for v in global_variables],
              [v.op.name for v in tf.compat.v1.get_collection(
                  tf.compat.v1.GraphKeys.MODEL_VARIABLES)],
              results, after, loss_values, len(updates))
    return run, values


def compare(tf_slim, build, inputs, feed=None, steps=1, rtol=1e-5, atol=1e-5):
  """Runs `build(module, *input_tensors)` with both; asserts the same variables
  (names, shapes, order, model variables), number of update ops,
  regularization losses (names and values), outputs, and variable values
  after `steps` training steps (outputs, then UPDATE_OPS). Returns the runs."""
  reference, values = _run(tf_slim, build, inputs, None, feed, steps)
  ours, _ = _run(slim, build, inputs, values, feed, steps)
  assert ours.variables == reference.variables
  assert ours.model_variables == reference.model_variables
  assert ours.num_updates == reference.num_updates
  assert [name for name, _ in ours.losses] == [name for name, _ in reference.losses]
  for (_, ours_loss), (_, reference_loss) in zip(ours.losses, reference.losses):
    np.testing.assert_allclose(ours_loss, reference_loss, rtol=rtol, atol=atol)
  for ours_out, reference_out in zip(ours.outputs, reference.outputs):
    np.testing.assert_allclose(ours_out, reference_out, rtol=rtol, atol=atol)
  for name, value in reference.after_updates.items():
    np.testing.assert_allclose(ours.after_updates[name], value, rtol=rtol, atol=atol,
                               err_msg=name)
  return reference, ours
