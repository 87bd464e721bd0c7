"""Reversible residual blocks and `recompute_grad`: gradients without storing
activations.

A reversible layer computes `y1 = x1 + f(x2)`, `y2 = x2 + g(y1)`; its inputs
can be recomputed from its outputs, so `rev_block` keeps no activations for
the backward pass (Gomez et al., "The Reversible Residual Network", 2017).
`recompute_grad` discards the activations of any function and recomputes
them during the backward pass.

    def f(x):
      return slim.fully_connected(x, 32, activation_fn=tf.nn.relu, scope='fc')
    y1, y2 = slim.rev_block(x1, x2, f, f, num_layers=4)

Both work in TF1 graphs and in `tf.function`, and eagerly inside a
`slim.Model` (the backward pass finds the variables again through the
variable scope of the forward pass, so the variables must be reusable there).
"""
import contextlib
import functools
import inspect
import re

import numpy as np
import tensorflow as tf

from slim import _checks
from slim.layers import _common
from slim.ops import arg_scope as arg_scope_lib

__all__ = ['rev_block', 'RevBlock', 'recompute_grad']

LAYER_RE = re.compile('.*revlayer_([0-9]*)/([fg])/.*')
_USE_DEFAULT = '__rev_block_lib_default'
_WRONG_VARS_ERR = (
    'The variables used when recomputing the function differ from the variables of the '
    'forward pass. The function wrapped with @recompute_grad (or f/g of a RevBlock) probably '
    'opens a variable scope with a default name and was called twice in the same enclosing '
    'scope, or its variables cannot be reused (eagerly, outside a slim.Model). Call it each '
    'time in its own uniquely named variable scope.')


def _wraps(fn):
  """functools.wraps, except for partials (which have no __name__)."""
  if isinstance(fn, functools.partial):
    return lambda wrapper: wrapper
  return functools.wraps(fn)


def _scope_wrap(fn, scope):
  """`fn` called in variable scope `scope` (resource variables, for custom_gradient)."""
  @_wraps(fn)
  def wrapped(*args, **kwargs):
    with tf.compat.v1.variable_scope(scope, use_resource=True):
      return fn(*args, **kwargs)
  return wrapped


@contextlib.contextmanager
def _reentered(variable_scope):
  """`variable_scope` re-entered with reuse, for a recomputation in the backward pass.

  Re-entering a scope counts as one more use of its name. Eagerly and in
  tf.function that count is undone on exit (through the enclosing scope), so
  that later calls of a `slim.Model` still give the block its first name.
  """
  if _common.in_graph_mode():
    with tf.compat.v1.variable_scope(variable_scope, reuse=True):
      yield
    return
  with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(),
                                   auxiliary_name_scope=False):
    with tf.compat.v1.variable_scope(variable_scope, reuse=True):
      yield


def _apply(fn, x, side_input):
  return fn(x, side_input) if side_input else fn(x)


def _add(first, second):
  """Sum of two gradients, either of which may be None."""
  if first is None:
    return second
  return first if second is None else first + second


def _rev_layer_forward(xs, f, g, f_side_input, g_side_input, gate_outputs=False):
  """One reversible layer: y1 = x1 + f(x2), y2 = x2 + g(y1)."""
  x1, x2 = xs
  y1 = x1 + _apply(f, x2, f_side_input)
  y2 = x2 + _apply(g, y1, g_side_input)
  return tuple(tf.tuple([y1, y2])) if gate_outputs else (y1, y2)


def _rev_layer_backward(ys, grad_ys, f, g, f_vars, f_side_input, g_vars, g_side_input):
  """Recomputes the inputs of one layer from its outputs, and the gradients.

  Returns:
    ((x1, x2), (grad_x1, grad_x2), f variable gradients, f side-input
    gradients, g variable gradients, g side-input gradients).
  """
  y1, y2 = ys
  grad_y1, grad_y2 = grad_ys
  y1_stop = tf.stop_gradient(y1)
  g_side_input = [tf.stop_gradient(t) for t in g_side_input]
  f_side_input = [tf.stop_gradient(t) for t in f_side_input]
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([y1_stop] + g_side_input)
    gy1 = _apply(g, y1_stop, g_side_input)
    x2_stop = tf.stop_gradient(y2 - gy1)
    tape.watch([x2_stop] + f_side_input)
    fx2 = _apply(f, x2_stop, f_side_input)
  x1 = y1 - fx2
  zero = tf.UnconnectedGradients.ZERO
  g_grads = tape.gradient(gy1, [y1_stop] + g_vars + g_side_input, output_gradients=grad_y2,
                          unconnected_gradients=zero)
  grad_x1 = grad_y1 + g_grads[0]  # the total gradient of y1
  f_grads = tape.gradient(fx2, [x2_stop] + f_vars + f_side_input, output_gradients=grad_x1,
                          unconnected_gradients=zero)
  grad_x2 = grad_y2 + f_grads[0]
  del tape
  x1, x2, grad_x1, grad_x2 = tf.tuple([x1, x2_stop, grad_x1, grad_x2])
  return ((x1, x2), (grad_x1, grad_x2), f_grads[1:1 + len(f_vars)], f_grads[1 + len(f_vars):],
          g_grads[1:1 + len(g_vars)], g_grads[1 + len(g_vars):])


def _rev_block_forward(x1, x2, f, g, num_layers=1, f_side_input=None, g_side_input=None,
                       gate_outputs=False):
  """The layers of a block, forward."""
  out = (x1, x2)
  for i in range(num_layers):
    out = _rev_layer_forward(out, f[i], g[i], f_side_input, g_side_input,
                             gate_outputs=gate_outputs)
  return out


def _per_layer(caller, fns, num_layers, argument):
  if isinstance(fns, (list, tuple)):
    if len(fns) != num_layers:
      raise ValueError('%s: %s must be a function or a list of num_layers=%d functions, '
                       'received a list of %d' % (caller, argument, num_layers, len(fns)))
  else:
    fns = [fns] * num_layers
  for fn in fns:
    _checks.check_callable(caller, argument, fn, allow_none=False)
  return list(fns)


class RevBlock(object):
  """A block of reversible residual layers (see `rev_block`).

  `forward(x1, x2)` applies the layers, `backward(y1, y2)` inverts them. The
  first call creates the block's variable scope (`name`, made unique, or
  exactly `name` when `_reuse` is set) and the variables of layer i under
  'revlayer_i/f' and 'revlayer_i/g'; later calls reuse them.
  """

  def __init__(self, f, g, num_layers=1, f_side_input=None, g_side_input=None,
               use_efficient_backprop=True, name='revblock', _reuse=None):
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
      raise ValueError('RevBlock: num_layers must be a positive int, received %r'
                       % (num_layers,))
    f = _per_layer('RevBlock', f, num_layers, 'f')
    g = _per_layer('RevBlock', g, num_layers, 'g')
    self.f = [_scope_wrap(fn, 'revlayer_%d/f' % i) for i, fn in enumerate(f)]
    self.g = [_scope_wrap(fn, 'revlayer_%d/g' % i) for i, fn in enumerate(g)]
    self.num_layers = num_layers
    self.f_side_input = list(f_side_input or [])
    self.g_side_input = list(g_side_input or [])
    self.name = name
    self._use_efficient_backprop = use_efficient_backprop
    self._reuse = _reuse
    self._variable_scope = None

  @contextlib.contextmanager
  def _scope(self):
    """The block's variable scope: made by the first call, reused after."""
    if self._variable_scope is None:
      # A TF1 graph under reuse finds the block of an earlier call by its plain name;
      # eagerly and in tf.function the name is made unique as slim layers do.
      if self._reuse and _common.in_graph_mode():
        scope = tf.compat.v1.variable_scope(self.name)
      else:
        scope = tf.compat.v1.variable_scope(None, default_name=self.name)
    else:
      scope = tf.compat.v1.variable_scope(self._variable_scope, reuse=True)
    with scope as variable_scope:
      self._variable_scope = variable_scope
      yield variable_scope

  def forward(self, x1, x2):
    """Applies the layers; returns (y1, y2)."""
    with self._scope() as variable_scope:
      if self._use_efficient_backprop:
        return self._forward_with_custom_grad(x1, x2, variable_scope)
      return _rev_block_forward(x1, x2, self.f, self.g, self.num_layers, self.f_side_input,
                                self.g_side_input)

  def backward(self, y1, y2):
    """Inverts the layers: returns the (x1, x2) whose forward pass gives (y1, y2)."""
    with self._scope():
      for f, g in zip(reversed(self.f), reversed(self.g)):
        x2 = y2 - _apply(g, y1, self.g_side_input)
        x1 = y1 - _apply(f, x2, self.f_side_input)
        y1, y2 = x1, x2
      return y1, y2

  def __call__(self, inputs, forward=True):
    """`forward(*inputs)`, or `backward(*inputs)` when `forward` is False."""
    return self.forward(*inputs) if forward else self.backward(*inputs)

  def _forward_with_custom_grad(self, x1, x2, variable_scope):
    num_f_side = len(self.f_side_input)

    @tf.custom_gradient
    def forward(*args):
      side_inputs = list(args[2:])
      outputs = _rev_block_forward(args[0], args[1], self.f, self.g, self.num_layers,
                                   side_inputs[:num_f_side], side_inputs[num_f_side:],
                                   gate_outputs=True)

      def grad_fn(*grad_ys, variables=None):
        return self._gradients(args, outputs, grad_ys, variables, variable_scope)
      return outputs, grad_fn

    return forward(x1, x2, *(self.f_side_input + self.g_side_input))

  def _gradients(self, inputs, outputs, grad_ys, variables, variable_scope):
    """Gradients of the inputs (and variables) by recomputing each layer backward."""
    num_f_side = len(self.f_side_input)
    side_inputs = list(inputs[2:])
    f_side, g_side = side_inputs[:num_f_side], side_inputs[num_f_side:]
    layer_vars = {}  # ('f' or 'g', layer) -> indices into variables
    for index, variable in enumerate(variables or []):
      match = LAYER_RE.match(variable.name)
      if match is None:
        raise ValueError('RevBlock: f and g may use only variables they create in the '
                         'block, but the forward pass used %s' % variable.name)
      layer_vars.setdefault((match.group(2), int(match.group(1))), []).append(index)
    variable_grads = [None] * len(variables or [])
    f_side_grads = [None] * len(f_side)
    g_side_grads = [None] * len(g_side)
    ys, grad_ys = outputs, grad_ys
    with _reentered(variable_scope):
      for layer in reversed(range(self.num_layers)):
        f_index = layer_vars.get(('f', layer), [])
        g_index = layer_vars.get(('g', layer), [])
        ys, grad_ys, f_grads, f_side_layer, g_grads, g_side_layer = _rev_layer_backward(
            ys, grad_ys, self.f[layer], self.g[layer], [variables[i] for i in f_index],
            f_side, [variables[i] for i in g_index], g_side)
        for index, grad in zip(f_index + g_index, list(f_grads) + list(g_grads)):
          variable_grads[index] = grad
        f_side_grads = [_add(a, b) for a, b in zip(f_side_grads, f_side_layer)]
        g_side_grads = [_add(a, b) for a, b in zip(g_side_grads, g_side_layer)]
    input_grads = list(grad_ys) + f_side_grads + g_side_grads
    return input_grads if variables is None else (input_grads, variable_grads)


def rev_block(x1, x2, f, g, num_layers=1, f_side_input=None, g_side_input=None,
              is_training=True):
  """A block of reversible residual layers, `y1 = x1 + f(x2)`, `y2 = x2 + g(y1)`.

  In training the backward pass recomputes each layer's inputs from its
  outputs instead of storing activations. Each layer has its own variables,
  in scopes 'revblock/revlayer_i/f' and '.../g' of the current variable scope.

  Args:
    x1: a float tensor.
    x2: a float tensor.
    f: a function `tensor -> tensor` of the same shape (or a list of
      `num_layers` of them); it may create variables. It must not close over
      tensors: pass them as `f_side_input`.
    g: as `f`, applied to y1.
    num_layers: the number of layers (default 1).
    f_side_input: a list of tensors passed to f as second argument.
    g_side_input: a list of tensors passed to g as second argument.
    is_training: use the memory-saving backward pass (default True).

  Returns:
    (y1, y2).

  Example:
    y1, y2 = slim.rev_block(x1, x2, f, g, num_layers=3)
  """
  block = RevBlock(f=f, g=g, num_layers=num_layers, f_side_input=f_side_input,
                   g_side_input=g_side_input, use_efficient_backprop=is_training,
                   _reuse=tf.compat.v1.get_variable_scope().reuse)
  return block.forward(x1, x2)


def _enable_with_args(decorator):
  """Lets `decorator` be used bare (`@d`) or with arguments (`@d(a=1)`)."""
  @_wraps(decorator)
  def new_decorator(*args, **kwargs):
    if len(args) == 1 and not kwargs and callable(args[0]):
      return decorator(args[0])
    return lambda fn: decorator(fn, *args, **kwargs)
  return new_decorator


def _check_no_closed_over_tensors(fn):
  code = getattr(fn, '__code__', None)
  if code is None or not code.co_freevars:
    return
  for var_name, cell in zip(code.co_freevars, fn.__closure__):
    try:
      value = cell.cell_contents
    except ValueError:  # an empty cell
      continue
    if isinstance(value, (tf.Tensor, tf.Variable)):
      raise ValueError(
          'recompute_grad: the decorated function %s closes over Tensor %s (local variable '
          'name: %s). Gradients would not flow to it through the recomputed function; pass '
          'it as an argument instead.' % (getattr(fn, '__name__', fn), value.name, var_name))


@_enable_with_args
def recompute_grad(fn, use_data_dep=_USE_DEFAULT, tupleize_grads=False):
  """Decorator: the activations of `fn` are recomputed in the backward pass.

  The variables of `fn` must be reusable in the variable scope of the call
  (they are, in TF1 graphs and in a `slim.Model`). As `fn` runs twice, it
  should not change state or draw random numbers; if it takes the keyword
  `is_recomputing`, it receives False on the forward and True on the
  recomputing pass (to skip e.g. moving-average updates).

  Args:
    fn: a function of tensors (positional) returning a tensor or a tuple of
      tensors. It must not close over tensors or variables.
    use_data_dep: force the recomputation after the output gradients with a
      data dependency (for XLA, which ignores control dependencies) instead of
      a control dependency. Default: a control dependency; set True under XLA.
    tupleize_grads: make all gradients available together (control or, with
      `use_data_dep`, data dependencies).

  Returns:
    The wrapped function.

  Raises:
    ValueError: `fn` closes over a tensor or a variable.

  Example:
    @slim.recompute_grad
    def block(x):
      return slim.conv2d(x, 64, [3, 3], scope='conv')
  """
  _check_no_closed_over_tensors(fn)

  @_wraps(fn)
  def wrapped(*args):
    return _recompute_grad(fn, args, use_data_dep=use_data_dep,
                           tupleize_grads=tupleize_grads)
  return wrapped


def _trainable_refs(variables):
  return {v.ref() for v in variables if v.trainable}


def _recompute_grad(fn, args, use_data_dep=_USE_DEFAULT, tupleize_grads=False):
  """See `recompute_grad`."""
  try:
    takes_flag = 'is_recomputing' in inspect.signature(fn).parameters
  except (TypeError, ValueError):
    takes_flag = False
  for arg in args:
    if not isinstance(arg, (tf.Tensor, tf.Variable)):
      raise ValueError('recompute_grad: All inputs to function must be Tensors, received %r'
                       % (arg,))
  use_data_dep = False if use_data_dep == _USE_DEFAULT else use_data_dep

  def call(inputs, recomputing):
    return fn(*inputs, **({'is_recomputing': recomputing} if takes_flag else {}))

  @tf.custom_gradient
  def fn_with_recompute(*args):
    variable_scope = tf.compat.v1.get_variable_scope()
    arg_scope = arg_scope_lib.current_arg_scope()
    with tf.GradientTape() as tape:
      outputs = call(args, False)
    original_vars = _trainable_refs(tape.watched_variables())

    def grad_fn(*output_grads, variables=None):
      if variables is not None and _trainable_refs(variables) != original_vars:
        raise ValueError(_WRONG_VARS_ERR)
      flat_outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
      output_grads = [tf.zeros_like(out) if grad is None else grad
                      for out, grad in zip(flat_outputs, output_grads)]
      inputs = [tf.identity(x) for x in args]
      with tf.control_dependencies(output_grads):
        if use_data_dep:
          inputs = _force_data_dependency(output_grads, inputs)
        with arg_scope_lib.arg_scope(arg_scope), _reentered(variable_scope), \
             tf.GradientTape() as recompute_tape:
          recompute_tape.watch(inputs)
          recomputed = call(inputs, True)
        if _trainable_refs(recompute_tape.watched_variables()) != original_vars:
          raise ValueError(_WRONG_VARS_ERR)
      recomputed = list(recomputed) if isinstance(recomputed, (list, tuple)) else [recomputed]
      grads = recompute_tape.gradient(recomputed, inputs + list(variables or []),
                                      output_gradients=output_grads)
      if tupleize_grads:
        grads = _tuple_with_data_dep(grads) if use_data_dep else tf.tuple(grads)
      input_grads = list(grads[:len(inputs)])
      return input_grads if variables is None else (input_grads, list(grads[len(inputs):]))

    return outputs, grad_fn

  return fn_with_recompute(*args)


def _force_data_dependency(first_compute, then_compute):
  """`then_compute`, made to depend on all of `first_compute` through data.

  Adds 0 (the first element of each of `first_compute`, times the smallest
  float, without gradient) to each tensor of `then_compute`: XLA keeps data
  dependencies where it drops control dependencies.

  Raises:
    ValueError: a rank is unknown or the dtype is not floating.
  """
  def first_element(x):
    if x.shape.rank is None:
      raise ValueError('_force_data_dependency: Rank of Tensor %s must be known' % (x,))
    return tf.reshape(tf.slice(x, [0] * x.shape.rank, [1] * x.shape.rank), [])

  total = tf.add_n([first_element(x) for x in first_compute if x is not None])
  if not total.dtype.is_floating:
    raise ValueError('_force_data_dependency only supports floating dtypes, received %s'
                     % total.dtype)
  zero = tf.stop_gradient(np.finfo(total.dtype.as_numpy_dtype).tiny * total)
  return [None if x is None else tf.identity(x) + zero for x in then_compute]


def _tuple_with_data_dep(tensors):
  return _force_data_dependency(tensors, tensors)
