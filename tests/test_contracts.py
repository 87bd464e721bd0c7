"""Contract 1: slim works without tf_keras and tf_slim, on public TensorFlow only."""
import os
import re
import subprocess
import sys
import textwrap

from tests.conftest import REPO

PACKAGES = ('slim', 'nets', 'datasets', 'preprocessing', 'deployment', 'scripts')
FORBIDDEN = re.compile(r'^\s*(import|from)\s+(tf_keras|keras\.src|tensorflow\.python|'
                       r'tensorflow\.contrib|tf_slim)\b|compat\.v1\.layers|tf\.layers\.|'
                       r'TF_USE_LEGACY_KERAS', re.M)


def test_package_sources_use_public_tensorflow_only():
  offenders = []
  for package in PACKAGES:
    for root, _, files in os.walk(os.path.join(REPO, package)):
      for name in files:
        if name.endswith('.py'):
          path = os.path.join(root, name)
          with open(path) as f:
            for match in FORBIDDEN.finditer(f.read()):
              offenders.append('%s: %s' % (os.path.relpath(path, REPO), match.group(0)))
  assert not offenders, offenders


TRAIN_WITHOUT_LEGACY = textwrap.dedent('''
    import sys
    for name in ('tf_keras', 'tf_slim'):
        sys.modules[name] = None  # makes `import name` fail
    import numpy as np
    import tensorflow as tf
    import slim

    def net(images, is_training):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                            normalizer_params={'is_training': is_training}):
            net = slim.conv2d(images, 8, [3, 3], scope='conv1')
            net = slim.conv2d(net, 8, [3, 3], stride=2, scope='conv2')
        return slim.fully_connected(slim.flatten(net), 3, activation_fn=None, scope='logits')

    rng = np.random.RandomState(0)
    images = rng.rand(8, 8, 8, 3).astype(np.float32)
    labels = rng.randint(0, 3, size=8)

    with tf.Graph().as_default():
        logits = net(tf.constant(images), is_training=True)
        loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            graph_losses = [sess.run([train_op, loss])[1] for _ in range(30)]
    assert len(update_ops) == 4, update_ops
    assert graph_losses[-1] < 0.5 * graph_losses[0], graph_losses

    model = slim.Model(net)
    optimizer = tf.keras.optimizers.SGD(0.5)
    model(images, is_training=True)
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=model(images, is_training=True)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
        return float(loss)
    eager_losses = [step() for _ in range(30)]
    assert eager_losses[-1] < 0.5 * eager_losses[0], eager_losses
    assert 'tf_keras' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}
    print('trained without tf_keras and tf_slim')
''')


def test_batch_norm_net_trains_with_tf_keras_and_tf_slim_unimportable():
  result = subprocess.run([sys.executable, '-c', TRAIN_WITHOUT_LEGACY], cwd=REPO,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=REPO))
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'trained without tf_keras and tf_slim' in result.stdout
