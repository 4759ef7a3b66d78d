"""The colours coachkit's pictures are drawn in: the maps, the health chart, the team
report's charts and the digest email, which app and reports share.

Named for what they mean, not for their hue, so that a picture says "critical" and not
"#b91c1c". The stylesheets (``app/style.py``, ``templates/coachkit/report.css``) use the
same values for the same meanings.
"""

from __future__ import annotations

from typing import Final

INK: Final = "#0f172a"
"""Titles and a picture's own labels."""
TEXT: Final = "#334155"
"""Axis titles, legends, tick labels of charts."""
MUTED: Final = "#475569"
"""Secondary text: scale numbers, notes."""
SUBTLE: Final = "#64748b"
"""Axes and quiet lines."""
FAINT: Final = "#94a3b8"
"""What is not known, rules and dividers."""
LINE: Final = "#cbd5e1"
"""Frames and guide lines."""
GRID: Final = "#e2e8f0"
"""Background grid lines."""

CRITICAL: Final = "#b91c1c"
WARNING: Final = "#d97706"
INFO: Final = "#2563eb"
GOOD: Final = "#15803d"
"""Severity and health, as the findings, the verdicts and the confidence bands show it."""
