"""Command-line plumbing of the tools: flag tables, one-line errors, exit codes.

A tool declares its flags as data, sections of `Flag(name, default, type, help)`;
`make_parser` turns them into an argparse parser whose `--help` states every
default. Flags are spelled as research/slim's `tf.app.flags` spelled them:
`--name=value` or `--name value`, and for booleans also `--name` and
`--noname`. `run` calls a tool's `main` for the console: a `FlagError` (or a
parse error) prints one line on stderr and exits with 2, a `ValueError` or
`OSError` met later prints one line and exits with 1; no traceback either way.
"""
import argparse
import collections
import json
import os
import sys

import tensorflow as tf

__all__ = ['Flag', 'FlagError', 'boolean', 'defaults', 'make_parser', 'run', 'write_json']


class FlagError(ValueError):
  """A flag value a tool cannot work with; the message names the flag and the fix."""


Flag = collections.namedtuple('Flag', ['name', 'default', 'type', 'help'])


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


class _HelpFormatter(argparse.RawDescriptionHelpFormatter,
                     argparse.ArgumentDefaultsHelpFormatter):
  """The description as written, and '(default: ...)' after every flag's help."""


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
      `--name`, `--name=true|false` and `--noname`.

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
        group.add_argument('--' + flag.name, type=flag.type, default=flag.default,
                           metavar=flag.type.__name__.upper(), help=flag.help)
  return parser


def write_json(path, value):
  """Writes `value` as indented JSON to `path` through a temporary name."""
  temporary = '%s.tmp%d' % (path, os.getpid())
  with tf.io.gfile.GFile(temporary, 'w') as f:
    f.write(json.dumps(value, indent=2, sort_keys=True) + '\n')
  tf.io.gfile.rename(temporary, path, overwrite=True)


def run(prog, main, argv=None):
  """Runs `main(argv)` as a console command; returns the exit status.

  0 when `main` returns; 2 on a `FlagError`; 1 on another `ValueError` or an
  `OSError`. Errors are printed as one line `prog: error: message` on stderr.
  """
  try:
    main(argv)
  except FlagError as error:
    sys.stderr.write('%s: error: %s\n' % (prog, error))
    return 2
  except (ValueError, OSError) as error:
    sys.stderr.write('%s: error: %s\n' % (prog, error))
    return 1
  return 0
