import pytest

pytest.register_assert_rewrite('tests.slim.layers.parity')
