"""Network names through the real network registry, slim.nets.nets_factory (its
`get_network_spec(name).preprocessing` and `list_networks()`)."""
import numpy as np
import pytest

from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from tests.slim.preprocessing import preprocessing_helpers as helpers

# research/slim's preprocessing_factory, network by network. ResNet V2 is left out:
# research/slim maps it to 'vgg' while its published checkpoints were trained with
# 'inception' preprocessing (research/slim README); the registry decides.
RESEARCH_SLIM = dict(
    [(name, 'inception') for name in (
        'inception_v1', 'inception_v2', 'inception_v3', 'inception_v4', 'inception_resnet_v2',
        'mobilenet_v1', 'mobilenet_v2', 'mobilenet_v2_035', 'mobilenet_v2_140',
        'mobilenet_v3_small', 'mobilenet_v3_large', 'mobilenet_v3_small_minimalistic',
        'mobilenet_v3_large_minimalistic', 'mobilenet_edgetpu', 'mobilenet_edgetpu_075',
        'nasnet_mobile', 'nasnet_large', 'pnasnet_mobile', 'pnasnet_large')]
    + [(name, 'vgg') for name in ('vgg_a', 'vgg_16', 'vgg_19', 'resnet_v1_50',
                                  'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200')]
    + [('cifarnet', 'cifarnet'), ('lenet', 'lenet')])


@pytest.fixture(scope='module')
def registry():
  return nets_factory


def test_registry_agrees_with_research_slim(registry):
  networks = set(registry.list_networks())
  assert {'inception_v3', 'vgg_16', 'resnet_v1_50'} <= networks
  for name in sorted(networks & set(RESEARCH_SLIM)):
    assert registry.get_network_spec(name).preprocessing == RESEARCH_SLIM[name], name
    assert preprocessing_factory.preprocessing_name_for(name) == RESEARCH_SLIM[name]


def test_every_network_with_image_preprocessing_resolves(registry):
  known = set(preprocessing_factory.list_preprocessing())
  image = helpers.random_image(40, 36)
  for name in registry.list_networks():
    preprocessing = registry.get_network_spec(name).preprocessing
    if preprocessing is None:
      continue
    assert preprocessing in known, (name, preprocessing)
    output = preprocessing_factory.get_preprocessing(name)(image, 24, 24)
    assert output.shape[:2] == (24, 24), name


def test_misspelled_network_name_suggests_the_network(registry):
  with pytest.raises(ValueError) as info:
    preprocessing_factory.get_preprocessing('inceptoin_v3')
  assert "Did you mean 'inception_v3'?" in str(info.value)
  assert 'inception_v3, ' in str(info.value).split('Known:')[1]


def test_network_name_preprocesses_for_training():
  fn = preprocessing_factory.get_preprocessing('inception_v3', is_training=True)
  output = fn(helpers.random_image(320, 300), 299, 299, seed=0).numpy()
  assert output.shape == (299, 299, 3) and output.dtype == np.float32
  assert output.min() >= -1.0 and output.max() <= 1.0
