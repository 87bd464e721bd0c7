"""PNASNet-5 (Liu et al. 2017, https://arxiv.org/abs/1712.00559) for ImageNet.

One cell type; the cells before which NASNet puts reduction cells are strided
instead. Variable names as in the published checkpoints ('cell_stem_0/...',
'cell_4/comb_iter_0/left/...', 'aux_7/aux_logits/...', 'final_layer/FC/...').

    with slim.arg_scope(pnasnet.pnasnet_large_arg_scope()):
      logits, end_points = pnasnet.build_pnasnet_large(images, 1001, is_training=False)
"""
import tensorflow as tf

import slim
from slim.nets import registry
from slim.nets.nasnet import nasnet
from slim.nets.nasnet import nasnet_utils

__all__ = ['PNASNET_5_NORMAL', 'large_imagenet_config', 'mobile_imagenet_config',
           'pnasnet_large_arg_scope', 'pnasnet_mobile_arg_scope', 'build_pnasnet_large',
           'build_pnasnet_mobile', 'PNasNetNormalCell']

arg_scope = slim.arg_scope

PNASNET_5_NORMAL = nasnet_utils.CellSpec(
    operations=['separable_5x5_2', 'max_pool_3x3',
                'separable_7x7_2', 'max_pool_3x3',
                'separable_5x5_2', 'separable_3x3_2',
                'separable_3x3_2', 'max_pool_3x3',
                'separable_3x3_2', 'none'],
    hiddenstate_indices=[1, 1, 0, 0, 0, 0, 4, 0, 1, 0],
    used_hiddenstates=[1, 1, 0, 0, 0, 0, 0])


def large_imagenet_config():
  """Hyperparameters of PNASNet-5 Large for ImageNet at 331 x 331."""
  return nasnet_utils.config(
      stem_multiplier=3.0,
      dense_dropout_keep_prob=0.5,
      num_cells=12,
      num_conv_filters=216,
      drop_path_keep_prob=0.6,
      skip_reduction_layer_input=1,
  )


def mobile_imagenet_config():
  """Hyperparameters of PNASNet-5 Mobile for ImageNet at 224 x 224."""
  return nasnet_utils.config(
      stem_multiplier=1.0,
      dense_dropout_keep_prob=0.5,
      num_cells=9,
      num_conv_filters=54,
      drop_path_keep_prob=1.0,
      skip_reduction_layer_input=1,
  )


def pnasnet_large_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997,
                            batch_norm_epsilon=0.001):
  """The arg scope of PNASNet Large (that of NASNet Large, with weight decay 4e-5)."""
  return nasnet.nasnet_large_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def pnasnet_mobile_arg_scope(weight_decay=4e-5,
                             batch_norm_decay=0.9997,
                             batch_norm_epsilon=0.001):
  """The arg scope of PNASNet Mobile (that of NASNet Mobile)."""
  return nasnet.nasnet_mobile_arg_scope(weight_decay, batch_norm_decay,
                                        batch_norm_epsilon)


# pylint: disable=protected-access
def _build_pnasnet_base(images,
                        normal_cell,
                        num_classes,
                        hparams,
                        is_training,
                        final_endpoint=None,
                        current_step=None):
  """Builds the ImageNet stem (with PNASNet cells), the cells (strided at
  `calc_reduction_layers`), the auxiliary head and the final layer."""
  end_points = {}
  add_and_check_endpoint = nasnet._endpoint_adder(end_points, final_endpoint)
  reduction_indices = nasnet_utils.calc_reduction_layers(
      hparams.num_cells, hparams.num_reduction_layers)

  net, cell_outputs = nasnet._imagenet_stem(images, hparams, normal_cell, current_step)
  if add_and_check_endpoint('Stem', net):
    return net, end_points

  # The auxiliary head goes on the cell before the second reduction.
  aux_head_cell_idxes = []
  if len(reduction_indices) >= 2:
    aux_head_cell_idxes.append(reduction_indices[1] - 1)

  filter_scaling = 1.0
  true_cell_num = 2  # counts the stem cells
  prev_layer = None
  for cell_num in range(hparams.num_cells):
    is_reduction = cell_num in reduction_indices
    stride = 2 if is_reduction else 1
    if is_reduction:
      filter_scaling *= hparams.filter_scaling_rate
    if hparams.skip_reduction_layer_input or not is_reduction:
      prev_layer = cell_outputs[-2]
    net = normal_cell(net, scope='cell_{}'.format(cell_num), filter_scaling=filter_scaling,
                      stride=stride, prev_layer=prev_layer, cell_num=true_cell_num,
                      current_step=current_step)
    if add_and_check_endpoint('Cell_{}'.format(cell_num), net):
      return net, end_points
    true_cell_num += 1
    cell_outputs.append(net)
    if (hparams.use_aux_head and cell_num in aux_head_cell_idxes and num_classes and
        is_training):
      nasnet._build_aux_head(nasnet._activation(hparams)(net), end_points, num_classes,
                             hparams, scope='aux_{}'.format(cell_num))

  return (nasnet._build_final_layer(net, num_classes, hparams, add_and_check_endpoint),
          end_points)


def _build_pnasnet(function, images, num_classes, is_training, final_endpoint, config,
                   default_config, current_step):
  """The common part of the two PNASNet builders."""
  hparams, images = nasnet._prepare(function, images, config, default_config,
                                    is_training)
  # No separate reduction cells: the normal cells plus the two stem cells.
  total_num_cells = hparams.num_cells + 2
  normal_cell = PNasNetNormalCell(hparams.num_conv_filters, hparams.drop_path_keep_prob,
                                  total_num_cells, hparams.total_training_steps,
                                  hparams.use_bounded_activation)
  with nasnet._network_arg_scope(hparams, is_training):
    return _build_pnasnet_base(images, normal_cell=normal_cell, num_classes=num_classes,
                               hparams=hparams, is_training=is_training,
                               final_endpoint=final_endpoint, current_step=current_step)
# pylint: enable=protected-access


@registry.register_network('pnasnet_large', arg_scope=pnasnet_large_arg_scope,
                           default_image_size=331, preprocessing='inception', num_classes=1001,
                           small_build=registry.SmallBuild(96))
@tf.autograph.experimental.do_not_convert
def build_pnasnet_large(images,
                        num_classes,
                        is_training=True,
                        final_endpoint=None,
                        config=None,
                        current_step=None):
  """PNASNet-5 Large for ImageNet (12 cells, 331 x 331 inputs).

  Args:
    images: [batch, 331, 331, 3] (any known height and width).
    num_classes: number of classes; 0 or None returns the pooled features.
    is_training: training mode (batch norm, dropout, drop path, auxiliary head).
    final_endpoint: stop after this end point.
    config: an `HParams` like `large_imagenet_config()` (copied, not changed).
    current_step: step tensor for the drop-path schedule (default: global step).

  Returns:
    (logits or features, end_points): 'Stem', 'Cell_0'..'Cell_11', 'global_pool',
    'Logits', 'Predictions', and 'AuxLogits' in training.

  Raises:
    ValueError: images not 4-d with known spatial size, or a bad data_format.
  """
  return _build_pnasnet('build_pnasnet_large', images, num_classes, is_training,
                        final_endpoint, config, large_imagenet_config, current_step)


@registry.register_network('pnasnet_mobile', arg_scope=pnasnet_mobile_arg_scope,
                           default_image_size=224, preprocessing='inception', num_classes=1001,
                           small_build=registry.SmallBuild(64))
@tf.autograph.experimental.do_not_convert
def build_pnasnet_mobile(images,
                         num_classes,
                         is_training=True,
                         final_endpoint=None,
                         config=None,
                         current_step=None):
  """PNASNet-5 Mobile for ImageNet (9 cells, 224 x 224 inputs); arguments as
  `build_pnasnet_large`."""
  return _build_pnasnet('build_pnasnet_mobile', images, num_classes, is_training,
                        final_endpoint, config, mobile_imagenet_config, current_step)


class PNasNetNormalCell(nasnet_utils.NasNetABaseCell):
  """The PNASNet-5 cell (`PNASNET_5_NORMAL`)."""

  def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    super(PNasNetNormalCell, self).__init__(
        num_conv_filters, PNASNET_5_NORMAL.operations, PNASNET_5_NORMAL.used_hiddenstates,
        PNASNET_5_NORMAL.hiddenstate_indices, drop_path_keep_prob, total_num_cells,
        total_training_steps, use_bounded_activation)
