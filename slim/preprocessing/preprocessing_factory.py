"""Looks up the image preprocessing of a network or by its own name.

The preprocessing names are 'cifarnet', 'inception', 'lenet' and 'vgg'. Any
other name is taken as a network name and resolved through the network
registry (`nets.nets_factory.get_network_spec(name).preprocessing`), the one
place that records which preprocessing each network uses.
"""
import difflib
import importlib

from slim.preprocessing import cifarnet_preprocessing
from slim.preprocessing import inception_preprocessing
from slim.preprocessing import lenet_preprocessing
from slim.preprocessing import vgg_preprocessing

__all__ = ['get_preprocessing', 'list_preprocessing', 'preprocessing_name_for']

_MODULES = {
    'cifarnet': cifarnet_preprocessing,
    'inception': inception_preprocessing,
    'lenet': lenet_preprocessing,
    'vgg': vgg_preprocessing,
}


def list_preprocessing():
  """The preprocessing names, sorted."""
  return sorted(_MODULES)


def _network_registry():
  """nets.nets_factory, or None where the nets package has no registry."""
  try:
    return importlib.import_module('slim.nets.nets_factory')
  except ModuleNotFoundError as error:
    if error.name in ('nets', 'slim.nets.nets_factory'):
      return None
    raise


def _unknown_name(name, network_names):
  known = list_preprocessing()
  message = 'get_preprocessing: preprocessing name %r was not recognized.' % name
  close = difflib.get_close_matches(name, known + list(network_names), n=1)
  if close:
    message += ' Did you mean %r?' % close[0]
  message += ' Known preprocessing: %s.' % ', '.join(known)
  if network_names:
    message += ' Known networks: %s.' % ', '.join(sorted(network_names))
  return ValueError(message)


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
  if not isinstance(name, str):
    raise ValueError('get_preprocessing: name must be a string (a preprocessing or network '
                     'name), received %r' % (name,))
  if name in _MODULES:
    return name
  registry = _network_registry()
  if registry is None:
    raise _unknown_name(name, [])
  try:
    spec = registry.get_network_spec(name)
  except ValueError:
    raise _unknown_name(name, registry.list_networks()) from None
  if spec.preprocessing not in _MODULES:
    raise ValueError('get_preprocessing: network %r has no image preprocessing (its registry '
                     'entry names %r); pass a preprocessing name instead: %s'
                     % (name, spec.preprocessing, ', '.join(list_preprocessing())))
  return spec.preprocessing


def get_preprocessing(name, is_training=False, use_grayscale=False):
  """Returns `preprocessing_fn(image, output_height, output_width, **kwargs)`.

  The function preprocesses one image (before batching) with the module's
  `preprocess_image`; keyword arguments go to it (for example `bbox` or
  `fast_mode` for inception, `seed` for all).

  Args:
    name: a preprocessing name ('cifarnet', 'inception', 'lenet', 'vgg') or a
      network name known to `nets.nets_factory`.
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
  module = _MODULES[preprocessing_name_for(name)]

  def preprocessing_fn(image, output_height, output_width, **kwargs):
    kwargs.setdefault('use_grayscale', use_grayscale)
    return module.preprocess_image(image, output_height, output_width,
                                   is_training=is_training, **kwargs)

  return preprocessing_fn
