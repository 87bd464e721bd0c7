"""prefetch_queue: a queue of batches, dynamic padding and shape checks, in graph mode."""
import pytest
import tensorflow as tf

import slim
from tests.slim.data.example_records import run_until_out_of_range


def test_prefetch_queue_of_a_dict_with_dynamic_pad(graph):
  counter = tf.compat.v1.train.limit_epochs(tf.constant([1, 2, 3]), num_epochs=1)
  sizes = tf.compat.v1.train.batch([counter], batch_size=1, enqueue_many=True)
  image = tf.ones(tf.concat([sizes, [2]], 0))
  queue = slim.prefetch_queue.prefetch_queue({'image': image, 'size': sizes},
                                             dynamic_pad=True, capacity=2)
  batch = queue.dequeue()
  assert set(batch) == {'image', 'size'}
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.local_variables_initializer())
    with slim.queues.QueueRunners(sess):
      results = run_until_out_of_range(sess, batch)
  assert [r['image'].shape for r in results] == [(1, 2), (2, 2), (3, 2)]


def test_prefetch_queue_needs_defined_shapes_without_dynamic_pad(graph):
  unknown = tf.compat.v1.placeholder(tf.float32, [None])
  with pytest.raises(ValueError, match='shapes must be fully defined'):
    slim.prefetch_queue.prefetch_queue([unknown])
