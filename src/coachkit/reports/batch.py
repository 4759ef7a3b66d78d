"""Many reports in parallel; one failing report never stops the others.

A job (:class:`DealJob`, :class:`TeamJob`) is a small picklable description of one report.
:func:`run_job` renders it in whatever process it lands in, with that process's
:class:`~coachkit.reports.render.Renderer` (made once, on first use: the stack imported and a
warm-up kernel run), and returns a :class:`Result`, never raises: a failure is a reason.

:func:`render_all` spreads jobs over any :class:`concurrent.futures.Executor`. By default a
local process pool whose workers load the stack in their initializer; a cluster executor
(dask.distributed's ``Client.get_executor()``, say) works the same, since every job checks
its process is ready itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coachkit.fs import write_atomic
from coachkit.model import DEAL_ID_PATTERN
from coachkit.model.ids import slug
from coachkit.reports.render import COHORT_NOTEBOOK, DEAL_NOTEBOOK, TEAM_NOTEBOOK, Renderer
from coachkit.store.sql import has_secret

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
        if "://" not in location:
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
        return {"COACHKIT_STORE": self.location} if self.secret else {}


@dataclass(frozen=True)
class Result:
    name: str
    written: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class DealJob:
    """One deal's report: ``<deal_id>.html`` (and ``.pdf``, ``.ipynb``)."""

    deal_id: str
    title: str
    store: StoreRef
    output: Output
    as_of: str = ""
    since: str = ""
    today: str = ""
    settings: str = ""

    @property
    def name(self) -> str:
        return self.deal_id

    def run(self, renderer: Renderer) -> list[Path]:
        if not _SAFE_ID.fullmatch(self.deal_id):
            raise ValueError(f"'{self.deal_id}' is not a deal id that can name a file")
        out = self.output
        keep = out.notebook(self.deal_id)
        nb = renderer.execute(DEAL_NOTEBOOK, {
            "deal_id": self.deal_id, "store": self.store.parameter, "as_of": self.as_of,
            "since": self.since, "today": self.today, "settings": self.settings,
        }, keep=keep, env=self.store.env)
        html = renderer.html(nb, self.title, footer=f"deal {self.deal_id}")
        return _write(renderer, out, self.deal_id, html) + ([keep] if keep else [])


@dataclass(frozen=True)
class TeamJob:
    """A team's report: ``team-<slug>.html`` (and ``.pdf``) and ``team-<slug>.csv``."""

    team: str
    store: StoreRef
    output: Output
    as_of: str = ""
    today: str = ""
    settings: str = ""
    linked: tuple[str, ...] | None = None
    """Deals whose report exists (None: every deal that can be read)."""

    @property
    def stem(self) -> str:
        return f"team-{team_slug(self.team)}"

    @property
    def name(self) -> str:
        return f"team report ({self.team or 'all deals'})"

    def run(self, renderer: Renderer) -> list[Path]:
        out = self.output
        keep = out.notebook(self.stem)
        nb = renderer.execute(TEAM_NOTEBOOK, {
            "team": self.team, "store": self.store.parameter, "as_of": self.as_of,
            "today": self.today, "settings": self.settings, "link_format": out.link_format,
            "linked": None if self.linked is None else list(self.linked),
        }, keep=keep, env=self.store.env)
        title = f"Team {self.team}" if self.team else "All deals"
        html = renderer.html(nb, f"{title} · coachkit team report", footer=title)
        written = _write(renderer, out, self.stem, html)
        csv = renderer.output_of(nb, "text/csv")
        if csv is None:
            raise RuntimeError("the team notebook gave no CSV output")
        csv_path = out.path(self.stem, "csv")
        write_atomic(csv_path, csv)
        return [*written, csv_path] + ([keep] if keep else [])


@dataclass(frozen=True)
class CohortJob:
    """A workshop cohort's report for the debrief: ``cohort-<slug>.html`` (and ``.pdf``)."""

    cohort: str
    store: StoreRef
    output: Output
    as_of: str = ""
    today: str = ""
    settings: str = ""

    @property
    def stem(self) -> str:
        return f"cohort-{team_slug(self.cohort)}"

    @property
    def name(self) -> str:
        return f"cohort report ({self.cohort})"

    def run(self, renderer: Renderer) -> list[Path]:
        out = self.output
        keep = out.notebook(self.stem)
        nb = renderer.execute(COHORT_NOTEBOOK, {
            "cohort": self.cohort, "store": self.store.parameter, "as_of": self.as_of,
            "today": self.today, "settings": self.settings,
        }, keep=keep, env=self.store.env)
        title = f"Cohort {self.cohort}"
        html = renderer.html(nb, f"{title} · coachkit cohort report", footer=title)
        return _write(renderer, out, self.stem, html) + ([keep] if keep else [])


Job = DealJob | TeamJob | CohortJob


def team_slug(team: str) -> str:
    """A team name as a file name part: ``"EMEA / Industry"`` -> ``EMEA-Industry``."""
    if not team:
        return "all"
    return slug(team, 60, lower=False, fallback="team-")


def _write(renderer: Renderer, out: Output, stem: str, html: str) -> list[Path]:
    written = []
    if "html" in out.formats:
        path = out.path(stem, "html")
        write_atomic(path, html)
        written.append(path)
    if "pdf" in out.formats:
        path = out.path(stem, "pdf")
        write_atomic(path, renderer.pdf(html, Path(out.folder)))
        written.append(path)
    return written


def reason(exc: BaseException) -> str:
    """Why a report failed, on one line: the notebook's own error when a cell failed."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill's PapermillExecutionError: the cell's exception
        evalue = str(getattr(exc, "evalue", "")).strip()
        text = evalue if ename in _USER_ERRORS and evalue else f"{ename}: {evalue}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:399] + "…"


# -- inside a worker ---------------------------------------------------------------------------

_RENDERER: Renderer | None = None


def worker_ready(warm_up: bool = True) -> Renderer:
    """This process's renderer: made on first use (imports once, warm-up kernel once)."""
    global _RENDERER
    if _RENDERER is None:
        renderer = Renderer()
        if warm_up:  # if it fails, the first report starts (and retries) its own kernel
            with contextlib.suppress(Exception):
                renderer.warm_up()
        _RENDERER = renderer
    return _RENDERER


def _init_worker() -> None:
    """A pool initializer that never fails (a failing initializer breaks the whole pool):
    if the renderer cannot be made here, each job says why when it tries again."""
    with contextlib.suppress(Exception):  # run_job reports it, per job
        worker_ready()


def run_job(job: Job) -> Result:
    """Render one job here; never raises (a failure is returned as the reason)."""
    try:
        written = job.run(worker_ready())
    except Exception as exc:
        return Result(job.name, error=reason(exc))
    return Result(job.name, tuple(str(p) for p in written))


# -- in the parent -----------------------------------------------------------------------------


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started fresh (spawn: nothing inherited from the parent's threads or
    sockets), each loading the stack and warming a kernel before its first job."""
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker)


@dataclass
class Batch:
    """Deal reports and, optionally, the team report that links them."""

    deals: list[DealJob]
    team: TeamJob | None = None
    results: list[Result] = field(default_factory=list)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.ok]


def render_all(
    batch: Batch, *, workers: int | None = None, executor: Executor | None = None,
    progress: bool | None = None, on_result: Callable[[Result], None] | None = None,
) -> Batch:
    """Render every job of ``batch``; failures are kept as results, the rest still render.

    The team report starts first (its kernel is the slowest) and links every readable
    deal; if a deal's report then fails for another reason, the team report is made again
    linking only the reports that exist. ``progress``: a tqdm bar on stderr (None: only on a
    terminal).
    """
    from tqdm import tqdm

    jobs: list[Job] = [*([batch.team] if batch.team else []), *batch.deals]
    own = executor is None
    if executor is None:
        executor = process_pool(max(1, min(workers or os.cpu_count() or 1, len(jobs))))
    bar = tqdm(total=len(jobs), unit="report", desc="reports",
               disable=None if progress is None else not progress)
    try:
        results = _collect(executor, jobs, bar, on_result)
        team_result = next((r for r in results if batch.team and r.name == batch.team.name),
                           None)
        failed = {r.name for r in results if not r.ok}
        if batch.team and team_result and team_result.ok and failed & {
                d.name for d in batch.deals}:
            linked = tuple(d.deal_id for d in batch.deals if d.name not in failed)
            bar.total = (bar.total or 0) + 1
            again = _collect(executor, [replace(batch.team, linked=linked)], bar, on_result)
            results = [r for r in results if r is not team_result] + again
    finally:
        bar.close()
        if own:  # after an interrupt: drop what has not started
            executor.shutdown(wait=True, cancel_futures=True)
    batch.results = results
    return batch


def _collect(executor: Executor, jobs: Sequence[Job], bar: Any,
             on_result: Callable[[Result], None] | None) -> list[Result]:
    futures: dict[Future[Result], Job] = {executor.submit(run_job, job): job for job in jobs}
    results = []
    for future in as_completed(futures):
        try:
            result = future.result()
        except Exception as exc:  # the worker itself died, or the job could not be sent
            result = Result(futures[future].name, error=reason(exc))
        results.append(result)
        bar.update(1)
        if on_result:
            on_result(result)
    order = {job.name: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order.get(r.name, len(order)))


def deal_jobs(summaries: Iterable[Any], **common: Any) -> list[DealJob]:
    """A job per deal summary (``coachkit.store.DealSummary``), titled by its customer."""
    return [DealJob(s.id, f"{s.customer or s.id} · coachkit deal report", **common)
            for s in summaries]
