"""Serving on CPU: latency and throughput of exported image classifiers, slim's against Keras 3's.

For each network, the same architecture exported both ways, with random weights
(He-normal, see `he_normal`):

  * slim: a TF-Slim checkpoint of the network (variables initialized in graph mode and
    saved by tf.compat.v1.train.Saver) exported by `export_inference_graph` as a
    SavedModel (`serving_default`, input `images`) and as TFLite files, float32 and int8
    (calibrated on a few synthetic JPEG images written in the ImageNet record format);
  * Keras: the keras.applications model (weights=None) exported by `model.export` (its
    `serve` endpoint), and converted to TFLite by tf.lite.TFLiteConverter.from_saved_model.

Both have 1000 classes (slim's ImageNet networks have 1001, exported with
--labels_offset=1). Each contender runs in a fresh child process, in rotating order
(benchmarks/_harness.py), the way a server calls it: a SavedModel's signature (a concrete
function) or a TFLite interpreter (LiteRT's when ai_edge_litert is installed, else
tf.lite.Interpreter), numpy images in, numpy outputs out, on --num_threads threads. A child
measures the load time (after the imports), the first call (batch 4, its outputs compared
with a direct run of the network on the same images), the latency at batch 1 (median and
90th percentile), the images/s and CPU time per image at batch 32 and its peak RSS. The
exports are made once in --workdir (reused when given and already there), each by a child
process so that the parent stays small (Linux carries a parent's peak RSS into the
children it starts); every command is printed as typed.

    python benchmarks/serving.py                                # mobilenet_v2, resnet_v1_50
    python benchmarks/serving.py --networks inception_v3 --repeats 5
    python benchmarks/serving.py --networks mobilenet_v2 --quick  # a few minutes
"""
import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time

import numpy as np

# The directory of this script, first on the path, would shadow nothing, but keep the
# checkout first so that `slim` is this checkout's.
_HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(_HERE)
sys.path[:] = [REPO] + [p for p in sys.path if os.path.abspath(p) != _HERE]

from benchmarks import _harness  # noqa: E402  pylint: disable=wrong-import-position

# slim network -> (keras.applications model, image size).
NETWORKS = {
    'mobilenet_v2': ('MobileNetV2', 224),
    'resnet_v1_50': ('ResNet50', 224),
    'inception_v3': ('InceptionV3', 299),
}
NUM_CLASSES = 1000
# contender -> (file in the network's folder, SavedModel signature or None for TFLite,
#               output compared with the direct run: slim's logits, Keras's probabilities).
CONTENDERS = {
    'slim_savedmodel': ('slim_savedmodel', 'serving_default', 'logits'),
    'keras_savedmodel': ('keras_savedmodel', 'serve', 'output_0'),
    'slim_tflite_float': ('slim_float.tflite', None, 'logits'),
    'slim_tflite_int8': ('slim_int8.tflite', None, 'logits'),
    'keras_tflite_float': ('keras_float.tflite', None, 'output_0'),
}
CHECKPOINT = 'checkpoint'
REFERENCE = '_reference.npy'  # <library>_reference.npy: a direct run's outputs (check images)
CHECK_BATCH = 4
THROUGHPUT_BATCH = 32
LATENCY_WARMUP = 5
THROUGHPUT_WARMUP = 1

P50, P90 = 'b1 p50 ms', 'b1 p90 ms'
RATE, CPU = 'b32 images/s', 'b32 CPU ms/img'
LOAD, FIRST = 'load s', 'first call s'
RSS = 'peak RSS (MB)'
KEYS = [P50, P90, RATE, CPU, LOAD, FIRST, RSS]


# --- The child: one contender ---------------------------------------------------------------

def _savedmodel_loader(num_threads):
  """Imports TensorFlow; returns (load, runtime): load(path, signature, output) loads a
  SavedModel and returns its runner, numpy images -> numpy output."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  tf.config.threading.set_intra_op_parallelism_threads(num_threads)

  def load(path, signature, output):
    function = tf.saved_model.load(path).signatures[signature]
    input_name = next(iter(function.structured_input_signature[1]))
    return lambda images: function(**{input_name: tf.constant(images)})[output].numpy()
  return load, 'TensorFlow %s' % tf.__version__


def _tflite_loader(num_threads):
  """Imports LiteRT, or TensorFlow without it; returns (load, runtime): load(path, output)
  makes an interpreter of the TFLite file and returns its runner, numpy images -> numpy
  output, which resizes the input to the images' batch."""
  try:
    from ai_edge_litert.interpreter import Interpreter  # pylint: disable=import-outside-toplevel
    runtime = 'LiteRT (ai_edge_litert)'
  except ImportError:
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    Interpreter = tf.lite.Interpreter  # pylint: disable=invalid-name
    runtime = 'tf.lite.Interpreter (TensorFlow %s)' % tf.__version__

  def load(path, output):
    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    signature = interpreter.get_signature_runner()
    input_index = next(iter(signature.get_input_details().values()))['index']
    output_index = signature.get_output_details()[output]['index']
    del signature  # it holds the interpreter's tensors, which allocate_tensors refuses
    interpreter.allocate_tensors()
    shape = [None]

    def run(images):
      if shape[0] != images.shape:
        interpreter.resize_tensor_input(input_index, images.shape)
        interpreter.allocate_tensors()
        shape[0] = images.shape
      interpreter.set_tensor(input_index, images)
      interpreter.invoke()
      return interpreter.get_tensor(output_index)
    return run
  return load, runtime


def child(name, folder, args):
  """Measures one contender and emits its figures."""
  filename, signature, output = CONTENDERS[name]
  expected = np.load(os.path.join(folder, name.split('_')[0] + REFERENCE))
  size = NETWORKS[os.path.basename(folder)][1]
  images = np.random.RandomState(1).uniform(
      -1, 1, (THROUGHPUT_BATCH, size, size, 3)).astype(np.float32)
  path = os.path.join(folder, filename)
  if signature:
    load, runtime = _savedmodel_loader(args.num_threads)
    start = time.perf_counter()
    run = load(path, signature, output)
  else:
    load, runtime = _tflite_loader(args.num_threads)
    start = time.perf_counter()
    run = load(path, output)
  loaded = time.perf_counter()
  outputs = run(check_images(size))
  first_call = time.perf_counter() - loaded
  error = float(np.abs(outputs - expected).max() / np.abs(expected).max())

  one = images[:1]
  for _ in range(LATENCY_WARMUP):
    run(one)
  times = []
  for _ in range(args.latency_calls):
    call_start = time.perf_counter()
    run(one)
    times.append(time.perf_counter() - call_start)
  clock = _harness.Clock()
  for _ in range(THROUGHPUT_WARMUP + args.throughput_batches):
    run(images)
    clock.mark()
  _harness.emit({
      P50: 1000 * float(np.median(times)), P90: 1000 * float(np.percentile(times, 90)),
      RATE: clock.rate(THROUGHPUT_BATCH, THROUGHPUT_WARMUP - 1),
      CPU: 1000 * clock.cpu_per_unit(THROUGHPUT_BATCH, THROUGHPUT_WARMUP - 1),
      LOAD: loaded - start, FIRST: first_call, 'max rel err': error, 'runtime': runtime})


# --- The exports, made once, each in a child process of the parent ---------------------------

def check_images(size):
  """The images whose outputs are compared with a direct run of the network."""
  images = np.random.RandomState(0).uniform(-1, 1, (CHECK_BATCH, size, size, 3))
  return images.astype(np.float32)


def he_normal(shape, depthwise, rng):
  """Normal weights of variance 2 / fan-in (a depthwise kernel [h, w, in, multiplier] has
  fan-in h * w). With batch-norm moving statistics at their initial values (mean 0,
  variance 1) both libraries' default initializations shrink the activations layer after
  layer (logits of 1e-8 in mobilenet_v2, uniform Keras probabilities); these keep them
  of order one, so that no denormal numbers reach the timings and the output check
  compares real values."""
  fan_in = int(np.prod(shape[:-2] if depthwise else shape[:-1]))
  return rng.normal(0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)


def make_calibration_records(directory, count):
  """`count` JPEG images (smooth random colours, 256x256) as an ImageNet `train` split."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim.datasets import dataset_utils  # pylint: disable=import-outside-toplevel
  rng = np.random.RandomState(0)
  scratch = tempfile.mkdtemp(prefix='.tmp-', dir=os.path.dirname(directory))
  with tf.io.TFRecordWriter(os.path.join(scratch, 'train-00000-of-00001')) as writer:
    for index in range(count):
      colours = tf.constant(rng.uniform(0, 255, (1, 8, 8, 3)), tf.float32)
      image = tf.cast(tf.image.resize(colours, (256, 256))[0], tf.uint8)
      data = tf.io.encode_jpeg(image, quality=90).numpy()
      writer.write(dataset_utils.image_to_tfexample(data, b'jpeg', 256, 256,
                                                    1 + index % NUM_CLASSES).SerializeToString())
  os.rename(scratch, directory)


def make_checkpoint(network, folder):
  """A checkpoint of the slim network with He-normal weights, and its logits on the check
  images."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim.nets import nets_factory  # pylint: disable=import-outside-toplevel
  images = check_images(NETWORKS[network][1])
  rng = np.random.RandomState(0)
  with tf.Graph().as_default():
    inputs = tf.compat.v1.placeholder(tf.float32, [None] + list(images.shape[1:]))
    logits, _ = nets_factory.get_network_fn(network, NUM_CLASSES)(inputs)
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      for variable in tf.compat.v1.global_variables():
        if variable.op.name.endswith('weights'):
          value = tf.compat.v1.placeholder(tf.float32, variable.shape)
          session.run(variable.assign(value), {value: he_normal(
              variable.shape.as_list(), variable.op.name.endswith('depthwise_weights'), rng)})
      tf.compat.v1.train.Saver().save(session, os.path.join(folder, CHECKPOINT, 'model.ckpt'))
      np.save(os.path.join(folder, 'slim' + REFERENCE), session.run(logits, {inputs: images}))


def make_keras(network, folder):
  """The keras.applications model with He-normal kernels exported as a SavedModel, and its
  probabilities on the check images."""
  import keras  # pylint: disable=import-outside-toplevel
  model_name, size = NETWORKS[network]
  model = getattr(keras.applications, model_name)(weights=None, classes=NUM_CLASSES,
                                                  input_shape=(size, size, 3))
  rng = np.random.RandomState(0)
  for layer in model.layers:
    kernel = getattr(layer, 'kernel', None)
    if kernel is not None:
      kernel.assign(he_normal(tuple(kernel.shape),
                              isinstance(layer, keras.layers.DepthwiseConv2D), rng))
  scratch = tempfile.mkdtemp(prefix='.tmp-', dir=folder)
  model.export(scratch, verbose=False)
  os.rename(scratch, os.path.join(folder, CONTENDERS['keras_savedmodel'][0]))
  np.save(os.path.join(folder, 'keras' + REFERENCE),
          model(check_images(size), training=False).numpy())


def make_keras_tflite(folder):
  """Converts Keras's SavedModel to a float TFLite file; returns the converter's error, or
  '' when it converted."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  try:
    data = tf.lite.TFLiteConverter.from_saved_model(
        os.path.join(folder, CONTENDERS['keras_savedmodel'][0])).convert()
  except Exception as error:  # pylint: disable=broad-except
    return str(error).splitlines()[0]
  path = os.path.join(folder, CONTENDERS['keras_tflite_float'][0])
  with open(path + '.tmp', 'wb') as f:
    f.write(data)
  os.rename(path + '.tmp', path)
  return ''


def make(step, path, args):
  """A child that makes the calibration records in `path`, or in the network's folder
  `path` its checkpoint, its Keras SavedModel or Keras's TFLite file (step calibration,
  checkpoint, keras or keras_tflite); emits the error ('' when none)."""
  network = os.path.basename(path)
  error = ''
  if step == 'calibration':
    make_calibration_records(path, args.num_representative_images)
  elif step == 'checkpoint':
    make_checkpoint(network, path)
  elif step == 'keras':
    make_keras(network, path)
  else:
    error = make_keras_tflite(path)
  _harness.emit({'error': error})


def run_step(step, path, args, description):
  """Runs a `make` child, printing its command as typed; returns its error."""
  arguments = ['--make', step, path]
  if step == 'calibration':
    arguments += ['--num_representative_images', str(args.num_representative_images)]
  print('$ python benchmarks/serving.py %s   # %s'
        % (' '.join(shlex.quote(a) for a in arguments), description), flush=True)
  start = time.time()
  error = _harness.run_child(os.path.abspath(__file__), arguments)['error']
  print('  (%.0f s)' % (time.time() - start), flush=True)
  return error


def _remove(*paths):
  for path in paths:
    if os.path.isdir(path):
      shutil.rmtree(path)
    elif os.path.exists(path):
      os.remove(path)


def prepare(network, workdir, contenders, args, log):
  """Makes what is missing of the network's exports in workdir/network; returns the
  contenders whose files are there."""
  folder = os.path.join(workdir, network)
  paths = {name: os.path.join(folder, CONTENDERS[name][0]) for name in CONTENDERS}
  os.makedirs(folder, exist_ok=True)
  if not os.path.exists(os.path.join(folder, 'slim' + REFERENCE)):
    _remove(os.path.join(folder, CHECKPOINT), paths['slim_savedmodel'],
            paths['slim_tflite_float'], paths['slim_tflite_int8'])
    run_step('checkpoint', folder, args, '%s, %d classes, He-normal weights, in graph mode: '
             'tf.compat.v1.train.Saver checkpoint, logits of the check images'
             % (network, NUM_CLASSES))
  common = [('model_name', network), ('dataset_name', 'imagenet'), ('labels_offset', 1),
            ('checkpoint_path', os.path.join(folder, CHECKPOINT))]
  if not os.path.exists(paths['slim_savedmodel']):
    _remove(paths['slim_tflite_float'])
    _harness.run_tool('export_inference_graph', common + [
        ('saved_model_dir', paths['slim_savedmodel']),
        ('tflite_file', paths['slim_tflite_float'])], log)
  if 'slim_tflite_int8' in contenders and not os.path.exists(paths['slim_tflite_int8']):
    calibration = os.path.join(workdir, 'calibration')
    if not os.path.exists(calibration):
      run_step('calibration', calibration, args, 'synthetic JPEG images as ImageNet records')
    _harness.run_tool('export_inference_graph', common + [
        ('dataset_dir', calibration),
        ('num_representative_images', args.num_representative_images),
        ('tflite_file', paths['slim_tflite_int8']), ('tflite_quantize', 'int8')], log)
  if not os.path.exists(os.path.join(folder, 'keras' + REFERENCE)):
    _remove(paths['keras_savedmodel'], paths['keras_tflite_float'])
    run_step('keras', folder, args, 'keras.applications.%s(weights=None, classes=%d), '
             'He-normal kernels, .export(), probabilities of the check images'
             % (NETWORKS[network][0], NUM_CLASSES))
  if 'keras_tflite_float' in contenders and not os.path.exists(paths['keras_tflite_float']):
    error = run_step('keras_tflite', folder, args,
                     'tf.lite.TFLiteConverter.from_saved_model(keras_savedmodel).convert()')
    if error:
      print('  Keras TFLite conversion failed, keras_tflite_float left out: ' + error)
  return [name for name in contenders if os.path.exists(paths[name])]


def _lower_is_better(label, numerator, denominator, goal=None):
  """'label: 0.84x (goal <= 1.0x: met)', the goal left out when None."""
  value = numerator / denominator
  text = '%s: %.2fx' % (label, value)
  if goal is not None:
    text += ' (goal <= %.1fx: %s)' % (goal, 'met' if value <= goal else 'NOT met')
  return text


def report(network, results):
  """The table of medians, the output check and the slim / keras ratios."""
  print('\n%s (medians of %d run(s); TFLite: %s)' % (
      network, len(next(iter(results.values()))),
      next((runs[0]['runtime'] for name, runs in results.items() if 'tflite' in name), 'none')))
  _harness.print_table(results, KEYS)
  print('outputs of the check images vs a direct run of the network (max |difference| / '
        'max |output|; logits for slim, probabilities for Keras): ' + ', '.join(
            '%s %.2g' % (name, max(r['max rel err'] for r in runs))
            for name, runs in results.items()))
  latency, rate = _harness.medians(results, P50), _harness.medians(results, RATE)
  cpu = _harness.medians(results, CPU)
  for kind in ('savedmodel', 'tflite_float'):
    ours, theirs = 'slim_' + kind, 'keras_' + kind
    if ours in results and theirs in results:
      goal = 1.0 if kind == 'savedmodel' else None
      print(_lower_is_better('%s %s latency (b1 median), slim / keras' % (network, kind),
                             latency[ours], latency[theirs], goal))
      print(_harness.ratio_line('%s %s throughput (b32), slim / keras' % (network, kind),
                                rate[ours], rate[theirs], goal))
      print('%s %s CPU per image (b32), slim / keras: %.2fx (the steadier figure on a busy '
            'machine)' % (network, kind, cpu[ours] / cpu[theirs]))
  print(flush=True)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--networks', default='mobilenet_v2,resnet_v1_50',
                      help='comma-separated, of: %s' % ', '.join(NETWORKS))
  parser.add_argument('--contenders', default=','.join(CONTENDERS),
                      help='comma-separated, of: %(default)s')
  parser.add_argument('--workdir', help='where the exports are made, or reused when there '
                                        '(default: a temporary directory, removed at the end)')
  parser.add_argument('--repeats', type=int, default=3,
                      help='child processes per contender and network (default %(default)s)')
  parser.add_argument('--latency_calls', type=int, default=100,
                      help='timed batch-1 calls per child (default %(default)s)')
  parser.add_argument('--throughput_batches', type=int, default=10,
                      help='timed batch-32 calls per child (default %(default)s)')
  parser.add_argument('--num_threads', type=int, default=os.cpu_count(),
                      help='TFLite interpreter and TensorFlow intra-op threads '
                           '(default: the CPUs, %(default)s)')
  parser.add_argument('--num_representative_images', type=int, default=100,
                      help='int8 calibration images (default %(default)s)')
  parser.add_argument('--quick', action='store_true',
                      help='smoke run: 1 repeat, 10 latency calls, 2 batches, 10 calibration '
                           'images')
  parser.add_argument('--child', nargs=2, metavar=('CONTENDER', 'FOLDER'), help=argparse.SUPPRESS)
  parser.add_argument('--make', nargs=2, metavar=('STEP', 'FOLDER'), help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.quick:
    args.repeats, args.latency_calls, args.throughput_batches = 1, 10, 2
    args.num_representative_images = 10
  for flag in ('repeats', 'latency_calls', 'throughput_batches', 'num_threads',
               'num_representative_images'):
    if getattr(args, flag) < 1:
      parser.error('--%s must be at least 1, received %d' % (flag, getattr(args, flag)))
  if args.child:
    return child(args.child[0], args.child[1], args)
  if args.make:
    return make(args.make[0], args.make[1], args)
  networks = [name.strip() for name in args.networks.split(',') if name.strip()]
  contenders = [name.strip() for name in args.contenders.split(',') if name.strip()]
  for flag, names, known in (('networks', networks, NETWORKS),
                             ('contenders', contenders, CONTENDERS)):
    unknown = [name for name in names if name not in known]
    if unknown or not names:
      parser.error('--%s: unknown %s; known: %s' % (flag, ', '.join(unknown) or '(none given)',
                                                    ', '.join(known)))

  workdir = args.workdir or tempfile.mkdtemp(prefix='slim_serving_')
  os.makedirs(workdir, exist_ok=True)
  log = os.path.join(workdir, 'commands.log')
  print('serving, %d CPUs, %d thread(s); %d repeat(s): %d batch-1 calls after %d, %d batch-%d '
        'calls after %d; load average %s; exports in %s, tool outputs in %s'
        % (os.cpu_count(), args.num_threads, args.repeats, args.latency_calls, LATENCY_WARMUP,
           args.throughput_batches, THROUGHPUT_BATCH, THROUGHPUT_WARMUP,
           _harness.load_average(), workdir, log), flush=True)
  options = ['--latency_calls', str(args.latency_calls),
             '--throughput_batches', str(args.throughput_batches),
             '--num_threads', str(args.num_threads)]
  try:
    for network in networks:
      print('\n== %s, %d x %d' % ((network,) + (NETWORKS[network][1],) * 2), flush=True)
      ready = prepare(network, workdir, contenders, args, log)
      folder = os.path.join(workdir, network)
      results = _harness.run_interleaved(
          os.path.abspath(__file__), ready, args.repeats,
          child_args=lambda name, folder=folder: ['--child', name, folder] + options)
      report(network, results)
  finally:
    if not args.workdir:
      shutil.rmtree(workdir, ignore_errors=True)
  print('load average at the end: %s' % _harness.load_average())
  return 0


if __name__ == '__main__':
  sys.exit(main())
