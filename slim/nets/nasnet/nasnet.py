"""NASNet-A (Zoph et al. 2017, https://arxiv.org/abs/1707.07012) for CIFAR and ImageNet.

Variables sit at the root of the enclosing scope, as in the published
checkpoints: 'conv0/weights', 'cell_stem_0/...', 'cell_5/comb_iter_0/left/...',
'reduction_cell_0/...', 'aux_7/aux_logits/...', 'final_layer/FC/weights'.

    with slim.arg_scope(nasnet.nasnet_mobile_arg_scope()):
      logits, end_points = nasnet.build_nasnet_mobile(images, 1001, is_training=False)

Training builds (is_training=True) add the auxiliary head ('AuxLogits') and,
where the config's drop_path_keep_prob < 1, drop path scheduled by the global
step (graph mode) or by `current_step` / the model's 'global_step' variable
under `slim.Model` (see `nasnet_utils.NasNetABaseCell._apply_drop_path`).
The builders are marked `do_not_convert` (no tensor-dependent Python control
flow): `tf.function` traces them without autograph's costly rewriting.
"""
import contextlib
import copy

import tensorflow as tf

import slim
from slim.nets import registry
from slim.nets.nasnet import nasnet_utils

__all__ = ['cifar_config', 'large_imagenet_config', 'mobile_imagenet_config',
           'nasnet_cifar_arg_scope', 'nasnet_mobile_arg_scope', 'nasnet_large_arg_scope',
           'build_nasnet_cifar', 'build_nasnet_mobile', 'build_nasnet_large']

arg_scope = slim.arg_scope


# CIFAR training: batch 32, learning rate 0.025 with single-period cosine decay,
# auxiliary head loss weight 0.4, gradients clipped to global norm 5.
def cifar_config():
  """Hyperparameters of NASNet-A 6 @ 768 for CIFAR-10 (32 x 32 images)."""
  return nasnet_utils.config(
      stem_multiplier=3.0,
      drop_path_keep_prob=0.6,
      num_cells=18,
      num_conv_filters=32,
      dense_dropout_keep_prob=1.0,
      skip_reduction_layer_input=0,
      # 600 epochs of batch 32: the drop-path schedule ramps up over them.
      total_training_steps=937500,
  )


# Large ImageNet training: batch 16 per replica on 100 replicas (sync SGD),
# learning rate 0.015 * 100 decayed by 0.97 every 2.4 epochs, auxiliary head
# weight 0.4, label smoothing 0.1, gradients clipped to global norm 10.
def large_imagenet_config():
  """Hyperparameters of NASNet-A 6 @ 4032 (Large) for ImageNet at 331 x 331."""
  return nasnet_utils.config(
      stem_multiplier=3.0,
      dense_dropout_keep_prob=0.5,
      num_cells=18,
      num_conv_filters=168,
      drop_path_keep_prob=0.7,
      skip_reduction_layer_input=1,
  )


# Mobile ImageNet training: batch 32 per replica on 50 replicas (sync SGD),
# learning rate 0.04 * 50 decayed by 0.97 every 2.4 epochs, auxiliary head
# weight 0.4, label smoothing 0.1, gradients clipped to global norm 10.
def mobile_imagenet_config():
  """Hyperparameters of NASNet-A 4 @ 1056 (Mobile) for ImageNet at 224 x 224."""
  return nasnet_utils.config(
      stem_multiplier=1.0,
      dense_dropout_keep_prob=0.5,
      num_cells=12,
      drop_path_keep_prob=1.0,
      num_conv_filters=44,
      skip_reduction_layer_input=0,
  )


def _update_hparams(hparams, is_training):
  """No drop path outside training."""
  if not is_training:
    hparams.set_hparam('drop_path_keep_prob', 1.0)


def _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
  """L2 decay and fan-out variance scaling on conv, separable conv and fully
  connected layers; no activation or bias on convolutions (batch norm follows);
  fully connected layers in scope 'FC' without activation; scaled batch norm."""
  batch_norm_params = {
      'decay': batch_norm_decay,
      'epsilon': batch_norm_epsilon,
      'scale': True,
      'fused': True,
  }
  weights_regularizer = slim.l2_regularizer(weight_decay)
  weights_initializer = slim.variance_scaling_initializer(mode='FAN_OUT')
  with arg_scope([slim.fully_connected, slim.conv2d, slim.separable_conv2d],
                 weights_regularizer=weights_regularizer,
                 weights_initializer=weights_initializer), \
       arg_scope([slim.fully_connected], activation_fn=None, scope='FC'), \
       arg_scope([slim.conv2d, slim.separable_conv2d], activation_fn=None,
                 biases_initializer=None), \
       arg_scope([slim.batch_norm], **batch_norm_params) as scope:
    return scope


def nasnet_cifar_arg_scope(weight_decay=5e-4,
                           batch_norm_decay=0.9,
                           batch_norm_epsilon=1e-5):
  """The arg scope of NASNet-A CIFAR.

  Args:
    weight_decay: L2 scale of the weights (default 5e-4).
    batch_norm_decay: batch-norm moving-average decay (default 0.9).
    batch_norm_epsilon: batch-norm variance epsilon (default 1e-5).

  Returns:
    The arg scope dict.
  """
  return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_mobile_arg_scope(weight_decay=4e-5,
                            batch_norm_decay=0.9997,
                            batch_norm_epsilon=1e-3):
  """The arg scope of NASNet-A Mobile; arguments as `nasnet_cifar_arg_scope`
  (defaults 4e-5, 0.9997, 1e-3)."""
  return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_large_arg_scope(weight_decay=5e-5,
                           batch_norm_decay=0.9997,
                           batch_norm_epsilon=1e-3):
  """The arg scope of NASNet-A Large; arguments as `nasnet_cifar_arg_scope`
  (defaults 5e-5, 0.9997, 1e-3)."""
  return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def _activation(hparams):
  return tf.nn.relu6 if hparams.use_bounded_activation else tf.nn.relu


def _build_aux_head(net, end_points, num_classes, hparams, scope):
  """The auxiliary classifier ('AuxLogits'): 5x5/3 average pooling, 1x1 conv to 128
  ('proj', 'aux_bn0'), a conv to 768 over the whole map ('Conv', 'aux_bn1') and
  a fully connected layer."""
  activation_fn = _activation(hparams)
  with tf.compat.v1.variable_scope(scope):
    aux_logits = tf.identity(net)
    with tf.compat.v1.variable_scope('aux_logits'):
      aux_logits = slim.avg_pool2d(aux_logits, [5, 5], stride=3, padding='VALID')
      aux_logits = slim.conv2d(aux_logits, 128, [1, 1], scope='proj')
      aux_logits = slim.batch_norm(aux_logits, scope='aux_bn0')
      aux_logits = activation_fn(aux_logits)
      # The kernel covers the whole feature map.
      shape = aux_logits.shape.as_list()
      kernel = shape[1:3] if hparams.data_format == 'NHWC' else shape[2:4]
      aux_logits = slim.conv2d(aux_logits, 768, kernel, padding='VALID')
      aux_logits = slim.batch_norm(aux_logits, scope='aux_bn1')
      aux_logits = activation_fn(aux_logits)
      aux_logits = slim.flatten(aux_logits)
      aux_logits = slim.fully_connected(aux_logits, num_classes)
      end_points['AuxLogits'] = aux_logits


def _imagenet_stem(inputs, hparams, stem_cell, current_step=None):
  """The ImageNet stem: a strided 3x3 conv ('conv0', 'conv0_bn') and two strided
  cells ('cell_stem_0', 'cell_stem_1'). Returns (net, cell outputs)."""
  num_stem_cells = 2
  num_stem_filters = int(32 * hparams.stem_multiplier)
  net = slim.conv2d(inputs, num_stem_filters, [3, 3], stride=2, scope='conv0',
                    padding='VALID')  # 149 x 149 x 32 * stem_multiplier at 299
  net = slim.batch_norm(net, scope='conv0_bn')

  cell_outputs = [None, net]
  filter_scaling = 1.0 / (hparams.filter_scaling_rate ** num_stem_cells)
  for cell_num in range(num_stem_cells):
    net = stem_cell(net, scope='cell_stem_{}'.format(cell_num),
                    filter_scaling=filter_scaling, stride=2, prev_layer=cell_outputs[-2],
                    cell_num=cell_num, current_step=current_step)
    cell_outputs.append(net)
    filter_scaling *= hparams.filter_scaling_rate
  return net, cell_outputs


def _cifar_stem(inputs, hparams):
  """The CIFAR stem: one 3x3 conv ('l1_stem_3x3', 'l1_stem_bn')."""
  num_stem_filters = int(hparams.num_conv_filters * hparams.stem_multiplier)
  net = slim.conv2d(inputs, num_stem_filters, 3, scope='l1_stem_3x3')
  net = slim.batch_norm(net, scope='l1_stem_bn')
  return net, [None, net]


def _prepare(function, images, config, default_config, is_training):
  """Checks the inputs; returns (a copy of the hparams for this build, images in
  the configured data format)."""
  hparams = default_config() if config is None else copy.deepcopy(config)
  _update_hparams(hparams, is_training)
  if hparams.data_format not in ('NHWC', 'NCHW'):
    raise ValueError("%s: config.data_format must be 'NHWC' or 'NCHW', received %r"
                     % (function, hparams.data_format))
  images = tf.convert_to_tensor(images)
  shape = images.get_shape()
  if shape.ndims != 4 or None in shape.as_list()[1:]:
    raise ValueError('%s: images must be a 4-d tensor [batch, height, width, channels] '
                     'with known height, width and channels, received shape %s'
                     % (function, shape))
  if hparams.data_format == 'NCHW':
    images = tf.transpose(a=images, perm=[0, 3, 1, 2])
  return hparams, images


@contextlib.contextmanager
def _network_arg_scope(hparams, is_training):
  """The mode and data format of every layer and op of the network."""
  with arg_scope([slim.dropout, nasnet_utils.drop_path, slim.batch_norm],
                 is_training=is_training), \
       arg_scope([slim.avg_pool2d, slim.max_pool2d, slim.conv2d, slim.batch_norm,
                  slim.separable_conv2d, nasnet_utils.factorized_reduction,
                  nasnet_utils.global_avg_pool, nasnet_utils.get_channel_index,
                  nasnet_utils.get_channel_dim],
                 data_format=hparams.data_format):
    yield


def _endpoint_adder(end_points, final_endpoint):
  """`add(name, net)`: records an end point; True when it is `final_endpoint`."""
  def add_and_check_endpoint(endpoint_name, net):
    end_points[endpoint_name] = net
    return bool(final_endpoint) and endpoint_name == final_endpoint
  return add_and_check_endpoint


def _build_final_layer(net, num_classes, hparams, add_and_check_endpoint):
  """Activation, global pooling ('global_pool'), dropout, 'FC' logits ('Logits')
  and softmax ('Predictions'), in scope 'final_layer'. Returns the logits, or
  the features when num_classes is 0/None or final_endpoint stops earlier."""
  with tf.compat.v1.variable_scope('final_layer'):
    net = _activation(hparams)(net)
    net = nasnet_utils.global_avg_pool(net)
    if add_and_check_endpoint('global_pool', net) or not num_classes:
      return net
    net = slim.dropout(net, hparams.dense_dropout_keep_prob, scope='dropout')
    logits = slim.fully_connected(net, num_classes)
    if add_and_check_endpoint('Logits', logits):
      return net
    predictions = tf.nn.softmax(logits, name='predictions')
    if add_and_check_endpoint('Predictions', predictions):
      return net
  return logits


def _build_nasnet(function, images, num_classes, is_training, final_endpoint, config,
                  default_config, stem_type, current_step):
  """The common part of the three NASNet builders."""
  hparams, images = _prepare(function, images, config, default_config, is_training)
  # Two more cells for the reductions, and on ImageNet two for the stem.
  total_num_cells = hparams.num_cells + 2 + (2 if stem_type == 'imagenet' else 0)
  cell_args = (hparams.num_conv_filters, hparams.drop_path_keep_prob, total_num_cells,
               hparams.total_training_steps, hparams.use_bounded_activation)
  normal_cell = nasnet_utils.NasNetANormalCell(*cell_args)
  reduction_cell = nasnet_utils.NasNetAReductionCell(*cell_args)
  with _network_arg_scope(hparams, is_training):
    return _build_nasnet_base(images, normal_cell=normal_cell,
                              reduction_cell=reduction_cell, num_classes=num_classes,
                              hparams=hparams, is_training=is_training,
                              stem_type=stem_type, final_endpoint=final_endpoint,
                              current_step=current_step)


# No published checkpoint: trained on CIFAR-10 by research/slim's scripts.
@registry.register_network('nasnet_cifar', arg_scope=nasnet_cifar_arg_scope,
                           default_image_size=32, preprocessing='cifarnet', num_classes=10)
@tf.autograph.experimental.do_not_convert
def build_nasnet_cifar(images, num_classes,
                       is_training=True,
                       config=None,
                       current_step=None):
  """NASNet-A for CIFAR-10 (18 normal cells, 32 x 32 inputs).

  Args:
    images: [batch, 32, 32, 3] (any known height and width).
    num_classes: number of classes; 0 or None returns the pooled features.
    is_training: training mode (batch norm, dropout, drop path, auxiliary head).
    config: an `HParams` like `cifar_config()` (copied, not changed).
    current_step: step tensor for the drop-path schedule (default: global step).

  Returns:
    (logits or features, end_points): 'Stem', 'Cell_0'..'Cell_17',
    'Reduction_Cell_0', 'Reduction_Cell_1', 'global_pool', 'Logits',
    'Predictions', and 'AuxLogits' in training.

  Raises:
    ValueError: images not 4-d with known spatial size, or a bad data_format.
  """
  return _build_nasnet('build_nasnet_cifar', images, num_classes, is_training, None,
                       config, cifar_config, 'cifar', current_step)


@registry.register_network('nasnet_mobile', arg_scope=nasnet_mobile_arg_scope,
                           default_image_size=224, preprocessing='inception', num_classes=1001,
                           small_build=registry.SmallBuild(64))
@tf.autograph.experimental.do_not_convert
def build_nasnet_mobile(images, num_classes,
                        is_training=True,
                        final_endpoint=None,
                        config=None,
                        current_step=None):
  """NASNet-A Mobile for ImageNet (12 normal cells, 224 x 224 inputs); arguments
  as `build_nasnet_cifar`, plus `final_endpoint` (stop after that end point).

  Example:
    with slim.arg_scope(nasnet.nasnet_mobile_arg_scope()):
      logits, end_points = nasnet.build_nasnet_mobile(images, 1001, is_training=False)
  """
  return _build_nasnet('build_nasnet_mobile', images, num_classes, is_training,
                       final_endpoint, config, mobile_imagenet_config, 'imagenet',
                       current_step)


@registry.register_network('nasnet_large', arg_scope=nasnet_large_arg_scope,
                           default_image_size=331, preprocessing='inception', num_classes=1001,
                           small_build=registry.SmallBuild(96))
@tf.autograph.experimental.do_not_convert
def build_nasnet_large(images, num_classes,
                       is_training=True,
                       final_endpoint=None,
                       config=None,
                       current_step=None):
  """NASNet-A Large for ImageNet (18 normal cells, 331 x 331 inputs); arguments
  as `build_nasnet_mobile`."""
  return _build_nasnet('build_nasnet_large', images, num_classes, is_training,
                       final_endpoint, config, large_imagenet_config, 'imagenet',
                       current_step)


def _build_nasnet_base(images,
                       normal_cell,
                       reduction_cell,
                       num_classes,
                       hparams,
                       is_training,
                       stem_type,
                       final_endpoint=None,
                       current_step=None):
  """Builds the stem, the cells (reduction cells before the cells of
  `calc_reduction_layers`), the auxiliary head and the final layer."""
  end_points = {}
  add_and_check_endpoint = _endpoint_adder(end_points, final_endpoint)
  reduction_indices = nasnet_utils.calc_reduction_layers(
      hparams.num_cells, hparams.num_reduction_layers)

  if stem_type == 'imagenet':
    net, cell_outputs = _imagenet_stem(images, hparams, reduction_cell, current_step)
  elif stem_type == 'cifar':
    net, cell_outputs = _cifar_stem(images, hparams)
  else:
    raise ValueError("_build_nasnet_base: stem_type must be 'imagenet' or 'cifar', "
                     'received %r' % (stem_type,))
  if add_and_check_endpoint('Stem', net):
    return net, end_points

  # The auxiliary head goes on the cell before the second reduction.
  aux_head_cell_idxes = []
  if len(reduction_indices) >= 2:
    aux_head_cell_idxes.append(reduction_indices[1] - 1)

  filter_scaling = 1.0
  true_cell_num = 2 if stem_type == 'imagenet' else 0  # counts the stem cells
  prev_layer = None
  for cell_num in range(hparams.num_cells):
    if hparams.skip_reduction_layer_input:
      prev_layer = cell_outputs[-2]
    if cell_num in reduction_indices:
      filter_scaling *= hparams.filter_scaling_rate
      reduction_num = reduction_indices.index(cell_num)
      net = reduction_cell(net, scope='reduction_cell_{}'.format(reduction_num),
                           filter_scaling=filter_scaling, stride=2,
                           prev_layer=cell_outputs[-2], cell_num=true_cell_num,
                           current_step=current_step)
      if add_and_check_endpoint('Reduction_Cell_{}'.format(reduction_num), net):
        return net, end_points
      true_cell_num += 1
      cell_outputs.append(net)
    if not hparams.skip_reduction_layer_input:
      prev_layer = cell_outputs[-2]
    net = normal_cell(net, scope='cell_{}'.format(cell_num), filter_scaling=filter_scaling,
                      stride=1, prev_layer=prev_layer, cell_num=true_cell_num,
                      current_step=current_step)
    if add_and_check_endpoint('Cell_{}'.format(cell_num), net):
      return net, end_points
    true_cell_num += 1
    if (hparams.use_aux_head and cell_num in aux_head_cell_idxes and num_classes and
        is_training):
      _build_aux_head(_activation(hparams)(net), end_points, num_classes, hparams,
                      scope='aux_{}'.format(cell_num))
    cell_outputs.append(net)

  return _build_final_layer(net, num_classes, hparams, add_and_check_endpoint), end_points
