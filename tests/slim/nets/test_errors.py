"""Bad arguments to the networks: errors raised before any variable is made,
whose messages name the function, the argument, the value received and what
was expected (research/slim's ValueErrors, with its words where it had some)."""
import copy

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import alexnet
from slim.nets import inception_resnet_v2
from slim.nets import inception_v1
from slim.nets import inception_v2
from slim.nets import inception_v3
from slim.nets import inception_v4
from slim.nets import mobilenet_v1
from slim.nets import overfeat
from slim.nets import resnet_v1
from slim.nets import resnet_v2
from slim.nets import vgg
from slim.nets.mobilenet import mobilenet
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import pnasnet
from tests.slim.nets.harness import placeholder


def assert_raises_before_variables(match, build, error=ValueError):
  with pytest.raises(error, match=match):
    build()
  assert tf.compat.v1.global_variables() == []


# --- images and classes -----------------------------------------------------------------------

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
  with pytest.raises(ValueError, match=network.__name__ + ': num_classes must be a '
                     'non-negative int or None, received %r' % (num_classes,)):
    network(tf.zeros([1, 224, 224, 3]), num_classes=num_classes)
  assert not tf.compat.v1.global_variables()


# --- final end points, depth multipliers, output strides ---------------------------------

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
                                     inception_v3.inception_v3, inception_v3.inception_v3_base])
@pytest.mark.parametrize('depth_multiplier', [0, -0.5])
def test_depth_multiplier_must_be_positive(graph, network, depth_multiplier):
  with pytest.raises(ValueError, match=network.__name__ + ': depth_multiplier is not greater '
                     'than zero, received %r' % depth_multiplier):
    network(tf.zeros([1, 224, 224, 3]), depth_multiplier=depth_multiplier)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('depth_multiplier,min_base_depth,match', [
    (-0.5, 8, r'resnet_v1_50: depth_multiplier must be >= 0 \(0 gives every block '
              r'min_base_depth\), received -0.5'),
    (0.25, -1, 'resnet_v1_50: min_base_depth must be a non-negative int, received -1'),
    (0, 0, 'resnet_v1_50: depth_multiplier=0 with min_base_depth=0 makes blocks of depth 0'),
])
def test_resnet_thinning_must_leave_a_depth(graph, depth_multiplier, min_base_depth, match):
  # depth_multiplier=0 itself is valid (research/slim): min_base_depth decides.
  assert_raises_before_variables(
      match, lambda: resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]),
                                            depth_multiplier=depth_multiplier,
                                            min_base_depth=min_base_depth))


@pytest.mark.parametrize('network', [inception_v3.inception_v3, resnet_v1.resnet_v1_50,
                                     mobilenet_v1.mobilenet_v1])
def test_depth_multiplier_must_be_a_number(graph, network):
  assert_raises_before_variables(
      ": depth_multiplier must be a number, received '0.5'",
      lambda: network(tf.zeros([1, 224, 224, 3]), depth_multiplier='0.5'))


@pytest.mark.parametrize('output_stride,match', [
    (6, 'resnet_v1_50: The output_stride needs to be a multiple of 4, received 6'),
    (12, 'The target output_stride cannot be reached'),
    (64, 'The target output_stride cannot be reached'),
])
def test_resnet_output_stride_is_checked_before_any_variable(graph, output_stride, match):
  with pytest.raises(ValueError, match=match):
    resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), output_stride=output_stride)
  assert not tf.compat.v1.global_variables()


# --- Inception-v4, Inception-ResNet-v2, MobileNet v1 -------------------------------------

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


# --- MobileNet V2/V3 builder ---------------------------------------------------------------

@pytest.mark.parametrize('call,match', [
    (lambda x: mobilenet.mobilenet_base(x, mobilenet_v2.V2_DEF, multiplier=0), 'multiplier'),
    (lambda x: mobilenet.mobilenet_base(x, mobilenet_v2.V2_DEF, output_stride=3),
     'output_stride'),
    (lambda x: mobilenet_v2.mobilenet(x, multiplier=0.5), 'depth_multiplier'),
    (lambda x: mobilenet_v3.mobilenet(x, multiplier=0.5), 'depth_multiplier'),
    (lambda x: mobilenet_v2.mobilenet(x[0]), 'rank 4'),
    (lambda x: mobilenet.mobilenet_base(x, {'defaults': {}}), "'spec' list"),
    (lambda x: mobilenet.mobilenet_base(x, mobilenet_v2.V2_DEF, multiplier='1'),
     "mobilenet_base: multiplier must be a number, received '1'"),
    (lambda x: mobilenet.mobilenet_base(x, mobilenet_v2.V2_DEF, output_stride=8.0),
     'mobilenet_base: output_stride must be an int or None, received 8.0'),
])
def test_mobilenet_builder_errors_come_before_variables(graph, call, match):
  with pytest.raises(ValueError, match=match):
    call(placeholder(1, 32, 32, 3))
  assert not tf.compat.v1.global_variables()


def test_mobilenet_layer_failure_names_the_layer(graph):
  spec = copy.deepcopy(mobilenet_v2.V2_DEF)
  spec['spec'][2] = mobilenet.op(slim.conv2d, num_outputs=8, kernel_size=(3, 0))
  with pytest.raises(ValueError, match=r"^mobilenet_base: building layer_3 \(convolution2d "
                     r"with \{.*'kernel_size': \(3, 0\).*\}\) failed: conv2d: kernel_size must "
                     r"be 2 positive ints, received \(3, 0\)$") as info:
    mobilenet.mobilenet_base(placeholder(1, 32, 32, 3), spec)
  assert isinstance(info.value.__cause__, ValueError)  # the layer's own error, chained


def test_mobilenet_layer_failure_of_another_type_is_left_as_it_is(graph):
  class LayerError(Exception):
    pass

  def failing_layer(net, **unused_params):
    raise LayerError('no')

  spec = copy.deepcopy(mobilenet_v2.V2_DEF)
  spec['spec'][1] = mobilenet.op(failing_layer, num_outputs=8)
  with pytest.raises(LayerError, match='^no$'):
    mobilenet.mobilenet_base(placeholder(1, 32, 32, 3), spec)


# --- NASNet and PNASNet builders ---------------------------------------------------------

@pytest.mark.parametrize('images,match', [
    (lambda: placeholder(1, None, None, 3), 'known height, width'),
    (lambda: placeholder(32, 32, 3), 'known height, width'),
])
def test_nasnet_builder_input_errors(graph, images, match):
  with pytest.raises(ValueError, match=match):
    nasnet.build_nasnet_cifar(images(), 10)
  assert not tf.compat.v1.global_variables()


def test_pnasnet_builder_data_format_error(graph):
  with pytest.raises(ValueError, match="config.data_format must be 'NHWC' or 'NCHW'"):
    pnasnet.build_pnasnet_mobile(placeholder(1, 96, 96, 3), 10,
                                 config=pnasnet.mobile_imagenet_config().override_from_dict(
                                     {'data_format': 'NWHC'}))
  assert not tf.compat.v1.global_variables()
