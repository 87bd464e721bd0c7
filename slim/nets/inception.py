"""All the Inception networks in one namespace, as research/slim's `nets.inception`:
`inception.inception_v3(...)`, `inception.inception_v3_arg_scope()`, ...

Inception v1, v2 and v3 are imported with this module; Inception v4 and
Inception-ResNet v2 (the largest definitions) when one of their names is first
used.
"""
import importlib

# pylint: disable=unused-import
from slim.nets.inception_v1 import inception_v1, inception_v1_arg_scope, inception_v1_base
from slim.nets.inception_v2 import inception_v2, inception_v2_arg_scope, inception_v2_base
from slim.nets.inception_v3 import inception_v3, inception_v3_arg_scope, inception_v3_base
# pylint: enable=unused-import

_LAZY = {
    'inception_v4': 'slim.nets.inception_v4',
    'inception_v4_arg_scope': 'slim.nets.inception_v4',
    'inception_v4_base': 'slim.nets.inception_v4',
    'inception_resnet_v2': 'slim.nets.inception_resnet_v2',
    'inception_resnet_v2_arg_scope': 'slim.nets.inception_resnet_v2',
    'inception_resnet_v2_base': 'slim.nets.inception_resnet_v2',
}

# The names imported above, then the lazy ones.
__all__ = ['inception_v1', 'inception_v1_arg_scope', 'inception_v1_base',
           'inception_v2', 'inception_v2_arg_scope', 'inception_v2_base',
           'inception_v3', 'inception_v3_arg_scope', 'inception_v3_base']
__all__ += sorted(_LAZY)


def __getattr__(name):
  if name not in _LAZY:
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
  value = getattr(importlib.import_module(_LAZY[name]), name)
  globals()[name] = value
  return value


def __dir__():
  return sorted(set(globals()) | set(_LAZY))
