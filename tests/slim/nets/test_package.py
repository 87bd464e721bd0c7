"""The package slim.nets: the modules tf_slim's `nets` imported, research/slim's
`nets` paths as aliases, and the `inception` aggregate module."""
import sys

import pytest

import slim
from slim.nets import inception
from slim.nets import inception_utils
from slim.nets import inception_v1
from slim.nets import inception_v2
from slim.nets import inception_v3
from slim.nets import resnet_utils
from slim.nets import vgg
from tests.slim import fresh_python


def test_slim_nets_modules_are_the_nets_modules():
  import nets.inception_v3  # pylint: disable=import-outside-toplevel
  assert nets.inception_v3 is inception_v3
  assert sys.modules['slim.nets.vgg'] is vgg and slim.nets.resnet_utils is resnet_utils
  assert slim.nets.inception.inception_v2_base is inception_v2.inception_v2_base
  assert slim.nets.__all__ == ['alexnet', 'inception', 'inception_v1', 'inception_v2',
                               'inception_v3', 'overfeat', 'resnet_utils', 'resnet_v1',
                               'resnet_v2', 'vgg']


def test_import_slim_imports_no_network():
  script = ('import sys, slim\n'
            'assert not [m for m in sys.modules if m.split(".")[0] == "nets" or '
            'm.startswith("slim.nets")]\n'
            'import slim.nets\n'
            'assert "slim.nets.inception_v3" in sys.modules\n'
            'assert "slim.nets.nets_factory" not in sys.modules\n'
            'print("ok")\n')
  result = fresh_python.check_ran(fresh_python.run_python(script))
  assert result.stdout.strip() == 'ok'


def test_inception_aggregates_the_versions_and_loads_v4_lazily():
  assert inception.inception_v1 is inception_v1.inception_v1
  assert inception.inception_v3_arg_scope is inception_v3.inception_v3_arg_scope
  assert {'inception_v4', 'inception_resnet_v2_arg_scope'} <= set(dir(inception))
  assert 'inception_v4' in inception.__all__
  with pytest.raises(AttributeError, match='no attribute'):
    inception.inception_v5  # pylint: disable=pointless-statement
  # As in research/slim, Inception-v4's arg scope is the common one.
  assert inception.inception_v4_arg_scope is inception_utils.inception_arg_scope
