"""Looks up the image preprocessing of a network or by its own name.

The preprocessing names are 'cifarnet', 'inception', 'lenet' and 'vgg' (each
module registers its `preprocess_image`). Any other name is taken as a network
name: the network registry (`nets_factory.get_network_spec(name).preprocessing`)
is the one place that records which preprocessing each network uses.
"""
from slim import _checks
from slim.preprocessing import _ops
from slim.preprocessing import cifarnet_preprocessing  # pylint: disable=unused-import
from slim.preprocessing import inception_preprocessing  # pylint: disable=unused-import
from slim.preprocessing import lenet_preprocessing  # pylint: disable=unused-import
from slim.preprocessing import vgg_preprocessing  # pylint: disable=unused-import

__all__ = ['get_preprocessing', 'list_preprocessing', 'preprocessing_name_for']


def list_preprocessing():
  """The preprocessing names, sorted."""
  return _ops.PREPROCESSING.names()


def preprocessing_name_for(name):
  """The preprocessing name of `name`: `name` itself if it is a preprocessing name,
  else the preprocessing the network registry records for the network `name`.

  Args:
    name: a preprocessing name ('inception') or a network name ('inception_v3').

  Returns:
    One of `list_preprocessing()`.

  Raises:
    ValueError: if `name` is neither (the message suggests the closest name and
      lists the known ones), or if the network has no image preprocessing.

  Example:
    preprocessing_name_for('resnet_v1_50')  # 'vgg'
  """
  if isinstance(name, str) and name in _ops.PREPROCESSING:
    return name
  # The networks import no preprocessing; only this lookup needs them.
  from slim.nets import nets_factory  # pylint: disable=import-outside-toplevel
  if not (isinstance(name, str) and name in nets_factory.NETWORKS):
    raise _checks.unknown_name('preprocessing (or network)', name,
                               set(list_preprocessing() + nets_factory.list_networks()))
  preprocessing = nets_factory.get_network_spec(name).preprocessing
  if preprocessing not in _ops.PREPROCESSING:
    raise ValueError('get_preprocessing: network %r has no image preprocessing (its registry '
                     'entry names %r); pass a preprocessing name instead: %s'
                     % (name, preprocessing, ', '.join(list_preprocessing())))
  return preprocessing


def get_preprocessing(name, is_training=False, use_grayscale=False):
  """Returns `preprocessing_fn(image, output_height, output_width, **kwargs)`.

  The function preprocesses one image (before batching) with the module's
  `preprocess_image`; keyword arguments go to it (for example `bbox` or
  `fast_mode` for inception, `seed` for all).

  Args:
    name: a preprocessing name ('cifarnet', 'inception', 'lenet', 'vgg') or a
      network name known to `nets_factory`.
    is_training: preprocess for training (random distortions) or evaluation
      (default False).
    use_grayscale: convert RGB images to one grayscale channel (default False;
      a `use_grayscale` keyword given to the function wins).

  Returns:
    The preprocessing function.

  Raises:
    ValueError: if `name` is unknown (with a suggestion and the known names).

  Example:
    preprocessing_fn = get_preprocessing('inception_v3', is_training=True)
    dataset = dataset.map(lambda image, label: (preprocessing_fn(image, 299, 299), label))
  """
  preprocess_image = _ops.PREPROCESSING[preprocessing_name_for(name)]

  def preprocessing_fn(image, output_height, output_width, **kwargs):
    kwargs.setdefault('use_grayscale', use_grayscale)
    return preprocess_image(image, output_height, output_width, is_training=is_training,
                            **kwargs)

  return preprocessing_fn
