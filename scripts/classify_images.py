r"""Classifies image files with a SavedModel written by export_inference_graph.

    python scripts/classify_images.py --saved_model_dir=/tmp/lenet_serving \
        --top_k=3 digit_0.png digit_1.png

The SavedModel needs its `serving_encoded` signature (export it with
--add_encoded_image_signature): the files' bytes (PNG, JPEG, GIF or BMP) go in
as they are and the network's evaluation preprocessing runs inside the model.
Prints one line per file: its `top_k` classes with their probabilities.
"""
import argparse
import os
import sys

SERVING_ENCODED = 'serving_encoded'


def _parser():
  parser = argparse.ArgumentParser(
      prog='classify_images', description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--saved_model_dir', required=True,
                      help='the SavedModel directory (required)')
  parser.add_argument('--top_k', type=int, default=1,
                      help='how many classes to print per image (default: 1)')
  parser.add_argument('images', nargs='+', help='image files')
  return parser


def classify(saved_model_dir, image_files, top_k=1):
  """Returns [(file, [(class, probability), ...]) ...], best class first."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
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
  args = _parser().parse_args(argv)
  if args.top_k < 1:
    sys.exit('classify_images: error: --top_k must be at least 1, received %d' % args.top_k)
  missing = [path for path in args.images if not os.path.isfile(path)]
  if missing:
    sys.exit('classify_images: error: no such image file: %s' % ', '.join(missing))
  try:
    results = classify(args.saved_model_dir, args.images, args.top_k)
  except (ValueError, OSError) as error:
    sys.exit('classify_images: error: %s' % error)
  for path, classes in results:
    print('%s: %s' % (path, ', '.join('class %d (%.3f)' % pair for pair in classes)))
  return results


if __name__ == '__main__':
  main()
