"""nets_factory: research/slim's API on the registry (specs, listing, errors,
network_fn, networks_map and arg_scopes_map)."""
import importlib

import pytest
import tensorflow as tf

import slim
from slim.nets import nets_factory
from tests.slim import fresh_python

# research/slim's nets_factory: name -> (module, function, arg scope).
RESEARCH_SLIM = {
    'alexnet_v2': ('slim.nets.alexnet', 'alexnet_v2', 'alexnet_v2_arg_scope'),
    'cifarnet': ('slim.nets.cifarnet', 'cifarnet', 'cifarnet_arg_scope'),
    'i3d': ('slim.nets.i3d', 'i3d', 'i3d_arg_scope'),
    's3dg': ('slim.nets.s3dg', 's3dg', 's3dg_arg_scope'),
    'overfeat': ('slim.nets.overfeat', 'overfeat', 'overfeat_arg_scope'),
    'vgg_a': ('slim.nets.vgg', 'vgg_a', 'vgg_arg_scope'),
    'vgg_16': ('slim.nets.vgg', 'vgg_16', 'vgg_arg_scope'),
    'vgg_19': ('slim.nets.vgg', 'vgg_19', 'vgg_arg_scope'),
    'inception_v1': ('slim.nets.inception', 'inception_v1', 'inception_v3_arg_scope'),
    'inception_v2': ('slim.nets.inception', 'inception_v2', 'inception_v3_arg_scope'),
    'inception_v3': ('slim.nets.inception', 'inception_v3', 'inception_v3_arg_scope'),
    'inception_v4': ('slim.nets.inception', 'inception_v4', 'inception_v4_arg_scope'),
    'inception_resnet_v2': ('slim.nets.inception', 'inception_resnet_v2',
                            'inception_resnet_v2_arg_scope'),
    'lenet': ('slim.nets.lenet', 'lenet', 'lenet_arg_scope'),
    'mobilenet_v1': ('slim.nets.mobilenet_v1', 'mobilenet_v1', 'mobilenet_v1_arg_scope'),
    'mobilenet_v1_075': ('slim.nets.mobilenet_v1', 'mobilenet_v1_075', 'mobilenet_v1_arg_scope'),
    'mobilenet_v1_050': ('slim.nets.mobilenet_v1', 'mobilenet_v1_050', 'mobilenet_v1_arg_scope'),
    'mobilenet_v1_025': ('slim.nets.mobilenet_v1', 'mobilenet_v1_025', 'mobilenet_v1_arg_scope'),
    'mobilenet_v2': ('slim.nets.mobilenet.mobilenet_v2', 'mobilenet', 'training_scope'),
    'mobilenet_v2_140': ('slim.nets.mobilenet.mobilenet_v2', 'mobilenet_v2_140', 'training_scope'),
    'mobilenet_v2_035': ('slim.nets.mobilenet.mobilenet_v2', 'mobilenet_v2_035', 'training_scope'),
    'mobilenet_v3_small': ('slim.nets.mobilenet.mobilenet_v3', 'small', 'training_scope'),
    'mobilenet_v3_large': ('slim.nets.mobilenet.mobilenet_v3', 'large', 'training_scope'),
    'mobilenet_v3_small_minimalistic': ('slim.nets.mobilenet.mobilenet_v3', 'small_minimalistic',
                                        'training_scope'),
    'mobilenet_v3_large_minimalistic': ('slim.nets.mobilenet.mobilenet_v3', 'large_minimalistic',
                                        'training_scope'),
    'mobilenet_edgetpu': ('slim.nets.mobilenet.mobilenet_v3', 'edge_tpu', 'training_scope'),
    'mobilenet_edgetpu_075': ('slim.nets.mobilenet.mobilenet_v3', 'edge_tpu_075', 'training_scope'),
    'nasnet_cifar': ('slim.nets.nasnet.nasnet', 'build_nasnet_cifar', 'nasnet_cifar_arg_scope'),
    'nasnet_mobile': ('slim.nets.nasnet.nasnet', 'build_nasnet_mobile', 'nasnet_mobile_arg_scope'),
    'nasnet_large': ('slim.nets.nasnet.nasnet', 'build_nasnet_large', 'nasnet_large_arg_scope'),
    'pnasnet_mobile': ('slim.nets.nasnet.pnasnet', 'build_pnasnet_mobile',
                       'pnasnet_mobile_arg_scope'),
    'pnasnet_large': ('slim.nets.nasnet.pnasnet', 'build_pnasnet_large', 'pnasnet_large_arg_scope'),
}
for _depth in (50, 101, 152, 200):
  for _version in ('v1', 'v2'):
    _name = 'resnet_%s_%d' % (_version, _depth)
    RESEARCH_SLIM[_name] = ('slim.nets.resnet_' + _version, _name, 'resnet_arg_scope')


def test_registry_has_research_slims_networks_with_their_functions():
  assert nets_factory.list_networks() == sorted(RESEARCH_SLIM)
  assert list(nets_factory.NETWORKS) == sorted(RESEARCH_SLIM)
  for name, (module, function, arg_scope) in RESEARCH_SLIM.items():
    spec = nets_factory.get_network_spec(name)
    module = importlib.import_module(module)
    assert spec.name == name
    assert spec.function is getattr(module, function), name
    assert spec.arg_scope is getattr(module, arg_scope), name


@pytest.mark.parametrize('name,size,classes,offset,preprocessing', [
    ('inception_v3', 299, 1001, 0, 'inception'),
    ('inception_v1', 224, 1001, 0, 'inception'),
    ('inception_resnet_v2', 299, 1001, 0, 'inception'),
    ('vgg_16', 224, 1000, 1, 'vgg'),
    ('resnet_v1_50', 224, 1000, 1, 'vgg'),
    ('resnet_v2_101', 224, 1001, 0, 'inception'),
    ('alexnet_v2', 224, 1000, 1, 'vgg'),
    ('overfeat', 231, 1000, 1, 'vgg'),
    ('mobilenet_v1_050', 224, 1001, 0, 'inception'),
    ('mobilenet_v3_small', 224, 1001, 0, 'inception'),
    ('nasnet_large', 331, 1001, 0, 'inception'),
    ('pnasnet_mobile', 224, 1001, 0, 'inception'),
    ('nasnet_cifar', 32, 10, 0, 'cifarnet'),
    ('cifarnet', 32, 10, 0, 'cifarnet'),
    ('lenet', 28, 10, 0, 'lenet'),
    ('i3d', 224, 400, 0, 'inception'),
    ('s3dg', 224, 400, 0, 'inception'),
])
def test_spec_fields(name, size, classes, offset, preprocessing):
  spec = nets_factory.NETWORKS[name]
  assert (spec.default_image_size, spec.num_classes, spec.labels_offset,
          spec.preprocessing) == (size, classes, offset, preprocessing)


# Video networks: Kinetics-400 clips of 64 frames (research/slim's test clips).
VIDEO_NETWORKS = ('i3d', 's3dg')


def test_video_networks_are_marked_with_their_frames():
  for spec in nets_factory.NETWORKS.values():
    assert spec.is_video == (spec.name in VIDEO_NETWORKS), spec.name
    assert spec.num_frames == (64 if spec.is_video else None), spec.name


def test_every_spec_is_consistent():
  for spec in nets_factory.NETWORKS.values():
    assert spec.preprocessing in ('inception', 'vgg', 'cifarnet', 'lenet'), spec
    assert spec.num_classes + spec.labels_offset in ((400,) if spec.is_video else (10, 1001)), spec
    assert spec.labels_offset == (1 if spec.num_classes == 1000 else 0), spec
    expected_kwargs = {'spatial_squeeze': True} if spec.name.startswith('resnet') else {}
    assert dict(spec.kwargs) == expected_kwargs, spec.name


@pytest.mark.parametrize('name', sorted(RESEARCH_SLIM))
def test_spec_matches_the_function(name):
  spec = nets_factory.get_network_spec(name)
  assert spec.function.default_image_size == spec.default_image_size
  assert nets_factory.networks_map[name] is spec.function
  assert nets_factory.arg_scopes_map[name] is spec.arg_scope
  assert isinstance(spec.arg_scope(weight_decay=0.1), dict)


def test_list_networks_globs():
  assert nets_factory.list_networks('resnet_v1*') == [
      'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200', 'resnet_v1_50']
  assert nets_factory.list_networks('vgg_?') == ['vgg_a']
  assert nets_factory.list_networks('*_large') == ['mobilenet_v3_large', 'nasnet_large',
                                                    'pnasnet_large']
  assert nets_factory.list_networks('nope*') == []
  assert len(nets_factory.list_networks()) == len(RESEARCH_SLIM) == 40


def test_unknown_network_suggests_the_closest_and_lists_all():
  with pytest.raises(ValueError) as info:
    nets_factory.get_network_fn('inceptoin_v3', 10)
  message = str(info.value)
  assert message.startswith("Unknown network 'inceptoin_v3'. Did you mean 'inception_v3'? "
                            "Known: alexnet_v2, cifarnet, ")
  assert message.endswith(', vgg_16, vgg_19, vgg_a')
  with pytest.raises(ValueError, match=r"Unknown network 'xyzzy'\. Known: alexnet_v2"):
    nets_factory.get_network_spec('xyzzy')
  with pytest.raises(ValueError, match='Unknown network None'):
    nets_factory.get_network_spec(None)
  with pytest.raises(ValueError, match=r"Unknown network 'vgg16'\. Did you mean 'vgg_16'\?"):
    nets_factory.get_network_fn('vgg16', 10)


@pytest.mark.parametrize('kwargs,match', [
    ({'num_classes': -1}, 'num_classes must be a non-negative int or None, received -1'),
    ({'num_classes': 2.5}, 'num_classes.*2.5'),
    ({'num_classes': True}, 'num_classes.*True'),
    ({'num_classes': 10, 'weight_decay': -0.1}, r'weight_decay must be a number >= 0.*-0\.1'),
    ({'num_classes': 10, 'weight_decay': '1e-4'}, "weight_decay.*'1e-4'"),
])
def test_get_network_fn_rejects_bad_arguments(kwargs, match):
  with pytest.raises(ValueError, match='get_network_fn: ' + match):
    nets_factory.get_network_fn('vgg_16', **kwargs)


def test_maps_are_research_slims_dicts_filled_from_the_registry():
  assert sorted(nets_factory.networks_map) == nets_factory.list_networks()
  assert len(nets_factory.arg_scopes_map) == len(nets_factory.NETWORKS) == 40
  assert 'vgg_16' in nets_factory.networks_map and 'vgg_17' not in nets_factory.arg_scopes_map
  assert nets_factory.networks_map['vgg_16'] is nets_factory.NETWORKS['vgg_16'].function
  with pytest.raises(KeyError):
    nets_factory.networks_map['nope']  # pylint: disable=pointless-statement


def test_get_network_fn_builds_what_a_fork_adds_to_the_maps(monkeypatch, graph):
  """research/slim forks add their networks to both maps; get_network_fn builds them."""
  def my_net(images, num_classes=3, is_training=True, scope='MyNet'):
    del is_training  # unused
    with tf.compat.v1.variable_scope(scope):
      return slim.fully_connected(slim.flatten(images), num_classes, scope='logits'), {}

  def my_net_arg_scope(weight_decay=0.0):
    with slim.arg_scope([slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay)) as scope:
      return scope

  my_net.default_image_size = 8
  monkeypatch.setitem(nets_factory.networks_map, 'my_net', my_net)
  monkeypatch.setitem(nets_factory.arg_scopes_map, 'my_net', my_net_arg_scope)
  network_fn = nets_factory.get_network_fn('my_net', num_classes=4, weight_decay=0.5)
  assert network_fn.__name__ == 'my_net' and network_fn.default_image_size == 8
  logits, _ = network_fn(tf.zeros([2, 8, 8, 1]))
  assert logits.shape.as_list() == [2, 4]
  assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)) == 1
  monkeypatch.delitem(nets_factory.arg_scopes_map, 'my_net')
  with pytest.raises(ValueError, match="networks_map holds 'my_net' but arg_scopes_map does "
                                       "not"):
    nets_factory.get_network_fn('my_net', num_classes=4)


def test_factory_imports_every_network_module():
  script = ('import sys\n'
            'from nets import nets_factory as f\n'
            'assert "slim.nets.vgg" in sys.modules and "slim.nets.nasnet.pnasnet" in sys.modules\n'
            'from nets import vgg\n'
            'assert f.networks_map["vgg_16"] is vgg.vgg_16\n'
            'assert len(f.NETWORKS) == 40\n'
            'from nets import i3d, s3dg\n'
            'assert f.networks_map["i3d"] is i3d.i3d and f.networks_map["s3dg"] is s3dg.s3dg\n'
            'print("ok")\n')
  result = fresh_python.check_ran(fresh_python.run_python(script))
  assert result.stdout.strip() == 'ok'


def test_network_fn_applies_the_arg_scope_and_weight_decay(graph):
  network_fn = nets_factory.get_network_fn('resnet_v1_50', num_classes=5, weight_decay=0.25,
                                           is_training=True)
  assert network_fn.default_image_size == 224
  assert network_fn.__name__ == 'resnet_v1_50'
  logits, end_points = network_fn(tf.zeros([2, 64, 64, 3]), depth_multiplier=0.25)
  assert logits.shape.as_list() == [2, 5]  # research/slim squeezes ResNet logits
  assert end_points['predictions'].shape.as_list() == [2, 5]
  weights = [v for v in tf.compat.v1.trainable_variables() if v.op.name.endswith('/weights')]
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  # conv1, 16 units of 3, logits, and the projection shortcuts of blocks 2-4 (block1
  # thinned to depth 64 takes conv1's 64 channels as they are)
  assert len(losses) == len(weights) == 1 + 16 * 3 + 1 + 3
  update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  assert update_ops  # is_training reached batch norm
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    loss_values, weight_values = sess.run([losses, weights])
  for loss, value in zip(loss_values, weight_values):
    assert loss == pytest.approx(0.25 * 0.5 * (value ** 2).sum(), rel=1e-4)


def test_network_fn_kwargs_override_the_registry(graph):
  network_fn = nets_factory.get_network_fn('resnet_v2_50', num_classes=3)
  logits, _ = network_fn(tf.zeros([1, 32, 32, 3]), spatial_squeeze=False)
  assert logits.shape.as_list() == [1, 1, 1, 3]
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)  # inference
  # weight_decay defaults to 0.0, which disables the regularizers
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)


@pytest.mark.parametrize('num_classes', [0, None])
def test_network_fn_without_classes_returns_features(graph, num_classes):
  network_fn = nets_factory.get_network_fn('inception_v3', num_classes=num_classes)
  features, end_points = network_fn(tf.zeros([1, 299, 299, 3]), depth_multiplier=0.1)
  assert features.shape.as_list() == [1, 1, 1, 32 + 2 * 38 + 2 * 38 + 19]  # Mixed_7c thinned to 0.1
  assert 'Logits' not in end_points and 'AuxLogits' not in end_points
  assert not [v for v in tf.compat.v1.global_variables() if 'Logits' in v.op.name]
