"""`python scripts/download_checkpoint.py --flags`: the command `download_checkpoint`."""
import _tool

_tool.run(__file__)
