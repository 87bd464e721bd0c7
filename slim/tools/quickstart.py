r"""The README's main job: research/slim's whole workflow on the offline digits.

    python -m slim.tools.quickstart [--workdir=/tmp/slim_quickstart] [--max_number_of_steps=300]

Runs the command-line tools as a user types them, one process each, and prints
each command, its output and its result:
  1. download_and_convert_data: scikit-learn's digits to TFRecord (no download);
  2. train_image_classifier: LeNet on the train split with research/slim's
     MNIST recipe (scripts/train_lenet_on_mnist.sh: plain SGD at a fixed rate, no
     weight decay), fewer steps;
  3. eval_image_classifier: eval/Accuracy and eval/Recall_5 on the test split;
  4. export_inference_graph: a SavedModel for serving, with a signature that takes
     encoded images;
  5. classify_images: a fresh process reloads the SavedModel and classifies a few
     test images written as PNG files.
Everything goes under --workdir; its earlier contents from a run are replaced.
The summary ends with the command that shows the run's summaries in TensorBoard.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from slim.tools import _cli

# The folder holding the package `slim` (a checkout or site-packages).
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SAMPLE_NAME = re.compile(r'digit_(\d+)_label_(\d+)\.png$')
PROG = 'quickstart'

# The flags of the job (tests/slim/tools checks the accuracy they reach). The digits
# are 1-channel images: the network takes them as they are, and the export reads the
# channels in the checkpoint.
NETWORK_FLAGS = [('dataset_name', 'digits'), ('model_name', 'lenet')]
TRAIN_FLAGS = NETWORK_FLAGS + [
    ('dataset_split_name', 'train'), ('optimizer', 'sgd'), ('learning_rate', 0.02),
    ('learning_rate_decay_type', 'fixed'), ('weight_decay', 0), ('batch_size', 50),
    ('max_number_of_steps', 300)]
EVAL_FLAGS = NETWORK_FLAGS + [('dataset_split_name', 'test')]


def _command(tool):
  """The console command of `tool` beside this Python, else `python -m slim.tools.tool`."""
  installed = os.path.join(os.path.dirname(sys.executable), tool)
  if os.path.exists(installed):
    return [installed]
  return [sys.executable, '-m', 'slim.tools.' + tool]


def _run(number, title, tool, flags, positional=()):
  """Runs one tool, echoing its output indented; returns (its output lines, seconds)."""
  arguments = ['--%s=%s' % item for item in flags] + list(positional)
  print('\n== %d. %s\n$ %s' % (number, title, ' '.join(shlex.quote(arg)
                                                      for arg in [tool] + arguments)),
        flush=True)
  env = dict(os.environ)
  env['PYTHONPATH'] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get('PYTHONPATH')]))
  start = time.time()
  process = subprocess.Popen(_command(tool) + arguments, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True)
  lines = []
  for line in process.stdout:
    lines.append(line.rstrip('\n'))
    print('   ' + lines[-1], flush=True)
  if process.wait():
    sys.exit('quickstart: step %d (%s) failed with exit status %d'
             % (number, tool, process.returncode))
  return lines, time.time() - start


def _last_number(lines, pattern):
  """The number the regex `pattern` captures in the last line it matches, or None."""
  pattern = re.compile(pattern)
  for line in reversed(lines):
    found = pattern.search(line)
    if found:
      return float(found.group(1))
  return None


def write_samples(dataset_dir, sample_dir, count):
  """Writes the first `count` test images as PNG files named by index and label."""
  tf = _cli.import_tensorflow()
  features = {'image/encoded': tf.io.FixedLenFeature([], tf.string),
              'image/class/label': tf.io.FixedLenFeature([], tf.int64)}
  files = sorted(tf.io.gfile.glob(os.path.join(dataset_dir, 'digits_test_*.tfrecord')))
  os.makedirs(sample_dir, exist_ok=True)
  paths = []
  for index, record in enumerate(tf.data.TFRecordDataset(files).take(count)):
    example = tf.io.parse_single_example(record, features)
    path = os.path.join(sample_dir, 'digit_%d_label_%d.png'
                        % (index, int(example['image/class/label'])))
    tf.io.write_file(path, example['image/encoded'])
    paths.append(path)
  return paths


FLAGS = [('quickstart', [
    _cli.Flag('workdir', '/tmp/slim_quickstart', str,
              'where the data, checkpoints and exports go'),
    _cli.Flag('max_number_of_steps', dict(TRAIN_FLAGS)['max_number_of_steps'], int,
              'training steps'),
    _cli.Flag('batch_size', dict(TRAIN_FLAGS)['batch_size'], int, 'training batch size'),
    _cli.Flag('num_samples', 8, int, 'test images classified by the reloaded SavedModel'),
])]


def _tensorboard_command(workdir):
  """The command that shows `workdir`'s runs (train, eval), and how to get it."""
  installed = os.path.join(os.path.dirname(sys.executable), 'tensorboard')
  command = 'tensorboard --logdir %s' % shlex.quote(workdir)
  if os.path.exists(installed) or shutil.which('tensorboard'):
    return command
  return "%s   (after: pip install tensorboard, or 'slim-tf[cpu]')" % command


def check_flags(flags):
  """Raises FlagError for a count below one."""
  _cli.check_at_least(vars(flags), 1, ['max_number_of_steps', 'batch_size', 'num_samples'])


def main(argv=None):
  """Runs the job with the flags of `argv` (default: the command line); returns its
  results."""
  args = _cli.parse_flags(PROG, __doc__, FLAGS, check_flags, argv)
  workdir = os.path.abspath(args.workdir)
  dataset_dir, train_dir, eval_dir, serving_dir, sample_dir = (
      os.path.join(workdir, name) for name in ('digits', 'train', 'eval', 'lenet_serving',
                                                'samples'))
  for path in (train_dir, eval_dir, serving_dir, sample_dir):
    shutil.rmtree(path, ignore_errors=True)  # a fresh run, not a resumed one
  data = [('dataset_dir', dataset_dir)]
  checkpoint = [('checkpoint_path', train_dir)]
  train_flags = dict(TRAIN_FLAGS, max_number_of_steps=args.max_number_of_steps,
                     batch_size=args.batch_size)
  started = time.time()
  timings = {}

  _, timings['convert'] = _run(1, 'convert the digits to TFRecord', 'download_and_convert_data',
                               [('dataset_name', 'digits')] + data)
  train_lines, timings['train'] = _run(2, 'train LeNet', 'train_image_classifier', [
      ('train_dir', train_dir)] + data + list(train_flags.items()) + [
          ('log_every_n_steps', 50), ('save_interval_secs', 60), ('save_summaries_secs', 60)])
  eval_lines, timings['eval'] = _run(3, 'evaluate on the test split', 'eval_image_classifier',
                                     checkpoint + [('eval_dir', eval_dir)] + data + EVAL_FLAGS)
  _, timings['export'] = _run(4, 'export a SavedModel', 'export_inference_graph',
                              NETWORK_FLAGS + data + checkpoint + [
                                  ('saved_model_dir', serving_dir),
                                  ('add_encoded_image_signature', 'true')])
  samples = write_samples(dataset_dir, sample_dir, args.num_samples)
  classify_lines, timings['classify'] = _run(
      5, 'reload it in a fresh process and classify %d test images' % len(samples),
      'classify_images', [('saved_model_dir', serving_dir), ('top_k', 2)], samples)

  right = 0
  for line in classify_lines:
    name = _SAMPLE_NAME.search(line.split(':')[0])
    predicted = re.search(r':\s*(?:class )?(\d+)[: ]', line)  # '8:eight (0.99)' or 'class 8'
    if name and predicted:
      right += int(name.group(2) == predicted.group(1))
  number = r'([0-9]+(?:\.[0-9]+)?)'
  accuracy = _last_number(eval_lines, r'eval/Accuracy = ' + number)
  recall = _last_number(eval_lines, r'eval/Recall_5 = ' + number)
  rate = _last_number(train_lines, number + r' examples/sec')
  examples = args.max_number_of_steps * args.batch_size
  print('\n== Summary (%s)' % workdir)
  print('trained LeNet: %d steps of %d images in %.1f s, %.0f examples/s in the last steps, '
        '%.0f examples/s with start-up' % (args.max_number_of_steps, args.batch_size,
                                           timings['train'], rate or 0,
                                           examples / timings['train']))
  print('eval on the test split: eval/Accuracy %s, eval/Recall_5 %s' % (accuracy, recall))
  print('SavedModel %s reloaded in a fresh process: %d of %d test images right'
        % (serving_dir, right, len(samples)))
  print('step times: %s; total %.1f s' % (
      ', '.join('%s %.1f s' % item for item in timings.items()), time.time() - started))
  print('TensorBoard (the training and evaluation summaries): %s' % _tensorboard_command(workdir))
  return {'accuracy': accuracy, 'recall_5': recall, 'samples_right': right,
          'samples': len(samples), 'seconds': timings}


def console_main(argv=None):
  """The quickstart command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
