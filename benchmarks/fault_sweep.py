"""Reliability sweep: bad inputs and faults across the six tools and the library, as a
new user meets them, each run in a fresh process and classified.

    python benchmarks/fault_sweep.py                      # every case: ~8-9 min on 2 cores
    python benchmarks/fault_sweep.py --jobs 1             # one case at a time: ~13 min
    python benchmarks/fault_sweep.py --only train,eval    # some groups
    python benchmarks/fault_sweep.py --list               # the cases
    python benchmarks/fault_sweep.py --keep --workdir /tmp/sweep --output /tmp/sweep.json

Groups: train, eval, export, classify (classify_images), data
(download_and_convert_data), checkpoint (download_checkpoint), quantize
(post_training_quantization), library (Python snippets). The fixtures are built once at the start in --workdir: the digits
converted, a LeNet trained 50 steps (batch 16), its SavedModel with
serving_encoded, PNG and JPEG files, and copies of the digits with damaged records
(truncated or garbage shards; every 7th record with label 15, label -1, no label,
two labels or undecodable image bytes). Each case works in its own directory
(copies of the fixtures when it changes them). Network faults need no network:
a proxy on a closed port (refused), a local server that accepts and never
answers (stalled), and a local HTTP mirror that answers 404 or garbage.

Outcomes (a case expects CLEAR, OK or either):
  CLEAR         non-zero exit, no traceback, the last stderr line is '<tool>: error: ...'
                (or 'SomeError: ...') and names the file, flag or path involved; for
                library snippets a Python exception whose message names the argument.
  OK            the command did the right thing, verified by the case's check (resumed
                from the right checkpoint, skipped the bad records and said so, ...).
  TRACEBACK     'Traceback (most recent call last)' or a TensorFlow error dump ('[[{{node',
                'Detected at node') in the output, a process killed by a signal, or (library)
                an opaque TensorFlow error not naming the argument.
  SILENT-WRONG  exit status 0 (or a returned value) but a wrong result: NaN trained, a
                mismatch accepted, bad records taken as labels, a check failed.
  UNCLEAR       non-zero exit without a traceback, but not a clear error: the last line is
                not an error line, does not name what is involved, the case's extra check
                failed (files left behind, earlier checkpoints damaged), or the case
                expected success.
  HANG          still running at the case's timeout (killed).
  SKIP          not measurable here (permissions are ignored when running as root).

The goal of the reliability issue: 0 TRACEBACK and 0 SILENT-WRONG (HANG and UNCLEAR
are failures too). Writes every case's command, status, output tails and note as JSON
to --output.
"""
import argparse
import glob
import http.server
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
TRAIN, EVAL, EXPORT = 'train_image_classifier', 'eval_image_classifier', 'export_inference_graph'
CLASSIFY, DATA, CKPT = 'classify_images', 'download_and_convert_data', 'download_checkpoint'
QUANTIZE = 'post_training_quantization'
GROUPS = ['train', 'eval', 'export', 'classify', 'data', 'checkpoint', 'quantize', 'library']
OUTCOMES = ['CLEAR', 'OK', 'TRACEBACK', 'SILENT-WRONG', 'UNCLEAR', 'HANG', 'SKIP']
CLEAR, OK, EITHER = 'CLEAR', 'OK', 'CLEAR|OK'
IS_ROOT = os.geteuid() == 0
PUBLISHED = 'mobilenet_v1_0.25_128'  # a small published checkpoint (download_checkpoint --list)
TF_DUMP = ('Traceback (most recent call last)', '[[{{node', 'Detected at node')
PYTHON_STACK = re.compile(r'^\s*File "[^"]+", line \d+', re.M)
TF_NOISE = re.compile(r'Graph execution error|\[\[|Op:__inference|ParallelMapDataset|Node: ')
EXCEPTION_LINE = re.compile(r'^[A-Za-z_][\w.]*(Error|Exception|Exit): ')
STALE = re.compile(r'\.tempstate|_temp(_[0-9a-f]+)?$|\.tmp')
BAD_KINDS = ['label15', 'labelneg', 'nolabel', 'twolabels', 'badimage']


# ----------------------------------------------------------------------------- running

class Run(object):
  """What one case's command did: argv, rc (None: timed out), out, err, and for
  library snippets `result` (the value of `result`) or `error` (type, module, message)."""

  def __init__(self, argv, rc=None, out='', err='', seconds=0.0, timed_out=False):
    self.argv, self.rc, self.out, self.err = argv, rc, out, err
    self.seconds, self.timed_out = seconds, timed_out
    self.result = self.error = self.skip = None
    self.notes, self.extra = [], {}

  @property
  def command(self):
    return ' '.join(shlex.quote(a if len(a) < 300 else a[:300] + '...') for a in self.argv)

  def last_line(self):
    if self.skip:
      return self.skip
    if self.error:
      return '%s: %s' % (self.error['type'], ' '.join(self.error['message'].split()))
    if self.error is None and self.result is not None:
      return 'result: %s' % json.dumps(self.result)
    lines = [l for l in self.err.splitlines() if l.strip()] or \
            [l for l in self.out.splitlines() if l.strip()]
    return lines[-1].strip() if lines else ''


def _text(data):
  return data.decode('utf-8', 'replace') if isinstance(data, bytes) else (data or '')


def _env(extra=None):
  env = {k: v for k, v in os.environ.items()
         if k.lower() not in ('http_proxy', 'https_proxy', 'no_proxy', 'all_proxy')
         and k not in ('SLIM_TRACEBACK', 'SLIM_CHECKPOINT_MIRROR', 'TF_CPP_MIN_LOG_LEVEL')}
  env['PYTHONPATH'] = os.pathsep.join([REPO] + [p for p in env.get('PYTHONPATH', '').split(
      os.pathsep) if p])
  env.update(extra or {})
  return env


def execute(argv, env=None, timeout=240, fsize=None):
  """Runs argv (argv[0]: a console script of this venv, or an absolute path) in its own
  session; `fsize` (bytes) limits the size of the files it writes, as a full disk would
  (`ulimit -f`, RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail with EFBIG)."""
  command = [argv[0] if os.path.isabs(argv[0]) else os.path.join(BIN, argv[0])] + list(argv[1:])
  if fsize:
    command = ['bash', '-c', 'ulimit -f %d && exec "$@"' % (fsize // 1024), 'bash'] + command
  start = time.perf_counter()
  process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=_env(env), start_new_session=True)
  try:
    out, err = process.communicate(timeout=timeout)
    return Run(argv, process.returncode, _text(out), _text(err), time.perf_counter() - start)
  except subprocess.TimeoutExpired:
    os.killpg(process.pid, signal.SIGKILL)
    out, err = process.communicate()
    return Run(argv, None, _text(out), _text(err), time.perf_counter() - start, timed_out=True)


def spawn(argv, log_path, env=None):
  """Starts argv in the background (its own session), output to log_path."""
  with open(log_path, 'wb') as log:
    return subprocess.Popen([os.path.join(BIN, argv[0])] + list(argv[1:]), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, env=_env(env),
                            start_new_session=True)


def stop(process):
  if process.poll() is None:
    os.killpg(process.pid, signal.SIGKILL)
  process.wait()


_SNIPPET = r'''
import json, os, sys
P = json.loads(sys.argv[2])
try:
  import numpy as np
  import tensorflow as tf
  import slim
  scope = {'P': P, 'np': np, 'tf': tf, 'slim': slim}
  exec(compile(sys.argv[1], 'snippet', 'exec'), scope)
  print('RESULT ' + json.dumps(scope.get('result'), default=repr), flush=True)
except Exception as error:  # what a user of the library sees
  print('ERROR ' + json.dumps({'type': type(error).__name__, 'module': type(error).__module__,
                               'message': str(error)}), flush=True)
  sys.exit(1)
'''


# ----------------------------------------------------------------------------- fixtures

class Fixtures(object):
  """What the cases share, built once in `work`; and the local network endpoints."""

  def __init__(self, work, seed):
    self.work, self.seed = work, seed
    self.digits = os.path.join(work, 'digits')
    self.train = os.path.join(work, 'train')
    self.saved = os.path.join(work, 'saved')
    self.images = os.path.join(work, 'images')
    self.good = []  # (path, label) of PNGs of the test split
    self.ports = {}

  def bad(self, kind):
    return os.path.join(self.work, 'bad', kind)

  def build(self):
    for name in ('digits', 'train', 'saved', 'images', 'bad', 'cases'):  # of an earlier sweep
      shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
    steps = [
        [DATA, '--dataset_name=digits', '--dataset_dir=' + self.digits],
        [TRAIN, '--dataset_name=digits', '--dataset_dir=' + self.digits, '--model_name=lenet',
         '--train_dir=' + self.train, '--max_number_of_steps=50', '--batch_size=16',
         '--log_every_n_steps=0'],
        [EXPORT, '--model_name=lenet', '--dataset_name=digits', '--dataset_dir=' + self.digits,
         '--checkpoint_path=' + self.train, '--saved_model_dir=' + self.saved,
         '--add_encoded_image_signature'],
        [sys.executable, os.path.abspath(__file__), '--build-records', self.work, str(self.seed)]]
    for argv in steps:
      run = execute(argv, timeout=600)
      if run.rc != 0:
        sys.exit('fixture failed (exit %s): %s\n%s' % (run.rc, run.command, run.err[-3000:]))
    for path in sorted(glob.glob(os.path.join(self.images, 'digit*_label*.png'))):
      self.good.append((path, int(re.search(r'label(\d+)', path).group(1))))
    self._servers()

  def build_records(self):
    """(In a child process) PNG files of the test split, and the damaged copies of the
    digits."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    os.makedirs(self.images)
    test_shard = sorted(glob.glob(os.path.join(self.digits, 'digits_test_*.tfrecord')))[0]
    for index, record in enumerate(tf.data.TFRecordDataset(test_shard).take(4).as_numpy_iterator()):
      feature = tf.train.Example.FromString(record).features.feature
      label = feature['image/class/label'].int64_list.value[0]
      path = os.path.join(self.images, 'digit%d_label%d.png' % (index, label))
      with open(path, 'wb') as f:
        f.write(feature['image/encoded'].bytes_list.value[0])
      self.good.append((path, label))
    from PIL import Image  # pylint: disable=import-outside-toplevel
    Image.open(self.good[0][0]).convert('RGB').save(os.path.join(self.images, 'color.jpg'))

    def mutate(feature, kind):
      if kind == 'nolabel':
        del feature['image/class/label']
      elif kind == 'badimage':
        feature['image/encoded'].bytes_list.value[:] = [b'this is not an image']
      else:
        feature['image/class/label'].int64_list.value[:] = {
            'label15': [15], 'labelneg': [-1], 'twolabels': [3, 4]}[kind]

    for kind in BAD_KINDS:
      shutil.copytree(self.digits, self.bad(kind))
      for path in glob.glob(os.path.join(self.bad(kind), '*.tfrecord')):
        records = list(tf.data.TFRecordDataset(path).as_numpy_iterator())
        with tf.io.TFRecordWriter(path) as writer:
          for index, record in enumerate(records):
            if index % 7 == 3:
              example = tf.train.Example.FromString(record)
              mutate(example.features.feature, kind)
              record = example.SerializeToString()
            writer.write(record)
    rng = random.Random(self.seed)
    for kind in ('truncated', 'garbage'):
      shutil.copytree(self.digits, self.bad(kind))
      for split in ('train', 'test'):
        path = os.path.join(self.bad(kind), 'digits_%s_00000-of-00002.tfrecord' % split)
        size = os.path.getsize(path)
        if kind == 'truncated':
          os.truncate(path, size // 4)  # met within the first steps
        else:
          with open(path, 'wb') as f:
            f.write(rng.randbytes(size))

  def _servers(self):
    """A closed port (refused), a port that accepts and never answers (stalled), and an
    HTTP mirror: /missing/* answers 404, /garbage/* 200 with random bytes."""
    closed = socket.socket()
    closed.bind(('127.0.0.1', 0))
    self.ports['closed'] = closed.getsockname()[1]
    closed.close()
    stalled = socket.socket()
    stalled.bind(('127.0.0.1', 0))
    stalled.listen(64)
    self.ports['stalled'] = stalled.getsockname()[1]
    held = []

    def accept():
      while True:
        held.append(stalled.accept())

    threading.Thread(target=accept, daemon=True).start()

    class Mirror(http.server.BaseHTTPRequestHandler):
      def do_GET(self):  # pylint: disable=invalid-name
        if self.path.startswith('/garbage/'):
          body = random.Random(0).randbytes(200000)
          self.send_response(200)
          self.send_header('Content-Length', str(len(body)))
          self.end_headers()
          self.wfile.write(body)
        else:
          self.send_error(404)

      def log_message(self, *args):
        pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Mirror)
    self.ports['http'] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

  def proxy(self, port_name):
    url = 'http://127.0.0.1:%d' % self.ports[port_name]
    return {name: url for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY')}

  def paths(self):
    return {'digits': self.digits, 'train': self.train, 'saved': self.saved,
            'images': self.images}


# ----------------------------------------------------------------------------- a case's context

def _argv(tool, defaults, flags):
  """tool, the defaults not overridden by a flag of the same name, then flags."""
  given = {flag.split('=')[0] for flag in flags}
  return [tool] + ['--%s=%s' % item for item in defaults.items()
                   if '--' + item[0] not in given] + list(flags)


class Ctx(object):
  """A case's own directory, fixture copies, and its commands (the flags of a new user
  working with the fixtures, overridden by the case's)."""

  def __init__(self, fx, case_):
    self.fx, self.timeout = fx, case_.timeout
    self.dir = os.path.join(fx.work, 'cases', case_.group, case_.name)
    shutil.rmtree(self.dir, ignore_errors=True)
    os.makedirs(self.dir)
    self.rng = random.Random('%s/%s/%s' % (fx.seed, case_.group, case_.name))

  def path(self, *parts):
    return os.path.join(self.dir, *parts)

  def file(self, name, data=b'just some text\n'):
    path = self.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
      f.write(data)
    return path

  def mkdir(self, name):
    os.makedirs(self.path(name))
    return self.path(name)

  def copy(self, source, name):
    shutil.copytree(source, self.path(name))
    return self.path(name)

  def copy_train(self, name='train'):
    return self.copy(self.fx.train, name)

  def train(self, train_dir, *flags):
    return _argv(TRAIN, {'dataset_name': 'digits', 'dataset_dir': self.fx.digits,
                         'model_name': 'lenet', 'train_dir': train_dir, 'batch_size': 16,
                         'max_number_of_steps': 60, 'log_every_n_steps': 0}, flags)

  def eval(self, *flags):
    return _argv(EVAL, {'dataset_name': 'digits', 'dataset_dir': self.fx.digits,
                        'dataset_split_name': 'test', 'model_name': 'lenet',
                        'checkpoint_path': self.fx.train, 'eval_dir': self.path('eval')}, flags)

  def export(self, *flags):
    return _argv(EXPORT, {'model_name': 'lenet', 'dataset_name': 'digits',
                          'dataset_dir': self.fx.digits, 'checkpoint_path': self.fx.train,
                          'saved_model_dir': self.path('saved')}, flags)

  def classify(self, *args):
    return _argv(CLASSIFY, {'saved_model_dir': self.fx.saved}, args)

  def data(self, *flags):
    return _argv(DATA, {'dataset_name': 'digits', 'dataset_dir': self.path('data')}, flags)

  def ckpt(self, *flags):
    return _argv(CKPT, {'name': PUBLISHED, 'cache_dir': self.path('cache')}, flags)

  def quantize(self, *flags):
    argv = _argv(QUANTIZE, {'model_name': 'lenet', 'dataset_name': 'digits',
                            'dataset_dir': self.fx.digits, 'checkpoint_path': self.fx.train,
                            'output_tflite': self.path('out', 'lenet.tflite'),
                            'num_steps': 20, 'max_eval_examples': 50}, flags)
    if not os.path.exists(os.path.join(BIN, QUANTIZE)):  # a venv installed before the tool
      argv[:1] = [sys.executable, '-m', 'slim.tools.' + QUANTIZE]
    return argv

  def run(self, argv, **kwargs):
    kwargs.setdefault('timeout', self.timeout)
    return execute(argv, **kwargs)

  def python(self, code):
    run = execute([sys.executable, '-c', _SNIPPET, code,
                   json.dumps(dict(self.fx.paths(), dir=self.dir))], timeout=self.timeout)
    run.argv = ['python', '-c', code]
    for line in run.out.splitlines():
      if line.startswith('RESULT '):
        run.result = json.loads(line[7:])
      elif line.startswith('ERROR '):
        run.error = json.loads(line[6:])
    return run

  def skip(self, why):
    run = Run(['-'])
    run.skip = why
    return run


# ----------------------------------------------------------------------------- checks

def steps(directory):
  """The global steps of the checkpoints in directory (by their .index files)."""
  return sorted(int(m.group(1)) for m in (re.search(r'model\.ckpt-(\d+)\.index$', p)
                                          for p in glob.glob(os.path.join(directory, '*.index')))
                if m)


def stale(directory):
  """Temporary files or directories left under directory."""
  found = []
  for root, dirs, files in os.walk(directory):
    found += [os.path.join(root, n) for n in dirs + files if STALE.search(n)]
  return found


def restored(run):
  """The checkpoint the training restored ('Restoring parameters from ...'), or None."""
  found = re.findall(r'Restoring parameters from (\S+)', run.err + run.out)
  return found[-1] if found else None


def problems(*pairs):
  """The first message whose condition is false, else None: problems((cond, msg), ...)."""
  for condition, message in pairs:
    if not condition:
      return message
  return None


def resumed(step, source=None, train_dir='train'):
  """Check: the training reached `step` in the case's train_dir, restored from
  `source` (a 'model.ckpt-N' suffix), and left no temporary files."""
  def check(c, r):
    directory = c.path(train_dir)
    return problems((step in steps(directory), 'no model.ckpt-%d in %s (has %s)'
                     % (step, directory, steps(directory))),
                    (source is None or (restored(r) or '').endswith(source),
                     'restored %s, not %s' % (restored(r), source)),
                    (not stale(directory), 'left %s' % stale(directory)))
  return check


def mentions(*words):
  """Check: the output mentions each word (case-insensitive)."""
  def check(c, r):
    text = (r.out + r.err).lower()
    missing = [w for w in words if w.lower() not in text]
    return 'the output does not mention %s' % missing if missing else None
  return check


def all_of(*checks):
  def check(c, r):
    for one in checks:
      problem = one(c, r)
      if problem:
        return problem
    return None
  return check


def accuracy(run):
  found = re.findall(r'eval/Accuracy\D*([0-9.]+)', run.out + run.err)
  return float(found[-1]) if found else None


def top_classes(run):
  """{path: its top class} from classify_images' lines 'path: 8:eight (0.996), ...'."""
  return {m.group(1): int(m.group(2))
          for m in re.finditer(r'^(.+): (\d+):\w+ \([01]\.\d+\)', run.out, re.M)}


def classified(c, r):
  """Check: every good image has its line on stdout (class k:name and probability)."""
  missing = [p for p, _ in c.fx.good if p not in top_classes(r)]
  return 'no line for %s' % missing if missing else None


def unchanged(paths):
  """Check: the files' sizes and mtimes are as they were when the check was made."""
  before = {p: (os.path.getsize(p), os.path.getmtime(p)) for p in paths}

  def check(c, r):
    changed = [p for p, s in before.items()
               if not os.path.exists(p) or (os.path.getsize(p), os.path.getmtime(p)) != s]
    return 'changed: %s' % changed if changed else None
  return check


# ----------------------------------------------------------------------------- the cases

CASES = []


class Case(object):

  def __init__(self, group, name, expect, run, names=(), check=None, also=None, timeout=240,
               background=False):
    self.group, self.name, self.expect, self.run = group, name, expect, run
    self.names, self.check, self.also = names, check, also
    self.timeout, self.background = timeout, background


def case(group, name, expect, run, names=(), check=None, also=None, **kwargs):
  """A case: run(c) -> Run, in the case's Ctx c.

  names: what the error must name, each a string or a tuple of alternatives,
    formatted with c and fx ('{c.dir}/afile').
  check(c, r): verifies a success (exit 0, or a snippet's result): a problem or None.
  also(c, r): verified whatever the outcome (files left, earlier checkpoints intact).
  background: runs beside the others (a stalled network: waiting, no CPU).
  """
  CASES.append(Case(group, name, expect, run, names, check, also, **kwargs))


def flag_cases(group, tool, table):
  """A CLEAR case per `(name, flag, names)` of `table`: the tool (`c.eval`,
  `c.export`) run with the flag, formatted with c."""
  for name, flag, names in table:
    case(group, name, CLEAR,
         lambda c, f=flag: c.run(getattr(c, tool)(f.format(c=c))), names)


def train_case(name, expect, flags, names=(), copy=True, **kwargs):
  """A train_image_classifier case in a copy of the trained train_dir (or a fresh one)."""
  def run(c):
    directory = c.copy_train() if copy else c.path('train')
    return c.run(c.train(directory, *[f.format(c=c, fx=c.fx) for f in flags]))
  case('train', name, expect, run, names, **kwargs)


def damaged_train(c, damage, *flags):
  """Copies the train_dir, damages it with damage(directory), trains to step 60."""
  return c.run(c.train(damaged(c.copy_train(), damage), *flags))


def truncate(path, size=1000):
  os.truncate(path, min(size, os.path.getsize(path)))


def damaged(path, damage):
  """path, after damage(path)."""
  damage(path)
  return path


def two_trainers(c):
  directory = c.copy_train()
  first = spawn(c.train(directory, '--max_number_of_steps=100000'), c.path('first.log'))
  try:
    lock = os.path.join(directory, '.slim_train.lock')
    deadline = time.time() + 120
    while time.time() < deadline and first.poll() is None:
      if os.path.exists(lock) and 'pid %d ' % first.pid in open(lock).read():
        break
      time.sleep(0.2)
    else:
      return c.skip('the first trainer did not take the lock (exit %s)' % first.poll())
    run = c.run(c.train(directory, '--max_number_of_steps=100000'), timeout=120)
    run.extra['first_alive'] = first.poll() is None
  finally:
    stop(first)
  return run


def kill9(c, copy, last_step, low, high, after_a_save=False):
  """Kills a trainer (saving every second) with SIGKILL uniform(low, high) s after its
  start, or after its first new checkpoint (mid-training, maybe mid-save), then resumes
  it with the same flags."""
  directory = c.copy_train() if copy else c.path('train')
  argv = c.train(directory, '--max_number_of_steps=%d' % last_step, '--save_interval_secs=1')
  before = steps(directory)
  process = spawn(argv, c.path('killed.log'))
  deadline = time.time() + 120
  while after_a_save and steps(directory) == before and process.poll() is None \
      and time.time() < deadline:
    time.sleep(0.1)
  delay = c.rng.uniform(low, high)
  time.sleep(delay)
  stop(process)
  reached = steps(directory)
  run = c.run(argv)
  run.notes.append('killed %.1f s after %s (%s), checkpoints then %s' % (
      delay, 'its first save' if after_a_save else 'its start',
      'running' if process.returncode == -9 else 'had exited %s' % process.returncode, reached))
  return run


def disk_full_train(c, copy, fsize):
  directory = c.copy_train() if copy else c.path('train')
  run = c.run(c.train(directory), fsize=fsize)
  run.extra['before'] = {name: os.path.getsize(os.path.join(c.fx.train, name))
                         for name in os.listdir(c.fx.train) if name.startswith('model.ckpt')}
  run.extra['dir'] = directory
  return run


def disk_full_intact(c, r):
  directory = r.extra['dir']
  changed = [n for n, size in r.extra['before'].items()
             if os.path.exists(os.path.join(directory, n))
             and os.path.getsize(os.path.join(directory, n)) != size]
  return problems((not changed, 'earlier checkpoint files changed: %s' % changed),
                  (not stale(directory), 'left %s' % stale(directory)),
                  (60 not in steps(directory), 'a model.ckpt-60 was written'))


def corrupt_checkpoint(c, name='bad'):
  """A copy of model.ckpt-50 with its data truncated; returns its prefix."""
  os.makedirs(c.path(name))
  for path in glob.glob(os.path.join(c.fx.train, 'model.ckpt-50.*')):
    shutil.copy(path, c.path(name))
  truncate(c.path(name, 'model.ckpt-50.data-00000-of-00001'), 5000)
  return c.path(name, 'model.ckpt-50')


def readonly(c, make_argv):
  if IS_ROOT:
    return c.skip('running as root: permissions are not enforced')
  os.makedirs(c.path('ro'))
  os.chmod(c.path('ro'), 0o555)
  try:
    return c.run(make_argv(c.path('ro')))
  finally:
    os.chmod(c.path('ro'), 0o755)


# --- train_image_classifier
train_case('nan_learning_rate', CLEAR, ['--learning_rate=1e8'],
           [('learning_rate', 'global step')], copy=False,
           also=lambda c, r: problems((steps(c.path('train')) in ([], [0]),
                                        'diverged steps saved: %s' % steps(c.path('train')))))
train_case('resume_labels_offset', CLEAR, ['--labels_offset=1'], ['labels_offset'])
train_case('resume_other_model', CLEAR, ['--model_name=cifarnet'], ['model_name'])
train_case('resume_other_image_size', CLEAR, ['--train_image_size=32'], ['train_image_size'])
train_case('resume_other_optimizer', EITHER, ['--optimizer=sgd'], ['optimizer'],
           check=resumed(60, 'model.ckpt-50'))
train_case('rerun_finished', OK, ['--max_number_of_steps=50'],
           check=lambda c, r: problems((steps(c.path('train')) == [0, 50], 'checkpoints %s'
                                        % steps(c.path('train'))),
                                       ('nothing to train' in r.out + r.err,
                                        'does not say there is nothing to train')))
case('train', 'corrupt_state_file', OK,
     lambda c: damaged_train(c, lambda d: open(os.path.join(d, 'checkpoint'), 'wb').write(
         b'\x00\xffgarbage{{{\n')),
     check=resumed(60, 'model.ckpt-50'))
case('train', 'state_file_names_old_location', OK,
     lambda c: damaged_train(c, lambda d: open(os.path.join(d, 'checkpoint'), 'w').write(
         'model_checkpoint_path: "/nonexistent/old/model.ckpt-50"\n'
         'all_model_checkpoint_paths: "/nonexistent/old/model.ckpt-50"\n')),
     check=resumed(60, 'model.ckpt-50'))
case('train', 'truncated_newest_data', OK,
     lambda c: damaged_train(c, lambda d: truncate(
         os.path.join(d, 'model.ckpt-50.data-00000-of-00001'))),
     check=all_of(resumed(60, 'model.ckpt-0'),
                  mentions('model.ckpt-50')))
case('train', 'truncated_newest_index', OK,
     lambda c: damaged_train(c, lambda d: truncate(os.path.join(d, 'model.ckpt-50.index'), 100)),
     check=all_of(resumed(60, 'model.ckpt-0'),
                  mentions('model.ckpt-50')))
case('train', 'newest_data_deleted', OK,
     lambda c: damaged_train(c, lambda d: os.remove(
         os.path.join(d, 'model.ckpt-50.data-00000-of-00001'))),
     check=all_of(resumed(60, 'model.ckpt-0'),
                  mentions('model.ckpt-50')))


def _moved(c):
  os.rename(c.copy_train('before'), c.path('after'))
  return c.run(c.train(c.path('after')))


case('train', 'train_dir_moved', OK, _moved,
     check=all_of(resumed(60, 'model.ckpt-50', 'after'), lambda c, r: problems(
         (not os.path.exists(c.path('before')), 'the old path came back'))))


def _stale_files(d):
  open(os.path.join(d, 'model.ckpt-50.data-00000-of-00001.tempstate8123456'), 'wb').write(b'x')
  open(os.path.join(d, 'checkpoint.tmp1a2b3c4d'), 'wb').write(b'x')
  os.makedirs(os.path.join(d, 'model.ckpt-55_temp'))
  open(os.path.join(d, 'model.ckpt-55_temp', 'part-00000-of-00001.index'), 'wb').write(b'x')


case('train', 'stale_tempstate_files', OK, lambda c: damaged_train(c, _stale_files),
     check=resumed(60, 'model.ckpt-50'))
case('train', 'two_trainers_one_dir', CLEAR, two_trainers, ['{c.dir}/train'],
     also=lambda c, r: problems((r.extra.get('first_alive'), 'the first trainer died')))
case('train', 'kill9_early_then_resume', OK, lambda c: kill9(c, False, 60, 0.5, 4.0),
     check=resumed(60))
case('train', 'kill9_mid_training_then_resume', OK,
     lambda c: kill9(c, True, 400, 0.0, 2.0, after_a_save=True), check=resumed(400))
case('train', 'train_dir_is_a_file', CLEAR,
     lambda c: c.run(c.train(c.file('afile'))), ['{c.dir}/afile'])
case('train', 'train_dir_under_a_file', CLEAR,
     lambda c: c.run(c.train(os.path.join(c.file('afile'), 'sub'))), ['{c.dir}/afile'])
case('train', 'train_dir_read_only', CLEAR, lambda c: readonly(c, c.train), ['{c.dir}/ro'])
train_case('cluster_host_without_port', CLEAR,
           ['--ps_hosts=localhost:1', '--worker_hosts=localhost'], ['worker_hosts', 'localhost'],
           copy=False)
train_case('cluster_task_outside', CLEAR,
           ['--ps_hosts=localhost:1', '--worker_hosts=localhost:2', '--task=3'], ['task 3'],
           copy=False)
train_case('cluster_ps_without_cluster', CLEAR, ['--job_name=ps'], ['job_name'], copy=False)
train_case('dataset_dir_missing', CLEAR, ['--dataset_dir={c.dir}/nowhere'],
           ['{c.dir}/nowhere'], copy=False)
case('train', 'dataset_dir_empty', CLEAR,
     lambda c: c.run(c.train(c.path('train'), '--dataset_dir=' + c.mkdir('empty'))),
     ['{c.dir}/empty'])
train_case('dataset_dir_of_another_dataset', CLEAR, ['--dataset_name=mnist'],
           [('{fx.digits}', 'mnist')], copy=False)
for _kind, _names in [('truncated', ['digits_train_00000']), ('garbage', ['digits_train_00000']),
                      ('label15', ['digits_train_', 'label']),
                      ('labelneg', ['digits_train_', 'label']),
                      ('nolabel', ['digits_train_', 'label']),
                      ('badimage', ['digits_train_'])]:
  train_case('records_' + _kind, CLEAR, ['--dataset_dir={fx.work}/bad/' + _kind], _names,
             copy=False)
  if _kind == 'garbage':
    continue
  train_case('records_%s_skip_bad_records' % _kind,
             EITHER if _kind in ('truncated', 'garbage') else OK,
             ['--dataset_dir={fx.work}/bad/' + _kind, '--skip_bad_records'], _names, copy=False,
             check=all_of(resumed(60), mentions('skip')))
train_case('checkpoint_path_other_network', CLEAR,
           ['--model_name=cifarnet', '--checkpoint_path={fx.train}'],
           [('checkpoint_path', '{fx.train}')], copy=False)
train_case('checkpoint_path_other_classes', CLEAR,
           ['--labels_offset=1', '--checkpoint_path={fx.train}'],
           [('checkpoint_exclude_scopes', 'logits')], copy=False)
case('train', 'checkpoint_path_corrupt', CLEAR,
     lambda c: c.run(c.train(c.path('train'), '--checkpoint_path=' + corrupt_checkpoint(c))),
     ['{c.dir}/bad/model.ckpt-50'])
train_case('checkpoint_path_missing', CLEAR, ['--checkpoint_path={c.dir}/nowhere/model.ckpt-5'],
           ['{c.dir}/nowhere'], copy=False)
case('train', 'checkpoint_path_text_file', CLEAR,
     lambda c: c.run(c.train(c.path('train'), '--checkpoint_path=' + c.file('notes.txt'))),
     ['{c.dir}/notes.txt'])
train_case('checkpoint_exclude_scopes_misspelt', EITHER,
           ['--checkpoint_path={fx.train}', '--checkpoint_exclude_scopes=LeNet/logitz'],
           ['LeNet/logitz'], copy=False, check=mentions('LeNet/logitz'))
train_case('trainable_scopes_misspelt', EITHER, ['--trainable_scopes=LeNet/logitz'],
           ['LeNet/logitz'], copy=False, check=mentions('LeNet/logitz'))
case('train', 'disk_full_during_save', CLEAR, lambda c: disk_full_train(c, True, 20 << 20),
     ['{c.dir}/train'], also=disk_full_intact)
case('train', 'disk_full_first_save', CLEAR, lambda c: disk_full_train(c, False, 4 << 20),
     ['{c.dir}/train'], also=disk_full_intact)
for _flag, _names in [('--batch_size=-1', ['batch_size']), ('--optimizer=sgdd', ['optimizer']),
                      ('--learning_rat=0.1', ['learning_rat']),
                      ('--learning_rate=abc', ['learning_rate']),
                      ('--model_name=lenett', ['lenett']),
                      ('--max_number_of_steps=-5', ['max_number_of_steps']),
                      ('--num_clones=0', ['num_clones']),
                      ('--labels_offset=10', ['labels_offset'])]:
  train_case('flag_' + _flag[2:].replace('=', '_'), CLEAR, [_flag], _names, copy=False)

# --- eval_image_classifier
case('eval', 'baseline', OK, lambda c: c.run(c.eval()),
     check=lambda c, r: problems((accuracy(r) is not None and accuracy(r) > 0.5,
                                  'accuracy %s' % accuracy(r))))
flag_cases('eval', 'eval', [
    ('labels_offset_1_on_10_classes', '--labels_offset=1', ['labels_offset']),
    ('other_model_name', '--model_name=cifarnet', ['model_name']),
    ('other_eval_image_size', '--eval_image_size=32', ['eval_image_size']),
    ('moving_average_decay_not_kept', '--moving_average_decay=0.999', ['moving_average_decay']),
    ('max_num_batches_0', '--max_num_batches=0', ['max_num_batches']),
    ('batch_size_0', '--batch_size=0', ['batch_size']),
    ('unknown_split', '--dataset_split_name=validation', ['validation']),
    ('checkpoint_path_missing', '--checkpoint_path={c.dir}/nowhere', ['{c.dir}/nowhere']),
    ('dataset_dir_missing', '--dataset_dir={c.dir}/nowhere', ['{c.dir}/nowhere'])])
case('eval', 'checkpoint_dir_empty', CLEAR,
     lambda c: c.run(c.eval('--checkpoint_path=' + c.mkdir('empty'))), ['{c.dir}/empty'])
case('eval', 'checkpoint_dir_newest_truncated', EITHER,
     lambda c: c.run(c.eval('--checkpoint_path=' + damaged(c.copy_train(), lambda d: truncate(
         os.path.join(d, 'model.ckpt-50.data-00000-of-00001'))))),
     ['model.ckpt-50'], check=mentions('model.ckpt-50'))
case('eval', 'checkpoint_corrupt', CLEAR,
     lambda c: c.run(c.eval('--checkpoint_path=' + corrupt_checkpoint(c))),
     ['{c.dir}/bad/model.ckpt-50'])
case('eval', 'checkpoint_text_file', CLEAR,
     lambda c: c.run(c.eval('--checkpoint_path=' + c.file('notes.txt'))), ['{c.dir}/notes.txt'])
case('eval', 'eval_dir_is_a_file', CLEAR,
     lambda c: c.run(c.eval('--eval_dir=' + c.file('afile'))), ['{c.dir}/afile'])
for _kind in ['truncated', 'garbage'] + BAD_KINDS:
  case('eval', 'records_' + _kind, CLEAR,
       lambda c, k=_kind: c.run(c.eval('--dataset_dir=' + c.fx.bad(k))),
       ['digits_test_'] + (['label'] if 'label' in _kind else []))
case('eval', 'records_label15_skip_bad_records', OK,
     lambda c: c.run(c.eval('--dataset_dir=' + c.fx.bad('label15'), '--skip_bad_records')),
     check=all_of(mentions('skipped'),
                  lambda c, r: problems((accuracy(r) is not None, 'no accuracy printed'))))

# --- export_inference_graph
flag_cases('export', 'export', [
    ('checkpoint_of_another_network', '--model_name=cifarnet', ['model_name']),
    ('unknown_model_name', '--model_name=lenett', ['lenett']),
    ('image_size_mismatch', '--image_size=32', ['image_size']),
    ('labels_offset_mismatch', '--labels_offset=1', ['labels_offset']),
    ('channels_mismatch', '--nouse_grayscale', ['use_grayscale']),
    ('batch_size_0', '--batch_size=0', ['batch_size']),
    ('bad_tflite_quantize', '--tflite_quantize=int4', ['tflite_quantize']),
    ('checkpoint_missing', '--checkpoint_path={c.dir}/nowhere', ['{c.dir}/nowhere']),
    ('image_network_as_video', '--is_video_model', ['is_video_model']),
    ('num_frames_for_an_image_network', '--num_frames=8', ['num_frames'])])
case('export', 'video_num_frames_0', CLEAR,
     lambda c: c.run(c.export('--model_name=i3d', '--num_frames=0')), ['num_frames'])
case('export', 'video_network_to_tflite', CLEAR,
     lambda c: c.run(c.export('--model_name=i3d', '--tflite_file=' + c.path('i3d.tflite'))),
     ['tflite'])
case('export', 'checkpoint_corrupt', CLEAR,
     lambda c: c.run(c.export('--checkpoint_path=' + corrupt_checkpoint(c))),
     ['{c.dir}/bad/model.ckpt-50'])


def _existing_saved(c, *flags):
  directory = c.copy(c.fx.saved, 'saved')
  c.extra_check = unchanged([os.path.join(directory, 'saved_model.pb')])
  return c.run(c.export('--saved_model_dir=' + directory, *flags))


case('export', 'saved_model_dir_exists', CLEAR, _existing_saved, [('overwrite', '{c.dir}/saved')],
     also=lambda c, r: c.extra_check(c, r))
case('export', 'saved_model_dir_overwrite', OK, lambda c: _existing_saved(c, '--overwrite'),
     check=lambda c, r: problems((os.path.exists(c.path('saved', 'saved_model.pb')), 'no model'),
                                 (not stale(c.dir), 'left %s' % stale(c.dir)),
                                 (c.extra_check(c, r), 'saved_model.pb was not replaced')))
case('export', 'saved_model_dir_under_a_file', CLEAR,
     lambda c: c.run(c.export('--saved_model_dir=' + os.path.join(c.file('afile'), 'saved'))),
     ['{c.dir}/afile'])
case('export', 'saved_model_dir_read_only', CLEAR,
     lambda c: readonly(c, lambda d: c.export('--saved_model_dir=' + os.path.join(d, 'saved'))),
     ['{c.dir}/ro'])
case('export', 'tflite_file_under_a_file', CLEAR,
     lambda c: c.run(c.export('--saved_model_dir=', '--tflite_file=' + os.path.join(
         c.file('afile'), 'm.tflite'))), ['{c.dir}/afile'])
case('export', 'output_file_under_a_file', CLEAR,
     lambda c: c.run(c.export('--saved_model_dir=', '--checkpoint_path=', '--output_file='
                              + os.path.join(c.file('afile'), 'g.pb'))), ['{c.dir}/afile'])
case('export', 'int8_without_dataset_dir', CLEAR,
     lambda c: c.run(c.export('--saved_model_dir=', '--dataset_dir=', '--tflite_quantize=int8',
                              '--tflite_file=' + c.path('m.tflite'))), ['dataset_dir'])

# --- post_training_quantization
def _quantized(c, r):
  """The file and its labels written, the figures printed, nothing else left."""
  return problems((sorted(os.listdir(c.path('out'))) == ['lenet.labels.txt', 'lenet.tflite'],
                   'files: %s' % os.listdir(c.path('out'))),
                  ('top-1 accuracy on 50 images' in r.out, 'no accuracy printed'),
                  (not stale(c.dir), 'left %s' % stale(c.dir)))


def _nothing_written(c, r):
  out = c.path('out')
  return problems((not os.path.exists(out) or not os.listdir(out),
                   'left %s' % (os.listdir(out) if os.path.exists(out) else '')))


case('quantize', 'baseline_int8', OK, lambda c: c.run(c.quantize()), check=_quantized)
case('quantize', 'research_slim_flags_float16', OK,
     lambda c: c.run(c.quantize('--quantize=float16', '--dataset_split=train',
                                '--use_model_specific_preprocessing', '--enable_ema')),
     check=_quantized)
flag_cases('quantize', 'quantize', [
    ('unknown_model_name', '--model_name=lenett', ['lenett']),
    ('checkpoint_of_another_network', '--model_name=cifarnet', ['model_name']),
    ('checkpoint_missing', '--checkpoint_path={c.dir}/nowhere', ['{c.dir}/nowhere']),
    ('bad_quantize', '--quantize=int4', ['quantize']),
    ('image_size_mismatch', '--image_size=32', ['image_size']),
    ('num_classes_mismatch', '--num_classes=1001', ['num_classes']),
    ('unknown_split', '--dataset_split=validation', ['dataset_split']),
    ('unknown_eval_split', '--eval_split_name=validation', ['eval_split_name']),
    ('num_steps_0', '--num_steps=0', ['num_steps']),
    ('not_a_tflite_name', '--output_tflite={c.dir}/model.pb', ['output_tflite']),
    ('dataset_dir_missing', '--dataset_dir={c.dir}/nowhere', ['{c.dir}/nowhere']),
    ('video_network', '--model_name=i3d', ['i3d'])])
case('quantize', 'io_type_with_float16', CLEAR,
     lambda c: c.run(c.quantize('--quantize=float16', '--inference_output_type=uint8')),
     ['inference_output_type'], also=_nothing_written)
case('quantize', 'checkpoint_corrupt', CLEAR,
     lambda c: c.run(c.quantize('--checkpoint_path=' + corrupt_checkpoint(c))),
     ['{c.dir}/bad/model.ckpt-50'], also=_nothing_written)
for _kind in ('truncated', 'garbage'):
  case('quantize', 'records_' + _kind, CLEAR,
       lambda c, k=_kind: c.run(c.quantize('--dataset_dir=' + c.fx.bad(k), '--num_steps=1000')),
       ['digits_train_'], also=_nothing_written)
case('quantize', 'output_under_a_file', CLEAR,
     lambda c: c.run(c.quantize('--output_tflite=' + os.path.join(c.file('afile'), 'm.tflite'))),
     ['{c.dir}/afile'])

# --- classify_images
_GOOD = lambda c: [p for p, _ in c.fx.good]  # noqa: E731
case('classify', 'baseline', OK, lambda c: c.run(c.classify(*_GOOD(c))), check=classified)
case('classify', 'color_jpeg_for_a_gray_network', OK,  # the same digit as the first PNG
     lambda c: c.run(c.classify(c.fx.good[0][0], os.path.join(c.fx.images, 'color.jpg'))),
     check=lambda c, r: problems((len(set(top_classes(r).values())) == 1 and len(top_classes(
         r)) == 2, 'not the class of the same image in PNG: %s' % top_classes(r))))


def _among_good(make):
  """Classifies the good images with make(c), a bad path, among them."""
  def run(c):
    good = _GOOD(c)
    c.target = make(c)
    return c.run(c.classify(*(good[:2] + [c.target] + good[2:])))
  return run


def _with_saved(make):
  """Classifies the good images with the SavedModel directory make(c)."""
  def run(c):
    c.target = make(c)
    return c.run(c.classify('--saved_model_dir=' + c.target, *_GOOD(c)))
  return run


for _name, _make in [('non_image_among_good', lambda c: c.file('notes.txt')),
                     ('missing_file_among_good', lambda c: c.path('nowhere.png')),
                     ('directory_among_good', lambda c: c.mkdir('adir')),
                     ('empty_file_among_good', lambda c: c.file('empty.png', b'')),
                     ('truncated_png_among_good', lambda c: c.file(
                         'half.png', open(c.fx.good[0][0], 'rb').read()[:120]))]:
  case('classify', _name, CLEAR, _among_good(_make), ['{c.target}'], also=classified)
for _name, _make in [
    ('saved_model_dir_missing', lambda c: c.path('nowhere')),
    ('saved_model_dir_not_a_model', lambda c: c.fx.digits),
    ('saved_model_pb_corrupt', lambda c: damaged(c.copy(c.fx.saved, 'saved'), lambda d: truncate(
        os.path.join(d, 'saved_model.pb'), 200))),
    ('saved_model_variables_missing', lambda c: damaged(
        c.copy(c.fx.saved, 'saved'), lambda d: shutil.rmtree(os.path.join(d, 'variables'))))]:
  case('classify', _name, CLEAR, _with_saved(_make), ['{c.target}'])
case('classify', 'top_k_0', CLEAR, lambda c: c.run(c.classify('--top_k=0', *_GOOD(c))),
     ['top_k'])
case('classify', 'top_k_above_classes', EITHER,
     lambda c: c.run(c.classify('--top_k=50', *_GOOD(c))), ['top_k'],
     check=lambda c, r: problems((len(r.out.splitlines()) == 4, 'not one line per image'),
                                 (all(l.count('(') <= 10 for l in r.out.splitlines()),
                                  'more than 10 classes on a line')))
case('classify', 'no_images', CLEAR, lambda c: c.run(c.classify()), [('image',)])
case('classify', 'no_saved_model_dir', CLEAR,
     lambda c: c.run([CLASSIFY] + _GOOD(c)), ['saved_model_dir'])

# --- download_and_convert_data


def _no_partial(c, r):
  data = c.path('data')
  left = [p for p in glob.glob(os.path.join(data, '*')) + glob.glob(os.path.join(data, '.*'))]
  return problems((not left, 'left in --dataset_dir: %s' % left))


case('data', 'unknown_dataset', CLEAR, lambda c: c.run(c.data('--dataset_name=digitz')),
     ['digitz'])
case('data', 'no_dataset_dir', CLEAR, lambda c: c.run([DATA, '--dataset_name=digits']),
     ['dataset_dir'])
case('data', 'dataset_dir_is_a_file', CLEAR,
     lambda c: c.run(c.data('--dataset_dir=' + c.file('afile'))), ['{c.dir}/afile'])
case('data', 'dataset_dir_under_a_file', CLEAR,
     lambda c: c.run(c.data('--dataset_dir=' + os.path.join(c.file('afile'), 'sub'))),
     ['{c.dir}/afile'])
case('data', 'dataset_dir_read_only', CLEAR,
     lambda c: readonly(c, lambda d: c.data('--dataset_dir=' + os.path.join(d, 'digits'))),
     ['{c.dir}/ro'])
case('data', 'disk_full', CLEAR, lambda c: c.run(c.data(), fsize=100 << 10), ['{c.dir}/data'],
     also=_no_partial)
case('data', 'flag_not_taken_by_the_dataset', CLEAR,
     lambda c: c.run(c.data('--num_validation=5')), ['num_validation'])


def _rerun(c):
  directory = c.copy(c.fx.digits, 'data')
  c.extra_check = unchanged(glob.glob(os.path.join(directory, '*')))
  return c.run(c.data())


case('data', 'rerun_converted', OK, _rerun, check=lambda c, r: c.extra_check(c, r))


def _interrupted(c):
  directory = c.copy(c.fx.digits, 'data')
  os.remove(os.path.join(directory, 'dataset_info.json'))
  truncate(os.path.join(directory, 'digits_train_00001-of-00002.tfrecord'), 5000)
  os.makedirs(os.path.join(directory, '.tmp-digits-abc123'))
  return c.run(c.data())


case('data', 'rerun_after_interrupted', OK, _interrupted,
     check=lambda c, r: problems(
         (os.path.exists(c.path('data', 'dataset_info.json')), 'no dataset_info.json'),
         (os.path.getsize(c.path('data', 'digits_train_00001-of-00002.tfrecord')) > 5000,
          'the truncated shard is still there'),
         (not stale(c.path('data')), 'left %s' % stale(c.path('data')))))
for _dataset in ('flowers', 'cifar10', 'mnist'):
  case('data', _dataset + '_network_refused', CLEAR,
       lambda c, d=_dataset: c.run(c.data('--dataset_name=' + d), env=c.fx.proxy('closed'),
                                   timeout=120), [('http', 'download')], also=_no_partial)
case('data', 'flowers_network_stalled', CLEAR,
     lambda c: c.run(c.data('--dataset_name=flowers'), env=c.fx.proxy('stalled')),
     [('http', 'download')], also=_no_partial, timeout=150, background=True)
case('data', 'flowers_archive_missing', CLEAR,
     lambda c: c.run(c.data('--dataset_name=flowers', '--archive_path=' + c.path('none.tgz'))),
     ['{c.dir}/none.tgz'])
case('data', 'flowers_archive_garbage', CLEAR,
     lambda c: c.run(c.data('--dataset_name=flowers', '--archive_path=' + c.file(
         'flower_photos.tgz', random.Random(1).randbytes(50000)))), ['{c.dir}/flower_photos.tgz'],
     also=_no_partial)


def _image_folder(c, *flags, bad=True, classes=('a', 'b')):
  for name in classes:
    for path, _ in c.fx.good:
      os.makedirs(c.path('photos', name), exist_ok=True)
      shutil.copy(path, c.path('photos', name))
  if bad:
    c.file('photos/b/broken.png', b'not a png at all')
  return c.run(c.data('--dataset_name=image_folder', '--images_dir=' + c.path('photos'), *flags))


case('data', 'image_folder_bad_image', CLEAR, _image_folder, ['{c.dir}/photos/b/broken.png'],
     also=_no_partial)
case('data', 'image_folder_bad_image_skip_bad_images', OK,
     lambda c: _image_folder(c, '--skip_bad_images'),
     check=all_of(mentions('skip'), lambda c, r: problems(
         (os.path.exists(c.path('data', 'dataset_info.json')), 'no dataset_info.json'))))
case('data', 'image_folder_num_shards_negative', CLEAR,
     lambda c: _image_folder(c, '--num_shards=-3', bad=False), ['num_shards'])
case('data', 'image_folder_missing', CLEAR,
     lambda c: c.run(c.data('--dataset_name=image_folder', '--images_dir=' + c.path('nowhere'))),
     ['{c.dir}/nowhere'])
case('data', 'image_folder_no_class_folders', CLEAR,
     lambda c: c.run(c.data('--dataset_name=image_folder', '--images_dir=' + c.mkdir('photos'))),
     ['{c.dir}/photos'])

# --- download_checkpoint


def _ckpt_nothing_left(c, r):
  found = glob.glob(os.path.join(c.path('cache'), '**', '*.index'), recursive=True)
  return problems((not found, 'a checkpoint appeared: %s' % found))


case('checkpoint', 'unknown_name', CLEAR, lambda c: c.run(c.ckpt('--name=inception_v9')),
     ['inception_v9'])
case('checkpoint', 'no_name', CLEAR, lambda c: c.run([CKPT]), ['name'])
case('checkpoint', 'network_refused', CLEAR,
     lambda c: c.run(c.ckpt(), env=c.fx.proxy('closed'), timeout=120),
     [('http', 'download', PUBLISHED)], also=_ckpt_nothing_left)
case('checkpoint', 'mirror_refused', CLEAR,
     lambda c: c.run(c.ckpt(), env={'SLIM_CHECKPOINT_MIRROR': 'http://127.0.0.1:%d'
                                    % c.fx.ports['closed']}, timeout=120),
     ['127.0.0.1'], also=_ckpt_nothing_left)
case('checkpoint', 'mirror_404', CLEAR,
     lambda c: c.run(c.ckpt(), env={'SLIM_CHECKPOINT_MIRROR': 'http://127.0.0.1:%d/missing'
                                    % c.fx.ports['http']}),
     [('127.0.0.1', '404')], also=_ckpt_nothing_left)
case('checkpoint', 'mirror_serves_garbage', CLEAR,
     lambda c: c.run(c.ckpt(), env={'SLIM_CHECKPOINT_MIRROR': 'http://127.0.0.1:%d/garbage'
                                    % c.fx.ports['http']}),
     [('127.0.0.1', PUBLISHED, '{c.dir}/cache')], also=_ckpt_nothing_left)
case('checkpoint', 'mirror_stalled', CLEAR,
     lambda c: c.run(c.ckpt(), env={'SLIM_CHECKPOINT_MIRROR': 'http://127.0.0.1:%d'
                                    % c.fx.ports['stalled']}),
     [('127.0.0.1', PUBLISHED)], also=_ckpt_nothing_left, timeout=150, background=True)
case('checkpoint', 'cache_dir_is_a_file', CLEAR,
     lambda c: c.run(c.ckpt('--cache_dir=' + c.file('afile'))), ['{c.dir}/afile'])

# --- the library (a fresh interpreter each; `result` is what the snippet returns)
_X = 'x = tf.zeros([2, 8, 8, 1])\n'
for _name, _code, _names in [
    ('fully_connected_0_units', 'result = slim.fully_connected(tf.zeros([2, 3]), 0).shape',
     ['num_outputs']),
    ('fully_connected_2.5_units', 'result = slim.fully_connected(tf.zeros([2, 3]), 2.5).shape',
     ['num_outputs']),
    ('conv2d_negative_outputs', _X + 'result = slim.conv2d(x, -1, 3).shape', ['num_outputs']),
    ('conv2d_kernel_0', _X + 'result = slim.conv2d(x, 4, 0).shape', ['kernel_size']),
    ('max_pool2d_stride_0', _X + 'result = slim.max_pool2d(x, 2, stride=0).shape', ['stride']),
    ('dropout_keep_prob_1.5',
     'result = slim.dropout(tf.ones([2, 3]), keep_prob=1.5, is_training=True).numpy().tolist()',
     ['keep_prob']),
    ('softmax_cross_entropy_shapes',
     'result = float(slim.losses.softmax_cross_entropy(tf.zeros([2, 10]), tf.zeros([2, 9])))',
     [('shape', 'onehot_labels')]),
    ('get_network_fn_unknown',
     'from slim.nets import nets_factory\nresult = str(nets_factory.get_network_fn("lenett", 10))',
     ['lenett']),
    ('get_dataset_unknown_split',
     'from slim.datasets import dataset_factory\n'
     'result = str(dataset_factory.get_dataset("digits", "validation", P["digits"]))',
     ['validation'])]:
  case('library', _name, CLEAR, lambda c, code=_code: c.python(code), _names)

case('library', 'learning_train_nan_loss', CLEAR, lambda c: c.python('''
with tf.Graph().as_default():
  w = tf.compat.v1.get_variable('w', initializer=1.0)
  tf.compat.v1.train.get_or_create_global_step()
  train_op = slim.learning.create_train_op(10.0 * tf.square(w),
                                           tf.compat.v1.train.GradientDescentOptimizer(1.0))
  result = float(slim.learning.train(train_op, P['dir'] + '/train', number_of_steps=200,
                                     log_every_n_steps=1000))
'''), ['global step'])
case('library', 'learning_train_logdir_is_a_file', CLEAR, lambda c: c.python('''
open(P['dir'] + '/afile', 'w').close()
with tf.Graph().as_default():
  w = tf.compat.v1.get_variable('w', initializer=1.0)
  tf.compat.v1.train.get_or_create_global_step()
  train_op = slim.learning.create_train_op(tf.square(w),
                                           tf.compat.v1.train.GradientDescentOptimizer(0.1))
  result = float(slim.learning.train(train_op, P['dir'] + '/afile', number_of_steps=2))
'''), ['{c.dir}/afile'])
_SAVE_V3 = '''
with tf.Graph().as_default():
  tf.compat.v1.get_variable('v', shape=[3], initializer=tf.compat.v1.ones_initializer())
  tf.compat.v1.train.get_or_create_global_step()
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    path = tf.compat.v1.train.Saver().save(sess, P['dir'] + '/three.ckpt')
'''
_V = ("'v'", '"v"', 'v:0', ' v ')  # the variable named
case('library', 'evaluate_once_other_shape', CLEAR, lambda c: c.python(_SAVE_V3 + '''
with tf.Graph().as_default():
  v = tf.compat.v1.get_variable('v', shape=[4])
  tf.compat.v1.train.get_or_create_global_step()
  result = slim.evaluation.evaluate_once('', path, P['dir'] + '/eval', final_op=v).tolist()
'''), [_V, ('[3]', '(3,)')])
case('library', 'assign_from_checkpoint_fn_other_shape', CLEAR, lambda c: c.python(_SAVE_V3 + '''
with tf.Graph().as_default():
  v = tf.compat.v1.get_variable('v', shape=[4])
  init = slim.assign_from_checkpoint_fn(path, [v])
  with tf.compat.v1.Session() as sess:
    init(sess)
    result = sess.run(v).tolist()
'''), [_V, ('[3]', '(3,)')])
_SERVE = "f = tf.saved_model.load(P['saved']).signatures['%s']\n"
for _name, _call, _expect, _names in [
    ('serving_wrong_image_size', "f(images=tf.zeros([1, 32, 32, 1]))", CLEAR, ['images']),
    ('serving_wrong_channels', "f(images=tf.zeros([1, 28, 28, 3]))", CLEAR, ['images']),
    ('serving_wrong_dtype', "f(images=tf.zeros([1, 28, 28, 1], tf.int32))", CLEAR, ['images']),
    ('serving_rank_3_image', "f(images=tf.zeros([28, 28, 1]))", CLEAR, ['images']),
    ('serving_empty_batch', "f(images=tf.zeros([0, 28, 28, 1]))", OK, []),
    ('serving_encoded_not_an_image', "f(encoded_images=tf.constant([b'not an image']))", CLEAR,
     [('encoded_images', 'image')]),
    ('serving_encoded_empty_batch', "f(encoded_images=tf.zeros([0], tf.string))", OK, [])]:
  _code = (_SERVE % ('serving_encoded' if 'encoded' in _name else 'serving_default')
           + 'out = ' + _call + '\nresult = {k: list(v.shape) for k, v in out.items()}')
  case('library', _name, _expect, lambda c, code=_code: c.python(code), _names,
       check=lambda c, r: problems((r.result and r.result.get('logits') == [0, 10],
                                    'logits shape %s' % (r.result or {}).get('logits'))))


# ----------------------------------------------------------------------------- classifying

def _named(text, names, c):
  text = text.lower()
  missing = []
  for name in names:
    options = name if isinstance(name, tuple) else (name,)
    if not any(option.format(c=c, fx=c.fx).lower() in text for option in options):
      missing.append('/'.join(o.format(c=c, fx=c.fx) for o in options))
  return missing


def _tool_name(argv):
  """The tool an argv runs: its command, or <tool> of `python -m slim.tools.<tool>`."""
  if argv[1:2] == ['-m']:
    return argv[2].rsplit('.', 1)[-1]
  return os.path.basename(argv[0])


def classify(case_, c, r):
  """(outcome, note) of a case's run."""
  if r.skip:
    return 'SKIP', r.skip
  if r.timed_out:
    return 'HANG', 'still running after %.0f s: killed' % r.seconds
  problem = case_.also(c, r) if case_.also else None
  succeeded = r.rc == 0 if r.argv[0] != 'python' else (r.error is None and r.rc == 0)
  if succeeded and case_.check:
    problem = problem or case_.check(c, r)
  if r.argv[0] == 'python':
    if r.error:
      message = r.error['message']
      missing = _named(message, case_.names, c)
      if 'File "' in message or message.count('\n') > 8:
        return 'TRACEBACK', 'a TensorFlow error dump (%s)' % r.error['type']
      if CLEAR in case_.expect and not missing:
        return 'CLEAR', ('with TensorFlow\'s node lines' if any(m in message for m in TF_DUMP)
                         else '')
      if r.error['module'].startswith('tensorflow'):
        return 'TRACEBACK', 'an opaque TensorFlow %s not naming %s' % (r.error['type'], missing)
      return 'UNCLEAR', ('expected success' if CLEAR not in case_.expect
                         else 'the message does not name %s' % missing)
    if r.result is None and r.rc != 0:
      return 'TRACEBACK', 'the interpreter crashed (exit %s)' % r.rc
    if OK in case_.expect and not problem:
      return 'OK', ''
    return 'SILENT-WRONG', problem or 'returned %s instead of an error' % json.dumps(r.result)
  tool = _tool_name(r.argv)
  if any(m in r.out + r.err for m in TF_DUMP):
    return 'TRACEBACK', ''
  if PYTHON_STACK.search(r.err):
    return 'TRACEBACK', 'a Python stack in stderr'

  if r.rc < 0:
    return 'TRACEBACK', 'killed by signal %d' % -r.rc
  if r.rc == 0:
    if OK in case_.expect and not problem:
      return 'OK', ''
    return 'SILENT-WRONG', problem or 'exit status 0 instead of an error'
  last = r.last_line()
  if CLEAR not in case_.expect:
    return 'UNCLEAR', 'failed (exit %d) where it should have worked' % r.rc
  if not (last.startswith(tool + ': error:') or EXCEPTION_LINE.match(last)):
    return 'UNCLEAR', 'the last line is not an error line'
  prefix = tool + ': error:'
  errors = ' '.join(l[len(prefix):] for l in r.err.splitlines() if l.startswith(prefix))
  missing = _named(errors or last, case_.names, c)
  if missing:
    return 'UNCLEAR', 'the error does not name %s' % missing
  if problem:
    return 'UNCLEAR', problem
  return 'CLEAR', 'with TensorFlow internals in the line' if TF_NOISE.search(last) else ''


def run_case(case_, fx):
  c = Ctx(fx, case_)
  try:
    r = case_.run(c)
  except Exception as error:  # pylint: disable=broad-except
    r = Run(['-'], rc=-1, err='the sweep failed to run the case: %r' % error)
    return case_, r, 'UNCLEAR', 'sweep error: %r' % error
  outcome, note = classify(case_, c, r)
  return case_, r, outcome, '; '.join([n for n in [note] + r.notes if n])


# ----------------------------------------------------------------------------- main

def main():
  parser = argparse.ArgumentParser(description=' '.join(__doc__.split('\n\n')[0].split()))
  parser.add_argument('--only', default='', help='comma-separated groups: ' + ','.join(GROUPS))
  parser.add_argument('--list', action='store_true', help='list the cases and stop')
  parser.add_argument('--workdir', default=None, help='default: a new temporary directory')
  parser.add_argument('--keep', action='store_true', help='keep --workdir at the end')
  parser.add_argument('--output', default='/tmp/fault_sweep.json')
  parser.add_argument('--jobs', type=int, default=2,
                      help='cases run at once (default 2: the sweep takes ~8-9 min on 2 cores; '
                      '1: ~13 min)')
  parser.add_argument('--seed', type=int, default=0, help='of the kill delays and garbage bytes')
  parser.add_argument('--build-records', nargs=2, help=argparse.SUPPRESS)  # (a child) WORK SEED
  args = parser.parse_args()
  if args.build_records:
    Fixtures(args.build_records[0], int(args.build_records[1])).build_records()
    return 0
  groups = [g for g in args.only.split(',') if g] or GROUPS
  unknown = set(groups) - set(GROUPS)
  if unknown:
    parser.error('unknown groups %s (have %s)' % (sorted(unknown), ', '.join(GROUPS)))
  cases = [c for c in CASES if c.group in groups]
  if args.list:
    for c in cases:
      print('%-10s %-46s expects %s' % (c.group, c.name, c.expect))
    print('%d cases' % len(cases))
    return 0

  start = time.time()
  work = args.workdir or tempfile.mkdtemp(prefix='fault_sweep_')
  os.makedirs(work, exist_ok=True)
  print('fault sweep: %d cases in %s (load %.2f %.2f %.2f)%s' % (
      len(cases), work, *os.getloadavg(), ' as root: permission cases SKIP' if IS_ROOT else ''),
        flush=True)
  fx = Fixtures(work, args.seed)
  try:
    fx.build()
    print('fixtures built in %.0f s' % (time.time() - start), flush=True)
    results = {}
    waiting = [c for c in cases if c.background]  # a stalled network: they only wait
    with futures.ThreadPoolExecutor(max_workers=max(1, len(waiting))) as slow, \
        futures.ThreadPoolExecutor(max_workers=args.jobs) as fast:
      pending = ([slow.submit(run_case, c, fx) for c in waiting]
                 + [fast.submit(run_case, c, fx) for c in cases if not c.background])
      for future in futures.as_completed(pending):
        row = future.result()
        results[row[0]] = row
        _print_row(*row)
  finally:
    if not args.keep:
      shutil.rmtree(work, ignore_errors=True)
  rows = [results[c] for c in cases]
  report(rows, args.output, time.time() - start, work if args.keep else None)
  return 0


def _print_row(case_, r, outcome, note):
  print('%-10s %-44s %-12s %5s %5.0fs  %s' % (
      case_.group, case_.name[:44], outcome, '-' if r.rc is None else r.rc, r.seconds,
      r.last_line()[:150]), flush=True)


def details(r):
  """The last 10 lines of stderr (of a snippet: its exception), and the tool's error line
  when it is not among them."""
  if r.error:
    return ('%s: %s' % (r.error['type'], r.error['message'])).splitlines()
  tail = (r.err or r.out).strip().splitlines()[-10:]
  tool = _tool_name(r.argv)
  errors = [l for l in r.err.splitlines() if l.startswith(tool + ': error:') and l not in tail]
  return (['(error line: %s)' % errors[-1]] if errors else []) + tail


def report(rows, output, seconds, kept):
  print('\n%-10s %-44s %-12s %5s  %s' % ('group', 'case', 'outcome', 'rc', 'last stderr line'))
  for case_, r, outcome, note in rows:
    print('%-10s %-44s %-12s %5s  %s' % (case_.group, case_.name[:44], outcome,
                                         '-' if r.rc is None else r.rc, r.last_line()[:150]))
  totals = {o: sum(1 for row in rows if row[2] == o) for o in OUTCOMES}
  print('\ntotals: ' + '  '.join('%s %d' % item for item in totals.items())
        + '   (%d cases, %.0f s)' % (len(rows), seconds))
  for group in GROUPS:
    mine = [row[2] for row in rows if row[0].group == group]
    if mine:
      print('  %-10s ' % group + '  '.join('%s %d' % (o, mine.count(o)) for o in OUTCOMES
                                          if mine.count(o)))
  failed = [row for row in rows if row[2] in ('TRACEBACK', 'SILENT-WRONG', 'UNCLEAR', 'HANG')]
  for case_, r, outcome, note in failed:
    print('\n--- %s %s/%s (expected %s, exit %s)%s\n$ %s' % (
        outcome, case_.group, case_.name, case_.expect, r.rc, ': ' + note if note else '',
        r.command))
    print('\n'.join('    ' + l for l in details(r)))
  met = not (totals['TRACEBACK'] or totals['SILENT-WRONG'])
  print('\ngoal 0 TRACEBACK, 0 SILENT-WRONG: %s' % ('met' if met else 'NOT met'))
  result = {'seconds': round(seconds, 1), 'totals': totals, 'root': IS_ROOT, 'workdir': kept,
            'cases': [{'group': case_.group, 'name': case_.name, 'expect': case_.expect,
                       'outcome': outcome, 'note': note, 'rc': r.rc,
                       'seconds': round(r.seconds, 1), 'command': r.command,
                       'last_line': r.last_line(), 'details': details(r),
                       'stderr_tail': r.err.strip().splitlines()[-10:],
                       'stdout_tail': r.out.strip().splitlines()[-5:],
                       'result': r.result, 'error': r.error}
                      for case_, r, outcome, note in rows]}
  with open(output, 'w') as f:
    json.dump(result, f, indent=1)
  print('results: %s' % output)


if __name__ == '__main__':
  sys.exit(main())
