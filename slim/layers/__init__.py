"""Layers, initializers, regularizers, optimizers, reversible blocks and
summaries (all also available flat on `slim`)."""
# pylint: disable=wildcard-import
from slim.layers.bucketization_op import *
from slim.layers.initializers import *
from slim.layers.layers import *
from slim.layers.normalization import group_norm, instance_norm
from slim.layers.optimizers import *
from slim.layers.regularizers import *
from slim.layers.rev_block_lib import *
from slim.layers.summaries import *
from slim.layers import utils
