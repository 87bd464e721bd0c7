"""Losses: `slim.losses.softmax_cross_entropy`, ..., and the metric-learning
losses (`slim.losses.triplet_semihard_loss`, `slim.losses.metric_learning`).

In a TF1 graph the losses of `loss_ops` go to the LOSSES collection, which
`get_total_loss` sums (with the regularization losses).
"""
# pylint: disable=wildcard-import
from slim.losses import metric_learning
from slim.losses.loss_ops import *
from slim.losses.metric_learning import (cluster_loss, contrastive_loss, lifted_struct_loss,
                                         npairs_loss, npairs_loss_multilabel,
                                         triplet_semihard_loss)
