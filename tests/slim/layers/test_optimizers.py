"""slim.optimize_loss and slim.adaptive_clipping_fn: values derived by hand."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.layers import optimizers

SUMMARIES = tf.compat.v1.GraphKeys.SUMMARIES


def model():
  """loss = |w * x| with w = 10: for x = 5 the gradient is 5."""
  x = tf.compat.v1.placeholder(tf.float32, [])
  w = tf.compat.v1.get_variable('w', [], initializer=tf.compat.v1.constant_initializer(10.))
  global_step = tf.compat.v1.train.create_global_step()
  return x, w, tf.abs(w * x), global_step


def run_step(train, x, w, global_step, feed=None):
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    feed_dict = {x: 5.0}
    feed_dict.update(feed or {})
    sess.run(train, feed_dict)
    return sess.run([w, global_step])


@pytest.mark.parametrize('optimizer', [
    'SGD', 'Momentum', tf.compat.v1.train.GradientDescentOptimizer,
    tf.compat.v1.train.GradientDescentOptimizer(0.1),
    lambda lr: tf.compat.v1.train.GradientDescentOptimizer(lr)],
    ids=['name', 'momentum', 'class', 'instance', 'function'])
def test_one_step_is_w_minus_lr_times_gradient(graph, optimizer):
  x, w, loss, step = model()
  train = slim.optimize_loss(loss, step, learning_rate=0.1, optimizer=optimizer)
  assert run_step(train, x, w, step) == pytest.approx([10 - 0.1 * 5, 1])
  learning_rate = tf.compat.v1.global_variables('OptimizeLoss/learning_rate')
  assert len(learning_rate) == 1 and not learning_rate[0] in tf.compat.v1.trainable_variables()


def test_optimizer_function_without_learning_rate(graph):
  x, w, loss, step = model()
  train = slim.optimize_loss(loss, step, learning_rate=None,
                             optimizer=lambda: tf.compat.v1.train.GradientDescentOptimizer(0.2))
  assert run_step(train, x, w, step) == pytest.approx([10 - 0.2 * 5, 1])


@pytest.mark.parametrize('clip,expected', [(0.1, 10 - 0.1 * 0.1), (100.0, 10 - 0.1 * 5)])
def test_clip_by_global_norm(graph, clip, expected):
  x, w, loss, step = model()
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', clip_gradients=clip)
  assert run_step(train, x, w, step)[0] == pytest.approx(expected)


def test_learning_rate_decay_fn_gets_rate_and_step(graph):
  x, w, loss, step = model()
  seen = []

  def halve(learning_rate, global_step):
    seen.append((learning_rate, global_step))
    return learning_rate * 0.5
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', learning_rate_decay_fn=halve)
  assert seen[0][1] is step and seen[0][0].op.name == 'OptimizeLoss/learning_rate'
  assert run_step(train, x, w, step)[0] == pytest.approx(10 - 0.05 * 5)


def test_exponential_decay_with_global_step(graph):
  x, w, loss, step = model()
  decay = lambda lr, gs: tf.compat.v1.train.exponential_decay(lr, gs, 1, 0.5)  # noqa: E731
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', learning_rate_decay_fn=decay)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for _ in range(3):
      sess.run(train, {x: 5.0})
    # steps 0, 1, 2 use rates 0.1, 0.05, 0.025
    assert sess.run(w) == pytest.approx(10 - 5 * (0.1 + 0.05 + 0.025))


@pytest.mark.parametrize('key', ['variable', 'name'])
def test_gradient_multipliers(graph, key):
  x, w, loss, step = model()
  multipliers = {w if key == 'variable' else w.name: 7.0}
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', gradient_multipliers=multipliers)
  assert run_step(train, x, w, step)[0] == pytest.approx(10 - 0.1 * 7 * 5)


def test_gradient_multiplier_tensor_of_another_dtype(graph):
  x, w, loss, step = model()
  factor = tf.compat.v1.placeholder(tf.float64, [])
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', gradient_multipliers={w: factor})
  assert run_step(train, x, w, step, {factor: 3.0})[0] == pytest.approx(10 - 0.1 * 3 * 5)


def test_gradient_noise_changes_the_step(graph):
  tf.compat.v1.set_random_seed(1)
  x, w, loss, step = model()
  unused = tf.compat.v1.get_variable('unused', [])
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', gradient_noise_scale=1.0,
                             gradient_multipliers={unused: 2.0}, clip_gradients=100.0)
  value, _ = run_step(train, x, w, step)
  # truncated normal noise lies within 2 standard deviations
  assert value != pytest.approx(9.5) and abs(value - 9.5) <= 0.2 + 1e-6


def test_update_ops_run_and_global_step_not_incremented(graph):
  x, w, loss, step = model()
  flag = tf.compat.v1.get_variable('flag', [], initializer=tf.compat.v1.zeros_initializer())
  train = slim.optimize_loss(loss, step, 0.1, 'SGD', update_ops=[flag.assign(20.)],
                             increment_global_step=False)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(train, {x: 5.0})
    assert sess.run([w, flag, step]) == pytest.approx([9.5, 20., 0])


def test_update_ops_collection_is_the_default(graph):
  x, w, loss, step = model()
  flag = tf.compat.v1.get_variable('flag', [], initializer=tf.compat.v1.zeros_initializer())
  tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, flag.assign(3.))
  train = slim.optimize_loss(loss, None, 0.1, 'SGD')  # the graph's global step
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(train, {x: 5.0})
    assert sess.run([flag, step]) == pytest.approx([3., 1])


def summary_names():
  return sorted(s.op.name for s in tf.compat.v1.get_collection(SUMMARIES))


def test_default_summaries(graph):
  _, _, loss, step = model()
  slim.optimize_loss(loss, step, 0.1, 'SGD', clip_gradients=1.0)
  # the summary of the variable 'learning_rate' gets the next free op name
  assert summary_names() == ['OptimizeLoss/global_norm/clipped_gradient_norm',
                             'OptimizeLoss/global_norm/gradient_norm',
                             'OptimizeLoss/learning_rate_1', 'OptimizeLoss/loss']


def test_gradient_summaries(graph):
  _, _, loss, step = model()
  slim.optimize_loss(loss, step, 0.1, 'SGD', summaries=['gradients', 'gradient_norm'],
                     name='train')
  assert summary_names() == ['train/global_norm/gradient_norm', 'train/gradient_norm/w_0',
                             'train/gradients/w_0']


def test_optimize_loss_in_tf_function():
  w = tf.Variable(10.0)
  step = tf.Variable(0, dtype=tf.int64)

  @tf.function
  def train(x):
    return slim.optimize_loss(tf.abs(w * x), step, 0.1, 'SGD', variables=[w])
  assert float(train(tf.constant(5.0))) == 50.0
  assert float(train(tf.constant(5.0))) == 47.5
  assert (float(w), int(step)) == (9.0, 2)


def global_step_float():
  return tf.compat.v1.get_variable('gs', [], tf.float64, trainable=False)


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(optimizer='blah'), ValueError,
     r'optimize_loss: Optimizer name should be one of \[Adagrad, Adam, Ftrl, Momentum, '
     r'RMSProp, SGD\], you provided blah'),
    (dict(optimizer=object()), ValueError, 'optimize_loss: Unrecognized optimizer'),
    (dict(optimizer=lambda lr: None), ValueError,
     'optimize_loss: Unrecognized optimizer: function should return'),
    (dict(optimizer='SGD', learning_rate=None), ValueError,
     'optimize_loss: Learning rate is None, but should be specified if optimizer is string'),
    (dict(learning_rate=-0.1), ValueError, 'optimize_loss: Invalid learning_rate -0.1'),
    (dict(learning_rate='0.1'), ValueError,
     'optimize_loss: Learning rate should be 0d Tensor or float'),
    (dict(summaries=['loss', 'bad']), ValueError,
     r'optimize_loss: Summaries should be one of \[.*\], you provided bad'),
    (dict(clip_gradients='big'), ValueError, "optimize_loss: Unknown type <class 'str'> for "
                                             "clip_gradients"),
    (dict(clip_gradients=-1.0), ValueError, 'optimize_loss: clip_gradients must be > 0'),
    (dict(global_step=lambda: tf.constant(3, tf.int64)), AttributeError,
     'optimize_loss: global_step must be a variable'),
    (dict(global_step=global_step_float), TypeError, 'does not have integer type'),
    (dict(loss=lambda: tf.ones([2])), ValueError,
     r'optimize_loss: loss must be a scalar tensor, received shape \(2,\)'),
    (dict(loss=lambda: None), ValueError, 'optimize_loss: loss must be a scalar tensor, '
                                          'received None'),
])
def test_bad_arguments(graph, kwargs, error, message):
  _, _, loss, step = model()
  arguments = dict(loss=loss, global_step=step, learning_rate=0.1, optimizer='SGD')
  arguments.update({k: v() if k in ('global_step', 'loss') else v for k, v in kwargs.items()})
  with pytest.raises(error, match=message):
    slim.optimize_loss(**arguments)


def test_decay_without_global_step(graph):
  x = tf.compat.v1.placeholder(tf.float32, [])
  w = tf.compat.v1.get_variable('w', [])
  with pytest.raises(ValueError, match='global_step is required for learning_rate_decay_fn'):
    slim.optimize_loss(tf.abs(w * x), None, 0.1, 'SGD',
                       learning_rate_decay_fn=lambda lr, gs: lr)
  assert tf.compat.v1.global_variables() == [w]  # nothing was created


def test_eager_call_is_refused():
  with pytest.raises(RuntimeError, match='call it in a TF1 graph or inside a tf.function'):
    slim.optimize_loss(tf.constant(1.0), None, 0.1, 'SGD')


def numpy_adaptive(norms, decay, std_factor=2.0, epsilon=1e-8, with_steps=False):
  """The clipping factor of each step, by the definition."""
  mean = sq_mean = 0.0
  factors = []
  for step, norm in enumerate(norms):
    step_decay = min(decay, step / (step + 1.0)) if with_steps else decay
    log_norm = np.log(norm + epsilon)
    mean += (log_norm - mean) * (1 - step_decay)
    sq_mean += (log_norm ** 2 - sq_mean) * (1 - step_decay)
    std = np.sqrt(max(epsilon, sq_mean - mean ** 2))
    factors.append(1.0 if norm < np.exp(mean + std_factor * std) else np.exp(mean) / norm)
  return factors


# The gradient is ones([3, 4]) * scale, of norm sqrt(12) * scale; 40 is a spike.
SCALES = [1.0, 2.0, 1.5, 1.0, 2.0, 1.5, 40.0, 1.0]
NORMS = [np.sqrt(12) * s for s in SCALES]


@pytest.mark.parametrize('with_steps', [False, True])
def test_adaptive_clipping_in_graph(graph, with_steps):
  scale = tf.compat.v1.placeholder(tf.float32, [])
  step = tf.compat.v1.placeholder(tf.int32, [])
  gradient = tf.ones([3, 4]) * scale
  clip = slim.adaptive_clipping_fn(decay=0.9, global_step=step if with_steps else None)
  clipped = clip([(gradient, gradient)])[0][0]
  names = sorted(v.op.name for v in tf.compat.v1.global_variables())
  assert names == ['AdaptiveMaxNorm/mean', 'AdaptiveMaxNorm/sq_mean']
  expected = numpy_adaptive(NORMS, 0.9, with_steps=with_steps)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for i, (s, factor) in enumerate(zip(SCALES, expected)):
      np.testing.assert_allclose(sess.run(clipped, {scale: s, step: i}),
                                 np.full([3, 4], s * factor), rtol=1e-4)
  if with_steps:
    assert expected[6] < 0.1  # the spike was clipped


def test_adaptive_clipping_in_tf_function():
  clip = slim.adaptive_clipping_fn(decay=0.5, static_max_norm=30.0)

  @tf.function
  def clipped(s):
    gradient = tf.ones([3, 4]) * s
    return clip([(gradient, gradient)])[0][0]
  expected = numpy_adaptive(NORMS, 0.5)
  for s, factor, norm in zip(SCALES, expected, NORMS):
    factor = min(factor, 30.0 / norm)
    np.testing.assert_allclose(clipped(tf.constant(s)), np.full([3, 4], s * factor),
                               rtol=1e-4)


def test_adaptive_clipping_variables_in_optimize_loss_scope(graph):
  x, w, loss, step = model()
  train = slim.optimize_loss(loss, step, 0.1, 'SGD',
                             clip_gradients=slim.adaptive_clipping_fn(global_step=step))
  names = [v.op.name for v in tf.compat.v1.global_variables()
           if v.op.name.startswith('OptimizeLoss/AdaptiveMaxNorm')]
  assert sorted(names) == ['OptimizeLoss/AdaptiveMaxNorm/mean',
                           'OptimizeLoss/AdaptiveMaxNorm/sq_mean']
  # step 0: decay min(0.95, 0/1) = 0, so the averages equal log|g|: no clipping.
  assert run_step(train, x, w, step)[0] == pytest.approx(9.5)


def test_public_names():
  assert set(optimizers.OPTIMIZER_CLS_NAMES) == {'Adagrad', 'Adam', 'Ftrl', 'Momentum',
                                                 'RMSProp', 'SGD'}
  assert optimizers.OPTIMIZER_SUMMARIES == ['learning_rate', 'loss', 'gradients',
                                            'gradient_norm', 'global_gradient_norm']
  assert slim.optimize_loss is optimizers.optimize_loss
