"""The Inception networks: v1-v3 (research/slim's options: features without
logits, global pooling, root blocks, thinning, NCHW, auxiliary logits), v4 and
Inception-ResNet-v2 (arg scopes, blocks against the checkpoint table, residual
blocks), and the Inception tables of layers (inception_utils)."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import inception_resnet_v2
from slim.nets import inception_utils
from slim.nets import inception_v1
from slim.nets import inception_v2
from slim.nets import inception_v3
from slim.nets import inception_v4
from tests.slim import graph_run
from tests.slim.nets import harness
from tests.slim.nets import tables
from tests.slim.nets.harness import placeholder, static_shape


def test_inception_tables_take_unset_stride_and_padding_from_the_arg_scope(graph):
  from slim.nets.inception_utils import Call, Conv, Fork, MaxPool, Mixed
  table = (
      Conv('Conv2d_1a', 8, [3, 3]),
      Conv('Conv2d_1b', 8, [3, 3], padding='SAME', stddev=0.5),
      Mixed('Mixed_2a', [(MaxPool('MaxPool_0a', [2, 2], stride=1, padding='SAME'),),
                         (Fork((Conv('Conv2d_0a', 2, [1, 3], stride=1, padding='SAME'),
                                Conv('Conv2d_0b', 6, [3, 1], stride=1, padding='SAME'))),)]),
      Call('Doubled', lambda net, scope, depth: tf.multiply(net, 2.0, name=scope)),
      Conv('Conv2d_3a', 8, [1, 1]),
  )
  assert inception_utils.end_point_names(table) == [
      'Conv2d_1a', 'Conv2d_1b', 'Mixed_2a', 'Doubled', 'Conv2d_3a']
  end_points = {}
  with slim.arg_scope([slim.conv2d, slim.max_pool2d], stride=2, padding='VALID'):
    net, done = inception_utils.build_end_points(tf.zeros([1, 17, 17, 3]), table, end_points,
                                                 'Doubled', depth=lambda d: d // 2)
  assert done and net is end_points['Doubled'] and 'Conv2d_3a' not in end_points
  shapes = {name: static_shape(value) for name, value in end_points.items()}
  # 17 -> 8 (3x3 VALID, stride 2, from the arg scope) -> 4 (SAME given, stride 2 from the
  # scope); the module keeps 4 x 4: 4 pooled channels, 1 + 3 from the fork (depths halved).
  assert shapes == {'Conv2d_1a': [1, 8, 8, 4], 'Conv2d_1b': [1, 4, 4, 4],
                    'Mixed_2a': [1, 4, 4, 8], 'Doubled': [1, 4, 4, 8]}
  assert graph_run.variable_shapes()['Mixed_2a/Branch_1/Conv2d_0b/weights'] == [3, 1, 4, 3]
  with pytest.raises(TypeError, match='unknown layer'):
    inception_utils.build_end_points(tf.zeros([1, 4, 4, 3]), [('Conv', 4)], {}, 'Conv')


@pytest.mark.parametrize('network,pooled,pool_end_point', [
    (inception_v1.inception_v1, [2, 1, 1, 1024], 'AvgPool_0a_7x7'),
    (inception_v2.inception_v2, [2, 1, 1, 1024], 'AvgPool_1a'),
    (inception_v3.inception_v3, [2, 1, 1, 2048], 'AvgPool_1a'),
])
def test_inception_features_without_classes(graph, network, pooled, pool_end_point):
  size = network.default_image_size
  net, end_points = network(tf.zeros([2, size, size, 3]), num_classes=0)
  assert static_shape(net) == pooled
  assert net is end_points[pool_end_point]
  assert not {'Logits', 'Predictions', 'AuxLogits', 'PreLogits'} & set(end_points)


@pytest.mark.parametrize('network,features', [
    (inception_v1.inception_v1, 1024), (inception_v2.inception_v2, 1024),
    (inception_v3.inception_v3, 2048)])
def test_inception_global_pool_takes_any_size(graph, network, features):
  kwargs = {'create_aux_logits': False} if network is inception_v3.inception_v3 else {}
  logits, end_points = network(tf.zeros([1, 320, 400, 3]), num_classes=6, global_pool=True,
                               **kwargs)
  assert static_shape(logits) == [1, 6]
  assert static_shape(end_points['global_pool']) == [1, 1, 1, features]


def test_inception_predictions_keep_their_graph_names(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([1, 299, 299, 3]), num_classes=4,
                                            depth_multiplier=0.1)
  assert end_points['Predictions'].op.name == 'InceptionV3/Predictions/Reshape_1'
  assert end_points['Logits'].op.name == 'InceptionV3/Logits/SpatialSqueeze'
  assert end_points['AuxLogits'].op.name == 'InceptionV3/AuxLogits/SpatialSqueeze'
  assert static_shape(end_points['PreLogits']) == [1, 1, 1, 203]
  _, end_points = inception_v1.inception_v1(tf.zeros([1, 224, 224, 3]), num_classes=4)
  assert end_points['Predictions'].op.name == 'InceptionV1/Logits/Predictions/Reshape_1'


def test_inception_v3_without_aux_logits(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([1, 299, 299, 3]), num_classes=4,
                                            depth_multiplier=0.1, create_aux_logits=False)
  assert 'AuxLogits' not in end_points
  assert not [v for v in graph_run.variable_shapes() if 'AuxLogits' in v]


def test_inception_v3_aux_logits_shapes_and_thinning(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([2, 299, 299, 3]), num_classes=9,
                                            depth_multiplier=0.5)
  assert static_shape(end_points['AuxLogits']) == [2, 9]
  variables = graph_run.variable_shapes()
  assert variables['InceptionV3/AuxLogits/Conv2d_1b_1x1/weights'] == [1, 1, 384, 64]
  assert variables['InceptionV3/AuxLogits/Conv2d_2a_5x5/weights'] == [5, 5, 64, 384]


@pytest.mark.parametrize('base,first_mixed,shape', [
    (inception_v1.inception_v1_base, 'Mixed_3b', [1, 28, 28, 256]),
    (inception_v2.inception_v2_base, 'Mixed_3b', [1, 28, 28, 256]),
])
def test_inception_without_root_block(graph, base, first_mixed, shape):
  net, end_points = base(tf.zeros([1, 28, 28, 192]), include_root_block=False)
  assert list(end_points)[0] == first_mixed
  assert static_shape(end_points[first_mixed]) == shape
  assert not [v for v in graph_run.variable_shapes() if 'Conv2d_1a_7x7' in v]
  with pytest.raises(ValueError, match='Unknown final endpoint'):
    base(tf.zeros([1, 28, 28, 192]), final_endpoint='Conv2d_1a_7x7', include_root_block=False)


def test_inception_v2_plain_first_conv_and_data_format_checks(graph):
  inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]), final_endpoint='Conv2d_1a_7x7',
                                 use_separable_conv=False)
  assert graph_run.variable_shapes() == {'InceptionV2/Conv2d_1a_7x7/weights': [7, 7, 3, 64],
                                        'InceptionV2/Conv2d_1a_7x7/biases': [64]}
  with pytest.raises(ValueError, match='separable convolution only supports NHWC'):
    inception_v2.inception_v2_base(tf.zeros([1, 3, 224, 224]), data_format='NCHW')
  with pytest.raises(ValueError, match="data_format must be either NHWC or NCHW, received 'HWC'"):
    inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]), data_format='HWC')


def test_inception_v2_nchw_builds_the_same_variables():
  with tf.Graph().as_default():
    net, _ = inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]),
                                            use_separable_conv=False)
    nhwc = graph_run.variable_shapes()
    assert static_shape(net) == [1, 7, 7, 1024]
  with tf.Graph().as_default():
    net, end_points = inception_v2.inception_v2_base(
        tf.zeros([1, 3, 224, 224]), use_separable_conv=False, data_format='NCHW')
    assert graph_run.variable_shapes() == nhwc
    assert static_shape(net) == [1, 1024, 7, 7]
    assert static_shape(end_points['Mixed_4a']) == [1, 576, 14, 14]


def test_inception_arg_scopes_accept_research_slim_arguments(graph):
  with slim.arg_scope(inception_v3.inception_v3_arg_scope(batch_norm_scale=True,
                                                          activation_fn=tf.nn.relu6)):
    net = slim.conv2d(tf.zeros([1, 8, 8, 3]), 4, [3, 3], scope='conv')
  assert net.op.type == 'Relu6'
  assert set(graph_run.variable_shapes()) == {
      'conv/weights', 'conv/BatchNorm/beta', 'conv/BatchNorm/gamma',
      'conv/BatchNorm/moving_mean', 'conv/BatchNorm/moving_variance'}
  assert len(tf.compat.v1.get_collection('moving_vars')) == 2
  with slim.arg_scope(inception_v1.inception_v1_arg_scope(use_batch_norm=False)):
    slim.conv2d(tf.zeros([1, 8, 8, 3]), 4, [3, 3], scope='plain')
  assert 'plain/biases' in graph_run.variable_shapes()


@pytest.mark.parametrize('arg_scope', [inception_v4.inception_v4_arg_scope,
                                       inception_resnet_v2.inception_resnet_v2_arg_scope])
def test_inception_batch_norm_scale(graph, arg_scope):
  base = {inception_v4.inception_v4_arg_scope: inception_v4.inception_v4_base,
          inception_resnet_v2.inception_resnet_v2_arg_scope:
              inception_resnet_v2.inception_resnet_v2_base}[arg_scope]
  with slim.arg_scope(arg_scope()):
    base(placeholder(1, 299, 299, 3), final_endpoint='Conv2d_2b_3x3', scope='plain')
  assert harness.variable_names('plain/.*/gamma') == []
  with slim.arg_scope(arg_scope(batch_norm_scale=True)):
    base(placeholder(1, 299, 299, 3), final_endpoint='Conv2d_2b_3x3', scope='scaled')
  gammas = harness.variable_names('scaled/.*/gamma')
  assert len(gammas) == 3 and gammas == [
      n[:-len('moving_mean')] + 'gamma' for n in harness.variable_names('scaled/.*/moving_mean')]


def test_inception_v4_arg_scope(graph):
  scope = inception_v4.inception_v4_arg_scope(weight_decay=0.1, batch_norm_decay=0.9)
  conv = scope[slim.arg_scope_func_key(slim.conv2d)]
  assert conv['normalizer_fn'] is slim.batch_norm and conv['activation_fn'] is tf.nn.relu
  assert conv['normalizer_params'] == {'decay': 0.9, 'epsilon': 0.001, 'fused': None,
                                       'updates_collections': tf.compat.v1.GraphKeys.UPDATE_OPS,
                                       'scale': False}
  assert 'weights_regularizer' in scope[slim.arg_scope_func_key(slim.fully_connected)]
  with slim.arg_scope(scope):
    inception_v4.inception_v4_base(placeholder(1, 299, 299, 3), final_endpoint='Mixed_3a')
  weights = sorted(n for n in harness.variable_names() if n.endswith('weights'))
  assert harness.regularized() == weights and not harness.variable_names('.*/biases')
  scope = inception_v4.inception_v4_arg_scope(use_batch_norm=False)
  conv = scope[slim.arg_scope_func_key(slim.conv2d)]
  assert conv['normalizer_fn'] is None and conv['normalizer_params'] == {}
  with slim.arg_scope(scope):
    inception_v4.inception_v4_base(placeholder(1, 299, 299, 3), final_endpoint='Mixed_3a',
                                   scope='no_bn')
  assert harness.variable_names('no_bn/.*/biases')
  assert not harness.variable_names('no_bn/.*BatchNorm')


def test_inception_resnet_v2_arg_scope_regularizes_biases(graph):
  with slim.arg_scope(inception_resnet_v2.inception_resnet_v2_arg_scope()):
    inception_resnet_v2.block35(placeholder(1, 5, 5, 16))
  # The projection has biases (no batch norm); weights and biases are regularized.
  assert 'Block35/Conv2d_1x1/biases' in harness.variable_names()
  assert not harness.variable_names('Block35/Branch.*/biases')
  assert harness.regularized() == sorted(n for n in harness.variable_names()
                                         if n.endswith(('weights', 'biases')))


# The branches of every Inception-v4 block, checked against the table of the
# published checkpoint: (function, input, output, the block's scope in the table).
V4_BLOCKS = [
    (inception_v4.block_inception_a, [1, 5, 5, 384], [1, 5, 5, 384], 'Mixed_5b',
     'BlockInceptionA'),
    (inception_v4.block_reduction_a, [1, 9, 9, 384], [1, 4, 4, 1024], 'Mixed_6a',
     'BlockReductionA'),
    (inception_v4.block_inception_b, [1, 5, 5, 1024], [1, 5, 5, 1024], 'Mixed_6b',
     'BlockInceptionB'),
    (inception_v4.block_reduction_b, [1, 9, 9, 1024], [1, 4, 4, 1536], 'Mixed_7a',
     'BlockReductionB'),
    (inception_v4.block_inception_c, [1, 3, 3, 1536], [1, 3, 3, 1536], 'Mixed_7b',
     'BlockInceptionC'),
]


@pytest.mark.parametrize('block, input_shape, output_shape, mixed, scope', V4_BLOCKS)
def test_inception_v4_blocks(graph, block, input_shape, output_shape, mixed, scope):
  with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
    output = block(placeholder(*input_shape))
    assert block(placeholder(*input_shape), scope=scope, reuse=True) is not None
  assert output.shape.as_list() == output_shape
  prefix = 'InceptionV4/%s/' % mixed
  expected = {n[len(prefix):]: s for n, s in tables.load('inception_v4').variables.items()
              if n.startswith(prefix)}
  found = {v.op.name[len(scope) + 1:]: tuple(v.shape.as_list())
           for v in tf.compat.v1.global_variables()}
  assert found == expected


def residual_model(block, **kwargs):
  """A Model of `block` on 1 x 3 x 3 x 8 inputs whose projection is set to
  weights 0 and biases 20: the block then adds scale * 20 to its input."""
  model = slim.Model(functools.partial(block, **kwargs))
  inputs = np.linspace(-1, 1, 72, dtype=np.float32).reshape(1, 3, 3, 8)
  model(inputs)
  scope = block.__name__.capitalize()
  weights = model.variables_by_name[scope + '/Conv2d_1x1/weights']
  weights.assign(tf.zeros(weights.shape))
  model.variables_by_name[scope + '/Conv2d_1x1/biases'].assign(tf.fill([8], 20.0))
  return model, inputs


@pytest.mark.parametrize('block', [inception_resnet_v2.block35, inception_resnet_v2.block17,
                                   inception_resnet_v2.block8])
def test_residual_blocks(block):
  model, x = residual_model(block, scale=0.25, activation_fn=None)
  np.testing.assert_allclose(model(x), x + 5.0, rtol=1e-6)
  model, x = residual_model(block, scale=0.25)
  np.testing.assert_allclose(model(x), np.maximum(x + 5.0, 0), rtol=1e-6)
  # With relu6 the scaled residual (0.5 * 20 = 10) is clipped to 6 first.
  model, x = residual_model(block, scale=0.5, activation_fn=tf.nn.relu6)
  np.testing.assert_allclose(model(x), np.minimum(np.maximum(x + 6.0, 0), 6), rtol=1e-6)
