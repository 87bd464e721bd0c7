"""TF-Slim's `nets` package: the networks of the top-level `nets` package under
tf_slim's paths (`from slim.nets import inception_v3`).

Each module here is the very module object of `nets` (`slim.nets.vgg is
nets.vgg`), so arg scopes, functions and attributes are shared. `import slim`
does not import the networks; importing `slim.nets` does.
"""
# pylint: disable=unused-import
from slim.nets import alexnet
from slim.nets import inception
from slim.nets import inception_v1
from slim.nets import inception_v2
from slim.nets import inception_v3
from slim.nets import overfeat
from slim.nets import resnet_utils
from slim.nets import resnet_v1
from slim.nets import resnet_v2
from slim.nets import vgg
# pylint: enable=unused-import

__all__ = ['alexnet', 'inception', 'inception_v1', 'inception_v2', 'inception_v3', 'overfeat',
           'resnet_utils', 'resnet_v1', 'resnet_v2', 'vgg']
