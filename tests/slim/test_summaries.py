"""slim.summaries: scalar (and printed), zero-fraction, histogram and image summaries."""
import glob
import os

import pytest
import tensorflow as tf

import slim
from tests.slim.graph_run import run

SUMMARIES = tf.compat.v1.GraphKeys.SUMMARIES


def written_values(directory):
  [path] = glob.glob(os.path.join(directory, '*'))
  return {value.tag: value.simple_value
          for event in tf.compat.v1.train.summary_iterator(path) for value in event.summary.value}


@pytest.mark.parametrize('print_summary', [False, True])
def test_scalar_summary_is_written(graph, tmp_path, print_summary):
  summary = slim.summaries.add_scalar_summary(tf.ones([]) * 3, 'score', 'eval',
                                              print_summary=print_summary)
  assert tf.compat.v1.get_collection(SUMMARIES) == [summary]
  writer = tf.compat.v1.summary.FileWriter(str(tmp_path))
  writer.add_summary(run(tf.compat.v1.summary.merge_all()), 1)
  writer.close()
  assert written_values(str(tmp_path)) == {'eval/score': 3.0}


def test_printed_summary_prints(graph, capfd):
  summary = slim.summaries.add_scalar_summary(tf.constant(2.5), 'value', print_summary=True)
  run(summary)
  assert 'value 2.5' in capfd.readouterr().err


def test_summary_names(graph):
  activations = tf.constant([[0., 1.], [2., 0.]], name='act')
  [zeros] = slim.summaries.add_zero_fraction_summaries([activations], prefix='train')
  assert zeros.op.name == 'train/act/Fraction_of_Zero_Values'
  histograms = slim.summaries.add_histogram_summaries([activations])
  assert histograms[0].op.type == 'HistogramSummary'
  images = slim.summaries.add_image_summaries([tf.zeros([1, 4, 4, 3], name='image')], 'in')
  assert images[0].op.name == 'in/image'
  scalars = slim.summaries.add_scalar_summaries([tf.constant(1.0, name='a')], prefix='p')
  assert scalars[0].op.name == 'p/a' and len(tf.compat.v1.get_collection(SUMMARIES)) == 4
  summary = tf.compat.v1.Summary.FromString(run(zeros))
  assert summary.value[0].simple_value == 0.5
