"""The Starshipit client against the fake server (a real HTTP server on 127.0.0.1): headers, body, both
error shapes, every fault, the rate limiter and Retry-After, bounded retries, and keys never logged."""

from __future__ import annotations

import datetime as dt
import logging
import time
from decimal import Decimal

import pytest

from desktop.starshipit.client import (
    RateLimiter,
    StarshipitClient,
    error_messages,
    is_success,
    parse_retry_after,
    redact_headers,
)
from desktop.starshipit.errors import (
    KeyProblem,
    NotConfigured,
    OutcomeUnknown,
    StarshipitRejected,
    StarshipitUnavailable,
)
from desktop.starshipit.models import Destination, Item, OrderRequest
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit, running


@pytest.fixture
def fake():
    server = FakeStarshipit(slow_s=0.6).start()
    yield server
    server.stop()


def client_for(fake: FakeStarshipit, **kwargs) -> StarshipitClient:
    options = {"rate": 1000.0, "timeout": 0.3, "backoff_base": 0.01, "backoff_max": 0.05, **kwargs}
    return StarshipitClient(kwargs.pop("api_key", API_KEY), kwargs.pop("subscription_key", SUBSCRIPTION_KEY),
                            fake.url, **{k: v for k, v in options.items() if k not in ("api_key", "subscription_key")})


def order(number: str = "F-1001", **changes) -> OrderRequest:
    values = dict(
        order_number=number, reference="SO-1001", order_date=dt.date(2024, 5, 1),
        destination=Destination(name="Hemi Walker", street="12 Tui Street", city="Auckland", post_code="1011",
                                country="New Zealand", company="Kauri Crafts Ltd", suburb="Ponsonby"),
        items=(Item(description="Harakeke basket", sku="BASKET-1", quantity=Decimal("2"),
                    value=Decimal("10.50"), weight=Decimal("0.5")),),
        shipping_method="Courier", currency="NZD",
    )
    values.update(changes)
    return OrderRequest(**values)


# --- requests and answers ----------------------------------------------------------------------------


def test_create_sends_both_headers_and_the_documented_body(fake):
    with client_for(fake) as client:
        created = client.create_order(order())
    assert created.order_id >= 500001 and created.order_number == "F-1001"
    (request,) = fake.requests_to("POST", "/api/orders")
    body = request.body["order"]
    assert body["order_number"] == "F-1001" and body["reference"] == "SO-1001"
    assert body["order_date"] == "2024-05-01T00:00:00Z" and body["currency"] == "NZD"
    assert body["destination"] == {"name": "Hemi Walker", "company": "Kauri Crafts Ltd", "street": "12 Tui Street",
                                   "suburb": "Ponsonby", "city": "Auckland", "post_code": "1011",
                                   "country": "New Zealand"}
    assert body["items"] == [{"description": "Harakeke basket", "sku": "BASKET-1", "quantity": 2, "weight": 0.5,
                              "value": 10.5}]


def test_lookup_by_number_and_by_id(fake):
    with client_for(fake) as client:
        assert client.get_order(order_number="F-1001") is None
        created = client.create_order(order())
        assert client.get_order(order_number="F-1001").order_id == created.order_id
        assert client.get_order(order_id=created.order_id).order_number == "F-1001"
        assert client.get_order(order_id=999) is None


def test_duplicate_order_number_is_refused_with_the_reason(fake):
    with client_for(fake) as client:
        client.create_order(order())
        with pytest.raises(StarshipitRejected, match="already exists"):
            client.create_order(order())
    assert fake.created_numbers == ["F-1001"]


def test_import_returns_the_ids_by_order_number(fake):
    with client_for(fake) as client:
        result = client.import_orders([order("F-1"), order("F-2"), order("F-3")])
    assert sorted(result.created) == ["F-1", "F-2", "F-3"] and result.errors == []
    assert len(fake.requests_to("POST", "/api/orders/import")) == 1
    with client_for(fake) as client, pytest.raises(ValueError):
        client.import_orders([order(f"X-{i}") for i in range(51)])


def test_update_accepts_success_given_as_1(fake):
    with client_for(fake) as client:
        created = client.create_order(order())
        moved = order(order_id=created.order_id, destination=Destination(
            name="Hemi Walker", street="1 Kea Lane", city="Wellington", post_code="6011", country="New Zealand"))
        updated = client.update_order(moved)
    assert updated.order_id == created.order_id
    assert fake.orders[created.order_id]["destination"]["street"] == "1 Kea Lane"
    (put,) = fake.requests_to("PUT", "/api/orders")
    assert put.body["order"]["order_id"] == created.order_id


def test_view_reads_status_carrier_tracking_and_packages(fake):
    with client_for(fake) as client:
        created = client.create_order(order())
        fake.ship(created.order_id, tracking_number="NZ99")
        seen = client.get_order(order_id=created.order_id)
    assert seen.status == "Shipped" and seen.carrier_display == "NZ Post"
    assert seen.tracking_number == "NZ99" and seen.tracking_url == "https://tracking.example.test/NZ99"
    assert len(seen.items) == 1 and seen.items[0].quantity == 2 and len(seen.packages) == 1


def test_starshipit_refusal_names_the_problem(fake):
    with client_for(fake) as client, pytest.raises(StarshipitRejected, match="destination.post_code is required"):
        client.create_order(order(destination=Destination(name="A", street="B", city="C", post_code=None,
                                                          country="NZ")))


# --- keys ----------------------------------------------------------------------------------------------


def test_wrong_subscription_key_is_a_key_problem_in_the_gateway_shape(fake):
    with client_for(fake, subscription_key="nope") as client, pytest.raises(KeyProblem) as caught:
        client.get_order(order_number="F-1")
    assert "invalid subscription key" in str(caught.value) and "Settings" in str(caught.value)
    assert len(fake.requests) == 1  # not retried


def test_wrong_api_key_is_a_key_problem_in_the_errors_shape(fake):
    with client_for(fake, api_key="nope") as client, pytest.raises(KeyProblem, match="API key is not valid"):
        client.test_connection()


def test_missing_keys_say_where_to_enter_them():
    with pytest.raises(NotConfigured, match="Settings → Starshipit"):
        StarshipitClient("", "x")


# --- faults ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502gw", "slow", "malformed", "drop", "429"])
def test_a_lookup_is_retried_through_every_fault(fake, kind):
    fake.fail_next(kind, method="GET", retry_after="0.2")
    with client_for(fake) as client:
        assert client.get_order(order_number="F-1") is None
    assert len(fake.requests_to("GET", "/api/orders")) == 2
    assert fake.inside_windows() == []


@pytest.mark.parametrize("kind", ["500", "502gw", "slow", "malformed", "drop", "drop_after", "500_after"])
def test_a_create_whose_outcome_is_unknown_is_not_sent_again(fake, kind):
    fake.fail_next(kind, method="POST")
    with client_for(fake) as client, pytest.raises(OutcomeUnknown):
        client.create_order(order())
    assert len(fake.requests_to("POST", "/api/orders")) == 1


def test_a_create_refused_with_429_is_sent_again_after_the_window(fake):
    fake.fail_next("429", method="POST", retry_after="0.3")
    with client_for(fake) as client:
        client.create_order(order())
    first, second = fake.requests_to("POST", "/api/orders")
    assert second.at - first.at >= 0.3
    assert fake.inside_windows() == [] and fake.created_numbers == ["F-1001"]


def test_retry_after_holds_every_request_not_just_the_refused_one(fake):
    fake.fail_next("429", method="GET", retry_after="1")
    with client_for(fake) as client:
        client.get_order(order_number="F-1")
        client.get_order(order_number="F-2")
    assert len(fake.requests) == 3 and fake.inside_windows() == []
    assert fake.requests[1].at - fake.requests[0].at >= 1.0


def test_retries_are_bounded(fake):
    fake.fail_next("500", count=10)
    with client_for(fake, max_attempts=4) as client, pytest.raises(StarshipitUnavailable) as caught:
        client.get_order(order_number="F-1")
    assert caught.value.attempts == 4 and len(fake.requests) == 4
    assert "HTTP 500" in str(caught.value) and "try again later" in str(caught.value)


def test_no_server_at_all_is_retried_then_explained():
    client = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, "http://127.0.0.1:9", rate=1000, backoff_base=0.01,
                              max_attempts=3, timeout=0.5)
    with client, pytest.raises(StarshipitUnavailable, match="could not connect"):
        client.get_order(order_number="F-1")
    assert client.requests_sent == 3


def test_backoff_grows_exponentially_with_full_jitter():
    client = StarshipitClient("a", "b", rng=lambda: 1.0, backoff_base=0.5, backoff_max=4.0)
    assert [client._backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    client.rng = lambda: 0.25
    assert client._backoff(3) == 0.5
    client.close()


# --- rate limit ------------------------------------------------------------------------------------------


def test_rate_limit_is_respected_against_a_server_that_enforces_it():
    with running(rate=10, burst=2) as fake:
        with client_for(fake, rate=10.0) as client:
            started = time.monotonic()
            for n in range(21):
                client.get_order(order_number=f"F-{n}")
            elapsed = time.monotonic() - started
    assert fake.rate_limited == 0 and len(fake.requests) == 21
    assert elapsed >= 2.0 - 0.01
    assert fake.max_in_window(1.0) <= 11


def test_token_bucket_on_a_monotonic_clock():
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 6))
        now[0] += s

    limiter = RateLimiter(2.0, burst=1, clock=lambda: now[0])
    grants = [limiter.acquire(sleep) for _ in range(4)]
    assert grants == [100.0, 100.5, 101.0, 101.5]
    limiter.hold_until(now[0] + 3.0)  # a Retry-After window
    assert limiter.acquire(sleep) == pytest.approx(104.5)
    now[0] += 10  # idle: the bucket fills to its burst only
    assert limiter.acquire(sleep) == pytest.approx(114.5) and limiter.acquire(sleep) == pytest.approx(115.0)


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0 and parse_retry_after("0.25") == 0.25
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now_wall=1445412480.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_both_error_shapes_and_success_forms():
    assert error_messages({"success": False, "errors": [{"message": "Invalid", "details": "post_code"}]}) == [
        "Invalid: post_code"]
    assert error_messages({"statusCode": 401, "message": "Access denied"}) == ["Access denied"]
    assert error_messages("nonsense") == []
    assert is_success({"success": 1}) and is_success({"success": True}) and is_success({"success": "true"})
    assert not is_success({"success": 0}) and not is_success({"success": False}) and not is_success({})


# --- keys never logged -------------------------------------------------------------------------------------


def test_keys_never_reach_the_log(fake, caplog, tmp_path):
    log_file = tmp_path / "customer-desk.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        fake.fail_next("500", method="GET")
        fake.fail_next("429", method="POST", retry_after="0.1")
        with client_for(fake) as client:
            client.get_order(order_number="F-1")
            client.create_order(order())
            assert API_KEY not in repr(client)
        with client_for(fake, subscription_key=SUBSCRIPTION_KEY + "x") as bad, pytest.raises(KeyProblem) as caught:
            bad.get_order(order_number="F-1")
        assert SUBSCRIPTION_KEY not in str(caught.value)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    written = log_file.read_text(encoding="utf-8")
    assert "POST /api/orders -> 429" in caplog.text and "GET /api/orders -> 500" in written
    for secret in (API_KEY, SUBSCRIPTION_KEY):
        assert secret not in caplog.text and secret not in written
    assert redact_headers({"StarShipIT-Api-Key": API_KEY, "Accept": "x"}) == {"StarShipIT-Api-Key": "***",
                                                                             "Accept": "x"}


def test_a_wrong_base_url_is_not_taken_for_a_missing_order(fake):
    with client_for(fake) as client:
        client.base_url = fake.url + "/v2"
        client._http.base_url = fake.url + "/v2"
        with pytest.raises(StarshipitRejected, match="has no Starshipit orders API; check the base URL"):
            client.test_connection()


@pytest.mark.parametrize("form", ["404", "200_false", "200_null", "200_empty", "404_empty"])
def test_every_documented_no_such_order_answer_is_not_there_yet(fake, form):
    fake.not_found_form = form
    with client_for(fake) as client:
        assert client.get_order(order_number="F-NOWHERE") is None
        assert client.get_order(order_id=999) is None
