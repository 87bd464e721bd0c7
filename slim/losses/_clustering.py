"""The clustering loss (Song et al., "Deep metric learning via facility
location", CVPR 2017) and its facility-location steps.

Cluster quality scores other than 'const' come from scikit-learn, called
through `tf.numpy_function`; scikit-learn is needed only by `cluster_loss`.
"""
import numpy as np
import tensorflow as tf

from slim.losses import _pairwise

__all__ = ['cluster_loss', 'compute_augmented_facility_locations',
           'compute_augmented_facility_locations_pam', 'compute_clustering_score',
           'compute_facility_energy', 'compute_gt_cluster_score', 'get_cluster_assignment',
           'update_1d_tensor', 'update_all_medoids', 'update_medoid_per_cluster']

# margin_type -> (scikit-learn metric name or None, whether negative scores clip to 0)
_MARGIN_TYPES = {
    'nmi': ('normalized_mutual_info_score', False),
    'ami': ('adjusted_mutual_info_score', True),
    'ari': ('adjusted_rand_score', True),
    'vmeasure': ('v_measure_score', True),
    'const': (None, False),
}


def _check_margin_type(caller, margin_type):
  if margin_type not in _MARGIN_TYPES:
    raise ValueError('%s: Unrecognized margin_type: %r; expected one of %s'
                     % (caller, margin_type, ', '.join(sorted(_MARGIN_TYPES))))
  metric_name = _MARGIN_TYPES[margin_type][0]
  if metric_name is None:
    return None
  try:
    from sklearn import metrics  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise ImportError("%s: margin_type %r needs scikit-learn (pip install scikit-learn); "
                      "margin_type='const' does not" % (caller, margin_type)) from None
  return getattr(metrics, metric_name)


def update_1d_tensor(y, index, value):
  """`y` with `y[index] = value` (a new tensor).

  Args:
    y: 1-D tensor.
    index: scalar int index.
    value: the new value (squeezed to a scalar).

  Returns:
    The updated 1-D tensor.
  """
  value = tf.cast(tf.squeeze(value), y.dtype)
  return tf.tensor_scatter_nd_update(y, tf.reshape(index, [1, 1]), tf.reshape(value, [1]))


def get_cluster_assignment(pairwise_distances, centroid_ids):
  """Index (into `centroid_ids`) of the nearest centroid of every point.

  Each centroid is assigned to itself, whatever rounding says.

  Args:
    pairwise_distances: 2-D `[n, n]` distances.
    centroid_ids: 1-D int tensor of the indices of the centroids.

  Returns:
    A 1-D int64 tensor `[n]`.
  """
  nearest = tf.argmin(tf.gather(pairwise_distances, centroid_ids), axis=0)
  num_points = tf.shape(pairwise_distances)[0]
  is_centroid = tf.one_hot(centroid_ids, num_points, dtype=tf.int64)  # [k, n]
  own_index = tf.range(tf.shape(centroid_ids)[0], dtype=tf.int64)[:, tf.newaxis]
  return tf.where(tf.reduce_any(tf.cast(is_centroid, tf.bool), axis=0),
                  tf.reduce_sum(is_centroid * own_index, axis=0), nearest)


def compute_facility_energy(pairwise_distances, centroid_ids):
  """Minus the sum of the distances of the points to their nearest centroid."""
  return -tf.reduce_sum(tf.reduce_min(tf.gather(pairwise_distances, centroid_ids), axis=0))


def _as_float64(metric):
  """`metric` returning a numpy float64, never converted by AutoGraph (it is numpy code)."""
  @tf.autograph.experimental.do_not_convert
  def score(labels, predictions):
    return np.float64(metric(labels, predictions))
  return score


def compute_clustering_score(labels, predictions, margin_type):
  """Agreement of two clusterings in [0, 1] (1: the same up to renaming).

  Args:
    labels: 1-D ground-truth cluster ids.
    predictions: 1-D predicted cluster ids.
    margin_type: 'nmi' (normalized mutual information), 'ami' (adjusted mutual
      information), 'ari' (adjusted Rand index), 'vmeasure' or 'const' (1 if
      the ids are equal everywhere, else 0).

  Returns:
    A scalar float32 tensor.

  Raises:
    ValueError: `margin_type` is not one of these.
  """
  metric = _check_margin_type('compute_clustering_score', margin_type)
  labels = tf.cast(labels, tf.int64)
  predictions = tf.cast(predictions, tf.int64)
  if metric is None:
    return tf.cast(tf.reduce_all(tf.equal(labels, predictions)), tf.float32)
  score = tf.numpy_function(_as_float64(metric), [labels, predictions], tf.float64,
                            name=margin_type)
  score = tf.cast(tf.reshape(score, []), tf.float32)
  return tf.maximum(0.0, score) if _MARGIN_TYPES[margin_type][1] else score


def _candidate_margins(pairwise_distances, labels, margin_type, centroids_with):
  """1 - clustering score, for each candidate set of centroids `centroids_with(i)`."""
  def margin(candidate_index):
    predictions = get_cluster_assignment(pairwise_distances, centroids_with(candidate_index))
    return 1.0 - compute_clustering_score(labels, predictions, margin_type)
  return margin


def _best_candidate(candidate_ids, facility_scores, margins, margin_multiplier):
  """The candidate maximizing facility score + margin_multiplier * margin."""
  count = tf.shape(candidate_ids)[0]

  def body(index, scores):
    return index + 1, scores.write(index, margins(index))

  _, scores = tf.while_loop(lambda index, _: index < count, body,
                            [tf.constant(0), tf.TensorArray(tf.float32, size=count)])
  margin_scores = scores.stack()
  best = tf.argmax(facility_scores + margin_multiplier * margin_scores, axis=0,
                   output_type=tf.int32)
  return tf.cast(candidate_ids[best], tf.int32)


def _find_loss_augmented_facility_idx(pairwise_distances, labels, chosen_ids,
                                      candidate_ids, margin_multiplier, margin_type):
  """The next centroid of the greedy loss-augmented facility location."""
  chosen_minimum = tf.reduce_min(tf.gather(pairwise_distances, chosen_ids), axis=0)
  facility_scores = -tf.reduce_sum(
      tf.minimum(chosen_minimum[tf.newaxis, :], tf.gather(pairwise_distances, candidate_ids)),
      axis=1)
  margins = _candidate_margins(
      pairwise_distances, labels, margin_type,
      lambda i: tf.concat([chosen_ids, candidate_ids[i:i + 1]], 0))
  return _best_candidate(candidate_ids, facility_scores, margins, margin_multiplier)


def _num_clusters(labels):
  return tf.size(tf.unique(labels)[0])


def compute_augmented_facility_locations(pairwise_distances, labels, all_ids,
                                         margin_multiplier, margin_type):
  """Chooses one centroid per class, greedily maximizing the augmented score.

  Args:
    pairwise_distances: 2-D `[n, n]` distances.
    labels: 1-D ground-truth cluster ids.
    all_ids: 1-D int32 ids of all points (`range(n)`).
    margin_multiplier: weight of the structured margin.
    margin_type: see `compute_clustering_score`.

  Returns:
    A 1-D int32 tensor of the chosen centroid ids.
  """
  all_ids = tf.cast(all_ids, tf.int32)

  def body(iteration, chosen_ids):
    is_chosen = tf.reduce_any(tf.equal(all_ids[:, tf.newaxis], chosen_ids[tf.newaxis, :]), 1)
    candidate_ids = tf.boolean_mask(all_ids, tf.logical_not(is_chosen))
    new_id = _find_loss_augmented_facility_idx(pairwise_distances, labels, chosen_ids,
                                               candidate_ids, margin_multiplier, margin_type)
    return iteration + 1, tf.concat([chosen_ids, [new_id]], 0)

  num_clusters = _num_clusters(labels)
  _, chosen_ids = tf.while_loop(
      lambda iteration, _: iteration < num_clusters, body,
      [tf.constant(0), tf.zeros([0], tf.int32)],
      shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
  return chosen_ids


def update_medoid_per_cluster(pairwise_distances, pairwise_distances_subset, labels,
                              chosen_ids, cluster_member_ids, cluster_idx, margin_multiplier,
                              margin_type):
  """Moves the centroid of cluster `cluster_idx` to its best member.

  Args:
    pairwise_distances: 2-D `[n, n]` distances.
    pairwise_distances_subset: the `[m, m]` distances between the m members
      (any shape with m * m elements).
    labels: 1-D ground-truth cluster ids.
    chosen_ids: 1-D int32 centroid ids.
    cluster_member_ids: the m member ids (any shape with m elements).
    cluster_idx: index of the cluster in `chosen_ids`.
    margin_multiplier: weight of the structured margin.
    margin_type: see `compute_clustering_score`.

  Returns:
    The updated 1-D int32 centroid ids.
  """
  member_ids = tf.cast(tf.reshape(cluster_member_ids, [-1]), tf.int32)
  num_members = tf.size(member_ids)
  subset = tf.reshape(pairwise_distances_subset, [num_members, num_members])
  facility_scores = -tf.reduce_sum(subset, axis=0)
  margins = _candidate_margins(
      pairwise_distances, labels, margin_type,
      lambda i: update_1d_tensor(chosen_ids, cluster_idx, member_ids[i]))
  best = _best_candidate(member_ids, facility_scores, margins, margin_multiplier)
  return update_1d_tensor(chosen_ids, cluster_idx, best)


def _members(pairwise_distances, mask):
  """The ids where `mask` holds and the distances between them."""
  member_ids = tf.reshape(tf.where(mask), [-1])
  subset = tf.gather(tf.gather(pairwise_distances, member_ids), member_ids, axis=1)
  return member_ids, subset


def update_all_medoids(pairwise_distances, predictions, labels, chosen_ids, margin_multiplier,
                       margin_type):
  """Moves each centroid to the best member of its predicted cluster, in turn.

  Args:
    pairwise_distances: 2-D `[n, n]` distances.
    predictions: 1-D predicted cluster index of each point.
    labels: 1-D ground-truth cluster ids.
    chosen_ids: 1-D int32 centroid ids.
    margin_multiplier: weight of the structured margin.
    margin_type: see `compute_clustering_score`.

  Returns:
    The updated 1-D int32 centroid ids.
  """
  predictions = tf.cast(predictions, tf.int64)

  def body(iteration, chosen_ids):
    member_ids, subset = _members(pairwise_distances,
                                  tf.equal(predictions, tf.cast(iteration, tf.int64)))
    chosen_ids = update_medoid_per_cluster(pairwise_distances, subset, labels, chosen_ids,
                                           member_ids, iteration, margin_multiplier,
                                           margin_type)
    return iteration + 1, chosen_ids

  num_clusters = _num_clusters(labels)
  _, chosen_ids = tf.while_loop(lambda iteration, _: iteration < num_clusters, body,
                                [tf.constant(0), chosen_ids])
  return chosen_ids


def compute_augmented_facility_locations_pam(pairwise_distances, labels, margin_multiplier,
                                             margin_type, chosen_ids, pam_max_iter=5):
  """Refines the centroids by `pam_max_iter` rounds of assignment and medoid update.

  Returns:
    The updated 1-D int32 centroid ids.
  """
  for _ in range(pam_max_iter):
    predictions = get_cluster_assignment(pairwise_distances, chosen_ids)
    chosen_ids = update_all_medoids(pairwise_distances, predictions, labels, chosen_ids,
                                    margin_multiplier, margin_type)
  return chosen_ids


def compute_gt_cluster_score(pairwise_distances, labels):
  """Facility score of the ground-truth clustering: for each class, minus the
  smallest total distance of a member to the other members; summed.

  Returns:
    A scalar float32 tensor.
  """
  class_ids = tf.unique(labels)[0]

  def body(iteration, score):
    _, subset = _members(pairwise_distances, tf.equal(labels, class_ids[iteration]))
    return iteration + 1, score - tf.reduce_min(tf.reduce_sum(subset, axis=0))

  _, score = tf.while_loop(lambda iteration, _: iteration < tf.size(class_ids), body,
                           [tf.constant(0), tf.constant(0.0)])
  return score


def cluster_loss(labels, embeddings, margin_multiplier, enable_pam_finetuning=True,
                 margin_type='nmi', print_losses=False):
  """Clustering loss: how much better a loss-augmented facility-location
  clustering scores than the ground truth (hinged at 0).

  Args:
    labels: `[batch_size]` or `[batch_size, 1]` integer labels.
    embeddings: 2-D `[batch_size, dim]` float, l2-normalized.
    margin_multiplier: weight of the structured margin (section 3.2 of the paper).
    enable_pam_finetuning: refine the centroids with PAM (default True).
    margin_type: 'nmi' (default), 'ami', 'ari', 'vmeasure' or 'const'.
    print_losses: print the loss when it is computed.

  Returns:
    A scalar float32 tensor named 'clustering_loss'. In a TF1 graph, scalar
    summaries 'losses/score_pred', 'losses/<margin_type>' and
    'losses/score_gt' are added.

  Raises:
    ValueError: `margin_type` is unknown.
    ImportError: scikit-learn is missing (for margin types other than 'const').
  """
  _check_margin_type('cluster_loss', margin_type)
  embeddings = _pairwise.check_tensor('cluster_loss', 'embeddings', embeddings, 2,
                                      tf.float32)
  pairwise_distances = _pairwise.pairwise_distance(embeddings)
  labels = tf.reshape(labels, [-1])
  all_ids = tf.range(tf.shape(embeddings)[0])

  chosen_ids = compute_augmented_facility_locations(pairwise_distances, labels, all_ids,
                                                    margin_multiplier, margin_type)
  if enable_pam_finetuning:
    chosen_ids = compute_augmented_facility_locations_pam(
        pairwise_distances, labels, margin_multiplier, margin_type, chosen_ids)
  score_pred = compute_facility_energy(pairwise_distances, chosen_ids)
  predictions = get_cluster_assignment(pairwise_distances, chosen_ids)
  clustering_score_pred = compute_clustering_score(labels, predictions, margin_type)
  score_gt = compute_gt_cluster_score(pairwise_distances, labels)

  loss = tf.maximum(score_pred + margin_multiplier * (1.0 - clustering_score_pred) - score_gt,
                    0.0, name='clustering_loss')
  loss.set_shape([])
  if print_losses:
    loss = _pairwise.printed(loss, 'clustering_loss: ', loss, tf.shape(loss))
  if not tf.compat.v1.executing_eagerly_outside_functions():
    tf.compat.v1.summary.scalar('losses/score_pred', score_pred)
    tf.compat.v1.summary.scalar('losses/' + margin_type, clustering_score_pred)
    tf.compat.v1.summary.scalar('losses/score_gt', score_gt)
  return loss
