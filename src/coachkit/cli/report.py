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
from coachkit.reports.kinds import AUDIENCES, DATES, KINDS, MANAGER, Kind

if TYPE_CHECKING:
    from coachkit.engine.batch import Batch, Job, Output, StoreRef
    from coachkit.engine.kernels import KernelThread
    from coachkit.store import DealSummary, Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("report", parents=[parents.coaching],
                       help="render deal, team and cohort reports",
                       description="Render reports with papermill and nbconvert as "
                       "self-contained HTML (and PDF): one deal, a team, every deal, or a "
                       "training cohort. Batch work runs in parallel; one failing deal never "
                       "stops the others (their failures are listed and the exit code is 1).")
    which = p.add_mutually_exclusive_group(required=True)
    options: dict[str, Kind] = {}
    for kind in KINDS.values():  # each option once, with the help of its first kind
        options.setdefault(kind.option, kind)
    for kind in options.values():
        if kind.option.startswith("-"):
            which.add_argument(kind.option, metavar=kind.metavar, help=kind.what)
        else:
            which.add_argument(kind.option, metavar=kind.metavar, nargs="?", help=kind.what)
        if kind.every:
            which.add_argument(kind.every, action="store_true", help=kind.every_help)
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
    p.add_argument("--for", dest="audience", choices=AUDIENCES, default=MANAGER,
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
    batches = [k for k in KINDS.values() if k.each]
    if args.scheduler and not any(_given(k, args) is not None for k in batches):
        raise CoachkitError("--scheduler runs a batch: use it with " + _listed(
            [w for k in batches for w in (f"{k.option} {k.metavar}", k.every) if w]))
    kind, subject = _chosen(args)
    if kind.each:
        return _batch(kind, subject, args)
    return _one(kind, subject, args)


def _given(kind: Kind, args: argparse.Namespace) -> str | None:
    """The subject the command line gives ``kind`` (``""``: every one), or None."""
    if kind.every and getattr(args, kind.every.lstrip("-"), False):
        return ""
    value = getattr(args, kind.dest, None)
    return value if isinstance(value, str) else None


def _chosen(args: argparse.Namespace) -> tuple[Kind, str]:
    """The kind of report the options ask for, and what of."""
    mine = [k for k in KINDS.values() if k.audience == args.audience]
    for kind in mine:
        subject = _given(kind, args)
        if subject is not None:
            return kind, subject
    flags = [k.flag for k in mine]
    others = [w for k in KINDS.values() for w in (k.flag, k.every) if w and w not in flags]
    raise CoachkitError(f"--for {args.audience} makes {_listed([k.what for k in mine])}: "
                        f"give a {_listed(flags)}, not {_listed(list(dict.fromkeys(others)))}")


def _listed(words: Sequence[str], last: str = "or") -> str:
    """``a, b or c``."""
    return ", ".join(words[:-1]) + f" {last} " + words[-1] if len(words) > 1 else "".join(words)


def _batch(kind: Kind, team: str, args: argparse.Namespace) -> int:
    """Every deal of ``team`` (``""``: every deal), then ``kind``'s report of them all."""
    from coachkit.store import Store

    settings, output = _settings_and_output(args)
    with Store(args.store) as store:
        ref = _ref(store.location)
        summaries = store.list_deals(team=team or None)
        if args.as_of is not None:  # only the deals that existed then
            summaries = [s for s in summaries if _existed(store, s.id, args.as_of)]
    if not summaries:
        when = f" on {args.as_of}" if args.as_of else ""
        raise CoachkitError(f"no deals in team '{team}'{when}" if team else
                            f"no deals in the store{when} (coachkit demo loads the demo deals)")
    return _many(kind, summaries, team, ref, output, args, since=_when(args.since),
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


def _one(kind: Kind, subject: str, args: argparse.Namespace) -> int:
    """One report, rendered in this process, in a kernel launched first thing."""
    from coachkit.engine.batch import Job
    from coachkit.store import Store

    if kind.audience != MANAGER:  # takes its own options only
        refused = [d for d in DATES if d not in kind.parameters]
        if any(getattr(args, d) is not None for d in refused):
            takes = [f"--{p.replace('_', '-')}" for p in ("as_of", *DATES)
                     if p in kind.parameters]
            raise CoachkitError(f"{_listed([f'--{d}' for d in refused], 'and')} are for the "
                                f"manager's report; {kind.called} takes {_listed(takes)} only")
    with _kernel(kind.content) as kernel:
        settings, output = _settings_and_output(args)
        with Store(args.store) as store:
            about = kind.find(store, subject, args.as_of) if kind.find else None
            ref = _ref(store.location)
        return _run_here(Job(kind.name, subject, ref, output,
                             heading=kind.heading(subject, about), as_of=_when(args.as_of),
                             since=_when(args.since), today=_when(args.today),
                             settings=settings), kernel)


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


def _run_here(job: Job, kernel: KernelThread) -> int:
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


class Stopped(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so that a batch stops the way Ctrl-C stops it."""


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


def _many(kind: Kind, summaries: Sequence[DealSummary], team: str, ref: StoreRef,
          output: Output, args: argparse.Namespace, *, since: str, as_of: str, today: str,
          settings: str) -> int:
    from coachkit.engine.batch import Batch, Job, jobs_of, render_all

    if args.scheduler:
        from coachkit.clock import today as clock_today

        # the cluster's workers read the store and the clock themselves: no password sent,
        # and the same coaching day everywhere
        ref = ref.for_cluster()
        today = today or ("" if as_of else clock_today().isoformat())
    team_job = Job(kind.name, team, ref, output, as_of=as_of, today=today, settings=settings)
    batch = Batch(jobs_of(KINDS[kind.each], summaries, store=ref, output=output, since=since,
                          as_of=as_of, today=today, settings=settings), team_job)
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
