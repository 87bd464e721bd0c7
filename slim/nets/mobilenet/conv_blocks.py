"""The blocks of MobileNet V2/V3: inverted bottleneck (`expanded_conv`), split 1x1
convolutions, V1-style separable convolution and squeeze-excite.

Tensors named '...output' in a block's scope ('expansion_output',
'depthwise_output', 'output', 'expand_part_0_output', ...) become end points of
the mobilenet layer that builds the block.
"""
import contextlib
import functools

import tensorflow as tf

import slim
from slim.nets.mobilenet import mobilenet as lib

__all__ = ['split_separable_conv2d', 'expand_input_by_factor', 'split_conv',
           'expanded_conv', 'squeeze_excite']

_fixed_padding = lib._fixed_padding  # pylint: disable=protected-access
_make_divisible = lib._make_divisible  # pylint: disable=protected-access


def _split_divisible(num, num_ways, divisible_by=8):
  """Splits `num` into `num_ways` near-equal parts, each a multiple of `divisible_by`."""
  if num % divisible_by or num / num_ways < divisible_by:
    raise ValueError('split_conv: cannot split %d channels %d ways into multiples of %d'
                     % (num, num_ways, divisible_by))
  base = num // num_ways // divisible_by * divisible_by
  parts = []
  total = 0
  for i in range(num_ways):
    part = base
    while total + part < num * (i + 1) / num_ways:
      part += divisible_by
    parts.append(part)
    total += part
  if total != num:
    raise ValueError('split_conv: %d channels do not split %d ways into multiples of %d'
                     % (num, num_ways, divisible_by))
  return parts


@contextlib.contextmanager
def _v1_compatible_scope_naming(scope):
  """Yields the prefix of the depthwise/pointwise scope names: '' inside a new
  unique scope 'separable' when `scope` is None, else '<scope>_' (the
  'Conv2d_1_depthwise' names of MobileNet V1 checkpoints)."""
  if scope is None:
    with tf.compat.v1.variable_scope(None, default_name='separable') as s, \
         tf.compat.v1.name_scope(s.original_name_scope):
      yield ''
  else:
    yield scope + '_'


@slim.add_arg_scope
def split_separable_conv2d(input_tensor,
                           num_outputs,
                           scope=None,
                           normalizer_fn=None,
                           stride=1,
                           rate=1,
                           endpoints=None,
                           use_explicit_padding=False):
  """A MobileNet V1 separable convolution: 3x3 depthwise, then 1x1 pointwise,
  each with its own normalizer and activation (unlike `slim.separable_conv2d`).

  Variables: '<scope>_depthwise/depthwise_weights' and
  '<scope>_pointwise/weights' (plus normalizer or bias variables).

  Args:
    input_tensor: a tensor [batch, height, width, channels].
    num_outputs: channels of the pointwise convolution.
    scope: name prefix; None opens a unique scope 'separable'.
    normalizer_fn: normalizer of both convolutions.
    stride, rate: of the depthwise convolution.
    endpoints: optional dict that receives both outputs by scope name.
    use_explicit_padding: pad explicitly and convolve with 'VALID' padding.

  Returns:
    The output tensor.
  """
  with _v1_compatible_scope_naming(scope) as prefix:
    endpoints = endpoints if endpoints is not None else {}
    kernel_size = [3, 3]
    padding = 'SAME'
    if use_explicit_padding:
      padding = 'VALID'
      input_tensor = _fixed_padding(input_tensor, kernel_size, rate)
    depthwise_scope = prefix + 'depthwise'
    net = slim.separable_conv2d(input_tensor, None, kernel_size, depth_multiplier=1,
                                stride=stride, rate=rate, normalizer_fn=normalizer_fn,
                                padding=padding, scope=depthwise_scope)
    endpoints[depthwise_scope] = net
    pointwise_scope = prefix + 'pointwise'
    net = slim.conv2d(net, num_outputs, [1, 1], stride=1, normalizer_fn=normalizer_fn,
                      scope=pointwise_scope)
    endpoints[pointwise_scope] = net
  return net


def expand_input_by_factor(n, divisible_by=8):
  """An `expansion_size` function: `n` times the input depth, made divisible."""
  return lambda num_inputs, **_: _make_divisible(num_inputs * n, divisible_by)


def split_conv(input_tensor, num_outputs, num_ways, scope, divisible_by=8, **kwargs):
  """A 1x1 convolution split `num_ways` ways: the i-th part of the input
  channels feeds only the i-th part of the outputs.

  One plain `slim.conv2d` (scope `scope`) when num_ways is 1 or a part would
  have fewer than `divisible_by` channels; else convolutions '<scope>_part_<i>'
  whose outputs '<scope>_part_<i>_output' are concatenated.

  Args:
    input_tensor: a tensor [batch, height, width, channels].
    num_outputs: output channels.
    num_ways: number of parts.
    scope: name of the convolution(s).
    divisible_by: every part's size is a multiple of this.
    **kwargs: passed to `slim.conv2d`.

  Returns:
    The output tensor.
  """
  depth = input_tensor.get_shape().as_list()[3]
  if num_ways == 1 or min(depth // num_ways, num_outputs // num_ways) < divisible_by:
    return slim.conv2d(input_tensor, num_outputs, [1, 1], scope=scope, **kwargs)

  input_splits = _split_divisible(depth, num_ways, divisible_by=divisible_by)
  output_splits = _split_divisible(num_outputs, num_ways, divisible_by=divisible_by)
  inputs = tf.split(input_tensor, input_splits, axis=3, name='split_' + scope)
  outputs = []
  part_scope = scope
  for i, (part, part_outputs) in enumerate(zip(inputs, output_splits)):
    part_scope = '%s_part_%d' % (scope, i)
    net = slim.conv2d(part, part_outputs, [1, 1], scope=part_scope, **kwargs)
    outputs.append(lib.named_output(net, part_scope + '_output'))
  return tf.concat(outputs, 3, name=part_scope + '_concat')


@slim.add_arg_scope
def expanded_conv(input_tensor,
                  num_outputs,
                  expansion_size=expand_input_by_factor(6),
                  stride=1,
                  rate=1,
                  kernel_size=(3, 3),
                  residual=True,
                  normalizer_fn=None,
                  split_projection=1,
                  split_expansion=1,
                  split_divisible_by=8,
                  expansion_transform=None,
                  depthwise_location='expansion',
                  depthwise_channel_multiplier=1,
                  endpoints=None,
                  use_explicit_padding=False,
                  padding='SAME',
                  inner_activation_fn=None,
                  depthwise_activation_fn=None,
                  project_activation_fn=tf.identity,
                  depthwise_fn=slim.separable_conv2d,
                  expansion_fn=split_conv,
                  projection_fn=split_conv,
                  scope=None):
  """The inverted bottleneck: 1x1 expansion, depthwise convolution, 1x1 projection,
  plus the input when shapes allow (MobileNet V2/V3).

  Variables (scope 'expanded_conv', 'expanded_conv_1', ...): 'expand/weights'
  (only when the expansion is wider than the input), 'depthwise/depthwise_weights',
  'project/weights', with their normalizer variables.

  Args:
    input_tensor: a tensor [batch, height, width, channels].
    num_outputs: channels of the projection.
    expansion_size: inner width, or a function of `num_inputs` giving it
      (default: 6 times the input depth).
    stride, rate, kernel_size: of the depthwise convolution.
    residual: add the input when stride is 1 and depths match (True), never
      (False), or a function `(input_tensor, output_tensor) -> tensor`.
    normalizer_fn: normalizer of every convolution.
    split_projection, split_expansion: ways to split the 1x1 convolutions.
    split_divisible_by: every split part is a multiple of this.
    expansion_transform: optional `(expansion_tensor, input_tensor) -> tensor`
      applied after the depthwise convolution (e.g. squeeze-excite).
    depthwise_location: 'expansion' (default), 'input', 'output' or None.
    depthwise_channel_multiplier: depthwise outputs per channel.
    endpoints: optional dict receiving 'expansion_output', 'depthwise_output'
      and 'projection_output'.
    use_explicit_padding: pad explicitly and convolve with 'VALID' padding.
    padding: padding of the depthwise convolution.
    inner_activation_fn: activation of expansion and depthwise (default: the
      arg scope's); depthwise_activation_fn overrides it for the depthwise.
    project_activation_fn: activation of the projection (default identity).
    depthwise_fn, expansion_fn, projection_fn: the convolutions to use (custom
      expansion/projection functions ignore the split arguments).
    scope: variable scope.

  Returns:
    The output tensor (named 'output').

  Raises:
    TypeError: unknown depthwise_location, or use_explicit_padding with a
      padding other than 'SAME'.
  """
  if depthwise_location not in (None, 'input', 'output', 'expansion'):
    raise TypeError("expanded_conv: depthwise_location must be None, 'input', 'output' or "
                    "'expansion', received %r" % (depthwise_location,))
  if use_explicit_padding:
    if padding != 'SAME':
      raise TypeError("expanded_conv: use_explicit_padding needs padding 'SAME', received "
                      '%r' % (padding,))
    padding = 'VALID'
  conv_defaults = {}
  depthwise_defaults = {}
  if inner_activation_fn is not None:
    conv_defaults['activation_fn'] = inner_activation_fn
    depthwise_defaults['activation_fn'] = inner_activation_fn
  if depthwise_activation_fn is not None:
    depthwise_defaults['activation_fn'] = depthwise_activation_fn

  with tf.compat.v1.variable_scope(scope, default_name='expanded_conv') as s, \
       tf.compat.v1.name_scope(s.original_name_scope), \
       slim.arg_scope((slim.conv2d,), **conv_defaults), \
       slim.arg_scope((slim.separable_conv2d,), **depthwise_defaults):
    input_depth = input_tensor.get_shape().as_list()[3]
    depthwise = functools.partial(
        depthwise_fn, num_outputs=None, kernel_size=kernel_size,
        depth_multiplier=depthwise_channel_multiplier, stride=stride, rate=rate,
        normalizer_fn=normalizer_fn, padding=padding, scope='depthwise')

    def apply_depthwise(net, **kwargs):
      if use_explicit_padding:
        net = _fixed_padding(net, kernel_size, rate)
      net = lib.named_output(depthwise(net, **kwargs), 'depthwise_output')
      if endpoints is not None:
        endpoints['depthwise_output'] = net
      return net

    # i channels -> (o * r) (bottleneck) -> o channels
    input_tensor = tf.identity(input_tensor, 'input')
    net = input_tensor
    if depthwise_location == 'input':
      net = apply_depthwise(net, activation_fn=None)

    inner_size = (expansion_size(num_inputs=input_depth) if callable(expansion_size)
                  else expansion_size)
    if inner_size > net.shape[3]:
      expand = expansion_fn
      if expand == split_conv:
        expand = functools.partial(split_conv, num_ways=split_expansion,
                                   divisible_by=split_divisible_by, stride=1)
      net = expand(net, inner_size, scope='expand', normalizer_fn=normalizer_fn)
      net = lib.named_output(net, 'expansion_output')
      if endpoints is not None:
        endpoints['expansion_output'] = net

    if depthwise_location == 'expansion':
      net = apply_depthwise(net)
    if expansion_transform:
      net = expansion_transform(expansion_tensor=net, input_tensor=input_tensor)

    # Unlike the expansion, the projection is always there: it sets the depth.
    project = projection_fn
    if project == split_conv:
      project = functools.partial(split_conv, num_ways=split_projection,
                                  divisible_by=split_divisible_by, stride=1)
    net = project(net, num_outputs, scope='project', normalizer_fn=normalizer_fn,
                  activation_fn=project_activation_fn)
    if endpoints is not None:
      endpoints['projection_output'] = net
    if depthwise_location == 'output':
      net = apply_depthwise(net, activation_fn=None)

    if callable(residual):
      net = residual(input_tensor=input_tensor, output_tensor=net)
    elif (residual and stride == 1 and  # no residual across a (maybe unknown) resize
          net.get_shape().as_list()[3] == input_tensor.get_shape().as_list()[3]):
      net += input_tensor
    return lib.named_output(net, 'output')


@slim.add_arg_scope
def squeeze_excite(input_tensor,
                   divisible_by=8,
                   squeeze_factor=3,
                   inner_activation_fn=tf.nn.relu,
                   gating_fn=tf.sigmoid,
                   squeeze_input_tensor=None,
                   pool=None):
  """Squeeze-and-excite gating (MobileNet V3): `input_tensor * SE(squeeze_input)`.

  Variables (scope 'squeeze_excite'): 'Conv/weights', 'Conv/biases' (squeeze to
  input channels / squeeze_factor, made divisible) and 'Conv_1/weights',
  'Conv_1/biases' (excite back to the channels of `input_tensor`).

  Args:
    input_tensor: the tensor to gate, [batch, height, width, channels].
    divisible_by: the squeezed width is a multiple of this.
    squeeze_factor: channel reduction of the squeeze (default 3).
    inner_activation_fn: activation of the squeeze (default relu).
    gating_fn: activation of the excite (default sigmoid).
    squeeze_input_tensor: tensor to compute the gate from (default input_tensor).
    pool: None to average over all positions; an int to average-pool with that
      window and stride, then resize the gate bilinearly to the input size.

  Returns:
    The gated tensor.
  """
  with tf.compat.v1.variable_scope('squeeze_excite'):
    if squeeze_input_tensor is None:
      squeeze_input_tensor = input_tensor
    input_size = input_tensor.shape.as_list()[1:3]
    pool_height, pool_width = squeeze_input_tensor.shape.as_list()[1:3]
    stride = 1
    if pool is not None and pool_height is not None and pool_height >= pool:
      pool_height, pool_width, stride = pool, pool, pool
    input_channels = squeeze_input_tensor.shape.as_list()[3]
    output_channels = input_tensor.shape.as_list()[3]
    squeeze_channels = _make_divisible(input_channels / squeeze_factor,
                                       divisor=divisible_by)
    if pool is None:
      pooled = tf.reduce_mean(squeeze_input_tensor, axis=[1, 2], keepdims=True)
    else:
      pooled = tf.nn.avg_pool(squeeze_input_tensor, (1, pool_height, pool_width, 1),
                              strides=(1, stride, stride, 1), padding='VALID')
    squeeze = slim.conv2d(pooled, kernel_size=(1, 1), num_outputs=squeeze_channels,
                          normalizer_fn=None, activation_fn=inner_activation_fn)
    excite = slim.conv2d(squeeze, num_outputs=output_channels, kernel_size=[1, 1],
                         normalizer_fn=None, activation_fn=gating_fn)
    if pool is not None:
      excite = tf.compat.v1.image.resize_bilinear(excite, input_size, align_corners=True)
    return input_tensor * excite
