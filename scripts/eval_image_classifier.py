"""`python scripts/eval_image_classifier.py --flags`: the command `eval_image_classifier`."""
import _tool

_tool.run(__file__)
