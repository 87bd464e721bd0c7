"""The core's public names, which `slim/__init__.py` puts on the package at the
first use of one (this module imports TensorFlow)."""
try:
  import tensorflow as _tf  # pylint: disable=unused-import
except ImportError as _error:  # pragma: no cover
  raise ImportError(
      'slim needs TensorFlow 2.21. Install it with the package: '
      "pip install 'slim-tf[cpu]' (or 'slim-tf[gpu]' for NVIDIA GPUs).") from _error

# pylint: disable=wildcard-import,g-import-not-at-top
from slim.layers import *
from slim.ops.variables import *
from slim.ops import arg_scope as arg_scope_lib
from slim.model import Model
from slim.data import data_decoder
from slim.data import data_provider
from slim.data import dataset
from slim.data import dataset_data_provider
from slim.data import parallel_reader
from slim.data import prefetch_queue
from slim.data import tfexample_decoder
# `import ... as` binds the top-level modules over the same-named slim.layers
# modules that the wildcard import above brought in (slim.summaries).
import slim.losses as losses
import slim.metrics as metrics
import slim.model_analyzer as model_analyzer
import slim.queues as queues
import slim.summaries as summaries

arg_scope = arg_scope_lib.arg_scope
add_arg_scope = arg_scope_lib.add_arg_scope
current_arg_scope = arg_scope_lib.current_arg_scope
has_arg_scope = arg_scope_lib.has_arg_scope
arg_scoped_arguments = arg_scope_lib.arg_scoped_arguments
arg_scope_func_key = arg_scope_lib.arg_scope_func_key

# The graph-mode loops, with tf_slim's names (`slim.train_eval` is slim.training.evaluation).
import slim.evaluation as evaluation
import slim.learning as learning
import slim.training as training
from slim.training import evaluation as train_eval
