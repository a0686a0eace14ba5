"""Money (DESIGN §2 items 14–15): a customer's unpaid orders and open sales credits, every open credit of
every customer (keyset pages), and allocating a credit to orders under every rule, safely against a second
clerk doing the same at the same moment.

Amounts are `Decimal` end to end. The rules of an allocation live in one pure function, `check_allocation`,
which the allocation dialog runs as the clerk types and `allocate_credit` runs again inside the locks, on
amounts read fresh after the locks were taken.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, tuple_, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from desktop.services import changelog
from desktop.services.errors import ConflictError, DomainError, FieldError, NotFound, ValidationError
from desktop.store import models as m

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# --- amounts ------------------------------------------------------------------------------------


class AmountError(ValueError):
    """An amount that is not a positive number of cents; `rule` says which rule it breaks."""

    def __init__(self, rule: Rule, message: str):
        self.rule = rule
        super().__init__(message)


def parse_amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """A money amount from text, int or Decimal: a finite number with at most two decimals (a value with
    more, like 0.001, is refused, never rounded; 1.500 is 1.50 and is accepted), more than zero.

    Floats are refused: 0.1 as a float is not 0.1, and money never passes through binary fractions.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise AmountError(Rule.AMOUNT_INVALID, "is not an amount (give it as text or a Decimal, not a float)")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if not text:
            raise AmountError(Rule.AMOUNT_INVALID, "is empty")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise AmountError(Rule.AMOUNT_INVALID, f"{value.strip()!r} is not an amount") from None
    else:
        raise AmountError(Rule.AMOUNT_INVALID, "is not an amount")
    if not amount.is_finite():
        raise AmountError(Rule.AMOUNT_INVALID, f"{value!s} is not an amount")
    if amount.adjusted() >= 12 and amount != 0:  # before quantize, which cannot hold 1e999999 to the cent
        raise AmountError(Rule.AMOUNT_INVALID, f"{str(value).strip()[:40]} is too large")
    if amount.adjusted() < -30 and amount != 0:
        raise AmountError(Rule.AMOUNT_PRECISION, f"{str(value).strip()[:40]} has more than two decimals "
                                                 f"(cents are the smallest unit)")
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise AmountError(Rule.AMOUNT_PRECISION, f"{amount} has more than two decimals (cents are the smallest unit)")
    amount = amount.quantize(CENT)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountError(Rule.AMOUNT_NOT_POSITIVE, f"{amount} must be more than 0")
    if amount >= Decimal("1e12"):
        raise AmountError(Rule.AMOUNT_INVALID, f"{amount} is too large")
    return amount


def money(value: Any) -> Decimal:
    """A stored amount as Decimal to the cent. The store hands back cents (Numeric(14, 2) on PostgreSQL;
    SQLite's floats are formatted to two places by the column type); a sum over no rows is a bare 0."""
    if not value:
        return ZERO
    return value if type(value) is Decimal else Decimal(value).quantize(CENT)


def fmt(amount: Decimal) -> str:
    """1234.5 -> '1,234.50' (what the clerk reads)."""
    return f"{amount:,.2f}"


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderAmounts:
    """One order with its derived amounts (an unpaid order, or any order the allocation looks at)."""

    id: int
    order_number: str
    customer_id: int
    status: str
    order_date: dt.date
    currency_code: str
    total: Decimal
    paid: Decimal
    credited: Decimal
    outstanding: Decimal

    @property
    def unpaid_status(self) -> bool:
        return self.status not in m.UNPAID_EXCLUDED_STATUSES


@dataclass(frozen=True, slots=True)
class CreditAmounts:
    id: int
    sales_credit_number: str
    customer_id: int
    credit_date: dt.date
    currency_code: str
    total: Decimal
    allocated: Decimal
    remaining: Decimal
    version: int
    customer_name: str | None = None
    sales_credit_note: str | None = None


@dataclass(frozen=True)
class Totals:
    """Sums per currency (a customer may buy in more than one)."""

    by_currency: dict[str, dict[str, Decimal]]

    def describe(self, *keys: str) -> str:
        parts = []
        for currency, sums in sorted(self.by_currency.items()):
            parts.append(f"{currency} " + ", ".join(f"{k} {fmt(sums[k])}" for k in keys))
        return "; ".join(parts)


@dataclass(frozen=True)
class UnpaidOrders:
    customer_id: int
    orders: list[OrderAmounts]
    totals: Totals


@dataclass(frozen=True)
class OpenCredits:
    customer_id: int
    credits: list[CreditAmounts]
    totals: Totals


def _sum_by_currency(rows: Sequence[Any], keys: Sequence[str]) -> Totals:
    sums: dict[str, dict[str, Decimal]] = {}
    for currency in sorted({row.currency_code for row in rows}):
        mine = [row for row in rows if row.currency_code == currency]
        sums[currency] = {k: sum([getattr(row, k) for row in mine], ZERO) for k in keys}
    return Totals(sums)


def _order_columns() -> list[Any]:
    o = m.SalesOrder
    return [o.id, o.order_number, o.customer_id, o.status, o.order_date, o.currency_code,
            type_coerce(m.order_total_expr, m.Money).label("total"),
            type_coerce(m.order_paid_expr, m.Money).label("paid"),
            type_coerce(m.order_credited_expr, m.Money).label("credited")]


def _orders_stmt(*where: Any, unpaid_only: bool) -> Select[Any]:
    """Orders with total, paid and credited computed once each (per-order index lookups on lines,
    payments and allocations), outstanding derived from them; unpaid ones only when asked."""
    # Materialised: each order's three sums are computed once (inlined, every use of a column would
    # repeat its correlated subquery: in the select list, in the filter, in outstanding).
    inner = select(*_order_columns()).where(*where).cte("o").prefix_with("MATERIALIZED")
    # Outstanding is total − paid − credited, in Decimal, by `_order`; SQL works it out only to filter.
    stmt = select(*inner.c)
    if unpaid_only:
        stmt = stmt.where(func.round(inner.c.total - inner.c.paid - inner.c.credited, 2) > 0)
    return stmt.order_by(inner.c.order_date, inner.c.id)


def _order(row: Any) -> OrderAmounts:
    oid, number, customer_id, status, order_date, currency, total, paid, credited = row
    total, paid, credited = money(total), money(paid), money(credited)
    return OrderAmounts(oid, number, customer_id, status, order_date, currency, total, paid, credited,
                        total - paid - credited)


def unpaid_orders_stmt(customer_id: int) -> Select[Any]:
    o = m.SalesOrder
    return _orders_stmt(o.customer_id == customer_id, o.status.not_in(m.UNPAID_EXCLUDED_STATUSES),
                        unpaid_only=True)


def _require_customer(session: Session, customer_id: int) -> m.Customer:
    customer = session.get(m.Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def unpaid_orders(session: Session, customer_id: int) -> UnpaidOrders:
    """The customer's unpaid orders (outstanding > 0, not draft or cancelled), oldest first, with totals."""
    _require_customer(session, customer_id)
    orders = [_order(r) for r in session.connection().execute(unpaid_orders_stmt(customer_id)).all()]
    return UnpaidOrders(customer_id, orders, _sum_by_currency(orders, ("total", "paid", "credited", "outstanding")))


def order_amounts(session: Session, order_ids: Iterable[int]) -> dict[int, OrderAmounts]:
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    stmt = _orders_stmt(m.SalesOrder.id.in_(ids), unpaid_only=False)
    return {r.id: _order(r) for r in session.connection().execute(stmt).all()}


def _credit_columns() -> list[Any]:
    c = m.SalesCredit
    return [c.id, c.sales_credit_number, c.customer_id, c.credit_date, c.currency_code, c.version,
            c.sales_credit_note, type_coerce(c.total, m.Money).label("total"),
            type_coerce(m.credit_allocated_expr, m.Money).label("allocated")]


def _credits_stmt(*where: Any, open_only: bool, with_customer: bool = False) -> Select[Any]:
    columns = _credit_columns()
    base = select(*columns).where(*where)
    if with_customer:
        base = base.add_columns(m.Customer.name.label("customer_name")).join(
            m.Customer, m.Customer.id == m.SalesCredit.customer_id)
    # A customer's credits: materialised, so each allocated sum is computed once. Every customer's credits
    # (a keyset page): inlined, so the walk down the date index stops as soon as the page is full.
    inner = base.subquery("c") if with_customer else base.cte("c").prefix_with("MATERIALIZED")
    remaining = func.round(inner.c.total - inner.c.allocated, 2)
    stmt = select(*inner.c, type_coerce(remaining, m.Money).label("remaining"))
    if open_only:
        stmt = stmt.where(remaining > 0)
    return stmt


def _credit(row: Any) -> CreditAmounts:
    return CreditAmounts(
        id=row.id, sales_credit_number=row.sales_credit_number, customer_id=row.customer_id,
        credit_date=row.credit_date, currency_code=row.currency_code, total=money(row.total),
        allocated=money(row.allocated), remaining=money(row.remaining), version=row.version,
        customer_name=getattr(row, "customer_name", None), sales_credit_note=row.sales_credit_note,
    )


def open_credits_stmt(customer_id: int) -> Select[Any]:
    stmt = _credits_stmt(m.SalesCredit.customer_id == customer_id, open_only=True)
    inner = stmt.selected_columns
    return stmt.order_by(inner.credit_date, inner.id)


def open_credits(session: Session, customer_id: int) -> OpenCredits:
    """The customer's open credits (remaining > 0), oldest first, with totals."""
    _require_customer(session, customer_id)
    credits = [_credit(r) for r in session.connection().execute(open_credits_stmt(customer_id)).all()]
    return OpenCredits(customer_id, credits, _sum_by_currency(credits, ("total", "allocated", "remaining")))


def credit_amounts(session: Session, credit_id: int) -> CreditAmounts:
    row = session.connection().execute(_credits_stmt(m.SalesCredit.id == credit_id, open_only=False)).first()
    if row is None:
        raise NotFound("sales credit", credit_id)
    return _credit(row)


@dataclass(frozen=True)
class CreditCursor:
    """Where a page of all open credits ended (newest first: credit date, then id, both descending)."""

    credit_date: dt.date
    id: int


def all_open_credits_stmt(after: CreditCursor | None = None, limit: int = 200) -> Select[Any]:
    c = m.SalesCredit
    where = []
    if after is not None:
        # The row-value comparison walks ix_sales_credits_date backwards from the cursor.
        where.append(tuple_(c.credit_date, c.id) < tuple_(after.credit_date, after.id))
    stmt = _credits_stmt(*where, open_only=True, with_customer=True)
    inner = stmt.selected_columns
    return stmt.order_by(inner.credit_date.desc(), inner.id.desc()).limit(limit)


def all_open_credits(
    session: Session, *, after: CreditCursor | None = None, limit: int = 200
) -> tuple[list[CreditAmounts], CreditCursor | None]:
    """One keyset page of every customer's open credits, newest first, and the cursor of the next page
    (None at the end). The walk follows the (credit_date, id) index and stops once the page is full."""
    rows = [_credit(r) for r in session.connection().execute(all_open_credits_stmt(after, limit))]
    cursor = CreditCursor(rows[-1].credit_date, rows[-1].id) if len(rows) == limit else None
    return rows, cursor


# The columns the Sales credits list sorts by (`-` first: descending).
CREDIT_SORTS = ("credit_date", "sales_credit_number", "customer_name", "currency_code", "total", "allocated",
                "remaining")


def _open_credits_matching(session: Session, search: str | None) -> Select[Any]:
    where = []
    text_ = (search or "").strip()
    if text_:
        from desktop.services.customer_list import contains  # the list's case-insensitive match

        dialect = session.get_bind().dialect.name
        where.append(or_(contains(dialect, m.SalesCredit.sales_credit_number, text_),
                         contains(dialect, m.Customer.name, text_)))
    return _credits_stmt(*where, open_only=True, with_customer=True)


def search_open_credits(
    session: Session, *, search: str | None = None, sort: str = "-credit_date", offset: int = 0, limit: int = 200
) -> list[CreditAmounts]:
    """A page of every customer's open credits whose number or customer name contains `search`, sorted by
    one of CREDIT_SORTS (ties by id, in the same direction)."""
    key = sort.removeprefix("-")
    if key not in CREDIT_SORTS:
        raise ValidationError([FieldError("sort", f"cannot sort credits by {key!r}")])
    stmt = _open_credits_matching(session, search)
    inner = stmt.selected_columns
    column = inner.remaining if key == "remaining" else getattr(inner, key)
    order = [column.desc(), inner.id.desc()] if sort.startswith("-") else [column.asc(), inner.id.asc()]
    return [_credit(r) for r in session.connection().execute(stmt.order_by(*order).offset(offset).limit(limit))]


def open_credits_totals(session: Session, *, search: str | None = None) -> tuple[int, Totals]:
    """How many open credits match `search`, and their total, allocated and remaining per currency (summed
    by the store, whatever their number)."""
    matching = _open_credits_matching(session, search).subquery()
    rows = session.connection().execute(
        select(matching.c.currency_code, func.count(), func.sum(matching.c.total), func.sum(matching.c.allocated),
               func.sum(matching.c.remaining)).group_by(matching.c.currency_code)).all()
    sums = {r[0]: {"total": money(r[2]), "allocated": money(r[3]), "remaining": money(r[4])} for r in rows}
    return sum(int(r[1]) for r in rows), Totals(dict(sorted(sums.items())))


# --- the rules of an allocation -----------------------------------------------------------------


class Rule(enum.StrEnum):
    NO_ORDERS = "no_orders"
    ORDER_INVALID = "order_invalid"
    DUPLICATE_ORDER = "duplicate_order"
    AMOUNT_INVALID = "amount_invalid"
    AMOUNT_PRECISION = "amount_precision"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    ORDER_NOT_FOUND = "order_not_found"
    OTHER_CUSTOMER = "other_customer"
    OTHER_CURRENCY = "other_currency"
    ORDER_STATUS = "order_status"
    OVER_OUTSTANDING = "over_outstanding"
    CREDIT_CLOSED = "credit_closed"
    OVER_REMAINING = "over_remaining"


@dataclass(frozen=True)
class Problem:
    """One broken rule: which rule, the order it is about (None: the whole allocation), and the sentence."""

    rule: Rule
    message: str
    order_id: int | None = None

    def __str__(self) -> str:
        return self.message


class AllocationRefused(DomainError):
    """The allocation breaks one or more rules; nothing was allocated. `rule` is the first rule broken."""

    def __init__(self, credit_id: int, problems: Sequence[Problem]):
        self.credit_id = credit_id
        self.problems = list(problems)
        first = self.problems[0]
        self.rule = first.rule
        self.order_id = first.order_id
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"Nothing was allocated: {first.message}{more}.")


@dataclass(frozen=True)
class Requested:
    """One line of a request as given: `order` and `amount` raw (text, int or Decimal)."""

    order: Any
    amount: Any


@dataclass
class Checked:
    """What `check_allocation` found: the valid lines (order id -> amount), the problems, the sum."""

    lines: dict[int, Decimal] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    total: Decimal = ZERO

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.lines)

    def for_order(self, order_id: int) -> list[Problem]:
        return [p for p in self.problems if p.order_id == order_id]


def _order_label(order: OrderAmounts | None, order_id: Any) -> str:
    return f"order {order.order_number}" if order is not None else f"order {order_id}"


def check_order_line(credit: CreditAmounts, order: OrderAmounts | None, order_id: int, raw: Any) -> tuple[Decimal | None, list[Problem]]:
    """The rules of one line (all but the sum): amount format, order exists, same customer and currency,
    order eligible, amount ≤ outstanding."""
    label = _order_label(order, order_id)
    problems: list[Problem] = []
    amount: Decimal | None = None
    try:
        amount = parse_amount(raw)
    except AmountError as exc:
        problems.append(Problem(exc.rule, f"the amount for {label} {exc}", order_id))
    if order is None:
        problems.append(Problem(Rule.ORDER_NOT_FOUND, f"order {order_id} does not exist", order_id))
        return None, problems
    if order.customer_id != credit.customer_id:
        problems.append(Problem(Rule.OTHER_CUSTOMER,
                                f"{label} belongs to another customer than credit {credit.sales_credit_number}",
                                order_id))
    if order.currency_code != credit.currency_code:
        problems.append(Problem(Rule.OTHER_CURRENCY,
                                f"{label} is in {order.currency_code}, the credit in {credit.currency_code}",
                                order_id))
    if not order.unpaid_status:
        problems.append(Problem(Rule.ORDER_STATUS, f"{label} is {order.status}: only open orders take credit",
                                order_id))
    if amount is not None and amount > order.outstanding:
        if order.outstanding <= 0:
            message = f"{label} is already paid in full (nothing outstanding)"
        else:
            message = (f"{fmt(amount)} is more than the {fmt(order.outstanding)} outstanding on {label} "
                       f"(by {fmt(amount - order.outstanding)})")
        problems.append(Problem(Rule.OVER_OUTSTANDING, message, order_id))
    return (amount if not problems else None), problems


def check_allocation(
    credit: CreditAmounts, orders: Mapping[int, OrderAmounts], requested: Sequence[Requested]
) -> Checked:
    """Every rule of DESIGN §2 item 15 over a request; all problems, each naming its rule and order.

    A request naming the same order twice is refused (Rule.DUPLICATE_ORDER) rather than summed: two lines
    for one order are far more often a typing slip than an intention, and a refused request costs nothing.
    """
    checked = Checked()
    if not requested:
        checked.problems.append(Problem(Rule.NO_ORDERS, "no orders were given to allocate to"))
    if credit.remaining <= 0:
        checked.problems.append(Problem(Rule.CREDIT_CLOSED,
                                        f"credit {credit.sales_credit_number} has nothing remaining (it is closed)"))
    seen: set[int] = set()
    for item in requested:
        order_id = _order_id(item.order)
        if order_id is None:
            checked.problems.append(Problem(Rule.ORDER_INVALID, f"{item.order!r} is not an order id"))
            continue
        if order_id in seen:
            checked.problems.append(Problem(Rule.DUPLICATE_ORDER,
                                            f"{_order_label(orders.get(order_id), order_id)} is given more than "
                                            "once: give one amount per order", order_id))
            continue
        seen.add(order_id)
        amount, problems = check_order_line(credit, orders.get(order_id), order_id, item.amount)
        checked.problems.extend(problems)
        if amount is not None:
            checked.lines[order_id] = amount
    checked.total = sum(checked.lines.values(), ZERO)
    if checked.total > credit.remaining > 0:
        checked.problems.append(Problem(
            Rule.OVER_REMAINING,
            f"the amounts add up to {fmt(checked.total)}, more than the {fmt(credit.remaining)} remaining on "
            f"credit {credit.sales_credit_number} (by {fmt(checked.total - credit.remaining)})"))
    return checked


def _order_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def requested_from(request: Mapping[str, Any] | Sequence[Any]) -> list[Requested]:
    """`{sales_orders: [{id, amount}]}` (or just the list, or (id, amount) pairs) as Requested lines."""
    items = request.get("sales_orders") if isinstance(request, Mapping) else request
    if items is None or isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise AllocationRefused(0, [Problem(Rule.NO_ORDERS, "give sales_orders as a list of {id, amount}")])
    lines = []
    for item in items:
        if isinstance(item, Mapping):
            lines.append(Requested(item.get("id"), item.get("amount")))
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 2:
            lines.append(Requested(item[0], item[1]))
        else:
            lines.append(Requested(item, None))
    return lines


# --- allocating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationResult:
    credit_id: int
    sales_credit_number: str
    lines: dict[int, Decimal]
    total: Decimal
    remaining: Decimal
    allocation_ids: list[int]


def allocate_credit(
    session: Session,
    credit_id: int,
    request: Mapping[str, Any] | Sequence[Any],
    *,
    expected_version: int | None = None,
) -> AllocationResult:
    """Allocate a sales credit to orders: `{sales_orders: [{id, amount}]}`. All or nothing.

    The credit row is locked first, then the orders' rows in id order (SELECT … FOR UPDATE on PostgreSQL;
    on SQLite the unit of work already holds the write lock, BEGIN IMMEDIATE). Only then are the credit's
    remaining and each order's outstanding read, fresh, and every rule checked: a second clerk allocating
    the same credit, or another credit to the same order, waits for this one and then sees its allocations.
    `expected_version` is the credit's version the clerk saw; a credit changed since is a ConflictError.
    """
    requested = requested_from(request)
    credit_row = session.scalars(
        select(m.SalesCredit).where(m.SalesCredit.id == credit_id)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if credit_row is None:
        raise NotFound("sales credit", credit_id)
    if expected_version is not None and credit_row.version != expected_version:
        raise ConflictError("sales credit", credit_id, expected_version, credit_row.version)
    order_ids = sorted({i for i in (_order_id(r.order) for r in requested) if i is not None})
    if order_ids:
        # Locks only: the amounts are read by the next statements, which start after the locks are held.
        session.execute(select(m.SalesOrder.id).where(m.SalesOrder.id.in_(order_ids))
                        .order_by(m.SalesOrder.id).with_for_update())
    credit = credit_amounts(session, credit_id)
    orders = order_amounts(session, order_ids)
    checked = check_allocation(credit, orders, requested)
    if checked.problems:
        raise AllocationRefused(credit_id, checked.problems)

    now = m.utcnow()
    rows = [{"sales_credit_id": credit_id, "sales_order_id": order_id, "amount": amount,
             "created_at": now, "updated_at": now, "version": 1}
            for order_id, amount in checked.lines.items()]
    ids = list(session.scalars(
        insert(m.SalesCreditAllocation).returning(m.SalesCreditAllocation.id, sort_by_parameter_order=True), rows))
    credit_row.updated_at = now  # the credit's version moves on: a dialog opened before sees a conflict
    try:
        with session.begin_nested():
            session.flush()
    except StaleDataError as exc:
        raise ConflictError("sales credit", credit_id) from exc
    remaining = credit.remaining - checked.total
    changelog.record(session, "sales_credit", credit_id, "allocate", {
        "allocations": [None, [{"sales_order_id": oid, "order_number": orders[oid].order_number,
                                "amount": str(amount)} for oid, amount in checked.lines.items()]],
        "remaining": [str(credit.remaining), str(remaining)],
    })
    for order_id, amount in checked.lines.items():
        order = orders[order_id]
        changelog.record(session, "sales_order", order_id, "credit_allocated", {
            "sales_credit": [None, credit.sales_credit_number],
            "outstanding": [str(order.outstanding), str(order.outstanding - amount)],
        })
    return AllocationResult(credit_id, credit.sales_credit_number, dict(checked.lines), checked.total,
                            remaining, ids)


def oldest_first(remaining: Decimal, orders: Sequence[OrderAmounts]) -> dict[int, Decimal]:
    """Fill `orders` in the order given (oldest first) up to their outstanding, until `remaining` is used."""
    plan: dict[int, Decimal] = {}
    left = remaining
    for order in orders:
        if left <= 0:
            break
        if order.outstanding <= 0 or not order.unpaid_status:
            continue
        amount = min(order.outstanding, left)
        plan[order.id] = amount
        left -= amount
    return plan


__all__ = [
    "AllocationRefused", "AllocationResult", "AmountError", "Checked", "CreditAmounts", "CreditCursor",
    "OpenCredits", "OrderAmounts", "Problem", "Requested", "Rule", "Totals", "UnpaidOrders",
    "all_open_credits", "allocate_credit", "check_allocation", "credit_amounts", "fmt", "oldest_first",
    "open_credits", "order_amounts", "parse_amount", "requested_from", "unpaid_orders",
]
