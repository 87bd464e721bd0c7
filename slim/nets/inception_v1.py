"""`slim.nets.inception_v1` is `nets.inception_v1` (the same module object)."""
import sys

from nets import inception_v1

sys.modules[__name__] = inception_v1
