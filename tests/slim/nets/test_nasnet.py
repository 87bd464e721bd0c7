"""NASNet-A and PNASNet-5: cell ops, hyperparameters, builders and drop path.
Small configs (few cells and filters) keep it fast; the full-size layouts are
pinned by test_checkpoint_tables.py, the execution modes by test_modes.py and
the builders' argument errors by test_errors.py."""
import copy

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import nasnet_utils
from slim.nets.nasnet import pnasnet
from slim.nets.nasnet.hparams import HParams
from tests.slim.nets.harness import placeholder


def _config(factory, **overrides):
  return factory().override_from_dict(overrides)


def _build(build, arg_scope, images, num_classes=10, **kwargs):
  with slim.arg_scope(arg_scope()):
    return build(images, num_classes, **kwargs)


# Two cells: reductions before both (calc_reduction_layers(2, 2) == [0, 1]), the
# auxiliary head on the first; the final width is that of 3 cells.
SMALL_CIFAR = dict(num_cells=2, num_conv_filters=8)
SMALL_MOBILE = dict(num_cells=2, num_conv_filters=8)


# ---- nasnet_utils (research/slim's nasnet_utils_test and more)

def test_calc_reduction_layers():
  assert nasnet_utils.calc_reduction_layers(18, 2) == [6, 12]
  assert nasnet_utils.calc_reduction_layers(12, 2) == [4, 8]
  assert nasnet_utils.calc_reduction_layers(9, 2) == [3, 6]


def test_channel_index_and_dim():
  shape = [10, 20, 30, 40]
  assert nasnet_utils.get_channel_index('NHWC') == 3
  assert nasnet_utils.get_channel_index('NCHW') == 1
  assert nasnet_utils.get_channel_dim(shape, 'NHWC') == 40
  assert nasnet_utils.get_channel_dim(shape, 'NCHW') == 20
  with slim.arg_scope([nasnet_utils.get_channel_index], data_format='NCHW'):
    assert nasnet_utils.get_channel_index() == 1


@pytest.mark.parametrize('call', [
    nasnet_utils.get_channel_index,
    lambda: nasnet_utils.get_channel_dim([1, 2, 3, 4]),
    lambda: nasnet_utils.global_avg_pool(tf.zeros([1, 2, 2, 1]), 'NWHC'),
])
def test_data_format_must_be_set(call):
  with pytest.raises(ValueError, match="data_format must be 'NHWC' or 'NCHW'"):
    call()


def test_global_avg_pool(graph):
  inputs = placeholder(5, 10, 20, 10)
  for data_format in ('NHWC', 'NCHW'):
    assert nasnet_utils.global_avg_pool(inputs, data_format).shape.as_list() == [5, 10]


def test_factorized_reduction_gives_the_odd_filter_to_the_second_path(graph):
  net = nasnet_utils.factorized_reduction(placeholder(2, 9, 9, 6), 7, 2, data_format='NHWC')
  shapes = {v.op.name: v.shape.as_list() for v in tf.compat.v1.trainable_variables()}
  assert net.shape.as_list() == [2, 5, 5, 7]
  assert shapes['path1_conv/weights'] == [1, 1, 6, 3]
  assert shapes['path2_conv/weights'] == [1, 1, 6, 4]
  assert shapes['final_path_bn/beta'] == [7]
  with tf.compat.v1.variable_scope('same_size'):
    nasnet_utils.factorized_reduction(placeholder(2, 9, 9, 6), 4, 1, data_format='NHWC')
  assert 'same_size/path_conv/weights' in [v.op.name for v in tf.compat.v1.global_variables()]


def test_factorized_reduction_second_path_is_shifted_by_one_pixel():
  images = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
  with slim.arg_scope([slim.conv2d], weights_initializer=tf.compat.v1.ones_initializer(),
                      biases_initializer=None, activation_fn=None), \
       slim.arg_scope([slim.batch_norm], is_training=False, epsilon=0.0):
    net = slim.Model(lambda x: nasnet_utils.factorized_reduction(
        x, 2, 2, data_format='NHWC'))(images)
  # Path 1 samples pixels (0, 0), (0, 2), ...; path 2 pixels (1, 1), (1, 3), ...
  # (batch norm with unit statistics; fused batch norm raises epsilon to 1.001e-5)
  np.testing.assert_allclose(net.numpy()[0, :, :, 0], [[0, 2], [8, 10]], rtol=1e-4)
  np.testing.assert_allclose(net.numpy()[0, :, :, 1], [[5, 7], [13, 15]], rtol=1e-4)


def test_drop_path_drops_whole_examples():
  inputs = tf.ones([256, 2, 2, 3])
  np.testing.assert_array_equal(nasnet_utils.drop_path(inputs, 0.5, is_training=False),
                                inputs)
  outputs = nasnet_utils.drop_path(inputs, 0.5).numpy()
  per_example = outputs.reshape(256, -1)
  assert set(np.unique(per_example)) == {0.0, 2.0}
  assert (per_example.min(axis=1) == per_example.max(axis=1)).all()
  assert 64 < (per_example[:, 0] == 0).sum() < 192


@pytest.mark.parametrize('cell_num,step,expected_keep', [
    (3, 100, 0.5),    # last cell, end of the schedule: the configured 0.5
    (1, 100, 0.75),   # half-way in depth
    (3, 50, 0.75),    # half-way in training
    (3, 400, 0.5),    # past the schedule
    (3, 0, 1.0),      # first step: nothing dropped
])
def test_drop_path_schedule(cell_num, step, expected_keep):
  cell = nasnet_utils.NasNetANormalCell(8, 0.5, total_num_cells=4, total_training_steps=100)
  cell._cell_num = cell_num  # pylint: disable=protected-access
  outputs = cell._apply_drop_path(  # pylint: disable=protected-access
      tf.ones([512, 1, 1, 1]), current_step=tf.constant(step)).numpy()
  assert set(np.unique(outputs)) <= {0.0, np.float32(1 / expected_keep)}
  if expected_keep < 1:
    assert 0 < (outputs == 0).sum() < 512


def test_operation_errors(graph):
  cell = nasnet_utils.NasNetABaseCell(8, ['conv_3x3'] * 10, [1, 0, 0, 0, 0, 0, 0],
                                      [0, 1] * 5, 1.0, 4, 100)
  with slim.arg_scope([nasnet_utils.get_channel_dim, nasnet_utils.get_channel_index,
                       nasnet_utils.factorized_reduction], data_format='NHWC'):
    with pytest.raises(ValueError, match="unknown operation 'conv_3x3'"):
      cell(placeholder(1, 8, 8, 8), scope='cell')
  with pytest.raises(ValueError, match='rectangular'):
    nasnet_utils._operation_to_info('separable_3x5_2')  # pylint: disable=protected-access


def test_cell_specs():
  # pylint: disable=protected-access
  normal = nasnet_utils.NasNetANormalCell(8, 1.0, 4, 1)
  assert normal._operations == nasnet_utils.NASNET_A_NORMAL.operations
  assert pnasnet.PNasNetNormalCell(8, 1.0, 4, 1)._hiddenstate_indices == (
      [1, 1, 0, 0, 0, 0, 4, 0, 1, 0])
  # pylint: enable=protected-access
  for spec in (nasnet_utils.NASNET_A_NORMAL, nasnet_utils.NASNET_A_REDUCTION,
               pnasnet.PNASNET_5_NORMAL):
    assert len(spec.operations) == len(spec.hiddenstate_indices) == 10
    assert len(spec.used_hiddenstates) == 7


# ---- HParams

def test_hparams_attribute_access_and_typed_updates():
  config = nasnet.cifar_config()
  assert config.num_cells == 18 and config.data_format == 'NHWC'
  config.set_hparam('use_aux_head', 0)
  config.set_hparam('drop_path_keep_prob', 1)  # int to float is fine
  assert config.use_aux_head == 0
  assert isinstance(config.drop_path_keep_prob, float)
  config.set_hparam('use_bounded_activation', True)
  assert config.use_bounded_activation is True
  copied = copy.deepcopy(config)
  copied.set_hparam('num_cells', 6)
  assert config.num_cells == 18 and copied.num_cells == 6
  assert 'num_cells' in config and config.get('missing', 3) == 3
  assert config.values()['num_conv_filters'] == 32


@pytest.mark.parametrize('name,value,error', [
    ('num_cells', 2.5, ValueError),
    ('use_bounded_activation', 1, ValueError),
    ('data_format', 3, ValueError),
    ('num_cels', 3, KeyError),
])
def test_hparams_refuse_lossy_or_unknown_updates(name, value, error):
  with pytest.raises(error, match=name):
    nasnet.cifar_config().set_hparam(name, value)


def test_hparams_add():
  params = HParams(a=1)
  params.add_hparam('b', 'x')
  assert params.b == 'x'
  with pytest.raises(ValueError, match="'a' exists already"):
    params.add_hparam('a', 2)
  assert params == HParams(a=1, b='x')


def test_configs():
  for factory, cells, filters in [(nasnet.cifar_config, 18, 32),
                                  (nasnet.mobile_imagenet_config, 12, 44),
                                  (nasnet.large_imagenet_config, 18, 168),
                                  (pnasnet.mobile_imagenet_config, 9, 54),
                                  (pnasnet.large_imagenet_config, 12, 216)]:
    config = factory()
    assert (config.num_cells, config.num_conv_filters) == (cells, filters)
  assert nasnet.build_nasnet_cifar.default_image_size == 32
  assert nasnet.build_nasnet_mobile.default_image_size == 224
  assert nasnet.build_nasnet_large.default_image_size == 331
  assert pnasnet.build_pnasnet_mobile.default_image_size == 224
  assert pnasnet.build_pnasnet_large.default_image_size == 331


# ---- builders (research/slim's nasnet_test and pnasnet_test, small configs)

def test_cifar_logits_aux_logits_and_predictions(graph):
  tf.compat.v1.train.create_global_step()
  logits, end_points = _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
                              placeholder(5, 32, 32, 3),
                              config=_config(nasnet.cifar_config, **SMALL_CIFAR))
  for name in ('AuxLogits', 'Logits', 'Predictions'):
    assert end_points[name].shape.as_list() == [5, 10]
  assert logits is end_points['Logits']
  assert sorted(end_points) == sorted(
      ['Stem', 'Reduction_Cell_0', 'Cell_0', 'Reduction_Cell_1', 'Cell_1',
       'global_pool', 'AuxLogits', 'Logits', 'Predictions'])
  assert 'aux_0/aux_logits/FC/weights' in [v.op.name for v in tf.compat.v1.global_variables()]


@pytest.mark.parametrize('build,arg_scope,factory,size,features', [
    (nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, nasnet.cifar_config, 32, 192),
    (nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope,
     nasnet.mobile_imagenet_config, 96, 192),
    (pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope,
     pnasnet.mobile_imagenet_config, 96, 160),
], ids=['nasnet_cifar', 'nasnet_mobile', 'pnasnet_mobile'])
def test_without_classes_returns_features(graph, build, arg_scope, factory, size, features):
  net, end_points = _build(build, arg_scope, placeholder(5, size, size, 3), None,
                           config=_config(factory, **SMALL_MOBILE))
  assert 'AuxLogits' not in end_points and 'Predictions' not in end_points
  assert net.op.name.startswith('final_layer/Mean')
  assert net.shape.as_list() == [5, features]


@pytest.mark.parametrize('use_aux_head', [0, 1])
def test_aux_head_switch(graph, use_aux_head):
  _, end_points = _build(pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope,
                         placeholder(2, 96, 96, 3),
                         config=_config(pnasnet.mobile_imagenet_config,
                                        use_aux_head=use_aux_head, **SMALL_MOBILE))
  assert ('AuxLogits' in end_points) == bool(use_aux_head)


@pytest.mark.parametrize('build,arg_scope,factory,size,stem', [
    (nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope,
     nasnet.mobile_imagenet_config, 224, [5, 88, 28, 28]),
    (nasnet.build_nasnet_large, nasnet.nasnet_large_arg_scope,
     nasnet.large_imagenet_config, 331, [5, 336, 42, 42]),
    (pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope,
     pnasnet.mobile_imagenet_config, 224, [5, 135, 28, 28]),
    (pnasnet.build_pnasnet_large, pnasnet.pnasnet_large_arg_scope,
     pnasnet.large_imagenet_config, 331, [5, 540, 42, 42]),
], ids=['nasnet_mobile', 'nasnet_large', 'pnasnet_mobile', 'pnasnet_large'])
def test_nchw_stem(graph, build, arg_scope, factory, size, stem):
  net, end_points = _build(build, arg_scope, placeholder(5, size, size, 3),
                           config=_config(factory, data_format='NCHW'),
                           final_endpoint='Stem')
  assert end_points['Stem'].shape.as_list() == stem
  assert net is end_points['Stem']


def test_nchw_cifar(graph):
  _, end_points = _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
                         placeholder(5, 32, 32, 3),
                         config=_config(nasnet.cifar_config, data_format='NCHW',
                                        **SMALL_CIFAR))
  assert end_points['Stem'].shape.as_list() == [5, 24, 32, 32]
  assert end_points['Cell_1'].shape.as_list() == [5, 192, 8, 8]
  assert end_points['Logits'].shape.as_list() == [5, 10]


@pytest.mark.parametrize('bounded', [True, False])
def test_bounded_activation(graph, bounded):
  _build(pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope,
         placeholder(1, 96, 96, 3),
         config=_config(pnasnet.mobile_imagenet_config, use_bounded_activation=bounded,
                        **SMALL_MOBILE))
  relus = {op.type for op in graph.get_operations() if op.type.startswith('Relu')}
  assert relus == ({'Relu6'} if bounded else {'Relu'})


def test_final_endpoint(graph):
  net, end_points = _build(nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope,
                           placeholder(1, 96, 96, 3),
                           config=_config(nasnet.mobile_imagenet_config, **SMALL_MOBILE),
                           final_endpoint='Reduction_Cell_0')
  assert sorted(end_points) == ['Reduction_Cell_0', 'Stem']
  assert net is end_points['Reduction_Cell_0']
  assert not any(v.op.name.startswith('cell_0/') for v in tf.compat.v1.global_variables())


def test_config_is_not_changed_by_an_evaluation_build(graph):
  config = _config(nasnet.cifar_config, **SMALL_CIFAR)
  _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
         placeholder(1, 32, 32, 3), config=config, is_training=False)
  assert config.drop_path_keep_prob == 0.6
  assert not [op for op in graph.get_operations() if op.type == 'RandomUniform']


def test_arg_scopes():
  for arg_scope, decay, epsilon, l2 in [
      (nasnet.nasnet_cifar_arg_scope, 0.9, 1e-5, 5e-4),
      (nasnet.nasnet_mobile_arg_scope, 0.9997, 1e-3, 4e-5),
      (nasnet.nasnet_large_arg_scope, 0.9997, 1e-3, 5e-5),
      (pnasnet.pnasnet_mobile_arg_scope, 0.9997, 1e-3, 4e-5),
      (pnasnet.pnasnet_large_arg_scope, 0.9997, 1e-3, 4e-5)]:
    scope = arg_scope()
    batch_norm = scope[slim.arg_scope_func_key(slim.batch_norm)]
    assert (batch_norm['decay'], batch_norm['epsilon'], batch_norm['scale']) == (
        decay, epsilon, True)
    conv = scope[slim.arg_scope_func_key(slim.conv2d)]
    assert conv['activation_fn'] is None and conv['biases_initializer'] is None
    assert scope[slim.arg_scope_func_key(slim.fully_connected)]['scope'] == 'FC'
    loss = conv['weights_regularizer'](tf.ones([2]))
    assert float(loss) == pytest.approx(l2 * 1.0)  # l2 * sum(w ** 2) / 2


# ---- drop path and the global step

def test_graph_training_build_uses_the_global_step_at_the_root(graph):
  with tf.compat.v1.variable_scope('tower'):
    _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
           placeholder(2, 32, 32, 3), config=_config(nasnet.cifar_config, **SMALL_CIFAR))
  step = tf.compat.v1.train.get_global_step()
  assert step.op.name == 'global_step'
  assert [v.op.name for v in tf.compat.v1.global_variables()].count('global_step') == 1


def test_current_step_replaces_the_global_step(graph):
  step = tf.compat.v1.placeholder(tf.int64, [])
  _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
         placeholder(2, 32, 32, 3), config=_config(nasnet.cifar_config, **SMALL_CIFAR),
         current_step=step)
  assert tf.compat.v1.train.get_global_step() is None


def test_model_owns_a_global_step_that_schedules_drop_path():
  config = _config(nasnet.cifar_config, drop_path_keep_prob=0.3, **SMALL_CIFAR)
  model = slim.Model(lambda images: _build(nasnet.build_nasnet_cifar,
                                           nasnet.nasnet_cifar_arg_scope, images,
                                           config=config))
  images = tf.constant(np.random.RandomState(1).rand(4, 32, 32, 3), tf.float32)
  first, _ = model(images)
  step = model.variables_by_name['global_step']
  assert step.dtype == tf.int64 and not step.trainable
  assert 'global_step:0' not in [v.name for v in model.trainable_variables]
  traced = tf.function(model)
  # At step 0 nothing is dropped: training calls are deterministic.
  np.testing.assert_allclose(traced(images)[0].numpy(), first.numpy(), rtol=1e-5, atol=1e-5)
  step.assign(config.total_training_steps)
  dropped = [traced(images)[0].numpy() for _ in range(3)]
  assert not all(np.allclose(logits, first.numpy()) for logits in dropped)
