"""slim.training.train_dir: one trainer per directory, stale temporaries removed,
the checkpoint state rebuilt from the readable checkpoints present, saves that
fail cleanly."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from slim.training import train_dir
from tests.slim import fresh_python


def _save(directory, steps, relative=True):
  """Checkpoints model.ckpt-<step> of one variable `w` (= step) in `directory`."""
  with tf.Graph().as_default():
    w = tf.compat.v1.get_variable('w', initializer=np.zeros(1000, np.float32))
    saver = tf.compat.v1.train.Saver(save_relative_paths=relative, max_to_keep=5)
    with tf.compat.v1.Session() as sess:
      for step in steps:
        sess.run(w.assign(np.full(1000, step, np.float32)))
        saver.save(sess, os.path.join(directory, 'model.ckpt'), global_step=step,
                   write_meta_graph=False)


def _state(directory):
  with open(os.path.join(directory, 'checkpoint')) as f:
    return f.read()


def test_a_whole_directory_is_left_as_it_is(tmp_path):
  _save(str(tmp_path), [10, 20])
  before = _state(tmp_path)
  assert train_dir.recover_checkpoint_state(str(tmp_path)) == str(tmp_path / 'model.ckpt-20')
  assert _state(tmp_path) == before
  assert train_dir.recover_checkpoint_state(str(tmp_path / 'empty')) is None


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(tmp_path, caplog):
  _save(str(tmp_path), [10, 20])
  data = tmp_path / 'model.ckpt-20.data-00000-of-00001'
  os.truncate(data, 100)
  assert train_dir.checkpoint_problem(str(tmp_path / 'model.ckpt-20')) == (
      'its data is truncated (100 bytes of at least 4000)')
  assert train_dir.recover_checkpoint_state(str(tmp_path)) == str(tmp_path / 'model.ckpt-10')
  assert 'Skipping the checkpoint %s/model.ckpt-20: its data is truncated' % tmp_path in (
      caplog.text)
  assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'model.ckpt-10')
  assert _state(tmp_path) == ('model_checkpoint_path: "model.ckpt-10"\n'
                              'all_model_checkpoint_paths: "model.ckpt-10"\n')


def test_a_corrupt_index_or_missing_data_is_a_problem(tmp_path):
  _save(str(tmp_path), [10, 20])
  os.truncate(tmp_path / 'model.ckpt-20.index', 10)
  assert train_dir.checkpoint_problem(str(tmp_path / 'model.ckpt-20')).startswith(
      'its index cannot be read')
  os.remove(tmp_path / 'model.ckpt-10.data-00000-of-00001')
  assert train_dir.checkpoint_problem(str(tmp_path / 'model.ckpt-10')) == (
      'data files are missing (0 found)')
  with pytest.raises(ValueError, match=r'None of the checkpoints in .* can be read \('
                                       r'model.ckpt-10: data files are missing .*; model.ckpt-20'
                                       r': its index cannot be read .*remove them to start over'):
    train_dir.recover_checkpoint_state(str(tmp_path))


def test_a_corrupt_state_file_is_rebuilt_from_the_checkpoints_present(tmp_path, caplog):
  _save(str(tmp_path), [5, 10, 200])
  (tmp_path / 'checkpoint').write_bytes(b'\x00garbage{')
  assert tf.train.latest_checkpoint(str(tmp_path)) is None  # what TensorFlow alone sees
  assert train_dir.recover_checkpoint_state(str(tmp_path)) == str(tmp_path / 'model.ckpt-200')
  assert 'The checkpoint state file of %s is corrupt' % tmp_path in caplog.text
  assert _state(tmp_path).splitlines()[1:] == [
      'all_model_checkpoint_paths: "model.ckpt-%d"' % step for step in (5, 10, 200)]


def test_a_moved_or_copied_directory_resumes_from_itself(tmp_path):
  original = tmp_path / 'original'
  _save(str(original), [10, 20], relative=False)
  assert str(original) in _state(original)  # absolute paths, as the default Saver writes
  copy = tmp_path / 'copy'
  subprocess.run(['cp', '-r', str(original), str(copy)], check=True)
  assert tf.train.latest_checkpoint(str(copy)) == str(original / 'model.ckpt-20')
  assert train_dir.recover_checkpoint_state(str(copy)) == str(copy / 'model.ckpt-20')
  assert _state(copy) == ('model_checkpoint_path: "model.ckpt-20"\n'
                          'all_model_checkpoint_paths: "model.ckpt-10"\n'
                          'all_model_checkpoint_paths: "model.ckpt-20"\n')
  moved = tmp_path / 'moved'
  os.rename(original, moved)
  assert train_dir.recover_checkpoint_state(str(moved)) == str(moved / 'model.ckpt-20')


def test_stale_temporaries_of_an_interrupted_save_are_removed(tmp_path, caplog):
  _save(str(tmp_path), [10])
  stale = ['model.ckpt-20.data-00000-of-00001.tempstate8123', 'checkpoint.tmp1a2b3c',
           'model.ckpt-20_temp']
  for name in stale[:2]:
    (tmp_path / name).write_bytes(b'partial')
  (tmp_path / stale[2]).mkdir()
  (tmp_path / stale[2] / 'part-00000-of-00001.index').write_bytes(b'')
  assert train_dir.remove_stale_temporaries(str(tmp_path)) == sorted(stale)
  assert 'Removed what an interrupted save left in' in caplog.text
  assert sorted(os.listdir(tmp_path)) == ['checkpoint', 'model.ckpt-10.data-00000-of-00001',
                                          'model.ckpt-10.index']


def test_a_failed_save_leaves_no_temporary_and_names_the_intact_checkpoint(tmp_path):
  _save(str(tmp_path), [10])
  with pytest.raises(OSError, match=r'^saving a checkpoint in %s failed \(No space left on '
                                    r'device\). The checkpoint %s/model.ckpt-10 is intact; free '
                                    r'space' % (tmp_path, tmp_path)):
    with train_dir.saving_checkpoint(str(tmp_path)):
      (tmp_path / 'model.ckpt-20.data-00000-of-00001.tempstate1').write_bytes(b'partial')
      raise tf.errors.ResourceExhaustedError(
          None, None, "Node: 'save/SaveV2'\nx.tempstate1; No space left on device\n\t [[{{node "
          "save/SaveV2}}]]")
  assert sorted(os.listdir(tmp_path)) == ['checkpoint', 'model.ckpt-10.data-00000-of-00001',
                                          'model.ckpt-10.index']


_HOLD = textwrap.dedent('''
    import sys, time
    from slim.training import train_dir
    with train_dir.TrainDirLock(sys.argv[1]):
      print('held', flush=True)
      time.sleep(60)
''')


def test_a_second_trainer_is_refused_until_the_first_dies(tmp_path):
  holder = subprocess.Popen([sys.executable, '-c', _HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, env=fresh_python.environment(), text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    with pytest.raises(train_dir.TrainDirInUseError,
                       match=r'^train: another trainer \(pid %d on .* since .*\) is training in '
                             r'%s; wait for it to finish or stop it, or train in another '
                             r'directory$' % (holder.pid, tmp_path)):
      with train_dir.TrainDirLock(str(tmp_path)):
        pass
  finally:
    holder.kill()  # kill -9: the kernel drops the lock
    holder.wait()
  with train_dir.TrainDirLock(str(tmp_path)):
    with train_dir.TrainDirLock(str(tmp_path)):  # re-entrant in one process
      pass
