"""Fine-tuning restore (slim.training.restore): scopes, reports, errors, in graph
mode (init_fn) and TF2 (into a slim.Model), on small nets and on an ImageNet-sized
Inception V1 checkpoint written by the reference (tf_slim)."""
import functools
import os

import numpy as np
import pytest
import tensorflow as tf

import slim
from slim.training import loop
from slim.training import restore

NUM_IMAGENET_CLASSES = 1001
LOGITS = 'InceptionV1/Logits/Conv2d_0c_1x1'


# Scope lists.

@pytest.mark.parametrize('scopes,expected', [
    (None, ()), ('', ()), ('a/b', ('a/b',)), (' a/b , c ,', ('a/b', 'c')),
    (['a', 'b,c'], ('a', 'b', 'c')), (('x',), ('x',))])
def test_parse_scopes(scopes, expected):
  assert restore.parse_scopes(scopes) == expected


@pytest.mark.parametrize('scopes', [3, ['a', 2], {'a': 1}])
def test_parse_scopes_refuses_other_types(scopes):
  with pytest.raises(TypeError, match='parse_scopes: scopes must be a comma-separated'):
    restore.parse_scopes(scopes)


@pytest.mark.parametrize('name,pattern,expected', [
    ('InceptionV1/Logits/Conv2d_0c_1x1/weights', 'InceptionV1/Logits', True),
    ('InceptionV1/Logits/Conv2d_0c_1x1/weights', 'InceptionV1/Log', True),  # research/slim
    ('InceptionV1/Mixed_5c/Branch_0/weights', 'InceptionV1/Logits', False),
    ('InceptionV1/Logits/Conv2d_0c_1x1/weights', '*/Logits', True),
    ('InceptionV1/AuxLogits/Conv2d/weights', '*/Logits', False),
    ('InceptionV1/Mixed_5b/Branch_0/weights', 'InceptionV1/Mixed_5?', True),
    ('InceptionV1/Mixed_4b/Branch_0/weights', 'InceptionV1/Mixed_5?', False),
    ('resnet_v1_50/logits/biases', '*logits*', True)])
def test_scope_matches_prefixes_and_globs(name, pattern, expected):
  assert restore.scope_matches(name, pattern) == expected


# Small nets: a 4-class checkpoint of conv + logits.

def small_net(images, num_classes=4, is_training=False):
  net = slim.conv2d(images, 3, [3, 3], scope='Net/conv1')
  net = slim.fully_connected(slim.flatten(net), num_classes, activation_fn=None,
                             scope='Net/Logits')
  return net


def built_model(num_classes=4):
  model = slim.Model(functools.partial(small_net, num_classes=num_classes))
  model(np.zeros([1, 4, 4, 1], np.float32))
  return model


@pytest.fixture
def small_checkpoint(tmp_path):
  """(path, values) of a small_net checkpoint with 4 classes, with a global step."""
  model = built_model()
  values = {name: var.numpy() for name, var in model.variables_by_name.items()}
  variables = dict(model.variables_by_name)
  variables['global_step'] = tf.Variable(7, dtype=tf.int64)
  path = tf.compat.v1.train.Saver(variables).save(None, str(tmp_path / 'small.ckpt'))
  return path, values


def test_tf2_restore_excluding_the_head_reports_it(small_checkpoint):
  path, values = small_checkpoint
  model = built_model(num_classes=3)
  report = restore.restore_checkpoint(model, os.path.dirname(path),  # a directory: its latest
                                      exclude_scopes='Net/Logits')
  assert report.checkpoint_path == path
  assert report.restored == ['Net/conv1/weights', 'Net/conv1/biases']
  assert report.skipped == {
      'Net/Logits/weights': "excluded by --checkpoint_exclude_scopes 'Net/Logits'",
      'Net/Logits/biases': "excluded by --checkpoint_exclude_scopes 'Net/Logits'"}
  assert report.missing == []
  for name in report.restored:
    np.testing.assert_array_equal(model.variables_by_name[name].numpy(), values[name])
  text = str(report)
  assert text.startswith('Restored 2 of 4 variables from %s' % path)
  assert "skipped Net/Logits/weights: excluded by --checkpoint_exclude_scopes" in text


def test_tf2_shape_mismatch_names_variable_shapes_and_flags(small_checkpoint):
  path, _ = small_checkpoint
  model = built_model(num_classes=3)
  before = model.variables_by_name['Net/conv1/weights'].numpy()
  with pytest.raises(ValueError) as error:
    restore.restore_checkpoint(model, path)
  message = str(error.value)
  assert message.startswith('restore_checkpoint: variable Net/Logits/weights has shape '
                            '[48, 3] here but [48, 4] in the checkpoint')
  assert 'Net/Logits/biases: [3] here vs [4] in the checkpoint' in message
  assert '--checkpoint_exclude_scopes=Net/Logits' in message
  assert 'reinitialize_mismatched_shapes=True' in message
  # Nothing was restored.
  np.testing.assert_array_equal(model.variables_by_name['Net/conv1/weights'].numpy(), before)


@pytest.mark.parametrize('ours,theirs,hint', [(5, 4, '--labels_offset=1'),
                                             (3, 5, None), (4, 5, '--labels_offset=0')])
def test_shape_mismatch_of_one_class_suggests_labels_offset(tmp_path, ours, theirs, hint):
  source = built_model(num_classes=theirs)
  path = tf.compat.v1.train.Saver(source.variables_by_name).save(None, str(tmp_path / 'c'))
  with pytest.raises(ValueError) as error:
    restore.restore_checkpoint(built_model(num_classes=ours), path)
  if hint:
    assert hint in str(error.value)
  else:
    assert 'labels_offset' not in str(error.value)


def test_tf2_reinitialize_mismatched_shapes_keeps_the_new_head(small_checkpoint):
  path, values = small_checkpoint
  model = built_model(num_classes=3)
  head = model.variables_by_name['Net/Logits/weights'].numpy()
  report = restore.restore_checkpoint(model, path, reinitialize_mismatched_shapes=True)
  assert report.skipped['Net/Logits/weights'] == (
      'shape mismatch: [48, 3] here vs [48, 4] in the checkpoint, left initialised')
  np.testing.assert_array_equal(model.variables_by_name['Net/Logits/weights'].numpy(), head)
  np.testing.assert_array_equal(model.variables_by_name['Net/conv1/weights'].numpy(),
                                values['Net/conv1/weights'])


def test_tf2_missing_variables_error_or_ignored(small_checkpoint):
  path, _ = small_checkpoint
  model = slim.Model(lambda x: slim.fully_connected(
      small_net(x), 2, scope='Net/Extra'))
  model(np.zeros([1, 4, 4, 1], np.float32))
  with pytest.raises(ValueError, match=r'2 variable\(s\) missing from the checkpoint .*'
                                       r'Net/Extra/weights, Net/Extra/biases.*'
                                       r'--ignore_missing_vars'):
    restore.restore_checkpoint(model, path)
  report = restore.restore_checkpoint(model, path, ignore_missing_vars=True)
  assert report.missing == ['Net/Extra/weights', 'Net/Extra/biases']
  assert len(report.restored) == 4
  assert 'missing from the checkpoint (ignored): Net/Extra/weights' in str(report)


def test_tf2_include_scopes_and_glob_excludes(small_checkpoint):
  path, _ = small_checkpoint
  report = restore.restore_checkpoint(built_model(), path, include_scopes=['Net/conv1'],
                                      exclude_scopes='*/bias*')
  assert report.restored == ['Net/conv1/weights']
  assert report.skipped['Net/conv1/biases'] == "excluded by --checkpoint_exclude_scopes '*/bias*'"
  assert report.skipped['Net/Logits/weights'].startswith('not included by include_scopes')


def test_tf2_restore_of_a_training_state_skips_slots_and_averages_unless_asked(tmp_path):
  model = slim.Model(small_net)
  images = np.random.RandomState(0).rand(8, 4, 4, 1).astype(np.float32)
  labels = np.arange(8) % 4
  result = loop.train(
      model, tf.data.Dataset.from_tensors((images, labels)).repeat(),
      lambda m, b: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=b[1], logits=m(b[0]))),
      tf.compat.v1.train.MomentumOptimizer(0.1, 0.9), train_dir=str(tmp_path),
      max_number_of_steps=2, moving_average_decay=0.9)
  reader = tf.train.load_checkpoint(result.checkpoint_path)
  state = {name: tf.Variable(tf.zeros(shape)) for name, shape in
           reader.get_variable_to_shape_map().items() if name != 'global_step'}
  state['global_step'] = tf.Variable(0, dtype=tf.int64)
  report = restore.restore_checkpoint(state, result.checkpoint_path)
  assert sorted(report.restored) == sorted(model.variables_by_name)
  kinds = {name: reason for name, reason in report.skipped.items()}
  assert kinds['Net/conv1/weights/Momentum'] == 'optimizer slot (restore_optimizer_slots=False)'
  assert kinds['Net/conv1/weights/ExponentialMovingAverage'] == (
      'moving average (restore_moving_averages=False)')
  assert kinds['global_step'] == 'not a model variable'
  assert 'skipped 4 (optimizer slot (restore_optimizer_slots=False))' in str(report)
  assert float(tf.reduce_sum(state['Net/conv1/weights/Momentum'])) == 0
  report = restore.restore_checkpoint(state, result.checkpoint_path,
                                      restore_optimizer_slots=True,
                                      restore_moving_averages=True)
  assert len(report.restored) == 12 and list(report.skipped) == ['global_step']
  np.testing.assert_array_equal(state['Net/conv1/weights/Momentum'].numpy(),
                                reader.get_tensor('Net/conv1/weights/Momentum'))


def test_tf2_restore_bad_arguments(small_checkpoint, tmp_path):
  path, _ = small_checkpoint
  with pytest.raises(ValueError, match='no checkpoint at .*nowhere'):
    restore.restore_checkpoint(built_model(), str(tmp_path / 'nowhere'))
  os.makedirs(str(tmp_path / 'empty'))
  with pytest.raises(ValueError, match='no checkpoint in the directory'):
    restore.restore_checkpoint(built_model(), str(tmp_path / 'empty'))
  with pytest.raises(ValueError, match='has no variables yet'):
    restore.restore_checkpoint(slim.Model(small_net), path)
  with pytest.raises(TypeError, match='variables must be a slim.Model'):
    restore.restore_checkpoint('Net', path)
  with pytest.raises(TypeError, match='restore_checkpoint: exclude_scopes must be'):
    restore.restore_checkpoint(built_model(), path, exclude_scopes=4)
  assert restore.restore_checkpoint(built_model(), path + '.index').checkpoint_path == path


def test_get_variables_to_train():
  model = built_model()
  assert restore.get_variables_to_train(None, model) == list(model.trainable_variables)
  names = [v.name for v in restore.get_variables_to_train('Net/Logits, Net/conv1/b', model)]
  assert names == ['Net/conv1/biases:0', 'Net/Logits/weights:0', 'Net/Logits/biases:0']
  with pytest.raises(ValueError, match="trainable_scopes 'Nope' match none of the 4"):
    restore.get_variables_to_train('Nope', model)
  with tf.Graph().as_default():
    small_net(tf.zeros([1, 4, 4, 1]))
    assert [v.op.name for v in restore.get_variables_to_train(['*/Logits'])] == [
        'Net/Logits/weights', 'Net/Logits/biases']


# Graph mode: init_fn.

def graph_checkpoint(directory, num_classes=4):
  """Trains small_net 2 steps in a graph with momentum and moving averages; saves."""
  with tf.Graph().as_default():
    global_step = slim.get_or_create_global_step()
    logits = small_net(tf.ones([2, 4, 4, 1]), num_classes)
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy([0, 1], logits)
    train_op = tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step)
    ema = tf.compat.v1.train.ExponentialMovingAverage(0.9, global_step)
    with tf.control_dependencies([train_op]):
      train_op = ema.apply(slim.get_model_variables())
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      session.run([train_op, train_op])
      return saver.save(session, os.path.join(directory, 'model.ckpt'), global_step=2)


def graph_target(num_classes, with_optimizer=True):
  """small_net in the default graph with its training state, as a script builds it."""
  global_step = slim.get_or_create_global_step()
  logits = small_net(tf.ones([2, 4, 4, 1]), num_classes)
  if with_optimizer:
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy([0, 1], logits)
    tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step)
    tf.compat.v1.train.ExponentialMovingAverage(0.9, global_step).apply(
        slim.get_model_variables())


def test_graph_init_fn_restores_model_variables_by_default(tmp_path):
  path = graph_checkpoint(str(tmp_path))
  reader = tf.train.load_checkpoint(path)
  with tf.Graph().as_default():
    graph_target(num_classes=3)
    init_fn = restore.get_init_fn(path, checkpoint_exclude_scopes='Net/Logits')
    assert init_fn.report.restored == ['Net/conv1/weights', 'Net/conv1/biases']
    reasons = set(init_fn.report.skipped.values())
    assert reasons == {"excluded by --checkpoint_exclude_scopes 'Net/Logits'",
                       'optimizer slot (restore_optimizer_slots=False)',
                       'moving average (restore_moving_averages=False)',
                       'not a model variable'}
    assert init_fn.report.skipped['global_step'] == 'not a model variable'
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      init_fn(session)
      variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
      np.testing.assert_array_equal(session.run(variables['Net/conv1/weights']),
                                    reader.get_tensor('Net/conv1/weights'))
      assert not session.run(variables['Net/conv1/weights/Momentum']).any()
      assert session.run(variables['global_step']) == 0


def test_graph_init_fn_restores_slots_and_averages_when_asked(tmp_path):
  path = graph_checkpoint(str(tmp_path))
  reader = tf.train.load_checkpoint(path)
  with tf.Graph().as_default():
    graph_target(num_classes=4)
    init_fn = restore.get_init_fn(path, restore_optimizer_slots=True,
                                  restore_moving_averages=True)
    assert list(init_fn.report.skipped) == ['global_step']
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      init_fn(session)
      for var in tf.compat.v1.global_variables():
        if var.op.name != 'global_step':
          np.testing.assert_array_equal(session.run(var), reader.get_tensor(var.op.name))


def test_graph_init_fn_none_without_checkpoint_or_with_one_in_train_dir(tmp_path):
  path = graph_checkpoint(str(tmp_path))
  with tf.Graph().as_default():
    graph_target(4, with_optimizer=False)
    assert restore.get_init_fn(None) is None
    assert restore.get_init_fn(path, train_dir=str(tmp_path)) is None  # resumes instead
    assert restore.get_init_fn(path, train_dir=str(tmp_path / 'new')) is not None
  with pytest.raises(RuntimeError, match='in TF2 .* call restore_checkpoint'):
    restore.get_init_fn(path)


# Inception V1: an ImageNet checkpoint of the reference, fine-tuned to 5 classes.

def reference_inception_graph(tf_slim, num_classes):
  """Builds the reference's Inception V1 (tf_slim.nets.inception_v1) in the default graph."""
  from tf_slim.nets import inception_v1  # pylint: disable=import-outside-toplevel
  with tf_slim.arg_scope(inception_v1.inception_v1_arg_scope()):
    inception_v1.inception_v1(tf.zeros([1, 224, 224, 3]), num_classes=num_classes)


@pytest.fixture(scope='module')
def inception_checkpoint(tf_slim, tmp_path_factory):
  """An Inception V1 checkpoint with 1001 classes, built and saved by tf_slim."""
  directory = str(tmp_path_factory.mktemp('inception_v1'))
  with tf.Graph().as_default():
    reference_inception_graph(tf_slim, NUM_IMAGENET_CLASSES)
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      return saver.save(session, os.path.join(directory, 'inception_v1.ckpt'))


@pytest.mark.reference
def test_graph_fine_tuning_inception_v1_to_5_classes(tf_slim, inception_checkpoint):
  reader = tf.train.load_checkpoint(inception_checkpoint)
  with tf.Graph().as_default():
    reference_inception_graph(tf_slim, num_classes=5)
    init_fn = restore.get_init_fn(inception_checkpoint,
                                  checkpoint_exclude_scopes='InceptionV1/Logits')
    report = init_fn.report
    print(report)
    model_variables = slim.get_model_variables()
    assert report.skipped == {
        LOGITS + '/weights': "excluded by --checkpoint_exclude_scopes 'InceptionV1/Logits'",
        LOGITS + '/biases': "excluded by --checkpoint_exclude_scopes 'InceptionV1/Logits'"}
    assert len(report.restored) == len(model_variables) - 2 and not report.missing
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      init_fn(session)
      by_name = {v.op.name: v for v in model_variables}
      for name in ('InceptionV1/Conv2d_1a_7x7/weights',
                   'InceptionV1/Mixed_5c/Branch_3/Conv2d_0b_1x1/BatchNorm/moving_variance'):
        np.testing.assert_array_equal(session.run(by_name[name]), reader.get_tensor(name))
      assert session.run(by_name[LOGITS + '/weights']).shape == (1, 1, 1024, 5)


@pytest.mark.reference
def test_graph_inception_v1_shape_mismatch_error(tf_slim, inception_checkpoint):
  with tf.Graph().as_default():
    reference_inception_graph(tf_slim, num_classes=5)
    with pytest.raises(ValueError) as error:
      restore.get_init_fn(inception_checkpoint)
  message = str(error.value)
  assert ('variable %s/weights has shape [1, 1, 1024, 5] here but [1, 1, 1024, 1001] in the '
          'checkpoint' % LOGITS) in message
  assert '--checkpoint_exclude_scopes=InceptionV1/Logits' in message


@pytest.mark.reference
def test_tf2_fine_tuning_nets_inception_v1_to_5_classes(tf_slim, inception_checkpoint):
  """Waits for nets.inception_v1 (written on another branch)."""
  del tf_slim
  inception_v1 = pytest.importorskip('nets.inception_v1')

  def network(images):
    with slim.arg_scope(inception_v1.inception_v1_arg_scope()):
      return inception_v1.inception_v1(images, num_classes=5, is_training=False)

  model = slim.Model(network)
  tf.function(model).get_concrete_function(
      tf.TensorSpec([1, 224, 224, 3]))  # creates the variables without running the net
  with pytest.raises(ValueError, match=r'variable %s/weights has shape \[1, 1, 1024, 5\] here '
                                       r'but \[1, 1, 1024, 1001\]' % LOGITS):
    restore.restore_checkpoint(model, inception_checkpoint)
  report = restore.restore_checkpoint(model, inception_checkpoint,
                                      exclude_scopes='InceptionV1/Logits')
  assert list(report.skipped) == [LOGITS + '/weights', LOGITS + '/biases']
  assert len(report.restored) == len(model.variables) - 2 and not report.missing
  reader = tf.train.load_checkpoint(inception_checkpoint)
  np.testing.assert_array_equal(
      model.variables_by_name['InceptionV1/Conv2d_1a_7x7/weights'].numpy(),
      reader.get_tensor('InceptionV1/Conv2d_1a_7x7/weights'))


def test_graph_init_fn_warm_starts_slim_learning_train(tmp_path):
  """Waits for slim.learning (graph-mode training, written on another branch)."""
  learning = pytest.importorskip('slim.learning')
  path = graph_checkpoint(str(tmp_path))
  reader = tf.train.load_checkpoint(path)
  with tf.Graph().as_default():
    global_step = slim.get_or_create_global_step()
    logits = small_net(tf.ones([2, 4, 4, 1]), num_classes=3)
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy([0, 1], logits)
    train_op = learning.create_train_op(loss, tf.compat.v1.train.GradientDescentOptimizer(0.0),
                                        global_step=global_step)
    init_fn = restore.get_init_fn(path, str(tmp_path / 'train'),
                                  checkpoint_exclude_scopes='Net/Logits')
    learning.train(train_op, str(tmp_path / 'train'), number_of_steps=1, init_fn=init_fn)
  trained = tf.train.load_checkpoint(str(tmp_path / 'train'))
  np.testing.assert_array_equal(trained.get_tensor('Net/conv1/weights'),
                                reader.get_tensor('Net/conv1/weights'))
  assert trained.get_tensor('Net/Logits/weights').shape == (48, 3)


def test_tf2_fine_tuning_through_train_init_fn(small_checkpoint, tmp_path):
  path, values = small_checkpoint
  reports = []

  def init_fn(model):
    reports.append(restore.restore_checkpoint(model, path, exclude_scopes='Net/Logits'))

  model = slim.Model(functools.partial(small_net, num_classes=3))
  images = np.random.RandomState(1).rand(6, 4, 4, 1).astype(np.float32)
  loop.train(model, tf.data.Dataset.from_tensors((images, np.arange(6) % 3)).repeat(),
             lambda m, b: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                 labels=b[1], logits=m(b[0]))),
             tf.compat.v1.train.GradientDescentOptimizer(0.0), train_dir=str(tmp_path / 't'),
             max_number_of_steps=1, init_fn=init_fn)
  assert [list(r.skipped) for r in reports] == [['Net/Logits/weights', 'Net/Logits/biases']]
  np.testing.assert_array_equal(model.variables_by_name['Net/conv1/weights'].numpy(),
                                values['Net/conv1/weights'])
