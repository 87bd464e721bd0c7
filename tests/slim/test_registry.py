"""slim._registry: the one shape of the network, dataset and preprocessing registries."""
import pytest

from slim import _registry
from slim.datasets import dataset_factory
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory


def test_register_lookup_and_list():
  registry = _registry.Registry('network')
  entry = object()
  assert registry.register('lenet', entry) is entry
  registry.register('alexnet_v2', 'alexnet')
  assert registry.lookup('lenet') is entry and registry['alexnet_v2'] == 'alexnet'
  assert list(registry) == ['alexnet_v2', 'lenet'] and len(registry) == 2
  assert 'lenet' in registry and 'vgg' not in registry
  assert registry.names('a*') == ['alexnet_v2']
  assert repr(registry) == '<Registry of 2 networks>'


def test_unknown_name_and_bad_registrations():
  registry = _registry.Registry('dataset')
  registry.register('flowers', 1)
  with pytest.raises(ValueError, match=r"^Unknown dataset 'flower'. Did you mean 'flowers'\? "
                                       r"Known: flowers$"):
    registry.lookup('flower')
  with pytest.raises(ValueError, match=r'^Unknown dataset None. Known: flowers$'):
    registry.lookup(None)
  with pytest.raises(KeyError):
    registry['flower']  # pylint: disable=pointless-statement
  with pytest.raises(ValueError, match=r"register: the dataset 'flowers' is registered already"):
    registry.register('flowers', 2)
  with pytest.raises(ValueError, match=r'register: a dataset name must be a non-empty string, '
                                       r'received 3'):
    registry.register(3, 2)


@pytest.mark.parametrize('lookup, kind', [
    (nets_factory.get_network_spec, 'network'),
    (dataset_factory.get_spec, 'dataset'),
    (preprocessing_factory.get_preprocessing, 'preprocessing (or network)'),
])
def test_the_registries_word_an_unknown_name_alike(lookup, kind):
  with pytest.raises(ValueError, match=r"^Unknown %s 'zzz_unknown'. Known: " % kind.replace(
      '(', r'\(').replace(')', r'\)')):
    lookup('zzz_unknown')


def test_each_registry_lists_its_names():
  assert 'inception_v3' in nets_factory.list_networks()
  assert dataset_factory.list_datasets() == sorted(dataset_factory.REGISTRY)
  assert dataset_factory.list_datasets('*mnist*') == ['mnist']
  assert preprocessing_factory.list_preprocessing() == ['cifarnet', 'inception', 'lenet', 'vgg']
