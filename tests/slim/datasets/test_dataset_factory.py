"""dataset_factory: the one registry, get_dataset, and the research/slim module API."""
import importlib
import inspect
import json

import pytest
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.datasets import dataset_utils

RESEARCH_SPLITS = {
    'cifar10': {'train': 50000, 'test': 10000},
    'flowers': {'train': 3320, 'validation': 350},
    'imagenet': {'train': 1281167, 'validation': 50000},
    'mnist': {'train': 60000, 'test': 10000},
    'visualwakewords': {'train': 82783, 'val': 40504},
    'digits': {'train': 1500, 'test': 297},
}
RESEARCH_NUM_CLASSES = {'cifar10': 10, 'flowers': 5, 'imagenet': 1001, 'mnist': 10,
                        'visualwakewords': 2, 'digits': 10}


def test_registry_entries_carry_everything():
  assert sorted(dataset_factory.REGISTRY) == [
      'cifar10', 'digits', 'flowers', 'image_folder', 'imagenet', 'mnist', 'visualwakewords']
  for name, spec in dataset_factory.REGISTRY.items():
    assert spec.name == name and '%s' in spec.file_pattern
    assert set(spec.items_to_descriptions) == set(spec.items_to_handlers())
    assert callable(importlib.import_module(spec.converter).run)
    if name != 'image_folder':
      assert spec.splits() == RESEARCH_SPLITS[name]
      assert spec.num_classes == RESEARCH_NUM_CLASSES[name]
    assert spec.labels_offset == (1 if name == 'imagenet' else 0)
    assert dataset_factory.datasets_map[name].get_split is not None


@pytest.mark.parametrize('name', sorted(RESEARCH_SPLITS))
def test_get_dataset_describes_a_split_without_its_files(name):
  split = sorted(RESEARCH_SPLITS[name])[0]
  dataset = dataset_factory.get_dataset(name, split, '/no/such/dir')
  spec = dataset_factory.REGISTRY[name]
  assert dataset.num_samples == RESEARCH_SPLITS[name][split]
  assert dataset.num_classes == RESEARCH_NUM_CLASSES[name]
  assert dataset.data_sources == '/no/such/dir/' + spec.file_pattern % split
  assert dataset.reader is tf.compat.v1.TFRecordReader
  assert dataset.labels_to_names is None and dataset.name == name
  assert sorted(dataset.decoder.list_items()) == sorted(dataset.items_to_descriptions)


def test_research_modules_keep_their_get_split_signature():
  for name in RESEARCH_SPLITS:
    module = importlib.import_module('datasets.' + name)
    assert list(inspect.signature(module.get_split).parameters) == [
        'split_name', 'dataset_dir', 'file_pattern', 'reader']
  assert dataset_factory.get_dataset('flowers', 'train', '').data_sources == (
      'flowers_train_*.tfrecord')


def test_file_pattern_and_reader_overrides():
  dataset = dataset_factory.get_dataset('mnist', 'test', '/d', file_pattern='m-%s-*.rec',
                                        reader=tf.data.TFRecordDataset)
  assert dataset.data_sources == '/d/m-test-*.rec' and dataset.reader is tf.data.TFRecordDataset
  assert dataset_factory.get_dataset('mnist', 'test', '/d', 'all.rec').data_sources == (
      '/d/all.rec')


def test_unknown_names_and_splits_list_the_known_ones():
  with pytest.raises(ValueError, match=r"Unknown dataset 'flower'. Did you mean 'flowers'\? "
                                       r"Known: cifar10, digits, flowers, image_folder"):
    dataset_factory.get_dataset('flower', 'train', '/tmp')
  with pytest.raises(ValueError, match=r"flowers: split name 'test' was not recognized. "
                                       r"Known splits: train, validation"):
    dataset_factory.get_dataset('flowers', 'test', '/tmp')
  with pytest.raises(ValueError, match=r'image_folder: the splits are known only after '
                                       r'conversion.*--dataset_name=image_folder'):
    dataset_factory.get_dataset('image_folder', 'train', '/tmp/nothing')


def test_converted_metadata_and_labels_take_precedence(tmp_path):
  dataset_utils.write_label_file({0: 'daisy', 1: 'rose'}, str(tmp_path))
  info = {'dataset': 'flowers', 'num_classes': 2, 'labels_offset': 0, 'classes': ['a', 'b'],
          'file_pattern': 'flowers_%s_*.tfrecord', 'image_formats': ['jpg'],
          'splits': {'train': {'num_samples': 7, 'files': [], 'skipped': 0}}}
  (tmp_path / 'dataset_info.json').write_text(json.dumps(info))
  dataset = dataset_factory.get_dataset('flowers', 'train', str(tmp_path))
  assert dataset.num_samples == 7 and dataset.num_classes == 2
  assert dataset.labels_to_names == {0: 'daisy', 1: 'rose'}
  with pytest.raises(ValueError, match="split name 'validation' was not recognized"):
    dataset_factory.get_dataset('flowers', 'validation', str(tmp_path))
  # Metadata of another dataset is ignored.
  assert dataset_factory.get_dataset('mnist', 'test', str(tmp_path)).num_samples == 10000


def test_provider_on_a_missing_directory_says_so(tmp_path):
  dataset = dataset_factory.get_dataset('flowers', 'train', str(tmp_path / 'missing'))
  with pytest.raises(ValueError, match=r'No data files found in .*missing/flowers_train_\*'
                                       r'.tfrecord \(the directory .* does not exist\)'):
    slim.dataset_data_provider.make_tf_dataset(dataset)
  with pytest.raises(ValueError, match=r'No data files found'):
    slim.dataset_data_provider.make_tf_dataset(
        dataset_factory.get_dataset('flowers', 'train', str(tmp_path)))
