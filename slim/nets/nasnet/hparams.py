"""`HParams`: the small part of `tf.contrib.training.HParams` that NASNet configs use.

    config = nasnet.cifar_config()
    config.num_cells                       # attribute access
    config.set_hparam('use_aux_head', 0)   # typed update of an existing parameter
    config.override_from_dict({'data_format': 'NCHW'})
"""
import numbers

__all__ = ['HParams']


def _cast(name, param_type, value):
  """`value` as `param_type`, refusing lossy or surprising conversions (like
  contrib's HParams: no float -> int, no number <-> bool, no number -> str)."""
  if type(value) is param_type or param_type is type(None):  # pylint: disable=unidiomatic-typecheck
    return value
  problem = None
  if issubclass(param_type, (str, bytes)) != isinstance(value, (str, bytes)):
    problem = 'a string and a non-string'
  elif issubclass(param_type, bool) != isinstance(value, bool):
    problem = 'a bool and a non-bool'
  elif issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
    problem = 'a non-integer to an integer'
  elif issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
    problem = 'a non-number to a number'
  if problem:
    raise ValueError("HParams: could not set '%s' (a %s) to %r: will not convert %s"
                     % (name, param_type.__name__, value, problem))
  return param_type(value)


class HParams(object):
  """Named hyperparameters with attribute access; each keeps the type it was created with.

  Args:
    **kwargs: the parameters and their initial values.
  """

  def __init__(self, **kwargs):
    self._hparam_types = {}
    for name, value in kwargs.items():
      self.add_hparam(name, value)

  def add_hparam(self, name, value):
    """Adds a new parameter `name`.

    Raises:
      ValueError: `name` exists already or is not a valid attribute name.
    """
    if name in self._hparam_types or hasattr(self, name):
      raise ValueError("HParams.add_hparam: '%s' exists already" % (name,))
    if not name.isidentifier() or name.startswith('_'):
      raise ValueError('HParams.add_hparam: %r is not a valid parameter name' % (name,))
    self._hparam_types[name] = type(value)
    setattr(self, name, value)

  def set_hparam(self, name, value):
    """Sets the existing parameter `name` to `value`, converted to its type.

    Raises:
      KeyError: unknown `name`.
      ValueError: `value` cannot be converted to the parameter's type.
    """
    if name not in self._hparam_types:
      raise KeyError("HParams.set_hparam: unknown parameter '%s'; known: %s"
                     % (name, ', '.join(sorted(self._hparam_types))))
    setattr(self, name, _cast(name, self._hparam_types[name], value))

  def override_from_dict(self, values_dict):
    """Sets every parameter of `values_dict` (as `set_hparam`); returns self."""
    for name, value in values_dict.items():
      self.set_hparam(name, value)
    return self

  def values(self):
    """A dict of the parameters and their values."""
    return {name: getattr(self, name) for name in self._hparam_types}

  def get(self, key, default=None):
    """The value of `key`, or `default` if there is no such parameter."""
    return getattr(self, key) if key in self._hparam_types else default

  def __contains__(self, key):
    return key in self._hparam_types

  def __eq__(self, other):
    return isinstance(other, HParams) and self.values() == other.values()

  def __repr__(self):
    return 'HParams(%s)' % ', '.join('%s=%r' % item for item in sorted(self.values().items()))
