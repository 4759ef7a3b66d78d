"""Report notebooks and coachkit's nbconvert template, shipped as ``coachkit.templates``.

This folder is the package's own copy (pyproject maps it to ``coachkit.templates``), so a
wheel and an editable checkout find the same files through :mod:`importlib.resources`.
"""
