"""MobileNet v1: its arg scope (batch-norm mode, regularizers, normalizer and
update collections); end points and errors are in test_end_points.py and
test_errors.py."""
import pytest
import tensorflow as tf

import slim
from slim.nets import mobilenet_v1
from tests.slim.nets import harness
from tests.slim.nets.harness import placeholder


def test_mobilenet_v1_arg_scope_is_training():
  key = slim.arg_scope_func_key(slim.batch_norm)
  assert 'is_training' not in mobilenet_v1.mobilenet_v1_arg_scope(is_training=None)[key]
  for is_training in (True, False):
    scope = mobilenet_v1.mobilenet_v1_arg_scope(is_training=is_training)
    assert scope[key]['is_training'] is is_training
  assert mobilenet_v1.mobilenet_v1_arg_scope()[key] == {
      'center': True, 'scale': True, 'decay': 0.9997, 'epsilon': 0.001, 'is_training': True,
      'updates_collections': tf.compat.v1.GraphKeys.UPDATE_OPS}


@pytest.mark.parametrize('regularize_depthwise', [False, True])
def test_mobilenet_v1_arg_scope_regularizers(graph, regularize_depthwise):
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
      regularize_depthwise=regularize_depthwise)):
    mobilenet_v1.mobilenet_v1(placeholder(1, 32, 32, 3), 5, depth_multiplier=0.25)
  weights = [n for n in harness.variable_names() if n.endswith('weights')]
  expected = [n for n in weights if regularize_depthwise or 'depthwise' not in n]
  assert harness.regularized() == sorted(expected)
  assert len(expected) == (28 if regularize_depthwise else 15)
  assert harness.variable_names('.*/biases') == ['MobilenetV1/Logits/Conv2d_1c_1x1/biases']
  assert len(harness.variable_names('.*/BatchNorm/gamma')) == 27


def test_mobilenet_v1_arg_scope_normalizer_and_updates(graph):
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(normalizer_fn=None)):
    mobilenet_v1.mobilenet_v1_base(placeholder(1, 32, 32, 3), final_endpoint='Conv2d_1_pointwise',
                                   scope='plain')
  assert not harness.variable_names('plain/.*BatchNorm')
  assert len(harness.variable_names('plain/.*biases')) == 3
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
      batch_norm_updates_collections='my_updates')):
    mobilenet_v1.mobilenet_v1_base(placeholder(1, 32, 32, 3), final_endpoint='Conv2d_0',
                                   scope='updates')
  assert len(tf.compat.v1.get_collection('my_updates')) == 2
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
