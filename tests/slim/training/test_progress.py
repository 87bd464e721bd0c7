"""slim.training.progress: the line format, when lines are due (fake clock), the
rate and ETA, thread-shared counters and the run log feed."""
import json
import threading

import pytest

from slim.training import progress as progress_lib
from slim.training import run_log as run_log_lib


class Clock(object):
  """A settable time."""

  def __init__(self, now=100.0):
    self.now = now

  def __call__(self):
    return self.now


def reporter(clock, **kwargs):
  lines = []
  progress = progress_lib.Progress(clock=clock, log_fn=lines.append, **kwargs)
  return progress, lines


def test_format_line_parts_in_order():
  assert progress_lib.format_line(
      'global', 'step', 200, total=1000, fields={'loss': 0.12344, 'epoch': 3},
      step_seconds=0.0101, rate=35.123, examples_per_sec=1755.4, eta_seconds=22.4) == (
          'global step 200/1000: loss = 0.1234, epoch = 3 (0.010 sec/step, 35.12 steps/sec, '
          '1755 examples/sec, ETA 0:00:22)')
  assert progress_lib.format_line('eval', 'batch', 5) == 'eval batch 5'
  assert progress_lib.format_line(None, 'image', 5, rate=2.0) == 'image 5 (2.00 images/sec)'
  assert progress_lib.format_line('>> x:', 'MB', 1.25, total=3.0, rate=0.5, plural='MB') == (
      '>> x: MB 1.2/3.0 (0.50 MB/sec)')
  assert progress_lib.format_line('global', 'step', 1, fields={'loss': float('nan')}) == (
      'global step 1: loss = nan')


def test_format_eta_rounds_and_never_goes_negative():
  assert progress_lib.format_eta(65.4) == '0:01:05'
  assert progress_lib.format_eta(-3) == '0:00:00'
  assert progress_lib.format_eta(90061) == '1 day, 1:01:01'


def test_every_n_lines_with_rate_examples_and_eta():
  clock = Clock()
  progress, lines = reporter(clock, label='global', unit='step', total=1000, every_n=100,
                             examples_per_step=64)
  progress.start(0)
  for step in range(1, 301):
    clock.now += 0.05 if step <= 100 else 0.04  # 20 steps/s, then 25
    progress.update(step, loss=1.0 / step)
  assert lines == [
      'global step 100/1000: loss = 0.0100 (20.00 steps/sec, 1280 examples/sec, ETA 0:00:45)',
      'global step 200/1000: loss = 0.0050 (25.00 steps/sec, 1600 examples/sec, ETA 0:00:32)',
      'global step 300/1000: loss = 0.0033 (25.00 steps/sec, 1600 examples/sec, ETA 0:00:28)']


def test_the_first_rate_counts_from_start_and_the_resumed_step():
  clock = Clock()
  progress, lines = reporter(clock, label='global', unit='step', total=600, every_n=100)
  clock.now += 50  # setup time: left out by start
  progress.start(400)
  clock.now += 10
  assert progress.update(500) == 'global step 500/600 (10.00 steps/sec, ETA 0:00:10)'
  assert lines == ['global step 500/600 (10.00 steps/sec, ETA 0:00:10)']


def test_final_line_is_always_due_once():
  clock = Clock()
  progress, lines = reporter(clock, label='global', unit='step', total=7, every_n=5)
  progress.start(0)
  for step in range(1, 8):
    clock.now += 1
    progress.update(step, final=step == 7)
  progress.finish()  # already written at 7
  assert lines == ['global step 5/7 (1.00 steps/sec, ETA 0:00:02)',
                   'global step 7/7 (1.00 steps/sec, ETA 0:00:00)']


def test_finish_writes_the_last_count_when_the_input_ends_early():
  clock = Clock()
  progress, lines = reporter(clock, label='global', unit='step', total=100, every_n=5)
  progress.start(0)
  assert progress.finish() is None  # nothing done yet
  for step in range(1, 4):
    clock.now += 2
    progress.update(step)
  line = 'global step 3/100: loss = 0.5000 (0.50 steps/sec, ETA 0:03:14)'
  assert progress.finish(loss=0.5) == line
  assert lines == [line]


def test_every_secs_throttles_a_per_image_counter():
  clock = Clock()
  progress, lines = reporter(clock, label='>> flowers:', unit='image', total=100, every_secs=5)
  progress.start(0)
  for _ in range(100):
    clock.now += 0.3  # 100 images in 30 s: a line every 17 images (5.1 s)
    progress.advance()
  progress.finish()
  # At 17, 34, 51, 68 and 85 images (every 5.1 s), then the final one.
  assert [line.split(' ')[3] for line in lines] == ['17/100', '34/100', '51/100', '68/100',
                                                    '85/100', '100/100']
  assert lines[0] == '>> flowers: image 17/100 (3.33 images/sec, ETA 0:00:25)'
  assert lines[-1] == '>> flowers: image 100/100 (3.33 images/sec, ETA 0:00:00)'


def test_every_n_and_every_secs_must_both_hold():
  clock = Clock()
  progress, lines = reporter(clock, label='eval', unit='batch', every_n=2, every_secs=3)
  progress.start(0)
  for count in range(1, 9):
    clock.now += 1
    progress.update(count)
  assert lines == ['eval batch 4 (1.00 batches/sec)', 'eval batch 8 (1.00 batches/sec)']


def test_without_a_schedule_every_update_is_a_line():
  clock = Clock()
  progress, lines = reporter(clock, unit='batch')
  progress.update(1)
  progress.update(1)  # the same count again: no line
  assert lines == ['batch 1']  # no time passed: no rate


def test_counted_examples_and_the_step_time_fallback():
  clock = Clock()
  progress, lines = reporter(clock, label='eval', unit='batch', total=3, every_n=3)
  progress.start(0)
  for count, examples in ((1, 4), (2, 4), (3, 2)):
    clock.now += 0.5
    progress.update(count, examples=examples)
  assert lines == ['eval batch 3/3 (2.00 batches/sec, 7 examples/sec, ETA 0:00:00)']
  # A line at the start count has no interval: the step time gives the rate.
  assert progress.log(3, step_seconds=0.25) == (
      'eval batch 3/3 (0.250 sec/batch, 4.00 batches/sec, ETA 0:00:00)')


def test_eval_log_every_n_matches_tf_slims_cadence():
  assert [progress_lib.eval_log_every_n(n) for n in (None, 1, 19, 20, 99, 1000)] == [
      1, 1, 1, 2, 9, 100]


def test_threads_sharing_a_counter_count_every_item():
  progress, lines = reporter(Clock(), unit='image', total=4000, every_n=1000)
  progress.start(0)
  workers = [threading.Thread(target=lambda: [progress.advance() for _ in range(1000)])
             for _ in range(4)]
  for worker in workers:
    worker.start()
  for worker in workers:
    worker.join()
  assert progress.count == 4000
  assert [line.split(' ')[1] for line in lines] == ['1000/4000', '2000/4000', '3000/4000',
                                                   '4000/4000']


def test_lines_are_also_run_log_lines(tmp_path):
  clock = Clock()
  path = str(tmp_path / 'run.jsonl')
  log = run_log_lib.RunLog(path, clock=clock)
  steps, lines = reporter(clock, label='global', unit='step', total=10, every_n=5,
                          examples_per_step=8, run_log=log)
  images, _ = reporter(clock, label='>> digits:', unit='image', total=2, run_log=log)
  steps.start(0)
  images.start(0)
  clock.now += 2.5
  steps.update(5, record={'learning_rate': 0.01}, loss=float('nan'))
  images.update(2)
  log.close()
  with open(path) as f:
    records = [json.loads(line) for line in f]
  assert lines == ['global step 5/10: loss = nan (2.00 steps/sec, 16 examples/sec, ETA 0:00:02)']
  assert records == [
      {'time': 102.5, 'event': 'step', 'global_step': 5, 'loss': 'NaN', 'learning_rate': 0.01,
       'examples_per_sec': 16.0, 'steps_per_sec': 2.0, 'eta_seconds': 2.5, 'total': 10},
      {'time': 102.5, 'event': 'progress', 'label': '>> digits:', 'unit': 'image', 'count': 2,
       'images_per_sec': 0.8, 'eta_seconds': 0.0, 'total': 2}]


def test_default_output_is_tensorflow_info_logging(caplog):
  caplog.set_level('INFO', logger='tensorflow')
  progress_lib.Progress(label='eval', unit='batch', total=2).update(2, final=True)
  (message,) = [r.getMessage() for r in caplog.records]
  assert message.startswith('eval batch 2/2')


@pytest.mark.parametrize('kwargs, error, message', [
    ({'unit': ''}, ValueError, r"Progress: unit must be a non-empty string, received ''"),
    ({'every_n': 0}, ValueError, r'Progress: every_n must be a positive int or None, '
                                 r'received 0'),
    ({'every_secs': -1}, ValueError, r'Progress: every_secs must be a non-negative number of '
                                     r'seconds or None, received -1'),
    ({'total': -5}, ValueError, r'Progress: total must be a number >= 0 or None, received -5'),
    ({'log_fn': 'print'}, TypeError, r"Progress: log_fn must be callable or None, received "
                                     r"'print'"),
    ({'run_log': 'run.jsonl'}, TypeError, r"Progress: run_log must be a "
                                          r"slim.training.run_log.RunLog, received 'run.jsonl'"),
])
def test_bad_arguments_name_the_argument(kwargs, error, message):
  with pytest.raises(error, match=message):
    progress_lib.Progress(**kwargs)


def test_wrap_train_step_reports_the_global_step_and_the_end():
  clock = Clock()
  progress, lines = reporter(clock, label='global', unit='step', total=10, every_n=2,
                             examples_per_step=10)

  class Session(object):
    step = 5  # a resumed training

    def run(self, fetch):
      assert fetch == 'global_step'
      return self.step

  def train_step(sess, train_op, global_step, kwargs):
    clock.now += 0.5
    sess.step += 1
    return 0.25, sess.step >= 8

  session = Session()
  step_fn = progress_lib.wrap_train_step(train_step, progress)
  results = [step_fn(session, 'train_op', 'global_step', {}) for _ in range(3)]
  assert results == [(0.25, False), (0.25, False), (0.25, True)]
  assert lines == [
      'global step 6/10: loss = 0.2500 (2.00 steps/sec, 20 examples/sec, ETA 0:00:02)',
      'global step 8/10: loss = 0.2500 (2.00 steps/sec, 20 examples/sec, ETA 0:00:01)']
  with pytest.raises(TypeError, match=r'wrap_train_step: progress must be a '
                                      r'slim.training.progress.Progress, received None'):
    progress_lib.wrap_train_step(train_step, None)
