"""The app area's fixtures. The real Voila server and the browser every browser test shares
are in the root conftest.py (one of each for the whole run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coachkit.app import App
from support.helpers import TODAY, demo_store


@pytest.fixture
def app(tmp_path: Path) -> App:
    application = App(demo_store(tmp_path, "app.db"), author="tester", today=lambda: TODAY)
    application.start()
    return application
