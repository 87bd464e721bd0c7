"""What the tests of the training tools share: running the commands, the digits,
the README's training flags, and reading event files."""
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from slim.tools import quickstart
from tests.conftest import REPO

# The README's main job (scripts/quickstart.py): LeNet on the digits.
README_TRAIN_FLAGS = ['--%s=%s' % flag for flag in quickstart.TRAIN_FLAGS]
README_EVAL_FLAGS = ['--%s=%s' % flag for flag in quickstart.EVAL_FLAGS]

# Short LeNet runs on the digits for the tests that do not need accuracy.
SHORT_TRAIN_FLAGS = ['--dataset_name=digits', '--model_name=lenet', '--optimizer=sgd',
                     '--learning_rate=0.01', '--learning_rate_decay_type=fixed',
                     '--weight_decay=0', '--num_readers=1', '--num_preprocessing_threads=1']


def environment():
  return dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL='2')


def command(tool, *args):
  """The command line of `python -m slim.tools.<tool> args...`."""
  return [sys.executable, '-m', 'slim.tools.' + tool] + [str(arg) for arg in args]


def run_tool(tool, *args, timeout=300):
  """Runs a tool as a user types it; returns the `CompletedProcess` (text output)."""
  return subprocess.run(command(tool, *args), capture_output=True, text=True, timeout=timeout,
                        cwd=REPO, env=environment())


def check_ran(result):
  """Asserts a zero exit status, showing the end of the output otherwise."""
  assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-5000:])
  return result


def progress_lines(text):
  return [line for line in text.splitlines() if 'global step' in line and 'loss =' in line]


def write_digit_folders(images_dir, classes, per_class):
  """PNG files of the first `per_class` training digits of each class in `classes`,
  one sub-folder per class ('digit_<d>')."""
  from PIL import Image  # pylint: disable=import-outside-toplevel
  from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
  images, labels = download_and_convert_digits.load_splits()['train']
  for digit in classes:
    folder = os.path.join(images_dir, 'digit_%d' % digit)
    os.makedirs(folder)
    for i, index in enumerate(np.flatnonzero(labels == digit)[:per_class]):
      Image.fromarray(images[index, :, :, 0]).save(os.path.join(folder, '%d.png' % i))


def read_events(logdir):
  """{tag: {step: value}} of the summaries in `logdir`: the simple value of scalars,
  the kind ('histo', 'image') of the others."""
  events = {}
  for name in tf.io.gfile.listdir(logdir):
    if 'tfevents' not in name:
      continue
    for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
      for value in event.summary.value:
        kind = value.WhichOneof('value')
        events.setdefault(value.tag, {})[event.step] = (
            value.simple_value if kind == 'simple_value' else kind)
  return events


def checkpoint_value(path, name):
  return tf.train.load_checkpoint(path).get_tensor(name)
