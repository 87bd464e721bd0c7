"""`slim.nets.resnet_v2` is `nets.resnet_v2` (the same module object)."""
import sys

from nets import resnet_v2

sys.modules[__name__] = resnet_v2
