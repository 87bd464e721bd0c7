"""Helpers shared by layers: named outputs (end points), static values and
conditionals, and normalisation of size arguments."""
import collections
import contextlib
import threading

import tensorflow as tf

__all__ = ['append_tensor_alias', 'channel_dimension', 'collect_named_outputs',
           'constant_value', 'convert_collection_to_dict', 'gather_tensors_aliases',
           'get_tensor_aliases', 'get_variable_collections', 'last_dimension',
           'n_positive_integers', 'smart_cond', 'static_cond', 'two_element_tuple']


# Eager execution has no graph collections. While a `slim.Model` call runs
# eagerly, the collections that hold named outputs (end points) live in frames
# of this thread (tf.distribute runs replicas in threads), so that networks
# written with `outputs_collections` and `convert_collection_to_dict` give the
# same end points in every mode. Frames nest: a value added goes into every open
# frame, and reads see the innermost one (a MobileNet layer records its own
# outputs while the model's frame records them all).
class _EagerFrames(threading.local):

  def __init__(self):
    super().__init__()
    self.stack = []


_EAGER_FRAMES = _EagerFrames()


@contextlib.contextmanager
def eager_collections():
  """Opens a frame of collections for what is added in this thread while it is
  open and executing eagerly; yields it (a dict: collection -> list)."""
  frame = {}
  _EAGER_FRAMES.stack.append(frame)
  try:
    yield frame
  finally:
    _EAGER_FRAMES.stack.pop()


def _open_eager_frames():
  """The open frames, innermost last, when executing eagerly; else None."""
  return _EAGER_FRAMES.stack if _EAGER_FRAMES.stack and tf.executing_eagerly() else None


def add_to_eager_collections(names, value):
  """Adds `value` to the collections `names` of the open eager frames; returns
  False (adding nothing) in graph mode or when no frame is open."""
  frames = _open_eager_frames()
  if frames is None:
    return False
  for frame in frames:
    for name in ([names] if isinstance(names, str) else names):
      frame.setdefault(name, []).append(value)
  return True


def _add_to_collections(names, value):
  if not add_to_eager_collections(names, value):
    tf.compat.v1.add_to_collections(names, value)


def _get_collection(name):
  frames = _open_eager_frames()
  return list(frames[-1].get(name, [])) if frames else tf.compat.v1.get_collection(name)


def collect_named_outputs(collections_, alias, outputs):
  """Tags `outputs` with `alias` and adds it to `collections_` (if any).

  Returns:
    `outputs`, so the call can be used inline.
  """
  if collections_:
    append_tensor_alias(outputs, alias)
    _add_to_collections(collections_, outputs)
  return outputs


def append_tensor_alias(tensor, alias):
  """Appends `alias` (without a trailing '/') to `tensor.aliases`; returns tensor."""
  alias = alias[:-1] if alias.endswith('/') else alias
  if hasattr(tensor, 'aliases'):
    tensor.aliases.append(alias)
  else:
    tensor.aliases = [alias]
  return tensor


def get_tensor_aliases(tensor):
  """Returns the aliases of `tensor`, or its op name if it has none."""
  if hasattr(tensor, 'aliases'):
    return tensor.aliases
  name = tensor.name
  return [name[:-2] if name.endswith(':0') else name]


def gather_tensors_aliases(tensors):
  """Returns the aliases of all `tensors`, in order."""
  return [alias for tensor in tensors for alias in get_tensor_aliases(tensor)]


def convert_collection_to_dict(collection, clear_collection=False):
  """Returns an OrderedDict `{alias: tensor}` of the tensors in `collection`."""
  output = collections.OrderedDict(
      (alias, tensor) for tensor in _get_collection(collection)
      for alias in get_tensor_aliases(tensor))
  if clear_collection:
    frames = _open_eager_frames()
    if frames:
      frames[-1].pop(collection, None)
    else:
      tf.compat.v1.get_default_graph().clear_collection(collection)
  return output


def constant_value(value_or_tensor_or_var, dtype=None):
  """Returns the value if it is known statically: a Python value or a constant
  tensor; None for a variable or a tensor whose value depends on the run.

  Raises:
    ValueError: the argument is None, or is a tensor/variable of another dtype
      than `dtype`.
  """
  value = value_or_tensor_or_var
  if value is None:
    raise ValueError('constant_value: value_or_tensor_or_var cannot be None')
  if isinstance(value, (tf.Tensor, tf.Variable)):
    if dtype and value.dtype != dtype:
      raise ValueError('constant_value: expected a %s, received a %s.' %
                       (dtype, value.dtype))
    if isinstance(value, tf.Variable):
      return None
    return tf.get_static_value(value)
  return value


def static_cond(pred, fn1, fn2):
  """Returns `fn1()` if the Python value `pred` is true, else `fn2()`."""
  if not callable(fn1):
    raise TypeError('fn1 must be callable.')
  if not callable(fn2):
    raise TypeError('fn2 must be callable.')
  return fn1() if pred else fn2()


def smart_cond(pred, fn1, fn2, name=None):
  """Like `tf.cond`, but decided in Python when `pred` has a static value."""
  pred_value = constant_value(pred)
  if pred_value is not None:
    return static_cond(pred_value, fn1, fn2)
  return tf.cond(pred, fn1, fn2, name=name)


def get_variable_collections(variables_collections, name):
  """The collections for the variable `name`: `variables_collections` is a list
  for every variable, or a dict from variable name to list."""
  if isinstance(variables_collections, dict):
    return variables_collections.get(name, None)
  return variables_collections


def _get_dimension(shape, dim, min_rank=1):
  dims = tf.TensorShape(shape).dims
  if dims is None:
    raise ValueError('dims of shape must be known but is None')
  if len(dims) < min_rank:
    raise ValueError('rank of shape must be at least %d not: %d' % (min_rank, len(dims)))
  value = tf.compat.dimension_value(dims[dim])
  if value is None:
    raise ValueError('dimension %d of shape must be known but is None: %s' % (dim, shape))
  return value


def channel_dimension(shape, data_format, min_rank=1):
  """The channel size of `shape` ('channels_first' or last), which must be known."""
  return _get_dimension(shape, 1 if data_format == 'channels_first' else -1,
                        min_rank=min_rank)


def last_dimension(shape, min_rank=1):
  """The last dimension of `shape`, which must be known, checking rank >= min_rank."""
  return _get_dimension(shape, -1, min_rank=min_rank)


def two_element_tuple(int_or_tuple):
  """Returns `(height, width)` from an int, a 2-element list/tuple or TensorShape.

  Raises:
    ValueError: anything else.
  """
  if isinstance(int_or_tuple, (list, tuple)):
    if len(int_or_tuple) != 2:
      raise ValueError('Must be a list with 2 elements: %s' % (int_or_tuple,))
    return int(int_or_tuple[0]), int(int_or_tuple[1])
  if isinstance(int_or_tuple, int):
    return int(int_or_tuple), int(int_or_tuple)
  if isinstance(int_or_tuple, tf.TensorShape) and len(int_or_tuple) == 2:
    return int_or_tuple[0], int_or_tuple[1]
  raise ValueError('Must be an int, a list with 2 elements or a TensorShape of '
                   'length 2')


def n_positive_integers(n, value):
  """Returns a tuple of `n` positive ints from an int, a sequence or a TensorShape.

  Raises:
    ValueError: `n` is not a positive integer, or `value` is not `n` positive
      integers (or one, repeated).
  """
  if int(n) != n or n < 1:
    raise ValueError('n must be a positive integer')
  n = int(n)
  try:
    value = int(value)
  except (TypeError, ValueError):
    expected = 'Expected sequence of %d positive integers, but received %r' % (n, value)
    if len(value) != n:
      raise ValueError(expected)
    try:
      values = tuple(int(x) for x in value)
    except Exception:  # pylint: disable=broad-except
      raise ValueError(expected)
    for x in values:
      if x < 1:
        raise ValueError('expected positive integer, but received %d' % x)
    return values
  if value < 1:
    raise ValueError('expected positive integer, but received %d' % value)
  return (value,) * n
