"""The interface of data providers: item names in, one tensor per item out.

    image, label = provider.get(['image', 'label'])

A provider may be asked for its items together or one at a time; in graph mode
every `get` of one provider returns tensors of the same record.
"""
import abc

__all__ = ['DataProvider']


class DataProvider(abc.ABC):
  """Maps requested item names to tensors read from a data source.

  Args:
    items_to_tensors: a dict from item name to tensor.
    num_samples: the number of samples in the data source.
  """

  def __init__(self, items_to_tensors, num_samples):
    self._items_to_tensors = items_to_tensors
    self._num_samples = num_samples

  def get(self, items):
    """Returns the tensors of `items`, in their order.

    Args:
      items: a list or tuple of item names, each one of `list_items()`.

    Returns:
      A list with one tensor per item.

    Raises:
      ValueError: if `items` is not a list or tuple, or names an unknown item.
    """
    self._validate_items(items)
    return [self._items_to_tensors[item] for item in items]

  def list_items(self):
    """Returns the names of the items that `get` accepts."""
    return self._items_to_tensors.keys()

  def num_samples(self):
    """Returns the number of samples in the data source."""
    return self._num_samples

  def _validate_items(self, items):
    if not isinstance(items, (list, tuple)):
      raise ValueError('%s.get: items must be a list or tuple of item names, received %r'
                       % (type(self).__name__, items))
    valid_items = list(self.list_items())
    for item in items:
      if item not in valid_items:
        raise ValueError('Item [%s] is invalid. Valid entries include: %s'
                         % (item, valid_items))
