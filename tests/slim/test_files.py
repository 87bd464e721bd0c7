"""slim._files: files and directories written whole or not at all."""
import os

import pytest
import tensorflow as tf

from slim import _files


def test_atomic_write_writes_text_and_bytes_and_makes_the_folder(tmp_path):
  target = tmp_path / 'new' / 'out.txt'
  _files.atomic_write(str(target), 'héllo')
  assert target.read_text(encoding='utf-8') == 'héllo'
  _files.atomic_write(str(target), b'\x00\x01')
  assert target.read_bytes() == b'\x00\x01'
  assert os.listdir(target.parent) == ['out.txt']


def test_atomic_write_keeps_the_old_file_and_no_temporary_when_it_fails(tmp_path, monkeypatch):
  target = tmp_path / 'out.txt'
  _files.atomic_write(str(target), 'old')

  def fail(*unused_args, **unused_kwargs):
    raise OSError('disk full')

  monkeypatch.setattr(tf.io.gfile, 'rename', fail)
  with pytest.raises(OSError, match='disk full'):
    _files.atomic_write(str(target), 'new')
  assert os.listdir(tmp_path) == ['out.txt'] and target.read_text() == 'old'


def test_a_failing_block_leaves_the_destination_as_it_was(tmp_path):
  target = tmp_path / 'labels.txt'
  target.write_text('old')
  with pytest.raises(RuntimeError, match='interrupted'):
    with _files.renamed_when_complete(str(target)) as temporary:
      with open(temporary, 'w') as f:
        f.write('half')
      raise RuntimeError('interrupted')
  assert os.listdir(tmp_path) == ['labels.txt'] and target.read_text() == 'old'


def test_a_directory_replaces_the_old_one_whole(tmp_path):
  target = tmp_path / 'serving'
  target.mkdir()
  (target / 'old.pb').write_text('old')
  with _files.renamed_when_complete(str(target)) as temporary:
    os.makedirs(os.path.join(temporary, 'variables'))
    with open(os.path.join(temporary, 'saved_model.pb'), 'w') as f:
      f.write('new')
  assert sorted(os.listdir(target)) == ['saved_model.pb', 'variables']
  assert os.listdir(tmp_path) == ['serving']


def test_temporary_names_are_hidden_beside_the_path_and_new_each_time(tmp_path):
  path = str(tmp_path / 'model.tflite')
  first, second = _files.temporary_name(path), _files.temporary_name(path)
  assert first != second
  assert os.path.dirname(first) == str(tmp_path)
  assert os.path.basename(first).startswith('.model.tflite.tmp-%d-' % os.getpid())
