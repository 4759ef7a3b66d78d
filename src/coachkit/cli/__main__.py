"""``python -m coachkit.cli``: the same as the ``coachkit`` command."""

import sys

from coachkit.cli import main

sys.exit(main())
