"""A process that saves one deal over and over, reporting each committed version.

Run by ``test_reliability.py``, which kills it with SIGKILL at random moments. A version is
printed only after ``Store.save`` returned, i.e. after its transaction committed.
"""

from __future__ import annotations

import sys

from coachkit.errors import ConflictError
from coachkit.model import Deal, empty_deal
from coachkit.store import Store


def statement(version: int) -> str:
    return f"revision {version} " + "of the problem, padded to make the write longer " * 40


def main(location: str) -> None:
    store = Store(location)
    base = store.latest_version("killed")
    print("ready", flush=True)
    while True:
        doc = empty_deal("killed", customer="Kill Co").to_json_dict()
        doc["problem"]["statement"] = statement((base or 0) + 1)
        doc["stakeholders"] = [{"name": f"person {i}", "concerns": "x" * 500} for i in range(20)]
        try:
            base = store.save(Deal.model_validate(doc), base_version=base, author="saver")
        except ConflictError as exc:
            base = exc.latest
            continue
        print(base, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
