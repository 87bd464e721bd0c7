"""`slim.nets.alexnet` is `nets.alexnet` (the same module object)."""
import sys

from nets import alexnet

sys.modules[__name__] = alexnet
