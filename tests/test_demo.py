"""The fictional sample data (`customer-desk demo`) and the bulk-insert helper it is built on.

Most tests seed a few hundred customers into a real SQLite file and check the store's invariants: every
table filled, every customer with 1–3 addresses and defaults of its own, unique emails, the search index
in step, money that adds up, foreign keys that hold. The tests that take `db` run on PostgreSQL too.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from desktop.services import demo
from desktop.services.customers import create_customer
from desktop.services.demo import DemoSummary, seed_demo
from desktop.services.errors import Cancelled
from desktop.services.normalize import (
    address_dedup_key,
    normalize_address_text,
    zip_key,
)
from desktop.store import bulk, search
from desktop.store import models as m
from desktop.store.engine import Database, open_database

NOW = dt.datetime(2026, 6, 30, 12, 0, 0)
CUSTOMERS = 300
EMAIL = re.compile(r"^[a-z0-9.\-]+@example\.(com|net|org)$")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated store, copied by each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("demo") / "template.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    return path


def fresh_store(template: Path, directory: Path, name: str = "store") -> Database:
    path = directory / f"{name}.sqlite3"
    shutil.copy(template, path)
    return open_database(f"sqlite:///{path}")


def seed(db: Database, customers: int = CUSTOMERS, seed: int = 7, **kwargs: object) -> DemoSummary:
    with db.engine.begin() as conn:
        return seed_demo(conn, customers, seed=seed, now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seeded(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    """One store seeded once, for the tests that only read."""
    db = fresh_store(template, tmp_path_factory.mktemp("seeded"))
    summary = seed(db)
    yield db, summary
    db.dispose()


def table_counts(conn: Connection) -> dict[str, int]:
    return {
        name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in m.Base.metadata.tables.items()
    }


# --- invariants, shared by the SQLite and PostgreSQL checks ----------------------------------------


def check_invariants(conn: Connection, summary: DemoSummary) -> None:
    counts = table_counts(conn)
    assert all(counts[name] > 0 for name in counts), counts
    for name, written in summary.as_dict().items():
        assert counts[name] >= written, name

    # Every customer: one to three addresses, both defaults among its own.
    per_customer = dict(
        conn.execute(select(m.Address.customer_id, func.count()).group_by(m.Address.customer_id)).all()
    )
    customers = conn.execute(
        select(m.Customer.id, m.Customer.default_shipping_address_id, m.Customer.default_billing_address_id)
    ).all()
    owner = dict(conn.execute(select(m.Address.id, m.Address.customer_id)).all())
    for cid, shipping, billing in customers:
        assert 1 <= per_customer.get(cid, 0) <= 3
        assert owner[shipping] == cid
        assert owner[billing] == cid

    # Emails: unique without regard to case, all at the example domains.
    emails = conn.execute(select(m.Customer.email).where(m.Customer.email.is_not(None))).scalars().all()
    lowered = [e.lower() for e in emails]
    assert len(set(lowered)) == len(lowered)
    assert all(EMAIL.match(e) for e in lowered)

    # Addresses: keys as the normalize module computes them; no customer has the same place twice.
    keys: Counter[tuple[int, str]] = Counter()
    for address in conn.execute(select(m.Address)).all():
        fields = {f: getattr(address, f) for f in demo.PLACE_COLUMNS[:9]}
        assert address.zip_key == zip_key(address.zip)
        assert address.address1_key == (normalize_address_text(address.address1) or None)
        assert address.dedup_key == address_dedup_key(fields)
        keys[(address.customer_id, address.dedup_key)] += 1
    assert max(keys.values()) == 1

    # Orders copy their customer's default shipping address.
    snapshot = [getattr(m.SalesOrder, f"ship_{c}") for c in demo.SNAPSHOT]
    rows = conn.execute(
        select(*snapshot, *(getattr(m.Address, c) for c in demo.SNAPSHOT))
        .join(m.Customer, m.Customer.id == m.SalesOrder.customer_id)
        .join(m.Address, m.Address.id == m.Customer.default_shipping_address_id)
    ).all()
    assert rows
    n = len(demo.SNAPSHOT)
    assert all(tuple(row[:n]) == tuple(row[n:]) for row in rows)

    # Money: nothing over-allocated, outstanding and remaining never negative, same customer and currency.
    outstanding = conn.execute(select(func.min(m.order_outstanding_expr)).select_from(m.SalesOrder)).scalar_one()
    remaining = conn.execute(select(func.min(m.credit_remaining_expr)).select_from(m.SalesCredit)).scalar_one()
    assert outstanding >= 0 and remaining >= 0
    mismatched = conn.execute(
        select(func.count())
        .select_from(m.SalesCreditAllocation)
        .join(m.SalesCredit, m.SalesCredit.id == m.SalesCreditAllocation.sales_credit_id)
        .join(m.SalesOrder, m.SalesOrder.id == m.SalesCreditAllocation.sales_order_id)
        .where(
            (m.SalesCredit.customer_id != m.SalesOrder.customer_id)
            | (m.SalesCredit.currency_code != m.SalesOrder.currency_code)
            | m.SalesOrder.status.in_(("draft", "cancelled"))
            | (m.SalesCreditAllocation.amount <= 0)
        )
    ).scalar_one()
    assert mismatched == 0

    # Fulfilment lines belong to the fulfilment's order; sent ones carry Starshipit and tracking data.
    foreign_lines = conn.execute(
        select(func.count())
        .select_from(m.SalesOrderFulfillmentLine)
        .join(m.SalesOrderFulfillment, m.SalesOrderFulfillment.id == m.SalesOrderFulfillmentLine.fulfillment_id)
        .join(m.SalesOrderLine, m.SalesOrderLine.id == m.SalesOrderFulfillmentLine.sales_order_line_id)
        .where(m.SalesOrderLine.sales_order_id != m.SalesOrderFulfillment.sales_order_id)
    ).scalar_one()
    assert foreign_lines == 0
    for status, order_id, tracking, carrier in conn.execute(
        select(
            m.SalesOrderFulfillment.status,
            m.SalesOrderFulfillment.starshipit_order_id,
            m.SalesOrderFulfillment.tracking_number,
            m.SalesOrderFulfillment.carrier,
        )
    ):
        assert status in m.FULFILLMENT_STATUSES
        sent = status != "pending"
        assert (order_id is not None, tracking is not None, carrier is not None) == (sent, sent, sent)

    # Reference data the clerk's settings rely on.
    settings = set(conn.execute(select(m.NominalCodeMapping.setting)).scalars())
    assert {"sales", "shipping", "discounts", "sales_credits"} <= settings
    international = set(conn.execute(select(m.ShippingMethod.is_international)).scalars())
    assert international == {True, False}


def check_sqlite_index(conn: Connection) -> None:
    assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    indexed = dict(conn.exec_driver_sql(f"SELECT rowid, zip FROM {search.FTS_TABLE}").all())
    expected = dict(
        conn.execute(
            select(m.Customer.id, m.Address.zip).join(
                m.Address, m.Address.id == m.Customer.default_shipping_address_id
            )
        ).all()
    )
    assert indexed == expected
    conn.exec_driver_sql(
        f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) VALUES ('integrity-check', 1)"
    )


# --- SQLite -------------------------------------------------------------------------------------


def test_fills_every_table_consistently(seeded: tuple[Database, DemoSummary]) -> None:
    db, summary = seeded
    assert summary.customers == CUSTOMERS
    assert 1.2 * CUSTOMERS < summary.addresses < 1.8 * CUSTOMERS
    with db.engine.connect() as conn:
        assert table_counts(conn) == summary.as_dict()
        check_invariants(conn, summary)
        check_sqlite_index(conn)


def test_rows_look_like_real_data(seeded: tuple[Database, DemoSummary]) -> None:
    db, _summary = seeded
    with db.read() as s:
        customers = s.scalars(select(m.Customer)).all()
        addresses = s.scalars(select(m.Address)).all()
        orders = s.scalars(select(m.SalesOrder)).all()
        lines = s.scalars(select(m.SalesOrderLine)).all()
        batch = s.scalars(select(m.ImportBatch)).one()
        log = s.scalars(select(m.ChangeLog)).all()
        assert 0.8 < sum(c.email is not None for c in customers) / len(customers) < 1
        assert 0 < sum(c.company is not None for c in customers) < len(customers)
        assert 0 < sum(c.archived_at is not None for c in customers) < 0.1 * len(customers)
        assert all(c.created_at <= c.updated_at <= NOW for c in customers)
        assert min(c.created_at for c in customers) >= NOW - dt.timedelta(days=3 * 366)
        assert {a.country_code for a in addresses} == {"NZ", "AU", "US", "GB"}
        assert any(re.fullmatch(r"\d{5}-\d{4}", a.zip) for a in addresses if a.country_code == "US")
        assert all(re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", a.zip) for a in addresses if a.country_code == "GB")
        assert all(a.province_code for a in addresses if a.country_code in ("NZ", "AU", "US"))
        assert {o.status for o in orders} == set(m.ORDER_STATUSES)
        assert {o.currency_code for o in orders} <= {"NZD", "AUD", "USD"}
        assert all(re.fullmatch(r"SO-\d{6,}", o.order_number) for o in orders)
        assert all(isinstance(line.price, Decimal) and line.price == line.price.quantize(Decimal("0.01")) for line in lines)
        assert all(c.version == 1 for c in customers)
        # History: the archived customers' change log, and an import batch of recent, untouched customers.
        archived = {c.id for c in customers if c.archived_at is not None}
        assert {row.entity_id for row in log} == archived
        assert all(row.action == "archive" and row.changes["archived_at"][0] is None for row in log)
        assert batch.created_customer_ids and set(batch.created_customer_ids) <= {c.id for c in customers}
        assert not set(batch.created_customer_ids) & archived


def test_the_same_seed_gives_the_same_data(template: Path, tmp_path: Path) -> None:
    def people(name: str, seed_value: int) -> list[tuple[str, str | None]]:
        db = fresh_store(template, tmp_path, name)
        try:
            seed(db, 60, seed=seed_value)
            with db.engine.connect() as conn:
                return conn.execute(select(m.Customer.name, m.Customer.email).order_by(m.Customer.id)).all()
        finally:
            db.dispose()

    first = people("a", 7)
    assert first == people("b", 7)
    assert first != people("c", 8)


def test_running_twice_appends(template: Path, tmp_path: Path) -> None:
    db = fresh_store(template, tmp_path)
    try:
        one = seed(db, 150, seed=3)
        two = seed(db, 150, seed=3)  # the same seed again: nothing may collide with the first run
        assert two.customers == 150
        assert two.sales_reps == two.pricing_tiers == two.nominal_codes == two.nominal_code_mappings == 0
        with db.engine.connect() as conn:
            counts = table_counts(conn)
            assert counts["customers"] == 300
            assert counts["addresses"] == one.addresses + two.addresses
            assert counts["sales_orders"] == one.sales_orders + two.sales_orders
            assert counts["sales_reps"] == one.sales_reps
            check_invariants(conn, two)
            check_sqlite_index(conn)
    finally:
        db.dispose()


def test_emails_and_numbers_never_collide_with_existing_rows(template: Path, tmp_path: Path) -> None:
    def with_first_customer(db: Database, email: str | None, order_number: str | None) -> None:
        with db.transaction() as s:
            s.add(m.Customer(id=1, name="Someone Else", email=email))
            s.flush()
            if order_number:
                s.add(m.SalesOrder(order_number=order_number, customer_id=1, order_date=NOW.date(),
                                   currency_code="NZD"))

    # What will a run write after one existing customer? Find out in a probe store...
    probe = fresh_store(template, tmp_path, "probe")
    try:
        with_first_customer(probe, None, None)
        seed(probe, 60, seed=5)
        with probe.engine.connect() as conn:
            email = conn.execute(
                select(m.Customer.email).where(m.Customer.email.is_not(None)).order_by(m.Customer.id).limit(1)
            ).scalar_one()
    finally:
        probe.dispose()

    # ...then have those values taken (in another case) before the same run.
    db = fresh_store(template, tmp_path)
    try:
        with_first_customer(db, email.upper(), "SO-000002")  # the next order gets id 2
        seed(db, 60, seed=5)
        with db.engine.connect() as conn:
            emails = [e.lower() for e in conn.execute(select(m.Customer.email)).scalars() if e]
            assert email in emails and len(emails) == len(set(emails))
            numbers = conn.execute(select(m.SalesOrder.order_number)).scalars().all()
            assert len(numbers) == len(set(numbers)) > 1
    finally:
        db.dispose()


def test_large_loads_rebuild_indexes_and_restore_settings(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BULK_INDEX_MIN", 1)  # take the big-load path with a small load
    monkeypatch.setattr(demo, "CHUNK_CUSTOMERS", 70)  # several chunks, each indexed on its own
    db = fresh_store(template, tmp_path)
    try:
        def schema(conn: Connection) -> list[tuple[str, str]]:
            return conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"
            ).all()

        def fts_config(conn: Connection) -> list[tuple[str, int]]:
            return conn.exec_driver_sql(f"SELECT k, v FROM {search.FTS_TABLE}_config ORDER BY k").all()

        with db.engine.connect() as conn:
            before, cache_size = schema(conn), conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        summary = seed(db, 250, seed=11)
        with db.engine.connect() as conn:
            assert schema(conn) == before
            assert dict(fts_config(conn)).get("automerge", 4) == 4
            assert dict(fts_config(conn)).get("hashsize", 1024 * 1024) == 1024 * 1024
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == cache_size
            check_invariants(conn, summary)
            check_sqlite_index(conn)
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    finally:
        db.dispose()


def test_progress_is_throttled_and_ends_at_the_total(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_CUSTOMERS", 4)  # 50 chunks: more than the calls allowed
    db = fresh_store(template, tmp_path)
    calls: list[tuple[int, int]] = []
    try:
        seed(db, 200, seed=2, progress=lambda done, total: calls.append((done, total)))
    finally:
        db.dispose()
    assert 5 <= len(calls) <= demo.PROGRESS_CALLS + 2
    assert calls[-1] == (200, 200)
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)


def test_cancel_rolls_everything_back(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_CUSTOMERS", 50)
    monkeypatch.setattr(demo, "BULK_INDEX_MIN", 1)  # with the indexes dropped for the load
    db = fresh_store(template, tmp_path)

    def cancel_halfway(done: int, total: int) -> None:
        if done >= total // 2:
            raise Cancelled()

    try:
        threads = threading.active_count()
        with pytest.raises(Cancelled):
            seed(db, 200, seed=2, progress=cancel_halfway)
        assert threading.active_count() == threads  # the generating thread has ended
        with db.engine.connect() as conn:
            assert all(count == 0 for count in table_counts(conn).values())
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {search.FTS_TABLE}").scalar_one() == 0
    finally:
        db.dispose()


def test_zero_customers_adds_only_reference_data(template: Path, tmp_path: Path) -> None:
    db = fresh_store(template, tmp_path)
    try:
        summary = seed(db, 0)
        assert summary.customers == summary.sales_orders == 0 and summary.nominal_codes > 0
    finally:
        db.dispose()


# --- the bulk helper ----------------------------------------------------------------------------


def test_deferred_indexes_keep_what_foreign_keys_need(template: Path, tmp_path: Path) -> None:
    db = fresh_store(template, tmp_path)
    try:
        with db.engine.begin() as conn:
            tables = [m.Customer.__table__, m.Address.__table__]
            with bulk.deferred_indexes(conn, tables) as dropped:
                left = {
                    name for (name,) in conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        "AND tbl_name IN ('customers', 'addresses')"
                    )
                }
            assert "uq_customers_email_lower" in dropped and "ix_addresses_zip_key" in dropped
            assert left == {
                "ix_customers_default_shipping_address_id",
                "ix_customers_default_billing_address_id",
                "ix_addresses_customer_dedup",  # leads with customer_id, the foreign key into customers
            }
            after = {name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
            assert set(dropped) <= after
    finally:
        db.dispose()


# --- both back-ends -----------------------------------------------------------------------------


def index_definitions(db: Database) -> list[tuple[str, str]]:
    sql = (
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        if db.backend == "sqlite"
        else "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1"
    )
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(sql).all()


def test_bulk_insert_converts_values_and_streams_rows(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "SQLITE_CHUNK_ROWS", 7)  # several executemany chunks on SQLite
    batches = m.ImportBatch.__table__
    consumed = []

    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(20):
            consumed.append(i)
            yield (i + 1, f"Batch {i}", "0" * 64, {"a": i}, {"rows": i}, [i], [], NOW, None, 1, NOW, NOW)

    columns = ("id", "file_name", "checksum", "mapping", "counts", "created_customer_ids",
               "updated_customer_ids", "committed_at", "undone_at", "version", "created_at", "updated_at")
    with db.engine.begin() as conn:
        assert bulk.next_id(conn, batches) == 1
        assert bulk.bulk_insert(conn, batches, columns, rows()) == 20
        bulk.reset_sequences(conn, [batches])
        assert bulk.next_id(conn, batches) == 21
    assert consumed == list(range(20))
    with db.transaction() as s:
        batch = s.get(m.ImportBatch, 3)
        assert batch is not None
        assert (batch.mapping, batch.created_customer_ids, batch.committed_at) == ({"a": 2}, [2], NOW)
        s.add(m.ImportBatch(file_name="ordinary insert", checksum="1" * 64))  # the sequence moved on
    with db.read() as s:
        assert s.scalars(select(m.ImportBatch.id).where(m.ImportBatch.file_name == "ordinary insert")).one() == 21
    with pytest.raises(ValueError, match="no column"):
        with db.engine.begin() as conn:
            bulk.bulk_insert(conn, batches, ("nope",), [(1,)])


def test_deferred_indexes_undo_the_block_when_it_fails(db: Database) -> None:
    before = index_definitions(db)
    customers = m.Customer.__table__
    with db.engine.begin() as conn:
        with pytest.raises(RuntimeError, match="boom"):
            with bulk.deferred_indexes(conn, [customers, m.Address.__table__]) as dropped:
                assert "uq_customers_email_lower" in dropped
                rows = [(1, "Half Done", "half@example.com", 1, NOW, NOW)]
                bulk.bulk_insert(conn, customers, ("id", "name", "email", "version", "created_at", "updated_at"), rows)
                raise RuntimeError("boom")
        # The caller's transaction goes on (and commits): the indexes are back, the row is gone.
        bulk.bulk_insert(conn, customers, ("id", "name", "version", "created_at", "updated_at"), [(2, "Kept", 1, NOW, NOW)])
    assert index_definitions(db) == before
    with db.engine.connect() as conn:
        assert conn.execute(select(m.Customer.name)).scalars().all() == ["Kept"]


def test_deferred_indexes_leave_the_planner_statistics_of_the_load_on_postgresql(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("SQLite plans without gathered statistics")
    customers = m.Customer.__table__
    stats = "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'customers'"
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(stats).scalar_one() == 0  # a new store: nothing gathered yet
    with db.engine.begin() as conn:
        with bulk.deferred_indexes(conn, [customers]):
            rows = [(i, f"Loaded {i}", f"loaded{i}@example.com", 1, NOW, NOW) for i in range(1, 201)]
            bulk.bulk_insert(conn, customers, ("id", "name", "email", "version", "created_at", "updated_at"), rows)
    with db.engine.connect() as conn:
        # Gathered by the load itself (autovacuum would be a minute or more behind).
        assert conn.exec_driver_sql(stats + " AND attname = 'name'").scalar_one() == 1


def test_invariants_on_every_backend(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    before = index_definitions(db)
    monkeypatch.setattr(demo, "BULK_INDEX_MIN", 1)  # a fresh store: indexes are built at the end
    with db.engine.begin() as conn:
        summary = seed_demo(conn, 120, seed=4, now=NOW)
    assert index_definitions(db) == before
    with db.engine.connect() as conn:
        check_invariants(conn, summary)
        if db.backend == "sqlite":
            check_sqlite_index(conn)
    # Ordinary inserts after explicit ids: the sequences were moved on (PostgreSQL).
    with db.transaction() as s:
        create_customer(s, {"name": "After The Demo", "address1": "1 Demo Lane", "city": "Nelson",
                            "zip": "7010", "country_code": "NZ"}, allow_duplicate=True)
    with db.engine.begin() as conn:
        again = seed_demo(conn, 30, seed=4, now=NOW)  # fewer than there are: indexes stay in place
    assert again.customers == 30
    with db.engine.connect() as conn:
        check_invariants(conn, again)


def test_demo_command_leaves_every_foreign_key_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The command seeds SQLite with the checks off for speed: the rows must still all hold together."""
    import sqlite3

    from desktop.cli import main

    path = tmp_path / "demo.sqlite3"
    assert main(["init", str(path)]) == 0
    assert main(["--database", f"sqlite:///{path}", "demo", "--customers", "1500", "--seed", "5"]) == 0
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
        assert check.execute("SELECT count(*) FROM customers").fetchone()[0] == 1500
        assert check.execute("SELECT count(*) FROM addresses a LEFT JOIN customers c ON c.id = a.customer_id "
                             "WHERE c.id IS NULL").fetchone()[0] == 0


def test_demo_command_beside_an_open_app_keeps_the_write_ahead_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another connection on the store (the app): the demo cannot leave WAL mode and still seeds."""
    import sqlite3

    from desktop.cli import main

    path = tmp_path / "shared.sqlite3"
    url = f"sqlite:///{path}"
    assert main(["init", url]) == 0
    assert main(["--database", url, "demo", "--customers", "50"]) == 0
    reader = sqlite3.connect(path)
    try:
        assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 50
        assert main(["--database", url, "demo", "--customers", "50", "--seed", "2"]) == 0
        assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 100
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        reader.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
