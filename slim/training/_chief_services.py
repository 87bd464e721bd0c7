"""What the chief of slim.learning.train does besides training steps: timed
checkpoints, summaries and steps/sec, the graph and session-log events, and
Chrome traces.

`tf.compat.v1.train.Supervisor` runs these in background threads, which TF 2
starts in eager mode (the default graph is thread-local), so that they fail
unless eager execution was disabled for the whole program. Here they run in the
training thread, between steps, with the same files as the result.
"""
import json
import os
import time

import tensorflow as tf

from slim import _files
from slim.training import train_dir

_v1 = tf.compat.v1
_logging = _v1.logging

CHECKPOINT_BASENAME = 'model.ckpt'


class ChiefServices(object):
  """Saves checkpoints every `save_interval_secs` and summaries every
  `save_summaries_secs` (also when the session starts), as the Supervisor's standard
  services did.

  Args:
    graph: the graph trained.
    logdir: the directory of checkpoints, `graph.pbtxt` and events.
    global_step: the global step tensor.
    saver: the checkpoint saver, or None.
    save_interval_secs: seconds between checkpoints (0 or None: none by time).
    summary_op: the summary op, or None.
    summary_writer: a `FileWriter`, or None.
    save_summaries_secs: seconds between summaries (0 or None: none).
  """

  def __init__(self, graph, logdir, global_step, saver, save_interval_secs, summary_op,
               summary_writer, save_summaries_secs):
    self._graph = graph
    self._logdir = logdir
    self._global_step = global_step
    self._saver = saver
    self.save_path = os.path.join(logdir, CHECKPOINT_BASENAME)
    self._save_interval_secs = save_interval_secs if saver is not None else None
    self._summary_op = summary_op
    self._writer = summary_writer
    self._save_summaries_secs = save_summaries_secs if summary_writer is not None else None
    self._meta_graph_def = _v1.train.export_meta_graph(
        graph_def=graph.as_graph_def(add_shapes=True),
        saver_def=saver.saver_def if saver is not None else None)
    self._graph_written = False
    self._next_checkpoint = self._next_summary = None
    self._last_count = None  # (time, global step) of the last steps/sec summary

  def start(self, sess):
    """Writes the graph and a START event, then the first summaries and checkpoint."""
    if not self._graph_written:
      tf.io.write_graph(self._graph.as_graph_def(add_shapes=True), self._logdir, 'graph.pbtxt')
      if self._writer is not None:
        self._writer.add_graph(self._graph)
        self._writer.add_meta_graph(self._meta_graph_def)
      self._graph_written = True
    step = self._step(sess)
    if self._writer is not None:
      self._writer.reopen()  # closed by the previous session, if any
      self._writer.add_session_log(_v1.SessionLog(status=_v1.SessionLog.START), step)
    self._next_checkpoint = self._next_summary = time.time()
    self._last_count = (time.time(), step)
    self.run_due(sess)

  def _step(self, sess):
    return int(sess.run(self._global_step))

  def run_due(self, sess):
    """Writes the summaries and the checkpoint whose time has come."""
    now = time.time()
    if self._save_summaries_secs and now >= self._next_summary:
      self._next_summary = max(self._next_summary + self._save_summaries_secs, now)
      self._write_summaries(sess, now)
    if self._save_interval_secs and now >= self._next_checkpoint:
      self._next_checkpoint = max(self._next_checkpoint + self._save_interval_secs, now)
      self.save(sess)

  def _write_summaries(self, sess, now):
    if self._summary_op is not None:
      summary, step = sess.run([self._summary_op, self._global_step])
      self._writer.add_summary(summary, step)
    else:
      step = self._step(sess)
    elapsed = now - self._last_count[0]
    if elapsed > 0 and step > self._last_count[1]:
      tag = '%s/sec' % self._global_step.op.name
      rate = (step - self._last_count[1]) / elapsed
      self._writer.add_summary(_v1.Summary(value=[_v1.Summary.Value(tag=tag,
                                                                    simple_value=rate)]), step)
    self._last_count = (now, step)

  def save(self, sess):
    """Saves a checkpoint `model.ckpt-<global step>` and logs it in the events."""
    with train_dir.saving_checkpoint(os.path.dirname(self.save_path)):
      self._saver.save(sess, self.save_path, global_step=self._global_step)
    if self._writer is not None:
      self._writer.add_session_log(
          _v1.SessionLog(status=_v1.SessionLog.CHECKPOINT, checkpoint_path=self.save_path),
          self._step(sess))

  def close(self):
    """Writes a STOP event and closes the summary writer."""
    if self._writer is not None:
      self._writer.add_session_log(_v1.SessionLog(status=_v1.SessionLog.STOP))
      self._writer.close()


def chrome_trace(step_stats):
  """The Chrome trace (chrome://tracing JSON) of a run's `StepStats`: one process
  per device, one complete event per op."""
  events = []
  for pid, device in enumerate(step_stats.dev_stats):
    events.append({'name': 'process_name', 'ph': 'M', 'pid': pid,
                   'args': {'name': device.device}})
    for node in device.node_stats:
      events.append({
          'name': node.node_name, 'cat': 'Op', 'ph': 'X', 'pid': pid, 'tid': node.thread_id,
          'ts': node.all_start_micros, 'dur': max(node.all_end_rel_micros, 1),
          'args': {'name': node.node_name, 'label': node.timeline_label}})
  return json.dumps({'traceEvents': events}, indent=1)


def write_trace(run_metadata, logdir, global_step, summary_writer):
  """Writes `tf_trace-<step>.json` to `logdir` (through a temporary name) and adds the
  run metadata to `summary_writer`."""
  path = os.path.join(logdir, 'tf_trace-%d.json' % global_step)
  _logging.info('Writing trace to %s', path)
  _files.atomic_write(path, chrome_trace(run_metadata.step_stats))
  if summary_writer is not None:
    summary_writer.add_run_metadata(run_metadata, 'run_metadata-%d' % global_step)
