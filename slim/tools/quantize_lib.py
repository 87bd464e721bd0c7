"""Post-training quantization of a registered network to TFLite, and the accuracy it keeps.

The library behind post_training_quantization (research/slim's
nets/post_training_quantization.py). The network is built and restored as
export_lib's serving module (batch 1), saved, and converted by
`export_lib.write_tflite`: 'int8' (full integer, calibrated on preprocessed
images of a dataset split), 'float16' (float16 weights) or 'float'. The files
are then run in LiteRT (`ai_edge_litert`; TensorFlow's deprecated
`tf.lite.Interpreter` where it is not installed) on an evaluation split, side by
side, for their top-1 accuracy and time per image:

    spec = export_lib.classifier_spec('lenet', 'digits', '/tmp/digits', batch_size=1)
    module = export_lib.serving_module(spec, '/tmp/train')
    export_lib.write_saved_model(module, '/tmp/saved')
    calibration = prepared_examples(spec, 'digits', '/tmp/digits', 'train', 500)
    export_lib.write_tflite('/tmp/saved', '/tmp/int8.tflite', 'int8',
                            lambda: (image for image, _ in calibration()), 'int8', 'int8')
    export_lib.write_tflite('/tmp/saved', '/tmp/float.tflite')
    results = evaluate({'float': TfliteClassifier('/tmp/float.tflite'),
                        'int8': TfliteClassifier('/tmp/int8.tflite')},
                       prepared_examples(spec, 'digits', '/tmp/digits', 'test', 1000))
    results['int8'].accuracy, results['int8'].ms_per_image, results['int8'].agreement
"""
import collections
import time
import warnings

import numpy as np
import tensorflow as tf

import slim
from slim.datasets import dataset_factory
from slim.preprocessing import preprocessing_factory
from slim.tools import _common
from slim.tools import export_lib
from slim.training import checkpoints

__all__ = ['IO_TYPES', 'MODES', 'EvalResult', 'TfliteClassifier', 'eval_split_name', 'evaluate',
           'load_interpreter', 'prepared_examples', 'research_slim_preprocessing',
           'restore_moving_averages']

# The kinds of model, and the dtypes an int8 model's input and outputs may have.
MODES = ('int8', 'float16', 'float')
IO_TYPES = ('float32', 'int8', 'uint8')
# The suffix of a variable's moving average (tf.train.ExponentialMovingAverage) in a checkpoint.
MOVING_AVERAGE_SUFFIX = '/ExponentialMovingAverage'
# research/slim's own calibration preprocessing: a central crop of the image less a border
# of crop_padding / (size + crop_padding), bicubic resize, pixels to [-1, 1].
_CROP_PADDING = 32
_MEAN = _STD = 127.5


def research_slim_preprocessing(image, output_height, output_width, use_grayscale=False,
                                **unused_kwargs):
  """research/slim's preprocessing for calibration without
  --use_model_specific_preprocessing: the central square crop that leaves a border of
  32/(size + 32) of the shorter side, resized bicubically to the output size, in [-1, 1].

  Args:
    image: a [height, width, channels] image tensor (uint8 or float in [0, 255]).
    output_height: the output height (the crop is resized to it and output_width).
    output_width: the output width.
    use_grayscale: convert an RGB image to one channel (default False).

  Returns:
    A float32 [output_height, output_width, channels] tensor.
  """
  shape = tf.shape(image)
  crop = tf.cast(output_height / (output_height + _CROP_PADDING) *
                 tf.cast(tf.minimum(shape[0], shape[1]), tf.float32), tf.int32)
  crop = tf.maximum(crop, 1)
  image = tf.image.crop_to_bounding_box(image, (shape[0] - crop + 1) // 2,
                                        (shape[1] - crop + 1) // 2, crop, crop)
  image = tf.image.resize(tf.cast(image, tf.float32), [output_height, output_width],
                          method=tf.image.ResizeMethod.BICUBIC)
  if use_grayscale:
    image = tf.image.rgb_to_grayscale(image)
  return (image - _MEAN) / _STD


def eval_split_name(dataset_name, dataset_dir):
  """The split to evaluate on: 'validation' if the dataset has it, else 'test'.

  Raises:
    ValueError: an unknown dataset, or a dataset with neither split.
  """
  splits = dataset_factory.get_spec(dataset_name).splits(dataset_dir or None)
  for name in ('validation', 'test'):
    if name in splits:
      return name
  raise ValueError('--eval_split_name: dataset %s has no validation or test split (it has %s): '
                   'name the split to evaluate on' % (dataset_name, ', '.join(sorted(splits))))


def prepared_examples(spec, dataset_name, dataset_dir, split_name, count, preprocessing_fn=None,
                      flag='--dataset_split'):
  """Up to `count` examples of a dataset split, preprocessed as the network takes them.

  Images go through `preprocessing_fn` (default: the spec's evaluation
  preprocessing) as export_lib's `serving_encoded` prepares them (a color image for
  a 1-channel network converted, a grayscale one repeated for a color network).

  Args:
    spec: an export_lib `ClassifierSpec`.
    dataset_name: the dataset (dataset_factory).
    dataset_dir: the directory of its TFRecords.
    split_name: the split.
    count: the most examples.
    preprocessing_fn: `fn(image, height, width, use_grayscale=...)` (default None:
      the spec's).
    flag: the flag of the split, for errors (default '--dataset_split').

  Returns:
    A function returning a fresh iterator of (float32 [size, size, channels]
    image, int dataset label) pairs, in the split's order, read as it goes.

  Raises:
    ValueError: an unknown dataset or split, or no data files in `dataset_dir`;
      while iterating, a damaged record (naming its file and offset).
  """
  if preprocessing_fn is None:
    preprocessing_fn = preprocessing_factory.get_preprocessing(spec.preprocessing_name)
  try:
    dataset = dataset_factory.get_dataset(dataset_name, split_name, dataset_dir)
    items = slim.dataset_data_provider.make_tf_dataset(dataset, items=['image', 'label'],
                                                       shuffle=False, num_epochs=1)
  except ValueError as error:
    raise ValueError('%s=%s: %s' % (flag, split_name, error)) from None
  items = items.take(count).map(
      lambda item: (export_lib._prepare_image(spec, preprocessing_fn, item['image']),  # pylint: disable=protected-access
                    item['label']), num_parallel_calls=tf.data.AUTOTUNE).prefetch(8)

  def examples():
    with _common.naming_damaged_records(dataset):  # a damaged file named, not a DataLossError
      for image, label in items.as_numpy_iterator():
        yield image, int(label)

  return examples


def restore_moving_averages(model, checkpoint_path):
  """Gives the model's variables the moving averages the checkpoint keeps of them
  (`<name>/ExponentialMovingAverage`, as training with --moving_average_decay saves
  them), where it has them.

  Args:
    model: a built `slim.Model` (`variables_by_name`).
    checkpoint_path: a checkpoint prefix or a directory (its latest).

  Returns:
    (number of variables given their average, number of variables).

  Raises:
    ValueError: an average whose shape differs from its variable's.
  """
  checkpoint_path = checkpoints.resolve_checkpoint('--checkpoint_path', checkpoint_path)
  reader = tf.train.load_checkpoint(checkpoint_path)
  shapes = reader.get_variable_to_shape_map()
  replaced = 0
  for name, var in model.variables_by_name.items():
    average = name + MOVING_AVERAGE_SUFFIX
    if average not in shapes:
      continue
    if list(shapes[average]) != var.shape.as_list():
      raise ValueError('--checkpoint_path: %s has shape %s in %s but the network\'s %s is %s'
                       % (average, shapes[average], checkpoint_path, name, var.shape.as_list()))
    var.assign(reader.get_tensor(average), read_value=False)
    replaced += 1
  return replaced, len(model.variables_by_name)


def load_interpreter(tflite_file, num_threads=None):
  """A TFLite interpreter of the file, allocated: LiteRT's, else TensorFlow's.

  Returns:
    (interpreter, runtime name: 'LiteRT' or 'tf.lite').
  """
  try:
    from ai_edge_litert.interpreter import Interpreter  # pylint: disable=import-outside-toplevel
    runtime = 'LiteRT'
  except ImportError:
    Interpreter = tf.lite.Interpreter  # pylint: disable=invalid-name
    runtime = 'tf.lite'
  with warnings.catch_warnings():
    warnings.filterwarnings('ignore', message='.*tf.lite.Interpreter is deprecated')
    interpreter = Interpreter(model_path=tflite_file, num_threads=num_threads)
  interpreter.allocate_tensors()
  return interpreter, runtime


class TfliteClassifier(object):
  """`serving_default` of a TFLite file of export_lib, one image at a time.

  An int8 or uint8 input is quantized with the file's scale and zero point; the
  class is the `classes` output (the dataset label). `seconds` and `count` add
  up the time spent in the interpreter.
  """

  def __init__(self, tflite_file, num_threads=None):
    self.interpreter, self.runtime = load_interpreter(tflite_file, num_threads)
    self.runner = self.interpreter.get_signature_runner(export_lib.SERVING_DEFAULT)
    details = self.runner.get_input_details()['images']
    self.input_dtype = np.dtype(details['dtype'])
    self.input_scale, self.input_zero_point = details['quantization']
    self.output_dtypes = {name: np.dtype(value['dtype']).name
                          for name, value in self.runner.get_output_details().items()}
    self.seconds, self.count = 0.0, 0

  def _input(self, image):
    image = np.asarray(image, np.float32)[np.newaxis]
    if self.input_dtype == np.float32:
      return image
    limits = np.iinfo(self.input_dtype)
    quantized = np.round(image / self.input_scale + self.input_zero_point)
    return np.clip(quantized, limits.min, limits.max).astype(self.input_dtype)

  def classify(self, image):
    """The dataset label the model gives one preprocessed image."""
    feed = self._input(image)
    start = time.perf_counter()
    outputs = self.runner(images=feed)
    self.seconds += time.perf_counter() - start
    self.count += 1
    return int(outputs['classes'][0])


class EvalResult(collections.namedtuple('EvalResult', ['accuracy', 'agreement', 'ms_per_image',
                                                       'count', 'classes_given'])):
  """Of one model: top-1 accuracy, the fraction of images whose class is the first
  model's, the interpreter's milliseconds per image, the images, and how many
  different classes it gave them (1: one class for every image)."""


def evaluate(classifiers, examples, progress=None, progress_every=None):
  """Top-1 accuracy of each classifier on the same examples, in one pass.

  Args:
    classifiers: an ordered dict {name: TfliteClassifier}; the first is the
      reference of `agreement` (the float model).
    examples: a function returning an iterator of (image, label), as
      `prepared_examples` gives.
    progress: `progress(done, correct)`, called every `progress_every` examples
      with {name: correct so far} (default None).
    progress_every: how often `progress` is called (default None: never).

  Returns:
    {name: EvalResult}.

  Raises:
    ValueError: no examples.
  """
  names = list(classifiers)
  correct = dict.fromkeys(names, 0)
  agree = dict.fromkeys(names, 0)
  given = {name: set() for name in names}
  for classifier in classifiers.values():
    classifier.seconds, classifier.count = 0.0, 0
  count = 0
  for image, label in examples():
    predicted = {name: classifiers[name].classify(image) for name in names}
    for name in names:
      correct[name] += int(predicted[name] == label)
      agree[name] += int(predicted[name] == predicted[names[0]])
      given[name].add(predicted[name])
    count += 1
    if progress is not None and progress_every and count % progress_every == 0:
      progress(count, dict(correct))
  if not count:
    raise ValueError('no examples to evaluate on')
  return collections.OrderedDict(
      (name, EvalResult(correct[name] / count, agree[name] / count,
                        1000.0 * classifiers[name].seconds / count, count, len(given[name])))
      for name in names)
