"""`slim.nets.inception` is `nets.inception` (the same module object)."""
import sys

from nets import inception

sys.modules[__name__] = inception
