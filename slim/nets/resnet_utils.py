"""`slim.nets.resnet_utils` is `nets.resnet_utils` (the same module object)."""
import sys

from nets import resnet_utils

sys.modules[__name__] = resnet_utils
