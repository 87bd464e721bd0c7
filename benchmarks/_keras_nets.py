"""The `keras` contender of benchmarks/nets.py: Keras 3's `keras.applications`.

Keras at its best, as its own `fit` would run it: the training step is a
`tf.function` (GradientTape, `keras.optimizers.SGD(0.01, momentum=0.9)`,
`model(images, training=True)`, which updates the batch-norm moving statistics
in the call), with `jit_compile` off, which is what `compile()`'s default
'auto' resolves to on a machine without accelerators (Keras 3's
`Trainer._resolve_auto_jit_compile`: "Disable XLA on CPU-only machines"). The
loss is slim's: softmax cross-entropy of the logits (`classifier_activation=
None`) plus weight decay `wd * sum(w ** 2) / 2` (slim's `l2_regularizer(wd)`),
with the `weight_decay` of the slim network's arg scope, on the kernels of the
`Conv2D`, `SeparableConv2D` (depthwise and pointwise) and `Dense` layers, not
on `DepthwiseConv2D` kernels (as slim's arg scopes: MobileNet regularizes no
depthwise weights, NASNet its separable convolutions). Inference is
`model(images, training=False)` in a `tf.function`.

The Keras models differ from slim's where Keras's applications do: no
auxiliary head (InceptionV3, InceptionResNetV2, NASNetMobile; slim adds its
loss at weight 0.4) and no dropout (InceptionV3, VGG16, InceptionResNetV2,
NASNetMobile; MobileNetV3Large has its 0.2).
"""
# slim network -> (keras.applications model, keyword arguments).
# MobileNetV3Large without its preprocessing layer takes [-1, 1] images, as slim's.
APPLICATIONS = {
    'inception_v3': ('InceptionV3', {}),
    'resnet_v1_50': ('ResNet50', {}),
    'vgg_16': ('VGG16', {}),
    'mobilenet_v2': ('MobileNetV2', {}),
    'mobilenet_v3_large': ('MobileNetV3Large', {'include_preprocessing': False}),
    'inception_resnet_v2': ('InceptionResNetV2', {}),
    'nasnet_mobile': ('NASNetMobile', {}),
}


def _regularized_kernels(keras, model):
  """The kernels that slim's arg scopes regularize (see the module docstring)."""
  kernels = []
  for layer in model.layers:  # the applications are flat: no nested models
    if isinstance(layer, keras.layers.SeparableConv2D):
      kernels += [layer.depthwise_kernel, layer.pointwise_kernel]
    elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
      kernels.append(layer.kernel)
  return kernels


def _model(network, image_shape, num_classes):
  """A new Keras model of `network`, untrained, giving logits."""
  import keras  # pylint: disable=import-outside-toplevel
  application, kwargs = APPLICATIONS[network]
  return getattr(keras.applications, application)(
      weights=None, classes=num_classes, classifier_activation=None,
      input_shape=tuple(image_shape), **kwargs)


def training_step(network, images, labels, num_classes, weight_decay):
  """(step, parameters): the training step of a new Keras model of `network` on
  the batch `images`, `labels` (tensors or variables), a `tf.function` returning
  the loss; the number of trainable parameters."""
  import keras  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  model = _model(network, images.shape[1:], num_classes)
  kernels = _regularized_kernels(keras, model)
  variables = model.trainable_variables
  optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
  optimizer.build(variables)

  @tf.function(jit_compile=False)
  def step():
    with tf.GradientTape() as tape:
      logits = model(images, training=True)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
      loss += weight_decay * tf.add_n([tf.nn.l2_loss(kernel) for kernel in kernels])
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss

  return step, sum(int(v.numpy().size) for v in variables)


def inference_step(network, images, num_classes):
  """The logits of a new Keras model of `network` on `images`, a `tf.function`."""
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  model = _model(network, images.shape[1:], num_classes)
  return tf.function(lambda: model(images, training=False), jit_compile=False)
