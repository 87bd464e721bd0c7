"""Bad inputs: each layer raises tf_slim's exception type, with a message naming the
layer, the argument and the value received, before creating any variable."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import layers as slim_layers
from slim.layers import normalization


INNER_FLATTEN = slim_layers._inner_flatten  # pylint: disable=protected-access


def images(shape=(2, 5, 5, 3), dtype=tf.float32):
  return tf.compat.v1.placeholder(dtype, shape)


def unknown_rank():
  return tf.compat.v1.placeholder(tf.float32)


# (id, call, exception type, words the message must hold)
CASES = [
    ('conv2d rank', lambda: slim.conv2d(images((2, 5, 3)), 4, 3), ValueError,
     ['conv2d', 'rank 4', 'got 3']),
    ('conv2d kernel_size', lambda: slim.conv2d(images(), 4, (3, 0)), ValueError,
     ['conv2d', 'kernel_size', '(3, 0)']),
    ('conv2d stride', lambda: slim.conv2d(images(), 4, 3, stride=-1), ValueError,
     ['conv2d', 'stride', '-1']),
    ('conv2d padding', lambda: slim.conv2d(images(), 4, 3, padding='FULL'), ValueError,
     ['conv2d', 'padding', "'FULL'"]),
    ('conv2d data_format', lambda: slim.conv2d(images(), 4, 3, data_format='CHWN'),
     ValueError, ['conv2d', 'data_format', "'CHWN'"]),
    ('conv2d rate and stride', lambda: slim.conv2d(images(), 4, 3, stride=2, rate=2),
     ValueError, ['conv2d', 'rate', 'stride']),
    ('conv2d num_outputs', lambda: slim.conv2d(images(), 2.5, 3), ValueError,
     ['conv2d', 'num_outputs', '2.5']),
    ('conv2d num_outputs 0', lambda: slim.conv2d(images(), 0, 3), ValueError,
     ['conv2d: num_outputs must be a positive int', 'received 0']),
    ('conv1d num_outputs negative', lambda: slim.conv1d(images((2, 5, 3)), -2, 3),
     ValueError, ['conv1d', 'num_outputs', 'positive', '-2']),
    ('conv3d num_outputs 0', lambda: slim.conv3d(images((2, 5, 5, 5, 3)), 0, 3),
     ValueError, ['conv3d', 'num_outputs', 'received 0']),
    ('convolution num_outputs 0', lambda: slim.convolution(images(), 0, 3), ValueError,
     ['convolution', 'num_outputs', 'received 0']),
    ('conv2d channels', lambda: slim.conv2d(images((2, 5, 5, None)), 4, 3), ValueError,
     ['conv2d', 'channel', '(2, 5, 5, None)']),
    ('convolution rank', lambda: slim.convolution(images((2, 3)), 4, 3), ValueError,
     ['convolution', 'rank', '2']),
    ('separable kernel_size', lambda: slim.separable_conv2d(images(), 4, 0), ValueError,
     ['separable_conv2d', 'kernel_size', '0']),
    ('separable depth_multiplier',
     lambda: slim.separable_conv2d(images(), 4, 3, depth_multiplier='2'), ValueError,
     ['separable_conv2d', 'depth_multiplier', "'2'"]),
    ('separable num_outputs 0', lambda: slim.separable_conv2d(images(), 0, 3), ValueError,
     ['separable_conv2d', 'num_outputs', 'positive int or None', 'received 0']),
    ('separable depth_multiplier 0',
     lambda: slim.separable_conv2d(images(), None, 3, depth_multiplier=0), ValueError,
     ['separable_conv2d', 'depth_multiplier', 'received 0']),
    ('separable data_format', lambda: slim.separable_conv2d(images(), 4, 3,
                                                            data_format='NDHWC'),
     ValueError, ['separable_conv2d', 'data_format', "'NDHWC'"]),
    ('conv2d_transpose kernel_size', lambda: slim.conv2d_transpose(images(), 4, [3]),
     ValueError, ['conv2d_transpose', 'kernel_size', '[3]']),
    ('conv2d_transpose stride', lambda: slim.conv2d_transpose(images(), 4, 3, stride=0),
     ValueError, ['conv2d_transpose', 'stride', '0']),
    ('conv2d_transpose data_format',
     lambda: slim.conv2d_transpose(images(), 4, 3, data_format='CHWN'), ValueError,
     ['conv2d_transpose', 'data_format has to be either NCHW or NHWC', "'CHWN'"]),
    ('conv2d_transpose num_outputs', lambda: slim.conv2d_transpose(images(), -1, 3),
     ValueError, ['conv2d_transpose', 'num_outputs', 'positive', '-1']),
    ('conv3d_transpose num_outputs',
     lambda: slim.conv3d_transpose(images((2, 5, 5, 5, 3)), 0, 3), ValueError,
     ['conv3d_transpose', 'num_outputs', 'received 0']),
    ('conv3d_transpose rank', lambda: slim.conv3d_transpose(images(), 4, 3), ValueError,
     ['conv3d_transpose', 'inputs', 'rank 5', 'rank 4']),
    ('conv2d_in_plane rank', lambda: slim.conv2d_in_plane(images((2, 5, 3)), 3),
     ValueError, ['conv2d_in_plane', 'inputs', 'rank 4', 'rank 3']),
    ('conv2d_in_plane padding', lambda: slim.conv2d_in_plane(images(), 3, padding=''),
     ValueError, ['conv2d_in_plane', 'padding', "''"]),
    ('fully_connected num_outputs', lambda: slim.fully_connected(images(), 2.0),
     ValueError, ['fully_connected', 'num_outputs', '2.0']),
    ('fully_connected num_outputs 0', lambda: slim.fully_connected(images((2, 3)), 0),
     ValueError, ['fully_connected: num_outputs must be a positive int, received 0']),
    ('fully_connected num_outputs negative',
     lambda: slim.fully_connected(images((2, 3)), -4), ValueError,
     ['fully_connected', 'num_outputs', '-4']),
    ('linear num_outputs', lambda: slim.linear(images((2, 3)), 0), ValueError,
     ['fully_connected', 'num_outputs', 'received 0']),
    ('fully_connected rank', lambda: slim.fully_connected(images((3,)), 2), ValueError,
     ['fully_connected', 'inputs', 'rank', '1']),
    ('fully_connected last dimension', lambda: slim.fully_connected(images((3, None)), 2),
     ValueError, ['fully_connected', 'last dimension', '(3, None)']),
    ('legacy_fully_connected rank', lambda: slim.legacy_fully_connected(images((3,)), 2),
     ValueError, ['legacy_fully_connected', 'rank of x must be at least 2 not: 1']),
    ('legacy_fully_connected num_output_units',
     lambda: slim.legacy_fully_connected(images((2, 3)), 0), ValueError,
     ['legacy_fully_connected', 'num_output_units', 'received 0']),
    ('bias_add data_format', lambda: slim.bias_add(images(), data_format='NWC'),
     ValueError, ['bias_add', 'data_format', "'NWC'"]),
    ('bias_add nchw rank', lambda: slim.bias_add(images((2, 3, 4)), data_format='NCHW'),
     ValueError, ['bias_add', 'NCHW', 'rank 3']),
    ('max_pool2d kernel_size', lambda: slim.max_pool2d(images(), [2, 0]), ValueError,
     ['max_pool2d', 'kernel_size', '[2, 0]']),
    ('avg_pool2d data_format', lambda: slim.avg_pool2d(images(), 2, data_format='CHWN'),
     ValueError, ['avg_pool2d', 'data_format has to be either NCHW or NHWC', "'CHWN'"]),
    ('max_pool3d rank', lambda: slim.max_pool3d(images(), 2), ValueError,
     ['max_pool3d', 'inputs', 'rank 5', 'rank 4']),
    ('avg_pool3d padding', lambda: slim.avg_pool3d(images((1, 2, 3, 4, 5)), 2,
                                                   padding='full'),
     ValueError, ['avg_pool3d', 'padding', "'full'"]),
    ('pool rank', lambda: slim.pool(images((2, 3)), 2, 'MAX'), ValueError,
     ['pool', 'rank', '2']),
    ('flatten rank', lambda: slim.flatten(tf.constant(1.)), ValueError,
     ['flatten', 'inputs', 'rank 0']),
    ('batch_norm data_format', lambda: slim.batch_norm(images(), data_format='CHWN'),
     ValueError, ['batch_norm', 'data_format has to be either NCHW or NHWC', "'CHWN'"]),
    ('batch_norm rank', lambda: slim.batch_norm(unknown_rank()), ValueError,
     ['batch_norm', 'undefined rank']),
    ('batch_norm channels', lambda: slim.batch_norm(images((2, None, 3, 3)),
                                                    data_format='NCHW'),
     ValueError, ['batch_norm', 'undefined channels', '(2, None, 3, 3)']),
    ('batch_norm renorm', lambda: slim.batch_norm(images(), renorm=True,
                                                  batch_weights=tf.ones([2])),
     ValueError, ['batch_norm', 'renorm is not supported with batch_weights']),
    ('batch_norm renorm_clipping', lambda: slim.batch_norm(images(), renorm=True,
                                                           renorm_clipping={'r': 1.}),
     ValueError, ['batch_norm', 'renorm_clipping', "'r'"]),
    ('batch_norm fused float64', lambda: slim.batch_norm(images((2, 3), tf.float64)),
     TypeError, ['batch_norm', 'float64', 'fused=False']),
    ('layer_norm rank', lambda: slim.layer_norm(unknown_rank()), ValueError,
     ['layer_norm', 'undefined rank']),
    ('layer_norm axis', lambda: slim.layer_norm(images(), begin_norm_axis=4), ValueError,
     ['layer_norm', 'begin_norm_axis (4)', 'rank(inputs) (4)']),
    ('layer_norm params shape', lambda: slim.layer_norm(images((2, 3, None)),
                                                        begin_params_axis=1),
     ValueError, ['layer_norm', 'is not fully defined', '(2, 3, None)']),
    ('instance_norm data_format',
     lambda: normalization.instance_norm(images(), data_format='NHCW'), ValueError,
     ['instance_norm', 'data_format', "'NHCW'"]),
    ('instance_norm channels', lambda: normalization.instance_norm(images((2, 3, None))),
     ValueError, ['instance_norm', 'undefined channels']),
    ('group_norm groups', lambda: normalization.group_norm(images((2, 5, 5, 4)), groups=3),
     ValueError, ['group_norm', '4 channels', '3 groups']),
    ('group_norm too many groups', lambda: normalization.group_norm(images(), groups=8),
     ValueError, ['group_norm', 'Invalid groups 8 for 3 channels']),
    ('group_norm channels_axis', lambda: normalization.group_norm(images(), channels_axis=4),
     ValueError, ['group_norm', 'out of bounds', 'channels_axis 4']),
    ('group_norm mutually exclusive',
     lambda: normalization.group_norm(images(), groups=1, reduction_axes=(-3, -1)),
     ValueError, ['group_norm', 'mutually exclusive', '3']),
    ('group_norm undefined', lambda: normalization.group_norm(images((2, None, 5, 3)),
                                                              groups=1),
     ValueError, ['group_norm', 'undefined dimensions 1']),
    ('gdn data_format', lambda: slim.gdn(images(), data_format='NHWC'), ValueError,
     ['GDN', 'data_format', "'NHWC'"]),
    ('gdn rank', lambda: slim.gdn(images((2, 3))), ValueError, ['GDN', 'rank', '(2, 3)']),
    ('gdn channels', lambda: slim.gdn(images((2, 3, None))), ValueError,
     ['GDN', 'channel', '(2, 3, None)']),
    ('spatial_softmax data_format',
     lambda: slim.spatial_softmax(images(), data_format='NCWH'), ValueError,
     ['spatial_softmax', 'data_format', "'NCWH'"]),
    ('spatial_softmax channels', lambda: slim.spatial_softmax(images((2, 3, 3, None))),
     ValueError, ['spatial_softmax', 'num_channels', 'None']),
    ('softmax rank', lambda: slim.softmax(images((3,))), ValueError,
     ['softmax', 'logits', 'rank 1']),
    ('unit_norm dim', lambda: slim.unit_norm(images(), 4), ValueError,
     ['unit_norm', 'dim', '4']),
    ('maxout num_units', lambda: slim.maxout(images(), 2), ValueError,
     ['maxout', 'features(3)', 'num_units(2)']),
    ('maxout num_units 0', lambda: slim.maxout(images(), 0), ValueError,
     ['maxout', 'num_units', 'received 0']),
    ('dropout keep_prob 0', lambda: slim.dropout(images(), keep_prob=0), ValueError,
     ['dropout: keep_prob must be a probability in (0, 1], received 0']),
    ('dropout keep_prob above 1', lambda: slim.dropout(images(), keep_prob=1.5),
     ValueError, ['dropout', 'keep_prob', '1.5']),
    ('dropout keep_prob negative, not training',
     lambda: slim.dropout(images(), keep_prob=-0.5, is_training=False), ValueError,
     ['dropout', 'keep_prob', '-0.5']),
    ('images_to_sequence data_format',
     lambda: slim.images_to_sequence(images(), data_format='CHWN'), ValueError,
     ['images_to_sequence', 'data_format', "'CHWN'"]),
    ('sequence_to_images format',
     lambda: slim.sequence_to_images(images((2, 4, 3)), 2, output_data_format='NHWC'),
     ValueError, ['sequence_to_images', 'output_data_format', "'NHWC'"]),
    ('stack stack_args', lambda: slim.stack(images(), slim.conv2d, 3), ValueError,
     ['stack', 'stack_args', '3']),
    ('inner_flatten rank', lambda: INNER_FLATTEN(images((2, 3)), 3), ValueError,
     ['_inner_flatten', 'new_rank', '3']),
]


@pytest.mark.parametrize('call, error, words', [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_raises_before_variables(graph, call, error, words):
  with pytest.raises(error) as raised:
    call()
  message = str(raised.value)
  for word in words:
    assert word.lower() in message.lower(), (word, message)
  assert not tf.compat.v1.global_variables()


def test_arg_scope_rejects_a_keyword_an_op_does_not_take():
  with pytest.raises(TypeError, match="max_pool2d does not accept the keyword 'rate'"):
    with slim.arg_scope([slim.conv2d, slim.max_pool2d], rate=2):
      pass


def test_arg_scope_rejects_an_undecorated_op():
  with pytest.raises(ValueError, match='repeat is not decorated with @add_arg_scope'):
    with slim.arg_scope([slim.repeat], scope='x'):
      pass


def test_arg_scope_defaults_reach_every_decorated_layer(graph):
  inputs = tf.constant(np.ones([1, 4, 4, 3], np.float32))
  with slim.arg_scope([slim.conv2d, slim.conv2d_transpose, slim.conv2d_in_plane,
                       slim.separable_conv2d], trainable=False, activation_fn=None):
    with slim.arg_scope([slim.layer_norm, slim.group_norm, slim.instance_norm,
                         slim.batch_norm], trainable=False):
      net = slim.conv2d(inputs, 4, 1)
      net = slim.conv2d_transpose(net, 4, 1)
      net = slim.conv2d_in_plane(net, 1)
      net = slim.separable_conv2d(net, 2, 1)
      net = slim.layer_norm(net)
      net = slim.group_norm(net, groups=1)
      net = slim.instance_norm(net)
      slim.batch_norm(net, scale=True)
  assert tf.compat.v1.global_variables()
  assert not tf.compat.v1.trainable_variables()


@pytest.mark.parametrize('keep_prob', [1, 1.0, 0.25, np.float32(0.5)])
def test_dropout_accepts_a_probability_in_0_1(keep_prob):
  outputs = slim.dropout(tf.ones([4, 8]), keep_prob=keep_prob)
  assert outputs.shape == (4, 8)


def test_dropout_leaves_a_tensor_keep_prob_to_tensorflow():
  outputs = slim.dropout(tf.ones([4, 8]), keep_prob=tf.constant(0.5))
  assert outputs.shape == (4, 8)


def test_separable_conv2d_without_num_outputs_is_depthwise_only(graph):
  outputs = slim.separable_conv2d(images(), None, 3, depth_multiplier=2)
  assert outputs.shape.as_list() == [2, 5, 5, 6]
