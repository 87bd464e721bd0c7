"""create_clones, optimize_clones and deploy in a TF1 graph (research/slim's tests, and more)."""
import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.deployment import model_deploy
from tests.slim.deployment import deploy_helpers as helpers
from tests.slim.deployment.deploy_helpers import assert_device
from tests.slim.graph_training import easy_problem

_UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


@pytest.fixture
def data(graph):
  tf.compat.v1.set_random_seed(0)
  inputs, labels = easy_problem()
  return tf.constant(inputs), tf.constant(labels)


def _sgd():
  return tf.compat.v1.train.GradientDescentOptimizer(learning_rate=1.0)


def _session():
  return tf.compat.v1.Session(config=tf.compat.v1.ConfigProto(allow_soft_placement=True))


def test_create_logistic_classifier(data):
  config = model_deploy.DeploymentConfig(num_clones=1)
  assert slim.get_variables() == []
  clones = model_deploy.create_clones(config, helpers.logistic_classifier, data)
  clone = clones[0]
  assert len(slim.get_variables()) == 2
  for v in slim.get_variables():
    assert_device(v.device, 'CPU:0')
  assert clone.outputs.op.name == 'LogisticClassifier/fully_connected/Sigmoid'
  assert clone.scope == ''
  assert_device(clone.device, 'GPU:0')
  assert len(tf.compat.v1.losses.get_losses()) == 1
  assert tf.compat.v1.get_collection(_UPDATE_OPS) == []


def test_create_single_clone(data):
  config = model_deploy.DeploymentConfig(num_clones=1)
  clones = model_deploy.create_clones(config, helpers.batch_norm_classifier, data)
  assert len(slim.get_variables()) == 5
  for v in slim.get_variables():
    assert_device(v.device, 'CPU:0')
  assert clones[0].outputs.op.name == 'BatchNormClassifier/fully_connected/Sigmoid'
  assert clones[0].scope == ''
  assert_device(clones[0].device, 'GPU:0')
  assert len(tf.compat.v1.losses.get_losses()) == 1
  assert len(tf.compat.v1.get_collection(_UPDATE_OPS)) == 2


@pytest.mark.parametrize('clone_on_cpu', [False, True])
def test_create_multi_clone(data, clone_on_cpu):
  config = model_deploy.DeploymentConfig(num_clones=4, clone_on_cpu=clone_on_cpu)
  clones = model_deploy.create_clones(config, helpers.batch_norm_classifier, data)
  assert len(slim.get_variables()) == 5
  for v in slim.get_variables():
    assert_device(v.device, 'CPU:0')
  assert len(clones) == 4
  for i, clone in enumerate(clones):
    assert clone.outputs.op.name == 'clone_%d/BatchNormClassifier/fully_connected/Sigmoid' % i
    assert clone.scope == 'clone_%d/' % i
    assert_device(clone.device, 'CPU:0' if clone_on_cpu else 'GPU:%d' % i)
    assert_device(clone.outputs.device, clone.device)
    assert len(tf.compat.v1.get_collection(_UPDATE_OPS, clone.scope)) == 2


def test_create_one_clone_with_ps(data):
  config = model_deploy.DeploymentConfig(num_clones=1, num_ps_tasks=1)
  clones = model_deploy.create_clones(config, helpers.batch_norm_classifier, data)
  assert len(clones) == 1
  assert clones[0].outputs.op.name == 'BatchNormClassifier/fully_connected/Sigmoid'
  assert_device(clones[0].device, '/job:worker/device:GPU:0')
  assert clones[0].scope == ''
  assert len(slim.get_variables()) == 5
  for v in slim.get_variables():
    assert_device(v.device, '/job:ps/task:0/CPU:0')


def test_create_multi_clone_with_ps_round_robin(data):
  config = model_deploy.DeploymentConfig(num_clones=2, num_ps_tasks=2)
  clones = model_deploy.create_clones(config, helpers.batch_norm_classifier, data)
  variables = slim.get_variables()
  assert len(variables) == 5
  for i, v in enumerate(variables):
    assert v.device == '/job:ps/task:%d/device:CPU:0' % (i % 2)
  for i, clone in enumerate(clones):
    assert clone.outputs.op.name == 'clone_%d/BatchNormClassifier/fully_connected/Sigmoid' % i
    assert clone.scope == 'clone_%d/' % i
    assert_device(clone.device, '/job:worker/device:GPU:%d' % i)
    assert_device(clone.outputs.device, '/job:worker/device:GPU:%d' % i)


def test_create_clones_passes_args_and_kwargs(graph):
  seen = []

  def model_fn(a, b, c=None):
    seen.append((a, b, c, tf.compat.v1.get_variable_scope().reuse))
    return len(seen)

  config = model_deploy.DeploymentConfig(num_clones=3)
  clones = model_deploy.create_clones(config, model_fn, [1, 2], {'c': 3})
  assert [c.outputs for c in clones] == [1, 2, 3]
  assert seen == [(1, 2, 3, False), (1, 2, 3, True), (1, 2, 3, True)]


@pytest.mark.parametrize('model_fn, num_clones, clone_on_cpu, num_ps_tasks, grad_device', [
    (helpers.logistic_classifier, 1, False, 0, 'GPU:0'),
    (helpers.batch_norm_classifier, 1, False, 0, 'GPU:0'),
    (helpers.batch_norm_classifier, 4, False, 0, ''),
    (helpers.batch_norm_classifier, 4, True, 0, ''),
    (helpers.batch_norm_classifier, 1, False, 1, '/job:worker/device:GPU:0'),
])
def test_optimize_clones(data, model_fn, num_clones, clone_on_cpu, num_ps_tasks, grad_device):
  config = model_deploy.DeploymentConfig(num_clones=num_clones, clone_on_cpu=clone_on_cpu,
                                         num_ps_tasks=num_ps_tasks)
  clones = model_deploy.create_clones(config, model_fn, data)
  total_loss, grads_and_vars = model_deploy.optimize_clones(clones, _sgd())
  assert len(grads_and_vars) == len(tf.compat.v1.trainable_variables())
  assert total_loss.op.name == 'total_loss'
  variables_device = '/job:ps/task:0/CPU:0' if num_ps_tasks else 'CPU:0'
  for grad, var in grads_and_vars:
    assert_device(grad.device, grad_device)
    assert_device(var.device, variables_device)
  if num_clones > 1:  # the sum of the clones' gradients, named after the variable
    assert {g.op.name for g, _ in grads_and_vars} == {
        v.op.name + '/sum_grads' for _, v in grads_and_vars}


def test_optimize_clones_passes_kwargs_to_compute_gradients(data):
  config = model_deploy.DeploymentConfig(num_clones=2)
  clones = model_deploy.create_clones(config, helpers.logistic_classifier, data)
  weights = slim.get_variables_by_name('weights')
  _, grads_and_vars = model_deploy.optimize_clones(clones, _sgd(), var_list=weights)
  assert [v for _, v in grads_and_vars] == weights


def test_clone_losses_are_scaled_and_regularization_counted_once(graph):
  images, labels = helpers.small_net_data(16)
  batches = [(images[:8], labels[:8]), (images[8:], labels[8:])]
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  clones = model_deploy.create_clones(config, helpers.small_net_clone_fn, [batches])
  regularization = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(regularization) == 2  # conv1 and logits weights, made once
  total_loss, _ = model_deploy.optimize_clones(clones, _sgd())
  losses = [tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.LOSSES, c.scope)[0]
            for c in clones]
  weights = slim.get_variables_by_name('weights')
  with _session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    total, clone_losses, weight_values = sess.run([total_loss, losses, weights])
  expected_regularization = sum(0.01 * np.sum(w ** 2) / 2 for w in weight_values)
  assert expected_regularization > 0.01
  np.testing.assert_allclose(total, np.mean(clone_losses) + expected_regularization, rtol=1e-6)


def test_optimize_clones_with_explicit_regularization_losses(data):
  config = model_deploy.DeploymentConfig(num_clones=2)
  clones = model_deploy.create_clones(config, helpers.logistic_classifier, data)
  extra = tf.constant(5.0)
  total_loss, _ = model_deploy.optimize_clones(clones, _sgd(), regularization_losses=[extra])
  unregularized, _ = model_deploy.optimize_clones(clones, _sgd(), regularization_losses=[])
  with _session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    with_extra, without = sess.run([total_loss, unregularized])
  np.testing.assert_allclose(with_extra - without, 5.0, rtol=1e-6)


def test_deploy_trains_two_cpu_clones(data):
  # research/slim's testLocalTrainOp: batch norm statistics from the first clone.
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  assert slim.get_variables() == []
  model = model_deploy.deploy(config, helpers.batch_norm_classifier, data, optimizer=_sgd())
  assert len(tf.compat.v1.get_collection(_UPDATE_OPS)) == 4
  assert len(model.clones) == 2
  assert model.total_loss.op.name == 'total_loss'
  assert model.summary_op.op.name == 'summary_op/summary_op'
  assert model.train_op.op.name == 'train_op'
  moving_mean = slim.get_variables_by_name('moving_mean')[0]
  moving_variance = slim.get_variables_by_name('moving_variance')[0]
  with tf.compat.v1.Session() as sess:  # CPU clones run without soft placement
    sess.run(tf.compat.v1.global_variables_initializer())
    initial_loss = sess.run(model.total_loss)
    np.testing.assert_allclose(sess.run(moving_mean), [0.0] * 4)
    np.testing.assert_allclose(sess.run(moving_variance), [1.0] * 4)
    for _ in range(10):
      sess.run(model.train_op)
    assert sess.run(model.total_loss) < initial_loss / 5.0
    np.testing.assert_allclose(sess.run(moving_mean), [0.125, 0.25, 0.375, 0.25], rtol=1e-5)
    expected_variance = np.array([0.109375, 0.1875, 0.234375, 0.1875]) * 16 / 15  # Bessel
    np.testing.assert_allclose(sess.run(moving_variance), expected_variance, rtol=1e-5)
    assert sess.run(tf.compat.v1.train.get_global_step()) == 10


def _batch_norm_clone_fn(batches):
  inputs, labels = batches.pop(0)
  return helpers.batch_norm_classifier(tf.constant(inputs), tf.constant(labels))


def _ops(items):
  """The ops of update items (assign results are variables or tensors; .op is the op)."""
  return {getattr(item, 'op', item) for item in items}


def _control_closure(op):
  """Every op `op` waits for through control dependencies, recursively."""
  seen, stack = set(), list(op.control_inputs)
  while stack:
    dependency = stack.pop()
    if dependency not in seen:
      seen.add(dependency)
      stack.extend(dependency.control_inputs)
  return seen


def test_deploy_runs_the_update_ops_of_the_first_clone_only(graph):
  inputs, labels = easy_problem()
  first = inputs[:8] * 2.0  # clone 0 and clone 1 see batches of different means
  batches = [(first, labels[:8]), (inputs[8:], labels[8:])]
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  model = model_deploy.deploy(config, _batch_norm_clone_fn, [batches], optimizer=_sgd())
  run_by_train_op = _control_closure(model.train_op.op)
  first_updates = _ops(tf.compat.v1.get_collection(_UPDATE_OPS, 'clone_0/'))
  second_updates = _ops(tf.compat.v1.get_collection(_UPDATE_OPS, 'clone_1/'))
  assert len(first_updates) == len(second_updates) == 2
  assert first_updates <= run_by_train_op
  assert not second_updates & run_by_train_op
  moving_mean = slim.get_variables_by_name('moving_mean')[0]
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(model.train_op)
    np.testing.assert_allclose(sess.run(moving_mean), 0.9 * first.mean(axis=0), rtol=1e-5)


def _summary_tags(summary_op):
  with _session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    return sorted(v.tag for v in tf.compat.v1.Summary.FromString(sess.run(summary_op)).value)


def _regularized_fc():
  inputs = tf.constant(1.0, shape=(10, 20), dtype=tf.float32)
  slim.fully_connected(inputs, 30, weights_regularizer=slim.l2_regularizer(0.001))


@pytest.mark.parametrize('optimizer', [None, _sgd])
def test_no_summaries_on_gpu(graph, optimizer):
  config = model_deploy.DeploymentConfig(num_clones=2)
  model = model_deploy.deploy(config, _regularized_fc,
                              optimizer=optimizer() if optimizer else None)
  assert model.summary_op.op.inputs
  for summary in model.summary_op.op.inputs:
    assert summary.device == '/device:CPU:0'
  if optimizer is None:
    assert model.train_op is None
  assert model.total_loss.op.name == 'total_loss'


def test_deploy_summaries(graph):
  tf.compat.v1.summary.scalar('before', tf.constant(1.0))
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  inputs, labels = easy_problem()

  def model_fn():
    predictions = helpers.logistic_classifier(tf.constant(inputs), tf.constant(labels))
    tf.compat.v1.summary.histogram('predictions', predictions)

  model = model_deploy.deploy(config, model_fn, optimizer=_sgd(), summarize_gradients=True)
  assert _summary_tags(model.summary_op) == [
      'LogisticClassifier/fully_connected/biases_gradient',
      'LogisticClassifier/fully_connected/biases_gradient_norm',
      'LogisticClassifier/fully_connected/weights_gradient',
      'LogisticClassifier/fully_connected/weights_gradient_norm',
      'before',
      'clone_0/clone_0//clone_loss',   # research/slim's tag: scope + '/clone_loss' in the scope
      'clone_0/predictions',           # the first clone's summaries only
      'total_loss_1']


def test_deploy_without_optimizer_sums_clone_losses(data):
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  model = model_deploy.deploy(config, helpers.logistic_classifier, data)
  assert model.train_op is None
  losses = tf.compat.v1.losses.get_losses()
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    total, clone_losses = sess.run([model.total_loss, losses])
  np.testing.assert_allclose(total, np.mean(clone_losses), rtol=1e-6)


def test_deploy_without_losses_has_no_total_loss(graph):
  config = model_deploy.DeploymentConfig()
  model = model_deploy.deploy(config, lambda: tf.constant(1.0))
  assert (model.train_op, model.summary_op, model.total_loss) == (None, None, None)


def test_sum_clones_gradients():
  with tf.Graph().as_default():
    a = tf.Variable(1.0, name='a')
    b = tf.Variable(2.0, name='b')
    c = tf.Variable(3.0, name='c')
    grads = model_deploy._sum_clones_gradients([
        [(tf.constant(1.0), a), (None, b), (None, c)],
        [(tf.constant(2.0), a), (tf.constant(4.0), b), (None, c)]])
    assert [v for _, v in grads] == [a, b]
    assert grads[0][0].op.name == 'a/sum_grads'
    with tf.compat.v1.Session() as sess:
      assert sess.run([g for g, _ in grads]) == [3.0, 4.0]
    with pytest.raises(ValueError, match='different orders'):
      model_deploy._sum_clones_gradients([[(tf.constant(1.0), a)], [(tf.constant(1.0), b)]])


def test_add_gradients_summaries_handles_indexed_slices_and_missing_gradients(graph):
  a = tf.Variable([1.0, 2.0], name='a')
  b = tf.Variable(1.0, name='b')
  slices = tf.IndexedSlices(tf.constant([3.0]), tf.constant([1]), tf.constant([2]))
  summaries = model_deploy._add_gradients_summaries([(slices, a), (None, b)])
  assert [s.op.name for s in summaries] == ['a_gradient', 'a_gradient_norm']
  assert set(summaries) <= set(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES))


def test_gather_clone_loss(graph):
  clone = model_deploy.Clone(None, 'clone_1/', '/device:CPU:0')
  assert model_deploy._gather_clone_loss(clone, 2, []) is None
  weight = tf.Variable(1.0, name='weight')
  with tf.compat.v1.name_scope('clone_1'):
    tf.compat.v1.losses.add_loss(6.0 * weight)
  loss = model_deploy._gather_clone_loss(clone, 2, [tf.constant(1.0)])
  loss_alone, grads = model_deploy._optimize_clone(_sgd(), clone, 3, None)
  assert [v for _, v in grads] == [weight]
  with tf.compat.v1.Session() as sess:
    sess.run(weight.initializer)
    assert sess.run([loss, loss_alone, grads[0][0]]) == [4.0, 2.0, 2.0]


def test_errors_name_the_argument(data):
  config = model_deploy.DeploymentConfig()
  with pytest.raises(TypeError, match=r'deploy: config must be a DeploymentConfig, received 2'):
    model_deploy.deploy(2, helpers.logistic_classifier)
  with pytest.raises(TypeError, match=r'create_clones: model_fn must be callable, received'):
    model_deploy.create_clones(config, 'net')
  with pytest.raises(TypeError, match=r'create_clones: args must be a list or tuple.*received'):
    model_deploy.create_clones(config, helpers.logistic_classifier, data[0])
  with pytest.raises(TypeError, match=r"deploy: kwargs must be a dict.*received \['a'\]"):
    model_deploy.deploy(config, helpers.logistic_classifier, data, kwargs=['a'])
  with pytest.raises(TypeError, match=r'deploy: optimizer must be a tf.compat.v1.train.Opt'):
    model_deploy.deploy(config, helpers.logistic_classifier, data, optimizer='sgd')
  assert slim.get_variables() == []  # no variable made before the errors
  with pytest.raises(ValueError, match=r'optimize_clones: the clones made no loss'):
    model_deploy.optimize_clones(model_deploy.create_clones(config, lambda: None), _sgd())


def test_eager_calls_ask_for_a_graph():
  config = model_deploy.DeploymentConfig()
  for function in (model_deploy.create_clones, model_deploy.deploy):
    with pytest.raises(RuntimeError, match=r'builds a TF1 graph.*distribution_strategy'):
      function(config, lambda: None)
