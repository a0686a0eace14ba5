"""Starshipit orders a shipping clerk never fixes by hand (issue 14), end to end against the strict fake on
SQLite and PostgreSQL: the full body arrives as documented, a validation refusal is final for that body
(shown in Starshipit's words, never sent again until the order changes), a batch answer that names no
order is resolved order by order, and an update is refused once the order is printed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.services import shipping
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


def fulfilment(db, **ship) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        method = fx.shipping_method(s, "Overnight", carrier=ship.pop("carrier", "CourierPost"))
        method.signature_required = True
        f = fx.shippable_fulfillment(s, method=method, **ship)
        order = s.get(m.SalesOrder, f.sales_order_id)
        order.delivery_instructions = "Leave at the back door"
        return f.id


def get(db, fid: int) -> m.SalesOrderFulfillment:  # type: ignore[no-untyped-def]
    with db.read() as s:
        f = s.get(m.SalesOrderFulfillment, fid)
        s.expunge_all()
        return f


def test_the_whole_documented_order_arrives(db, fake, client) -> None:
    fid = fulfilment(db, ship_name="Zoë Ngāti-Pōrou")
    result = shipping.submit_pending(db, client)
    assert result.all_submitted, result.summary()
    (sent,) = fake.orders.values()
    assert (sent["carrier"], sent["carrier_service_code"], sent["shipping_method"]) == (
        "CourierPost", "CPOLE", "Overnight")
    assert sent["signature_required"] is True
    assert sent["destination"]["name"] == "Zoë Ngāti-Pōrou"  # kept, not mangled
    assert sent["destination"]["suburb"] == "Ponsonby" and sent["destination"]["city"] == "Auckland"
    assert "building" not in sent["destination"]
    assert sent["destination"]["delivery_instructions"] == "Leave at the back door"
    assert sent["packages"][0]["weight"] == 1.0  # two items of 0.5 kg
    assert get(db, fid).status == "submitted"


def test_a_refusal_is_final_for_that_body_and_shown_in_starshipits_words(db, fake, client) -> None:
    fake.account_carriers = {"NZPost"}  # the account has no CourierPost
    fid = fulfilment(db)
    first = shipping.submit_pending(db, client)
    (failed,) = first.failed
    assert failed.error == ("Refused by Starshipit: Invalid carrier: order_number "
                            f"{failed.fulfillment_number}: carrier CourierPost is not enabled on this account")
    assert len(fake.requests_to("POST", "/api/orders")) == 1
    f = get(db, fid)
    assert f.refused_body is not None and f.status == "pending" and f.last_error == failed.error
    with db.read() as s:
        assert [r.state for r in shipping.list_queue(s)] == ["refused"]
        assert shipping.queue_counts(s)["refused"] == 1 and shipping.queue_counts(s)["failed"] == 0
    sent_before = len(fake.requests)
    again = shipping.submit_pending(db, client)  # the same body: not sent again
    assert len(fake.requests) == sent_before
    assert again.failed[0].error.startswith("Refused by Starshipit, and not sent again until the order changes: "
                                            "Refused by Starshipit: Invalid carrier")
    with db.transaction() as s:  # the clerk changes the order: it goes again
        method = s.get(m.ShippingMethod, s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, fid).sales_order_id)
                       .shipping_method_id)
        method.carrier = "NZPost"
    assert shipping.submit_pending(db, client).all_submitted
    f = get(db, fid)
    assert f.refused_body is None and f.last_error is None and f.starshipit_order_id is not None


def test_a_batch_answer_that_names_no_order_is_resolved_order_by_order(db, fake, client, monkeypatch) -> None:
    ids = [fulfilment(db) for _ in range(3)]
    unverified = get(db, ids[1]).fulfillment_number
    real = fake.validate

    def vague(order):  # type: ignore[no-untyped-def]
        errors = real(order)
        if not errors and order.get("order_number") == unverified:
            return [{"message": "Validation failed", "details": "an address could not be verified"}]
        return errors

    monkeypatch.setattr(fake, "validate", vague)
    result = shipping.submit_pending(db, client)
    assert len(result.submitted) == 2 and len(result.failed) == 1
    refused = get(db, ids[1])
    assert refused.last_error == "Refused by Starshipit: Validation failed: an address could not be verified"
    # one import of 3, a lookup of the one it did not name, then that one alone: refused once, never again
    posts = [r.path for r in fake.requests if r.method == "POST"]
    assert posts == ["/api/orders/import", "/api/orders"]


def test_an_update_is_refused_once_printed_and_sends_the_current_state_before(db, fake, client) -> None:
    fid = fulfilment(db)
    assert shipping.submit_pending(db, client).all_submitted
    order_id = get(db, fid).starshipit_order_id
    with db.transaction() as s:  # the clerk corrects the ship-to and the packages
        f = s.get(m.SalesOrderFulfillment, fid)
        s.get(m.SalesOrder, f.sales_order_id).ship_address1 = "14 Tui Street"
        f.packages = [{"weight": "2.5", "length": "0.4", "width": "0.3", "height": "0.2"}]
    shipping.update_from_fulfillment(db, client, fid)
    (put,) = fake.updates
    assert put["destination"]["street"] == "14 Tui Street"
    assert put["packages"] == [{"package_id": order_id * 10 + 1, "weight": 2.5, "height": 0.2, "width": 0.3,
                                "length": 0.4}]
    assert put["items"][0]["item_id"] == order_id * 100 + 1
    fake.set_status(order_id, "Printed")
    with pytest.raises(shipping.AlreadyPrinted, match="already printed the order of fulfilment"):
        shipping.update_from_fulfillment(db, client, fid)
    assert len(fake.updates) == 1  # nothing sent
    f = get(db, fid)
    assert f.starshipit_status == "Printed" and f.status == "shipped"


@pytest.mark.parametrize(("change", "said"), [
    ({"ship_address1": "S" * 101}, "the destination street is 101 characters (at most 100)"),
    ({"carrier": "SkyHook"}, "the carrier 'SkyHook' of shipping method 'Overnight' is not one Starshipit knows"),
])
def test_bad_input_is_one_clear_message_per_order_and_the_run_goes_on(db, fake, client, change, said) -> None:
    good = fulfilment(db)
    bad = fulfilment(db, **change)
    result = shipping.submit_pending(db, client)
    assert [o.fulfillment_id for o in result.submitted] == [good]
    (failed,) = result.failed
    assert failed.fulfillment_id == bad and said in failed.error
    assert len(fake.orders) == 1


def test_a_line_without_weight_is_named(db, fake, client) -> None:
    fid = fulfilment(db)
    with db.transaction() as s:
        order = s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, fid).sales_order_id)
        for line in order.lines:
            line.weight = None
    (failed,) = shipping.submit_pending(db, client).failed
    assert "has no weight: enter the package weight on the fulfilment" in failed.error
    assert fake.requests == []


def test_an_international_order_carries_its_customs(db, fake, client) -> None:
    with db.transaction() as s:
        method = fx.shipping_method(s, "International air", is_international=True, carrier="NZPost")
        f = fx.shippable_fulfillment(s, method=method, ship_country="Australia", ship_country_code="AU",
                                     ship_city="Sydney", ship_address2=None, ship_province_code="NSW",
                                     ship_zip="2000")
        for line in s.get(m.SalesOrder, f.sales_order_id).lines:
            line.tariff_code, line.country_of_origin = "4602.19", "NZ"
        fid = f.id
    assert shipping.submit_pending(db, client).all_submitted
    (sent,) = fake.orders.values()
    assert sent["declared_value"] == 20 and sent["currency"] == "NZD"
    assert sent["items"][0]["tariff_code"] == "4602.19" and sent["items"][0]["country_of_origin"] == "NZ"
    assert sent["destination"]["suburb"] == "Sydney" and sent["destination"].get("city") is None
    assert get(db, fid).status == "submitted"
    assert Decimal(str(sent["declared_value"])) == Decimal("20")


def test_an_unreadable_lookup_stops_that_order_only(db, fake, client) -> None:
    first, second = fulfilment(db), fulfilment(db)
    number = get(db, first).fulfillment_number
    fake.fail_next("malformed", count=6, method="GET", path="/api/orders")  # every try of the first lookup
    result = shipping.submit_pending(db, client)
    assert [o.fulfillment_id for o in result.submitted] == [second]
    (failed,) = result.failed
    assert failed.fulfillment_number == number and "cannot be read" in failed.error
    assert "It will be looked up before it is sent." in failed.error
    assert number not in fake.by_number  # never created blind
