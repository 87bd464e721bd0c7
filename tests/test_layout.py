"""The layout contract: one installed import package, `slim`; the core never imports
the image-models library; research/slim's paths work from a checkout; the wheel's
metadata (license, classifiers, and dependencies that match what slim imports)."""
import ast
import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
import zipfile

import pytest

from tests.conftest import REPO

LIBRARY = ('nets', 'datasets', 'preprocessing', 'deployment', 'tools')
# The distribution that provides each third-party module slim imports.
DISTRIBUTIONS = {'absl': 'absl-py', 'ai_edge_litert': 'ai-edge-litert', 'numpy': 'numpy',
                 'sklearn': 'scikit-learn', 'tensorflow': 'tensorflow'}
TENSORFLOW_EXTRAS = {'cpu': 'tensorflow-cpu', 'gpu': 'tensorflow'}
TOOLS = ('download_and_convert_data', 'train_image_classifier', 'eval_image_classifier',
         'export_inference_graph', 'classify_images', 'download_checkpoint',
         'post_training_quantization')


def _python(code, cwd=REPO, timeout=300, python=sys.executable, env=None):
  """Runs `code` in a fresh interpreter; returns the completed process."""
  return subprocess.run([python, '-c', textwrap.dedent(code)], cwd=cwd, capture_output=True,
                        text=True, timeout=timeout,
                        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', **(env or {})))


def _core_modules():
  """The dotted names of the core's modules: slim/ less the library packages."""
  names = []
  root = os.path.join(REPO, 'slim')
  for directory, subdirectories, files in os.walk(root):
    relative = os.path.relpath(directory, REPO)
    parts = relative.split(os.sep)
    if len(parts) > 1 and parts[1] in LIBRARY or '__pycache__' in parts:
      subdirectories[:] = []
      continue
    for name in sorted(files):
      if name.endswith('.py'):
        module = parts + ([] if name == '__init__.py' else [name[:-3]])
        names.append('.'.join(module))
  return names


def _imported_names(path):
  """The absolute module names a source file imports (`from a import b` gives a and a.b)."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        yield alias.name
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
      yield node.module
      for alias in node.names:
        yield node.module + '.' + alias.name


def test_core_sources_import_no_library_package():
  library = tuple('slim.' + package for package in LIBRARY)
  offenders = []
  for module in _core_modules():
    path = os.path.join(REPO, *module.split('.'))
    path = os.path.join(path, '__init__.py') if os.path.isdir(path) else path + '.py'
    offenders += ['%s imports %s' % (module, name) for name in _imported_names(path)
                  if name.startswith(library) and name.split('.')[1] in LIBRARY]
  assert not offenders, offenders
  assert 'slim.layers.convolutional' in _core_modules() and 'slim.learning' in _core_modules()


def test_importing_every_core_module_loads_no_library_module():
  result = _python('''
      import importlib, sys
      for name in %r:
        importlib.import_module(name)
      library = sorted(m for m in sys.modules if m.split('.')[:2][-1] in %r and
                       m.startswith('slim.'))
      print('library:', library)
  ''' % (_core_modules(), LIBRARY))
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip() == 'library: []'


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
  """The wheel `pip wheel .` builds from this checkout's sources (without
  dependencies), copied first: pip builds in the source tree, and pytest-xdist
  workers each build one."""
  out = tmp_path_factory.mktemp('wheel')
  source = tmp_path_factory.mktemp('source')
  for name in ('setup.py', 'setup.cfg', 'README.md', 'LICENSE'):
    shutil.copy(os.path.join(REPO, name), str(source))
  shutil.copytree(os.path.join(REPO, 'slim'), str(source / 'slim'),
                  ignore=shutil.ignore_patterns('__pycache__'))
  result = subprocess.run(
      [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
       '-w', str(out), str(source)], cwd=str(source), capture_output=True, text=True,
      timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  (path,) = [str(p) for p in out.iterdir() if p.suffix == '.whl']
  return zipfile.ZipFile(path)


def _dist_info(wheel, name):
  (path,) = [n for n in wheel.namelist() if n.endswith('.dist-info/' + name)]
  return wheel.read(path).decode('utf-8')


def test_wheel_holds_one_top_level_package_slim(wheel):
  top_level = {name.split('/')[0] for name in wheel.namelist()}
  assert {name for name in top_level if not name.endswith('.dist-info')} == {'slim'}
  names = set(wheel.namelist())
  for package in ('nets', 'datasets', 'preprocessing', 'deployment', 'tools'):
    assert 'slim/%s/__init__.py' % package in names
  assert 'slim/nets/nets_factory.py' in names and 'slim/tools/export_lib.py' in names


def _metadata(wheel):
  return email.parser.Parser().parsestr(_dist_info(wheel, 'METADATA'))


def test_wheel_metadata_names_the_distribution_and_python(wheel):
  metadata = _metadata(wheel)
  assert metadata['Name'] == 'slim-tf'
  assert metadata['Requires-Python'] == '>=3.10'  # as TensorFlow 2.21's wheels
  versions = [c.rsplit(' :: ', 1)[1] for c in metadata.get_all('Classifier')
              if re.match(r'Programming Language :: Python :: 3\.\d+$', c)]
  assert versions == ['3.10', '3.11', '3.12', '3.13']


def test_wheel_is_apache_2_licensed_with_the_license_text(wheel):
  metadata = _metadata(wheel)
  assert metadata['License'] == 'Apache-2.0'
  classifiers = metadata.get_all('Classifier')
  assert 'License :: OSI Approved :: Apache Software License' in classifiers
  for prefix in ('Development Status :: ', 'Intended Audience :: ',
                 'Topic :: Scientific/Engineering :: Artificial Intelligence',
                 'Operating System :: OS Independent'):
    assert any(c.startswith(prefix) for c in classifiers), prefix
  assert metadata.get_all('License-File') == ['LICENSE']
  (path,) = [n for n in wheel.namelist() if re.search(r'\.dist-info/(licenses/)?LICENSE$', n)]
  with open(os.path.join(REPO, 'LICENSE'), 'rb') as f:
    text = f.read()
  assert wheel.read(path) == text
  assert b'Apache License' in text and b'Version 2.0, January 2004' in text


def _requirements(metadata):
  """{extra or None: {distribution names}} of the Requires-Dist fields."""
  requirements = {}
  for line in metadata.get_all('Requires-Dist'):
    name = re.match(r'[A-Za-z0-9._-]+', line).group(0).lower().replace('_', '-')
    extra = re.search(r'extra == "([^"]+)"', line)
    requirements.setdefault(extra and extra.group(1), set()).add(name)
  return requirements


def _third_party_imports():
  """{top-level module: 'module' if some file under slim/ imports it at module level,
  else 'function'} of the imports of modules outside slim and the standard library."""
  found = {}

  def visit(node, in_function):
    for child in ast.iter_child_nodes(node):
      names = []
      if isinstance(child, ast.Import):
        names = [alias.name for alias in child.names]
      elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
        names = [child.module]
      for name in names:
        top = name.split('.')[0]
        if top != 'slim' and top not in sys.stdlib_module_names:
          found[top] = 'function' if in_function and found.get(top) != 'module' else 'module'
      visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

  for directory, subdirectories, files in os.walk(os.path.join(REPO, 'slim')):
    subdirectories[:] = [d for d in subdirectories if d != '__pycache__']
    for name in files:
      if name.endswith('.py'):
        path = os.path.join(directory, name)
        with open(path) as f:
          visit(ast.parse(f.read(), path), False)
  return found


def test_wheel_requires_what_slim_imports(wheel):
  """install_requires is what slim's modules import besides TensorFlow, no more; the
  cpu and gpu extras bring TensorFlow and TensorBoard; modules imported only inside
  functions (scikit-learn, for the digits) may come from an extra."""
  requirements = _requirements(_metadata(wheel))
  imports = _third_party_imports()
  unknown = set(imports) - set(DISTRIBUTIONS)
  assert not unknown, 'declare these in setup.py, then in DISTRIBUTIONS: %s' % unknown
  assert {'numpy', 'tensorflow', 'absl'} <= set(imports)
  assert requirements[None] == {DISTRIBUTIONS[m] for m in imports if m != 'tensorflow'
                                and imports[m] == 'module'}
  for extra, tensorflow in TENSORFLOW_EXTRAS.items():
    assert {tensorflow, 'tensorboard'} <= requirements[extra], extra
  declared = set().union(*requirements.values())
  assert {DISTRIBUTIONS[m] for m in imports} - {'tensorflow'} <= declared
  assert 'scikit-learn' in requirements['digits']


def test_wheel_console_commands_are_the_slim_tools(wheel):
  entry_points = _dist_info(wheel, 'entry_points.txt')
  for tool in TOOLS:
    assert '%s = slim.tools.%s:console_main' % (tool, tool) in entry_points


def test_missing_tensorflow_names_the_distribution():
  result = _python('''
      import sys
      sys.modules['tensorflow'] = None  # makes `import tensorflow` fail
      try:
        import slim
        slim.conv2d  # the core loads TensorFlow on first use
      except ImportError as error:
        print(error)
  ''')
  assert "pip install 'slim-tf[cpu]'" in result.stdout, result.stderr[-2000:]


RESEARCH_SLIM_IMPORTS = '''
    import os, sys
    from nets import nets_factory
    from nets import inception, resnet_v1, vgg
    import nets.mobilenet_v1
    from nets.mobilenet import mobilenet_v2
    from nets.nasnet import nasnet
    from datasets import dataset_factory, dataset_utils
    import datasets.flowers
    from preprocessing import preprocessing_factory, inception_preprocessing
    from deployment import model_deploy
    import slim.nets, slim.datasets, slim.preprocessing, slim.deployment
    import slim.nets.vgg, slim.nets.mobilenet.mobilenet_v2

    assert nets_factory is slim.nets.nets_factory and vgg is slim.nets.vgg
    assert sys.modules['nets'] is slim.nets and sys.modules['datasets'] is slim.datasets
    assert mobilenet_v2 is slim.nets.mobilenet.mobilenet_v2
    assert model_deploy.__name__ == 'slim.deployment.model_deploy'
    assert vgg.__spec__.name == 'slim.nets.vgg'
    assert nets_factory.get_network_fn('vgg_16', 10).__name__ == 'vgg_16'
    aliases = [name for name in sys.modules
               if name.split('.')[0] in ('nets', 'datasets', 'preprocessing', 'deployment')]
    assert {'nets.mobilenet', 'nets.mobilenet_v1', 'datasets.flowers'} <= set(aliases)
    for name in aliases:
      assert sys.modules[name] is sys.modules['slim.' + name], name
    modules_by_file = {}
    package = os.path.dirname(slim.__file__)
    for module in list(sys.modules.values()):
      path = getattr(module, '__file__', None)
      if path and path.startswith(package):
        modules_by_file.setdefault(path, set()).add(id(module))
    copies = [path for path, ids in modules_by_file.items() if len(ids) > 1]
    assert not copies, copies
    print('one module object per module')
'''


def test_research_slim_paths_from_a_checkout_are_the_slim_modules():
  result = _python(RESEARCH_SLIM_IMPORTS, env={'PYTHONPATH': REPO})
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip() == 'one module object per module'


def test_checkout_paths_are_not_in_the_wheel(wheel):
  names = set(wheel.namelist())
  assert not {'nets/__init__.py', 'datasets/__init__.py', 'scripts/_tool.py'} & names


@pytest.mark.parametrize('tool', TOOLS)
def test_scripts_run_the_tools_from_a_checkout(tool, tmp_path):
  """`python scripts/<tool>.py`, as research/slim's `python <tool>.py`, from any directory."""
  script = os.path.join(REPO, 'scripts', tool + '.py')
  result = subprocess.run([sys.executable, script, '--help'], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'usage: %s' % tool in result.stdout


def test_script_reports_a_wrong_flag_in_one_line(tmp_path):
  script = os.path.join(REPO, 'scripts', 'download_and_convert_data.py')
  result = subprocess.run([sys.executable, script, '--dataset_name=flower',
                           '--dataset_dir=' + str(tmp_path)], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode != 0
  assert result.stderr.strip().splitlines()[-1] == (
      "download_and_convert_data: error: --dataset_name: Unknown dataset 'flower'. Did you "
      "mean 'flowers'? Known: cifar10, digits, flowers, image_folder, imagenet, mnist, "
      "visualwakewords (see --help)")
  assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_installs_beside_hugging_face_datasets_in_a_fresh_venv(tmp_path):
  """pip install .[cpu], then pip install datasets (needs the package index): both
  packages work, site-packages holds no top-level package of ours but slim, and the
  TensorBoard of the cpu extra serves an event file's scalars."""
  venv = tmp_path / 'venv'
  subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=300)
  python = str(venv / 'bin' / 'python')

  def pip(*arguments):
    result = subprocess.run([python, '-m', 'pip', 'install', '-q'] + list(arguments),
                            cwd=str(tmp_path), capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]

  pip(REPO + '[cpu]')
  pip('datasets')
  result = _python('''
      import importlib.metadata, os, site, sys
      import datasets
      assert hasattr(datasets, 'load_dataset'), datasets.__file__
      import slim.nets
      from slim.datasets import dataset_factory
      from slim.nets import nets_factory
      assert 'digits' in dataset_factory.list_datasets()
      assert 'inception_v3' in nets_factory.list_networks()
      ours = importlib.metadata.distribution('slim-tf').files
      top = {str(f).split('/')[0] for f in ours if not str(f).startswith('..')}
      print(sorted(name for name in top if not name.endswith('.dist-info')))
  ''', cwd=str(tmp_path), python=python)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip() == "['slim']"
  for tool in TOOLS:
    done = subprocess.run([str(venv / 'bin' / tool), '--help'], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and 'usage: %s' % tool in done.stdout, done.stderr[-2000:]
  _check_tensorboard_serves_scalars(venv, tmp_path)


def _check_tensorboard_serves_scalars(venv, tmp_path):
  """Starts the venv's `tensorboard` on a free port over one event file; asks it for
  the scalar tags (TensorBoard loads the files in the background)."""
  logdir = tmp_path / 'logs' / 'train'
  written = _python('''
      import tensorflow as tf
      with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(%r)
        value = tf.compat.v1.Summary.Value(tag='total_loss', simple_value=0.5)
        writer.add_summary(tf.compat.v1.Summary(value=[value]), 1)
        writer.close()
  ''' % str(logdir), cwd=str(tmp_path), python=str(venv / 'bin' / 'python'))
  assert written.returncode == 0, written.stderr[-3000:]
  log_path = tmp_path / 'tensorboard.log'
  with open(log_path, 'w') as log:
    server = subprocess.Popen([str(venv / 'bin' / 'tensorboard'), '--logdir', str(logdir.parent),
                               '--host', '127.0.0.1', '--port', '0'],
                              cwd=str(tmp_path), stdout=log, stderr=subprocess.STDOUT)
  try:
    tags, url, deadline = {}, None, time.time() + 300
    while 'total_loss' not in tags.get('train', {}) and time.time() < deadline:
      assert server.poll() is None, log_path.read_text()[-3000:]
      time.sleep(1)
      if url is None:
        found = re.search(r'TensorBoard [\d.]+ at (http://\S+/) ', log_path.read_text())
        url = found and found.group(1)
      else:
        local = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
        with local.open(url + 'data/plugin/scalars/tags', timeout=60) as page:
          tags = json.loads(page.read())
    assert tags == {'train': {'total_loss': {'displayName': '', 'description': ''}}}, (
        url, log_path.read_text()[-3000:])
  finally:
    server.terminate()
    server.wait(timeout=60)
