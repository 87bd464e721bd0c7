"""research/slim's top-level package names as names of slim's packages.

From a checkout, the repository's `nets/`, `datasets/`, `preprocessing/` and
`deployment/` hold only an `__init__.py` that calls `alias(__name__)`: the name
`nets` then is the package `slim.nets`, and `nets.vgg`, `nets.mobilenet.conv_blocks`
... are the very module objects of `slim.nets.vgg`, ... (imported once, under both
names). The installed wheel has no such packages: there, write `from slim.nets import`.
"""
import importlib
import importlib.abc
import importlib.util
import sys

PACKAGES = ('nets', 'datasets', 'preprocessing', 'deployment')


def _target(name):
  return 'slim.' + name


class _AliasImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  """Finds `nets.x.y` as `slim.nets.x.y` once `nets` is an alias of `slim.nets`."""

  def find_spec(self, fullname, path=None, target=None):
    del path, target  # unused
    top = fullname.partition('.')[0]
    if fullname == top or top not in PACKAGES:
      return None
    if sys.modules.get(top) is not sys.modules.get(_target(top)):
      return None  # `top` is some other package of that name
    if importlib.util.find_spec(_target(fullname)) is None:
      return None
    return importlib.util.spec_from_loader(fullname, self)

  def create_module(self, spec):
    module = importlib.import_module(_target(spec.name))
    spec.loader_state = module.__spec__
    return module

  def exec_module(self, module):
    # The import system gave the module the alias's spec; it gets its own back.
    module.__spec__ = module.__spec__.loader_state


_IMPORTER = _AliasImporter()


def alias(name):
  """Makes the top-level package `name` ('nets') the package `slim.<name>`."""
  if name not in PACKAGES:
    raise ValueError('alias: name must be one of %s, received %r' % (', '.join(PACKAGES), name))
  if _IMPORTER not in sys.meta_path:
    sys.meta_path.insert(0, _IMPORTER)
  sys.modules[name] = importlib.import_module(_target(name))
