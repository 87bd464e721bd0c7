"""The command lines of train_image_classifier and eval_image_classifier: flags,
defaults, --help, one-line errors for bad values, and the console entry points."""
import importlib
import os
import re
import runpy

import pytest
import setuptools
import tensorflow as tf

from slim.tools import _cli
from slim.tools import download_and_convert_data
from slim.tools import eval_image_classifier
from slim.tools import train_image_classifier
from tests.conftest import REPO
from tests.slim import fresh_python

# research/slim's flags and their defaults.
TRAIN_DEFAULTS = {
    'master': '', 'train_dir': '/tmp/tfmodel/', 'num_clones': 1, 'clone_on_cpu': False,
    'worker_replicas': 1, 'num_ps_tasks': 0, 'num_readers': 4, 'num_preprocessing_threads': 4,
    'log_every_n_steps': 10, 'save_summaries_secs': 600, 'save_interval_secs': 600, 'task': 0,
    'weight_decay': 0.00004, 'optimizer': 'rmsprop', 'adadelta_rho': 0.95,
    'adagrad_initial_accumulator_value': 0.1, 'adam_beta1': 0.9, 'adam_beta2': 0.999,
    'opt_epsilon': 1.0, 'ftrl_learning_rate_power': -0.5, 'ftrl_initial_accumulator_value': 0.1,
    'ftrl_l1': 0.0, 'ftrl_l2': 0.0, 'momentum': 0.9, 'rmsprop_momentum': 0.9,
    'rmsprop_decay': 0.9, 'quantize_delay': -1, 'learning_rate_decay_type': 'exponential',
    'learning_rate': 0.01, 'end_learning_rate': 0.0001, 'label_smoothing': 0.0,
    'learning_rate_decay_factor': 0.94, 'num_epochs_per_decay': 2.0, 'sync_replicas': False,
    'replicas_to_aggregate': 1, 'moving_average_decay': None, 'dataset_name': 'imagenet',
    'dataset_split_name': 'train', 'dataset_dir': None, 'labels_offset': 0,
    'model_name': 'inception_v3', 'preprocessing_name': None, 'batch_size': 32,
    'train_image_size': None, 'max_number_of_steps': None, 'use_grayscale': False,
    'checkpoint_path': None, 'checkpoint_exclude_scopes': None, 'trainable_scopes': None,
    'ignore_missing_vars': False,
    # Export at the end of training (research/slim exports separately).
    'export_saved_model_dir': None,
    # Bad records skipped and counted instead of an error.
    'skip_bad_records': False,
    # A cluster of processes started by the same command (research/slim: servers by hand).
    'ps_hosts': None, 'worker_hosts': None, 'job_name': 'worker', 'peer_timeout_secs': 60,
}
EVAL_DEFAULTS = {
    'batch_size': 100, 'max_num_batches': None, 'master': '', 'checkpoint_path': '/tmp/tfmodel/',
    'eval_dir': '/tmp/tfmodel/', 'num_preprocessing_threads': 4, 'dataset_name': 'imagenet',
    'dataset_split_name': 'test', 'dataset_dir': None, 'labels_offset': 0,
    'model_name': 'inception_v3', 'preprocessing_name': None, 'moving_average_decay': None,
    'eval_image_size': None, 'quantize': False, 'use_grayscale': False,
    # Repeated evaluation (research/slim evaluates once).
    'eval_interval_secs': None, 'timeout': None, 'max_num_evaluations': None,
    'skip_bad_records': False,
}
TOOLS = {'train_image_classifier': (train_image_classifier, TRAIN_DEFAULTS),
         'eval_image_classifier': (eval_image_classifier, EVAL_DEFAULTS)}


def _parse(module, argv):
  return _cli.tool_flags(_cli.parse_flags('x', '', module.FLAGS, argv=argv), module.FLAGS)


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_flags_and_defaults_are_research_slims(tool):
  module, defaults = TOOLS[tool]
  assert _parse(module, []) == defaults


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_help_lists_every_flag_with_its_default(tool):
  _, defaults = TOOLS[tool]
  result = fresh_python.check_ran(fresh_python.run_tool(tool, '--help'))
  # Each flag's entry: from its line '  --name ...' to the next flag's, lines joined.
  entries = re.findall(r'^  (--[][\w]+.*?)(?=^  --|^\S|\Z)', result.stdout, re.M | re.S)
  entries = {entry.split()[0][2:-1].replace('[no]', ''): ' '.join(entry.split())
             for entry in entries}
  for name, default in defaults.items():
    match = re.search(r'\(default: ([^)]*)\)$', entries[name])
    assert match, entries[name]
    shown = str(default).lower() if isinstance(default, bool) else str(default)
    assert match.group(1) == ("''" if default == '' else shown), entries[name]


def test_flag_spellings_of_tf_app_flags():
  parsed = _parse(train_image_classifier, [
      '--clone_on_cpu', '--sync_replicas=false', '--noignore_missing_vars', '--use_grayscale=1',
      '--batch_size', '64', '--moving_average_decay=0.999', '--trainable_scopes=A/B,C'])
  assert parsed['clone_on_cpu'] is True and parsed['sync_replicas'] is False
  assert parsed['ignore_missing_vars'] is False and parsed['use_grayscale'] is True
  assert parsed['batch_size'] == 64 and parsed['moving_average_decay'] == 0.999
  assert parsed['trainable_scopes'] == 'A/B,C'


def _base(tool, digits_dir, tmp_path):
  if tool == 'train_image_classifier':
    return ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
            '--train_dir=' + str(tmp_path / 'train')]
  return ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
          '--checkpoint_path=' + str(tmp_path)]


def _run_in_process(tool, argv, capsys):
  status = _cli.run(tool, TOOLS[tool][0].main, argv)
  return status, capsys.readouterr().err


TRAIN_ERRORS = [
    (['--model_name=lenett'], r"--model_name: Unknown network 'lenett'. Did you mean 'lenet'\?"),
    (['--dataset_name=digit'], r"--dataset_name: Unknown dataset 'digit'. Did you mean "
                               r"'digits'\?"),
    (['--dataset_dir='], r'--dataset_dir is required: .* make them with: '
                         r'download_and_convert_data --dataset_name=digits'),
    (['--dataset_dir={tmp}/nowhere'], r'--dataset_dir=.*/nowhere is not a directory; convert '
                                      r'the dataset first'),
    (['--dataset_dir={tmp}'], r"--dataset_dir=.* holds no file of split 'train' "
                              r"\(.*digits_train_\*.tfrecord\); convert the dataset first"),
    (['--dataset_split_name=validation'], r"--dataset_split_name: digits: split name "
                                          r"'validation' was not recognized. Known splits: "
                                          r"test, train"),
    (['--quantize_delay=100'], r'--quantize_delay=100: quantization-aware training is not '
                               r'supported .* leave --quantize_delay at -1'),
    (['--quantize_delay=0'], r'--quantize_delay=0: quantization-aware training is not '),
    (['--optimizer=adamw'], r"--optimizer must be one of adadelta, adagrad, adam, ftrl, "
                            r"momentum, rmsprop, sgd, received 'adamw'"),
    (['--learning_rate_decay_type=cosine'], r'--learning_rate_decay_type must be one of fixed, '
                                            r'exponential, polynomial'),
    (['--learning_rate=0'], r'--learning_rate must be positive, received 0'),
    (['--num_clones=0'], r'--num_clones must be at least 1, received 0'),
    (['--batch_size=0'], r'--batch_size must be at least 1, received 0'),
    (['--max_number_of_steps=0'], r'--max_number_of_steps must be at least 1, received 0'),
    (['--weight_decay=-1'], r'--weight_decay must be at least 0, received -1'),
    (['--labels_offset=10'], r'--labels_offset must be in \[0, 10\) for digits'),
    (['--moving_average_decay=1.5'], r'--moving_average_decay must be in \(0, 1\)'),
    (['--task=1'], r'--task=1 must be less than --worker_replicas=1'),
    (['--worker_replicas=2', '--task=1'], r'--worker_replicas=2 needs parameter servers: give '
                                          r'--num_ps_tasks >= 1'),
    (['--ps_hosts=localhost:1', '--worker_hosts=localhost'],
     r"--worker_hosts: 'localhost' is not a host:port address \(e.g. localhost:2222\)"),
    (['--ps_hosts=a:1,a:1', '--worker_hosts=b:1'], r"--ps_hosts lists an address twice"),
    (['--worker_hosts=localhost:2222'], r'--job_name=worker --task=0: the cluster has no '
                                        r'parameter server'),
    (['--ps_hosts=a:1', '--worker_hosts=b:1,c:1', '--task=2'],
     r"--job_name=worker --task=2: task 2 of job 'worker' does not exist; the cluster has 2 "
     r"worker tasks"),
    (['--ps_hosts=a:1', '--worker_hosts=b:1', '--worker_replicas=3'],
     r'--worker_replicas=3 but --ps_hosts/--worker_hosts lists 1 worker tasks; leave '
     r'--worker_replicas unset'),
    (['--job_name=ps'], r'--job_name=ps needs a cluster: give --ps_hosts and --worker_hosts, '
                        r'or set TF_CONFIG'),
    (['--peer_timeout_secs=0'], r'--peer_timeout_secs must be at least 1, received 0'),
    (['--preprocessing_name=lenett'], r"--preprocessing_name: .* Did you mean 'lenet'\?"),
    (['--train_image_size=0'], r'--train_image_size must be a positive number of pixels'),
    (['--checkpoint_path={tmp}/model.ckpt-7'], r'--checkpoint_path=.*/model.ckpt-7 is not a '
                                               r'checkpoint: give a checkpoint file prefix'),
    (['--checkpoint_path={tmp}'], r'--checkpoint_path=.* is a directory without a checkpoint'),
    (['--model_name=i3d'], r'--model_name=i3d is a video network \(clips of 64 frames\) and '
                           r'--dataset_name=digits an image dataset: train_image_classifier '
                           r'trains on images only. Video networks can be built .* and exported'),
]
EVAL_ERRORS = [
    (['--model_name=inception_v9'], r"--model_name: Unknown network 'inception_v9'"),
    (['--dataset_name=imagenette'], r"--dataset_name: Unknown dataset 'imagenette'"),
    (['--dataset_dir='], r'--dataset_dir is required'),
    (['--quantize'], r'--quantize: quantized evaluation graphs are not supported'),
    (['--batch_size=0'], r'--batch_size must be at least 1, received 0'),
    (['--max_num_batches=0'], r'--max_num_batches must be at least 1, received 0'),
    (['--labels_offset=-1'], r'--labels_offset must be in \[0, 10\)'),
    (['--timeout=5'], r'--timeout applies to repeated evaluations: give --eval_interval_secs'),
    (['--max_num_evaluations=2'], r'--max_num_evaluations applies to repeated evaluations'),
    (['--eval_interval_secs=-1'], r'--eval_interval_secs must be at least 0'),
    ([], r'--checkpoint_path=.* is a directory without a checkpoint'),
    (['--checkpoint_path={tmp}/model.ckpt-3'], r'--checkpoint_path=.* is not a checkpoint'),
    (['--moving_average_decay=0'], r'--moving_average_decay must be in \(0, 1\)'),
    (['--eval_image_size=-3'], r'--eval_image_size must be a positive number of pixels'),
    (['--model_name=s3dg'], r'--model_name=s3dg is a video network \(clips of 64 frames\) and '
                            r'--dataset_name=digits an image dataset: eval_image_classifier '
                            r'evaluates on images only'),
]


@pytest.mark.parametrize('tool, flags, message',
                         [('train_image_classifier',) + case for case in TRAIN_ERRORS] +
                         [('eval_image_classifier',) + case for case in EVAL_ERRORS])
def test_bad_flag_is_one_line_with_the_fix(tool, flags, message, digits_dir, tmp_path, capsys):
  argv = _base(tool, digits_dir, tmp_path) + [flag.format(tmp=tmp_path) for flag in flags]
  status, stderr = _run_in_process(tool, argv, capsys)
  assert status == 2
  assert stderr.count('\n') == 1 and stderr.startswith(tool + ': error: --'), stderr
  assert re.search(message, stderr), stderr
  assert not os.path.exists(tmp_path / 'train')  # nothing done


def test_negative_quantize_delay_is_no_quantization(digits_dir, tmp_path):
  flags = train_image_classifier.parse_flags(
      _base('train_image_classifier', digits_dir, tmp_path) + ['--quantize_delay=-5'])
  assert flags.quantize_delay == -5 and flags.model_name == 'lenet'


def test_download_and_convert_data_help_lists_every_flag():
  result = fresh_python.check_ran(fresh_python.run_tool('download_and_convert_data', '--help'))
  entries = re.findall(r'^  (--[][\w]+.*?)(?=^  --|^\S|\Z)', result.stdout, re.M | re.S)
  entries = {entry.split()[0][2:-1].replace('[no]', ''): ' '.join(entry.split())
             for entry in entries}
  flags = [flag for _, section in download_and_convert_data.FLAGS for flag in section]
  assert set(entries) == {flag.name for flag in flags} and len(flags) == 24
  for flag in flags:
    ending = '(required)' if flag.default is _cli.REQUIRED else '(default: None)'
    assert entries[flag.name].endswith(ending), entries[flag.name]


def test_clones_on_more_gpus_than_visible(digits_dir, tmp_path, capsys, monkeypatch):
  monkeypatch.setattr(tf.config, 'list_physical_devices',
                      lambda kind: ['GPU:0'] if kind == 'GPU' else [])
  status, stderr = _run_in_process(
      'train_image_classifier', _base('train_image_classifier', digits_dir, tmp_path) +
      ['--num_clones=2'], capsys)
  assert status == 2
  assert re.search(r'--num_clones=2 but only 1 GPUs are visible: give --num_clones=1, or '
                   r'--clone_on_cpu', stderr), stderr


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_unparsable_flags_exit_with_status_2(tool, capsys):
  for argv, message in ((['--batch_size=many'], '--batch_size=many: expected an integer'),
                        (['--bach_size=3'], "Unknown command line flag 'bach_size'. Did you mean: "
                                            "batch_size ?"),
                        (['--batch_siz=3'], "Unknown command line flag 'batch_siz'. Did you "
                                            "mean: batch_size ?"),
                        (['lenet'], "unexpected argument 'lenet': flags are spelled "
                                    "--name=value")):
    assert TOOLS[tool][0].console_main(argv) == 2
    assert capsys.readouterr().err == '%s: error: %s (see --help)\n' % (tool, message)


def test_command_line_error_has_no_traceback(tmp_path):
  result = fresh_python.run_tool('train_image_classifier', '--dataset_name=digits',
                                 '--model_name=lenet', '--train_dir=' + str(tmp_path / 'train'))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1].startswith(
      'train_image_classifier: error: --dataset_dir is required')
  assert 'Traceback' not in result.stderr and not os.path.exists(tmp_path / 'train')


# A flag value each tool refuses (status 2), or a conversion that fails (status 1).
BAD_VALUES = {
    'download_and_convert_data': (['--dataset_name=digit', '--dataset_dir=/nonexistent'], 2),
    'train_image_classifier': (['--model_name=lenet'], 2),  # no --dataset_dir
    'eval_image_classifier': (['--model_name=lenet'], 2),
    'export_inference_graph': (['--model_name=lenet'], 2),  # nothing to export
    'classify_images': (['--saved_model_dir=/tmp', '--top_k=0', 'x.png'], 2),
    'download_checkpoint': (['--name=inception_v11'], 2),
    'post_training_quantization': (['--model_name=lenet'], 2),  # no --checkpoint_path
}


def test_setup_entry_points_are_console_mains_returning_the_status(monkeypatch, capsys):
  captured = {}
  monkeypatch.setattr(setuptools, 'setup', lambda **kwargs: captured.update(kwargs))
  monkeypatch.chdir(REPO)
  runpy.run_path(os.path.join(REPO, 'setup.py'), run_name='__main__')
  entry_points = dict(line.replace(' ', '').split('=')
                      for line in captured['entry_points']['console_scripts'])
  assert set(entry_points) == {'download_and_convert_data', 'train_image_classifier',
                               'eval_image_classifier', 'export_inference_graph',
                               'classify_images', 'download_checkpoint',
                               'post_training_quantization'}
  for name, target in entry_points.items():
    module_name, function = target.split(':')
    assert module_name == 'slim.tools.' + name and function == 'console_main'
    # pip's console script runs sys.exit(console_main()): the status of a bad flag is 2.
    console_main = getattr(importlib.import_module(module_name), function)
    argv, status = BAD_VALUES[name]
    assert console_main(argv) == status, name
    assert console_main(['--no_such_flag']) == 2
  err = capsys.readouterr().err
  assert err.count('error: ') == 2 * len(BAD_VALUES) and 'Traceback' not in err, err


def test_research_slim_command_lines_with_absl_spellings(tmp_path):
  flagfile = tmp_path / 'flags.txt'
  flagfile.write_text('--model_name=lenet\n--batch_size=16\n# a comment\n--noclone_on_cpu\n')
  parsed = _parse(train_image_classifier, [
      '--alsologtostderr', '--flagfile=' + str(flagfile), '-dataset_name=digits',
      '-use_grayscale', '--v=1', '--undefok=eval_dir', '--eval_dir=/tmp/x'])
  assert parsed['model_name'] == 'lenet' and parsed['batch_size'] == 16
  assert parsed['dataset_name'] == 'digits' and parsed['use_grayscale'] is True
  assert parsed['clone_on_cpu'] is False
  flags = _cli.parse_flags('x', '', train_image_classifier.FLAGS, argv=['-v=1'])
  assert flags.verbosity == 1 and flags.alsologtostderr is False


@pytest.mark.parametrize('argv, message', [
    (['--model_nam=lenet'], "Unknown command line flag 'model_nam'. Did you mean: model_name ?"),
    (['--flagfile=/nonexistent/flags.txt'], r'/nonexistent/flags.txt'),
    (['--optimizer'], r'Missing value for flag --optimizer'),
])
def test_flag_errors_are_one_line_flag_errors(argv, message):
  with pytest.raises(_cli.FlagError, match=re.escape(message) if '?' in message else message):
    _parse(train_image_classifier, argv)


def test_help_needs_no_tensorflow():
  result = fresh_python.run_python('''
import sys
sys.modules['tensorflow'] = None  # makes `import tensorflow` fail
from slim.tools import train_image_classifier
sys.exit(train_image_classifier.console_main(['--helpfull']))
''')
  assert result.returncode == 0, result.stderr[-2000:]
  assert result.stdout.startswith('usage: train_image_classifier [--flag=value ...]')
  assert '--batch_size: images per clone and step' in result.stdout
  assert '--[no]alsologtostderr' in result.stdout and '--verbosity' in result.stdout


def test_missing_tensorflow_is_one_line_naming_the_extra(digits_dir, tmp_path):
  result = fresh_python.run_python('''
import sys
sys.modules['tensorflow'] = None
from slim.tools import train_image_classifier
sys.exit(train_image_classifier.console_main(sys.argv[1:]))
''', '--dataset_name=digits', '--dataset_dir=' + digits_dir, '--model_name=lenet',
                                   '--train_dir=' + str(tmp_path))
  assert result.returncode == 1
  assert result.stderr.strip().startswith('train_image_classifier: error: TensorFlow is not '
                                          "installed"), result.stderr
  assert "pip install 'slim-tf[cpu]'" in result.stderr and 'Traceback' not in result.stderr


def test_a_corrupt_checkpoint_is_one_line_naming_it_and_training_resumes_before_it(
    digits_dir, tmp_path, capsys, caplog):
  train_dir = str(tmp_path / 'train')
  train_argv = ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
                '--train_dir=' + train_dir, '--batch_size=8']
  train_image_classifier.main(train_argv + ['--max_number_of_steps=2'])
  with open(os.path.join(train_dir, 'model.ckpt-2.index'), 'r+b') as index:
    index.truncate(100)
  capsys.readouterr()
  eval_argv = _base('eval_image_classifier', digits_dir, tmp_path)
  eval_argv[-1] = '--checkpoint_path=' + train_dir
  status, stderr = _run_in_process('eval_image_classifier', eval_argv, capsys)
  assert status == 1 and stderr.count('\n') == 1, stderr
  assert re.search(r'error: --checkpoint_path=.*/train: the checkpoint .*/model.ckpt-2 cannot be '
                   r'read \(.*\): a corrupt or partly written checkpoint; give another one',
                   stderr), stderr
  status, stderr = _run_in_process('train_image_classifier',
                                   train_argv + ['--max_number_of_steps=3'], capsys)
  assert status == 0
  assert re.search(r'Skipping the checkpoint .*/model.ckpt-2: its index cannot be read',
                   caplog.text)
  assert tf.train.latest_checkpoint(train_dir).endswith('model.ckpt-3')
  assert tf.train.load_checkpoint(train_dir).get_tensor('global_step') == 3  # 0 + 3 steps


def test_tensorflow_runtime_errors_are_one_line(capsys):
  def fail(argv):
    raise tf.errors.DataLossError(None, None, "Graph execution error:\n\nDetected at node "
                                  "'save/RestoreV2' defined at (most recent call last):\n"
                                  "  File \"x.py\", line 1, in <module>\nNode: 'save/RestoreV2'"
                                  "\nnot an sstable (bad magic number)\n\t [[{{node "
                                  "save/RestoreV2}}]]")
  assert _cli.run('tool', fail, []) == 1
  assert capsys.readouterr().err == ("tool: error: DataLossError: Graph execution error: Node: "
                                     "'save/RestoreV2' not an sstable (bad magic number)\n")
  with pytest.raises(KeyError):  # a bug stays a traceback
    _cli.run('tool', lambda argv: {}['x'], [])


@pytest.mark.parametrize('tf_config, flags, message', [
    ('{"cluster": ', [], r'TF_CONFIG must be JSON like \{"cluster": '),
    ('{"cluster": {"worker": ["a:1"], "ps": ["b:1"]}, "task": {"type": "evaluator", '
     '"index": 0}}', [], r"TF_CONFIG: the job must be 'worker' or 'ps', received 'evaluator'"),
    ('{"cluster": {"worker": ["a:1", "c:1"], "ps": ["b:1"]}, "task": {"type": "worker", '
     '"index": 1}}', ['--task=3'], r"--task=3 disagrees with TF_CONFIG's task \(worker 1\)"),
])
def test_bad_tf_config_is_one_line(tf_config, flags, message, digits_dir, tmp_path, capsys,
                                   monkeypatch):
  monkeypatch.setenv('TF_CONFIG', tf_config)
  argv = _base('train_image_classifier', digits_dir, tmp_path) + flags
  status, stderr = _run_in_process('train_image_classifier', argv, capsys)
  assert status == 2 and stderr.count('\n') == 1, stderr
  assert re.search(message, stderr), stderr
