r"""Exports a network for inference: a GraphDef, a SavedModel and a TFLite file.

    # The architecture only, as research/slim did (for freeze_graph):
    python scripts/export_inference_graph.py --model_name=inception_v3 \
        --output_file=/tmp/inception_v3_inf_graph.pb
    # A SavedModel for TF Serving and a TFLite file, with a checkpoint's weights:
    python scripts/export_inference_graph.py --model_name=lenet --dataset_name=digits \
        --use_grayscale --checkpoint_path=/tmp/train --saved_model_dir=/tmp/lenet_serving \
        --add_encoded_image_signature --tflite_file=/tmp/lenet.tflite
    # An 8-bit TFLite file calibrated on 100 preprocessed images of the dataset:
    python scripts/export_inference_graph.py --model_name=lenet --dataset_name=digits \
        --use_grayscale --checkpoint_path=/tmp/train --tflite_file=/tmp/lenet_int8.tflite \
        --tflite_quantize=int8 --dataset_dir=/tmp/digits

The network has the classes of --dataset_name minus --labels_offset, takes
--image_size (default: its own) square images of 3 channels (1 with
--use_grayscale) and a batch of --batch_size (default: any).

--output_file: a GraphDef whose float placeholder 'input' feeds the network built
with --is_training; no weights (freeze it with a checkpoint for a frozen graph).

--saved_model_dir: a SavedModel of the network in evaluation mode with the weights
of --checkpoint_path (restored by variable name). Its `serving_default` signature
takes `images` (float32 [batch, size, size, channels], preprocessed as for
evaluation) and returns `logits` and `probabilities` (float32 [batch, classes]) and
`classes` (int64 [batch]: the argmax of the logits plus --labels_offset, the
dataset's label). --add_encoded_image_signature adds `serving_encoded`: input
`encoded_images` (string [batch] of PNG, JPEG, GIF or BMP bytes), decoded and put
through the network's evaluation preprocessing (color images are converted for a
--use_grayscale network, grayscale ones repeated for a color one), same outputs.

--tflite_file: `serving_default` in TFLite: float32, or with --tflite_quantize=int8
int8 weights and activations (inputs and outputs stay float32 and int64) calibrated
on --num_representative_images images of --dataset_split_name of --dataset_name in
--dataset_dir, preprocessed for evaluation.

Files are written to temporary names and renamed. The names of the inputs and outputs
are printed. --quantize (tf.contrib.quantize) does not exist in TensorFlow 2.
"""
import os
import sys
import tempfile

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
from slim.tools import _cli
from slim.tools._cli import Flag
from slim.tools._cli import FlagError

__all__ = ['FLAGS', 'check_flags', 'console_main', 'export', 'main']

PROG = 'export_inference_graph'

FLAGS = [
    ('network', [
        Flag('model_name', 'inception_v3', str, 'the registered network to export'),
        Flag('is_training', False, bool, 'build the GraphDef in training mode (the SavedModel '
                                         'and TFLite are always in evaluation mode)'),
        Flag('image_size', None, int, "the input height and width; None: the network's "
                                      "default size"),
        Flag('batch_size', None, int, 'the batch size of the inputs; None: any'),
        Flag('dataset_name', 'imagenet', str,
             'the dataset whose number of classes the network has'),
        Flag('labels_offset', 0, int, 'dataset labels below it are not network classes: the '
                                      'network has (dataset classes - offset) logits and '
                                      '`classes` adds it back (1 for the VGG and ResNet v1 '
                                      'ImageNet checkpoints)'),
        Flag('dataset_dir', '', str, 'the dataset directory (for datasets described by their '
                                     'conversion, and the int8 calibration images)'),
        Flag('use_grayscale', False, bool, 'the network takes 1-channel images instead of 3'),
        Flag('preprocessing_name', None, str, "the evaluation preprocessing; None: the "
                                              "network's"),
    ]),
    ('GraphDef', [
        Flag('output_file', '', str, 'where to write the GraphDef'),
        Flag('write_text_graphdef', False, bool, 'write the GraphDef in the text format'),
        Flag('quantize', False, bool, 'TF1 only (tf.contrib.quantize): an error here; use '
                                      '--tflite_file with --tflite_quantize=int8'),
    ]),
    ('SavedModel and TFLite', [
        Flag('checkpoint_path', None, str, 'the TF-Slim checkpoint (a file prefix, or a '
                                           'directory for its latest) whose weights are '
                                           'exported'),
        Flag('saved_model_dir', None, str, 'where to write the SavedModel'),
        Flag('add_encoded_image_signature', False, bool,
             'add the serving_encoded signature taking encoded image bytes'),
        Flag('overwrite', False, bool, 'replace an existing, non-empty --saved_model_dir'),
        Flag('tflite_file', None, str, 'where to write a TFLite model'),
        Flag('tflite_quantize', 'float', str, 'the TFLite weights and activations',
             choices=('float', 'int8')),
        Flag('dataset_split_name', 'train', str, 'the split of the int8 calibration images'),
        Flag('num_representative_images', 100, int,
             'how many images calibrate the int8 quantization'),
    ]),
]


def _parser():
  return _cli.make_parser(PROG, __doc__, FLAGS)


def check_flags(args):
  """Raises FlagError naming the fix for flags that cannot work together."""
  if args.quantize:
    raise FlagError('--quantize rewrote the graph with tf.contrib.quantize, which TensorFlow 2 '
                     'does not have; for an 8-bit model use --tflite_file with '
                     '--tflite_quantize=int8 and --dataset_dir')
  if not (args.output_file or args.saved_model_dir or args.tflite_file):
    raise FlagError('nothing to export: give --output_file (GraphDef), --saved_model_dir '
                     '(SavedModel) or --tflite_file (TFLite)')
  for flag in ('saved_model_dir', 'tflite_file'):
    if getattr(args, flag) and not args.checkpoint_path:
      raise FlagError('--%s needs --checkpoint_path: the checkpoint whose weights to export'
                       % flag)
  if args.add_encoded_image_signature and not args.saved_model_dir:
    raise FlagError('--add_encoded_image_signature adds a signature to the SavedModel: give '
                     '--saved_model_dir')
  if args.tflite_quantize != 'float' and not args.tflite_file:
    raise FlagError('--tflite_quantize applies to the TFLite file: give --tflite_file')
  if args.tflite_quantize == 'int8' and not args.dataset_dir:
    raise FlagError('--tflite_quantize=int8 calibrates on images of the dataset: give '
                     '--dataset_dir (with --dataset_name and --dataset_split_name)')
  if args.num_representative_images < 1:
    raise FlagError('--num_representative_images must be a positive int, received %d'
                     % args.num_representative_images)


def export(args):
  """Writes what the flags ask for and prints the names of the inputs and outputs."""
  check_flags(args)
  # Imported here so that --help and flag errors answer before TensorFlow loads.
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  from slim.training import checkpoints  # pylint: disable=import-outside-toplevel

  if args.checkpoint_path:
    args.checkpoint_path = checkpoints.resolve_checkpoint('--checkpoint_path',
                                                          args.checkpoint_path)
  spec = export_lib.classifier_spec(
      args.model_name, args.dataset_name, args.dataset_dir, args.labels_offset,
      args.image_size, args.use_grayscale, args.batch_size, args.preprocessing_name)
  if args.saved_model_dir:
    export_lib.check_saved_model_dir(args.saved_model_dir, args.overwrite)
  print('%s: %d classes (labels offset %d), images %dx%dx%d, batch %s, %s preprocessing'
        % (spec.model_name, spec.num_classes, spec.labels_offset, spec.image_size,
           spec.image_size, spec.num_channels, spec.batch_size or 'any',
           spec.preprocessing_name))

  if args.output_file:
    nodes = export_lib.write_inference_graph(spec, args.output_file, args.is_training,
                                             args.write_text_graphdef, args.checkpoint_path)
    print('GraphDef %s (%s mode):' % (args.output_file,
                                      'training' if args.is_training else 'evaluation'))
    for key, description in nodes.items():
      print('  %-11s %s' % (key, description))
  if not (args.saved_model_dir or args.tflite_file):
    return

  module = export_lib.serving_module(spec, args.checkpoint_path)
  with tempfile.TemporaryDirectory() as scratch:
    saved_model_dir = args.saved_model_dir or os.path.join(scratch, 'saved_model')
    signatures = export_lib.write_saved_model(module, saved_model_dir,
                                              args.add_encoded_image_signature, args.overwrite)
    if args.saved_model_dir:
      print('SavedModel %s:' % args.saved_model_dir)
      print('\n'.join(export_lib.describe_signatures(signatures)))
    if args.tflite_file:
      calibration = None
      if args.tflite_quantize == 'int8':
        calibration = export_lib.representative_images(
            spec, args.dataset_name, args.dataset_dir, args.dataset_split_name,
            args.num_representative_images)
      size = export_lib.write_tflite(saved_model_dir, args.tflite_file, args.tflite_quantize,
                                     calibration)
      detail = ('int8, calibrated on %d images of %s/%s' % (
          len(calibration), args.dataset_name, args.dataset_split_name)
                if calibration is not None else 'float32')
      print('TFLite %s (%s, %d bytes):' % (args.tflite_file, detail, size))
      print('\n'.join(export_lib.describe_signatures(
          {export_lib.SERVING_DEFAULT: signatures[export_lib.SERVING_DEFAULT]})))


def main(argv=None):
  """Exports what the flags of `argv` (default: the command line) ask for.

  Raises:
    SystemExit: a flag that does not parse (status 2).
    FlagError: a flag value that cannot work, a checkpoint that does not fit the
      network, a --saved_model_dir in the way (every error the flags can fix).
  """
  args = _parser().parse_args(argv)
  for flag in ('output_file', 'dataset_dir', 'checkpoint_path', 'saved_model_dir',
               'tflite_file'):
    value = getattr(args, flag)
    if value:
      setattr(args, flag, os.path.expanduser(value))
  try:
    export(args)
  except ValueError as error:  # check_flags' and export_lib's errors name the flag to change
    raise FlagError(str(error)) from None


def console_main(argv=None):
  """The `export_inference_graph` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
