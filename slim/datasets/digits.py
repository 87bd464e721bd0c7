"""scikit-learn's handwritten digits, upscaled to 28x28: the offline default dataset.

The 1797 8x8 digits of `sklearn.datasets.load_digits()` ship inside scikit-learn:
no download. The converter scales them to 28x28 grayscale uint8 PNGs and splits
them once and for all (a permutation of seed 0): 1500 train, 297 test images,
labels 0..9. Same items as MNIST, so MNIST models and preprocessing apply.
"""
import slim
from slim.datasets import _spec

_FILE_PATTERN = 'digits_%s_*.tfrecord'

SPLITS_TO_SIZES = {'train': 1500, 'test': 297}

_NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    'image': 'A [28 x 28 x 1] grayscale image.',
    'label': 'A single integer between 0 and 9',
}


def _keys_to_features():
  return _spec.image_label_features('png')


def _items_to_handlers():
  return {
      'image': slim.tfexample_decoder.Image(shape=[28, 28, 1], channels=1),
      'label': slim.tfexample_decoder.Tensor('image/class/label'),
  }


SPEC = _spec.register(
    name='digits', file_pattern=_FILE_PATTERN, splits_to_sizes=SPLITS_TO_SIZES,
    num_classes=_NUM_CLASSES, items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
    keys_to_features=_keys_to_features, items_to_handlers=_items_to_handlers,
    converter='slim.datasets.download_and_convert_digits',
    description="scikit-learn's 8x8 digits upscaled to 28x28 grayscale, 10 classes "
                "(offline)")

get_split = SPEC.get_split
