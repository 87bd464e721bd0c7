"""Command-line plumbing of the tools: absl flags, help, one-line errors, a quiet start.

A tool declares its flags as data, sections of
`Flag(name, default, type, help, choices=None)`. `parse_flags` parses them with
absl, as research/slim's `tf.app.flags` did: `--name=value`, `--name value`,
`-name=value`, `--name`/`--noname` for booleans, `--flagfile=FILE`,
`--undefok=...`, exact names only (a misspelt flag is an error with a
suggestion). Every tool also takes absl's `--help`, `--helpshort`, `--helpfull`,
`--verbosity` (`-v`), `--logtostderr`, `--alsologtostderr` and `--log_dir`.

`--help` answers before TensorFlow is imported; `import_tensorflow` then imports
it with its C++ start-up lines hidden unless `--verbosity` is 1 or more or
TF_CPP_MIN_LOG_LEVEL is set. A tool's console entry point is
`console_main(argv=None)` returning `run(prog, main, argv)`, the exit status: a
`FlagError` prints one line on stderr and gives 2; a `ValueError`, `OSError`,
`ImportError` or TensorFlow runtime error met later prints one line and gives 1;
an interrupt (Ctrl-C) prints one line and gives 130. Their traceback is shown
too with `--verbosity=1` or more, or with the environment variable
SLIM_TRACEBACK=1. Any other exception is a bug: its traceback is always shown.
"""
import argparse
import collections
import json
import logging
import os
import re
import sys
import tempfile
import textwrap
import traceback

from absl import flags as absl_flags

__all__ = ['REQUIRED', 'Flag', 'FlagError', 'check_at_least', 'dataset_flags', 'help_text',
           'import_tensorflow', 'parse_flags', 'run', 'tool_flags', 'write_json']

# The default of a flag that must be given.
REQUIRED = object()

# The environment variable that TensorFlow's C++ logging reads.
TF_CPP_LOG_LEVEL = 'TF_CPP_MIN_LOG_LEVEL'
# Set to 1, it makes every error of a tool show its Python traceback.
TRACEBACK_VARIABLE = 'SLIM_TRACEBACK'
_tracebacks = {'verbosity': False}  # whether the parsed --verbosity asks for them


class FlagError(ValueError):
  """A flag value a tool cannot work with; the message names the flag and the fix."""


Flag = collections.namedtuple('Flag', ['name', 'default', 'type', 'help', 'choices'],
                              defaults=(None,))

# The flags absl.app and absl.logging give every research/slim tool.
LOGGING_FLAGS = [
    Flag('verbosity', 0, int,
         'logging level: -1 warnings only, 0 progress (INFO), 1 and more also TensorFlow\'s '
         'C++ log lines, hidden otherwise (or set %s=0), and the Python traceback of an error '
         '(or set %s=1); short -v' % (TF_CPP_LOG_LEVEL, TRACEBACK_VARIABLE)),
    Flag('logtostderr', False, bool, 'log to stderr (the tools always do)'),
    Flag('alsologtostderr', False, bool, 'log to stderr as well (the tools always do)'),
    Flag('log_dir', '', str, 'also append the log to <log_dir>/<tool>.log'),
]
HELP_FLAGS = [
    Flag('help', False, bool, 'show this tool\'s flags and exit; short -?'),
    Flag('helpshort', False, bool, 'same as --help'),
    Flag('helpfull', False, bool, 'show all flags, absl\'s logging flags included, and exit'),
]
_SHORT_NAMES = {'verbosity': 'v', 'help': '?'}
_KINDS = {bool: 'true or false', int: 'an integer', float: 'a number', str: 'a string'}


def dataset_flags(split_name, purpose):
  """The flags of the dataset, the network and its preprocessing that the tools share.

  Args:
    split_name: the default of --dataset_split_name.
    purpose: what the split is for ('train', 'evaluate').
  """
  return [
      Flag('dataset_name', 'imagenet', str, 'the dataset (datasets/dataset_factory.py)'),
      Flag('dataset_split_name', split_name, str, 'the split to %s on' % purpose),
      Flag('dataset_dir', None, str, 'the directory of the dataset\'s TFRecords (required)'),
      Flag('labels_offset', 0, int, 'subtracted from the labels (1 for networks without the '
                                    'background class on 1001-class ImageNet)'),
      Flag('model_name', 'inception_v3', str, 'the network (nets/nets_factory.py)'),
      Flag('preprocessing_name', None, str, 'the preprocessing (unset: the network\'s)'),
      Flag('use_grayscale', False, bool, 'a 1-channel network: RGB images are converted to '
                                         'grayscale (1-channel ones are taken as they are)'),
  ]


def check_at_least(values, minimum, names, allow_none=False):
  """Raises a FlagError for the first flag of `names` below `minimum`.

  Args:
    values: {flag name: value}.
    minimum: the least value allowed.
    names: the flags to check.
    allow_none: whether None (unset) is allowed.
  """
  for name in names:
    value = values[name]
    if value is None and allow_none:
      continue
    if value is None or value < minimum:
      raise FlagError('--%s must be at least %s, received %s' % (name, minimum, value))


def defaults(sections):
  """{flag name: default} of a tool's flag sections."""
  return {flag.name: flag.default for _, flags in sections for flag in flags}


def _define(flag_values, flag):
  default = None if flag.default is REQUIRED else flag.default
  short_name = _SHORT_NAMES.get(flag.name)
  if flag.choices:
    absl_flags.DEFINE_enum(flag.name, default, flag.choices, flag.help, flag_values=flag_values,
                           short_name=short_name)
    return
  define = {bool: absl_flags.DEFINE_boolean, int: absl_flags.DEFINE_integer,
            float: absl_flags.DEFINE_float, str: absl_flags.DEFINE_string}[flag.type]
  define(flag.name, default, flag.help, flag_values=flag_values, short_name=short_name)


def _format_default(flag):
  if flag.default is REQUIRED:
    return '(required)'
  if flag.type is bool and flag.default is not None:
    return '(default: %s)' % str(flag.default).lower()
  return '(default: %s)' % ("''" if flag.default == '' else flag.default)


def help_text(prog, description, sections, full=False, positional=None):
  """The text of `--help` (`--helpfull` with `full`): the usage, the description,
  then every flag by section with its default."""
  if full:
    sections = list(sections) + [('logging (absl)', LOGGING_FLAGS), ('help', HELP_FLAGS)]
  usage = 'usage: %s [--flag=value ...]' % prog
  if positional:
    usage += ' %s [%s ...]' % (positional, positional)
  lines = [usage, '', description.strip(), '']
  for title, section in sections:
    lines.append('%s:' % title)
    for flag in section:
      name = '--[no]%s' % flag.name if flag.type is bool else '--%s' % flag.name
      choices = '; one of %s' % ', '.join(flag.choices) if flag.choices else ''
      lines.extend(textwrap.wrap('%s: %s%s %s' % (name, flag.help, choices, _format_default(flag)),
                                 width=100, initial_indent='  ', subsequent_indent='      ',
                                 break_on_hyphens=False, break_long_words=False))
    lines.append('')
  if not full:
    lines.append('--helpfull shows absl\'s logging flags too (--verbosity, --alsologtostderr, '
                 '...); --flagfile=FILE reads flags from FILE.')
  lines.append('An error prints one line and exits with status 1 (2 for a flag); %s=1 adds '
               'its Python traceback.' % TRACEBACK_VARIABLE)
  return '\n'.join(lines).rstrip() + '\n'


def _flag_error(error, sections):
  """A FlagError of one line from absl's parse error."""
  message = str(error).replace('\n', ' ')
  match = re.match(r'flag --(\w+)=(.*?): ', message)
  if match:
    by_name = {flag.name: flag for _, section in sections for flag in section}
    flag = by_name.get(match.group(1))
    if flag is not None:
      expected = ('one of %s' % ', '.join(flag.choices) if flag.choices else
                  _KINDS[flag.type])
      return FlagError('--%s=%s: expected %s' % (flag.name, match.group(2), expected))
  return FlagError(message)


def parse_flags(prog, description, sections, check_flags=None, argv=None, positional=None):
  """The flags of `argv` (default: the command line), parsed by absl.

  Args:
    prog: the command's name.
    description: the text `--help` shows first.
    sections: a list of (title, [Flag, ...]); a Flag whose default is
      `REQUIRED` must be given.
    check_flags: `check_flags(namespace)`, raising FlagError for a value the
      tool cannot work with (default None: no check).
    argv: the arguments after the command's name (default None: sys.argv[1:]).
    positional: the name of the tool's positional arguments, kept as the list
      `namespace.positional`, e.g. 'IMAGE' (default None: none allowed).

  Returns:
    An `argparse.Namespace` of the tool's flags and the logging flags.

  Raises:
    SystemExit: --help, --helpshort or --helpfull (status 0, after printing).
    FlagError: an unknown flag, a value that does not parse, a missing required
      flag, an unexpected positional argument, or what `check_flags` refuses.
  """
  argv = sys.argv[1:] if argv is None else list(argv)
  flag_values = absl_flags.FlagValues()
  every_section = list(sections) + [('logging', LOGGING_FLAGS), ('help', HELP_FLAGS)]
  for _, section in every_section:
    for flag in section:
      _define(flag_values, flag)
  try:
    remaining = flag_values([prog] + argv)[1:]
  except absl_flags.Error as error:
    raise _flag_error(error, every_section) from None
  if flag_values['help'].value or flag_values['helpshort'].value or flag_values['helpfull'].value:
    sys.stdout.write(help_text(prog, description, sections, flag_values['helpfull'].value,
                               positional))
    raise SystemExit(0)
  if remaining and positional is None:
    raise FlagError('unexpected argument %r: flags are spelled --name=value' % remaining[0])
  values = {flag.name: flag_values[flag.name].value
            for _, section in every_section[:-1] for flag in section}
  for _, section in sections:
    for flag in section:
      if flag.default is REQUIRED and values[flag.name] is None:
        raise FlagError('--%s is required: %s' % (flag.name, flag.help))
  namespace = argparse.Namespace(**values)
  _tracebacks['verbosity'] = namespace.verbosity >= 1
  if positional is not None:
    namespace.positional = remaining
  if check_flags is not None:
    check_flags(namespace)
  return namespace


def tool_flags(namespace, sections):
  """{name: value} of the flags of `sections` in `namespace` (no logging flags)."""
  return {flag.name: getattr(namespace, flag.name) for _, section in sections for flag in section}


# What TensorFlow's C++ runtime prints to stderr before its log level applies.
_RUNTIME_LOG = re.compile(r'^(WARNING: All log messages before absl::InitializeLog\(\)|'
                          r'[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\]|'
                          r'To enable the following instructions: .* compiler flags\.).*\n?',
                          re.M)


def import_tensorflow(verbosity=0, prog=None, log_dir=''):
  """Imports TensorFlow for a tool and sets up its logging; returns the module.

  Below verbosity 1, TensorFlow's C++ log lines are hidden: TF_CPP_MIN_LOG_LEVEL
  defaults to 3 and the lines its runtime prints while loading are dropped
  (other output of the import passes). At 1 and more, TF_CPP_MIN_LOG_LEVEL
  defaults to 0. A TF_CPP_MIN_LOG_LEVEL set by the user always wins. Python
  logging goes to stderr at WARNING (verbosity < 0), INFO (0) or DEBUG (> 0),
  and to `<log_dir>/<prog>.log` as well when `log_dir` is given.

  Raises:
    ImportError: TensorFlow is not installed; the message names the extra.
  """
  quiet = verbosity < 1
  if TF_CPP_LOG_LEVEL not in os.environ:
    os.environ[TF_CPP_LOG_LEVEL] = '3' if quiet else '0'
  try:
    if quiet and 'tensorflow' not in sys.modules:
      tf = _import_filtering_stderr()
    else:
      import tensorflow as tf  # pylint: disable=import-outside-toplevel
  except ImportError as error:
    raise ImportError('TensorFlow is not installed (%s); install it with the package: '
                      "pip install 'slim-tf[cpu]' (or 'slim-tf[gpu]' for NVIDIA GPUs)"
                      % error) from None
  logger = tf.get_logger()
  logger.setLevel(logging.WARNING if verbosity < 0 else
                  logging.INFO if verbosity == 0 else logging.DEBUG)
  log_file = os.path.abspath(os.path.join(log_dir, '%s.log' % prog)) if log_dir and prog else None
  if log_file and not any(getattr(handler, 'baseFilename', None) == log_file
                          for handler in logger.handlers):  # once per process
    os.makedirs(log_dir, exist_ok=True)
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
    logger.addHandler(handler)
  return tf


def _import_filtering_stderr():
  """`import tensorflow` with stderr (the file descriptor) captured, then written
  back without the runtime's log lines."""
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import tensorflow as tf  # pylint: disable=import-outside-toplevel
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      captured.seek(0)
      sys.stderr.write(_RUNTIME_LOG.sub('', captured.read().decode('utf-8', 'replace')))
      sys.stderr.flush()
  return tf


def write_json(path, value):
  """Writes `value` as indented JSON to `path` through a temporary name."""
  from slim import _files  # pylint: disable=import-outside-toplevel
  _files.atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + '\n')


def _one_line(prog, error, suffix=''):
  sys.stderr.write('%s: error: %s%s\n' % (prog, ' '.join(str(error).split('\n')), suffix))


def _show_traceback():
  if _tracebacks['verbosity'] or os.environ.get(TRACEBACK_VARIABLE, '0') not in ('', '0'):
    traceback.print_exc()


# The message of a failed tf.debugging.Assert in a runtime error's text.
_ASSERTION = re.compile(r'assertion failed: \[(.+?)\](?: \[\[| \[Op:|$)')


def _op_error_text(error):
  """The message of a TensorFlow runtime error without the Python stack of the
  graph node it names ('Detected at node ... (most recent call last): ...')."""
  kept, in_stack = [], False
  for line in error.message.splitlines():
    if line.startswith('Detected at node'):
      in_stack = True
    elif in_stack and line.startswith('Node:'):
      in_stack = False
    if not in_stack and line.strip() and not line.strip().startswith('[[{{node'):
      kept.append(line.strip())
  return ' '.join(kept)


def run(prog, main, argv=None):
  """Runs `main(argv)` as a console command; returns the exit status.

  0 when `main` returns; 2 on a `FlagError`; 1 on another `ValueError`, an
  `OSError`, an `ImportError` or a TensorFlow runtime error (`tf.errors.OpError`);
  130 on an interrupt. These print one line `prog: error: message` on stderr
  (after their traceback with --verbosity >= 1 or SLIM_TRACEBACK=1); other
  exceptions propagate with their traceback.

  Args:
    prog: the command's name.
    main: `main(argv)` of the tool.
    argv: the flags (default None: the command line).
  """
  _tracebacks['verbosity'] = False
  try:
    main(argv)
  except FlagError as error:
    _show_traceback()
    _one_line(prog, error, ' (see --help)')
    return 2
  except (ValueError, OSError, ImportError) as error:
    _show_traceback()
    _one_line(prog, error)
    return 1
  except KeyboardInterrupt:
    _show_traceback()
    _one_line(prog, 'interrupted')
    return 130
  except Exception as error:  # pylint: disable=broad-except
    tf = sys.modules.get('tensorflow')
    if tf is None or not isinstance(error, tf.errors.OpError):
      raise
    # A fault TensorFlow's runtime met (a corrupt or missing file, a dead peer), or a
    # check of the graph's (tf.debugging.Assert): its message alone.
    _show_traceback()
    text = _op_error_text(error)
    assertion = _ASSERTION.search(text)
    _one_line(prog, assertion.group(1) if assertion else '%s: %s' % (type(error).__name__, text))
    return 1
  return 0
