"""What the tests of several areas share: helpers, long-lived servers, data builders.

Test files import from here (``from support.helpers import TODAY``), never from another test
file or from a conftest.py. Fixtures stay in conftest.py files: the root one for what every
area needs, an area's own for the rest."""

import pkgutil

import pytest

# asserts in these helpers explain themselves as the tests' own do
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
