"""Running a metric over batches, in a TF1 graph and through StreamingMetric."""
import numpy as np
import tensorflow as tf

import slim


def _placeholder(array):
  array = np.asarray(array)
  return tf.compat.v1.placeholder(tf.as_dtype(array.dtype), array.shape)


def run_in_graph(metric_fn, batches, **kwargs):
  """Builds `metric_fn(*inputs, **kwargs)` on placeholders shaped like the first
  batch, runs the update op on every batch; returns (value, variable names).

  The value is read with the last batch fed (tf_slim's dynamic AUCs need it).
  """
  with tf.Graph().as_default():
    inputs = tf.nest.map_structure(_placeholder, tuple(batches[0]))
    value, update_op = metric_fn(*inputs, **kwargs)
    names = sorted(v.name for v in tf.compat.v1.local_variables())
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.local_variables_initializer())
      for batch in batches:
        feed = dict(zip(tf.nest.flatten(inputs), tf.nest.flatten(tuple(batch))))
        sess.run(update_op, feed_dict=feed)
      return sess.run(value, feed_dict=feed), names


def run_in_tf2(metric_fn, batches, **kwargs):
  """The same through slim.metrics.StreamingMetric; returns (value, names)."""
  metric = slim.metrics.StreamingMetric(metric_fn, **kwargs)
  for batch in batches:
    metric.update_state(*batch)
  value = tf.nest.map_structure(lambda t: t.numpy(), metric.result())
  return value, sorted(v.name for v in metric.variables)
