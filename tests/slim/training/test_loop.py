"""slim.training.loop.train on the default strategy: optimizers and their checkpoint
names, gradients, stopping, resuming, NaN, logging and argument errors."""
import functools
import json
import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import checkpoints
from slim.training import loop
from slim.training import restore
from slim.training import run_log
from tests.slim import event_files
from tests.slim.training import digits_setup


def small_net(images, is_training=False, batch_norm=True):
  normalizer = dict(normalizer_fn=slim.batch_norm,
                    normalizer_params={'is_training': is_training}) if batch_norm else {}
  net = slim.conv2d(images, 4, [3, 3], scope='conv1', **normalizer)
  return slim.fully_connected(slim.flatten(net), 3, activation_fn=None, scope='logits')


def random_batches(batch_size=8, seed=0, count=None):
  rng = np.random.RandomState(seed)
  images = rng.rand(32, 6, 6, 1).astype(np.float32)
  labels = rng.randint(0, 3, size=32).astype(np.int64)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels)).repeat().batch(batch_size)
  return dataset.take(count) if count else dataset


def checkpoint_names(path):
  return set(tf.train.load_checkpoint(path).get_variable_to_shape_map())


def graph_mode_names(make_optimizer, moving_average_decay=None):
  """The global variable names graph-mode TF-Slim training gives the same setup."""
  with tf.Graph().as_default():
    images = tf.compat.v1.placeholder(tf.float32, [8, 6, 6, 1])
    labels = tf.compat.v1.placeholder(tf.int64, [8])
    global_step = slim.get_or_create_global_step()
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(
        labels, small_net(images, is_training=True))
    optimizer = make_optimizer(0.01)
    train_op = optimizer.minimize(loss, global_step=global_step)
    if moving_average_decay:
      ema = tf.compat.v1.train.ExponentialMovingAverage(moving_average_decay, global_step)
      with tf.control_dependencies([train_op]):
        ema.apply(slim.get_model_variables())
    return {v.op.name for v in tf.compat.v1.global_variables()}


OPTIMIZERS = {
    'momentum': lambda lr: tf.compat.v1.train.MomentumOptimizer(lr, 0.9, name='Momentum'),
    'rmsprop': lambda lr: tf.compat.v1.train.RMSPropOptimizer(lr, momentum=0.9),
    'adam': tf.compat.v1.train.AdamOptimizer,
}


@pytest.mark.parametrize('name', sorted(OPTIMIZERS))
def test_checkpoint_names_are_the_graph_mode_names(tmp_path, name):
  expected = graph_mode_names(OPTIMIZERS[name], moving_average_decay=0.99)
  for run in range(2):  # eager names get uniquified in a process; checkpoints do not
    model = slim.Model(small_net)
    result = loop.train(model, random_batches(), digits_setup.loss_fn, OPTIMIZERS[name],
                        train_dir=str(tmp_path / str(run)), max_number_of_steps=3,
                        learning_rate=0.01, moving_average_decay=0.99)
    assert result.step == 3
    assert checkpoint_names(result.checkpoint_path) == expected
  suffixes = {n.split('/')[-1] for n in expected if n.startswith('conv1/weights/')}
  assert suffixes == {'momentum': {'Momentum', 'ExponentialMovingAverage'},
                      'rmsprop': {'RMSProp', 'RMSProp_1', 'ExponentialMovingAverage'},
                      'adam': {'Adam', 'Adam_1', 'ExponentialMovingAverage'}}[name]


def test_checkpoint_values_are_the_training_state(tmp_path):
  model = slim.Model(small_net)
  result = loop.train(model, random_batches(), digits_setup.loss_fn, OPTIMIZERS['adam'],
                      train_dir=str(tmp_path), max_number_of_steps=4, learning_rate=0.01,
                      moving_average_decay=0.5)
  reader = tf.train.load_checkpoint(result.checkpoint_path)
  assert reader.get_tensor('global_step') == 4
  assert reader.get_tensor('beta1_power') == pytest.approx(0.9 ** 5)
  for name, var in model.variables_by_name.items():
    np.testing.assert_array_equal(reader.get_tensor(name), var.numpy())
  moving_mean = reader.get_tensor('conv1/BatchNorm/moving_mean')
  assert np.any(moving_mean != 0)  # batch-norm statistics updated in training calls
  # The shadow follows the variable: decay min(0.5, (1 + step) / (10 + step)) < 1.
  shadow = reader.get_tensor('logits/weights/ExponentialMovingAverage')
  assert not np.allclose(shadow, reader.get_tensor('logits/weights'))
  assert os.path.exists(os.path.join(str(tmp_path), 'checkpoint'))


def test_v1_optimizer_eagerly_on_a_model_names_slots_as_graph_mode():
  model = slim.Model(functools.partial(small_net, batch_norm=False))
  images, labels = next(iter(random_batches()))
  optimizer = tf.compat.v1.train.RMSPropOptimizer(0.01, momentum=0.9)
  for _ in range(2):
    with tf.GradientTape() as tape:
      loss = digits_setup.loss_fn(model, (images, labels))
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
  slot = optimizer.get_slot(model.variables_by_name['logits/weights'], 'rms')
  assert slot.name.startswith('logits/weights/RMSProp')
  assert slot.shape == model.variables_by_name['logits/weights'].shape


def linear_model():
  """logits = x @ w (no bias): its gradients are known in closed form."""
  return slim.Model(lambda x, is_training=False: slim.fully_connected(
      x, 2, activation_fn=None, biases_initializer=None,
      weights_initializer=tf.compat.v1.ones_initializer(), scope='fc'))


def linear_loss(model, batch):
  return tf.reduce_sum(model(batch, is_training=True) * tf.constant([1.0, 2.0]))


def test_gradient_multipliers_then_clipping_are_applied():
  batch = np.array([[3.0, 4.0]], np.float32)  # dloss/dw = outer(x, [1, 2])
  gradient = np.outer(batch[0], [1.0, 2.0])
  dataset = tf.data.Dataset.from_tensors(batch).repeat()
  for multiplier, clip in ((0.5, 0), (1.0, 2.0), (3.0, 2.0)):
    model = linear_model()
    loop.train(model, dataset, linear_loss, tf.compat.v1.train.GradientDescentOptimizer(1.0),
               max_number_of_steps=1, clip_gradient_norm=clip,
               gradient_multipliers={'fc/weights': multiplier})
    expected = gradient * multiplier
    if clip:
      expected *= min(1.0, clip / np.linalg.norm(expected))
    np.testing.assert_allclose(model.variables[0].numpy(), 1.0 - expected, rtol=1e-6)


def test_regularization_losses_are_added_to_the_loss():
  scale, rate = 0.1, 0.5
  model = slim.Model(lambda x, is_training=False: slim.fully_connected(
      x, 2, weights_regularizer=slim.l2_regularizer(scale), scope='fc'))
  batch = np.ones([1, 3], np.float32)
  model(batch)
  initial = model.variables_by_name['fc/weights'].numpy()
  result = loop.train(model, tf.data.Dataset.from_tensors(batch).repeat(),
                      lambda m, b: 0.0 * tf.reduce_sum(m(b, is_training=True)),
                      tf.compat.v1.train.GradientDescentOptimizer(rate), max_number_of_steps=3)
  # d(scale * |w|^2 / 2)/dw = scale * w: each step multiplies w by 1 - rate * scale.
  np.testing.assert_allclose(model.variables_by_name['fc/weights'].numpy(),
                             initial * (1 - rate * scale) ** 3, rtol=1e-5)
  assert result.loss == pytest.approx(scale * np.sum(initial ** 2) / 2 * (1 - rate * scale) ** 4,
                                      rel=1e-5)


def test_variables_to_train_leave_the_others_and_their_slots_alone(tmp_path):
  model = slim.Model(small_net)
  model(np.zeros([1, 6, 6, 1], np.float32))
  before = {name: var.numpy() for name, var in model.variables_by_name.items()}
  to_train = restore.get_variables_to_train('logits', model)
  result = loop.train(model, random_batches(), digits_setup.loss_fn, OPTIMIZERS['momentum'],
                      train_dir=str(tmp_path), max_number_of_steps=3, learning_rate=0.1,
                      variables_to_train=to_train)
  for name, var in model.variables_by_name.items():
    changed = not np.array_equal(before[name], var.numpy())
    assert changed == (name.startswith('logits') or 'moving_' in name), name
  slots = {n for n in checkpoint_names(result.checkpoint_path) if n.endswith('/Momentum')}
  assert slots == {'logits/weights/Momentum', 'logits/biases/Momentum'}


def test_learning_rate_schedule_of_the_global_step_is_used_and_summarized(tmp_path):
  schedule = lambda step: tf.compat.v1.train.exponential_decay(0.5, step, 2, 0.1,
                                                               staircase=True)
  model = linear_model()
  batch = np.array([[1.0, 0.0]], np.float32)
  loop.train(model, tf.data.Dataset.from_tensors(batch).repeat(), linear_loss,
             tf.compat.v1.train.GradientDescentOptimizer, train_dir=str(tmp_path),
             max_number_of_steps=5, learning_rate=schedule, save_summaries_steps=1)
  # Steps run at global steps 0..4: learning rates 0.5, 0.5, 0.05, 0.05, 0.005.
  rates = [0.5, 0.5, 0.05, 0.05, 0.005]
  np.testing.assert_allclose(model.variables[0].numpy()[0], 1.0 - sum(rates) * np.array([1, 2]),
                             rtol=1e-5)
  summaries = event_files.scalars_by_step(str(tmp_path))
  assert [round(summaries[step]['learning_rate'], 6) for step in range(1, 6)] == rates
  assert set(summaries[5]) == {'total_loss', 'losses/loss', 'losses/regularization_loss',
                               'learning_rate', 'global_step/sec'}


def test_resume_continues_the_global_step_and_values(tmp_path):
  model = slim.Model(small_net)
  first = loop.train(model, random_batches(), digits_setup.loss_fn, OPTIMIZERS['momentum'],
                     train_dir=str(tmp_path), max_number_of_steps=4, learning_rate=0.1)
  saved = {name: var.numpy() for name, var in model.variables_by_name.items()}
  fresh = slim.Model(small_net)
  init_calls = []
  again = loop.train(fresh, random_batches(), digits_setup.loss_fn, OPTIMIZERS['momentum'],
                     train_dir=str(tmp_path), max_number_of_steps=4, learning_rate=0.1,
                     init_fn=init_calls.append)
  assert (again.step, again.loss, again.checkpoint_path) == (4, None, first.checkpoint_path)
  assert not init_calls  # a checkpoint in train_dir wins over init_fn
  for name, var in fresh.variables_by_name.items():
    np.testing.assert_array_equal(var.numpy(), saved[name])
  more = loop.train(fresh, random_batches(), digits_setup.loss_fn, OPTIMIZERS['momentum'],
                    train_dir=str(tmp_path), max_number_of_steps=6, learning_rate=0.1)
  assert more.step == 6 and more.checkpoint_path.endswith('model.ckpt-6')
  assert tf.train.load_checkpoint(more.checkpoint_path).get_tensor('global_step') == 6


def test_init_fn_runs_without_a_checkpoint_once_the_variables_exist(tmp_path):
  seen = []
  loop.train(slim.Model(small_net), random_batches(), digits_setup.loss_fn,
             tf.compat.v1.train.GradientDescentOptimizer(0.1), train_dir=str(tmp_path),
             max_number_of_steps=1, init_fn=lambda m: seen.append(len(m.variables)))
  assert seen == [6]


def test_a_state_file_names_the_checkpoint_resumed_never_a_partial_one(tmp_path):
  model = slim.Model(small_net)
  loop.train(model, random_batches(), digits_setup.loss_fn,
             tf.compat.v1.train.GradientDescentOptimizer(0.1), train_dir=str(tmp_path),
             max_number_of_steps=2)
  # A write killed midway: files of step 9 without the state file naming them.
  for suffix in ('.index', '.data-00000-of-00001'):
    with open(os.path.join(str(tmp_path), 'model.ckpt-9' + suffix), 'wb') as f:
      f.write(b'partial')
  result = loop.train(slim.Model(small_net), random_batches(), digits_setup.loss_fn,
                      tf.compat.v1.train.GradientDescentOptimizer(0.1),
                      train_dir=str(tmp_path), max_number_of_steps=3)
  assert result.step == 3  # resumed from step 2, the state file's


def test_saves_by_steps_and_seconds_keeping_max_to_keep_across_runs(tmp_path):
  def run(steps, **kwargs):
    return loop.train(slim.Model(small_net), random_batches(), digits_setup.loss_fn,
                      tf.compat.v1.train.GradientDescentOptimizer(0.1),
                      train_dir=str(tmp_path), max_number_of_steps=steps, max_to_keep=2,
                      **kwargs)

  def steps_on_disk():
    return sorted(int(n.split('-')[1].split('.')[0]) for n in os.listdir(str(tmp_path))
                  if n.endswith('.index'))

  run(3, save_interval_secs=1e-6)  # every step
  assert steps_on_disk() == [2, 3]
  run(7, save_interval_secs=None, save_interval_steps=2)  # 5, 7 and the end
  assert steps_on_disk() == [5, 7]
  state = tf.train.get_checkpoint_state(str(tmp_path))
  assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
      'model.ckpt-5', 'model.ckpt-7']


def test_stops_when_the_dataset_ends_and_without_train_dir_writes_nothing(tmp_path):
  result = loop.train(slim.Model(small_net), random_batches(count=5), digits_setup.loss_fn,
                      tf.compat.v1.train.GradientDescentOptimizer(0.1))
  assert result.step == 5 and result.checkpoint_path is None and np.isfinite(result.loss)


def test_nan_loss_stops_with_the_step_number_and_saves_nothing_of_it(tmp_path):
  rng = np.random.RandomState(0)
  images = rng.rand(6, 4, 6, 6, 1).astype(np.float32)
  images[3, 0, 0, 0, 0] = np.nan  # the 4th batch
  labels = rng.randint(0, 3, size=(6, 4)).astype(np.int64)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels))
  with pytest.raises(tf.errors.InvalidArgumentError, match=r'loss is nan at global step 4'):
    loop.train(slim.Model(small_net), dataset, digits_setup.loss_fn,
               tf.compat.v1.train.GradientDescentOptimizer(0.1), train_dir=str(tmp_path),
               save_interval_steps=1)
  assert os.path.basename(tf.train.latest_checkpoint(str(tmp_path))) == 'model.ckpt-3'


def test_progress_line_gives_step_loss_speed_and_eta(caplog):
  caplog.set_level(logging.INFO, logger='tensorflow')
  loop.train(slim.Model(small_net), random_batches(), digits_setup.loss_fn,
             tf.compat.v1.train.GradientDescentOptimizer(0.1), max_number_of_steps=4,
             log_every_n_steps=2)
  lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('global step ')]
  assert len(lines) == 2
  pattern = (r'global step %d/4: loss = \d+\.\d{4} \(\d+\.\d{2} steps/sec, \d+ examples/sec, '
             r'ETA \d+:\d\d:\d\d\)$')
  assert re.match(pattern % 2, lines[0]), lines[0]
  assert re.match(pattern % 4, lines[1]) and lines[1].endswith('ETA 0:00:00)'), lines[1]


def test_progress_ends_with_the_input_and_feeds_the_run_log(tmp_path, caplog):
  caplog.set_level(logging.INFO, logger='tensorflow')
  path = str(tmp_path / 'run.jsonl')
  with run_log.RunLog(path) as log:
    loop.train(slim.Model(small_net), random_batches(count=3), digits_setup.loss_fn,
               lambda rate: tf.compat.v1.train.GradientDescentOptimizer(rate),
               learning_rate=0.05, log_every_n_steps=2, run_log=log)
  lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('global step ')]
  assert [line.split(':')[0] for line in lines] == ['global step 2', 'global step 3']
  assert all(re.search(r'steps/sec, \d+ examples/sec\)$', line) for line in lines), lines
  with open(path) as f:
    records = [json.loads(line) for line in f]
  assert [(r['event'], r['global_step']) for r in records] == [('step', 2), ('step', 3)]
  for record, line in zip(records, lines):
    assert record['learning_rate'] == pytest.approx(0.05)
    assert '%.4f' % record['loss'] in line and record['examples_per_sec'] > 0


def test_image_summaries(tmp_path):
  loop.train(slim.Model(small_net), random_batches(), digits_setup.loss_fn,
             tf.compat.v1.train.GradientDescentOptimizer(0.1), train_dir=str(tmp_path),
             max_number_of_steps=2, image_summary_fn=lambda batch: {'images': batch[0]})
  tags = set()
  for name in os.listdir(str(tmp_path)):
    if 'tfevents' in name:
      for event in tf.compat.v1.train.summary_iterator(os.path.join(str(tmp_path), name)):
        for value in event.summary.value:
          if value.WhichOneof('value') == 'image':
            tags.add(value.tag)
            assert (value.image.height, value.image.width, value.image.colorspace) == (6, 6, 1)
            decoded = tf.io.decode_png(value.image.encoded_image_string).numpy()
            assert decoded.shape == (6, 6, 1) and decoded.max() == 255
  assert tags == {'images/image/0', 'images/image/1', 'images/image/2'}


def test_model_built_outside_the_strategy_scope_is_refused():
  model = slim.Model(small_net)
  model(np.zeros([1, 6, 6, 1], np.float32))
  strategy = tf.distribute.OneDeviceStrategy('/cpu:0')
  with pytest.raises(ValueError, match="built outside this strategy's scope"):
    loop.train(model, random_batches(), digits_setup.loss_fn,
               tf.compat.v1.train.GradientDescentOptimizer(0.1), strategy=strategy,
               max_number_of_steps=1)


def test_one_device_strategy_trains():
  model = slim.Model(small_net)
  result = loop.train(model, random_batches(), digits_setup.loss_fn,
                      tf.compat.v1.train.GradientDescentOptimizer(0.1),
                      strategy=tf.distribute.OneDeviceStrategy('/cpu:0'),
                      max_number_of_steps=2)
  assert result.step == 2


SGD = tf.compat.v1.train.GradientDescentOptimizer(0.1)
BAD_ARGUMENTS = [
    (dict(model=small_net), TypeError, 'model must be a slim.Model'),
    (dict(dataset=[1, 2]), TypeError, 'dataset must be a tf.data.Dataset'),
    (dict(loss_fn=None), TypeError, 'loss_fn must be'),
    (dict(optimizer='sgd'), TypeError, 'optimizer must be a tf.compat.v1.train.Optimizer'),
    (dict(optimizer=lambda lr: 'sgd', learning_rate=0.1), TypeError, 'must return a'),
    (dict(optimizer=tf.compat.v1.train.GradientDescentOptimizer), ValueError,
     'needs learning_rate'),
    (dict(learning_rate=0.1), ValueError, 'already has its learning rate'),
    (dict(learning_rate='0.1', optimizer=tf.compat.v1.train.GradientDescentOptimizer),
     TypeError, 'learning_rate must be a number'),
    (dict(max_number_of_steps=0), ValueError, 'max_number_of_steps must be a positive int'),
    (dict(save_interval_secs=-1), ValueError, 'save_interval_secs must be a positive'),
    (dict(clip_gradient_norm=-1.0), ValueError, 'clip_gradient_norm must be'),
    (dict(moving_average_decay=1.5), ValueError, 'moving_average_decay must be in'),
    (dict(gradient_multipliers=[1.0]), TypeError, 'gradient_multipliers must be a dict'),
    (dict(gradient_multipliers={'no/such': 2.0}), ValueError, "key 'no/such' is not"),
    (dict(strategy='mirrored'), TypeError, 'strategy must be a tf.distribute.Strategy'),
    (dict(dataset=random_batches(count=1).take(0)), ValueError, 'the dataset is empty'),
    (dict(loss_fn=lambda m, b: m(b[0], is_training=True)), ValueError,
     'must return a scalar loss'),
]


@pytest.mark.parametrize('overrides,error,message', BAD_ARGUMENTS,
                         ids=[m for _, _, m in BAD_ARGUMENTS])
def test_bad_arguments_are_refused_before_variables_exist(overrides, error, message):
  model = slim.Model(small_net)
  arguments = dict(model=model, dataset=random_batches(), loss_fn=digits_setup.loss_fn,
                   optimizer=SGD, max_number_of_steps=1)
  arguments.update(overrides)
  with pytest.raises(error, match=message):
    loop.train(**arguments)
  if 'scalar' not in message and 'is not' not in message:
    assert not model.built


def test_train_state_names_refuse_two_variables_with_one_name():
  model = slim.Model(functools.partial(small_net, batch_norm=False))
  model(np.zeros([1, 6, 6, 1], np.float32))
  step = tf.Variable(0, dtype=tf.int64, name='global_step')
  clash = tf.Variable(1.0, name='conv1/weights')
  with pytest.raises(ValueError, match='both named conv1/weights'):
    loop._train_state_names(model, step, SGD, None, [clash])  # pylint: disable=protected-access
  assert checkpoints.variable_name(clash) == 'conv1/weights'
