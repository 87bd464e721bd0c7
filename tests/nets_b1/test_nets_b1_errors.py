"""Bad arguments: the errors of research/slim (ValueError), raised before any
variable is created, with messages naming the function, the value and what was
expected."""
import pytest
import tensorflow as tf

from slim.nets import inception_resnet_v2, inception_v4, mobilenet_v1


def placeholder(*shape):
  return tf.compat.v1.placeholder(tf.float32, shape)


def assert_raises_before_variables(match, build):
  with pytest.raises(ValueError, match=match):
    build()
  assert tf.compat.v1.global_variables() == []


def test_inception_v4_unknown_final_endpoint(graph):
  assert_raises_before_variables(
      r"inception_v4_base: Unknown final endpoint 'Mixed_8a'; expected one of Conv2d_1a_3x3",
      lambda: inception_v4.inception_v4_base(placeholder(1, 299, 299, 3),
                                             final_endpoint='Mixed_8a'))


@pytest.mark.parametrize('network', [inception_v4.inception_v4,
                                     inception_resnet_v2.inception_resnet_v2])
def test_aux_logits_need_known_height_and_width(graph, network):
  assert_raises_before_variables(
      r'auxiliary logits need inputs of known height and width, received shape '
      r'\(1, None, None, 3\); pass create_aux_logits=False',
      lambda: network(placeholder(1, None, None, 3)))


@pytest.mark.parametrize('kwargs, match', [
    ({'output_stride': 12}, r'output_stride must be 8 or 16, received 12'),
    ({'final_endpoint': 'Mixed_8a'}, r"Unknown final endpoint 'Mixed_8a'"),
    ({'output_stride': 8},
     r"output_stride==8 is only supported up to the PreAuxlogits end_point for now; "
     r"received final_endpoint='Conv2d_7b_1x1'"),
    ({'output_stride': 8, 'final_endpoint': 'Mixed_7a'}, r'output_stride==8'),
])
def test_inception_resnet_v2_base_arguments(graph, kwargs, match):
  assert_raises_before_variables(
      'inception_resnet_v2_base: ' + match,
      lambda: inception_resnet_v2.inception_resnet_v2_base(placeholder(1, 299, 299, 3),
                                                           **kwargs))


@pytest.mark.parametrize('multiplier', [-0.1, 0.0])
def test_mobilenet_v1_depth_multiplier_must_be_positive(graph, multiplier):
  match = r'depth_multiplier is not greater than zero, received %s' % multiplier
  assert_raises_before_variables(
      match, lambda: mobilenet_v1.mobilenet_v1(placeholder(5, 224, 224, 3), 1000,
                                               depth_multiplier=multiplier))
  assert_raises_before_variables(
      match, lambda: mobilenet_v1.mobilenet_v1_base(placeholder(5, 224, 224, 3),
                                                    depth_multiplier=multiplier))


@pytest.mark.parametrize('kwargs, match', [
    ({'output_stride': 12}, r'Only allowed output_stride values are 8, 16, 32; received 12'),
    ({'final_endpoint': 'Conv2d_14_pointwise'},
     r"Unknown final endpoint 'Conv2d_14_pointwise'; expected one of Conv2d_0, "
     r"Conv2d_1_depthwise"),
    ({'final_endpoint': 'Conv2d_3_pointwise',
      'conv_defs': [mobilenet_v1.Conv([3, 3], 2, 32), ([3, 3], 1, 64)]},
     r'Unknown convolution type tuple for layer 1; expected Conv or DepthSepConv'),
])
def test_mobilenet_v1_base_arguments(graph, kwargs, match):
  assert_raises_before_variables(
      'mobilenet_v1_base: ' + match,
      lambda: mobilenet_v1.mobilenet_v1_base(placeholder(1, 224, 224, 3), **kwargs))


def test_mobilenet_v1_input_rank(graph):
  assert_raises_before_variables(
      r'mobilenet_v1: Invalid input tensor rank, expected 4, was: 3',
      lambda: mobilenet_v1.mobilenet_v1(placeholder(224, 224, 3)))
