"""Runs a command-line tool of `slim.tools` from a checkout, as research/slim's
`python train_image_classifier.py ...` did: `python scripts/<tool>.py --flags`."""
import os
import runpy
import sys


def run(script):
  """Runs `slim.tools.<the script's name>` as the main program."""
  checkout = os.path.dirname(os.path.dirname(os.path.abspath(script)))
  sys.path.insert(0, checkout)  # this checkout's slim, installed or not
  tool = os.path.splitext(os.path.basename(script))[0]
  runpy.run_module('slim.tools.' + tool, run_name='__main__', alter_sys=True)
