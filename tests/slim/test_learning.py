"""slim.learning: create_train_op (multipliers, clipping, update ops, numerics checks,
gradient summaries, errors) and train (stopping, checkpoints, resuming, init_fn,
logging, traces, errors)."""
import json
import os
import re
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import progress as progress_lib
from tests.slim.event_files import scalars_by_tag
from tests.slim.graph_training import (LogRecords, easy_problem, global_step_of, logistic_loss,
                                       logistic_train_op, two_scalars)

_v1 = tf.compat.v1


def _counting_step(counter):
  """A train_step_fn that counts its calls and defers to slim.learning.train_step."""
  def step(sess, train_op, global_step, kwargs):
    counter.append(1)
    return slim.learning.train_step(sess, train_op, global_step, kwargs)
  return step


def test_create_train_op_multiplies_then_clips(graph):
  a, b, loss = two_scalars()
  train_op = slim.learning.create_train_op(
      loss, _v1.train.GradientDescentOptimizer(0.1), gradient_multipliers={a: 10.0},
      clip_gradient_norm=5.0)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    assert sess.run(train_op) == pytest.approx(5.0)  # the loss before the update
    # grad a: 2 * 10 = 20, clipped to 5; grad b: 4, under the norm.
    np.testing.assert_allclose(sess.run([a, b]), [1.0 - 0.1 * 5.0, 2.0 - 0.1 * 4.0], rtol=1e-6)
    assert sess.run(_v1.train.get_global_step()) == 1
  assert train_op in _v1.get_collection(_v1.GraphKeys.TRAIN_OP)


@pytest.mark.parametrize('update_ops, expected', [(None, 3.0), ([], 0.0)])
def test_create_train_op_runs_update_ops(graph, update_ops, expected):
  _, _, loss = two_scalars()
  counter = _v1.get_variable('counter', initializer=0.0, trainable=False)
  _v1.add_to_collection(_v1.GraphKeys.UPDATE_OPS, _v1.assign_add(counter, 1.0))
  train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                           update_ops=update_ops)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    for _ in range(3):
      sess.run(train_op)
    assert sess.run(counter) == expected


def test_check_numerics_raises_on_nan(graph):
  w = _v1.get_variable('w', initializer=-1.0)
  loss = tf.math.log(w)  # log(-1) is NaN
  train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1))
  unchecked = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                            check_numerics=False)
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r'LossTensor is inf or nan: the loss diverged \(lower the '
                             r'learning rate, clip the gradients or check the inputs\)'):
      sess.run(train_op)
    assert np.isnan(sess.run(unchecked))


def test_create_train_op_summarize_gradients(graph):
  _, _, loss = two_scalars()
  slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(0.1),
                                summarize_gradients=True)
  names = sorted(s.op.name for s in _v1.get_collection(_v1.GraphKeys.SUMMARIES))
  # As in tf_slim, slim.learning delegates to slim.training, whose names use '_'.
  assert names == ['summarize_grads/a_gradient', 'summarize_grads/a_gradient_norm',
                   'summarize_grads/b_gradient', 'summarize_grads/b_gradient_norm']


def test_create_train_op_errors(graph):
  a, _, loss = two_scalars()
  frozen = _v1.get_variable('frozen', initializer=1.0, trainable=False)
  sgd = _v1.train.GradientDescentOptimizer(0.1)
  with pytest.raises(TypeError, match=r'create_train_op: optimizer must be a '
                                      r'tf.compat.v1.train.Optimizer .* received 0.1'):
    slim.learning.create_train_op(loss, 0.1)
  with pytest.raises(ValueError, match=r'create_train_op: total_loss cannot be None'):
    slim.learning.create_train_op(None, sgd)
  with pytest.raises(ValueError, match=r'variables_to_train holds frozen:0, which is not '
                                       r'trainable'):
    slim.learning.create_train_op(loss, sgd, variables_to_train=[a, frozen])
  with pytest.raises(ValueError, match=r'create_train_op: clip_gradient_norm must be a '
                                       r'number >= 0 \(0: no clipping\), received -1'):
    slim.learning.create_train_op(loss, sgd, clip_gradient_norm=-1)
  with pytest.raises(TypeError, match=r'create_train_op: transform_grads_fn must be '
                                      r'callable or None, received 3'):
    slim.training.create_train_op(loss, sgd, transform_grads_fn=3)
  assert _v1.get_collection(_v1.GraphKeys.TRAIN_OP) == []


@pytest.mark.reference
def test_create_train_op_matches_reference(tf_slim):
  def run(module):
    with tf.Graph().as_default():
      loss = logistic_loss(seed=3)
      multipliers = {'logits/weights': 2.0}
      train_op = module.learning.create_train_op(
          loss, _v1.train.GradientDescentOptimizer(0.5), clip_gradient_norm=0.3,
          gradient_multipliers=multipliers)
      with _v1.Session() as sess:
        sess.run(_v1.global_variables_initializer())
        return [sess.run(train_op) for _ in range(5)]

  np.testing.assert_allclose(run(slim), run(tf_slim), rtol=1e-6)


def test_train_reaches_loss_target_and_checkpoints(tmp_path):
  logdir = str(tmp_path)
  with tf.Graph().as_default():
    train_op = logistic_train_op()
    loss = slim.learning.train(train_op, logdir, number_of_steps=150, log_every_n_steps=0)
  assert loss < 0.03
  assert tf.train.latest_checkpoint(logdir) == os.path.join(logdir, 'model.ckpt-150')
  assert global_step_of(logdir) == 150
  assert tf.io.gfile.glob(os.path.join(logdir, 'graph.pbtxt'))


def test_train_resumes_from_logdir_with_the_global_step(tmp_path):
  logdir = str(tmp_path)
  with tf.Graph().as_default():
    first = slim.learning.train(logistic_train_op(), logdir, number_of_steps=20,
                                log_every_n_steps=0)
  steps = []
  with tf.Graph().as_default():
    second = slim.learning.train(logistic_train_op(), logdir, number_of_steps=25,
                                 train_step_fn=_counting_step(steps), log_every_n_steps=0)
  assert len(steps) == 5  # 20 restored, 5 more to reach 25
  assert global_step_of(logdir) == 25
  assert second < first  # training went on from the restored weights


def test_train_init_fn_restores_weights_from_a_checkpoint(tmp_path):
  pretrained, finetuned = str(tmp_path / 'pretrained'), str(tmp_path / 'finetuned')
  with tf.Graph().as_default():
    slim.learning.train(logistic_train_op(), pretrained, number_of_steps=40,
                        log_every_n_steps=0)
  checkpoint = tf.train.latest_checkpoint(pretrained)
  with tf.Graph().as_default():
    loss = logistic_loss(seed=7)
    restorer = _v1.train.Saver(slim.get_model_variables())  # not the global step
    with _v1.Session() as sess:
      restorer.restore(sess, checkpoint)
      expected = sess.run(loss)
    calls = []

    def init_fn(sess):
      calls.append(sess)
      restorer.restore(sess, checkpoint)

    train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(1.0))
    first_loss = slim.learning.train(train_op, finetuned, number_of_steps=1, init_fn=init_fn)
  assert len(calls) == 1
  assert first_loss == pytest.approx(expected, rel=1e-5)  # the loss at the restored weights
  assert global_step_of(finetuned) == 1  # the global step starts again


def test_train_logs_progress_with_rate_and_eta(tmp_path):
  with tf.Graph().as_default(), LogRecords() as records:
    slim.learning.train(logistic_train_op(), None, number_of_steps=6, log_every_n_steps=3)
  lines = [m for m in records.messages if m.startswith('global step')]
  assert len(lines) == 2, records.messages
  pattern = (r'global step %d: loss = \d+\.\d{4} \(\d+\.\d{3} sec/step, \d+\.\d{2} steps/sec, '
             r'ETA \d+:\d\d:\d\d\)$')
  assert re.match(pattern % 3, lines[0]), lines[0]
  assert re.match(pattern % 6, lines[1]) and lines[1].endswith('ETA 0:00:00)'), lines[1]
  assert 'Stopping Training.' in records.messages


def test_a_wrapped_train_step_logs_totals_and_examples_as_the_trainer_does():
  progress = progress_lib.Progress(label='global', unit='step', total=6, every_n=4,
                                   examples_per_step=8)
  with tf.Graph().as_default(), LogRecords() as records:
    slim.learning.train(logistic_train_op(), None, number_of_steps=6, log_every_n_steps=0,
                        train_step_fn=progress_lib.wrap_train_step(slim.learning.train_step,
                                                                   progress))
  lines = [m for m in records.messages if m.startswith('global step')]
  pattern = (r'global step %d/6: loss = \d+\.\d{4} \(\d+\.\d{2} steps/sec, \d+ examples/sec, '
             r'ETA \d+:\d\d:\d\d\)$')
  assert len(lines) == 2, records.messages  # at 4 and at the last step
  assert re.match(pattern % 4, lines[0]), lines[0]
  assert re.match(pattern % 6, lines[1]) and lines[1].endswith('ETA 0:00:00)'), lines[1]


def test_train_step_without_progress_logs_the_basic_line(graph):
  train_op = logistic_train_op()
  step = _v1.train.get_global_step()
  kwargs = {'should_log': tf.constant(True), 'should_stop': tf.greater_equal(step, 1)}
  with _v1.Session() as sess, LogRecords() as records:
    sess.run(_v1.global_variables_initializer())
    loss, should_stop = slim.learning.train_step(sess, train_op, step, kwargs)
  assert should_stop is True
  assert records.messages == ['global step 1: loss = %.4f (%s sec/step)' % (
      loss, re.search(r'\(([\d.]+) sec', records.messages[0]).group(1))]


def test_train_writes_summaries_and_traces(tmp_path):
  logdir = str(tmp_path)
  with tf.Graph().as_default():
    train_op = logistic_train_op()
    _v1.summary.scalar('loss_summary', _v1.losses.get_total_loss())
    slim.learning.train(train_op, logdir, number_of_steps=3, trace_every_n_steps=2,
                        log_every_n_steps=0)
  values = scalars_by_tag(logdir)
  assert [step for step, _ in values['loss_summary']] == [0]  # when the session started
  assert 'global_step/sec' not in values  # no second summary: 600 s between them
  traces = sorted(os.listdir(logdir))
  trace_files = [name for name in traces if name.startswith('tf_trace-')]
  assert trace_files and all(re.match(r'tf_trace-\d+\.json$', n) for n in trace_files), traces
  with open(os.path.join(logdir, trace_files[0])) as f:
    events = json.load(f)['traceEvents']
  assert any(e['ph'] == 'X' for e in events) and any(e['ph'] == 'M' for e in events)


def test_train_stops_when_the_input_is_exhausted(tmp_path):
  logdir = str(tmp_path)
  inputs, labels = easy_problem()
  with tf.Graph().as_default():
    limited = _v1.train.limit_epochs(tf.constant(inputs), num_epochs=4)
    predictions = slim.fully_connected(limited, 1, activation_fn=tf.sigmoid)
    loss = _v1.losses.log_loss(labels, predictions)
    train_op = slim.learning.create_train_op(loss, _v1.train.GradientDescentOptimizer(1.0))
    assert slim.learning.train(train_op, logdir, log_every_n_steps=0) is not None
  assert global_step_of(logdir) == 4


def test_train_with_session_wrapper_graph_and_config():
  graph = tf.Graph()
  with graph.as_default():
    train_op = logistic_train_op()
  wrapped = []

  def wrapper(sess):
    wrapped.append(sess)
    return sess

  config = _v1.ConfigProto(inter_op_parallelism_threads=1)
  loss = slim.learning.train(train_op, None, graph=graph, number_of_steps=2, session_config=config,
                             session_wrapper=wrapper, log_every_n_steps=0)
  assert len(wrapped) == 1 and np.isfinite(loss)


def test_train_with_a_single_replica_sync_optimizer(tmp_path):
  with tf.Graph().as_default():
    optimizer = _v1.train.SyncReplicasOptimizer(
        _v1.train.GradientDescentOptimizer(1.0), replicas_to_aggregate=1, total_num_replicas=1)
    train_op = slim.learning.create_train_op(logistic_loss(), optimizer)
    slim.learning.train(train_op, str(tmp_path), number_of_steps=3, sync_optimizer=optimizer,
                        log_every_n_steps=0)
  assert global_step_of(str(tmp_path)) == 3


def test_train_without_init_op_is_not_ready(tmp_path):
  with tf.Graph().as_default():
    train_op = logistic_train_op()
    with pytest.raises(RuntimeError):
      slim.learning.train(train_op, str(tmp_path), init_op=None, number_of_steps=3)


@pytest.mark.parametrize('kwargs, message', [
    (dict(train_op=None), r'train: train_op cannot be None'),
    (dict(logdir=None, summary_op=tf.constant('')), r'Cannot provide summary_op because '
                                                    r'logdir=None'),
    (dict(logdir=None, saver='saver'), r'Cannot provide saver because logdir=None'),
    (dict(logdir=None, trace_every_n_steps=3), r'Cannot provide trace_every_n_steps because '
                                               r'logdir=None'),
    (dict(number_of_steps=0), r'`number_of_steps` must be either None or a positive number, '
                              r'received 0'),
    (dict(log_every_n_steps=-1), r'train: log_every_n_steps must be a non-negative int, '
                                 r'received -1'),
    (dict(trace_every_n_steps=0), r'train: trace_every_n_steps must be a positive int or None, '
                                  r'received 0'),
    (dict(sync_optimizer='sync'), r'`sync_optimizer` must be a tf.train.SyncReplicasOptimizer '
                                  r'\(or a list of them\), received \'sync\''),
])
def test_train_argument_errors(tmp_path, kwargs, message):
  with tf.Graph().as_default():
    arguments = dict(train_op=logistic_train_op(), logdir=str(tmp_path))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
      slim.learning.train(**arguments)
    assert not _v1.get_default_graph().finalized


@pytest.mark.parametrize('kwargs, message', [
    (dict(init_fn='restore'), r'train: init_fn must be callable or None, received \'restore\''),
    (dict(train_step_fn=None), r'train: train_step_fn must be callable, received None'),
])
def test_train_needs_callables(tmp_path, kwargs, message):
  with tf.Graph().as_default():
    with pytest.raises(TypeError, match=message):
      slim.learning.train(logistic_train_op(), str(tmp_path), **kwargs)


def test_train_sync_optimizer_with_startup_delay_is_an_error(tmp_path):
  with tf.Graph().as_default():
    optimizer = _v1.train.SyncReplicasOptimizer(
        _v1.train.GradientDescentOptimizer(1.0), replicas_to_aggregate=1)
    train_op = slim.learning.create_train_op(logistic_loss(), optimizer)
    with pytest.raises(ValueError, match=r'startup_delay_steps must be zero when sync_optimizer '
                                         r'is supplied, received 2'):
      slim.learning.train(train_op, str(tmp_path), sync_optimizer=optimizer,
                          startup_delay_steps=2)


def test_train_step_trace_needs_logdir(graph):
  train_op = logistic_train_op()
  with _v1.Session() as sess:
    with pytest.raises(ValueError, match=r'train_step: logdir must be present in '
                                         r'train_step_kwargs when should_trace is present'):
      slim.learning.train_step(sess, train_op, _v1.train.get_global_step(),
                               {'should_trace': tf.constant(True)})


def test_non_chief_waits_for_startup_delay_steps(tmp_path):
  """A chief and a non-chief replica sharing an in-process server."""
  server = tf.distribute.Server.create_local_server()

  def slow_step(sess, train_op, global_step, kwargs):
    time.sleep(0.02)
    return slim.learning.train_step(sess, train_op, global_step, kwargs)

  def chief():
    with tf.Graph().as_default():
      slim.learning.train(logistic_train_op(), str(tmp_path), master=server.target,
                          number_of_steps=150, train_step_fn=slow_step, log_every_n_steps=0)

  chief_thread = threading.Thread(target=chief)
  chief_thread.start()
  first_steps = []

  def recording_step(sess, train_op, global_step, kwargs):
    if not first_steps:
      first_steps.append(int(sess.run(global_step)))
    return slim.learning.train_step(sess, train_op, global_step, kwargs)

  try:
    while not tf.io.gfile.exists(os.path.join(str(tmp_path), 'graph.pbtxt')):
      time.sleep(0.05)  # the chief has initialized the model
    with tf.Graph().as_default():
      slim.learning.train(logistic_train_op(), None, master=server.target, is_chief=False,
                          startup_delay_steps=60, number_of_steps=150,
                          train_step_fn=recording_step, log_every_n_steps=0)
  finally:
    chief_thread.join()
  assert first_steps and first_steps[0] >= 60
  assert global_step_of(str(tmp_path)) >= 150


def test_progress_rate_and_eta_from_the_clock(monkeypatch):
  now = [10.0]
  monkeypatch.setattr(progress_lib.time, 'time', lambda: now[0])
  lines = []
  monkeypatch.setattr(slim.learning, '_log_line', lines.append)
  progress = slim.learning._progress(1000)  # pylint: disable=protected-access
  progress.start(0)  # t=10, step 0
  now[0] = 12.0
  progress.log(100, step_seconds=0.01, loss=0.5)  # 100 steps in 2 s; 900 left
  now[0] = 13.0
  progress.log(200, step_seconds=0.012, loss=0.25)  # 100 steps in 1 s; 800 left
  assert lines == [
      'global step 100: loss = 0.5000 (0.010 sec/step, 50.00 steps/sec, ETA 0:00:18)',
      'global step 200: loss = 0.2500 (0.012 sec/step, 100.00 steps/sec, ETA 0:00:08)']
