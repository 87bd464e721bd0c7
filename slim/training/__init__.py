"""slim.training: tf_slim's training package.

`slim.training.training` (graph-mode `create_train_op` and a hook-based `train`,
whose names are also here: `slim.training.train`) and `slim.training.evaluation`
(`evaluate_once`, `evaluate_repeatedly`, checkpoint iteration and hooks; also
`slim.train_eval`); and the TF2 side: `slim.training.loop.train` (a
`slim.Model` trained from `tf.data` on one device, the devices of a machine or a
multi-worker or parameter-server cluster of `tf.distribute`),
`eval_loop`, `restore` (fine-tuning) and `checkpoints` (TF-Slim format). Shared
by every training path: `divergence` (a NaN or infinite loss stops training with
`LossDivergedError`) and `train_dir` (one trainer per directory, resume from the
newest readable checkpoint).
"""
# pylint: disable=wildcard-import
from slim.training import evaluation
from slim.training import training
from slim.training.training import *
from slim.training import checkpoints
from slim.training import divergence
from slim.training import eval_loop
from slim.training import events
from slim.training import loop
from slim.training import restore
from slim.training import train_dir
