"""The arg scopes of research/slim (initializers, regularizers, batch norm) and
the building blocks used on their own."""
import functools

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.nets import cifarnet, inception_resnet_v2, inception_v4, lenet, mobilenet_v1
from tests.nets_b1 import helpers


def placeholder(*shape):
  return tf.compat.v1.placeholder(tf.float32, shape)


def names(pattern=None):
  return [v.op.name for v in tf.compat.v1.global_variables(pattern)]


def _variable_of(loss):
  """The name of the variable a regularization loss reads."""
  pending, seen = [loss.op], set()
  while pending:
    op = pending.pop()
    if op.type == 'VarHandleOp':
      return op.name
    seen.add(op.name)
    pending.extend(t.op for t in op.inputs if t.op.name not in seen)
  raise AssertionError('no variable behind %s' % loss.name)


def regularized():
  """Names of the variables with a regularization loss in the graph."""
  losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  return sorted(_variable_of(loss) for loss in losses)


@pytest.mark.parametrize('arg_scope', [inception_v4.inception_v4_arg_scope,
                                       inception_resnet_v2.inception_resnet_v2_arg_scope])
def test_inception_batch_norm_scale(graph, arg_scope):
  base = {inception_v4.inception_v4_arg_scope: inception_v4.inception_v4_base,
          inception_resnet_v2.inception_resnet_v2_arg_scope:
              inception_resnet_v2.inception_resnet_v2_base}[arg_scope]
  with slim.arg_scope(arg_scope()):
    base(placeholder(1, 299, 299, 3), final_endpoint='Conv2d_2b_3x3', scope='plain')
  assert names('plain/.*/gamma') == []
  with slim.arg_scope(arg_scope(batch_norm_scale=True)):
    base(placeholder(1, 299, 299, 3), final_endpoint='Conv2d_2b_3x3', scope='scaled')
  gammas = names('scaled/.*/gamma')
  assert gammas == [n[:-len('moving_mean')] + 'gamma'
                    for n in names('scaled/.*/moving_mean')] and len(gammas) == 3


def test_inception_v4_arg_scope(graph):
  scope = inception_v4.inception_v4_arg_scope(weight_decay=0.1, batch_norm_decay=0.9)
  conv = scope[slim.arg_scope_func_key(slim.conv2d)]
  assert conv['normalizer_fn'] is slim.batch_norm and conv['activation_fn'] is tf.nn.relu
  assert conv['normalizer_params'] == {'decay': 0.9, 'epsilon': 0.001, 'fused': None,
                                       'updates_collections': tf.compat.v1.GraphKeys.UPDATE_OPS,
                                       'scale': False}
  assert 'weights_regularizer' in scope[slim.arg_scope_func_key(slim.fully_connected)]
  with slim.arg_scope(scope):
    inception_v4.inception_v4_base(placeholder(1, 299, 299, 3), final_endpoint='Mixed_3a')
  weights = sorted(n for n in names() if n.endswith('weights'))
  assert regularized() == weights and not names('.*/biases')
  scope = inception_v4.inception_v4_arg_scope(use_batch_norm=False)
  conv = scope[slim.arg_scope_func_key(slim.conv2d)]
  assert conv['normalizer_fn'] is None and conv['normalizer_params'] == {}
  with slim.arg_scope(scope):
    inception_v4.inception_v4_base(placeholder(1, 299, 299, 3), final_endpoint='Mixed_3a',
                                   scope='no_bn')
  assert names('no_bn/.*/biases') and not names('no_bn/.*BatchNorm')


def test_inception_resnet_v2_arg_scope_regularizes_biases(graph):
  with slim.arg_scope(inception_resnet_v2.inception_resnet_v2_arg_scope()):
    inception_resnet_v2.block35(placeholder(1, 5, 5, 16))
  # The projection has biases (no batch norm); weights and biases are regularized.
  assert 'Block35/Conv2d_1x1/biases' in names() and not names('Block35/Branch.*/biases')
  assert regularized() == sorted(n for n in names() if n.endswith(('weights', 'biases')))


# The branches of every Inception-v4 block, checked against the table of the
# published checkpoint: (function, input, output, the block's scope in the table).
V4_BLOCKS = [
    (inception_v4.block_inception_a, [1, 5, 5, 384], [1, 5, 5, 384], 'Mixed_5b',
     'BlockInceptionA'),
    (inception_v4.block_reduction_a, [1, 9, 9, 384], [1, 4, 4, 1024], 'Mixed_6a',
     'BlockReductionA'),
    (inception_v4.block_inception_b, [1, 5, 5, 1024], [1, 5, 5, 1024], 'Mixed_6b',
     'BlockInceptionB'),
    (inception_v4.block_reduction_b, [1, 9, 9, 1024], [1, 4, 4, 1536], 'Mixed_7a',
     'BlockReductionB'),
    (inception_v4.block_inception_c, [1, 3, 3, 1536], [1, 3, 3, 1536], 'Mixed_7b',
     'BlockInceptionC'),
]


@pytest.mark.parametrize('block, input_shape, output_shape, mixed, scope', V4_BLOCKS)
def test_inception_v4_blocks(graph, block, input_shape, output_shape, mixed, scope):
  with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
    output = block(placeholder(*input_shape))
    assert block(placeholder(*input_shape), scope=scope, reuse=True) is not None
  assert output.shape.as_list() == output_shape
  prefix = 'InceptionV4/%s/' % mixed
  expected = {n[len(prefix):]: s for n, s in helpers.load_table('inception_v4').items()
              if n.startswith(prefix)}
  found = {v.op.name[len(scope) + 1:]: tuple(v.shape.as_list())
           for v in tf.compat.v1.global_variables()}
  assert found == expected


def residual_model(block, **kwargs):
  """A Model of `block` on 1 x 3 x 3 x 8 inputs whose projection is set to
  weights 0 and biases 20: the block then adds scale * 20 to its input."""
  model = slim.Model(functools.partial(block, **kwargs))
  inputs = np.linspace(-1, 1, 72, dtype=np.float32).reshape(1, 3, 3, 8)
  model(inputs)
  scope = block.__name__.capitalize()
  weights = model.variables_by_name[scope + '/Conv2d_1x1/weights']
  weights.assign(tf.zeros(weights.shape))
  model.variables_by_name[scope + '/Conv2d_1x1/biases'].assign(tf.fill([8], 20.0))
  return model, inputs


@pytest.mark.parametrize('block', [inception_resnet_v2.block35, inception_resnet_v2.block17,
                                   inception_resnet_v2.block8])
def test_residual_blocks(block):
  model, x = residual_model(block, scale=0.25, activation_fn=None)
  np.testing.assert_allclose(model(x), x + 5.0, rtol=1e-6)
  model, x = residual_model(block, scale=0.25)
  np.testing.assert_allclose(model(x), np.maximum(x + 5.0, 0), rtol=1e-6)
  # With relu6 the scaled residual (0.5 * 20 = 10) is clipped to 6 first.
  model, x = residual_model(block, scale=0.5, activation_fn=tf.nn.relu6)
  np.testing.assert_allclose(model(x), np.minimum(np.maximum(x + 6.0, 0), 6), rtol=1e-6)


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
  weights = [n for n in names() if n.endswith('weights')]
  expected = [n for n in weights if regularize_depthwise or 'depthwise' not in n]
  assert regularized() == sorted(expected) and len(expected) == (28 if regularize_depthwise
                                                                 else 15)
  assert names('.*/biases') == ['MobilenetV1/Logits/Conv2d_1c_1x1/biases']
  assert len(names('.*/BatchNorm/gamma')) == 27


def test_mobilenet_v1_arg_scope_normalizer_and_updates(graph):
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(normalizer_fn=None)):
    mobilenet_v1.mobilenet_v1_base(placeholder(1, 32, 32, 3), final_endpoint='Conv2d_1_pointwise',
                                   scope='plain')
  assert not names('plain/.*BatchNorm') and len(names('plain/.*biases')) == 3
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
      batch_norm_updates_collections='my_updates')):
    mobilenet_v1.mobilenet_v1_base(placeholder(1, 32, 32, 3), final_endpoint='Conv2d_0',
                                   scope='updates')
  assert len(tf.compat.v1.get_collection('my_updates')) == 2
  assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)


def initial_values(network_fn, input_shape):
  with tf.Graph().as_default():
    network_fn(tf.compat.v1.placeholder(tf.float32, input_shape))
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      return sess.run({v.op.name: v for v in tf.compat.v1.global_variables()}), regularized()


def test_lenet_arg_scope():
  values, losses = initial_values(helpers.with_arg_scope('lenet'), [1, 28, 28, 1])
  assert losses == []  # weight decay 0 adds no loss
  for name in ('LeNet/conv1/weights', 'LeNet/fc3/weights'):
    assert np.abs(values[name]).max() <= 0.2 and 0.07 < values[name].std() < 0.1
  assert not values['LeNet/fc4/biases'].any()

  def decayed(images):
    with slim.arg_scope(lenet.lenet_arg_scope(weight_decay=0.01)):
      return lenet.lenet(images)
  _, losses = initial_values(decayed, [1, 28, 28, 1])
  assert losses == ['LeNet/conv1/weights', 'LeNet/conv2/weights', 'LeNet/fc3/weights',
                    'LeNet/fc4/weights']


def test_cifarnet_arg_scope():
  values, losses = initial_values(helpers.with_arg_scope('cifarnet'), [1, 32, 32, 3])
  assert losses == ['CifarNet/fc3/weights', 'CifarNet/fc4/weights']
  assert np.abs(values['CifarNet/conv1/weights']).max() <= 0.1
  np.testing.assert_array_equal(values['CifarNet/fc3/biases'], np.full([384], 0.1, np.float32))
  assert not values['CifarNet/logits/biases'].any()
  assert np.abs(values['CifarNet/logits/weights']).max() <= 2 / 192.0
  assert not values['CifarNet/conv1/biases'].any()
