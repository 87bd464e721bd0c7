"""slim.rev_block / RevBlock / recompute_grad: the memory-saving backward pass
gives the gradients of the plain computation, in graph, eager and tf.function."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import rev_block_lib

CHANNELS = 8
INPUTS = np.random.RandomState(0).rand(6, CHANNELS).astype(np.float32)


def dense(x):
  return slim.fully_connected(x, CHANNELS // 2, activation_fn=tf.nn.tanh, scope='fc')


def dense_with_side(x, side):
  return dense(x) * side[0]


def assert_all_close(first, second, tolerance=1e-5):
  assert len(first) == len(second)
  for a, b in zip(first, second):
    np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize('with_side_input', [False, True])
def test_graph_gradients_equal_the_plain_computation(graph, with_side_input):
  x = tf.constant(INPUTS)
  x1, x2 = tf.split(x, 2, axis=1)
  side = [tf.constant(np.linspace(0.5, 1.5, CHANNELS // 2, dtype=np.float32))]
  kwargs = dict(f_side_input=side) if with_side_input else {}
  f = dense_with_side if with_side_input else dense
  with tf.compat.v1.variable_scope('rev') as scope:
    efficient = tf.concat(slim.rev_block(x1, x2, f, dense, num_layers=3, **kwargs), 1)
    variables = scope.trainable_variables()
  assert len(variables) == 3 * 2 * 2
  assert variables[0].op.name == 'rev/revblock/revlayer_0/f/fc/weights'
  with tf.compat.v1.variable_scope(scope, reuse=True):
    plain = tf.concat(slim.rev_block(x1, x2, f, dense, num_layers=3, is_training=False,
                                     **kwargs), 1)
  assert len(tf.compat.v1.global_variables()) == len(variables)
  sources = [x] + (side if with_side_input else []) + variables
  grads_efficient = tf.gradients(tf.reduce_sum(efficient ** 2), sources)
  grads_plain = tf.gradients(tf.reduce_sum(plain ** 2), sources)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    values = sess.run([efficient, plain, grads_efficient, grads_plain])
  np.testing.assert_allclose(values[0], values[1], rtol=1e-6)
  assert_all_close(values[2], values[3])


def test_backward_inverts_forward(graph):
  block = slim.RevBlock(dense, [dense, dense], num_layers=2)
  x1, x2 = tf.split(tf.constant(INPUTS), 2, axis=1)
  y1, y2 = block.forward(x1, x2)
  inverse = block.backward(y1, y2)
  again = block((y1, y2), forward=False)
  assert len(tf.compat.v1.global_variables()) == 2 * 2 * 2  # reused by later calls
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    first, second, original = sess.run([inverse, again, (x1, x2)])
  assert_all_close(first, original)
  assert_all_close(second, original)


def network(x, efficient):
  x1, x2 = tf.split(x, 2, axis=1)
  return tf.concat(slim.rev_block(x1, x2, dense, dense, num_layers=3, is_training=efficient), 1)


def test_eager_model_gradients_and_tf_function():
  model = slim.Model(network)
  x = tf.constant(INPUTS)
  model(x, True)

  def gradients(efficient):
    with tf.GradientTape() as tape:
      tape.watch(x)
      loss = tf.reduce_sum(model(x, efficient) ** 2)
    return tape.gradient(loss, [x] + list(model.trainable_variables))
  plain = gradients(False)
  assert_all_close(gradients(True), plain)
  assert_all_close(tf.function(gradients)(True), plain)
  assert len(model.variables) == 12


def layer(x, is_recomputing=False):
  CALLS.append(is_recomputing)
  return slim.fully_connected(x, 4, activation_fn=tf.nn.relu, scope='fc')


CALLS = []


def test_recompute_grad_equals_plain_gradients(graph):
  recomputed = slim.recompute_grad(layer)
  with_options = slim.recompute_grad(use_data_dep=True, tupleize_grads=True)(layer)
  x = tf.constant(INPUTS)
  results = []
  del CALLS[:]
  for name, fn in [('plain', layer), ('recompute', recomputed), ('options', with_options)]:
    with tf.compat.v1.variable_scope(name, use_resource=True) as scope:
      out = tf.reduce_sum(fn(x) ** 2)
      results.append((out, tf.gradients(out, [x] + scope.trainable_variables())))
  assert CALLS == [False, False, True, False, True]
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for v in tf.compat.v1.global_variables():  # the same weights in the three scopes
      sess.run(v.assign(tf.ones_like(v) * 0.1))
    values = sess.run(results)
  for out, grads in values[1:]:
    assert out == pytest.approx(values[0][0])
    assert_all_close(grads, values[0][1])


def test_recompute_grad_in_eager_model():
  block = slim.recompute_grad(lambda x: slim.fully_connected(x, 4, scope='fc'))
  model = slim.Model(lambda x, recompute: block(x) if recompute else
                     slim.fully_connected(x, 4, scope='fc'))
  x = tf.constant(INPUTS)
  model(x, True)

  def gradients(recompute):
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(model(x, recompute) ** 2)
    return tape.gradient(loss, model.trainable_variables)
  assert_all_close(gradients(True), gradients(False))


def test_recompute_grad_without_variables(graph):
  @slim.recompute_grad
  def total(*tensors):
    return tf.reduce_sum(tf.concat(tensors, axis=1), axis=1, keepdims=True)
  a, b = tf.constant(INPUTS), tf.constant(INPUTS[:, :2])
  grads = tf.gradients(tf.sqrt(total(a, b)), [a, b])
  with tf.compat.v1.Session() as sess:
    grad_a, grad_b = sess.run(grads)
  expected = 0.5 / np.sqrt(INPUTS.sum(1) + INPUTS[:, :2].sum(1))
  np.testing.assert_allclose(grad_a, np.repeat(expected[:, None], CHANNELS, 1), rtol=1e-5)
  np.testing.assert_allclose(grad_b, np.repeat(expected[:, None], 2, 1), rtol=1e-5)


def test_recompute_grad_called_twice_in_one_scope_fails(graph):
  @slim.recompute_grad
  def fc(inputs):
    return slim.fully_connected(inputs, 2)
  x = tf.ones([2, 4])
  with tf.compat.v1.variable_scope('layer', use_resource=True):
    out = tf.reduce_sum(fc(x) + fc(x))
  with pytest.raises(ValueError, match='called twice in the same enclosing scope'):
    tf.gradients(out, [x] + tf.compat.v1.trainable_variables())


def test_recompute_grad_errors(graph):
  z = tf.ones([2])
  with pytest.raises(ValueError, match='recompute_grad: the decorated function .* closes over '
                                       'Tensor .*local variable name: z'):
    slim.recompute_grad(lambda a: a * z)
  with pytest.raises(ValueError, match='All inputs to function must be Tensors, received 3'):
    slim.recompute_grad(lambda a: a)(3)


@pytest.mark.parametrize('kwargs,message', [
    (dict(num_layers=0), 'RevBlock: num_layers must be a positive int, received 0'),
    (dict(f=[dense]), 'RevBlock: f must be a function or a list of num_layers=2 functions, '
                      'received a list of 1'),
])
def test_rev_block_errors(kwargs, message):
  arguments = dict(f=dense, g=dense, num_layers=2)
  arguments.update(kwargs)
  with pytest.raises(ValueError, match=message):
    rev_block_lib.RevBlock(**arguments)


def test_rev_block_needs_callables():
  with pytest.raises(TypeError, match="RevBlock: g must be callable, received 'dense'"):
    rev_block_lib.RevBlock(f=dense, g='dense', num_layers=2)
