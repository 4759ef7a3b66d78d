"""Reports a manager reads in a deal review: the deal report and the team report.

The report notebooks in ``templates/`` are thin: a ``parameters`` cell and a few cells that
call this package. What each module holds:

- :mod:`~coachkit.reports.markup`: the one way HTML is built here; every string is escaped
  unless it is markup this package built itself;
- :mod:`~coachkit.reports.reading`: notebook parameters -> the versions a report shows;
- :mod:`~coachkit.reports.deal` and :mod:`~coachkit.reports.changes`: the deal report's
  sections, and "what changed since";
- :mod:`~coachkit.reports.team` and :mod:`~coachkit.reports.charts`: the team table (pandas),
  its formula-safe CSV, and the pipeline charts (matplotlib -> SVG, imported lazily);
- :mod:`~coachkit.reports.stack`, :mod:`~coachkit.reports.kernels` and
  :mod:`~coachkit.reports.render`: papermill, nbconvert and WeasyPrint, loaded once per
  process; one report from notebook to HTML and PDF;
- :mod:`~coachkit.reports.batch`: many reports in parallel on any ``concurrent.futures``
  executor, one failure never stopping the others.

Nothing here is imported by ``coachkit`` itself; the report kernels import only the modules
their notebook needs (the deal report never imports pandas or matplotlib).
"""
