"""A fake Starshipit for the tests and the benchmark: a real HTTP server on 127.0.0.1 (ThreadingHTTPServer in
a thread) that follows the documented API closely enough to catch what the real one would refuse.

- both headers checked (`StarShipIT-Api-Key`, `Ocp-Apim-Subscription-Key`): a bad subscription key gets the
  gateway's `{"statusCode", "message"}`, a bad API key `{"success": false, "errors": [...]}`;
- body shape, `Content-Type: application/json`, order_number and reference at most 50 characters;
- order ids assigned from 500001; a duplicate order_number is refused;
- POST /api/orders, POST /api/orders/import (at most 50), PUT /api/orders, GET /api/orders?order_id= or
  ?order_number= (404 when unknown);
- an optional rate limit (token bucket; 429 with Retry-After when exceeded);
- faults on demand, scripted (`fail_next`) or at random rates (`fault_rates`, seeded): "429" (Retry-After),
  "500", "502gw" (gateway shape), "slow" (answers after `slow_s`, having done the work), "malformed" (200 with
  a broken body, work done), "drop" (connection closed, nothing done), "drop_after" (work done, then the
  connection closed), "500_after" (work done, then 500);
- every request recorded with its monotonic arrival time, and every Retry-After window it announced, so that
  tests can prove that nothing arrived inside a window and that the rate was kept.
"""

from __future__ import annotations

import itertools
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "test-api-key-5f1d9c"
SUBSCRIPTION_KEY = "test-subscription-key-88a2e0"
FAULTS = ("429", "500", "502gw", "slow", "malformed", "drop", "drop_after", "500_after")
# The documented shape, strictly: keys outside these are refused, as are carriers outside the enum.
CARRIERS = frozenset({
    "CourierPost", "NZPost", "DHL", "Fastways", "PostHaste", "CastleParcels", "NZCouriers", "NOW", "Sub60",
    "PlainLabel", "AusPost", "UPS", "Urgent", "DPDNL", "PBT", "TollPriority", "DHLGlobalMail", "StarTrack",
    "CouriersPlease", "Aramex", "TNT", "FedEx", "Sendle", "TeamGlobalExpress", "HunterExpress",
    "DirectFreight", "AlliedExpress", "Mainfreight", "RoyalMail", "USPS", "CanadaPost", "ParcelPoint",
})
ORDER_KEYS = {"order_id", "order_date", "order_number", "reference", "carrier", "carrier_name",
              "carrier_service_code", "shipping_method", "shipping_description", "signature_required", "currency",
              "declared_value", "destination", "items", "packages", "return_order", "sender_details"}
DESTINATION_KEYS = {"name", "company", "email", "phone", "building", "street", "suburb", "city", "state",
                    "post_code", "country", "delivery_instructions"}
ITEM_KEYS = {"item_id", "description", "sku", "quantity", "weight", "value", "tariff_code", "country_of_origin"}
PACKAGE_KEYS = {"package_id", "weight", "height", "width", "length"}
LIMITS = {"name": 100, "company": 100, "building": 100, "street": 100, "suburb": 100, "city": 100, "state": 100,
          "post_code": 10, "delivery_instructions": 250}
HOME = {"NZ", "New Zealand"}  # the account's country: an order elsewhere is international
STATUSES = ("Unshipped", "Saved", "Printed", "Shipped", "Delivered")
# The ways Starshipit has been seen to say "no such order" (`FakeStarshipit.not_found_form`).
NOT_FOUND_FORMS: dict[str, tuple[int, Any, dict[str, str]]] = {
    "404": (404, {"success": False, "errors": [{"message": "Order not found",
                                                "details": "No order matches the request"}]}, {}),
    "200_false": (200, {"success": False, "errors": [{"message": "Order not found"}]}, {}),
    "200_null": (200, {"success": True, "order": None}, {}),
    "200_empty": (200, {"success": True, "order": {}}, {}),
    "404_empty": (404, None, {}),
}


@dataclass
class Recorded:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None = None
    fault: str | None = None


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: str | None = None
    retry_after: str = "1"


class FakeStarshipit:
    def __init__(self, *, rate: float | None = None, burst: int = 2, slow_s: float = 1.0, seed: int = 7,
                 retry_after: str = "1"):
        self.api_key = API_KEY
        self.subscription_key = SUBSCRIPTION_KEY
        self.orders: dict[int, dict[str, Any]] = {}
        self.by_number: dict[str, int] = {}
        self.created_numbers: list[str] = []  # every create, in order (duplicates would show here)
        self.requests: list[Recorded] = []
        self.windows: list[tuple[float, float]] = []  # Retry-After windows announced (start, end)
        self.rate_limited = 0  # 429s from the rate limit itself (not injected)
        self.scripted: list[Fault] = []
        self.fault_rates: dict[str, float] = {}
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.rng = random.Random(seed)
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._ids = itertools.count(500001)
        self.lock = threading.RLock()
        self.account_carriers: set[str] | None = None
        self.updates: list[dict[str, Any]] = []  # every accepted PUT body
        self.not_found_form = "404"  # None: every carrier; else those the account has
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        # A client that gave up (timeout, cancel) leaves a broken pipe behind: expected, not worth a traceback.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-starshipit", daemon=True)

    # --- life ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStarshipit:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- control --------------------------------------------------------------------------------

    def fail_next(self, kind: str, count: int = 1, *, method: str | None = None, path: str | None = None,
                  retry_after: str | None = None) -> None:
        assert kind in FAULTS, kind
        with self.lock:
            self.scripted.extend(Fault(kind, method, path, retry_after or self.retry_after) for _ in range(count))

    def ship(self, order_id: int, *, carrier: str = "NZPost", carrier_name: str = "NZ Post",
             tracking_number: str = "NZ123456789", status: str = "Shipped") -> None:
        with self.lock:
            order = self.orders[order_id]
            order.update(status=status, carrier=carrier, carrier_name=carrier_name,
                         shipped_date="2026-12-02T03:04:05Z")
            order["packages"] = [{
                "package_id": order_id * 10 + 1, "name": "Satchel", "weight": 1.2,
                "tracking_number": tracking_number,
                "tracking_url": f"https://tracking.example.test/{tracking_number}",
                "carrier_service_name": "Courier", "delivery_status": status,
            }]

    def add_order(self, order: dict[str, Any]) -> int:
        """An order created in Starshipit some other way (by hand, by an earlier run)."""
        with self.lock:
            return self._create(order)

    def _listing(self, kind: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """GET /api/orders/shipped (printed, shipped, delivered; `since_order_date` required) or
        /api/orders/unshipped: pages of at most 250 (`limit`, `page`)."""
        try:
            limit = int(query.get("limit", "50"))
            page = int(query.get("page", "1"))
        except ValueError:
            return 400, {"success": False, "errors": [{"message": "limit and page must be numbers"}]}, {}
        if not 1 <= limit <= 250 or page < 1:
            return 400, {"success": False, "errors": [{"message": "limit is 1 to 250, page from 1"}]}, {}
        if kind == "shipped" and not query.get("since_order_date"):
            return 400, {"success": False, "errors": [{"message": "since_order_date is required"}]}, {}
        wanted = ("Printed", "Shipped", "Delivered") if kind == "shipped" else ("Unshipped", "Saved")
        since = query.get("since_order_date", "")[:10]
        found = [o for o in self.orders.values() if o["status"] in wanted
                 and (kind != "shipped" or str(o.get("order_date") or "")[:10] >= since)]
        found.sort(key=lambda o: o["order_id"])
        pages = max(1, -(-len(found) // limit))
        chunk = found[(page - 1) * limit: page * limit]
        rows = []
        for o in chunk:
            row = {k: o.get(k) for k in ("order_id", "order_number", "order_date", "status", "carrier",
                                         "carrier_name", "reference")}
            if kind == "shipped":
                first = (o.get("packages") or [{}])[0]
                row.update(tracking_number=first.get("tracking_number"), tracking_url=first.get("tracking_url"),
                           shipped_date=o.get("shipped_date"))
            rows.append(row)
        return 200, {"success": True, "orders": rows, "total_pages": pages}, {}

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def inside_windows(self) -> list[Recorded]:
        """Requests that arrived inside a Retry-After window announced earlier (should be none)."""
        bad = []
        for r in self.requests:
            if any(start < r.at < end for start, end in self.windows):
                bad.append(r)
        return bad

    def max_in_window(self, seconds: float = 1.0) -> int:
        """The most requests that arrived within any `seconds`-long window."""
        times = sorted(r.at for r in self.requests)
        best = 0
        j = 0
        for i, t in enumerate(times):
            while times[j] <= t - seconds:
                j += 1
            best = max(best, i - j + 1)
        return best

    # --- the API ----------------------------------------------------------------------------------

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for i, f in enumerate(self.scripted):
                if (f.method in (None, method)) and (f.path in (None, path)):
                    return self.scripted.pop(i)
            roll = self.rng.random()
            for kind, p in self.fault_rates.items():
                if roll < p:
                    return Fault(kind, retry_after=self.retry_after)
                roll -= p
        return None

    def _rate_ok(self, now: float) -> bool:
        if self.rate is None:
            return True
        with self.lock:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def _create(self, order: dict[str, Any]) -> int:
        order_id = next(self._ids)
        stored = {**json.loads(json.dumps(order)), "order_id": order_id, "status": "Unshipped",
                  "carrier": order.get("carrier"), "carrier_name": None}
        for n, item in enumerate(stored.get("items") or []):
            item["item_id"] = order_id * 100 + n + 1
        stored["packages"] = [{**p, "package_id": order_id * 10 + n + 1}
                              for n, p in enumerate(stored.get("packages") or [])]
        self.orders[order_id] = stored
        self.by_number[order["order_number"]] = order_id
        self.created_numbers.append(order["order_number"])
        return order_id

    def _shape(self, order: dict[str, Any], number: Any) -> list[dict[str, str]]:
        """The documented shape: known keys only, the carrier enum, lengths, packages, customs."""
        errors: list[dict[str, str]] = []

        def bad(field: str, what: str) -> None:
            errors.append({"message": f"Invalid {field}", "details": f"order_number {number}: {field} {what}"})

        for key in sorted(set(order) - ORDER_KEYS):
            bad(key, "is not a field of an order")
        carrier = order.get("carrier")
        if carrier is not None and carrier not in CARRIERS:
            bad("carrier", f"{carrier!r} is not a carrier")
        elif carrier is not None and self.account_carriers is not None and carrier not in self.account_carriers:
            bad("carrier", f"{carrier} is not enabled on this account")
        if "signature_required" in order and not isinstance(order["signature_required"], bool):
            bad("signature_required", "must be true or false")
        code = order.get("carrier_service_code")
        if code is not None and (not isinstance(code, str) or len(code) > 20):
            bad("carrier_service_code", "must be at most 20 characters")
        destination = order.get("destination") if isinstance(order.get("destination"), dict) else {}
        for key in sorted(set(destination) - DESTINATION_KEYS):
            bad(f"destination.{key}", "is not a field of a destination")
        for key, limit in LIMITS.items():
            value = destination.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                bad(f"destination.{key}", f"must be at most {limit} characters")
        for item in order.get("items") or []:
            if isinstance(item, dict):
                for key in sorted(set(item) - ITEM_KEYS):
                    bad(f"items.{key}", "is not a field of an item")
                origin = item.get("country_of_origin")
                if origin is not None and (not isinstance(origin, str) or len(origin) != 2):
                    bad("items.country_of_origin", "must be a 2-letter country code")
        packages = order.get("packages")
        if packages is not None:
            if not isinstance(packages, list):
                bad("packages", "must be a list")
            for package in packages if isinstance(packages, list) else []:
                if not isinstance(package, dict):
                    bad("packages", "must hold objects")
                    continue
                for key in sorted(set(package) - PACKAGE_KEYS):
                    bad(f"packages.{key}", "is not a field of a package")
                weight = package.get("weight")
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
                    bad("packages.weight", "must be a number of kg above 0")
        country = destination.get("country")
        if country and country not in HOME:
            if not isinstance(order.get("declared_value"), (int, float)) or not order.get("currency"):
                bad("declared_value", "and currency are required for an international order")
            for item in order.get("items") or []:
                if isinstance(item, dict) and not (item.get("tariff_code") and item.get("country_of_origin")):
                    bad("items.tariff_code", "and country_of_origin are required for an international order")
                    break
        return errors

    def set_status(self, order_id: int, status: str) -> None:
        assert status in STATUSES, status
        with self.lock:
            self.orders[order_id]["status"] = status

    def validate(self, order: Any) -> list[dict[str, str]]:
        if not isinstance(order, dict):
            return [{"message": "Invalid order", "details": "order must be an object"}]
        errors = []
        number = order.get("order_number")
        errors.extend(self._shape(order, number))
        if not isinstance(number, str) or not 1 <= len(number) <= 50:
            errors.append({"message": "Invalid order_number", "details": f"order_number {number!r}: 1 to 50 "
                                                                         "characters"})
        reference = order.get("reference")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 50):
            errors.append({"message": "Invalid reference", "details": f"order_number {number}: reference is "
                                                                      "more than 50 characters"})
        destination = order.get("destination")
        if not isinstance(destination, dict):
            errors.append({"message": "Invalid destination", "details": f"order_number {number}: no destination"})
        else:
            for key in ("name", "street", "post_code", "country"):
                if not destination.get(key):
                    errors.append({"message": "Invalid destination",
                                   "details": f"order_number {number}: destination.{key} is required"})
        items = order.get("items")
        if not isinstance(items, list) or not items:
            errors.append({"message": "Invalid items", "details": f"order_number {number}: at least one item"})
        else:
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
                    errors.append({"message": "Invalid item", "details": f"order_number {number}: quantity must "
                                                                         "be a whole number above 0"})
        if not errors and number in self.by_number:
            errors.append({"message": "Order number already exists",
                           "details": f"order_number {number} already exists (order {self.by_number[number]})"})
        return errors

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: Any,
               raw_ok: bool) -> tuple[int, Any, dict[str, str]]:
        if headers.get("Ocp-Apim-Subscription-Key") != self.subscription_key:
            return 401, {"statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure "
                                                       "to provide a valid key for an active subscription."}, {}
        if headers.get("StarShipIT-Api-Key") != self.api_key:
            return 401, {"success": False, "errors": [{"message": "Unauthorized",
                                                       "details": "The API key is not valid"}]}, {}
        if method in ("POST", "PUT"):
            if (headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                return 415, {"success": False, "errors": [{"message": "Unsupported media type"}]}, {}
            if not raw_ok or not isinstance(body, dict):
                return 400, {"success": False, "errors": [{"message": "Invalid JSON body"}]}, {}
        with self.lock:
            if method == "GET" and path == "/api/orders":
                if "order_id" in query:
                    order = self.orders.get(int(query["order_id"])) if query["order_id"].isdigit() else None
                elif "order_number" in query:
                    oid = self.by_number.get(query["order_number"])
                    order = self.orders.get(oid) if oid else None
                else:
                    return 400, {"success": False, "errors": [{"message": "order_id or order_number required"}]}, {}
                if order is None:
                    return NOT_FOUND_FORMS[self.not_found_form]
                return 200, {"success": True, "order": order}, {}
            if method == "GET" and path in ("/api/orders/shipped", "/api/orders/unshipped"):
                return self._listing(path.rsplit("/", 1)[1], query)
            if method == "POST" and path == "/api/orders":
                order = body.get("order")
                errors = self.validate(order)
                if errors:
                    return 400, {"success": False, "errors": errors}, {}
                order_id = self._create(order)
                return 200, {"success": True, "order": self.orders[order_id]}, {}
            if method == "POST" and path == "/api/orders/import":
                orders = body.get("orders")
                if not isinstance(orders, list) or not 1 <= len(orders) <= 50:
                    return 400, {"success": False, "errors": [{"message": "Between 1 and 50 orders per request"}]}, {}
                created, errors = [], []
                for order in orders:
                    problems = self.validate(order)
                    if problems:
                        errors.extend(problems)
                        continue
                    oid = self._create(order)
                    created.append({"order_id": oid, "order_number": order["order_number"]})
                return 200, {"success": not errors, "orders": created, "errors": errors}, {}
            if method == "PUT" and path == "/api/orders":
                order = body.get("order")
                if not isinstance(order, dict) or not isinstance(order.get("order_id"), int):
                    return 400, {"success": False, "errors": [{"message": "order_id required"}]}, {}
                stored = self.orders.get(order["order_id"])
                if stored is None:
                    return 404, {"success": False, "errors": [{"message": "Order not found"}]}, {}
                if stored["status"] not in ("Unshipped", "Saved"):  # "Update orders before printing"
                    return 400, {"success": False, "errors": [{
                        "message": "Order cannot be updated",
                        "details": f"order {order['order_id']} is {stored['status'].lower()}"}]}, {}
                shape = self._shape(order, stored["order_number"])
                if shape:
                    return 400, {"success": False, "errors": shape}, {}
                for key in ORDER_KEYS - {"order_id", "order_number"}:
                    if key in order:
                        stored[key] = json.loads(json.dumps(order[key]))
                self.updates.append(json.loads(json.dumps(order)))
                return 200, {"success": 1, "order": stored}, {}
        return 404, {"statusCode": 404, "message": "Resource not found"}, {}


def _handler(fake: FakeStarshipit) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self, method: str) -> None:
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body, raw_ok = (json.loads(raw) if raw else None), True
            except ValueError:
                body, raw_ok = None, False
            record = Recorded(arrived, method, parts.path, query, body)
            with fake.lock:
                fake.requests.append(record)
            if not fake._rate_ok(arrived):
                with fake.lock:
                    fake.rate_limited += 1
                self._too_many(record, fake.retry_after)
                return
            fault = fake._next_fault(method, parts.path)
            record.fault = fault.kind if fault else None
            if fault is not None and fault.kind == "429":
                self._too_many(record, fault.retry_after)
                return
            if fault is not None and fault.kind == "500":
                self._send(record, 500, {"success": False, "errors": [{"message": "Internal server error"}]})
                return
            if fault is not None and fault.kind == "502gw":
                self._send(record, 502, {"statusCode": 502, "message": "Bad gateway"})
                return
            if fault is not None and fault.kind == "drop":
                self._drop(record)
                return
            status, payload, headers = fake.handle(method, parts.path, query, self.headers, body, raw_ok)
            if fault is None:
                self._send(record, status, payload, headers)
            elif fault.kind == "slow":
                time.sleep(fake.slow_s)
                self._send(record, status, payload, headers)
            elif fault.kind == "malformed":
                self._send(record, 200, None, raw=b'{"success": true, "order": {"order_id": ')
            elif fault.kind == "drop_after":
                self._drop(record)
            elif fault.kind == "500_after":
                self._send(record, 500, {"success": False, "errors": [{"message": "Internal server error"}]})

        def _too_many(self, record: Recorded, retry_after: str) -> None:
            start = time.monotonic()  # before the answer leaves: the client's window starts later still
            with fake.lock:
                fake.windows.append((start, start + float(retry_after)))
            self._send(record, 429, {"statusCode": 429, "message": "Rate limit is exceeded. Try again later."},
                       {"Retry-After": retry_after})

        def _drop(self, record: Recorded) -> None:
            record.status = None
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True

        def _send(self, record: Recorded, status: int, payload: Any, headers: dict[str, str] | None = None,
                  raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(payload).encode()
            record.status = status
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

    return Handler


@contextmanager
def running(**kwargs: Any) -> Iterator[FakeStarshipit]:
    fake = FakeStarshipit(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
