"""Small helpers for tests: reference rows and the records that link to a customer, made straight through
the ORM models (no service involved), plus a fast bulk loader of plain customers.

Every helper takes an open Session (inside `db.transaction()`), flushes, and returns the row.
`shared_store` opens one store for a whole test module (read-only tests over seeded data).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from desktop.services import customers as cs
from desktop.store import models as m
from desktop.store.engine import Database, open_database

_seq = itertools.count(1)


def _next() -> int:
    return next(_seq)


def _add(session: Session, row: m.Base) -> Any:
    session.add(row)
    session.flush()
    return row


def sales_rep(session: Session, name: str = "Mere Tuhoe", email: str | None = None) -> m.SalesRep:
    return _add(session, m.SalesRep(name=name, email=email))


def pricing_tier(session: Session, name: str | None = None) -> m.PricingTier:
    return _add(session, m.PricingTier(name=name or f"Tier {_next()}"))


def store(session: Session, name: str | None = None) -> m.Store:
    return _add(session, m.Store(name=name or f"Store {_next()}"))


def warehouse(session: Session, name: str | None = None) -> m.Warehouse:
    return _add(session, m.Warehouse(name=name or f"Warehouse {_next()}"))


def shipping_method(
    session: Session, name: str | None = None, *, is_international: bool = False, carrier: str | None = "NZPost",
    service_code: str | None = "CPOLE",
) -> m.ShippingMethod:
    return _add(session, m.ShippingMethod(name=name or f"Courier {_next()}", is_international=is_international,
                                          carrier=carrier, service_code=service_code))


def customer(session: Session, name: str = "Aroha Kowhai", **fields: Any) -> m.Customer:
    """A bare customer row (no address) — for link and bulk tests that do not go through the service."""
    return _add(session, m.Customer(name=name, **fields))


def customers(session: Session, rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Insert many bare customers in one statement; returns their ids in insertion order."""
    rows = [dict(r) for r in rows]
    if not rows:
        return []
    before = session.scalar(select(func.coalesce(func.max(m.Customer.id), 0)))
    now = m.utcnow()
    session.execute(insert(m.Customer), [
        {"created_at": now, "updated_at": now, "version": 1, **r} for r in rows
    ])
    return list(session.scalars(select(m.Customer.id).where(m.Customer.id > before).order_by(m.Customer.id)))


def sales_order(
    session: Session, customer_id: int, *, status: str = "open", lines: Iterable[tuple[str, str]] = (("1", "10.00"),),
) -> m.SalesOrder:
    n = _next()
    order = m.SalesOrder(
        order_number=f"SO-{n:05d}", customer_id=customer_id, status=status,
        order_date=dt.date(2024, 5, 1), currency_code="NZD",
    )
    for qty, price in lines:
        order.lines.append(m.SalesOrderLine(sku=f"SKU-{n}", description="Harakeke basket",
                                            quantity=Decimal(qty), price=Decimal(price)))
    return _add(session, order)


def payment(session: Session, order: m.SalesOrder, amount: str = "5.00") -> m.Payment:
    return _add(session, m.Payment(sales_order_id=order.id, amount=Decimal(amount),
                                   payment_date=dt.date(2024, 5, 2), method="card"))


def sales_credit(
    session: Session, customer_id: int, *, total: str = "5.00", order: m.SalesOrder | None = None
) -> m.SalesCredit:
    return _add(session, m.SalesCredit(
        sales_credit_number=f"SC-{_next():05d}", customer_id=customer_id,
        sales_order_id=order.id if order else None, credit_date=dt.date(2024, 5, 3),
        currency_code="NZD", total=Decimal(total),
    ))


def fulfillment(session: Session, order: m.SalesOrder, *, status: str = "pending") -> m.SalesOrderFulfillment:
    f = m.SalesOrderFulfillment(sales_order_id=order.id, fulfillment_number=f"F-{_next():05d}", status=status)
    for line in order.lines:
        f.lines.append(m.SalesOrderFulfillmentLine(sales_order_line_id=line.id, quantity=line.quantity))
    return _add(session, f)


SHIP_TO = {
    "ship_name": "Hemi Walker", "ship_company": "Kauri Crafts Ltd", "ship_email": "hemi@example.test",
    "ship_phone": "+64 9 555 0101", "ship_address1": "12 Tui Street", "ship_address2": "Ponsonby",
    "ship_city": "Auckland", "ship_province": "Auckland", "ship_zip": "1011", "ship_country": "New Zealand",
    "ship_country_code": "NZ",
}


def shippable_fulfillment(
    session: Session, customer_id: int | None = None, *, lines: Iterable[tuple[str, str]] = (("2", "10.00"),),
    method: m.ShippingMethod | None = None, status: str = "pending", **ship: Any,
) -> m.SalesOrderFulfillment:
    """A fulfilment of a new sales order with a complete shipping address snapshot (`ship` overrides fields
    of SHIP_TO), weighted lines and a shipping method: ready for Starshipit."""
    if customer_id is None:
        customer_id = customer(session).id
    order = sales_order(session, customer_id, lines=lines)
    for key, value in {**SHIP_TO, **ship}.items():
        setattr(order, key, value)
    for line in order.lines:
        line.weight = Decimal("0.5")
    if method is None:
        method = shipping_method(session)
    order.shipping_method_id = method.id
    session.flush()
    return fulfillment(session, order, status=status)


def count(session: Session, model: type[m.Base], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)))


def new_store_url(request: Any, backend: str) -> str:
    """The URL of a new, empty, migrated-on-open store on `backend`, for a fixture wider than one test.

    Mirrors conftest's per-test stores: an SQLite file, or a PostgreSQL database copied from the template.
    """
    if backend == "postgresql":
        import psycopg

        cluster = request.getfixturevalue("pg_cluster")
        template = request.getfixturevalue("pg_template")
        name = f"shared_{os.getpid()}_{_next()}"
        with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return str(cluster.url(name))
    folder = request.getfixturevalue("tmp_path_factory").mktemp("store")
    return f"sqlite:///{folder / 'store.sqlite3'}"


@contextmanager
def shared_store(request: Any, backend: str) -> Iterator[Database]:
    """A new store on `backend` for a module-scoped fixture: opened here, disposed at the end."""
    database = open_database(new_store_url(request, backend))
    try:
        yield database
    finally:
        database.dispose()


def create(db: Database, data: dict[str, Any], **kwargs: Any) -> cs.CustomerDetail:
    """Create a customer through the service, in its own unit of work."""
    with db.transaction() as s:
        return cs.create_customer(s, data, **kwargs)


def get(db: Database, customer_id: int) -> cs.CustomerDetail:
    with db.read() as s:
        return cs.get_customer(s, customer_id)


def bulk_orders(
    session: Session, customer_id: int, n: int, *, currency: str = "NZD", price: str = "10.00",
    first_date: dt.date = dt.date(2020, 1, 1), prefix: str | None = None, status: str = "open",
) -> list[int]:
    """`n` one-line orders for a customer (one order a day from `first_date`), by bulk Core inserts;
    returns their ids oldest first."""
    prefix = prefix or f"BO{_next()}-"
    now = m.utcnow()
    session.execute(insert(m.SalesOrder), [
        {"order_number": f"{prefix}{i:07d}", "customer_id": customer_id, "status": status,
         "order_date": first_date + dt.timedelta(days=i), "currency_code": currency,
         "created_at": now, "updated_at": now, "version": 1}
        for i in range(n)
    ])
    ids = list(session.scalars(select(m.SalesOrder.id).where(m.SalesOrder.order_number.like(f"{prefix}%"))
                               .order_by(m.SalesOrder.order_date, m.SalesOrder.id)))
    session.execute(insert(m.SalesOrderLine), [
        {"sales_order_id": oid, "sku": "KETE-1", "description": "Harakeke kete", "quantity": Decimal(1),
         "price": Decimal(price), "created_at": now, "updated_at": now, "version": 1}
        for oid in ids
    ])
    return ids
