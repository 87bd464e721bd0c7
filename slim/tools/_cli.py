"""Command-line plumbing of the tools: flag tables, one-line errors, exit codes.

A tool declares its flags as data, sections of
`Flag(name, default, type, help, choices=None)`; `make_parser` turns them into
an argparse parser whose `--help` states every default. Flags are spelled as
research/slim's `tf.app.flags` spelled them: `--name=value` or `--name value`,
and for booleans also `--name` and `--noname`. A tool's console entry point is
`console_main(argv=None)` returning `run(prog, main, argv)`, the exit status: a
`FlagError` (or a parse error) prints one line on stderr and gives 2; a
`ValueError`, `OSError` or `ImportError` met later prints one line and gives 1;
no traceback either way. TensorFlow is not imported here, so that `--help` and
flag errors answer at once.
"""
import argparse
import collections
import json
import sys

__all__ = ['REQUIRED', 'Flag', 'FlagError', 'boolean', 'defaults', 'make_parser', 'parse_flags',
           'run', 'write_json']

# The default of a flag that must be given.
REQUIRED = object()


class FlagError(ValueError):
  """A flag value a tool cannot work with; the message names the flag and the fix."""


Flag = collections.namedtuple('Flag', ['name', 'default', 'type', 'help', 'choices'],
                              defaults=(None,))


def boolean(text):
  """'true', '1', 'yes', 'on' -> True; 'false', '0', 'no', 'off' -> False."""
  value = str(text).lower()
  if value in ('1', 'true', 'yes', 'on'):
    return True
  if value in ('0', 'false', 'no', 'off'):
    return False
  raise argparse.ArgumentTypeError('expected true or false, received %r' % text)


def defaults(sections):
  """{flag name: default} of a tool's flag sections."""
  return {flag.name: flag.default for _, flags in sections for flag in flags}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
  """The description as written, and '(default: ...)' or '(required)' after every
  flag's help ('' shown as '')."""

  def _get_help_string(self, action):
    if action.default is argparse.SUPPRESS:
      return action.help
    if action.required:
      return action.help + ' (required)'
    return '%s (default: %s)' % (action.help, "''" if action.default == '' else action.default)


class _Parser(argparse.ArgumentParser):
  """An argparse parser whose errors are one line: 'prog: error: message'."""

  def error(self, message):
    self.exit(2, '%s: error: %s (see --help)\n' % (self.prog, message))


def make_parser(prog, description, sections):
  """The parser of a tool.

  Args:
    prog: the command's name.
    description: the text `--help` shows first.
    sections: a list of (title, [Flag, ...]); a Flag of type `bool` accepts
      `--name`, `--name=true|false` and `--noname`; one whose default is
      `REQUIRED` must be given.

  Returns:
    An `argparse.ArgumentParser`.
  """
  parser = _Parser(prog=prog, usage='%(prog)s [--flag=value ...]', description=description,
                   formatter_class=_HelpFormatter)
  for title, flags in sections:
    group = parser.add_argument_group(title)
    for flag in flags:
      if flag.type is bool:
        group.add_argument('--' + flag.name, type=boolean, nargs='?', const=True,
                           default=flag.default, metavar='BOOL',
                           help=flag.help + '; --no%s sets it to false' % flag.name)
        group.add_argument('--no' + flag.name, dest=flag.name, action='store_false',
                           default=flag.default, help=argparse.SUPPRESS)
      else:
        default = ({'required': True} if flag.default is REQUIRED else
                   {'default': flag.default})
        group.add_argument('--' + flag.name, type=flag.type, choices=flag.choices,
                           metavar=flag.type.__name__.upper(), help=flag.help, **default)
  return parser


def parse_flags(prog, description, sections, check_flags, argv=None):
  """The flags of `argv` (default: the command line), checked by `check_flags`.

  Returns:
    An `argparse.Namespace`.

  Raises:
    SystemExit: a flag that does not parse (status 2, one line on stderr).
    FlagError: a value `check_flags(namespace)` refuses.
  """
  flags = make_parser(prog, description, sections).parse_args(argv)
  check_flags(flags)
  return flags


def write_json(path, value):
  """Writes `value` as indented JSON to `path` through a temporary name."""
  from slim import _files  # pylint: disable=import-outside-toplevel
  _files.atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + '\n')


def _one_line(prog, error, suffix=''):
  sys.stderr.write('%s: error: %s%s\n' % (prog, ' '.join(str(error).split('\n')), suffix))


def run(prog, main, argv=None):
  """Runs `main(argv)` as a console command; returns the exit status.

  0 when `main` returns; 2 on a `FlagError` (as for a flag that does not parse);
  1 on another `ValueError`, an `OSError` or an `ImportError`. Errors are printed
  as one line `prog: error: message` on stderr.

  Args:
    prog: the command's name.
    main: `main(argv)` of the tool.
    argv: the flags (default None: the command line).
  """
  try:
    main(argv)
  except FlagError as error:
    _one_line(prog, error, ' (see --help)')
    return 2
  except (ValueError, OSError, ImportError) as error:
    _one_line(prog, error)
    return 1
  return 0
