"""Reading back the summaries that training and evaluation wrote to a log directory."""
import os

import tensorflow as tf


def summary_values(logdir):
  """(step, tf.compat.v1.Summary.Value) of every value in the event files of `logdir`."""
  for path in tf.io.gfile.glob(os.path.join(logdir, '*tfevents*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        yield event.step, value


def scalars_by_tag(logdir):
  """{tag: [(step, simple_value), ...]} of the scalar summaries in `logdir`."""
  values = {}
  for step, value in summary_values(logdir):
    if value.HasField('simple_value'):
      values.setdefault(value.tag, []).append((step, value.simple_value))
  return values


def scalars_by_step(logdir):
  """{step: {tag: simple_value}} of the scalar summaries in `logdir`."""
  values = {}
  for step, value in summary_values(logdir):
    if value.WhichOneof('value') == 'simple_value':
      values.setdefault(step, {})[value.tag] = value.simple_value
  return values


def summaries_by_tag(logdir):
  """{tag: {step: value}} of the summaries in `logdir`: the simple value of scalars,
  the kind ('histo', 'image') of the others."""
  values = {}
  for step, value in summary_values(logdir):
    kind = value.WhichOneof('value')
    values.setdefault(value.tag, {})[step] = (
        value.simple_value if kind == 'simple_value' else kind)
  return values
