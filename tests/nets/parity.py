"""Build a network in tf_slim 1.1.0 and in `nets`, share the weights, compare outputs.

`compare(tf_slim, reference_fn, reference_arg_scope, our_fn, our_arg_scope, images, **kwargs)`
builds each network in its own graph (inference mode unless kwargs say otherwise),
randomizes the reference's variables (batch-norm statistics included, so that
normalization matters), copies them into ours by name, and returns a `Parity`
record: the variables of each side and the largest differences of the logits
and of every end point both sides have.
"""
import collections

import numpy as np
import tensorflow as tf

Parity = collections.namedtuple(
    'Parity', ['reference_variables', 'our_variables', 'logits_diff', 'end_point_diffs',
               'reference_end_points', 'our_end_points', 'logits_shape'])


def random_values(names_and_shapes, rng):
  """Random values for the variables of a network, by name, scaled so that
  activations stay O(1); batch-norm statistics are not the identity."""
  values = {}
  for name, shape in names_and_shapes:
    leaf = name.rsplit('/', 1)[-1]
    if leaf == 'moving_variance':
      values[name] = rng.uniform(0.5, 1.5, shape)
    elif leaf == 'gamma':
      values[name] = rng.uniform(0.8, 1.2, shape)
    elif leaf in ('moving_mean', 'beta', 'biases'):
      values[name] = rng.normal(0.0, 0.1, shape)
    else:
      fan_in = max(1, int(np.prod(shape[:-1])))
      values[name] = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
  return {name: value.astype(np.float32) for name, value in values.items()}


def _names_and_shapes(variables):
  return [(v.op.name, v.shape.as_list()) for v in variables]


def load_values(sess, variables, values):
  """Initializes `variables` to `values` (by name) in one run: the initial value
  of each initializer is fed."""
  sess.run([v.initializer for v in variables],
           {v.initializer.inputs[1]: values[v.op.name] for v in variables})


def _tensor_end_points(end_points):
  return {k: v for k, v in end_points.items() if isinstance(v, tf.Tensor)}


def _build_and_run(fn, arg_scope_fn, arg_scope_module, images, kwargs, values=None, seed=0):
  with tf.Graph().as_default():
    with arg_scope_module.arg_scope(arg_scope_fn()):
      logits, end_points = fn(tf.constant(images), **kwargs)
    end_points = _tensor_end_points(end_points)
    variables = tf.compat.v1.global_variables()
    if values is None:
      values = random_values(_names_and_shapes(variables), np.random.RandomState(seed))
    with tf.compat.v1.Session() as sess:
      load_values(sess, variables, values)
      out_logits, out_end_points = sess.run([logits, end_points])
  shapes = collections.OrderedDict(_names_and_shapes(variables))
  return shapes, values, out_logits, out_end_points


def compare(tf_slim, reference_fn, reference_arg_scope, our_fn, our_arg_scope, images,
            **kwargs):
  """Builds both networks on `images` with `kwargs`; see the module docstring."""
  import slim  # pylint: disable=import-outside-toplevel
  kwargs.setdefault('is_training', False)
  ref_shapes, values, ref_logits, ref_end_points = _build_and_run(
      reference_fn, reference_arg_scope, tf_slim, images, kwargs)
  our_shapes, _, our_logits, our_end_points = _build_and_run(
      our_fn, our_arg_scope, slim, images, kwargs, values=values)
  diffs = {k: float(np.max(np.abs(ref_end_points[k] - our_end_points[k])))
           for k in ref_end_points if k in our_end_points}
  return Parity(ref_shapes, our_shapes, float(np.max(np.abs(ref_logits - our_logits))), diffs,
                sorted(ref_end_points), sorted(our_end_points), our_logits.shape)


def assert_parity(result, tolerance=1e-4):
  """Same variables (names and shapes), logits and shared end points within tolerance."""
  assert dict(result.our_variables) == dict(result.reference_variables)
  assert result.logits_diff <= tolerance, result.logits_diff
  worst = {k: d for k, d in result.end_point_diffs.items() if d > tolerance}
  assert not worst, worst
  missing = set(result.reference_end_points) - set(result.our_end_points)
  assert not missing, missing
