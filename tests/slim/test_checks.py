"""slim._checks: one wording and one exception type per kind of argument mistake."""
import numpy as np
import pytest

from slim import _checks


@pytest.mark.parametrize('value', [0, 3, -2, np.int64(5)])
def test_check_int_accepts_ints(value):
  assert _checks.check_int('f', 'n', value) is value


@pytest.mark.parametrize('value', [2.0, True, '2', None])
def test_check_int_refuses_other_values(value):
  with pytest.raises(ValueError, match=r'^f: n must be an int, received %s$'
                     % repr(value).replace('(', r'\(').replace(')', r'\)')):
    _checks.check_int('f', 'n', value)
  assert _checks.check_int('f', 'n', None, allow_none=True) is None


@pytest.mark.parametrize('value, kwargs, words', [
    (0, {}, 'a positive int'),
    (-1, dict(allow_zero=True), 'a non-negative int'),
    (1.5, {}, 'a positive int'),
    (False, dict(allow_zero=True), 'a non-negative int'),
    (None, {}, 'a positive int'),
    ('3', dict(allow_none=True), 'a positive int or None'),
])
def test_check_count_refuses(value, kwargs, words):
  with pytest.raises(ValueError, match=r"^train: steps must be %s, received %r$" % (words, value)):
    _checks.check_count('train', 'steps', value, **kwargs)


def test_check_count_accepts():
  assert _checks.check_count('f', 'n', 1) == 1
  assert _checks.check_count('f', 'n', 0, allow_zero=True) == 0
  assert _checks.check_count('f', 'n', None, allow_none=True) is None
  assert _checks.check_count('f', 'n', np.int32(4)) == 4


def test_check_number_and_seconds():
  assert _checks.check_number('f', 'decay', 0.5, minimum=0) == 0.5
  with pytest.raises(ValueError, match=r'^f: decay must be a number >= 0, received -0.1$'):
    _checks.check_number('f', 'decay', -0.1, minimum=0)
  with pytest.raises(ValueError, match=r"^f: rate must be a rate, received 'x'$"):
    _checks.check_number('f', 'rate', 'x', what='a rate')
  assert _checks.check_seconds('f', 'timeout', 0) == 0
  assert _checks.check_seconds('f', 'timeout', None) is None
  with pytest.raises(ValueError, match=r'^f: every must be a positive number of seconds or None, '
                                       r'received 0$'):
    _checks.check_seconds('f', 'every', 0, allow_zero=False)
  with pytest.raises(ValueError, match=r'^f: every must be a non-negative number of seconds, '
                                       r'received None$'):
    _checks.check_seconds('f', 'every', None, allow_none=False)


def test_check_callable_raises_type_error():
  assert _checks.check_callable('f', 'fn', None) is None
  assert _checks.check_callable('f', 'fn', len) is len
  with pytest.raises(TypeError, match=r"^f: fn must be callable or None, received 'len'$"):
    _checks.check_callable('f', 'fn', 'len')
  with pytest.raises(TypeError, match=r'^f: fn must be callable, received None$'):
    _checks.check_callable('f', 'fn', None, allow_none=False)


def test_unknown_names_suggest_the_closest_and_list_the_known():
  error = _checks.unknown_name('network', 'inceptoin_v3', {'vgg_16', 'inception_v3'})
  assert isinstance(error, ValueError)
  assert str(error) == ("Unknown network 'inceptoin_v3'. Did you mean 'inception_v3'? "
                        "Known: inception_v3, vgg_16")
  assert str(_checks.unknown_name('dataset', 'zzz', ['digits'])) == (
      "Unknown dataset 'zzz'. Known: digits")
  assert _checks.did_you_mean('zzz', ['digits']) == ''
