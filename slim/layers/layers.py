"""The layers of tf_slim's `layers.layers` module, gathered from their family files.

Import layers from `slim` or `slim.layers`; this module keeps the path
`slim.layers.layers` that TF-Slim code uses.
"""
# pylint: disable=wildcard-import,unused-wildcard-import
from slim.layers._common import (DATA_FORMAT_NCDHW, DATA_FORMAT_NCHW, DATA_FORMAT_NDHWC,
                                 DATA_FORMAT_NHWC)
from slim.layers.convolutional import *
from slim.layers.core import *
from slim.layers.normalization import *
from slim.layers.pooling import *
from slim.layers import convolutional as _convolutional
from slim.layers import core as _core
from slim.layers import normalization as _normalization
from slim.layers import pooling as _pooling

__all__ = sorted(set(_convolutional.__all__ + _core.__all__ + _normalization.__all__ +
                     _pooling.__all__))
