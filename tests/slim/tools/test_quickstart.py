"""The README's main job, shortened: every step runs and the summary states its results."""
import os
import re
import subprocess

from tests.conftest import REPO
from tests.slim import fresh_python


def test_quickstart_runs_the_whole_story(tmp_path):
  workdir = str(tmp_path / 'job')
  os.makedirs(os.path.join(workdir, 'train'))
  stale = os.path.join(workdir, 'train', 'checkpoint')
  open(stale, 'w').close()  # an earlier run's checkpoint must not be resumed
  env = fresh_python.environment()
  del env['TF_CPP_MIN_LOG_LEVEL']  # the tools hide TensorFlow's C++ lines by themselves
  command = fresh_python.tool_command('quickstart', '--workdir=' + workdir,
                                      '--max_number_of_steps=40', '--num_samples=3')
  done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                        timeout=600)
  assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
  out = done.stdout
  titles = re.findall(r'^== (\d)\. ', out, re.M)
  assert titles == ['1', '2', '3', '4', '5']
  for command in ('download_and_convert_data', 'train_image_classifier', 'eval_image_classifier',
                  'export_inference_graph', 'classify_images'):
    assert re.search(r'^\$ %s --' % command, out, re.M), command
  assert 'global step 40/40' in out
  summary = out[out.index('== Summary'):]
  assert re.search(r'trained LeNet: 40 steps of 50 images in [0-9.]+ s, [0-9]+ examples/s', summary)
  accuracy = float(re.search(r'eval/Accuracy ([0-9.]+)', summary).group(1))
  assert 0.0 < accuracy <= 1.0
  assert re.search(r'reloaded in a fresh process: [0-3] of 3 test images right', summary)
  samples = os.listdir(os.path.join(workdir, 'samples'))
  assert len(samples) == 3 and all(re.match(r'digit_\d_label_\d\.png$', name) for name in samples)
  assert os.path.exists(os.path.join(workdir, 'lenet_serving', 'saved_model.pb'))
  assert re.search(r'^TensorBoard .*: tensorboard --logdir %s' % re.escape(workdir), summary,
                   re.M)
  # No line of TensorFlow's C++ runtime (oneDNN, CUDA probing, cpu_feature_guard).
  assert not re.search(r'^ *([IWEF]\d{4} |WARNING: All log messages before absl|'
                       r'To enable the following instructions)', out + done.stderr, re.M), (
                           out + done.stderr)


def test_quickstart_refuses_a_step_count_below_one():
  done = fresh_python.run_tool('quickstart', '--max_number_of_steps=0', timeout=60)
  assert done.returncode == 2
  assert done.stderr.strip() == ('quickstart: error: --max_number_of_steps must be at least 1, '
                                 'received 0 (see --help)')
