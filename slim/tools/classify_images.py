r"""Classifies image files with a SavedModel written by export_inference_graph.

    python scripts/classify_images.py --saved_model_dir=/tmp/lenet_serving \
        --top_k=3 digit_0.png digit_1.png

The SavedModel needs its `serving_encoded` signature (export it with
--add_encoded_image_signature): the files' bytes (PNG, JPEG, GIF or BMP) go in
as they are and the network's evaluation preprocessing runs inside the model.
Prints one line per file: its `top_k` classes with their probabilities,
`8:eight (0.996)` (label:name) when the SavedModel has class names (exported
with the --dataset_dir holding the dataset's labels.txt), `class 8 (0.996)`
otherwise:

    digit_0.png: 8:eight (0.996), 3:three (0.002)
"""
import collections
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from slim.tools import _cli  # pylint: disable=wrong-import-position

__all__ = ['FLAGS', 'Prediction', 'classify', 'console_main', 'main']

PROG = 'classify_images'

FLAGS = [('classification', [
    _cli.Flag('saved_model_dir', _cli.REQUIRED, str,
              'the SavedModel directory written by export_inference_graph'),
    _cli.Flag('top_k', 1, int, 'how many classes to print per image'),
])]


# One of an image's best classes: its dataset label, its name (None when the
# SavedModel has no names) and its probability.
Prediction = collections.namedtuple('Prediction', ['label', 'name', 'probability'])


def _text(prediction):
  if prediction.name is None:
    return 'class %d (%.3f)' % (prediction.label, prediction.probability)
  return '%d:%s (%.3f)' % prediction


def classify(saved_model_dir, image_files, top_k=1):
  """Returns [(file, [Prediction(label, name, probability), ...]) ...], best first."""
  # Imported here so that --help and flag errors answer before TensorFlow loads.
  tf = _cli.import_tensorflow()
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  model = tf.saved_model.load(saved_model_dir)
  if export_lib.SERVING_ENCODED not in model.signatures:
    raise ValueError('%s has no %r signature (it has %s): export it with '
                     'export_inference_graph --add_encoded_image_signature'
                     % (saved_model_dir, export_lib.SERVING_ENCODED, sorted(model.signatures)))
  encoded = [tf.io.read_file(path) for path in image_files]
  outputs = model.signatures[export_lib.SERVING_ENCODED](encoded_images=tf.stack(encoded))
  probabilities = outputs['probabilities'].numpy()
  # `classes` is the argmax plus the labels offset: recover the offset from it.
  offset = int(outputs['classes'].numpy()[0]) - int(probabilities[0].argmax())
  names = export_lib.saved_model_labels(model) or {}
  results = []
  for path, row in zip(image_files, probabilities):
    best = row.argsort()[::-1][:top_k]
    results.append((path, [Prediction(int(index) + offset, names.get(int(index) + offset),
                                      float(row[index])) for index in best]))
  return results


def main(argv=None):
  """Classifies the image files of `argv` and prints a line per file; returns the results."""
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv, positional='IMAGE')
  _cli.check_at_least(vars(flags), 1, ['top_k'])
  if not flags.positional:
    raise _cli.FlagError('no image file given: classify_images --saved_model_dir=DIR '
                         'IMAGE [IMAGE ...]')
  missing = [path for path in flags.positional if not os.path.isfile(path)]
  if missing:
    raise _cli.FlagError('no such image file: %s' % ', '.join(missing))
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  results = classify(flags.saved_model_dir, flags.positional, flags.top_k)
  for path, classes in results:
    print('%s: %s' % (path, ', '.join(_text(prediction) for prediction in classes)))
  return results


def console_main(argv=None):
  """The `classify_images` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
