"""The building blocks of NASNet and PNASNet: cells described as data, and the ops
they use.

A cell is five combinations; combination i takes two hidden states (by index
into [cell input, previous cell's output, combination 0, combination 1, ...]),
applies one operation to each ('separable_5x5_2', 'max_pool_3x3', 'none', ...)
and adds them. The cell's output concatenates the states that no combination
used. `CellSpec` holds the ten operations, the ten hidden-state indices and the
used-state mask; `NasNetABaseCell` builds any spec.

Ops that depend on the data format ('NHWC' or 'NCHW') take it from an arg
scope, as the builders in nasnet.py set it.
"""
import collections

import tensorflow as tf

import slim
from slim.nets.nasnet.hparams import HParams

__all__ = ['DATA_FORMAT_NCHW', 'DATA_FORMAT_NHWC', 'INVALID', 'CLIP_BY_VALUE_CAP',
           'CellSpec', 'NASNET_A_NORMAL', 'NASNET_A_REDUCTION', 'calc_reduction_layers',
           'get_channel_index', 'get_channel_dim', 'global_avg_pool',
           'factorized_reduction', 'drop_path', 'NasNetABaseCell', 'NasNetANormalCell',
           'NasNetAReductionCell', 'config']

DATA_FORMAT_NCHW = 'NCHW'
DATA_FORMAT_NHWC = 'NHWC'
INVALID = 'null'
# Bound of tf.clip_by_value with bounded activations: most activations lie in [-6, 6].
CLIP_BY_VALUE_CAP = 6

def config(**values):
  """The hyperparameters of a NASNet or PNASNet configuration: `values` over
  what every published configuration shares (filters doubled at each of the 2
  reductions, an auxiliary head, NHWC, unbounded activations, 250,000 steps)."""
  shared = dict(filter_scaling_rate=2.0, num_reduction_layers=2, use_aux_head=1,
                data_format='NHWC', use_bounded_activation=False, total_training_steps=250000)
  shared.update(values)
  return HParams(**shared)


CellSpec = collections.namedtuple('CellSpec',
                                  ['operations', 'hiddenstate_indices', 'used_hiddenstates'])

NASNET_A_NORMAL = CellSpec(
    operations=['separable_5x5_2', 'separable_3x3_2',
                'separable_5x5_2', 'separable_3x3_2',
                'avg_pool_3x3', 'none',
                'avg_pool_3x3', 'avg_pool_3x3',
                'separable_3x3_2', 'none'],
    hiddenstate_indices=[0, 1, 1, 1, 0, 1, 1, 1, 0, 0],
    used_hiddenstates=[1, 0, 0, 0, 0, 0, 0])

NASNET_A_REDUCTION = CellSpec(
    operations=['separable_5x5_2', 'separable_7x7_2',
                'max_pool_3x3', 'separable_7x7_2',
                'avg_pool_3x3', 'separable_5x5_2',
                'none', 'avg_pool_3x3',
                'separable_3x3_2', 'max_pool_3x3'],
    hiddenstate_indices=[0, 1, 0, 1, 0, 1, 3, 2, 2, 0],
    used_hiddenstates=[1, 1, 1, 0, 0, 0, 0])


def calc_reduction_layers(num_cells, num_reduction_layers):
  """The cell numbers before which reduction cells go: evenly spaced, e.g. (18, 2)
  -> [6, 12]."""
  return [int(float(pool_num) / (num_reduction_layers + 1) * num_cells)
          for pool_num in range(1, num_reduction_layers + 1)]


def _check_data_format(function, data_format):
  if data_format not in (DATA_FORMAT_NHWC, DATA_FORMAT_NCHW):
    raise ValueError("%s: data_format must be 'NHWC' or 'NCHW' (the NASNet builders set "
                     'it with an arg_scope), received %r' % (function, data_format))


@slim.add_arg_scope
def get_channel_index(data_format=INVALID):
  """The channel axis of `data_format`: 3 for 'NHWC', 1 for 'NCHW'."""
  _check_data_format('get_channel_index', data_format)
  return 3 if data_format == DATA_FORMAT_NHWC else 1


@slim.add_arg_scope
def get_channel_dim(shape, data_format=INVALID):
  """The number of channels of a 4-d `shape` (list or TensorShape) as an int."""
  _check_data_format('get_channel_dim', data_format)
  if len(shape) != 4:
    raise ValueError('get_channel_dim: shape must have 4 dimensions, received %s'
                     % (shape,))
  return int(shape[3] if data_format == DATA_FORMAT_NHWC else shape[1])


@slim.add_arg_scope
def global_avg_pool(x, data_format=INVALID):
  """The mean of `x` (4-d) over its spatial axes: [batch, channels]."""
  _check_data_format('global_avg_pool', data_format)
  if x.shape.ndims != 4:
    raise ValueError('global_avg_pool: x must have rank 4, received shape %s' % (x.shape,))
  return tf.reduce_mean(x, [1, 2] if data_format == DATA_FORMAT_NHWC else [2, 3])


@slim.add_arg_scope
def factorized_reduction(net, output_filters, stride, data_format=INVALID):
  """Reduces `net` to `output_filters` channels (and by `stride`) without losing
  the pixels a strided 1x1 convolution would skip.

  Stride 1: 'path_conv' (1x1) and 'path_bn'. Otherwise two strided 1x1 paths,
  the second shifted by one pixel ('path1_conv', 'path2_conv'; half the filters
  each, the odd one to the second), concatenated and normalized ('final_path_bn').
  """
  _check_data_format('factorized_reduction', data_format)
  if stride == 1:
    net = slim.conv2d(net, output_filters, 1, scope='path_conv')
    return slim.batch_norm(net, scope='path_bn')
  if data_format == DATA_FORMAT_NHWC:
    stride_spec = [1, stride, stride, 1]
    shifted = tf.pad(net, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
  else:
    stride_spec = [1, 1, stride, stride]
    shifted = tf.pad(net, [[0, 0], [0, 0], [0, 1], [0, 1]])[:, :, 1:, 1:]
  half = int(output_filters / 2)

  path1 = tf.nn.avg_pool2d(net, [1, 1, 1, 1], stride_spec, 'VALID', data_format=data_format)
  path1 = slim.conv2d(path1, half, 1, scope='path1_conv')
  path2 = tf.nn.avg_pool2d(shifted, [1, 1, 1, 1], stride_spec, 'VALID',
                           data_format=data_format)
  path2 = slim.conv2d(path2, half + int(output_filters % 2), 1, scope='path2_conv')

  final_path = tf.concat(values=[path1, path2], axis=get_channel_index(data_format=data_format))
  return slim.batch_norm(final_path, scope='final_path_bn')


@slim.add_arg_scope
def drop_path(net, keep_prob, is_training=True):
  """Drops whole examples of `net` with probability 1 - keep_prob (scaling the
  kept ones by 1 / keep_prob) when `is_training`; identity otherwise."""
  if is_training:
    noise_shape = [tf.shape(net)[0], 1, 1, 1]
    random_tensor = keep_prob + tf.random.uniform(noise_shape, dtype=tf.float32)
    binary_tensor = tf.cast(tf.floor(random_tensor), net.dtype)
    net = net * tf.cast(1.0 / keep_prob, net.dtype) * binary_tensor
  return net


def _global_step():
  """The step that schedules drop path when no `current_step` is given.

  Graph mode: the graph's global step, created ('global_step', in the root
  variable scope) if missing. Eager and `tf.function` under `slim.Model`: the
  model's non-trainable int64 variable 'global_step', made on the first call,
  which the training loop advances (or pass `current_step`, e.g.
  `optimizer.iterations`, to the builder instead).
  """
  if not tf.compat.v1.executing_eagerly_outside_functions():
    step = tf.compat.v1.train.get_global_step()
    if step is not None:
      return step
  # The root scope, keeping the custom getter through which slim.Model owns it.
  root = tf.compat.v1.VariableScope(
      reuse=tf.compat.v1.AUTO_REUSE, name='',
      custom_getter=tf.compat.v1.get_variable_scope().custom_getter)
  with tf.compat.v1.variable_scope(root, auxiliary_name_scope=False):
    return tf.compat.v1.train.get_or_create_global_step()


def _summary_scalar(name, value):
  with tf.device('/cpu:0'):
    if tf.compat.v1.executing_eagerly_outside_functions():
      tf.summary.scalar(name, value)
    else:
      tf.compat.v1.summary.scalar(name, value)


def _operation_to_filter_shape(operation):
  """'separable_5x5_2' -> 5 (single-digit square kernels)."""
  before, after = operation.split('x')[:2]
  height, width = before[-1], after[0]
  if height != width:
    raise ValueError('NASNet cell: rectangular filters are not supported, received %r'
                     % (operation,))
  return int(height)


def _operation_to_num_layers(operation):
  """'separable_5x5_2' -> 2; 'separable_5x5' -> 1."""
  last = operation.split('_')[-1]
  return 1 if 'x' in last else int(last)


def _operation_to_info(operation):
  """'separable_3x3_4' -> (4 layers, 3x3 kernel)."""
  return _operation_to_num_layers(operation), _operation_to_filter_shape(operation)


def _stacked_separable_conv(net, stride, operation, filter_size, use_bounded_activation):
  """The 'separable_KxK_N' operation: N times activation, separable convolution
  'separable_KxK_<i>' (only the first strided) and batch norm 'bn_sep_KxK_<i>'."""
  num_layers, kernel_size = _operation_to_info(operation)
  activation_fn = tf.nn.relu6 if use_bounded_activation else tf.nn.relu
  for layer_num in range(1, num_layers + 1):
    net = activation_fn(net)
    net = slim.separable_conv2d(
        net, filter_size, kernel_size, depth_multiplier=1,
        scope='separable_{0}x{0}_{1}'.format(kernel_size, layer_num), stride=stride)
    net = slim.batch_norm(net, scope='bn_sep_{0}x{0}_{1}'.format(kernel_size, layer_num))
    stride = 1
  return net


def _operation_to_pooling_info(operation):
  """'avg_pool_3x3' -> ('avg', 3)."""
  parts = operation.split('_')
  height, width = parts[-1].split('x')
  if height != width:
    raise ValueError('NASNet cell: rectangular pooling is not supported, received %r'
                     % (operation,))
  return parts[0], int(height)


def _pooling(net, stride, operation, use_bounded_activation):
  """The 'avg_pool_KxK' / 'max_pool_KxK' operation, with SAME padding."""
  pooling_type, pooling_shape = _operation_to_pooling_info(operation)
  if use_bounded_activation:
    net = tf.nn.relu6(net)
  if pooling_type == 'avg':
    return slim.avg_pool2d(net, pooling_shape, stride=stride, padding='SAME')
  if pooling_type == 'max':
    return slim.max_pool2d(net, pooling_shape, stride=stride, padding='SAME')
  raise NotImplementedError('NASNet cell: unknown pooling type %r in operation %r'
                            % (pooling_type, operation))


class NasNetABaseCell(object):
  """A NASNet cell, used as a layer: `cell(net, scope, filter_scaling, stride, ...)`.

  Args:
    num_conv_filters: filters of each convolution (times `filter_scaling`).
    operations: the ten operations (left and right of each combination).
    used_hiddenstates: 1 for each hidden state used by a combination (those are
      not part of the output).
    hiddenstate_indices: the ten input states (left and right of each combination).
    drop_path_keep_prob: keep probability of drop path at the last cell, at the
      end of training (1.0: no drop path).
    total_num_cells: cells in the network (scales drop path by depth).
    total_training_steps: steps over which drop path ramps up.
    use_bounded_activation: relu6 and clipping to +-6 instead of relu.
  """

  def __init__(self, num_conv_filters, operations, used_hiddenstates,
               hiddenstate_indices, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    self._num_conv_filters = num_conv_filters
    self._operations = operations
    self._used_hiddenstates = used_hiddenstates
    self._hiddenstate_indices = hiddenstate_indices
    self._drop_path_keep_prob = drop_path_keep_prob
    self._total_num_cells = total_num_cells
    self._total_training_steps = total_training_steps
    self._use_bounded_activation = use_bounded_activation
    self._cell_num = -1
    self._filter_scaling = 1
    self._filter_size = num_conv_filters

  def _activation(self, net):
    return tf.nn.relu6(net) if self._use_bounded_activation else tf.nn.relu(net)

  def _clip(self, net):
    if self._use_bounded_activation:
      return tf.clip_by_value(net, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP)
    return net

  def _reduce_prev_layer(self, prev_layer, curr_layer):
    """Matches the previous cell's output to this cell's size and filters."""
    if prev_layer is None:
      return curr_layer
    curr_num_filters = self._filter_size
    prev_num_filters = get_channel_dim(prev_layer.shape)
    curr_filter_shape = int(curr_layer.shape[2])
    prev_filter_shape = int(prev_layer.shape[2])
    if curr_filter_shape != prev_filter_shape:
      prev_layer = self._activation(prev_layer)
      prev_layer = factorized_reduction(prev_layer, curr_num_filters, stride=2)
    elif curr_num_filters != prev_num_filters:
      prev_layer = self._activation(prev_layer)
      prev_layer = slim.conv2d(prev_layer, curr_num_filters, 1, scope='prev_1x1')
      prev_layer = slim.batch_norm(prev_layer, scope='prev_bn')
    return prev_layer

  def _cell_base(self, net, prev_layer):
    """The two input states: this cell's input through a 1x1 convolution ('1x1',
    'beginning_bn'), and the previous cell's output matched to it."""
    prev_layer = self._reduce_prev_layer(prev_layer, net)
    net = self._activation(net)
    net = slim.conv2d(net, self._filter_size, 1, scope='1x1')
    net = slim.batch_norm(net, scope='beginning_bn')
    return [net, prev_layer]

  def __call__(self, net, scope=None, filter_scaling=1, stride=1, prev_layer=None,
               cell_num=-1, current_step=None):
    """Builds the cell on `net` (and `prev_layer`, the output two cells back).

    Args:
      net: the input [batch, height, width, channels] (or NCHW).
      scope: variable scope of the cell ('cell_3', 'reduction_cell_0', ...).
      filter_scaling: multiplies num_conv_filters.
      stride: stride of the operations on the two input states.
      prev_layer: the output of the cell before the previous one, or None.
      cell_num: index of the cell in the network (for drop path).
      current_step: step tensor for the drop-path schedule (default: global step).

    Returns:
      The cell's output.
    """
    self._cell_num = cell_num
    self._filter_scaling = filter_scaling
    self._filter_size = int(self._num_conv_filters * filter_scaling)

    with tf.compat.v1.variable_scope(scope):
      net = self._cell_base(net, prev_layer)
      for iteration in range(5):
        with tf.compat.v1.variable_scope('comb_iter_{}'.format(iteration)):
          left_index = self._hiddenstate_indices[2 * iteration]
          right_index = self._hiddenstate_indices[2 * iteration + 1]
          with tf.compat.v1.variable_scope('left'):
            left = self._apply_conv_operation(
                net[left_index], self._operations[2 * iteration], stride,
                left_index < 2, current_step)
          with tf.compat.v1.variable_scope('right'):
            right = self._apply_conv_operation(
                net[right_index], self._operations[2 * iteration + 1], stride,
                right_index < 2, current_step)
          with tf.compat.v1.variable_scope('combine'):
            combined = left + right
            if self._use_bounded_activation:
              combined = tf.nn.relu6(combined)
          net.append(combined)

      with tf.compat.v1.variable_scope('cell_output'):
        return self._combine_unused_states(net)

  def _apply_conv_operation(self, net, operation, stride, is_from_original_input,
                            current_step):
    """Applies `operation` to a hidden state (strided only for the cell inputs)."""
    if stride > 1 and not is_from_original_input:
      stride = 1
    input_filters = get_channel_dim(net.shape)
    filter_size = self._filter_size
    if 'separable' in operation:
      net = _stacked_separable_conv(net, stride, operation, filter_size,
                                    self._use_bounded_activation)
      net = self._clip(net)
    elif operation == 'none':
      if self._use_bounded_activation:
        net = tf.nn.relu6(net)
      if stride > 1 or input_filters != filter_size:
        if not self._use_bounded_activation:
          net = tf.nn.relu(net)
        net = slim.conv2d(net, filter_size, 1, stride=stride, scope='1x1')
        net = slim.batch_norm(net, scope='bn_1')
        net = self._clip(net)
    elif 'pool' in operation:
      net = _pooling(net, stride, operation, self._use_bounded_activation)
      if input_filters != filter_size:
        net = slim.conv2d(net, filter_size, 1, stride=1, scope='1x1')
        net = slim.batch_norm(net, scope='bn_1')
      net = self._clip(net)
    else:
      raise ValueError('NASNet cell: unknown operation %r' % (operation,))

    if operation != 'none':
      net = self._apply_drop_path(net, current_step=current_step)
    return net

  def _combine_unused_states(self, net):
    """Concatenates the unused hidden states, each first reduced to the size and
    filters of the last one ('reduction_<i>') if needed."""
    used_hiddenstates = self._used_hiddenstates
    if len(used_hiddenstates) != len(net):
      raise ValueError('NASNet cell: used_hiddenstates has %d entries for %d hidden states'
                       % (len(used_hiddenstates), len(net)))
    final_height = int(net[-1].shape[2])
    final_num_filters = get_channel_dim(net[-1].shape)
    for idx, used_h in enumerate(used_hiddenstates):
      curr_height = int(net[idx].shape[2])
      curr_num_filters = get_channel_dim(net[idx].shape)
      should_reduce = (final_num_filters != curr_num_filters or
                       final_height != curr_height)
      if should_reduce and not used_h:
        stride = 2 if final_height != curr_height else 1
        with tf.compat.v1.variable_scope('reduction_{}'.format(idx)):
          net[idx] = factorized_reduction(net[idx], final_num_filters, stride)

    states_to_combine = [h for h, is_used in zip(net, used_hiddenstates) if not is_used]
    return tf.concat(values=states_to_combine, axis=get_channel_index())

  @slim.add_arg_scope  # Not public API: an arg scope may turn on summaries.
  def _apply_drop_path(self, net, current_step=None, use_summaries=False,
                       drop_connect_version='v3'):
    """Applies drop path to `net` with the scheduled keep probability.

    The keep probability falls from 1 to drop_path_keep_prob with the depth of
    the cell ('v2'), with training progress current_step / total_training_steps
    ('v1'), or both ('v3', the default).

    Args:
      net: the tensor.
      current_step: step tensor; None uses the global step (see `_global_step`).
      use_summaries: add scalar summaries of the schedule.
      drop_connect_version: 'v1', 'v2' or 'v3'.

    Returns:
      `net` after drop path.
    """
    drop_path_keep_prob = self._drop_path_keep_prob
    if drop_path_keep_prob >= 1.0:
      return net
    if drop_connect_version not in ('v1', 'v2', 'v3'):
      raise ValueError("NASNet cell: drop_connect_version must be 'v1', 'v2' or 'v3', "
                       'received %r' % (drop_connect_version,))
    if drop_connect_version in ('v2', 'v3'):
      if self._cell_num == -1:
        raise ValueError('NASNet cell: drop path by depth needs cell_num')
      layer_ratio = (self._cell_num + 1) / float(self._total_num_cells)
      if use_summaries:
        _summary_scalar('layer_ratio', layer_ratio)
      drop_path_keep_prob = 1 - layer_ratio * (1 - drop_path_keep_prob)
    if drop_connect_version in ('v1', 'v3'):
      if current_step is None:
        current_step = _global_step()
      current_ratio = tf.minimum(
          1.0, tf.cast(current_step, tf.float32) / self._total_training_steps)
      if use_summaries:
        _summary_scalar('current_ratio', current_ratio)
      drop_path_keep_prob = 1 - current_ratio * (1 - drop_path_keep_prob)
    if use_summaries:
      _summary_scalar('drop_path_keep_prob', drop_path_keep_prob)
    return drop_path(net, drop_path_keep_prob)


class NasNetANormalCell(NasNetABaseCell):
  """The NASNet-A normal cell (`NASNET_A_NORMAL`)."""

  def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    super(NasNetANormalCell, self).__init__(
        num_conv_filters, NASNET_A_NORMAL.operations, NASNET_A_NORMAL.used_hiddenstates,
        NASNET_A_NORMAL.hiddenstate_indices, drop_path_keep_prob, total_num_cells,
        total_training_steps, use_bounded_activation)


class NasNetAReductionCell(NasNetABaseCell):
  """The NASNet-A reduction cell (`NASNET_A_REDUCTION`)."""

  def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    super(NasNetAReductionCell, self).__init__(
        num_conv_filters, NASNET_A_REDUCTION.operations,
        NASNET_A_REDUCTION.used_hiddenstates, NASNET_A_REDUCTION.hiddenstate_indices,
        drop_path_keep_prob, total_num_cells, total_training_steps,
        use_bounded_activation)
