"""Layers, initializers and regularizers (all also available flat on `slim`)."""
# pylint: disable=wildcard-import
from slim.layers.initializers import *
from slim.layers.layers import *
from slim.layers.normalization import group_norm, instance_norm
from slim.layers.regularizers import *
from slim.layers import utils
