"""`python scripts/classify_images.py --flags`: the command `classify_images`."""
import _tool

_tool.run(__file__)
