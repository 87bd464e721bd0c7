"""Argument checks shared across slim, made before any variable, file or thread.

Every check raises with the caller's name, the argument, the value received
and what was expected: ValueError for a wrong value (an int of the wrong sign,
a float where an int is due), TypeError for an object of the wrong kind (not
callable). `did_you_mean` and `unknown_name` word the errors for names.
"""
import difflib
import numbers


def _is_int(value):
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value):
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _or_none(allow_none):
  return ' or None' if allow_none else ''


def check_int(caller, argument, value, allow_none=False):
  """Returns `value`, an int (or None where `allow_none`); else ValueError."""
  if (value is None and allow_none) or _is_int(value):
    return value
  raise ValueError('%s: %s must be an int%s, received %r'
                   % (caller, argument, _or_none(allow_none), value))


def check_count(caller, argument, value, allow_none=False, allow_zero=False):
  """Returns `value`, a positive int (non-negative with `allow_zero`; None where
  `allow_none`); else ValueError."""
  if (value is None and allow_none) or (_is_int(value) and value >= (0 if allow_zero else 1)):
    return value
  raise ValueError('%s: %s must be a %s int%s, received %r' % (
      caller, argument, 'non-negative' if allow_zero else 'positive', _or_none(allow_none),
      value))


def check_number(caller, argument, value, minimum=None, allow_none=False, what='a number'):
  """Returns `value`, a real number >= `minimum` (if given; None where
  `allow_none`); else ValueError. `what` names the quantity ('a number of seconds')."""
  if (value is None and allow_none) or (
      _is_number(value) and (minimum is None or value >= minimum)):
    return value
  bound = '' if minimum is None else ' >= %s' % minimum
  raise ValueError('%s: %s must be %s%s%s, received %r'
                   % (caller, argument, what, bound, _or_none(allow_none), value))


def check_seconds(caller, argument, value, allow_none=True, allow_zero=True):
  """Returns `value`, a number of seconds >= 0 (> 0 unless `allow_zero`; None
  where `allow_none`); else ValueError."""
  if (value is None and allow_none) or (
      _is_number(value) and (value >= 0 if allow_zero else value > 0)):
    return value
  raise ValueError('%s: %s must be a %s number of seconds%s, received %r' % (
      caller, argument, 'non-negative' if allow_zero else 'positive', _or_none(allow_none),
      value))


def check_callable(caller, argument, value, allow_none=True):
  """Returns `value`, callable (or None where `allow_none`); else TypeError."""
  if (value is None and allow_none) or callable(value):
    return value
  raise TypeError('%s: %s must be callable%s, received %r'
                  % (caller, argument, _or_none(allow_none), value))


def did_you_mean(name, known):
  """" Did you mean 'x'?" for the closest of `known` to `name`, or ''."""
  close = difflib.get_close_matches(str(name), list(known), n=1)
  return " Did you mean '%s'?" % close[0] if close else ''


def unknown_name(kind, name, known):
  """The ValueError for a name that is not one of `known`:
  "Unknown network 'inceptoin_v3'. Did you mean 'inception_v3'? Known: ..."."""
  known = sorted(known)
  return ValueError('Unknown %s %r.%s Known: %s'
                    % (kind, name, did_you_mean(name, known), ', '.join(known)))


class Default(object):
  """A marker for an argument left to its default (printed as its name)."""

  def __init__(self, name):
    self._name = name

  def __repr__(self):
    return self._name
