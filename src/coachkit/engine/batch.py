"""Many reports in parallel; one failing report never stops the others.

A :class:`Job` is a small picklable description of one report of any kind
(:mod:`coachkit.reports.kinds`). :func:`run_job` renders it in whatever process it lands in, with
that process's :class:`~coachkit.engine.render.Renderer` and its warm kernel (made once, on
first use), and returns a :class:`Result`, never raises: a failure is a reason.

:func:`render_all` spreads jobs over any :class:`concurrent.futures.Executor`: by default a
:class:`WorkerPool` of local processes, each with its kernel started in its initializer; a
dask.distributed cluster's ``Client.get_executor()`` works the same (see
:mod:`coachkit.engine.cluster`). The team report is rendered last, linking only the deal
reports that exist on disk by then, so it never links a report that is not there.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from coachkit.engine.kernels import KernelGone, KernelThread
from coachkit.engine.render import Renderer
from coachkit.fs import write_atomic
from coachkit.model import DEAL_ID_PATTERN
from coachkit.reports.kinds import KINDS, Kind
from coachkit.store.location import ENV_VAR, has_secret, is_url

FORMATS = {"html": ("html",), "pdf": ("pdf",), "both": ("html", "pdf")}
_SAFE_ID = re.compile(DEAL_ID_PATTERN)
_USER_ERRORS = {"ReportError", "CoachkitError", "NotFound", "InvalidWorkbook"}


@dataclass(frozen=True)
class Output:
    """Where reports go and in which forms."""

    folder: str
    formats: tuple[str, ...] = ("html",)
    keep_notebook: bool = False

    def path(self, stem: str, suffix: str) -> Path:
        return Path(self.folder) / f"{stem}.{suffix}"

    def notebook(self, stem: str) -> Path | None:
        """Where to keep the executed notebook (its folder made), or None when not kept."""
        if not self.keep_notebook:
            return None
        path = self.path(stem, "ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def files(self, stem: str) -> list[Path]:
        """Every file a report of ``stem`` may write."""
        return [self.path(stem, s) for s in self.formats] + (
            [self.path(stem, "ipynb")] if self.keep_notebook else [])

    @property
    def link_format(self) -> str:
        """What the team report links to: the HTML when there is one, else the PDF."""
        return "html" if "html" in self.formats else "pdf"


@dataclass(frozen=True)
class StoreRef:
    """How a kernel finds the store: a notebook parameter, or (for a URL with a password,
    which must not be written into a notebook) ``$COACHKIT_STORE`` in its environment."""

    location: str

    @classmethod
    def of(cls, location: str) -> StoreRef:
        if not is_url(location):
            location = str(Path(location).expanduser().resolve())
        return cls(location)

    @property
    def secret(self) -> bool:
        return has_secret(self.location)

    @property
    def parameter(self) -> str:
        return "" if self.secret else self.location

    @property
    def env(self) -> dict[str, str]:
        return {ENV_VAR: self.location} if self.secret else {}

    def for_cluster(self) -> StoreRef:
        """The store as a cluster's workers find it: this location, or for a URL with a
        password none at all (each worker's own ``$COACHKIT_STORE``): a password is never
        sent to a scheduler."""
        return StoreRef("") if self.secret else self


@dataclass(frozen=True)
class Result:
    name: str
    written: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Job:
    """One report of a kind of :data:`~coachkit.reports.kinds.KINDS`, of ``subject`` (a deal
    id, a team, a cohort): ``<stem>.html`` (and ``.pdf``, ``.ipynb``, and the kind's
    attachments). Picklable: the kind travels as its name."""

    kind: str
    subject: str
    store: StoreRef
    output: Output
    heading: str = ""
    """What the report is of, in words (a deal's customer); empty: the kind's own."""
    as_of: str = ""
    since: str = ""
    today: str = ""
    settings: str = ""
    linked: tuple[str, ...] | None = None
    """For a kind that links its batch's reports: the deals whose report was rendered (None:
    every deal that can be read); of these, the report links those whose file exists when
    it runs."""

    @property
    def of(self) -> Kind:
        return KINDS[self.kind]

    @property
    def stem(self) -> str:
        return self.of.stem_of(self.subject)

    @property
    def name(self) -> str:
        return self.of.label(self.subject)

    def files(self) -> list[Path]:
        return [*self.output.files(self.stem),
                *(self.output.path(self.stem, suffix) for suffix, _ in self.of.attachments)]

    def run(self, renderer: Renderer) -> list[Path]:
        kind, out, stem = self.of, self.output, self.stem
        if kind.subject == "deal_id" and not _SAFE_ID.fullmatch(self.subject):
            raise ValueError(f"'{self.subject}' is not a deal id that can name a file")
        keep = out.notebook(stem)
        parameters = {kind.subject: self.subject, "store": self.store.parameter,
                      **{name: getattr(self, name) for name in kind.parameters}}
        if kind.links:
            parameters["link_format"] = out.link_format
            parameters["linked"] = None if self.linked is None else [
                d for d in self.linked if out.path(d, out.link_format).is_file()]
        nb = renderer.execute(kind.notebook, parameters, keep=keep, env=self.store.env)
        attached: dict[str, str] = {}
        for suffix, mimetype in kind.attachments:
            data = renderer.output_of(nb, mimetype)
            if data is None:
                raise RuntimeError(f"the {kind.name} notebook gave no {suffix.upper()} output")
            attached[suffix] = data
        heading = self.heading or kind.heading(self.subject, None)
        html = renderer.html(nb, kind.title_of(heading),
                             footer=kind.footer_of(self.subject, heading))
        written = write_report(renderer, out, stem, html)
        written += [write_atomic(out.path(stem, s), data) for s, data in attached.items()]
        return written + ([keep] if keep else [])


def write_report(renderer: Renderer, out: Output, stem: str, html: str) -> list[Path]:
    """``html`` as ``stem.html`` and/or ``stem.pdf``; every form is made before any is
    written, so a failure leaves the previous files as they were."""
    pdf = renderer.pdf(html, Path(out.folder)) if "pdf" in out.formats else None
    written = []
    if "html" in out.formats:
        written.append(write_atomic(out.path(stem, "html"), html))
    if pdf is not None:
        written.append(write_atomic(out.path(stem, "pdf"), pdf))
    return written


def reason(exc: BaseException) -> str:
    """Why a report failed, on one line: the notebook's own error when a cell failed."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # nbclient's CellExecutionError: the cell's exception
        evalue = str(getattr(exc, "evalue", "")).strip()
        text = evalue if ename in _USER_ERRORS and evalue else f"{ename}: {evalue}"
    elif isinstance(exc, KernelGone):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:399] + "…"


# -- inside a worker ---------------------------------------------------------------------------

_KERNEL: KernelThread | None = None
_RENDERER: Renderer | None = None
_ONE_AT_A_TIME = threading.Lock()
"""One kernel renders one notebook at a time (a dask worker with several threads)."""


def worker_renderer() -> Renderer:
    """This process's renderer: made on first use, its kernel launched before the stack is
    imported (they load side by side) and killed when the process ends."""
    global _KERNEL, _RENDERER
    if _RENDERER is None:
        if _KERNEL is None:
            _KERNEL = KernelThread()
            atexit.register(_KERNEL.kill)
        _RENDERER = Renderer(kernel=_KERNEL)
    return _RENDERER


def forget_worker_renderer() -> None:
    """Close this process's renderer (a cluster worker leaving)."""
    global _KERNEL, _RENDERER
    kernel, _KERNEL, _RENDERER = _KERNEL, None, None
    if kernel is not None:
        kernel.close()


def _stop_worker(signum: int, frame: FrameType | None) -> None:
    """SIGTERM in a pool worker: kill its kernel now, and go."""
    if _KERNEL is not None:
        _KERNEL.kill()
    os._exit(128 + signum)


def _init_worker() -> None:
    """A pool worker's start: Ctrl-C is the parent's to handle (it reaches the whole
    terminal's process group), SIGTERM kills the kernel too; then the renderer and a ready
    kernel. Never fails (a failing initializer breaks the whole pool): if the renderer cannot
    be made here, each job says why when it tries again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    with contextlib.suppress(Exception):
        worker_renderer().kernel.ready()


def run_job(job: Job) -> Result:
    """Render one job here; never raises (a failure is returned as the reason)."""
    try:
        with _ONE_AT_A_TIME:
            written = job.run(worker_renderer())
    except Exception as exc:
        return Result(job.name, error=reason(exc))
    return Result(job.name, tuple(str(p) for p in written))


# -- in the parent -----------------------------------------------------------------------------


class WorkerPool(ProcessPoolExecutor):
    """Local worker processes started fresh (spawn: nothing inherited from the parent's
    threads or sockets), each with its kernel warm before its first job."""

    def __init__(self, workers: int):
        super().__init__(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                         initializer=_init_worker)

    def stop(self, timeout: float = 10) -> None:
        """Stop now: every worker kills its kernel and exits (SIGTERM); jobs not started fail
        with BrokenProcessPool (not cancelled here: the pool's own thread then fails them, and
        would trip over a cancelled one). Returns once the pool's manager thread has ended
        too: left running, it closes its wake-up pipe while the interpreter's exit hook
        writes to it (unlocked, CPython 3.11), and the command ended with an
        ``OSError: [Errno 9] Bad file descriptor`` traceback after its last line."""
        processes = list((self._processes or {}).values())
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        self.shutdown(wait=True)  # every worker is gone: the manager thread ends at once


@dataclass
class Batch:
    """Deal reports and, optionally, the team report that links them."""

    deals: list[Job]
    team: Job | None = None
    results: list[Result] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    @property
    def jobs(self) -> list[Job]:
        return [*self.deals, *([self.team] if self.team else [])]

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.ok]

    def written(self) -> list[Path]:
        """Every file this batch wrote so far, judged on disk (after an interrupt, a worker
        may have written a report whose result never came back); half-written temporary
        files of its reports are removed."""
        found = []
        for job in self.jobs:
            for path in job.files():
                for tmp in path.parent.glob(f".{path.name}.*.tmp"):
                    tmp.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime >= self.started - 1:
                        found.append(path)
        return found


def render_all(
    batch: Batch, *, workers: int | None = None, executor: Executor | None = None,
    progress: bool | None = None, on_result: Callable[[Result], None] | None = None,
) -> Batch:
    """Render every deal of ``batch``, then its team report; failures are kept as results,
    the rest still render. The team report links the deal reports rendered that exist on
    disk when it runs. On an interrupt (KeyboardInterrupt, or SIGTERM made one by the
    command) jobs not started are cancelled and an own pool is stopped with its kernels;
    the exception goes on. ``progress``: a tqdm bar on stderr (None: only on a terminal).
    """
    from tqdm import tqdm

    batch.results = []
    own = executor is None
    pool: Executor = executor or WorkerPool(
        max(1, min(workers or os.cpu_count() or 1, len(batch.jobs))))
    bar = tqdm(total=len(batch.jobs), unit="report", desc="reports",
               disable=None if progress is None else not progress)
    pending: list[Future[Result]] = []
    try:
        batch.results += _collect(pool, batch.deals, pending, bar, on_result)
        if batch.team:
            rendered = tuple(d.subject for d, r in zip(batch.deals, batch.results, strict=True)
                             if r.ok)
            batch.results += _collect(pool, [replace(batch.team, linked=rendered)], pending,
                                      bar, on_result)
    except BaseException:
        if isinstance(pool, WorkerPool):
            pool.stop()
        else:
            for future in pending:
                future.cancel()
        raise
    finally:
        bar.close()
        if own:
            pool.shutdown(wait=True)
    return batch


def _collect(executor: Executor, jobs: Sequence[Job], pending: list[Future[Result]],
             bar: Any, on_result: Callable[[Result], None] | None) -> list[Result]:
    """Run ``jobs``; their results in the jobs' order (``pending``: every future, for an
    interrupt to cancel)."""
    futures: dict[Future[Result], int] = {}
    for i, job in enumerate(jobs):
        future = executor.submit(run_job, job)
        futures[future] = i
        pending.append(future)
    results: list[Result | None] = [None] * len(jobs)
    for future in as_completed(futures):
        i = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # the worker itself died, or the job could not be sent
            result = Result(jobs[i].name, error=reason(exc))
        results[i] = result
        bar.update(1)
        if on_result:
            on_result(result)
    return [r for r in results if r is not None]


def jobs_of(kind: Kind, summaries: Iterable[Any], **common: Any) -> list[Job]:
    """A job of ``kind`` per deal summary (``coachkit.store.DealSummary``), its heading in
    the summary's words."""
    return [Job(kind.name, s.id, heading=kind.heading(s.id, s), **common) for s in summaries]


def links_of(team: Job) -> Iterator[str]:
    """The deal reports an existing team report links to (its CSV's ``report`` column, and
    the HTML's links when there is one)."""
    import csv
    import io

    out = team.output
    with contextlib.suppress(OSError, csv.Error):
        text = out.path(team.stem, "csv").read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            target = (row.get("report") or "").removeprefix("'")
            if target:
                yield target
    with contextlib.suppress(OSError):
        page = out.path(team.stem, "html").read_text(encoding="utf-8")
        yield from re.findall(r'<a [^>]*href="([A-Za-z0-9_-]+\.(?:html|pdf))"', page)


def drop_broken_team_report(team: Job) -> list[Path]:
    """When this batch wrote no team report (it failed, or the batch was interrupted), an
    older one that links a report that does not exist is removed (html, pdf, csv); returns
    what was removed."""
    folder = Path(team.output.folder)
    if all((folder / target).is_file() for target in links_of(team)):
        return []
    removed = []
    for path in team.files():
        if path.suffix != ".ipynb" and path.exists():
            path.unlink()
            removed.append(path)
    return removed
