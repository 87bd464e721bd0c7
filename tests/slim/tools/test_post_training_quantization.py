"""post_training_quantization on a LeNet trained briefly on the digits TFRecords: int8 and
float16 files written with the accuracy they keep, research/slim's flag spellings and
path (nets/post_training_quantization.py), flag errors, nothing half-written on failure."""
import contextlib
import io
import os
import re
import shutil
import sys

import numpy as np
import pytest
import tensorflow as tf

from slim.datasets import download_and_convert_digits
from slim.preprocessing import preprocessing_factory
from slim.tools import post_training_quantization
from slim.tools import quantize_lib
from tests.conftest import REPO
from tests.slim import fresh_python
from tests.slim.tools import export_setup

TRAIN_STEPS = 60
PROG = post_training_quantization.PROG
TOP1 = re.compile(r'^  (float|float16|int8) +([0-9.]+)', re.M)


def run_tool(argv):
  """Runs the tool in this process: (exit status, stdout, stderr)."""
  out, err = io.StringIO(), io.StringIO()
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
      status = post_training_quantization.console_main(argv)
    except SystemExit as exit_:  # --help
      status = exit_.code
  return status, out.getvalue(), err.getvalue()


def _train_lenet(prefix, extra_variables=None):
  """LeNet (1 channel) trained a few Adam steps on the preprocessed digits; saved by name
  as a TF-Slim checkpoint (with `extra_variables(model)`: {name: value} saved too)."""
  images, labels = download_and_convert_digits.load_splits()['train']
  preprocess = preprocessing_factory.get_preprocessing('lenet')
  images = next(iter(tf.data.Dataset.from_tensor_slices(images).map(
      lambda image: preprocess(image, 28, 28)).batch(len(images)))).numpy()
  model = export_setup.trained_lenet(images, labels, TRAIN_STEPS, 2e-3, 32)
  variables = dict(model.variables_by_name)
  if extra_variables:
    variables.update({name: tf.Variable(value) for name, value in
                      extra_variables(model).items()})
  return tf.compat.v1.train.Saver(variables).save(None, prefix)


@pytest.fixture(scope='module')
def lenet(tmp_path_factory):
  root = tmp_path_factory.mktemp('ptq')
  _train_lenet(str(root / 'train' / 'model.ckpt'))
  return {'train': str(root / 'train')}


def _flags(digits_dir, train, output, *extra):
  return ['--model_name=lenet', '--dataset_name=digits', '--dataset_dir=' + digits_dir,
          '--checkpoint_path=' + train, '--output_tflite=' + str(output)] + list(extra)


def _top1(stdout):
  return {name: float(value) for name, value in TOP1.findall(stdout)}


def _signature(path):
  interpreter, _ = quantize_lib.load_interpreter(str(path))
  runner = interpreter.get_signature_runner('serving_default')
  return ({name: np.dtype(d['dtype']).name for name, d in runner.get_input_details().items()},
          {name: np.dtype(d['dtype']).name for name, d in runner.get_output_details().items()})


def test_int8_and_float16_report_accuracy_close_to_float(digits_dir, lenet, tmp_path):
  """research/slim's flag spellings for int8; float16 with ours."""
  int8_file = tmp_path / 'out' / 'lenet_int8.tflite'
  status, stdout, stderr = run_tool(_flags(
      digits_dir, lenet['train'], int8_file, '--dataset_split=train', '--num_steps=40',
      '--use_model_specific_preprocessing', '--enable_ema', '--max_eval_examples=120'))
  assert status == 0, stderr
  top1 = _top1(stdout)
  assert set(top1) == {'float', 'int8'}, stdout
  assert top1['float'] > 0.8 and abs(top1['int8'] - top1['float']) <= 0.03, stdout
  assert 'calibrated on 40 images of digits/train' in stdout
  assert 'calibration: 40 images' in stdout and 'evaluation: 120 images' in stdout
  assert 'top-1 accuracy on 120 images of digits/test (LiteRT' in stdout
  assert 'same class to all' not in stdout
  inputs, outputs = _signature(int8_file)
  assert inputs == {'images': 'int8'}  # research/slim's int8 input and outputs
  assert outputs['logits'] == outputs['probabilities'] == 'int8'
  assert outputs['classes'] == 'int64'
  assert (tmp_path / 'out' / 'lenet_int8.labels.txt').read_text() == (
      open(os.path.join(digits_dir, 'labels.txt')).read())

  fp16_file = tmp_path / 'out' / 'lenet_fp16.tflite'
  status, stdout, stderr = run_tool(_flags(
      digits_dir, lenet['train'], fp16_file, '--quantize=float16', '--dataset_split_name=train',
      '--eval_split_name=test', '--max_eval_examples=60', '--num_threads=1'))
  assert status == 0, stderr
  top1 = _top1(stdout)
  assert set(top1) == {'float', 'float16'} and abs(top1['float16'] - top1['float']) <= 0.02
  assert _signature(fp16_file)[0] == {'images': 'float32'}
  assert os.path.getsize(int8_file) < os.path.getsize(fp16_file) * 0.6
  assert sorted(os.listdir(tmp_path / 'out')) == [
      'lenet_fp16.labels.txt', 'lenet_fp16.tflite', 'lenet_int8.labels.txt',
      'lenet_int8.tflite']


@pytest.mark.parametrize('flag, message', [
    ('--model_name=lenett', "--model_name: Unknown network 'lenett'. Did you mean 'lenet'?"),
    ('--model_name=cifarnet', 'is it a checkpoint of --model_name=cifarnet?'),
    ('--quantize=int4', '--quantize=int4: expected one of int8, float16, float'),
    ('--checkpoint_path={tmp}/nowhere', '--checkpoint_path={tmp}/nowhere is not a checkpoint'),
    ('--image_size=32', 'LeNet/fc3/weights has shape'),
    ('--num_classes=1001', '--num_classes=1001: dataset digits has 10 classes'),
    ('--dataset_split=validation', '--dataset_split=validation: dataset digits in'),
    ('--eval_split_name=validation', '--eval_split_name=validation: dataset digits in'),
    ('--quantize=float16 --inference_input_type=int8',
     '--inference_input_type=int8 needs --quantize=int8'),
    ('--num_steps=0', '--num_steps must be at least 1'),
    ('--output_tflite={tmp}/model.pb', 'give a file name ending in .tflite'),
    ('--dataset_name=flower', "Unknown dataset 'flower'"),
    ('--model_name=i3d', '--model_name=i3d is a video network (clips of 64 frames)'),
])
def test_flag_errors_are_one_line_with_status_2(digits_dir, lenet, tmp_path, flag, message):
  output = tmp_path / 'out' / 'model.tflite'
  extra = [part.format(tmp=tmp_path) for part in flag.split()]
  status, stdout, stderr = run_tool(_flags(digits_dir, lenet['train'], output, *extra))
  assert status == 2, (stdout, stderr)
  last = stderr.strip().splitlines()[-1]
  assert last.startswith(PROG + ': error: ') and message.format(tmp=tmp_path) in last, stderr
  assert 'Traceback' not in stderr
  assert not (tmp_path / 'out').exists() or not os.listdir(tmp_path / 'out')


def test_accuracy_drop_fails_and_writes_nothing(digits_dir, lenet, tmp_path, monkeypatch):
  evaluate = quantize_lib.evaluate

  def worse(classifiers, examples, *args):
    results = evaluate(classifiers, examples, *args)
    return dict(results, int8=results['int8']._replace(accuracy=results['float'].accuracy - 0.2))

  monkeypatch.setattr(quantize_lib, 'evaluate', worse)
  out = tmp_path / 'out'
  out.mkdir()
  status, _, stderr = run_tool(_flags(digits_dir, lenet['train'], out / 'lenet.tflite',
                                      '--num_steps=10', '--max_eval_examples=20',
                                      '--max_accuracy_drop=0.1'))
  assert status == 1, stderr
  last = stderr.strip().splitlines()[-1]
  assert '20.00 points below the float model' in last and '--max_accuracy_drop=0.1' in last
  assert 'no file written' in last and 'Traceback' not in stderr
  assert os.listdir(out) == []


class _FixedClassifier(object):
  """A stand-in for TfliteClassifier: the class is `answer(image)`."""

  def __init__(self, answer):
    self.answer, self.seconds, self.count = answer, 0.0, 0

  def classify(self, image):
    return self.answer(image)


def test_evaluate_counts_the_classes_each_model_gives():
  examples = lambda: iter([(np.full([2, 2, 1], i, np.float32), i % 3) for i in range(6)])
  results = quantize_lib.evaluate({'float': _FixedClassifier(lambda image: 2),
                                   'int8': _FixedClassifier(lambda image: int(image[0, 0, 0]) % 3)},
                                  examples)
  assert results['float'].classes_given == 1 and results['float'].accuracy == 2 / 6
  assert results['int8'].classes_given == 3 and results['int8'].accuracy == 1.0
  assert results['int8'].agreement == 2 / 6


def test_one_class_for_every_image_is_warned(digits_dir, lenet, tmp_path, monkeypatch):
  """A collapsed float model (e.g. batch-norm moving averages still near their initial
  values after a short training) is named, not only its chance-level accuracy."""
  monkeypatch.setattr(quantize_lib.TfliteClassifier, 'classify', lambda self, image: 3)
  status, stdout, stderr = run_tool(_flags(digits_dir, lenet['train'], tmp_path / 'f.tflite',
                                           '--quantize=float', '--max_eval_examples=20'))
  assert status == 0, stderr
  assert 'warning: the float model gives the same class to all 20 images' in stdout
  assert 'moving averages still hold their initial values' in stdout


@pytest.mark.slow
def test_unreadable_eval_records_fail_and_write_nothing(digits_dir, lenet, tmp_path):
  data = tmp_path / 'digits'
  shutil.copytree(digits_dir, data)
  for name in os.listdir(data):
    if name.startswith('digits_test_'):
      (data / name).write_bytes(b'not a TFRecord at all' * 10)
  out = tmp_path / 'out'
  status, _, stderr = run_tool(_flags(str(data), lenet['train'], out / 'lenet.tflite',
                                      '--num_steps=10', '--max_eval_examples=20'))
  assert status == 1, stderr
  assert stderr.strip().splitlines()[-1].startswith(PROG + ': error: ')
  assert 'Traceback' not in stderr
  assert not out.exists() or os.listdir(out) == []


@pytest.mark.parametrize('script', ['nets', 'scripts'])
def test_checkout_paths_answer_help(script, tmp_path):
  """`python nets/post_training_quantization.py` (research/slim's path) and
  `python scripts/post_training_quantization.py`, from any directory."""
  path = os.path.join(REPO, script, 'post_training_quantization.py')
  done = fresh_python.run([sys.executable, path, '--help'])
  assert done.returncode == 0, done.stderr[-2000:]
  assert done.stdout.startswith('usage: post_training_quantization')
  for flag in ('--model_name', '--checkpoint_path', '--dataset_split:', '--num_steps',
               '--output_tflite', '--[no]use_model_specific_preprocessing', '--[no]enable_ema',
               '--image_size', '--num_classes', '--quantize', '--max_accuracy_drop'):
    assert flag in done.stdout, flag


def test_research_slim_preprocessing_is_a_padded_central_crop_to_minus_one_one():
  image = tf.constant(np.arange(64 * 48 * 3).reshape(64, 48, 3) % 256, tf.uint8)
  out = quantize_lib.research_slim_preprocessing(image, 24, 24)
  assert out.shape == (24, 24, 3)
  assert out.dtype == tf.float32
  gray = quantize_lib.research_slim_preprocessing(image, 24, 24, use_grayscale=True)
  assert gray.shape == (24, 24, 1)
  flat = quantize_lib.research_slim_preprocessing(tf.fill([40, 40, 3], tf.constant(255, tf.uint8)),
                                                  8, 8)
  np.testing.assert_allclose(flat.numpy(), 1.0, atol=1e-5)


@pytest.mark.slow
def test_research_slim_command_line_from_a_checkout(digits_dir, lenet, tmp_path):
  """research/slim's path and flags, in a fresh process, uint8 input and float outputs."""
  output = tmp_path / 'lenet_uint8.tflite'
  done = fresh_python.run([
      sys.executable, os.path.join(REPO, 'nets', 'post_training_quantization.py'),
      '--model_name=lenet', '--checkpoint_path=' + lenet['train'], '--dataset_name=digits',
      '--dataset_dir=' + digits_dir, '--dataset_split=train', '--output_tflite=' + str(output),
      '--num_steps=100', '--noenable_ema', '--inference_input_type=uint8',
      '--inference_output_type=float32'], timeout=600)
  assert done.returncode == 0, done.stderr[-3000:]
  top1 = _top1(done.stdout)
  assert abs(top1['int8'] - top1['float']) <= 0.03, done.stdout
  inputs, outputs = _signature(output)
  assert inputs == {'images': 'uint8'} and outputs['logits'] == 'float32'


@pytest.mark.slow
def test_moving_averages_are_used_where_the_checkpoint_has_them(digits_dir, tmp_path):
  """A checkpoint whose variables are noise and whose moving averages are the trained
  values: --enable_ema (the default) quantizes the averages."""
  rng = np.random.RandomState(0)

  def averages(model):
    return {name + '/ExponentialMovingAverage': var.numpy()
            for name, var in model.variables_by_name.items()}

  prefix = _train_lenet(str(tmp_path / 'ema' / 'model.ckpt'), averages)
  # The plain variables become noise; the averages keep the trained values.
  reader = tf.train.load_checkpoint(prefix)
  values = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
  for name in list(values):
    if not name.endswith('/ExponentialMovingAverage') and name + '/ExponentialMovingAverage' \
        in values:
      values[name] = rng.normal(0, 0.1, values[name].shape).astype(values[name].dtype)
  noisy = tf.compat.v1.train.Saver({name: tf.Variable(value) for name, value in values.items()})
  noisy_prefix = noisy.save(None, str(tmp_path / 'noisy' / 'model.ckpt'))
  common = ['--num_steps=20', '--max_eval_examples=100', '--max_accuracy_drop=1']
  status, stdout, stderr = run_tool(_flags(digits_dir, noisy_prefix, tmp_path / 'a.tflite',
                                           *common))
  assert status == 0, stderr
  assert 'moving averages: 8 of 8 variables' in stdout
  assert _top1(stdout)['float'] > 0.8
  status, stdout, stderr = run_tool(_flags(digits_dir, noisy_prefix, tmp_path / 'b.tflite',
                                           '--noenable_ema', *common))
  assert status == 0, stderr
  assert _top1(stdout)['float'] < 0.5
