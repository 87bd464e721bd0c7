"""The network definitions beyond tf_slim's own tests: research/slim's options
(features without logits, global pooling, root blocks, thinning, atrous ResNets),
argument errors raised before any variable, and the `slim.nets` aliases."""
import sys

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import (alexnet, inception, inception_utils, inception_v1, inception_v2, inception_v3,
                  overfeat, resnet_utils, resnet_v1, resnet_v2, vgg)
from tests.nets import fresh_python


def _variables():
  return {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}


def _shape(tensor):
  return tensor.shape.as_list()


# --- slim.nets ---------------------------------------------------------------------------

def test_slim_nets_modules_are_the_nets_modules():
  import slim.nets  # pylint: disable=import-outside-toplevel,redefined-outer-name
  from slim.nets import inception_v3 as slim_inception_v3  # pylint: disable=import-outside-toplevel
  assert slim_inception_v3 is inception_v3
  assert sys.modules['slim.nets.vgg'] is vgg and slim.nets.resnet_utils is resnet_utils
  assert slim.nets.inception.inception_v2_base is inception_v2.inception_v2_base
  assert slim.nets.__all__ == ['alexnet', 'inception', 'inception_v1', 'inception_v2',
                               'inception_v3', 'overfeat', 'resnet_utils', 'resnet_v1',
                               'resnet_v2', 'vgg']


def test_import_slim_imports_no_network():
  script = ('import sys, slim\n'
            'assert not [m for m in sys.modules if m.split(".")[0] == "nets" or '
            'm.startswith("slim.nets")]\n'
            'import slim.nets\n'
            'assert "slim.nets.inception_v3" in sys.modules and "slim.nets.nets_factory" not in sys.modules\n'
            'print("ok")\n')
  fresh_python.assert_prints_ok(script)


def test_inception_aggregates_the_versions_and_loads_v4_lazily():
  assert inception.inception_v1 is inception_v1.inception_v1
  assert inception.inception_v3_arg_scope is inception_v3.inception_v3_arg_scope
  assert {'inception_v4', 'inception_resnet_v2_arg_scope'} <= set(dir(inception))
  assert 'inception_v4' in inception.__all__
  with pytest.raises(AttributeError, match='no attribute'):
    inception.inception_v5  # pylint: disable=pointless-statement
  # As in research/slim, Inception-v4's arg scope is the common one.
  assert inception.inception_v4_arg_scope is inception_utils.inception_arg_scope


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
  shapes = {name: _shape(value) for name, value in end_points.items()}
  # 17 -> 8 (3x3 VALID, stride 2, from the arg scope) -> 4 (SAME given, stride 2 from the
  # scope); the module keeps 4 x 4: 4 pooled channels, 1 + 3 from the fork (depths halved).
  assert shapes == {'Conv2d_1a': [1, 8, 8, 4], 'Conv2d_1b': [1, 4, 4, 4],
                    'Mixed_2a': [1, 4, 4, 8], 'Doubled': [1, 4, 4, 8]}
  assert _variables()['Mixed_2a/Branch_1/Conv2d_0b/weights'] == [3, 1, 4, 3]
  with pytest.raises(TypeError, match='unknown layer'):
    inception_utils.build_end_points(tf.zeros([1, 4, 4, 3]), [('Conv', 4)], {}, 'Conv')


# --- AlexNet, OverFeat, VGG -------------------------------------------------------------

CONV_CLASSIFIERS = [(alexnet.alexnet_v2, 224), (overfeat.overfeat, 231), (vgg.vgg_a, 224),
                    (vgg.vgg_16, 224), (vgg.vgg_19, 224)]


@pytest.mark.parametrize('network,size', CONV_CLASSIFIERS)
@pytest.mark.parametrize('num_classes', [0, None])
def test_conv_classifiers_without_classes_return_fc7(graph, network, size, num_classes):
  net, end_points = network(tf.zeros([2, size, size, 3]), num_classes=num_classes)
  name = network.__name__
  assert _shape(net) == [2, 1, 1, 4096]
  assert net is end_points[name + '/fc7']
  assert name + '/fc8' not in end_points
  assert not [v for v in _variables() if '/fc8/' in v]


@pytest.mark.parametrize('network,size', CONV_CLASSIFIERS)
def test_conv_classifiers_global_pool_on_large_images(graph, network, size):
  logits, end_points = network(tf.zeros([1, size + 64, size + 96, 3]), num_classes=5,
                               global_pool=True)
  assert _shape(logits) == [1, 5]
  assert _shape(end_points['global_pool']) == [1, 1, 1, 4096]
  assert _shape(end_points[network.__name__ + '/fc7'])[1:3] != [1, 1]


def test_vgg_fc_conv_padding_same_predicts_a_map(graph):
  logits, end_points = vgg.vgg_16(tf.zeros([1, 256, 320, 3]), num_classes=5,
                                  spatial_squeeze=False, fc_conv_padding='SAME')
  assert _shape(logits) == [1, 8, 10, 5]
  assert _shape(end_points['vgg_16/fc6']) == [1, 8, 10, 4096]


def test_vgg_table_and_reuse(graph):
  vgg.vgg_19(tf.zeros([1, 224, 224, 3]), num_classes=3)
  count = len(tf.compat.v1.global_variables())
  assert count == 2 * (16 + 3)  # 16 convolutions and 3 fully connected layers
  vgg.vgg_19(tf.zeros([1, 224, 224, 3]), num_classes=3, reuse=True)
  assert len(tf.compat.v1.global_variables()) == count
  assert vgg.vgg_d is vgg.vgg_16 and vgg.vgg_e is vgg.vgg_19
  assert vgg.vgg_16.__name__ == 'vgg_16' and 'configuration D' in vgg.vgg_16.__doc__
  assert vgg.vgg_a.default_image_size == 224


@pytest.mark.parametrize('network', [alexnet.alexnet_v2, vgg.vgg_16, inception_v3.inception_v3,
                                     resnet_v1.resnet_v1_50, resnet_v2.resnet_v2_50])
@pytest.mark.parametrize('images,error,match', [
    (np.zeros([224, 224, 3], np.float32), ValueError, 'inputs must have rank 4.*224, 224, 3'),
    (object, TypeError, 'inputs must be a tensor of images'),
])
def test_bad_images_are_refused_before_any_variable(graph, network, images, error, match):
  with pytest.raises(error, match=network.__name__ + ': ' + match):
    network(images, num_classes=10)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('network', [overfeat.overfeat, vgg.vgg_a, inception_v1.inception_v1,
                                     inception_v2.inception_v2, resnet_v2.resnet_v2_101])
@pytest.mark.parametrize('num_classes', [-3, 2.0, '10'])
def test_bad_num_classes_are_refused_before_any_variable(graph, network, num_classes):
  with pytest.raises(ValueError, match=network.__name__ + ': num_classes must be a positive '
                     'int, or 0 or None.*received %r' % (num_classes,)):
    network(tf.zeros([1, 224, 224, 3]), num_classes=num_classes)
  assert not tf.compat.v1.global_variables()


# --- Inception ----------------------------------------------------------------------------

@pytest.mark.parametrize('base,final_endpoint', [
    (inception_v1.inception_v1_base, 'Mixed_5d'),
    (inception_v2.inception_v2_base, 'Mixed_6a'),
    (inception_v3.inception_v3_base, 'Mixed_5e'),
])
def test_unknown_final_endpoint_is_refused_before_any_variable(graph, base, final_endpoint):
  with pytest.raises(ValueError, match="%s: Unknown final endpoint '%s'; expected one of "
                     "Conv2d_1a" % (base.__name__, final_endpoint)):
    base(tf.zeros([1, 224, 224, 3]), final_endpoint=final_endpoint)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('network', [inception_v2.inception_v2, inception_v2.inception_v2_base,
                                     inception_v3.inception_v3, inception_v3.inception_v3_base,
                                     resnet_v1.resnet_v1_50])
@pytest.mark.parametrize('depth_multiplier', [0, -0.5])
def test_depth_multiplier_must_be_positive(graph, network, depth_multiplier):
  with pytest.raises(ValueError, match=network.__name__ + ': depth_multiplier is not greater '
                     'than zero, received %r' % depth_multiplier):
    network(tf.zeros([1, 224, 224, 3]), depth_multiplier=depth_multiplier)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('network,pooled,pool_end_point', [
    (inception_v1.inception_v1, [2, 1, 1, 1024], 'AvgPool_0a_7x7'),
    (inception_v2.inception_v2, [2, 1, 1, 1024], 'AvgPool_1a'),
    (inception_v3.inception_v3, [2, 1, 1, 2048], 'AvgPool_1a'),
])
def test_inception_features_without_classes(graph, network, pooled, pool_end_point):
  size = network.default_image_size
  net, end_points = network(tf.zeros([2, size, size, 3]), num_classes=0)
  assert _shape(net) == pooled
  assert net is end_points[pool_end_point]
  assert not {'Logits', 'Predictions', 'AuxLogits', 'PreLogits'} & set(end_points)


@pytest.mark.parametrize('network,features', [
    (inception_v1.inception_v1, 1024), (inception_v2.inception_v2, 1024),
    (inception_v3.inception_v3, 2048)])
def test_inception_global_pool_takes_any_size(graph, network, features):
  kwargs = {'create_aux_logits': False} if network is inception_v3.inception_v3 else {}
  logits, end_points = network(tf.zeros([1, 320, 400, 3]), num_classes=6, global_pool=True,
                               **kwargs)
  assert _shape(logits) == [1, 6]
  assert _shape(end_points['global_pool']) == [1, 1, 1, features]


def test_inception_predictions_keep_their_graph_names(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([1, 299, 299, 3]), num_classes=4,
                                            depth_multiplier=0.1)
  assert end_points['Predictions'].op.name == 'InceptionV3/Predictions/Reshape_1'
  assert end_points['Logits'].op.name == 'InceptionV3/Logits/SpatialSqueeze'
  assert end_points['AuxLogits'].op.name == 'InceptionV3/AuxLogits/SpatialSqueeze'
  assert _shape(end_points['PreLogits']) == [1, 1, 1, 203]
  _, end_points = inception_v1.inception_v1(tf.zeros([1, 224, 224, 3]), num_classes=4)
  assert end_points['Predictions'].op.name == 'InceptionV1/Logits/Predictions/Reshape_1'


def test_inception_v3_without_aux_logits(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([1, 299, 299, 3]), num_classes=4,
                                            depth_multiplier=0.1, create_aux_logits=False)
  assert 'AuxLogits' not in end_points
  assert not [v for v in _variables() if 'AuxLogits' in v]


def test_inception_v3_aux_logits_shapes_and_thinning(graph):
  _, end_points = inception_v3.inception_v3(tf.zeros([2, 299, 299, 3]), num_classes=9,
                                            depth_multiplier=0.5)
  assert _shape(end_points['AuxLogits']) == [2, 9]
  variables = _variables()
  assert variables['InceptionV3/AuxLogits/Conv2d_1b_1x1/weights'] == [1, 1, 384, 64]
  assert variables['InceptionV3/AuxLogits/Conv2d_2a_5x5/weights'] == [5, 5, 64, 384]


@pytest.mark.parametrize('base,first_mixed,shape', [
    (inception_v1.inception_v1_base, 'Mixed_3b', [1, 28, 28, 256]),
    (inception_v2.inception_v2_base, 'Mixed_3b', [1, 28, 28, 256]),
])
def test_inception_without_root_block(graph, base, first_mixed, shape):
  net, end_points = base(tf.zeros([1, 28, 28, 192]), include_root_block=False)
  assert list(end_points)[0] == first_mixed
  assert _shape(end_points[first_mixed]) == shape
  assert not [v for v in _variables() if 'Conv2d_1a_7x7' in v]
  with pytest.raises(ValueError, match='Unknown final endpoint'):
    base(tf.zeros([1, 28, 28, 192]), final_endpoint='Conv2d_1a_7x7', include_root_block=False)


def test_inception_v2_plain_first_conv_and_data_format_checks(graph):
  inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]), final_endpoint='Conv2d_1a_7x7',
                                 use_separable_conv=False)
  assert _variables() == {'InceptionV2/Conv2d_1a_7x7/weights': [7, 7, 3, 64],
                          'InceptionV2/Conv2d_1a_7x7/biases': [64]}
  with pytest.raises(ValueError, match='separable convolution only supports NHWC'):
    inception_v2.inception_v2_base(tf.zeros([1, 3, 224, 224]), data_format='NCHW')
  with pytest.raises(ValueError, match="data_format must be either NHWC or NCHW, received 'HWC'"):
    inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]), data_format='HWC')


def test_inception_v2_nchw_builds_the_same_variables():
  with tf.Graph().as_default():
    net, _ = inception_v2.inception_v2_base(tf.zeros([1, 224, 224, 3]),
                                            use_separable_conv=False)
    nhwc = _variables()
    assert _shape(net) == [1, 7, 7, 1024]
  with tf.Graph().as_default():
    net, end_points = inception_v2.inception_v2_base(
        tf.zeros([1, 3, 224, 224]), use_separable_conv=False, data_format='NCHW')
    assert _variables() == nhwc
    assert _shape(net) == [1, 1024, 7, 7]
    assert _shape(end_points['Mixed_4a']) == [1, 576, 14, 14]


def test_inception_arg_scopes_accept_research_slim_arguments(graph):
  with slim.arg_scope(inception_v3.inception_v3_arg_scope(batch_norm_scale=True,
                                                          activation_fn=tf.nn.relu6)):
    net = slim.conv2d(tf.zeros([1, 8, 8, 3]), 4, [3, 3], scope='conv')
  assert net.op.type == 'Relu6'
  assert set(_variables()) == {'conv/weights', 'conv/BatchNorm/beta', 'conv/BatchNorm/gamma',
                               'conv/BatchNorm/moving_mean', 'conv/BatchNorm/moving_variance'}
  assert len(tf.compat.v1.get_collection('moving_vars')) == 2
  with slim.arg_scope(inception_v1.inception_v1_arg_scope(use_batch_norm=False)):
    slim.conv2d(tf.zeros([1, 8, 8, 3]), 4, [3, 3], scope='plain')
  assert 'plain/biases' in _variables()


# --- ResNets --------------------------------------------------------------------------------

def test_resnet_v1_thinning_and_spatial_squeeze(graph):
  logits, end_points = resnet_v1.resnet_v1_50(tf.zeros([2, 64, 64, 3]), num_classes=3,
                                              depth_multiplier=0.25, spatial_squeeze=True)
  assert _shape(logits) == [2, 3]
  assert _shape(end_points['resnet_v1_50/logits']) == [2, 1, 1, 3]
  assert end_points['resnet_v1_50/spatial_squeeze'] is logits
  assert _shape(end_points['global_pool']) == [2, 1, 1, 512]  # 4 * max(int(512 / 4), 8)
  variables = _variables()
  assert variables['resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/weights'] == [1, 1, 64, 16]
  assert 'resnet_v1_50/block1/unit_1/bottleneck_v1/shortcut/weights' not in variables
  with tf.Graph().as_default():
    resnet_v1.resnet_v1_101(tf.zeros([1, 64, 64, 3]), depth_multiplier=0.01)
    assert _variables()['resnet_v1_101/block4/unit_3/bottleneck_v1/conv2/weights'] == [
        3, 3, 8, 8]  # min_base_depth


def test_resnet_store_non_strided_activations(graph):
  with slim.arg_scope(resnet_utils.resnet_arg_scope()):
    net, end_points = resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), global_pool=False,
                                             store_non_strided_activations=True,
                                             depth_multiplier=0.25)
  # each block's end point before its subsampling; the output as usual
  assert _shape(end_points['resnet_v1_50/block1']) == [1, 16, 16, 64]
  assert _shape(end_points['resnet_v1_50/block3']) == [1, 4, 4, 256]
  assert _shape(net) == [1, 2, 2, 512]


def test_resnet_bounded_activations(graph):
  output = resnet_v1.bottleneck(tf.zeros([1, 8, 8, 16]), 32, 8, 2, use_bounded_activations=True,
                                scope='unit')
  assert output.op.type == 'Relu6' and _shape(output) == [1, 4, 4, 32]


@pytest.mark.parametrize('output_stride,match', [
    (6, 'resnet_v1_50: The output_stride needs to be a multiple of 4, received 6'),
    (12, 'The target output_stride cannot be reached'),
    (64, 'The target output_stride cannot be reached'),
])
def test_resnet_output_stride_is_checked_before_any_variable(graph, output_stride, match):
  with pytest.raises(ValueError, match=match):
    resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), output_stride=output_stride)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('network', [resnet_v1.resnet_v1_101, resnet_v2.resnet_v2_50])
def test_resnet_dense_features_at_output_stride_8(graph, network):
  with slim.arg_scope(resnet_utils.resnet_arg_scope()):
    net, end_points = network(tf.zeros([1, 65, 65, 3]), global_pool=False, output_stride=8)
  assert _shape(net) == [1, 9, 9, 2048]
  name = network.__name__
  assert _shape(end_points[name + '/block1']) == [1, 9, 9, 256]
  assert _shape(end_points[name + '/block3']) == [1, 9, 9, 1024]  # atrous from here on


def test_resnet_is_training_none_leaves_batch_norm_to_the_arg_scope(graph):
  with slim.arg_scope(resnet_utils.resnet_arg_scope()):
    with slim.arg_scope([slim.batch_norm], is_training=False):
      resnet_v1.resnet_v1_50(tf.zeros([1, 32, 32, 3]), is_training=None,
                             depth_multiplier=0.25)
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)


@pytest.mark.parametrize('module,depth,units', [
    (resnet_v1, 50, (3, 4, 6, 3)), (resnet_v1, 200, (3, 24, 36, 3)),
    (resnet_v2, 101, (3, 4, 23, 3)), (resnet_v2, 152, (3, 8, 36, 3))])
def test_resnet_variants_follow_the_block_table(module, depth, units):
  network = getattr(module, '%s_%d' % (module.__name__.split('.')[-1], depth))
  assert network.__name__.endswith(str(depth)) and network.default_image_size == 224
  assert str(units) in network.__doc__
  block_fn = getattr(module, module.__name__.split('.')[-1] + '_block')
  blocks = resnet_utils.imagenet_blocks(block_fn, depth)
  assert [len(b.args) for b in blocks] == list(units)
  assert [b.args[-1]['stride'] for b in blocks] == [2, 2, 2, 1]
  assert [b.args[0]['depth'] for b in blocks] == [256, 512, 1024, 2048]
