"""Money services: unpaid orders, open credits, every rule of allocating a credit, order/payment/credit/
fulfilment entry — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from desktop.services import customers as cs
from desktop.services import money
from desktop.services import orders as os_
from desktop.services.errors import (
    ArchivedCustomer,
    ConflictError,
    NotFound,
    ValidationError,
)
from desktop.services.money import AllocationRefused, Rule, parse_amount
from desktop.store import models as m
from desktop.store.engine import Database
from tests import factories as f

D = Decimal


# --- amounts (no database) ----------------------------------------------------------------------


def test_point_one_plus_point_two_is_point_three():
    assert parse_amount("0.1") + parse_amount("0.2") == D("0.30")
    assert str(parse_amount("0.1") + parse_amount("0.2")) == "0.30"


@pytest.mark.parametrize("raw, rule", [
    ("0.001", Rule.AMOUNT_PRECISION), ("10.005", Rule.AMOUNT_PRECISION), (D("1.234"), Rule.AMOUNT_PRECISION),
    ("0", Rule.AMOUNT_NOT_POSITIVE), ("0.00", Rule.AMOUNT_NOT_POSITIVE), ("-5", Rule.AMOUNT_NOT_POSITIVE),
    ("-0.01", Rule.AMOUNT_NOT_POSITIVE), ("abc", Rule.AMOUNT_INVALID), ("", Rule.AMOUNT_INVALID),
    ("NaN", Rule.AMOUNT_INVALID), ("Infinity", Rule.AMOUNT_INVALID), (0.1, Rule.AMOUNT_INVALID),
    (True, Rule.AMOUNT_INVALID), ("1e15", Rule.AMOUNT_INVALID), (None, Rule.AMOUNT_INVALID),
])
def test_amounts_refused_never_rounded(raw: Any, rule: Rule):
    with pytest.raises(money.AmountError) as info:
        parse_amount(raw)
    assert info.value.rule == rule


@pytest.mark.parametrize("raw, value", [
    ("12.5", "12.50"), (" 7 ", "7.00"), (3, "3.00"), (D("1.500"), "1.50"), ("0.01", "0.01"), ("1e2", "100.00"),
])
def test_amounts_accepted(raw: Any, value: str):
    assert parse_amount(raw) == D(value)
    assert str(parse_amount(raw)) == value


def test_oldest_first_fills_in_order_until_the_credit_is_used():
    def order(i: int, outstanding: str) -> money.OrderAmounts:
        return money.OrderAmounts(i, f"SO-{i}", 1, "open", dt.date(2024, 1, i), "NZD", D(outstanding), D(0), D(0),
                                  D(outstanding))

    plan = money.oldest_first(D("25.00"), [order(1, "10.00"), order(2, "0.00"), order(3, "12.00"), order(4, "9.99")])
    assert plan == {1: D("10.00"), 3: D("12.00"), 4: D("3.00")}
    assert sum(plan.values()) == D("25.00")


# --- helpers ------------------------------------------------------------------------------------


def new_customer(db: Database, name: str = "Aroha Kowhai", **kw: Any) -> int:
    with db.transaction() as s:
        return f.customer(s, name, **kw).id


def new_order(db: Database, customer_id: int, lines: list[tuple[str, str]] | None = None, *,
              currency: str = "NZD", day: int = 1, status: str = "open", number: str | None = None) -> int:
    data: dict[str, Any] = {
        "currency_code": currency, "order_date": dt.date(2024, 3, day), "status": status,
        "lines": [{"sku": f"KETE-{i}", "description": "Harakeke kete", "quantity": q, "price": p}
                  for i, (q, p) in enumerate(lines or [("1", "100.00")])],
    }
    if number:
        data["order_number"] = number
    with db.transaction() as s:
        return os_.create_sales_order(s, customer_id, data).id


def new_credit(db: Database, customer_id: int, total: str = "100.00", *, currency: str = "NZD", day: int = 5) -> int:
    with db.transaction() as s:
        return os_.create_sales_credit(s, customer_id, {"total": total, "currency_code": currency,
                                                         "credit_date": dt.date(2024, 4, day)}).id


def allocate(db: Database, credit_id: int, *lines: tuple[Any, Any], **kw: Any) -> money.AllocationResult:
    with db.transaction() as s:
        return money.allocate_credit(s, credit_id, {"sales_orders": [{"id": i, "amount": a} for i, a in lines]},
                                     **kw)


def refused(db: Database, credit_id: int, *lines: tuple[Any, Any]) -> AllocationRefused:
    before = allocation_count(db)
    with pytest.raises(AllocationRefused) as info:
        allocate(db, credit_id, *lines)
    assert allocation_count(db) == before  # all or nothing
    return info.value


def allocation_count(db: Database) -> int:
    with db.read() as s:
        return f.count(s, m.SalesCreditAllocation)


def outstanding(db: Database, order_id: int) -> Decimal:
    with db.read() as s:
        return os_.order_summary(s, order_id).outstanding


def remaining(db: Database, credit_id: int) -> Decimal:
    with db.read() as s:
        return money.credit_amounts(s, credit_id).remaining


# --- reading ------------------------------------------------------------------------------------


def test_unpaid_orders_with_totals_to_the_cent(db: Database):
    cid = new_customer(db)
    other = new_customer(db, "Tane Mahuta")
    a = new_order(db, cid, [("3", "0.10"), ("1", "0.20")], day=3)  # 0.30 + 0.20 = 0.50
    b = new_order(db, cid, [("1", "19.99"), ("2", "0.01")], day=1)  # 20.01
    c = new_order(db, cid, [("1", "50.00")], day=2)
    new_order(db, cid, [("1", "5.00")], status="draft")
    paid = new_order(db, cid, [("1", "8.00")], day=4)
    new_order(db, other, [("1", "7.00")])
    with db.transaction() as s:
        os_.record_payment(s, c, {"amount": "12.34"})
        os_.record_payment(s, paid, {"amount": "8.00"})
    credit = new_credit(db, cid, "0.50")
    allocate(db, credit, (a, "0.10"), (b, "0.40"))

    with db.read() as s:
        result = money.unpaid_orders(s, cid)
    assert [o.id for o in result.orders] == [b, c, a]  # oldest first; draft and paid left out
    rows = {o.id: o for o in result.orders}
    assert (rows[a].total, rows[a].credited, rows[a].outstanding) == (D("0.50"), D("0.10"), D("0.40"))
    assert (rows[b].total, rows[b].credited, rows[b].outstanding) == (D("20.01"), D("0.40"), D("19.61"))
    assert (rows[c].total, rows[c].paid, rows[c].outstanding) == (D("50.00"), D("12.34"), D("37.66"))
    totals = result.totals.by_currency["NZD"]
    assert totals == {"total": D("70.51"), "paid": D("12.34"), "credited": D("0.50"), "outstanding": D("57.67")}
    assert all(isinstance(v, Decimal) for v in totals.values())
    assert totals["outstanding"] == totals["total"] - totals["paid"] - totals["credited"]


def test_cancelled_orders_are_not_unpaid(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid)
    with db.transaction() as s:
        s.get(m.SalesOrder, order).status = "cancelled"  # type: ignore[union-attr]
    with db.read() as s:
        assert money.unpaid_orders(s, cid).orders == []


def test_open_credits_with_totals(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid, [("1", "30.00")])
    c1 = new_credit(db, cid, "10.10", day=2)
    c2 = new_credit(db, cid, "20.20", day=1)
    closed = new_credit(db, cid, "5.00", day=3)
    allocate(db, closed, (order, "5.00"))
    allocate(db, c1, (order, "0.10"))
    with db.read() as s:
        result = money.open_credits(s, cid)
    assert [c.id for c in result.credits] == [c2, c1]
    assert result.credits[1].allocated == D("0.10") and result.credits[1].remaining == D("10.00")
    assert result.totals.by_currency["NZD"] == {"total": D("30.30"), "allocated": D("0.10"), "remaining": D("30.20")}


def test_unknown_customer_is_not_found(db: Database):
    with db.read() as s, pytest.raises(NotFound):
        money.unpaid_orders(s, 999)
    with db.read() as s, pytest.raises(NotFound):
        money.open_credits(s, 999)


def test_all_open_credits_in_keyset_pages(db: Database):
    aroha, tane = new_customer(db), new_customer(db, "Tane Mahuta")
    order = new_order(db, aroha, [("1", "100.00")])
    ids = [new_credit(db, aroha if i % 2 else tane, "1.00", day=1 + i % 7) for i in range(11)]
    allocate(db, ids[1], (order, "1.00"))  # closed: left out
    seen: list[money.CreditAmounts] = []
    cursor = None
    with db.read() as s:
        while True:
            page, cursor = money.all_open_credits(s, after=cursor, limit=3)
            seen += page
            if cursor is None:
                break
    assert sorted(c.id for c in seen) == sorted(i for i in ids if i != ids[1])
    keys = [(c.credit_date, c.id) for c in seen]
    assert keys == sorted(keys, reverse=True)
    assert {c.customer_name for c in seen} == {"Aroha Kowhai", "Tane Mahuta"}


# --- allocation ---------------------------------------------------------------------------------


def test_allocate_moves_outstanding_and_remaining_and_logs(db: Database):
    cid = new_customer(db)
    a, b = new_order(db, cid, [("1", "40.00")], day=1), new_order(db, cid, [("1", "80.00")], day=2)
    credit = new_credit(db, cid, "100.00")
    result = allocate(db, credit, (a, "40.00"), (str(b), " 25.5 "))
    assert result.lines == {a: D("40.00"), b: D("25.50")}
    assert result.total == D("65.50") and result.remaining == D("34.50")
    assert outstanding(db, a) == D("0.00") and outstanding(db, b) == D("54.50")
    assert remaining(db, credit) == D("34.50")
    with db.read() as s:
        log = s.scalars(select(m.ChangeLog).where(m.ChangeLog.entity == "sales_credit",
                                                  m.ChangeLog.action == "allocate")).one()
        assert log.changes["remaining"] == ["100.00", "34.50"]
        assert [x["amount"] for x in log.changes["allocations"][1]] == ["40.00", "25.50"]
        assert f.count(s, m.ChangeLog, m.ChangeLog.action == "credit_allocated") == 2
        assert s.get(m.SalesCredit, credit).version == 2  # type: ignore[union-attr]


def test_point_one_and_point_two_use_up_a_credit_of_point_three(db: Database):
    cid = new_customer(db)
    a, b = new_order(db, cid, [("1", "1.00")]), new_order(db, cid, [("1", "1.00")])
    credit = new_credit(db, cid, "0.30")
    allocate(db, credit, (a, "0.1"), (b, "0.2"))
    assert remaining(db, credit) == D("0.00")
    with db.read() as s:
        assert money.open_credits(s, cid).credits == []
    assert refused(db, credit, (a, "0.01")).rule == Rule.CREDIT_CLOSED


def test_exact_outstanding_and_exact_remaining_are_allowed(db: Database):
    cid = new_customer(db)
    a = new_order(db, cid, [("3", "33.33")])  # 99.99
    credit = new_credit(db, cid, "99.99")
    allocate(db, credit, (a, "99.99"))
    assert outstanding(db, a) == D("0.00") and remaining(db, credit) == D("0.00")


@pytest.mark.parametrize("amount, rule", [
    ("0.001", Rule.AMOUNT_PRECISION), ("-1.00", Rule.AMOUNT_NOT_POSITIVE), ("0", Rule.AMOUNT_NOT_POSITIVE),
    ("ten", Rule.AMOUNT_INVALID), ("20.01", Rule.OVER_OUTSTANDING),
])
def test_refused_amounts(db: Database, amount: str, rule: Rule):
    cid = new_customer(db)
    order = new_order(db, cid, [("1", "20.00")])
    credit = new_credit(db, cid, "100.00")
    error = refused(db, credit, (order, amount))
    assert error.rule == rule and error.order_id == order
    assert str(error).startswith("Nothing was allocated:")


def test_refused_other_customers_order(db: Database):
    cid, other = new_customer(db), new_customer(db, "Tane Mahuta")
    theirs = new_order(db, other)
    credit = new_credit(db, cid)
    error = refused(db, credit, (theirs, "10.00"))
    assert error.rule == Rule.OTHER_CUSTOMER and error.order_id == theirs


def test_refused_other_currency(db: Database):
    cid = new_customer(db)
    aud = new_order(db, cid, currency="AUD")
    credit = new_credit(db, cid, currency="NZD")
    error = refused(db, credit, (aud, "10.00"))
    assert error.rule == Rule.OTHER_CURRENCY and "AUD" in str(error)


def test_refused_closed_credit(db: Database):
    cid = new_customer(db)
    a, b = new_order(db, cid), new_order(db, cid)
    credit = new_credit(db, cid, "10.00")
    allocate(db, credit, (a, "10.00"))
    assert refused(db, credit, (b, "1.00")).rule == Rule.CREDIT_CLOSED


def test_refused_sum_over_remaining_all_or_nothing(db: Database):
    cid = new_customer(db)
    a, b = new_order(db, cid), new_order(db, cid)
    credit = new_credit(db, cid, "50.00")
    error = refused(db, credit, (a, "30.00"), (b, "20.01"))
    assert error.rule == Rule.OVER_REMAINING and error.order_id is None
    assert "50.01" in str(error) and "0.01" in str(error)
    assert outstanding(db, a) == D("100.00") and remaining(db, credit) == D("50.00")


def test_one_bad_line_refuses_all(db: Database):
    cid = new_customer(db)
    a, b = new_order(db, cid), new_order(db, cid)
    credit = new_credit(db, cid)
    error = refused(db, credit, (a, "10.00"), (b, "1.001"))
    assert error.rule == Rule.AMOUNT_PRECISION and error.order_id == b
    assert outstanding(db, a) == D("100.00")


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_refused_draft_and_cancelled_orders(db: Database, status: str):
    cid = new_customer(db)
    order = new_order(db, cid)
    with db.transaction() as s:
        s.get(m.SalesOrder, order).status = status  # type: ignore[union-attr]
    credit = new_credit(db, cid)
    assert refused(db, credit, (order, "1.00")).rule == Rule.ORDER_STATUS


def test_refused_paid_order_unknown_order_duplicates_and_nothing(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid, [("1", "10.00")])
    with db.transaction() as s:
        os_.record_payment(s, order, {"amount": "10.00"})
    credit = new_credit(db, cid)
    error = refused(db, credit, (order, "1.00"))
    assert error.rule == Rule.OVER_OUTSTANDING and "paid in full" in str(error)
    assert refused(db, credit, (987654, "1.00")).rule == Rule.ORDER_NOT_FOUND
    assert refused(db, credit, ("SO-1", "1.00")).rule == Rule.ORDER_INVALID
    assert refused(db, credit).rule == Rule.NO_ORDERS
    other = new_order(db, cid)
    error = refused(db, credit, (other, "1.00"), (other, "2.00"))
    assert error.rule == Rule.DUPLICATE_ORDER and error.order_id == other


def test_every_problem_is_reported(db: Database):
    cid, someone = new_customer(db), new_customer(db, "Tane Mahuta")
    a, theirs = new_order(db, cid), new_order(db, someone, currency="AUD")
    credit = new_credit(db, cid, "10.00")
    error = refused(db, credit, (a, "9.999"), (theirs, "5.00"))
    assert [(p.rule, p.order_id) for p in error.problems] == [
        (Rule.AMOUNT_PRECISION, a), (Rule.OTHER_CUSTOMER, theirs), (Rule.OTHER_CURRENCY, theirs)]


def test_unknown_credit_and_stale_version(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid)
    credit = new_credit(db, cid)
    with pytest.raises(NotFound):
        allocate(db, 4242, (order, "1.00"))
    allocate(db, credit, (order, "1.00"), expected_version=1)
    with pytest.raises(ConflictError):
        allocate(db, credit, (order, "1.00"), expected_version=1)
    assert remaining(db, credit) == D("99.00")


def test_archived_customers_credit_can_still_be_allocated(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid)
    credit = new_credit(db, cid)
    with db.transaction() as s:
        cs.archive_customer(s, cid)
    allocate(db, credit, (order, "5.00"))
    assert outstanding(db, order) == D("95.00")


def test_request_shapes(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid)
    credit = new_credit(db, cid)
    with db.transaction() as s:
        money.allocate_credit(s, credit, [(order, "1.00")])
    with db.transaction() as s:
        money.allocate_credit(s, credit, [{"id": order, "amount": D("2.00")}])
    with db.transaction() as s, pytest.raises(AllocationRefused):
        money.allocate_credit(s, credit, {"orders": []})
    assert remaining(db, credit) == D("97.00")


# --- entry --------------------------------------------------------------------------------------


def test_create_order_numbers_snapshot_and_archived_refused(db: Database):
    with db.transaction() as s:
        detail = cs.create_customer(s, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "city": "Napier",
                                        "zip": "4110", "country_code": "NZ"})
    first = new_order(db, detail.id)
    second = new_order(db, detail.id)
    with db.read() as s:
        a, b = s.get(m.SalesOrder, first), s.get(m.SalesOrder, second)
        assert a is not None and b is not None
        assert a.order_number != b.order_number and a.order_number.startswith("SO-")
        assert a.ship_address1 == "12 Kauri Street" and a.ship_zip == "4110" and a.ship_name == "Aroha Kowhai"
    new_order(db, detail.id, number="WEB-1001")
    with pytest.raises(ValidationError) as info:
        new_order(db, detail.id, number="WEB-1001")
    assert info.value.for_field("order_number")
    with db.transaction() as s:
        cs.archive_customer(s, detail.id)
    with pytest.raises(ArchivedCustomer):
        new_order(db, detail.id)


def test_create_order_refuses_bad_lines(db: Database):
    cid = new_customer(db)
    with pytest.raises(ValidationError) as info:
        with db.transaction() as s:
            os_.create_sales_order(s, cid, {"currency_code": "XXQ", "lines": [
                {"sku": "A", "quantity": "0", "price": "1.00"},
                {"sku": "B", "quantity": "1", "price": "1.001"},
                {"quantity": "1", "price": "1"},
                {"sku": "C", "quantity": "-2", "price": "-1"},
            ]})
    fields = {e.field for e in info.value.errors}
    assert {"currency_code", "line 1 quantity", "line 2 price", "line 3", "line 4 quantity", "line 4 price"} <= fields
    with pytest.raises(ValidationError):
        with db.transaction() as s:
            os_.create_sales_order(s, cid, {"currency_code": "NZD", "lines": []})
    with db.read() as s:
        assert f.count(s, m.SalesOrder) == 0


def test_payments_refuse_over_payment(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid, [("1", "30.00")])
    with db.transaction() as s:
        result = os_.record_payment(s, order, {"amount": "0.10", "method": "card"})
    assert result.outstanding == D("29.90")
    with db.transaction() as s:
        os_.record_payment(s, order, {"amount": "0.20"})
    assert outstanding(db, order) == D("29.70")
    with pytest.raises(os_.OverPayment):
        with db.transaction() as s:
            os_.record_payment(s, order, {"amount": "29.71"})
    for bad in ("0", "-1", "1.001", "x"):
        with pytest.raises(ValidationError):
            with db.transaction() as s:
                os_.record_payment(s, order, {"amount": bad})
    with db.transaction() as s:
        os_.record_payment(s, order, {"amount": "29.70"})
    with pytest.raises(os_.OverPayment, match="paid in full"):
        with db.transaction() as s:
            os_.record_payment(s, order, {"amount": "0.01"})
    draft = new_order(db, cid, status="draft")
    with pytest.raises(os_.OrderNotEligible):
        with db.transaction() as s:
            os_.record_payment(s, draft, {"amount": "1.00"})


def test_create_credit_rules(db: Database):
    cid, other = new_customer(db), new_customer(db, "Tane Mahuta")
    theirs = new_order(db, other)
    aud = new_order(db, cid, currency="AUD")
    credit = new_credit(db, cid, "12.34")
    with db.read() as s:
        row = s.get(m.SalesCredit, credit)
        assert row is not None and row.total == D("12.34") and row.sales_credit_number.startswith("SC-")
    for data, bad in (
        ({"total": "0", "currency_code": "NZD"}, "total"),
        ({"total": "1.001", "currency_code": "NZD"}, "total"),
        ({"total": "5", "currency_code": "NZD", "sales_order_id": theirs}, "sales_order_id"),
        ({"total": "5", "currency_code": "NZD", "sales_order_id": aud}, "sales_order_id"),
        ({"total": "5"}, "currency_code"),
    ):
        with pytest.raises(ValidationError) as info:
            with db.transaction() as s:
                os_.create_sales_credit(s, cid, data)
        assert info.value.for_field(bad), data


def test_fulfilment_up_to_the_unfulfilled_quantity(db: Database):
    cid = new_customer(db)
    order = new_order(db, cid, [("3", "10.00"), ("1.5", "4.00")])
    with db.read() as s:
        lines = os_.fulfilment_lines(s, order)
    first, second = lines[0].id, lines[1].id
    with db.transaction() as s:
        made = os_.create_fulfillment(s, order, {first: "2", second: "0"})
    assert made.lines == {first: D("2.000")} and made.fulfillment_number.startswith("FF-")
    with pytest.raises(os_.OverFulfilment, match="more than the 1 still to fulfil"):
        with db.transaction() as s:
            os_.create_fulfillment(s, order, {first: "2"})
    with db.transaction() as s:
        os_.create_fulfillment(s, order, {first: "1", second: "1.5"})
    with db.read() as s:
        assert [line.unfulfilled for line in os_.fulfilment_lines(s, order)] == [D(0), D(0)]
        assert f.count(s, m.SalesOrderFulfillment, m.SalesOrderFulfillment.status == "pending") == 2
    with pytest.raises(ValidationError):
        with db.transaction() as s:
            os_.create_fulfillment(s, order, {first: "0"})
