"""The registry of the networks (slim.nets.registry): the decorator, its checks,
lookups, every registered network built with its small build, and the explicit
network functions it registers (no closure factories, no partials)."""
import functools
import inspect
import types

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim import _registry
from slim.nets import mobilenet_v1
from slim.nets import nets_factory
from slim.nets import registry
from slim.nets import resnet_v1
from slim.nets import resnet_v2
from slim.nets import vgg
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from tests.slim import graph_run
from tests.slim.nets import harness


@pytest.fixture
def networks(monkeypatch):
  """A fresh, empty registry in place of NETWORKS."""
  fresh = _registry.Registry('network')
  monkeypatch.setattr(registry, 'NETWORKS', fresh)
  return fresh


def _arg_scope(weight_decay=0.0):
  return {'weight_decay': weight_decay}


def test_decorator_registers_the_function_and_sets_its_image_size(networks):
  @registry.register_network('tiny', arg_scope=_arg_scope, default_image_size=12,
                             preprocessing='lenet', num_classes=10,
                             factory_kwargs={'spatial_squeeze': True},
                             small_build=registry.SmallBuild(8, {'depth_multiplier': 0.5}))
  def tiny(images, num_classes=10):
    """A tiny network."""
    return images, {'num_classes': num_classes}

  assert tiny.__name__ == 'tiny' and tiny.__doc__ == 'A tiny network.'
  assert tiny.default_image_size == 12
  spec = networks.lookup('tiny')
  assert spec == registry.NetworkSpec(
      name='tiny', function=tiny, arg_scope=_arg_scope, default_image_size=12,
      preprocessing='lenet', num_classes=10, labels_offset=0,
      kwargs={'spatial_squeeze': True},
      small_build=registry.SmallBuild(8, {'depth_multiplier': 0.5}))
  assert isinstance(spec.kwargs, types.MappingProxyType)
  assert list(networks) == ['tiny'] and networks.names('t*') == ['tiny']


def test_default_small_build_is_the_network_at_its_size(networks):
  registry.register_network('plain', arg_scope=_arg_scope, default_image_size=28,
                            preprocessing='lenet', num_classes=10)(lambda images: images)
  assert networks['plain'].small_build == registry.SmallBuild(28, {}, False)
  assert networks['plain'].kwargs == {} and networks['plain'].labels_offset == 0


def test_video_networks_register_their_frames(networks):
  register = registry.register_network('clip', arg_scope=_arg_scope, default_image_size=16,
                                       preprocessing='inception', num_classes=400, num_frames=8)
  register(lambda clips: clips)
  assert networks['clip'].is_video and networks['clip'].num_frames == 8
  assert networks['clip'].small_build == registry.SmallBuild(16, {}, False, 8)
  registry.register_network('short', arg_scope=_arg_scope, default_image_size=16,
                            preprocessing='inception', num_classes=400, num_frames=8,
                            small_build=registry.SmallBuild(8, num_frames=2))(lambda c: c)
  assert networks['short'].small_build.num_frames == 2
  with pytest.raises(ValueError, match=r"register_network\('image'\): small_build.num_frames "
                                       r"is for video networks"):
    registry.register_network('image', arg_scope=_arg_scope, default_image_size=16,
                              preprocessing='inception', num_classes=10,
                              small_build=registry.SmallBuild(8, num_frames=2))
  with pytest.raises(ValueError, match='num_frames must be a positive int or None, received 0'):
    registry.register_network('zero', arg_scope=_arg_scope, default_image_size=16,
                              preprocessing='inception', num_classes=10, num_frames=0)


def test_a_name_is_registered_once(networks):
  register = registry.register_network('twice', arg_scope=_arg_scope, default_image_size=8,
                                       preprocessing='vgg', num_classes=1000,
                                       labels_offset=1)
  register(lambda images: images)
  with pytest.raises(ValueError, match="register: the network 'twice' is registered already"):
    register(lambda images: images)
  assert len(networks) == 1


def test_unknown_names_are_refused_with_a_suggestion(networks):
  registry.register_network('tiny', arg_scope=_arg_scope, default_image_size=8,
                            preprocessing='lenet', num_classes=10)(lambda images: images)
  with pytest.raises(ValueError, match=r"^Unknown network 'tiyn'\. Did you mean 'tiny'\? "
                                       r"Known: tiny$"):
    networks.lookup('tiyn')


@pytest.mark.parametrize('kwargs,error,match', [
    ({'arg_scope': None}, TypeError, 'arg_scope must be callable, received None'),
    ({'default_image_size': 0}, ValueError, 'default_image_size must be a positive int, '
                                            'received 0'),
    ({'default_image_size': 224.0}, ValueError, 'default_image_size.*224.0'),
    ({'preprocessing': ''}, ValueError, "preprocessing must be the name of a preprocessing.*''"),
    ({'num_classes': -1}, ValueError, 'num_classes must be a positive int, received -1'),
    ({'labels_offset': True}, ValueError, 'labels_offset must be a non-negative int'),
    ({'factory_kwargs': ['spatial_squeeze']}, TypeError, 'factory_kwargs must be a mapping'),
    ({'small_build': (64, {})}, TypeError, 'small_build must be a registry.SmallBuild'),
    ({'small_build': registry.SmallBuild(0)}, ValueError, 'small_build.image_size'),
])
def test_registration_arguments_are_checked(networks, kwargs, error, match):
  arguments = dict(arg_scope=_arg_scope, default_image_size=8, preprocessing='lenet',
                   num_classes=10)
  arguments.update(kwargs)
  with pytest.raises(error, match=r"register_network\('bad'\): " + match):
    registry.register_network('bad', **arguments)(lambda images: images)
  assert not networks


def test_the_decorated_object_must_be_callable(networks):
  register = registry.register_network('bad', arg_scope=_arg_scope, default_image_size=8,
                                       preprocessing='lenet', num_classes=10)
  with pytest.raises(TypeError, match='the decorated network function must be callable'):
    register('lenet')
  assert not networks


def test_the_registry_is_read_only():
  with pytest.raises(TypeError):
    registry.NETWORKS['lenet'] = None  # pylint: disable=unsupported-assignment-operation
  assert nets_factory.NETWORKS is registry.NETWORKS


# --- every registered network ---------------------------------------------------------------

@pytest.mark.parametrize('name', harness.registered_networks())
def test_every_network_builds_with_its_small_build(graph, name):
  spec = nets_factory.get_network_spec(name)
  assert spec.function.default_image_size == spec.default_image_size
  network_fn = nets_factory.get_network_fn(name, num_classes=7)
  logits, end_points = network_fn(
      tf.compat.v1.placeholder(tf.float32, harness.small_input_shape(name)),
      **spec.small_build.kwargs)
  assert logits.shape.as_list() == [2, 7]
  assert end_points and graph_run.variable_shapes()


def test_every_network_has_a_small_build_no_larger_than_itself():
  for spec in nets_factory.NETWORKS.values():
    build = spec.small_build
    assert isinstance(build, registry.SmallBuild), spec.name
    assert build.image_size <= spec.default_image_size, spec.name
    assert set(build.kwargs) <= {'depth_multiplier', 'global_pool'}, spec.name
    if spec.is_video:
      assert 0 < build.num_frames <= spec.num_frames, spec.name
    else:
      assert build.num_frames is None, spec.name


# --- explicit network functions --------------------------------------------------------------

def test_network_functions_are_plain_functions_with_their_own_docstrings():
  docs = set()
  for spec in nets_factory.NETWORKS.values():
    function = spec.function
    assert inspect.isfunction(function), spec.name
    module = inspect.getmodule(function)
    assert getattr(module, function.__name__) is function, spec.name
    assert function.__doc__ and function.__doc__ not in docs, spec.name
    docs.add(function.__doc__)


def test_no_network_is_a_partial():
  for module in nets_factory.NETWORK_MODULES:
    partials = [name for name, value in vars(module).items()
                if isinstance(value, functools.partial) and hasattr(value, 'default_image_size')]
    assert not partials, (module.__name__, partials)


# research/slim's defaults of the variants: function -> {argument: default}.
VARIANT_DEFAULTS = [
    (mobilenet_v1.mobilenet_v1_075, {'num_classes': 1000, 'depth_multiplier': 0.75}),
    (mobilenet_v1.mobilenet_v1_050, {'num_classes': 1000, 'depth_multiplier': 0.5}),
    (mobilenet_v1.mobilenet_v1_025, {'num_classes': 1000, 'depth_multiplier': 0.25}),
    (mobilenet_v2.mobilenet_v2_140, {'depth_multiplier': 1.4,
                                     'finegrain_classification_mode': False}),
    (mobilenet_v2.mobilenet_v2_050, {'depth_multiplier': 0.5,
                                     'finegrain_classification_mode': True}),
    (mobilenet_v2.mobilenet_v2_035, {'depth_multiplier': 0.35,
                                     'finegrain_classification_mode': True}),
    (mobilenet_v3.large, {'conv_defs': mobilenet_v3.V3_LARGE, 'scope': 'MobilenetV3'}),
    (mobilenet_v3.small, {'conv_defs': mobilenet_v3.V3_SMALL, 'scope': 'MobilenetV3'}),
    (mobilenet_v3.large_minimalistic, {'conv_defs': mobilenet_v3.V3_LARGE_MINIMALISTIC}),
    (mobilenet_v3.small_minimalistic, {'conv_defs': mobilenet_v3.V3_SMALL_MINIMALISTIC}),
    (mobilenet_v3.edge_tpu, {'conv_defs': mobilenet_v3.V3_EDGETPU, 'depth_multiplier': 1.0,
                             'scope': 'MobilenetEdgeTPU'}),
    (mobilenet_v3.edge_tpu_075, {'conv_defs': mobilenet_v3.V3_EDGETPU,
                                 'depth_multiplier': 0.75, 'scope': 'MobilenetEdgeTPU',
                                 'finegrain_classification_mode': True}),
    (vgg.vgg_a, {'scope': 'vgg_a', 'num_classes': 1000, 'fc_conv_padding': 'VALID'}),
    (vgg.vgg_19, {'scope': 'vgg_19', 'reuse': None}),
] + [(getattr(module, 'resnet_v%d_%d' % (version, depth)),
      {'scope': 'resnet_v%d_%d' % (version, depth), 'num_classes': None,
       'spatial_squeeze': False})
     for version, module in ((1, resnet_v1), (2, resnet_v2)) for depth in (50, 101, 152, 200)]


@pytest.mark.parametrize('function,defaults', VARIANT_DEFAULTS,
                         ids=[f.__name__ for f, _ in VARIANT_DEFAULTS])
def test_variants_have_research_slims_defaults(function, defaults):
  parameters = inspect.signature(function).parameters
  assert list(parameters)[:2] in (['inputs', 'num_classes'], ['input_tensor', 'num_classes'])
  for argument, default in defaults.items():
    assert parameters[argument].default is default or (
        parameters[argument].default == default), argument


def test_resnet_v1_variants_keep_thinning_arguments():
  parameters = inspect.signature(resnet_v1.resnet_v1_101).parameters
  assert (parameters['min_base_depth'].default, parameters['depth_multiplier'].default) == (8, 1)


def _variables_of(build):
  with tf.Graph().as_default():
    build(tf.compat.v1.placeholder(tf.float32, [1, 64, 64, 3]))
    return graph_run.variable_shapes()


@pytest.mark.parametrize('variant,base,kwargs', [
    (mobilenet_v1.mobilenet_v1_050, mobilenet_v1.mobilenet_v1, {'depth_multiplier': 0.5}),
    (mobilenet_v2.mobilenet_v2_035, mobilenet_v2.mobilenet,
     {'depth_multiplier': 0.35, 'finegrain_classification_mode': True}),
    (mobilenet_v3.edge_tpu_075, mobilenet_v3.mobilenet,
     {'conv_defs': mobilenet_v3.V3_EDGETPU, 'depth_multiplier': 0.75,
      'finegrain_classification_mode': True, 'scope': 'MobilenetEdgeTPU'}),
], ids=['mobilenet_v1_050', 'mobilenet_v2_035', 'mobilenet_edgetpu_075'])
def test_variants_are_their_base_with_other_defaults(variant, base, kwargs):
  assert _variables_of(variant) == _variables_of(functools.partial(base, **kwargs))


def test_variant_arguments_still_override_their_defaults(graph):
  _, end_points = mobilenet_v1.mobilenet_v1_075(tf.zeros([1, 64, 64, 3]), 10,
                                                depth_multiplier=0.25, scope='thin')
  assert end_points['Conv2d_13_pointwise'].shape.as_list() == [1, 2, 2, 256]
  assert end_points['Logits'].shape.as_list() == [1, 10]
  _, end_points = mobilenet_v3.edge_tpu(tf.zeros([1, 64, 64, 3]), depth_multiplier=0.35,
                                        scope='Edge')
  assert end_points['layer_24'].name.startswith('Edge/')


def test_resnet_variants_build_their_block_tables(graph):
  _, end_points = resnet_v2.resnet_v2_152(tf.zeros([1, 64, 64, 3]), num_classes=3)
  units = [len({k.split('/')[2] for k in end_points
                if k.startswith('resnet_v2_152/block%d/unit_' % block)})
           for block in (1, 2, 3, 4)]
  assert units == [3, 8, 36, 3]


# --- wrapped_partial ---------------------------------------------------------------------------

def test_wrapped_partial_is_one_function_in_research_slims_three_places():
  assert mobilenet_v1.wrapped_partial is mobilenet_v2.wrapped_partial
  assert mobilenet_v2.wrapped_partial is mobilenet_v3.wrapped_partial


def test_wrapped_partial_binds_arguments_and_keeps_the_identity():
  def network(images, num_classes=1001, depth_multiplier=1.0, scope='Net'):
    """The network."""
    return images, num_classes, depth_multiplier, scope

  network.default_image_size = 224
  thin = mobilenet_v1.wrapped_partial(network, depth_multiplier=0.5)
  assert isinstance(thin, functools.partial)
  assert (thin.__name__, thin.__doc__, thin.default_image_size) == (
      'network', 'The network.', 224)
  assert thin('x', 10) == ('x', 10, 0.5, 'Net')
  assert thin('x', depth_multiplier=0.25) == ('x', 1001, 0.25, 'Net')


def test_wrapped_partial_new_defaults_can_be_overridden():
  def network(images, scope='Net', depth_multiplier=1.0):
    return images, scope, depth_multiplier

  network.default_image_size = 224
  edge = mobilenet_v3.wrapped_partial(network, new_defaults={'scope': 'Edge'},
                                      depth_multiplier=0.75)
  assert edge('x') == ('x', 'Edge', 0.75)
  assert edge('x', scope='Mine') == ('x', 'Mine', 0.75)
  assert edge.__name__ == 'network' and edge.default_image_size == 224


def test_wrapped_partial_network_builds_as_the_function(graph):
  thin = mobilenet_v1.wrapped_partial(mobilenet_v1.mobilenet_v1, depth_multiplier=0.25)
  logits, _ = thin(tf.zeros([1, 64, 64, 3]), 5, global_pool=True)
  assert logits.shape.as_list() == [1, 5]
  assert graph_run.variable_shapes()['MobilenetV1/Conv2d_1_pointwise/weights'] == [1, 1, 8, 16]


def test_registered_functions_run_eagerly_through_a_model():
  spec = nets_factory.get_network_spec('lenet')
  model = slim.Model(functools.partial(spec.function, num_classes=3))
  logits, _ = model(harness.images(spec.default_image_size))
  assert logits.shape == (2, 3) and np.isfinite(logits.numpy()).all()
