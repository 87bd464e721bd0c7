"""slim.tfexample_decoder: item handlers and decoders, eagerly and in graph mode."""
import io

import numpy as np
import pytest
import tensorflow as tf

import slim
from tests.slim.data import example_records

tfexample_decoder = slim.tfexample_decoder


def _bytes(values):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))


def _floats(values):
  return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def _ints(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _example(**features):
  return tf.train.Example(features=tf.train.Features(feature={
      key.replace('__', '/'): value for key, value in features.items()})).SerializeToString()


def _image_features(default_format='png', image_shape=()):
  return {
      'image/encoded': tf.io.FixedLenFeature(image_shape, tf.string),
      'image/format': tf.io.FixedLenFeature((), tf.string, default_value=default_format),
  }


def _decode_image(serialized, handler, default_format='png', image_shape=()):
  decoder = tfexample_decoder.TFExampleDecoder(_image_features(default_format, image_shape),
                                               {'image': handler})
  return decoder.decode(serialized, ['image'])[0]


def _gradient(shape):
  return np.arange(np.prod(shape)).reshape(shape).astype(np.uint8)


@pytest.mark.parametrize('channels', [1, 3, 4])
def test_png_images_decode_exactly(channels):
  image = _gradient((2, 3, channels))
  serialized = example_records.image_example(image, 0, 'png')
  decoded = _decode_image(serialized, tfexample_decoder.Image(channels=channels))
  np.testing.assert_array_equal(decoded.numpy(), image)
  assert decoded.shape == (2, 3, channels)


def test_jpeg_images_decode_within_one_step_with_a_dct_method():
  image = np.full((8, 8, 3), 100, dtype=np.uint8)
  serialized = example_records.image_example(image, 0, 'jpeg')
  handler = tfexample_decoder.Image(dct_method='INTEGER_ACCURATE', dtype=tf.uint16)
  decoded = _decode_image(serialized, handler, default_format='jpeg')
  assert decoded.dtype == tf.uint16
  np.testing.assert_allclose(decoded.numpy(), image, atol=1)


@pytest.mark.parametrize('image_format', ['raw', 'RAW'])
def test_raw_images_are_bytes_reshaped_to_the_shape(image_format):
  image = np.linspace(0, 1, 18).reshape(2, 3, 3).astype(np.float32)
  serialized = _example(image__encoded=_bytes([image.astype('<f4').tobytes()]),
                        image__format=_bytes([image_format.encode()]))
  handler = tfexample_decoder.Image(shape=[2, 3, 3], dtype=tf.float32)
  np.testing.assert_array_equal(_decode_image(serialized, handler).numpy(), image)


def test_repeated_images_decode_to_a_batch():
  image = _gradient((2, 3, 3))
  png = tf.io.encode_png(image).numpy()
  serialized = _example(image__encoded=_bytes([png, png, png]),
                        image__format=_bytes([b'png']))
  decoded = _decode_image(serialized, tfexample_decoder.Image(repeated=True),
                          image_shape=(3,)).numpy()
  assert decoded.shape == (3, 2, 3, 3)
  for one in decoded:
    np.testing.assert_array_equal(one, image)


def test_gif_decodes_its_first_frame_as_a_3d_image():
  from PIL import Image  # pylint: disable=import-outside-toplevel
  frames = [Image.new('RGB', (4, 3), color) for color in ((255, 0, 0), (0, 0, 255))]
  buffer = io.BytesIO()
  frames[0].save(buffer, 'GIF', save_all=True, append_images=frames[1:])
  serialized = _example(image__encoded=_bytes([buffer.getvalue()]),
                        image__format=_bytes([b'gif']))
  decoded = _decode_image(serialized, tfexample_decoder.Image()).numpy()
  assert decoded.shape == (3, 4, 3)
  assert decoded[0, 0, 0] > 200 and decoded[0, 0, 2] < 50


def test_image_static_shape_in_graph_mode(graph):
  serialized = tf.compat.v1.placeholder(tf.string, [])
  assert _decode_image(serialized, tfexample_decoder.Image()).shape.as_list() == [
      None, None, 3]
  assert _decode_image(serialized, tfexample_decoder.Image(channels=0)).shape.ndims == 3
  fixed = _decode_image(serialized, tfexample_decoder.Image(shape=[4, 5, 1], channels=1))
  assert fixed.shape.as_list() == [4, 5, 1]


def test_corrupt_image_fails_at_run_time():
  serialized = _example(image__encoded=_bytes([b'\xff\xd8\xff not really a jpeg']),
                        image__format=_bytes([b'jpeg']))
  with pytest.raises(tf.errors.InvalidArgumentError):
    _decode_image(serialized, tfexample_decoder.Image())


@pytest.mark.parametrize('channels', [5, -1, True, '3'])
def test_image_rejects_bad_channels(channels):
  with pytest.raises(ValueError, match=r'Image: channels must be 0, 1, 2, 3 or 4, received'):
    tfexample_decoder.Image(channels=channels)


def test_tensor_reshapes_from_shape_keys_and_densifies():
  serialized = _example(values=_ints(range(6)), rows=_ints([2]), cols=_ints([3]),
                        shape=_ints([3, 2]))
  features = {'values': tf.io.VarLenFeature(tf.int64), 'rows': tf.io.VarLenFeature(tf.int64),
              'cols': tf.io.VarLenFeature(tf.int64),
              'shape': tf.io.FixedLenFeature([2], tf.int64)}
  decoder = tfexample_decoder.TFExampleDecoder(features, {
      'by_keys': tfexample_decoder.Tensor('values', shape_keys=['rows', 'cols']),
      'by_key': tfexample_decoder.Tensor('values', shape_keys='shape'),
      'fixed': tfexample_decoder.Tensor('values', shape=[1, 6]),
      'dense': tfexample_decoder.Tensor('values'),
  })
  by_keys, by_key, fixed, dense = decoder.decode(serialized,
                                                 ['by_keys', 'by_key', 'fixed', 'dense'])
  np.testing.assert_array_equal(by_keys, np.arange(6).reshape(2, 3))
  np.testing.assert_array_equal(by_key, np.arange(6).reshape(3, 2))
  np.testing.assert_array_equal(fixed, np.arange(6).reshape(1, 6))
  np.testing.assert_array_equal(dense, np.arange(6))


def test_tensor_rejects_shape_and_shape_keys():
  with pytest.raises(ValueError, match='Cannot specify both shape_keys and shape'):
    tfexample_decoder.Tensor('values', shape_keys='shape', shape=[2])


def test_sparse_tensor_puts_ids_in_the_last_index_column():
  serialized = _example(indices=_ints([1, 3]), values=_floats([0.5, 2.0]))
  features = {'indices': tf.io.VarLenFeature(tf.int64), 'values': tf.io.VarLenFeature(tf.float32)}
  decoder = tfexample_decoder.TFExampleDecoder(features, {
      'sparse': tfexample_decoder.SparseTensor(shape=[5]),
      'dense': tfexample_decoder.SparseTensor(shape=[5], densify=True, default_value=-1.0)})
  sparse, dense = decoder.decode(serialized, ['sparse', 'dense'])
  assert isinstance(sparse, tf.SparseTensor)
  np.testing.assert_array_equal(sparse.indices, [[1], [3]])
  np.testing.assert_array_equal(dense, [-1, 0.5, -1, 2.0, -1])


def test_bounding_box_stacks_the_four_sides():
  boxes = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], dtype=np.float32)
  sides = dict(zip(['ymin', 'xmin', 'ymax', 'xmax'], boxes.T))
  serialized = _example(**{'bbox__%s' % side: _floats(values) for side, values in sides.items()})
  features = {'bbox/%s' % side: tf.io.VarLenFeature(tf.float32) for side in sides}
  decoder = tfexample_decoder.TFExampleDecoder(
      features, {'boxes': tfexample_decoder.BoundingBox(prefix='bbox/')})
  np.testing.assert_allclose(decoder.decode(serialized)[0], boxes)


@pytest.mark.parametrize('handler', [tfexample_decoder.BoundingBox,
                                     tfexample_decoder.BoundingBoxSequence])
def test_bounding_box_wants_four_keys(handler):
  with pytest.raises(ValueError, match='expects 4 keys but got 3'):
    handler(['ymin', 'xmin', 'ymax'], 'bbox/')


def test_backup_handler_and_lookup_tensor():
  table = tf.lookup.StaticHashTable(
      tf.lookup.KeyValueTensorInitializer(['dog', 'cat'], tf.constant([0, 1], tf.int64)), -1)
  features = {'text': tf.io.VarLenFeature(tf.string), 'label': tf.io.VarLenFeature(tf.int64)}
  handler = tfexample_decoder.BackupHandler(
      tfexample_decoder.Tensor('label'), tfexample_decoder.LookupTensor('text', table))
  decoder = tfexample_decoder.TFExampleDecoder(features, {'labels': handler})
  with_labels = _example(text=_bytes([b'cat']), label=_ints([7, 8]))
  text_only = _example(text=_bytes([b'cat', b'dog', b'cow']))
  np.testing.assert_array_equal(decoder.decode(with_labels)[0], [7, 8])
  np.testing.assert_array_equal(decoder.decode(text_only)[0], [1, 0, -1])
  with pytest.raises(ValueError, match='Backup handler is of type'):
    tfexample_decoder.BackupHandler(tfexample_decoder.Tensor('label'), 'text')


def test_item_handler_callback_gets_its_parsed_tensors():
  decoder = tfexample_decoder.TFExampleDecoder(
      {'a': tf.io.FixedLenFeature([], tf.int64), 'b': tf.io.FixedLenFeature([], tf.int64)},
      {'sum': tfexample_decoder.ItemHandlerCallback(['a', 'b'], lambda t: t['a'] + t['b'])})
  assert int(decoder.decode(_example(a=_ints([2]), b=_ints([40])))[0]) == 42


def _sequence_example(**feature_lists):
  lists = {}
  for key, rows in feature_lists.items():
    lists[key] = tf.train.FeatureList(feature=[_floats(row) for row in rows])
  return tf.train.SequenceExample(feature_lists=tf.train.FeatureLists(
      feature_list=lists)).SerializeToString()


def test_sequence_handlers_stack_boxes_keypoints_and_count_boxes():
  sides = ('ymin', 'xmin', 'ymax', 'xmax')
  frames = [[0.1, 0.2], [0.3]]  # two boxes in frame 0, one in frame 1
  serialized = _sequence_example(
      **{'box/' + side: [[v + k for v in row] for row in frames]
         for k, side in enumerate(sides)},
      **{'kp/y': [[1.0], []], 'kp/x': [[2.0], []]})
  features = {'box/' + side: tf.io.VarLenFeature(tf.float32) for side in sides}
  features.update({'kp/y': tf.io.VarLenFeature(tf.float32),
                   'kp/x': tf.io.VarLenFeature(tf.float32)})
  decoder = tfexample_decoder.TFSequenceExampleDecoder({}, features, {
      'boxes': tfexample_decoder.BoundingBoxSequence(prefix='box/'),
      'keypoints': tfexample_decoder.KeypointsSequence(prefix='kp/', default_value=-9.0),
      'num_boxes': tfexample_decoder.NumBoxesSequence(['box/ymin', 'box/xmax']),
      'mismatch': tfexample_decoder.NumBoxesSequence(['box/ymin', 'kp/y'],
                                                     check_consistency=False),
  })
  boxes, keypoints, num_boxes = decoder.decode(serialized, ['boxes', 'keypoints', 'num_boxes'])
  np.testing.assert_allclose(boxes[0], [[0.1, 1.1, 2.1, 3.1], [0.2, 1.2, 2.2, 3.2]])
  np.testing.assert_allclose(boxes[1], [[0.3, 1.3, 2.3, 3.3], [-1, -1, -1, -1]])
  np.testing.assert_allclose(keypoints, [[[1.0, 2.0]], [[-9.0, -9.0]]])
  np.testing.assert_array_equal(num_boxes, [2, 1])
  checked = tfexample_decoder.TFSequenceExampleDecoder({}, features, {
      'n': tfexample_decoder.NumBoxesSequence(['box/ymin', 'kp/y'])})
  with pytest.raises(tf.errors.InvalidArgumentError, match='assertion failed|did not hold'):
    checked.decode(serialized)


def test_num_boxes_sequence_needs_sparse_features_and_keys():
  serialized = _sequence_example(t=[[1.0, 2.0]])
  decoder = tfexample_decoder.TFSequenceExampleDecoder(
      {}, {'t': tf.io.FixedLenSequenceFeature([2], tf.float32)},
      {'n': tfexample_decoder.NumBoxesSequence('t')})
  with pytest.raises(ValueError, match='tensor must be of type tf.SparseTensor'):
    decoder.decode(serialized)
  with pytest.raises(ValueError, match='keys must not be empty'):
    tfexample_decoder.NumBoxesSequence([])


def test_sequence_decoder_reads_context_and_rejects_shared_keys():
  serialized = tf.train.SequenceExample(
      context=tf.train.Features(feature={'id': _ints([5])}),
      feature_lists=tf.train.FeatureLists(feature_list={
          'v': tf.train.FeatureList(feature=[_floats([1.0]), _floats([2.0])])}),
  ).SerializeToString()
  decoder = tfexample_decoder.TFSequenceExampleDecoder(
      {'id': tf.io.FixedLenFeature([], tf.int64)},
      {'v': tf.io.FixedLenSequenceFeature([1], tf.float32)},
      {'id': tfexample_decoder.Tensor('id'), 'v': tfexample_decoder.Tensor('v')})
  identifier, values = decoder.decode(serialized)
  assert int(identifier) == 5
  np.testing.assert_array_equal(values, [[1.0], [2.0]])
  with pytest.raises(ValueError, match='Context and sequence keys are not unique'):
    tfexample_decoder.TFSequenceExampleDecoder(
        {'v': tf.io.VarLenFeature(tf.float32)}, {'v': tf.io.VarLenFeature(tf.float32)}, {})


def test_decoder_errors_name_the_item_and_the_known_ones():
  decoder = example_records.image_decoder()
  serialized = example_records.image_example(_gradient((2, 2, 3)), 3)
  assert decoder.list_items() == ['image', 'label']
  with pytest.raises(KeyError, match=r"unknown item 'labels'. Known items: image, label"):
    decoder.decode(serialized, ['labels'])
  with pytest.raises(ValueError, match='unknown item'):
    decoder.decode(serialized, ['labels'])
  with pytest.raises(ValueError, match='items must be a list of item names'):
    decoder.decode(serialized, 'image')
  missing = tfexample_decoder.TFExampleDecoder(
      {'image/encoded': tf.io.FixedLenFeature((), tf.string)},
      {'image': tfexample_decoder.Image()})
  with pytest.raises(KeyError, match=r"needs the features \['image/format'\]"):
    missing.decode(serialized)
  with pytest.raises(ValueError, match="the handler of item 'image' must be an ItemHandler"):
    tfexample_decoder.TFExampleDecoder({}, {'image': 'not a handler'})
  with pytest.raises(ValueError, match='keys must be a feature name or a list'):
    tfexample_decoder.Tensor(3)


@pytest.mark.reference
def test_decodes_like_tf_slim_in_graph_mode(tf_slim):
  boxes = {'ymin': [0.1], 'xmin': [0.2], 'ymax': [0.3], 'xmax': [0.4]}
  serialized = example_records.image_example(
      _gradient((3, 4, 3)), 7, 'png',
      extra={'image/object/bbox/' + k: _floats(v) for k, v in boxes.items()})

  def decode(module):
    features = dict(_image_features())
    features['image/class/label'] = tf.io.FixedLenFeature([], tf.int64)
    features.update({'image/object/bbox/' + k: tf.io.VarLenFeature(tf.float32) for k in boxes})
    decoder = module.tfexample_decoder.TFExampleDecoder(features, {
        'image': module.tfexample_decoder.Image(),
        'label': module.tfexample_decoder.Tensor('image/class/label'),
        'bbox': module.tfexample_decoder.BoundingBox(prefix='image/object/bbox/')})
    with tf.Graph().as_default():
      tensors = decoder.decode(tf.constant(serialized), ['image', 'label', 'bbox'])
      shapes = [t.shape.as_list() for t in tensors]
      with tf.compat.v1.Session() as sess:
        return shapes, sess.run(tensors)

  (ours_shapes, ours), (theirs_shapes, theirs) = decode(slim), decode(tf_slim)
  assert ours_shapes == theirs_shapes
  for mine, reference in zip(ours, theirs):
    np.testing.assert_array_equal(mine, reference)
