"""Networks by name: `get_network_fn`, on top of the registry of the networks.

Each network registers itself where it is defined (`slim.nets.registry`);
this module imports every network module, so that the registry is complete,
and keeps research/slim's API on top of it.

    network_fn = nets_factory.get_network_fn('inception_v3', num_classes=1001)
    logits, end_points = network_fn(images)    # images: 299 x 299
    nets_factory.list_networks('resnet_v1*')   # ['resnet_v1_101', ...]
    nets_factory.get_network_spec('vgg_16').labels_offset  # 1: no background class

`networks_map` and `arg_scopes_map` are research/slim's dictionaries (name ->
network function, name -> arg-scope function), filled from the registry; as in
research/slim, `get_network_fn` builds what they hold, so code that adds a
network to both (or replaces one) keeps working.
"""
import functools

import slim
from slim import _checks
from slim.nets import alexnet
from slim.nets import cifarnet
from slim.nets import i3d
from slim.nets import inception
from slim.nets import inception_resnet_v2
from slim.nets import inception_v1
from slim.nets import inception_v2
from slim.nets import inception_v3
from slim.nets import inception_v4
from slim.nets import lenet
from slim.nets import mobilenet_v1
from slim.nets import overfeat
from slim.nets import resnet_v1
from slim.nets import resnet_v2
from slim.nets import s3dg
from slim.nets import vgg
from slim.nets.mobilenet import mobilenet_v2
from slim.nets.mobilenet import mobilenet_v3
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import pnasnet
from slim.nets.registry import NETWORKS, NetworkSpec

__all__ = ['NETWORKS', 'NetworkSpec', 'arg_scopes_map', 'get_network_fn', 'get_network_spec',
           'list_networks', 'networks_map']

# Every network module, imported for the networks it registers.
NETWORK_MODULES = (alexnet, cifarnet, i3d, inception, inception_resnet_v2, inception_v1,
                   inception_v2, inception_v3, inception_v4, lenet, mobilenet_v1, mobilenet_v2,
                   mobilenet_v3, nasnet, overfeat, pnasnet, resnet_v1, resnet_v2, s3dg, vgg)


def get_network_spec(name):
  """The `NetworkSpec` of network `name`.

  Raises:
    ValueError: an unknown name; the message suggests the closest name and
      lists the known ones.
  """
  return NETWORKS.lookup(name)


def list_networks(pattern='*'):
  """The sorted names of the registered networks matching the glob `pattern`."""
  return NETWORKS.names(pattern)


def get_network_fn(name, num_classes, weight_decay=0.0, is_training=False):
  """A function `logits, end_points = network_fn(images, **kwargs)` for network `name`.

  The network is built in its arg scope (made with `weight_decay` at each call)
  with `num_classes` and `is_training`; `kwargs` go to the network function,
  after the registry's (ResNets: spatial_squeeze=True).

  Args:
    name: a registered network (see `list_networks()`).
    num_classes: number of classes; 0 or None omits the logits layer, and
      the network returns the features it would classify (no dropout).
    weight_decay: the L2 regularization scale of the weights (default 0.0).
    is_training: whether batch norm and dropout are in training mode.

  Returns:
    `network_fn`, with the name and docstring of the network function and the
    attribute `default_image_size`.

  Raises:
    ValueError: an unknown `name`, or a wrong `num_classes` or `weight_decay`.

  Example:
    network_fn = get_network_fn('resnet_v1_50', num_classes=1000, weight_decay=1e-4)
    logits, end_points = network_fn(images)   # logits [batch, 1000]
  """
  function, arg_scope, spec = _lookup(name)
  _checks.check_count('get_network_fn', 'num_classes', num_classes, allow_none=True,
                      allow_zero=True)
  _checks.check_number('get_network_fn', 'weight_decay', weight_decay, minimum=0)
  weight_decay = float(weight_decay)  # l2_regularizer refuses ints
  factory_kwargs = spec.kwargs if spec else {}

  @functools.wraps(function)
  def network_fn(images, **kwargs):
    with slim.arg_scope(arg_scope(weight_decay=weight_decay)):
      return function(images, num_classes=num_classes, is_training=is_training,
                      **dict(factory_kwargs, **kwargs))

  default_image_size = getattr(function, 'default_image_size', None)
  network_fn.default_image_size = spec.default_image_size if spec else default_image_size
  return network_fn


def _lookup(name):
  """(network function, arg-scope function, NetworkSpec or None) of `name`: from
  research/slim's maps where they hold it, else from the registry."""
  if not (isinstance(name, str) and name in networks_map):
    spec = get_network_spec(name)
    return spec.function, spec.arg_scope, spec
  if name not in arg_scopes_map:
    raise ValueError('get_network_fn: networks_map holds %r but arg_scopes_map does not; '
                     'add its arg-scope function there' % (name,))
  return networks_map[name], arg_scopes_map[name], NETWORKS.get(name)


# research/slim's maps: name -> network function, name -> arg-scope function.
networks_map = {name: spec.function for name, spec in NETWORKS.items()}
arg_scopes_map = {name: spec.arg_scope for name, spec in NETWORKS.items()}
