"""Submit, update and view through the shipping service against the fake Starshipit, on SQLite and
PostgreSQL: every order created exactly once, whatever fails and wherever a run dies."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from desktop.services import shipping
from desktop.services.errors import Cancelled
from desktop.starshipit.client import StarshipitClient
from desktop.store import models as m
from tests import factories as fx
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit


class Died(Exception):
    """Stands for the process being killed."""


@pytest.fixture
def fake():
    server = FakeStarshipit(slow_s=0.6).start()
    yield server
    server.stop()


@pytest.fixture
def client(fake):
    c = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=1000, timeout=0.3, backoff_base=0.01,
                         backoff_max=0.05)
    yield c
    c.close()


def make(db, n: int = 3, **ship) -> list[int]:
    with db.transaction() as s:
        method = fx.shipping_method(s, "Courier")
        return [fx.shippable_fulfillment(s, method=method, **ship).id for _ in range(n)]


def rows(db) -> dict[int, m.SalesOrderFulfillment]:
    with db.read() as s:
        found = {f.id: f for f in s.query(m.SalesOrderFulfillment).all()}
        s.expunge_all()  # keep the loaded values after the read rolls back
        return found


def assert_each_created_once(fake: FakeStarshipit, db) -> None:
    assert max(Counter(fake.created_numbers).values(), default=1) == 1
    stored = {f.fulfillment_number: f.starshipit_order_id for f in rows(db).values()}
    for number, order_id in stored.items():
        if order_id is not None:
            assert fake.by_number[number] == order_id


def test_submit_all_pending(db, fake, client):
    ids = make(db, 3)
    seen: list[tuple[int, int]] = []
    result = shipping.submit_pending(db, client, progress=lambda d, t: seen.append((d, t)))
    assert result.all_submitted and result.summary() == "3 of 3 submitted"
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    for f in rows(db).values():
        assert f.status == "submitted" and f.starshipit_order_id and f.submitted_at and f.last_error is None
    # Looked up first (3 GETs), then one import for the batch.
    assert len(fake.requests_to("GET", "/api/orders")) == 3
    assert len(fake.requests_to("POST", "/api/orders/import")) == 1
    assert sorted(fake.created_numbers) == sorted(f.fulfillment_number for f in rows(db).values())
    assert result.requests == 4 and ids
    again = shipping.submit_pending(db, client)
    assert again.total == 0 and len(fake.requests) == 4


def test_the_payload_comes_from_the_fulfilment(db, fake, client):
    (fid,) = make(db, 1)
    shipping.submit_pending(db, client)
    f = rows(db)[fid]
    (post,) = fake.requests_to("POST", "/api/orders")  # a batch of one goes through POST /api/orders
    body = post.body["order"]
    with db.read() as s:
        order = s.get(m.SalesOrder, f.sales_order_id)
        assert body["order_number"] == f.fulfillment_number and body["reference"] == order.order_number
    assert body["currency"] == "NZD" and body["shipping_method"] == "Courier"
    assert body["destination"]["street"] == "12 Tui Street" and body["destination"]["post_code"] == "1011"
    assert body["items"] == [{"description": "Harakeke basket", "sku": body["items"][0]["sku"], "quantity": 2,
                              "weight": 0.5, "value": 10}]


def test_an_order_already_in_starshipit_is_stored_not_created_again(db, fake, client):
    a, b = make(db, 2)
    number = rows(db)[a].fulfillment_number
    existing = fake.add_order({"order_number": number})
    result = shipping.submit_pending(db, client)
    assert result.all_submitted
    assert [o.already_there for o in result.outcomes] == [True, False]
    assert rows(db)[a].starshipit_order_id == existing
    assert fake.created_numbers.count(number) == 1


def test_invalid_fulfilments_fail_with_a_message_naming_them(db, fake, client):
    good = make(db, 1)
    no_zip = make(db, 1, ship_zip=None, ship_city="", ship_address2=None)
    with db.transaction() as s:
        # The store keeps numbers within 50 characters; SQLite does not enforce a length, so check there.
        long = fx.shippable_fulfillment(s)
        if db.backend == "sqlite":
            long.fulfillment_number = "F-" + "9" * 60
        else:
            order = s.get(m.SalesOrder, long.sales_order_id)
            order.ship_country = order.ship_country_code = None
        empty = fx.shippable_fulfillment(s)
        s.query(m.SalesOrderFulfillmentLine).filter_by(fulfillment_id=empty.id).delete()
        long_id, empty_id = long.id, empty.id
    result = shipping.submit_pending(db, client)
    assert len(result.submitted) == 1 and len(result.failed) == 3 and not result.all_submitted
    got = rows(db)
    assert got[good[0]].status == "submitted"
    assert "has no city or suburb, post code" in got[no_zip[0]].last_error
    assert got[no_zip[0]].fulfillment_number in got[no_zip[0]].last_error
    assert ("62 characters (at most 50)" if db.backend == "sqlite" else "has no country") in got[long_id].last_error
    assert "no lines to ship" in got[empty_id].last_error
    for fid in (no_zip[0], long_id, empty_id):
        assert got[fid].status == "pending" and got[fid].starshipit_order_id is None
    with db.read() as s:
        assert shipping.queue_counts(s) == {"pending": 0, "failed": 3, "refused": 0, "submitted": 1, "shipped": 0}
        assert {r.fulfillment_id for r in shipping.list_queue(s, state="failed")} == {no_zip[0], long_id, empty_id}
    assert len(fake.requests) == 2  # the invalid ones were never sent


def test_retry_failed_after_fixing(db, fake, client):
    (fid,) = make(db, 1, ship_zip=None)
    make(db, 1)
    first = shipping.submit_pending(db, client)
    assert len(first.failed) == 1
    with db.transaction() as s:
        order = s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, fid).sales_order_id)
        order.ship_zip = "1011"
    retry = shipping.submit_pending(db, client, only_failed=True)
    assert retry.total == 1 and retry.all_submitted
    assert rows(db)[fid].last_error is None and rows(db)[fid].status == "submitted"


@pytest.mark.parametrize("batch_size", [1, 50])
@pytest.mark.parametrize("moment", ["created", "stored"])
def test_killed_halfway_and_run_again_creates_nothing_twice(db, fake, client, batch_size, moment):
    make(db, 6)
    events: list[int] = []

    def die_on_the_fourth(event: str, fid: int) -> None:
        if event == moment:
            events.append(fid)
            if len(events) == 4:
                raise Died()

    with pytest.raises(Died):
        shipping.submit_pending(db, client, batch_size=batch_size, checkpoint=die_on_the_fourth)
    stored = [f for f in rows(db).values() if f.starshipit_order_id is not None]
    assert len(stored) == (3 if moment == "created" else 4)
    rerun = shipping.submit_pending(db, client, batch_size=batch_size)
    assert rerun.all_submitted and rerun.total == 6 - len(stored)
    assert all(f.status == "submitted" for f in rows(db).values())
    assert len(fake.created_numbers) == 6
    assert_each_created_once(fake, db)
    # What Starshipit had but the store had not heard of was found by the lookup, not created again.
    assert sum(o.already_there for o in rerun.outcomes) >= (1 if moment == "created" else 0)


@pytest.mark.parametrize("kind", ["500_after", "drop_after", "slow", "malformed", "500", "drop", "502gw"])
def test_an_unconfirmed_import_is_looked_up_before_it_is_sent_again(db, fake, client, kind):
    make(db, 4)
    fake.fail_next(kind, method="POST", path="/api/orders/import")
    result = shipping.submit_pending(db, client)
    assert result.all_submitted, result.summary()
    assert len(fake.created_numbers) == 4
    assert_each_created_once(fake, db)


@pytest.mark.parametrize("kind", ["500_after", "drop_after", "500"])
def test_an_unconfirmed_single_create_is_looked_up_too(db, fake, client, kind):
    make(db, 1)
    fake.fail_next(kind, method="POST", path="/api/orders")
    result = shipping.submit_pending(db, client)
    assert result.all_submitted and len(fake.created_numbers) == 1


def test_faults_on_lookups_and_429_are_ridden_out(db, fake, client):
    make(db, 3)
    fake.fail_next("429", method="GET", retry_after="0.2")
    fake.fail_next("500", method="GET")
    fake.fail_next("drop", method="GET")
    fake.fail_next("429", method="POST", retry_after="0.2")
    result = shipping.submit_pending(db, client)
    assert result.all_submitted and fake.inside_windows() == []
    assert_each_created_once(fake, db)


def test_a_whole_batch_refused_is_sent_one_by_one(db, fake, client):
    ids = make(db, 3)
    # Someone created the second one in Starshipit after our lookup: the import is refused as a whole by a
    # strict server; each then goes on its own and gets its own answer.
    number = rows(db)[ids[1]].fulfillment_number
    original = fake.handle

    def strict(method, path, query, headers, body, raw_ok):
        if method == "POST" and path == "/api/orders/import":
            fake.add_order({"order_number": number})
            fake.handle = original
            return 400, {"success": False, "errors": [{"message": "Order number already exists",
                                                       "details": f"order_number {number}"}]}, {}
        return original(method, path, query, headers, body, raw_ok)

    fake.handle = strict
    result = shipping.submit_pending(db, client)
    assert [o.ok for o in result.outcomes] == [True, False, True]
    assert "already exists" in result.outcomes[1].error
    assert_each_created_once(fake, db)


def test_wrong_keys_stop_the_run_without_blaming_the_orders(db, fake):
    make(db, 2)
    bad = StarshipitClient(API_KEY, "wrong", fake.url, rate=1000)
    result = shipping.submit_pending(db, bad)
    bad.close()
    assert result.stopped and "refused the keys" in result.stopped and result.outcomes == []
    assert all(f.last_error is None for f in rows(db).values())
    assert len(fake.requests) == 1


def test_cancel_stops_after_the_current_request_and_keeps_what_was_stored(db, fake, client):
    make(db, 6)

    def progress(done: int, total: int) -> None:
        if done >= 2:
            raise Cancelled()

    result = shipping.submit_pending(db, client, batch_size=1, progress=progress)
    assert result.cancelled and len(result.submitted) == 2 and result.not_attempted == 4
    assert "(cancelled)" in result.summary()
    assert sum(f.starshipit_order_id is not None for f in rows(db).values()) == 2
    assert len(fake.created_numbers) == 2


def test_update_sends_the_current_destination_and_items(db, fake, client):
    (fid,) = make(db, 1)
    with pytest.raises(shipping.NotSubmitted):
        shipping.update_from_fulfillment(db, client, fid)
    shipping.submit_pending(db, client)
    with db.transaction() as s:
        order = s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, fid).sales_order_id)
        order.ship_address1 = "1 Kea Lane"
        order.ship_city = "Wellington"
    updated = shipping.update_from_fulfillment(db, client, fid)
    stored = fake.orders[updated.order_id]
    assert stored["destination"]["street"] == "1 Kea Lane" and stored["destination"]["city"] == "Wellington"
    (put,) = fake.requests_to("PUT", "/api/orders")
    assert put.body["order"]["order_id"] == rows(db)[fid].starshipit_order_id
    assert put.body["order"]["items"][0]["quantity"] == 2


def test_view_shows_tracking_and_records_it(db, fake, client):
    (fid,) = make(db, 1)
    shipping.submit_pending(db, client)
    number = rows(db)[fid].fulfillment_number
    view = shipping.view_order(db, client, number)  # by fulfilment number as well as by id
    assert view.order.status == "Unshipped" and view.order.tracking_number is None
    fake.ship(rows(db)[fid].starshipit_order_id, tracking_number="NZ555")
    view = shipping.view_order(db, client, fid)
    assert view.order.tracking_url.endswith("NZ555") and view.customer_name == "Aroha Kowhai"
    f = rows(db)[fid]
    assert f.status == "shipped" and f.tracking_number == "NZ555" and f.carrier == "NZ Post"
    with db.read() as s:
        (row,) = shipping.list_queue(s, customer_id=view_customer(db, fid))
        assert row.state == "shipped" and row.tracking_number == "NZ555"


def view_customer(db, fid: int) -> int:
    with db.read() as s:
        return s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, fid).sales_order_id).customer_id


def test_view_of_an_order_deleted_in_starshipit(db, fake, client):
    (fid,) = make(db, 1)
    shipping.submit_pending(db, client)
    fake.orders.clear()
    with pytest.raises(shipping.OrderGone, match="may have been deleted"):
        shipping.view_order(db, client, fid)


def claims(db) -> list[str | None]:
    return [f.submit_claim for f in rows(db).values()]


def test_two_runs_at_once_never_both_send_a_fulfilment(db, fake):
    import threading

    make(db, 3)
    fake.slow_s = 1.0
    fake.fail_next("slow", method="POST", path="/api/orders/import")
    first_client = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=1000, timeout=5)
    second_client = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=1000, timeout=5)
    results: dict[str, shipping.SubmitResult] = {}
    first = threading.Thread(target=lambda: results.update(a=shipping.submit_pending(db, first_client)))
    first.start()
    try:
        deadline = time.monotonic() + 10
        while not fake.requests_to("POST", "/api/orders/import") and time.monotonic() < deadline:
            time.sleep(0.01)  # the first run is now waiting for Starshipit's answer to its import
        results["b"] = shipping.submit_pending(db, second_client)
    finally:
        first.join(20)
        first_client.close()
        second_client.close()
    a, b = results["a"], results["b"]
    assert a.all_submitted and len(a.submitted) == 3
    assert len(b.skipped) == 3 and b.requests == 0 and not b.all_submitted
    assert "3 skipped (being submitted from another desk)" in b.summary()
    assert all(f.last_error is None for f in rows(db).values())  # skipped is not failed
    assert len(fake.created_numbers) == 3 and claims(db) == [None] * 3


def test_a_run_after_another_desk_submitted_counts_those_as_done(db, fake, client):
    ids = make(db, 2)
    with db.read() as s:
        queue = shipping.to_submit(s)
    shipping.submit_pending(db, client, ids=ids[:1])  # "the other desk", between our read and our claim
    run = shipping._Run(db, client, len(queue), None, None)
    shipping._submit_chunk(run, queue)
    assert [o.ok for o in run.result.outcomes] == [True, True]
    assert run.result.outcomes[0].already_there and len(fake.created_numbers) == 2


def test_claims_of_a_dead_run_on_this_computer_are_free_at_once(db, fake, client):
    import subprocess
    import sys

    make(db, 2)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    with db.transaction() as s:
        for f in s.query(m.SalesOrderFulfillment):
            f.submit_claim = f"{shipping._host()}/{gone.stdout.strip()}/deadbeef"
            f.submit_claimed_at = m.utcnow()
    result = shipping.submit_pending(db, client)
    assert result.all_submitted and claims(db) == [None, None]


def test_claims_from_another_computer_wait_until_they_expire(db, fake, client):
    import datetime as dt

    a, b = make(db, 2)
    with db.transaction() as s:
        s.get(m.SalesOrderFulfillment, a).submit_claim = "other-desk/4242/run1"
        s.get(m.SalesOrderFulfillment, a).submit_claimed_at = m.utcnow()
        s.get(m.SalesOrderFulfillment, b).submit_claim = "other-desk/4242/run1"
        s.get(m.SalesOrderFulfillment, b).submit_claimed_at = m.utcnow() - shipping.CLAIM_TTL - dt.timedelta(seconds=1)
    result = shipping.submit_pending(db, client)
    assert [(o.fulfillment_id, o.ok, o.skipped) for o in result.outcomes] == [(a, False, True), (b, True, False)]
    assert rows(db)[a].submit_claim == "other-desk/4242/run1"  # not ours to release


def test_claims_are_released_when_a_run_dies(db, fake, client):
    make(db, 3)

    def die(event: str, fid: int) -> None:
        raise Died()

    with pytest.raises(Died):
        shipping.submit_pending(db, client, checkpoint=die)
    assert claims(db) == [None] * 3
