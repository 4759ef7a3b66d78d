"""What the report tests share: hostile text and the check that it came out escaped, a
corrupt version planted behind the store's back, and renders made once per test session."""

from __future__ import annotations

import fcntl
import html
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pydantic import BaseModel

from coachkit.model import Deal
from coachkit.store import Store

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
RAW = ("<script", "<img src=x", "onerror=alert(1)>")
"""Traces of a payload that got through unescaped."""


def hostile_deal(deal_id: str, base: Deal) -> tuple[Deal, list[str]]:
    """``base`` with both payloads and a unique marker in every text field, list entries
    and names included (disagreements follow the renamed stakeholders). Returns the deal and
    the values written."""
    values: list[str] = []
    renamed: dict[str, str] = {}

    def hostile() -> str:
        value = f"F{len(values):03d} {PAYLOADS[0]} {PAYLOADS[1]}"
        values.append(value)
        return value

    def walk(model: BaseModel) -> None:
        if type(model).__name__ == "CrmRecord":
            return  # a CRM's name and id are not free text
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                walk(value)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item)
                    elif isinstance(item, str) and name == "between":
                        value[i] = renamed[item]
                    elif isinstance(item, str):
                        value[i] = hostile()
            elif isinstance(value, str) and not isinstance(value, Enum) and name not in (
                    "id", "currency"):
                new = hostile()
                if name == "name" and type(model).__name__ == "Stakeholder":
                    renamed[value] = new
                object.__setattr__(model, name, new)

    deal = base.model_copy(deep=True)
    deal.deal.id = deal_id
    walk(deal)
    deal.training.scenario = deal.training.scenario or hostile()
    return Deal.model_validate(deal.to_json_dict()), values


def assert_escaped(page: str, values: list[str]) -> None:
    for raw in RAW:
        assert raw not in page, f"unescaped user text in the report: {raw!r}"
    missing = [v[:4] for v in values if html.escape(v) not in page]
    assert not missing, f"text fields not shown in the report: {missing}"


def corrupt(store: Store, deal_id: str) -> None:
    """A version whose document is not JSON, inserted behind the store's back."""
    from sqlalchemy import insert, update

    from coachkit.clock import now as utcnow
    from coachkit.store.tables import deals_table, versions_table

    latest = store.latest_version(deal_id) or 0
    with store.engine.begin() as conn:
        conn.execute(insert(versions_table).values(
            deal_id=deal_id, version=latest + 1, saved_at=utcnow(), author="disk",
            document='{"schema_version": 1, "deal": {"id": '))
        conn.execute(update(deals_table).where(deals_table.c.id == deal_id)
                     .values(latest_version=latest + 1))


FORMULA = '=HYPERLINK("http://evil.example/x","click")'
"""A customer name a spreadsheet would run as a formula."""


@dataclass
class Run:
    """What a ``coachkit report`` run left: its exit code and output, the folder written,
    the store read, the hostile values put in it."""

    code: int
    out: str
    err: str
    folder: Path
    store: str
    values: list[str] = field(default_factory=list)

    def html(self, stem: str) -> str:
        return (self.folder / f"{stem}.html").read_text(encoding="utf-8")


def once_per_session(factory: pytest.TempPathFactory, name: str,
                     make: Callable[[Path], Run]) -> Run:
    """``make(folder)`` once per test session, even when pytest-xdist splits the session
    over workers (the first one renders, under a lock; the others read what it wrote)."""
    shared = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    folder, done = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            folder.mkdir()
            run = make(folder)
            done.write_text(json.dumps({**asdict(run), "folder": str(run.folder)}))
        data = json.loads(done.read_text())
    return Run(**{**data, "folder": Path(data["folder"])})


class Sources(HTMLParser):
    """The addresses a page refers to: (tag, attribute, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action", "poster", "xlink:href"):
                self.refs.append((tag, name, value or ""))
