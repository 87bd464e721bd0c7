"""The layers of tf_slim's `layers.layers` module, gathered from their family files.

Import layers from `slim` or `slim.layers`; this module keeps the path
`slim.layers.layers` that TF-Slim code uses, with the same `__all__`.
"""
# pylint: disable=unused-import
from slim.layers._common import (DATA_FORMAT_NCDHW, DATA_FORMAT_NCHW, DATA_FORMAT_NDHWC,
                                 DATA_FORMAT_NHWC)
from slim.layers.activations import maxout, scale_gradient, softmax, spatial_softmax
from slim.layers.batch_normalization import batch_norm
from slim.layers.composition import repeat, stack
from slim.layers.convolutional import (conv1d, conv2d, conv2d_in_plane, conv3d, convolution,
                                       convolution1d, convolution2d, convolution2d_in_plane,
                                       convolution3d, separable_conv2d,
                                       separable_convolution2d)
from slim.layers.convolutional_transpose import (conv2d_transpose, conv3d_transpose,
                                                 convolution2d_transpose,
                                                 convolution3d_transpose)
from slim.layers.core import (_inner_flatten, bias_add, dropout, elu, flatten,
                              fully_connected, legacy_fully_connected, legacy_linear,
                              legacy_relu, linear, relu, relu6)
from slim.layers.gdn import GDN, gdn
from slim.layers.normalization import layer_norm, poincare_normalize, unit_norm
from slim.layers.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d, pool
from slim.layers.sequence import (dense_to_sparse, images_to_sequence, one_hot_encoding,
                                  sequence_to_images)

__all__ = [
    'avg_pool2d', 'avg_pool3d', 'batch_norm', 'bias_add', 'conv1d', 'conv2d',
    'conv3d', 'conv2d_in_plane', 'conv2d_transpose', 'conv3d_transpose',
    'convolution', 'convolution1d', 'convolution2d', 'convolution2d_in_plane',
    'convolution2d_transpose', 'convolution3d', 'convolution3d_transpose',
    'dense_to_sparse', 'dropout', 'elu', 'flatten', 'fully_connected', 'GDN',
    'gdn', 'images_to_sequence', 'layer_norm', 'linear', 'pool', 'max_pool2d',
    'max_pool3d', 'one_hot_encoding', 'relu', 'relu6', 'repeat',
    'scale_gradient', 'separable_conv2d', 'separable_convolution2d',
    'sequence_to_images', 'softmax', 'spatial_softmax', 'stack', 'unit_norm',
    'legacy_fully_connected', 'legacy_linear', 'legacy_relu', 'maxout'
]
