"""The checkpoint tables of tests/nets_b2/tables, and the networks they describe.

Each `tables/<network>.txt.gz` holds the variables (name and shape) and the end
points (name and shape without the batch dimension) that research/slim's own
definitions create, executed under tf_slim 1.1.0 in graph mode; its header says
how the network was built. They are facts about the published checkpoint
layout, independent of this repository's code.
"""
import collections
import gzip
import os

import numpy as np

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tables')

Table = collections.namedtuple('Table', ['variables', 'end_points', 'trainable_parameters'])

_MOVING_STATISTICS = ('moving_mean', 'moving_variance')


def _shape(text):
  return tuple(int(d) for d in text.split(',')) if text else ()


def load(network):
  """The Table of `network`: OrderedDicts name -> shape tuple, and the header's
  count of trainable parameters."""
  with gzip.open(os.path.join(TABLES, network + '.txt.gz'), 'rt') as f:
    lines = f.read().splitlines()
  sections = {'[variables]': collections.OrderedDict(),
              '[end_points]': collections.OrderedDict()}
  trainable = None
  current = None
  for line in lines:
    if line.startswith('#'):
      if 'trainable parameters' in line:
        trainable = int(line.rsplit(' ', 1)[1])
    elif line in sections:
      current = sections[line]
    else:
      name, _, shape = line.partition(' ')
      current[name] = _shape(shape)
  return Table(sections['[variables]'], sections['[end_points]'], trainable)


def parameters(variables, include=lambda name: True):
  """Number of trainable parameters among `variables` (name -> shape): every
  variable but batch-norm moving statistics, filtered by `include(name)`."""
  return sum(int(np.prod(shape)) for name, shape in variables.items()
             if not name.endswith(_MOVING_STATISTICS) and include(name))
