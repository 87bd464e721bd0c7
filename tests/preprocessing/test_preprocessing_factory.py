"""preprocessing_factory: preprocessing names, network names through a registry, errors,
and every preprocessing in each execution mode."""
import collections
import sys
import types

import numpy as np
import pytest
import tensorflow as tf

from slim.preprocessing import cifarnet_preprocessing
from slim.preprocessing import inception_preprocessing
from slim.preprocessing import lenet_preprocessing
from slim.preprocessing import preprocessing_factory
from slim.preprocessing import vgg_preprocessing
from tests.preprocessing import preprocessing_helpers as helpers

MODULES = {'cifarnet': cifarnet_preprocessing, 'inception': inception_preprocessing,
           'lenet': lenet_preprocessing, 'vgg': vgg_preprocessing}
Spec = collections.namedtuple('Spec', ['preprocessing'])


@pytest.fixture
def fake_registry(monkeypatch):
  """A stand-in for nets.nets_factory with three networks."""
  networks = {'inception_v3': 'inception', 'resnet_v1_50': 'vgg', 'i3d': None}
  module = types.ModuleType('nets.nets_factory')

  def get_network_spec(name):
    if name not in networks:
      raise ValueError('Unknown network %r.' % name)
    return Spec(networks[name])

  module.get_network_spec = get_network_spec
  module.list_networks = lambda: sorted(networks)
  monkeypatch.setitem(sys.modules, 'nets.nets_factory', module)
  return module


@pytest.fixture
def no_registry(monkeypatch):
  monkeypatch.setitem(sys.modules, 'nets.nets_factory', None)  # makes the import fail


def test_list_preprocessing():
  assert preprocessing_factory.list_preprocessing() == ['cifarnet', 'inception', 'lenet', 'vgg']


@pytest.mark.parametrize('name', sorted(MODULES))
def test_preprocessing_names_resolve_without_the_registry(name, no_registry):
  assert preprocessing_factory.preprocessing_name_for(name) == name
  image = helpers.random_image(40, 36)
  output = preprocessing_factory.get_preprocessing(name)(image, 24, 24)
  expected = MODULES[name].preprocess_image(image, 24, 24, is_training=False)
  np.testing.assert_array_equal(output.numpy(), expected.numpy())


@pytest.mark.parametrize('name', sorted(MODULES))
def test_is_training_and_grayscale_are_passed_on(name):
  image = helpers.random_image(40, 36)
  fn = preprocessing_factory.get_preprocessing(name, is_training=True, use_grayscale=True)
  tf.random.set_seed(0)
  output = fn(image, 24, 24, seed=1)
  assert output.shape == (24, 24, 1)
  tf.random.set_seed(0)
  expected = MODULES[name].preprocess_image(image, 24, 24, is_training=True,
                                            use_grayscale=True, seed=1)
  np.testing.assert_array_equal(output.numpy(), expected.numpy())
  color = preprocessing_factory.get_preprocessing(name, use_grayscale=True)(
      image, 24, 24, use_grayscale=False)
  assert color.shape == (24, 24, 3)


def test_keyword_arguments_reach_preprocess_image():
  image = helpers.random_image(40, 36)
  fn = preprocessing_factory.get_preprocessing('inception')
  np.testing.assert_array_equal(
      fn(image, 10, 10, central_fraction=0.5).numpy(),
      inception_preprocessing.preprocess_for_eval(image, 10, 10, central_fraction=0.5).numpy())
  vgg_fn = preprocessing_factory.get_preprocessing('vgg')
  np.testing.assert_array_equal(
      vgg_fn(image, 10, 10, resize_side_min=12).numpy(),
      vgg_preprocessing.preprocess_for_eval(image, 10, 10, resize_side=12).numpy())


def test_network_names_are_asked_of_the_registry(fake_registry):
  assert preprocessing_factory.preprocessing_name_for('inception_v3') == 'inception'
  assert preprocessing_factory.preprocessing_name_for('resnet_v1_50') == 'vgg'
  image = helpers.random_image(300, 260)
  np.testing.assert_array_equal(
      preprocessing_factory.get_preprocessing('resnet_v1_50')(image, 224, 224).numpy(),
      vgg_preprocessing.preprocess_image(image, 224, 224).numpy())


def test_unknown_name_suggests_and_lists_networks(fake_registry):
  with pytest.raises(ValueError) as info:
    preprocessing_factory.get_preprocessing('inceptoin_v3')
  message = str(info.value)
  assert "preprocessing name 'inceptoin_v3' was not recognized" in message
  assert "Did you mean 'inception_v3'?" in message
  assert 'Known preprocessing: cifarnet, inception, lenet, vgg.' in message
  assert 'Known networks: i3d, inception_v3, resnet_v1_50.' in message


def test_network_without_image_preprocessing(fake_registry):
  with pytest.raises(ValueError, match="network 'i3d' has no image preprocessing"):
    preprocessing_factory.get_preprocessing('i3d')


def test_unknown_name_without_registry_suggests_a_preprocessing_name(no_registry):
  with pytest.raises(ValueError, match="'vg' was not recognized. Did you mean 'vgg'"):
    preprocessing_factory.get_preprocessing('vg')
  with pytest.raises(ValueError, match='must be a string'):
    preprocessing_factory.get_preprocessing(None)


@pytest.mark.parametrize('mode', helpers.MODES)
@pytest.mark.parametrize('name', sorted(MODULES))
def test_every_preprocessing_in_every_mode(name, mode):
  image = helpers.random_image(40, 36)
  for is_training in (False, True):
    fn = preprocessing_factory.get_preprocessing(name, is_training=is_training)
    output = helpers.run(mode, lambda x, fn=fn: fn(x, 24, 20, seed=2), image)
    assert output.shape == (24, 20, 3) and output.dtype == np.float32
    assert np.isfinite(output).all()
    if not is_training:
      np.testing.assert_allclose(output, fn(image, 24, 20).numpy(), atol=1e-5)
