"""The `softmax` prediction layer of tf_slim (`prediction_fn` of LeNet, CifarNet
and MobileNet v1): softmax over the last axis, in its own variable scope.

Behaves as `slim.softmax`; once `slim` exports that layer, the nets can take it
from there.
"""
import tensorflow as tf

__all__ = ['softmax']


def softmax(logits, scope=None):
  """Softmax over the last axis of `logits` (rank >= 2), in scope `scope`
  (default 'softmax'); the output has the shape of `logits`."""
  with tf.compat.v1.variable_scope(scope, 'softmax', [logits]):
    return tf.nn.softmax(logits)
