"""`slim.nets.overfeat` is `nets.overfeat` (the same module object)."""
import sys

from nets import overfeat

sys.modules[__name__] = overfeat
