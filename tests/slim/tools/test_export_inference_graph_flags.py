"""export_inference_graph's flags: --help with every default, one-line errors naming the
fix, the console command, runs as a file, --batch_size, --overwrite and atomic writes."""
import ast
import os
import re
import subprocess
import sys

import pytest
import tensorflow as tf

from slim.tools import export_inference_graph
from slim.tools import export_lib
from tests.conftest import REPO
from tests.slim import fresh_python
from tests.slim.tools import export_setup

SCRIPT = os.path.join(REPO, 'scripts', 'export_inference_graph.py')
# What pip's console script for `export_inference_graph` runs.
CONSOLE = ('import sys; from slim.tools.export_inference_graph import console_main; '
           'sys.exit(console_main())')

DEFAULTS = {
    'model_name': 'inception_v3', 'is_training': 'false', 'image_size': 'None',
    'batch_size': 'None', 'dataset_name': 'None', 'labels_offset': '0',
    'output_file': "''", 'dataset_dir': "''", 'use_grayscale': 'None',
    'write_text_graphdef': 'false', 'quantize': 'false', 'preprocessing_name': 'None',
    'checkpoint_path': 'None', 'saved_model_dir': 'None',
    'add_encoded_image_signature': 'false', 'overwrite': 'false', 'tflite_file': 'None',
    'tflite_quantize': 'float', 'dataset_split_name': 'train',
    'num_representative_images': '100', 'is_video_model': 'false', 'num_frames': 'None',
}


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
  """A LeNet checkpoint of 10 classes taking 1-channel images (random values)."""
  return export_setup.random_checkpoint(str(tmp_path_factory.mktemp('ckpt') / 'model.ckpt'),
                                        'lenet', 10, 28, 1)


def _lenet(checkpoint, *flags):
  return ['--model_name=lenet', '--dataset_name=digits', '--use_grayscale',
          '--checkpoint_path=' + checkpoint] + list(flags)


def test_export_help_lists_every_flag_with_its_default():
  done = subprocess.run([sys.executable, SCRIPT, '--help'], capture_output=True, text=True,
                        env=export_setup.subprocess_env(), timeout=60, check=True)
  # One entry per flag: from '  --flag' to the next, on one line.
  entries = re.findall(r'^  (--[][\w]+.*?)(?=^  --|^\S|\Z)', done.stdout, re.M | re.S)
  entries = {entry.split()[0][2:-1].replace('[no]', ''): ' '.join(entry.split())
             for entry in entries}
  for flag, default in DEFAULTS.items():
    assert entries[flag].endswith('(default: %s)' % default), entries[flag]
  flags = {flag.name for _, section in export_inference_graph.FLAGS for flag in section}
  assert set(entries) == flags == set(DEFAULTS)  # no flag without a checked default


def test_export_console_command_entry_point_in_setup_py_runs():
  with open(os.path.join(REPO, 'setup.py')) as f:
    tree = ast.parse(f.read())
  entry_points = [ast.literal_eval(keyword.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Call) for keyword in node.keywords
                  if keyword.arg == 'entry_points']
  scripts = [line.replace(' ', '') for line in entry_points[0]['console_scripts']]
  assert 'export_inference_graph=slim.tools.export_inference_graph:console_main' in scripts
  done = fresh_python.run([sys.executable, '-c', CONSOLE, '--model_name=lenet'],
                          env=export_setup.subprocess_env(), timeout=60)
  assert done.returncode == 2 and done.stdout == ''
  assert done.stderr == ('export_inference_graph: error: nothing to export: give --output_file '
                         '(GraphDef), --saved_model_dir (SavedModel) or --tflite_file (TFLite) '
                         '(see --help)\n')


def test_export_runs_as_a_file_and_writes_the_graph_def_with_a_fixed_batch(tmp_path):
  output = tmp_path / 'graphs' / 'lenet.pb'  # the folder is made
  done = subprocess.run([sys.executable, SCRIPT, '--model_name=lenet', '--dataset_name=digits',
                         '--use_grayscale', '--batch_size=4', '--output_file=%s' % output],
                        capture_output=True, text=True, env=export_setup.subprocess_env(),
                        timeout=300)
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'lenet: 10 classes (labels offset 0), images 28x28x1, batch 4, lenet preprocessing' \
      in done.stdout
  assert '  input       input float32 [4, 28, 28, 1]' in done.stdout
  graph_def = tf.compat.v1.GraphDef()
  graph_def.ParseFromString(output.read_bytes())
  placeholder, = [node for node in graph_def.node if node.name == 'input']
  assert [d.size for d in placeholder.attr['shape'].shape.dim] == [4, 28, 28, 1]
  assert os.listdir(output.parent) == ['lenet.pb']


BAD_FLAGS = [
    # (flags, words the one-line error must contain)
    (['--modle_name=lenet'], "Unknown command line flag 'modle_name'. Did you mean: "
                             "model_name ?"),
    (['--use_grayscale=maybe', '--output_file=x'], '--use_grayscale=maybe: expected true or '
                                                   'false'),
    (['--image_size=big'], '--image_size=big: expected an integer'),
    (['--tflite_quantize=int4'], '--tflite_quantize=int4: expected one of float, float16, int8'),
    ([], 'nothing to export: give --output_file'),
    (['--output_file=x', '--quantize'], 'use --tflite_file with --tflite_quantize=int8'),
    (['--saved_model_dir=x'], '--saved_model_dir needs --checkpoint_path'),
    (['--tflite_file=x'], '--tflite_file needs --checkpoint_path'),
    (['--output_file=x', '--add_encoded_image_signature'], 'give --saved_model_dir'),
    (['--output_file=x', '--tflite_quantize=int8'], 'applies to the TFLite file: give '
                                                    '--tflite_file'),
    (['--tflite_file=x', '--checkpoint_path=c', '--tflite_quantize=int8'],
     'give --dataset_dir (with --dataset_name and --dataset_split_name)'),
    (['--output_file=x', '--num_representative_images=0'],
     '--num_representative_images must be a positive int, received 0'),
    (['--output_file=x', '--model_name=lenett'], "--model_name: Unknown network 'lenett'. Did "
                                                 "you mean 'lenet'?"),
    (['--output_file=x', '--dataset_name=digit'], "--dataset_name: Unknown dataset 'digit'. "
                                                  "Did you mean 'digits'?"),
    (['--output_file=x', '--dataset_name=image_folder'], 'Convert the data first'),
    (['--output_file=x', '--labels_offset=10', '--dataset_name=digits'],
     '--labels_offset must be an int in [0, 10)'),
    (['--output_file=x', '--image_size=0'], '--image_size must be a positive int'),
    (['--output_file=x', '--batch_size=-2'], '--batch_size must be a positive int'),
    (['--output_file=x', '--preprocessing_name=incepton'], "Did you mean 'inception'?"),
    (['--output_file=x', '--num_frames=0'], '--num_frames must be a positive number of frames, '
                                            'received 0'),
    (['--output_file=x', '--model_name=lenet', '--is_video_model'],
     '--is_video_model: lenet is an image network (its input is [batch, 28, 28, channels] '
     'images): drop --is_video_model, or give a video network (i3d, s3dg)'),
    (['--output_file=x', '--model_name=lenet', '--num_frames=8'],
     '--num_frames applies to video networks; lenet is an image network'),
    (['--tflite_file=x', '--checkpoint_path=c', '--model_name=i3d', '--is_video_model'],
     '--tflite_file: i3d is a video network and TFLite cannot convert its 3-D pooling'),
    (['--saved_model_dir=x', '--checkpoint_path=c', '--model_name=s3dg',
      '--add_encoded_image_signature'], '--add_encoded_image_signature: s3dg is a video network'),
    (['--output_file=x', '--checkpoint_path=/nonexistent/model.ckpt'],
     '--checkpoint_path=/nonexistent/model.ckpt is not a checkpoint: give a checkpoint file '
     'prefix'),
]


@pytest.mark.parametrize('flags, message', BAD_FLAGS, ids=[' '.join(f) or 'none'
                                                           for f, _ in BAD_FLAGS])
def test_export_bad_flags_exit_with_one_line_naming_the_fix(flags, message, tmp_path):
  flags = [flag.replace('=x', '=%s' % (tmp_path / 'x')) for flag in flags]
  status, stdout, stderr = export_setup.run_tool(flags)
  assert status == 2
  assert stderr.startswith('export_inference_graph: error: ') and stderr.count('\n') == 1
  assert message in stderr
  assert os.listdir(tmp_path) == []  # nothing written


CHECKPOINT_MISMATCHES = [
    # (flags replacing lenet's, words of the error)
    (['--model_name=cifarnet'], 'lacks 10 of the 10 variables of cifarnet (first: '
                                'CifarNet/conv1/weights); is it a checkpoint of '
                                '--model_name=cifarnet? It holds e.g. LeNet/conv1/biases'),
    (['--dataset_name=imagenet'], 'LeNet/fc4/weights has shape [1024, 1001] in the network but '
                                  '[1024, 10] in'),
    (['--dataset_name=imagenet'], 'The checkpoint has 10 classes'),
    (['--use_grayscale=false'], 'LeNet/conv1/weights has shape [5, 5, 3, 32] in the network '
                                'but [5, 5, 1, 32]'),
    (['--use_grayscale=false'], 'The checkpoint takes 1-channel images: pass --use_grayscale.'),
    (['--image_size=32'], 'Was it trained with another --image_size (here 32)?'),
]


@pytest.mark.parametrize('output', ['--output_file', '--saved_model_dir'])
@pytest.mark.parametrize('flags, message', CHECKPOINT_MISMATCHES,
                         ids=[' '.join(f) + ' ' + m[:12] for f, m in CHECKPOINT_MISMATCHES])
def test_export_checkpoint_that_does_not_fit_the_network_is_a_one_line_error(
    checkpoint, tmp_path, output, flags, message):
  status, _, stderr = export_setup.run_tool(
      _lenet(checkpoint, '%s=%s' % (output, tmp_path / 'out'), *flags))
  assert status == 2 and stderr.count('\n') == 1
  assert message in stderr
  assert os.listdir(tmp_path) == []


def test_export_refuses_an_existing_saved_model_dir_without_overwrite(checkpoint, tmp_path):
  target = tmp_path / 'serving'
  target.mkdir()
  (target / 'keep.txt').write_text('mine')
  status, _, stderr = export_setup.run_tool(_lenet(checkpoint, '--saved_model_dir=%s' % target))
  assert status == 2
  assert stderr == ('export_inference_graph: error: --saved_model_dir: %s exists and is not '
                    'empty; pass --overwrite to replace it, or choose another directory (see '
                    '--help)\n' % target)
  assert os.listdir(target) == ['keep.txt']
  (tmp_path / 'file').write_text('')
  status, _, stderr = export_setup.run_tool(
      _lenet(checkpoint, '--saved_model_dir=%s' % (tmp_path / 'file')))
  assert status == 2 and 'is a file; give a directory' in stderr

  status, stdout, stderr = export_setup.run_tool(
      _lenet(checkpoint, '--saved_model_dir=%s' % target, '--overwrite'))
  assert status == 0, stderr
  assert sorted(os.listdir(target)) == ['assets', 'fingerprint.pb', 'saved_model.pb',
                                        'variables']
  assert sorted(os.listdir(tmp_path)) == ['file', 'serving']  # no temporary left
  assert 'SavedModel %s:' % target in stdout and 'serving_encoded' not in stdout
  assert tf.saved_model.load(str(target)).signatures.keys() == {'serving_default'}


def test_export_int8_without_data_files_names_the_dataset_dir(checkpoint, tmp_path):
  status, _, stderr = export_setup.run_tool(_lenet(
      checkpoint, '--tflite_file=%s' % (tmp_path / 'q.tflite'), '--tflite_quantize=int8',
      '--dataset_dir=%s' % (tmp_path / 'empty')))
  assert status == 2 and stderr.count('\n') == 1
  assert str(tmp_path / 'empty') in stderr
  assert os.listdir(tmp_path) == []


def test_export_reads_the_flags_left_unset_in_the_checkpoint(checkpoint, tmp_path):
  # No --use_grayscale: the channels of the first convolution; no --dataset_name nor
  # --dataset_dir: the checkpoint's 10 classes rather than imagenet's 1001.
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=lenet', '--checkpoint_path=' + checkpoint,
      '--output_file=%s' % (tmp_path / 'lenet.pb')])
  assert status == 0, stderr
  assert 'lenet: 10 classes (labels offset 0), images 28x28x1, batch any' in stdout
  assert ("read in the checkpoint: 1-channel images (--use_grayscale unset), 10 classes "
          "(--dataset_name unset; not imagenet's)\n") in stdout
  assert '  input       input float32 [?, 28, 28, 1]' in stdout
  assert '  logits      LeNet/fc4/BiasAdd float32 [?, 10]' in stdout


def test_export_without_a_checkpoint_keeps_imagenet_and_3_channels(tmp_path):
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=lenet', '--output_file=%s' % (tmp_path / 'lenet.pb')])
  assert status == 0, stderr
  assert 'lenet: 1001 classes (labels offset 0), images 28x28x3, batch any' in stdout
  assert 'read in the checkpoint' not in stdout


def test_export_with_a_dataset_dir_takes_the_classes_of_dataset_name(checkpoint, tmp_path):
  # --dataset_dir names a dataset (imagenet when --dataset_name is unset): its classes
  # stand, and a checkpoint of other classes is the error naming the flags.
  (tmp_path / 'data').mkdir()
  status, _, stderr = export_setup.run_tool([
      '--model_name=lenet', '--checkpoint_path=' + checkpoint,
      '--dataset_dir=%s' % (tmp_path / 'data'), '--output_file=%s' % (tmp_path / 'lenet.pb')])
  assert status == 2 and stderr.count('\n') == 1
  assert 'LeNet/fc4/weights has shape [1024, 1001] in the network but [1024, 10]' in stderr
  assert 'The checkpoint has 10 classes' in stderr
  assert os.listdir(tmp_path) == ['data']


def test_fit_to_checkpoint_reads_the_first_convolution_and_the_logits(tmp_path):
  rgb = export_setup.random_checkpoint(str(tmp_path / 'rgb.ckpt'), 'lenet', 7, 28, 3)
  spec = export_lib.classifier_spec('lenet', 'digits', use_grayscale=True)
  spec = spec._replace(class_names=tuple('abcdefghij'))
  fitted, taken = export_lib.fit_to_checkpoint(spec, rgb, channels=True, classes=True)
  assert taken == {'channels': 3, 'classes': 7}
  assert (fitted.num_channels, fitted.num_classes, fitted.class_names) == (3, 7, None)
  fitted, taken = export_lib.fit_to_checkpoint(spec, rgb)  # the classes are the dataset's
  assert taken == {'channels': 3}
  assert (fitted.num_channels, fitted.num_classes) == (3, 10) and fitted.class_names
  # 4 channels is no image the tools make: left to the shape check.
  rgba = export_setup.random_checkpoint(str(tmp_path / 'rgba.ckpt'), 'lenet', 10, 28, 4)
  assert export_lib.fit_to_checkpoint(spec, rgba, classes=True) == (spec, {})


def test_class_names_come_from_the_labels_file_of_the_dataset_dir(tmp_path):
  (tmp_path / 'labels.txt').write_text('0:zero\n2:two: a digit\n3:three\n')
  spec = export_lib.classifier_spec('lenet', 'digits', str(tmp_path))
  assert spec.class_names == ('zero', '1', 'two: a digit', 'three', '4', '5', '6', '7', '8',
                              '9')  # a label missing in the file is named by its number
  shifted = export_lib.classifier_spec('lenet', 'digits', str(tmp_path), labels_offset=1)
  assert shifted.class_names == spec.class_names[1:]
  assert shifted.labels_to_names() == {label: spec.class_names[label] for label in range(1, 10)}
  assert export_lib.classifier_spec('lenet', 'digits').class_names is None
  assert export_lib.classifier_spec('lenet', 'digits', str(tmp_path / 'none')).class_names is None
