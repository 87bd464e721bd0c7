"""The flags that trained a model evaluate, export and classify with it: LeNet trained on
the 1-channel digits without --use_grayscale (train takes 1-channel images as they are),
then eval_image_classifier, export_inference_graph and classify_images with the same
network flags; the label names of the digits' labels.txt end up in the SavedModel."""
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from slim.datasets import download_and_convert_digits
from slim.preprocessing import preprocessing_factory
from slim.tools import classify_images
from slim.tools import eval_image_classifier
from tests.slim import fresh_python
from tests.slim.tools import export_setup
from tests.slim.tools import train_eval_setup as helpers

NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']
NUM_IMAGES = 12


def _network_flags(digits_dir):
  """research/slim's flags naming the network and its data, as train took them."""
  return ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir]


@pytest.fixture(scope='module')
def trained(digits_dir, tmp_path_factory):
  """A LeNet trained 100 steps on the digits by train_image_classifier, no --use_grayscale."""
  train_dir = str(tmp_path_factory.mktemp('trained') / 'train')
  fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *helpers.SHORT_TRAIN_FLAGS, '--dataset_dir=' + digits_dir,
      '--train_dir=' + train_dir, '--batch_size=32', '--max_number_of_steps=100'))
  assert helpers.checkpoint_value(train_dir, 'LeNet/conv1/weights').shape == (5, 5, 1, 32)
  return train_dir


def test_eval_export_and_classify_with_the_flags_that_trained(digits_dir, trained, tmp_path):
  evaluation = fresh_python.check_ran(fresh_python.run_tool(
      'eval_image_classifier', *_network_flags(digits_dir), '--dataset_split_name=test',
      '--checkpoint_path=' + trained, '--eval_dir=%s' % (tmp_path / 'eval')))
  accuracy = float(re.findall(r'eval/Accuracy = ([0-9.]+)', evaluation.stdout)[-1])

  serving = str(tmp_path / 'serving')
  status, stdout, stderr = export_setup.run_tool(_network_flags(digits_dir) + [
      '--checkpoint_path=' + trained, '--saved_model_dir=' + serving,
      '--add_encoded_image_signature'])
  assert status == 0, stderr
  assert 'lenet: 10 classes (labels offset 0), images 28x28x1' in stdout
  assert 'read in the checkpoint: 1-channel images (--use_grayscale unset)\n' in stdout
  assert '    output class_names: string [-1]' in stdout

  images, labels = download_and_convert_digits.load_splits()['test']
  paths = []
  for index, image in enumerate(images[:NUM_IMAGES]):
    paths.append(str(tmp_path / ('digit%d.png' % index)))
    tf.io.write_file(paths[-1], tf.io.encode_png(image))
  results = classify_images.main(['--saved_model_dir=' + serving] + paths)
  # The SavedModel's classes are the checkpoint's in a graph, named by labels.txt.
  preprocess = preprocessing_factory.get_preprocessing('lenet')
  prepared = np.stack([preprocess(tf.constant(image), 28, 28).numpy()
                       for image in images[:NUM_IMAGES]])
  logits, _ = export_setup.graph_outputs(tf.train.latest_checkpoint(trained), 'lenet', 10,
                                         prepared)
  assert [predictions[0].label for _, predictions in results] == list(logits.argmax(-1))
  assert [predictions[0].name for _, predictions in results] == [
      NAMES[label] for label in logits.argmax(-1)]
  right = np.mean(logits.argmax(-1) == labels[:NUM_IMAGES])
  print('trained 100 steps without --use_grayscale: eval/Accuracy %.3f; SavedModel right on '
        '%d/%d test digits' % (accuracy, round(right * NUM_IMAGES), NUM_IMAGES))
  assert accuracy > 0.5


def test_eval_of_a_checkpoint_that_does_not_fit_is_one_line_naming_the_flag(
    digits_dir, trained, tmp_path, capsys):
  # A resource variable restored in a graph takes the checkpoint's shape without a word:
  # the 10-class head would be evaluated as a 9-class one.
  status = eval_image_classifier.console_main(_network_flags(digits_dir) + [
      '--dataset_split_name=test', '--labels_offset=1', '--checkpoint_path=' + trained,
      '--eval_dir=%s' % (tmp_path / 'eval')])
  err = capsys.readouterr().err
  assert status == 2
  assert err.startswith('eval_image_classifier: error: --checkpoint_path: LeNet/fc4/weights '
                        'has shape [1024, 9] in the network but [1024, 10] in ')
  assert 'The checkpoint has 10 classes' in err and err.count('\n') == 1
  assert not os.path.exists(tmp_path / 'eval')
