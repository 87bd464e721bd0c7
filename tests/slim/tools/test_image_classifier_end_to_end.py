"""The training tools end to end, through their command lines: the README's LeNet
on the digits, fine-tuning into a 5-class head, two clones on two logical CPUs,
resuming after SIGKILL, and synchronous replicas with moving averages."""
import json
import os
import re
import signal
import subprocess
import time

import numpy as np
import pytest
import tensorflow as tf

from slim.tools import download_and_convert_data
from slim.tools import eval_image_classifier
from slim.tools import train_image_classifier
from tests.conftest import REPO
from tests.slim import event_files
from tests.slim import fresh_python
from tests.slim.tools import train_eval_setup as helpers


def _accuracy(stdout):
  values = re.findall(r'eval/Accuracy = ([0-9.]+)', stdout)
  assert values, stdout
  return float(values[-1])


def test_readme_lenet_on_digits_reaches_97_percent(digits_dir, tmp_path):
  train_dir, eval_dir = str(tmp_path / 'train'), str(tmp_path / 'eval')
  start = time.time()
  train = fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *helpers.README_TRAIN_FLAGS, '--dataset_dir=' + digits_dir,
      '--train_dir=' + train_dir, '--log_every_n_steps=100'))
  train_seconds = time.time() - start
  evaluation = fresh_python.check_ran(fresh_python.run_tool(
      'eval_image_classifier', *helpers.README_EVAL_FLAGS, '--dataset_dir=' + digits_dir,
      '--checkpoint_path=' + train_dir, '--eval_dir=' + eval_dir))
  accuracy = _accuracy(evaluation.stdout)
  lines = helpers.progress_lines(train.stderr)
  rates = [float(x) for x in re.findall(r'([0-9.]+) examples/sec', '\n'.join(lines))]
  print('README job: eval/Accuracy %.4f; training %.1f s wall (process), %.0f examples/s '
        '(last interval), %.0f examples/s (mean of intervals)'
        % (accuracy, train_seconds, rates[-1], np.mean(rates)))
  assert accuracy >= 0.97

  # Progress lines every 100 steps with examples/sec and the ETA.
  assert [int(re.search(r'global step (\d+)/300', line).group(1)) for line in lines] == [
      100, 200, 300]
  assert all(re.search(r'steps/sec, \d+ examples/sec, ETA \d+:\d\d:\d\d\)$', line)
             for line in lines), lines
  # Checkpoints, the resolved flags, and the summaries.
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-300')
  with open(os.path.join(train_dir, 'flags.json')) as f:
    saved = json.load(f)
  assert saved['optimizer'] == 'sgd' and saved['max_number_of_steps'] == 300
  assert saved['dataset_dir'] == digits_dir and saved['num_clones'] == 1
  assert set(saved) == {flag.name for _, flags in train_image_classifier.FLAGS for flag in flags}
  # The run log: the run, then a step line per progress line, then the evaluation.
  with open(os.path.join(train_dir, 'run_log.jsonl')) as f:
    records = [json.loads(line) for line in f]
  assert records[0]['event'] == 'run' and records[0]['flags'] == saved
  steps = [record for record in records if record['event'] == 'step']
  assert [record['global_step'] for record in steps] == [100, 200, 300]
  assert all(record['learning_rate'] == pytest.approx(0.02) and record['loss'] > 0 and
             record['examples_per_sec'] > 0 for record in steps), steps
  assert [(record['global_step'], record['metrics']['eval/Accuracy'])
          for record in records if record['event'] == 'eval'] == [(300, pytest.approx(accuracy,
                                                                                   abs=1e-4))]
  events = event_files.summaries_by_tag(train_dir)
  assert events['learning_rate'][0] == pytest.approx(0.02)
  for tag in ('total_loss', 'sparsity/conv1', 'sparsity/Logits',
              'losses/softmax_cross_entropy_loss/value'):
    assert isinstance(events[tag][0], float), tag
  # model_deploy's tag for the loss of a single clone (a name taken: research/slim's too).
  assert isinstance(events['clone_loss_1'][0], float)
  assert events['clone_loss/clone_0'][0] == pytest.approx(events['total_loss'][0])  # no decay
  assert events['activations/fc3'][0] == 'histo' and events['LeNet/fc4/weights'][0] == 'histo'
  assert events['images/image/0'][0] == 'image'
  # The evaluation summaries, at the checkpoint's step, hold the printed values.
  eval_events = event_files.summaries_by_tag(eval_dir)
  assert eval_events['eval/Accuracy'] == {300: pytest.approx(accuracy, abs=1e-4)}
  assert eval_events['eval/Recall_5'][300] >= accuracy


def test_fine_tune_into_a_five_class_head(digits_dir, tmp_path):
  base_dir, tuned_dir = str(tmp_path / 'base'), str(tmp_path / 'tuned')
  fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *helpers.SHORT_TRAIN_FLAGS, '--dataset_dir=' + digits_dir,
      '--train_dir=' + base_dir, '--batch_size=32', '--max_number_of_steps=80'))
  helpers.write_digit_folders(str(tmp_path / 'images'), classes=range(5), per_class=60)
  folder_dir = str(tmp_path / 'folder')
  download_and_convert_data.main(['--dataset_name=image_folder', '--dataset_dir=' + folder_dir,
                                  '--images_dir=' + str(tmp_path / 'images'),
                                  '--num_validation=100'])

  tune = fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', '--dataset_name=image_folder', '--dataset_dir=' + folder_dir,
      '--model_name=lenet', '--use_grayscale', '--train_dir=' + tuned_dir,
      '--checkpoint_path=' + base_dir, '--checkpoint_exclude_scopes=LeNet/fc4',
      '--trainable_scopes=LeNet/fc4', '--optimizer=sgd', '--learning_rate=0.05',
      '--learning_rate_decay_type=fixed', '--batch_size=20', '--max_number_of_steps=40'))
  assert 'Fine-tuning from %s/model.ckpt-80' % base_dir in tune.stderr
  tuned = tf.train.latest_checkpoint(tuned_dir)
  assert tuned.endswith('model.ckpt-40')
  base = tf.train.latest_checkpoint(base_dir)
  # Every network variable below the head restored and frozen; a new 5-class head, trained.
  network = sorted(name for name, _ in tf.train.list_variables(tuned)
                   if name.startswith('LeNet/'))
  assert network == ['LeNet/conv1/biases', 'LeNet/conv1/weights', 'LeNet/conv2/biases',
                     'LeNet/conv2/weights', 'LeNet/fc3/biases', 'LeNet/fc3/weights',
                     'LeNet/fc4/biases', 'LeNet/fc4/weights']
  for name in network[:6]:
    np.testing.assert_array_equal(helpers.checkpoint_value(tuned, name),
                                  helpers.checkpoint_value(base, name), err_msg=name)
  assert helpers.checkpoint_value(tuned, 'LeNet/fc4/weights').shape == (1024, 5)
  assert helpers.checkpoint_value(tuned, 'LeNet/fc4/biases').any()  # initialized to zeros

  # Every new checkpoint evaluated (here the one there is), on the 5 classes.
  evaluation = fresh_python.check_ran(fresh_python.run_tool(
      'eval_image_classifier', '--dataset_name=image_folder', '--dataset_dir=' + folder_dir,
      '--dataset_split_name=validation', '--model_name=lenet', '--use_grayscale',
      '--checkpoint_path=' + tuned_dir, '--eval_dir=' + str(tmp_path / 'eval'),
      '--eval_interval_secs=0', '--max_num_evaluations=1', '--timeout=60'))
  accuracy = _accuracy(evaluation.stdout)
  print('fine-tuned 5-class head: eval/Accuracy %.4f on 100 validation images' % accuracy)
  assert 'global step 40: eval/Accuracy' in evaluation.stdout
  assert accuracy >= 0.6  # chance: 0.2


def test_two_clones_on_two_logical_cpus(digits_dir, tmp_path):
  train_dir = str(tmp_path / 'train')
  result = fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *helpers.SHORT_TRAIN_FLAGS, '--dataset_dir=' + digits_dir,
      '--train_dir=' + train_dir, '--num_clones=2', '--clone_on_cpu', '--batch_size=32',
      '--max_number_of_steps=10', '--log_every_n_steps=5'))
  assert 'Clones on the CPU, split into 2 logical devices' in result.stderr
  assert [re.search(r'global step (\d+/\d+)', line).group(1)
          for line in helpers.progress_lines(result.stderr)] == ['5/10', '10/10']
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-10')
  graph_def = tf.compat.v1.GraphDef()
  with open(os.path.join(train_dir, 'graph.pbtxt')) as f:
    from google.protobuf import text_format  # pylint: disable=import-outside-toplevel
    text_format.Parse(f.read(), graph_def)
  devices = {node.name: node.device for node in graph_def.node}
  assert devices['clone_0/LeNet/conv1/Conv2D'] == '/device:CPU:0'
  assert devices['clone_1/LeNet/conv1/Conv2D'] == '/device:CPU:1'
  events = event_files.summaries_by_tag(train_dir)
  assert {'total_loss', 'losses/clone_0/softmax_cross_entropy_loss/value'} <= set(events)
  # model_deploy tags the first clone's loss 'clone_0/clone_0//clone_loss'.
  assert [tag for tag in events if tag.endswith('/clone_loss')]


def test_sigkilled_training_resumes_at_its_global_step(digits_dir, tmp_path):
  train_dir = str(tmp_path / 'train')
  flags = list(helpers.SHORT_TRAIN_FLAGS) + ['--dataset_dir=' + digits_dir,
                                             '--train_dir=' + train_dir, '--batch_size=16',
                                             '--log_every_n_steps=1']
  process = subprocess.Popen(
      fresh_python.tool_command('train_image_classifier', *flags, '--save_interval_secs=1'),
      cwd=REPO, env=fresh_python.environment(), stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
      latest = tf.train.latest_checkpoint(train_dir)
      if latest and int(latest.rsplit('-', 1)[1]) >= 5:
        break
      time.sleep(0.2)
  finally:
    process.send_signal(signal.SIGKILL)
    process.wait()
  assert process.returncode == -signal.SIGKILL
  killed_at = int(tf.train.latest_checkpoint(train_dir).rsplit('-', 1)[1])
  assert killed_at >= 5

  result = fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *flags, '--max_number_of_steps=%d' % (killed_at + 5)))
  steps = [int(re.search(r'global step (\d+)/', line).group(1))
           for line in helpers.progress_lines(result.stderr)]
  print('killed after checkpoint %d; resumed at global step %d' % (killed_at, steps[0]))
  assert steps == list(range(killed_at + 1, killed_at + 6))
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-%d' % (killed_at + 5))


def test_sync_replicas_and_moving_averages_in_process(digits_dir, tmp_path):
  train_dir = str(tmp_path / 'train')
  train_image_classifier.main(helpers.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=' + digits_dir, '--train_dir=' + train_dir, '--batch_size=8',
      '--max_number_of_steps=4', '--sync_replicas', '--moving_average_decay=0.5',
      '--learning_rate_decay_type=exponential', '--num_epochs_per_decay=0.01'])
  checkpoint = tf.train.latest_checkpoint(train_dir)
  assert checkpoint.endswith('model.ckpt-4')
  average = helpers.checkpoint_value(checkpoint, 'LeNet/fc4/weights/ExponentialMovingAverage')
  assert not np.array_equal(average, helpers.checkpoint_value(checkpoint, 'LeNet/fc4/weights'))

  common = ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
            '--checkpoint_path=' + checkpoint, '--batch_size=100', '--max_num_batches=1']
  plain = eval_image_classifier.main(common + ['--eval_dir=' + str(tmp_path / 'plain')])
  averaged = eval_image_classifier.main(common + ['--moving_average_decay=0.5',
                                                  '--eval_dir=' + str(tmp_path / 'averaged')])
  assert plain[0]['global_step'] == averaged[0]['global_step'] == 4
  assert set(plain[0]) == {'global_step', 'eval/Accuracy', 'eval/Recall_5'}
  assert 0 <= plain[0]['eval/Accuracy'] <= plain[0]['eval/Recall_5'] <= 1


def test_training_exports_a_saved_model_at_the_end(digits_dir, tmp_path):
  serving_dir = str(tmp_path / 'serving')
  train_image_classifier.main(helpers.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=' + digits_dir, '--train_dir=' + str(tmp_path / 'train'),
      '--batch_size=16', '--max_number_of_steps=5', '--export_saved_model_dir=' + serving_dir])
  model = tf.saved_model.load(serving_dir)
  assert sorted(model.signatures) == ['serving_default', 'serving_encoded']
  outputs = model.signatures['serving_default'](images=tf.zeros([2, 28, 28, 1]))
  assert sorted(outputs) == ['class_names', 'classes', 'logits', 'probabilities']
  names = dict(line.split(':') for line in open(os.path.join(digits_dir, 'labels.txt')).read()
               .split())
  assert [name.decode() for name in outputs['class_names'].numpy()] == [
      names[str(label)] for label in outputs['classes'].numpy()]
