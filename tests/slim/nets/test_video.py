"""The video networks I3D and S3D-G: research/slim's end-point tables (batch 5,
64 frames, 224 x 224; static shapes, graph mode), final_endpoint, thinning,
S3D-G's options, variable names and parameter counts, errors, and a thin
S3D-G run in every mode (graph == slim.Model == tf.function, SavedModel,
one training step)."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import i3d
from slim.nets import nets_factory
from slim.nets import s3dg
from tests.slim.nets import harness
from tests.slim.nets.harness import placeholder

BASE = ['Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
        'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d',
        'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b', 'Mixed_5c']

# i3d_test / s3dg_test testBuildAndCheckAllEndPointsUptoMixed5c (batch 5, 64 frames, 224 x 224).
SHAPES = {
    'Conv2d_1a_7x7': [5, 32, 112, 112, 64], 'MaxPool_2a_3x3': [5, 32, 56, 56, 64],
    'Conv2d_2b_1x1': [5, 32, 56, 56, 64], 'Conv2d_2c_3x3': [5, 32, 56, 56, 192],
    'MaxPool_3a_3x3': [5, 32, 28, 28, 192], 'Mixed_3b': [5, 32, 28, 28, 256],
    'Mixed_3c': [5, 32, 28, 28, 480], 'MaxPool_4a_3x3': [5, 16, 14, 14, 480],
    'Mixed_4b': [5, 16, 14, 14, 512], 'Mixed_4c': [5, 16, 14, 14, 512],
    'Mixed_4d': [5, 16, 14, 14, 512], 'Mixed_4e': [5, 16, 14, 14, 528],
    'Mixed_4f': [5, 16, 14, 14, 832], 'MaxPool_5a_2x2': [5, 8, 7, 7, 832],
    'Mixed_5b': [5, 8, 7, 7, 832], 'Mixed_5c': [5, 8, 7, 7, 1024],
}

NETWORKS = {'i3d': (i3d.i3d, i3d.i3d_base, i3d.i3d_arg_scope),
            's3dg': (s3dg.s3dg, s3dg.s3dg_base, s3dg.s3dg_arg_scope)}

# name -> (trainable parameters, all variables' values) at 400 classes in the arg scope.
PARAMETERS = {'i3d': (12689984, 12704544), 's3dg': (9518848, 9533408)}

# A few exact variables of each network (in its arg scope, 400 classes).
VARIABLES = {
    'i3d': {
        'InceptionV1/Conv2d_1a_7x7/weights': [7, 7, 7, 3, 64],
        'InceptionV1/Conv2d_1a_7x7/BatchNorm/moving_variance': [64],
        'InceptionV1/Conv2d_2c_3x3/weights': [3, 3, 3, 64, 192],
        'InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/weights': [3, 3, 3, 96, 128],
        'InceptionV1/Mixed_4f/Branch_2/Conv2d_0b_3x3/BatchNorm/beta': [128],
        'InceptionV1/Mixed_5c/Branch_3/Conv2d_0b_1x1/weights': [1, 1, 1, 832, 128],
        'InceptionV1/Logits/Conv2d_0c_1x1/weights': [1, 1, 1, 1024, 400],
        'InceptionV1/Logits/Conv2d_0c_1x1/biases': [400],
    },
    's3dg': {
        'InceptionV1/Conv2d_1a_7x7/weights': [3, 7, 7, 3, 64],
        'InceptionV1/Conv2d_2c_3x3/weights': [1, 3, 3, 64, 192],
        'InceptionV1/Conv2d_2c_3x3/temporal/weights': [3, 1, 1, 192, 192],
        'InceptionV1/Conv2d_2c_3x3/temporal/biases': [192],
        'InceptionV1/Conv2d_2c_3x3/self_gating/transformer_W/weights': [1, 1, 1, 192, 192],
        'InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/weights': [1, 3, 3, 96, 128],
        'InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/temporal/weights': [3, 1, 1, 128, 128],
        'InceptionV1/Mixed_5c/Branch_3/Conv2d_0b_1x1/self_gating/transformer_W/weights':
            [1, 1, 1, 128, 128],
        'InceptionV1/Logits/Conv2d_0c_1x1/weights': [1, 1, 1, 1024, 400],
    },
}


def shapes(end_points):
  return {name: tensor.shape.as_list() for name, tensor in end_points.items()}


def variables():
  return {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}


def full_size(frames=64, size=224):
  return placeholder(5, frames, size, size, 3)


# (batch, frames, size): research/slim's clips (slow) and smaller ones (2, 16, 64), at
# which every size of SHAPES but the channels scales by 1/4 (frames) and 2/7 (space).
CLIPS = [pytest.param((2, 16, 64), id='small'),
         pytest.param((5, 64, 224), id='full', marks=pytest.mark.slow)]


def expected_shapes(clips):
  batch, frames, size = clips
  return {name: [batch, d * frames // 64, h * size // 224, w * size // 224, c]
          for name, (_, d, h, w, c) in SHAPES.items()}


# --- research/slim's tests (static shapes) ----------------------------------------------------------

@pytest.mark.parametrize('clips', CLIPS)
@pytest.mark.parametrize('name', sorted(NETWORKS))
def test_classification_network(graph, name, clips):
  network, _, arg_scope = NETWORKS[name]
  batch, frames, size = clips
  with slim.arg_scope(arg_scope()):
    logits, end_points = network(placeholder(batch, frames, size, size, 3), 400)
  assert logits.op.name.startswith('InceptionV1/Logits')
  assert shapes(end_points) == dict(expected_shapes(clips), Logits=[batch, 400],
                                    Predictions=[batch, 400])
  assert list(end_points) == BASE + ['Logits', 'Predictions']
  assert logits is end_points['Logits']
  assert end_points['Predictions'].op.name.startswith('InceptionV1/Logits/Predictions')
  found = variables()
  assert {k: found.get(k) for k in VARIABLES[name]} == VARIABLES[name]
  trainable = sum(int(np.prod(v.shape)) for v in tf.compat.v1.trainable_variables())
  assert (trainable, sum(int(np.prod(s)) for s in found.values())) == PARAMETERS[name]


@pytest.mark.parametrize('clips', CLIPS)
@pytest.mark.parametrize('name', sorted(NETWORKS))
def test_base_network(graph, name, clips):
  batch, frames, size = clips
  net, end_points = NETWORKS[name][1](placeholder(batch, frames, size, size, 3))
  assert net.op.name.startswith('InceptionV1/Mixed_5c')
  assert shapes(end_points) == expected_shapes(clips) and list(end_points) == BASE
  for end_point, tensor in end_points.items():
    assert tensor.op.name.startswith('InceptionV1/' + end_point), end_point


@pytest.mark.parametrize('name', sorted(NETWORKS))
@pytest.mark.parametrize('final_endpoint', [
    'Conv2d_1a_7x7', 'Conv2d_2c_3x3', 'Mixed_3b'] + [
        pytest.param(end_point, marks=pytest.mark.slow)
        for end_point in BASE if end_point not in ('Conv2d_1a_7x7', 'Conv2d_2c_3x3', 'Mixed_3b')])
def test_final_endpoint(graph, name, final_endpoint):
  out, end_points = NETWORKS[name][1](full_size(), final_endpoint=final_endpoint)
  assert out.op.name.startswith('InceptionV1/' + final_endpoint)
  assert list(end_points) == BASE[:BASE.index(final_endpoint) + 1]
  assert out.shape.as_list() == SHAPES[final_endpoint]


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(NETWORKS))
@pytest.mark.parametrize('frames,size,expected', [(64, 112, [5, 8, 4, 4, 1024]),
                                                  (10, 224, [5, 2, 7, 7, 1024])])
def test_other_clip_sizes(graph, name, frames, size, expected):
  net, _ = NETWORKS[name][1](full_size(frames, size))
  assert net.shape.as_list() == expected


@pytest.mark.parametrize('name', [pytest.param('i3d', marks=pytest.mark.slow), 's3dg'])
def test_unknown_batch_and_features(graph, name):
  logits, _ = NETWORKS[name][0](placeholder(None, 16, 64, 64, 3), 400)
  assert logits.shape.as_list() == [None, 400]
  for num_classes in (0, None):
    with tf.compat.v1.variable_scope('features_%s' % num_classes):
      features, end_points = NETWORKS[name][0](placeholder(2, 16, 64, 64, 3), num_classes)
    assert features.shape.as_list() == [2, 1, 1, 1024]
    assert features is end_points['AvgPool_0a_7x7']
    assert 'Logits' not in end_points and 'Predictions' not in end_points
  assert not [n for n in variables() if n.startswith('features_') and 'Logits' in n]


def test_spatial_squeeze_off(graph):
  logits, _ = i3d.i3d(placeholder(1, 16, 64, 64, 3), 7, spatial_squeeze=False)
  assert logits.shape.as_list() == [1, 1, 1, 7]


# --- thinning and S3D-G's options ----------------------------------------------------------------

def _base_variables(**kwargs):
  with tf.Graph().as_default():
    s3dg.s3dg_base(placeholder(1, 16, 64, 64, 3), **kwargs)
    return variables()


def test_depth_multiplier_and_min_depth(graph):
  _, end_points = s3dg.s3dg_base(placeholder(5, 16, 64, 64, 3), depth_multiplier=0.5)
  assert end_points['Mixed_5c'].shape.as_list() == [5, 2, 2, 2, 512]
  assert end_points['Conv2d_1a_7x7'].shape.as_list() == [5, 8, 32, 32, 32]
  thin = _base_variables(depth_multiplier=0.1, min_depth=8)
  # Mixed_3b: 64 -> 8 (min_depth), 96 -> 9, 128 -> 12, 16 -> 8, 32 -> 8, 32 -> 8; outside
  # s3dg_arg_scope (separable=True), a 3x3 convolution is full 3-D, as in research/slim
  assert thin['InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/weights'] == [3, 3, 3, 9, 12]
  assert thin['InceptionV1/Mixed_3b/Branch_0/Conv2d_0a_1x1/weights'] == [1, 1, 1, 19, 8]


@pytest.mark.parametrize('kwargs,match', [
    ({'depth_multiplier': 0}, 'depth_multiplier is not greater than zero, received 0'),
    ({'depth_multiplier': -0.5}, 'depth_multiplier is not greater than zero'),
    ({'min_depth': 0}, 'min_depth must be a positive int, received 0'),
    ({'first_temporal_kernel_size': 2}, 'first_temporal_kernel_size can only be 1, 3, 5 or 7, '
                                        'received 2'),
    ({'temporal_conv_startat': 'Mixed_9z'}, "temporal_conv_startat must be None.*'Mixed_9z'"),
    ({'gating_startat': 'Conv2d_1a_7x7'}, "gating_startat must be None.*'Conv2d_1a_7x7'"),
    ({'final_endpoint': 'Mixed_6a'}, "Unknown final endpoint 'Mixed_6a'"),
    ({'data_format': 'NHWC'}, "data_format must be 'NDHWC' or 'NCDHW', received 'NHWC'"),
])
@pytest.mark.parametrize('function', [s3dg.s3dg, s3dg.s3dg_base])
def test_bad_arguments_are_refused_before_any_variable(graph, function, kwargs, match):
  with pytest.raises(ValueError, match=match):
    function(placeholder(1, 16, 64, 64, 3), **kwargs)
  assert not tf.compat.v1.global_variables()


@pytest.mark.parametrize('function', [i3d.i3d, s3dg.s3dg, i3d.i3d_base, s3dg.s3dg_base])
def test_images_are_refused(graph, function):
  with pytest.raises(ValueError, match=r'inputs must have rank 5 \[batch, frames, height, '
                                       r'width, channels\], received shape \(1, 64, 64, 3\)'):
    function(placeholder(1, 64, 64, 3))
  with pytest.raises(ValueError, match='num_classes must be a non-negative int or None'):
    i3d.i3d(placeholder(1, 8, 64, 64, 3), num_classes=-1)
  assert not tf.compat.v1.global_variables()


def _kinds(names):
  """The layers with a temporal part and the gated ones, by scope."""
  temporal = sorted(n[len('InceptionV1/'):-len('/temporal/weights')]
                    for n in names if n.endswith('/temporal/weights'))
  gated = sorted(n[len('InceptionV1/'):-len('/self_gating/transformer_W/weights')]
                 for n in names if n.endswith('/self_gating/transformer_W/weights'))
  return temporal, gated


def _block_layers(blocks):
  return sorted('%s/Branch_%d/%s' % (block, branch, layer)
                for block in blocks for branch, layer in ((1, 'Conv2d_0b_3x3'),
                                                          (2, 'Conv2d_0b_3x3')))


def _gated(blocks):
  return sorted('%s/Branch_%d/%s' % (block, branch, layer) for block in blocks
                for branch, layer in enumerate(['Conv2d_0a_1x1', 'Conv2d_0b_3x3',
                                                'Conv2d_0b_3x3', 'Conv2d_0b_1x1']))


BLOCKS = [name for name in BASE if name.startswith('Mixed')]


def test_s3dg_options_change_the_variables():
  with tf.Graph().as_default():
    with slim.arg_scope(s3dg.s3dg_arg_scope()):
      default = _base_variables()
      late = _base_variables(temporal_conv_startat='Mixed_5b', gating_startat='Mixed_4b')
      none = _base_variables(temporal_conv_startat=None, gating_startat=None,
                             first_temporal_kernel_size=7)
  assert _kinds(default) == (sorted(['Conv2d_2c_3x3'] + _block_layers(BLOCKS)),
                             sorted(['Conv2d_2c_3x3'] + _gated(BLOCKS)))
  assert _kinds(late) == (_block_layers(['Mixed_5b', 'Mixed_5c']), _gated(BLOCKS[2:]))
  assert late['InceptionV1/Mixed_4f/Branch_1/Conv2d_0b_3x3/weights'] == [1, 3, 3, 160, 320]
  assert _kinds(none) == ([], [])
  assert none['InceptionV1/Conv2d_1a_7x7/weights'] == [7, 7, 7, 3, 64]
  assert none['InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/weights'] == [1, 3, 3, 96, 128]
  assert not [n for n in default if n.endswith('transformer_W/biases')]


def test_i3d_separable_arg_scope_splits_the_3d_convolutions(graph):
  with slim.arg_scope(i3d.i3d_arg_scope(separable_conv3d=True, use_renorm=True)):
    i3d.i3d_base(placeholder(1, 16, 64, 64, 3), final_endpoint='Mixed_3b')
  found = variables()
  assert _kinds(found) == (sorted(['Conv2d_2c_3x3'] + _block_layers(['Mixed_3b'])), [])
  assert found['InceptionV1/Conv2d_1a_7x7/weights'] == [7, 7, 7, 3, 64]  # never separable
  assert 'InceptionV1/Conv2d_2c_3x3/BatchNorm/renorm_mean' in found


def test_arg_scopes_regularize_and_collect_moving_statistics(graph):
  with slim.arg_scope(s3dg.s3dg_arg_scope(weight_decay=0.5)):
    s3dg.s3dg(placeholder(1, 8, 32, 32, 3), 5, depth_multiplier=0.25)
  weights = [v for v in tf.compat.v1.global_variables() if v.op.name.endswith('/weights')]
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(losses) == len(weights)
  moving = tf.compat.v1.get_collection('moving_vars')
  assert moving and all('/BatchNorm/moving_' in v.op.name for v in moving)
  assert tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)


def test_ncdhw_builds_the_same_variables_and_transposed_end_points(graph):
  with slim.arg_scope(s3dg.s3dg_arg_scope()):
    with tf.compat.v1.variable_scope('last'):
      _, channels_last = s3dg.s3dg(placeholder(2, 8, 32, 32, 3), 5, depth_multiplier=0.25)
    last = {k[len('last/'):]: v for k, v in variables().items()}
    with tf.compat.v1.variable_scope('first'):
      _, channels_first = s3dg.s3dg(placeholder(2, 3, 8, 32, 32), 5, depth_multiplier=0.25,
                                    data_format='NCDHW')
  first = {k[len('first/'):]: v for k, v in variables().items() if k.startswith('first/')}
  assert first == last
  for name in BASE:
    n, d, h, w, c = channels_last[name].shape.as_list()
    assert channels_first[name].shape.as_list() == [n, c, d, h, w], name
  assert channels_first['Logits'].shape.as_list() == [2, 5]


# --- every mode, a thin S3D-G ----------------------------------------------------------------------

def _thin(network, **kwargs):
  spec = nets_factory.get_network_spec(network)
  return harness.in_arg_scope(spec.function, spec.arg_scope, num_classes=7, is_training=False,
                              **kwargs)


THIN = {'s3dg': {'depth_multiplier': 0.25},
        's3dg_like_i3d': {'depth_multiplier': 0.25, 'first_temporal_kernel_size': 7,
                          'gating_startat': None}}


@pytest.mark.parametrize('config', sorted(THIN))
def test_graph_model_and_tf_function_agree(config):
  harness.check_modes(_thin('s3dg', **THIN[config]), harness.clips(32, 8))


@pytest.mark.slow
def test_i3d_graph_model_and_tf_function_agree():
  harness.check_modes(_thin('i3d'), harness.clips(32, 8))


def test_saved_model_round_trip(tmp_path):
  model = slim.Model(_thin('s3dg', **THIN['s3dg']))
  clips = harness.clips(32, 8, seed=3)
  logits, _ = model(clips)
  module = tf.Module()
  module.model = model
  module.serve = tf.function(lambda x: model(x)[0],
                             input_signature=[tf.TensorSpec([None, 8, 32, 32, 3])])
  tf.saved_model.save(module, str(tmp_path / 'saved'))
  loaded = tf.saved_model.load(str(tmp_path / 'saved'))
  harness.assert_close(loaded.serve(clips), logits)
  harness.assert_close(loaded.serve(clips[:1]), logits[:1])


def test_one_training_step_lowers_the_loss():
  spec = nets_factory.get_network_spec('s3dg')

  def network_fn(clips):
    with slim.arg_scope(spec.arg_scope(weight_decay=0.0)):
      # batch norm with its moving statistics: batch 4 has 1 x 1 x 1 maps at the end
      return s3dg.s3dg(clips, 5, depth_multiplier=0.25, is_training=False)

  model = slim.Model(network_fn)
  clips = tf.constant(harness.clips(32, 8, batch=4, seed=5))
  labels = tf.constant([0, 1, 2, 3])
  model(clips)  # creates the variables
  optimizer = tf.keras.optimizers.SGD(0.01)

  def loss_fn():
    logits, _ = model(clips)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

  with tf.GradientTape() as tape:
    before = loss_fn()
  gradients = tape.gradient(before, model.trainable_variables)
  assert all(g is not None for g in gradients)
  optimizer.apply_gradients(zip(gradients, model.trainable_variables))
  assert float(loss_fn()) < float(before)


def test_nets_factory_builds_clips(graph):
  network_fn = nets_factory.get_network_fn('s3dg', num_classes=400, weight_decay=1e-4)
  assert network_fn.default_image_size == 224 and network_fn.__name__ == 's3dg'
  assert nets_factory.networks_map['i3d'] is i3d.i3d
  assert nets_factory.arg_scopes_map['s3dg'] is s3dg.s3dg_arg_scope
  logits, end_points = network_fn(placeholder(2, 8, 32, 32, 3), depth_multiplier=0.25)
  assert logits.shape.as_list() == [2, 400] and 'Predictions' in end_points
  assert tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  spec = nets_factory.get_network_spec('i3d')
  assert (spec.num_frames, spec.is_video, spec.small_build.num_frames) == (64, True, 8)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(NETWORKS))
def test_evaluation_at_full_size(name):
  network_fn = nets_factory.get_network_fn(name, num_classes=1000)
  run = harness.run_in_graph(network_fn, harness.clips(224, 64, batch=2))
  assert run.output.shape == (2, 1000) and np.isfinite(run.output).all()

