"""The registry of the image classification networks, and `get_network_fn`.

One `NetworkSpec` per network carries everything about it: where its function
and arg scope live, its default image size, its preprocessing, and the label
space of its published checkpoint. Modules are imported when a network is
first asked for, so `nets_factory` itself imports no network.

    network_fn = nets_factory.get_network_fn('inception_v3', num_classes=1001)
    logits, end_points = network_fn(images)    # images: 299 x 299
    nets_factory.list_networks('resnet_v1*')   # ['resnet_v1_101', ...]
    nets_factory.NETWORKS['vgg_16'].labels_offset  # 1: no background class

`networks_map` and `arg_scopes_map` keep research/slim's dictionaries for old
code; they are views of the registry.
"""
import collections.abc
import difflib
import fnmatch
import functools
import importlib
import types
import typing

import slim

__all__ = ['NETWORKS', 'NetworkSpec', 'arg_scopes_map', 'get_network_fn', 'get_network_spec',
           'list_networks', 'networks_map']


class NetworkSpec(typing.NamedTuple):
  """What the factory knows of a network.

  Fields:
    name: the registry key ('inception_v3').
    module: the module defining it, imported on first use ('slim.nets.inception').
    function: the network function's name in `module`.
    arg_scope: the name of its arg-scope function in `module`, called with
      `weight_decay=`.
    default_image_size: the height and width it is trained at.
    preprocessing: the preprocessing_factory name ('inception', 'vgg',
      'cifarnet', 'lenet').
    num_classes: the classes of its published checkpoint: 1001 (ImageNet with
      a background class 0), 1000 (ImageNet without it), or 10 (MNIST,
      CIFAR-10). For networks without a published checkpoint, the convention
      of their family.
    labels_offset: research/slim's `--labels_offset` for that checkpoint:
      what to subtract from the 1001-label ImageNet dataset's labels (1 when
      the checkpoint has no background class, else 0).
    kwargs: keyword arguments the factory passes to the function, where
      research/slim's defaults differ from TF-Slim's (ResNets squeeze their
      logits to [batch, num_classes]).
  """
  name: str
  module: str
  function: str
  arg_scope: str
  default_image_size: int
  preprocessing: str
  num_classes: int
  labels_offset: int = 0
  kwargs: typing.Mapping = types.MappingProxyType({})

  def load(self):
    """Imports the module; returns (network function, arg-scope function)."""
    module = importlib.import_module(self.module)
    return getattr(module, self.function), getattr(module, self.arg_scope)


def _imagenet(name, module, function, arg_scope, size, preprocessing='inception',
              background=True, **kwargs):
  """The spec of a network for ImageNet (1001 classes with background, else 1000)."""
  return NetworkSpec(name, module, function, arg_scope, size, preprocessing,
                     num_classes=1001 if background else 1000,
                     labels_offset=0 if background else 1,
                     kwargs=types.MappingProxyType(kwargs))


def _registry():
  """All networks, keyed by name: research/slim's classification networks."""
  specs = [
      # No published checkpoints: the 1000 classes of their definitions.
      _imagenet('alexnet_v2', 'slim.nets.alexnet', 'alexnet_v2', 'alexnet_v2_arg_scope', 224,
                'vgg', background=False),
      _imagenet('overfeat', 'slim.nets.overfeat', 'overfeat', 'overfeat_arg_scope', 231, 'vgg',
                background=False),
      NetworkSpec('lenet', 'slim.nets.lenet', 'lenet', 'lenet_arg_scope', 28, 'lenet', 10),
      NetworkSpec('cifarnet', 'slim.nets.cifarnet', 'cifarnet', 'cifarnet_arg_scope', 32,
                  'cifarnet', 10),
      NetworkSpec('nasnet_cifar', 'slim.nets.nasnet.nasnet', 'build_nasnet_cifar',
                  'nasnet_cifar_arg_scope', 32, 'cifarnet', 10),
  ]
  # Converted from Caffe without the background class.
  specs += [_imagenet(name, 'slim.nets.vgg', name, 'vgg_arg_scope', 224, 'vgg', background=False)
            for name in ('vgg_a', 'vgg_16', 'vgg_19')]
  specs += [_imagenet('resnet_v1_%d' % depth, 'slim.nets.resnet_v1', 'resnet_v1_%d' % depth,
                      'resnet_arg_scope', 224, 'vgg', background=False, spatial_squeeze=True)
            for depth in (50, 101, 152, 200)]
  # The ResNet v2 checkpoints were trained with Inception preprocessing (at 299;
  # research/slim's preprocessing_factory says 'vgg', its README 'inception').
  specs += [_imagenet('resnet_v2_%d' % depth, 'slim.nets.resnet_v2', 'resnet_v2_%d' % depth,
                      'resnet_arg_scope', 224, spatial_squeeze=True)
            for depth in (50, 101, 152, 200)]
  specs += [
      _imagenet('inception_v1', 'slim.nets.inception', 'inception_v1', 'inception_v3_arg_scope',
                224),
      _imagenet('inception_v2', 'slim.nets.inception', 'inception_v2', 'inception_v3_arg_scope',
                224),
      _imagenet('inception_v3', 'slim.nets.inception', 'inception_v3', 'inception_v3_arg_scope',
                299),
      _imagenet('inception_v4', 'slim.nets.inception', 'inception_v4', 'inception_v4_arg_scope',
                299),
      _imagenet('inception_resnet_v2', 'slim.nets.inception', 'inception_resnet_v2',
                'inception_resnet_v2_arg_scope', 299),
  ]
  specs += [_imagenet(name, 'slim.nets.mobilenet_v1', name, 'mobilenet_v1_arg_scope', 224)
            for name in ('mobilenet_v1', 'mobilenet_v1_075', 'mobilenet_v1_050',
                         'mobilenet_v1_025')]
  specs += [_imagenet(name, 'slim.nets.mobilenet.mobilenet_v2', function, 'training_scope', 224)
            for name, function in (('mobilenet_v2', 'mobilenet'),
                                   ('mobilenet_v2_140', 'mobilenet_v2_140'),
                                   ('mobilenet_v2_035', 'mobilenet_v2_035'))]
  specs += [_imagenet(name, 'slim.nets.mobilenet.mobilenet_v3', function, 'training_scope', 224)
            for name, function in (('mobilenet_v3_small', 'small'),
                                   ('mobilenet_v3_large', 'large'),
                                   ('mobilenet_v3_small_minimalistic', 'small_minimalistic'),
                                   ('mobilenet_v3_large_minimalistic', 'large_minimalistic'),
                                   ('mobilenet_edgetpu', 'edge_tpu'),
                                   ('mobilenet_edgetpu_075', 'edge_tpu_075'))]
  specs += [
      _imagenet('nasnet_mobile', 'slim.nets.nasnet.nasnet', 'build_nasnet_mobile',
                'nasnet_mobile_arg_scope', 224),
      _imagenet('nasnet_large', 'slim.nets.nasnet.nasnet', 'build_nasnet_large',
                'nasnet_large_arg_scope', 331),
      _imagenet('pnasnet_mobile', 'slim.nets.nasnet.pnasnet', 'build_pnasnet_mobile',
                'pnasnet_mobile_arg_scope', 224),
      _imagenet('pnasnet_large', 'slim.nets.nasnet.pnasnet', 'build_pnasnet_large',
                'pnasnet_large_arg_scope', 331),
  ]
  return collections.OrderedDict((spec.name, spec) for spec in sorted(specs, key=lambda s: s.name))


NETWORKS = _registry()


def get_network_spec(name):
  """The `NetworkSpec` of network `name`.

  Raises:
    ValueError: an unknown name; the message suggests the closest names.
  """
  spec = NETWORKS.get(name) if isinstance(name, str) else None
  if spec is None:
    close = difflib.get_close_matches(str(name), list(NETWORKS), n=1)
    suggestion = ' Did you mean %r?' % close[0] if close else ''
    raise ValueError('Unknown network %r.%s Known: %s'
                     % (name, suggestion, ', '.join(NETWORKS)))
  return spec


def list_networks(pattern='*'):
  """The sorted names of the registered networks matching the glob `pattern`."""
  return sorted(name for name in NETWORKS if fnmatch.fnmatchcase(name, pattern))


def get_network_fn(name, num_classes, weight_decay=0.0, is_training=False):
  """A function `logits, end_points = network_fn(images, **kwargs)` for network `name`.

  The network is built in its arg scope (made with `weight_decay` at each call)
  with `num_classes` and `is_training`; `kwargs` go to the network function.

  Args:
    name: a registered network (see `list_networks()`).
    num_classes: number of classes; 0 or None omits the logits layer, and
      the network returns the features it would classify (no dropout).
    weight_decay: the L2 regularization scale of the weights (default 0.0).
    is_training: whether batch norm and dropout are in training mode.

  Returns:
    `network_fn`, with the attribute `default_image_size`.

  Raises:
    ValueError: an unknown `name`, or a wrong `num_classes` or `weight_decay`.
  """
  spec = get_network_spec(name)
  if not (num_classes is None or (isinstance(num_classes, int) and
                                  not isinstance(num_classes, bool) and num_classes >= 0)):
    raise ValueError('get_network_fn: num_classes must be a positive int, or 0 or None for '
                     'the features, received %r' % (num_classes,))
  if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) or \
      weight_decay < 0:
    raise ValueError('get_network_fn: weight_decay must be a number >= 0, received %r'
                     % (weight_decay,))
  weight_decay = float(weight_decay)  # l2_regularizer refuses ints
  func, arg_scope_fn = spec.load()

  @functools.wraps(func)
  def network_fn(images, **kwargs):
    with slim.arg_scope(arg_scope_fn(weight_decay=weight_decay)):
      return func(images, num_classes=num_classes, is_training=is_training,
                  **dict(spec.kwargs, **kwargs))

  network_fn.default_image_size = spec.default_image_size
  return network_fn


class _RegistryView(collections.abc.Mapping):
  """A read-only dict of the registry: name -> the function (or arg scope) of
  the network, imported when looked up."""

  def __init__(self, part):
    self._part = part

  def __getitem__(self, name):
    if name not in NETWORKS:
      raise KeyError(name)
    return NETWORKS[name].load()[self._part]

  def __contains__(self, name):
    return name in NETWORKS

  def __iter__(self):
    return iter(NETWORKS)

  def __len__(self):
    return len(NETWORKS)

  def __repr__(self):
    return '<%s of %d networks>' % (('networks_map', 'arg_scopes_map')[self._part], len(self))


networks_map = _RegistryView(0)
arg_scopes_map = _RegistryView(1)
