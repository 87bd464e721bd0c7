"""Image preprocessing of the Inception networks (also used by MobileNets and NASNets).

Training distorts each image: a random crop around its bounding boxes, a resize
to the network's size, a random horizontal flip and random colour changes;
`preprocess_jpeg_for_train` does the same on the bytes of a JPEG, decoding only
the crop. Evaluation crops the central 87.5% and resizes. Both return float32 images in
[-1, 1]. Integer images are first scaled to [0, 1] by their dtype's maximum;
float32 images must already be in [0, 1].

Randomness: each training function takes `seed`. With a seed, every random op
gets its own op-level seed derived from it (reproducible in a graph, and
eagerly after `tf.random.set_seed`); without one, the ops follow the global
seed like any TensorFlow random op.
"""
import tensorflow as tf

from slim.preprocessing import _ops

__all__ = [
    'apply_with_random_selector',
    'distort_color',
    'distorted_bounding_box_crop',
    'preprocess_for_train',
    'preprocess_jpeg_for_train',
    'preprocess_for_eval',
    'preprocess_image',
]

_NUM_RESIZE_METHODS = 4  # bilinear, nearest neighbour, bicubic, area

_COLOR_OPS = {
    'brightness': lambda image, seed: tf.image.random_brightness(image, 32. / 255., seed=seed),
    'saturation': lambda image, seed: tf.image.random_saturation(image, 0.5, 1.5, seed=seed),
    'hue': lambda image, seed: tf.image.random_hue(image, 0.2, seed=seed),
    'contrast': lambda image, seed: tf.image.random_contrast(image, 0.5, 1.5, seed=seed),
}
# The order of the colour ops for each `color_ordering` (0 to 3).
_COLOR_ORDERINGS = (
    ('brightness', 'saturation', 'hue', 'contrast'),
    ('saturation', 'brightness', 'contrast', 'hue'),
    ('contrast', 'hue', 'brightness', 'saturation'),
    ('hue', 'saturation', 'contrast', 'brightness'),
)
# In fast mode (no hue, no contrast): ordering 0, and every other ordering.
_FAST_COLOR_ORDERINGS = (('brightness', 'saturation'), ('saturation', 'brightness'))

_WHOLE_IMAGE_BOX = ((((0.0, 0.0, 1.0, 1.0),),))
_TRAIN_FUNCTION = 'inception_preprocessing.preprocess_for_train'


def apply_with_random_selector(x, func, num_cases, seed=None):
  """Returns `func(x, case)` for a case drawn uniformly from [0, num_cases).

  `func` receives the case as a Python int; each case is built as a branch of
  `tf.switch_case` and only the drawn one runs.

  Args:
    x: the input tensor.
    func: a function (tensor, int) -> tensor; all cases must return tensors of
      the same dtype.
    num_cases: positive Python int.
    seed: op-level seed of the draw (default None).

  Returns:
    The output of the selected case.

  Raises:
    ValueError: if `num_cases` is not a positive int.
  """
  num_cases = _ops.check_size('apply_with_random_selector', 'num_cases', num_cases)
  if num_cases == 1:
    return func(x, 0)
  selector = _ops.random_int(num_cases, seed)
  return tf.switch_case(selector, [lambda case=case: func(x, case) for case in range(num_cases)])


def distort_color(image, color_ordering=0, fast_mode=True, scope=None, seed=None):
  """Randomly changes brightness and saturation (and, unless `fast_mode`, hue and
  contrast) in the order chosen by `color_ordering`, then clips to [0, 1].

  Args:
    image: 3-D float RGB image in [0, 1].
    color_ordering: Python int in [0, 3], the order of the colour ops (default 0).
      In fast mode 0 is brightness then saturation, 1 to 3 the reverse.
    fast_mode: skip the slower hue and contrast changes (default True).
    scope: name scope (default 'distort_color').
    seed: None or int, from which the ops' seeds are derived (default None).

  Returns:
    The distorted image, in [0, 1].

  Raises:
    ValueError: if `color_ordering` is not in [0, 3] or the image is not RGB.
  """
  function = 'distort_color'
  if color_ordering not in range(len(_COLOR_ORDERINGS)) or isinstance(color_ordering, bool):
    raise ValueError('%s: color_ordering must be in [0, 3], received %r'
                     % (function, color_ordering))
  image = _ops.check_image(function, image, channels=3)
  seeds = _ops.SeedStream(function, seed)
  if fast_mode:
    ordering = _FAST_COLOR_ORDERINGS[min(color_ordering, 1)]
  else:
    ordering = _COLOR_ORDERINGS[color_ordering]
  with tf.compat.v1.name_scope(scope, 'distort_color', [image]):
    for op_name in ordering:
      image = _COLOR_OPS[op_name](image, seeds())
    # The random colour ops do not keep values in [0, 1].
    return tf.clip_by_value(image, 0.0, 1.0)


def _bounding_boxes(function, bbox):
  """`bbox` as a float32 tensor [1, num_boxes, 4]; None is the whole image."""
  if bbox is None:
    return tf.constant(_WHOLE_IMAGE_BOX, dtype=tf.float32)
  bbox = tf.convert_to_tensor(bbox, dtype=tf.float32)
  if bbox.get_shape().ndims != 3 or not bbox.get_shape().is_compatible_with([1, None, 4]):
    raise ValueError('%s: bbox must have shape [1, num_boxes, 4] (ymin, xmin, ymax, xmax in '
                     '[0, 1]), received shape %s' % (function, bbox.get_shape()))
  return bbox


def distorted_bounding_box_crop(image, bbox, min_object_covered=0.1,
                                aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                                max_attempts=100, scope=None, seed=None):
  """Crops a random box of the image that covers part of one of `bbox`.

  See `tf.image.sample_distorted_bounding_box`: when no box meeting the
  constraints is found in `max_attempts`, the whole image is returned.

  Args:
    image: 3-D image tensor.
    bbox: float tensor [1, num_boxes, 4] of boxes (ymin, xmin, ymax, xmax) in
      [0, 1]; with no boxes, the whole image is the box.
    min_object_covered: fraction of some box the crop must contain (default 0.1).
    aspect_ratio_range: allowed width / height of the crop (default (0.75, 1.33)).
    area_range: allowed fraction of the image's area (default (0.05, 1.0)).
    max_attempts: attempts before falling back to the whole image (default 100).
    scope: name scope (default 'distorted_bounding_box_crop').
    seed: op-level seed (default None: the global seed decides).

  Returns:
    (cropped_image, distorted_bbox): the crop, and its box as [1, 1, 4].

  Raises:
    ValueError: if an argument is out of range or of the wrong shape.
  """
  function = 'distorted_bounding_box_crop'
  image = _ops.check_image(function, image)
  bbox = _bounding_boxes(function, bbox)
  constraints = _crop_constraints(function, min_object_covered, aspect_ratio_range,
                                  area_range, max_attempts)
  with tf.compat.v1.name_scope(scope, 'distorted_bounding_box_crop', [image, bbox]):
    begin, size, distorted_bbox = _sample_crop_window(tf.shape(image), bbox, constraints, seed)
    return tf.slice(image, begin, size), distorted_bbox


def _crop_constraints(function, min_object_covered, aspect_ratio_range, area_range,
                      max_attempts):
  """The checked keyword arguments of the crop sampler."""
  if not 0.0 <= min_object_covered <= 1.0:
    raise ValueError('%s: min_object_covered must be in [0, 1], received %r'
                     % (function, min_object_covered))
  return dict(
      min_object_covered=min_object_covered,
      aspect_ratio_range=_ops.check_range(function, 'aspect_ratio_range', aspect_ratio_range,
                                          0.0, float('inf')),
      area_range=_ops.check_range(function, 'area_range', area_range, 0.0, 1.0),
      max_attempts=_ops.check_size(function, 'max_attempts', max_attempts))


def _sample_crop_window(image_shape, bbox, constraints, seed):
  """(begin, size, distorted_bbox) of a random crop of an image of `image_shape`."""
  # A stateful draw seeds the stateless sampler: it follows the op-level and
  # global seeds like every other random op here.
  sampler_seed = tf.random.uniform([2], maxval=tf.int32.max, dtype=tf.int32,
                                   seed=_ops.SeedStream('distorted_bounding_box_crop', seed)())
  return tf.image.stateless_sample_distorted_bounding_box(
      image_shape, bounding_boxes=bbox, seed=sampler_seed, use_image_if_no_bounding_boxes=True,
      **constraints)


def _summarise_boxes(name, image, boxes):
  """Summarises the image with `boxes` drawn on it (TF1 graphs only)."""
  if _ops.in_graph_mode():
    _ops.image_summary(name, tf.compat.v1.image.draw_bounding_boxes(tf.expand_dims(image, 0),
                                                                     boxes))


def preprocess_for_train(image, height, width, bbox, fast_mode=True, scope=None,
                         add_image_summaries=True, random_crop=True, use_grayscale=False,
                         min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                         area_range=(0.05, 1.0), max_attempts=100, seed=None):
  """Randomly distorts one image for training.

  Crop (unless `random_crop` is False) around `bbox`, resize to
  [height, width] (bilinear; in slow mode one of four methods at random), flip
  left-right with probability 1/2, distort the colours (in slow mode in one of
  four orders at random), optionally convert to grayscale, scale to [-1, 1].

  Args:
    image: 3-D RGB image; float32 in [0, 1], or integers scaled by their maximum.
    height, width: positive ints, the output size.
    bbox: None (the whole image) or float [1, num_boxes, 4] boxes
      (ymin, xmin, ymax, xmax) in [0, 1].
    fast_mode: bilinear resize only, no hue or contrast change (default True).
    scope: name scope (default 'distort_image').
    add_image_summaries: in a TF1 graph, add image summaries of the stages to
      the SUMMARIES collection (default True; eagerly nothing is recorded).
    random_crop: crop around `bbox` first (default True).
    use_grayscale: return one grayscale channel (default False).
    min_object_covered, aspect_ratio_range, area_range, max_attempts: constraints
      of the random crop (defaults 0.1, (0.75, 1.33), (0.05, 1.0), 100).
    seed: None or int, from which every random op's seed is derived.

  Returns:
    float32 [height, width, 3] (or 1 with `use_grayscale`) in [-1, 1].

  Raises:
    ValueError: if the image is not RGB or an argument is invalid.

  Example:
    image = preprocess_for_train(tf.io.decode_jpeg(data, channels=3), 299, 299, None)
  """
  function = _TRAIN_FUNCTION
  image = _ops.check_image(function, image, channels=3)
  height = _ops.check_size(function, 'height', height)
  width = _ops.check_size(function, 'width', width)
  bbox = _bounding_boxes(function, bbox)
  seeds = _ops.SeedStream(function, seed)
  with tf.compat.v1.name_scope(scope, 'distort_image', [image, height, width, bbox]):
    image = _ops.to_unit_float(image)
    if add_image_summaries:
      _summarise_boxes('image_with_bounding_boxes', image, bbox)
    distorted = image
    if random_crop:
      distorted, distorted_bbox = distorted_bounding_box_crop(
          image, bbox, min_object_covered=min_object_covered,
          aspect_ratio_range=aspect_ratio_range, area_range=area_range,
          max_attempts=max_attempts, seed=seeds())
      distorted.set_shape([None, None, 3])
      if add_image_summaries:
        _summarise_boxes('images_with_distorted_bounding_box', image, distorted_bbox)
    return _distort_crop(distorted, height, width, fast_mode, random_crop, use_grayscale,
                         add_image_summaries, seeds)


def _distort_crop(distorted, height, width, fast_mode, cropped, use_grayscale,
                  add_image_summaries, seeds):
  """The training stages after the crop: resize, flip, colours, [-1, 1]."""
  distorted = apply_with_random_selector(
      distorted, lambda x, method: _ops.resize(x, [height, width], method),
      num_cases=1 if fast_mode else _NUM_RESIZE_METHODS, seed=seeds())
  if add_image_summaries:
    _ops.image_summary(('cropped_' if cropped else '') + 'resized_image', distorted)

  distorted = tf.image.random_flip_left_right(distorted, seed=seeds())
  color_seed = seeds()
  distorted = apply_with_random_selector(
      distorted, lambda x, ordering: distort_color(x, ordering, fast_mode, seed=color_seed),
      num_cases=1 if fast_mode else len(_COLOR_ORDERINGS), seed=seeds())
  if use_grayscale:
    distorted = tf.image.rgb_to_grayscale(distorted)
  if add_image_summaries:
    _ops.image_summary('final_distorted_image', distorted)
  return _ops.scale_to_symmetric(distorted)


def preprocess_jpeg_for_train(image_buffer, height, width, bbox, fast_mode=True, scope=None,
                              add_image_summaries=True, random_crop=True, use_grayscale=False,
                              min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                              area_range=(0.05, 1.0), max_attempts=100, seed=None):
  """`preprocess_for_train` of an encoded JPEG that decodes only the crop window.

  The crop is sampled from the image size read in the JPEG header
  (`tf.image.extract_jpeg_shape`) and only that window is decoded
  (`tf.image.decode_and_crop_jpeg`, RGB), which saves most of the decoding time
  of large images. Arguments, defaults and random draws are those of
  `preprocess_for_train`: for the same seed the output equals
  `preprocess_for_train(tf.io.decode_jpeg(image_buffer, channels=3), ...)` (up
  to JPEG rounding at the crop's edges). In a TF1 graph the image summaries are
  those of the stages after the crop: the full image is never decoded.

  Args:
    image_buffer: scalar string tensor, the bytes of a JPEG image (for example a
      'image/encoded' item decoded with `tfexample_decoder.Tensor`).
    height, width, bbox, fast_mode, scope, add_image_summaries, random_crop,
    use_grayscale, min_object_covered, aspect_ratio_range, area_range,
    max_attempts, seed: as in `preprocess_for_train`; without `random_crop`
      the whole image is decoded.

  Returns:
    float32 [height, width, 3] (or 1 with `use_grayscale`) in [-1, 1].

  Raises:
    ValueError: if `image_buffer` is not a scalar string or an argument is invalid.
    tf.errors.InvalidArgumentError: (when run) if the bytes are not a JPEG image.

  Example:
    items = {'encoded': slim.tfexample_decoder.Tensor('image/encoded'), ...}
    dataset = provider.as_dataset(items=['encoded', 'label']).map(
        lambda item: (preprocess_jpeg_for_train(item['encoded'], 299, 299, None),
                      item['label']))
  """
  function = 'inception_preprocessing.preprocess_jpeg_for_train'
  image_buffer = tf.convert_to_tensor(image_buffer)
  if image_buffer.dtype != tf.string or image_buffer.get_shape().ndims not in (None, 0):
    raise ValueError('%s: image_buffer must be a scalar string tensor (the JPEG bytes), '
                     'received %s of shape %s' % (function, image_buffer.dtype.name,
                                                  image_buffer.get_shape()))
  height = _ops.check_size(function, 'height', height)
  width = _ops.check_size(function, 'width', width)
  bbox = _bounding_boxes(function, bbox)
  constraints = _crop_constraints(function, min_object_covered, aspect_ratio_range,
                                  area_range, max_attempts)
  _ops.SeedStream(function, seed)  # checks the seed; the draws are preprocess_for_train's
  seeds = _ops.SeedStream(_TRAIN_FUNCTION, seed)
  with tf.compat.v1.name_scope(scope, 'distort_image', [image_buffer, height, width, bbox]):
    if random_crop:
      with tf.compat.v1.name_scope('distorted_bounding_box_crop'):
        begin, size, _ = _sample_crop_window(tf.image.extract_jpeg_shape(image_buffer), bbox,
                                             constraints, seeds())
        window = tf.stack([begin[0], begin[1], size[0], size[1]])
        image = tf.image.decode_and_crop_jpeg(image_buffer, window, channels=3)
    else:
      image = tf.io.decode_jpeg(image_buffer, channels=3)
    image.set_shape([None, None, 3])
    return _distort_crop(_ops.to_unit_float(image), height, width, fast_mode, random_crop,
                         use_grayscale, add_image_summaries, seeds)


def preprocess_for_eval(image, height, width, central_fraction=0.875, scope=None,
                        central_crop=True, use_grayscale=False):
  """Prepares one image for evaluation: central crop, bilinear resize, [-1, 1].

  Args:
    image: 3-D image; float32 in [0, 1], or integers scaled by their maximum.
    height, width: output size; when either is None or 0 the crop is not resized.
    central_fraction: fraction of each side kept by the central crop, in (0, 1]
      (default 0.875); None or 0 keeps the whole image.
    scope: name scope (default 'eval_image').
    central_crop: apply the central crop (default True).
    use_grayscale: convert an RGB image to one grayscale channel (default False).

  Returns:
    float32 [height, width, channels] in [-1, 1].

  Raises:
    ValueError: if an argument is invalid.
  """
  function = 'inception_preprocessing.preprocess_for_eval'
  image = _ops.check_image(function, image, channels=3 if use_grayscale else None)
  height = _ops.check_size(function, 'height', height, allow_none=True)
  width = _ops.check_size(function, 'width', width, allow_none=True)
  if central_fraction and not 0.0 < central_fraction <= 1.0:
    raise ValueError('%s: central_fraction must be in (0, 1], received %r'
                     % (function, central_fraction))
  with tf.compat.v1.name_scope(scope, 'eval_image', [image, height, width]):
    image = _ops.to_unit_float(image)
    if use_grayscale:
      image = tf.image.rgb_to_grayscale(image)
    if central_crop and central_fraction:
      image = tf.image.central_crop(image, central_fraction=central_fraction)
    if height and width:
      image = _ops.resize(image, [height, width])
    return _ops.scale_to_symmetric(image)


@_ops.register('inception')
def preprocess_image(image, height, width, is_training=False, bbox=None, fast_mode=True,
                     add_image_summaries=True, crop_image=True, use_grayscale=False,
                     central_fraction=0.875, min_object_covered=0.1,
                     aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                     max_attempts=100, seed=None):
  """Preprocesses one image for training (`preprocess_for_train`) or evaluation
  (`preprocess_for_eval`).

  Args:
    image: 3-D image; float32 in [0, 1], or integers scaled by their maximum.
    height, width: output size.
    is_training: distort for training (default False).
    bbox: training only: boxes [1, num_boxes, 4] to crop around (default None).
    fast_mode: training only: avoid the slower ops (default True).
    add_image_summaries: training only: image summaries in TF1 graphs (default True).
    crop_image: random crop in training, central crop in evaluation (default True).
    use_grayscale: return one grayscale channel (default False).
    central_fraction: evaluation only: central crop fraction (default 0.875).
    min_object_covered, aspect_ratio_range, area_range, max_attempts: training
      only: constraints of the random crop.
    seed: training only: seed of the random ops (default None).

  Returns:
    float32 [height, width, channels] in [-1, 1].

  Example:
    image = preprocess_image(decoded_jpeg, 224, 224, is_training=True, seed=1)
  """
  if is_training:
    return preprocess_for_train(
        image, height, width, bbox, fast_mode, add_image_summaries=add_image_summaries,
        random_crop=crop_image, use_grayscale=use_grayscale,
        min_object_covered=min_object_covered, aspect_ratio_range=aspect_ratio_range,
        area_range=area_range, max_attempts=max_attempts, seed=seed)
  return preprocess_for_eval(image, height, width, central_fraction=central_fraction,
                             central_crop=crop_image, use_grayscale=use_grayscale)
