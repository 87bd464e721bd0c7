"""The description of a dataset: where its records are, how to read and decode them.

    dataset = slim.dataset.Dataset(
        data_sources='/data/flowers/flowers_train_*.tfrecord',
        reader=tf.compat.v1.TFRecordReader,
        decoder=decoder,
        num_samples=3320,
        items_to_descriptions={'image': 'A color image.', 'label': 'An int.'},
        num_classes=5)
    provider = slim.dataset_data_provider.DatasetDataProvider(dataset)
"""

__all__ = ['Dataset']


class Dataset:
  """A dataset description; every argument becomes an attribute of the same name.

  Args:
    data_sources: a file pattern, a file name, or a list of them.
    reader: how to read the files: a TF1 reader class (`tf.compat.v1.TFRecordReader`,
      `TextLineReader`, `FixedLengthRecordReader`, `WholeFileReader`), a `tf.data`
      dataset class (`tf.data.TFRecordDataset`) or a function from a file name to a
      `tf.data.Dataset` of records.
    decoder: a `slim.data_decoder.DataDecoder` (e.g. a `TFExampleDecoder`).
    num_samples: the number of samples in the dataset.
    items_to_descriptions: a dict from item name to a description of the item.
    **kwargs: further dataset fields (`num_classes`, `labels_to_names`, ...).
  """

  def __init__(self, data_sources, reader, decoder, num_samples, items_to_descriptions,
               **kwargs):
    kwargs.update(data_sources=data_sources, reader=reader, decoder=decoder,
                  num_samples=num_samples, items_to_descriptions=items_to_descriptions)
    self.__dict__.update(kwargs)

  def __repr__(self):
    return 'Dataset(data_sources=%r, num_samples=%r, items=%s)' % (
        self.data_sources, self.num_samples, sorted(self.items_to_descriptions or {}))
