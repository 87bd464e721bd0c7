"""What the tests of train_image_classifier and eval_image_classifier share: the
README's training flags, short runs, progress lines, digit image folders, checkpoints."""
import os

import numpy as np
import tensorflow as tf

from slim.tools import quickstart

# The README's main job (slim.tools.quickstart): LeNet on the digits.
README_TRAIN_FLAGS = ['--%s=%s' % flag for flag in quickstart.TRAIN_FLAGS]
README_EVAL_FLAGS = ['--%s=%s' % flag for flag in quickstart.EVAL_FLAGS]

# Short LeNet runs on the digits for the tests that do not need accuracy.
SHORT_TRAIN_FLAGS = ['--dataset_name=digits', '--model_name=lenet', '--optimizer=sgd',
                     '--learning_rate=0.01', '--learning_rate_decay_type=fixed',
                     '--weight_decay=0', '--num_readers=1', '--num_preprocessing_threads=1']


def progress_lines(text):
  return [line for line in text.splitlines() if 'global step' in line and 'loss =' in line]


def write_digit_folders(images_dir, classes, per_class):
  """PNG files of the first `per_class` training digits of each class in `classes`,
  one sub-folder per class ('digit_<d>')."""
  from PIL import Image  # pylint: disable=import-outside-toplevel
  from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
  images, labels = download_and_convert_digits.load_splits()['train']
  for digit in classes:
    folder = os.path.join(images_dir, 'digit_%d' % digit)
    os.makedirs(folder)
    for i, index in enumerate(np.flatnonzero(labels == digit)[:per_class]):
      Image.fromarray(images[index, :, :, 0]).save(os.path.join(folder, '%d.png' % i))


def checkpoint_value(path, name):
  return tf.train.load_checkpoint(path).get_tensor(name)
