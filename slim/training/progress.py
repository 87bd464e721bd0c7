"""One progress line for every long loop: training steps, evaluation batches,
converted images, downloaded bytes.

    progress = Progress(label='global', unit='step', total=1000, every_n=100,
                        examples_per_step=64)
    progress.start(0)
    for step in range(1, 1001):
      loss = run_one_step()
      progress.update(step, final=step == 1000, loss=loss)

logs, at steps 100, 200, ..., 1000:

    global step 200/1000: loss = 0.1234 (35.12 steps/sec, 2248 examples/sec, ETA 0:00:22)

Every line reads `<label> <unit> <count>[/<total>][: <field> = <value>, ...]`
then, in parentheses: `<s> sec/<unit>` (when the caller timed the last step),
`<rate> <units>/sec`, `<n> examples/sec` (when examples are counted) and
`ETA h:mm:ss` (when the total is known). The rate is measured since the
previous line (the first line: since `start`), and the ETA is the time left
at that rate. `slim.learning.train` keeps tf_slim's words:
`global step 200: loss = 0.1234 (0.010 sec/step, 98.50 steps/sec, ETA 0:00:08)`.

Given a `slim.training.run_log.RunLog`, every line is also written there as a
JSON line: a "step" event when the unit is 'step', else a "progress" event.
"""
import datetime
import numbers
import threading
import time

from slim import _checks

__all__ = ['Progress', 'eval_log_every_n', 'format_eta', 'format_line', 'wrap_train_step']


def _plural(unit):
  if unit.endswith(('s', 'sh', 'ch', 'x')):
    return unit + 'es'
  return unit + 's'


def format_eta(seconds):
  """'0:01:05' for 65 seconds (rounded to the second, never negative)."""
  return str(datetime.timedelta(seconds=int(round(max(seconds, 0)))))


def _format_value(value):
  """A field value: ints as they are, floats with 4 decimals (tf_slim's
  `loss = %.4f`), other values (e.g. preformatted strings) by str."""
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    return str(value)
  if isinstance(value, numbers.Integral):
    return '%d' % value
  return '%.4f' % value


def _format_count(count):
  if isinstance(count, numbers.Integral):
    return '%d' % count
  return '%.1f' % count


def format_line(label, unit, count, total=None, fields=None, step_seconds=None, rate=None,
                examples_per_sec=None, eta_seconds=None, plural=None):
  """The progress line of `count` `unit`s, from values already measured.

  Args:
    label: the words before the unit ('global'), or None.
    unit: what is counted, singular ('step').
    count: how many are done.
    total: how many there will be, shown as `count/total`; None: not shown.
    fields: a dict of values shown as `name = value` after the count (in order;
      floats with 4 decimals: `loss = 0.1234`).
    step_seconds: the seconds the last unit took, shown as `0.010 sec/step`.
    rate: units per second; examples_per_sec: examples per second.
    eta_seconds: the seconds left.
    plural: the plural of `unit` (default: `unit` + 's' or 'es').

  Returns:
    e.g. 'global step 200/1000: loss = 0.1234 (35.12 steps/sec, ETA 0:00:22)'.
  """
  text = '%s %s' % (label, unit) if label else unit
  text += ' ' + _format_count(count)
  if total is not None:
    text += '/' + _format_count(total)
  if fields:
    text += ': ' + ', '.join('%s = %s' % (name, _format_value(value))
                             for name, value in fields.items())
  parts = []
  if step_seconds is not None:
    parts.append('%.3f sec/%s' % (step_seconds, unit))
  if rate is not None:
    parts.append('%.2f %s/sec' % (rate, plural or _plural(unit)))
  if examples_per_sec is not None:
    parts.append('%.0f examples/sec' % examples_per_sec)
  if eta_seconds is not None:
    parts.append('ETA %s' % format_eta(eta_seconds))
  if parts:
    text += ' (%s)' % ', '.join(parts)
  return text


def eval_log_every_n(total):
  """tf_slim's evaluation cadence: every batch when there are fewer than 20 (or
  an unknown number), else every tenth of them (about ten lines)."""
  if total is None or total < 20:
    return 1
  return total // 10


def _now():
  return time.time()


def _tf_info(line):
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  tf.compat.v1.logging.info('%s', line)


class Progress(object):
  """Counts units of work and logs one line with the rate and the ETA when due.

  A line is due at the counts that are multiples of `every_n`, once at least
  `every_secs` seconds have passed since the previous line (with both, both
  must hold; with neither, at every update), and at the final count. The object
  is thread-safe: `advance` suits counters shared by worker threads.

  Args:
    label: the words before the unit: 'global' (-> 'global step 200'), 'eval'
      (-> 'eval batch 5/10'), '>> flowers:'; None: the line starts with the unit.
    unit: what is counted, singular: 'step', 'batch', 'image'.
    total: the final count, for `count/total` and the ETA; None: unknown.
    examples_per_step: examples in one unit (the global batch), for
      `examples/sec`; `update(examples=...)` counts them exactly instead.
    every_n: log at multiples of this count (None: at any count).
    every_secs: log at most every this many seconds (None: no limit).
    show_total: write `count/total` (default True; the ETA still uses `total`).
    run_log: a `slim.training.run_log.RunLog` each line is also written to.
    log_fn: `fn(line)` writing a line (default: `tf.compat.v1.logging.info`).
    clock: the time function (default: `time.time`, looked up at each call).
    plural: the plural of `unit` (default `unit` + 's' or 'es').

  Raises:
    ValueError: an empty unit, or a count or a number of seconds out of range.
    TypeError: `log_fn` or `clock` is not callable; `run_log` is not a RunLog.
  """

  def __init__(self, label=None, unit='step', total=None, examples_per_step=None, every_n=None,
               every_secs=None, show_total=True, run_log=None, log_fn=None, clock=None,
               plural=None):
    if not isinstance(unit, str) or not unit:
      raise ValueError('Progress: unit must be a non-empty string, received %r' % (unit,))
    _checks.check_number('Progress', 'total', total, minimum=0, allow_none=True)
    _checks.check_number('Progress', 'examples_per_step', examples_per_step, minimum=0,
                         allow_none=True)
    _checks.check_count('Progress', 'every_n', every_n, allow_none=True)
    _checks.check_seconds('Progress', 'every_secs', every_secs)
    _checks.check_callable('Progress', 'log_fn', log_fn)
    _checks.check_callable('Progress', 'clock', clock)
    if run_log is not None and not (callable(getattr(run_log, 'step', None)) and
                                    callable(getattr(run_log, 'progress', None))):
      raise TypeError('Progress: run_log must be a slim.training.run_log.RunLog, received %r'
                      % (run_log,))
    self.label, self.unit, self.total = label, unit, total
    self.examples_per_step = examples_per_step
    self.every_n, self.every_secs = every_n, every_secs
    self.show_total, self.run_log, self.plural = show_total, run_log, plural
    self._log_fn = log_fn or _tf_info
    self._clock = clock or _now
    self._lock = threading.RLock()
    self._started = False
    self._base = (self._clock(), 0)  # (time, count) the next rate is measured from
    self._count = None  # the latest count seen
    self._logged_count = None  # the count of the latest line
    self._examples = None  # examples counted since the latest line

  @property
  def started(self):
    """Whether `start` was called or a line was written."""
    return self._started

  @property
  def count(self):
    """The latest count given (None before any)."""
    return self._count

  def start(self, count=0):
    """Marks the start: the first rate is measured from now and `count` (e.g.
    the global step a resumed training starts at). Call it once the setup is
    done, so that the setup time stays out of the first rate."""
    with self._lock:
      self._started = True
      self._base = (self._clock(), count)
      self._count = self._logged_count = count  # no line is due before some progress
      self._examples = None

  def due(self, count, final=False):
    """Whether a line is due at `count` (see the class)."""
    with self._lock:
      if count == self._logged_count:
        return False
      if final:
        return True
      if self.every_n and count % self.every_n:
        return False
      if self.every_secs is not None:
        last_time = self._base[0]
        return self._clock() - last_time >= self.every_secs
      return True

  def update(self, count, final=False, step_seconds=None, examples=None, record=None,
             **fields):
    """Records that `count` units are done; writes the line when due.

    Args:
      count: the units done so far.
      final: this is the last update: the line is due (unless already written at
        this count).
      step_seconds: the seconds the last unit took (shown as `sec/<unit>`).
      examples: the examples in the units since the previous update (summed
        for `examples/sec`, instead of `examples_per_step`).
      record: a dict of more values for the run log only.
      **fields: values shown as `name = value` (e.g. `loss=0.25`).

    Returns:
      The line written, or None.
    """
    with self._lock:
      self._count = count
      if examples is not None:
        self._examples = (self._examples or 0) + examples
      if not self.due(count, final):
        return None
      return self.log(count, step_seconds=step_seconds, record=record, **fields)

  def advance(self, amount=1, final=False, **kwargs):
    """`update` at the latest count plus `amount` (for counters shared by threads)."""
    with self._lock:
      return self.update((self._count or 0) + amount, final=final, **kwargs)

  def finish(self, **kwargs):
    """`update(count, final=True)` at the latest count: the last line, if any
    update came since the previous one."""
    with self._lock:
      if self._count is None:
        return None
      return self.update(self._count, final=True, **kwargs)

  def log(self, count, step_seconds=None, record=None, **fields):
    """Writes the line of `count` now, whether due or not; returns it."""
    with self._lock:
      now = self._clock()
      base_time, base_count = self._base
      rate = None
      if count > base_count and now > base_time:
        rate = (count - base_count) / (now - base_time)
      elif step_seconds:
        rate = 1.0 / step_seconds
      examples_per_sec = None
      if rate is not None and self._examples is not None and now > base_time:
        examples_per_sec = self._examples / (now - base_time)
      elif rate is not None and self.examples_per_step is not None:
        examples_per_sec = rate * self.examples_per_step
      eta = None
      if rate and self.total is not None:
        eta = max(self.total - count, 0) / rate
      line = format_line(self.label, self.unit, count,
                         self.total if self.show_total else None, fields, step_seconds,
                         rate, examples_per_sec, eta, self.plural)
      self._started = True
      self._base = (now, count)
      self._count = count
      self._logged_count = count
      self._examples = None
      self._log_fn(line)
      if self.run_log is not None:
        self._record(count, fields, dict(record or {}), step_seconds, rate, examples_per_sec,
                     eta)
      return line

  def _record(self, count, fields, record, step_seconds, rate, examples_per_sec, eta):
    """Writes the line's values to the run log."""
    values = dict(fields)
    values.update(record)
    rate_name = '%s_per_sec' % (self.plural or _plural(self.unit)).replace(' ', '_')
    measured = {rate_name: rate, 'eta_seconds': eta, 'total': self.total,
                'sec_per_%s' % self.unit.replace(' ', '_'): step_seconds}
    values.update((key, value) for key, value in measured.items() if value is not None)
    if self.unit == 'step':
      loss = values.pop('loss', None)
      learning_rate = values.pop('learning_rate', None)
      self.run_log.step(count, loss, learning_rate=learning_rate,
                        examples_per_sec=examples_per_sec, **values)
    else:
      if examples_per_sec is not None:
        values['examples_per_sec'] = examples_per_sec
      self.run_log.progress(self.label, self.unit, count, **values)


def wrap_train_step(train_step_fn, progress):
  """A `train_step_fn` for `slim.learning.train` reporting to `progress`.

  It runs `train_step_fn` (e.g. `slim.learning.train_step`), then updates
  `progress` with the global step and the loss, as final when the step says to
  stop; the first step starts `progress` at the global step it finds. Give
  `slim.learning.train` `log_every_n_steps=0` so that only `progress` logs.

  Args:
    train_step_fn: `fn(sess, train_op, global_step, train_step_kwargs)` returning
      `(total_loss, should_stop)`.
    progress: a `Progress` with unit 'step'.

  Returns:
    The wrapping function.
  """
  _checks.check_callable('wrap_train_step', 'train_step_fn', train_step_fn, allow_none=False)
  if not isinstance(progress, Progress):
    raise TypeError('wrap_train_step: progress must be a slim.training.progress.Progress, '
                    'received %r' % (progress,))

  def reporting_train_step(sess, train_op, global_step, train_step_kwargs):
    if not progress.started:
      progress.start(int(sess.run(global_step)))
    total_loss, should_stop = train_step_fn(sess, train_op, global_step, train_step_kwargs)
    progress.update(int(sess.run(global_step)), final=bool(should_stop), loss=total_loss)
    return total_loss, should_stop

  return reporting_train_step
