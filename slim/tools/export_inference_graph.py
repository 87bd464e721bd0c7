r"""Exports a network for inference: a GraphDef, a SavedModel and a TFLite file.

    # The architecture only, as research/slim did (for freeze_graph):
    python scripts/export_inference_graph.py --model_name=inception_v3 \
        --output_file=/tmp/inception_v3_inf_graph.pb
    # A SavedModel for TF Serving and a TFLite file, with a checkpoint's weights (and its
    # channels) and the class names of the dataset's labels.txt:
    python scripts/export_inference_graph.py --model_name=lenet --dataset_name=digits \
        --dataset_dir=/tmp/digits --checkpoint_path=/tmp/train \
        --saved_model_dir=/tmp/lenet_serving --add_encoded_image_signature \
        --tflite_file=/tmp/lenet.tflite
    # An 8-bit TFLite file calibrated on 100 preprocessed images of the dataset:
    python scripts/export_inference_graph.py --model_name=lenet --dataset_name=digits \
        --dataset_dir=/tmp/digits --checkpoint_path=/tmp/train \
        --tflite_file=/tmp/lenet_int8.tflite --tflite_quantize=int8

The network has the classes of --dataset_name minus --labels_offset, takes
--image_size (default: its own) square images of 1 channel with --use_grayscale
or 3 with --nouse_grayscale, and a batch of --batch_size (default: any).

A video network (i3d, s3dg) takes clips of --num_frames frames (default: its
own), [batch, frames, size, size, channels], in the GraphDef and the SavedModel:

    python scripts/export_inference_graph.py --model_name=i3d --is_video_model \
        --num_frames=64 --output_file=/tmp/i3d_inf_graph.pb

As in research/slim, --is_video_model asks for the 5-D input; here the registry
knows which networks are video networks, so one exported without it is exported
as video all the same (with a note in the log). A video network has no
--add_encoded_image_signature and no --tflite_file (TFLite has no 3-D pooling).

Flags
left unset are read in --checkpoint_path, so that the flags that trained a
model export it:
  * no --use_grayscale: the input channels of the checkpoint's first
    convolution (train_image_classifier takes 1-channel images as they are: a
    LeNet trained on the digits takes 1 channel); 3 without a checkpoint.
  * no --dataset_name: imagenet, unless --dataset_dir is not given either and
    the checkpoint's logits have another number of classes: then the network
    has those (and no dataset: no class names).
A flag the checkpoint contradicts is an error naming the flag to change.

--dataset_dir (optional): the labels.txt that download_and_convert_data wrote
there names the classes ('0:zero' ...).

--output_file: a GraphDef whose float placeholder 'input' feeds the network built
with --is_training; no weights (freeze it with a checkpoint for a frozen graph).

--saved_model_dir: a SavedModel of the network in evaluation mode with the weights
of --checkpoint_path (restored by variable name). Its `serving_default` signature
takes `images` (float32 [batch, size, size, channels], preprocessed as for
evaluation; [batch, frames, size, size, channels] for a video network) and
returns `logits` and `probabilities` (float32 [batch, classes]), `classes`
(int64 [batch]: the argmax of the logits plus --labels_offset, the
dataset's label) and, when the class names are known, `class_names` (string
[batch], the name of `classes`; the SavedModel also holds them as its asset
labels.txt, 'label:name' lines). Without names there is no `class_names` output
(rather than numbers posing as names). --add_encoded_image_signature adds
`serving_encoded`: input `encoded_images` (string [batch] of PNG, JPEG, GIF or BMP
bytes), decoded and put through the network's evaluation preprocessing (color
images are converted for a 1-channel network, grayscale ones repeated for a color
one), same outputs.

--tflite_file: `serving_default` in TFLite (`class_names` included): float32;
with --tflite_quantize=float16 float16 weights (half the size, computed in
float32); with --tflite_quantize=int8 int8 weights and activations (inputs and
outputs stay float32, int64 and string) calibrated on --num_representative_images
images of --dataset_split_name of --dataset_name in --dataset_dir, preprocessed
for evaluation (post_training_quantization also measures the accuracy it keeps,
and gives int8 or uint8 inputs and outputs). With class names, they are also
written beside it: model.tflite -> model.labels.txt ('label:name' lines; TFLite
metadata needs tflite_support, which does not install beside TensorFlow 2.21).

Files are written to temporary names and renamed. The names of the inputs and outputs
are printed. --quantize (tf.contrib.quantize) does not exist in TensorFlow 2.
"""
import os
import sys
import tempfile

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see export).
from slim.tools import _cli
from slim.tools._cli import Flag
from slim.tools._cli import FlagError

__all__ = ['FLAGS', 'PROG', 'check_flags', 'console_main', 'export', 'main']

PROG = 'export_inference_graph'

FLAGS = [
    ('network', [
        Flag('model_name', 'inception_v3', str, 'the registered network to export'),
        Flag('is_training', False, bool, 'build the GraphDef in training mode (the SavedModel '
                                         'and TFLite are always in evaluation mode)'),
        Flag('image_size', None, int, "the input height and width; None: the network's "
                                      "default size"),
        Flag('batch_size', None, int, 'the batch size of the inputs; None: any'),
        Flag('dataset_name', None, str,
             'the dataset whose classes the network has; unset: imagenet, or the '
             "checkpoint's number of classes when --dataset_dir is unset too and the "
             "checkpoint's logits are not imagenet's"),
        Flag('labels_offset', 0, int, 'dataset labels below it are not network classes: the '
                                      'network has (dataset classes - offset) logits and '
                                      '`classes` adds it back (1 for the VGG and ResNet v1 '
                                      'ImageNet checkpoints)'),
        Flag('dataset_dir', '', str, 'the dataset directory: its labels.txt names the classes '
                                     '(`class_names`); also for datasets described by their '
                                     'conversion, and the int8 calibration images'),
        Flag('use_grayscale', None, bool, 'true: the network takes 1-channel images; false: 3; '
                                          'unset: the channels of --checkpoint_path\'s first '
                                          'convolution (3 without a checkpoint)'),
        Flag('preprocessing_name', None, str, "the evaluation preprocessing; None: the "
                                              "network's"),
        Flag('is_video_model', False, bool, 'the network is a video network taking clips '
                                            '[batch, frames, size, size, channels] (a video '
                                            'network is exported so without it too)'),
        Flag('num_frames', None, int, "the frames of a video network's clips; None: the "
                                      "network's own"),
    ]),
    ('GraphDef', [
        Flag('output_file', '', str, 'where to write the GraphDef'),
        Flag('write_text_graphdef', False, bool, 'write the GraphDef in the text format'),
        Flag('quantize', False, bool, 'TF1 only (tf.contrib.quantize): an error here; use '
                                      '--tflite_file with --tflite_quantize=int8'),
    ]),
    ('SavedModel and TFLite', [
        Flag('checkpoint_path', None, str, 'the TF-Slim checkpoint (a file prefix, or a '
                                           'directory for its latest, or the name of a '
                                           'published checkpoint) whose weights are exported'),
        Flag('saved_model_dir', None, str, 'where to write the SavedModel'),
        Flag('add_encoded_image_signature', False, bool,
             'add the serving_encoded signature taking encoded image bytes'),
        Flag('overwrite', False, bool, 'replace an existing, non-empty --saved_model_dir'),
        Flag('tflite_file', None, str, 'where to write a TFLite model'),
        Flag('tflite_quantize', 'float', str,
             'the TFLite weights and activations: float32, float16 weights, or int8 '
             '(full integer, calibrated on --dataset_dir)', choices=('float', 'float16', 'int8')),
        Flag('dataset_split_name', 'train', str, 'the split of the int8 calibration images'),
        Flag('num_representative_images', 100, int,
             'how many images calibrate the int8 quantization'),
    ]),
]


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
  if args.num_frames is not None and args.num_frames < 1:
    raise FlagError('--num_frames must be a positive number of frames, received %d'
                    % args.num_frames)


def _check_video(args, nets_factory):
  """Raises FlagError for --is_video_model with an image network."""
  try:
    network = nets_factory.get_network_spec(args.model_name)
  except ValueError:
    return  # classifier_spec names the unknown network
  if args.is_video_model and not network.is_video:
    video = [name for name, spec in nets_factory.NETWORKS.items() if spec.is_video]
    raise FlagError('--is_video_model: %s is an image network (its input is [batch, %d, %d, '
                    'channels] images): drop --is_video_model, or give a video network (%s)'
                    % (args.model_name, network.default_image_size, network.default_image_size,
                       ', '.join(video) or 'none is registered'))


def _fit(args, spec, export_lib):
  """The spec with what the flags leave unset read in the checkpoint; prints it."""
  taken = {}
  fill_classes = args.dataset_name is None and not args.dataset_dir
  if args.checkpoint_path and (args.use_grayscale is None or fill_classes):
    spec, taken = export_lib.fit_to_checkpoint(spec, args.checkpoint_path,
                                               args.use_grayscale is None, fill_classes)
  print('%s: %d classes (labels offset %d), %s, batch %s, %s preprocessing'
        % (spec.model_name, spec.num_classes, spec.labels_offset, spec.describe_input(),
           spec.batch_size or 'any', spec.preprocessing_name))
  read = []
  if 'channels' in taken:
    read.append('%d-channel images (--use_grayscale unset)' % taken['channels'])
  if 'classes' in taken:
    read.append("%d classes (--dataset_name unset; not imagenet's)" % taken['classes'])
  if read:
    print('read in the checkpoint: %s' % ', '.join(read))
  if spec.class_names is not None:
    print('class names: %s' % _names_summary(spec.labels_to_names()))
  elif args.saved_model_dir or args.tflite_file:
    print('class names: none (give --dataset_dir with the labels.txt of the dataset to have '
          'them)')
  return spec


def _names_summary(labels):
  items = ['%d:%s' % item for item in sorted(labels.items())]
  return ', '.join(items if len(items) <= 4 else items[:3] + ['...', items[-1]])


def export(args):
  """Writes what the flags ask for and prints the names of the inputs and outputs."""
  check_flags(args)
  # Imported here so that --help and flag errors answer before TensorFlow loads.
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim.nets import nets_factory  # pylint: disable=import-outside-toplevel
  from slim.tools import _common  # pylint: disable=import-outside-toplevel
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  from slim.training import checkpoints  # pylint: disable=import-outside-toplevel

  _check_video(args, nets_factory)
  spec = export_lib.classifier_spec(
      args.model_name, args.dataset_name or 'imagenet', args.dataset_dir, args.labels_offset,
      args.image_size, bool(args.use_grayscale), args.batch_size, args.preprocessing_name,
      args.num_frames)
  export_lib.check_video_export(spec, args.add_encoded_image_signature, bool(args.tflite_file))
  if spec.num_frames is not None and not args.is_video_model:  # the registry knows
    tf.get_logger().info('%s is a video network: exported for clips of %d frames as with '
                         '--is_video_model', spec.model_name, spec.num_frames)
  if args.checkpoint_path:  # a published checkpoint's name is downloaded; a directory's latest
    args.checkpoint_path = checkpoints.resolve_checkpoint(
        '--checkpoint_path', _common.check_checkpoint('checkpoint_path', args.checkpoint_path))
  if args.saved_model_dir:
    export_lib.check_saved_model_dir(args.saved_model_dir, args.overwrite)
  spec = _fit(args, spec, export_lib)

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
            spec, args.dataset_name or 'imagenet', args.dataset_dir, args.dataset_split_name,
            args.num_representative_images)
      size = export_lib.write_tflite(saved_model_dir, args.tflite_file, args.tflite_quantize,
                                     calibration)
      detail = ('int8, calibrated on %d images of %s/%s' % (
          len(calibration), args.dataset_name or 'imagenet', args.dataset_split_name)
                if calibration is not None else
                'float16 weights' if args.tflite_quantize == 'float16' else 'float32')
      print('TFLite %s (%s, %d bytes):' % (args.tflite_file, detail, size))
      if spec.class_names is not None:
        labels_file = export_lib.write_labels(spec, export_lib.tflite_labels_file(
            args.tflite_file))
        print('  class names in %s' % labels_file)
      print('\n'.join(export_lib.describe_signatures(
          {export_lib.SERVING_DEFAULT: signatures[export_lib.SERVING_DEFAULT]})))


def main(argv=None):
  """Exports what the flags of `argv` (default: the command line) ask for.

  Raises:
    FlagError: a flag that does not parse, a flag value that cannot work, a
      checkpoint that does not fit the network, a --saved_model_dir in the way
      (every error the flags can fix).
  """
  args = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv)
  _cli.import_tensorflow(args.verbosity, PROG, args.log_dir)
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
