"""The money queries walk indexes, never a full scan of sales_orders or sales_credits: EXPLAIN on SQLite and
PostgreSQL over a store of 200 customers × 40 orders and 8,000 credits (analysed, so the planner knows the
sizes). A customer's orders and credits are read whole (a materialised CTE, each sum computed once) and
sorted; every customer's open credits are a keyset page that walks the date index in order and stops at the
page's end. The plans are printed (pytest -s) for the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Select, insert, select

from desktop.services import money
from desktop.store import models as m
from desktop.store.engine import Database
from tests import factories as f

CUSTOMERS, ORDERS_EACH, CREDITS = 200, 40, 8000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[Database, int]]:
    with f.shared_store(request, request.param) as db:
        now = m.utcnow()
        with db.transaction() as s:
            ids = f.customers(s, [{"name": f"Kiri Tester {i}"} for i in range(CUSTOMERS)])
            for cid in ids:
                f.bulk_orders(s, cid, ORDERS_EACH)
            s.execute(insert(m.SalesCredit), [
                {"sales_credit_number": f"SC-P{i:06d}", "customer_id": ids[i % CUSTOMERS],
                 "credit_date": dt.date(2024, 1, 1) + dt.timedelta(days=i % 400), "currency_code": "NZD",
                 "total": Decimal("5.00"), "created_at": now, "updated_at": now, "version": 1}
                for i in range(CREDITS)])
            order_ids = list(s.scalars(select(m.SalesOrder.id).order_by(m.SalesOrder.id).limit(2000)))
            credit_ids = list(s.scalars(select(m.SalesCredit.id).order_by(m.SalesCredit.id).limit(2000)))
            s.execute(insert(m.Payment), [
                {"sales_order_id": oid, "amount": Decimal("1.00"), "payment_date": dt.date(2024, 2, 1),
                 "created_at": now, "updated_at": now, "version": 1} for oid in order_ids])
            s.execute(insert(m.SalesCreditAllocation), [
                {"sales_credit_id": c, "sales_order_id": o, "amount": Decimal("1.00"),
                 "created_at": now, "updated_at": now, "version": 1} for c, o in zip(credit_ids, order_ids)])
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        yield db, ids[CUSTOMERS // 2]


def plan(db: Database, stmt: Select[Any]) -> list[str]:
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            return [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
        return [str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql)]


def assert_indexed(db: Database, lines: list[str], table: str, index: str, *, in_index_order: bool = False) -> None:
    text = "\n".join(lines)
    print(f"\n{db.backend} plan:\n{text}")
    if db.backend == "sqlite":
        on_table = [line for line in lines if f" {table} " in f" {line} "]
        assert on_table and all("USING INDEX" in line or "USING INTEGER PRIMARY KEY" in line
                                for line in on_table), text
        assert any(index in line for line in on_table), text
        if in_index_order:  # a keyset page: the index gives the order, no sort of every row before LIMIT
            assert "USE TEMP B-TREE" not in text, text
    else:
        assert f"Seq Scan on {table}" not in text, text
        assert index in text, text
        if in_index_order:
            assert "Sort" not in text.split(table)[0], text


def test_unpaid_orders_use_the_customer_date_index(seeded: tuple[Database, int]):
    db, customer_id = seeded
    lines = plan(db, money.unpaid_orders_stmt(customer_id))
    assert_indexed(db, lines, "sales_orders", "ix_sales_orders_customer")
    for child in ("sales_order_lines", "payments", "sales_credit_allocations"):
        assert f"Seq Scan on {child}" not in "\n".join(lines)
        assert f"SCAN {child}" not in "\n".join(lines)


def test_open_credits_use_the_customer_date_index(seeded: tuple[Database, int]):
    db, customer_id = seeded
    assert_indexed(db, plan(db, money.open_credits_stmt(customer_id)), "sales_credits",
                   "ix_sales_credits_customer_date")


@pytest.mark.parametrize("after", [None, money.CreditCursor(dt.date(2024, 6, 1), 4000)])
def test_every_open_credit_walks_the_date_index(seeded: tuple[Database, int], after: money.CreditCursor | None):
    db, _customer_id = seeded
    assert_indexed(db, plan(db, money.all_open_credits_stmt(after, 200)), "sales_credits", "ix_sales_credits_date",
                   in_index_order=True)
