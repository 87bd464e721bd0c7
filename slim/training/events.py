"""TensorBoard event files from TF2 code, with core TensorFlow only.

`tf.summary.scalar` and `tf.summary.image` (v2) live in the `tensorboard`
package, which TensorFlow 2.21 does not depend on. The events are `Summary`
protos: this writer builds them (`tf.compat.v1.Summary`, tags as the v1 summary
ops give them) and writes them with a core `tf.summary.create_file_writer`.
Read them back with `tf.compat.v1.train.summary_iterator`.

    writer = EventWriter('/tmp/train')
    writer.scalars(step, {'total_loss': 0.42, 'learning_rate': 0.01})
    writer.images(step, {'images': batch_of_images})   # tags images/image/0, ...
    writer.close()
"""
import numpy as np
import tensorflow as tf

__all__ = ['EventWriter']

_Summary = tf.compat.v1.Summary


def _to_uint8(image):
  """An image as uint8, scaled as the v1 image summary op scales floats: if no
  value is negative, the largest becomes 255; otherwise 0 becomes 128 and the
  largest magnitude 1 or 255."""
  if image.dtype == np.uint8:
    return image
  image = image.astype(np.float32)
  low, high = float(image.min()), float(image.max())
  if low >= 0:
    scale, offset = (255.0 / high if high > 0 else 0.0), 0.0
  else:
    scale, offset = 127.0 / max(-low, high), 128.0
  return np.clip(np.round(image * scale + offset), 0, 255).astype(np.uint8)


class EventWriter(object):
  """Writes scalar and image summaries to an events file in `logdir`."""

  def __init__(self, logdir):
    self.logdir = logdir
    tf.io.gfile.makedirs(logdir)
    self._writer = tf.summary.create_file_writer(logdir)

  def _write(self, step, values):
    proto = _Summary(value=values).SerializeToString()
    with self._writer.as_default():
      tf.summary.experimental.write_raw_pb(tf.constant(proto), step=int(step))

  def scalars(self, step, values):
    """Writes `{tag: number}` at `step`."""
    self._write(step, [_Summary.Value(tag=tag, simple_value=float(value))
                       for tag, value in values.items()])

  def images(self, step, images, max_outputs=3):
    """Writes `{tag: [N, H, W, C] images}` (C 1, 3 or 4) at `step`, the first
    `max_outputs` of each as `<tag>/image/<i>` (`<tag>/image` for one).

    Raises:
      ValueError: images that are not 4-D with 1, 3 or 4 channels.
    """
    values = []
    for tag, batch in images.items():
      batch = np.asarray(batch)
      if batch.ndim != 4 or batch.shape[-1] not in (1, 3, 4):
        raise ValueError('EventWriter.images: %s must be [N, H, W, C] images with C in '
                         '1, 3, 4, received shape %s' % (tag, batch.shape))
      batch = batch[:max_outputs]
      for index, image in enumerate(batch):
        image = _to_uint8(image)
        name = '%s/image' % tag if len(batch) == 1 else '%s/image/%d' % (tag, index)
        encoded = tf.io.encode_png(image).numpy()
        values.append(_Summary.Value(tag=name, image=_Summary.Image(
            height=image.shape[0], width=image.shape[1], colorspace=image.shape[2],
            encoded_image_string=encoded)))
    if values:
      self._write(step, values)

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()
