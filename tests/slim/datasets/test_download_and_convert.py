"""Every converter on small archives in the original formats: records per split,
labels.txt, image shapes and label values, read back in graph mode and eagerly."""
import glob
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from slim.datasets import _convert
from slim.datasets import dataset_utils
from slim.datasets import download_and_convert_cifar10
from slim.datasets import download_and_convert_digits
from slim.datasets import download_and_convert_flowers
from slim.datasets import download_and_convert_image_folder
from slim.datasets import download_and_convert_imagenet
from slim.datasets import download_and_convert_mnist
from slim.datasets import download_and_convert_visualwakewords
from tests.slim.datasets import raw_archives


def _examples(pattern):
  """The tf.train.Examples of the files of `pattern`, in file order."""
  examples = []
  for path in sorted(glob.glob(pattern)):
    for record in tf.data.TFRecordDataset(path):
      examples.append(tf.train.Example.FromString(record.numpy()))
  return examples


def _feature(example, key):
  feature = example.features.feature[key]
  return (list(feature.bytes_list.value) or list(feature.int64_list.value)
          or list(feature.float_list.value))


def _finished_files(dataset_dir):
  return sorted(name for name in os.listdir(dataset_dir) if not name.startswith('.'))


def test_mnist_round_trip(tmp_path):
  raw = raw_archives.write_mnist(str(tmp_path / 'downloads'))
  out = str(tmp_path / 'mnist')
  summary = download_and_convert_mnist.run(out, archive_path=str(tmp_path / 'downloads'))
  assert summary.num_samples == {'train': 6, 'test': 4}
  assert dataset_utils.read_label_file(out)[9] == 'nine'
  assert _finished_files(out) == ['dataset_info.json', 'labels.txt', 'mnist_test.tfrecord',
                                  'mnist_train.tfrecord']
  for split in ('train', 'test'):
    dataset, items = raw_archives.read_split('mnist', split, out)
    assert dataset.num_samples == len(raw[split][0]) and dataset.num_classes == 10
    np.testing.assert_array_equal(np.stack([item['image'] for item in items]), raw[split][0])
    np.testing.assert_array_equal([item['label'] for item in items], raw[split][1])
  assert os.path.exists(tmp_path / 'downloads' / 't10k-images-idx3-ubyte.gz')  # not ours


def test_mnist_truncated_file_is_named(tmp_path):
  raw_archives.write_mnist(str(tmp_path))
  path = tmp_path / 'train-images-idx3-ubyte.gz'
  path.write_bytes(path.read_bytes()[:40])
  with pytest.raises(ValueError, match='train-images-idx3-ubyte.gz'):
    download_and_convert_mnist.run(str(tmp_path))
  assert not glob.glob(str(tmp_path / '*.tfrecord'))


def test_cifar10_round_trip_from_the_archive_in_dataset_dir(tmp_path):
  raw = raw_archives.write_cifar10_archive(str(tmp_path / 'cifar-10-python.tar.gz'))
  summary = download_and_convert_cifar10.run(str(tmp_path))
  assert summary.num_samples == {'train': 10, 'test': 3}
  assert dataset_utils.read_label_file(str(tmp_path)) == dict(enumerate(
      download_and_convert_cifar10._CLASS_NAMES))  # pylint: disable=protected-access
  for split in ('train', 'test'):
    _, items = raw_archives.read_split('cifar10', split, str(tmp_path))
    np.testing.assert_array_equal(np.stack([item['image'] for item in items]), raw[split][0])
    np.testing.assert_array_equal([item['label'] for item in items], raw[split][1])


def test_cifar10_refuses_bad_archives(tmp_path):
  not_archive = tmp_path / 'cifar.tar.gz'
  not_archive.write_bytes(b'not a tarball')
  with pytest.raises(ValueError, match='cifar.tar.gz is not a readable .tar.gz archive'):
    download_and_convert_cifar10.run(str(tmp_path / 'out'), archive_path=str(not_archive))
  with pytest.raises(FileNotFoundError, match='archive_path .*missing.tgz does not exist'):
    download_and_convert_cifar10.run(str(tmp_path / 'out'),
                                     archive_path=str(tmp_path / 'missing.tgz'))


def test_cifar10_pickles_cannot_run_code(tmp_path):
  import io, pickle, tarfile  # pylint: disable=import-outside-toplevel,multiple-imports

  class Exploit:
    def __reduce__(self):
      return (os.system, ('echo pwned',))

  path = str(tmp_path / 'evil.tar.gz')
  with tarfile.open(path, 'w:gz') as archive:
    data = pickle.dumps({b'data': Exploit()}, protocol=2)
    info = tarfile.TarInfo('cifar-10-batches-py/data_batch_1')
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))
  with pytest.raises(ValueError, match='system is not allowed'):
    download_and_convert_cifar10.run(str(tmp_path / 'out'), archive_path=path)


def test_flowers_round_trip(tmp_path):
  photos = raw_archives.write_flowers_archive(str(tmp_path / 'flower_photos.tgz'))
  out = str(tmp_path / 'flowers')
  summary = download_and_convert_flowers.run(out, archive_path=str(tmp_path /
                                                                   'flower_photos.tgz'),
                                             num_validation=2, num_threads=2)
  assert summary.num_samples == {'train': 7, 'validation': 2}
  assert dataset_utils.read_label_file(out) == {0: 'daisy', 1: 'roses', 2: 'tulips'}
  assert len(glob.glob(os.path.join(out, 'flowers_train_*-of-00005.tfrecord'))) == 5
  assert len(glob.glob(os.path.join(out, 'flowers_validation_*-of-00002.tfrecord'))) == 2
  shapes = sorted(image.shape for _, image in photos.values())
  seen = []
  for split in ('train', 'validation'):
    dataset, items = raw_archives.read_split('flowers', split, out)
    assert dataset.num_classes == 3
    seen += [(item['image'].shape, item['label']) for item in items]
  assert sorted(shape for shape, _ in seen) == shapes
  expected_labels = sorted(['daisy', 'roses', 'tulips'].index(c) for c, _ in photos.values())
  assert sorted(label for _, label in seen) == expected_labels
  assert os.path.exists(tmp_path / 'flower_photos.tgz')  # given, so not removed


def test_flowers_archive_without_flower_photos(tmp_path):
  import tarfile  # pylint: disable=import-outside-toplevel
  path = str(tmp_path / 'flower_photos.tgz')
  with tarfile.open(path, 'w:gz') as archive:
    archive.add(__file__, arcname='other/file.py')
  with pytest.raises(ValueError, match='has no flower_photos/ folder'):
    download_and_convert_flowers.run(str(tmp_path))
  assert _finished_files(str(tmp_path)) == ['flower_photos.tgz']


def test_visualwakewords_round_trip_extracting_the_annotations(tmp_path):
  coco_dir = str(tmp_path / 'coco_dataset')
  os.makedirs(coco_dir)
  expected = raw_archives.write_coco(coco_dir)
  out = str(tmp_path)
  summary = download_and_convert_visualwakewords.run(out, num_shards=2)
  assert summary.num_samples == {'train': 3, 'val': 2}
  assert dataset_utils.read_label_file(out) == {0: 'background', 1: 'person'}
  assert os.path.exists(os.path.join(out, 'instances_visualwakewords_train2014.json'))
  for split in ('train', 'val'):
    dataset, items = raw_archives.read_split('visualwakewords', split, out)
    examples = _examples(os.path.join(out, '%s.record-*' % split))
    assert dataset.num_classes == 2
    for example, item in zip(examples, items):
      label, boxes = expected[split][_feature(example, 'image/filename')[0].decode()]
      assert item['label'] == label and item['image'].shape == (50, 80, 3)
      np.testing.assert_allclose(item['object/bbox'], np.reshape(boxes, (-1, 4)), atol=1e-6)


def test_visualwakewords_unknown_foreground_class(tmp_path):
  coco_dir = str(tmp_path / 'coco_dataset')
  os.makedirs(coco_dir)
  raw_archives.write_coco(coco_dir)
  with pytest.raises(ValueError, match="has no category 'dog'; its categories: cat, person"):
    download_and_convert_visualwakewords.run(str(tmp_path), foreground_class_of_interest='dog')


def test_imagenet_round_trip_with_boxes_and_flat_validation(tmp_path):
  expected = raw_archives.write_imagenet(str(tmp_path))
  summary = download_and_convert_imagenet.run(str(tmp_path), num_shards=2)
  assert summary.num_samples == {'train': 6, 'validation': 3}
  labels = dataset_utils.read_label_file(str(tmp_path))
  assert labels[0] == 'background' and labels[2] == 'goldfish, Carassius auratus'
  assert sorted(glob.glob(str(tmp_path / 'train-*'))) == [
      str(tmp_path / 'train-00000-of-00002'), str(tmp_path / 'train-00001-of-00002')]
  for split in ('train', 'validation'):
    dataset, items = raw_archives.read_split('imagenet', split, str(tmp_path))
    assert dataset.num_classes == 4 and dataset.labels_offset == 1
    examples = _examples(str(tmp_path / ('%s-*' % split)))
    for example, item in zip(examples, items):
      name = _feature(example, 'image/filename')[0].decode()
      label, synset, boxes = expected[split][name]
      assert item['label'] == label
      assert item['label_text'].decode() == raw_archives.HUMANS[synset]
      assert _feature(example, 'image/encoded')[0][:3] == b'\xff\xd8\xff'  # PNG re-encoded
      assert item['image'].shape == ((20, 10, 3) if split == 'train' else (12, 16, 3))
      np.testing.assert_allclose(item['object/bbox'],
                                 np.reshape([[b[1], b[0], b[3], b[2]] for b in boxes], (-1, 4)),
                                 atol=1e-6)
      np.testing.assert_array_equal(item['object/label'], [label] * len(boxes))


def test_imagenet_without_image_folders(tmp_path):
  raw_archives.write_imagenet(str(tmp_path / 'source'))
  with pytest.raises(ValueError, match='no ImageNet image folder'):
    download_and_convert_imagenet.run(
        str(tmp_path / 'out'), labels_file=str(tmp_path / 'source' / 'imagenet_lsvrc_2015_'
                                                                     'synsets.txt'),
        imagenet_metadata_file=str(tmp_path / 'source' / 'imagenet_metadata.txt'))


def test_digits_round_trip_is_the_quickstart_split(tmp_path):
  summary = download_and_convert_digits.run(str(tmp_path))
  assert summary.num_samples == {'train': 1500, 'test': 297}
  dataset, items = raw_archives.read_split('digits', 'test', str(tmp_path))
  assert dataset.num_classes == 10 and dataset.labels_to_names[0] == 'zero'
  assert {item['image'].shape for item in items} == {(28, 28, 1)}
  assert all(item['image'].dtype == np.uint8 for item in items)
  from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
  target = load_digits().target
  order = np.random.RandomState(0).permutation(len(target))
  np.testing.assert_array_equal([item['label'] for item in items], target[order][1500:])
  original = load_digits().images[order[1500]]
  shrunk = tf.image.resize(items[0]['image'][None].astype(np.float32), [8, 8], 'area')
  assert np.corrcoef(shrunk.numpy().ravel(), original.ravel())[0, 1] > 0.9


def test_image_folder_split_by_seed_with_formats_kept_or_converted(tmp_path):
  root = str(tmp_path / 'photos')
  written = raw_archives.write_image_folder(root, {
      'cats': ['1.jpg', '2.png', '3.bmp', '4.JPEG'], 'dogs': ['1.jpg', '2.jpg', '.hidden.jpg'],
      'empty': []})
  os.makedirs(os.path.join(root, '.git'))
  with open(os.path.join(root, 'cats', 'notes.txt'), 'w') as f:
    f.write('not an image')
  out = str(tmp_path / 'out')
  summary = download_and_convert_image_folder.run(out, root, num_validation=2)
  assert summary.num_samples == {'train': 4, 'validation': 2}
  assert dataset_utils.read_label_file(out) == {0: 'cats', 1: 'dogs', 2: 'empty'}
  info = _convert.read_metadata(out)
  assert info['classes'] == ['cats', 'dogs', 'empty'] and info['image_formats'] == ['jpeg',
                                                                                    'png']
  images = {path: image for path, (_, image) in written.items() if '.hidden' not in path}
  seen = []
  for split in ('train', 'validation'):
    dataset, items = raw_archives.read_split('image_folder', split, out)
    assert dataset.num_classes == 3
    seen += items
  for item in seen:
    matches = [path for path, image in images.items() if image.shape == item['image'].shape]
    assert len(matches) == 1, item['image'].shape
    assert item['label'] == ['cats', 'dogs'].index(written[matches[0]][0])
    if not matches[0].lower().endswith(('.jpg', '.jpeg')):
      np.testing.assert_array_equal(item['image'], images[matches[0]])  # PNG: exact
    images.pop(matches[0])
  assert not images


def test_image_folder_keeps_an_existing_split(tmp_path):
  root = str(tmp_path / 'photos')
  raw_archives.write_image_folder(os.path.join(root, 'train'), {'a': ['1.png', '2.png'],
                                                                'b': ['1.png']})
  raw_archives.write_image_folder(os.path.join(root, 'test'), {'b': ['1.png']})
  summary = download_and_convert_image_folder.run(str(tmp_path / 'out'), root)
  assert summary.num_samples == {'test': 1, 'train': 3}
  _, items = raw_archives.read_split('image_folder', 'test', str(tmp_path / 'out'))
  assert [item['label'] for item in items] == [1]


def test_image_folder_bad_inputs(tmp_path):
  empty = tmp_path / 'empty'
  empty.mkdir()
  with pytest.raises(ValueError, match='has no class sub-folders'):
    download_and_convert_image_folder.run(str(tmp_path / 'out'), str(empty))
  (empty / 'cats').mkdir()
  with pytest.raises(ValueError, match=r'no images \(.jpg.*in its class sub-folders cats'):
    download_and_convert_image_folder.run(str(tmp_path / 'out'), str(empty))
  with pytest.raises(ValueError, match='is not a directory'):
    download_and_convert_image_folder.run(str(tmp_path / 'out'), str(tmp_path / 'nothing'))
  raw_archives.write_image_folder(str(empty), {'cats': ['1.png', '2.png']})
  with pytest.raises(ValueError, match=r'num_validation must be in \[0, 2\)'):
    download_and_convert_image_folder.run(str(tmp_path / 'out'), str(empty), num_validation=2)


def _folder_with_a_corrupt_jpeg(root):
  raw_archives.write_image_folder(root, {'a': ['1.png', '2.jpg', '3.png'], 'b': ['1.png']})
  bad = os.path.join(root, 'a', '2.jpg')
  with open(bad, 'rb') as f:
    data = f.read()
  with open(bad, 'wb') as f:
    f.write(data[:len(data) // 2])
  return bad


def test_corrupt_jpeg_stops_naming_the_file_and_leaves_nothing_finished(tmp_path):
  bad = _folder_with_a_corrupt_jpeg(str(tmp_path / 'photos'))
  out = str(tmp_path / 'out')
  with pytest.raises(_convert.BadImageError, match=r'a/2.jpg: not a decodable image'):
    download_and_convert_image_folder.run(out, str(tmp_path / 'photos'), num_validation=0,
                                          num_shards=2, num_threads=2)
  assert os.listdir(out) == []
  assert bad.endswith('2.jpg')


def test_skip_bad_images_counts_them(tmp_path):
  _folder_with_a_corrupt_jpeg(str(tmp_path / 'photos'))
  out = str(tmp_path / 'out')
  summary = download_and_convert_image_folder.run(out, str(tmp_path / 'photos'),
                                                  num_validation=0, skip_bad_images=True)
  assert summary.num_samples == {'train': 3}
  assert _convert.read_metadata(out)['splits']['train']['skipped'] == 1
  assert 'skipped (train):' in str(summary) and '2.jpg' in str(summary)
  assert raw_archives.read_split('image_folder', 'train', out)[0].num_samples == 3


def test_rerun_is_idempotent_and_overwrite_replaces_shards(tmp_path, capsys):
  root = str(tmp_path / 'photos')
  raw_archives.write_image_folder(root, {'a': ['%d.png' % i for i in range(4)]})
  out = str(tmp_path / 'out')
  download_and_convert_image_folder.run(out, root, num_validation=0, num_shards=3)
  mtimes = {name: os.path.getmtime(os.path.join(out, name)) for name in os.listdir(out)}
  again = download_and_convert_image_folder.run(out, root, num_validation=0, num_shards=3)
  assert again.reused and 'already exist' in capsys.readouterr().out
  assert {n: os.path.getmtime(os.path.join(out, n)) for n in os.listdir(out)} == mtimes
  download_and_convert_image_folder.run(out, root, num_validation=0, num_shards=2,
                                        overwrite=True)
  assert sorted(glob.glob(os.path.join(out, 'image_folder_train_*'))) == [
      os.path.join(out, 'image_folder_train_%05d-of-00002.tfrecord' % i) for i in range(2)]


def _tiny_conversion(out, skip_item=None):
  """write_dataset of 6 items in 3 shards (2 threads); item `skip_item` is a bad image."""
  def make_example(item):
    if item == skip_item:
      raise _convert.BadImageError('%d.png: not a decodable image' % item)
    return dataset_utils.image_to_tfexample(b'x', 'png', 1, 1, item)

  split = _convert.Split('train', list(range(6)),
                         _convert.sharded_names('x_%s_%05d-of-%05d', 'train'), 3)
  return _convert.write_dataset(out, 'x', [split], make_example, ['zero'], 'x_%s_*',
                                num_threads=2, skip_bad_images=True)


def test_conversion_prints_images_done_at_most_every_few_seconds(tmp_path, capsys):
  _tiny_conversion(str(tmp_path / 'out'))
  lines = capsys.readouterr().out.splitlines()
  assert len([line for line in lines if 'shard' in line]) == 3  # one per shard, as before
  progress = [line for line in lines if line.startswith('>> x: image')]
  assert len(progress) == 1 and progress == lines[-1:], lines  # quick: the final line only
  assert re.match(r'>> x: image 6/6 \(\d+\.\d\d images/sec, ETA 0:00:00\)$', progress[0])


def test_conversion_progress_counts_skipped_images_across_threads(tmp_path, capsys,
                                                                  monkeypatch):
  monkeypatch.setattr(dataset_utils, 'PROGRESS_SECS', 0)  # a line per image
  _tiny_conversion(str(tmp_path / 'out'), skip_item=2)
  lines = [line for line in capsys.readouterr().out.splitlines()
           if line.startswith('>> x: image')]
  assert [line.split(' ')[3] for line in lines] == ['%d/6' % n for n in range(1, 7)]


def test_interrupted_write_leaves_only_hidden_temporaries_removed_next_run(tmp_path):
  out = str(tmp_path / 'out')
  calls = []

  def make_example(item):
    calls.append(item)
    if len(calls) == 3:
      raise KeyboardInterrupt()
    return dataset_utils.image_to_tfexample(b'x', 'png', 1, 1, item)

  split = _convert.Split('train', list(range(6)),
                         _convert.sharded_names('x_%s_%05d-of-%05d', 'train'), 2)
  with pytest.raises(KeyboardInterrupt):
    _convert.write_dataset(out, 'x', [split], make_example, ['zero'], 'x_%s_*',
                           num_threads=1)
  assert os.listdir(out) == []
  stale = os.path.join(out, '.tmp-x-killed')
  os.makedirs(stale)  # what a killed run leaves
  _convert.convert_once(out, 'x', False, lambda: _convert.write_dataset(
      out, 'x', [split], lambda item: dataset_utils.image_to_tfexample(b'x', 'png', 1, 1, item),
      ['zero'], 'x_%s_*'))
  assert _finished_files(out) == ['dataset_info.json', 'labels.txt',
                                  'x_train_00000-of-00002', 'x_train_00001-of-00002']


def test_mnist_download_path_removes_what_it_downloaded(tmp_path, monkeypatch):
  mirror = tmp_path / 'mirror'
  raw_archives.write_mnist(str(mirror))
  monkeypatch.setattr(download_and_convert_mnist, '_DATA_URL', mirror.as_uri() + '/')
  out = str(tmp_path / 'mnist')
  assert download_and_convert_mnist.run(out).num_samples == {'train': 6, 'test': 4}
  assert _finished_files(out) == ['dataset_info.json', 'labels.txt', 'mnist_test.tfrecord',
                                  'mnist_train.tfrecord']


def test_imagenet_boxes_from_a_csv(tmp_path):
  raw_archives.write_imagenet(str(tmp_path))
  csv = tmp_path / 'boxes.csv'
  csv.write_text('n01443537_0.JPEG,0.1,0.2,0.3,0.4\nn01443537_0.JPEG,0.5,0.5,0.6,0.7\n')
  download_and_convert_imagenet.run(str(tmp_path), bounding_box_file=str(csv), num_shards=1,
                                    validation_directory=str(tmp_path / 'none'))
  examples = {_feature(e, 'image/filename')[0]: e for e in _examples(str(tmp_path / 'train-*'))}
  boxed = examples[b'n01443537_0.JPEG']
  np.testing.assert_allclose(_feature(boxed, 'image/object/bbox/xmin'), [0.1, 0.5])
  np.testing.assert_allclose(_feature(boxed, 'image/object/bbox/ymax'), [0.4, 0.7])
  assert _feature(examples[b'n01440764_0.JPEG'], 'image/object/bbox/xmin') == []
  csv.write_text('n01443537_0.JPEG,0.1,0.2\n')
  with pytest.raises(ValueError, match=r'boxes.csv line 1: expected image,xmin,ymin,xmax,ymax'):
    download_and_convert_imagenet.read_bounding_box_file(str(csv))


def test_visualwakewords_downloads_and_extracts_the_coco_zips(tmp_path):
  import zipfile  # pylint: disable=import-outside-toplevel
  mirror = tmp_path / 'mirror'
  mirror.mkdir()
  raw_archives.write_coco(str(mirror))
  for folder in ('train2014', 'val2014'):
    with zipfile.ZipFile(str(mirror / (folder + '.zip')), 'w') as archive:
      for name in os.listdir(mirror / folder):
        archive.write(str(mirror / folder / name), '%s/%s' % (folder, name))
  out = tmp_path / 'vww'
  summary = download_and_convert_visualwakewords.run(
      str(out), num_shards=1, coco_train_url=(mirror / 'train2014.zip').as_uri(),
      coco_validation_url=(mirror / 'val2014.zip').as_uri(),
      coco_annotations_url=(mirror / 'annotations_trainval2014.zip').as_uri())
  assert summary.num_samples == {'train': 3, 'val': 2}
  assert sorted(os.listdir(out / 'coco_dataset')) == [
      'annotations', 'annotations_trainval2014.zip', 'train2014', 'train2014.zip', 'val2014',
      'val2014.zip']
