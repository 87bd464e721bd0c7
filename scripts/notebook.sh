#!/usr/bin/env bash
# Runs slim_walkthrough.ipynb top to bottom in a fresh kernel and saves it in place
# with its outputs (the plots show where the repository is browsed). Uses .venv-test,
# set up as scripts/test.sh does when it lacks the notebook's packages. Seeds are
# fixed; volatile metadata (cell timings, the kernel and its versions) is not saved.
# The notebook is left unchanged when a cell fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=.venv-test/bin/python
if ! "$PYTHON" -c 'import nbclient, nbformat, ipykernel, matplotlib, sklearn' 2>/dev/null; then
  python3 -m venv .venv-test
  "$PYTHON" -m pip install -q --upgrade pip
  "$PYTHON" -m pip install -q -e '.[test]'
fi
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
unset MPLBACKEND  # the kernel's inline backend draws the plots as PNG outputs
"$PYTHON" - slim_walkthrough.ipynb <<'EOF'
import copy
import os
import sys
import tempfile
import time

import nbclient
import nbformat
from ipykernel import kernelspec

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
metadata = copy.deepcopy(notebook.metadata)  # nbclient adds the kernel's language_info
start = time.time()
with tempfile.TemporaryDirectory() as jupyter_dir:
  # A kernel of this interpreter, known to this run only.
  kernelspec.write_kernel_spec(path=os.path.join(jupyter_dir, 'kernels', 'slim-notebook'))
  # TensorFlow's C++ start-up lines (pids, times) go to this terminal, not into the notebook.
  profile = os.path.join(jupyter_dir, 'ipython', 'profile_default')
  os.makedirs(profile)
  with open(os.path.join(profile, 'ipython_kernel_config.py'), 'w') as f:
    f.write('c.IPKernelApp.capture_fd_output = False\n')
  os.environ.update(JUPYTER_PATH=jupyter_dir, IPYTHONDIR=os.path.join(jupyter_dir, 'ipython'),
                    JUPYTER_RUNTIME_DIR=os.path.join(jupyter_dir, 'runtime'))
  nbclient.NotebookClient(notebook, kernel_name='slim-notebook', timeout=600,
                          record_timing=False, coalesce_streams=True,
                          resources={'metadata': {'path': os.getcwd()}}).execute()
notebook.metadata = metadata
for cell in notebook.cells:
  cell.metadata.pop('execution', None)
nbformat.validate(notebook)
nbformat.write(notebook, path)
images = sum('image/png' in output.get('data', {}) for cell in notebook.cells
             for output in cell.get('outputs', []))
print('%s: ran in %.0f s; %d plots; %.0f KB'
      % (path, time.time() - start, images, os.path.getsize(path) / 1024))
EOF
