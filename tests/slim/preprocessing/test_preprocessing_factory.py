"""preprocessing_factory: preprocessing names, network names through the network registry,
errors, and every preprocessing in each execution mode."""
import collections
import types

import numpy as np
import pytest
import tensorflow as tf

import slim.nets
from slim.preprocessing import cifarnet_preprocessing
from slim.preprocessing import inception_preprocessing
from slim.preprocessing import lenet_preprocessing
from slim.preprocessing import preprocessing_factory
from slim.preprocessing import vgg_preprocessing
from tests.slim import fresh_python
from tests.slim.preprocessing import preprocessing_helpers as helpers

MODULES = {'cifarnet': cifarnet_preprocessing, 'inception': inception_preprocessing,
           'lenet': lenet_preprocessing, 'vgg': vgg_preprocessing}
Spec = collections.namedtuple('Spec', ['preprocessing'])


@pytest.fixture
def fake_registry(monkeypatch):
  """A stand-in for slim.nets.nets_factory with three networks."""
  networks = {'inception_v3': Spec('inception'), 'resnet_v1_50': Spec('vgg'),
              'i3d': Spec(None)}
  module = types.ModuleType('slim.nets.nets_factory')
  module.NETWORKS = networks
  module.get_network_spec = networks.__getitem__
  module.list_networks = lambda: sorted(networks)
  monkeypatch.setattr(slim.nets, 'nets_factory', module)
  return module


def test_list_preprocessing():
  assert preprocessing_factory.list_preprocessing() == ['cifarnet', 'inception', 'lenet', 'vgg']


@pytest.mark.parametrize('name', sorted(MODULES))
def test_preprocessing_names_resolve(name):
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


def test_unknown_name_suggests_and_lists_preprocessing_and_networks(fake_registry):
  with pytest.raises(ValueError) as info:
    preprocessing_factory.get_preprocessing('inceptoin_v3')
  assert str(info.value) == (
      "Unknown preprocessing (or network) 'inceptoin_v3'. Did you mean 'inception_v3'? "
      "Known: cifarnet, i3d, inception, inception_v3, lenet, resnet_v1_50, vgg")
  with pytest.raises(ValueError, match=r"^Unknown preprocessing \(or network\) 'vg'. Did you "
                                       r"mean 'vgg'\?"):
    preprocessing_factory.get_preprocessing('vg')
  with pytest.raises(ValueError, match=r'^Unknown preprocessing \(or network\) None.'):
    preprocessing_factory.get_preprocessing(None)


def test_network_without_image_preprocessing(fake_registry):
  with pytest.raises(ValueError, match="network 'i3d' has no image preprocessing"):
    preprocessing_factory.get_preprocessing('i3d')


def test_preprocessing_names_import_no_network():
  fresh_python.check_ran(fresh_python.run_python(
      'import sys\n'
      'from slim.preprocessing import preprocessing_factory\n'
      'preprocessing_factory.get_preprocessing("vgg")\n'
      'assert not [m for m in sys.modules if m.startswith("slim.nets")], sys.modules\n'
      'preprocessing_factory.get_preprocessing("vgg_16")\n'
      'assert "slim.nets.vgg" in sys.modules\n'))


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
