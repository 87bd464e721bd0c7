"""ResNet v1 and v2: research/slim's options beyond tf_slim's tests (thinning,
spatial squeeze, non-strided activations, bounded activations, atrous output
strides, batch-norm mode from the arg scope) and the block tables."""
import pytest
import tensorflow as tf

import slim
from slim.nets import resnet_utils
from slim.nets import resnet_v1
from slim.nets import resnet_v2
from tests.slim import graph_run
from tests.slim.nets.harness import static_shape


def test_resnet_v1_thinning_and_spatial_squeeze(graph):
  logits, end_points = resnet_v1.resnet_v1_50(tf.zeros([2, 64, 64, 3]), num_classes=3,
                                              depth_multiplier=0.25, spatial_squeeze=True)
  assert static_shape(logits) == [2, 3]
  assert static_shape(end_points['resnet_v1_50/logits']) == [2, 1, 1, 3]
  assert end_points['resnet_v1_50/spatial_squeeze'] is logits
  assert static_shape(end_points['global_pool']) == [2, 1, 1, 512]  # 4 * max(int(512 / 4), 8)
  variables = graph_run.variable_shapes()
  assert variables['resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/weights'] == [1, 1, 64, 16]
  assert 'resnet_v1_50/block1/unit_1/bottleneck_v1/shortcut/weights' not in variables
  with tf.Graph().as_default():
    resnet_v1.resnet_v1_101(tf.zeros([1, 64, 64, 3]), depth_multiplier=0.01)
    variables = graph_run.variable_shapes()
    assert variables['resnet_v1_101/block4/unit_3/bottleneck_v1/conv2/weights'] == [
        3, 3, 8, 8]  # min_base_depth


def test_resnet_store_non_strided_activations(graph):
  with slim.arg_scope(resnet_utils.resnet_arg_scope()):
    net, end_points = resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), global_pool=False,
                                             store_non_strided_activations=True,
                                             depth_multiplier=0.25)
  # each block's end point before its subsampling; the output as usual
  assert static_shape(end_points['resnet_v1_50/block1']) == [1, 16, 16, 64]
  assert static_shape(end_points['resnet_v1_50/block3']) == [1, 4, 4, 256]
  assert static_shape(net) == [1, 2, 2, 512]


def test_resnet_bounded_activations(graph):
  output = resnet_v1.bottleneck(tf.zeros([1, 8, 8, 16]), 32, 8, 2, use_bounded_activations=True,
                                scope='unit')
  assert output.op.type == 'Relu6' and static_shape(output) == [1, 4, 4, 32]


@pytest.mark.parametrize('network', [resnet_v1.resnet_v1_101, resnet_v2.resnet_v2_50])
def test_resnet_dense_features_at_output_stride_8(graph, network):
  with slim.arg_scope(resnet_utils.resnet_arg_scope()):
    net, end_points = network(tf.zeros([1, 65, 65, 3]), global_pool=False, output_stride=8)
  assert static_shape(net) == [1, 9, 9, 2048]
  name = network.__name__
  assert static_shape(end_points[name + '/block1']) == [1, 9, 9, 256]
  assert static_shape(end_points[name + '/block3']) == [1, 9, 9, 1024]  # atrous from here on


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


@pytest.mark.parametrize('min_base_depth', [5, 8])
def test_resnet_v1_depth_multiplier_zero_leaves_min_base_depth(graph, min_base_depth):
  # research/slim: each block's depth is max(int(d * depth_multiplier), min_base_depth).
  _, end_points = resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), num_classes=3,
                                         depth_multiplier=0, min_base_depth=min_base_depth)
  for block in range(1, 5):
    assert static_shape(end_points['resnet_v1_50/block%d' % block])[3] == 4 * min_base_depth
  variables = graph_run.variable_shapes()
  assert variables['resnet_v1_50/block3/unit_2/bottleneck_v1/conv2/weights'] == [
      3, 3, min_base_depth, min_base_depth]


def test_resnet_thinned_depth_fn():
  depth = resnet_utils.thinned_depth_fn('net', 0.25, 8)
  assert [depth(d) for d in resnet_utils.BLOCK_BASE_DEPTHS] == [16, 32, 64, 128]
  assert [resnet_utils.thinned_depth_fn('net', 0, 3)(d) for d in (64, 512)] == [3, 3]
  assert resnet_utils.thinned_depth_fn('net', 0.02, 0)(512) == 10
