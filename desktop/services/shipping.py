"""Shipping through Starshipit (DESIGN §2 items 17–19): the queue of fulfilments, *Submit orders to
Starshipit*, *Update Starshipit order from fulfilment* and *View Starshipit order*. Plain Python, no Qt.

Never twice. A fulfilment becomes a Starshipit order whose order_number is the fulfilment number:
1. before creating, it is looked up by order_number (GET /api/orders?order_number=); an order found there is
   the fulfilment's, and its id is stored instead of creating another;
2. each order_id is stored the moment it arrives, in its own small transaction (so a run killed halfway
   keeps everything it already heard);
3. a create whose outcome is unknown (a timeout, a 5xx or a dropped connection after sending) is never sent
   again blindly: the orders are looked up first, and only those not found are sent again.
A run killed at any point and started again therefore creates nothing twice: what was created but not yet
stored is found by step 1. Two desks submitting at once: each run claims the fulfilments of a batch before
looking them up (`submit_claim`, in one transaction with the rows locked), and leaves alone those another
live run holds (skipped, not failed). A claim ends with its run; one left by a killed run is free at once when
that process is gone (same computer) and after CLAIM_TTL otherwise.

Throughput: at 2 requests/s (developer subscription; 20 on production) requests are the cost. Creating one
order per POST /api/orders costs 2 requests an order (lookup + create); creating the orders of a batch of up
to 50 with one POST /api/orders/import costs 1 + 1/50. So orders go in import batches of up to 50 (a batch
of one uses POST /api/orders); 40 pending orders take ~21 s at 2/s instead of ~40 s, 500 orders ~26 s at
20/s instead of ~50 s.

States in the queue: `pending` (never tried), `failed` (still `pending` in the store, with `last_error`),
`submitted` (has a Starshipit order id), `shipped`.

Why one file of ~640 lines: the never-twice protocol above spans the queue, submit, update and view; kept
together so that its steps can be read in one place.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from desktop.services.customer_list import contains
from desktop.services.errors import Cancelled, DomainError, FieldError, NotFound, ValidationError
from desktop.services.shipping_errors import domain_errors
from desktop.services.shipping_mapping import order_request
from desktop.starshipit.errors import (
    BadResponse,
    InvalidShipment,
    KeyProblem,
    OutcomeUnknown,
    StarshipitError,
    StarshipitRejected,
    StarshipitUnavailable,
)
from desktop.starshipit.limits import IMPORT_MAX
from desktop.starshipit.models import OrderRequest, StarshipitOrder
from desktop.store import models as m
from desktop.store.engine import Database

if TYPE_CHECKING:
    from desktop.starshipit.client import StarshipitClient

log = logging.getLogger("desktop.services.shipping")

Progress = Callable[[int, int], None]
# on_outcome(outcome): each fulfilment's outcome as soon as it is known (the CLI prints it).
# checkpoint(event, fulfillment_id): "created" once Starshipit confirmed an order (before its id is
# stored), "stored" once it is. Tests raise from it to kill a run at the worst moment.
Checkpoint = Callable[[str, int], None]

STATES = ("pending", "failed", "refused", "submitted", "shipped")  # refused: by Starshipit, until changed
CLAIM_TTL = dt.timedelta(minutes=5)  # a claim not renewed for this long is free
CLAIM_RENEW_S = 30.0  # a live run renews its claims this often (between requests)
BUSY = "being submitted from another desk; it is left alone (try again in a few minutes)"
UNKNOWN_ROUNDS = 3  # how many times an unconfirmed create is checked and sent again within one run
ERROR_MAX = 2000


class NotSubmitted(DomainError):
    def __init__(self, number: str):
        super().__init__(f"Fulfilment {number} has not been submitted to Starshipit yet: submit it first.")


class OrderGone(DomainError):
    def __init__(self, number: str, order_id: int):
        super().__init__(f"Starshipit has no order {order_id} (fulfilment {number}): it may have been deleted "
                         "there.")


# --- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    fulfillment_id: int
    fulfillment_number: str
    sales_order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    state: str
    starshipit_order_id: int | None
    submitted_at: dt.datetime | None
    tracking_number: str | None
    carrier: str | None
    last_error: str | None
    updated_at: dt.datetime
    starshipit_status: str | None = None  # as Starshipit names it (Unshipped, Saved, Printed, Shipped…)
    tracking_url: str | None = None


F = m.SalesOrderFulfillment
_state_expr = case(
    (and_(F.status == "pending", F.refused_body.is_not(None)), "refused"),
    (and_(F.status == "pending", F.last_error.is_not(None)), "failed"),
    else_=F.status,
)


def _state_filter(state: str | None) -> Any:
    if state in (None, "all"):
        return True
    if state == "pending":
        return and_(F.status == "pending", F.last_error.is_(None))
    if state == "failed":
        return and_(F.status == "pending", F.last_error.is_not(None), F.refused_body.is_(None))
    if state == "refused":
        return and_(F.status == "pending", F.refused_body.is_not(None))
    if state in ("submitted", "shipped"):
        return F.status == state
    raise ValueError(f"unknown state {state!r}")


# What the queue can be sorted by (the queue page's columns); ties go by id in the same direction.
QUEUE_SORTS = {
    "state": _state_expr, "fulfillment": F.fulfillment_number, "order": m.SalesOrder.order_number,
    "customer": func.lower(m.Customer.name), "starshipit_order": F.starshipit_order_id,
    "starshipit_status": F.starshipit_status, "submitted": F.submitted_at, "carrier": F.carrier,
    "tracking": F.tracking_number, "error": F.last_error, "id": F.id,
}


def _queue_search(session: Session, search: str | None) -> Any:
    """Fulfilments whose number, sales order, customer, Starshipit order, carrier or tracking contains
    `search` (any case, any script)."""
    text = " ".join((search or "").split())
    if not text:
        return True
    dialect = session.get_bind().dialect.name
    columns = (F.fulfillment_number, m.SalesOrder.order_number, m.Customer.name, F.carrier, F.tracking_number,
               F.starshipit_status)
    matches = [contains(dialect, column, text) for column in columns]
    if text.isdigit() and len(text) <= 18:
        matches.append(F.starshipit_order_id == int(text))
    return or_(*matches)


def _queue_from(stmt: Any) -> Any:
    return (stmt.join(m.SalesOrder, m.SalesOrder.id == F.sales_order_id)
            .join(m.Customer, m.Customer.id == m.SalesOrder.customer_id))


def list_queue(session: Session, *, state: str | None = None, customer_id: int | None = None,
               limit: int = 2000, search: str | None = None, sort: str = "-id") -> list[QueueRow]:
    """Fulfilments by state (None/"all": every one), newest first (or by one of QUEUE_SORTS, "-" for
    descending); for one customer when given; only those matching `search` when given."""
    key = sort.removeprefix("-")
    if key not in QUEUE_SORTS:
        raise ValidationError([FieldError("sort", f"cannot sort the queue by {key!r}")])
    column = QUEUE_SORTS[key]
    order = [column.desc(), F.id.desc()] if sort.startswith("-") else [column.asc(), F.id.asc()]
    stmt = _queue_from(
        select(F.id, F.fulfillment_number, F.sales_order_id, m.SalesOrder.order_number, m.SalesOrder.customer_id,
               m.Customer.name, _state_expr, F.starshipit_order_id, F.submitted_at, F.tracking_number,
               F.carrier, F.last_error, F.updated_at, F.starshipit_status, F.tracking_url)
    ).where(_state_filter(state), _queue_search(session, search)).order_by(*order).limit(limit)
    if customer_id is not None:
        stmt = stmt.where(m.SalesOrder.customer_id == customer_id)
    return [QueueRow(*row) for row in session.execute(stmt)]


def queue_counts(session: Session, *, search: str | None = None) -> dict[str, int]:
    """How many fulfilments are in each state (of those matching `search`, when given)."""
    stmt = select(_state_expr, func.count()).group_by(_state_expr)
    if (search or "").strip():
        stmt = _queue_from(stmt.select_from(F)).where(_queue_search(session, search))
    rows = session.execute(stmt).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: n for state, n in rows})
    return counts


def to_submit(session: Session, *, only_failed: bool = False, ids: Sequence[int] | None = None) -> list[int]:
    """Fulfilments still to become Starshipit orders (pending, no order id), oldest first."""
    stmt = select(F.id).where(F.status == "pending", F.starshipit_order_id.is_(None)).order_by(F.id)
    if only_failed:
        stmt = stmt.where(F.last_error.is_not(None))
    if ids is not None:
        stmt = stmt.where(F.id.in_(list(ids)))
    return list(session.scalars(stmt))


def find_fulfillment(session: Session, key: str | int) -> m.SalesOrderFulfillment:
    """By id, or by fulfilment number."""
    text = str(key).strip()
    found = session.get(F, int(text)) if text.isdigit() else None
    if found is None:
        found = session.scalar(select(F).where(F.fulfillment_number == text))
    if found is None:
        raise NotFound("fulfilment", text)
    return found


def build_request(session: Session, fulfillment: m.SalesOrderFulfillment, *, order_id: int | None = None,
                  item_ids: Sequence[int | None] = (), package_ids: Sequence[int | None] = ()) -> OrderRequest:
    order = session.get(m.SalesOrder, fulfillment.sales_order_id)
    assert order is not None
    lines: Sequence[Any] = session.execute(
        select(m.SalesOrderFulfillmentLine, m.SalesOrderLine)
        .join(m.SalesOrderLine, m.SalesOrderLine.id == m.SalesOrderFulfillmentLine.sales_order_line_id)
        .where(m.SalesOrderFulfillmentLine.fulfillment_id == fulfillment.id)
        .order_by(m.SalesOrderFulfillmentLine.id)
    ).all()
    method = session.get(m.ShippingMethod, order.shipping_method_id) if order.shipping_method_id else None
    return order_request(fulfillment, order, lines, method, order_id=order_id, item_ids=item_ids,
                         package_ids=package_ids)


# --- recording (each its own small transaction) ---------------------------------------------------


def _store_order_id(db: Database, fulfillment_id: int, order_id: int) -> None:
    with db.transaction() as s:
        f = s.get(F, fulfillment_id, with_for_update=True)
        if f is None:
            log.warning("fulfilment %s vanished before its Starshipit order %s was stored", fulfillment_id, order_id)
            return
        if f.starshipit_order_id not in (None, order_id):
            log.warning("fulfilment %s already had Starshipit order %s; %s not stored",
                        fulfillment_id, f.starshipit_order_id, order_id)
            return
        f.starshipit_order_id = order_id
        if f.status == "pending":
            f.status = "submitted"
        f.submitted_at = f.submitted_at or m.utcnow()
        f.last_error = None
        f.refused_body = f.refused_at = None


def _store_error(db: Database, fulfillment_id: int, message: str, refused_body: str | None = None) -> None:
    """Record why a fulfilment was not submitted; `refused_body`: the hash of a body Starshipit refused
    with its validation errors (that body is not sent again until the order changes)."""
    with db.transaction() as s:
        f = s.get(F, fulfillment_id, with_for_update=True)
        if f is not None and f.starshipit_order_id is None:
            f.last_error = message[:ERROR_MAX]
            if refused_body is not None:
                f.refused_body = refused_body
                f.refused_at = m.utcnow()


# --- claims (two desks never submit the same fulfilment at once) --------------------------------------


def _host() -> str:
    return socket.gethostname()[:60] or "?"


def new_claim_token() -> str:
    return f"{_host()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def claim_is_free(claim: str | None, claimed_at: dt.datetime | None, token: str, now: dt.datetime) -> bool:
    """Whether a run holding `token` may take a fulfilment claimed as given."""
    if claim is None or claim == token or claimed_at is None or claimed_at < now - CLAIM_TTL:
        return True
    host, _, rest = claim.partition("/")
    pid = rest.split("/", 1)[0]
    if host == _host() and pid.isdigit() and int(pid) != os.getpid():
        return not _pid_alive(int(pid))  # a run on this computer whose process is gone
    return False


def _claim(db: Database, ids: Sequence[int], token: str) -> tuple[list[int], list[int]]:
    """Claim the pending fulfilments among `ids` for this run: (claimed, held by another live run)."""
    now = m.utcnow()
    with db.transaction() as s:
        rows = s.execute(
            select(F.id, F.submit_claim, F.submit_claimed_at)
            .where(F.id.in_(list(ids)), F.status == "pending", F.starshipit_order_id.is_(None))
            .order_by(F.id).with_for_update()
        ).all()
        mine = [r.id for r in rows if claim_is_free(r.submit_claim, r.submit_claimed_at, token, now)]
        busy = [r.id for r in rows if r.id not in set(mine)]
        if mine:
            s.execute(update(F.__table__).where(F.id.in_(mine))
                      .values(submit_claim=token, submit_claimed_at=now, updated_at=F.updated_at))
    return mine, busy


def _renew(db: Database, token: str) -> None:
    with db.transaction() as s:
        s.execute(update(F.__table__).where(F.submit_claim == token)
                  .values(submit_claimed_at=m.utcnow(), updated_at=F.updated_at))


def _release(db: Database, token: str) -> None:
    try:
        with db.transaction() as s:
            s.execute(update(F.__table__).where(F.submit_claim == token)
                      .values(submit_claim=None, submit_claimed_at=None, updated_at=F.updated_at))
    except Exception:  # noqa: BLE001 - the claims expire by themselves; the run's own error matters more
        log.warning("could not release the submit claims of run %s", token, exc_info=True)


# --- submit ---------------------------------------------------------------------------------------


@dataclass
class SubmitOutcome:
    fulfillment_id: int
    fulfillment_number: str
    ok: bool
    order_id: int | None = None
    already_there: bool = False  # found in Starshipit by order_number: stored, not created again
    error: str | None = None
    skipped: bool = False  # another desk's run holds it: neither sent nor failed

    def line(self) -> str:
        if self.ok:
            how = "already in Starshipit" if self.already_there else "submitted"
            return f"{self.fulfillment_number}: {how} (Starshipit order {self.order_id})"
        if self.skipped:
            return f"{self.fulfillment_number}: skipped: {self.error}"
        return f"{self.fulfillment_number}: FAILED: {self.error}"


@dataclass
class SubmitResult:
    total: int = 0
    outcomes: list[SubmitOutcome] = field(default_factory=list)
    cancelled: bool = False
    stopped: str | None = None  # why the run stopped early (keys refused, Starshipit unreachable)
    requests: int = 0

    @property
    def submitted(self) -> list[SubmitOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[SubmitOutcome]:
        return [o for o in self.outcomes if not o.ok and not o.skipped]

    @property
    def skipped(self) -> list[SubmitOutcome]:
        return [o for o in self.outcomes if o.skipped]

    @property
    def not_attempted(self) -> int:
        return self.total - len(self.outcomes)

    @property
    def all_submitted(self) -> bool:
        return len(self.submitted) == self.total

    def summary(self) -> str:
        parts = [f"{len(self.submitted)} of {self.total} submitted"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (being submitted from another desk)")
        if self.not_attempted:
            parts.append(f"{self.not_attempted} not attempted")
        text = ", ".join(parts)
        if self.cancelled:
            text += " (cancelled)"
        if self.stopped:
            text += f" — stopped: {self.stopped}"
        return text


class _Run:
    """One submit run: the progress, the outcomes, and Cancel honoured between requests only."""

    def __init__(self, db: Database, client: StarshipitClient, total: int, progress: Progress | None,
                 checkpoint: Checkpoint | None, on_outcome: Callable[[SubmitOutcome], None] | None = None):
        self.on_outcome = on_outcome
        self.token = new_claim_token()
        self.renewed = time.monotonic()
        self.db = db
        self.client = client
        self.progress = progress
        self.checkpoint = checkpoint
        self.result = SubmitResult(total=total)
        self.done = 0
        self.cancel_seen = False

    def before_request(self) -> None:
        """Called before each request: raises Cancelled once the clerk pressed Cancel."""
        if self.cancel_seen:
            raise Cancelled()
        if time.monotonic() - self.renewed >= CLAIM_RENEW_S:
            _renew(self.db, self.token)
            self.renewed = time.monotonic()
        if self.progress is not None:
            self.progress(self.done, self.result.total)

    def _tick(self) -> None:
        self.done += 1
        if self.progress is not None and not self.cancel_seen:
            try:
                self.progress(self.done, self.result.total)
            except Cancelled:
                self.cancel_seen = True  # honoured before the next request, never halfway through storing

    def _add(self, outcome: SubmitOutcome) -> None:
        self.result.outcomes.append(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def stored(self, fid: int, number: str, order_id: int, *, already_there: bool) -> None:
        if self.checkpoint is not None:
            self.checkpoint("created", fid)
        _store_order_id(self.db, fid, order_id)
        self._add(SubmitOutcome(fid, number, True, order_id, already_there))
        log.info("fulfilment %s -> Starshipit order %s%s", number, order_id,
                 " (already there)" if already_there else "")
        if self.checkpoint is not None:
            self.checkpoint("stored", fid)
        self._tick()

    def done_elsewhere(self, fid: int, number: str, order_id: int) -> None:
        self._add(SubmitOutcome(fid, number, True, order_id, already_there=True))
        self._tick()

    def skipped(self, fid: int, number: str) -> None:
        self._add(SubmitOutcome(fid, number, False, error=BUSY, skipped=True))
        log.info("fulfilment %s skipped: %s", number, BUSY)
        self._tick()

    def failed(self, fid: int, number: str, message: str, *, refused: OrderRequest | None = None) -> None:
        """Not submitted. `refused`: the body Starshipit refused with its validation errors, final for that
        body (it is not sent again until the order changes)."""
        _store_error(self.db, fid, message, refused.body_hash() if refused is not None else None)
        self._add(SubmitOutcome(fid, number, False, error=message))
        log.info("fulfilment %s not submitted: %s", number, message)
        self._tick()


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def submit_pending(
    db: Database,
    client: StarshipitClient,
    *,
    only_failed: bool = False,
    ids: Sequence[int] | None = None,
    batch_size: int = IMPORT_MAX,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    on_outcome: Callable[[SubmitOutcome], None] | None = None,
) -> SubmitResult:
    """Submit every pending fulfilment not yet submitted (or only the failed ones, or `ids`): one outcome per
    fulfilment. `progress(done, total)` may raise Cancelled: the run then stops after the current request,
    keeping everything stored so far (result.cancelled). Keys refused or Starshipit unreachable stop the run
    (result.stopped); the fulfilments not attempted stay as they were."""
    batch_size = max(1, min(IMPORT_MAX, batch_size))
    with db.read() as s:
        queue = to_submit(s, only_failed=only_failed, ids=ids)
    run = _Run(db, client, len(queue), progress, checkpoint, on_outcome)
    sent_before = client.requests_sent
    try:
        with domain_errors():  # the client's Cancelled is the services' one; its errors are DomainErrors
            if progress is not None:
                progress(0, len(queue))
            for chunk in _chunks(queue, batch_size):
                _submit_chunk(run, chunk)
                if run.cancel_seen:
                    raise Cancelled()
    except Cancelled:
        run.result.cancelled = True
    except (KeyProblem, StarshipitUnavailable) as exc:
        run.result.stopped = str(exc)
    finally:
        run.result.requests = client.requests_sent - sent_before
        _release(db, run.token)
    return run.result


def _submit_chunk(run: _Run, chunk: Sequence[int]) -> None:
    requests: dict[int, OrderRequest] = {}
    invalid: list[tuple[int, str, str]] = []
    mine, busy = _claim(run.db, chunk, run.token)
    with run.db.read() as s:
        rows = s.scalars(select(F).where(F.id.in_(list(chunk))).order_by(F.id)).all()
        for f in rows:
            if f.id not in mine and f.id not in busy:
                if f.starshipit_order_id is not None:  # submitted meanwhile by another desk
                    run.done_elsewhere(f.id, f.fulfillment_number, f.starshipit_order_id)
                continue
            if f.id in busy:
                invalid.append((f.id, f.fulfillment_number, ""))
                continue
            try:
                request = build_request(s, f)
            except InvalidShipment as exc:
                invalid.append((f.id, f.fulfillment_number, str(exc)))
                continue
            if f.refused_body is not None and f.refused_body == request.body_hash():
                said = f.last_error or "Starshipit refused it"
                invalid.append((f.id, f.fulfillment_number, said if said.startswith(REFUSED_UNCHANGED) else
                                f"{REFUSED_UNCHANGED}: {said}"))
                continue
            requests[f.id] = request
    for fid, number, message in invalid:
        if message:
            run.failed(fid, number, message)
        else:
            run.skipped(fid, number)
    # 1. Look each one up by order_number: an order already there is stored, never created again.
    to_create: dict[int, OrderRequest] = {}
    for fid, request in requests.items():
        run.before_request()
        try:
            found = _lookup(run, fid, request)
        except BadResponse as exc:  # that order's answer cannot be read: it alone waits for the next run
            run.failed(fid, request.order_number, f"{exc} It will be looked up before it is sent.")
            continue
        if found is None:
            to_create[fid] = request
    # 2. Create the rest (one import for the batch), resolving every unconfirmed create by looking again.
    # An order the batch answer does not name (neither created nor refused by number) is looked up and, if
    # it is not there, sent on its own: a single create answers for that order alone, so a refusal is
    # known for what it is and never sent again with the same body.
    alone = False
    for round_ in range(1, UNKNOWN_ROUNDS + 1):
        if not to_create:
            return
        run.before_request()
        try:
            unresolved = _create(run, to_create, alone=alone)
        except OutcomeUnknown as exc:
            log.warning("create of %d orders not confirmed (%s): looking them up", len(to_create), exc.reason)
            unresolved = dict(to_create)
            reason = exc.reason
        else:
            reason = None
            alone = True  # answered without naming these: each goes on its own next
        if not unresolved:
            return
        still: dict[int, OrderRequest] = {}
        for fid, request in unresolved.items():
            run.before_request()
            try:
                if _lookup(run, fid, request) is None:
                    still[fid] = request
            except BadResponse as exc:
                run.failed(fid, request.order_number, f"{exc} It will be looked up before it is sent again.")
        to_create = still
        if round_ == UNKNOWN_ROUNDS:
            for fid, request in to_create.items():
                run.failed(fid, request.order_number, f"Starshipit did not confirm the order "
                                                      f"({reason or 'its answer did not name it'}); it will be "
                                                      f"looked up before it is sent again")


def _lookup(run: _Run, fid: int, request: OrderRequest) -> StarshipitOrder | None:
    found = run.client.get_order(order_number=request.order_number)
    if found is not None:
        run.stored(fid, request.order_number, found.order_id, already_there=True)
    return found


def _create(run: _Run, orders: dict[int, OrderRequest], *, alone: bool = False) -> dict[int, OrderRequest]:
    """Create `orders` (with `alone`, each in a request of its own); store what was created, record what was
    refused; return the ones left unresolved. Raises OutcomeUnknown when the request may have been carried
    out without our hearing it."""
    if alone and len(orders) > 1:
        left: dict[int, OrderRequest] = {}
        for fid, request in orders.items():
            run.before_request()
            try:
                left.update(_create(run, {fid: request}))
            except OutcomeUnknown:
                left[fid] = request
        return left
    if len(orders) == 1:
        (fid, request), = orders.items()
        try:
            created = run.client.create_order(request)
        except StarshipitRejected as exc:
            run.failed(fid, request.order_number, _refusal(exc.messages),
                       refused=request if _is_validation(exc) else None)
            return {}
        run.stored(fid, request.order_number, created.order_id, already_there=False)
        return {}
    try:
        result = run.client.import_orders(list(orders.values()))
    except StarshipitRejected as exc:
        # The whole batch refused: send each on its own, so that each gets its own answer.
        log.info("import of %d orders refused (%s): sending them one by one", len(orders), exc)
        left: dict[int, OrderRequest] = {}
        for fid, request in orders.items():
            run.before_request()
            try:
                left.update(_create(run, {fid: request}))
            except OutcomeUnknown:
                left[fid] = request
        return left
    unresolved: dict[int, OrderRequest] = {}
    for fid, request in orders.items():
        order_id = result.created.get(request.order_number)
        if order_id is not None:
            run.stored(fid, request.order_number, order_id, already_there=False)
            continue
        named = [e for e in result.errors if _names(e, request.order_number)]
        if named:
            run.failed(fid, request.order_number, _refusal(named), refused=request)
        else:
            unresolved[fid] = request
    return unresolved


REFUSED_UNCHANGED = "Refused by Starshipit, and not sent again until the order changes"


def _refusal(messages: Sequence[str]) -> str:
    """Starshipit's own words, each once: 'Refused by Starshipit: Invalid destination: post_code …'."""
    seen: list[str] = []
    for message in messages:
        if message and message not in seen:
            seen.append(message)
    return "Refused by Starshipit: " + ("; ".join(seen) or "no reason given")


def _is_validation(exc: StarshipitRejected) -> bool:
    """A refusal of the order's content (400/409/422 with Starshipit's errors), as opposed to a refusal of
    the request itself (a wrong URL, a method not allowed)."""
    return exc.status in (200, 400, 409, 422) and bool(exc.messages) and exc.messages != [f"HTTP {exc.status}"]


def _names(message: str, order_number: str) -> bool:
    """Whether an error message of a batch names this order (its number as a whole word)."""
    import re

    return re.search(rf"(?<![\w-]){re.escape(order_number)}(?![\w-])", message) is not None


# --- update and view ------------------------------------------------------------------------------


class AlreadyPrinted(DomainError):
    def __init__(self, number: str, status: str):
        super().__init__(f"Starshipit has already {status.lower()} the order of fulfilment {number}: change it "
                         f"there or cancel the label. Nothing was changed.")


PRINTED_STATUSES = frozenset({"printed", "shipped", "delivered", "manifested", "dispatched"})


def _matched_ids(ours: Sequence[Any], theirs: Sequence[Any], key: Callable[[Any], Any]) -> list[int | None]:
    """Starshipit's ids for our items or packages: the same sku first, then by position."""
    free = list(theirs)
    out: list[int | None] = []
    for n, mine in enumerate(ours):
        same = next((t for t in free if key(t) is not None and key(t) == key(mine)), None)
        if same is None and n < len(theirs) and theirs[n] in free:
            same = theirs[n]
        if same is not None:
            free.remove(same)
        out.append(getattr(same, "item_id", None) if same is not None and hasattr(same, "item_id")
                   else getattr(same, "package_id", None) if same is not None else None)
    return out


@domain_errors()
def update_from_fulfillment(db: Database, client: StarshipitClient, key: str | int) -> StarshipitOrder:
    """PUT /api/orders with the fulfilment as it is now (ship-to, lines, packages, method), carrying the
    item_id and package_id Starshipit gave. The order is looked at first: once printed or shipped the update
    is refused (AlreadyPrinted) and nothing is sent."""
    with db.read() as s:
        f = find_fulfillment(s, key)
        if f.starshipit_order_id is None:
            raise NotSubmitted(f.fulfillment_number)
        request = build_request(s, f, order_id=f.starshipit_order_id)  # checked before anything is sent
        fid, number, order_id = f.id, f.fulfillment_number, f.starshipit_order_id
        ours = [(line.sku, line) for line in request.items]
    current = client.get_order(order_id=order_id)
    if current is None:
        raise OrderGone(number, order_id)
    _record_status(db, fid, current)
    if (current.status or "").lower() in PRINTED_STATUSES:
        raise AlreadyPrinted(number, current.status or "printed")
    item_ids = _matched_ids([line for _sku, line in ours], list(current.items), key=lambda i: i.sku)
    package_ids = [p.package_id for p in current.packages]
    with db.read() as s:
        f = s.get(F, fid)
        assert f is not None
        request = build_request(s, f, order_id=order_id, item_ids=item_ids, package_ids=package_ids)
    try:
        order = client.update_order(request)
    except StarshipitError as exc:
        if not isinstance(exc, (KeyProblem, StarshipitUnavailable)):
            messages = exc.messages if isinstance(exc, StarshipitRejected) else [str(exc)]
            _record_error_always(db, fid, "Update " + _refusal(messages).replace("Refused", "refused", 1))
        raise
    _record_error_always(db, fid, None)
    return order


def _record_status(db: Database, fid: int, order: StarshipitOrder) -> None:
    """What Starshipit says of an order, kept on the fulfilment: its status, carrier, tracking number and
    link; printed or later marks it shipped."""
    with db.transaction() as s:
        f = s.get(F, fid, with_for_update=True)
        if f is not None:
            apply_status(f, order.status, order.carrier_display, order.tracking_number, order.tracking_url)


def apply_status(f: m.SalesOrderFulfillment, status: str | None, carrier: str | None, tracking: str | None,
                  url: str | None) -> bool:
    """Set what changed; True when anything did."""
    changed = False
    for attr, value, size in (("starshipit_status", status, 40), ("carrier", carrier, 100),
                              ("tracking_number", tracking, 100), ("tracking_url", url, 500)):
        if value and getattr(f, attr) != value[:size]:
            setattr(f, attr, value[:size])
            changed = True
    f.status_checked_at = m.utcnow()
    if (status or "").lower() in PRINTED_STATUSES and f.status == "submitted":
        f.status = "shipped"
        changed = True
    return changed


def _record_error_always(db: Database, fid: int, message: str | None) -> None:
    with db.transaction() as s:
        f = s.get(F, fid, with_for_update=True)
        if f is not None and f.last_error != message:
            f.last_error = message[:ERROR_MAX] if message else None


@dataclass(frozen=True)
class OrderView:
    fulfillment_id: int
    fulfillment_number: str
    sales_order_number: str
    customer_name: str
    order: StarshipitOrder


@domain_errors()
def view_order(db: Database, client: StarshipitClient, key: str | int) -> OrderView:
    """GET /api/orders?order_id=: status, carrier, tracking, items, packages. What it says about carrier and
    tracking is kept on the fulfilment (and a shipped order marks it shipped)."""
    with db.read() as s:
        f = find_fulfillment(s, key)
        if f.starshipit_order_id is None:
            raise NotSubmitted(f.fulfillment_number)
        order_row = s.get(m.SalesOrder, f.sales_order_id)
        assert order_row is not None
        customer = s.get(m.Customer, order_row.customer_id)
        fid, number, order_id = f.id, f.fulfillment_number, f.starshipit_order_id
        so_number, name = order_row.order_number, customer.name if customer else ""
    order = client.get_order(order_id=order_id)
    if order is None:
        raise OrderGone(number, order_id)
    _record_status(db, fid, order)
    return OrderView(fid, number, so_number, name, order)
