"""`slim.nets.inception_v2` is `nets.inception_v2` (the same module object)."""
import sys

from nets import inception_v2

sys.modules[__name__] = inception_v2
