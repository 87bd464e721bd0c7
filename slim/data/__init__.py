"""Datasets, decoders and providers: reading TFRecords of examples into tensors.

The modules keep tf_slim's paths (`slim.data.tfexample_decoder`, ...) and are also
on `slim` itself (`slim.dataset`, `slim.dataset_data_provider`, ...).
"""
from slim.data import data_decoder
from slim.data import data_provider
from slim.data import dataset
from slim.data import dataset_data_provider
from slim.data import parallel_reader
from slim.data import prefetch_queue
from slim.data import tfexample_decoder
