"""Checks that need the CPU split into logical devices, run in a fresh process.

The split must happen before TensorFlow initializes its runtime, which a pytest
worker may already have done, so the tests run this module as a script:

    python -m tests.slim.deployment.multi_device_checks CHECK [CHECK ...]

It splits the CPU into NUM_CPUS logical devices first, runs the named checks and
prints one JSON line {check: result}. The tests assert on the results.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

NUM_CPUS = 2
if __name__ == '__main__':
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices('CPU')[0],
      [tf.config.LogicalDeviceConfiguration()] * NUM_CPUS)

# pylint: disable=wrong-import-position
import slim  # noqa: E402
from slim.deployment import model_deploy  # noqa: E402
from tests.slim.cluster import free_ports  # noqa: E402
from tests.slim.deployment import deploy_helpers as helpers  # noqa: E402

LEARNING_RATE = 0.1
STEPS = 3


def _batches(num_clones):
  images, labels = helpers.small_net_data(16)
  size = 16 // num_clones
  return [(images[i * size:(i + 1) * size], labels[i * size:(i + 1) * size])
          for i in range(num_clones)]


def _graph_run(num_clones, initial_values=None):
  """Builds small_net over `num_clones` CPU clones; returns the initial values,
  gradients, total loss, the values after STEPS deploy steps, the clone
  devices and the devices the second clone's ops ran on."""
  config = model_deploy.DeploymentConfig(num_clones=num_clones, clone_on_cpu=True)
  with tf.Graph().as_default():
    tf.compat.v1.set_random_seed(0)
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(LEARNING_RATE)
    model = model_deploy.deploy(config, helpers.small_net_clone_fn, [_batches(num_clones)],
                                optimizer=optimizer)
    # deploy already built the gradients; these extra ones (same clones) are for reading.
    _, grads_and_vars = model_deploy.optimize_clones(model.clones, optimizer)
    variables = {v.op.name: v for v in slim.get_model_variables()}
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      if initial_values is not None:
        sess.run([variables[name].assign(value) for name, value in initial_values.items()])
      initial = sess.run(variables)
      options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
      metadata = tf.compat.v1.RunMetadata()
      grads, total_loss = sess.run(
          [{v.op.name: g for g, v in grads_and_vars}, model.total_loss],
          options=options, run_metadata=metadata)
      for _ in range(STEPS):
        sess.run(model.train_op)
      trained = sess.run(variables)
  second_clone_devices = sorted({
      stats.device.split('/device:')[-1] for stats in metadata.step_stats.dev_stats
      for node in stats.node_stats if node.node_name.startswith('clone_1/')})
  return dict(initial=initial, grads=grads, total_loss=float(total_loss), trained=trained,
              clone_devices=[c.device for c in model.clones],
              second_clone_devices=second_clone_devices)


def _max_difference(first, second):
  assert sorted(first) == sorted(second), (sorted(first), sorted(second))
  return max(float(np.max(np.abs(first[k] - second[k]))) for k in first)


def _strategy_run(initial_values):
  """The same model as a slim.Model under the strategy for 2 CPU clones: gradients
  summed over replicas, and the values after STEPS steps of SGD."""
  config = model_deploy.DeploymentConfig(num_clones=2, clone_on_cpu=True)
  strategy = model_deploy.distribution_strategy(config)
  with strategy.scope():
    model = slim.Model(helpers.small_net)
    model(tf.zeros([1, 6, 6, 2]))
  for name, variable in model.variables_by_name.items():
    variable.assign(initial_values[name])
  batches = _batches(strategy.num_replicas_in_sync)
  per_replica = strategy.experimental_distribute_values_from_function(
      lambda context: tuple(tf.constant(a) for a in batches[context.replica_id_in_sync_group]))

  def replica_gradients(images, labels):
    with tf.GradientTape() as tape:
      cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=labels, logits=model(images)))
      loss = (cross_entropy + tf.add_n(model.losses)) / strategy.num_replicas_in_sync
    return tape.gradient(loss, model.trainable_variables), loss

  @tf.function
  def step(apply):
    grads, loss = strategy.run(replica_gradients, args=per_replica)
    grads = [strategy.reduce(tf.distribute.ReduceOp.SUM, g, axis=None) for g in grads]
    if apply:
      for variable, grad in zip(model.trainable_variables, grads):
        variable.assign_sub(LEARNING_RATE * grad)
    return grads, strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)

  grads, total_loss = step(False)
  names = [v.name[:-2] for v in model.trainable_variables]
  grads = {name: g.numpy() for name, g in zip(names, grads)}
  for _ in range(STEPS):
    step(True)
  trained = {name: v.numpy() for name, v in model.variables_by_name.items()}
  return dict(strategy=type(strategy).__name__,
              devices=list(strategy.extended.worker_devices),
              variable_devices=sorted({c.device for v in model.variables
                                       for c in strategy.experimental_local_results(v)}),
              grads=grads, total_loss=float(total_loss), trained=trained)


def check_mirrored():
  two = _graph_run(2)
  one = _graph_run(1, initial_values=two['initial'])
  mirrored = _strategy_run(two['initial'])
  return dict(
      logical_cpus=len(tf.config.list_logical_devices('CPU')),
      clone_devices=two['clone_devices'],
      second_clone_devices=two['second_clone_devices'],
      graph_two_vs_one_grad_diff=_max_difference(two['grads'], one['grads']),
      graph_two_vs_one_loss_diff=abs(two['total_loss'] - one['total_loss']),
      graph_two_vs_one_trained_diff=_max_difference(two['trained'], one['trained']),
      grad_magnitude=max(float(np.max(np.abs(g))) for g in two['grads'].values()),
      trained_change=_max_difference(two['trained'], two['initial']),
      strategy=mirrored['strategy'],
      strategy_devices=mirrored['devices'],
      strategy_variable_devices=mirrored['variable_devices'],
      strategy_vs_graph_grad_diff=_max_difference(mirrored['grads'], two['grads']),
      strategy_vs_graph_loss_diff=abs(mirrored['total_loss'] - two['total_loss']),
      strategy_vs_graph_trained_diff=_max_difference(mirrored['trained'], two['trained']))


def check_parameter_server():
  """In-process ps and worker servers on localhost; the strategy made from TF_CONFIG."""
  ports = free_ports(5)
  cluster = {'worker': ['localhost:%d' % p for p in ports[:2]],
             'ps': ['localhost:%d' % p for p in ports[2:4]]}
  cluster_spec = tf.train.ClusterSpec(cluster)
  cluster['chief'] = ['localhost:%d' % ports[4]]  # this process, the coordinator
  servers = [tf.distribute.Server(cluster_spec, job_name=job, task_index=index,
                                  protocol='grpc', start=True)
             for job, count in (('worker', 2), ('ps', 2)) for index in range(count)]
  os.environ['TF_CONFIG'] = json.dumps({'cluster': cluster,
                                        'task': {'type': 'chief', 'index': 0}})
  config = model_deploy.DeploymentConfig(num_replicas=2, num_ps_tasks=2)
  strategy = model_deploy.distribution_strategy(config)
  with strategy.scope():
    model = slim.Model(helpers.small_net)
    model(tf.zeros([1, 6, 6, 2]))
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
  images, labels = helpers.small_net_data(8)

  def loss_fn():
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=model(tf.constant(images))))

  loss = coordinator.schedule(tf.function(lambda: strategy.run(loss_fn)))
  coordinator.join()
  values = {name: v.numpy() for name, v in model.variables_by_name.items()}
  del servers
  return dict(strategy=type(strategy).__name__,
              num_workers=strategy.extended._num_workers,  # pylint: disable=protected-access
              variable_devices=[v.device for v in model.variables],
              worker_loss=float(loss.fetch()),
              numpy_loss=_numpy_small_net_loss(values, images, labels))


def _numpy_small_net_loss(values, images, labels):
  """The cross entropy of small_net computed in numpy from the variable values."""
  kernel, bias = values['conv1/weights'], values['conv1/biases']
  padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
  conv = np.zeros(images.shape[:3] + (kernel.shape[-1],), np.float64)
  for dy in range(3):
    for dx in range(3):
      conv += np.einsum('nhwc,co->nhwo', padded[:, dy:dy + 6, dx:dx + 6], kernel[dy, dx])
  conv = np.maximum(conv + bias, 0)
  pooled = conv.reshape(len(images), 3, 2, 3, 2, -1).max(axis=(2, 4))
  logits = pooled.reshape(len(images), -1) @ values['logits/weights'] + values['logits/biases']
  logits -= logits.max(axis=1, keepdims=True)
  log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
  return float(-log_probs[np.arange(len(labels)), labels].mean())


def check_multi_worker():
  """One worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG set by the caller):
  small_net from fixed values on this worker's half of the 16 examples; returns the
  gradients all-reduced over the workers."""
  strategy = model_deploy.distribution_strategy(model_deploy.DeploymentConfig())
  with strategy.scope():
    model = slim.Model(helpers.small_net)
    model(tf.zeros([1, 6, 6, 2]))
  for name, value in helpers.small_net_initial_values().items():
    model.variables_by_name[name].assign(value)
  worker = tf.distribute.cluster_resolver.TFConfigClusterResolver().task_id
  images, labels = _batches(2)[worker]

  def replica_gradients():
    with tf.GradientTape() as tape:
      cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=labels, logits=model(tf.constant(images))))
      loss = (cross_entropy + tf.add_n(model.losses)) / strategy.num_replicas_in_sync
    return tape.gradient(loss, model.trainable_variables)

  @tf.function
  def step():
    grads = strategy.run(replica_gradients)
    return [strategy.reduce(tf.distribute.ReduceOp.SUM, g, axis=None) for g in grads]

  grads = step()
  is_multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
  return dict(multi_worker_mirrored=is_multi_worker,
              worker=worker,
              num_replicas=strategy.num_replicas_in_sync,
              grads={v.name[:-2]: g.numpy().tolist()
                     for v, g in zip(model.trainable_variables, grads)})


def graph_one_clone_gradients():
  """Gradients of graph deploy with one clone on the 16 examples, from fixed values."""
  return _graph_run(1, helpers.small_net_initial_values())['grads']


CHECKS = {'mirrored': check_mirrored, 'parameter_server': check_parameter_server,
          'multi_worker': check_multi_worker}


def main(names):
  results = {}
  for name in names:
    results[name] = CHECKS[name]()
  print(json.dumps(results))


if __name__ == '__main__':
  main(sys.argv[1:])
