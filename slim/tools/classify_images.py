r"""Classifies image files with a SavedModel written by export_inference_graph.

    python scripts/classify_images.py --saved_model_dir=/tmp/lenet_serving \
        --top_k=3 digit_0.png digit_1.png

The SavedModel needs its `serving_encoded` signature (export it with
--add_encoded_image_signature): the files' bytes (PNG, JPEG, GIF or BMP) go in
as they are and the network's evaluation preprocessing runs inside the model.
Prints one line per file: its `top_k` classes with their probabilities.
"""
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from slim.tools import _cli  # pylint: disable=wrong-import-position

__all__ = ['FLAGS', 'classify', 'console_main', 'main']

PROG = 'classify_images'

FLAGS = [('classification', [
    _cli.Flag('saved_model_dir', _cli.REQUIRED, str,
              'the SavedModel directory written by export_inference_graph'),
    _cli.Flag('top_k', 1, int, 'how many classes to print per image'),
])]


def classify(saved_model_dir, image_files, top_k=1):
  """Returns [(file, [(class, probability), ...]) ...], best class first."""
  # Imported here so that --help and flag errors answer before TensorFlow loads.
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from slim.tools.export_lib import SERVING_ENCODED  # pylint: disable=import-outside-toplevel
  model = tf.saved_model.load(saved_model_dir)
  if SERVING_ENCODED not in model.signatures:
    raise ValueError('%s has no %r signature (it has %s): export it with '
                     'export_inference_graph --add_encoded_image_signature'
                     % (saved_model_dir, SERVING_ENCODED, sorted(model.signatures)))
  encoded = [tf.io.read_file(path) for path in image_files]
  outputs = model.signatures[SERVING_ENCODED](encoded_images=tf.stack(encoded))
  probabilities = outputs['probabilities'].numpy()
  # `classes` is the argmax plus the labels offset: recover the offset from it.
  offset = int(outputs['classes'].numpy()[0]) - int(probabilities[0].argmax())
  results = []
  for path, row in zip(image_files, probabilities):
    best = row.argsort()[::-1][:top_k]
    results.append((path, [(int(index) + offset, float(row[index])) for index in best]))
  return results


def main(argv=None):
  """Classifies the image files of `argv` and prints a line per file; returns the results."""
  parser = _cli.make_parser(PROG, __doc__, FLAGS)
  parser.usage = '%(prog)s --saved_model_dir=DIR [--top_k=K] IMAGE [IMAGE ...]'
  parser.add_argument('images', nargs='+', help='image files (PNG, JPEG, GIF or BMP)')
  flags = parser.parse_args(argv)
  if flags.top_k < 1:
    raise _cli.FlagError('--top_k must be at least 1, received %d' % flags.top_k)
  missing = [path for path in flags.images if not os.path.isfile(path)]
  if missing:
    raise _cli.FlagError('no such image file: %s' % ', '.join(missing))
  results = classify(flags.saved_model_dir, flags.images, flags.top_k)
  for path, classes in results:
    print('%s: %s' % (path, ', '.join('class %d (%.3f)' % pair for pair in classes)))
  return results


def console_main(argv=None):
  """The `classify_images` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
