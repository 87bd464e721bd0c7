"""What the tools share once TensorFlow is imported: the checks of the dataset,
network, preprocessing and checkpoint flags, the input pipeline, exact summary
tags, and the CPU split.
"""
import contextlib
import os

import tensorflow as tf

import slim
from slim import _checks as slim_checks
from slim.data import _record_readers as record_readers
from slim.datasets import dataset_factory
from slim.deployment.deployment_config import local_device_count
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _records
from slim.tools._cli import FlagError
from slim.training import train_dir

__all__ = ['check_checkpoint', 'check_dataset', 'check_directory', 'check_image_network',
           'check_readable', 'check_model', 'histogram_summary', 'image_batches', 'image_summary',
           'naming_damaged_records', 'scalar_summary', 'split_cpu']

_CONVERT_HINT = 'download_and_convert_data --dataset_name=%s --dataset_dir=%s'


def check_dataset(dataset_name, dataset_split_name, dataset_dir, labels_offset):
  """Checks that `dataset_dir` holds the TFRecords of the split and that the labels
  offset leaves classes; returns the `slim.dataset.Dataset` of the split.

  Raises:
    FlagError: an unknown dataset or split, a missing or empty `dataset_dir`, or a
      labels offset out of range.
  """
  try:
    spec = dataset_factory.get_spec(dataset_name)
  except ValueError as error:
    raise FlagError('--dataset_name: %s' % error) from None
  convert = _CONVERT_HINT % (dataset_name, dataset_dir or 'DIR')
  if not dataset_dir:
    raise FlagError('--dataset_dir is required: the directory of the TFRecords of --dataset_name='
                    '%s; make them with: %s' % (dataset_name, convert))
  if not tf.io.gfile.isdir(dataset_dir):
    raise FlagError('--dataset_dir=%s is not a directory; convert the dataset first: %s'
                    % (dataset_dir, convert))
  try:
    dataset = spec.get_split(dataset_split_name, dataset_dir)
  except ValueError as error:
    raise FlagError('--dataset_split_name: %s' % error) from None
  if not tf.io.gfile.glob(dataset.data_sources):
    raise FlagError('--dataset_dir=%s holds no file of split %r (%s); convert the dataset '
                    'first: %s' % (dataset_dir, dataset_split_name, dataset.data_sources,
                                   convert))
  if not 0 <= labels_offset < dataset.num_classes:
    raise FlagError('--labels_offset must be in [0, %d) for %s (%d classes), received %d'
                    % (dataset.num_classes, dataset_name, dataset.num_classes, labels_offset))
  return dataset


def check_model(model_name, preprocessing_name, image_size, image_size_flag):
  """Checks the network, its preprocessing and the image size.

  Raises:
    FlagError: an unknown network or preprocessing, or an image size below 1.
  """
  try:
    nets_factory.get_network_spec(model_name)
  except ValueError as error:
    raise FlagError('--model_name: %s' % error) from None
  try:
    preprocessing_factory.preprocessing_name_for(preprocessing_name or model_name)
  except ValueError as error:
    raise FlagError('--preprocessing_name: %s' % error) from None
  if image_size is not None and image_size < 1:
    raise FlagError('--%s must be a positive number of pixels, received %d'
                    % (image_size_flag, image_size))


def check_image_network(model_name, dataset_name, prog, does):
  """Refuses a video network: the datasets are image datasets, and the tools
  train, evaluate and classify images. An unknown network is left to `check_model`.

  Args:
    model_name: --model_name.
    dataset_name: --dataset_name, for the message.
    prog: the tool's name.
    does: what the tool does on images, for the message ('trains').

  Raises:
    FlagError: `model_name` is a video network.
  """
  try:
    network = nets_factory.get_network_spec(model_name)
  except ValueError:
    return
  if network.is_video:
    raise FlagError('--model_name=%s is a video network (clips of %d frames) and '
                    '--dataset_name=%s an image dataset: %s %s on images only. Video networks '
                    'can be built (nets_factory.get_network_fn) and exported '
                    '(export_inference_graph --model_name=%s --is_video_model), not trained or '
                    'evaluated by these tools; give an image network'
                    % (model_name, network.num_frames, dataset_name, prog, does, model_name))


def check_checkpoint(flag, checkpoint_path):
  """The checkpoint `checkpoint_path` means: a checkpoint, a directory holding
  one, or the name of one of research/slim's published checkpoints
  (`slim.nets.pretrained`, e.g. 'inception_v3'), downloaded into the cache the
  first time.

  Returns:
    The checkpoint path or directory.

  Raises:
    FlagError: none of these.
    ValueError: a checkpoint that cannot be read (corrupt or partly written).
    OSError: the download of a published checkpoint failed (rerunning resumes it).
  """
  from slim.nets import pretrained  # pylint: disable=import-outside-toplevel
  if not tf.io.gfile.exists(checkpoint_path) and (checkpoint_path in pretrained.CHECKPOINTS or
                                                  checkpoint_path in pretrained.ALIASES):
    return pretrained.download(checkpoint_path)
  if tf.io.gfile.isdir(checkpoint_path):
    if tf.train.latest_checkpoint(checkpoint_path) is None:
      raise FlagError('--%s=%s is a directory without a checkpoint; give a directory that '
                      'training wrote to, or a checkpoint file prefix such as '
                      'DIR/model.ckpt-1000' % (flag, checkpoint_path))
  elif not (tf.io.gfile.exists(checkpoint_path + '.index') or
            tf.io.gfile.exists(checkpoint_path)):
    hint = ('' if '/' in checkpoint_path else
            slim_checks.did_you_mean(checkpoint_path, pretrained.names()))
    raise FlagError('--%s=%s is not a checkpoint: give a checkpoint file prefix such as '
                    'DIR/model.ckpt-1000 (with its .index file), its directory, or the name of '
                    'a published checkpoint (download_checkpoint --list).%s'
                    % (flag, checkpoint_path, hint))
  check_readable(flag, checkpoint_path, 'give another one')
  return checkpoint_path


def check_readable(flag, checkpoint_path, advice):
  """Checks that the checkpoint `checkpoint_path` (or its directory's latest) can be read.

  Raises:
    ValueError: it cannot (corrupt or partly written); the message ends with
      `advice` (and names the newest readable checkpoint of a directory).
  """
  prefix = tf.train.latest_checkpoint(checkpoint_path) or checkpoint_path
  problem = train_dir.checkpoint_problem(prefix)
  if problem:
    if prefix != checkpoint_path:  # the newest of a directory
      readable = train_dir.latest_readable_checkpoint(checkpoint_path, log=False)[0]
      advice += ' (its newest readable checkpoint is %s)' % readable if readable else ''
    raise ValueError('--%s=%s: the checkpoint %s cannot be read (%s): a corrupt or partly '
                     'written checkpoint; %s' % (flag, checkpoint_path, prefix, problem, advice))


@contextlib.contextmanager
def naming_damaged_records(dataset):
  """A block reading `dataset` (a `slim.dataset.Dataset`) in which a
  `tf.errors.DataLossError` becomes a ValueError naming the damaged file and the
  byte offset of its broken record, when a walk of the record headers finds it."""
  try:
    yield
  except tf.errors.DataLossError:
    damage = record_readers.describe_damage(dataset.data_sources)
    if damage is None:
      raise
    raise ValueError('--dataset_dir: ' + damage) from None


def check_directory(flag, path):
  """Checks that --`flag`=`path` is, or can be made, a directory this process
  can write to.

  Raises:
    FlagError: a file, or a directory that cannot be written (or made).
  """
  if '://' in path:  # a remote file system: its own errors tell
    return
  existing = os.path.abspath(path)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise FlagError('--%s=%s: %s is a file, not a directory; give a directory'
                    % (flag, path, existing))
  if not os.access(existing, os.W_OK | os.X_OK):
    raise FlagError('--%s=%s: the directory %s cannot be written (permission denied); give '
                    'a directory you can write to' % (flag, path, existing))


def scalar_summary(tag, value):
  """A scalar summary tagged `tag` exactly. (`tf.compat.v1.summary.scalar` derives the
  tag from a unique op name: 'total_loss' becomes 'total_loss_1' beside the tensor
  'total_loss'.)"""
  return tf.raw_ops.ScalarSummary(tags=tag, values=value)


def histogram_summary(tag, values):
  """A histogram summary tagged `tag` exactly."""
  return tf.raw_ops.HistogramSummary(tag=tag, values=values)


def image_summary(tag, images, max_outputs=3):
  """An image summary of the first `max_outputs` of `images`, tagged '<tag>/image/<i>'."""
  return tf.raw_ops.ImageSummary(tag=tag, tensor=images, max_images=max_outputs)


def split_cpu(num_devices):
  """Splits the CPU into `num_devices` logical devices (CPU:0, CPU:1, ...).

  Must run before TensorFlow initializes its runtime; `DeploymentConfig` then puts
  CPU clone i on CPU:<i>. Does nothing when the CPU already has that many.

  Returns:
    The number of logical CPU devices.
  """
  if local_device_count('CPU') >= num_devices:
    return local_device_count('CPU')
  try:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices('CPU')[0],
        [tf.config.LogicalDeviceConfiguration()] * num_devices)
  except RuntimeError:  # the runtime is already running (e.g. a second call in one process)
    tf.compat.v1.logging.warning('The CPU could not be split into %d devices: the clones '
                                 'share the CPU devices there are.', num_devices)
  return local_device_count('CPU')


def image_batches(dataset, preprocessing_fn, image_size, batch_size, labels_offset=0,
                  num_readers=1, num_preprocessing_threads=4, is_training=True,
                  num_prefetch=2, skip_bad_records=False):
  """A graph-mode iterator of `(images, labels)` batches of `dataset`.

  The records are read with tf.data, each image decoded by the dataset's decoder
  and preprocessed to `image_size` x `image_size` (images of one channel,
  grayscale already, with `use_grayscale=False`), and `labels_offset` subtracted
  from the labels. For training the records are shuffled (in a buffer of 20
  batches, as research/slim's queue), repeated and every batch is full; for
  evaluation they are read once in order, the last batch possibly smaller.

  Every record is checked (`slim.tools._records`): a record that is not an
  Example, without a label or with several, with a label outside
  [labels_offset, num_classes), or whose image cannot be decoded and
  preprocessed, fails the reading with a `tf.errors.InvalidArgumentError` naming
  the split, the record (its index in its file) and what is wrong; with
  `skip_bad_records` it is skipped and counted (`_records.record_counts()`).

  Args:
    dataset: a `slim.dataset.Dataset` of classification Examples ('image/encoded',
      'image/format', 'image/class/label') with an 'image' item.
    preprocessing_fn: `fn(image, height, width, **options)` from preprocessing_factory.
    image_size: the height and width of the images.
    batch_size: images per batch.
    labels_offset: subtracted from the labels (default 0).
    num_readers: files read in parallel (default 1).
    num_preprocessing_threads: parallel preprocessing calls (default 4).
    is_training: shuffle and repeat (default True), or one ordered pass.
    num_prefetch: batches prefetched (default 2).
    skip_bad_records: skip and count bad records instead of failing (default False).

  Returns:
    A `tf.compat.v1.data.Iterator`; `get_next()` gives float32 images
    [batch, size, size, channels] and int64 labels [batch].
  """
  shuffle_buffer_size = max(20 * batch_size, 1)
  records = _records.serialized_records(dataset, num_readers=num_readers,
                                        is_training=is_training,
                                        shuffle_buffer_size=shuffle_buffer_size)

  def decode(record):
    image = dataset.decoder.decode(record, ['image'])[0]
    # One channel is grayscale already: `use_grayscale` converts RGB images only.
    options = {'use_grayscale': False} if image.shape[-1] == 1 else {}
    image = preprocessing_fn(image, image_size, image_size, **options)
    return tf.ensure_shape(image, [image_size, image_size, None])

  batches = _records.checked_batches(
      records, dataset, decode, batch_size, labels_offset=labels_offset,
      skip_bad_records=skip_bad_records, is_training=is_training,
      num_parallel_calls=num_preprocessing_threads,
      shuffle_buffer_size=shuffle_buffer_size if is_training else 0)
  return slim.data.dataset_data_provider.graph_iterator(batches.prefetch(num_prefetch))
