"""TF-Slim for today's TensorFlow: `import slim` where you had `import tf_slim as slim`.

Layers, arg_scope and variables are flat on the package (`slim.conv2d`,
`slim.arg_scope`, `slim.get_model_variables`); the other parts are modules
with tf_slim's names (`slim.losses`, `slim.metrics`, `slim.learning`, ...).
`slim.Model` runs a slim network eagerly and under `tf.function`.

The core (and TensorFlow with it) loads on the first use of one of these names,
so that the command-line tools in `slim.tools` answer `--help` and flag errors
before TensorFlow is imported.
"""
import threading as _threading

__version__ = '2.21.0'

_lock = _threading.RLock()
_state = {'loaded': False, 'loading': False}


def _load_core():
  """Puts the core's public names (slim._core) on this package, once."""
  with _lock:
    if _state['loaded'] or _state['loading']:
      return
    _state['loading'] = True
    try:
      from slim import _core  # pylint: disable=import-outside-toplevel
      globals().update({name: value for name, value in vars(_core).items()
                        if not name.startswith('_')})
      _state['loaded'] = True
    finally:
      _state['loading'] = False


def __getattr__(name):
  if name.startswith('_') and name != '__all__':  # dunders, private modules: not the core's
    raise AttributeError("module 'slim' has no attribute %r" % name)
  _load_core()
  if name == '__all__':
    return sorted(key for key in globals() if not key.startswith('_'))
  try:
    return globals()[name]
  except KeyError:
    raise AttributeError("module 'slim' has no attribute %r" % name) from None


def __dir__():
  _load_core()
  return sorted(globals())
