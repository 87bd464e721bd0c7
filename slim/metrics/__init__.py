"""Streaming evaluation metrics (tf_slim's `metrics`).

Each metric returns `(value, update_op)` over local variables: run `update_op`
on every batch, then read `value`. In a TF1 graph the variables are in the
LOCAL_VARIABLES and METRIC_VARIABLES collections (initialize them with
`tf.compat.v1.local_variables_initializer()`):

    accuracy, update_op = slim.metrics.streaming_accuracy(predictions, labels)

In TF2, `StreamingMetric` runs a metric in a `tf.function`, owns its variables,
and resets them:

    accuracy = slim.metrics.StreamingMetric(slim.metrics.streaming_accuracy)
    for predictions, labels in batches:
      accuracy.update_state(predictions, labels)
    accuracy.result()
    accuracy.reset_state()
"""
# pylint: disable=wildcard-import
from slim.metrics.classification import accuracy
from slim.metrics.classification import f1_score
from slim.metrics.histogram_ops import auc_using_histogram
from slim.metrics.metric_ops import *
from slim.metrics.streaming_metric import StreamingMetric
from slim.metrics import classification
from slim.metrics import histogram_ops
from slim.metrics import metric_ops

__all__ = sorted(['StreamingMetric', 'accuracy', 'auc_using_histogram', 'f1_score'] +
                 metric_ops.__all__)
