"""export_inference_graph end to end on LeNet trained briefly on the digits: GraphDef,
SavedModel (reloaded in fresh processes and by saved_model_cli) with the class names of
the digits' labels.txt, encoded images, TFLite float and int8 in LiteRT."""
import os
import pathlib

import numpy as np
import tensorflow as tf

from slim.datasets import download_and_convert_digits
from slim.preprocessing import preprocessing_factory
from tests.slim.tools import export_setup

NUM_TEST = 50
TRAIN_STEPS = 150
DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']


def _train_lenet(train_images, train_labels, checkpoint_prefix):
  """LeNet (1 channel) trained a few Adam steps; saved by name as a TF-Slim checkpoint."""
  model = export_setup.trained_lenet(train_images, train_labels, TRAIN_STEPS, 1e-3, 64)
  return tf.compat.v1.train.Saver(model.variables_by_name).save(None, checkpoint_prefix)


def _colored(gray):
  """An RGB image whose channels differ, from a grayscale digit."""
  gray = gray.astype(np.int32)
  return np.concatenate([gray, gray // 2 + 40, 255 - gray], axis=-1).astype(np.uint8)


def _preprocessed(images):
  """LeNet's evaluation preprocessing (preprocessing_factory) of uint8 digits."""
  preprocess = preprocessing_factory.get_preprocessing('lenet')
  return next(iter(tf.data.Dataset.from_tensor_slices(images)
                   .map(lambda image: preprocess(image, 28, 28)).batch(len(images)))).numpy()


def _export_lenet(root, data_dir):
  """A trained LeNet checkpoint, and two runs of the tool exporting everything (GraphDef,
  SavedModel with serving_encoded, TFLite float, then int8 calibrated on the digits
  TFRecords of `data_dir`)."""
  splits = download_and_convert_digits.load_splits()
  train_images = _preprocessed(splits['train'][0])
  checkpoint = _train_lenet(train_images, splits['train'][1], str(root / 'train' / 'model.ckpt'))
  out = root / 'out'
  common = ['--model_name=lenet', '--dataset_name=digits', '--use_grayscale',
            '--checkpoint_path=' + os.path.dirname(checkpoint), '--dataset_dir=' + data_dir]
  status, stdout, stderr = export_setup.run_tool(common + [
      '--output_file=%s' % (out / 'lenet.pb'), '--saved_model_dir=%s' % (out / 'serving'),
      '--add_encoded_image_signature', '--tflite_file=%s' % (out / 'lenet.tflite')])
  assert status == 0, stderr
  status, int8_stdout, stderr = export_setup.run_tool(common + [
      '--tflite_file=%s' % (out / 'lenet_int8.tflite'), '--tflite_quantize=int8',
      '--num_representative_images=100'])
  assert status == 0, stderr
  test_uint8, test_labels = splits['test'][0][:NUM_TEST], splits['test'][1][:NUM_TEST]
  return dict(root=root, out=out, checkpoint=checkpoint, stdout=stdout + int8_stdout,
              test_uint8=test_uint8, test_labels=test_labels,
              test_images=_preprocessed(test_uint8),
              data_dir=pathlib.Path(data_dir))


def _check_graph_def(lenet):
  graph_def = tf.compat.v1.GraphDef()
  graph_def.ParseFromString((lenet['out'] / 'lenet.pb').read_bytes())
  nodes = {node.name: node for node in graph_def.node}
  placeholder = nodes['input']
  assert placeholder.op == 'Placeholder'
  assert tf.as_dtype(placeholder.attr['dtype'].type) == tf.float32
  assert [d.size for d in placeholder.attr['shape'].shape.dim] == [-1, 28, 28, 1]
  assert '  input       input float32 [?, 28, 28, 1]' in lenet['stdout']
  assert '  logits      LeNet/fc4/BiasAdd float32 [?, 10]' in lenet['stdout']
  assert '  predictions Predictions/Reshape_1 float32 [?, 10]' in lenet['stdout']
  assert nodes['LeNet/fc4/BiasAdd'].op == 'BiasAdd'
  assert nodes['Predictions/Reshape_1'].op == 'Reshape'
  assert 'LeNet/conv1/weights' in nodes  # the architecture with its variables, no values
  assert not any(node.op == 'RestoreV2' for node in graph_def.node)


def _check_printed_signatures(lenet):
  stdout = lenet['stdout']
  for line in ['  signature serving_default:', '    input  images: float32 [-1, 28, 28, 1]',
               '  signature serving_encoded:', '    input  encoded_images: string [-1]',
               '    output classes: int64 [-1]', '    output logits: float32 [-1, 10]',
               '    output probabilities: float32 [-1, 10]', '    output class_names: string [-1]',
               'class names: 0:zero, 1:one, 2:two, ..., 9:nine',
               '  class names in %s' % (lenet['out'] / 'lenet.labels.txt'),
               '  class names in %s' % (lenet['out'] / 'lenet_int8.labels.txt')]:
    assert line in stdout
  assert 'float32, ' in stdout and 'int8, calibrated on 100 images of digits/train' in stdout


def _check_saved_model_in_a_fresh_process(lenet, tmp_path):
  images = lenet['test_images']
  colored = [_colored(image) for image in lenet['test_uint8'][:10]]
  encoded = ([tf.io.encode_png(image).numpy() for image in lenet['test_uint8']] +
             [tf.io.encode_png(image).numpy() for image in colored[:5]] +
             [tf.io.encode_jpeg(image, quality=95).numpy() for image in colored[5:]])
  # What evaluation feeds the network: the decoded images through preprocessing_factory
  # (a color image into this 1-channel network: its use_grayscale conversion).
  gray_preprocess = preprocessing_factory.get_preprocessing('lenet', use_grayscale=True)
  expected_inputs = np.concatenate([images, np.stack(
      [gray_preprocess(tf.io.decode_image(data, channels=3), 28, 28).numpy()
       for data in encoded[NUM_TEST:]])])
  results, info = export_setup.load_and_run(str(lenet['out'] / 'serving'), str(tmp_path),
                                            expected_inputs, encoded)
  reference_logits, reference_probabilities = export_setup.graph_outputs(
      lenet['checkpoint'], 'lenet', 10, expected_inputs)
  logits_diff = np.abs(results['serving_default/logits'] - reference_logits).max()
  encoded_diff = np.abs(results['serving_encoded/logits'] - reference_logits).max()
  print('lenet SavedModel vs graph checkpoint: max |logits diff| %.2e, encoded path %.2e'
        % (logits_diff, encoded_diff))
  assert logits_diff <= 1e-5 and encoded_diff <= 1e-5
  np.testing.assert_allclose(results['serving_default/probabilities'],
                             reference_probabilities, atol=1e-6)
  np.testing.assert_array_equal(results['serving_default/classes'],
                                reference_logits.argmax(-1))
  np.testing.assert_array_equal(results['serving_encoded/classes'],
                                results['serving_default/classes'])
  for key in ('serving_default', 'serving_encoded'):
    assert list(results[key + '/class_names']) == [
        DIGIT_NAMES[label].encode() for label in results[key + '/classes']]
  accuracy = np.mean(results['serving_default/classes'][:NUM_TEST] == lenet['test_labels'])
  print('lenet after %d steps: %.0f%% of %d test digits' % (TRAIN_STEPS, 100 * accuracy,
                                                             NUM_TEST))
  assert accuracy >= 0.8
  assert info['serving_default']['inputs'] == {'images': ['float32', [None, 28, 28, 1]]}
  assert info['serving_encoded']['inputs'] == {'encoded_images': ['string', [None]]}
  assert info['serving_default']['outputs'] == {
      'logits': ['float32', [None, 10]], 'probabilities': ['float32', [None, 10]],
      'classes': ['int64', [None]], 'class_names': ['string', [None]]}


def _check_saved_model_cli_run(lenet, tmp_path):
  images = lenet['test_images'][:10]
  outputs = export_setup.saved_model_cli_run(str(lenet['out'] / 'serving'), str(tmp_path),
                                             images)
  reference_logits, _ = export_setup.graph_outputs(lenet['checkpoint'], 'lenet', 10, images)
  assert sorted(outputs) == ['class_names', 'classes', 'logits', 'probabilities']
  diff = np.abs(outputs['logits'] - reference_logits).max()
  print('lenet saved_model_cli run vs graph checkpoint: max |logits diff| %.2e' % diff)
  assert diff <= 1e-5
  np.testing.assert_array_equal(outputs['classes'], reference_logits.argmax(-1))


def _check_tflite_in_litert(lenet):
  images = lenet['test_images']
  reference_logits, _ = export_setup.graph_outputs(lenet['checkpoint'], 'lenet', 10, images)
  reference = reference_logits.argmax(-1)
  float_out = export_setup.litert_run(str(lenet['out'] / 'lenet.tflite'), images)
  int8_out = export_setup.litert_run(str(lenet['out'] / 'lenet_int8.tflite'), images)
  float_match = np.mean(float_out['classes'] == reference)
  int8_match = np.mean(int8_out['classes'] == reference)
  print('lenet TFLite top-1 agreement on %d digits: float %d/%d (max |logits diff| %.2e), '
        'int8 %d/%d' % (NUM_TEST, np.sum(float_out['classes'] == reference), NUM_TEST,
                        np.abs(float_out['logits'] - reference_logits).max(),
                        np.sum(int8_out['classes'] == reference), NUM_TEST))
  assert float_match == 1.0
  assert int8_match >= 0.9
  assert float_out['classes'].dtype == np.int64 and float_out['logits'].shape == (NUM_TEST, 10)
  for out in (float_out, int8_out):
    assert list(out['class_names']) == [DIGIT_NAMES[label].encode() for label in out['classes']]
  for name in ('lenet.labels.txt', 'lenet_int8.labels.txt'):
    assert (lenet['out'] / name).read_text() == (lenet['data_dir'] / 'labels.txt').read_text()
  float_size = os.path.getsize(lenet['out'] / 'lenet.tflite')
  int8_size = os.path.getsize(lenet['out'] / 'lenet_int8.tflite')
  assert int8_size < float_size / 3  # int8 weights


def _check_no_temporary_files(lenet):
  assert sorted(os.listdir(lenet['out'])) == [
      'lenet.labels.txt', 'lenet.pb', 'lenet.tflite', 'lenet_int8.labels.txt',
      'lenet_int8.tflite', 'serving']


def test_lenet_export_end_to_end(digits_dir, tmp_path):
  """One test (not one per check) so that parallel workers do not each redo the export."""
  lenet = _export_lenet(tmp_path, digits_dir)
  checks = tmp_path / 'checks'
  checks.mkdir()
  _check_graph_def(lenet)
  _check_printed_signatures(lenet)
  _check_saved_model_in_a_fresh_process(lenet, checks)
  _check_saved_model_cli_run(lenet, checks)
  _check_tflite_in_litert(lenet)
  _check_no_temporary_files(lenet)
