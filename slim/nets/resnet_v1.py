"""`slim.nets.resnet_v1` is `nets.resnet_v1` (the same module object)."""
import sys

from nets import resnet_v1

sys.modules[__name__] = resnet_v1
