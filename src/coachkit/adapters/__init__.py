"""Where coachkit reaches into a library past its public API, one module per library.

Each module says what it uses, why no public hook does the job, and what it expects to find;
``tests/package/test_adapters.py`` checks those expectations against the installed version, so an
upgrade that renames or reshapes a private name fails there, with a message naming it, and
not somewhere deep in a running server.
"""
