"""The interface of data decoders: encoded records in, one tensor per requested item out.

A provider reads records (serialized `tf.train.Example`s, lines, ...) and hands
each one to its decoder, which turns it into named items ('image', 'label', ...).
`slim.tfexample_decoder.TFExampleDecoder` is the decoder of TFRecord datasets.
"""
import abc

__all__ = ['DataDecoder']


class DataDecoder(abc.ABC):
  """Decodes one encoded record into the tensors of the items asked for."""

  @abc.abstractmethod
  def decode(self, data, items):
    """Decodes `data` into one tensor per item.

    Args:
      data: the encoded record (a scalar string tensor for TFRecords).
      items: a list of item names, each one of `list_items()`.

    Returns:
      A list of tensors, one per item, in the order of `items`.

    Raises:
      ValueError: if an item cannot be decoded.
    """

  @abc.abstractmethod
  def list_items(self):
    """Returns the list of item names this decoder can decode."""
