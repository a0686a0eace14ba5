"""The Starshipit REST client: httpx, a client-side token-bucket rate limiter, and bounded retries with
exponential backoff and full jitter.

Retries: 429 always (the gateway refused the request before doing anything; its `Retry-After` window is
honoured for *every* request: nothing is sent inside it); 5xx, timeouts and dropped connections for requests
that are safe to repeat (GET, PUT). A create (POST) that may have been carried out is never repeated here: it
raises OutcomeUnknown and the caller looks the order up first (services.shipping). Failures to connect at all
are retried for every request (nothing was sent).

The keys travel in headers only and are never logged: the log lines name the method, the path, the status
and the time taken.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from desktop.starshipit.errors import (
    BadResponse,
    Cancelled,
    KeyProblem,
    OutcomeUnknown,
    StarshipitError,
    StarshipitRejected,
    StarshipitUnavailable,
)
from desktop.starshipit.limits import DEFAULT_BASE_URL, DEFAULT_RATE, IMPORT_MAX, LIST_MAX
from desktop.starshipit.models import ImportResult, ListedOrder, OrderPage, OrderRequest, StarshipitOrder

log = logging.getLogger("desktop.starshipit")

API_KEY_HEADER = "StarShipIT-Api-Key"
SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
SECRET_HEADERS = frozenset({API_KEY_HEADER.lower(), SUBSCRIPTION_HEADER.lower()})
MAX_RETRY_AFTER_S = 120.0


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with both keys replaced, for any log line or error that wants to show them."""
    return {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


Sleep = Callable[[float], None]


def interruptible_sleep(cancel: threading.Event | None) -> Sleep:
    """A sleep that ends early (raising Cancelled) once `cancel` is set."""

    def sleep(seconds: float) -> None:
        if seconds <= 0:
            return
        if cancel is None:
            time.sleep(seconds)
        elif cancel.wait(seconds):
            raise Cancelled()

    return sleep


class RateLimiter:
    """A token bucket on a monotonic clock: `rate` requests a second, at most `burst` back to back. A 429's
    `Retry-After` closes the bucket until the window ends (`hold_until`). Thread-safe."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = 1, *, clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.clock = clock
        self._tokens = float(self.burst)
        self._last = clock()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def hold_until(self, deadline: float) -> None:
        """Send nothing before `deadline` (a time on the limiter's clock)."""
        with self._lock:
            self._hold_until = max(self._hold_until, deadline)

    @property
    def held_until(self) -> float:
        return self._hold_until

    def acquire(self, sleep: Sleep = time.sleep) -> float:
        """Wait for a token; returns the time (on the clock) it was granted."""
        with self._lock:
            while True:
                now = self.clock()
                if now < self._hold_until:
                    sleep(self._hold_until - now)
                    continue
                self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return now
                sleep((1.0 - self._tokens) / self.rate)


def parse_retry_after(value: str | None, now_wall: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds (a float is accepted too) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now_wall is None else now_wall)
    return max(0.0, seconds)


def is_success(payload: Mapping[str, Any]) -> bool:
    """Starshipit's `success`, which may come as true, 1 or "true"."""
    value = payload.get("success")
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return value is True or (isinstance(value, int) and value == 1)


def error_messages(payload: Any) -> list[str]:
    """Messages from either error shape: `{"success": false, "errors": [{"message", "details"}]}` or the
    gateway's `{"statusCode", "message"}`."""
    if not isinstance(payload, Mapping):
        return []
    out: list[str] = []
    errors = payload.get("errors")
    if isinstance(errors, Sequence) and not isinstance(errors, str):
        for e in errors:
            if isinstance(e, Mapping):
                message = str(e.get("message") or "").strip()
                details = str(e.get("details") or "").strip()
                out.append(f"{message}: {details}" if message and details and details != message
                           else message or details)
            elif e:
                out.append(str(e))
    if not out and payload.get("message"):
        out.append(str(payload["message"]).strip())
    return [m for m in out if m]


class StarshipitClient:
    """One account's connection. `cancel` (a threading.Event) interrupts waits between requests (raising
    desktop.starshipit.errors.Cancelled)."""

    def __init__(
        self,
        api_key: str,
        subscription_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        rate: float = DEFAULT_RATE,
        limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_base: float = 0.2,
        backoff_max: float = 30.0,
        cancel: threading.Event | None = None,
        rng: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ):
        if not api_key or not subscription_key:
            from desktop.starshipit.errors import NotConfigured

            raise NotConfigured()
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.limiter = limiter or RateLimiter(rate)
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.cancel = cancel
        self.rng = rng
        self.sleep = interruptible_sleep(cancel)
        self.requests_sent = 0
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport,
            headers={API_KEY_HEADER: api_key, SUBSCRIPTION_HEADER: subscription_key,
                     "Content-Type": "application/json", "Accept": "application/json"},
        )

    def __repr__(self) -> str:  # never the keys
        return f"StarshipitClient({self.base_url!r}, rate={self.limiter.rate:g}/s)"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StarshipitClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the operations -------------------------------------------------------------------------

    def get_order(self, *, order_id: int | None = None, order_number: str | None = None) -> StarshipitOrder | None:
        """GET /api/orders?order_id= or ?order_number=; None when Starshipit has no such order."""
        if (order_id is None) == (order_number is None):
            raise ValueError("give exactly one of order_id and order_number")
        params = {"order_id": str(order_id)} if order_id is not None else {"order_number": order_number}
        status, payload = self._call("GET", "/api/orders", params=params)
        if status == 404 and _no_such_operation(payload):
            raise StarshipitRejected(404, [f"{self.base_url} has no Starshipit orders API; check the base URL"])
        if status == 404:
            return None
        order = payload.get("order") if isinstance(payload, Mapping) else None
        if status >= 400 or not isinstance(order, Mapping) or not order:
            messages = error_messages(payload)
            if any("not found" in m.lower() or "no order" in m.lower() for m in messages) or (
                    status < 400 and not messages and order in (None, {})):
                return None
            raise StarshipitRejected(status, messages)
        return self._order(status, order)

    def create_order(self, order: OrderRequest) -> StarshipitOrder:
        """POST /api/orders. Raises OutcomeUnknown when it may have been created without our hearing it."""
        status, payload = self._call("POST", "/api/orders", body={"order": order.to_json()}, idempotent=False)
        data = payload.get("order") if isinstance(payload, Mapping) else None
        if status >= 400 or not is_success(payload):
            raise StarshipitRejected(status, error_messages(payload))
        if not isinstance(data, Mapping):
            raise OutcomeUnknown("the answer had no order in it")
        try:
            return StarshipitOrder.from_json(data)
        except ValueError as exc:
            raise OutcomeUnknown(f"the answer had no order id ({exc})") from exc

    def import_orders(self, orders: Sequence[OrderRequest]) -> ImportResult:
        """POST /api/orders/import with at most 50 orders: the order ids it returned, by order number."""
        if not 1 <= len(orders) <= IMPORT_MAX:
            raise ValueError(f"an import takes 1 to {IMPORT_MAX} orders, not {len(orders)}")
        status, payload = self._call("POST", "/api/orders/import",
                                     body={"orders": [o.to_json() for o in orders]}, idempotent=False)
        messages = error_messages(payload)
        if status >= 400:
            raise StarshipitRejected(status, messages)
        created: dict[str, int] = {}
        listed = payload.get("orders") if isinstance(payload, Mapping) else None
        for row in listed if isinstance(listed, list) else []:
            if not isinstance(row, Mapping):
                continue
            try:
                order = StarshipitOrder.from_json(row)
            except ValueError:
                continue
            if order.order_number:
                created[order.order_number] = order.order_id
        return ImportResult(created=created, errors=messages)

    def update_order(self, order: OrderRequest) -> StarshipitOrder:
        """PUT /api/orders with the order_id, destination and items (safe to repeat)."""
        if order.order_id is None:
            raise ValueError("an update needs the Starshipit order_id")
        status, payload = self._call("PUT", "/api/orders", body={"order": order.to_json()})
        data = payload.get("order") if isinstance(payload, Mapping) else None
        if status >= 400 or not is_success(payload):
            raise StarshipitRejected(status, error_messages(payload))
        if not isinstance(data, Mapping) or not data:
            return StarshipitOrder(order_id=order.order_id, order_number=order.order_number)
        return self._order(status, {"order_id": order.order_id, **data})

    def list_orders(self, which: str, *, page: int = 1, limit: int = LIST_MAX,
                    since: dt.date | None = None) -> OrderPage:
        """One page of GET /api/orders/shipped (printed and shipped orders with their tracking, since
        `since`) or /api/orders/unshipped. A row that cannot be read is left out (logged), not the page."""
        if which not in ("shipped", "unshipped"):
            raise ValueError(f"which is 'shipped' or 'unshipped', not {which!r}")
        params = {"limit": str(max(1, min(LIST_MAX, limit))), "page": str(max(1, page))}
        if which == "shipped":
            params["since_order_date"] = (since or dt.date(2000, 1, 1)).strftime("%Y-%m-%dT00:00:00Z")
        status, payload = self._call("GET", f"/api/orders/{which}", params=params)
        if status >= 400 or not isinstance(payload, Mapping):
            raise StarshipitRejected(status, error_messages(payload))
        rows = payload.get("orders")
        if not isinstance(rows, list):
            raise BadResponse(status, "the answer had no list of orders")
        listed = []
        for row in rows:
            try:
                listed.append(ListedOrder.from_json(row, "Printed" if which == "shipped" else "Unshipped"))
            except (ValueError, AttributeError):
                log.warning("GET /api/orders/%s: a row without an order id was left out", which)
        pages = payload.get("total_pages")
        total = pages if isinstance(pages, int) and not isinstance(pages, bool) and pages > 0 else page
        return OrderPage(tuple(listed), total)

    def test_connection(self) -> None:
        """One harmless request that proves the base URL and both keys (raises KeyProblem when refused)."""
        self.get_order(order_id=0)

    # --- the transport --------------------------------------------------------------------------

    def _order(self, status: int, data: Mapping[str, Any]) -> StarshipitOrder:
        try:
            return StarshipitOrder.from_json(data)
        except ValueError as exc:
            raise BadResponse(status, str(exc)) from exc

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base·2^(attempt-1))]."""
        return self.rng() * min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))

    def _call(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
              body: Any = None, idempotent: bool = True) -> tuple[int, Any]:
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        attempt = 0
        unreadable: tuple[int, str] | None = None
        while True:
            attempt += 1
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            self.limiter.acquire(self.sleep)
            started = time.monotonic()
            self.requests_sent += 1
            reason: str
            hold: float | None = None
            try:
                response = self._http.request(method, path, params=params, content=content)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                reason = f"could not connect to {self.base_url}: {type(exc).__name__}"
            except httpx.TimeoutException:
                reason = f"no answer within {self.timeout:g} s"
                if not idempotent:
                    log.warning("%s %s: %s", method, path, reason)
                    raise OutcomeUnknown(reason) from None
            except httpx.TransportError as exc:
                reason = f"the connection was dropped ({type(exc).__name__})"
                if not idempotent:
                    log.warning("%s %s: %s", method, path, reason)
                    raise OutcomeUnknown(reason) from None
            else:
                status = response.status_code
                log.info("%s %s -> %d (%.0f ms, attempt %d)", method, path, status,
                         (time.monotonic() - started) * 1000, attempt)
                payload, readable = _json(response)
                if status == 429:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    reason = "too many requests (HTTP 429)"
                    if wait is not None and wait > MAX_RETRY_AFTER_S:
                        raise StarshipitUnavailable(f"{reason}; Starshipit asked to wait {wait:.0f} s", attempt)
                    hold = max(wait if wait is not None else 0.0, self._backoff(attempt))
                    # The window counts from when the answer arrived: nothing is sent before it ends.
                    self.limiter.hold_until(self.limiter.clock() + hold)
                elif status in (401, 403):
                    messages = error_messages(payload)
                    raise KeyProblem(status, messages[0] if messages else "")
                elif status >= 500:
                    messages = error_messages(payload)
                    reason = f"HTTP {status}" + (f": {messages[0]}" if messages else "")
                    if not idempotent:
                        raise OutcomeUnknown(reason)
                elif not readable:
                    reason = f"an unreadable answer (HTTP {status})"
                    if not idempotent and status < 400:
                        raise OutcomeUnknown(reason)
                    if status >= 400:
                        raise StarshipitRejected(status, [response.text[:200]])
                    unreadable = (status, " ".join(response.text[:120].split()))
                else:
                    return status, payload
            if attempt >= self.max_attempts:
                log.warning("%s %s: giving up after %d attempts: %s", method, path, attempt, reason)
                if unreadable is not None and reason.startswith("an unreadable answer"):
                    # Starshipit answers, but not in a form this client reads: that request's problem
                    # (the caller may go on with others), not an outage.
                    raise BadResponse(unreadable[0], f"it said {unreadable[1]!r}")
                raise StarshipitUnavailable(reason, attempt)
            if hold is None:
                delay = self._backoff(attempt)
                log.info("%s %s: %s; retrying in %.2f s", method, path, reason, delay)
                self.sleep(delay)
            else:
                log.info("%s %s: %s; waiting %.2f s", method, path, reason, hold)


def _no_such_operation(payload: Any) -> bool:
    """The API gateway's own 404 (`{"statusCode": 404, "message": "Resource not found"}`): the URL is not an
    operation of the API at all (a wrong base URL), as opposed to an order that does not exist."""
    return (isinstance(payload, Mapping) and "statusCode" in payload and "success" not in payload
            and str(payload.get("message", "")).lower().startswith("resource not found"))


def _json(response: httpx.Response) -> tuple[Any, bool]:
    if not response.content:
        return {}, response.status_code in (204, 404) or response.status_code >= 500
    try:
        return response.json(), True
    except (ValueError, UnicodeDecodeError):
        return {}, False


__all__ = ["DEFAULT_BASE_URL", "IMPORT_MAX", "RateLimiter", "StarshipitClient", "StarshipitError",
           "error_messages", "is_success", "parse_retry_after", "redact_headers"]
