"""Layers applied many times: `repeat` (same arguments) and `stack` (one set of
arguments per application), each in numbered scopes."""
import tensorflow as tf

from slim import _checks

__all__ = ['repeat', 'stack']


def _base_scope(layer, default):
  """The name of `layer` (or of the function of a functools.partial)."""
  name = getattr(layer, '__name__', None)
  if name is None:
    name = getattr(getattr(layer, 'func', None), '__name__', None)
  return name or default


def _apply_in_turn(caller, default_scope, inputs, layer, args_list, kwargs):
  """Applies `layer` once per entry of `args_list` in scopes `<scope>_1`, ...,
  all inside the variable scope `scope` (default `default_scope`)."""
  _checks.check_callable(caller, 'layer', layer, allow_none=False)
  scope = kwargs.pop('scope', None)
  with tf.compat.v1.variable_scope(scope, default_scope, [inputs]):
    outputs = tf.convert_to_tensor(inputs)
    base = scope if scope is not None else _base_scope(layer, caller)
    for i, layer_args in enumerate(args_list):
      kwargs['scope'] = '%s_%d' % (base, i + 1)
      outputs = layer(outputs, *layer_args, **kwargs)
    return outputs


def repeat(inputs, repetitions, layer, *args, **kwargs):
  """Applies `layer(inputs, *args, **kwargs)` `repetitions` times in a row.

  `repeat(x, 3, slim.conv2d, 64, [3, 3], scope='conv1')` is
  `conv2d(conv2d(conv2d(x, ..., scope='conv1/conv1_1'), ...), scope='conv1/conv1_3')`.
  Without `scope`, the scopes are named after the layer function
  (`conv2d_1`, ...) inside a 'Repeat' scope.

  Args:
    inputs: the input tensor.
    repetitions: the number of applications, an int.
    layer: a function `(inputs, *args, scope=..., **kwargs) -> outputs`.
    *args, **kwargs: the other arguments of every application.

  Returns:
    The output of the last application.

  Raises:
    ValueError: `layer` is not callable.
  """
  return _apply_in_turn('repeat', 'Repeat', inputs, layer, [args] * repetitions, kwargs)


def stack(inputs, layer, stack_args, **kwargs):
  """Applies `layer` once per entry of `stack_args`, each output feeding the
  next application.

  `stack(x, slim.fully_connected, [32, 64], scope='fc')` is
  `fully_connected(fully_connected(x, 32, scope='fc/fc_1'), 64, scope='fc/fc_2')`.
  An entry that is a list or tuple gives several positional arguments. Without
  `scope`, the scopes are named after the layer function inside a 'Stack' scope.

  Args:
    inputs: the input tensor.
    layer: a function `(inputs, *args, scope=..., **kwargs) -> outputs`.
    stack_args: a list or tuple of arguments, one entry per application.
    **kwargs: the keyword arguments of every application.

  Returns:
    The output of the last application.

  Raises:
    ValueError: `stack_args` is not a list or tuple, or `layer` not callable.
  """
  if not isinstance(stack_args, (list, tuple)):
    raise ValueError('stack: stack_args need to be a list or tuple, received %r'
                     % (stack_args,))
  args_list = [args if isinstance(args, (list, tuple)) else [args] for args in stack_args]
  return _apply_in_turn('stack', 'Stack', inputs, layer, args_list, kwargs)
