"""Sync with Starshipit: what became of every submitted, not yet shipped fulfilment (status, carrier, tracking
number and link), in as few requests as the API allows. Plain Python, no Qt.

Requests are the cost (2 a second on a developer subscription, 20 on production), so orders are read a
page at a time, not one by one:
1. GET /api/orders/shipped since the oldest submitted order's date, 250 a page: every printed, shipped or
   delivered order with its carrier and tracking;
2. GET /api/orders/unshipped, 250 a page: those still unshipped or saved;
3. an order in neither list is asked for by id (GET /api/orders?order_id=); one Starshipit does not know is
   "not found" (it may have been deleted or archived there), and one whose answer cannot be read is that
   order's problem alone: the run goes on.
The client's rate limiter and its Retry-After handling keep the pace; Cancel is honoured between requests.
What each page says is stored in one small transaction, so a run stopped halfway keeps what it learnt.
A fulfilment printed or later is marked shipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from desktop.services.errors import Cancelled
from desktop.services.shipping import PRINTED_STATUSES, apply_status
from desktop.services.shipping_errors import domain_errors
from desktop.starshipit.errors import BadResponse, KeyProblem, StarshipitError, StarshipitUnavailable
from desktop.starshipit.limits import LIST_MAX
from desktop.starshipit.models import ListedOrder
from desktop.store import models as m
from desktop.store.engine import Database

if TYPE_CHECKING:
    from desktop.starshipit.client import StarshipitClient

log = logging.getLogger("desktop.services.shipping")

F = m.SalesOrderFulfillment
Progress = Callable[[int, int], None]


@dataclass
class SyncChange:
    fulfillment_id: int
    fulfillment_number: str
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipped: bool  # marked shipped by this sync

    def line(self) -> str:
        tracking = f" {self.carrier or ''} {self.tracking_number}".rstrip() if self.tracking_number else ""
        return f"{self.fulfillment_number}: {self.status}{tracking}" + (" (marked shipped)" if self.shipped else "")


@dataclass
class SyncResult:
    checked: int = 0
    changes: list[SyncChange] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # fulfilment numbers Starshipit does not know
    problems: list[str] = field(default_factory=list)  # one line per order whose answer could not be used
    requests: int = 0
    cancelled: bool = False
    stopped: str | None = None

    @property
    def shipped(self) -> int:
        return sum(1 for c in self.changes if c.shipped)

    def summary(self) -> str:
        text = (f"Checked {self.checked:,} submitted fulfilment{'s' if self.checked != 1 else ''} with "
                f"{self.requests:,} request{'s' if self.requests != 1 else ''}: {self.shipped:,} printed or shipped, "
                f"{len(self.changes) - self.shipped:,} other changes")
        if self.not_found:
            text += f", {len(self.not_found):,} not found in Starshipit"
        if self.problems:
            text += f", {len(self.problems):,} could not be read"
        if self.cancelled:
            text += " (cancelled)"
        if self.stopped:
            text += f" — stopped: {self.stopped}"
        return text


def _submitted(db: Database) -> tuple[dict[int, tuple[int, str]], dt.date | None]:
    """Starshipit order id -> (fulfilment id, number) of every submitted, not shipped fulfilment, and the
    oldest of their orders' dates."""
    with db.read() as s:
        rows = s.execute(select(F.starshipit_order_id, F.id, F.fulfillment_number)
                         .where(F.status == "submitted", F.starshipit_order_id.is_not(None))).all()
        oldest = s.scalar(select(func.min(m.SalesOrder.order_date)).join(F, F.sales_order_id == m.SalesOrder.id)
                          .where(F.status == "submitted", F.starshipit_order_id.is_not(None)))
    return {order_id: (fid, number) for order_id, fid, number in rows}, oldest


def sync_statuses(db: Database, client: StarshipitClient, *, progress: Progress | None = None,
                  on_change: Callable[[SyncChange], None] | None = None) -> SyncResult:
    """Bring home the status, carrier and tracking of every submitted fulfilment (see the module's notes).
    `progress(done, total)` may raise Cancelled: the run stops before its next request, keeping what it
    stored. Keys refused or Starshipit unreachable stop the run (result.stopped)."""
    wanted, oldest = _submitted(db)
    result = SyncResult(checked=len(wanted))
    if not wanted:
        return result
    left = dict(wanted)
    sent_before = client.requests_sent
    estimate = [2 + len(wanted) // LIST_MAX * 2]  # pages; grows by the orders asked for one by one

    def step() -> None:
        if progress is not None:
            progress(client.requests_sent - sent_before, max(estimate[0], client.requests_sent - sent_before + 1))

    def record(rows: list[tuple[int, ListedOrder]]) -> None:
        if not rows:
            return
        with db.transaction() as s:
            for fid, listed in rows:
                f = s.get(F, fid, with_for_update=True)
                if f is None:
                    continue
                before = (f.starshipit_status, f.tracking_number, f.status)
                apply_status(f, listed.status, listed.carrier, listed.tracking_number, listed.tracking_url)
                if (f.starshipit_status, f.tracking_number, f.status) != before:
                    change = SyncChange(fid, f.fulfillment_number, f.starshipit_status or "", f.carrier,
                                        f.tracking_number, f.tracking_url, shipped=f.status == "shipped")
                    result.changes.append(change)
                    if on_change is not None:
                        on_change(change)

    try:
        with domain_errors():
            since = (oldest - dt.timedelta(days=1)) if oldest else None
            for which in ("shipped", "unshipped"):
                page, pages = 1, 1
                while page <= pages and left:
                    step()
                    answer = client.list_orders(which, page=page, since=since)
                    pages = answer.total_pages
                    estimate[0] = max(estimate[0], pages + (1 if which == "shipped" else 0) + 1)
                    found = [(left.pop(o.order_id)[0], o) for o in answer.orders if o.order_id in left]
                    record(found)
                    page += 1
            estimate[0] += len(left)
            for order_id, (fid, number) in list(left.items()):
                step()
                try:
                    order = client.get_order(order_id=order_id)
                except (BadResponse, StarshipitError) as exc:
                    if isinstance(exc, (KeyProblem, StarshipitUnavailable)):
                        raise
                    result.problems.append(f"{number}: {exc}")
                    continue
                if order is None:
                    result.not_found.append(number)
                    continue
                record([(fid, ListedOrder(order.order_id, order.order_number, order.status,
                                          order.carrier_display, order.tracking_number, order.tracking_url))])
    except Cancelled:
        result.cancelled = True
    except (KeyProblem, StarshipitUnavailable) as exc:
        result.stopped = str(exc)
    finally:
        result.requests = client.requests_sent - sent_before
    log.info("sync: %s", result.summary())
    return result


__all__ = ["PRINTED_STATUSES", "SyncChange", "SyncResult", "sync_statuses"]
