"""Decoding of `tf.train.Example` and `tf.train.SequenceExample` records into items.

Decoding has two stages. First the record is parsed with the features of
`keys_to_features` (`tf.io.FixedLenFeature`, `tf.io.VarLenFeature`, ...). Then each
requested item is made from its parsed tensors by an `ItemHandler`: `Tensor` returns
a feature (reshaped, densified), `Image` decodes an encoded image, `BoundingBox`
stacks four coordinate features, and so on.

    decoder = slim.tfexample_decoder.TFExampleDecoder(
        keys_to_features={
            'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
            'image/format': tf.io.FixedLenFeature((), tf.string, default_value='png'),
            'image/class/label': tf.io.FixedLenFeature([], tf.int64, default_value=0),
        },
        items_to_handlers={
            'image': slim.tfexample_decoder.Image(),
            'label': slim.tfexample_decoder.Tensor('image/class/label'),
        })
    image, label = decoder.decode(serialized_example, ['image', 'label'])
"""
import abc

import tensorflow as tf

from slim.data import data_decoder

__all__ = [
    'ItemHandler', 'ItemHandlerCallback', 'BoundingBox', 'Tensor', 'LookupTensor',
    'BackupHandler', 'SparseTensor', 'Image', 'BoundingBoxSequence', 'NumBoxesSequence',
    'KeypointsSequence', 'TFExampleDecoder', 'TFSequenceExampleDecoder', 'UnknownItemError',
]


class UnknownItemError(KeyError, ValueError):
  """An item that the decoder has no handler for (a KeyError, as in tf_slim)."""

  def __str__(self):
    return str(self.args[0]) if self.args else ''


def _as_key_list(owner, keys):
  if isinstance(keys, str):
    return [keys]
  if isinstance(keys, (list, tuple)) and all(isinstance(key, str) for key in keys):
    return list(keys)
  raise ValueError('%s: keys must be a feature name or a list of feature names, received %r'
                   % (owner, keys))


def _prefixed_keys(owner, keys, prefix, default, count):
  """`keys` (or `default`) with `prefix` before each; there must be `count` of them."""
  if keys is None:
    keys = default
  elif len(keys) != count:
    raise ValueError('{} expects {} keys but got {}'.format(owner, count, len(keys)))
  return list(keys), [(prefix or '') + key for key in keys]


def _dense(tensor, default_value=0):
  if isinstance(tensor, tf.SparseTensor):
    return tf.sparse.to_dense(tensor, default_value)
  return tensor


class ItemHandler(abc.ABC):
  """Names the features an item is made from, and makes the item from them.

  Args:
    keys: the name of a feature, or a list of names.
  """

  def __init__(self, keys):
    self._keys = _as_key_list(type(self).__name__, keys)

  @property
  def keys(self):
    return self._keys

  @abc.abstractmethod
  def tensors_to_item(self, keys_to_tensors):
    """Returns the item made from `keys_to_tensors` (a dict of the parsed `keys`)."""


class ItemHandlerCallback(ItemHandler):
  """An item made by a function of its parsed tensors.

  Args:
    keys: the feature names the function reads.
    func: a function from a dict {key: parsed tensor} to the item.
  """

  def __init__(self, keys, func):
    super().__init__(keys)
    if not callable(func):
      raise ValueError('ItemHandlerCallback: func must be callable, received %r' % (func,))
    self._func = func

  def tensors_to_item(self, keys_to_tensors):
    return self._func(keys_to_tensors)


class BoundingBox(ItemHandler):
  """Bounding boxes [num_boxes, 4] (ymin, xmin, ymax, xmax) from four coordinate features.

  Args:
    keys: the four coordinate names in the order ymin, xmin, ymax, xmax
      (default ['ymin', 'xmin', 'ymax', 'xmax']).
    prefix: prepended to each key, e.g. 'image/object/bbox/' (default '').

  Raises:
    ValueError: if `keys` does not have 4 names.
  """

  def __init__(self, keys=None, prefix=''):
    self._coordinates, self._full_keys = _prefixed_keys(
        'BoundingBox', keys, prefix, ('ymin', 'xmin', 'ymax', 'xmax'), 4)
    self._prefix = prefix
    super().__init__(self._full_keys)

  def tensors_to_item(self, keys_to_tensors):
    sides = []
    for key in self._full_keys:
      side = keys_to_tensors[key]
      if isinstance(side, tf.SparseTensor):
        side = side.values
      sides.append(tf.expand_dims(side, 0))
    return tf.transpose(tf.concat(sides, 0))


class Tensor(ItemHandler):
  """A parsed feature, optionally reshaped; sparse features come back dense.

  The shape is either fixed (`shape`) or read from other features (`shape_keys`,
  one feature holding the whole shape or one feature per dimension).

  Args:
    tensor_key: the feature name.
    shape_keys: a feature name, or a list of them, holding the shape (default None).
    shape: the output shape (default None: as parsed).
    default_value: the value of missing entries when densifying (default 0).

  Raises:
    ValueError: if both `shape_keys` and `shape` are given.
  """

  def __init__(self, tensor_key, shape_keys=None, shape=None, default_value=0):
    if shape_keys and shape is not None:
      raise ValueError('Cannot specify both shape_keys and shape parameters.')
    if shape_keys and not isinstance(shape_keys, list):
      shape_keys = [shape_keys]
    self._tensor_key = tensor_key
    self._shape_keys = shape_keys
    self._shape = shape
    self._default_value = default_value
    super().__init__([tensor_key] + list(shape_keys or []))

  def tensors_to_item(self, keys_to_tensors):
    tensor = keys_to_tensors[self._tensor_key]
    shape = self._shape
    if self._shape_keys:
      dims = [_dense(keys_to_tensors[key]) for key in self._shape_keys]
      shape = tf.reshape(tf.stack(dims), [-1])
    if isinstance(tensor, tf.SparseTensor):
      if shape is not None:
        tensor = tf.sparse.reshape(tensor, shape)
      return tf.sparse.to_dense(tensor, self._default_value)
    if shape is not None:
      tensor = tf.reshape(tensor, shape)
    return tensor


class LookupTensor(Tensor):
  """A parsed feature mapped through a lookup table (e.g. class names to ids).

  Args:
    tensor_key: the feature name.
    table: a `tf.lookup` table.
    shape_keys, shape: as for `Tensor`.
    default_value: the value of missing entries when densifying (default '').
  """

  def __init__(self, tensor_key, table, shape_keys=None, shape=None, default_value=''):
    self._table = table
    super().__init__(tensor_key, shape_keys, shape, default_value)

  def tensors_to_item(self, keys_to_tensors):
    return self._table.lookup(super().tensors_to_item(keys_to_tensors))


class BackupHandler(ItemHandler):
  """The item of `handler`, or of `backup` where that one has no elements.

  Args:
    handler: the primary ItemHandler.
    backup: the ItemHandler used when the primary item is empty.

  Raises:
    ValueError: if either is not an ItemHandler.
  """

  def __init__(self, handler, backup):
    if not isinstance(handler, ItemHandler):
      raise ValueError('Primary handler is of type %s instead of ItemHandler' % type(handler))
    if not isinstance(backup, ItemHandler):
      raise ValueError('Backup handler is of type %s instead of ItemHandler' % type(backup))
    self._handler = handler
    self._backup = backup
    super().__init__(handler.keys + backup.keys)

  def tensors_to_item(self, keys_to_tensors):
    item = self._handler.tensors_to_item(keys_to_tensors)
    return tf.cond(tf.equal(tf.reduce_prod(tf.shape(item)), 0),
                   lambda: self._backup.tensors_to_item(keys_to_tensors),
                   lambda: item)


class SparseTensor(ItemHandler):
  """A SparseTensor whose last index column comes from an ids feature.

  Args:
    indices_key: the feature of ids (default 'indices').
    values_key: the feature of values (default 'values').
    shape_key: a feature holding the dense shape (default None).
    shape: the dense shape, used when `shape_key` is None (default: the ids' shape).
    densify: return a dense tensor (default False).
    default_value: the value of missing entries when densifying (default 0).
  """

  def __init__(self, indices_key=None, values_key=None, shape_key=None, shape=None,
               densify=False, default_value=0):
    self._indices_key = indices_key or 'indices'
    self._values_key = values_key or 'values'
    self._shape_key = shape_key
    self._shape = shape
    self._densify = densify
    self._default_value = default_value
    keys = [self._indices_key, self._values_key] + ([shape_key] if shape_key else [])
    super().__init__(keys)

  def tensors_to_item(self, keys_to_tensors):
    indices = keys_to_tensors[self._indices_key]
    values = keys_to_tensors[self._values_key]
    if self._shape_key:
      shape = _dense(keys_to_tensors[self._shape_key])
    elif self._shape:
      shape = self._shape
    else:
      shape = indices.dense_shape
    rank = tf.shape(indices.indices)[1]
    ids = tf.cast(indices.values, tf.int64)
    kept_columns = tf.slice(indices.indices, [0, 0], tf.stack([-1, rank - 1]))
    new_indices = tf.concat([kept_columns, tf.reshape(ids, [-1, 1])], 1)
    tensor = tf.SparseTensor(new_indices, values.values, tf.cast(shape, tf.int64))
    if self._densify:
      tensor = tf.sparse.to_dense(tensor, self._default_value)
    return tensor


class Image(ItemHandler):
  """An image decoded from an encoded-image feature and a format feature.

  JPEG, PNG, GIF (first frame) and BMP are recognised by their content; the
  format 'raw' (or 'RAW') means the bytes are the pixels (`tf.io.decode_raw`).

  Args:
    image_key: the feature of encoded images (default 'image/encoded').
    format_key: the feature of formats (default 'image/format').
    shape: the output shape [height, width, channels] (default None: as decoded);
      required for raw images.
    channels: the number of channels to decode to, 1, 2, 3 or 4; 0 keeps the encoded
      number (default 3).
    dtype: the output dtype (default tf.uint8); values are cast, not rescaled.
    repeated: decode a 1-D feature of several images into [num_images, ...]
      (default False).
    dct_method: the JPEG decompression hint, '' (default), 'INTEGER_FAST' or
      'INTEGER_ACCURATE'.

  Raises:
    ValueError: if `channels` is not one of 0, 1, 2, 3, 4.
  """

  def __init__(self, image_key=None, format_key=None, shape=None, channels=3,
               dtype=tf.uint8, repeated=False, dct_method=''):
    if isinstance(channels, bool) or channels not in (0, 1, 2, 3, 4):
      raise ValueError('Image: channels must be 0, 1, 2, 3 or 4, received %r' % (channels,))
    self._image_key = image_key or 'image/encoded'
    self._format_key = format_key or 'image/format'
    super().__init__([self._image_key, self._format_key])
    self._shape = shape
    self._channels = channels
    self._dtype = tf.as_dtype(dtype)
    self._repeated = repeated
    self._dct_method = dct_method

  def tensors_to_item(self, keys_to_tensors):
    image_buffer = keys_to_tensors[self._image_key]
    image_format = keys_to_tensors[self._format_key]
    if self._repeated:
      return tf.map_fn(lambda one: self._decode(one, image_format), image_buffer,
                       fn_output_signature=self._dtype)
    return self._decode(image_buffer, image_format)

  def _decode(self, image_buffer, image_format):
    """Decodes one encoded image to [height, width, channels] of `self._dtype`."""

    def decode_raw():
      return tf.io.decode_raw(image_buffer, out_type=self._dtype)

    def decode_jpeg():
      return tf.cast(tf.io.decode_jpeg(image_buffer, channels=self._channels,
                                       dct_method=self._dct_method), self._dtype)

    def decode_other():
      return tf.cast(tf.io.decode_image(image_buffer, channels=self._channels,
                                        expand_animations=False), self._dtype)

    def decode_encoded():
      return tf.cond(tf.io.is_jpeg(image_buffer), decode_jpeg, decode_other)

    is_raw = tf.logical_or(tf.equal(image_format, 'raw'), tf.equal(image_format, 'RAW'))
    image = tf.cond(is_raw, decode_raw, decode_encoded)
    if self._shape is not None:
      return tf.reshape(image, self._shape)
    image.set_shape([None, None, self._channels or None])
    return image


class _CoordinatesSequence(ItemHandler):
  """Stacks [time, n] coordinate SparseTensors into [time, n, len(keys)]."""

  _DEFAULT_KEYS = ()

  def __init__(self, keys=None, prefix=None, return_dense=True, default_value=-1.0):
    self._coordinates, self._full_keys = _prefixed_keys(
        type(self).__name__, keys, prefix, self._DEFAULT_KEYS, len(self._DEFAULT_KEYS))
    self._prefix = prefix
    self._return_dense = return_dense
    self._default_value = default_value
    super().__init__(self._full_keys)

  def tensors_to_item(self, keys_to_tensors):
    parts = []
    for key in self._full_keys:
      value = keys_to_tensors[key]
      if not isinstance(value, tf.SparseTensor):
        raise ValueError('%s: feature %r must be parsed as a tf.SparseTensor (a '
                         'tf.io.VarLenFeature), received %r' % (type(self).__name__, key, value))
      new_shape = tf.concat([tf.cast(value.dense_shape, tf.int64),
                             tf.constant([1], dtype=tf.int64)], 0)
      parts.append(tf.sparse.reshape(value, new_shape))
    stacked = tf.sparse.concat(2, parts)
    if self._return_dense:
      stacked = tf.sparse.to_dense(stacked, default_value=self._default_value)
    return stacked


class BoundingBoxSequence(_CoordinatesSequence):
  """Boxes per frame [time, num_boxes, 4] (ymin, xmin, ymax, xmax) of a SequenceExample.

  Args:
    keys: the four coordinate names (default ['ymin', 'xmin', 'ymax', 'xmax']).
    prefix: prepended to each key (default None: nothing).
    return_dense: return a dense tensor rather than a SparseTensor (default True).
    default_value: the value of missing entries when dense (default -1.0).

  Raises:
    ValueError: if `keys` does not have 4 names.
  """

  _DEFAULT_KEYS = ('ymin', 'xmin', 'ymax', 'xmax')


class KeypointsSequence(_CoordinatesSequence):
  """Keypoints per frame [time, num_keypoints, 2] (y, x) of a SequenceExample.

  Args:
    keys: the two coordinate names (default ['y', 'x']).
    prefix: prepended to each key (default None: nothing).
    return_dense: return a dense tensor rather than a SparseTensor (default True).
    default_value: the value of missing entries when dense (default -1.0).

  Raises:
    ValueError: if `keys` does not have 2 names.
  """

  _DEFAULT_KEYS = ('y', 'x')


class NumBoxesSequence(ItemHandler):
  """The number of boxes per frame [time] (int64) of a box sequence.

  It is read from the first key's [time, boxes] SparseTensor; with
  `check_consistency` the others must agree (an assertion fails at run time).

  Args:
    keys: the sparse features of the boxes (one name or a list).
    check_consistency: check that every key gives the same counts (default True).

  Raises:
    ValueError: if `keys` is empty.
  """

  def __init__(self, keys=None, check_consistency=True):
    if not keys:
      raise ValueError('keys must not be empty.')
    self._check_consistency = check_consistency
    super().__init__(keys)

  def tensors_to_item(self, keys_to_tensors):
    counts = [self._num_boxes(key, keys_to_tensors[key]) for key in self._keys]
    checks = []
    if self._check_consistency:
      checks = [tf.debugging.assert_equal(counts[0], other) for other in counts[1:]]
    with tf.control_dependencies(checks):
      return tf.identity(counts[0])

  def _num_boxes(self, key, tensor):
    if not isinstance(tensor, tf.SparseTensor):
      raise ValueError('NumBoxesSequence: tensor must be of type tf.SparseTensor. Feature %r '
                       'was parsed as %r; parse it with tf.io.VarLenFeature' % (key, tensor))
    box_ids = tf.SparseTensor(tensor.indices, tensor.indices[:, 1], tensor.dense_shape)
    box_ids = tf.sparse.to_dense(box_ids, default_value=-1)
    # A padding column of zeros makes frames without boxes count 0.
    return tf.reduce_max(tf.pad(box_ids + 1, [[0, 0], [0, 1]]), axis=1)


def _check_handlers(owner, items_to_handlers):
  if not isinstance(items_to_handlers, dict):
    raise ValueError('%s: items_to_handlers must be a dict from item name to ItemHandler, '
                     'received %r' % (owner, items_to_handlers))
  for item, handler in items_to_handlers.items():
    if not isinstance(handler, ItemHandler):
      raise ValueError('%s: the handler of item %r must be an ItemHandler, received %r'
                       % (owner, item, handler))


def _decode_items(owner, items_to_handlers, parsed, items):
  """Applies the handlers of `items` (all when None or empty) to the parsed features."""
  if not items:
    items = list(items_to_handlers)
  elif isinstance(items, str):
    raise ValueError('%s.decode: items must be a list of item names, received the string %r'
                     % (owner, items))
  outputs = []
  for item in items:
    if item not in items_to_handlers:
      raise UnknownItemError('%s.decode: unknown item %r. Known items: %s'
                             % (owner, item, ', '.join(sorted(items_to_handlers))))
    handler = items_to_handlers[item]
    missing = [key for key in handler.keys if key not in parsed]
    if missing:
      raise UnknownItemError(
          '%s.decode: item %r needs the features %s, which are not among the parsed '
          'features (%s)' % (owner, item, missing, ', '.join(sorted(parsed))))
    outputs.append(handler.tensors_to_item({key: parsed[key] for key in handler.keys}))
  return outputs


def _reshape_fixed(parsed, keys_to_features):
  """Gives FixedLenFeatures their declared shape (in a fixed order of keys)."""
  for key in sorted(keys_to_features):
    feature = keys_to_features[key]
    if isinstance(feature, tf.io.FixedLenFeature):
      parsed[key] = tf.reshape(parsed[key], feature.shape)


class TFExampleDecoder(data_decoder.DataDecoder):
  """Decodes serialized `tf.train.Example`s: parse the features, then make the items.

  Args:
    keys_to_features: a dict from feature name to `tf.io.FixedLenFeature`,
      `VarLenFeature`, `FixedLenSequenceFeature` or `SparseFeature`.
    items_to_handlers: a dict from item name to ItemHandler.
  """

  def __init__(self, keys_to_features, items_to_handlers):
    _check_handlers('TFExampleDecoder', items_to_handlers)
    self._keys_to_features = keys_to_features
    self._items_to_handlers = items_to_handlers

  def list_items(self):
    return list(self._items_to_handlers.keys())

  def decode(self, serialized_example, items=None):
    """Returns the tensors of `items` (default: every item) of one serialized Example.

    Raises:
      UnknownItemError: (a KeyError) if an item has no handler.
    """
    parsed = tf.io.parse_single_example(serialized_example, self._keys_to_features)
    _reshape_fixed(parsed, self._keys_to_features)
    return _decode_items('TFExampleDecoder', self._items_to_handlers, parsed, items)


class TFSequenceExampleDecoder(data_decoder.DataDecoder):
  """Decodes serialized `tf.train.SequenceExample`s (context and sequence features).

  Args:
    keys_to_context_features: a dict from context feature name to feature.
    keys_to_sequence_features: a dict from sequence feature name to feature.
    items_to_handlers: a dict from item name to ItemHandler.

  Raises:
    ValueError: if a key is both a context and a sequence feature.
  """

  def __init__(self, keys_to_context_features, keys_to_sequence_features,
               items_to_handlers):
    shared = set(keys_to_context_features) & set(keys_to_sequence_features)
    if shared:
      raise ValueError('Context and sequence keys are not unique. \n Context keys: %s \n '
                       'Sequence keys: %s (both: %s)' % (
                           list(keys_to_context_features), list(keys_to_sequence_features),
                           sorted(shared)))
    _check_handlers('TFSequenceExampleDecoder', items_to_handlers)
    self._keys_to_context_features = keys_to_context_features
    self._keys_to_sequence_features = keys_to_sequence_features
    self._items_to_handlers = items_to_handlers

  def list_items(self):
    return list(self._items_to_handlers.keys())

  def decode(self, serialized_example, items=None):
    """Returns the tensors of `items` (default: every item) of one SequenceExample."""
    context, sequence = tf.io.parse_single_sequence_example(
        serialized_example, self._keys_to_context_features,
        self._keys_to_sequence_features)
    _reshape_fixed(context, self._keys_to_context_features)
    parsed = dict(sequence)
    parsed.update(context)
    return _decode_items('TFSequenceExampleDecoder', self._items_to_handlers, parsed, items)
