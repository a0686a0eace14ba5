"""The order and credit entry a clerk needs beside allocation: create a sales order with lines, record a
payment, create a sales credit, and fulfil an order's lines (for shipping).

Each function works inside the caller's transaction and raises typed errors; the order row is locked
(SELECT … FOR UPDATE on PostgreSQL) before its amounts are read, as `money.allocate_credit` does, so a
payment and an allocation to one order cannot together pay it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop.services import changelog
from desktop.services.addresses import load_customer
from desktop.services.errors import ArchivedCustomer, DomainError, FieldError, NotFound, ValidationError
from desktop.services.money import AmountError, OrderAmounts, fmt, order_amounts, parse_amount
from desktop.services.validation import Cleaner
from desktop.store import models as m

QUANTITY_STEP = Decimal("0.001")
MAX_LINES = 1000
NUMBER_ATTEMPTS = 20


class OrderNotEligible(DomainError):
    """The order's status does not allow this (a draft or cancelled order takes no payment or credit)."""

    def __init__(self, order_number: str, status: str, action: str):
        self.order_number = order_number
        self.status = status
        super().__init__(f"Order {order_number} is {status}: it cannot {action}.")


class OverPayment(DomainError):
    def __init__(self, order_number: str, amount: Decimal, outstanding: Decimal):
        self.order_number = order_number
        self.amount = amount
        self.outstanding = outstanding
        super().__init__(
            f"{fmt(amount)} is more than the {fmt(outstanding)} outstanding on order {order_number}: "
            "a payment cannot pay an order more than it owes."
            if outstanding > 0 else f"Order {order_number} is already paid in full.")


class OverFulfilment(DomainError):
    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("Cannot fulfil: " + "; ".join(self.problems) + ".")


# --- values -------------------------------------------------------------------------------------


def _decimal(c: Cleaner, name: str, value: Any, *, places: int, positive: bool, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            c.error(name, "is required")
        return None
    if isinstance(value, (bool, float)):
        c.error(name, "must be given as text or a Decimal")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        c.error(name, f"{str(value).strip()!r} is not a number")
        return None
    step = Decimal(1).scaleb(-places)
    if not number.is_finite() or abs(number) >= Decimal("1e9"):
        c.error(name, "is not a usable number")
        return None
    if number != number.quantize(step, rounding="ROUND_DOWN"):
        c.error(name, f"has more than {places} decimals")
        return None
    if number < 0 or (positive and number == 0):
        c.error(name, "must be more than 0" if positive else "cannot be negative")
        return None
    return number.quantize(step)


def _amount(c: Cleaner, name: str, value: Any) -> Decimal | None:
    try:
        return parse_amount(value)
    except AmountError as exc:
        c.error(name, str(exc) if value not in (None, "") else "is required")
        return None


def _currency(c: Cleaner, value: Any) -> str | None:
    code = c.text("currency_code", value, m.CURRENCY_LEN)
    if code is None:
        c.error("currency_code", "is required (a three-letter code such as NZD)")
        return None
    if pycountry.currencies.get(alpha_3=code.upper()) is None:
        c.error("currency_code", f"{code!r} is not a currency code (such as NZD, AUD, USD)")
        return None
    return code.upper()


def _date(c: Cleaner, name: str, value: Any) -> dt.date:
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        c.error(name, f"{value!r} is not a date (YYYY-MM-DD)")
        return dt.date.today()


def _reject_unknown(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError([FieldError(k, "is not a field of this record") for k in unknown])


def _next_number(session: Session, column: Any, model: type[m.Base], prefix: str) -> str:
    n = int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1  # type: ignore[attr-defined]
    while True:
        number = f"{prefix}{n:06d}"
        if session.scalar(select(func.count()).where(column == number)) == 0:
            return number
        n += 1


def _insert_numbered(session: Session, row: Any, attr: str, given: str | None, column: Any, prefix: str,
                     label: str) -> None:
    """Add `row` with its number: the given one (refused when taken), or the next free one. Two clerks
    generating the same number at once: the loser takes the next one (the unique index decides)."""
    for _attempt in range(NUMBER_ATTEMPTS):
        number = given or _next_number(session, column, type(row), prefix)
        if given and session.scalar(select(func.count()).where(column == given)):
            raise ValidationError([FieldError(attr, f"{given} is already the number of another {label}")])
        setattr(row, attr, number)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return
        except IntegrityError:
            if given:
                raise ValidationError([FieldError(attr, f"{given} is already the number of another {label}")]) from None
            continue
    raise DomainError(f"Could not find a free {label} number; try again.")


def _lock_order(session: Session, order_id: int) -> m.SalesOrder:
    order = session.scalars(select(m.SalesOrder).where(m.SalesOrder.id == order_id)
                            .with_for_update().execution_options(populate_existing=True)).first()
    if order is None:
        raise NotFound("sales order", order_id)
    return order


# --- sales orders -------------------------------------------------------------------------------

ORDER_FIELDS = {"order_number", "order_date", "currency_code", "status", "shipping_method_id", "lines"}
LINE_FIELDS = {"sku", "description", "quantity", "price", "weight", "nominal_code_id"}
ENTRY_STATUSES = ("draft", "open")
SNAPSHOT = {"ship_name": "name", "ship_company": "company", "ship_email": "email", "ship_phone": "phone",
            "ship_address1": "address1", "ship_address2": "address2", "ship_address3": "address3",
            "ship_city": "city", "ship_province": "province", "ship_province_code": "province_code",
            "ship_zip": "zip", "ship_country": "country", "ship_country_code": "country_code"}


@dataclass(frozen=True)
class CreatedOrder:
    id: int
    order_number: str
    total: Decimal
    currency_code: str


def create_sales_order(session: Session, customer_id: int, data: Mapping[str, Any]) -> CreatedOrder:
    """A sales order with its lines for an active customer (archived customers are refused). The order
    number is generated (SO-000123) unless given; the customer's default shipping address is copied."""
    _reject_unknown(data, ORDER_FIELDS)
    customer = load_customer(session, customer_id, lock=True)
    if customer.archived_at is not None:
        raise ArchivedCustomer(customer.id, customer.name)
    c = Cleaner()
    number = c.text("order_number", data.get("order_number"), 50)
    currency = _currency(c, data.get("currency_code"))
    order_date = _date(c, "order_date", data.get("order_date"))
    status = data.get("status") or "open"
    if status not in ENTRY_STATUSES:
        c.error("status", f"must be one of {', '.join(ENTRY_STATUSES)}")
    shipping_method_id = c.reference("shipping_method_id", data.get("shipping_method_id"))
    if shipping_method_id is not None and session.get(m.ShippingMethod, shipping_method_id) is None:
        c.error("shipping_method_id", f"refers to shipping method {shipping_method_id}, which does not exist")
    raw_lines = data.get("lines") or []
    if not raw_lines:
        c.error("lines", "an order needs at least one line")
    if len(raw_lines) > MAX_LINES:
        c.error("lines", f"at most {MAX_LINES:,} lines")
    lines: list[m.SalesOrderLine] = []
    for n, raw in enumerate(raw_lines[:MAX_LINES], start=1):
        if not isinstance(raw, Mapping):
            c.error(f"line {n}", "is not a line")
            continue
        for key in sorted(set(raw) - LINE_FIELDS):
            c.error(f"line {n} {key}", "is not a field of an order line")
        sku = c.text(f"line {n} sku", raw.get("sku"), m.KEY_LEN)
        description = c.text(f"line {n} description", raw.get("description"), m.NAME_LEN)
        if not sku and not description:
            c.error(f"line {n}", "needs a SKU or a description")
        quantity = _decimal(c, f"line {n} quantity", raw.get("quantity"), places=3, positive=True)
        price = _decimal(c, f"line {n} price", raw.get("price"), places=2, positive=False)
        weight = _decimal(c, f"line {n} weight", raw.get("weight"), places=3, positive=False, required=False)
        nominal = c.reference(f"line {n} nominal_code_id", raw.get("nominal_code_id"))
        if nominal is not None and session.get(m.NominalCode, nominal) is None:
            c.error(f"line {n} nominal_code_id", f"refers to nominal code {nominal}, which does not exist")
        if quantity is not None and price is not None:
            lines.append(m.SalesOrderLine(sku=sku, description=description, quantity=quantity, price=price,
                                          weight=weight, nominal_code_id=nominal))
    if c.errors:
        raise ValidationError(c.errors)
    assert currency is not None
    order = m.SalesOrder(customer_id=customer.id, status=status, order_date=order_date, currency_code=currency,
                         shipping_method_id=shipping_method_id, lines=lines)
    address = (session.get(m.Address, customer.default_shipping_address_id)
               if customer.default_shipping_address_id else None)
    for target, source in SNAPSHOT.items():
        setattr(order, target, getattr(address, source) if address is not None else None)
    if address is not None and not order.ship_name:
        order.ship_name = customer.name
    _insert_numbered(session, order, "order_number", number, m.SalesOrder.order_number, "SO-", "order")
    total = sum((Decimal(line.quantity * line.price).quantize(Decimal("0.01")) for line in lines), Decimal("0.00"))
    changelog.record(session, "sales_order", order.id, "create", {
        "order_number": [None, order.order_number], "customer_id": [None, customer.id],
        "status": [None, status], "order_date": [None, order_date.isoformat()],
        "currency_code": [None, currency], "lines": [None, len(lines)], "total": [None, str(total)],
    })
    return CreatedOrder(order.id, order.order_number, total, currency)


# --- payments -----------------------------------------------------------------------------------

PAYMENT_FIELDS = {"amount", "payment_date", "method", "external_reference"}


@dataclass(frozen=True)
class RecordedPayment:
    id: int
    sales_order_id: int
    amount: Decimal
    outstanding: Decimal  # after the payment


def record_payment(session: Session, order_id: int, data: Mapping[str, Any]) -> RecordedPayment:
    """A payment against an order: a positive amount in cents, no more than the order's outstanding (an
    over-payment is refused: the difference would be money owed back, which this product does not keep)."""
    _reject_unknown(data, PAYMENT_FIELDS)
    order = _lock_order(session, order_id)
    c = Cleaner()
    amount = _amount(c, "amount", data.get("amount"))
    payment_date = _date(c, "payment_date", data.get("payment_date"))
    method = c.text("method", data.get("method"), m.KEY_LEN)
    reference = c.text("external_reference", data.get("external_reference"), m.NAME_LEN)
    if c.errors:
        raise ValidationError(c.errors)
    assert amount is not None
    if order.status in m.UNPAID_EXCLUDED_STATUSES:
        raise OrderNotEligible(order.order_number, order.status, "take a payment")
    amounts = order_amounts(session, [order_id])[order_id]
    if amount > amounts.outstanding:
        raise OverPayment(order.order_number, amount, amounts.outstanding)
    payment = m.Payment(sales_order_id=order_id, amount=amount, payment_date=payment_date, method=method,
                        external_reference=reference)
    session.add(payment)
    session.flush()
    outstanding = amounts.outstanding - amount
    changelog.record(session, "sales_order", order_id, "payment", {
        "payment": [None, {"id": payment.id, "amount": str(amount), "date": payment_date.isoformat(),
                           "method": method}],
        "outstanding": [str(amounts.outstanding), str(outstanding)],
    })
    return RecordedPayment(payment.id, order_id, amount, outstanding)


# --- sales credits ------------------------------------------------------------------------------

CREDIT_FIELDS = {"sales_credit_number", "credit_date", "currency_code", "total", "sales_order_id",
                 "sales_credit_note"}


@dataclass(frozen=True)
class CreatedCredit:
    id: int
    sales_credit_number: str
    total: Decimal
    currency_code: str


def create_sales_credit(session: Session, customer_id: int, data: Mapping[str, Any]) -> CreatedCredit:
    """A sales credit for a customer (archived customers too: a credit settles what is past). The number
    is generated (SC-000123) unless given; an order it refers to must be the customer's, in its currency."""
    _reject_unknown(data, CREDIT_FIELDS)
    customer = load_customer(session, customer_id)
    c = Cleaner()
    number = c.text("sales_credit_number", data.get("sales_credit_number"), 50)
    currency = _currency(c, data.get("currency_code"))
    total = _amount(c, "total", data.get("total"))
    credit_date = _date(c, "credit_date", data.get("credit_date"))
    note = c.text("sales_credit_note", data.get("sales_credit_note"), m.NOTES_LEN)
    order_id = c.reference("sales_order_id", data.get("sales_order_id"))
    if order_id is not None:
        order = session.get(m.SalesOrder, order_id)
        if order is None:
            c.error("sales_order_id", f"order {order_id} does not exist")
        elif order.customer_id != customer.id:
            c.error("sales_order_id", f"order {order.order_number} belongs to another customer")
        elif currency is not None and order.currency_code != currency:
            c.error("sales_order_id", f"order {order.order_number} is in {order.currency_code}, not {currency}")
    if c.errors:
        raise ValidationError(c.errors)
    assert currency is not None and total is not None
    credit = m.SalesCredit(customer_id=customer.id, sales_order_id=order_id, credit_date=credit_date,
                           currency_code=currency, total=total, sales_credit_note=note)
    _insert_numbered(session, credit, "sales_credit_number", number, m.SalesCredit.sales_credit_number, "SC-",
                     "sales credit")
    changelog.record(session, "sales_credit", credit.id, "create", {
        "sales_credit_number": [None, credit.sales_credit_number], "customer_id": [None, customer.id],
        "total": [None, str(total)], "currency_code": [None, currency],
        "credit_date": [None, credit_date.isoformat()], "sales_order_id": [None, order_id],
    })
    return CreatedCredit(credit.id, credit.sales_credit_number, total, currency)


# --- fulfilments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FulfilmentLine:
    """An order line and how much of it is still to fulfil."""

    id: int
    sku: str | None
    description: str | None
    quantity: Decimal
    fulfilled: Decimal

    @property
    def unfulfilled(self) -> Decimal:
        return max(self.quantity - self.fulfilled, Decimal(0))


def fulfilment_lines(session: Session, order_id: int) -> list[FulfilmentLine]:
    if session.get(m.SalesOrder, order_id) is None:
        raise NotFound("sales order", order_id)
    fulfilled = (select(func.coalesce(func.sum(m.SalesOrderFulfillmentLine.quantity), 0))
                 .where(m.SalesOrderFulfillmentLine.sales_order_line_id == m.SalesOrderLine.id)
                 .correlate(m.SalesOrderLine).scalar_subquery())
    rows = session.execute(
        select(m.SalesOrderLine.id, m.SalesOrderLine.sku, m.SalesOrderLine.description,
               m.SalesOrderLine.quantity, fulfilled.label("fulfilled"))
        .where(m.SalesOrderLine.sales_order_id == order_id).order_by(m.SalesOrderLine.id))
    step = QUANTITY_STEP
    return [FulfilmentLine(r.id, r.sku, r.description, Decimal(r.quantity).quantize(step),
                           Decimal(str(r.fulfilled or 0)).quantize(step)) for r in rows]


@dataclass(frozen=True)
class CreatedFulfilment:
    id: int
    fulfillment_number: str
    lines: dict[int, Decimal]


def create_fulfillment(
    session: Session, order_id: int, lines: Mapping[int, Any], *, warehouse_id: int | None = None,
    fulfillment_number: str | None = None,
) -> CreatedFulfilment:
    """A pending fulfilment of some of an order's lines: `lines` = {order line id: quantity}; each quantity
    more than 0 and no more than what is still unfulfilled of that line. Lines with quantity 0 are left out."""
    order = _lock_order(session, order_id)
    if order.status in m.UNPAID_EXCLUDED_STATUSES:
        raise OrderNotEligible(order.order_number, order.status, "be fulfilled")
    current = {line.id: line for line in fulfilment_lines(session, order_id)}
    c = Cleaner()
    chosen: dict[int, Decimal] = {}
    problems: list[str] = []
    for raw_id, raw_qty in lines.items():
        line_id = c.reference("line", raw_id)
        if line_id is None:
            continue
        name = f"line {line_id} quantity"
        qty = _decimal(c, name, raw_qty, places=3, positive=False)
        if qty is None or qty == 0:
            continue
        line = current.get(line_id)
        if line is None:
            c.error("line", f"{line_id} is not a line of order {order.order_number}")
            continue
        if qty > line.unfulfilled:
            problems.append(f"{line.sku or line.description or line_id}: {qty.normalize():f} is more than the "
                            f"{line.unfulfilled.normalize():f} still to fulfil")
            continue
        chosen[line_id] = qty
    if c.errors:
        raise ValidationError(c.errors)
    if problems:
        raise OverFulfilment(problems)
    if not chosen:
        raise ValidationError([FieldError("lines", "give a quantity to fulfil for at least one line")])
    if warehouse_id is not None and session.get(m.Warehouse, warehouse_id) is None:
        raise ValidationError([FieldError("warehouse_id", f"warehouse {warehouse_id} does not exist")])
    fulfilment = m.SalesOrderFulfillment(
        sales_order_id=order_id, warehouse_id=warehouse_id, status="pending",
        lines=[m.SalesOrderFulfillmentLine(sales_order_line_id=lid, quantity=q) for lid, q in chosen.items()])
    _insert_numbered(session, fulfilment, "fulfillment_number", fulfillment_number,
                     m.SalesOrderFulfillment.fulfillment_number, "FF-", "fulfilment")
    changelog.record(session, "sales_order", order_id, "fulfilment", {
        "fulfillment": [None, {"id": fulfilment.id, "number": fulfilment.fulfillment_number,
                               "lines": {str(k): str(v) for k, v in chosen.items()}}],
    })
    return CreatedFulfilment(fulfilment.id, fulfilment.fulfillment_number, chosen)


def order_summary(session: Session, order_id: int) -> OrderAmounts:
    found = order_amounts(session, [order_id])
    if order_id not in found:
        raise NotFound("sales order", order_id)
    return found[order_id]


@dataclass(frozen=True)
class OrderChoice:
    """An order as a chooser shows it."""

    id: int
    order_number: str
    order_date: dt.date
    currency_code: str
    status: str


def orders_to_fulfil(session: Session, customer_id: int) -> list[OrderChoice]:
    """The customer's orders (not draft or cancelled) with a line not yet wholly fulfilled, oldest first."""
    fulfilled = (select(func.coalesce(func.sum(m.SalesOrderFulfillmentLine.quantity), 0))
                 .where(m.SalesOrderFulfillmentLine.sales_order_line_id == m.SalesOrderLine.id)
                 .correlate(m.SalesOrderLine).scalar_subquery())
    open_line = (select(m.SalesOrderLine.id).where(m.SalesOrderLine.sales_order_id == m.SalesOrder.id,
                                                   m.SalesOrderLine.quantity > fulfilled)
                 .correlate(m.SalesOrder).exists())
    o = m.SalesOrder
    rows = session.execute(
        select(o.id, o.order_number, o.order_date, o.currency_code, o.status)
        .where(o.customer_id == customer_id, o.status.not_in(m.UNPAID_EXCLUDED_STATUSES), open_line)
        .order_by(o.order_date, o.id))
    return [OrderChoice(*r) for r in rows]


def last_currency(session: Session, customer_id: int) -> str | None:
    """The currency of the customer's latest order or credit (the natural default for the next one)."""
    return session.scalar(select(m.SalesOrder.currency_code).where(m.SalesOrder.customer_id == customer_id)
                          .order_by(m.SalesOrder.order_date.desc(), m.SalesOrder.id.desc()).limit(1))
