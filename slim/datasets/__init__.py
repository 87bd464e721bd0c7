"""Dataset descriptions, converters to TFRecord, and dataset_factory."""
