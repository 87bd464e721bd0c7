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

Each file is read and decoded on its own: one that cannot be (missing, a directory,
not an image) gets an error line on stderr naming it,

    classify_images: error: notes.txt: not a decodable image (Unknown image file ...)

the others are classified, and the exit status is 1.
"""
import collections
import os
import re
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


# What an eager TensorFlow error adds around its message: the function and op it ran.
_OP_ERROR_CONTEXT = re.compile(r'\{\{function_node [^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$')


def _reason(error):
  return _OP_ERROR_CONTEXT.sub('', error.message)


def _read_image(tf, path):
  """The bytes of the image file `path`; ValueError('path: why not') if it cannot
  be read or decoded."""
  if tf.io.gfile.isdir(path):
    raise ValueError('%s: is a directory, not an image file' % path)
  if not tf.io.gfile.exists(path):
    raise ValueError('%s: no such file' % path)
  try:
    data = tf.io.read_file(path)
  except tf.errors.OpError as error:
    raise ValueError('%s: cannot be read (%s)' % (path, _reason(error))) from None
  try:
    tf.io.decode_image(data, expand_animations=False)
  except tf.errors.OpError as error:
    raise ValueError('%s: not a decodable image (%s)' % (path, _reason(error))) from None
  return data


def _text(prediction):
  if prediction.name is None:
    return 'class %d (%.3f)' % (prediction.label, prediction.probability)
  return '%d:%s (%.3f)' % prediction


def _check_image_model(model, saved_model_dir):
  """Raises FlagError when the SavedModel's serving_default takes clips (a video network)."""
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  signature = model.signatures.get(export_lib.SERVING_DEFAULT)
  if signature is None:
    return
  positional, named = signature.structured_input_signature
  for value in list(positional) + list(named.values()):
    if value.shape.rank == 5:
      raise _cli.FlagError(
          '--saved_model_dir=%s holds a video network: its %s takes clips [%s] (batch, '
          'frames, height, width, channels), not images: video networks can be built and '
          'exported, but the tools train, evaluate and classify images only; call its %s '
          'signature on clips of frames'
          % (saved_model_dir, export_lib.SERVING_DEFAULT,
             ', '.join('batch' if dim is None else str(dim) for dim in value.shape.as_list()),
             export_lib.SERVING_DEFAULT))


def classify(saved_model_dir, image_files, top_k=1, on_error=None):
  """Returns [(file, [Prediction(label, name, probability), ...]) ...], best first.

  A file that cannot be read or decoded raises ValueError('file: why not'); with
  `on_error`, `on_error(that error)` is called instead and the file left out. A
  SavedModel of a video network (serving_default takes clips) raises
  `_cli.FlagError` before any file is read.
  """
  # Imported here so that --help and flag errors answer before TensorFlow loads.
  tf = _cli.import_tensorflow()
  from slim.tools import export_lib  # pylint: disable=import-outside-toplevel
  model = tf.saved_model.load(saved_model_dir)
  _check_image_model(model, saved_model_dir)
  if export_lib.SERVING_ENCODED not in model.signatures:
    raise ValueError('%s has no %r signature (it has %s): export it with '
                     'export_inference_graph --add_encoded_image_signature'
                     % (saved_model_dir, export_lib.SERVING_ENCODED, sorted(model.signatures)))
  paths, encoded = [], []
  for path in image_files:
    try:
      encoded.append(_read_image(tf, path))
    except ValueError as error:
      if on_error is None:
        raise
      on_error(error)
    else:
      paths.append(path)
  if not paths:
    return []
  outputs = model.signatures[export_lib.SERVING_ENCODED](encoded_images=tf.stack(encoded))
  probabilities = outputs['probabilities'].numpy()
  # `classes` is the argmax plus the labels offset: recover the offset from it.
  offset = int(outputs['classes'].numpy()[0]) - int(probabilities[0].argmax())
  names = export_lib.saved_model_labels(model) or {}
  results = []
  for path, row in zip(paths, probabilities):
    best = row.argsort()[::-1][:top_k]
    results.append((path, [Prediction(int(index) + offset, names.get(int(index) + offset),
                                      float(row[index])) for index in best]))
  return results


def main(argv=None):
  """Classifies the image files of `argv` and prints a line per file; returns the
  results. A file that is not an image gets an error line on stderr; then, once
  the others are printed, ValueError."""
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, argv=argv, positional='IMAGE')
  _cli.check_at_least(vars(flags), 1, ['top_k'])
  if not flags.positional:
    raise _cli.FlagError('no image file given: classify_images --saved_model_dir=DIR '
                         'IMAGE [IMAGE ...]')
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  failed = []

  def report(error):
    failed.append(error)
    sys.stderr.write('%s: error: %s\n' % (PROG, error))

  results = classify(flags.saved_model_dir, flags.positional, flags.top_k, on_error=report)
  for path, classes in results:
    print('%s: %s' % (path, ', '.join(_text(prediction) for prediction in classes)))
  if failed:
    raise ValueError('%d of %d image files not classified'
                     % (len(failed), len(flags.positional)))
  return results


def console_main(argv=None):
  """The `classify_images` command; returns its exit status."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
