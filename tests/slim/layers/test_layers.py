"""slim.layers.layers: the exports of tf_slim's module, and their arg_scope decorations."""
import functools
import sys

import pytest

import slim
from slim.layers import layers as slim_layers
from slim.layers import normalization
from slim.ops import arg_scope as arg_scope_lib


def test_layers_module_exports_tf_slims_names():
  assert len(slim_layers.__all__) == 46
  for name in slim_layers.__all__:
    assert getattr(slim, name) is getattr(slim_layers, name)
  assert callable(slim_layers._inner_flatten)  # pylint: disable=protected-access
  assert slim.group_norm is normalization.group_norm
  assert slim.instance_norm is normalization.instance_norm


@pytest.mark.reference
def test_exports_and_arg_scope_decorations_match_tf_slim(tf_slim):
  reference = sys.modules['tf_slim.layers.layers']
  assert sorted(slim_layers.__all__) == sorted(reference.__all__)
  for name in reference.__all__ + ['_inner_flatten']:
    ours, theirs = getattr(slim_layers, name), getattr(reference, name)
    if isinstance(theirs, (functools.partial, type)):
      continue
    assert arg_scope_lib.has_arg_scope(ours) == tf_slim.has_arg_scope(theirs), name
