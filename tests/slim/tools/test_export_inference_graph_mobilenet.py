"""export_inference_graph on MobileNet v1 0.25 at 64x64 with batch norm, a random
checkpoint of 1000 classes (--labels_offset=1 on ImageNet's 1001), inception preprocessing
of encoded JPEG / PNG (gray, RGB, RGBA) images, and a text GraphDef in training mode."""
import os

import numpy as np
import tensorflow as tf
from google.protobuf import text_format

from slim.preprocessing import preprocessing_factory
from tests.slim.tools import export_setup

SIZE = 64
NUM_CLASSES = 1000  # ImageNet's 1001 labels minus the background class


def _smooth_images(count, seed=0):
  """Random smooth uint8 RGB images of assorted sizes (JPEG-friendly)."""
  rng = np.random.RandomState(seed)
  images = []
  for index in range(count):
    low = rng.uniform(0, 255, (6, 8, 3)).astype(np.float32)
    size = [72 + 8 * index, 90 - 4 * index]
    images.append(tf.cast(tf.image.resize(low[None], size)[0], tf.uint8).numpy())
  return images


def _export_mobilenet(root):
  checkpoint = export_setup.random_checkpoint(str(root / 'model.ckpt'), 'mobilenet_v1_025',
                                              NUM_CLASSES, SIZE, 3)
  out = root / 'out'
  status, stdout, stderr = export_setup.run_tool([
      '--model_name=mobilenet_v1_025', '--image_size=%d' % SIZE, '--labels_offset=1',
      '--checkpoint_path=' + checkpoint, '--saved_model_dir=%s' % (out / 'serving'),
      '--add_encoded_image_signature', '--tflite_file=%s' % (out / 'mobilenet.tflite'),
      '--output_file=%s' % (out / 'mobilenet.pbtxt'), '--write_text_graphdef',
      '--is_training'])
  assert status == 0, stderr
  return dict(out=out, checkpoint=checkpoint, stdout=stdout)


def _check_text_graph_def(mobilenet):
  graph_def = text_format.Parse((mobilenet['out'] / 'mobilenet.pbtxt').read_text(),
                                tf.compat.v1.GraphDef())
  nodes = {node.name: node for node in graph_def.node}
  assert [d.size for d in nodes['input'].attr['shape'].shape.dim] == [-1, SIZE, SIZE, 3]
  batch_norms = [node for node in graph_def.node if node.op.startswith('FusedBatchNorm')]
  assert batch_norms and all(node.attr['is_training'].b for node in batch_norms)
  assert 'GraphDef %s (training mode):' % (mobilenet['out'] / 'mobilenet.pbtxt') in \
      mobilenet['stdout']
  assert '  predictions MobilenetV1/Predictions/Reshape_1 float32 [?, 1000]' in \
      mobilenet['stdout']
  # No --use_grayscale: the checkpoint's channels. No --dataset_name: imagenet, whose 1001
  # classes minus --labels_offset are the checkpoint's (no line about classes).
  assert 'read in the checkpoint: 3-channel images (--use_grayscale unset)\n' in \
      mobilenet['stdout']
  assert 'class names: none' in mobilenet['stdout']


def _check_saved_model_in_a_fresh_process(mobilenet, tmp_path):
  colored = _smooth_images(6)
  gray = tf.image.rgb_to_grayscale(colored[0]).numpy()
  rgba = np.concatenate([colored[1], np.full(colored[1].shape[:2] + (1,), 200, np.uint8)], -1)
  encoded = ([tf.io.encode_jpeg(image, quality=90).numpy() for image in colored[:4]] +
             [tf.io.encode_png(image).numpy() for image in (colored[4], gray, rgba)])
  preprocess = preprocessing_factory.get_preprocessing('mobilenet_v1_025')
  # Evaluation decodes to RGB (a gray PNG repeated, an RGBA one without alpha), then
  # preprocesses: the float inputs that serving_encoded must reproduce.
  expected_inputs = np.stack([
      preprocess(tf.io.decode_image(data, channels=3), SIZE, SIZE).numpy() for data in encoded])
  results, info = export_setup.load_and_run(str(mobilenet['out'] / 'serving'), str(tmp_path),
                                            expected_inputs, encoded)
  reference_logits, _ = export_setup.graph_outputs(mobilenet['checkpoint'], 'mobilenet_v1_025',
                                                   NUM_CLASSES, expected_inputs)
  logits_diff = np.abs(results['serving_default/logits'] - reference_logits).max()
  encoded_diff = np.abs(results['serving_encoded/logits'] - reference_logits).max()
  print('mobilenet_v1_025 SavedModel vs graph checkpoint: max |logits diff| %.2e (logits up '
        'to %.1f), encoded path %.2e' % (logits_diff, np.abs(reference_logits).max(),
                                        encoded_diff))
  assert logits_diff <= 1e-5 and encoded_diff <= 1e-5
  # classes: the ImageNet label, 1 + the index of the 1000-class logits.
  np.testing.assert_array_equal(results['serving_default/classes'],
                                reference_logits.argmax(-1) + 1)
  np.testing.assert_array_equal(results['serving_encoded/classes'],
                                results['serving_default/classes'])
  assert info['serving_default']['inputs'] == {'images': ['float32', [None, SIZE, SIZE, 3]]}
  assert info['serving_encoded']['outputs']['logits'] == ['float32', [None, NUM_CLASSES]]


def _check_tflite_in_litert(mobilenet):
  images = np.random.RandomState(1).uniform(-1, 1, (8, SIZE, SIZE, 3)).astype(np.float32)
  reference_logits, _ = export_setup.graph_outputs(mobilenet['checkpoint'], 'mobilenet_v1_025',
                                                   NUM_CLASSES, images)
  outputs = export_setup.litert_run(str(mobilenet['out'] / 'mobilenet.tflite'), images)
  matches = int(np.sum(outputs['logits'].argmax(-1) == reference_logits.argmax(-1)))
  print('mobilenet_v1_025 TFLite float top-1 agreement: %d/%d (max |logits diff| %.2e)'
        % (matches, len(images), np.abs(outputs['logits'] - reference_logits).max()))
  assert matches == len(images)
  np.testing.assert_array_equal(outputs['classes'], reference_logits.argmax(-1) + 1)
  assert os.path.getsize(mobilenet['out'] / 'mobilenet.tflite') > 4 * 200000  # float weights


def test_mobilenet_export_end_to_end(tmp_path):
  """One test (not one per check) so that parallel workers do not each redo the export."""
  mobilenet = _export_mobilenet(tmp_path)
  checks = tmp_path / 'checks'
  checks.mkdir()
  _check_text_graph_def(mobilenet)
  _check_saved_model_in_a_fresh_process(mobilenet, checks)
  _check_tflite_in_litert(mobilenet)
