"""The image classification networks of research/slim, and `nets_factory`.

As in tf_slim, importing `slim.nets` imports the networks tf_slim shipped
(`slim.nets.inception_v3`, `slim.nets.resnet_v1`, `slim.nets.vgg`, ...); the
others are imported by name (`from slim.nets import mobilenet_v1`) or through
`nets_factory`. `import slim` alone imports no network.
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
