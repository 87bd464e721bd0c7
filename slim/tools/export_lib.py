"""Export a registered network for inference: GraphDef, SavedModel and TFLite.

The library behind scripts/export_inference_graph.py. Every export starts from a
`ClassifierSpec` (the network, its classes and their names, input size and
channels, and its preprocessing):

    spec = classifier_spec('lenet', 'digits', '/tmp/digits')  # names from labels.txt
    spec, taken = fit_to_checkpoint(spec, '/tmp/train')  # channels (and classes) it has
    write_inference_graph(spec, '/tmp/lenet.pb')             # names, no weights
    module = serving_module(spec, '/tmp/train/model.ckpt-1000')
    write_saved_model(module, '/tmp/lenet_serving')
    write_tflite('/tmp/lenet_serving', '/tmp/lenet.tflite')
    write_labels(spec, tflite_labels_file('/tmp/lenet.tflite'))  # /tmp/lenet.labels.txt

The SavedModel's `serving_default` signature takes `images`, float32
`[batch, size, size, channels]` already preprocessed as in evaluation, and
returns `logits` and `probabilities` (`[batch, num_classes]`, float32) and
`classes` (int64 `[batch]`): argmax of the logits plus the labels offset, that
is the label of the dataset (the line of its labels.txt). When the spec has the
class names (the dataset directory's labels.txt), it also returns `class_names`
(string `[batch]`, the name of `classes`) and the SavedModel holds them as the
asset `labels.txt` ('label:name' lines, the labels the model can output; see
`saved_model_labels`); without names neither is there. With
`encoded_image_signature=True`, `serving_encoded` takes `encoded_images`
(string `[batch]`: PNG, JPEG, GIF or BMP bytes), decodes them and applies the
network's evaluation preprocessing before the same network and outputs. The
TFLite file has `serving_default`'s outputs, `class_names` included.

A video network (registered with `num_frames`) classifies clips: the spec's
`num_frames` makes its input `[batch, num_frames, size, size, channels]`, in
the GraphDef's placeholder and in `serving_default`'s `images`. It has no
`serving_encoded` signature (an encoded image is not a clip) and no TFLite
file: TFLite has no builtin 3-D pooling (see `check_video_export`).

Both signatures take an empty batch (outputs of batch 0). `serving_default` checks
the shape of `images` when called: "serving_default: images must be [batch, 28, 28,
1], received shape [2, 32, 32, 3]" (an InvalidArgumentError). Before that, the
module's tf.functions (also reloaded) reject a wrong static shape with TensorFlow's
TypeError naming both shapes; with a fixed batch size the declared shape is fully
static, TensorFlow folds the check away and a wrong shape fails inside the network.
TensorFlow rejects a dtype other than float32 before the signature runs ("expected
to be a float tensor but is a double tensor"). `serving_encoded` rejects strings
that do not start as an image of a format tf.io.decode_image reads, naming their
index in `encoded_images`; a damaged image of such a format fails in the decoder
with TensorFlow's message ("Invalid PNG. Failed to initialize decoder.").
"""
import collections
import os
import tempfile
import typing
import warnings

import numpy as np
import tensorflow as tf

import slim
from slim import _files
from slim.datasets import dataset_factory
from slim.datasets import dataset_utils
from slim.nets import nets_factory
from slim.preprocessing import preprocessing_factory
from slim.training import checkpoints
from slim.training import restore

__all__ = ['ClassifierSpec', 'LABELS_FILENAME', 'SERVING_DEFAULT', 'SERVING_ENCODED',
           'check_checkpoint_fits', 'check_video_export', 'classifier_spec', 'describe_signatures',
           'fit_to_checkpoint',
           'representative_images', 'saved_model_labels', 'serving_module', 'tflite_labels_file',
           'write_inference_graph', 'write_labels', 'write_saved_model', 'write_tflite']

SERVING_DEFAULT = 'serving_default'
SERVING_ENCODED = 'serving_encoded'
INPUT_NODE = 'input'  # the GraphDef's placeholder, as research/slim names it
LABELS_FILENAME = dataset_utils.LABELS_FILENAME  # the SavedModel's asset of class names
# The first bytes of the formats tf.io.decode_image reads: JPEG, PNG, GIF, BMP, WebP (a
# RIFF file), JPEG XL (a codestream or a container).
_IMAGE_MAGIC_BYTES = (b'\xff\xd8\xff', b'\x89PNG\r\n\x1a\n', b'GIF8', b'BM', b'RIFF', b'\xff\x0a',
                      b'\x00\x00\x00\x0cJXL ')


class ClassifierSpec(typing.NamedTuple):
  """What an export needs to know of the classifier.

  Fields:
    model_name: the registered network.
    num_classes: the classes of the network's logits (the dataset's minus
      `labels_offset`).
    labels_offset: added to the argmax of the logits to give the dataset label.
    image_size: the height and width of the network's input.
    num_channels: 1 (grayscale) or 3.
    batch_size: the batch size of the inputs, None for any.
    preprocessing_name: the preprocessing_factory name of the evaluation
      preprocessing.
    class_names: the names of the network's classes in order (class i is the
      dataset label i + labels_offset), or None when unknown.
    num_frames: for a video network, the frames of its input clips (the
      input is [batch, num_frames, size, size, channels]); None for an image
      network.
  """
  model_name: str
  num_classes: int
  labels_offset: int
  image_size: int
  num_channels: int
  batch_size: typing.Optional[int]
  preprocessing_name: str
  class_names: typing.Optional[typing.Tuple[str, ...]] = None
  num_frames: typing.Optional[int] = None

  def network_fn(self, is_training=False):
    """The nets_factory function of the network, with this spec's classes."""
    return nets_factory.get_network_fn(self.model_name, num_classes=self.num_classes,
                                       is_training=is_training)

  def image_shape(self):
    """The shape of the network's input: [batch, size, size, channels], or
    [batch, num_frames, size, size, channels] for a video network."""
    frames = [] if self.num_frames is None else [self.num_frames]
    return [self.batch_size] + frames + [self.image_size, self.image_size, self.num_channels]

  def describe_input(self):
    """'images 28x28x1' or 'clips of 4 frames 32x32x3'."""
    size = '%dx%dx%d' % (self.image_size, self.image_size, self.num_channels)
    if self.num_frames is None:
      return 'images ' + size
    return 'clips of %d frames %s' % (self.num_frames, size)

  def labels_to_names(self):
    """{dataset label: class name} of the labels the network outputs, or None."""
    if self.class_names is None:
      return None
    return {self.labels_offset + index: name for index, name in enumerate(self.class_names)}


def _check_optional_positive(name, value):
  if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
    raise ValueError('%s must be a positive int (or unset), received %r' % (name, value))


def classifier_spec(model_name, dataset_name='imagenet', dataset_dir=None, labels_offset=0,
                    image_size=None, use_grayscale=False, batch_size=None,
                    preprocessing_name=None, num_frames=None):
  """The `ClassifierSpec` of a network trained on a dataset, as research/slim builds it.

  Args:
    model_name: a registered network ('inception_v3').
    dataset_name: the dataset that fixes the number of classes (default 'imagenet').
    dataset_dir: the dataset's directory, for datasets described by their
      conversion (default None).
    labels_offset: labels below it are not classes of the network (default 0;
      1 for the ImageNet checkpoints without a background class).
    image_size: the input size (default None: the network's default).
    use_grayscale: the network takes one channel instead of three (default False).
    batch_size: the batch size of the inputs (default None: any).
    preprocessing_name: the evaluation preprocessing (default None: the network's).
    num_frames: the frames of a video network's clips (default None: the
      registry's `num_frames` for a video network; an image network takes none).

  Returns:
    A `ClassifierSpec`, with the class names of `dataset_dir`'s labels.txt if it
    has one (a label missing there is named by its number).

  Raises:
    ValueError: an unknown network, dataset or preprocessing, a bad number, or
      `num_frames` for an image network.
  """
  try:
    network = nets_factory.get_network_spec(model_name)
  except ValueError as error:
    raise ValueError('--model_name: %s' % error) from None
  try:
    dataset = dataset_factory.get_spec(dataset_name)
  except ValueError as error:
    raise ValueError('--dataset_name: %s' % error) from None
  some_split = sorted(dataset.splits(dataset_dir or None))[0]
  split = dataset.get_split(some_split, dataset_dir or '')
  num_classes = split.num_classes
  if isinstance(labels_offset, bool) or not isinstance(labels_offset, int) or \
      not 0 <= labels_offset < num_classes:
    raise ValueError('--labels_offset must be an int in [0, %d) (dataset %s has %d classes), '
                     'received %r' % (num_classes, dataset_name, num_classes, labels_offset))
  _check_optional_positive('--image_size', image_size)
  _check_optional_positive('--batch_size', batch_size)
  _check_optional_positive('--num_frames', num_frames)
  if num_frames is not None and not network.is_video:
    raise ValueError('--num_frames applies to video networks; %s is an image network (its '
                     'input is [batch, %d, %d, channels] images): drop --num_frames'
                     % (model_name, network.default_image_size, network.default_image_size))
  if network.is_video and num_frames is None:
    num_frames = network.num_frames
  try:
    preprocessing_name = preprocessing_factory.preprocessing_name_for(
        preprocessing_name or model_name)
  except ValueError as error:
    if preprocessing_name or not network.is_video:
      raise ValueError('--preprocessing_name: %s' % error) from None
    # A video network's clips come preprocessed: its registry entry only names the kind.
    preprocessing_name = network.preprocessing
  class_names = None
  if split.labels_to_names:
    class_names = tuple(split.labels_to_names.get(label, str(label))
                        for label in range(labels_offset, num_classes))
  return ClassifierSpec(model_name, num_classes - labels_offset, labels_offset,
                        image_size or network.default_image_size, 1 if use_grayscale else 3,
                        batch_size, preprocessing_name, class_names, num_frames)


def check_video_export(spec, encoded_image_signature=False, tflite=False):
  """Raises ValueError, naming the flag, for what a video network cannot export.

  A clip is no encoded image, so there is no `serving_encoded`; and TFLite has
  no builtin MaxPool3D and AvgPool3D (research/slim's video networks pool in
  3-D): they convert only as Flex ops, which TensorFlow's own TFLite
  interpreter does not run. Does nothing for an image network.
  """
  if spec.num_frames is None:
    return
  if encoded_image_signature:
    raise ValueError('--add_encoded_image_signature: %s is a video network; its SavedModel '
                     'takes clips [batch, %d, %d, %d, %d] in serving_default, not encoded '
                     'images: drop the flag' % ((spec.model_name,) + tuple(spec.image_shape()[1:])))
  if tflite:
    raise ValueError('--tflite_file: %s is a video network and TFLite cannot convert its 3-D '
                     'pooling (MaxPool3D, AvgPool3D are no TFLite builtin ops; as Flex ops '
                     "TensorFlow's TFLite interpreter does not run them): export a SavedModel "
                     'with --saved_model_dir and serve it with TensorFlow' % spec.model_name)


# Checkpoints.

def _shape_hint(spec, shape, checkpoint_shape, image_size_flag):
  """What probably differs between the network and the checkpoint, as a flag to change."""
  if len(shape) != len(checkpoint_shape):
    return ''
  # A 2-D or 3-D convolution's [..., in, out] weights: their input channels.
  if len(shape) in (4, 5) and shape[:-2] == checkpoint_shape[:-2] and \
      shape[-1] == checkpoint_shape[-1] and checkpoint_shape[-2] in (1, 3) and \
      shape[-2] != checkpoint_shape[-2]:
    return (' The checkpoint takes %d-channel images: %s --use_grayscale.'
            % (checkpoint_shape[-2], 'pass' if checkpoint_shape[-2] == 1 else 'drop'))
  if shape[:-1] == checkpoint_shape[:-1] and shape[-1] == spec.num_classes:
    wanted = checkpoint_shape[-1]
    return (' The checkpoint has %d classes; the network is built with the classes of '
            '--dataset_name minus --labels_offset (%d here): change them so that this makes '
            '%d.' % (wanted, spec.num_classes, wanted))
  return ' Was it trained with another %s (here %d)?' % (image_size_flag, spec.image_size)


def check_checkpoint_fits(spec, checkpoint_path, variable_shapes,
                          image_size_flag='--image_size'):
  """Checks that a checkpoint holds every variable of the network, with its shape.

  Args:
    spec: the `ClassifierSpec` the network was built from (for the hints).
    checkpoint_path: a checkpoint prefix or a directory (its latest checkpoint).
    variable_shapes: a dict from checkpoint name to the shape (list) of the
      network's variable.
    image_size_flag: the flag of the image size, for the hint (default
      '--image_size').

  Returns:
    The checkpoint prefix.

  Raises:
    ValueError: no checkpoint there, or a variable missing or of another shape
      (the message says which flag probably differs).
  """
  checkpoint_path = checkpoints.resolve_checkpoint('--checkpoint_path', checkpoint_path)
  stored = tf.train.load_checkpoint(checkpoint_path).get_variable_to_shape_map()
  missing = [name for name in variable_shapes if name not in stored]
  if missing:
    raise ValueError(
        '--checkpoint_path: %s lacks %d of the %d variables of %s (first: %s); is it a '
        'checkpoint of --model_name=%s? It holds e.g. %s'
        % (checkpoint_path, len(missing), len(variable_shapes), spec.model_name, missing[0],
           spec.model_name, ', '.join(sorted(stored)[:3])))
  for name, shape in variable_shapes.items():
    if list(shape) != list(stored[name]):
      raise ValueError('--checkpoint_path: %s has shape %s in the network but %s in %s.%s'
                       % (name, list(shape), list(stored[name]), checkpoint_path,
                          _shape_hint(spec, list(shape), list(stored[name]),
                                      image_size_flag)))
  return checkpoint_path


def _variable_shapes(spec):
  """{checkpoint name: shape} of the network's model variables, built in a graph."""
  with tf.Graph().as_default():
    spec.network_fn()(tf.compat.v1.placeholder(tf.float32, [1] + spec.image_shape()[1:]))
    return {checkpoints.variable_name(var): var.shape.as_list()
            for var in slim.get_model_variables()}


def _checkpoint_dims(spec, stored):
  """The image channels and the classes of the checkpoint's variables that depend on them.

  The network is built twice, the second time with the other channel count and
  one more class: a variable whose shape changes in one dimension from the
  spec's channels (classes) to the other's takes the images (gives the logits),
  and the checkpoint's size of that dimension is its channels (classes).

  Returns:
    (set of channel counts, set of class counts) read in the checkpoint.
  """
  other = spec._replace(num_channels=1 if spec.num_channels == 3 else 3,
                        num_classes=spec.num_classes + 1)
  built = _variable_shapes(spec)
  try:
    varied = _variable_shapes(other)
  except (ValueError, TypeError):  # a network that cannot take the other channels
    return set(), set()
  channels, classes = set(), set()
  for name, shape in built.items():
    other_shape, saved = varied.get(name, shape), stored.get(name)
    changed = [i for i, (a, b) in enumerate(zip(shape, other_shape)) if a != b]
    if len(changed) != 1 or saved is None or len(saved) != len(shape):
      continue
    pair = (shape[changed[0]], other_shape[changed[0]])
    if pair == (spec.num_channels, other.num_channels):
      channels.add(saved[changed[0]])
    elif pair == (spec.num_classes, other.num_classes):
      classes.add(saved[changed[0]])
  return channels, classes


def fit_to_checkpoint(spec, checkpoint_path, channels=True, classes=False):
  """The spec with the image channels (and classes) that the checkpoint's network has.

  The channels are the input channels of the checkpoint's first convolution (the
  variables whose shape follows the images'); the classes, the size of its
  logits. A value the checkpoint does not settle (no such variable, variables
  that disagree, a channel count other than 1 or 3) stays the spec's, and
  `check_checkpoint_fits` then says what differs.

  Args:
    spec: a `ClassifierSpec`.
    checkpoint_path: a checkpoint prefix or a directory (its latest checkpoint).
    channels: take the channels from the checkpoint (default True).
    classes: take the number of classes from the checkpoint (default False); when
      it differs from the spec's, the class names (of another dataset) are dropped.

  Returns:
    (spec, {'channels': n, 'classes': n}): the values taken from the checkpoint
    ('classes' only when they differ from the spec's).

  Raises:
    ValueError: no checkpoint there.
  """
  checkpoint_path = checkpoints.resolve_checkpoint('--checkpoint_path', checkpoint_path)
  stored = tf.train.load_checkpoint(checkpoint_path).get_variable_to_shape_map()
  found_channels, found_classes = _checkpoint_dims(spec, stored)
  taken = {}
  if channels and len(found_channels) == 1 and found_channels <= {1, 3}:
    taken['channels'], = found_channels
    spec = spec._replace(num_channels=taken['channels'])
  if classes and len(found_classes) == 1 and min(found_classes) >= 1 and \
      found_classes != {spec.num_classes}:
    taken['classes'], = found_classes
    spec = spec._replace(num_classes=taken['classes'], class_names=None)
  return spec, taken


# The GraphDef.

def _tensor_summary(tensor):
  shape = '[%s]' % ', '.join('?' if dim is None else str(dim) for dim in tensor.shape.as_list())
  return '%s %s %s' % (tensor.op.name, tensor.dtype.name, shape)


def write_inference_graph(spec, output_file, is_training=False, as_text=False,
                          checkpoint_path=None):
  """Writes the GraphDef of the network fed by the float placeholder 'input'.

  The graph holds the architecture only (variables, no values), as research/slim's
  export_inference_graph writes it for freeze_graph.

  Args:
    spec: a `ClassifierSpec`.
    output_file: the file to write (a temporary name renamed when complete).
    is_training: build batch norm and dropout in training mode (default False).
    as_text: write the text format instead of the binary one (default False).
    checkpoint_path: if given, checked to hold every variable of the graph
      (default None).

  Returns:
    An OrderedDict {'input': ..., 'logits': ..., 'predictions': ...} of
    'node dtype [shape]' descriptions (node names as freeze_graph takes them).

  Raises:
    ValueError: the checkpoint does not fit the network.
  """
  with tf.Graph().as_default() as graph:
    images = tf.compat.v1.placeholder(tf.float32, spec.image_shape(), name=INPUT_NODE)
    logits, end_points = spec.network_fn(is_training)(images)
    if checkpoint_path:
      check_checkpoint_fits(spec, checkpoint_path, {
          checkpoints.variable_name(var): var.shape.as_list()
          for var in slim.get_model_variables()})
    nodes = collections.OrderedDict([('input', images), ('logits', logits)])
    if 'Predictions' in end_points:
      nodes['predictions'] = end_points['Predictions']
    graph_def = graph.as_graph_def()
  data = str(graph_def).encode('utf-8') if as_text else graph_def.SerializeToString()
  _files.atomic_write(output_file, data)
  return collections.OrderedDict((key, _tensor_summary(t)) for key, t in nodes.items())


# The SavedModel.

def _prepare_image(spec, preprocessing_fn, image):
  """One decoded image (any channels) to the network's input, as evaluation does.

  Color images (3 or 4 channels: alpha dropped) go to a grayscale network
  through the preprocessing's `use_grayscale`; grayscale ones (1 or 2
  channels) are repeated to RGB for a color network.
  """
  size = spec.image_size

  def from_gray():
    gray = tf.ensure_shape(image[..., :1], [None, None, 1])
    if spec.num_channels == 3:
      gray = tf.image.grayscale_to_rgb(gray)
    return preprocessing_fn(gray, size, size, use_grayscale=False)

  def from_color():
    rgb = tf.ensure_shape(image[..., :3], [None, None, 3])
    return preprocessing_fn(rgb, size, size, use_grayscale=spec.num_channels == 1)

  channels = image.shape[-1]
  if channels is not None:
    prepared = from_color() if channels >= 3 else from_gray()
  else:
    prepared = tf.cond(tf.shape(image)[-1] >= 3, from_color, from_gray)
  return tf.ensure_shape(tf.cast(prepared, tf.float32), [size, size, spec.num_channels])


class _Classifier(tf.Module):
  """The network (a built, restored `slim.Model`) and its serving functions."""

  def __init__(self, spec, model):
    super(_Classifier, self).__init__(name='classifier')
    self.spec = spec
    self.model = model
    self.serve = tf.function(self._classify_images, input_signature=[
        tf.TensorSpec(spec.image_shape(), tf.float32, name='images')])
    if spec.num_frames is not None:  # a video network's clips: no encoded images
      return
    self._preprocessing_fn = preprocessing_factory.get_preprocessing(spec.preprocessing_name)
    self.serve_encoded = tf.function(self._classify_encoded, input_signature=[
        tf.TensorSpec([spec.batch_size], tf.string, name='encoded_images')])

  def _classify_images(self, images):
    """serving_default: `_classify`, once the shape of `images` is the spec's."""
    expected = self.spec.image_shape()
    rank = len(expected)  # 4, or 5 for the clips of a video network
    shape = tf.shape(images)
    # The first `rank` dimensions (zeros past the rank), to compare at any rank.
    dims = tf.pad(shape, [[0, rank]])[:rank]
    matches = [tf.equal(tf.size(shape), rank)] + [
        tf.equal(dims[axis], size) for axis, size in enumerate(expected) if size is not None]
    message = tf.strings.join([
        '%s: images must be [%s], received shape [' % (SERVING_DEFAULT, ', '.join(
            'batch' if size is None else str(size) for size in expected)),
        tf.strings.reduce_join(tf.strings.as_string(shape), separator=', '), ']'])
    with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(matches), [message])]):
      return self._classify(tf.identity(images))

  def _classify(self, images):
    # The network runs on at least one image: on an empty batch, on one of zeros whose
    # outputs are dropped (TensorFlow's oneDNN convolutions mishandle an empty batch).
    batch = tf.shape(images)[0]
    zeros = tf.zeros([tf.maximum(1 - batch, 0)] + self.spec.image_shape()[1:])
    logits, end_points = self.model(tf.concat([images, zeros], 0))
    probabilities = end_points.get('Predictions')
    if probabilities is None:
      probabilities = tf.nn.softmax(logits)
    logits, probabilities = logits[:batch], probabilities[:batch]
    for output in (logits, probabilities):  # a fixed batch size stays in the signature
      output.set_shape(tf.TensorShape([self.spec.batch_size]).concatenate(output.shape[1:]))
    indices = tf.argmax(logits, axis=-1)
    classes = indices + self.spec.labels_offset if self.spec.labels_offset else indices
    outputs = {'logits': logits, 'probabilities': probabilities, 'classes': classes}
    if self.spec.class_names is not None:
      outputs['class_names'] = tf.gather(tf.constant(self.spec.class_names), indices)
    return outputs

  def _classify_encoded(self, encoded_images):
    """serving_encoded: `_classify` of the decoded, preprocessed images, once each
    string starts as an image of a format `tf.io.decode_image` reads."""
    def decode_and_prepare(data):
      image = tf.io.decode_image(data, channels=0, expand_animations=False)
      return _prepare_image(self.spec, self._preprocessing_fn, image)

    known = tf.reduce_any(tf.stack([
        tf.equal(tf.strings.substr(encoded_images, 0, len(magic)), magic)
        for magic in _IMAGE_MAGIC_BYTES]), axis=0)
    message = tf.strings.join([
        '%s: encoded_images must hold JPEG, PNG, GIF, BMP, WebP or JPEG XL images, received '
        'other data at index ' % SERVING_ENCODED,
        tf.strings.reduce_join(tf.strings.as_string(tf.where(tf.logical_not(known))[:, 0]),
                               separator=', ')])
    with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(known), [message])]):
      images = tf.map_fn(decode_and_prepare, encoded_images,
                         fn_output_signature=tf.TensorSpec(self.spec.image_shape()[1:],
                                                           tf.float32))
    return self._classify(images)

  def signatures(self, encoded_image_signature=False):
    """{signature key: concrete function} of the SavedModel."""
    functions = {SERVING_DEFAULT: self.serve.get_concrete_function()}
    if encoded_image_signature:
      check_video_export(self.spec, encoded_image_signature=True)
      functions[SERVING_ENCODED] = self.serve_encoded.get_concrete_function()
    return functions


def serving_module(spec, checkpoint_path):
  """The network in evaluation mode with the checkpoint's values, ready to save.

  The variables are restored by name (TF-Slim checkpoints, as
  `tf.compat.v1.train.Saver` writes them); every variable of the network must be
  in the checkpoint with its shape.

  Args:
    spec: a `ClassifierSpec`.
    checkpoint_path: a checkpoint prefix or a directory (its latest checkpoint).

  Returns:
    A `tf.Module` with `serve` (images) and `serve_encoded` (encoded images;
    not for a video network) `tf.function`s and `signatures(encoded_image_signature)`.

  Raises:
    ValueError: no checkpoint there, or it does not fit the network.
  """
  model = slim.Model(spec.network_fn(is_training=False), name=spec.model_name)
  model(tf.zeros([1] + spec.image_shape()[1:]))
  checkpoint_path = check_checkpoint_fits(spec, checkpoint_path, {
      name: var.shape.as_list() for name, var in model.variables_by_name.items()})
  restore.restore_checkpoint(model, checkpoint_path)
  return _Classifier(spec, model)


def describe_signatures(signatures):
  """Lines naming each signature's inputs and outputs with their dtypes and shapes."""
  def shape(value):
    return '[%s]' % ', '.join('-1' if dim is None else str(dim) for dim in value.shape.as_list())

  lines = []
  for key, function in signatures.items():
    lines.append('  signature %s:' % key)
    positional, named = function.structured_input_signature
    inputs = dict(named, **{value.name: value for value in positional})
    for name, value in sorted(inputs.items()):
      lines.append('    input  %s: %s %s' % (name, value.dtype.name, shape(value)))
    for name, value in sorted(function.structured_outputs.items()):
      lines.append('    output %s: %s %s' % (name, value.dtype.name, shape(value)))
  return lines


def write_saved_model(module, saved_model_dir, encoded_image_signature=False,
                      overwrite=False):
  """Saves the serving module as a SavedModel, written beside and renamed.

  With class names, the SavedModel holds them as the asset `labels.txt` (on the
  module as `labels_file`; `saved_model_labels` reads it back).

  Args:
    module: the module of `serving_module`.
    saved_model_dir: the SavedModel directory; it must not exist or be empty
      unless `overwrite`.
    encoded_image_signature: add the `serving_encoded` signature (default False).
    overwrite: replace an existing directory (default False).

  Returns:
    The signatures written, {key: concrete function}.

  Raises:
    ValueError: `saved_model_dir` exists, is not empty, and not `overwrite`.
  """
  check_saved_model_dir(saved_model_dir, overwrite)
  signatures = module.signatures(encoded_image_signature)
  labels = module.spec.labels_to_names()
  with tempfile.TemporaryDirectory() as scratch:
    if labels:
      module.labels_file = tf.saved_model.Asset(write_labels(module.spec, os.path.join(
          scratch, LABELS_FILENAME)))
    try:
      with _files.renamed_when_complete(saved_model_dir) as staging:
        tf.saved_model.save(module, staging, signatures=signatures)
    finally:
      if labels:
        del module.labels_file  # its file goes with the scratch directory
  return signatures


def saved_model_labels(loaded):
  """{label: class name} of a SavedModel of `write_saved_model`, loaded with
  `tf.saved_model.load`; None if it has no names."""
  asset = getattr(loaded, 'labels_file', None)
  if asset is None:
    return None
  path = asset.asset_path.numpy().decode('utf-8')
  return dataset_utils.read_label_file(os.path.dirname(path), os.path.basename(path))


def write_labels(spec, path):
  """Writes the spec's class names to `path`, a 'label:name' line per label the
  network outputs (the format of a dataset's labels.txt); returns `path`.

  Raises:
    ValueError: the spec has no class names.
  """
  if spec.class_names is None:
    raise ValueError('%s: no class names to write (give the dataset directory holding its '
                     'labels.txt)' % path)
  dataset_utils.write_label_file(spec.labels_to_names(), os.path.dirname(path),
                                 os.path.basename(path))
  return path


def tflite_labels_file(tflite_file):
  """The class names' file beside a TFLite file: 'model.tflite' -> 'model.labels.txt'."""
  return os.path.splitext(tflite_file)[0] + '.labels.txt'


def check_saved_model_dir(saved_model_dir, overwrite):
  """Raises ValueError if `saved_model_dir` is a file, or a non-empty directory
  not to `overwrite`."""
  if not tf.io.gfile.exists(saved_model_dir):
    return
  if not tf.io.gfile.isdir(saved_model_dir):
    raise ValueError('--saved_model_dir: %s is a file; give a directory' % saved_model_dir)
  if tf.io.gfile.listdir(saved_model_dir) and not overwrite:
    raise ValueError('--saved_model_dir: %s exists and is not empty; pass --overwrite to '
                     'replace it, or choose another directory' % saved_model_dir)


# TFLite.

# write_tflite's kinds of model, and the dtypes an int8 model's inputs and outputs may have.
_TFLITE_QUANTIZE = ('float', 'float16', 'int8')
_TFLITE_IO_TYPES = {'float32': tf.float32, 'int8': tf.int8, 'uint8': tf.uint8}


def representative_images(spec, dataset_name, dataset_dir, split_name='train', count=100):
  """Up to `count` images of a dataset split, preprocessed for evaluation, for int8 calibration.

  Returns:
    A float32 array [n, size, size, channels], n <= count, in the split's order.

  Raises:
    ValueError: unknown dataset or split, or no data files in `dataset_dir`.
  """
  preprocessing_fn = preprocessing_factory.get_preprocessing(spec.preprocessing_name)
  try:
    dataset = dataset_factory.get_dataset(dataset_name, split_name, dataset_dir)
    items = slim.dataset_data_provider.make_tf_dataset(dataset, items=['image'], shuffle=False,
                                                       num_epochs=1)
  except ValueError as error:
    raise ValueError('--dataset_dir: %s' % error) from None
  images = items.take(count).map(lambda item: _prepare_image(spec, preprocessing_fn,
                                                             item['image']))
  batches = [batch.numpy() for batch in images.batch(count)]
  if not batches:
    raise ValueError('--dataset_dir: split %s of %s in %s has no images for the int8 '
                     'calibration' % (split_name, dataset_name, dataset_dir))
  return np.concatenate(batches)


def write_tflite(saved_model_dir, tflite_file, quantize='float', calibration_images=None,
                 inference_input_type='float32', inference_output_type='float32'):
  """Converts the `serving_default` signature of a SavedModel to a TFLite file
  (with its outputs, `class_names` included).

  Args:
    saved_model_dir: a SavedModel of `write_saved_model`.
    tflite_file: the file to write (a temporary name renamed when complete).
    quantize: 'float' (float32 weights and activations), 'float16' (float16
      weights, computed in float32) or 'int8' (full integer: weights and
      activations in int8, calibrated on `calibration_images`). Default 'float'.
    calibration_images: for 'int8', the network inputs to calibrate on: a float32
      array [n, size, size, channels], or a function returning an iterable of
      [size, size, channels] images (read as the converter asks for them).
    inference_input_type: for 'int8', the dtype of the `images` input:
      'float32' (default: quantized inside the model), 'int8' or 'uint8'.
    inference_output_type: for 'int8', the dtype of `logits` and `probabilities`:
      'float32' (default), 'int8' or 'uint8' (`classes` stays int64,
      `class_names` string).

  Returns:
    The size of the file in bytes.

  Raises:
    ValueError: an unknown `quantize` or type, a type other than float32 without
      'int8', or 'int8' without calibration images.
  """
  if quantize not in _TFLITE_QUANTIZE:
    raise ValueError('--tflite_quantize must be one of %s, received %r'
                     % (', '.join(_TFLITE_QUANTIZE), quantize))
  io_types = {'inference_input_type': inference_input_type,
              'inference_output_type': inference_output_type}
  for name, value in io_types.items():
    if value not in _TFLITE_IO_TYPES:
      raise ValueError('--%s must be one of %s, received %r'
                       % (name, ', '.join(_TFLITE_IO_TYPES), value))
    if value != 'float32' and quantize != 'int8':
      raise ValueError('--%s=%s needs int8 quantization (a %s model takes and gives float32)'
                       % (name, value, quantize))
  converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir,
                                                       signature_keys=[SERVING_DEFAULT])
  if quantize == 'float16':
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
  elif quantize == 'int8':
    if calibration_images is None or (not callable(calibration_images) and
                                      not len(calibration_images)):
      raise ValueError('--tflite_quantize=int8 needs calibration images')
    images = calibration_images if callable(calibration_images) else lambda: calibration_images

    def representative_dataset():
      for image in images():
        yield {'images': np.asarray(image, np.float32)[np.newaxis]}

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = _TFLITE_IO_TYPES[inference_input_type]
    converter.inference_output_type = _TFLITE_IO_TYPES[inference_output_type]
  with warnings.catch_warnings():
    # The calibration runs the deprecated tf.lite.Interpreter, which warns about itself.
    warnings.filterwarnings('ignore', message='.*tf.lite.Interpreter is deprecated')
    data = converter.convert()
  _files.atomic_write(tflite_file, data)
  return len(data)
