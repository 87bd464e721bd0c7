"""`slim.nets.inception_v3` is `nets.inception_v3` (the same module object)."""
import sys

from nets import inception_v3

sys.modules[__name__] = inception_v3
