"""Video networks in the tools: export_inference_graph exports clips [batch, frames, size,
size, channels] (GraphDef, SavedModel), refuses what a video network cannot export, and
the training, evaluation and classification tools refuse video networks in one line.

Until research/slim's i3d and s3dg are registered, a tiny video network of this file
(3-D convolutions and pooling) stands in, registered in a copy of the registry."""
import contextlib
import io
import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim import _registry
from slim.nets import nets_factory
from slim.nets import registry
from slim.tools import _cli
from slim.tools import classify_images
from slim.tools import eval_image_classifier
from slim.tools import export_lib
from slim.tools import train_image_classifier
from tests.slim.tools import export_setup

FRAMES, SIZE = 4, 16  # the tiny network's registered clip
NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']


def _tiny_video_arg_scope(weight_decay=0.0):
  with slim.arg_scope([slim.conv3d],
                      weights_regularizer=slim.l2_regularizer(weight_decay)) as scope:
    return scope


def tiny_video(clips, num_classes=5, is_training=False, scope='TinyVideo'):
  """A 3-D convolution, 3-D max and average pooling and a 1x1x1 logits convolution."""
  del is_training  # no batch norm, no dropout
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'TinyVideo', [clips]):
    net = slim.conv3d(clips, 8, [3, 3, 3], stride=[1, 2, 2], scope='Conv3d_1a_3x3')
    net = slim.max_pool3d(net, [1, 3, 3], stride=[1, 2, 2], padding='SAME',
                          scope='MaxPool3d_2a_3x3')
    net = slim.avg_pool3d(net, net.shape[1:4], stride=1, scope='AvgPool_0a')
    end_points['AvgPool_0a'] = net
    if not num_classes:
      return net, end_points
    logits = slim.conv3d(net, num_classes, [1, 1, 1], activation_fn=None, scope='Logits')
    logits = tf.squeeze(logits, [1, 2, 3], name='SpatialSqueeze')
    end_points['Logits'] = logits
    end_points['Predictions'] = slim.softmax(logits, scope='Predictions')
  return logits, end_points


@pytest.fixture(scope='module')
def networks():
  """The registry with `tiny_video` (4 frames of 16 x 16) added, for this module."""
  fresh = _registry.Registry('network')
  for name, spec in nets_factory.NETWORKS.items():
    fresh.register(name, spec)
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(registry, 'NETWORKS', fresh)
    patch.setattr(nets_factory, 'NETWORKS', fresh)
    registry.register_network('tiny_video', arg_scope=_tiny_video_arg_scope,
                              default_image_size=SIZE, preprocessing='inception', num_classes=5,
                              num_frames=FRAMES)(tiny_video)
    yield fresh


@pytest.fixture(scope='module')
def checkpoint(networks, tmp_path_factory):
  """A tiny_video checkpoint of the 10 digits' classes on RGB clips (random values)."""
  del networks
  return export_setup.random_checkpoint(str(tmp_path_factory.mktemp('video') / 'model.ckpt'),
                                        'tiny_video', 10, SIZE, 3, num_frames=FRAMES)


@pytest.fixture(scope='module')
def exported(checkpoint, tmp_path_factory):
  """A SavedModel of the checkpoint, with the class names of a labels.txt: (its
  directory, the tool's stdout)."""
  root = tmp_path_factory.mktemp('serving')
  (root / 'labels.txt').write_text(''.join('%d:%s\n' % item for item in enumerate(NAMES)))
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=tiny_video', '--is_video_model', '--dataset_name=digits',
      '--dataset_dir=%s' % root, '--checkpoint_path=' + checkpoint,
      '--saved_model_dir=%s' % (root / 'model')])
  assert status == 0, stderr
  return str(root / 'model'), stdout


def _placeholder_shape(path):
  graph_def = tf.compat.v1.GraphDef()
  with open(path, 'rb') as f:
    graph_def.ParseFromString(f.read())
  placeholder, = [node for node in graph_def.node if node.name == 'input']
  return [dim.size for dim in placeholder.attr['shape'].shape.dim]


def test_graph_def_of_a_video_network_takes_clips(networks, tmp_path):
  del networks
  output = tmp_path / 'video.pb'
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=tiny_video', '--is_video_model', '--num_frames=3', '--batch_size=2',
      '--output_file=%s' % output])
  assert status == 0, stderr
  assert 'tiny_video: 1001 classes (labels offset 0), clips of 3 frames 16x16x3, batch 2' \
      in stdout
  assert '  input       input float32 [2, 3, 16, 16, 3]' in stdout
  assert '  logits      TinyVideo/SpatialSqueeze float32 [2, 1001]' in stdout
  assert _placeholder_shape(output) == [2, 3, 16, 16, 3]


def test_video_network_without_is_video_model_is_exported_as_video_with_a_note(
    networks, tmp_path, caplog):
  del networks
  output = tmp_path / 'video.pb'
  with caplog.at_level(logging.INFO, logger='tensorflow'):
    status, stdout, stderr = export_setup.run_tool([
        '--model_name=tiny_video', '--use_grayscale', '--image_size=12',
        '--output_file=%s' % output])
  assert status == 0, stderr
  assert 'clips of 4 frames 12x12x1' in stdout  # the registry's frames
  assert _placeholder_shape(output) == [-1, 4, 12, 12, 1]
  assert ('tiny_video is a video network: exported for clips of 4 frames as with '
          '--is_video_model') in caplog.messages


def test_saved_model_of_a_video_network_classifies_clips(exported, checkpoint, tmp_path):
  saved_model_dir, stdout = exported
  assert 'tiny_video: 10 classes (labels offset 0), clips of 4 frames 16x16x3, batch any' \
      in stdout
  assert ('  signature serving_default:\n'
          '    input  images: float32 [-1, 4, 16, 16, 3]\n'
          '    output class_names: string [-1]\n'
          '    output classes: int64 [-1]\n'
          '    output logits: float32 [-1, 10]\n'
          '    output probabilities: float32 [-1, 10]\n') in stdout
  clips = np.random.RandomState(3).uniform(-1, 1, (2, FRAMES, SIZE, SIZE, 3)).astype(np.float32)
  model = tf.saved_model.load(saved_model_dir)
  assert list(model.signatures) == ['serving_default']
  serve = model.signatures['serving_default']
  assert serve.structured_input_signature[1]['images'].shape.as_list() == [None, FRAMES, SIZE,
                                                                           SIZE, 3]
  outputs = {key: value.numpy() for key, value in serve(images=tf.constant(clips)).items()}
  logits, predictions = export_setup.graph_outputs(checkpoint, 'tiny_video', 10, clips)
  np.testing.assert_allclose(outputs['logits'], logits, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(outputs['probabilities'], predictions, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(outputs['classes'], logits.argmax(-1))
  assert [name.decode() for name in outputs['class_names']] == [
      NAMES[i] for i in logits.argmax(-1)]
  assert export_lib.saved_model_labels(model) == dict(enumerate(NAMES))
  empty = serve(images=tf.zeros([0, FRAMES, SIZE, SIZE, 3]))
  assert empty['logits'].shape == (0, 10) and empty['class_names'].shape == (0,)


def test_serving_default_checks_the_shape_of_the_clips(networks, checkpoint):
  del networks
  spec = export_lib.classifier_spec('tiny_video', 'digits')
  module = export_lib.serving_module(spec, checkpoint)
  assert spec.image_shape() == [None, FRAMES, SIZE, SIZE, 3]
  # Shapes unknown when traced, as a reloaded SavedModel's callers can give them.
  serve = tf.function(module._classify_images,  # pylint: disable=protected-access
                      input_signature=[tf.TensorSpec(None, tf.float32)])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=re.escape('serving_default: images must be [batch, 4, 16, 16, 3], '
                                     'received shape [1, 3, 16, 16, 3]')):
    serve(tf.zeros([1, 3, SIZE, SIZE, 3]))
  with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape('received shape [1, 16, '
                                                                     '16, 3]')):
    serve(tf.zeros([1, SIZE, SIZE, 3]))


def test_checkpoint_fills_the_channels_and_classes_of_a_video_network(networks, tmp_path):
  del networks
  gray = export_setup.random_checkpoint(str(tmp_path / 'gray.ckpt'), 'tiny_video', 7, SIZE, 1,
                                        num_frames=FRAMES)
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=tiny_video', '--checkpoint_path=' + gray,
      '--output_file=%s' % (tmp_path / 'gray.pb')])
  assert status == 0, stderr
  assert ("read in the checkpoint: 1-channel images (--use_grayscale unset), 7 classes "
          "(--dataset_name unset; not imagenet's)") in stdout
  assert _placeholder_shape(tmp_path / 'gray.pb') == [-1, FRAMES, SIZE, SIZE, 1]
  status, _, stderr = export_setup.run_tool([
      '--model_name=tiny_video', '--checkpoint_path=' + gray, '--nouse_grayscale',
      '--dataset_name=digits', '--output_file=%s' % (tmp_path / 'rgb.pb')])
  assert status == 2 and stderr.count('\n') == 1
  assert ('TinyVideo/Conv3d_1a_3x3/weights has shape [3, 3, 3, 3, 8] in the network but '
          '[3, 3, 3, 1, 8]') in stderr
  assert 'The checkpoint takes 1-channel images: pass --use_grayscale.' in stderr


VIDEO_EXPORT_ERRORS = [
    # (flags, words of the one-line error)
    (['--model_name=lenet', '--is_video_model', '--output_file=x'],
     '--is_video_model: lenet is an image network (its input is [batch, 28, 28, channels] '
     'images): drop --is_video_model, or give a video network ('),
    (['--model_name=lenet', '--num_frames=4', '--output_file=x'],
     '--num_frames applies to video networks; lenet is an image network'),
    (['--model_name=tiny_video', '--is_video_model', '--num_frames=0', '--output_file=x'],
     '--num_frames must be a positive number of frames, received 0'),
    (['--model_name=tiny_video', '--num_frames=-2', '--output_file=x'],
     '--num_frames must be a positive number of frames, received -2'),
    (['--model_name=tiny_video', '--is_video_model', '--saved_model_dir=x',
      '--checkpoint_path={ckpt}', '--add_encoded_image_signature'],
     '--add_encoded_image_signature: tiny_video is a video network; its SavedModel takes clips '
     '[batch, 4, 16, 16, 3] in serving_default, not encoded images: drop the flag'),
    (['--model_name=tiny_video', '--is_video_model', '--tflite_file=x',
      '--checkpoint_path={ckpt}'],
     '--tflite_file: tiny_video is a video network and TFLite cannot convert its 3-D pooling'),
    (['--model_name=tiny_video', '--tflite_file=x', '--checkpoint_path=/nowhere/model.ckpt'],
     '--tflite_file: tiny_video is a video network'),  # before the checkpoint is looked at
]


@pytest.mark.parametrize('flags, message', VIDEO_EXPORT_ERRORS,
                         ids=[' '.join(f[:3]) for f, _ in VIDEO_EXPORT_ERRORS])
def test_export_video_flag_errors_are_one_line(networks, checkpoint, tmp_path, flags, message):
  del networks
  flags = [flag.replace('=x', '=%s' % (tmp_path / 'x')).format(ckpt=checkpoint)
           for flag in flags]
  status, stdout, stderr = export_setup.run_tool(flags)
  assert status == 2, stderr
  assert stderr.startswith('export_inference_graph: error: ') and stderr.count('\n') == 1
  assert message in stderr, stderr
  assert stdout == '' and os.listdir(tmp_path) == []


def test_tflite_has_no_builtin_3d_pooling(tmp_path):
  """Why a video network has no TFLite file: should TFLite convert MaxPool3D one day,
  this fails, and export_lib.check_video_export can let TFLite through."""
  module = tf.Module()
  module.serve = tf.function(lambda clips: {'pooled': tf.nn.max_pool3d(clips, 2, 2, 'VALID')},
                             input_signature=[tf.TensorSpec([1, 2, 4, 4, 1], tf.float32)])
  tf.saved_model.save(module, str(tmp_path), signatures={'serving_default': module.serve})
  converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path))
  with pytest.raises(Exception, match='MaxPool3D'):
    converter.convert()


def _run_tool(tool, argv):
  err = io.StringIO()
  with contextlib.redirect_stderr(err):
    status = _cli.run(tool.PROG, tool.main, argv)
  return status, err.getvalue()


@pytest.mark.parametrize('tool, does', [(train_image_classifier, 'trains'),
                                        (eval_image_classifier, 'evaluates')])
def test_training_and_evaluation_refuse_a_video_network(networks, tool, does, tmp_path):
  del networks
  # Before any other check of the data: no dataset directory is needed to be told.
  status, stderr = _run_tool(tool, [
      '--model_name=tiny_video', '--dataset_name=flowers',
      '--dataset_dir=%s' % (tmp_path / 'nowhere'), '--train_dir=%s' % (tmp_path / 'train')
      if tool is train_image_classifier else '--eval_dir=%s' % (tmp_path / 'eval')])
  assert status == 2
  assert stderr == (
      '%s: error: --model_name=tiny_video is a video network (clips of 4 frames) and '
      '--dataset_name=flowers an image dataset: %s %s on images only. Video networks can be '
      'built (nets_factory.get_network_fn) and exported (export_inference_graph '
      '--model_name=tiny_video --is_video_model), not trained or evaluated by these tools; '
      'give an image network (see --help)\n' % (tool.PROG, tool.PROG, does))
  assert os.listdir(tmp_path) == []


def test_classify_images_refuses_a_saved_model_of_a_video_network(exported, tmp_path):
  saved_model_dir, _ = exported
  image = tmp_path / 'image.png'
  image.write_bytes(tf.io.encode_png(np.zeros([SIZE, SIZE, 3], np.uint8)).numpy())
  status, stderr = _run_tool(classify_images, ['--saved_model_dir=' + saved_model_dir,
                                               str(image)])
  assert status == 2 and stderr.count('\n') == 1
  assert stderr.startswith('classify_images: error: --saved_model_dir=%s holds a video network: '
                           'its serving_default takes clips [batch, 4, 16, 16, 3]'
                           % saved_model_dir), stderr
  assert 'the tools train, evaluate and classify images only' in stderr


# research/slim's video networks, once registered, at a small size.
REAL_VIDEO_NETWORKS = ['i3d', 's3dg']


@pytest.mark.parametrize('name', REAL_VIDEO_NETWORKS)
def test_research_slim_video_network_exports_clips(name, tmp_path):
  if name not in nets_factory.NETWORKS:
    pytest.skip('%s is not registered yet' % name)
  network = nets_factory.get_network_spec(name)
  assert network.is_video
  # --num_frames defaults to the network's.
  spec = export_lib.classifier_spec(name)
  assert spec.num_frames == network.num_frames
  assert spec.image_shape() == [None, network.num_frames, network.default_image_size,
                                network.default_image_size, 3]
  output = tmp_path / 'graph.pb'
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=' + name, '--is_video_model', '--num_frames=8', '--image_size=32',
      '--dataset_name=digits', '--output_file=%s' % output])
  assert status == 0, stderr
  assert 'clips of 8 frames 32x32x3' in stdout
  assert '  input       input float32 [?, 8, 32, 32, 3]' in stdout
  assert _placeholder_shape(output) == [-1, 8, 32, 32, 3]
  assert re.search(r'  logits      \S+ float32 \[\?, 10\]', stdout), stdout


@pytest.mark.slow
@pytest.mark.parametrize('name', REAL_VIDEO_NETWORKS)
def test_research_slim_video_network_saved_model_classifies_clips(name, tmp_path):
  if name not in nets_factory.NETWORKS:
    pytest.skip('%s is not registered yet' % name)
  ckpt = export_setup.random_checkpoint(str(tmp_path / 'model.ckpt'), name, 10, 64, 3,
                                        num_frames=8)
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=' + name, '--is_video_model', '--num_frames=8', '--image_size=64',
      '--dataset_name=digits', '--checkpoint_path=' + ckpt,
      '--saved_model_dir=%s' % (tmp_path / 'model')])
  assert status == 0, stderr
  assert '    input  images: float32 [-1, 8, 64, 64, 3]' in stdout
  clips = np.random.RandomState(0).uniform(-1, 1, (1, 8, 64, 64, 3)).astype(np.float32)
  serve = tf.saved_model.load(str(tmp_path / 'model')).signatures['serving_default']
  logits = serve(images=tf.constant(clips))['logits'].numpy()
  expected, _ = export_setup.graph_outputs(ckpt, name, 10, clips)
  np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
