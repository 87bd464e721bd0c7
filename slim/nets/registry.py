"""The registry of the image classification networks, filled where each network
is defined.

A network function registers itself with everything the tools need to know of
it: its arg scope, the image size it is trained at, its preprocessing, the
label space of its published checkpoint, and a small build for fast tests.

    @registry.register_network('lenet', arg_scope=lenet_arg_scope, default_image_size=28,
                               preprocessing='lenet', num_classes=10,
                               small_build=registry.SmallBuild(28))
    def lenet(images, num_classes=10, ...):
      ...

    registry.NETWORKS['lenet'].default_image_size   # 28, also lenet.default_image_size
    registry.NETWORKS.lookup('lenett')              # ValueError: Unknown network 'lenett'. ...

`nets_factory` imports every network module, so that the registry is complete
there, and builds networks by name on top of it (`get_network_fn`).
"""
import collections.abc
import types
import typing

from slim import _checks
from slim import _registry

__all__ = ['NETWORKS', 'NetworkSpec', 'SmallBuild', 'register_network']

NETWORKS = _registry.Registry('network')

_EMPTY = types.MappingProxyType({})


class SmallBuild(typing.NamedTuple):
  """A small, fast build of a network that still runs every part of it, for
  tests: the conformance tests build each registered network this way.

  Fields:
    image_size: the height and width of the images.
    kwargs: keyword arguments of the network function (a thinner
      `depth_multiplier`, `global_pool`).
    any_image_size: whether this build also runs on images of unknown height
      and width (default False).
    num_frames: for a video network, the frames of its clips in this build
      (default None: the network's `num_frames`).
  """
  image_size: int
  kwargs: typing.Mapping = _EMPTY
  any_image_size: bool = False
  num_frames: int = None


class NetworkSpec(typing.NamedTuple):
  """What the registry knows of a network.

  Fields:
    name: the registry key ('inception_v3').
    function: the network function, `logits, end_points = function(images, ...)`.
    arg_scope: its arg-scope function, called with `weight_decay=`.
    default_image_size: the height and width it is trained at (also the
      function's `default_image_size` attribute).
    preprocessing: the preprocessing_factory name ('inception', 'vgg',
      'cifarnet', 'lenet').
    num_classes: the classes of its published checkpoint: 1001 (ImageNet with
      a background class 0), 1000 (ImageNet without it), or 10 (MNIST,
      CIFAR-10). For networks without a published checkpoint, the convention
      of their family.
    labels_offset: research/slim's `--labels_offset` for that checkpoint: what
      to subtract from the labels of the 1001-class ImageNet dataset (1 when
      the checkpoint has no background class, else 0).
    kwargs: keyword arguments `nets_factory` passes to the function, where
      research/slim's defaults differ from TF-Slim's (ResNets squeeze their
      logits to [batch, num_classes]).
    small_build: a `SmallBuild` for fast tests.
    num_frames: for a video network, the number of frames of its clips
      (its input is [batch, num_frames, height, width, 3]); None for an image
      network.
  """
  name: str
  function: typing.Callable
  arg_scope: typing.Callable
  default_image_size: int
  preprocessing: str
  num_classes: int
  labels_offset: int = 0
  kwargs: typing.Mapping = _EMPTY
  small_build: SmallBuild = None
  num_frames: int = None

  @property
  def is_video(self):
    """Whether the network classifies clips of frames rather than images."""
    return self.num_frames is not None


def _check_mapping(caller, argument, value):
  if value is None:
    return _EMPTY
  if not isinstance(value, collections.abc.Mapping):
    raise TypeError('%s: %s must be a mapping of keyword arguments, received %r'
                    % (caller, argument, value))
  return types.MappingProxyType(dict(value))


def _check_small_build(caller, default_image_size, small_build, num_frames):
  if small_build is None:
    return SmallBuild(default_image_size, num_frames=num_frames)
  if not isinstance(small_build, SmallBuild):
    raise TypeError('%s: small_build must be a registry.SmallBuild, received %r'
                    % (caller, small_build))
  _checks.check_count(caller, 'small_build.image_size', small_build.image_size)
  _checks.check_count(caller, 'small_build.num_frames', small_build.num_frames, allow_none=True)
  if num_frames is None and small_build.num_frames is not None:
    raise ValueError('%s: small_build.num_frames is for video networks; pass num_frames= '
                     'to register one, received small_build.num_frames=%r without it'
                     % (caller, small_build.num_frames))
  return small_build._replace(
      kwargs=_check_mapping(caller, 'small_build.kwargs', small_build.kwargs),
      num_frames=small_build.num_frames if small_build.num_frames is not None else num_frames)


def register_network(name, *, arg_scope, default_image_size, preprocessing, num_classes,
                     labels_offset=0, factory_kwargs=None, small_build=None,
                     num_frames=None):
  """Decorates a network function: registers it in `NETWORKS` under `name` and
  sets its `default_image_size` attribute (research/slim code reads it there).

  Args:
    name: the registry key, e.g. 'resnet_v1_50'.
    arg_scope: the network's arg-scope function (takes `weight_decay=`).
    default_image_size: the height and width it is trained at.
    preprocessing: the preprocessing_factory name of its images.
    num_classes: the classes of its published checkpoint.
    labels_offset: see `NetworkSpec` (default 0).
    factory_kwargs: keyword arguments `nets_factory.get_network_fn` passes to
      the function (default none).
    small_build: a `SmallBuild` for fast tests (default: the network as it
      is, at `default_image_size`).
    num_frames: for a video network, the number of frames of its clips
      (default None: an image network); its small build's frames default
      to it.

  Returns:
    The decorator, which returns the function itself.

  Raises:
    ValueError: a name registered already, or a wrong size, preprocessing
      name, number of classes, label offset or number of frames.
    TypeError: `arg_scope` not callable, or `factory_kwargs` or `small_build`
      of the wrong type.
  """
  caller = 'register_network(%r)' % (name,)
  _checks.check_callable(caller, 'arg_scope', arg_scope, allow_none=False)
  _checks.check_count(caller, 'default_image_size', default_image_size)
  if not isinstance(preprocessing, str) or not preprocessing:
    raise ValueError('%s: preprocessing must be the name of a preprocessing '
                     "('inception', 'vgg', ...), received %r" % (caller, preprocessing))
  _checks.check_count(caller, 'num_classes', num_classes)
  _checks.check_count(caller, 'labels_offset', labels_offset, allow_zero=True)
  _checks.check_count(caller, 'num_frames', num_frames, allow_none=True)
  factory_kwargs = _check_mapping(caller, 'factory_kwargs', factory_kwargs)
  small_build = _check_small_build(caller, default_image_size, small_build, num_frames)

  def decorator(function):
    _checks.check_callable(caller, 'the decorated network function', function,
                           allow_none=False)
    NETWORKS.register(name, NetworkSpec(
        name=name, function=function, arg_scope=arg_scope,
        default_image_size=default_image_size, preprocessing=preprocessing,
        num_classes=num_classes, labels_offset=labels_offset, kwargs=factory_kwargs,
        small_build=small_build, num_frames=num_frames))
    function.default_image_size = default_image_size
    return function

  return decorator
