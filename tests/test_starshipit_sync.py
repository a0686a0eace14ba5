"""Sync with Starshipit (issue 14): statuses, carrier and tracking brought home for every submitted
fulfilment in a few pages of requests, printed or later marked shipped, an unknown order "not found", an
unreadable answer that one order's problem; through the service and `customer-desk starshipit sync`, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from desktop.cli import main
from desktop.services import shipping
from desktop.services.shipping_sync import sync_statuses
from desktop.starshipit.client import StarshipitClient
from desktop.store import models as m
from tests import factories as fx
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit


@pytest.fixture
def fake():
    server = FakeStarshipit().start()
    yield server
    server.stop()


@pytest.fixture
def client(fake):
    c = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=1000, timeout=2, backoff_base=0.01,
                         backoff_max=0.05)
    yield c
    c.close()


def submitted(db, client, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        method = fx.shipping_method(s, "Courier")
        ids = [fx.shippable_fulfillment(s, method=method).id for _ in range(n)]
    assert shipping.submit_pending(db, client).all_submitted
    return ids


def states(db) -> dict[int, tuple[str, str | None, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return {f.id: (f.status, f.starshipit_status, f.tracking_number, f.tracking_url)
                for f in s.query(m.SalesOrderFulfillment)}


def order_of(db, fid: int) -> int:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.get(m.SalesOrderFulfillment, fid).starshipit_order_id


def test_statuses_and_tracking_come_home_in_a_few_pages(db, fake, client) -> None:
    ids = submitted(db, client, 6)
    fake.ship(order_of(db, ids[0]), tracking_number="NZ100")
    fake.ship(order_of(db, ids[1]), tracking_number="NZ101", status="Printed")
    fake.ship(order_of(db, ids[2]), tracking_number="NZ102", status="Delivered")
    fake.set_status(order_of(db, ids[3]), "Saved")
    fake.requests.clear()
    result = sync_statuses(db, client)
    assert result.checked == 6 and result.shipped == 3 and not result.problems and not result.not_found
    got = states(db)
    assert got[ids[0]] == ("shipped", "Shipped", "NZ100", "https://tracking.example.test/NZ100")
    assert got[ids[1]][:3] == ("shipped", "Printed", "NZ101")
    assert got[ids[2]][:3] == ("shipped", "Delivered", "NZ102")
    assert got[ids[3]][:2] == ("submitted", "Saved")
    assert got[ids[4]][:2] == ("submitted", "Unshipped")
    # one page of shipped orders, one of unshipped: nothing asked one by one
    assert [r.path for r in fake.requests] == ["/api/orders/shipped", "/api/orders/unshipped"]
    assert fake.requests[0].query["since_order_date"].endswith("T00:00:00Z")
    fake.requests.clear()
    again = sync_statuses(db, client)  # the shipped ones are no longer asked about
    assert again.checked == 3 and again.changes == []


def test_an_order_in_neither_list_is_asked_for_and_an_unknown_one_is_not_found(db, fake, client) -> None:
    ids = submitted(db, client, 2)
    gone = order_of(db, ids[0])
    del fake.orders[gone]  # deleted in Starshipit
    with db.read() as s:
        number = s.get(m.SalesOrderFulfillment, ids[0]).fulfillment_number
    result = sync_statuses(db, client)
    assert result.not_found == [number] and result.checked == 2
    assert [r.path for r in fake.requests if r.method == "GET"][-1] == "/api/orders"
    assert states(db)[ids[0]][0] == "submitted"  # left as it was


def test_an_unreadable_answer_stops_that_order_only(db, fake, client) -> None:
    ids = submitted(db, client, 3)
    for fid in ids[:2]:  # in neither list: asked for one by one
        fake.orders[order_of(db, fid)]["status"] = "Archived"
    fake.fail_next("malformed", count=10, method="GET", path="/api/orders")  # every try of the first
    with db.read() as s:
        first = s.get(m.SalesOrderFulfillment, ids[0]).fulfillment_number
    result = sync_statuses(db, client)
    assert result.stopped is None and result.checked == 3
    assert result.problems == [f"{first}: Starshipit sent an answer that cannot be read (HTTP 200: it said "
                               f"'{{\"success\": true, \"order\": {{\"order_id\":')."]
    got = states(db)
    assert got[ids[0]][1] is None and got[ids[1]][1] == "Archived" and got[ids[2]][1] == "Unshipped"


def test_the_command_line_sync_prints_changes_and_json(db, fake, client, capsys, monkeypatch) -> None:
    monkeypatch.setenv("STARSHIPIT_API_KEY", API_KEY)
    monkeypatch.setenv("STARSHIPIT_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
    monkeypatch.setenv("STARSHIPIT_RATE", "1000")
    url = db.url.render_as_string(hide_password=False)
    ids = submitted(db, client, 2)
    fake.ship(order_of(db, ids[0]), tracking_number="NZ555")
    capsys.readouterr()
    assert main(["--database", url, "starshipit", "sync", "--base-url", fake.url]) == 0
    out = capsys.readouterr().out.splitlines()
    number = out[0].split(":")[0]
    assert out[0] == f"{number}: Shipped NZ Post NZ555 (marked shipped)"
    assert out[-1] == "Checked 2 submitted fulfilments with 2 requests: 1 printed or shipped, 1 other changes."
    assert main(["--database", url, "starshipit", "sync", "--base-url", fake.url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checked"] == 1 and data["shipped"] == 0 and data["changes"] == [] and data["requests"] == 2
