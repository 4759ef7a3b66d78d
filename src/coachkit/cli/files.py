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
                       "nothing.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the version saved")
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
    with open_store(args) as store:
        saved = store.put_many([b.deal for b in books], author=args.author)  # all or nothing
        reviews = [store.put_reviews(b.deal.id, b.reviews) if b.reviews else 0
                   for b in books]
    for book, (version, changed), added in zip(books, saved, reviews, strict=True):
        note = ("" if changed else " (unchanged)") + (f", {added} reviews" if added else "")
        print(f"{book.deal.id}\tversion {version}{note}" if args.verbose else book.deal.id)
    return 0


def export(args: argparse.Namespace) -> int:
    from coachkit.clock import end_of
    from coachkit.model.files import dumps, write_workbook

    with open_store(args) as store:
        deal = store.get(args.id, as_of=args.as_of).deal
        reviews = [r for r in store.reviews(args.id)
                   if args.as_of is None or r.at <= end_of(args.as_of)]
    if args.output:
        write_workbook(deal, args.output, reviews)
        print(args.output)
    else:
        sys.stdout.write(dumps(deal, reviews))
    return 0
