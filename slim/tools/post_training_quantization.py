r"""Quantizes a trained network to TFLite and reports the accuracy it keeps.

research/slim's nets/post_training_quantization.py, on the TFRecords of
download_and_convert_data, with the accuracy measured:

    # LeNet of the quickstart (scripts/quickstart.sh): full int8, int8 input and outputs
    python scripts/post_training_quantization.py --model_name=lenet --dataset_name=digits \
        --dataset_dir=/tmp/slim_quickstart/digits --checkpoint_path=/tmp/slim_quickstart/train \
        --output_tflite=/tmp/lenet_int8.tflite --num_steps=500
    # float16 weights
    python scripts/post_training_quantization.py ... --quantize=float16 \
        --output_tflite=/tmp/lenet_fp16.tflite
    # research/slim's own command line works from a checkout:
    python nets/post_training_quantization.py --model_name=mobilenet_v1 ...

The network (--model_name, with the classes of --dataset_name minus --labels_offset,
--image_size square images of the channels its checkpoint takes, batch 1) gets the
weights of --checkpoint_path (a checkpoint prefix or a training directory; with
--enable_ema the moving averages it keeps, where it has them) and is converted to
TFLite:
  * --quantize=int8 (research/slim's): full integer, weights and activations in
    int8, calibrated on --num_steps images of --dataset_split of --dataset_name in
    --dataset_dir, preprocessed for evaluation by the network's preprocessing
    (--nouse_model_specific_preprocessing: research/slim's central crop to [-1, 1]).
    The `images` input and the `logits` and `probabilities` outputs are int8 as in
    research/slim (--inference_input_type, --inference_output_type: int8, uint8 or
    float32; their scale and zero point are in the file);
  * --quantize=float16: float16 weights, float32 computation;
  * --quantize=float: float32, for comparison.
The file has the `serving_default` signature of export_inference_graph --tflite_file:
`images` [1, size, size, channels] in, `logits`, `probabilities`, `classes` (int64,
the dataset label) and `class_names` out; with class names they are also written
beside it (model.tflite -> model.labels.txt).

Then the float32 model and the quantized one run in LiteRT
(ai_edge_litert.interpreter; tf.lite.Interpreter if it is not installed) on the same
--max_eval_examples images of --eval_split_name (default: validation, else test),
preprocessed like the calibration images: their top-1 accuracy, how often they
agree, and the interpreter's milliseconds per image are printed. A quantized model
whose top-1 accuracy falls more than --max_accuracy_drop below the float model's is
an error, and no file is written (--max_eval_examples=0 skips the evaluation). The
file is written to a temporary name and renamed once checked.
"""
import os
import sys
import tempfile

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see quantize).
from slim.tools import _cli
from slim.tools._cli import REQUIRED
from slim.tools._cli import Flag
from slim.tools._cli import FlagError

__all__ = ['FLAGS', 'PROG', 'check_flags', 'console_main', 'main', 'quantize']

PROG = 'post_training_quantization'
MODES = ('int8', 'float16', 'float')  # quantize_lib.MODES, without importing TensorFlow
IO_TYPES = ('float32', 'int8', 'uint8')
# research/slim's name of ImageNet (a TensorFlow Datasets name) and ours.
DATASET_ALIASES = {'imagenet2012': 'imagenet'}

FLAGS = [
    ('network and checkpoint', [
        Flag('model_name', REQUIRED, str, 'the registered network to quantize'),
        Flag('checkpoint_path', REQUIRED, str,
             'the training checkpoint: a file prefix, a directory (its latest), or the name '
             'of a published checkpoint'),
        Flag('enable_ema', True, bool,
             'use the exponential moving averages of the variables that the checkpoint '
             'keeps (training with --moving_average_decay), where it has them'),
        Flag('image_size', None, int, "the input height and width; unset: the network's "
                                      "default size"),
        Flag('num_classes', None, int,
             'the classes of the network; unset: those of --dataset_name minus '
             '--labels_offset (given, it must be that number)'),
        Flag('labels_offset', 0, int, 'dataset labels below it are not network classes (1 for '
                                      'the VGG and ResNet v1 ImageNet checkpoints)'),
        Flag('use_grayscale', None, bool, "true: 1-channel images; false: 3; unset: the "
                                          "channels of the checkpoint's first convolution"),
        Flag('preprocessing_name', None, str, "the evaluation preprocessing; unset: the "
                                              "network's"),
    ]),
    ('calibration', [
        Flag('dataset_name', 'imagenet', str,
             'the dataset (dataset_factory; imagenet2012 is imagenet) of the calibration and '
             'evaluation images, and of the class names'),
        Flag('dataset_dir', REQUIRED, str, 'the directory of its TFRecords'),
        Flag('dataset_split', 'train', str, 'the split of the calibration images'),
        Flag('dataset_split_name', None, str, 'the same as --dataset_split (the name the '
                                              'other tools use)'),
        Flag('num_steps', 1000, int, 'calibration steps: images (the split\'s first ones; '
                                     'fewer if it has fewer)'),
        Flag('use_model_specific_preprocessing', None, bool,
             "true or unset: the network's evaluation preprocessing; false: research/slim's "
             'central crop (a border of 32/(size+32)), bicubic resize, pixels to [-1, 1]'),
    ]),
    ('TFLite', [
        Flag('output_tflite', REQUIRED, str, 'where to write the TFLite file'),
        Flag('quantize', 'int8', str, 'int8: full integer; float16: float16 weights; float: '
                                      'float32', choices=MODES),
        Flag('inference_input_type', None, str,
             'the dtype of the int8 model\'s images input; unset: int8 (float32 for the '
             'float16 and float models)', choices=IO_TYPES),
        Flag('inference_output_type', None, str,
             'the dtype of the int8 model\'s logits and probabilities; unset: int8 (float32 '
             'for the float16 and float models)', choices=IO_TYPES),
    ]),
    ('evaluation', [
        Flag('eval_split_name', None, str, 'the split to evaluate on; unset: validation, '
                                           'else test'),
        Flag('max_eval_examples', 1000, int, 'the most images evaluated (the split\'s first '
                                             'ones); 0: no evaluation'),
        Flag('max_accuracy_drop', 0.05, float,
             'the most the top-1 accuracy may fall below the float model\'s (0.05: 5 points); '
             'more is an error and no file is written'),
        Flag('num_threads', None, int, 'the interpreter\'s threads; unset: its default'),
    ]),
]


def check_flags(args):
  """Raises FlagError naming the fix for flags that cannot work (before TensorFlow loads)."""
  _cli.check_at_least(vars(args), 1, ['num_steps'])
  _cli.check_at_least(vars(args), 1, ['image_size', 'num_classes', 'num_threads'],
                      allow_none=True)
  _cli.check_at_least(vars(args), 0, ['max_eval_examples', 'max_accuracy_drop', 'labels_offset'])
  if args.dataset_split_name is not None and args.dataset_split_name != args.dataset_split:
    if args.dataset_split != 'train':
      raise FlagError('--dataset_split=%s and --dataset_split_name=%s differ: give one'
                      % (args.dataset_split, args.dataset_split_name))
    args.dataset_split = args.dataset_split_name
  for flag in ('inference_input_type', 'inference_output_type'):
    value = getattr(args, flag)
    if value is None:
      setattr(args, flag, 'int8' if args.quantize == 'int8' else 'float32')
    elif value != 'float32' and args.quantize != 'int8':
      raise FlagError('--%s=%s needs --quantize=int8: a %s model takes and gives float32'
                      % (flag, value, args.quantize))
  if not args.output_tflite.endswith('.tflite'):
    raise FlagError('--output_tflite=%s: give a file name ending in .tflite'
                    % args.output_tflite)
  if os.path.isdir(args.output_tflite):
    raise FlagError('--output_tflite=%s is a directory; give a file name' % args.output_tflite)
  parent = os.path.dirname(os.path.abspath(os.path.expanduser(args.output_tflite)))
  while not os.path.exists(parent) and os.path.dirname(parent) != parent:
    parent = os.path.dirname(parent)
  if not os.path.isdir(parent):  # checked now, not after the conversion
    raise FlagError('--output_tflite=%s: %s is a file, not a directory'
                    % (args.output_tflite, parent))
  args.dataset_name = DATASET_ALIASES.get(args.dataset_name, args.dataset_name)


def _say(text):
  print(text, flush=True)


def _prepare(args):
  """The checked spec, checkpoint and splits, and the restored serving module.

  Raises:
    FlagError: what the flags can fix (an unknown network, dataset or split, a
      checkpoint that does not fit the network, ...).
  """
  from slim.tools import _common  # pylint: disable=import-outside-toplevel
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  from slim.tools import quantize_lib  # pylint: disable=import-outside-toplevel
  from slim.datasets import dataset_factory  # pylint: disable=import-outside-toplevel
  from slim.training import checkpoints  # pylint: disable=import-outside-toplevel

  try:
    _common.check_image_network(args.model_name, args.dataset_name, PROG, 'quantizes')
    checkpoint_path = checkpoints.resolve_checkpoint(
        '--checkpoint_path', _common.check_checkpoint('checkpoint_path', args.checkpoint_path))
    spec = export_lib.classifier_spec(args.model_name, args.dataset_name, args.dataset_dir,
                                      args.labels_offset, args.image_size,
                                      bool(args.use_grayscale), 1, args.preprocessing_name)
    if args.num_classes is not None and args.num_classes != spec.num_classes:
      raise FlagError('--num_classes=%d: dataset %s has %d classes less --labels_offset=%d, '
                      'that is %d: drop --num_classes, or change --dataset_name or '
                      '--labels_offset' % (args.num_classes, args.dataset_name,
                                           spec.num_classes + spec.labels_offset,
                                           spec.labels_offset, spec.num_classes))
    if args.use_grayscale is None:
      spec, _ = export_lib.fit_to_checkpoint(spec, checkpoint_path, channels=True)
    splits = dataset_factory.get_spec(args.dataset_name).splits(args.dataset_dir)
    eval_split = args.eval_split_name
    if args.max_eval_examples and eval_split is None:
      eval_split = quantize_lib.eval_split_name(args.dataset_name, args.dataset_dir)
    for flag, split in (('dataset_split', args.dataset_split), ('eval_split_name', eval_split)):
      if split is not None and split not in splits:
        raise FlagError('--%s=%s: dataset %s in %s has the splits %s'
                        % (flag, split, args.dataset_name, args.dataset_dir,
                           ', '.join(sorted(splits))))
    module = export_lib.serving_module(spec, checkpoint_path)
  except ValueError as error:  # export_lib's errors name the flag to change
    raise FlagError(str(error)) from None
  return spec, checkpoint_path, eval_split, module


def quantize(args):
  """Converts, evaluates and writes what the flags ask for; returns the figures.

  Returns:
    {'tflite_bytes': ..., 'float_bytes': ..., 'calibration_images': ...,
     'eval': {'float': EvalResult, <mode>: EvalResult} (empty without evaluation),
     'runtime': 'LiteRT' or 'tf.lite'}.

  Raises:
    FlagError: a flag to change.
    ValueError: the accuracy fell more than --max_accuracy_drop; unreadable data.
  """
  check_flags(args)
  from slim import _files  # pylint: disable=import-outside-toplevel
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  from slim.tools import quantize_lib  # pylint: disable=import-outside-toplevel

  spec, checkpoint_path, eval_split, module = _prepare(args)
  _say('%s: %d classes (labels offset %d), %s, batch 1, checkpoint %s'
       % (spec.model_name, spec.num_classes, spec.labels_offset,
          '%dx%dx%d images' % (spec.image_size, spec.image_size, spec.num_channels),
          checkpoint_path))
  if args.enable_ema:
    averaged, total = quantize_lib.restore_moving_averages(module.model, checkpoint_path)
    _say('moving averages: %d of %d variables' % (averaged, total) if averaged else
         'moving averages: none in the checkpoint (its variables as they are)')
  preprocessing_fn, preprocessing = None, '%s preprocessing' % spec.preprocessing_name
  if args.use_model_specific_preprocessing is False:
    preprocessing_fn = quantize_lib.research_slim_preprocessing
    preprocessing = "research/slim's central-crop preprocessing to [-1, 1]"

  result = {'eval': {}, 'calibration_images': 0}
  with tempfile.TemporaryDirectory() as scratch:
    saved_model_dir = os.path.join(scratch, 'saved_model')
    export_lib.write_saved_model(module, saved_model_dir)
    files = {'float': os.path.join(scratch, 'float.tflite')}
    if args.quantize == 'float' or args.max_eval_examples:
      result['float_bytes'] = export_lib.write_tflite(saved_model_dir, files['float'])
    if args.quantize != 'float':
      files[args.quantize] = os.path.join(scratch, 'quantized.tflite')
      calibration = None
      if args.quantize == 'int8':
        calibration = _calibration(spec, args, preprocessing_fn, preprocessing, result,
                                   quantize_lib)
      result['tflite_bytes'] = export_lib.write_tflite(
          saved_model_dir, files[args.quantize], args.quantize, calibration,
          args.inference_input_type, args.inference_output_type)
    else:
      result['tflite_bytes'] = result['float_bytes']
    if args.quantize == 'int8':
      _say('int8: calibrated on %d images of %s/%s; input %s, outputs %s; %d bytes'
           % (result['calibration_images'], args.dataset_name, args.dataset_split,
              args.inference_input_type, args.inference_output_type, result['tflite_bytes']))
    elif args.quantize == 'float16':
      _say('float16: float16 weights; %d bytes' % result['tflite_bytes'])
    if 'float_bytes' in result:
      _say('float: %d bytes' % result['float_bytes'])

    if args.max_eval_examples:
      result['eval'], result['runtime'] = _evaluate(spec, args, eval_split, files,
                                                    preprocessing_fn, preprocessing,
                                                    quantize_lib)
      _check_drop(args, result['eval'])
    with open(files[args.quantize], 'rb') as f:
      data = f.read()
    _files.atomic_write(args.output_tflite, data)
  _say('TFLite %s (%s, %d bytes)' % (args.output_tflite, args.quantize, len(data)))
  if spec.class_names is not None:
    labels_file = export_lib.write_labels(spec, export_lib.tflite_labels_file(args.output_tflite))
    _say('  class names in %s' % labels_file)
  return result


def _calibration(spec, args, preprocessing_fn, preprocessing, result, quantize_lib):
  """The calibration images' function for write_tflite, printing its progress."""
  examples = quantize_lib.prepared_examples(spec, args.dataset_name, args.dataset_dir,
                                            args.dataset_split, args.num_steps, preprocessing_fn,
                                            '--dataset_split')
  first = next(iter(examples()), None)  # unreadable data fails here, before the converter
  if first is None:
    raise ValueError('--dataset_split=%s of %s in %s has no images to calibrate on'
                     % (args.dataset_split, args.dataset_name, args.dataset_dir))
  every = max(1, min(args.num_steps, 1000) // 5)
  _say('calibrating on up to %d images of %s/%s (%s)' % (args.num_steps, args.dataset_name,
                                                         args.dataset_split, preprocessing))

  def images():
    count = 0
    for image, _ in examples():
      count += 1
      if count % every == 0:
        _say('  calibration: %d images' % count)
      yield image
    result['calibration_images'] = count

  return images


def _evaluate(spec, args, eval_split, files, preprocessing_fn, preprocessing, quantize_lib):
  """Runs the float and quantized files side by side on the evaluation split, printing
  progress and the figures; returns ({name: EvalResult}, runtime)."""
  import collections  # pylint: disable=import-outside-toplevel
  classifiers = collections.OrderedDict(
      (name, quantize_lib.TfliteClassifier(path, args.num_threads))
      for name, path in files.items())
  runtime = next(iter(classifiers.values())).runtime
  examples = quantize_lib.prepared_examples(spec, args.dataset_name, args.dataset_dir,
                                            eval_split, args.max_eval_examples, preprocessing_fn,
                                            '--eval_split_name')
  _say('evaluating %s on up to %d images of %s/%s in %s (%s)'
       % (' and '.join(classifiers), args.max_eval_examples, args.dataset_name, eval_split,
          runtime, preprocessing))
  every = max(1, min(args.max_eval_examples, 1000) // 5)

  def progress(done, correct):
    _say('  evaluation: %d images, top-1 %s' % (done, ', '.join(
        '%s %.4f' % (name, right / done) for name, right in correct.items())))

  results = quantize_lib.evaluate(classifiers, examples, progress, every)
  count = next(iter(results.values())).count
  _say('top-1 accuracy on %d images of %s/%s (%s, batch 1%s):'
       % (count, args.dataset_name, eval_split, runtime,
          ', %d thread%s' % (args.num_threads, 's' * (args.num_threads > 1))
          if args.num_threads else ''))
  reference = results['float'].accuracy
  for name, value in results.items():
    change = '' if name == 'float' else ' (%+.2f points), same class as float on %.1f%%' % (
        100 * (value.accuracy - reference), 100 * value.agreement)
    _say('  %-8s %.4f%s; %.3f ms/image' % (name, value.accuracy, change, value.ms_per_image))
  if count > 1 and results['float'].classes_given == 1 and spec.num_classes > 1:
    _say('warning: the float model gives the same class to all %d images: the checkpoint '
         'has not learnt to tell them apart, or (batch norm) its moving averages still hold '
         'their initial values (they keep decay^steps of them: about 2000 steps at decay '
         '0.997); check it with eval_image_classifier' % count)
  return results, runtime


def _check_drop(args, results):
  if args.quantize == 'float':
    return
  drop = results['float'].accuracy - results[args.quantize].accuracy
  if drop > args.max_accuracy_drop:
    raise ValueError('the %s model\'s top-1 accuracy %.4f is %.2f points below the float '
                     'model\'s %.4f, more than --max_accuracy_drop=%g; no file written (try '
                     'more --num_steps calibration images, --quantize=float16, or a larger '
                     '--max_accuracy_drop)' % (args.quantize, results[args.quantize].accuracy,
                                               100 * drop, results['float'].accuracy,
                                               args.max_accuracy_drop))


def main(argv=None):
  """Quantizes what the flags of `argv` (default: the command line) ask for.

  Raises:
    FlagError: a flag that does not parse or cannot work (every error the flags fix).
    ValueError: the accuracy fell more than --max_accuracy_drop; data that cannot be read.
  """
  args = _cli.parse_flags(PROG, __doc__, FLAGS, check_flags, argv)
  _cli.import_tensorflow(args.verbosity, PROG, args.log_dir)
  for flag in ('dataset_dir', 'checkpoint_path', 'output_tflite'):
    setattr(args, flag, os.path.expanduser(getattr(args, flag)))
  return quantize(args)


def console_main(argv=None):
  """The `post_training_quantization` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
