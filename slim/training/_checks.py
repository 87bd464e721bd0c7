"""Argument checks shared by the training and evaluation loops: each raises a
ValueError naming the function, the argument, the value received and what was expected."""
import numbers


def check_count(function, argument, value, allow_none=True, allow_zero=False):
  """Raises ValueError unless `value` is a positive (or, with `allow_zero`,
  non-negative) int, or None where `allow_none`."""
  if value is None and allow_none:
    return
  lowest = 0 if allow_zero else 1
  if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < lowest:
    raise ValueError('%s: %s must be %s int%s, received %r' % (
        function, argument, 'a non-negative' if allow_zero else 'a positive',
        ' or None' if allow_none else '', value))


def check_seconds(function, argument, value, allow_none=True):
  """Raises ValueError unless `value` is a non-negative number of seconds, or None
  where `allow_none`."""
  if value is None and allow_none:
    return
  if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0:
    raise ValueError('%s: %s must be a non-negative number of seconds%s, received %r' % (
        function, argument, ' or None' if allow_none else '', value))


def check_callable(function, argument, value):
  """Raises ValueError unless `value` is callable or None."""
  if value is not None and not callable(value):
    raise ValueError('%s: %s must be callable or None, received %r' % (function, argument, value))


class Default(object):
  """A marker for an argument left to its default (printed as its name)."""

  def __init__(self, name):
    self._name = name

  def __repr__(self):
    return self._name
