"""Checkpoint layout: variable names, shapes and parameter counts of the
published checkpoints (tables/*.txt, transcribed from research/slim and
cross-checked against published parameter counts)."""
import pytest
import tensorflow as tf

import slim
from slim.nets import mobilenet_v1
from tests.nets_b1 import helpers

# name -> (variables, scalars) of the full table: the figures of this layout.
FIGURES = {
    'inception_v4': (608, 46074066),
    'inception_resnet_v2': (908, 59244594),
    'mobilenet_v1': (137, 4254889),
    'lenet': (8, 3274634),
    'cifarnet': (10, 1756426),
}


@pytest.mark.parametrize('name', list(helpers.NETS))
def test_graph_variables_are_the_published_layout(name):
  net = helpers.NETS[name]
  table = helpers.load_table(name)
  assert (len(table), helpers.count(table.values())) == FIGURES[name]
  with tf.Graph().as_default():
    helpers.with_arg_scope(name, num_classes=net.classes)(
        tf.compat.v1.placeholder(tf.float32, [1, net.size, net.size, net.channels]))
    variables = tf.compat.v1.global_variables()
    assert sorted((v.op.name, tuple(v.shape.as_list())) for v in variables) == sorted(
        table.items())
    # All are model variables; all but the moving statistics are trainable.
    assert slim.get_model_variables() == variables
    assert tf.compat.v1.trainable_variables() == [
        v for v in variables if 'moving_' not in v.op.name]


def _graph_count(build):
  with tf.Graph().as_default():
    build()
    return helpers.count(v.shape.as_list() for v in tf.compat.v1.global_variables())


def test_inception_v4_count_as_timm_counts_its_port():
  # timm's inception_v4 (this checkpoint ported): 42,679,816 parameters =
  # weights + batch-norm beta and gamma, 1000 classes, no auxiliary head.
  table = helpers.load_table('inception_v4')
  body = {k: v for k, v in table.items() if '/AuxLogits/' not in k and '/Logits/' not in k}
  weights = helpers.count(v for k, v in body.items() if k.endswith('/weights'))
  channels = helpers.count(v for k, v in body.items() if k.endswith('/beta'))
  assert (weights, channels) == (41079648, 31584)
  assert weights + 2 * channels + 1536 * 1000 + 1000 == 42679816


def without_aux_logits(name, classes):
  """Scalars of the table `name` without AuxLogits and with `classes` classes
  (instead of 1001) in the final 1536-input logits layer."""
  table = helpers.load_table(name)
  total = helpers.count(v for k, v in table.items() if '/AuxLogits/' not in k)
  return total - (1001 - classes) * (1536 + 1)


def test_inception_resnet_v2_without_aux_logits_is_keras_count():
  # Keras InceptionResNetV2 (1000 classes, no auxiliary head): 55,873,736.
  assert without_aux_logits('inception_resnet_v2', 1000) == 55873736


def test_inception_v4_without_aux_logits_is_42_7_million():
  assert without_aux_logits('inception_v4', 1001) == 42712937


def test_mobilenet_v1_figures():
  # Body weights: research/slim's per-layer table, 3,185,088 (1.0) and 1,800,144 (0.75).
  for multiplier, expected in ((1.0, 3185088), (0.75, 1800144)):
    with tf.Graph().as_default():
      mobilenet_v1.mobilenet_v1_base(tf.compat.v1.placeholder(tf.float32, [1, 224, 224, 3]),
                                     depth_multiplier=multiplier)
      weights = [v.shape.as_list() for v in tf.compat.v1.global_variables()
                 if v.op.name.endswith('weights')]
      assert helpers.count(weights) == expected
  # research/slim's mobilenet_v1_test: 3,217,920 model variables for the body
  # with batch norm (beta, moving mean and variance).
  with tf.Graph().as_default():
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], normalizer_fn=slim.batch_norm):
      mobilenet_v1.mobilenet_v1_base(tf.compat.v1.placeholder(tf.float32, [1, 224, 224, 3]))
    assert helpers.count(v.shape.as_list() for v in slim.get_model_variables()) == 3217920
  # Keras MobileNet(alpha=1.0), 1000 classes: 4,253,864.
  def build():
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
      mobilenet_v1.mobilenet_v1(tf.compat.v1.placeholder(tf.float32, [1, 224, 224, 3]))
  assert _graph_count(build) == 4253864
