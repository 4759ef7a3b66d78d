"""The hub area's fixtures: a real ``coachkit hub`` on a real PostgreSQL store, and another
Unix user of the machine. Module-scoped: each test module starts its own hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY, in_team
from support.hubserver import SOCKETS_SEEN, Hub, other_unix_user, team_hub


@pytest.fixture(scope="module")
def team_store(postgres) -> dict[str, object]:
    """The demo deals on PostgreSQL, spread over the teams east and west."""
    url = postgres.new_database()
    deals = sorted(demo_deals(TODAY), key=lambda d: d.id)
    teams = {"east": [d.id for d in deals[0::2]], "west": [d.id for d in deals[1::2]]}
    with Store(url) as store:
        for deal in deals:
            store.put(in_team(deal, "east" if deal.id in teams["east"] else "west"),
                      author="demo")
    parsed = make_url(url)
    customers = {d.id: d.deal.customer for d in deals}
    return {"url": url, "password": parsed.password, "database": parsed.database,
            "bare": URL.create(parsed.drivername, username=parsed.username, host=parsed.host,
                               port=parsed.port, database=parsed.database
                               ).render_as_string(hide_password=False),
            "teams": teams, "customers": customers}


@pytest.fixture(scope="module")
def hub(team_store, tmp_path_factory) -> Iterator[Hub]:
    with team_hub(team_store, tmp_path_factory.mktemp("hub"),
                  extra=("--app", "per-user")) as running:
        yield running
    # the Unix sockets of user servers go with them, and their private folders
    assert not [p for p in SOCKETS_SEEN if Path(p).parent.exists()], SOCKETS_SEEN


@pytest.fixture(scope="module")
def other_user() -> Iterator[str]:
    """Another account on this machine (needs root; CI runs as root)."""
    with other_unix_user() as name:
        yield name
