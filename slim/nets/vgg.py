"""`slim.nets.vgg` is `nets.vgg` (the same module object)."""
import sys

from nets import vgg

sys.modules[__name__] = vgg
