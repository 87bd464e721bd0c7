"""`python scripts/download_and_convert_data.py --flags`: the command `download_and_convert_data`."""
import _tool

_tool.run(__file__)
