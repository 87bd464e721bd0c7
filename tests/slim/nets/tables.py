"""The checkpoint tables of tests/slim/nets/tables: the variables (and end points)
of the published checkpoints, independent of this repository's code.

`tables/<network>.txt.gz` is text: '#' lines say where the table comes from
and how the network is built; then a '[variables]' section, one variable a
line (name, and shape as comma-separated ints), and optionally an
'[end_points]' section (name, and shape without the batch dimension). A '#'
line 'variables N, trainable parameters M' gives the count of the latter.
"""
import collections
import gzip
import os

import numpy as np

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tables')

Table = collections.namedtuple('Table', ['variables', 'end_points', 'trainable_parameters'])

_MOVING_STATISTICS = ('moving_mean', 'moving_variance')


def names():
  """The networks that have a table."""
  return sorted(name[:-len('.txt.gz')] for name in os.listdir(TABLES)
                if name.endswith('.txt.gz'))


def _shape(text):
  return tuple(int(d) for d in text.split(',')) if text else ()


def load(network):
  """The Table of `network`: OrderedDicts name -> shape tuple (variables, end
  points; the latter empty where the table has none), and the header's count
  of trainable parameters (None where it gives none)."""
  with gzip.open(os.path.join(TABLES, network + '.txt.gz'), 'rt') as f:
    lines = f.read().splitlines()
  sections = {'[variables]': collections.OrderedDict(),
              '[end_points]': collections.OrderedDict()}
  trainable, current = None, None
  for line in lines:
    if line.startswith('#'):
      if 'trainable parameters' in line:
        trainable = int(line.rsplit(' ', 1)[1])
    elif line in sections:
      current = sections[line]
    elif line.strip():
      name, _, shape = line.partition(' ')
      assert current is not None and name not in current, (network, line)
      current[name] = _shape(shape)
  return Table(sections['[variables]'], sections['[end_points]'], trainable)


def count(shapes):
  """The number of scalars in an iterable of shapes."""
  return sum(int(np.prod(shape)) for shape in shapes)


def parameters(variables, include=lambda name: True):
  """The number of trainable parameters among `variables` (name -> shape):
  every variable but batch-norm moving statistics, filtered by `include(name)`."""
  return count(shape for name, shape in variables.items()
               if not name.endswith(_MOVING_STATISTICS) and include(name))
