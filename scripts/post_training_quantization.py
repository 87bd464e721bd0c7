"""`python scripts/post_training_quantization.py --flags`: the command
`post_training_quantization`."""
import _tool

_tool.run(__file__)
