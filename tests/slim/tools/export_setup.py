"""Shared setup of the export tests: checkpoints, graph-mode references, runs of the tool."""
import contextlib
import io
import json
import os
import sys

import numpy as np
import tensorflow as tf

import slim
from slim.nets import nets_factory
from slim.tools import export_inference_graph
from tests.slim import fresh_python

VENV_BIN = os.path.dirname(sys.executable)


def subprocess_env():
  """A fresh process's environment, on the CPU, with the venv's executables on PATH."""
  return fresh_python.environment(CUDA_VISIBLE_DEVICES='',
                                  PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))


def run_tool(argv):
  """Runs the tool in this process: (exit status, stdout, stderr)."""
  out, err = io.StringIO(), io.StringIO()
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
      status = export_inference_graph.console_main(argv)
    except SystemExit as exit_:  # a flag that does not parse
      status = exit_.code
  return status, out.getvalue(), err.getvalue()


def _randomized(name, value, rng):
  """A checkpoint value that makes every variable matter (biases and batch-norm
  statistics are not left at their initial constants)."""
  if name.endswith('moving_variance'):
    return rng.uniform(0.5, 1.5, value.shape).astype(value.dtype)
  if name.endswith('gamma'):
    return rng.uniform(0.8, 1.2, value.shape).astype(value.dtype)
  return (value + rng.normal(0.0, 0.05, value.shape)).astype(value.dtype)


def random_checkpoint(path, model_name, num_classes, image_size, channels, seed=0,
                      num_frames=None):
  """Builds the network in a graph with random values and saves a TF-Slim checkpoint
  (model variables and global_step, by name, with tf.compat.v1.train.Saver); a video
  network takes clips of `num_frames` frames."""
  rng = np.random.RandomState(seed)
  frames = [num_frames] if num_frames else []
  with tf.Graph().as_default():
    tf.compat.v1.set_random_seed(seed)
    network_fn = nets_factory.get_network_fn(model_name, num_classes=num_classes)
    network_fn(tf.compat.v1.placeholder(tf.float32,
                                        [None] + frames + [image_size, image_size, channels]))
    tf.compat.v1.train.get_or_create_global_step()
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      variables = slim.get_model_variables()
      values = [_randomized(var.op.name, value, rng)
                for var, value in zip(variables, session.run(variables))]
      feeds = [tf.compat.v1.placeholder(var.dtype.base_dtype, var.shape) for var in variables]
      session.run([var.assign(feed) for var, feed in zip(variables, feeds)],
                  dict(zip(feeds, values)))  # one run: fast for the hundreds of i3d's
      return tf.compat.v1.train.Saver().save(session, path)


def trained_lenet(images, labels, steps, learning_rate, batch_size):
  """A slim.Model of LeNet (10 classes) trained `steps` Adam steps on `images`, `labels`
  (seeded, shuffled batches)."""
  tf.random.set_seed(0)
  model = slim.Model(nets_factory.get_network_fn('lenet', num_classes=10, is_training=True))
  optimizer = tf.keras.optimizers.Adam(learning_rate)
  batches = iter(tf.data.Dataset.from_tensor_slices((images, labels))
                 .shuffle(len(images), seed=0).repeat().batch(batch_size))

  @tf.function
  def step(images, labels):
    with tf.GradientTape() as tape:
      logits, _ = model(images)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                  model.trainable_variables))

  for _ in range(steps):
    step(*next(batches))
  return model


def graph_outputs(checkpoint_path, model_name, num_classes, images):
  """The logits and predictions of the checkpoint, evaluated in a TF1 graph in eval mode."""
  with tf.Graph().as_default():
    network_fn = nets_factory.get_network_fn(model_name, num_classes=num_classes,
                                             is_training=False)
    inputs = tf.compat.v1.placeholder(tf.float32, [None] + list(images.shape[1:]))
    logits, end_points = network_fn(inputs)
    saver = tf.compat.v1.train.Saver(slim.get_model_variables())
    with tf.compat.v1.Session() as session:
      saver.restore(session, checkpoint_path)
      return session.run([logits, end_points['Predictions']], {inputs: images})


# Run in a fresh process: loads a SavedModel with tf.saved_model.load and runs its
# signatures on the arrays of an .npz (key 'images' for serving_default, 'encoded'
# for serving_encoded), saving {signature/output: value} to another .npz.
LOAD_AND_RUN = r'''
import json, sys
import numpy as np
import tensorflow as tf
saved_model_dir, inputs_path, outputs_path = sys.argv[1:4]
loaded = tf.saved_model.load(saved_model_dir)
inputs = np.load(inputs_path, allow_pickle=True)
results, info = {}, {}
for key, function in loaded.signatures.items():
  name, = function.structured_input_signature[1]
  feed = inputs['images'] if name == 'images' else inputs['encoded']
  for output, value in function(**{name: tf.constant(feed)}).items():
    results['%s/%s' % (key, output)] = value.numpy()
  info[key] = {'inputs': {name: [str(s.dtype.name), s.shape.as_list()] for name, s in
                          function.structured_input_signature[1].items()},
               'outputs': {name: [str(t.dtype.name), t.shape.as_list()] for name, t in
                           function.structured_outputs.items()}}
np.savez(outputs_path, **results)
print(json.dumps(info))
'''


def load_and_run(saved_model_dir, tmp_path, images, encoded=None):
  """Runs every signature of the SavedModel in a fresh process.

  Returns:
    ({'serving_default/logits': array, ...}, {signature: {'inputs':..., 'outputs':...}}).
  """
  inputs_path, outputs_path = os.path.join(tmp_path, 'in.npz'), os.path.join(tmp_path, 'out.npz')
  arrays = {'images': images}
  if encoded is not None:
    arrays['encoded'] = np.array(encoded, dtype=object)
  np.savez(inputs_path, **arrays)
  done = fresh_python.run_python(LOAD_AND_RUN, saved_model_dir, inputs_path, outputs_path,
                                 env=subprocess_env())
  assert done.returncode == 0, done.stderr[-3000:]
  with np.load(outputs_path, allow_pickle=True) as outputs:  # class_names: bytes objects
    results = {key: outputs[key] for key in outputs.files}
  return results, json.loads(done.stdout.strip().splitlines()[-1])


def saved_model_cli_run(saved_model_dir, tmp_path, images):
  """`saved_model_cli run` (the executable installed with TensorFlow) on serving_default:
  {output: array}."""
  inputs_path = os.path.join(tmp_path, 'cli_images.npy')
  outdir = os.path.join(tmp_path, 'cli_out')
  np.save(inputs_path, images)
  done = fresh_python.run(
      [os.path.join(VENV_BIN, 'saved_model_cli'), 'run', '--dir', saved_model_dir,
       '--tag_set', 'serve', '--signature_def', 'serving_default',
       '--inputs', 'images=' + inputs_path, '--outdir', outdir], env=subprocess_env())
  assert done.returncode == 0, done.stderr[-3000:]
  return {name[:-len('.npy')]: np.load(os.path.join(outdir, name), allow_pickle=True)
          for name in os.listdir(outdir)}


def litert_run(tflite_file, images):
  """Runs serving_default of a TFLite file in LiteRT image by image: {output: stacked}."""
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=import-outside-toplevel
  runner = Interpreter(model_path=tflite_file).get_signature_runner('serving_default')
  outputs = [runner(images=image[np.newaxis]) for image in images]
  return {key: np.concatenate([out[key] for out in outputs]) for key in outputs[0]}
