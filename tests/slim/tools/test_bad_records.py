"""Bad records in the TFRecords that train_image_classifier and eval_image_classifier
read: a label outside the classes, no label, an image that cannot be decoded or
used. Each one stops the tool with one line naming the split, the record and what
is wrong; --skip_bad_records skips and counts them."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from slim.datasets import dataset_factory
from slim.datasets import dataset_utils
from slim.preprocessing import preprocessing_factory
from slim.tools import _common
from slim.tools import _records
from slim.tools import eval_image_classifier
from slim.tools import train_image_classifier
from tests.slim.tools import train_eval_setup as helpers

_v1 = tf.compat.v1
_CLASSES = ['c%d' % i for i in range(10)]
_NUM_GOOD = 24
_BAD_AT = 5  # the index of the bad record in its file


def _png(size=28, seed=0):
  pixels = np.random.RandomState(seed).randint(0, 256, [size, size, 1]).astype(np.uint8)
  return tf.io.encode_png(pixels).numpy()


def _example(label=3, image=None, image_format='png'):
  example = dataset_utils.image_to_tfexample(_png() if image is None else image, image_format,
                                             28, 28, 0)
  labels = example.features.feature['image/class/label'].int64_list.value
  if label is None:
    del example.features.feature['image/class/label']
  else:
    labels[:] = label if isinstance(label, list) else [label]
  return example.SerializeToString()


# kind: (the bad record, what the error says of it)
BAD = {
    'label 15': (_example(15), 'has label 15; expected 0..9 (labels_offset=0)'),
    'label -1': (_example(-1), 'has label -1; expected 0..9 (labels_offset=0)'),
    'no label': (_example(None), 'has no label (feature image/class/label); expected one in '
                                 '0..9 (labels_offset=0)'),
    'undecodable image': (_example(image=_png()[:40]),
                          'has a png image (40 bytes) that cannot be decoded (corrupt or '
                          'truncated)'),
}
MORE_BAD = {
    'two labels': (_example([3, 4]), 'has 2 labels (feature image/class/label); expected one '
                                     'in 0..9 (labels_offset=0)'),
    'empty image': (_example(image=b''), 'has no image (feature image/encoded missing or '
                                         'empty)'),
    'not an image': (_example(image=b'hello, world'),
                     'has an image (12 bytes, format png) that is not a JPEG, PNG, GIF or BMP '
                     'image'),
    'image of another size': (_example(image=_png(size=32)),
                              'has an image of 32x32x1 pixels that the decoder of the dataset or '
                              'the preprocessing cannot use'),
    'not an Example': (b'\x00\x01 not a proto', 'is not a tf.train.Example'),
}


def _good(count, seed=0):
  return [_example(label=i % 10, image=_png(seed=seed + i)) for i in range(count)]


def write_digits(dataset_dir, splits):
  """A dataset registered as 'digits' in `dataset_dir`: {split: [serialized
  records]}, one file per split, with its dataset_info.json and labels.txt."""
  os.makedirs(dataset_dir, exist_ok=True)
  info = {'dataset': 'digits', 'num_classes': 10, 'labels_offset': 0, 'classes': _CLASSES,
          'file_pattern': 'digits_%s_*.tfrecord', 'splits': {}, 'image_formats': ['png']}
  for split, records in splits.items():
    filename = 'digits_%s_00000-of-00001.tfrecord' % split
    with tf.io.TFRecordWriter(os.path.join(dataset_dir, filename)) as writer:
      for record in records:
        writer.write(record)
    info['splits'][split] = {'num_samples': len(records), 'files': [filename], 'skipped': 0}
  dataset_utils.write_label_file(dict(enumerate(_CLASSES)), dataset_dir)
  with open(os.path.join(dataset_dir, 'dataset_info.json'), 'w') as f:
    json.dump(info, f)
  return dataset_dir


def _with_bad(records, bad, at=_BAD_AT):
  return records[:at] + [bad] + records[at:]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
  """A LeNet checkpoint of one training step on good digits."""
  root = tmp_path_factory.mktemp('good')
  dataset_dir = write_digits(str(root / 'data'), {'train': _good(16)})
  train_dir = str(root / 'train')
  train_image_classifier.main(helpers.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=' + dataset_dir, '--train_dir=' + train_dir, '--batch_size=4',
      '--max_number_of_steps=1'])
  return tf.train.latest_checkpoint(train_dir)


def _train(dataset_dir, train_dir, *flags):
  return train_image_classifier.console_main(helpers.SHORT_TRAIN_FLAGS + [
      '--dataset_dir=' + dataset_dir, '--train_dir=' + train_dir, '--batch_size=4',
      '--max_number_of_steps=3', '--log_every_n_steps=0'] + list(flags))


def _eval_flags(dataset_dir, checkpoint, eval_dir):
  return ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + dataset_dir,
          '--dataset_split_name=test', '--checkpoint_path=' + checkpoint,
          '--eval_dir=' + eval_dir, '--batch_size=10']


def _error_line(prog, err):
  lines = [line for line in err.splitlines() if line.startswith(prog + ': error:')]
  assert len(lines) == 1, err[-3000:]
  return lines[0]


@pytest.mark.parametrize('kind', sorted(BAD))
def test_a_bad_record_stops_training_and_evaluation_naming_it(kind, checkpoint, tmp_path,
                                                             capsys):
  bad, says = BAD[kind]
  # Training shuffles: 8 records, 50 steps of 4 meet the bad one.
  dataset_dir = write_digits(str(tmp_path / 'data'), {
      'train': _with_bad(_good(8), bad), 'test': _with_bad(_good(_NUM_GOOD, 50), bad)})
  capsys.readouterr()
  assert _train(dataset_dir, str(tmp_path / 'train'), '--max_number_of_steps=50') == 1
  line = _error_line('train_image_classifier', capsys.readouterr().err)
  assert 'user-defined function' not in line, line  # tf.data's context of a map's error
  assert ('train split of digits: record %d of digits_train_00000-of-00001.tfrecord %s'
          % (_BAD_AT, says)) in line, line

  status = eval_image_classifier.console_main(_eval_flags(dataset_dir, checkpoint,
                                                          str(tmp_path / 'eval')))
  assert status == 1
  line = _error_line('eval_image_classifier', capsys.readouterr().err)
  assert ('test split of digits: record %d of digits_test_00000-of-00001.tfrecord %s'
          % (_BAD_AT, says)) in line, line


def test_skip_bad_records_trains_and_warns(tmp_path, capfd):
  records = _good(_NUM_GOOD)
  for index, kind in enumerate(sorted(BAD)):
    records = _with_bad(records, BAD[kind][0], at=3 * index)
  dataset_dir = write_digits(str(tmp_path / 'data'), {'train': records})
  train_dir = str(tmp_path / 'train')
  assert _train(dataset_dir, train_dir, '--skip_bad_records', '--max_number_of_steps=20') == 0
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-20')
  warnings = [line for line in capfd.readouterr().err.splitlines()
              if line.startswith('WARNING:tensorflow:skipped ')]
  assert warnings, 'no warning of the records skipped'
  assert ' bad records of the train split so far (--skip_bad_records); the latest: ' \
      'train split of digits: record ' in warnings[0], warnings[0]
  assert any(says in warnings[0] for _, says in BAD.values()), warnings[0]
  # A warning each time the count reaches a power of two: each epoch counts 4 more.
  counts = [int(line.split()[1]) for line in warnings]
  assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] >= 4, warnings


def test_skip_bad_records_evaluates_the_good_records_only(checkpoint, tmp_path, capsys):
  good = _good(_NUM_GOOD, 50)
  records = good
  for index, kind in enumerate(sorted(BAD)):
    records = _with_bad(records, BAD[kind][0], at=5 * index + 1)
  bad_dir = write_digits(str(tmp_path / 'bad'), {'test': records})
  good_dir = write_digits(str(tmp_path / 'good'), {'test': good})
  capsys.readouterr()
  skipped = eval_image_classifier.main(_eval_flags(bad_dir, checkpoint, str(tmp_path / 'e1')) +
                                       ['--skip_bad_records'])
  out = capsys.readouterr().out
  assert ('skipped 4 bad records of the test split (--skip_bad_records): the metrics count '
          'only the 24 records kept') in out, out
  clean = eval_image_classifier.main(_eval_flags(good_dir, checkpoint, str(tmp_path / 'e2')))
  assert skipped[0].pop('skipped_bad_records') == 4
  assert skipped == clean  # the same metrics as the good records alone
  assert 'skipped' not in capsys.readouterr().out  # without the flag: no such line


def _read_all(dataset_dir, split='test', labels_offset=0, skip_bad_records=False):
  """The labels of one pass over `split` through `_common.image_batches`, and the
  counts of the records skipped and kept (None without `skip_bad_records`)."""
  dataset = dataset_factory.get_dataset('digits', split, dataset_dir)
  with tf.Graph().as_default():
    iterator = _common.image_batches(
        dataset, preprocessing_factory.get_preprocessing('lenet'), 28, 10,
        labels_offset=labels_offset, is_training=False, skip_bad_records=skip_bad_records)
    labels = iterator.get_next()[1]
    counts = _records.record_counts()
    with _v1.Session() as sess:
      sess.run([_v1.local_variables_initializer(), _v1.tables_initializer()])
      read = []
      while True:
        try:
          read.extend(sess.run(labels))
        except tf.errors.OutOfRangeError:
          break
      return read, counts and sess.run([counts.skipped, counts.kept])


@pytest.mark.parametrize('kind', sorted(MORE_BAD))
def test_what_is_wrong_with_a_record_is_said(kind, tmp_path):
  bad, says = MORE_BAD[kind]
  dataset_dir = write_digits(str(tmp_path), {'test': _with_bad(_good(12), bad)})
  with pytest.raises(tf.errors.InvalidArgumentError) as error:
    _read_all(dataset_dir)
  assert ('test split of digits: record %d of digits_test_00000-of-00001.tfrecord %s'
          % (_BAD_AT, says)) in error.value.message
  labels, counts = _read_all(dataset_dir, skip_bad_records=True)
  assert labels == [i % 10 for i in range(12)] and counts == [1, 12]


def test_labels_offset_moves_the_labels_expected(tmp_path):
  dataset_dir = write_digits(str(tmp_path), {'test': _good(12)})
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'record 0 of digits_test_00000-of-00001.tfrecord has label 0; '
                           r'expected 1..9 \(labels_offset=1\)'):
    _read_all(dataset_dir, labels_offset=1)
  labels, counts = _read_all(dataset_dir, labels_offset=1, skip_bad_records=True)
  assert labels == [i % 10 - 1 for i in range(12) if i % 10] and counts == [2, 10]


def test_a_split_of_bad_records_only_is_an_error_even_skipping(tmp_path):
  dataset_dir = write_digits(str(tmp_path), {'test': [BAD['label 15'][0]] * 5})
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'test split of digits: the 5 records read are all bad \(the '
                           r'latest: test split of digits: record 4 of '
                           r'digits_test_00000-of-00001.tfrecord has label 15'):
    _read_all(dataset_dir, skip_bad_records=True)
