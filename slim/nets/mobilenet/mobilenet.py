"""The MobileNet builder: a network is a table of ops (conv defs) run in order.

A conv def is a dict with
  - 'spec': a list of `op(fn, **params)`, one per layer ('layer_1', 'layer_2', ...);
  - 'defaults': `{(fn, ...): {arg: value}}` arg scopes set around the whole stack
    (they define the architecture: batch-norm centring, activation, ...);
  - 'overrides' (optional): arg scopes applied after the defaults.

`mobilenet_base` builds the stack, applying the depth multiplier to each op's
`num_outputs` and turning strides into atrous rates past `output_stride`;
`mobilenet` adds global pooling and the 1x1 logits convolution. Variables and
end points carry the names of the research/slim checkpoints, e.g.
`MobilenetV2/expanded_conv_3/depthwise/depthwise_weights` and end points
'layer_4', 'layer_4/depthwise_output', 'global_pool', 'Logits', 'Predictions'.

    with slim.arg_scope(mobilenet.training_scope()):
      logits, end_points = mobilenet.mobilenet(images, conv_defs=mobilenet_v2.V2_DEF)

The network functions have no tensor-dependent Python control flow, so they
are marked `do_not_convert`: `tf.function` traces them without autograph,
which would otherwise rewrite every layer (seconds to tens of seconds).
"""
import collections
import contextlib
import copy
import os

import tensorflow as tf

import slim
from slim import _checks
from slim.layers import utils as layers_utils

__all__ = ['apply_activation', 'depth_multiplier', 'op', 'NoOpScope', 'safe_arg_scope',
           'named_output', 'mobilenet_base', 'mobilenet', 'global_pool', 'training_scope']


@slim.add_arg_scope
def apply_activation(x, name=None, activation_fn=None):
  """`activation_fn(x, name=name)`, or `x` itself when no activation is set."""
  return activation_fn(x, name=name) if activation_fn else x


def _fixed_padding(inputs, kernel_size, rate=1):
  """Pads height and width so that a VALID convolution of `kernel_size` (dilated
  by `rate`) gives the output size of a SAME one, whatever the input size."""
  effective = kernel_size[0] + (kernel_size[0] - 1) * (rate - 1)
  total = effective - 1
  before, after = total // 2, total - total // 2
  return tf.pad(inputs, [[0, 0], [before, after], [before, after], [0, 0]])


def _make_divisible(v, divisor, min_value=None):
  """`v` rounded to the nearest multiple of `divisor` (at least `min_value`,
  default `divisor`), moved up one step if rounding lost more than 10%."""
  if min_value is None:
    min_value = divisor
  rounded = max(min_value, int(v + divisor / 2) // divisor * divisor)
  if rounded < 0.9 * v:
    rounded += divisor
  return int(rounded)


@contextlib.contextmanager
def _set_arg_scope_defaults(defaults):
  """Enters `slim.arg_scope(fns, **args)` for each `(fns, args)` item of `defaults`
  (a dict or a list of pairs), in order."""
  with contextlib.ExitStack() as stack:
    items = defaults.items() if hasattr(defaults, 'items') else defaults
    for fns, args in items:
      stack.enter_context(slim.arg_scope(fns, **args))
    yield


@slim.add_arg_scope
def depth_multiplier(output_params, multiplier, divisible_by=8, min_depth=8,
                     **unused_kwargs):
  """Scales `output_params['num_outputs']` (if present) by `multiplier`, in place,
  rounding to a multiple of `divisible_by` of at least `min_depth`."""
  if 'num_outputs' not in output_params:
    return
  output_params['num_outputs'] = _make_divisible(
      output_params['num_outputs'] * multiplier, divisible_by, min_depth)


_Op = collections.namedtuple('Op', ['op', 'params', 'multiplier_func'])


def op(opfunc, multiplier_func=depth_multiplier, **params):
  """One layer of a conv def: `opfunc(net, **params)`, whose `num_outputs` the
  network's multiplier scales through `multiplier_func(params, multiplier)`
  (also accepted as the param 'multiplier_transform')."""
  multiplier = params.pop('multiplier_transform', multiplier_func)
  return _Op(opfunc, params=params, multiplier_func=multiplier)


class NoOpScope(object):
  """A context manager that does nothing (the `safe_arg_scope` of no arguments)."""

  def __enter__(self):
    return None

  def __exit__(self, exc_type, exc_value, traceback):
    return False


def safe_arg_scope(funcs, **kwargs):
  """`slim.arg_scope(funcs, **kwargs)` without the arguments that are None, so
  that None means 'leave the default as it is'; a `NoOpScope` if none is left."""
  given = {name: value for name, value in kwargs.items() if value is not None}
  return slim.arg_scope(funcs, **given) if given else NoOpScope()


# Eager tensors have no names, so the '..._output' tensors of a layer cannot be
# found in a graph; while `mobilenet_base` runs eagerly, `named_output` adds
# (variable scope, name, tensor) to this collection of the eager frame that
# each layer opens (slim.layers.utils.eager_collections: per thread, since
# tf.distribute runs replicas in threads).
_NAMED_OUTPUTS = 'mobilenet_named_outputs'


def named_output(tensor, name):
  """`tf.identity(tensor, name=name)`; names ending in 'output' become end points
  ('layer_N/<name>') of the mobilenet layer that makes them, in every mode."""
  output = tf.identity(tensor, name=name)
  layers_utils.add_to_eager_collections(
      _NAMED_OUTPUTS, (tf.compat.v1.get_variable_scope().name, name, output))
  return output


def _eager_layer_outputs(end_point, net, records):
  """The end points 'end_point/<name>' of the outputs recorded in the scope of `net`."""
  scopes = [scope for scope, _, tensor in records if tensor is net]
  if not scopes:
    return {}
  return {'%s/%s' % (end_point, name): tensor for scope, name, tensor in records
          if scope == scopes[0] and name.endswith('output')}


def _graph_layer_outputs(net, scopes):
  """End points 'layer_N/<op>' of the ops named '...output' in the name scope of
  each layer's result (`scopes` maps that scope to 'layer_N')."""
  end_points = {}
  for operation in net.graph.get_operations():
    scope = os.path.dirname(operation.name)
    if scope in scopes and operation.name.endswith('output'):
      end_points[scopes[scope] + '/' + os.path.basename(operation.name)] = (
          operation.outputs[0])
  return end_points


def _layer_error(error, end_point, layer_op, params):
  """A new error of the type of `error` (a TypeError or ValueError) whose
  message names the layer being built, then says `error`'s; None where that
  type cannot be made from a message alone."""
  message = 'mobilenet_base: building %s (%s with %r) failed: %s' % (
      end_point, getattr(layer_op, '__name__', layer_op), params, error)
  try:
    return type(error)(message)
  except Exception:  # pylint: disable=broad-except
    return None


def _check_no_generic_multiplier(function, kwargs):
  """For the V2/V3 builders, which take depth_multiplier instead."""
  if 'multiplier' in kwargs:
    raise ValueError('%s: takes depth_multiplier, not the generic multiplier argument '
                     '(received multiplier=%r)' % (function, kwargs['multiplier']))


def _check_base_arguments(inputs, conv_defs, multiplier, output_stride):
  if not isinstance(conv_defs, dict) or not isinstance(conv_defs.get('spec'), (list, tuple)):
    raise ValueError("mobilenet_base: conv_defs must be a dict with a 'spec' list of "
                     'op(...) layers, received %r' % (conv_defs,))
  _checks.check_number('mobilenet_base', 'multiplier', multiplier)
  _checks.check_int('mobilenet_base', 'output_stride', output_stride, allow_none=True)
  if multiplier <= 0:
    raise ValueError('mobilenet_base: multiplier must be greater than zero, received %r'
                     % (multiplier,))
  if output_stride is not None and (
      output_stride == 0 or (output_stride > 1 and output_stride % 2)):
    raise ValueError('mobilenet_base: output_stride must be None, 1 or a multiple of 2, '
                     'received %r' % (output_stride,))
  rank = inputs.get_shape().ndims
  if rank != 4:
    raise ValueError('mobilenet_base: inputs must have rank 4 [batch, height, width, '
                     'channels], received shape %s' % (inputs.get_shape(),))


@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet_base(  # pylint: disable=invalid-name
    inputs,
    conv_defs,
    multiplier=1.0,
    final_endpoint=None,
    output_stride=None,
    use_explicit_padding=False,
    scope=None,
    is_training=False,
    use_groupnorm=False):
  """Builds the layers of `conv_defs` on `inputs` (inference mode by default).

  Args:
    inputs: a tensor [batch, height, width, channels].
    conv_defs: a conv def (see the module docstring).
    multiplier: depth multiplier (> 0) applied to every op's `num_outputs`.
    final_endpoint: stop after this layer ('layer_N'); None builds all.
    output_stride: None, 1 or an even number: the largest ratio of input to
      output resolution; past it strides become atrous rates.
    use_explicit_padding: pad inputs explicitly and convolve with 'VALID'
      padding (same output sizes as 'SAME').
    scope: variable scope (default 'Mobilenet').
    is_training: batch norm's mode; None leaves it to the enclosing arg scope
      (`training_scope`).
    use_groupnorm: normalize with `slim.group_norm` (8 groups unless the conv
      defs set them; variables '.../GroupNorm/gamma', '.../GroupNorm/beta')
      wherever the conv defs ask for `slim.batch_norm` (default False).

  Returns:
    (output tensor, end_points): 'layer_N' for each layer, and 'layer_N/<name>'
    for each tensor named '...output' in its scope (e.g. 'layer_3/output',
    'layer_3/expansion_output', 'layer_3/depthwise_output').

  Raises:
    ValueError: conv_defs without a 'spec', multiplier <= 0, an invalid
      output_stride, or inputs not of rank 4 (before any variable is made).
    TypeError, ValueError: a layer refused its parameters; the message names
      the layer ('layer_3'), its op and parameters, then the layer's error.
  """
  inputs = tf.convert_to_tensor(inputs)
  _check_base_arguments(inputs, conv_defs, multiplier, output_stride)
  defaults = conv_defs.get('defaults', {})
  overrides = conv_defs.get('overrides', {})
  if use_groupnorm:
    defaults = _with_group_norm(defaults, add_groups=True)
    overrides = _with_group_norm(overrides)
  if use_explicit_padding:
    overrides = copy.deepcopy(overrides)
    overrides[(slim.conv2d, slim.separable_conv2d)] = {'padding': 'VALID'}

  with _scope_all(scope, default_scope='Mobilenet'), \
       safe_arg_scope([slim.batch_norm], is_training=is_training), \
       _set_arg_scope_defaults(defaults), \
       _set_arg_scope_defaults(overrides):
    current_stride = 1  # product of the strides so far
    rate = 1  # atrous rate once output_stride is reached
    net = inputs
    end_points = {}
    scopes = {}  # graph: name scope of each layer's result -> 'layer_N'
    eager_outputs = {}  # eager: the recorded outputs, by end point
    eager = tf.executing_eagerly()
    for i, opdef in enumerate(conv_defs['spec']):
      params = dict(opdef.params)
      opdef.multiplier_func(params, multiplier)
      stride = params.get('stride', 1)
      if output_stride is not None and current_stride == output_stride:
        layer_stride, layer_rate = 1, rate
        rate *= stride
      else:
        layer_stride, layer_rate = stride, 1
        current_stride *= stride
      params['stride'] = layer_stride
      # A 1x1 convolution needs no atrous rate.
      if layer_rate > 1 and tuple(params.get('kernel_size', [])) != (1, 1):
        params['rate'] = layer_rate
      if use_explicit_padding:
        if 'kernel_size' in params:
          net = _fixed_padding(net, params['kernel_size'], layer_rate)
        else:
          params['use_explicit_padding'] = True

      end_point = 'layer_%d' % (i + 1)
      with layers_utils.eager_collections() as layer_frame:
        try:
          net = opdef.op(net, **params)
        except (TypeError, ValueError) as error:
          named = _layer_error(error, end_point, opdef.op, params)
          if named is None:
            raise
          raise named from error
      end_points[end_point] = net
      if eager:
        eager_outputs.update(
            _eager_layer_outputs(end_point, net, layer_frame.get(_NAMED_OUTPUTS, [])))
      else:
        scopes[os.path.dirname(net.name)] = end_point
      if final_endpoint is not None and end_point == final_endpoint:
        break
    # The layers' named outputs follow the layers, in the order they were made.
    end_points.update(eager_outputs if eager else _graph_layer_outputs(net, scopes))
    return net, end_points


def _with_group_norm(scopes, add_groups=False):
  """A copy of the arg scopes `scopes` (a dict or a list of pairs) that asks for
  `slim.group_norm` wherever it asked for `slim.batch_norm` as `normalizer_fn`;
  with `add_groups`, group norm gets 8 groups unless `scopes` set its arguments."""
  items = list(scopes.items()) if hasattr(scopes, 'items') else list(scopes)
  converted = []
  for fns, args in items:
    args = {name: (slim.group_norm if name == 'normalizer_fn' and value is slim.batch_norm
                   else value) for name, value in args.items()}
    converted.append((fns, args))
  sets_group_norm = any(slim.group_norm in (fns if isinstance(fns, (list, tuple)) else [fns])
                        for fns, _ in converted)
  if add_groups and not sets_group_norm:
    converted.append(((slim.group_norm,), {'groups': 8}))
  return converted


@contextlib.contextmanager
def _scope_all(scope, default_scope=None):
  """A variable scope and the name scope it first opened, together."""
  with tf.compat.v1.variable_scope(scope, default_name=default_scope) as s, \
       tf.compat.v1.name_scope(s.original_name_scope):
    yield s


@slim.add_arg_scope
@tf.autograph.experimental.do_not_convert
def mobilenet(inputs,
              num_classes=1001,
              prediction_fn=slim.softmax,
              reuse=None,
              scope='Mobilenet',
              base_only=False,
              use_reduce_mean_for_pooling=False,
              **mobilenet_args):
  """A MobileNet classifier: `mobilenet_base`, global pooling, dropout and a 1x1
  convolution to `num_classes` logits (variables 'Logits/Conv2d_1c_1x1/...').

  Inference mode by default; build under `training_scope()` to train.

  Args:
    inputs: a tensor [batch, height, width, channels].
    num_classes: number of classes; 0 or None returns the pooled features
      (before dropout) instead of logits.
    prediction_fn: maps logits to end point 'Predictions' (default softmax);
      None adds no predictions.
    reuse: reuse the variables of `scope`.
    scope: variable scope (default 'Mobilenet').
    base_only: return the output of the last layer (no pooling, no logits).
    use_reduce_mean_for_pooling: pool with `tf.reduce_mean` (op
      'Logits/ReduceMean') instead of average pooling; same values (default False).
    **mobilenet_args: passed to `mobilenet_base` (conv_defs, multiplier,
      final_endpoint, output_stride, use_explicit_padding, is_training,
      use_groupnorm).

  Returns:
    (logits [batch, num_classes] or features, end_points).

  Raises:
    ValueError: inputs not of rank 4, or invalid `mobilenet_base` arguments.
  """
  is_training = mobilenet_args.get('is_training', False)
  inputs = tf.convert_to_tensor(inputs)
  rank = inputs.get_shape().ndims
  if rank != 4:
    raise ValueError('mobilenet: inputs must have rank 4 [batch, height, width, channels], '
                     'received shape %s' % (inputs.get_shape(),))

  with tf.compat.v1.variable_scope(scope, 'Mobilenet', reuse=reuse) as scope:
    inputs = tf.identity(inputs, 'input')
    net, end_points = mobilenet_base(inputs, scope=scope, **mobilenet_args)
    if base_only:
      return net, end_points

    net = tf.identity(net, name='embedding')
    with tf.compat.v1.variable_scope('Logits'):
      net = global_pool(net, use_reduce_mean_for_pooling)
      end_points['global_pool'] = net
      if not num_classes:
        return net, end_points
      net = slim.dropout(net, scope='Dropout', is_training=is_training)
      # 1 x 1 x num_classes; the scope name is that of the V1 checkpoints.
      logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                           normalizer_fn=None,
                           biases_initializer=tf.compat.v1.zeros_initializer(),
                           scope='Conv2d_1c_1x1')
      logits = tf.squeeze(logits, [1, 2])
      logits = tf.identity(logits, name='output')
    end_points['Logits'] = logits
    if prediction_fn:
      end_points['Predictions'] = prediction_fn(logits, 'Predictions')
  return logits, end_points


# Pooling over a whole input of unknown size, as a reduction (the same values).
_WHOLE_INPUT_REDUCTIONS = {tf.nn.avg_pool: tf.reduce_mean, tf.nn.max_pool: tf.reduce_max,
                           tf.nn.avg_pool2d: tf.reduce_mean, tf.nn.max_pool2d: tf.reduce_max,
                           tf.compat.v1.nn.avg_pool: tf.reduce_mean,
                           tf.compat.v1.nn.max_pool: tf.reduce_max}


def global_pool(input_tensor, use_reduce_mean_for_pooling=False, pool_op=tf.nn.avg_pool2d):
  """Pools [batch, height, width, depth] to [batch, 1, 1, depth] with `pool_op`
  over the whole (static or dynamic) spatial extent.

  With `use_reduce_mean_for_pooling` (default False) the result is
  `tf.reduce_mean` over height and width, in an op named 'ReduceMean' (the
  same values as average pooling). With unknown height or width, average and
  max pooling are computed as a mean or maximum over both axes; another
  `pool_op` receives a dynamic `ksize`.
  """
  if use_reduce_mean_for_pooling:
    return tf.reduce_mean(input_tensor, [1, 2], keepdims=True, name='ReduceMean')
  height, width = input_tensor.get_shape().as_list()[1:3]
  if height is not None and width is not None:
    output = pool_op(input_tensor, ksize=[1, height, width, 1], strides=[1, 1, 1, 1],
                     padding='VALID')
  elif pool_op in _WHOLE_INPUT_REDUCTIONS:
    output = _WHOLE_INPUT_REDUCTIONS[pool_op](input_tensor, axis=[1, 2], keepdims=True)
  else:
    dynamic = tf.shape(input_tensor)
    output = pool_op(input_tensor, ksize=tf.stack([1, dynamic[1], dynamic[2], 1]),
                     strides=[1, 1, 1, 1], padding='VALID')
  output.set_shape([None, 1, 1, None])
  return output


def training_scope(is_training=True,
                   weight_decay=0.00004,
                   stddev=0.09,
                   dropout_keep_prob=0.8,
                   bn_decay=0.997):
  """The arg scope to train (or, with is_training=False, evaluate) a MobileNet.

  Sets truncated-normal (or, for stddev < 0, Xavier) initializers and batch
  norm on conv, separable conv and fully connected layers, L2 weight decay on
  conv2d (none on separable convolutions), batch-norm decay and dropout keep
  probability. Architecture choices belong to the conv defs, not here.

  Args:
    is_training: mode of batch norm, dropout and the network; None leaves
      batch norm's mode unset.
    weight_decay: L2 scale for conv weights (default 0.00004).
    stddev: initializer standard deviation (default 0.09); negative for Xavier.
    dropout_keep_prob: dropout keep probability (default 0.8); None: unset.
    bn_decay: batch-norm moving-average decay (default 0.997); None: unset.

  Returns:
    The arg scope dict, for `slim.arg_scope(...)`.
  """
  if stddev < 0:
    weights_initializer = slim.xavier_initializer()
  else:
    weights_initializer = tf.compat.v1.truncated_normal_initializer(stddev=stddev)
  with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                      weights_initializer=weights_initializer,
                      normalizer_fn=slim.batch_norm), \
       slim.arg_scope([mobilenet_base, mobilenet], is_training=is_training), \
       safe_arg_scope([slim.batch_norm], decay=bn_decay, is_training=is_training), \
       safe_arg_scope([slim.dropout], is_training=is_training,
                      keep_prob=dropout_keep_prob), \
       slim.arg_scope([slim.conv2d],
                      weights_regularizer=slim.l2_regularizer(weight_decay)), \
       slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as scope:
    return scope
