"""slim.training: tf_slim's training package.

`slim.training.training` (graph-mode `create_train_op` and a hook-based `train`,
whose names are also here: `slim.training.train`) and `slim.training.evaluation`
(`evaluate_once`, `evaluate_repeatedly`, checkpoint iteration and hooks; also
`slim.train_eval`).
"""
# pylint: disable=wildcard-import
from slim.training import evaluation
from slim.training import training
from slim.training.training import *
