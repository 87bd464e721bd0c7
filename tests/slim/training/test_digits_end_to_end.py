"""End to end on the digits: the TF2 loop trains a LeNet-like net from the `datasets`
TFRecords, the TF2 evaluation and graph-mode code read its checkpoints alike."""
import os
import types

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.training import checkpoints
from slim.training import eval_loop
from slim.training import loop
from tests.slim import event_files
from tests.slim.training import digits_setup

BATCH_SIZE = 32
STEPS = 400


def decay_schedule(step):
  return tf.compat.v1.train.exponential_decay(0.05, step, 100, 0.9, staircase=True)


@pytest.fixture(scope='module')
def trained(digits_dir, tmp_path_factory):
  """LeNet-like trained 400 steps from the digits TFRecords, read per replica by a
  dataset function, with momentum, a decaying learning rate and moving averages."""
  data_dir = digits_dir
  train_dir = str(tmp_path_factory.mktemp('train'))

  def dataset_fn(input_context):
    provider = slim.dataset_data_provider.DatasetDataProvider(
        dataset_factory.get_dataset('digits', 'train', data_dir), num_epochs=1,
        shuffle=False)
    items = provider.as_dataset(input_context, items=['image', 'label'])
    return (items.map(lambda item: (tf.cast(item['image'], tf.float32) / 255.0,
                                    item['label']))
            .cache().shuffle(1500, seed=0).repeat()
            .batch(input_context.get_per_replica_batch_size(BATCH_SIZE)))

  model = slim.Model(digits_setup.lenet_like)
  result = loop.train(
      model, dataset_fn, digits_setup.loss_fn,
      lambda lr: tf.compat.v1.train.MomentumOptimizer(lr, 0.9, name='Momentum'),
      train_dir=train_dir, max_number_of_steps=STEPS, learning_rate=decay_schedule,
      moving_average_decay=0.99, save_interval_steps=100, save_summaries_steps=50,
      image_summary_fn=lambda batch: {'images': batch[0]})
  return types.SimpleNamespace(model=model, result=result, train_dir=train_dir)


def evaluate(checkpoint_path, **kwargs):
  return eval_loop.evaluate_checkpoint(
      slim.Model(digits_setup.lenet_like), digits_setup.test_dataset(), digits_setup.eval_fn,
      digits_setup.accuracy_metric(), checkpoint_path, **kwargs)


def test_lenet_reaches_95_percent_test_accuracy_and_tf2_eval_agrees(trained):
  accuracy = digits_setup.numpy_accuracy(trained.model)
  print('test accuracy after %d steps: %.4f (final loss %.4f)'
        % (STEPS, accuracy, trained.result.loss))
  assert accuracy >= 0.95
  assert trained.result.step == STEPS
  values = evaluate(trained.train_dir)  # a fresh model, the directory's latest
  assert list(values) == ['accuracy']
  assert values['accuracy'] == pytest.approx(accuracy, abs=1e-6)


def test_checkpoints_and_summaries_of_the_run(trained):
  names = set(tf.io.gfile.listdir(trained.train_dir))
  assert {'model.ckpt-%d.index' % s for s in range(100, STEPS + 1, 100)} <= names
  assert tf.train.latest_checkpoint(trained.train_dir) == trained.result.checkpoint_path
  stored = set(tf.train.load_checkpoint(trained.result.checkpoint_path)
               .get_variable_to_shape_map())
  model_names = set(trained.model.variables_by_name)
  assert stored == (model_names | {'global_step'} |
                    {n + '/Momentum' for n in model_names} |
                    {n + '/ExponentialMovingAverage' for n in model_names})
  scalars = event_files.scalars_by_step(trained.train_dir)
  assert sorted(scalars) == list(range(50, STEPS + 1, 50))
  for step, values in scalars.items():  # the rate of the step run at global step - 1
    assert values['learning_rate'] == pytest.approx(0.05 * 0.9 ** ((step - 1) // 100))
    assert values['total_loss'] == pytest.approx(
        values['losses/loss'] + values['losses/regularization_loss'], rel=1e-5)
  assert scalars[STEPS]['total_loss'] < scalars[50]['total_loss']


def graph_mode_accuracy(checkpoint_path, use_moving_averages=False):
  """The accuracy graph-mode TF-Slim code computes from the checkpoint."""
  _, (images, labels) = digits_setup.digits()
  with tf.Graph().as_default():
    predictions = tf.argmax(digits_setup.lenet_like(tf.constant(images)), 1)
    accuracy, update = slim.metrics.streaming_accuracy(predictions, tf.constant(labels))
    if use_moving_averages:
      var_list = tf.compat.v1.train.ExponentialMovingAverage(0.99).variables_to_restore(
          slim.get_model_variables())
    else:
      var_list = slim.get_model_variables()
    saver = tf.compat.v1.train.Saver(var_list)
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.local_variables_initializer())
      saver.restore(session, checkpoint_path)
      session.run(update)
      return float(session.run(accuracy))


@pytest.mark.parametrize('use_moving_averages', [False, True])
def test_graph_mode_reads_the_checkpoint_with_the_tf2_accuracy(trained, use_moving_averages):
  path = trained.result.checkpoint_path
  tf2 = evaluate(path, use_moving_averages=use_moving_averages)['accuracy']
  assert graph_mode_accuracy(path, use_moving_averages) == pytest.approx(tf2, abs=1e-6)


def test_slim_evaluation_evaluate_once_reads_the_checkpoint(trained, tmp_path):
  """Waits for slim.evaluation (graph-mode loops, written on another branch)."""
  evaluation = pytest.importorskip('slim.evaluation')
  _, (images, labels) = digits_setup.digits()
  with tf.Graph().as_default():
    predictions = tf.argmax(digits_setup.lenet_like(tf.constant(images)), 1)
    accuracy, update = slim.metrics.streaming_accuracy(predictions, tf.constant(labels))
    value = evaluation.evaluate_once('', trained.result.checkpoint_path, str(tmp_path),
                                     num_evals=1, eval_op=update, final_op=accuracy)
  assert value == pytest.approx(evaluate(trained.result.checkpoint_path)['accuracy'],
                                abs=1e-6)


def test_evaluate_new_checkpoints_writes_eval_summaries(trained, tmp_path):
  eval_dir = str(tmp_path / 'eval')
  results = eval_loop.evaluate_new_checkpoints(
      slim.Model(digits_setup.lenet_like), digits_setup.test_dataset(), digits_setup.eval_fn,
      digits_setup.accuracy_metric(), trained.train_dir, eval_dir=eval_dir,
      eval_interval_secs=0, timeout=0.5, max_number_of_evaluations=3)
  assert list(results) == [trained.result.checkpoint_path]  # the latest, then no new one
  accuracy = results[trained.result.checkpoint_path]['accuracy']
  assert event_files.scalars_by_step(eval_dir) == {STEPS: {'accuracy': pytest.approx(accuracy)}}


def test_evaluate_checkpoint_with_num_evals_and_a_metric_function(trained):
  values = eval_loop.evaluate_checkpoint(
      trained.model, digits_setup.test_dataset(batch_size=50), digits_setup.eval_fn,
      slim.metrics.streaming_accuracy, trained.result.checkpoint_path, num_evals=2)
  _, (images, labels) = digits_setup.digits()
  expected = np.mean(np.argmax(trained.model(images[:100]), 1) == labels[:100])
  assert list(values) == ['streaming_accuracy']
  assert values['streaming_accuracy'] == pytest.approx(expected, abs=1e-6)


def test_checkpoint_step_reads_the_global_step(trained):
  assert checkpoints.checkpoint_step(trained.result.checkpoint_path) == STEPS
  assert os.path.basename(trained.result.checkpoint_path) == 'model.ckpt-%d' % STEPS
