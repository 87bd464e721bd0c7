r"""Downloads a checkpoint research/slim published, by name, and prints its path.

    python scripts/download_checkpoint.py --list
    python scripts/download_checkpoint.py --name=inception_v3
    python scripts/train_image_classifier.py --model_name=inception_v3 \
        --checkpoint_path=$(python scripts/download_checkpoint.py --name=inception_v3) ...

The checkpoint is extracted to CACHE_DIR/checkpoints/NAME/ (CACHE_DIR:
--cache_dir, else $SLIM_CACHE_DIR, else ~/.cache/slim); a second run finds it
there without the network, and a run after an interrupted download resumes it.
Progress goes to stderr, the checkpoint path (for --checkpoint_path) to stdout.
SLIM_CHECKPOINT_MIRROR=<base url> downloads <base url>/<file name> instead of
the published URL.
"""
import os
import sys

if __package__ in (None, ''):  # run as a file: make the repository importable
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position
# No TensorFlow here: --help and flag errors answer before it loads (see main).
from slim.tools import _cli

__all__ = ['FLAGS', 'console_main', 'format_table', 'main']

PROG = 'download_checkpoint'

FLAGS = [('checkpoint', [
    _cli.Flag('name', '', str, 'the checkpoint to download (see --list)'),
    _cli.Flag('list', False, bool, 'print the published checkpoints and stop'),
    _cli.Flag('cache_dir', '', str,
              "the cache's root ('': $SLIM_CACHE_DIR, else ~/.cache/slim)"),
])]


def check_flags(flags):
  """Refuses flags that do not say one thing to do."""
  if bool(flags.name) == bool(flags.list):
    raise _cli.FlagError('give either --name=<checkpoint> or --list')


def _check_name(pretrained, name):
  """Refuses a name that is neither a table name nor an alias."""
  known = list(pretrained.CHECKPOINTS) + list(pretrained.ALIASES)
  if name not in known:
    from slim import _checks  # pylint: disable=import-outside-toplevel
    raise _cli.FlagError('--name=%s is not a published checkpoint.%s (--list shows them)'
                         % (name, _checks.did_you_mean(name, known)))


def _number(value):
  return '-' if value is None else '%.1f' % value


def format_table():
  """The table --list prints: a header, a line per checkpoint, then the aliases."""
  from slim.nets import pretrained  # pylint: disable=import-outside-toplevel
  rows = [('name', 'network', 'classes', 'offset', 'size', 'top-1')]
  rows += [(row.name, row.network, str(row.num_classes), str(row.labels_offset),
            str(row.image_size), _number(row.top1)) for row in pretrained.CHECKPOINTS.values()]
  widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
  lines = ['  '.join(cell.ljust(width) if column < 2 else cell.rjust(width)
                     for column, (cell, width) in enumerate(zip(row, widths))).rstrip()
           for row in rows]
  lines.append('aliases: ' + ', '.join('%s = %s' % pair for pair in pretrained.ALIASES.items()))
  return '\n'.join(lines)


def main(argv=None):
  """Parses the flags of `argv` (default: the command line); prints the table, or
  downloads the checkpoint and prints its path.

  Returns:
    The checkpoint path, or None with --list.
  """
  flags = _cli.parse_flags(PROG, __doc__, FLAGS, check_flags, argv)
  # slim.nets imports TensorFlow (pretrained itself does not): quietly, as the tools do.
  _cli.import_tensorflow(flags.verbosity, PROG, flags.log_dir)
  from slim.nets import pretrained  # pylint: disable=import-outside-toplevel
  if flags.list:
    print(format_table())
    return None
  _check_name(pretrained, flags.name)
  path = pretrained.download(flags.name, cache_dir=os.path.expanduser(flags.cache_dir) or None)
  print(path)
  return path


def console_main(argv=None):
  """The `download_checkpoint` command; returns its exit status (a failed
  download: one line, status 1)."""
  return _cli.run(PROG, main, argv)


if __name__ == '__main__':
  sys.exit(console_main())
