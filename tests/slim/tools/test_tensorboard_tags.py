"""What train_image_classifier and eval_image_classifier log for TensorBoard (the
README's table): LeNet on the digits, two clones on the CPU for a few steps, then
one evaluation. The training summaries checked are the ones written at the start
(step 0), which do not depend on the timer."""
import pytest

from tests.slim import event_files
from tests.slim import fresh_python

STEPS = 4
LENET_END_POINTS = ['conv1', 'pool1', 'conv2', 'pool2', 'Flatten', 'fc3', 'dropout3', 'Logits',
                    'Predictions']
LENET_VARIABLES = ['LeNet/%s/%s' % (layer, kind) for layer in ('conv1', 'conv2', 'fc3', 'fc4')
                   for kind in ('weights', 'biases')]


@pytest.fixture(scope='module')
def logs(digits_dir, tmp_path_factory):
  """({tag: {step: value or kind}} of the training directory, the same of the evaluation's)."""
  root = tmp_path_factory.mktemp('tensorboard')
  train_dir, eval_dir = str(root / 'train'), str(root / 'eval')
  network = ['--dataset_name=digits', '--dataset_dir=' + digits_dir, '--model_name=lenet']
  fresh_python.check_ran(fresh_python.run_tool(
      'train_image_classifier', *network, '--train_dir=' + train_dir, '--batch_size=16',
      '--max_number_of_steps=%d' % STEPS, '--num_clones=2', '--clone_on_cpu',
      '--save_summaries_secs=1', '--num_readers=1', '--num_preprocessing_threads=1'))
  fresh_python.check_ran(fresh_python.run_tool(
      'eval_image_classifier', *network, '--dataset_split_name=test',
      '--checkpoint_path=' + train_dir, '--eval_dir=' + eval_dir))
  return event_files.summaries_by_tag(train_dir), event_files.summaries_by_tag(eval_dir)


def _at_start(summaries):
  """{tag: scalar value or kind} of the summaries written at step 0."""
  return {tag: values[0] for tag, values in summaries.items() if 0 in values}


def test_training_scalars(logs):
  start = _at_start(logs[0])
  scalars = {tag for tag, value in start.items() if isinstance(value, float)}
  assert scalars == {
      'total_loss', 'learning_rate',
      # The first clone's losses: its cross-entropy, and the loss model_deploy sums for it
      # (research/slim's tag, '<clone scope>/clone_loss' inside the clone's name scope);
      # the regularization loss (weight decay), counted on the first clone.
      'losses/clone_0/softmax_cross_entropy_loss/value', 'clone_0/clone_0//clone_loss',
      'clone_0/regularization_loss_1',
      # Every clone's loss, unscaled (train_image_classifier's own tags).
      'clone_loss/clone_0', 'clone_loss/clone_1'} | {'sparsity/' + name
                                                       for name in LENET_END_POINTS}
  assert start['learning_rate'] == pytest.approx(0.01)  # the default, fixed at step 0
  # With two clones each loss is halved before the sum, so the total is about the
  # mean of the clones' cross-entropies plus the weight decay.
  assert start['total_loss'] > start['clone_0/clone_0//clone_loss'] > 0
  assert 0 <= start['sparsity/conv1'] <= 1
  # Each clone's loss is its cross-entropy on its own batch of 16 images.
  assert start['clone_loss/clone_0'] == pytest.approx(
      start['losses/clone_0/softmax_cross_entropy_loss/value'])
  assert start['clone_loss/clone_1'] > 0


def test_training_histograms_and_images(logs):
  start = _at_start(logs[0])
  assert {tag for tag, kind in start.items() if kind == 'histo'} == (
      {'activations/' + name for name in LENET_END_POINTS} | set(LENET_VARIABLES))
  # The first 3 images of the first clone's batch, as the network sees them.
  assert {tag for tag, kind in start.items() if kind == 'image'} == {
      'images/image/0', 'images/image/1', 'images/image/2'}


def test_evaluation_scalars_at_the_checkpoint_step(logs):
  evaluation = logs[1]
  assert set(evaluation) == {'eval/Accuracy', 'eval/Recall_5'}
  accuracy, recall = evaluation['eval/Accuracy'], evaluation['eval/Recall_5']
  assert list(accuracy) == list(recall) == [STEPS]
  assert 0 <= accuracy[STEPS] <= recall[STEPS] <= 1
