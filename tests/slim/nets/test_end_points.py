"""End points: the shape tables of research/slim's tests for Inception-v4,
Inception-ResNet-v2, MobileNet v1, LeNet and CifarNet (graph mode, static
shapes), final_endpoint, pre-logits features and input sizes."""
import pytest
import tensorflow as tf

from slim.nets import cifarnet, inception_resnet_v2, inception_v4, lenet, mobilenet_v1
from tests.slim.nets.harness import placeholder


def shapes(end_points):
  return {name: tensor.shape.as_list() for name, tensor in end_points.items()}


V4_BASE = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a',
           'Mixed_5a', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_5e', 'Mixed_6a', 'Mixed_6b',
           'Mixed_6c', 'Mixed_6d', 'Mixed_6e', 'Mixed_6f', 'Mixed_6g', 'Mixed_6h',
           'Mixed_7a', 'Mixed_7b', 'Mixed_7c', 'Mixed_7d']

# inception_v4_test.testAllEndPointsShapes (batch 5, 299 x 299, 1000 classes).
V4_SHAPES = {
    'Conv2d_1a_3x3': [5, 149, 149, 32], 'Conv2d_2a_3x3': [5, 147, 147, 32],
    'Conv2d_2b_3x3': [5, 147, 147, 64], 'Mixed_3a': [5, 73, 73, 160],
    'Mixed_4a': [5, 71, 71, 192], 'Mixed_5a': [5, 35, 35, 384],
    'Mixed_5b': [5, 35, 35, 384], 'Mixed_5c': [5, 35, 35, 384],
    'Mixed_5d': [5, 35, 35, 384], 'Mixed_5e': [5, 35, 35, 384],
    'Mixed_6a': [5, 17, 17, 1024], 'Mixed_6b': [5, 17, 17, 1024],
    'Mixed_6c': [5, 17, 17, 1024], 'Mixed_6d': [5, 17, 17, 1024],
    'Mixed_6e': [5, 17, 17, 1024], 'Mixed_6f': [5, 17, 17, 1024],
    'Mixed_6g': [5, 17, 17, 1024], 'Mixed_6h': [5, 17, 17, 1024],
    'Mixed_7a': [5, 8, 8, 1536], 'Mixed_7b': [5, 8, 8, 1536],
    'Mixed_7c': [5, 8, 8, 1536], 'Mixed_7d': [5, 8, 8, 1536],
    'AuxLogits': [5, 1000], 'global_pool': [5, 1, 1, 1536],
    'PreLogitsFlatten': [5, 1536], 'Logits': [5, 1000], 'Predictions': [5, 1000],
}


def test_inception_v4_end_points(graph):
  logits, end_points = inception_v4.inception_v4(placeholder(5, 299, 299, 3), 1000)
  assert shapes(end_points) == V4_SHAPES
  assert logits is end_points['Logits']
  assert end_points['AuxLogits'].op.name.startswith('InceptionV4/AuxLogits')
  assert logits.op.name.startswith('InceptionV4/Logits')
  assert end_points['Predictions'].op.name.startswith('InceptionV4/Logits/Predictions')


def test_inception_v4_base(graph):
  net, end_points = inception_v4.inception_v4_base(placeholder(5, 299, 299, 3))
  assert net.op.name.startswith('InceptionV4/Mixed_7d')
  assert list(end_points) == V4_BASE
  for name in V4_BASE:
    assert end_points[name].op.name.startswith('InceptionV4/' + name)
  assert shapes(end_points) == {k: V4_SHAPES[k] for k in V4_BASE}


@pytest.mark.parametrize('final_endpoint', ['Conv2d_1a_3x3', 'Mixed_3a', 'Mixed_5e',
                                            pytest.param('Mixed_7a', marks=pytest.mark.slow)])
def test_inception_v4_final_endpoint(graph, final_endpoint):
  out, end_points = inception_v4.inception_v4_base(placeholder(5, 299, 299, 3),
                                                   final_endpoint=final_endpoint)
  assert out.op.name.startswith('InceptionV4/' + final_endpoint)
  assert list(end_points) == V4_BASE[:V4_BASE.index(final_endpoint) + 1]


def test_inception_v4_pre_logits_and_no_aux_logits(graph):
  net, end_points = inception_v4.inception_v4(placeholder(5, 299, 299, 3), num_classes=None)
  assert net.op.name.startswith('InceptionV4/Logits/AvgPool')
  assert net.shape.as_list() == [5, 1, 1, 1536]
  assert not {'AuxLogits', 'Logits', 'Predictions', 'PreLogitsFlatten'} & set(end_points)


@pytest.mark.parametrize('size, pre_pool', [
    ((150, 150), [3, 3]), pytest.param((350, 400), [9, 11], marks=pytest.mark.slow)])
def test_inception_v4_other_sizes(graph, size, pre_pool):
  logits, end_points = inception_v4.inception_v4(placeholder(1, size[0], size[1], 3), 1000)
  assert logits.shape.as_list() == [1, 1000]
  assert end_points['Mixed_7d'].shape.as_list() == [1] + pre_pool + [1536]


IRV2_BASE = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3',
             'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a',
             'PreAuxLogits', 'Mixed_7a', 'Conv2d_7b_1x1']

# inception_resnet_v2_test: up to PreAuxLogits at 299 x 299, default, with
# aligned feature maps, and at output stride 8.
IRV2_PRE_AUX = {
    'default': ({}, [[149, 32], [147, 32], [147, 64], [73, 64], [73, 80], [71, 192],
                     [35, 192], [35, 320], [17, 1088], [17, 1088]]),
    'aligned': ({'align_feature_maps': True},
                [[150, 32], [150, 32], [150, 64], [75, 64], [75, 80], [75, 192], [38, 192],
                 [38, 320], [19, 1088], [19, 1088]]),
    'stride8': ({'output_stride': 8},
                [[149, 32], [147, 32], [147, 64], [73, 64], [73, 80], [71, 192], [35, 192],
                 [35, 320], [33, 1088], [33, 1088]]),
}


@pytest.mark.parametrize('case', sorted(IRV2_PRE_AUX))
def test_inception_resnet_v2_up_to_pre_aux_logits(graph, case):
  kwargs, sizes = IRV2_PRE_AUX[case]
  _, end_points = inception_resnet_v2.inception_resnet_v2_base(
      placeholder(5, 299, 299, 3), final_endpoint='PreAuxLogits', **kwargs)
  expected = {name: [5, size, size, depth]
              for name, (size, depth) in zip(IRV2_BASE, sizes)}
  assert shapes(end_points) == expected


def test_inception_resnet_v2_end_points(graph):
  logits, end_points = inception_resnet_v2.inception_resnet_v2(placeholder(5, 299, 299, 3),
                                                               1000)
  assert list(end_points)[:len(IRV2_BASE)] == IRV2_BASE
  assert shapes(end_points)['Mixed_7a'] == [5, 8, 8, 2080]
  for name, shape in [('Conv2d_7b_1x1', [5, 8, 8, 1536]), ('AuxLogits', [5, 1000]),
                      ('global_pool', [5, 1, 1, 1536]), ('PreLogitsFlatten', [5, 1536]),
                      ('Logits', [5, 1000]), ('Predictions', [5, 1000])]:
    assert end_points[name].shape.as_list() == shape, name
  assert end_points['AuxLogits'].op.name.startswith('InceptionResnetV2/AuxLogits')
  assert logits.op.name.startswith('InceptionResnetV2/Logits')


@pytest.mark.parametrize('final_endpoint', [
    'Conv2d_1a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', pytest.param('Mixed_6a', marks=pytest.mark.slow),
    'PreAuxLogits', pytest.param('Mixed_7a', marks=pytest.mark.slow)])
def test_inception_resnet_v2_final_endpoint(graph, final_endpoint):
  out, end_points = inception_resnet_v2.inception_resnet_v2_base(
      placeholder(5, 299, 299, 3), final_endpoint=final_endpoint)
  assert list(end_points) == IRV2_BASE[:IRV2_BASE.index(final_endpoint) + 1]
  for name, tensor in end_points.items():
    # PreAuxLogits is the output of the last block17, in scope Repeat_1.
    prefix = 'Repeat_1/block17_20/' if name == 'PreAuxLogits' else name + '/'
    assert tensor.op.name.startswith('InceptionResnetV2/' + prefix)
  assert out is end_points[final_endpoint]


def test_inception_resnet_v2_pre_logits_and_no_aux_logits(graph):
  net, end_points = inception_resnet_v2.inception_resnet_v2(placeholder(5, 299, 299, 3),
                                                            num_classes=None)
  assert net.op.name.startswith('InceptionResnetV2/Logits/AvgPool')
  assert net.shape.as_list() == [5, 1, 1, 1536]
  assert not {'AuxLogits', 'Logits', 'Predictions'} & set(end_points)


@pytest.mark.slow
@pytest.mark.parametrize('network', [inception_v4.inception_v4,
                                     inception_resnet_v2.inception_resnet_v2])
def test_inception_without_aux_logits(graph, network):
  logits, end_points = network(placeholder(5, 299, 299, 3), 1000, create_aux_logits=False)
  assert 'AuxLogits' not in end_points and logits.shape.as_list() == [5, 1000]
  assert not [v for v in tf.compat.v1.global_variables() if 'AuxLogits' in v.op.name]


@pytest.mark.parametrize('size, pre_pool', [
    ((150, 150), [3, 3]), pytest.param((330, 400), [8, 11], marks=pytest.mark.slow)])
def test_inception_resnet_v2_other_sizes(graph, size, pre_pool):
  logits, end_points = inception_resnet_v2.inception_resnet_v2(
      placeholder(1, size[0], size[1], 3), 1000)
  assert logits.shape.as_list() == [1, 1000]
  assert end_points['Conv2d_7b_1x1'].shape.as_list() == [1] + pre_pool + [1536]


MOBILENET_BASE = ['Conv2d_0'] + ['Conv2d_%d_%s' % (i, kind) for i in range(1, 14)
                                 for kind in ('depthwise', 'pointwise')]


def mobilenet_shapes(sizes, depths, batch=5):
  """Expected end point shapes from the size after each of the 14 layers and the
  depth of each layer."""
  expected = {'Conv2d_0': [batch, sizes[0], sizes[0], depths[0]]}
  for i in range(1, 14):
    expected['Conv2d_%d_depthwise' % i] = [batch, sizes[i], sizes[i], depths[i - 1]]
    expected['Conv2d_%d_pointwise' % i] = [batch, sizes[i], sizes[i], depths[i]]
  return expected


DEPTHS = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
# mobilenet_v1_test: all end points at 224 x 224 (output stride 32, 16, 8) and
# the 'approximate FaceNet' at 128 x 128 with depth multiplier 0.75.
MOBILENET_CASES = {
    'stride32': (224, {}, [112, 112, 56, 56, 28, 28] + [14] * 6 + [7, 7], DEPTHS),
    'stride16': (224, {'output_stride': 16}, [112, 112, 56, 56, 28, 28] + [14] * 8, DEPTHS),
    'stride8': (224, {'output_stride': 8}, [112, 112, 56, 56] + [28] * 10, DEPTHS),
    'facenet': (128, {'depth_multiplier': 0.75}, [64, 64, 32, 32, 16, 16] + [8] * 6 + [4, 4],
                [d * 3 // 4 for d in DEPTHS]),
}


@pytest.mark.parametrize('explicit_padding', [False, True])
@pytest.mark.parametrize('case', sorted(MOBILENET_CASES))
def test_mobilenet_v1_base_end_points(graph, case, explicit_padding):
  size, kwargs, sizes, depths = MOBILENET_CASES[case]
  net, end_points = mobilenet_v1.mobilenet_v1_base(
      placeholder(5, size, size, 3), use_explicit_padding=explicit_padding, **kwargs)
  assert list(end_points) == MOBILENET_BASE
  assert shapes(end_points) == mobilenet_shapes(sizes, depths)
  assert net.op.name.startswith('MobilenetV1/Conv2d_13')


def test_mobilenet_v1_each_final_endpoint():
  for index, final_endpoint in enumerate(MOBILENET_BASE):
    with tf.Graph().as_default():
      out, end_points = mobilenet_v1.mobilenet_v1_base(placeholder(5, 224, 224, 3),
                                                       final_endpoint=final_endpoint)
      assert out.op.name.startswith('MobilenetV1/' + final_endpoint)
      assert list(end_points) == MOBILENET_BASE[:index + 1]


def test_mobilenet_v1_custom_conv_defs(graph):
  conv_defs = [mobilenet_v1.Conv(kernel=[3, 3], stride=2, depth=32),
               mobilenet_v1.DepthSepConv(kernel=[3, 3], stride=1, depth=64),
               mobilenet_v1.DepthSepConv(kernel=[3, 3], stride=2, depth=128),
               mobilenet_v1.DepthSepConv(kernel=[3, 3], stride=1, depth=512)]
  net, end_points = mobilenet_v1.mobilenet_v1_base(
      placeholder(5, 224, 224, 3), final_endpoint='Conv2d_3_pointwise', conv_defs=conv_defs)
  assert net.op.name.startswith('MobilenetV1/Conv2d_3')
  assert net.shape.as_list() == [5, 56, 56, 512]
  assert list(end_points) == MOBILENET_BASE[:7]


def test_mobilenet_v1_classification_heads(graph):
  logits, end_points = mobilenet_v1.mobilenet_v1(placeholder(5, 224, 224, 3), 1000)
  assert logits.op.name.startswith('MobilenetV1/Logits/SpatialSqueeze')
  assert logits.shape.as_list() == [5, 1000]
  assert end_points['Predictions'].shape.as_list() == [5, 1000]
  assert end_points['AvgPool_1a'].shape.as_list() == [5, 1, 1, 1024]
  net, end_points = mobilenet_v1.mobilenet_v1(placeholder(5, 224, 224, 3), None,
                                              scope='pre_logits')
  assert net.op.name.startswith('pre_logits/Logits/AvgPool')
  assert net.shape.as_list() == [5, 1, 1, 1024]
  assert 'Logits' not in end_points and 'Predictions' not in end_points
  logits, end_points = mobilenet_v1.mobilenet_v1(placeholder(1, 224, 224, 3), 25,
                                                 spatial_squeeze=False, prediction_fn=None,
                                                 scope='unsqueezed')
  assert logits.shape.as_list() == [1, 1, 1, 25] and 'Predictions' not in end_points
  # Half-size images: a 4 x 4 map, pooled by a reduced 4 x 4 kernel.
  logits, end_points = mobilenet_v1.mobilenet_v1(placeholder(5, 112, 112, 3), 1000,
                                                 scope='half')
  assert end_points['Conv2d_13_pointwise'].shape.as_list() == [5, 4, 4, 1024]
  assert logits.shape.as_list() == [5, 1000]
  # Global pooling of any size.
  _, end_points = mobilenet_v1.mobilenet_v1(placeholder(1, 250, 300, 3), 1000,
                                            global_pool=True, scope='global')
  assert end_points['Conv2d_13_pointwise'].shape.as_list() == [1, 8, 10, 1024]
  assert end_points['global_pool'].shape.as_list() == [1, 1, 1, 1024]
  assert 'AvgPool_1a' not in end_points


@pytest.mark.parametrize('multiplier', [0.5, 2.0])
def test_mobilenet_v1_depth_multiplier_scales_depths(graph, multiplier):
  _, end_points = mobilenet_v1.mobilenet_v1(placeholder(5, 224, 224, 3), 1000)
  _, thinned = mobilenet_v1.mobilenet_v1(placeholder(5, 224, 224, 3), 1000,
                                         scope='depth_multiplied_net',
                                         depth_multiplier=multiplier)
  for key in MOBILENET_BASE:
    assert thinned[key].shape[3] == multiplier * end_points[key].shape[3], key


def test_mobilenet_v1_min_depth(graph):
  _, end_points = mobilenet_v1.mobilenet_v1_base(placeholder(1, 64, 64, 3),
                                                 depth_multiplier=0.1, min_depth=16)
  depths = [end_points[k].shape[3] for k in MOBILENET_BASE[::2]]  # Conv2d_0 and pointwise
  assert depths == [max(int(d * 0.1), 16) for d in DEPTHS]


@pytest.mark.parametrize('variant, depth', [('mobilenet_v1_075', 768),
                                            ('mobilenet_v1_050', 512),
                                            ('mobilenet_v1_025', 256)])
def test_mobilenet_v1_thin_variants(graph, variant, depth):
  network_fn = getattr(mobilenet_v1, variant)
  assert network_fn.default_image_size == 224
  assert network_fn.__name__ == variant
  _, end_points = network_fn(placeholder(1, 224, 224, 3), 1001)
  assert end_points['Conv2d_13_pointwise'].shape.as_list() == [1, 7, 7, depth]


def test_default_image_sizes():
  assert inception_v4.inception_v4.default_image_size == 299
  assert inception_resnet_v2.inception_resnet_v2.default_image_size == 299
  assert mobilenet_v1.mobilenet_v1.default_image_size == 224
  assert lenet.lenet.default_image_size == 28
  assert cifarnet.cifarnet.default_image_size == 32


# The small networks: their end points at the default size (batch 5), the op
# names of logits and predictions, and their pre-logits features.
SMALL = {
    'lenet': (lenet.lenet, [5, 28, 28, 1], {
        'conv1': [5, 28, 28, 32], 'pool1': [5, 14, 14, 32], 'conv2': [5, 14, 14, 64],
        'pool2': [5, 7, 7, 64], 'Flatten': [5, 3136], 'fc3': [5, 1024],
        'dropout3': [5, 1024], 'Logits': [5, 10], 'Predictions': [5, 10]},
              'LeNet/fc4', 'Predictions/', [5, 1024]),
    'cifarnet': (cifarnet.cifarnet, [5, 32, 32, 3], {
        'conv1': [5, 32, 32, 64], 'pool1': [5, 16, 16, 64], 'conv2': [5, 16, 16, 64],
        'pool2': [5, 8, 8, 64], 'Flatten': [5, 4096], 'fc3': [5, 384], 'fc4': [5, 192],
        'Logits': [5, 10], 'Predictions': [5, 10]},
                 'CifarNet/logits', 'CifarNet/Predictions/', [5, 192]),
}


@pytest.mark.parametrize('name', sorted(SMALL))
def test_small_network_end_points(graph, name):
  network, input_shape, expected, logits_op, predictions_op, features_shape = SMALL[name]
  logits, end_points = network(placeholder(*input_shape))
  assert shapes(end_points) == expected
  assert logits.op.name.startswith(logits_op)
  assert end_points['Predictions'].op.name.startswith(predictions_op)
  for num_classes in (0, None):
    features, end_points = network(placeholder(*input_shape), num_classes=num_classes,
                                   scope='features_%s' % num_classes)
    assert features.shape.as_list() == features_shape
    assert 'Logits' not in end_points and 'Predictions' not in end_points
