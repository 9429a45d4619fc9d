import pytest

# The shared helpers' asserts say what they compared, as a test module's do: registered here,
# before the conftest (or anything) imports one of them.
pytest.register_assert_rewrite("tests.helpers")
