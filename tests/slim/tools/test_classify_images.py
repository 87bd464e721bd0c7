"""classify_images: a SavedModel of export_inference_graph, reloaded, classifies image files."""
import os

import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import preprocessing_factory
from slim.tools import classify_images
from tests.slim.tools import export_setup


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
  """A LeNet SavedModel with both signatures, one without the encoded one, and 3 PNGs."""
  root = tmp_path_factory.mktemp('serving')
  checkpoint = export_setup.random_checkpoint(str(root / 'model.ckpt'), 'lenet', 10, 28, 1)
  dirs = {}
  for name, extra in (('encoded', ['--add_encoded_image_signature']), ('plain', [])):
    dirs[name] = str(root / name)
    status, _, err = export_setup.run_tool([
        '--model_name=lenet', '--dataset_name=digits', '--use_grayscale',
        '--checkpoint_path=' + checkpoint, '--saved_model_dir=' + dirs[name]] + extra)
    assert status in (0, None), err
  images = np.random.RandomState(1).randint(0, 256, (3, 28, 28, 1)).astype(np.uint8)
  paths = []
  for index, image in enumerate(images):
    paths.append(str(root / ('image%d.png' % index)))
    tf.io.write_file(paths[-1], tf.io.encode_png(image))
  return dirs, images, paths


def _expected_probabilities(saved_model_dir, images):
  """serving_default on the images put through LeNet's evaluation preprocessing."""
  preprocess = preprocessing_factory.get_preprocessing('lenet', is_training=False)
  prepared = tf.stack([preprocess(tf.constant(image), 28, 28) for image in images])
  model = tf.saved_model.load(saved_model_dir)
  return model.signatures['serving_default'](images=prepared)['probabilities'].numpy()


def test_classify_gives_the_top_k_of_serving_default(exported):
  dirs, images, paths = exported
  expected = _expected_probabilities(dirs['encoded'], images)
  results = classify_images.classify(dirs['encoded'], paths, top_k=3)
  assert [path for path, _ in results] == paths
  for (_, classes), row in zip(results, expected):
    assert [label for label, _ in classes] == list(row.argsort()[::-1][:3])
    np.testing.assert_allclose([p for _, p in classes], np.sort(row)[::-1][:3], atol=1e-5)


def test_main_prints_one_line_per_image(exported, capsys):
  dirs, _, paths = exported
  classify_images.main(['--saved_model_dir=' + dirs['encoded'], '--top_k=2'] + paths)
  lines = capsys.readouterr().out.strip().splitlines()
  assert len(lines) == len(paths)
  for path, line in zip(paths, lines):
    assert line.startswith(path + ': class ')
    assert line.count('class ') == 2


def _console(argv, capsys):
  status = classify_images.console_main(argv)
  return status, capsys.readouterr().err


def test_a_saved_model_without_the_encoded_signature_names_the_fix(exported, capsys):
  dirs, _, paths = exported
  status, err = _console(['--saved_model_dir=' + dirs['plain']] + paths, capsys)
  assert status == 1
  assert 'no \'serving_encoded\' signature' in err and '--add_encoded_image_signature' in err


@pytest.mark.parametrize('argv, message', [
    (['--top_k=0', 'x.png'], '--top_k must be at least 1, received 0'),
    (['missing.png'], 'no such image file: missing.png'),
])
def test_bad_arguments_are_one_line_with_status_2(exported, capsys, argv, message):
  dirs, _, _ = exported
  status, err = _console(['--saved_model_dir=' + dirs['encoded']] + argv, capsys)
  assert status == 2
  assert err == 'classify_images: error: %s (see --help)\n' % message


def test_a_missing_saved_model_is_one_error_line(exported, tmp_path, capsys):
  _, _, paths = exported
  status, err = _console(['--saved_model_dir=' + os.path.join(str(tmp_path), 'none')] + paths,
                         capsys)
  assert status == 1
  assert err.startswith('classify_images: error: ') and err.count('\n') == 1


def test_help_states_the_flags(capsys):
  with pytest.raises(SystemExit):
    classify_images.main(['--help'])
  out = capsys.readouterr().out
  assert '--saved_model_dir' in out and '(required)' in out and '(default: 1)' in out
