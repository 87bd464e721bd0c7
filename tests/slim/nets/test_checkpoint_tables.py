"""Checkpoint layout: every network creates exactly the variables (names, shapes)
and end points of the published checkpoints (tables/, see tables.py), and the
tables agree with the published parameter counts."""
import pytest
import tensorflow as tf

import slim
from slim.nets import cifarnet
from slim.nets import inception_resnet_v2
from slim.nets import inception_v4
from slim.nets import lenet
from slim.nets import mobilenet_v1
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import pnasnet
from tests.slim.nets import tables


def _in_arg_scope(build, arg_scope, **kwargs):
  def builder(images):
    with slim.arg_scope(arg_scope()):
      return build(images, **kwargs)
  return builder


# The builds the tables describe (see each table's header): name -> (build, image
# size, channels).
BUILDS = {
    'inception_v4': (_in_arg_scope(inception_v4.inception_v4, inception_v4.inception_v4_arg_scope,
                                   num_classes=1001), 299, 3),
    'inception_resnet_v2': (_in_arg_scope(inception_resnet_v2.inception_resnet_v2,
                                          inception_resnet_v2.inception_resnet_v2_arg_scope,
                                          num_classes=1001), 299, 3),
    'mobilenet_v1': (_in_arg_scope(mobilenet_v1.mobilenet_v1, mobilenet_v1.mobilenet_v1_arg_scope,
                                   num_classes=1001), 224, 3),
    'lenet': (_in_arg_scope(lenet.lenet, lenet.lenet_arg_scope, num_classes=10), 28, 1),
    'cifarnet': (_in_arg_scope(cifarnet.cifarnet, cifarnet.cifarnet_arg_scope, num_classes=10),
                 32, 3),
    'mobilenet_v2': (mobilenet_v2.mobilenet, 224, 3),
    'mobilenet_v2_140': (mobilenet_v2.mobilenet_v2_140, 224, 3),
    'mobilenet_v2_050': (mobilenet_v2.mobilenet_v2_050, 224, 3),
    'mobilenet_v2_035': (mobilenet_v2.mobilenet_v2_035, 224, 3),
    'mobilenet_v3_large': (mobilenet_v3.large, 224, 3),
    'mobilenet_v3_small': (mobilenet_v3.small, 224, 3),
    'mobilenet_v3_large_minimalistic': (mobilenet_v3.large_minimalistic, 224, 3),
    'mobilenet_v3_small_minimalistic': (mobilenet_v3.small_minimalistic, 224, 3),
    'mobilenet_edgetpu': (mobilenet_v3.edge_tpu, 224, 3),
    'mobilenet_edgetpu_075': (mobilenet_v3.edge_tpu_075, 224, 3),
    'nasnet_cifar': (_in_arg_scope(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope,
                                   num_classes=10, is_training=True), 32, 3),
    'nasnet_mobile': (_in_arg_scope(nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope,
                                    num_classes=1001, is_training=True), 224, 3),
    'nasnet_large': (_in_arg_scope(nasnet.build_nasnet_large, nasnet.nasnet_large_arg_scope,
                                   num_classes=1001, is_training=True), 331, 3),
    'pnasnet_mobile': (_in_arg_scope(pnasnet.build_pnasnet_mobile,
                                     pnasnet.pnasnet_mobile_arg_scope, num_classes=1001,
                                     is_training=True), 224, 3),
    'pnasnet_large': (_in_arg_scope(pnasnet.build_pnasnet_large, pnasnet.pnasnet_large_arg_scope,
                                    num_classes=1001, is_training=True), 331, 3),
}
LARGE = ('nasnet_large', 'pnasnet_large')


def test_every_table_has_a_build():
  assert sorted(BUILDS) == tables.names()


def _build(network):
  """Builds `network` as its table says, in a fresh graph; returns (variables
  name -> shape, end points name -> shape without batch, model variables and
  trainable variables as names, global step aside)."""
  build, size, channels = BUILDS[network]
  with tf.Graph().as_default():
    _, end_points = build(tf.compat.v1.placeholder(tf.float32, [1, size, size, channels]))
    variables = [v for v in tf.compat.v1.global_variables() if v.op.name != 'global_step']
    model_variables = [v.op.name for v in slim.get_model_variables()]
    trainable = [v.op.name for v in tf.compat.v1.trainable_variables()]
  return ({v.op.name: tuple(v.shape.as_list()) for v in variables},
          {name: tuple(t.shape.as_list()[1:]) for name, t in end_points.items()},
          [v.op.name for v in variables], model_variables, trainable)


def _check_against_table(network):
  table = tables.load(network)
  variables, end_points, names, model_variables, trainable = _build(network)
  assert variables == dict(table.variables)
  if table.end_points:
    assert end_points == dict(table.end_points)
  # All are model variables; all but the moving statistics are trainable.
  assert model_variables == names
  assert trainable == [n for n in names if 'moving_' not in n]


@pytest.mark.parametrize('network', sorted(set(BUILDS) - set(LARGE)))
def test_graph_build_matches_checkpoint_table(network):
  _check_against_table(network)


@pytest.mark.slow
@pytest.mark.parametrize('network', LARGE)
def test_large_graph_build_matches_checkpoint_table(network):
  _check_against_table(network)


# name -> (variables, scalars) of the full table: the figures of this layout.
FIGURES = {
    'inception_v4': (608, 46074066),
    'inception_resnet_v2': (908, 59244594),
    'mobilenet_v1': (137, 4254889),
    'lenet': (8, 3274634),
    'cifarnet': (10, 1756426),
}


@pytest.mark.parametrize('name', sorted(FIGURES))
def test_table_figures(name):
  table = tables.load(name).variables
  assert (len(table), tables.count(table.values())) == FIGURES[name]


def _graph_count(build):
  with tf.Graph().as_default():
    build()
    return tables.count(v.shape.as_list() for v in tf.compat.v1.global_variables())


def test_inception_v4_count_as_timm_counts_its_port():
  # timm's inception_v4 (this checkpoint ported): 42,679,816 parameters =
  # weights + batch-norm beta and gamma, 1000 classes, no auxiliary head.
  table = tables.load('inception_v4').variables
  body = {k: v for k, v in table.items() if '/AuxLogits/' not in k and '/Logits/' not in k}
  weights = tables.count(v for k, v in body.items() if k.endswith('/weights'))
  channels = tables.count(v for k, v in body.items() if k.endswith('/beta'))
  assert (weights, channels) == (41079648, 31584)
  assert weights + 2 * channels + 1536 * 1000 + 1000 == 42679816


def without_aux_logits(name, classes):
  """Scalars of the table `name` without AuxLogits and with `classes` classes
  (instead of 1001) in the final 1536-input logits layer."""
  table = tables.load(name).variables
  total = tables.count(v for k, v in table.items() if '/AuxLogits/' not in k)
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
      assert tables.count(weights) == expected
  # research/slim's mobilenet_v1_test: 3,217,920 model variables for the body
  # with batch norm (beta, moving mean and variance).
  with tf.Graph().as_default():
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], normalizer_fn=slim.batch_norm):
      mobilenet_v1.mobilenet_v1_base(tf.compat.v1.placeholder(tf.float32, [1, 224, 224, 3]))
    assert tables.count(v.shape.as_list() for v in slim.get_model_variables()) == 3217920
  # Keras MobileNet(alpha=1.0), 1000 classes: 4,253,864.
  def build():
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
      mobilenet_v1.mobilenet_v1(tf.compat.v1.placeholder(tf.float32, [1, 224, 224, 3]))
  assert _graph_count(build) == 4253864


# Published parameter counts (millions) of the inference networks: research/slim's
# mobilenet README (V2), the MobileNetV3 paper (V3 Large/Small 1.0: 5.4M and 2.5M;
# the README's 2.9M for Small does not match research/slim's own definition),
# the README (V3 minimalistic: 3.9M, 2.0M), the NASNet paper (CIFAR 6@768 3.3M,
# Mobile 5.3M, Large 88.9M) and the PNASNet paper (Mobile 5.1M, Large 86.1M).
PUBLISHED_MILLIONS = {
    'mobilenet_v2': 3.47,
    'mobilenet_v2_140': 6.06,
    'mobilenet_v2_035': 1.66,
    'mobilenet_v3_large': 5.4,
    'mobilenet_v3_small': 2.5,
    'mobilenet_v3_large_minimalistic': 3.9,
    'mobilenet_v3_small_minimalistic': 2.0,
    'nasnet_cifar': 3.3,
    'nasnet_mobile': 5.3,
    'nasnet_large': 88.9,
    'pnasnet_mobile': 5.1,
    'pnasnet_large': 86.1,
}

# Trainable parameters of the inference networks (no auxiliary head), from the tables.
INFERENCE_PARAMETERS = {
    'mobilenet_v2': 3506153,
    'mobilenet_v2_140': 6110569,
    'mobilenet_v2_035': 1678409,
    'mobilenet_v3_large': 5484313,
    'mobilenet_v3_small': 2543881,
    'mobilenet_v3_large_minimalistic': 3925569,
    'mobilenet_v3_small_minimalistic': 2045761,
    'nasnet_cifar': 3346538,
    'nasnet_mobile': 5291035,
    'nasnet_large': 88757183,
    'pnasnet_mobile': 5065568,
    'pnasnet_large': 86061989,
}


def _not_aux_head(name):
  return not name.startswith('aux_')


@pytest.mark.parametrize('network', sorted(PUBLISHED_MILLIONS))
def test_table_parameters_agree_with_published_counts(network):
  table = tables.load(network)
  assert tables.parameters(table.variables) == table.trainable_parameters
  inference = tables.parameters(table.variables, _not_aux_head)
  assert inference == INFERENCE_PARAMETERS[network]
  assert inference == pytest.approx(PUBLISHED_MILLIONS[network] * 1e6, rel=0.025)


@pytest.mark.parametrize('network', LARGE)
def test_large_network_stem_and_first_cell_match_checkpoint_table(network):
  table = tables.load(network)
  with tf.Graph().as_default():
    size = BUILDS[network][1]
    images = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
    build = nasnet.build_nasnet_large if network == 'nasnet_large' else (
        pnasnet.build_pnasnet_large)
    scope = (nasnet.nasnet_large_arg_scope if network == 'nasnet_large' else
             pnasnet.pnasnet_large_arg_scope)
    with slim.arg_scope(scope()):
      net, end_points = build(images, 1001, final_endpoint='Cell_0')
    variables = {v.op.name: tuple(v.shape.as_list())
                 for v in tf.compat.v1.global_variables() if v.op.name != 'global_step'}
  expected = {name: shape for name, shape in table.variables.items()
              if name.split('/')[0] in ('conv0', 'conv0_bn', 'cell_stem_0', 'cell_stem_1',
                                        'cell_0')}
  assert variables == expected
  assert sorted(end_points) == ['Cell_0', 'Stem']
  assert net is end_points['Cell_0']
  for name in end_points:
    assert tuple(end_points[name].shape.as_list()[1:]) == table.end_points[name]


# End-point shapes given by research/slim's tests (nasnet_test.py, pnasnet_test.py,
# mobilenet_v2_test.py, mobilenet_v3_test.py), checked against the tables.
RESEARCH_END_POINTS = {
    'nasnet_cifar': dict(
        [('Stem', (32, 32, 96)), ('Reduction_Cell_0', (16, 16, 256)),
         ('Reduction_Cell_1', (8, 8, 512)), ('global_pool', (768,)), ('AuxLogits', (10,)),
         ('Logits', (10,)), ('Predictions', (10,))] +
        [('Cell_%d' % i, (32, 32, 192)) for i in range(6)] +
        [('Cell_%d' % i, (16, 16, 384)) for i in range(6, 12)] +
        [('Cell_%d' % i, (8, 8, 768)) for i in range(12, 18)]),
    'nasnet_mobile': dict(
        [('Stem', (28, 28, 88)), ('Reduction_Cell_0', (14, 14, 352)),
         ('Reduction_Cell_1', (7, 7, 704)), ('global_pool', (1056,)),
         ('AuxLogits', (1001,)), ('Logits', (1001,)), ('Predictions', (1001,))] +
        [('Cell_%d' % i, (28, 28, 264)) for i in range(4)] +
        [('Cell_%d' % i, (14, 14, 528)) for i in range(4, 8)] +
        [('Cell_%d' % i, (7, 7, 1056)) for i in range(8, 12)]),
    'nasnet_large': dict(
        [('Stem', (42, 42, 336)), ('Reduction_Cell_0', (21, 21, 1344)),
         ('Reduction_Cell_1', (11, 11, 2688)), ('global_pool', (4032,)),
         ('AuxLogits', (1001,)), ('Logits', (1001,)), ('Predictions', (1001,))] +
        [('Cell_%d' % i, (42, 42, 1008)) for i in range(6)] +
        [('Cell_%d' % i, (21, 21, 2016)) for i in range(6, 12)] +
        [('Cell_%d' % i, (11, 11, 4032)) for i in range(12, 18)]),
    'pnasnet_mobile': dict(
        [('Stem', (28, 28, 135)), ('global_pool', (1080,)), ('AuxLogits', (1001,)),
         ('Logits', (1001,)), ('Predictions', (1001,))] +
        [('Cell_%d' % i, (28, 28, 270)) for i in range(3)] +
        [('Cell_%d' % i, (14, 14, 540)) for i in range(3, 6)] +
        [('Cell_%d' % i, (7, 7, 1080)) for i in range(6, 9)]),
    'pnasnet_large': dict(
        [('Stem', (42, 42, 540)), ('global_pool', (4320,)), ('AuxLogits', (1001,)),
         ('Logits', (1001,)), ('Predictions', (1001,))] +
        [('Cell_%d' % i, (42, 42, 1080)) for i in range(4)] +
        [('Cell_%d' % i, (21, 21, 2160)) for i in range(4, 8)] +
        [('Cell_%d' % i, (11, 11, 4320)) for i in range(8, 12)]),
}


@pytest.mark.parametrize('network', sorted(RESEARCH_END_POINTS))
def test_table_end_points_are_those_of_research_tests(network):
  assert dict(tables.load(network).end_points) == RESEARCH_END_POINTS[network]


def test_mobilenet_tables_end_points_agree_with_research_tests():
  assert tables.load('mobilenet_v3_large').end_points['layer_19'] == (1, 1, 1280)
  assert tables.load('mobilenet_v3_large').end_points['layer_17'] == (7, 7, 960)
  assert tables.load('mobilenet_v3_small').end_points['layer_15'] == (1, 1, 1024)
  assert tables.load('mobilenet_edgetpu').end_points['layer_24'] == (7, 7, 1280)
  v2 = tables.load('mobilenet_v2').end_points
  assert v2['layer_18/output'] == (7, 7, 320)
  # Every inverted bottleneck but the first exposes its depthwise output.
  assert all('layer_%d/depthwise_output' % i in v2 for i in range(2, 18))


def test_pnasnet_tables_have_no_stem_shortcut_convolution():
  for network in ('pnasnet_mobile', 'pnasnet_large'):
    variables = tables.load(network).variables
    assert 'cell_stem_0/1x1/weights' in variables
    assert 'cell_stem_1/comb_iter_0/right/1x1/weights' not in variables
