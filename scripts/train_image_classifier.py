"""`python scripts/train_image_classifier.py --flags`: the command `train_image_classifier`."""
import _tool

_tool.run(__file__)
