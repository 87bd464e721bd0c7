"""slim.training.run_log: JSON lines appended per event, valid JSON whatever the
values (NaN, inf, NumPy), the run's machine and versions."""
import json
import os
import platform
import threading

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import run_log as run_log_lib


def read_lines(path):
  with open(path) as f:
    text = f.read()
  assert text.endswith('\n')
  # allow_nan would accept NaN tokens; the file must hold plain JSON.
  return [json.loads(line, parse_constant=pytest.fail) for line in text.splitlines()]


def test_step_eval_and_run_lines(tmp_path):
  path = str(tmp_path / 'logs' / 'run.jsonl')  # the directory is made
  times = iter([1.5, 2.5, 3.5])
  with run_log_lib.RunLog(path, clock=lambda: next(times)) as log:
    log.run_info({'batch_size': 32, 'optimizer': 'sgd', 'scopes': ('a', 'b')})
    log.step(200, np.float32(0.25), learning_rate=0.01, examples_per_sec=1755.5, epoch=2)
    log.evaluation(1000, {'eval/Accuracy': np.float64(0.97), 'eval/Confusion': np.eye(2)},
                   checkpoint='/train/model.ckpt-1000')
  run, step, evaluation = read_lines(path)
  assert run['time'] == 1.5 and run['event'] == 'run'
  assert run['flags'] == {'batch_size': 32, 'optimizer': 'sgd', 'scopes': ['a', 'b']}
  assert run['versions'] == {'python': platform.python_version(),
                             'tensorflow': tf.__version__, 'numpy': np.__version__,
                             'slim': slim.__version__}
  assert run['cpu_count'] == os.cpu_count() and run['hostname'] and run['platform']
  assert run['gpus'] == [{'name': d.name, **{k: v for k, v in
                                              tf.config.experimental.get_device_details(d).items()
                                              if k in ('device_name', 'compute_capability')}}
                         for d in tf.config.list_physical_devices('GPU')]
  assert step == {'time': 2.5, 'event': 'step', 'global_step': 200, 'loss': 0.25,
                  'learning_rate': 0.01, 'examples_per_sec': 1755.5, 'epoch': 2}
  assert evaluation == {'time': 3.5, 'event': 'eval', 'global_step': 1000,
                        'metrics': {'eval/Accuracy': 0.97,
                                    'eval/Confusion': [[1.0, 0.0], [0.0, 1.0]]},
                        'checkpoint': '/train/model.ckpt-1000'}


def test_step_leaves_out_unknown_values_but_keeps_the_loss(tmp_path):
  path = str(tmp_path / 'run.jsonl')
  log = run_log_lib.RunLog(path, clock=lambda: 7.0)
  log.step(np.int64(3), None)
  log.evaluation(3, {})
  log.close()
  assert read_lines(path) == [
      {'time': 7.0, 'event': 'step', 'global_step': 3, 'loss': None},
      {'time': 7.0, 'event': 'eval', 'global_step': 3, 'metrics': {}}]


def test_non_finite_floats_are_written_as_strings(tmp_path):
  path = str(tmp_path / 'run.jsonl')
  log = run_log_lib.RunLog(path, clock=lambda: 0.0)
  log.step(1, float('nan'), learning_rate=np.float32('inf'), grad_norm=-np.inf)
  log.evaluation(1, {'values': np.array([1.0, np.nan]), 'bytes': b'ok', 'set': {3}})
  log.close()
  step, evaluation = read_lines(path)
  assert (step['loss'], step['learning_rate'], step['grad_norm']) == ('NaN', 'Infinity',
                                                                      '-Infinity')
  assert float(step['loss']) != float(step['loss']) and float(step['grad_norm']) == -np.inf
  assert evaluation['metrics'] == {'values': [1.0, 'NaN'], 'bytes': 'ok', 'set': [3]}


def test_lines_are_appended_to_what_the_file_holds(tmp_path):
  path = str(tmp_path / 'run.jsonl')
  with open(path, 'w') as f:
    f.write('{"event": "earlier"}\n')
  with run_log_lib.RunLog(path) as log:
    log.step(1, 0.5)
  with run_log_lib.RunLog(path) as log:  # a resumed run
    log.step(2, 0.25)
  assert [line.get('global_step') for line in read_lines(path)] == [None, 1, 2]


def test_each_line_is_flushed_at_once(tmp_path):
  path = str(tmp_path / 'run.jsonl')
  log = run_log_lib.RunLog(path)
  log.step(1, 0.5)
  assert read_lines(path)[0]['global_step'] == 1  # readable before close
  log.close()


def test_threads_writing_at_once_leave_whole_lines(tmp_path):
  path = str(tmp_path / 'run.jsonl')
  log = run_log_lib.RunLog(path)
  filler = 'x' * 20000  # more than one buffer of a buffered file

  def write(thread):
    for step in range(50):
      log.step(step, 0.5, thread=thread, filler=filler)

  threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  log.close()
  lines = read_lines(path)
  assert len(lines) == 200 and all(line['filler'] == filler for line in lines)


@pytest.mark.parametrize('call, error, message', [
    (lambda log: log.write(''), ValueError,
     r"RunLog.write: event must be a non-empty string, received ''"),
    (lambda log: log.write('step', time=3), ValueError,
     r'RunLog.write: time is set by the run log itself'),
    (lambda log: log.run_info(['--flag']), TypeError,
     r"RunLog.run_info: flags must be a dict, received \['--flag'\]"),
    (lambda log: log.evaluation(1, 0.9), TypeError,
     r'RunLog.evaluation: metrics must be a dict of name -> value, received 0.9'),
])
def test_bad_arguments_name_the_argument(tmp_path, call, error, message):
  with pytest.raises(error, match=message):
    call(run_log_lib.RunLog(str(tmp_path / 'run.jsonl')))
  assert not os.path.exists(str(tmp_path / 'run.jsonl'))  # nothing half-written


def test_bad_path():
  with pytest.raises(ValueError, match=r"RunLog: path must be a file path, received ''"):
    run_log_lib.RunLog('')
