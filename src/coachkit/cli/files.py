"""Workbook files: ``schema``, ``validate``, ``import``, ``export``."""

from __future__ import annotations

import argparse
import sys

from coachkit.cli.common import Parents, err, open_store, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a workbook file",
                       description="Print the JSON Schema of the workbook file format.")
    p.set_defaults(run=schema)

    p = sub.add_parser("validate", help="check workbook files without importing them",
                       description="Check workbook files; one line per file.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(run=validate)

    p = sub.add_parser("import", parents=[parents.writer],
                       help="import workbook files into the store",
                       description="Import workbook files (all or nothing); prints the deal ids. "
                       "Importing a file whose content is already the latest version adds "
                       "nothing. A file written by `coachkit export` is merged with what was "
                       "saved since it was exported: edits to different fields both land; a "
                       "field both changed stops the import unless --prefer says which wins.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the version saved")
    p.add_argument("--prefer", choices=("mine", "theirs"),
                   help="for fields both the file and the store changed since the export: "
                        "keep the file's value (mine) or the stored one (theirs)")
    p.set_defaults(run=import_)

    p = sub.add_parser("export", parents=[parents.store], help="write a deal as a workbook file",
                       description="Write a deal as a workbook file (lossless: importing it "
                       "gives the same deal).")
    p.add_argument("id", metavar="ID")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    from coachkit.cli.common import add_dates

    add_dates(p, as_of="the version saved by DATE", today=False)
    p.set_defaults(run=export)


def schema(args: argparse.Namespace) -> int:
    from coachkit.model import json_schema

    print_json(json_schema())
    return 0


def validate(args: argparse.Namespace) -> int:
    from coachkit.errors import InvalidWorkbook
    from coachkit.model.files import read_workbook

    bad = 0
    for path in args.files:
        try:
            deal = read_workbook(path)
        except InvalidWorkbook as exc:
            err(str(exc))
            bad += 1
        else:
            print(f"{path}: ok (deal {deal.id})")
    return 1 if bad else 0


def import_(args: argparse.Namespace) -> int:
    from coachkit.errors import InvalidWorkbook
    from coachkit.model.files import read_workbook_file

    books, errors = [], []
    for path in args.files:
        try:
            books.append(read_workbook_file(path))
        except InvalidWorkbook as exc:
            errors.append(str(exc))
    if errors:
        for line in errors:
            err(line)
        err("nothing imported")
        return 1
    from coachkit.errors import StaleError
    from coachkit.model.merge import summary
    from coachkit.store.incoming import incoming

    for attempt in range(2):  # once more if someone saves while we merge
        with open_store(args) as store:
            plans = [incoming(store, b.deal, b.edited_from, args.prefer) for b in books]
            stuck = [(path, p) for path, p in zip(args.files, plans, strict=True)
                     if p.conflicts]
            for path, plan in stuck:
                err(f"{path}: deal {plan.deal.id}: {plan.theirs} saved version "
                    f"{plan.base_version} since the export, and both changed "
                    f"{summary([c.title for c in plan.conflicts], 5)}; use --prefer mine or "
                    "--prefer theirs")
            if stuck:
                err("nothing imported")
                return 1
            todo = [p for p in plans if not p.unchanged]
            try:
                versions = iter(store.save_many([(p.deal, p.base_version) for p in todo],
                                                author=args.author))
            except StaleError:
                if attempt:
                    raise
                continue
            reviews = [store.put_reviews(b.deal.id, b.reviews) if b.reviews else 0
                       for b in books]
            break
    for plan, added in zip(plans, reviews, strict=True):
        version = plan.base_version if plan.unchanged else next(versions)
        note = ("" if not plan.unchanged else " (unchanged)") + (
            f", {plan.note}" if plan.note else "") + (f", {added} reviews" if added else "")
        print(f"{plan.deal.id}\tversion {version}{note}" if args.verbose else plan.deal.id)
        if plan.note and not args.verbose:
            err(f"{plan.deal.id}: {plan.note}")
    return 0


def export(args: argparse.Namespace) -> int:
    from coachkit.clock import end_of
    from coachkit.model.files import dumps, fingerprint, write_workbook

    with open_store(args) as store:
        deal = store.get(args.id, as_of=args.as_of).deal
        reviews = [r for r in store.reviews(args.id)
                   if args.as_of is None or r.at <= end_of(args.as_of)]
    edited_from = fingerprint(deal)  # an import of the edited file merges against it
    if args.output:
        write_workbook(deal, args.output, reviews, edited_from=edited_from)
        print(args.output)
    else:
        sys.stdout.write(dumps(deal, reviews, edited_from=edited_from))
    return 0
