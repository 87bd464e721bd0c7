"""Post-training quantization: top-1 accuracy and LiteRT time per image of float32, int8
and float16 TFLite files, on two networks trained here with the command-line tools.

  * LeNet on the digits, trained as the quickstart trains it (slim/tools/quickstart.py:
    SGD 0.02, batch 50, 300 steps);
  * MobileNet v2 at depth 0.35 (mobilenet_v2_035), 96x96, on a folder of synthetic
    shapes, one shape and hue per class (4 classes: circle, square, triangle, cross, on
    noisy grey backgrounds) converted by download_and_convert_data
    --dataset_name=image_folder, trained 600 Adam steps (batch 16), then 2000 steps with
    the weights frozen for its batch-norm moving averages (see `mobilenet`).

Each quantization is one run of post_training_quantization, which evaluates the float32
file and the quantized one side by side in LiteRT (batch 1, --num_threads threads) on the
same images of the evaluation split. Every command is printed as typed.

    python benchmarks/quantization.py                      # ~7 min on 2 cores
    python benchmarks/quantization.py --quick              # fewer steps and images, ~5-6 min
    python benchmarks/quantization.py --networks lenet --workdir /tmp/q
"""
import argparse
import os
import re
import shutil
import sys

# The directory of this script, first on the path, would shadow nothing, but keep the
# checkout first so that `slim` is this checkout's.
_HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(_HERE)
sys.path[:] = [REPO] + [p for p in sys.path if os.path.abspath(p) != _HERE]

from benchmarks import _harness  # noqa: E402  pylint: disable=wrong-import-position
from slim.tools import quickstart  # noqa: E402  pylint: disable=wrong-import-position

SHAPES = ('circle', 'square', 'triangle', 'cross')
MOBILENET = 'mobilenet_v2_035'
MOBILENET_SIZE = 96
ROW = re.compile(r'^  (float|float16|int8) +([0-9.]+)(?: \(([-+0-9.]+) points\), same class as '
                 r'float on ([0-9.]+)%)?; ([0-9.]+) ms/image', re.M)
SIZE = re.compile(r'^TFLite \S+ \((\w+), (\d+) bytes\)', re.M)
FLOAT_SIZE = re.compile(r'^float: (\d+) bytes', re.M)


def write_shapes(folder, per_class, size=112, seed=0):
  """A folder of PNG images, one sub-folder per class: a large shape (circle, square,
  triangle, cross) in the class's hue (red, yellow-green, cyan, violet, +-20 degrees,
  random saturation and brightness) at a random place, on a noisy grey background of
  random brightness. The hue survives the training preprocessing (inception's, fast
  mode: brightness and saturation only) and the shape its random crops; a class
  learnable by mobilenet_v2_035 in a few hundred steps."""
  import colorsys  # pylint: disable=import-outside-toplevel
  import numpy as np  # pylint: disable=import-outside-toplevel
  from PIL import Image, ImageDraw  # pylint: disable=import-outside-toplevel
  rng = np.random.RandomState(seed)
  for label, shape in enumerate(SHAPES):
    os.makedirs(os.path.join(folder, shape), exist_ok=True)
    for index in range(per_class):
      grey = rng.randint(40, 216)
      pixels = np.clip(grey + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
      image = Image.fromarray(pixels)
      draw = ImageDraw.Draw(image)
      hue = (label / len(SHAPES) + rng.uniform(-20, 20) / 360.0) % 1.0
      color = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, rng.uniform(0.6, 1.0),
                                                                  rng.uniform(0.6, 1.0)))
      radius = rng.randint(size // 4, size * 2 // 5)
      cx, cy = rng.randint(radius, size - radius + 1, 2)
      box = [cx - radius, cy - radius, cx + radius, cy + radius]
      if shape == 'circle':
        draw.ellipse(box, fill=color)
      elif shape == 'square':
        draw.rectangle(box, fill=color)
      elif shape == 'triangle':
        draw.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)],
                     fill=color)
      else:
        width = max(3, radius // 3)
        draw.rectangle([cx - radius, cy - width, cx + radius, cy + width], fill=color)
        draw.rectangle([cx - width, cy - radius, cx + width, cy + radius], fill=color)
      image.save(os.path.join(folder, shape, '%04d.png' % index))


def quantize_runs(name, common, workdir, log, threads):
  """int8 and float16 runs of post_training_quantization: {kind: (top-1, agreement,
  ms/image, bytes)}."""
  figures = {}
  for kind in ('int8', 'float16'):
    output = _harness.run_tool('post_training_quantization', common + [
        ('quantize', kind), ('num_threads', threads), ('max_accuracy_drop', 1),
        ('output_tflite', os.path.join(workdir, '%s_%s.tflite' % (name, kind)))], log)
    rows = {m.group(1): m.groups() for m in ROW.finditer(output)}
    size = int(SIZE.search(output).group(2))
    for model, row in rows.items():
      if model == 'float' and 'float' in figures:
        figures.setdefault('float (2nd run)', (float(row[1]), 1.0, float(row[4]),
                                               figures['float'][3]))
        continue
      model_size = int(FLOAT_SIZE.search(output).group(1)) if model == 'float' else size
      figures[model] = (float(row[1]), float(row[3]) / 100 if row[3] else 1.0, float(row[4]),
                        model_size)
  return figures


def lenet(workdir, args, log):
  digits, train = os.path.join(workdir, 'digits'), os.path.join(workdir, 'lenet_train')
  shutil.rmtree(train, ignore_errors=True)
  _harness.run_tool('download_and_convert_data',
                    [('dataset_name', 'digits'), ('dataset_dir', digits)], log)
  flags = dict(quickstart.TRAIN_FLAGS)
  if args.quick:
    flags['max_number_of_steps'] = 150
  _harness.run_tool('train_image_classifier',
                    [('train_dir', train), ('dataset_dir', digits)] + list(flags.items()) +
                    [('log_every_n_steps', 100)], log)
  common = [('model_name', 'lenet'), ('dataset_name', 'digits'), ('dataset_dir', digits),
            ('checkpoint_path', train), ('num_steps', 300 if args.quick else 1000),
            ('max_eval_examples', args.max_eval_examples)]
  return quantize_runs('lenet', common, workdir, log, args.num_threads)


def mobilenet(workdir, args, log):
  """Trains mobilenet_v2_035 in two runs of train_image_classifier on one train_dir.

  1. --mobilenet_steps Adam steps (opt_epsilon 1e-8: research/slim's default of 1.0
     turns Adam into momentum SGD at a thousandth of the rate, and nothing is learnt
     in a few hundred steps);
  2. --bn_steps more steps with only the logits trainable at a rate of 1e-9: the
     weights stay as they are while the batch-norm moving averages (decay 0.997 in
     mobilenet_v2's training scope; train_image_classifier has no flag for it) forget
     their initial values. A moving variance starts at 1 and keeps 0.997^n of it; the
     true variances are 1e-2 to 1e-5 here, so until about 2000 steps in all the
     evaluation network (moving statistics) gives one class for every image while
     the training network (batch statistics) is right. These steps cost a quarter of
     a training step (no backward pass through the network).
  """
  images, data = os.path.join(workdir, 'shapes'), os.path.join(workdir, 'shapes_tfrecords')
  train = os.path.join(workdir, 'mobilenet_train')
  for path in (images, data, train):
    shutil.rmtree(path, ignore_errors=True)
  per_class = 150 if args.quick else 250
  print('# %d synthetic %s images of each of %s in %s'
        % (per_class, '112x112', ', '.join(SHAPES), images), flush=True)
  write_shapes(images, per_class)
  _harness.run_tool('download_and_convert_data', [
      ('dataset_name', 'image_folder'), ('images_dir', images), ('dataset_dir', data),
      ('num_validation', len(SHAPES) * per_class // 5)], log)
  steps = 300 if args.quick else args.mobilenet_steps
  common = [('train_dir', train), ('dataset_name', 'image_folder'), ('dataset_dir', data),
            ('model_name', MOBILENET), ('train_image_size', MOBILENET_SIZE),
            ('optimizer', 'adam'), ('opt_epsilon', 1e-8), ('learning_rate_decay_type', 'fixed'),
            ('batch_size', 16), ('save_summaries_secs', 600)]
  _harness.run_tool('train_image_classifier', common + [
      ('learning_rate', 0.002), ('max_number_of_steps', steps), ('log_every_n_steps', 100)], log)
  print('# batch-norm moving averages: %d steps, weights frozen' % args.bn_steps, flush=True)
  _harness.run_tool('train_image_classifier', common + [
      ('learning_rate', 1e-9), ('trainable_scopes', 'MobilenetV2/Logits'),
      ('max_number_of_steps', steps + args.bn_steps), ('log_every_n_steps', 500)], log)
  common = [('model_name', MOBILENET), ('dataset_name', 'image_folder'), ('dataset_dir', data),
            ('checkpoint_path', train), ('image_size', MOBILENET_SIZE),
            ('num_steps', 200 if args.quick else 500),
            ('max_eval_examples', args.max_eval_examples)]
  return quantize_runs('mobilenet', common, workdir, log, args.num_threads)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--workdir', default='/tmp/slim_quantization_bench')
  parser.add_argument('--networks', default='lenet,mobilenet')
  parser.add_argument('--mobilenet_steps', type=int, default=600,
                      help='MobileNet training steps (--quick: 300)')
  parser.add_argument('--bn_steps', type=int, default=2000,
                      help='MobileNet steps that only update the batch-norm moving averages')
  parser.add_argument('--max_eval_examples', type=int, default=1000)
  parser.add_argument('--num_threads', type=int, default=1)
  parser.add_argument('--quick', action='store_true')
  args = parser.parse_args()
  os.makedirs(args.workdir, exist_ok=True)
  log = os.path.join(args.workdir, 'commands.log')
  open(log, 'w').close()
  print('load average %s; commands and outputs in %s' % (_harness.load_average(), log))
  results = {}
  for name in args.networks.split(','):
    print('\n== %s' % name, flush=True)
    results[name] = {'lenet': lenet, 'mobilenet': mobilenet}[name](args.workdir, args, log)
  print('\n== Results (LiteRT, batch 1, %d thread%s; load average %s)'
        % (args.num_threads, '' if args.num_threads == 1 else 's', _harness.load_average()))
  print('| network | model | top-1 | same class as float | ms/image | size (KB) |')
  print('|---|---|---|---|---|---|')
  for name, figures in results.items():
    for model, (top1, agreement, ms, size) in figures.items():
      print('| %s | %s | %.4f | %.1f%% | %.3f | %.0f |'
            % (name, model, top1, 100 * agreement, ms, size / 1024.0))


if __name__ == '__main__':
  main()
