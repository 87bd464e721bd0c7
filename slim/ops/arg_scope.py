"""Default keyword arguments for groups of ops: `arg_scope` and `add_arg_scope`.

An op decorated with `@add_arg_scope` takes, for every keyword it is not given
explicitly, the value set by the innermost enclosing `arg_scope` that lists it:

    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(4e-5)):
      with slim.arg_scope([slim.conv2d], padding='VALID') as sc:
        net = slim.conv2d(images, 32, [3, 3])        # VALID, regularized
      with slim.arg_scope(sc):                         # reuse a saved scope
        net = slim.conv2d(net, 64, [3, 3], padding='SAME')

Unlike tf_slim, `arg_scope` checks its keywords when the block opens: a keyword
that a listed op does not accept raises a `TypeError` naming the op and the
keyword, instead of failing (or being silently dropped) at the first call.
"""
import contextlib
import functools
import inspect

from slim import _checks

__all__ = [
    'arg_scope', 'add_arg_scope', 'current_arg_scope', 'has_arg_scope',
    'arg_scoped_arguments', 'arg_scope_func_key'
]

# The stack of scopes: each entry maps an op key to the keyword defaults for it.
_ARGSTACK = [{}]

# Op key -> (names of its keywords that have defaults, every keyword it accepts or
# None when it takes **kwargs).
_DECORATED_OPS = {}


def _arg_stack():
  if not _ARGSTACK:
    _ARGSTACK.append({})
  return _ARGSTACK


def current_arg_scope():
  """Returns the innermost scope: a dict `{op key: {keyword: default}}`."""
  return _arg_stack()[-1]


def arg_scope_func_key(op):
  """Returns the key under which `op` is stored in an arg scope."""
  return getattr(op, '_key_op', str(op))


def _op_name(op):
  return getattr(op, '__name__', repr(op))


def _signature_keywords(func):
  """(keywords with defaults, all accepted keywords or None if it takes **kwargs)."""
  params = inspect.signature(func).parameters.values()
  named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
  with_defaults = tuple(p.name for p in params
                        if p.kind in named and p.default is not inspect.Parameter.empty)
  if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
    return with_defaults, None
  return with_defaults, frozenset(p.name for p in params if p.kind in named)


def _check_keywords(op, kwargs):
  accepted = _DECORATED_OPS[arg_scope_func_key(op)][1]
  if accepted is None:
    return
  for keyword in kwargs:
    if keyword not in accepted:
      raise TypeError(
          "arg_scope: %s does not accept the keyword '%s'.%s Its keywords: %s." %
          (_op_name(op), keyword, _checks.did_you_mean(keyword, sorted(accepted)),
           ', '.join(sorted(accepted))))


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
  """Sets default keyword arguments for the listed ops inside the block.

  Args:
    list_ops_or_scope: a list or tuple of ops decorated with `@add_arg_scope`,
      or a scope dict yielded by an earlier `arg_scope` (then no `kwargs`).
    **kwargs: the defaults; every listed op must accept each of them.

  Yields:
    The new current scope, a dict `{op key: {keyword: default}}`.

  Raises:
    TypeError: `list_ops_or_scope` is neither a list/tuple nor a dict, or a
      listed op does not accept one of the keywords.
    ValueError: a listed op is not decorated with `@add_arg_scope`, or a scope
      dict is given together with keywords.
  """
  if isinstance(list_ops_or_scope, dict):
    if kwargs:
      raise ValueError('arg_scope: when a saved scope (a dict) is given, no keyword '
                       'may be given with it; received %s.' % sorted(kwargs))
    new_scope = list_ops_or_scope.copy()
  else:
    if not isinstance(list_ops_or_scope, (list, tuple)):
      raise TypeError('arg_scope: list_ops_or_scope must be a list or tuple of ops, '
                      'or a saved scope (dict); received %r.' % (list_ops_or_scope,))
    new_scope = current_arg_scope().copy()
    for op in list_ops_or_scope:
      if not has_arg_scope(op):
        raise ValueError('arg_scope: %s is not decorated with @add_arg_scope, so it '
                         'cannot take defaults from an arg_scope.' % (_op_name(op),))
      _check_keywords(op, kwargs)
      key = arg_scope_func_key(op)
      merged = dict(new_scope.get(key, {}))
      merged.update(kwargs)
      new_scope[key] = merged
  stack = _arg_stack()
  stack.append(new_scope)
  try:
    yield new_scope
  finally:
    stack.pop()


def add_arg_scope(func):
  """Decorates `func` so that its keyword defaults can be set by `arg_scope`."""
  key = arg_scope_func_key(func)
  _DECORATED_OPS[key] = _signature_keywords(func)

  @functools.wraps(func)
  def func_with_args(*args, **kwargs):
    defaults = current_arg_scope().get(key)
    if defaults:
      kwargs = dict(defaults, **kwargs)
    return func(*args, **kwargs)

  func_with_args._key_op = key  # pylint: disable=protected-access
  return func_with_args


def has_arg_scope(func):
  """Returns whether `func` was decorated with `@add_arg_scope`."""
  return arg_scope_func_key(func) in _DECORATED_OPS


def arg_scoped_arguments(func):
  """Returns the names of the keywords with defaults that `func`'s scope can set."""
  if not has_arg_scope(func):
    raise ValueError('arg_scoped_arguments: %s is not decorated with @add_arg_scope.'
                     % (_op_name(func),))
  return _DECORATED_OPS[arg_scope_func_key(func)][0]
