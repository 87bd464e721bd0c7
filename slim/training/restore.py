"""Fine-tuning: restore part of a checkpoint into a network, and say what happened.

research/slim fine-tunes with `--checkpoint_path`, `--checkpoint_exclude_scopes`,
`--trainable_scopes` and `--ignore_missing_vars`. This module does the same in
both execution modes, with a report of what was restored, skipped (and why)
and missing:

    # TF2: into a slim.Model (built by a first call), e.g. a 5-class head on an
    # ImageNet checkpoint
    report = restore_checkpoint(model, '/ckpt/inception_v1.ckpt',
                                exclude_scopes='InceptionV1/Logits')
    print(report)

    # Graph mode: an init_fn for slim.learning.train (as research/slim's _get_init_fn)
    init_fn = get_init_fn('/ckpt/inception_v1.ckpt', train_dir,
                          checkpoint_exclude_scopes='InceptionV1/Logits')
    slim.learning.train(train_op, train_dir, init_fn=init_fn)

Scope lists are comma-separated strings or lists. An entry is a name prefix, as
in research/slim (`InceptionV1/Logits` matches `InceptionV1/Logits/...`), or a
glob (`*/Logits`, `InceptionV1/Mixed_5?`) matching a variable's name or one of
its enclosing scopes.

Which variables are candidates: model variables. Optimizer slots
(`conv1/weights/Momentum`) and moving averages
(`conv1/weights/ExponentialMovingAverage`) are skipped unless asked for, and
other variables (`global_step`, `beta1_power`) are never restored: fine-tuning
starts a new training. A variable whose shape differs from the checkpoint's
stops the restore with an error naming both shapes and the flag that fixes it,
unless it is excluded or `reinitialize_mismatched_shapes` keeps its initial
value.
"""
import collections
import fnmatch

import tensorflow as tf

from slim.ops import variables as variables_lib
from slim.training import checkpoints

__all__ = ['RestoreReport', 'get_init_fn', 'get_variables_to_train', 'parse_scopes',
           'restore_checkpoint', 'scope_matches']

MODEL = 'model variable'
OPTIMIZER_SLOT = 'optimizer slot'
MOVING_AVERAGE = 'moving average'
OTHER = 'not a model variable'

_MOVING_AVERAGE_NAME = 'ExponentialMovingAverage'
_GLOB_CHARACTERS = frozenset('*?[')
# Variables of the training state that are not under a model variable's scope.
_OPTIMIZER_STATE_NAMES = frozenset(['global_step', 'beta1_power', 'beta2_power'])


def parse_scopes(scopes, function='parse_scopes', argument='scopes'):
  """A tuple of scope patterns from a comma-separated string or a list.

  `None` and `''` give `()`; entries are stripped and empty ones dropped.

  Raises:
    TypeError: `scopes` is neither a string nor a list or tuple of strings.
  """
  if scopes is None:
    return ()
  if isinstance(scopes, str):
    entries = scopes.split(',')
  elif isinstance(scopes, (list, tuple)) and all(isinstance(s, str) for s in scopes):
    entries = [entry for scope in scopes for entry in scope.split(',')]
  else:
    raise TypeError('%s: %s must be a comma-separated string or a list of scope names, '
                    'received %r' % (function, argument, scopes))
  return tuple(entry.strip() for entry in entries if entry.strip())


def scope_matches(name, pattern):
  """Whether the variable `name` is under `pattern` (a prefix or a glob)."""
  if not _GLOB_CHARACTERS.intersection(pattern):
    return name.startswith(pattern)
  parts = name.split('/')
  return any(fnmatch.fnmatchcase('/'.join(parts[:end]), pattern)
             for end in range(1, len(parts) + 1))


def _first_match(name, patterns):
  for pattern in patterns:
    if scope_matches(name, pattern):
      return pattern
  return None


class RestoreReport(object):
  """What a restore did.

  Attributes:
    checkpoint_path: the checkpoint file read.
    restored: names restored, in order.
    skipped: OrderedDict from name to the reason it was left as it was; reasons
      start with 'excluded', 'not included', 'optimizer slot', 'moving average',
      'not a model variable' or 'shape mismatch'.
    missing: names absent from the checkpoint, ignored (`ignore_missing_vars`).
  """

  def __init__(self, checkpoint_path):
    self.checkpoint_path = checkpoint_path
    self.restored = []
    self.skipped = collections.OrderedDict()
    self.missing = []

  def __str__(self):
    total = len(self.restored) + len(self.skipped) + len(self.missing)
    lines = ['Restored %d of %d variables from %s' % (len(self.restored), total,
                                                     self.checkpoint_path)]
    by_reason = collections.OrderedDict()
    for name, reason in self.skipped.items():
      by_reason.setdefault(reason, []).append(name)
    for reason, names in by_reason.items():
      if reason.startswith((OPTIMIZER_SLOT, MOVING_AVERAGE, OTHER)):
        lines.append('  skipped %d (%s)' % (len(names), reason))
      else:
        lines.extend('  skipped %s: %s' % (name, reason) for name in names)
    lines.extend('  missing from the checkpoint (ignored): %s' % name for name in self.missing)
    return '\n'.join(lines)

  __repr__ = __str__


def _exclude_suggestion(name):
  """The scope to exclude to drop `name`'s layer: up to its logits scope, or its parent."""
  parts = name.split('/')
  for end, part in enumerate(parts[:-1], 1):
    if 'logits' in part.lower():
      return '/'.join(parts[:end])
  return '/'.join(parts[:-1]) or name


def _labels_offset_hint(variable_shape, checkpoint_shape):
  if len(variable_shape) != len(checkpoint_shape) or not variable_shape:
    return ''
  ours, theirs = variable_shape[-1], checkpoint_shape[-1]
  if list(variable_shape[:-1]) != list(checkpoint_shape[:-1]):
    return ''
  if theirs == ours + 1:
    return (' The checkpoint has one class more (%d vs %d, a background class): build the '
            'network with %d classes (--labels_offset=0) to keep its head.'
            % (theirs, ours, theirs))
  if ours == theirs + 1:
    return (' The checkpoint has no background class (%d vs %d): --labels_offset=1 builds '
            'the network with %d classes to keep its head.' % (theirs, ours, theirs))
  return ''


def _shape_mismatch_error(function, checkpoint_path, mismatches):
  name, variable_shape, checkpoint_shape = mismatches[0]
  others = ''.join('; %s: %s here vs %s in the checkpoint' % (n, v, c)
                   for n, v, c in mismatches[1:])
  scopes = []
  for mismatch in mismatches:
    scope = _exclude_suggestion(mismatch[0])
    if scope not in scopes:
      scopes.append(scope)
  return ValueError(
      '%s: variable %s has shape %s here but %s in the checkpoint %s%s. To train a new '
      'head, exclude it: --checkpoint_exclude_scopes=%s (exclude_scopes=%r), or pass '
      'reinitialize_mismatched_shapes=True.%s'
      % (function, name, variable_shape, checkpoint_shape, checkpoint_path, others,
         ','.join(scopes), ','.join(scopes),
         _labels_offset_hint(variable_shape, checkpoint_shape)))


def _variable_shape(var):
  slice_info = getattr(var, '_save_slice_info', None)  # pylint: disable=protected-access
  if slice_info:
    return list(slice_info.full_shape)
  return var.shape.as_list()


def _plan(function, candidates, checkpoint_path, exclude_scopes, include_scopes,
          ignore_missing_vars, restore_optimizer_slots, restore_moving_averages,
          reinitialize_mismatched_shapes):
  """Chooses what to restore: `(OrderedDict name -> variables, RestoreReport)`.

  `candidates` is an OrderedDict from checkpoint name to (kind, list of variables).
  """
  exclude = parse_scopes(exclude_scopes, function, 'exclude_scopes')
  include = parse_scopes(include_scopes, function, 'include_scopes')
  unmatched = [pattern for pattern in exclude
               if not any(scope_matches(name, pattern) for name in candidates)]
  if unmatched:  # a misspelt scope would restore what it meant to exclude
    scopes = sorted({name.rsplit('/', 1)[0] for name in candidates
                     if candidates[name][0] == MODEL})
    raise ValueError('%s: --checkpoint_exclude_scopes (exclude_scopes) %s match no variable of '
                     'the model; its scopes are e.g. %s' % (
                         function, ','.join(unmatched),
                         ', '.join(scopes[-4:]) + ('' if len(scopes) <= 4 else ', ...')))
  report = RestoreReport(checkpoint_path)
  shapes = tf.train.load_checkpoint(checkpoint_path).get_variable_to_shape_map()
  wanted = {MODEL: True, OPTIMIZER_SLOT: restore_optimizer_slots,
            MOVING_AVERAGE: restore_moving_averages, OTHER: False}
  flags = {OPTIMIZER_SLOT: 'restore_optimizer_slots', MOVING_AVERAGE: 'restore_moving_averages'}
  to_restore = collections.OrderedDict()
  mismatches = []
  for name, (kind, var_list) in candidates.items():
    if not wanted[kind]:
      report.skipped[name] = kind + (' (%s=False)' % flags[kind] if kind in flags else '')
      continue
    if include and _first_match(name, include) is None:
      report.skipped[name] = 'not included by include_scopes %s' % ','.join(include)
      continue
    pattern = _first_match(name, exclude)
    if pattern is not None:
      report.skipped[name] = "excluded by --checkpoint_exclude_scopes '%s'" % pattern
      continue
    if name not in shapes:
      report.missing.append(name)
      continue
    variable_shape = _variable_shape(var_list[0])
    if variable_shape != list(shapes[name]):
      if reinitialize_mismatched_shapes:
        report.skipped[name] = ('shape mismatch: %s here vs %s in the checkpoint, left '
                                'initialised' % (variable_shape, shapes[name]))
      else:
        mismatches.append((name, variable_shape, list(shapes[name])))
      continue
    to_restore[name] = var_list
    report.restored.append(name)
  if mismatches:
    raise _shape_mismatch_error(function, checkpoint_path, mismatches)
  if report.missing and not ignore_missing_vars:
    raise ValueError(
        '%s: %d variable(s) missing from the checkpoint %s: %s. Pass '
        '--ignore_missing_vars (ignore_missing_vars=True) to leave them initialised, or '
        'exclude them with --checkpoint_exclude_scopes.'
        % (function, len(report.missing), checkpoint_path, ', '.join(report.missing[:10])
           + (', ...' if len(report.missing) > 10 else '')))
  return to_restore, report


def _kind(name, model_names):
  if name in model_names:
    return MODEL
  parent, _, last = name.rpartition('/')
  if parent in model_names:
    return MOVING_AVERAGE if last == _MOVING_AVERAGE_NAME else OPTIMIZER_SLOT
  return OTHER


def _classify(names_to_variables, model_names):
  """OrderedDict name -> (kind, [variables]) (several variables: partitions)."""
  return collections.OrderedDict((name, (_kind(name, model_names), var_list))
                                 for name, var_list in names_to_variables.items())


def _eager_candidates(function, variables):
  """Candidates from a slim.Model, a dict name -> variable, or a list of variables."""
  if hasattr(variables, 'variables_by_name'):
    if not variables.variables:
      raise ValueError('%s: the model %s has no variables yet; call it once (or trace it) '
                       'before restoring.' % (function, variables.name))
    by_name = variables.variables_by_name
  elif isinstance(variables, dict):
    by_name = variables
  elif isinstance(variables, (list, tuple)):
    by_name = collections.OrderedDict((checkpoints.variable_name(v), v) for v in variables)
  else:
    raise TypeError('%s: variables must be a slim.Model, a dict from checkpoint name to '
                    'variable or a list of variables, received %r' % (function, variables))
  grouped = collections.OrderedDict((name, [var]) for name, var in by_name.items())
  # Without graph collections, the model variables are the names that are not
  # `<another name>/<slot>` nor the optimizers' own state.
  model_names = {name for name in grouped if name not in _OPTIMIZER_STATE_NAMES and
                 name.rpartition('/')[0] not in grouped}
  return _classify(grouped, model_names)


def restore_checkpoint(variables, checkpoint_path, exclude_scopes=None, include_scopes=None,
                       ignore_missing_vars=False, restore_optimizer_slots=False,
                       restore_moving_averages=False, reinitialize_mismatched_shapes=False):
  """Restores (part of) a checkpoint into variables, eagerly (TF2), by name.

  Example:

      model = slim.Model(functools.partial(inception_v1, num_classes=5))
      model(images)   # creates the variables
      report = restore_checkpoint(model, '/ckpt/inception_v1.ckpt',
                                  exclude_scopes='InceptionV1/Logits')

  Args:
    variables: a built `slim.Model` (its model variables), a dict from
      checkpoint name to variable (names that are `<another name>/<slot>` count
      as optimizer slots or moving averages), or a list of variables.
    checkpoint_path: a checkpoint file prefix, or a directory (its latest).
    exclude_scopes: scopes not to restore (comma string or list; prefixes or globs).
    include_scopes: if given, only variables under these scopes are restored.
    ignore_missing_vars: default False: a variable absent from the checkpoint
      is an error; True skips it (reported as missing).
    restore_optimizer_slots: default False: optimizer slots are skipped.
    restore_moving_averages: default False: moving averages are skipped.
    reinitialize_mismatched_shapes: default False: a shape mismatch is an
      error; True keeps those variables' initial values (a new head).

  Returns:
    A `RestoreReport` (also logged).

  Raises:
    ValueError: no checkpoint at `checkpoint_path`; a variable's shape differs
      from the checkpoint's (the message names both shapes and the flag to
      use); variables missing without `ignore_missing_vars`.
    TypeError: `variables` or a scope list of the wrong type.
  """
  function = 'restore_checkpoint'
  candidates = _eager_candidates(function, variables)
  checkpoint_path = checkpoints.resolve_checkpoint(function, checkpoint_path)
  to_restore, report = _plan(function, candidates, checkpoint_path, exclude_scopes,
                             include_scopes, ignore_missing_vars, restore_optimizer_slots,
                             restore_moving_averages, reinitialize_mismatched_shapes)
  checkpoints.assign_from_checkpoint(
      function, checkpoint_path,
      collections.OrderedDict((name, var_list[0]) for name, var_list in to_restore.items()))
  tf.compat.v1.logging.info('%s', report)
  return report


class CheckpointInitFn(object):
  """Graph mode: `fn(session)` restoring the planned variables (see `get_init_fn`).

  Attributes:
    report: the `RestoreReport` of the plan (what the call restores).
  """

  def __init__(self, checkpoint_path, to_restore, report):
    self.report = report
    self._checkpoint_path = checkpoint_path
    var_list = {name: var_list if len(var_list) > 1 else var_list[0]
                for name, var_list in to_restore.items()}
    self._saver = tf.compat.v1.train.Saver(var_list) if var_list else None

  def __call__(self, session):
    if self._saver is not None:
      self._saver.restore(session, self._checkpoint_path)


def _graph_candidates():
  model_vars = variables_lib.get_model_variables()
  model_names = {variables_lib.get_variable_full_name(v) for v in model_vars}
  grouped = collections.OrderedDict()
  for var in model_vars + variables_lib.get_variables():
    var_list = grouped.setdefault(variables_lib.get_variable_full_name(var), [])
    if all(var is not other for other in var_list):
      var_list.append(var)
  return _classify(grouped, model_names)


def get_init_fn(checkpoint_path, train_dir=None, checkpoint_exclude_scopes=None,
                ignore_missing_vars=False, include_scopes=None, restore_optimizer_slots=False,
                restore_moving_averages=False, reinitialize_mismatched_shapes=False):
  """Graph mode: the `init_fn(session)` that warm-starts training from a checkpoint.

  As research/slim's `_get_init_fn`: returns None when there is no
  `checkpoint_path`, or when `train_dir` already holds a checkpoint (training
  resumes from it instead). Build it after the network (it plans the restore
  from the graph's model variables and the checkpoint's shapes, and logs the
  report); pass it to `slim.learning.train(..., init_fn=init_fn)`.

  Example:

      init_fn = get_init_fn(FLAGS.checkpoint_path, FLAGS.train_dir,
                            checkpoint_exclude_scopes='InceptionV1/Logits')

  Args:
    checkpoint_path: a checkpoint file prefix or a directory (its latest);
      None: no warm start.
    train_dir: default None; if it holds a checkpoint, returns None.
    checkpoint_exclude_scopes, ignore_missing_vars, include_scopes,
    restore_optimizer_slots, restore_moving_averages,
    reinitialize_mismatched_shapes: as `restore_checkpoint` (its
      `exclude_scopes` is `checkpoint_exclude_scopes` here).

  Returns:
    A `CheckpointInitFn` (callable on a session, with a `report`), or None.

  Raises:
    RuntimeError: called while executing eagerly (use `restore_checkpoint`).
    ValueError: as `restore_checkpoint`.
  """
  function = 'get_init_fn'
  if tf.compat.v1.executing_eagerly_outside_functions():
    raise RuntimeError('%s builds a session init_fn for graph mode; in TF2 (eager) call '
                       'restore_checkpoint(model, ...) instead.' % function)
  if checkpoint_path is None:
    return None
  if train_dir and tf.train.latest_checkpoint(train_dir):
    tf.compat.v1.logging.info('Ignoring --checkpoint_path because a checkpoint already '
                              'exists in %s', train_dir)
    return None
  checkpoint_path = checkpoints.resolve_checkpoint(function, checkpoint_path)
  tf.compat.v1.logging.info('Fine-tuning from %s', checkpoint_path)
  to_restore, report = _plan(function, _graph_candidates(), checkpoint_path,
                             checkpoint_exclude_scopes, include_scopes, ignore_missing_vars,
                             restore_optimizer_slots, restore_moving_averages,
                             reinitialize_mismatched_shapes)
  tf.compat.v1.logging.info('%s', report)
  return CheckpointInitFn(checkpoint_path, to_restore, report)


def get_variables_to_train(trainable_scopes=None, variables=None):
  """The variables to train: those under `trainable_scopes` (research/slim's flag).

  Args:
    trainable_scopes: comma string or list of scopes (prefixes or globs); None
      or '' trains every trainable variable.
    variables: a `slim.Model` (its trainable variables) or a list of variables;
      default None: the graph's trainable variables.

  Returns:
    The list of variables, in their original order.

  Raises:
    ValueError: the scopes match no trainable variable.
  """
  function = 'get_variables_to_train'
  if variables is None:
    candidates = tf.compat.v1.trainable_variables()
  elif hasattr(variables, 'trainable_variables'):
    candidates = list(variables.trainable_variables)
  else:
    candidates = list(variables)
  scopes = parse_scopes(trainable_scopes, function, 'trainable_scopes')
  if not scopes:
    return candidates
  chosen = [v for v in candidates
            if _first_match(checkpoints.variable_name(v), scopes) is not None]
  if not chosen:
    raise ValueError('%s: trainable_scopes %r match none of the %d trainable variables '
                     '(e.g. %s)' % (function, ','.join(scopes), len(candidates),
                                    ', '.join(checkpoints.variable_name(v)
                                              for v in candidates[:3])))
  return chosen
