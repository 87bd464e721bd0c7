"""Flag parsing shared by the command-line tools (argparse, with absl-style booleans)."""
import argparse

__all__ = ['add_boolean', 'boolean']


def boolean(text):
  """An argparse type: 1/true/yes/on and 0/false/no/off, in any case."""
  value = text.lower()
  if value in ('1', 'true', 'yes', 'on'):
    return True
  if value in ('0', 'false', 'no', 'off'):
    return False
  raise argparse.ArgumentTypeError('expected true or false, received %r' % text)


def add_boolean(parser, name, help_text, default=False):
  """Adds `--name`, `--name=true|false` and `--noname` (hidden), as absl flags take them."""
  parser.add_argument('--' + name, type=boolean, nargs='?', const=True, default=default,
                      metavar='BOOL', help=help_text)
  parser.add_argument('--no' + name, dest=name, action='store_false', help=argparse.SUPPRESS)
