"""Conversions between images, sequences and label encodings: images to
sequences of columns and back, dense to sparse labels, one-hot labels."""
import tensorflow as tf

from slim.layers import _common
from slim.layers import utils
from slim.ops.arg_scope import add_arg_scope

__all__ = ['dense_to_sparse', 'images_to_sequence', 'one_hot_encoding',
           'sequence_to_images']


@add_arg_scope
def images_to_sequence(inputs,
                       data_format=_common.DATA_FORMAT_NHWC,
                       outputs_collections=None,
                       scope=None):
  """Turns images into sequences of columns: each image row becomes a
  sequence along the width, `[batch, height, width, depth]` ->
  `[width, batch * height, depth]` (time major).

  Args:
    inputs: a 4-d tensor, NHWC or NCHW, with known width and depth.
    data_format: 'NHWC' or 'NCHW'.
    outputs_collections, scope: as usual; scope defaults to 'ImagesToSequence'.

  Returns:
    A `[width, batch * height, depth]` tensor.

  Raises:
    ValueError: a bad data_format or rank.
  """
  layer = 'images_to_sequence'
  _common.check_data_format(layer, data_format, ('NCHW', 'NHWC'))
  inputs = _common.to_tensor(layer, inputs)
  _common.check_rank(layer, inputs, (4,))
  with _common.op_scope(scope, 'ImagesToSequence', inputs) as sc:
    if data_format == _common.DATA_FORMAT_NCHW:
      inputs = tf.transpose(inputs, [0, 2, 3, 1])
    _, _, width, depth = inputs.get_shape().as_list()
    shape = tf.shape(inputs)
    width = shape[2] if width is None else width
    depth = shape[3] if depth is None else depth
    outputs = tf.reshape(tf.transpose(inputs, [2, 0, 1, 3]),
                         [width, shape[0] * shape[1], depth])
    return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def sequence_to_images(inputs,
                       height,
                       output_data_format='channels_last',
                       outputs_collections=None,
                       scope=None):
  """The inverse of `images_to_sequence`: `[width, batch * height, depth]`
  -> `[batch, height, width, depth]` (or `[batch, depth, height, width]`).

  Args:
    inputs: a `[steps, batch * height, depth]` tensor.
    height: the height of the images, an int.
    output_data_format: 'channels_last' or 'channels_first'.
    outputs_collections, scope: as usual; scope defaults to 'SequenceToImages'.

  Returns:
    A 4-d tensor.

  Raises:
    ValueError: inputs not of rank 3, or a bad output_data_format.
  """
  layer = 'sequence_to_images'
  if output_data_format not in ('channels_first', 'channels_last'):
    raise ValueError("%s: output_data_format has to be either 'channels_first' or "
                     "'channels_last', received %r" % (layer, output_data_format))
  inputs = _common.to_tensor(layer, inputs)
  _common.check_rank(layer, inputs, (3,))
  with _common.op_scope(scope, 'SequenceToImages', inputs) as sc:
    width, num_batches, depth = inputs.get_shape().as_list()
    shape = tf.shape(inputs)
    num_batches = -1 if num_batches is None else num_batches // height
    reshaped = tf.reshape(inputs, [shape[0] if width is None else width, num_batches, height,
                                   shape[2] if depth is None else depth])
    if output_data_format == 'channels_first':
      outputs = tf.transpose(reshaped, [1, 3, 2, 0])
    else:
      outputs = tf.transpose(reshaped, [1, 2, 0, 3])
    return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def dense_to_sparse(tensor, eos_token=0, outputs_collections=None, scope=None):
  """The `SparseTensor` of the entries of `tensor` that differ from
  `eos_token` (e.g. dense labels for `ctc_loss`).

  Args:
    tensor: a tensor (usually of int labels).
    eos_token: the value left out (end of sequence / padding).
    outputs_collections, scope: as usual; scope defaults to 'dense_to_sparse'.

  Returns:
    A `SparseTensor` with the dense shape of `tensor` (int64).
  """
  with tf.compat.v1.variable_scope(scope, 'dense_to_sparse', [tensor]) as sc:
    tensor = tf.convert_to_tensor(tensor)
    indices = tf.where(tf.not_equal(tensor, tf.constant(eos_token, tensor.dtype)))
    values = tf.gather_nd(tensor, indices)
    shape = tf.shape(tensor, out_type=tf.int64)
    outputs = tf.SparseTensor(indices, values, shape)
    return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels,
                     num_classes,
                     on_value=1.0,
                     off_value=0.0,
                     outputs_collections=None,
                     scope=None):
  """One-hot encodes integer `labels` (`tf.one_hot`, int32 labels read as
  int64).

  Args:
    labels: a tensor of class indices, e.g. `[batch]`.
    num_classes: the number of classes.
    on_value, off_value: the values of the encoding.
    outputs_collections, scope: as usual; scope defaults to 'OneHotEncoding'.

  Returns:
    A tensor of shape `labels.shape + [num_classes]`.
  """
  with tf.compat.v1.name_scope(scope, 'OneHotEncoding', [labels, num_classes]) as sc:
    labels = tf.convert_to_tensor(labels)
    if labels.dtype == tf.int32:
      labels = tf.cast(labels, tf.int64)
    outputs = tf.one_hot(labels, num_classes, on_value=on_value, off_value=off_value)
    return utils.collect_named_outputs(outputs_collections, sc, outputs)
