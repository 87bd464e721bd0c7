"""Per-network image preprocessing, as research/slim's `preprocessing` package.

`inception_preprocessing` (Inception, MobileNet, NASNet), `vgg_preprocessing`
(VGG, ResNet V1), `cifarnet_preprocessing`, `lenet_preprocessing`, and
`preprocessing_factory.get_preprocessing(name)`, which picks one by its own
name or by a network's name (through `slim.nets.nets_factory`).
"""
