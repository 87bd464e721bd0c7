"""A training process killed with SIGKILL resumes from its last checkpoint, and no
reader ever sees a partial checkpoint, while it trains or after the kill."""
import collections
import re
import signal
import subprocess
import threading
import time

import numpy as np
import tensorflow as tf

from tests.conftest import REPO
from tests.slim import fresh_python

TRAINER = '''
import sys
import tensorflow as tf
import slim
from slim.training import loop
from tests.slim.training import digits_setup

tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
train_dir, steps = sys.argv[1], int(sys.argv[2])
loop.train(slim.Model(digits_setup.lenet_like), digits_setup.train_dataset(),
           digits_setup.loss_fn, tf.compat.v1.train.AdamOptimizer,
           train_dir=train_dir, max_number_of_steps=steps, learning_rate=0.002,
           log_every_n_steps=1, save_interval_steps=1, max_to_keep=1000)
'''
PROGRESS = re.compile(r'step (\d+)/\d+: loss = ([0-9.]+)')


def start_trainer(train_dir, steps):
  return subprocess.Popen(fresh_python.python_command(TRAINER, train_dir, steps),
                          cwd=REPO, env=fresh_python.environment(), text=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_whole_checkpoint(path):
  """Reads every tensor of the checkpoint; returns its global step."""
  reader = tf.train.load_checkpoint(path)
  for name in reader.get_variable_to_shape_map():
    reader.get_tensor(name)
  return int(reader.get_tensor('global_step'))


class CheckpointReader(threading.Thread):
  """Reads each new latest checkpoint of a directory as a trainer writes it."""

  def __init__(self, train_dir):
    super(CheckpointReader, self).__init__(daemon=True)
    self.train_dir, self.stop = train_dir, threading.Event()
    self.read, self.errors = [], []

  def run(self):
    last = None
    while not self.stop.is_set():
      path = tf.train.latest_checkpoint(self.train_dir)
      if path and path != last:
        try:
          step = read_whole_checkpoint(path)
          assert path.endswith('-%d' % step), (path, step)
          self.read.append(step)
        except Exception as error:  # pylint: disable=broad-except
          self.errors.append('%s: %r' % (path, error))
        last = path
      time.sleep(0.005)


def test_sigkilled_training_resumes_from_its_last_whole_checkpoint(tmp_path):
  train_dir = str(tmp_path / 'train')
  trainer = start_trainer(train_dir, 100000)
  reader = CheckpointReader(train_dir)
  reader.start()
  losses, output = {}, collections.deque(maxlen=40)
  try:
    for line in trainer.stderr:
      output.append(line)
      match = PROGRESS.search(line)
      if match:
        losses[int(match.group(1))] = float(match.group(2))
        if len(losses) >= 30:
          time.sleep(np.random.RandomState().uniform(0, 0.03))  # anywhere in a step or save
          break
  finally:
    trainer.send_signal(signal.SIGKILL)
    trainer.wait(timeout=60)
    trainer.stderr.close()
    reader.stop.set()
    reader.join(timeout=30)
  assert len(losses) >= 30, 'the trainer stopped early:\n' + ''.join(output)
  assert trainer.returncode == -signal.SIGKILL, ''.join(output)
  assert not reader.errors, reader.errors
  assert len(reader.read) >= 5, reader.read  # checkpoints read while it trained
  state = tf.train.get_checkpoint_state(train_dir)
  for path in state.all_model_checkpoint_paths:  # the state file names whole checkpoints
    read_whole_checkpoint(path)
  last_step = read_whole_checkpoint(tf.train.latest_checkpoint(train_dir))
  assert last_step >= 29

  resumed = fresh_python.run_python(TRAINER, train_dir, last_step + 5, timeout=300)
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert 'resuming from %s/model.ckpt-%d (global step %d)' % (train_dir, last_step,
                                                              last_step) in resumed.stderr
  resumed_losses = {int(step): float(loss) for step, loss in PROGRESS.findall(resumed.stderr)}
  assert sorted(resumed_losses) == list(range(last_step + 1, last_step + 6))
  # The loss goes on from where it was, far below the untrained loss (~2.3) that a
  # fresh start would give its first steps.
  before = np.mean([losses[s] for s in sorted(losses)[-5:]])  # the kill came after those
  after = np.mean(list(resumed_losses.values()))
  summary = ('killed after step %d; %d checkpoints read whole while it trained; loss: first '
             'step %.3f, last 5 read before the kill %.3f, first 5 resumed %.3f'
             % (last_step, len(reader.read), losses[1], before, after))
  print(summary)
  assert after < 0.5 * losses[1], summary
  assert read_whole_checkpoint(tf.train.latest_checkpoint(train_dir)) == last_step + 5
