"""research/slim's `python nets/post_training_quantization.py --flags`, from a checkout:
the command `post_training_quantization` (slim/tools/post_training_quantization.py)."""
import os
import runpy
import sys

if __name__ == '__main__':
  _HERE = os.path.dirname(os.path.abspath(__file__))
  # The checkout first; this folder, first on the path as the script's, holds no modules.
  sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p) != _HERE]
  runpy.run_module('slim.tools.post_training_quantization', run_name='__main__',
                   alter_sys=True)
