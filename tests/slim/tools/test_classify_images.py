"""classify_images: a SavedModel of export_inference_graph, reloaded, classifies image files."""
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import preprocessing_factory
from slim.tools import classify_images
from slim.tools import export_lib
from tests.slim.tools import export_setup


NAMES = ['null', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht',
         'neun: 9']  # what labels.txt holds is passed on as it is


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
  """LeNet SavedModels of random checkpoints (1 channel, --use_grayscale unset) and 3 PNGs:
  'named' (--dataset_dir with a labels.txt, serving_encoded), 'offset' (9 classes,
  --labels_offset=1, names), 'unnamed' (no --dataset_dir), 'plain' (no serving_encoded)."""
  root = tmp_path_factory.mktemp('serving')
  (root / 'labels.txt').write_text(''.join('%d:%s\n' % item for item in enumerate(NAMES)),
                                   encoding='utf-8')
  checkpoints = {10: export_setup.random_checkpoint(str(root / 'ten.ckpt'), 'lenet', 10, 28, 1),
                 9: export_setup.random_checkpoint(str(root / 'nine.ckpt'), 'lenet', 9, 28, 1)}
  encoded = '--add_encoded_image_signature'
  names = '--dataset_dir=%s' % root
  dirs = {}
  for name, classes, extra in (('named', 10, [encoded, names]),
                               ('offset', 9, [encoded, names, '--labels_offset=1']),
                               ('unnamed', 10, [encoded]), ('plain', 10, [names])):
    dirs[name] = str(root / name)
    status, _, err = export_setup.run_tool([
        '--model_name=lenet', '--dataset_name=digits', '--checkpoint_path=' + checkpoints[classes],
        '--saved_model_dir=' + dirs[name]] + extra)
    assert status == 0, err
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


@pytest.mark.parametrize('name, offset', [('named', 0), ('offset', 1), ('unnamed', 0)])
def test_classify_gives_the_top_k_of_serving_default_with_names(exported, name, offset):
  dirs, images, paths = exported
  expected = _expected_probabilities(dirs[name], images)
  results = classify_images.classify(dirs[name], paths, top_k=3)
  assert [path for path, _ in results] == paths
  for (_, predictions), row in zip(results, expected):
    assert all(isinstance(p, classify_images.Prediction) for p in predictions)
    labels = [label for label, _, _ in predictions]
    assert labels == list(row.argsort()[::-1][:3] + offset)
    np.testing.assert_allclose([p.probability for p in predictions], np.sort(row)[::-1][:3],
                               atol=1e-5)
    assert [p.name for p in predictions] == (
        [None] * 3 if name == 'unnamed' else [NAMES[label] for label in labels])


@pytest.mark.parametrize('name, offset', [('named', 0), ('offset', 1)])
def test_saved_model_class_names_output_and_labels_asset(exported, name, offset):
  dirs, images, paths = exported
  model = tf.saved_model.load(dirs[name])
  outputs = model.signatures['serving_encoded'](
      encoded_images=tf.stack([tf.io.read_file(path) for path in paths]))
  classes = outputs['classes'].numpy()
  assert [n.decode('utf-8') for n in outputs['class_names'].numpy()] == [
      NAMES[label] for label in classes]
  labels = {label: NAMES[label] for label in range(offset, 10)}
  assert export_lib.saved_model_labels(model) == labels
  with open(os.path.join(dirs[name], 'assets', 'labels.txt'), encoding='utf-8') as f:
    assert f.read() == ''.join('%d:%s\n' % item for item in labels.items())


def test_a_saved_model_without_names_has_no_class_names_output(exported):
  dirs, _, _ = exported
  model = tf.saved_model.load(dirs['unnamed'])
  assert set(model.signatures['serving_encoded'].structured_outputs) == {
      'logits', 'probabilities', 'classes'}
  assert export_lib.saved_model_labels(model) is None
  assert not os.path.exists(os.path.join(dirs['unnamed'], 'assets', 'labels.txt'))


def test_main_prints_label_name_and_probability(exported, capsys):
  dirs, _, paths = exported
  results = classify_images.main(['--saved_model_dir=' + dirs['named'], '--top_k=2'] + paths)
  lines = capsys.readouterr().out.strip().splitlines()
  assert lines == ['%s: %s' % (path, ', '.join(
      '%d:%s (%.3f)' % (p.label, NAMES[p.label], p.probability) for p in predictions))
                   for path, predictions in results]
  assert re.fullmatch(r'.*image0\.png: \d:\w+(: 9)? \(\d\.\d{3}\), \d:\w+(: 9)? \(\d\.\d{3}\)',
                      lines[0]), lines[0]


def test_main_prints_class_numbers_without_names(exported, capsys):
  dirs, _, paths = exported
  classify_images.main(['--saved_model_dir=' + dirs['unnamed'], '--top_k=2'] + paths)
  lines = capsys.readouterr().out.strip().splitlines()
  assert len(lines) == len(paths)
  for path, line in zip(paths, lines):
    assert re.fullmatch(r'%s: class \d \(\d\.\d{3}\), class \d \(\d\.\d{3}\)' % re.escape(path),
                        line), line


def _console(argv, capsys):
  status = classify_images.console_main(argv)
  return status, capsys.readouterr().err


def test_a_saved_model_without_the_encoded_signature_names_the_fix(exported, capsys):
  dirs, _, paths = exported
  status, err = _console(['--saved_model_dir=' + dirs['plain']] + paths, capsys)
  assert status == 1
  assert 'no \'serving_encoded\' signature' in err and '--add_encoded_image_signature' in err


def test_bad_arguments_are_one_line_with_status_2(exported, capsys):
  dirs, _, _ = exported
  status, err = _console(['--saved_model_dir=' + dirs['named'], '--top_k=0', 'x.png'], capsys)
  assert status == 2
  assert err == 'classify_images: error: --top_k must be at least 1, received 0 (see --help)\n'


def _bad_files(tmp_path):
  """{file that is not an image: the end of its error line}."""
  (tmp_path / 'notes.txt').write_text('not an image')
  (tmp_path / 'empty.png').write_bytes(b'')
  (tmp_path / 'album').mkdir()
  return {str(tmp_path / 'notes.txt'): r'not a decodable image \(Unknown image file format.+\)',
          str(tmp_path / 'album'): 'is a directory, not an image file',
          str(tmp_path / 'gone.png'): 'no such file',
          str(tmp_path / 'empty.png'): r'not a decodable image \(.+\)'}


def test_each_bad_file_is_named_and_the_others_are_classified(exported, tmp_path, capsys):
  dirs, _, paths = exported
  bad = _bad_files(tmp_path)
  classify_images.main(['--saved_model_dir=' + dirs['named']] + paths)
  expected_out = capsys.readouterr().out
  argv = [paths[0]] + list(bad)[:2] + [paths[1]] + list(bad)[2:] + [paths[2]]
  status = classify_images.console_main(['--saved_model_dir=' + dirs['named']] + argv)
  captured = capsys.readouterr()
  assert status == 1
  assert captured.out == expected_out
  lines = captured.err.splitlines()
  assert len(lines) == len(bad) + 1, lines
  for line, (path, reason) in zip(lines, bad.items()):
    assert re.fullmatch('classify_images: error: %s: %s' % (re.escape(path), reason), line), line
  assert lines[-1] == 'classify_images: error: 4 of 7 image files not classified'


def test_only_bad_files_print_no_classes(exported, tmp_path, capsys):
  dirs, _, _ = exported
  bad = _bad_files(tmp_path)
  status = classify_images.console_main(['--saved_model_dir=' + dirs['unnamed']] + list(bad))
  captured = capsys.readouterr()
  assert status == 1 and captured.out == ''
  assert captured.err.splitlines()[-1] == 'classify_images: error: 4 of 4 image files not ' \
                                           'classified'


def test_classify_raises_naming_the_file_that_is_not_an_image(exported, tmp_path):
  dirs, _, paths = exported
  notes = list(_bad_files(tmp_path))[0]
  with pytest.raises(ValueError, match=re.escape(notes) + ': not a decodable image'):
    classify_images.classify(dirs['named'], [paths[0], notes])


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
