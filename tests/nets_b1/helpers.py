"""What the nets_b1 tests share: the networks under test, their checkpoint
tables, graph-mode builds and the transfer of weights between modes."""
import collections
import os

import numpy as np
import tensorflow as tf

import slim
from slim.nets import cifarnet, inception_resnet_v2, inception_v4, lenet, mobilenet_v1

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tables')

# fn, arg_scope, module, default (full) size, a small size that still builds the
# whole network, input channels, classes of the published layout, and the
# keyword arguments of the small build.
Net = collections.namedtuple('Net', ['fn', 'arg_scope', 'module', 'size', 'small_size',
                                     'channels', 'classes', 'small_kwargs'])

NETS = collections.OrderedDict([
    ('inception_v4', Net(inception_v4.inception_v4, inception_v4.inception_v4_arg_scope,
                         inception_v4, 299, 107, 3, 1001, {})),
    ('inception_resnet_v2', Net(inception_resnet_v2.inception_resnet_v2,
                                inception_resnet_v2.inception_resnet_v2_arg_scope,
                                inception_resnet_v2, 299, 107, 3, 1001, {})),
    ('mobilenet_v1', Net(mobilenet_v1.mobilenet_v1, mobilenet_v1.mobilenet_v1_arg_scope,
                         mobilenet_v1, 224, 64, 3, 1001, {'depth_multiplier': 0.25})),
    ('lenet', Net(lenet.lenet, lenet.lenet_arg_scope, lenet, 28, 28, 1, 10, {})),
    ('cifarnet', Net(cifarnet.cifarnet, cifarnet.cifarnet_arg_scope, cifarnet, 32, 32, 3,
                     10, {})),
])


def load_table(name):
  """The checkpoint table `tables/<name>.txt` as an OrderedDict name -> shape."""
  table = collections.OrderedDict()
  with open(os.path.join(TABLES, name + '.txt')) as f:
    for line in f:
      if line.strip() and not line.startswith('#'):
        var_name, shape = line.split()
        assert var_name not in table, var_name
        table[var_name] = tuple(int(d) for d in shape.split(','))
  return table


def count(shapes):
  """Number of scalars in a collection of shapes."""
  return sum(int(np.prod(shape)) for shape in shapes)


def with_arg_scope(name, **kwargs):
  """The network `name` as a function of images, built under its arg scope."""
  net = NETS[name]

  def network_fn(images, **call_kwargs):
    with slim.arg_scope(net.arg_scope()):
      return net.fn(images, **dict(kwargs, **call_kwargs))

  network_fn.__name__ = name
  return network_fn


def images(size, channels, batch=2, seed=0):
  return np.random.RandomState(seed).uniform(
      -1, 1, (batch, size, size, channels)).astype(np.float32)


def run_in_graph(network_fn, inputs, weights, input_shape=None):
  """Builds `network_fn` on a placeholder of `input_shape` (default: the shape
  of `inputs`) in graph mode, loads `weights` (name -> value) into its
  variables and runs it on `inputs`.

  Returns:
    The variable names, the static shape of the output, the output and the end
    points (numpy).
  """
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.float32, input_shape or inputs.shape)
    output, end_points = network_fn(placeholder)
    variables = tf.compat.v1.global_variables()
    with tf.compat.v1.Session() as sess:
      # Initialize every variable from `weights`: feed the initial values.
      sess.run([v.initializer for v in variables],
               {v.initializer.inputs[1]: weights[v.op.name] for v in variables})
      values = sess.run((output, end_points), {placeholder: inputs})
  return ([v.op.name for v in variables], output.shape.as_list()) + values


def _random_batch_norm_value(name, shape, rng):
  """A random value for a batch-norm variable (None for other variables)."""
  if name.endswith(('moving_variance', 'gamma')):
    return rng.uniform(0.5, 1.5, shape).astype(np.float32)
  if name.endswith(('moving_mean', 'beta')):
    return rng.normal(0, 0.1, shape).astype(np.float32)
  return None


def randomize_batch_norm(model, seed=0):
  """Gives the batch-norm variables of `model` random values, so that
  inference uses non-trivial statistics."""
  rng = np.random.RandomState(seed)
  for name, variable in model.variables_by_name.items():
    value = _random_batch_norm_value(name, variable.shape.as_list(), rng)
    if value is not None:
      variable.assign(value)


def initial_weights(network_fn, input_shape, seed=0):
  """The initial values of the variables of `network_fn` built in graph mode,
  with random batch-norm statistics: an OrderedDict name -> value."""
  with tf.Graph().as_default():
    tf.compat.v1.set_random_seed(seed)
    network_fn(tf.compat.v1.placeholder(tf.float32, input_shape))
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      values = sess.run(collections.OrderedDict(
          (v.op.name, v) for v in tf.compat.v1.global_variables()))
  rng = np.random.RandomState(seed)
  for name, value in values.items():
    random_value = _random_batch_norm_value(name, value.shape, rng)
    if random_value is not None:
      values[name] = random_value
  return values


def assert_close(actual, expected, what=''):
  scale = max(1.0, float(np.max(np.abs(expected))))
  np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


def assert_end_points_close(actual, expected):
  assert sorted(actual) == sorted(expected)
  for key in expected:
    assert_close(np.asarray(actual[key]), np.asarray(expected[key]), key)

