"""The reports' content: what a report kernel runs to show each report kind's sections.

The report notebooks in ``templates/`` are thin: a ``parameters`` cell and a few cells that
call this package. What each module holds:

- :mod:`~coachkit.reports.markup`: the one way HTML is built here; every string is escaped
  unless it is markup this package built itself;
- :mod:`~coachkit.reports.reading`: notebook parameters -> the versions a report shows;
- :mod:`~coachkit.reports.deal` and :mod:`~coachkit.reports.changes`: the deal report's
  sections, and "what changed since";
- :mod:`~coachkit.reports.team` and :mod:`~coachkit.reports.charts`: the team table (pandas),
  its formula-safe CSV, and the pipeline charts (matplotlib -> SVG, imported lazily);
- :mod:`~coachkit.reports.cohort` and :mod:`~coachkit.reports.customer`: a training
  cohort's report, and one deal's page for its buying group;
- :mod:`~coachkit.reports.sections`: a report as its sections in order (``SECTIONS``, the
  order's one home: the notebooks show ``sections()``);
- :mod:`~coachkit.reports.kinds`: every report kind declared once (notebook, parameters,
  file stem, title, what its kernel preloads, how the command selects it).

What renders them (kernels, nbconvert, WeasyPrint, batches, clusters) is the engine,
:mod:`coachkit.engine`, which sits above this package: nothing here imports it.

Nothing here is imported by ``coachkit`` itself; the report kernels import only the modules
their notebook needs (the deal report never imports pandas or matplotlib).
"""
