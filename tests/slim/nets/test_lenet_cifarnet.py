"""LeNet and CifarNet: their arg scopes (initializers, regularizers); end points
are in test_end_points.py."""
import numpy as np

import slim
from slim.nets import cifarnet
from slim.nets import lenet
from tests.slim.nets import harness


def test_lenet_arg_scope():
  values, losses = harness.initial_values(
      harness.in_arg_scope(lenet.lenet, lenet.lenet_arg_scope), [1, 28, 28, 1])
  assert losses == []  # weight decay 0 adds no loss
  for name in ('LeNet/conv1/weights', 'LeNet/fc3/weights'):
    assert np.abs(values[name]).max() <= 0.2 and 0.07 < values[name].std() < 0.1
  assert not values['LeNet/fc4/biases'].any()

  def decayed(images):
    with slim.arg_scope(lenet.lenet_arg_scope(weight_decay=0.01)):
      return lenet.lenet(images)
  _, losses = harness.initial_values(decayed, [1, 28, 28, 1])
  assert losses == ['LeNet/conv1/weights', 'LeNet/conv2/weights', 'LeNet/fc3/weights',
                    'LeNet/fc4/weights']


def test_cifarnet_arg_scope():
  values, losses = harness.initial_values(
      harness.in_arg_scope(cifarnet.cifarnet, cifarnet.cifarnet_arg_scope), [1, 32, 32, 3])
  assert losses == ['CifarNet/fc3/weights', 'CifarNet/fc4/weights']
  assert np.abs(values['CifarNet/conv1/weights']).max() <= 0.1
  np.testing.assert_array_equal(values['CifarNet/fc3/biases'], np.full([384], 0.1, np.float32))
  assert not values['CifarNet/logits/biases'].any()
  assert np.abs(values['CifarNet/logits/weights']).max() <= 2 / 192.0
  assert not values['CifarNet/conv1/biases'].any()
