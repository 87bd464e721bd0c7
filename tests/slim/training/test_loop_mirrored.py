"""The TF2 loop under MirroredStrategy on 2 logical CPU devices (in a subprocess:
devices are configured before TensorFlow initializes)."""
import json

from tests.slim import fresh_python

MIRRORED = '''
import functools, json
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import slim
from slim.training import eval_loop, loop
from tests.slim.training import digits_setup

train_dir = %(train_dir)r
report = {}
mirrored = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
report['replicas'] = mirrored.num_replicas_in_sync

# 1. Same start, same global batches: the mirrored steps equal single-device steps.
(images, labels), _ = digits_setup.digits()
batches = tf.data.Dataset.from_tensor_slices((images[:160], labels[:160])).batch(16)
net = functools.partial(digits_setup.lenet_like, weight_decay=1e-3)
# A fixed start: float rounding differs between one batch and two half batches, and from
# an unlucky start it can flip a max-pool choice, which moves a weight by about 1e-4.
tf.random.set_seed(0)
single = slim.Model(net)
single(images[:1])
start = {name: var.numpy() for name, var in single.variables_by_name.items()}

def from_start(model):
  for name, var in model.variables_by_name.items():
    var.assign(start[name])

sgd = lambda lr: tf.compat.v1.train.GradientDescentOptimizer(lr)
single_result = loop.train(single, batches, digits_setup.loss_fn, sgd, learning_rate=0.1,
                           max_number_of_steps=5)
replicated = slim.Model(net)
replicated_result = loop.train(replicated, batches, digits_setup.loss_fn, sgd,
                               learning_rate=0.1, max_number_of_steps=5, strategy=mirrored,
                               init_fn=from_start)
report['same_steps'] = [single_result.step, replicated_result.step]
report['loss_difference'] = abs(single_result.loss - replicated_result.loss)
report['weight_difference'] = max(
    float(np.max(np.abs(var.numpy() - replicated.variables_by_name[name].numpy())))
    for name, var in single.variables_by_name.items())

# 2. Batch norm, RMSProp, moving averages, per-replica input from a dataset function.
def dataset_fn(input_context):
  return digits_setup.train_dataset(input_context.get_per_replica_batch_size(32),
                                    seed=input_context.input_pipeline_id)

model = slim.Model(functools.partial(digits_setup.lenet_like, batch_norm=True))
result = loop.train(model, dataset_fn, digits_setup.loss_fn,
                    lambda lr: tf.compat.v1.train.RMSPropOptimizer(lr, momentum=0.9),
                    learning_rate=lambda step: tf.compat.v1.train.polynomial_decay(
                        0.002, step, 100, 0.0005), strategy=mirrored, train_dir=train_dir,
                    max_number_of_steps=60, moving_average_decay=0.99,
                    log_every_n_steps=None)
report['step'] = result.step
report['loss'] = result.loss
report['mirrored'] = all(len(mirrored.experimental_local_results(v)) == 2
                         for v in model.variables)
def spread(var):
  first, second = mirrored.experimental_local_results(var)
  return float(np.max(np.abs(first.numpy() - second.numpy())))
report['replica_spread'] = max(spread(v) for v in model.variables)
reader = tf.train.load_checkpoint(result.checkpoint_path)
report['names'] = sorted(reader.get_variable_to_shape_map())
report['model_names'] = list(model.variables_by_name)
report['global_step'] = int(reader.get_tensor('global_step'))
report['saved_equals_model'] = all(
    np.array_equal(reader.get_tensor(name), var.numpy())
    for name, var in model.variables_by_name.items())
report['accuracy'] = eval_loop.evaluate_checkpoint(
    slim.Model(functools.partial(digits_setup.lenet_like, batch_norm=True)),
    digits_setup.test_dataset(), digits_setup.eval_fn, digits_setup.accuracy_metric(),
    train_dir)['accuracy']
print('REPORT' + json.dumps(report))
'''


def test_mirrored_strategy_on_two_logical_cpus_trains(tmp_path):
  result = fresh_python.check_ran(fresh_python.run_python(
      MIRRORED % {'train_dir': str(tmp_path / 'train')}, timeout=400))
  line = [l for l in result.stdout.splitlines() if l.startswith('REPORT')][-1]
  report = json.loads(line[len('REPORT'):])
  print({k: v for k, v in report.items() if 'names' not in k})
  assert report['replicas'] == 2
  # Gradients of the two half batches sum to the single-device gradient.
  assert report['same_steps'] == [5, 5]
  assert report['loss_difference'] < 1e-4
  assert report['weight_difference'] < 1e-5
  # The global step counts steps, not replica steps; replicas agree after a save.
  assert report['step'] == report['global_step'] == 60
  assert report['mirrored'] and report['replica_spread'] == 0.0
  assert report['saved_equals_model']
  model_names = report['model_names']
  trainable = [n for n in model_names if 'moving_' not in n]
  assert set(report['names']) == (
      set(model_names) | {'global_step'} | {n + '/ExponentialMovingAverage' for n in model_names}
      | {n + '/RMSProp' for n in trainable} | {n + '/RMSProp_1' for n in trainable})
  assert report['loss'] < 1.0
  assert report['accuracy'] > 0.5
