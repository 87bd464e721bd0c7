"""Numpy versions of the published preprocessing steps, and runners for each
execution mode (TF1 graph, eager, tf.function, tf.data map)."""
import numpy as np
import tensorflow as tf

GRAYSCALE_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])
VGG_MEANS = np.array([123.68, 116.78, 103.94])
MODES = ('graph', 'eager', 'function', 'dataset', 'graph_dataset')


def random_image(height, width, channels=3, seed=0, dtype=np.uint8):
  return np.random.RandomState(seed).randint(0, 256, [height, width, channels]).astype(dtype)


def resize_bilinear(image, height, width):
  """TF1 bilinear resize: source = destination * (in / out), no half-pixel centres."""
  image = np.asarray(image, np.float64)

  def axis(out_size, in_size):
    source = np.arange(out_size) * (in_size / out_size)
    low = np.floor(source).astype(int)
    return low, np.minimum(low + 1, in_size - 1), source - low

  y0, y1, fy = axis(height, image.shape[0])
  x0, x1, fx = axis(width, image.shape[1])
  fx = fx[None, :, None]
  top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
  bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
  return top * (1 - fy[:, None, None]) + bottom * fy[:, None, None]


def grayscale(image):
  return np.tensordot(np.asarray(image, np.float64), GRAYSCALE_WEIGHTS, axes=[[-1], [0]])[
      ..., None]


def standardize(image):
  image = np.asarray(image, np.float64)
  return (image - image.mean()) / max(image.std(), 1.0 / np.sqrt(image.size))


def crop_or_pad(image, height, width):
  """Central crop (offset rounded down) or zero padding (before = (target - size) // 2)."""
  image = np.asarray(image, np.float64)
  for axis, target in ((0, height), (1, width)):
    size = image.shape[axis]
    if size > target:
      start = (size - target) // 2
      image = np.take(image, np.arange(start, start + target), axis=axis)
    elif size < target:
      before = (target - size) // 2
      pads = [(0, 0)] * 3
      pads[axis] = (before, target - size - before)
      image = np.pad(image, pads)
  return image


def windows(image, height, width):
  """Every [height, width] window of `image`, and its mirror image."""
  for top in range(image.shape[0] - height + 1):
    for left in range(image.shape[1] - width + 1):
      window = image[top:top + height, left:left + width]
      yield window
      yield window[:, ::-1]


def matches_a_window(output, image, atol):
  return any(np.allclose(output, window, atol=atol)
             for window in windows(image, output.shape[0], output.shape[1]))


def run(mode, fn, image):
  """fn(image) computed in `mode`, as numpy; graph modes see an image of unknown
  height and width."""
  image = np.asarray(image)
  if mode == 'eager':
    return fn(tf.constant(image)).numpy()
  if mode == 'function':
    return tf.function(fn)(tf.constant(image)).numpy()
  if mode == 'dataset':
    return next(iter(tf.data.Dataset.from_tensors(image).map(fn))).numpy()
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.as_dtype(image.dtype),
                                           [None, None, image.shape[2]])
    if mode == 'graph':
      output = fn(placeholder)
    else:
      dataset = tf.data.Dataset.from_tensors(placeholder).map(fn)
      iterator = tf.compat.v1.data.make_initializable_iterator(dataset)
      output = iterator.get_next()
    with tf.compat.v1.Session() as session:
      if mode == 'graph_dataset':
        session.run(iterator.initializer, {placeholder: image})
      return session.run(output, {placeholder: image})


def graph_outputs(fn, image, times=1):
  """Builds fn(image) in a fresh graph and runs it `times` times in one session."""
  with tf.Graph().as_default():
    output = fn(tf.constant(image))
    with tf.compat.v1.Session() as session:
      return [session.run(output) for _ in range(times)]


def assert_reproducible_under_seeds(train_fn, image):
  """`train_fn(image, seed)` repeats its draws for the same seed and changes them for
  another: op-level seeds in a graph; the global seed eagerly, with and without an
  op-level seed. Two draws in a row differ (a seed gives a sequence)."""

  def in_graph(seed):
    return graph_outputs(lambda x: train_fn(x, seed), image, times=2)

  def eager_global(seed, op_seed=None):
    tf.random.set_seed(seed)
    return [train_fn(tf.constant(image), op_seed).numpy() for _ in range(2)]

  for draw in (in_graph, eager_global, lambda seed: eager_global(1, op_seed=seed)):
    first, again, other = draw(5), draw(5), draw(6)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.allclose(first[0], other[0])
    assert not np.allclose(first[0], first[1])
