"""What the benchmarks share: the reference implementation, robust timing of
contenders in their own processes, interleaved, and the report.

A benchmark script runs as a parent that starts one child process per
(repetition, contender), rotating the order of the contenders from one
repetition to the next so that other load on the machine falls on all of them
alike. A child measures one contender and ends with a line `RESULT {json}`
(see `emit`); the parent keeps the medians.

    results = run_interleaved(__file__, ['slim', 'tf_slim'], repeats=3,
                              child_args=lambda name: ['--child', name])
    print_table(results, ['images/s', 'peak RSS (MB)'])
"""
import json
import logging
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_RESULT_PREFIX = 'RESULT '


def load_reference(shared_tools=None, owner='benchmark'):
  """tf_slim 1.1.0, patched to run on this TensorFlow, from tf_slim_reference.py in
  `shared_tools`, $SLIM_SHARED_TOOLS or a `shared/tools` above the checkout."""
  candidates = [path for path in (shared_tools, os.environ.get('SLIM_SHARED_TOOLS')) if path]
  directory = REPO
  while os.path.dirname(directory) != directory:
    directory = os.path.dirname(directory)
    candidates.append(os.path.join(directory, 'shared', 'tools'))
  for candidate in candidates:
    if os.path.exists(os.path.join(candidate, 'tf_slim_reference.py')):
      if candidate not in sys.path:
        sys.path.append(candidate)
      import tf_slim_reference  # pylint: disable=import-outside-toplevel
      return tf_slim_reference.load()
  sys.exit('%s: tf_slim_reference.py not found; pass --shared-tools or set SLIM_SHARED_TOOLS'
           % owner)


def load_average():
  """The 1, 5 and 15 minute load averages, as text."""
  return '%.2f %.2f %.2f' % os.getloadavg()


def peak_rss_mb():
  """The peak resident memory of this process so far, in MB (Linux: ru_maxrss in kB)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Clock(object):
  """Time marks of a run: `mark()` after each unit of work (step, batch).

  `rate(units_per_mark, skip)` is the steady-state rate after the first `skip`
  marks: units between mark `skip` and the last mark, over the wall time between
  them; `cpu_per_unit` is the CPU time of this process (all its threads) per unit
  over the same marks, a figure that other load on the machine disturbs less.
  """

  def __init__(self):
    self.start = time.perf_counter()
    self.marks = []
    self.cpu_marks = []

  def mark(self):
    self.marks.append(time.perf_counter())
    times = os.times()
    self.cpu_marks.append(times.user + times.system)

  def _units(self, units_per_mark, skip):
    if len(self.marks) < skip + 2:
      raise ValueError('Clock: %d marks, need more than %d + 1' % (len(self.marks), skip))
    return units_per_mark * (len(self.marks) - 1 - skip)

  def rate(self, units_per_mark, skip):
    return self._units(units_per_mark, skip) / (self.marks[-1] - self.marks[skip])

  def cpu_per_unit(self, units_per_mark, skip):
    return (self.cpu_marks[-1] - self.cpu_marks[skip]) / self._units(units_per_mark, skip)


class LogClock(logging.Handler):
  """Marks `clock` at each progress line ('global step ...') of slim's TF2 loop."""

  def __init__(self, clock):
    super().__init__(logging.INFO)
    self.clock = clock

  def emit(self, record):
    if record.getMessage().startswith('global step '):
      self.clock.mark()


def _tool_command(tool):
  installed = os.path.join(os.path.dirname(sys.executable), tool)
  return [installed] if os.path.exists(installed) else [sys.executable, '-m', 'slim.tools.' + tool]


def run_tool(tool, flags, log):
  """Runs one of slim's command-line tools with `flags` ((name, value) pairs), printing
  the command as a user types it and appending its output to `log`; returns its
  output, or exits with it when the tool fails."""
  arguments = ['--%s=%s' % item for item in flags]
  print('$ ' + ' '.join(shlex.quote(a) for a in [tool] + arguments), flush=True)
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO,
                                                                  os.environ.get('PYTHONPATH')])))
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  start = time.time()
  done = subprocess.run(_tool_command(tool) + arguments, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, universal_newlines=True, env=env, check=False)
  with open(log, 'a') as f:
    f.write('$ %s\n%s\n' % (' '.join([tool] + arguments), done.stdout))
  if done.returncode:
    sys.exit('%s failed (exit %d):\n%s' % (tool, done.returncode, done.stdout[-4000:]))
  print('  (%.0f s)' % (time.time() - start), flush=True)
  return done.stdout


def emit(result):
  """Ends a child: prints its result (a dict of numbers or text) for the parent,
  adding the peak RSS."""
  result = dict(result)
  result.setdefault('peak RSS (MB)', peak_rss_mb())
  sys.stdout.flush()
  print(_RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(script, args, timeout=1800):
  """Runs `python script args` and returns its `emit`ted dict; exits with the child's
  output when it fails."""
  env = dict(os.environ)
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  env['PYTHONPATH'] = os.pathsep.join(
      [REPO] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
  command = [sys.executable, script] + list(args)
  done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                        timeout=timeout, check=False, universal_newlines=True)
  for line in reversed(done.stdout.splitlines()):
    if line.startswith(_RESULT_PREFIX):
      return json.loads(line[len(_RESULT_PREFIX):])
  sys.exit('%s failed (exit %d):\n%s\n%s' % (' '.join(command[1:]), done.returncode,
                                             done.stdout[-4000:], ' '.join(command)))


def run_interleaved(script, names, repeats, child_args, verbose=True):
  """Runs each contender `repeats` times, one child process each, rotating the
  order every repetition. Returns {name: [result dict per repetition]}.

  Args:
    script: the benchmark script (its children are `python script child_args(name)`).
    names: the contenders.
    repeats: the repetitions.
    child_args: name -> the child's command-line arguments.
    verbose: print each result as it comes, with the load average.
  """
  results = {name: [] for name in names}
  for repetition in range(repeats):
    shift = repetition % len(names)
    for name in names[shift:] + names[:shift]:
      result = run_child(script, child_args(name))
      results[name].append(result)
      if verbose:
        print('  run %d %-22s %s   (load %s)' % (
            repetition + 1, name, ', '.join('%s %s' % (k, _format(v))
                                            for k, v in result.items()), load_average()),
              flush=True)
  return results


def medians(results, key):
  """{name: median of result[key] over the repetitions}."""
  return {name: statistics.median(r[key] for r in runs) for name, runs in results.items()}


def _format(value):
  if isinstance(value, float):
    return '%.4g' % value if abs(value) < 1000 else '%.0f' % value
  return str(value)


def print_table(results, keys, names=None):
  """One line per contender: the median of each key (and the spread of the first
  key, min-max, over the repetitions)."""
  names = names or list(results)
  width = max(len(name) for name in names) + 2
  print('%-*s' % (width, '') + ''.join('%18s' % key for key in keys) + '%20s' % 'spread')
  for name in names:
    runs = results[name]
    line = '%-*s' % (width, name)
    for key in keys:
      line += '%18s' % _format(statistics.median(r[key] for r in runs))
    first = [r[keys[0]] for r in runs]
    line += '%20s' % ('%s-%s' % (_format(min(first)), _format(max(first))))
    print(line)


def ratio_line(label, numerator, denominator, goal=None):
  """'label: 2.31x (goal >= 2.0x: met)'."""
  value = numerator / denominator
  text = '%s: %.2fx' % (label, value)
  if goal is not None:
    text += ' (goal >= %.1fx: %s)' % (goal, 'met' if value >= goal else 'NOT met')
  return text
