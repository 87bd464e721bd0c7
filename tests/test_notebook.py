"""slim_walkthrough.ipynb is committed with the outputs of one run (its plots show
where the repository is browsed; scripts/notebook.sh regenerates them), runs top to
bottom, and measures what its text says.

The notebook runs in a fresh kernel of this interpreter: a kernel spec written
into a temporary JUPYTER_PATH (nothing is installed for the user), a temporary
working directory, the repository on PYTHONPATH, matplotlib's Agg backend. A
cell appended to the copy being run prints the notebook's results as JSON, and
the test checks them. One test runs the notebook once (about a minute on 2
cores), so that pytest-xdist never runs it twice.
"""
import json
import os
import sys

import pytest

from tests.conftest import REPO

NOTEBOOK = os.path.join(REPO, 'slim_walkthrough.ipynb')
KERNEL_NAME = 'slim-walkthrough-python'
RESULTS_MARKER = 'WALKTHROUGH_RESULTS '
CELL_TIMEOUT_SECS = 600
MAX_NOTEBOOK_BYTES = 1 << 20

# Appended to the notebook: its variables, as JSON on one line.
RESULTS_CELL = r'''
import json
print(%r + json.dumps({
    'eager_names_match': eager_names_match,
    'graph_variable_names': graph_variable_names,
    'regression_losses': [float(regression_losses[0]), float(regression_losses[-1]),
                          len(regression_losses)],
    'regression_metrics': regression_metrics,
    'regression_metrics_tf2': regression_metrics_tf2,
    'class_counts': class_counts.tolist(),
    'pretraining_step': pretraining.step,
    'pretrain_metrics': dict(pretrain_metrics),
    'mobilenet_max_difference': mobilenet_max_difference,
    'photo_probabilities': [float(photo_probabilities.min()),
                            float(photo_probabilities.max())],
    'graph_report': [graph_init_fn.report.restored, dict(graph_init_fn.report.skipped)],
    'finetune_report': [finetune_report.restored, dict(finetune_report.skipped)],
    'head_variables': [variable.name for variable in head_variables],
    'finetuning_step': finetuning.step,
    'frozen_unchanged': frozen_unchanged,
    'finetune_metrics': dict(finetune_metrics),
    'work_dir_left': os.path.exists(WORK_DIR),
}))
''' % RESULTS_MARKER

LENET_BODY = ['LeNet/conv1/weights', 'LeNet/conv1/biases', 'LeNet/conv2/weights',
              'LeNet/conv2/biases', 'LeNet/fc3/weights', 'LeNet/fc3/biases']
LENET_HEAD = ['LeNet/fc4/weights', 'LeNet/fc4/biases']


def _kernel_environment(monkeypatch, tmp_path):
  """A kernel spec for this interpreter and the environment the kernel inherits."""
  kernelspec = pytest.importorskip('ipykernel.kernelspec')
  jupyter_path = tmp_path / 'jupyter'
  kernelspec.write_kernel_spec(path=jupyter_path / 'kernels' / KERNEL_NAME,
                               overrides={'display_name': 'slim walkthrough (%s)'
                                                          % sys.executable})
  python_path = os.pathsep.join(filter(None, [REPO, os.environ.get('PYTHONPATH')]))
  for name, value in [('JUPYTER_PATH', str(jupyter_path)),
                      ('JUPYTER_RUNTIME_DIR', str(tmp_path / 'runtime')),
                      ('IPYTHONDIR', str(tmp_path / 'ipython')),
                      ('PYTHONPATH', python_path), ('MPLBACKEND', 'Agg'),
                      ('TF_CPP_MIN_LOG_LEVEL', '2')]:
    monkeypatch.setenv(name, value)


def _results(executed):
  """The JSON the appended cell printed."""
  text = ''.join(output.get('text', '') for output in executed.cells[-1].outputs
                 if output.get('output_type') == 'stream')
  lines = [line for line in text.splitlines() if line.startswith(RESULTS_MARKER)]
  assert len(lines) == 1, 'the results cell printed %r' % text
  return json.loads(lines[0][len(RESULTS_MARKER):])


def test_notebook_is_committed_with_the_outputs_of_one_run():
  nbformat = pytest.importorskip('nbformat')
  notebook = nbformat.read(NOTEBOOK, as_version=4)
  nbformat.validate(notebook)
  code_cells = [cell for cell in notebook.cells if cell.cell_type == 'code']
  assert len(code_cells) > 20
  # Every cell ran, once, top to bottom, without an error.
  assert [cell.execution_count for cell in code_cells] == list(range(1, len(code_cells) + 1))
  outputs = [output for cell in code_cells for output in cell.outputs]
  assert not [output for output in outputs if output.output_type == 'error']
  # Nothing on stderr (TensorFlow's C++ start-up lines stay out of the notebook).
  assert not [output.text for output in outputs if output.get('name') == 'stderr']
  # The plots, as PNG images; the whole notebook stays small.
  assert sum('image/png' in output.get('data', {}) for output in outputs) >= 5
  assert os.path.getsize(NOTEBOOK) < MAX_NOTEBOOK_BYTES
  # No volatile metadata: no cell timings, the generic kernel, no versions.
  assert not [cell.metadata for cell in code_cells if 'execution' in cell.metadata]
  assert notebook.metadata.kernelspec.name == 'python3'
  assert notebook.metadata.language_info == {'name': 'python'}


def test_notebook_runs_top_to_bottom(monkeypatch, tmp_path):
  nbformat = pytest.importorskip('nbformat')
  nbclient = pytest.importorskip('nbclient')
  pytest.importorskip('matplotlib')
  pytest.importorskip('sklearn')
  _kernel_environment(monkeypatch, tmp_path)
  run_dir = tmp_path / 'run'
  run_dir.mkdir()

  notebook = nbformat.read(NOTEBOOK, as_version=4)
  notebook.cells.append(nbformat.v4.new_code_cell(RESULTS_CELL))
  client = nbclient.NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT_SECS,
                                   resources={'metadata': {'path': str(run_dir)}})
  executed = client.execute()  # raises CellExecutionError on the first failing cell
  results = _results(executed)

  # 1. The MLP: graph-mode and eager variables have the same names.
  assert results['graph_variable_names'] == [
      'sine_regressor/%s/%s' % (layer, kind) for layer in ('fc1', 'fc2', 'predictions')
      for kind in ('weights', 'biases')]
  assert results['eager_names_match'] is True

  # 2. Regression: the loss fell; the test error is near the noise variance (0.04), and the
  # TF2 streaming metric over the graph-mode checkpoint agrees with evaluate_once.
  first_loss, last_loss, steps = results['regression_losses']
  assert steps == 2000 and last_loss < 0.2 * first_loss
  graph_metrics, tf2_metrics = results['regression_metrics'], results['regression_metrics_tf2']
  assert 0.02 < graph_metrics['mean_squared_error'] < 0.1
  assert graph_metrics['mean_absolute_error'] < 0.3
  for name, value in graph_metrics.items():
    assert tf2_metrics[name] == pytest.approx(value, rel=1e-5)

  # 3. The digits: every training example read once, 10 classes.
  assert sum(results['class_counts']) == 1500 and min(results['class_counts']) > 100

  # 4. LeNet on the digits 0-4.
  assert results['pretraining_step'] == 300
  assert results['pretrain_metrics']['accuracy'] > 0.9
  assert results['pretrain_metrics']['recall_at_2'] >= results['pretrain_metrics']['accuracy']

  # 5. MobileNet (random weights) from its checkpoint in a graph gives the eager outputs.
  assert results['mobilenet_max_difference'] < 1e-5
  assert results['photo_probabilities'] == pytest.approx([1 / 1001, 1 / 1001], rel=1e-3)

  # Fine-tuning: the body restored, the head skipped as excluded, only the head trained.
  for restored, skipped in (results['graph_report'], results['finetune_report']):
    assert restored == LENET_BODY
    assert {name: reason for name, reason in skipped.items() if name in LENET_HEAD} == {
        name: "excluded by --checkpoint_exclude_scopes 'LeNet/fc4'" for name in LENET_HEAD}
  assert list(results['finetune_report'][1]) == LENET_HEAD  # eagerly, only model variables
  assert results['head_variables'] == [name + ':0' for name in LENET_HEAD]
  assert results['finetuning_step'] == 150
  assert results['frozen_unchanged'] is True
  assert results['finetune_metrics']['accuracy'] > 0.8

  # Nothing left behind: the notebook's directory removed, the working directory empty.
  assert results['work_dir_left'] is False
  assert not os.listdir(run_dir)
