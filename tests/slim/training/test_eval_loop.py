"""slim.training.eval_loop and the checkpoint helpers on small nets: waiting for new
checkpoints, moving averages, results, events and errors."""
import json
import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import checkpoints
from slim.training import eval_loop
from slim.training import events
from slim.training import run_log


def net(images, is_training=False):
  return slim.fully_connected(slim.flatten(images), 3, activation_fn=None, scope='fc')


def data():
  rng = np.random.RandomState(0)
  images = rng.rand(10, 2, 2, 1).astype(np.float32)
  labels = rng.randint(0, 3, size=10).astype(np.int64)
  return images, labels


def dataset(batch_size=4):
  return tf.data.Dataset.from_tensor_slices(data()).batch(batch_size)


def eval_fn(model, batch):
  return tf.argmax(model(batch[0]), 1), batch[1]


def save_state(directory, step, scale, shadow_scale=None):
  """Writes model.ckpt-<step> of `net` with weights filled with `scale` (and
  moving averages filled with `shadow_scale`); returns the path."""
  model = slim.Model(net)
  model(data()[0][:1])
  names = dict(model.variables_by_name)
  for name, var in list(names.items()):
    var.assign(tf.fill(var.shape, scale) * tf.cast(tf.range(var.shape[-1]), tf.float32))
    if shadow_scale is not None:
      names[name + '/ExponentialMovingAverage'] = tf.Variable(
          tf.fill(var.shape, shadow_scale) * tf.cast(tf.range(var.shape[-1], 0, -1), tf.float32))
  names['global_step'] = tf.Variable(step, dtype=tf.int64)
  return checkpoints.CheckpointWriter(directory, names).save(step)


def expected_accuracy(weights_increase):
  """fc: logits grow with the class index if weights_increase, else shrink."""
  _, labels = data()
  return float(np.mean(labels == (2 if weights_increase else 0)))


def test_evaluate_checkpoint_with_and_without_moving_averages(tmp_path):
  path = save_state(str(tmp_path), 5, 1.0, shadow_scale=1.0)
  accuracy = slim.metrics.StreamingMetric(slim.metrics.streaming_accuracy)
  plain = eval_loop.evaluate_checkpoint(slim.Model(net), dataset(), eval_fn, accuracy, path)
  averaged = eval_loop.evaluate_checkpoint(slim.Model(net), dataset(), eval_fn, accuracy, path,
                                           use_moving_averages=True)
  assert plain == {'streaming_accuracy': pytest.approx(expected_accuracy(True))}
  assert averaged == {'streaming_accuracy': pytest.approx(expected_accuracy(False))}


def test_evaluate_checkpoint_without_moving_averages_in_it_says_so(tmp_path):
  path = save_state(str(tmp_path), 5, 1.0)
  with pytest.raises(ValueError, match='use_moving_averages is set but the checkpoint .* has '
                                       'no moving averages'):
    eval_loop.evaluate_checkpoint(slim.Model(net), dataset(), eval_fn,
                                  slim.metrics.streaming_accuracy, path,
                                  use_moving_averages=True)


def test_evaluate_checkpoint_of_another_network_lists_what_is_missing(tmp_path):
  path = save_state(str(tmp_path), 5, 1.0)
  other = slim.Model(lambda x: slim.fully_connected(slim.flatten(x), 3, scope='other'))
  with pytest.raises(ValueError, match=r'evaluate_checkpoint: the checkpoint .* lacks 2 '
                                       r'variable\(s\): other/weights, other/biases'):
    eval_loop.evaluate_checkpoint(other, dataset(), eval_fn, slim.metrics.streaming_accuracy,
                                  path)


def test_evaluate_checkpoint_returns_every_value_and_writes_events(tmp_path):
  path = save_state(str(tmp_path / 'train'), 8, 1.0)
  metric = slim.metrics.StreamingMetric(
      lambda predictions, labels: slim.metrics.aggregate_metric_map({
          'eval/Accuracy': slim.metrics.streaming_accuracy(predictions, labels),
          'eval/Mean_label': slim.metrics.streaming_mean(tf.cast(labels, tf.float32))}))
  values = eval_loop.evaluate_checkpoint(slim.Model(net), dataset(), eval_fn, metric, path,
                                         eval_dir=str(tmp_path / 'eval'))
  labels = data()[1]
  assert list(values) == ['eval/Accuracy', 'eval/Mean_label']
  assert values['eval/Mean_label'] == pytest.approx(labels.mean())
  written = {}
  for name in os.listdir(str(tmp_path / 'eval')):
    for event in tf.compat.v1.train.summary_iterator(str(tmp_path / 'eval' / name)):
      for value in event.summary.value:
        written[(event.step, value.tag)] = value.simple_value
  assert written == {(8, 'eval/Accuracy'): pytest.approx(values['eval/Accuracy']),
                     (8, 'eval/Mean_label'): pytest.approx(labels.mean())}


def test_evaluation_logs_batches_and_feeds_the_run_log(tmp_path, caplog):
  caplog.set_level(logging.INFO, logger='tensorflow')
  path = save_state(str(tmp_path / 'train'), 8, 1.0)
  with run_log.RunLog(str(tmp_path / 'run.jsonl')) as log:
    values = eval_loop.evaluate_checkpoint(slim.Model(net), dataset(), eval_fn,
                                           slim.metrics.streaming_accuracy, path, run_log=log)
  lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('eval batch')]
  assert [line.split(' (')[0] for line in lines] == ['eval batch 1/3', 'eval batch 2/3',
                                                     'eval batch 3/3']  # 10 examples by 4
  assert re.search(r'batches/sec, \d+ examples/sec, ETA 0:00:00\)$', lines[-1]), lines
  with open(str(tmp_path / 'run.jsonl')) as f:
    records = [json.loads(line) for line in f]
  assert [r['count'] for r in records[:3]] == [1, 2, 3]
  assert all(r['event'] == 'progress' and r['unit'] == 'batch' for r in records[:3])
  assert records[3]['event'] == 'eval' and records[3]['global_step'] == 8
  assert records[3]['metrics'] == dict(values) and records[3]['checkpoint'] == path


def test_evaluate_new_checkpoints_follows_the_state_file(tmp_path):
  directory = str(tmp_path)
  first = save_state(directory, 1, 1.0)
  found = checkpoints.new_checkpoints(directory, timeout=0.2, seconds_to_sleep=0.05)
  assert next(found) == first
  second = save_state(directory, 2, -1.0)
  assert next(found) == second
  assert next(found, 'stopped') == 'stopped'  # nothing new within the timeout
  results = eval_loop.evaluate_new_checkpoints(
      slim.Model(net), dataset(), eval_fn, slim.metrics.streaming_accuracy, directory,
      eval_interval_secs=0, timeout=0.2, max_number_of_evaluations=5)
  assert list(results) == [second]
  assert results[second]['streaming_accuracy'] == pytest.approx(expected_accuracy(False))


@pytest.mark.parametrize('arguments,error,message', [
    (dict(model=net), TypeError, 'model must be a slim.Model'),
    (dict(dataset=[1]), TypeError, 'dataset must be a tf.data.Dataset'),
    (dict(eval_fn=None), TypeError, 'eval_fn must be a function'),
    (dict(metric='accuracy'), TypeError, 'metric must be a slim.metrics.StreamingMetric'),
    (dict(num_evals=0), ValueError, 'num_evals must be a positive int'),
    (dict(dataset=tf.data.Dataset.range(0)), ValueError, 'the dataset is empty'),
    (dict(checkpoint_path='/no/such/model.ckpt-3'), ValueError, 'no checkpoint at'),
])
def test_evaluate_checkpoint_bad_arguments(tmp_path, arguments, error, message):
  path = save_state(str(tmp_path), 1, 1.0)
  call = dict(model=slim.Model(net), dataset=dataset(), eval_fn=eval_fn,
              metric=slim.metrics.streaming_accuracy, checkpoint_path=path)
  call.update(arguments)
  with pytest.raises(error, match='evaluate_checkpoint: ' + message):
    eval_loop.evaluate_checkpoint(**call)


def test_evaluate_new_checkpoints_bad_count(tmp_path):
  with pytest.raises(ValueError, match='max_number_of_evaluations must be a positive int'):
    eval_loop.evaluate_new_checkpoints(slim.Model(net), dataset(), eval_fn,
                                       slim.metrics.streaming_accuracy, str(tmp_path),
                                       max_number_of_evaluations=0)


def test_event_writer_scales_images_as_the_v1_summary_op(tmp_path):
  writer = events.EventWriter(str(tmp_path))
  positive = np.array([[[[0.0], [0.5]], [[1.0], [2.0]]]], np.float32)
  signed = np.array([[[[-1.0], [0.0]], [[0.5], [1.0]]]], np.float32)
  writer.images(3, {'positive': positive, 'signed': signed, 'bytes': positive.astype(np.uint8)})
  with pytest.raises(ValueError, match='EventWriter.images: flat must be'):
    writer.images(3, {'flat': np.zeros([2, 2])})
  writer.close()
  decoded = {}
  for name in os.listdir(str(tmp_path)):
    for event in tf.compat.v1.train.summary_iterator(str(tmp_path / name)):
      for value in event.summary.value:
        decoded[value.tag] = tf.io.decode_png(value.image.encoded_image_string).numpy()[..., 0]
  np.testing.assert_array_equal(decoded['positive/image'], [[0, 64], [128, 255]])
  np.testing.assert_array_equal(decoded['signed/image'], [[1, 128], [192, 255]])
  np.testing.assert_array_equal(decoded['bytes/image'], [[0, 0], [1, 2]])


def test_resolve_checkpoint(tmp_path):
  path = save_state(str(tmp_path), 4, 1.0)
  assert checkpoints.resolve_checkpoint('f', str(tmp_path)) == path
  assert checkpoints.resolve_checkpoint('f', path + '.data-00000-of-00001') == path
  with pytest.raises(ValueError, match='f: checkpoint_path must be a checkpoint file prefix'):
    checkpoints.resolve_checkpoint('f', None)
  assert checkpoints.checkpoint_step(path) == 4
