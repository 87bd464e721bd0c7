"""train_image_classifier and eval_image_classifier under faults: a diverged
loss, a train_dir of another network, a finished training, a second trainer, a
damaged record, a full disk, a file where a directory belongs; one line each,
a non-zero status, the earlier checkpoints intact."""
import os
import re
import resource
import shutil
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from slim.nets import nets_factory
from slim.tools import _cli
from slim.tools import eval_image_classifier
from slim.tools import train_image_classifier
from tests.slim import fresh_python
from tests.slim.tools.train_eval_setup import SHORT_TRAIN_FLAGS


def _train_argv(digits_dir, train_dir, *flags):
  return SHORT_TRAIN_FLAGS + ['--dataset_dir=' + digits_dir, '--train_dir=' + str(train_dir),
                              '--batch_size=8', '--log_every_n_steps=0'] + list(flags)


def _train(capsys, *argv):
  status = _cli.run('train_image_classifier', train_image_classifier.main, list(argv))
  out, err = capsys.readouterr()
  return status, out, err.strip().splitlines()


def _checkpoints(train_dir):
  return sorted(name for name in os.listdir(train_dir) if name.endswith('.index'))


@pytest.fixture(scope='module')
def trained(digits_dir, tmp_path_factory):
  """A train_dir of LeNet trained 4 steps on the digits (10 classes)."""
  train_dir = tmp_path_factory.mktemp('trained')
  assert _cli.run('train_image_classifier', train_image_classifier.main,
                  _train_argv(digits_dir, train_dir, '--max_number_of_steps=4')) == 0
  return train_dir


def test_a_diverged_loss_stops_with_status_1_and_saves_no_diverged_step(digits_dir, tmp_path,
                                                                         capsys, monkeypatch):
  get_network_fn = nets_factory.get_network_fn

  def diverging_at_step_3(*args, **kwargs):  # logits become NaN from the 3rd step on
    network_fn = get_network_fn(*args, **kwargs)

    def diverging(images):
      logits, end_points = network_fn(images)
      step = tf.compat.v1.train.get_global_step()
      return logits + tf.where(step >= 2, float('nan'), 0.0), end_points
    diverging.default_image_size = network_fn.default_image_size
    return diverging
  monkeypatch.setattr(nets_factory, 'get_network_fn', diverging_at_step_3)
  status, _, err = _train(capsys, *_train_argv(digits_dir, tmp_path, '--learning_rate=0.5',
                                               '--max_number_of_steps=50'))
  assert status == 1
  assert err[-1] == (
      'train_image_classifier: error: the loss is NaN or infinite at global step 3; training '
      'stopped and this step was not applied nor saved (the last checkpoint is %s/model.ckpt-0). '
      'Lower --learning_rate (now 0.5), or check the data' % tmp_path)
  assert _checkpoints(tmp_path) == ['model.ckpt-0.index']
  assert 'Traceback' not in '\n'.join(err)


def test_resuming_another_network_names_the_variable_and_the_flags(trained, digits_dir, capsys):
  status, _, err = _train(capsys, *_train_argv(digits_dir, trained, '--labels_offset=1',
                                               '--max_number_of_steps=8'))
  assert status == 1
  assert re.match(r'train_image_classifier: error: --train_dir: cannot restore .*model.ckpt-4: '
                  r'variable LeNet/fc4/biases has shape \[9\] here but \[10\] in the checkpoint '
                  r'\(and \d+ more\). --train_dir=.* holds the checkpoints of another network or '
                  r'training. It was trained with --labels_offset=0 \(now 1\). Resume with the '
                  r'flags it was trained with, or give a new --train_dir.$', err[-1]), err[-1]
  assert _checkpoints(trained)[-1] == 'model.ckpt-4.index'


def test_rerunning_a_finished_training_does_nothing_but_say_so(trained, digits_dir, capsys):
  before = sorted(os.listdir(trained))
  status, out, _ = _train(capsys, *_train_argv(digits_dir, trained, '--max_number_of_steps=4'))
  assert status == 0
  assert out.strip().endswith('model.ckpt-4 is at global step 4, --max_number_of_steps=4: '
                              'nothing to train (raise --max_number_of_steps to train on)')
  assert sorted(os.listdir(trained)) == before


_HOLD = textwrap.dedent('''
    import sys, time
    from slim.training import train_dir
    with train_dir.TrainDirLock(sys.argv[1]):
      print('held', flush=True)
      time.sleep(120)
''')


def test_a_second_trainer_in_the_same_train_dir_is_refused(digits_dir, tmp_path, capsys):
  holder = subprocess.Popen(fresh_python.python_command(_HOLD, tmp_path), stdout=subprocess.PIPE,
                            env=fresh_python.environment(), text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    status, _, err = _train(capsys, *_train_argv(digits_dir, tmp_path, '--max_number_of_steps=2'))
  finally:
    holder.kill()
    holder.wait()
  assert status == 1
  assert re.match(r'train_image_classifier: error: --train_dir: another trainer \(pid %d on .*\) '
                  r'is training in %s; wait for it' % (holder.pid, tmp_path), err[-1]), err[-1]
  assert not _checkpoints(tmp_path)


def test_a_truncated_record_file_is_named(digits_dir, tmp_path, capsys):
  damaged = tmp_path / 'digits'
  shutil.copytree(digits_dir, damaged)
  shard = damaged / 'digits_train_00001-of-00002.tfrecord'
  os.truncate(shard, os.path.getsize(shard) - 100)
  status, _, err = _train(capsys, *(_train_argv(str(damaged), tmp_path / 'train',
                                                '--max_number_of_steps=400')))
  assert status == 1
  assert re.match(r'train_image_classifier: error: --dataset_dir: %s is damaged at byte \d+: the '
                  r'file ends inside the record starting there \(truncated\); re-create it'
                  % shard, err[-1]), err[-1]


@pytest.mark.parametrize('tool, flag', [('train_image_classifier', 'train_dir'),
                                        ('eval_image_classifier', 'eval_dir')])
def test_a_file_where_a_directory_belongs_is_a_flag_error(tool, flag, trained, digits_dir,
                                                          tmp_path, capsys):
  a_file = tmp_path / 'a_file'
  a_file.write_text('')
  if tool == 'train_image_classifier':
    argv, main = _train_argv(digits_dir, a_file / 'sub'), train_image_classifier.main
  else:
    argv = ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
            '--checkpoint_path=' + str(trained), '--eval_dir=' + str(a_file)]
    main = eval_image_classifier.main
  assert _cli.run(tool, main, argv) == 2
  assert capsys.readouterr().err == (
      '%s: error: --%s=%s: %s is a file, not a directory; give a directory (see --help)\n'
      % (tool, flag, a_file / 'sub' if flag == 'train_dir' else a_file, a_file))


def _limit_file_size():
  resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))  # LeNet's checkpoint is bigger


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='RLIMIT_FSIZE semantics')
def test_a_full_disk_during_a_save_keeps_the_last_checkpoint_and_no_temporary(trained, digits_dir,
                                                                              tmp_path):
  train_dir = tmp_path / 'train'
  shutil.copytree(trained, train_dir)
  result = subprocess.run(
      fresh_python.tool_command('train_image_classifier', *_train_argv(
          digits_dir, train_dir, '--max_number_of_steps=6')),
      cwd=fresh_python.REPO, env=fresh_python.environment(), capture_output=True, text=True,
      preexec_fn=_limit_file_size, timeout=300)
  assert result.returncode == 1, result.stderr[-2000:]
  assert re.search(r'train_image_classifier: error: saving a checkpoint in %s failed \(File too '
                   r'large\). The checkpoint %s/model.ckpt-4 is intact; free space'
                   % (train_dir, train_dir), result.stderr), result.stderr[-2000:]
  assert 'Traceback' not in result.stderr
  assert not [name for name in os.listdir(train_dir) if 'temp' in name]
  assert tf.train.latest_checkpoint(str(train_dir)).endswith('model.ckpt-4')


def test_slim_traceback_shows_the_traceback_of_a_user_error(capsys, monkeypatch):
  def fail(argv):
    raise ValueError('--x: bad')
  assert _cli.run('tool', fail, []) == 1
  assert capsys.readouterr().err == 'tool: error: --x: bad\n'
  monkeypatch.setenv(_cli.TRACEBACK_VARIABLE, '1')
  assert _cli.run('tool', fail, []) == 1
  err = capsys.readouterr().err
  assert err.startswith('Traceback (most recent call last):') and err.endswith(
      'ValueError: --x: bad\ntool: error: --x: bad\n')


def test_an_interrupt_is_one_line_with_status_130(capsys):
  def interrupted(argv):
    raise KeyboardInterrupt
  assert _cli.run('tool', interrupted, []) == 130
  assert capsys.readouterr().err == 'tool: error: interrupted\n'


def _eval(capsys, digits_dir, checkpoint_path, *flags):
  argv = ['--dataset_name=digits', '--model_name=lenet', '--dataset_dir=' + digits_dir,
          '--checkpoint_path=' + str(checkpoint_path), '--batch_size=50'] + list(flags)
  status = _cli.run('eval_image_classifier', eval_image_classifier.main, argv)
  return status, capsys.readouterr().err.strip().splitlines()


def test_a_misspelt_exclude_scope_is_an_error_not_a_full_restore(trained, digits_dir, tmp_path,
                                                                 capsys):
  status, _, err = _train(capsys, *_train_argv(
      digits_dir, tmp_path, '--checkpoint_path=' + str(trained),
      '--checkpoint_exclude_scopes=LeNet/logitz', '--max_number_of_steps=6'))
  assert status == 1
  assert re.match(r'train_image_classifier: error: get_init_fn: --checkpoint_exclude_scopes '
                  r'\(exclude_scopes\) LeNet/logitz match no variable of the model; its scopes '
                  r'are e.g. .*LeNet/fc4', err[-1]), err[-1]


def test_eval_names_missing_moving_averages_and_damaged_records(trained, digits_dir, tmp_path,
                                                                capsys):
  status, err = _eval(capsys, digits_dir, trained, '--moving_average_decay=0.999')
  assert status == 1
  assert re.match(r'eval_image_classifier: error: --checkpoint_path: cannot restore '
                  r'.*model.ckpt-4: LeNet/\S+/ExponentialMovingAverage is missing from the '
                  r'checkpoint \(and \d+ more\). --moving_average_decay evaluates the moving '
                  r'averages', err[-1]), err[-1]
  damaged = tmp_path / 'digits'
  shutil.copytree(digits_dir, damaged)
  shard = damaged / 'digits_test_00000-of-00002.tfrecord'
  os.truncate(shard, os.path.getsize(shard) - 10)
  status, err = _eval(capsys, str(damaged), trained)
  assert status == 1
  assert re.match(r'eval_image_classifier: error: --dataset_dir: %s is damaged at byte \d+'
                  % shard, err[-1]), err[-1]


def test_a_checkpoint_with_truncated_data_is_named_before_any_work(trained, digits_dir,
                                                                   tmp_path, capsys):
  copy = tmp_path / 'copy'
  shutil.copytree(trained, copy)
  os.truncate(copy / 'model.ckpt-4.data-00000-of-00001', 1000)
  status, err = _eval(capsys, digits_dir, copy)
  assert status == 1
  assert re.match(r'eval_image_classifier: error: --checkpoint_path=%s: the checkpoint '
                  r'%s/model.ckpt-4 cannot be read \(its data is truncated \(1000 bytes of at '
                  r'least \d+\)\): a corrupt or partly written checkpoint; give another one \(its '
                  r'newest readable checkpoint is %s/model.ckpt-0\)$' % (copy, copy, copy),
                  err[-1]), err[-1]


def test_a_failed_graph_check_prints_its_message_alone(capsys):
  def fail(argv):
    raise tf.errors.InvalidArgumentError(
        None, None, "Graph execution error:\n\nDetected at node 'Assert' defined at (most "
        "recent call last):\n  File \"x.py\", line 1\nNode: 'Assert'\nassertion failed: [train "
        "split of digits: record 3 has label 15; expected 0..9]\n\t [[{{node Assert}}]]\n\t "
        "[[IteratorGetNext]]")
  assert _cli.run('tool', fail, []) == 1
  assert capsys.readouterr().err == (
      'tool: error: train split of digits: record 3 has label 15; expected 0..9\n')
