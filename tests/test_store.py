"""The store (DESIGN §1): opening and migrating, engine settings per back-end, choosing the database,
exact money, database-level cascades and the SQLite search index."""

from __future__ import annotations

import datetime as dt
import random
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from sqlalchemy import func, inspect, select, text

from desktop.services import addresses as address_svc
from desktop.services.customers import create_customer, delete_customer, update_customer
from desktop.store import models as m
from desktop.store import search
from desktop.store.engine import (
    ENV_DATABASE_URL,
    Database,
    StoreError,
    open_database,
    parse_url,
    resolve_database_url,
)
from desktop.store.migrate import current_revision, head_revision

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'search.sqlite3'}")
    try:
        yield database
    finally:
        database.dispose()


def free_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_line(message: str) -> None:
    assert message.strip()
    assert "\n" not in message and "\r" not in message
    assert "Traceback" not in message
    assert "sqlalche.me" not in message  # no SQLAlchemy error-page link either


# --- opening and migrating ----------------------------------------------------------------------


def test_open_fresh_sqlite_file_creates_schema_at_head(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "customers.sqlite3"
    assert not path.exists()
    database = open_database(f"sqlite:///{path}")
    try:
        assert path.is_file()
        assert database.backend == "sqlite"
        assert head_revision() is not None
        assert current_revision(database.engine) == head_revision()
        tables = set(inspect(database.engine).get_table_names())
        assert set(m.Base.metadata.tables) <= tables
        assert {"alembic_version", search.FTS_TABLE} <= tables
        with database.read() as s:
            assert s.scalar(select(func.count()).select_from(m.Customer)) == 0
    finally:
        database.dispose()


def test_open_bare_path_creates_sqlite_store(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    database = open_database(str(path))
    try:
        assert database.backend == "sqlite"
        assert database.location == str(path)
        assert current_revision(database.engine) == head_revision()
    finally:
        database.dispose()


@BOTH
def test_reopening_a_migrated_store_is_a_no_op(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = open_database(database_url)
    try:
        with first.transaction() as s:
            cid = create_customer(s, {"name": "Aroha Ngata", "address1": "12 Kauri Street", "zip": "1010"}).id
        revision = current_revision(first.engine)
        assert revision == head_revision()
    finally:
        first.dispose()

    def no_upgrade(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("reopening a store at head must not run migrations")

    monkeypatch.setattr("alembic.command.upgrade", no_upgrade)
    again = open_database(database_url)
    try:
        assert current_revision(again.engine) == revision
        with again.read() as s:
            assert s.scalar(select(func.count()).select_from(m.Customer)) == 1
            assert s.get(m.Customer, cid).name == "Aroha Ngata"  # type: ignore[union-attr]
            assert s.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        again.dispose()


def test_sqlite_pragmas_on_every_connection(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as one, sqlite_db.engine.connect() as two:
        for conn in (one, two):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    with sqlite_db.transaction() as s:  # the session of a unit of work sees the same settings
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_search_table_and_triggers_exist(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        triggers = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = ?", (search.FTS_TABLE,)).scalar()
    assert set(search._SQLITE_TRIGGERS) <= triggers
    assert "fts5" in sql.lower() and "trigram" in sql.lower()


def test_sqlite_search_index_merges_in_bulk_rarely(sqlite_db: Database) -> None:
    """Migration 0005: up to FTS_CRISISMERGE segments per level before a forced merge (a big load adds
    one per chunk); ordinary writes still merge in small steps."""
    with sqlite_db.engine.connect() as conn:
        config = dict(conn.exec_driver_sql(f"SELECT k, v FROM {search.FTS_TABLE}_config").all())
    assert int(config["crisismerge"]) == search.FTS_CRISISMERGE
    assert "automerge" not in config or int(config["automerge"]) > 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_pg_trgm_indexes_exist(database_url: str) -> None:
    database = open_database(database_url)
    try:
        assert database.backend == "postgresql"
        assert current_revision(database.engine) == head_revision()
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() == 1
            indexes = dict(conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()").all())
    finally:
        database.dispose()
    expected = {
        "ix_customers_name_trgm": ("customers", "name"),
        "ix_customers_company_trgm": ("customers", "company"),
        "ix_customers_email_trgm": ("customers", "email"),
        "ix_customers_phone_trgm": ("customers", "phone"),
        "ix_addresses_zip_trgm": ("addresses", "zip"),
    }
    for name, (table, column) in expected.items():
        assert name in indexes, name
        definition = indexes[name].lower()
        assert f"on public.{table} using gin ({column} gin_trgm_ops)" in definition, definition
    # Find Match blocks on it, reading ids from the index alone (INCLUDE) instead of the heap.
    assert "include (id)" in indexes["ix_addresses_zip_key"].lower()
    # ix_addresses_customer_dedup leads with customer_id; a separate index on it would only cost writes.
    assert "ix_addresses_customer_id" not in indexes and "ix_addresses_customer_dedup" in indexes


# --- choosing the database ----------------------------------------------------------------------


def test_resolve_database_url_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://desk@db.example.com/from_env")
    cli, setting = "sqlite:////srv/from-cli.sqlite3", "postgresql://desk@db.example.com/from_setting"

    assert resolve_database_url(cli, setting) == cli
    assert resolve_database_url(f"  {cli}  ", setting) == cli
    assert resolve_database_url(None, setting) == "postgresql://desk@db.example.com/from_env"
    assert resolve_database_url("   ", setting) == "postgresql://desk@db.example.com/from_env"

    monkeypatch.setenv(ENV_DATABASE_URL, "  ")
    assert resolve_database_url(None, setting) == setting
    monkeypatch.delenv(ENV_DATABASE_URL)
    assert resolve_database_url(None, setting) == setting
    assert resolve_database_url(None, f" {setting} ") == setting

    default = resolve_database_url(None, None)
    assert resolve_database_url("", "  ") == default
    expected = Path(platformdirs.user_data_dir("customer-desk", appauthor=False)) / "customers.sqlite3"
    assert default == f"sqlite:///{expected}"
    assert expected.is_relative_to(tmp_path / "xdg")
    assert parse_url(default).database == str(expected)


def test_default_path_follows_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    seen: list[tuple[Any, ...]] = []

    def fake_user_data_dir(appname: str | None = None, appauthor: Any = None, *args: Any, **kw: Any) -> str:
        seen.append((appname, appauthor))
        return str(tmp_path / "Customer Desk data")

    monkeypatch.setattr(platformdirs, "user_data_dir", fake_user_data_dir)
    assert resolve_database_url() == f"sqlite:///{tmp_path / 'Customer Desk data' / 'customers.sqlite3'}"
    assert seen and seen[0][0] == "customer-desk"


def test_parse_url_bare_path_is_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = parse_url(str(tmp_path / "shop.sqlite3"))
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "shop.sqlite3")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_url("~/desk.sqlite3").database == str(tmp_path / "desk.sqlite3")
    assert parse_url("sqlite:////srv/desk.sqlite3").database == "/srv/desk.sqlite3"


def test_parse_url_postgresql_uses_psycopg() -> None:
    for raw in ("postgresql://desk:s3cret@db.example.com:5433/customers",
                "postgres://desk:s3cret@db.example.com:5433/customers",
                "postgresql+psycopg://desk:s3cret@db.example.com:5433/customers"):
        url = parse_url(raw)
        assert url.drivername == "postgresql+psycopg", raw
        assert (url.username, url.password, url.host, url.port, url.database) == (
            "desk", "s3cret", "db.example.com", 5433, "customers")


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://desk@db.example.com/customers",
        "mysql+pymysql://desk@db.example.com/customers",
        "mssql://desk@db.example.com/customers",
        "oracle://desk@db.example.com/customers",
        "http://db.example.com/customers",
        "://",
        "postgresql://desk@db.example.com:notaport/customers",
    ],
)
def test_parse_url_refuses_unsupported_or_garbage(raw: str) -> None:
    with pytest.raises(StoreError) as exc:
        parse_url(raw)
    assert_one_line(str(exc.value))


def test_open_database_refuses_garbage_url_with_store_error() -> None:
    with pytest.raises(StoreError) as exc:
        open_database("mysql://desk@db.example.com/customers")
    assert "mysql" in str(exc.value)
    with pytest.raises(StoreError) as exc:
        open_database("postgresql://desk@db.example.com:notaport/customers")
    assert_one_line(str(exc.value))


# --- opening failures ---------------------------------------------------------------------------


def test_unreachable_postgresql_raises_one_line_store_error() -> None:
    port = free_port()
    with pytest.raises(StoreError) as exc:
        open_database(f"postgresql://desk:s3cret@127.0.0.1:{port}/customers")
    message = str(exc.value)
    assert_one_line(message)
    assert "127.0.0.1" in message and str(port) in message
    assert "s3cret" not in message  # never show the password


def test_directory_path_raises_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for raw in (str(folder), f"sqlite:///{folder}"):
        with pytest.raises(StoreError) as exc:
            open_database(raw)
        assert_one_line(str(exc.value))
        assert str(folder) in str(exc.value)
    assert folder.is_dir() and not any(folder.iterdir())


def test_file_that_is_not_a_database_raises_store_error_and_is_left_alone(tmp_path: Path) -> None:
    junk = tmp_path / "holiday-photo.sqlite3"
    content = random.Random(20261129).randbytes(8192)
    junk.write_bytes(content)
    for raw in (str(junk), f"sqlite:///{junk}"):
        with pytest.raises(StoreError) as exc:
            open_database(raw)
        assert_one_line(str(exc.value))
    assert junk.read_bytes() == content


def test_path_below_a_regular_file_raises_store_error(tmp_path: Path) -> None:
    """The folder of the store cannot be created because a file of that name is in the way."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    for raw in (str(blocker / "customers.sqlite3"), f"sqlite:///{blocker / 'sub' / 'customers.sqlite3'}"):
        with pytest.raises(StoreError) as exc:
            open_database(raw)
        assert_one_line(str(exc.value))
    assert blocker.read_text() == "not a folder"


# --- money --------------------------------------------------------------------------------------


def _customer(s: Any, name: str = "Aroha Ngata") -> m.Customer:
    customer = m.Customer(name=name)
    s.add(customer)
    s.flush()
    return customer


def _order(s: Any, customer: m.Customer, number: str, lines: list[tuple[str, str]], status: str = "open") -> m.SalesOrder:
    order = m.SalesOrder(order_number=number, customer_id=customer.id, status=status,
                         order_date=dt.date(2026, 3, 2), currency_code="NZD")
    order.lines = [m.SalesOrderLine(sku=f"SKU-{i}", quantity=Decimal(q), price=Decimal(p))
                   for i, (q, p) in enumerate(lines)]
    s.add(order)
    s.flush()
    return order


def test_money_round_trips_decimal_exactly(db: Database) -> None:
    amounts = [Decimal("0.10"), Decimal("0.01"), Decimal("0.30"), Decimal("1234567.89"),
               Decimal("999999999999.99"), Decimal("-0.10"), Decimal("100")]
    with db.transaction() as s:
        customer = _customer(s)
        order = _order(s, customer, "SO-1", [("1", "0.10")])
        for i, amount in enumerate(amounts):
            s.add(m.Payment(sales_order_id=order.id, amount=amount, payment_date=dt.date(2026, 3, 3),
                            method="cash", external_reference=f"P{i}"))
    with db.read() as s:
        stored = list(s.scalars(select(m.Payment.amount).order_by(m.Payment.id)))
    assert stored == amounts
    assert all(isinstance(a, Decimal) for a in stored)
    assert [str(a) for a in stored] == [str(a.quantize(Decimal("0.01"))) for a in amounts]


def test_order_outstanding_and_credit_remaining_are_exact(db: Database) -> None:
    with db.transaction() as s:
        customer = _customer(s)
        one_line = _order(s, customer, "SO-100", [("3", "0.10")])
        three_lines = _order(s, customer, "SO-101", [("1", "0.10"), ("1", "0.10"), ("1", "0.10")])
        fractional = _order(s, customer, "SO-102", [("2.5", "0.10"), ("0.333", "3.00")])
        for order in (one_line, three_lines):
            s.add(m.Payment(sales_order_id=order.id, amount=Decimal("0.10"), payment_date=dt.date(2026, 3, 3)))
        credit = m.SalesCredit(sales_credit_number="SC-1", customer_id=customer.id, credit_date=dt.date(2026, 3, 4),
                               currency_code="NZD", total=Decimal("0.30"))
        s.add(credit)
        s.flush()
        s.add_all([
            m.SalesCreditAllocation(sales_credit_id=credit.id, sales_order_id=three_lines.id, amount=Decimal("0.10")),
            m.SalesCreditAllocation(sales_credit_id=credit.id, sales_order_id=fractional.id, amount=Decimal("0.10")),
        ])
        ids = (one_line.id, three_lines.id, fractional.id, credit.id)

    with db.read() as s:
        rows = {r.id: r for r in s.execute(
            select(m.SalesOrder.id, m.SalesOrder.total, m.SalesOrder.paid, m.SalesOrder.credited,
                   m.SalesOrder.outstanding))}
        remaining, allocated = s.execute(
            select(m.SalesCredit.remaining, m.SalesCredit.allocated).where(m.SalesCredit.id == ids[3])).one()
        # The deferred column properties load on attribute access too.
        loaded = s.get(m.SalesOrder, ids[0])
        assert loaded is not None and loaded.outstanding == Decimal("0.20")
        unpaid = list(s.scalars(select(m.SalesOrder.id).where(m.SalesOrder.outstanding > 0)
                                .order_by(m.SalesOrder.id)))
        exact = list(s.scalars(select(m.SalesOrder.id).where(m.SalesOrder.outstanding == Decimal("0.20"))
                               .order_by(m.SalesOrder.id)))

    one, three, frac = rows[ids[0]], rows[ids[1]], rows[ids[2]]
    assert (one.total, one.paid, one.credited, one.outstanding) == (
        Decimal("0.30"), Decimal("0.10"), Decimal("0"), Decimal("0.20"))
    assert str(one.outstanding) == "0.20"
    assert three.total == Decimal("0.30") and three.outstanding == Decimal("0.10")
    # 2.5 × 0.10 = 0.25; 0.333 × 3.00 = 0.999 → 1.00 (each line rounded to cents)
    assert frac.total == Decimal("1.25") and frac.outstanding == Decimal("1.15")
    for value in (one.total, one.outstanding, three.outstanding, frac.outstanding, remaining, allocated):
        assert isinstance(value, Decimal)
    assert (remaining, allocated) == (Decimal("0.10"), Decimal("0.20"))
    assert str(remaining) == "0.10"
    assert unpaid == [ids[0], ids[1], ids[2]]
    assert exact == [ids[0]]


def test_fully_paid_order_has_zero_outstanding(db: Database) -> None:
    """0.1 + 0.2 is not 0.3 in binary floating point; the store must still say 'nothing outstanding'."""
    with db.transaction() as s:
        customer = _customer(s)
        order = _order(s, customer, "SO-200", [("1", "0.30")])
        s.add_all([m.Payment(sales_order_id=order.id, amount=Decimal("0.10"), payment_date=dt.date(2026, 3, 3)),
                   m.Payment(sales_order_id=order.id, amount=Decimal("0.20"), payment_date=dt.date(2026, 3, 3))])
        credit = m.SalesCredit(sales_credit_number="SC-200", customer_id=customer.id,
                               credit_date=dt.date(2026, 3, 4), currency_code="NZD", total=Decimal("0.30"))
        s.add(credit)
        s.flush()
        other = _order(s, customer, "SO-201", [("3", "0.10")])
        s.add_all([m.SalesCreditAllocation(sales_credit_id=credit.id, sales_order_id=other.id, amount=Decimal(a))
                   for a in ("0.10", "0.20")])
        order_id, credit_id = order.id, credit.id
    with db.read() as s:
        outstanding = s.scalar(select(m.SalesOrder.outstanding).where(m.SalesOrder.id == order_id))
        remaining = s.scalar(select(m.SalesCredit.remaining).where(m.SalesCredit.id == credit_id))
        unpaid = s.scalar(select(func.count()).select_from(m.SalesOrder).where(m.SalesOrder.outstanding > 0))
        open_credits = s.scalar(select(func.count()).select_from(m.SalesCredit).where(m.SalesCredit.remaining > 0))
    assert outstanding == Decimal("0") and remaining == Decimal("0")
    assert unpaid == 0 and open_credits == 0


# --- database-level cascade ---------------------------------------------------------------------


def test_deleting_a_customer_row_cascades_its_addresses(db: Database) -> None:
    with db.transaction() as s:
        gone = create_customer(s, {"name": "Aroha Ngata", "address1": "12 Kauri Street", "zip": "1010",
                                   "default_billing_address": {"address1": "48 Totara Avenue", "zip": "3204"}})
        address_svc.add_address(s, gone.id, {"address1": "7 Rimu Road", "zip": "7010"})
        kept = create_customer(s, {"name": "Hemi Walker", "address1": "3 Matai Lane", "zip": "1010"})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.Address).where(m.Address.customer_id == gone.id)) == 3

    with db.transaction() as s:  # plain SQL: only the database's own ON DELETE CASCADE can remove them
        s.execute(text("DELETE FROM customers WHERE id = :id"), {"id": gone.id})

    with db.read() as s:
        assert s.get(m.Customer, gone.id) is None
        assert s.scalar(select(func.count()).select_from(m.Address).where(m.Address.customer_id == gone.id)) == 0
        survivor = s.get(m.Customer, kept.id)
        assert survivor is not None
        assert survivor.default_shipping_address_id == kept.default_shipping_address_id
        assert s.scalar(select(func.count()).select_from(m.Address).where(m.Address.customer_id == kept.id)) == 1


def test_foreign_keys_are_enforced(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(text("INSERT INTO addresses (customer_id, dedup_key, version, created_at, updated_at) "
                       "VALUES (987654, 'x', 1, :now, :now)"), {"now": m.utcnow()})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.Address)) == 0


# --- the SQLite search index --------------------------------------------------------------------


def index_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT rowid, name, company, email, phone, zip FROM {search.FTS_TABLE} ORDER BY rowid")]


def expected_rows(db: Database) -> list[tuple[Any, ...]]:
    """What a rebuild from the tables would hold: each customer with its default shipping zip."""
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT c.id, c.name, c.company, c.email, c.phone, a.zip FROM customers c "
            "LEFT JOIN addresses a ON a.id = c.default_shipping_address_id ORDER BY c.id")]


def fts_ids(db: Database, term: str) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.exec_driver_sql(
            f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH ? ORDER BY rowid",
            (f'"{term}"',)).scalars())


def test_sqlite_search_index_follows_changes(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.transaction() as s:
        aroha = create_customer(s, {"name": "Aroha Ngata", "company": "Kauri Joinery Limited",
                                    "email": "aroha@example.com", "phone": "09 555 0101",
                                    "address1": "12 Kauri Street", "zip": "1010", "country_code": "NZ"})
        hemi = create_customer(s, {"name": "Hemi Walker", "address1": "3 Matai Lane", "zip": "7010"})
        bare = create_customer(s, {"name": "Mere Tane"})  # no address: zip empty
    rows = index_rows(db)
    assert rows == expected_rows(db)
    assert rows[0] == (aroha.id, "Aroha Ngata", "Kauri Joinery Limited", "aroha@example.com",
                       "09 555 0101", "1010")
    assert rows[2] == (bare.id, "Mere Tane", None, None, None, None)
    assert fts_ids(db, "Joinery") == [aroha.id]
    assert fts_ids(db, "1010") == [aroha.id]

    # Name update.
    with db.transaction() as s:
        update_customer(s, aroha.id, {"name": "Aroha Ngata-Smith", "email": "aroha.ns@example.com"})
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "Smith") == [aroha.id]
    assert fts_ids(db, "aroha@example") == []

    # Zip change on the default shipping address (through the address service and through the customer).
    shipping = aroha.default_shipping_address_id
    assert shipping is not None
    with db.transaction() as s:
        address_svc.update_address(s, shipping, {"zip": "1024"})
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "1024") == [aroha.id] and fts_ids(db, "1010") == []
    with db.transaction() as s:
        update_customer(s, hemi.id, {"zip": "7011"})
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "7011") == [hemi.id]

    # A zip change on an address that is not the default shipping one leaves the index alone.
    with db.transaction() as s:
        depot = address_svc.add_address(s, aroha.id, {"address1": "48 Totara Avenue", "zip": "3204"})
        address_svc.update_address(s, depot.id, {"zip": "3206"})
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "3206") == []

    # Change of default shipping address.
    with db.transaction() as s:
        address_svc.set_default_shipping_address(s, aroha.id, depot.id)
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "3206") == [aroha.id] and fts_ids(db, "1024") == []

    # First address of a customer that had none.
    with db.transaction() as s:
        address_svc.add_address(s, bare.id, {"address1": "9 Nikau Place", "zip": "6011"})
    assert index_rows(db) == expected_rows(db)
    assert fts_ids(db, "6011") == [bare.id]

    # Deletes.
    with db.transaction() as s:
        delete_customer(s, hemi.id)
    assert index_rows(db) == expected_rows(db)
    assert [r[0] for r in index_rows(db)] == [aroha.id, bare.id]
    assert fts_ids(db, "Walker") == []
    with db.transaction() as s:
        s.execute(text("DELETE FROM customers WHERE id = :id"), {"id": bare.id})
    assert index_rows(db) == expected_rows(db)
    assert [r[0] for r in index_rows(db)] == [aroha.id]


def test_sqlite_search_index_unchanged_by_rolled_back_work(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.transaction() as s:
        create_customer(s, {"name": "Aroha Ngata", "address1": "12 Kauri Street", "zip": "1010"})
    before = index_rows(db)
    with pytest.raises(RuntimeError), db.transaction() as s:
        create_customer(s, {"name": "Hemi Walker", "address1": "3 Matai Lane", "zip": "7010"})
        raise RuntimeError("clerk cancelled")
    assert index_rows(db) == before == expected_rows(db)
