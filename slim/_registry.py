"""One shape for the registries of networks, datasets and preprocessing.

Each entry is registered where it is defined; a registry is a read-only
mapping from name to entry with one wording for an unknown name:

    NETWORKS = Registry('network')
    NETWORKS.register('lenet', spec)
    NETWORKS.lookup('lenett')   # ValueError: Unknown network 'lenett'. Did you mean 'lenet'? Known: ...
    NETWORKS.names('resnet_v1*')
"""
import collections.abc
import fnmatch

from slim import _checks


class Registry(collections.abc.Mapping):
  """Names to entries of one kind, iterated in sorted order.

  Args:
    kind: what an entry is, for messages ('network', 'dataset', 'preprocessing').
  """

  def __init__(self, kind):
    self.kind = kind
    self._entries = {}

  def register(self, name, entry):
    """Adds `entry` under `name` and returns it.

    Raises:
      ValueError: `name` is not a non-empty string, or is registered already.
    """
    if not isinstance(name, str) or not name:
      raise ValueError('register: a %s name must be a non-empty string, received %r'
                       % (self.kind, name))
    if name in self._entries:
      raise ValueError('register: the %s %r is registered already (%r)'
                       % (self.kind, name, self._entries[name]))
    self._entries[name] = entry
    return entry

  def lookup(self, name):
    """The entry of `name`.

    Raises:
      ValueError: `name` is not registered; the message suggests the closest
        name and lists the known ones.
    """
    if isinstance(name, str) and name in self._entries:
      return self._entries[name]
    raise _checks.unknown_name(self.kind, name, self._entries)

  def names(self, pattern='*'):
    """The sorted names matching the glob `pattern`."""
    return sorted(name for name in self._entries if fnmatch.fnmatchcase(name, pattern))

  def __getitem__(self, name):
    return self._entries[name]

  def __iter__(self):
    return iter(sorted(self._entries))

  def __len__(self):
    return len(self._entries)

  def __repr__(self):
    return '<Registry of %d %ss>' % (len(self), self.kind)
