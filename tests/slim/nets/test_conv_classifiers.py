"""AlexNet v2, OverFeat and VGG: research/slim's options beyond tf_slim's tests
(features without logits, global pooling, fully convolutional use, reuse)."""
import pytest
import tensorflow as tf

from slim.nets import alexnet
from slim.nets import overfeat
from slim.nets import vgg
from tests.slim import graph_run
from tests.slim.nets.harness import static_shape

CONV_CLASSIFIERS = [(alexnet.alexnet_v2, 224), (overfeat.overfeat, 231), (vgg.vgg_a, 224),
                    (vgg.vgg_16, 224), (vgg.vgg_19, 224)]


@pytest.mark.parametrize('network,size', CONV_CLASSIFIERS)
@pytest.mark.parametrize('num_classes', [0, None])
def test_conv_classifiers_without_classes_return_fc7(graph, network, size, num_classes):
  net, end_points = network(tf.zeros([2, size, size, 3]), num_classes=num_classes)
  name = network.__name__
  assert static_shape(net) == [2, 1, 1, 4096]
  assert net is end_points[name + '/fc7']
  assert name + '/fc8' not in end_points
  assert not [v for v in graph_run.variable_shapes() if '/fc8/' in v]


@pytest.mark.parametrize('network,size', CONV_CLASSIFIERS)
def test_conv_classifiers_global_pool_on_large_images(graph, network, size):
  logits, end_points = network(tf.zeros([1, size + 64, size + 96, 3]), num_classes=5,
                               global_pool=True)
  assert static_shape(logits) == [1, 5]
  assert static_shape(end_points['global_pool']) == [1, 1, 1, 4096]
  assert static_shape(end_points[network.__name__ + '/fc7'])[1:3] != [1, 1]


def test_vgg_fc_conv_padding_same_predicts_a_map(graph):
  logits, end_points = vgg.vgg_16(tf.zeros([1, 256, 320, 3]), num_classes=5,
                                  spatial_squeeze=False, fc_conv_padding='SAME')
  assert static_shape(logits) == [1, 8, 10, 5]
  assert static_shape(end_points['vgg_16/fc6']) == [1, 8, 10, 4096]


def test_vgg_table_and_reuse(graph):
  vgg.vgg_19(tf.zeros([1, 224, 224, 3]), num_classes=3)
  count = len(tf.compat.v1.global_variables())
  assert count == 2 * (16 + 3)  # 16 convolutions and 3 fully connected layers
  vgg.vgg_19(tf.zeros([1, 224, 224, 3]), num_classes=3, reuse=True)
  assert len(tf.compat.v1.global_variables()) == count
  assert vgg.vgg_d is vgg.vgg_16 and vgg.vgg_e is vgg.vgg_19
  assert vgg.vgg_16.__name__ == 'vgg_16' and 'configuration D' in vgg.vgg_16.__doc__
  assert vgg.vgg_a.default_image_size == 224


@pytest.mark.parametrize('network,convs', [(vgg.vgg_a, (1, 1, 2, 2, 2)),
                                           (vgg.vgg_16, (2, 2, 3, 3, 3)),
                                           (vgg.vgg_19, (2, 2, 4, 4, 4))])
def test_vgg_convolutions_per_block(graph, network, convs):
  network(tf.zeros([1, 224, 224, 3]), num_classes=3)
  name = network.__name__
  found = tuple(len([v for v in graph_run.variable_shapes()
                     if v.startswith('%s/conv%d/' % (name, block)) and v.endswith('weights')])
                for block in range(1, 6))
  assert found == convs
