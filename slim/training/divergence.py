"""A loss that stops being finite ends the training, in every training path
(`slim.learning.train`, `slim.training.train`, the TF2 loop, the tools), with
the same error: the global step, the last checkpoint (which holds no diverged
step) and what to try."""
import tensorflow as tf

__all__ = ['CHECK_NUMERICS_MESSAGE', 'LossDivergedError', 'check_loss', 'is_check_numerics_error']

# The message of the check `create_train_op(check_numerics=True)` puts on the loss.
CHECK_NUMERICS_MESSAGE = 'LossTensor is inf or nan'
DEFAULT_ADVICE = 'Lower the learning rate, clip the gradients or check the inputs.'


class LossDivergedError(tf.errors.InvalidArgumentError):
  """The loss became NaN or infinite; the step that made it was not saved.

  Attributes:
    step: the global step the diverged step would have reached (None if unknown).
    last_checkpoint: the newest checkpoint, written before the divergence (or None).
  """

  def __init__(self, function, step=None, last_checkpoint=None, loss=None, detail='',
               advice=DEFAULT_ADVICE):
    self.step = step
    self.last_checkpoint = last_checkpoint
    message = '%s: the loss is %s%s%s; training stopped and this step was not saved%s. %s' % (
        function, 'NaN or infinite' if loss is None else loss,
        '' if step is None else ' at global step %d' % step,
        ' (%s)' % detail if detail else '',
        ' (the last checkpoint is %s)' % last_checkpoint if last_checkpoint else
        ' (no checkpoint was written)', advice)
    super().__init__(None, None, message)


def check_loss(total_loss):
  """`total_loss` checked to be finite: an op that fails the step otherwise. Make
  the gradient update depend on it so that a diverged step is not applied."""
  return tf.debugging.check_numerics(
      total_loss, CHECK_NUMERICS_MESSAGE + ': the loss diverged (' + DEFAULT_ADVICE.lower()
      .rstrip('.') + ')')


def is_check_numerics_error(error):
  """Whether `error` is the failure of `check_loss`."""
  return (isinstance(error, tf.errors.InvalidArgumentError)
          and CHECK_NUMERICS_MESSAGE in (error.message or ''))
