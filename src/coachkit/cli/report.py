"""``coachkit report``: one deal's report, a team's reports in parallel, a cohort's report.

    coachkit report DEAL_ID [--out DIR] [--format html|pdf|both] [--since DATE] [--as-of DATE]
                            [--keep-notebook] [--settings FILE] [--store ...]
    coachkit report --team T | --all [--out DIR] [--workers N | --scheduler ADDRESS] [...]
    coachkit report --cohort NAME [--out DIR] [...]
    coachkit report DEAL_ID --for customer [--out DIR] [--format ...] [--as-of DATE]

One deal renders in this process, in a kernel launched before anything heavy is imported. A
batch renders every deal on warm worker processes (or a dask cluster's workers), then the team
report and its CSV, with a progress bar; the files written are printed one per line, the
failures are listed on stderr with their reason, and the exit code is 1 if any report failed.
Interrupted (Ctrl-C, SIGTERM), a batch stops its workers and their kernels, prints every file
it wrote, and exits 130 (143 for SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from coachkit.cli.common import Parents, add_dates, err, when_arg
from coachkit.errors import CoachkitError

if TYPE_CHECKING:
    from coachkit.engine.batch import Batch, CohortJob, DealJob, Output, StoreRef
    from coachkit.engine.kernels import KernelThread
    from coachkit.reports.customer import CustomerJob
    from coachkit.store import DealSummary, Store, VersionInfo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("report", parents=[parents.store],
                       help="render deal, team and cohort reports",
                       description="Render reports with papermill and nbconvert as "
                       "self-contained HTML (and PDF): one deal, a team, every deal, or a "
                       "training cohort. Batch work runs in parallel; one failing deal never "
                       "stops the others (their failures are listed and the exit code is 1).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("deal", metavar="DEAL_ID", nargs="?", help="one deal's report")
    which.add_argument("--team", metavar="T", help="every deal of team T, plus a team report")
    which.add_argument("--all", action="store_true", help="every deal, plus a team report")
    which.add_argument("--cohort", metavar="NAME", help="a training cohort's report")
    p.add_argument("--out", metavar="DIR", default="reports",
                   help="folder to write (default: ./reports)")
    p.add_argument("--format", choices=("html", "pdf", "both"), default="html")
    p.add_argument("--since", type=when_arg, metavar="DATE",
                   help="'what changed since' this date (default: 14 days before the "
                        "coaching day)")
    add_dates(p, as_of="as the deals were saved by DATE")
    p.add_argument("--keep-notebook", action="store_true",
                   help="also keep the executed notebook next to the HTML")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", default=None,
                       help="parallel worker processes for batches (default: CPU count)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run a batch on the dask.distributed cluster of this scheduler "
                            "(tcp://HOST:PORT; needs coachkit[dask]); its workers read the "
                            "store and write to --out themselves")
    p.add_argument("--settings", metavar="FILE", help="a team settings file for coaching")
    p.add_argument("--for", dest="audience", choices=("manager", "customer"),
                   default="manager",
                   help="manager: the deal review reports (default); customer: one deal's "
                        "page for its buying group, DEAL_ID-customer.html, nothing internal "
                        "on it")
    p.set_defaults(run=run_report)


def _when(value: dt.date | dt.datetime | None) -> str:
    from coachkit.clock import iso

    return iso(value)


def run_report(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise CoachkitError("--workers must be 1 or more")
    if args.scheduler and not (args.team or args.all):
        raise CoachkitError("--scheduler runs a batch: use it with --team T or --all")
    if args.audience == "customer":
        return _customer(args)
    if args.deal:
        return _one(args)
    if args.cohort:
        return _cohort(args)
    from coachkit.store import Store

    settings, output = _settings_and_output(args)
    with Store(args.store) as store:
        ref = _ref(store.location)
        team = "" if args.all else args.team
        summaries = store.list_deals(team=team or None)
        if args.as_of is not None:  # only the deals that existed then
            summaries = [s for s in summaries if _existed(store, s.id, args.as_of)]
    if not summaries:
        when = f" on {args.as_of}" if args.as_of else ""
        raise CoachkitError(f"no deals in team '{team}'{when}" if team else
                            f"no deals in the store{when} (coachkit demo loads the demo deals)")
    return _many(summaries, team, ref, output, args, since=_when(args.since),
                 as_of=_when(args.as_of), today=_when(args.today), settings=settings)


def _existed(store: Store, deal_id: str, as_of: dt.date | dt.datetime) -> bool:
    from coachkit.errors import NotFound

    try:
        store.get(deal_id, as_of=as_of)
    except NotFound:
        return False
    return True


def _ref(location: str) -> StoreRef:
    from coachkit.engine.batch import StoreRef

    return StoreRef.of(location)


def _settings_and_output(args: argparse.Namespace) -> tuple[str, Output]:
    from coachkit.coaching.settings import load_settings
    from coachkit.engine.batch import FORMATS, Output
    from coachkit.engine.render import templates_dir

    templates_dir()  # missing report templates fail before any work, on one line
    settings = str(Path(args.settings).resolve()) if args.settings else ""
    load_settings(settings or None)  # so does a bad settings file
    return settings, Output(str(Path(args.out).expanduser().resolve()), FORMATS[args.format],
                            args.keep_notebook)


def _one(args: argparse.Namespace) -> int:
    """One deal, rendered in this process."""
    with _kernel("coachkit.reports.deal") as kernel:
        from coachkit.engine.batch import DealJob

        settings, output = _settings_and_output(args)
        found, ref = _stored(args)
        try:
            customer = found.deal.deal.customer
        except ValueError:  # unreadable: the report says why
            customer = ""
        return _run_here(DealJob(found.deal_id, f"{customer or found.deal_id} · coachkit "
                                 "deal report", ref, output, as_of=_when(args.as_of),
                                 since=_when(args.since), today=_when(args.today),
                                 settings=settings), kernel)


def _stored(args: argparse.Namespace) -> tuple[VersionInfo, StoreRef]:
    """The deal as saved by ``--as-of`` (not there: one line, exit 1), and the store as the
    kernel will open it."""
    from coachkit.store import Store

    with Store(args.store) as store:
        return store.get(args.deal, as_of=args.as_of), _ref(store.location)


@contextlib.contextmanager
def _kernel(preload: str) -> Iterator[KernelThread]:
    """A report kernel launched first thing: it boots and imports ``preload`` on another
    core while this process reads the store and loads nbconvert; shut down at the end."""
    from coachkit.engine.kernels import KernelThread, WarmKernel

    kernel = KernelThread(WarmKernel((preload,)))
    try:
        yield kernel
    finally:
        kernel.close()


def _customer(args: argparse.Namespace) -> int:
    """One deal's page for its buying group, rendered in this process."""
    if not args.deal:
        raise CoachkitError("--for customer makes one deal's page: give a DEAL_ID, not "
                            "--team, --all or --cohort")
    if args.since is not None or args.today is not None:
        raise CoachkitError("--since and --today are for the manager's report; the "
                            "customer's page takes --as-of only")
    with _kernel("coachkit.reports.customer") as kernel:
        from coachkit.reports.customer import CustomerJob, page_title

        settings, output = _settings_and_output(args)
        found, ref = _stored(args)
        try:
            title = page_title(found.deal)
        except ValueError:  # unreadable: the page says why
            title = found.deal_id
        return _run_here(CustomerJob(found.deal_id, title, ref, output,
                                     as_of=_when(args.as_of), settings=settings), kernel)


def _run_here(job: DealJob | CohortJob | CustomerJob, kernel: KernelThread) -> int:
    """Render one job in this process; print what it wrote; a failure is one line."""
    from coachkit.engine.batch import reason
    from coachkit.engine.render import Renderer

    try:
        written = job.run(Renderer(kernel=kernel))
    except CoachkitError:
        raise
    except Exception as exc:
        raise CoachkitError(f"report failed ({job.name}): {reason(exc)}") from None
    for path in written:
        print(path)
    return 0


def _cohort(args: argparse.Namespace) -> int:
    """A workshop cohort's report, in this process (one notebook: no pool to start)."""
    from coachkit.engine.batch import CohortJob
    from coachkit.store import Store

    settings, output = _settings_and_output(args)
    with Store(args.store) as store:
        ref = _ref(store.location)
        if not store.list_deals(cohort=args.cohort):
            raise CoachkitError(f"no workbooks in cohort '{args.cohort}' (coachkit collect "
                                "PATH --cohort NAME imports them)")
    with _kernel("coachkit.reports.cohort") as kernel:
        return _run_here(CohortJob(args.cohort, ref, output, as_of=_when(args.as_of),
                                   today=_when(args.today), settings=settings), kernel)


class Stopped(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so that a batch stops the way Ctrl-C stops it."""


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


def _many(summaries: Sequence[DealSummary], team: str, ref: StoreRef, output: Output,
          args: argparse.Namespace, *, since: str, as_of: str, today: str,
          settings: str) -> int:
    from coachkit.engine.batch import Batch, TeamJob, deal_jobs, render_all

    if args.scheduler:
        from coachkit.clock import today as clock_today

        # the cluster's workers read the store and the clock themselves: no password sent,
        # and the same coaching day everywhere
        ref = ref.for_cluster()
        today = today or ("" if as_of else clock_today().isoformat())
    team_job = TeamJob(team, ref, output, as_of=as_of, today=today, settings=settings)
    batch = Batch(deal_jobs(summaries, store=ref, output=output, since=since, as_of=as_of,
                            today=today, settings=settings), team_job)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with _executor(args, ref) as executor:
            render_all(batch, workers=args.workers, executor=executor)
    except KeyboardInterrupt as exc:
        for sig in (signal.SIGINT, signal.SIGTERM):  # no second interrupt while tidying up
            signal.signal(sig, signal.SIG_IGN)
        return _interrupted(batch, 143 if isinstance(exc, Stopped) else 130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    ordered = [r for r in batch.results if r.name == team_job.name] + [
        r for r in batch.results if r.name != team_job.name]
    for result in ordered:
        for path in result.written:
            print(path)
    failures = batch.failures
    if failures:
        err(f"{len(failures)} of {len(batch.results)} reports failed:")
        for failure in failures:
            print(f"  {failure.name}: {failure.error}", file=sys.stderr)
        _drop_broken_team_report(batch)
        return 1
    return 0


@contextlib.contextmanager
def _executor(args: argparse.Namespace, ref: StoreRef) -> Iterator[Any]:
    """The cluster's executor with ``--scheduler``, else None (a local worker pool)."""
    if not args.scheduler:
        yield None
        return
    from coachkit.engine.cluster import connect

    with connect(args.scheduler, store_from_workers=not ref.location) as client:
        yield client.get_executor(pure=False)


def _interrupted(batch: Batch, code: int) -> int:
    written = batch.written()
    for path in written:
        print(path)
    sys.stdout.flush()
    reports = len({p.stem for p in written if p.suffix != ".ipynb"})
    err(f"interrupted: {reports} of {len(batch.jobs)} reports written (listed above); "
        "run the same command again for the rest")
    _drop_broken_team_report(batch)
    return code


def _drop_broken_team_report(batch: Batch) -> None:
    """No team report written now: an older one must not link reports that are not there."""
    from coachkit.engine.batch import drop_broken_team_report

    team = batch.team
    if team is None or any(r.ok for r in batch.results if r.name == team.name):
        return
    removed = drop_broken_team_report(team)
    if removed:
        err(f"removed the older team report ({', '.join(p.name for p in removed)}): it "
            "linked reports that do not exist")
