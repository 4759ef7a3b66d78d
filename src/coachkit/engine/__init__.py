"""The report engine: what turns a report kind's notebook into files, outside the kernel.

It sits above the report content (:mod:`coachkit.reports`): it imports the content's
registry of kinds, never the other way round. Following the pipeline:

- :mod:`~coachkit.engine.stack`: papermill, nbconvert and nbformat, imported once, quickly;
- :mod:`~coachkit.engine.kernels` and :mod:`~coachkit.engine.kernel_side`: the warm kernel a
  process keeps, and its reset between two notebooks (the one module that runs inside it);
- :mod:`~coachkit.engine.render`: one notebook executed, then exported to HTML and PDF;
- :mod:`~coachkit.engine.batch`: jobs of any kind, many at once on any
  ``concurrent.futures`` executor, one failure never stopping the others;
- :mod:`~coachkit.engine.cluster`: the same batch on a dask.distributed cluster.

Importing this package imports nothing else: a kernel imports ``kernel_side`` through it.
"""
