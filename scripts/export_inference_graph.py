"""`python scripts/export_inference_graph.py --flags`: the command `export_inference_graph`."""
import _tool

_tool.run(__file__)
