"""Metric-learning losses: contrastive, triplet (semi-hard), lifted structured,
N-pairs and clustering losses on embedding vectors.

    embeddings = tf.math.l2_normalize(net, axis=1)
    loss = slim.losses.metric_learning.triplet_semihard_loss(labels, embeddings)

These return the loss tensor; unlike `slim.losses.loss_ops` they do not add
it to the LOSSES collection (`slim.losses.add_loss` does).
"""
import tensorflow as tf

from slim.losses import _pairwise
from slim.losses._clustering import (cluster_loss, compute_augmented_facility_locations,
                                     compute_augmented_facility_locations_pam,
                                     compute_clustering_score, compute_facility_energy,
                                     compute_gt_cluster_score, get_cluster_assignment,
                                     update_1d_tensor, update_all_medoids,
                                     update_medoid_per_cluster)
from slim.losses._pairwise import masked_maximum, masked_minimum, pairwise_distance

__all__ = ['cluster_loss', 'compute_augmented_facility_locations',
           'compute_augmented_facility_locations_pam', 'compute_clustering_score',
           'compute_facility_energy', 'compute_gt_cluster_score', 'contrastive_loss',
           'get_cluster_assignment', 'lifted_struct_loss', 'masked_maximum',
           'masked_minimum', 'npairs_loss', 'npairs_loss_multilabel', 'pairwise_distance',
           'triplet_semihard_loss', 'update_1d_tensor', 'update_all_medoids',
           'update_medoid_per_cluster']


def _adjacency(caller, labels, embeddings):
  """Checked inputs and the same-label matrix `[n, n]` (bool)."""
  labels = _pairwise.check_tensor(caller, 'labels', labels, 1)
  embeddings = _pairwise.check_tensor(caller, 'embeddings', embeddings, 2, tf.float32)
  if not labels.shape[:1].is_compatible_with(embeddings.shape[:1]):
    raise ValueError('%s: labels must have one entry per embedding (%s), received shape %s'
                     % (caller, embeddings.shape[:1], labels.shape))
  labels = _pairwise.column(labels)
  return embeddings, tf.equal(labels, tf.transpose(labels))


def _positive_pairs(adjacency):
  """1 for pairs (i, j), i != j, of the same label."""
  return tf.cast(adjacency, tf.float32) - tf.eye(tf.shape(adjacency)[0])


def _paired_embeddings(caller, embeddings_anchor, embeddings_positive):
  """The two embedding matrices, checked: 2-D float of the same shape."""
  anchor = _pairwise.check_tensor(caller, 'embeddings_anchor', embeddings_anchor, 2,
                                  tf.float32)
  positive = _pairwise.check_tensor(caller, 'embeddings_positive', embeddings_positive, 2,
                                    tf.float32)
  if not anchor.shape.is_compatible_with(positive.shape):
    raise ValueError('%s: embeddings_anchor and embeddings_positive must have the same '
                     'shape, received %s and %s' % (caller, anchor.shape, positive.shape))
  return anchor, positive


def contrastive_loss(labels, embeddings_anchor, embeddings_positive, margin=1.0):
  """Contrastive loss of pairs: `d^2` for similar pairs, `max(margin - d, 0)^2`
  for dissimilar ones, averaged (Hadsell, Chopra and LeCun, 2006).

  Args:
    labels: 1-D `[batch_size]`, 1 for a similar pair, 0 for a dissimilar one.
    embeddings_anchor: 2-D `[batch_size, dim]` float, l2-normalized.
    embeddings_positive: 2-D `[batch_size, dim]` float, l2-normalized.
    margin: the margin (default 1.0).

  Returns:
    A scalar float32 tensor named 'contrastive_loss'.
  """
  caller = 'contrastive_loss'
  labels = _pairwise.check_tensor(caller, 'labels', labels, 1)
  anchor, positive = _paired_embeddings(caller, embeddings_anchor, embeddings_positive)
  distances = tf.sqrt(tf.reduce_sum(tf.math.squared_difference(anchor, positive), 1))
  similar = tf.cast(labels, distances.dtype)
  return tf.reduce_mean(
      similar * tf.square(distances) +
      (1.0 - similar) * tf.square(tf.maximum(margin - distances, 0.0)),
      name='contrastive_loss')


def triplet_semihard_loss(labels, embeddings, margin=1.0):
  """Triplet loss with semi-hard negative mining (Schroff et al., FaceNet 2015).

  For every anchor a and positive p (same label), the negative n is the
  closest one farther than p (semi-hard); when there is none, the farthest
  negative. The loss is the mean over (a, p) of
  `max(0, margin + d(a, p)^2 - d(a, n)^2)`.

  Args:
    labels: 1-D `[batch_size]` integer class labels.
    embeddings: 2-D `[batch_size, dim]` float, l2-normalized.
    margin: the margin (default 1.0).

  Returns:
    A scalar float32 tensor named 'triplet_semihard_loss'.
  """
  embeddings, adjacency = _adjacency('triplet_semihard_loss', labels, embeddings)
  distances = pairwise_distance(embeddings, squared=True)  # [anchor, k]
  negatives = tf.logical_not(adjacency)
  # [anchor, positive, k]: k is a negative of the anchor farther than the positive.
  farther = tf.greater(distances[:, tf.newaxis, :], distances[:, :, tf.newaxis])
  semihard = tf.logical_and(negatives[:, tf.newaxis, :], farther)
  num_data = tf.shape(distances)[0]
  every_k = tf.broadcast_to(distances[:, tf.newaxis, :], [num_data, num_data, num_data])
  closest_semihard = tf.squeeze(masked_minimum(every_k, semihard, dim=2), [2])
  farthest_negative = masked_maximum(distances, negatives)  # [anchor, 1]
  chosen_negative = tf.where(tf.reduce_any(semihard, axis=2), closest_semihard,
                             tf.broadcast_to(farthest_negative, tf.shape(distances)))
  losses = margin + distances - chosen_negative
  positives = _positive_pairs(adjacency)
  return tf.math.truediv(tf.reduce_sum(tf.maximum(losses * positives, 0.0)),
                         tf.reduce_sum(positives), name='triplet_semihard_loss')


def lifted_struct_loss(labels, embeddings, margin=1.0):
  """Lifted structured loss (Oh Song et al., 2016).

  For each positive pair (i, j), with k over the negatives of i and of j,
  `J(i, j) = d(i, j) + log(sum_k exp(margin - d(i, k)) + sum_k exp(margin - d(j, k)))`;
  the loss is `sum over positive pairs of max(0, J)^2 / (2 * number of pairs)`.

  Args:
    labels: 1-D `[batch_size]` integer class labels.
    embeddings: 2-D `[batch_size, dim]` float, not normalized.
    margin: the margin (default 1.0).

  Returns:
    A scalar float32 tensor named 'liftedstruct_loss'.
  """
  embeddings, adjacency = _adjacency('lifted_struct_loss', labels, embeddings)
  distances = pairwise_distance(embeddings)
  diff = margin - distances
  negatives = tf.cast(tf.logical_not(adjacency), tf.float32)
  # The largest negative term of rows i and j, subtracted before exp for stability.
  row_maximums = masked_maximum(diff, negatives)
  pair_maximums = tf.maximum(row_maximums, tf.transpose(row_maximums))  # [i, j]
  # exp_sums[i, j] = sum over negatives k of j of exp(diff[j, k] - pair_maximums[i, j])
  exp_sums = tf.reduce_sum(
      tf.exp(diff[tf.newaxis, :, :] - pair_maximums[:, :, tf.newaxis]) *
      negatives[tf.newaxis, :, :], axis=2)
  losses = pair_maximums + tf.math.log(exp_sums + tf.transpose(exp_sums)) + distances
  positives = _positive_pairs(adjacency)
  num_positive_pairs = tf.reduce_sum(positives) / 2.0
  return tf.math.truediv(
      0.25 * tf.reduce_sum(tf.square(tf.maximum(losses * positives, 0.0))),
      num_positive_pairs, name='liftedstruct_loss')


def _npairs(label_matrix, anchor, positive, reg_lambda, print_losses):
  """N-pairs loss given the (unnormalized) label agreement matrix `[n, n]`."""
  squared_norms = (tf.reduce_mean(tf.reduce_sum(tf.square(anchor), 1)) +
                   tf.reduce_mean(tf.reduce_sum(tf.square(positive), 1)))
  l2loss = tf.multiply(0.25 * reg_lambda, squared_norms, name='l2loss')
  similarity = tf.matmul(anchor, positive, transpose_b=True)
  targets = label_matrix / tf.reduce_sum(label_matrix, 1, keepdims=True)
  xent_loss = tf.reduce_mean(
      tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(targets),
                                              logits=similarity), name='xentropy')
  if print_losses:
    xent_loss = _pairwise.printed(xent_loss, 'cross entropy:', xent_loss, 'l2loss:', l2loss)
  return l2loss + xent_loss


def npairs_loss(labels, embeddings_anchor, embeddings_positive, reg_lambda=0.002,
                print_losses=False):
  """N-pairs loss (Sohn, NIPS 2016).

  Row i of the similarity matrix `anchor . positive^T` is the logits of a
  softmax cross-entropy whose target spreads evenly over the positives with
  the label of anchor i; an l2 penalty `0.25 * reg_lambda * (mean |a|^2 + mean |p|^2)`
  is added.

  Args:
    labels: 1-D `[batch_size / 2]` integer labels of the pairs.
    embeddings_anchor: 2-D `[batch_size / 2, dim]`, not l2-normalized.
    embeddings_positive: 2-D `[batch_size / 2, dim]`, not l2-normalized.
    reg_lambda: weight of the l2 penalty (default 0.002).
    print_losses: print the cross-entropy and the penalty when computed.

  Returns:
    A scalar float32 tensor.
  """
  caller = 'npairs_loss'
  anchor, positive = _paired_embeddings(caller, embeddings_anchor, embeddings_positive)
  labels = _pairwise.column(_pairwise.check_tensor(caller, 'labels', labels, 1))
  label_matrix = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32)
  return _npairs(label_matrix, anchor, positive, reg_lambda, print_losses)


def npairs_loss_multilabel(sparse_labels, embeddings_anchor, embeddings_positive,
                           reg_lambda=0.002, print_losses=False):
  """N-pairs loss for pairs with several labels each.

  As `npairs_loss`, with the target of row i proportional to the number of
  labels that pair i shares with each pair j.

  Args:
    sparse_labels: a list (one per pair) of `SparseTensor`s of 0/1 indicators
      over the classes.
    embeddings_anchor: 2-D `[num_pairs, dim]`, not l2-normalized.
    embeddings_positive: 2-D `[num_pairs, dim]`, not l2-normalized.
    reg_lambda: weight of the l2 penalty (default 0.002).
    print_losses: print the cross-entropy and the penalty when computed.

  Returns:
    A scalar float32 tensor.

  Raises:
    TypeError: `sparse_labels` is not a list of `SparseTensor`s.
  """
  if (not isinstance(sparse_labels, (list, tuple)) or
      not all(isinstance(labels, tf.SparseTensor) for labels in sparse_labels)):
    raise TypeError('npairs_loss_multilabel: sparse_labels must be a list of SparseTensors, '
                    'but got %s' % (sparse_labels,))
  anchor, positive = _paired_embeddings('npairs_loss_multilabel', embeddings_anchor,
                                        embeddings_positive)
  with tf.name_scope('NpairsLossMultiLabel'):
    # Shared labels of pairs i and j: the sum of the minimum of their indicators.
    shared = [[tf.cast(tf.sparse.reduce_sum(tf.sparse.minimum(first, second)), tf.float32)
               for second in sparse_labels] for first in sparse_labels]
    label_matrix = tf.stack([tf.stack(row) for row in shared])
    return _npairs(label_matrix, anchor, positive, reg_lambda, print_losses)
