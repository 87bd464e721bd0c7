"""slim.layers.summaries: summaries of tensors, activations and collections."""
import sys

import pytest
import tensorflow as tf

import slim
from tests.slim.graph_run import run

layer_summaries = sys.modules['slim.layers.summaries']
SUMMARIES = tf.compat.v1.GraphKeys.SUMMARIES


def test_summarize_tensor_by_rank_and_dtype(graph):
  assert layer_summaries.summarize_tensor(tf.constant(1.0)).op.type == 'ScalarSummary'
  assert layer_summaries.summarize_tensor(tf.constant([1., 2.])).op.type == 'HistogramSummary'
  assert layer_summaries.summarize_tensor(tf.constant([True])) is None
  assert layer_summaries.summarize_tensor(tf.constant('a')) is None
  assert layer_summaries.summarize_tensor(tf.constant(2.0, name='c'), tag='t').op.name == 't'


@pytest.mark.parametrize('activation,names', [
    (tf.identity, ['act/activation']),
    (tf.nn.relu, ['act/activation', 'act/zeros']),
    (tf.nn.relu6, ['act/activation', 'act/sixes', 'act/zeros']),
])
def test_summarize_activation(graph, activation, names):
  output = activation(tf.constant([-1., 3., 8.]), name='act')
  assert layer_summaries.summarize_activation(output).op.type == 'HistogramSummary'
  summaries = {s.op.name: s for s in tf.compat.v1.get_collection(SUMMARIES)}
  assert sorted(summaries) == names
  if 'act/sixes' in summaries:  # one pre-activation of three is below 0, one above 6
    for name in ('act/sixes', 'act/zeros'):
      value = tf.compat.v1.Summary.FromString(run(summaries[name])).value[0].simple_value
      assert value == pytest.approx(1 / 3)


def test_summarize_collection_filters_by_regex(graph):
  value = tf.constant(1.0)
  for name in ('Test2', 'Foobar', 'Test3'):
    tf.compat.v1.add_to_collection('foo', tf.identity(value, name=name))
  summaries = layer_summaries.summarize_collection('foo', r'Test[123]')
  assert sorted(s.op.name for s in summaries) == ['Test2_summary', 'Test3_summary']
  tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ACTIVATIONS,
                                 tf.nn.relu(value, name='r'))
  assert [s.op.name for s in slim.summarize_activations()] == ['r/activation']
  tf.compat.v1.get_variable('v', [2])
  assert [s.op.name for s in slim.summarize_variables()] == ['v_summary']
