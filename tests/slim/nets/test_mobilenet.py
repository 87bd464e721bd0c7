"""MobileNet V2/V3: the conv-defs builder, its blocks and the variants (research/slim's
mobilenet_v2_test and mobilenet_v3_test, in graph mode); their execution modes
are in test_modes.py, their argument errors in test_errors.py."""
import copy
import inspect

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets.mobilenet import conv_blocks as ops
from slim.nets.mobilenet import mobilenet
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from tests.slim.nets.harness import placeholder


def _conv_depths(graph):
  return [op.outputs[0].shape.as_list()[-1] for op in graph.get_operations()
          if op.type == 'Conv2D']


# ---- research/slim's mobilenet_v2_test, in graph mode

def test_v2_creation_exposes_depthwise_outputs(graph):
  spec = dict(mobilenet_v2.V2_DEF)
  _, end_points = mobilenet.mobilenet(placeholder(1, 224, 224, 16), conv_defs=spec)
  # Two 1x1 convolutions per block but the first, plus first, last and logits.
  assert len(_conv_depths(graph)) == len(spec['spec']) * 2 - 2
  for i in range(2, 17):
    assert 'layer_%d/depthwise_output' % i in end_points


def test_v2_without_classes_returns_pooled_features(graph):
  net, end_points = mobilenet.mobilenet(placeholder(1, 224, 224, 16),
                                        conv_defs=copy.deepcopy(mobilenet_v2.V2_DEF),
                                        num_classes=None)
  assert net is end_points['global_pool']
  assert net.shape.as_list() == [1, 1, 1, 1280]
  assert 'Logits' not in end_points and 'Predictions' not in end_points


@pytest.mark.parametrize('input_size,output_size',
                         [(224, 7), (192, 6), (160, 5), (128, 4), (96, 3)])
def test_v2_image_sizes(graph, input_size, output_size):
  _, end_points = mobilenet_v2.mobilenet(placeholder(1, input_size, input_size, 3))
  assert end_points['layer_18/output'].shape.as_list()[1:3] == [output_size] * 2


def test_v2_split_expansion(graph):
  spec = copy.deepcopy(mobilenet_v2.V2_DEF)
  spec['overrides'] = {(ops.expanded_conv,): dict(split_expansion=2)}
  _, end_points = mobilenet.mobilenet(placeholder(1, 224, 224, 16), conv_defs=spec)
  assert len(_conv_depths(graph)) == len(spec['spec']) * 3 - 5
  assert end_points['layer_3/expand_part_0_output'].shape.as_list() == [1, 112, 112, 48]
  names = [v.op.name for v in tf.compat.v1.global_variables()]
  assert 'Mobilenet/expanded_conv_2/expand_part_1/weights' in names


@pytest.mark.parametrize('output_stride,size', [(8, 28), (16, 14)])
@pytest.mark.parametrize('explicit_padding', [False, True])
def test_v2_output_stride(graph, output_stride, size, explicit_padding):
  out, _ = mobilenet.mobilenet_base(placeholder(1, 224, 224, 16),
                                    conv_defs=mobilenet_v2.V2_DEF,
                                    output_stride=output_stride,
                                    use_explicit_padding=explicit_padding, scope='MobilenetV2')
  assert out.shape.as_list()[1:3] == [size, size]


def test_v2_divisible_by_and_min_depth(graph):
  mobilenet_v2.mobilenet(placeholder(1, 224, 224, 16), conv_defs=mobilenet_v2.V2_DEF,
                         divisible_by=16, min_depth=32)
  assert set(_conv_depths(graph)) == {32, 64, 96, 160, 192, 320, 384, 576, 960, 1280, 1001}


def test_v2_min_depth_from_arg_scope(graph):
  with slim.arg_scope((mobilenet.depth_multiplier,), min_depth=32):
    mobilenet_v2.mobilenet(placeholder(1, 224, 224, 2), conv_defs=mobilenet_v2.V2_DEF,
                           depth_multiplier=0.1)
  assert set(_conv_depths(graph)) == {32, 192, 128, 1001}


def test_v2_finegrain_keeps_last_layer(graph):
  mobilenet_v2.mobilenet(placeholder(1, 224, 224, 2), conv_defs=mobilenet_v2.V2_DEF,
                         depth_multiplier=0.01, finegrain_classification_mode=True)
  assert set(_conv_depths(graph)) == {8, 48, 1001, 1280}


def test_v2_base_returns_last_layer(graph):
  with slim.arg_scope((mobilenet.depth_multiplier,), min_depth=32):
    net, end_points = mobilenet_v2.mobilenet_base(placeholder(1, 224, 224, 16),
                                                  conv_defs=mobilenet_v2.V2_DEF,
                                                  depth_multiplier=0.1)
  assert net.shape.as_list() == [1, 7, 7, 128]
  assert 'global_pool' not in end_points


def test_v2_custom_multiplier_function(graph):
  new_def = copy.deepcopy(mobilenet_v2.V2_DEF)

  def inverse_multiplier(output_params, multiplier):
    output_params['num_outputs'] = int(output_params['num_outputs'] / multiplier)

  new_def['spec'][0] = mobilenet.op(slim.conv2d, kernel_size=(3, 3),
                                    multiplier_func=inverse_multiplier, num_outputs=16)
  mobilenet_v2.mobilenet_base(placeholder(1, 224, 224, 16), conv_defs=new_def,
                              depth_multiplier=0.1)
  assert _conv_depths(graph)[:5] == [160, 8, 48, 8, 48]


def test_training_scope_is_training():
  key = slim.arg_scope_func_key(slim.batch_norm)
  assert 'is_training' not in mobilenet.training_scope(is_training=None)[key]
  for is_training in (False, True):
    assert mobilenet.training_scope(is_training=is_training)[key]['is_training'] is (
        is_training)
  scope = mobilenet_v2.training_scope(weight_decay=0.1, bn_decay=None,
                                      dropout_keep_prob=None)
  assert 'decay' not in scope[key]
  assert 'keep_prob' not in scope[slim.arg_scope_func_key(slim.dropout)]
  assert scope[slim.arg_scope_func_key(slim.separable_conv2d)]['weights_regularizer'] is None


def test_training_scope_regularizes_convolutions_and_trains_batch_norm(graph):
  with slim.arg_scope(mobilenet_v2.training_scope(weight_decay=0.01)):
    mobilenet_v2.mobilenet(placeholder(2, 64, 64, 3), depth_multiplier=0.35)
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  # Every conv2d: the first, 16 expansions (not the first block's), 17
  # projections, the last layer and the logits; no depthwise convolution.
  assert len(losses) == 36
  assert all('depthwise' not in loss.op.name for loss in losses)
  assert tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)


def test_v2_activation_fn_override(graph):
  mobilenet_v2.mobilenet(placeholder(1, 64, 64, 3), depth_multiplier=0.35,
                         activation_fn=tf.nn.relu)
  relus = {op.type for op in graph.get_operations() if op.type.startswith('Relu')}
  assert relus == {'Relu'}
  assert mobilenet_v2.V2_DEF['defaults'][
      (slim.conv2d, slim.fully_connected, slim.separable_conv2d)]['activation_fn'] is (
          tf.nn.relu6)  # the shared conv def is unchanged


def test_builder_helpers():
  assert mobilenet.apply_activation(3.0) == 3.0
  assert mobilenet.apply_activation(tf.constant(-1.0), activation_fn=tf.nn.relu) == 0.0
  assert isinstance(mobilenet.safe_arg_scope([slim.dropout], keep_prob=None),
                    mobilenet.NoOpScope)
  with mobilenet.safe_arg_scope([slim.dropout], keep_prob=0.3, is_training=None) as scope:
    assert scope[slim.arg_scope_func_key(slim.dropout)] == {'keep_prob': 0.3}
  params = {'num_outputs': 100, 'stride': 2}
  mobilenet.depth_multiplier(params, 0.35)
  assert params == {'num_outputs': 32, 'stride': 2}  # 35 rounded up to a multiple of 8
  opdef = mobilenet.op(slim.conv2d, num_outputs=8, multiplier_transform=None)
  assert opdef.multiplier_func is None and opdef.params == {'num_outputs': 8}


def test_global_pool_with_unknown_size():
  images = np.random.RandomState(0).rand(2, 5, 3, 4).astype(np.float32)
  pool = tf.function(lambda x: mobilenet.global_pool(x),  # pylint: disable=unnecessary-lambda
                     input_signature=[tf.TensorSpec([None, None, None, 4])])
  np.testing.assert_allclose(pool(images), images.mean(axis=(1, 2), keepdims=True),
                             rtol=1e-6)
  max_pool = tf.function(lambda x: mobilenet.global_pool(x, pool_op=tf.nn.max_pool),
                         input_signature=[tf.TensorSpec([None, None, None, 4])])
  np.testing.assert_allclose(max_pool(images), images.max(axis=(1, 2), keepdims=True))
  assert mobilenet.global_pool(tf.constant(images)).shape == (2, 1, 1, 4)


def test_v2_variants_and_image_size():
  for fn in (mobilenet_v2.mobilenet, mobilenet_v2.mobilenet_v2_140,
             mobilenet_v2.mobilenet_v2_050, mobilenet_v2.mobilenet_v2_035,
             mobilenet_v3.mobilenet, mobilenet_v3.large, mobilenet_v3.small,
             mobilenet_v3.edge_tpu):
    assert fn.default_image_size == 224
  parameters = inspect.signature(mobilenet_v2.mobilenet_v2_140).parameters
  assert parameters['depth_multiplier'].default == 1.4
  assert not parameters['finegrain_classification_mode'].default
  parameters = inspect.signature(mobilenet_v2.mobilenet_v2_035).parameters
  assert parameters['depth_multiplier'].default == 0.35
  assert parameters['finegrain_classification_mode'].default


# ---- research/slim's mobilenet_v3_test, in graph mode

def test_v3_large_and_small_heads(graph):
  logits, end_points = mobilenet_v3.mobilenet(placeholder(1, 224, 224, 3))
  assert end_points['layer_19'].shape.as_list() == [1, 1, 1, 1280]
  assert logits.shape.as_list() == [1, 1001]
  with tf.Graph().as_default():
    _, end_points = mobilenet_v3.mobilenet(placeholder(1, 224, 224, 3),
                                           conv_defs=mobilenet_v3.V3_SMALL)
    assert end_points['layer_15'].shape.as_list() == [1, 1, 1, 1024]


def test_v3_edge_tpu_scope(graph):
  _, end_points = mobilenet_v3.edge_tpu(placeholder(1, 224, 224, 3))
  assert end_points['layer_24'].shape.as_list() == [1, 7, 7, 1280]
  assert end_points['layer_24'].name.startswith('MobilenetEdgeTPU')
  assert 'Inference mode is created by default' in mobilenet_v3.edge_tpu.__doc__
  _, end_points = mobilenet_v3.edge_tpu(placeholder(1, 224, 224, 3), scope='Scope')
  assert end_points['layer_24'].name.startswith('Scope')


@pytest.mark.parametrize('shape,expected', [((1, 224, 224, 3), [1, 7, 7, 960]),
                                            ((None, None, None, 3), [None, None, None, 960])])
def test_v3_base_only(graph, shape, expected):
  result, end_points = mobilenet_v3.mobilenet(placeholder(*shape),
                                              conv_defs=mobilenet_v3.V3_LARGE,
                                              base_only=True, final_endpoint='layer_17')
  assert end_points['layer_17'].shape.as_list() == expected
  assert result is end_points['layer_17']
  assert 'layer_18' not in end_points


def test_v3_squeeze_excite_variables(graph):
  mobilenet_v3.large(placeholder(1, 224, 224, 3))
  shapes = {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
  # layer_5: 24 -> 72 channels expanded; squeeze to make_divisible(72 / 4) = 24.
  prefix = 'MobilenetV3/expanded_conv_3/squeeze_excite/'
  assert shapes[prefix + 'Conv/weights'] == [1, 1, 72, 24]
  assert shapes[prefix + 'Conv/biases'] == [24]
  assert shapes[prefix + 'Conv_1/weights'] == [1, 1, 24, 72]
  assert not any(name.startswith('MobilenetV3/expanded_conv_2/squeeze') for name in shapes)


def test_v3_detection_defs_halve_the_last_stage():
  large = [d.params.get('num_outputs') for d in mobilenet_v3.V3_LARGE_DETECTION['spec']]
  assert large[13:17] == [80, 80, 80, 480]
  small = [d.params.get('num_outputs') for d in mobilenet_v3.V3_SMALL_DETECTION['spec']]
  assert small[9:13] == [48, 48, 48, 288]
  assert mobilenet_v3.V3_LARGE['spec'][13].params['num_outputs'] == 160  # unchanged


def test_hard_swish_values():
  x = tf.constant([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 5.0])
  np.testing.assert_allclose(mobilenet_v3.hard_swish(x).numpy(),
                             [0, 0, -1 / 3, 0, 2 / 3, 3, 5], rtol=1e-6, atol=1e-7)


def test_reduce_to_1x1_uses_the_square_input_or_the_default():
  assert mobilenet_v3.reduce_to_1x1(tf.ones([1, 5, 5, 2]), stride=1).shape == [1, 1, 1, 2]
  with tf.Graph().as_default():
    net = mobilenet_v3.reduce_to_1x1(placeholder(1, None, None, 2), default_size=3,
                                     stride=1)
    assert net.op.get_attr('ksize') == [1, 3, 3, 1]


# ---- blocks

def test_expanded_conv_names_and_endpoints(graph):
  endpoints = {}
  net = ops.expanded_conv(placeholder(2, 8, 8, 16), 16, expansion_size=48,
                          normalizer_fn=slim.batch_norm, endpoints=endpoints, scope='block')
  shapes = {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
  assert shapes['block/expand/weights'] == [1, 1, 16, 48]
  assert shapes['block/depthwise/depthwise_weights'] == [3, 3, 48, 1]
  assert shapes['block/project/weights'] == [1, 1, 48, 16]
  assert sorted(endpoints) == ['depthwise_output', 'expansion_output', 'projection_output']
  assert net.op.name == 'block/output'
  assert net.op.inputs[0].op.type in ('AddV2', 'Add')  # the residual


def test_expanded_conv_without_residual_or_wider_expansion(graph):
  net = ops.expanded_conv(placeholder(2, 8, 8, 16), 24, expansion_size=8, stride=2)
  names = [v.op.name for v in tf.compat.v1.global_variables()]
  assert not any('expand/' in name for name in names)  # narrower: no expansion
  assert net.shape.as_list() == [2, 4, 4, 24]
  assert net.op.inputs[0].op.type != 'AddV2'


def test_split_separable_conv2d_names(graph):
  ops.split_separable_conv2d(placeholder(1, 8, 8, 4), 6, scope='Conv2d_1')
  ops.split_separable_conv2d(placeholder(1, 8, 8, 4), 6)
  names = sorted(v.op.name for v in tf.compat.v1.global_variables())
  assert names == ['Conv2d_1_depthwise/biases', 'Conv2d_1_depthwise/depthwise_weights',
                   'Conv2d_1_pointwise/biases', 'Conv2d_1_pointwise/weights',
                   'separable/depthwise/biases', 'separable/depthwise/depthwise_weights',
                   'separable/pointwise/biases', 'separable/pointwise/weights']


def test_split_conv_parts(graph):
  net = ops.split_conv(placeholder(1, 4, 4, 48), 40, num_ways=3, scope='proj')
  shapes = {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
  assert shapes['proj_part_0/weights'] == [1, 1, 16, 16]
  assert shapes['proj_part_1/weights'] == [1, 1, 16, 16]
  assert shapes['proj_part_2/weights'] == [1, 1, 16, 8]
  assert net.shape.as_list() == [1, 4, 4, 40]


def test_squeeze_excite_gates_with_pooled_statistics():
  images = tf.random.stateless_uniform([2, 6, 6, 16], seed=(1, 2))
  gated = ops.squeeze_excite(images, squeeze_factor=4, gating_fn=tf.zeros_like)
  np.testing.assert_array_equal(gated.numpy(), 0)


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(depthwise_location='middle'), TypeError, 'depthwise_location'),
    (dict(use_explicit_padding=True, padding='VALID'), TypeError, 'use_explicit_padding'),
])
def test_expanded_conv_errors(graph, kwargs, error, match):
  with pytest.raises(error, match=match):
    ops.expanded_conv(placeholder(1, 8, 8, 8), 8, **kwargs)
  assert not tf.compat.v1.global_variables()


# ---- group norm and reduce-mean pooling (research/slim's latest mobilenet_v3_test)

def _normalizer_variables(graph):
  names = [v.op.name for v in tf.compat.v1.global_variables()]
  return ([n for n in names if '/BatchNorm/' in n], [n for n in names if '/GroupNorm/' in n])


def test_v3_group_norm_replaces_batch_norm(graph):
  logits, _ = mobilenet_v3.small(placeholder(1, 64, 64, 3), depth_multiplier=0.35,
                                 use_groupnorm=True)
  assert logits.shape.as_list() == [1, 1001]
  batch_norm, group_norm = _normalizer_variables(graph)
  assert not batch_norm
  assert {'MobilenetV3/Conv/GroupNorm/gamma', 'MobilenetV3/Conv/GroupNorm/beta',
          'MobilenetV3/expanded_conv/depthwise/GroupNorm/gamma',
          'MobilenetV3/expanded_conv/project/GroupNorm/beta'} <= set(group_norm)
  # the squeeze-excite and the last 1x1 convolutions have no normalizer
  assert not [n for n in group_norm if 'squeeze_excite' in n or '/Conv_2/' in n]


def test_v3_group_norm_groups_argument(graph):
  mobilenet_v3.small(placeholder(1, 64, 64, 3), depth_multiplier=0.35, use_groupnorm=True,
                     groups=4, base_only=True, final_endpoint='layer_1')
  # 8 channels (16 * 0.35, rounded) in 4 groups of 2: gamma is reshaped to the groups
  shapes = [op.outputs[0].shape.as_list() for op in graph.get_operations()
            if op.type == 'Reshape' and 'Conv/GroupNorm' in op.name]
  assert [1, 1, 1, 4, 2] in shapes


def test_v3_without_group_norm_keeps_batch_norm(graph):
  mobilenet_v3.small(placeholder(1, 64, 64, 3), depth_multiplier=0.35, use_groupnorm=False)
  batch_norm, group_norm = _normalizer_variables(graph)
  assert batch_norm and not group_norm
  assert 'MobilenetV3/Conv/BatchNorm/moving_mean' in batch_norm


def test_base_builder_group_norm_for_v2(graph):
  mobilenet_v2.mobilenet(placeholder(1, 64, 64, 3), depth_multiplier=0.35, use_groupnorm=True)
  batch_norm, group_norm = _normalizer_variables(graph)
  assert not batch_norm
  assert 'MobilenetV2/expanded_conv_1/expand/GroupNorm/gamma' in group_norm


@pytest.mark.parametrize('use_reduce_mean', [True, False])
def test_v3_reduce_mean_pooling_op(graph, use_reduce_mean):
  mobilenet_v3.small(placeholder(1, 64, 64, 3), depth_multiplier=0.35,
                     use_reduce_mean_for_pooling=use_reduce_mean)
  reduce_mean = [op.name for op in graph.get_operations() if 'ReduceMean' in op.name]
  assert (reduce_mean != []) == use_reduce_mean
  if use_reduce_mean:
    assert 'MobilenetV3/Logits/ReduceMean' in reduce_mean


def test_reduce_mean_pooling_equals_average_pooling():
  images = np.random.RandomState(0).rand(2, 5, 7, 4).astype(np.float32)
  mean = mobilenet.global_pool(tf.constant(images), use_reduce_mean_for_pooling=True)
  average = mobilenet.global_pool(tf.constant(images))
  assert mean.shape == average.shape == (2, 1, 1, 4)
  np.testing.assert_allclose(mean, average, rtol=1e-6)
  np.testing.assert_allclose(mean, images.mean(axis=(1, 2), keepdims=True), rtol=1e-6)


def test_network_logits_with_reduce_mean_equal_average_pooling():
  images = np.random.RandomState(1).rand(1, 64, 64, 3).astype(np.float32)
  outputs = []
  for use_reduce_mean in (False, True):
    with tf.Graph().as_default():
      tf.compat.v1.set_random_seed(0)
      logits, _ = mobilenet_v3.small(tf.constant(images), depth_multiplier=0.35,
                                     use_reduce_mean_for_pooling=use_reduce_mean)
      with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        outputs.append(sess.run(logits))
  np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)
