"""The library functions of the training tools, called with arguments: learning
rate, optimizer, clone function, summaries, progress line, evaluation pieces."""
import os

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.deployment import model_deploy
from slim.preprocessing import preprocessing_factory
from slim.tools import _cli
from slim.tools import _common
from slim.tools import eval_lib
from slim.tools import train_lib as train

_v1 = tf.compat.v1


def _learning_rates(steps, **kwargs):
  with tf.Graph().as_default():
    global_step = _v1.placeholder(tf.int64, [])
    rate = train.configure_learning_rate(global_step=global_step, **kwargs)
    with _v1.Session() as sess:
      values = [sess.run(rate, {global_step: step}) for step in steps]
  return rate.op.name, values


def test_learning_rate_schedules():
  # 1000 examples, batches of 50, 2 epochs per decay: a period of 40 steps.
  common = dict(learning_rate=0.1, num_samples_per_epoch=1000, batch_size=50)
  name, values = _learning_rates([0, 39, 40, 80, 119], learning_rate_decay_type='exponential',
                                 learning_rate_decay_factor=0.5, **common)
  assert name == 'exponential_decay_learning_rate'
  np.testing.assert_allclose(values, [0.1, 0.1, 0.05, 0.025, 0.025], rtol=1e-6)
  name, values = _learning_rates([0, 10, 40, 100], learning_rate_decay_type='polynomial',
                                 end_learning_rate=0.02, **common)
  assert name == 'polynomial_decay_learning_rate'
  np.testing.assert_allclose(values, [0.1, 0.08, 0.02, 0.02], rtol=1e-6)
  name, values = _learning_rates([0, 1000], learning_rate_decay_type='fixed', **common)
  assert name == 'fixed_learning_rate'
  np.testing.assert_allclose(values, [0.1, 0.1])
  # Synchronous replicas: the period divided by the gradients aggregated (40 / 4).
  _, values = _learning_rates([9, 10], learning_rate_decay_type='exponential',
                              learning_rate_decay_factor=0.5, replicas_to_aggregate=4, **common)
  np.testing.assert_allclose(values, [0.1, 0.05], rtol=1e-6)


def test_learning_rate_errors():
  with tf.Graph().as_default():
    step = _v1.train.get_or_create_global_step()
    with pytest.raises(ValueError, match=r"learning_rate_decay_type must be one of fixed, "
                                         r"exponential, polynomial, received 'cosine'"):
      train.configure_learning_rate('cosine', 0.1, step, 1000, 50)
    with pytest.raises(ValueError, match=r'the decay period is under one step \(10 examples '
                                         r'x 2 epochs / batch of 50\)'):
      train.configure_learning_rate('exponential', 0.1, step, 10, 50)


@pytest.mark.parametrize('name, expected_class, hyper_parameters, attributes', [
    ('adadelta', _v1.train.AdadeltaOptimizer, {'adadelta_rho': 0.5},
     {'_rho': 0.5, '_epsilon': 1.0}),
    ('adagrad', _v1.train.AdagradOptimizer, {'adagrad_initial_accumulator_value': 0.3},
     {'_initial_accumulator_value': 0.3}),
    ('adam', _v1.train.AdamOptimizer, {'adam_beta1': 0.8, 'opt_epsilon': 0.1},
     {'_beta1': 0.8, '_beta2': 0.999, '_epsilon': 0.1}),
    ('ftrl', _v1.train.FtrlOptimizer, {'ftrl_l1': 0.01},
     {'_learning_rate_power': -0.5, '_initial_accumulator_value': 0.1,
      '_l1_regularization_strength': 0.01, '_l2_regularization_strength': 0.0}),
    ('momentum', _v1.train.MomentumOptimizer, {'momentum': 0.7}, {'_momentum': 0.7}),
    ('rmsprop', _v1.train.RMSPropOptimizer, {'rmsprop_decay': 0.8, 'adam_beta1': 0.1},
     {'_decay': 0.8, '_momentum': 0.9, '_epsilon': 1.0}),
    ('sgd', _v1.train.GradientDescentOptimizer, {}, {}),
])
def test_configure_optimizer(name, expected_class, hyper_parameters, attributes):
  optimizer = train.configure_optimizer(name, 0.25, **hyper_parameters)
  assert type(optimizer) is expected_class  # pylint: disable=unidiomatic-typecheck
  learning_rate = getattr(optimizer, '_lr', getattr(optimizer, '_learning_rate', None))
  assert learning_rate == 0.25
  for attribute, value in attributes.items():
    assert getattr(optimizer, attribute) == value, attribute
  if name == 'momentum':
    assert optimizer.get_name() == 'Momentum'


def test_configure_optimizer_errors():
  with pytest.raises(ValueError, match=r"optimizer must be one of adadelta, adagrad, adam, "
                                       r"ftrl, momentum, rmsprop, sgd, received 'lamb'"):
    train.configure_optimizer('lamb', 0.1)
  with pytest.raises(ValueError, match=r'unknown hyper-parameters adam_beta3'):
    train.configure_optimizer('adam', 0.1, adam_beta3=0.5)


class _Iterator(object):

  def __init__(self, images, labels):
    self.batch = (tf.constant(images), tf.constant(labels))

  def get_next(self):
    return self.batch


def _aux_network(images):
  """A network with an 'AuxLogits' end point, as Inception's."""
  net = slim.flatten(images)
  aux = slim.fully_connected(net, 3, activation_fn=None, scope='Aux')
  logits = slim.fully_connected(net, 3, activation_fn=None, scope='Logits')
  return logits, {'AuxLogits': aux, 'Logits': logits}


def test_clone_fn_losses_with_aux_logits_and_label_smoothing(graph):
  images = np.random.RandomState(0).rand(4, 2, 2, 1).astype(np.float32)
  labels = np.array([0, 1, 2, 1], np.int64)
  clone_fn = train.make_clone_fn(_aux_network, 3, label_smoothing=0.1)
  end_points = clone_fn(_Iterator(images, labels))
  assert sorted(end_points) == ['AuxLogits', 'Logits']
  losses = _v1.get_collection(_v1.GraphKeys.LOSSES)
  assert [loss.op.name for loss in losses] == ['aux_loss/value',
                                               'softmax_cross_entropy_loss/value']
  summaries = _v1.get_collection(_v1.GraphKeys.SUMMARIES)
  assert len(summaries) == 1
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    aux, logits, aux_loss, loss, summary = sess.run(
        [end_points['AuxLogits'], end_points['Logits']] + losses + summaries)
  smoothed = np.eye(3)[labels] * 0.9 + 0.1 / 3

  def cross_entropy(x):
    log_softmax = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))
    return np.mean(-np.sum(smoothed * log_softmax, axis=1))
  assert aux_loss == pytest.approx(0.4 * cross_entropy(aux), rel=1e-5)
  assert loss == pytest.approx(cross_entropy(logits), rel=1e-5)
  assert [v.tag for v in _v1.Summary.FromString(summary).value] == [
      'images/image/0', 'images/image/1', 'images/image/2']


def test_summaries_of_the_first_clone(graph):
  images = np.zeros((2, 2, 2, 1), np.float32)
  clone_fn = train.make_clone_fn(_aux_network, 3, image_summaries=0)
  clones = model_deploy.create_clones(model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True),
                                      clone_fn,
                                      [_Iterator(images, np.array([0, 1]))])
  summaries = train.summarize_clone(clones[0])
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    tags = {value.tag: value.WhichOneof('value') for value in _v1.Summary.FromString(
        sess.run(_v1.summary.merge(list(summaries)))).value}
  assert tags == {
      'activations/AuxLogits': 'histo', 'activations/Logits': 'histo',
      'sparsity/AuxLogits': 'simple_value', 'sparsity/Logits': 'simple_value',
      'losses/clone_0/aux_loss/value': 'simple_value',
      'losses/clone_0/softmax_cross_entropy_loss/value': 'simple_value',
      'Aux/weights': 'histo', 'Aux/biases': 'histo', 'Logits/weights': 'histo',
      'Logits/biases': 'histo'}


def test_train_tensor_runs_the_update_ops_and_the_step(graph):
  variable = _v1.get_variable('w', initializer=2.0)
  counter = _v1.get_variable('counter', initializer=0.0, trainable=False)
  global_step = _v1.train.get_or_create_global_step()

  def clone_fn():
    _v1.losses.add_loss(tf.square(variable))
  clones = model_deploy.create_clones(model_deploy.DeploymentConfig(clone_on_cpu=True),
                                      clone_fn)
  train_tensor, total_loss = train.build_train_tensor(
      clones, _v1.train.GradientDescentOptimizer(0.25), global_step, [variable],
      [_v1.assign_add(counter, 1.0)])
  assert train_tensor.op.name == 'train_op' and total_loss.op.name == 'total_loss'
  with _v1.Session() as sess:
    sess.run(_v1.global_variables_initializer())
    assert sess.run(train_tensor) == pytest.approx(4.0)
    assert sess.run([variable, counter, global_step]) == [pytest.approx(1.0), 1.0, 1]


def test_image_batches_of_the_digits(digits_dir):
  from slim.datasets import download_and_convert_digits  # pylint: disable=import-outside-toplevel
  expected = sorted(download_and_convert_digits.load_splits()['test'][1])
  dataset = dataset_factory.get_dataset('digits', 'test', digits_dir)
  preprocessing_fn = preprocessing_factory.get_preprocessing('lenet')
  with tf.Graph().as_default(), _v1.Session() as sess:
    train_batches = _common.image_batches(dataset, preprocessing_fn, 24, 8,
                                          is_training=True).get_next()
    eval_batches = _common.image_batches(dataset, preprocessing_fn, 28, 100,
                                         is_training=False).get_next()
    # The digits are grayscale already: --use_grayscale leaves them as they are.
    grayscale_batches = _common.image_batches(
        dataset, preprocessing_factory.get_preprocessing('lenet', use_grayscale=True), 28, 100,
        is_training=False).get_next()
    first, first_grayscale = sess.run([eval_batches, grayscale_batches])
    np.testing.assert_array_equal(first_grayscale[0], first[0])
    eval_batches = _common.image_batches(dataset, preprocessing_fn, 28, 100,
                                         is_training=False).get_next()
    assert train_batches[0].shape.as_list() == [8, 24, 24, 1]
    assert eval_batches[0].shape.as_list() == [None, 28, 28, 1]
    images, labels = sess.run(train_batches)
    assert images.dtype == np.float32 and -1 <= images.min() and images.max() < 1
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() <= 9
    sizes, all_labels = [], []
    while True:
      try:
        batch_images, batch_labels = sess.run(eval_batches)
      except tf.errors.OutOfRangeError:
        break
      sizes.append(len(batch_images))
      all_labels.extend(batch_labels)
  assert sizes == [100, 100, 97]  # one pass
  assert sorted(all_labels) == expected


def test_evaluation_pieces(graph):
  assert eval_lib.num_batches(297, 100) == 3
  assert eval_lib.num_batches(297, 100, max_num_batches=2) == 2
  assert eval_lib.num_batches(300, 100, max_num_batches=7) == 3
  global_step = _v1.train.get_or_create_global_step()
  weights = slim.model_variable('net/weights', shape=[2])
  assert eval_lib.variables_to_restore(None, global_step) == [global_step,
                                                                            weights]
  assert eval_lib.variables_to_restore(0.99, global_step) == {
      'global_step': global_step, 'net/weights/ExponentialMovingAverage': weights}
  logits = tf.constant([[0.1, 0.9, 0, 0, 0, 0], [0.8, 0.1, 0, 0, 0, 0.05],
                        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]])
  values, updates = eval_lib.metric_ops(logits, tf.constant([1, 1, 0], tf.int64))
  assert sorted(values) == ['eval/Accuracy', 'eval/Recall_5']
  with _v1.Session() as sess:
    sess.run(_v1.local_variables_initializer())
    sess.run(list(updates.values()))
    # Top 1: 1 of 3; top 5: the second (0.1 is its second) but not the third (0.0 is last).
    assert sess.run(values) == {'eval/Accuracy': pytest.approx(1 / 3),
                                'eval/Recall_5': pytest.approx(2 / 3)}


def test_write_json_through_a_temporary_name(tmp_path):
  path = str(tmp_path / 'flags.json')
  _cli.write_json(path, {'b': 1, 'a': None})
  _cli.write_json(path, {'b': 2, 'a': 'x'})
  with open(path) as f:
    assert f.read() == '{\n  "a": "x",\n  "b": 2\n}\n'
  assert os.listdir(str(tmp_path)) == ['flags.json']


def test_split_cpu_keeps_enough_devices():
  # Already as many logical CPUs as asked (1): nothing changes, even after the runtime started.
  tf.constant(0)
  assert _common.split_cpu(1) >= 1


def test_batch_size_is_per_clone_and_the_schedule_counts_the_global_batch(digits_dir, tmp_path):
  from slim.tools import train_image_classifier  # pylint: disable=import-outside-toplevel
  flags = train_image_classifier.parse_flags([
      '--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
      '--train_dir=' + str(tmp_path), '--num_clones=2', '--clone_on_cpu', '--batch_size=8',
      '--learning_rate=0.1', '--num_epochs_per_decay=2', '--learning_rate_decay_factor=0.5'])
  with tf.Graph().as_default():
    graph = train.build_training_graph(flags)
    assert graph.global_batch_size == 16
    assert [clone.outputs['Logits'].shape.as_list() for clone in graph.clones] == [[8, 10]] * 2
    assert sorted(op.name for op in tf.compat.v1.get_default_graph().get_operations()
                  if op.type == 'IteratorGetNext') == ['clone_0/IteratorGetNext',
                                                       'clone_1/IteratorGetNext']
    # 1500 training digits x 2 epochs / 16 images per step: a decay every 187 steps.
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      rates = []
      for step in (186, 187):
        graph.global_step.load(step, session)
        rates.append(session.run(graph.learning_rate))
  assert rates == pytest.approx([0.1, 0.05])
