"""Import Customers: write a plan in the caller's transaction (one transaction for the whole file), record
it as an ImportBatch, and undo a batch while its customers are untouched since.

Rows go to the driver in bulk (`store.bulk`): new customers and their addresses as plain tuples with ids
reserved up front, updates as one executemany per set of changed fields. Updated customers are locked and
their versions compared with the preview's first, so a customer edited since the preview stops the commit
instead of being overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from desktop.importing.errors import ImportConflict, UndoRefused
from desktop.importing.plan import ChunkPlan, Preview, RowPlan, Status, Summary, location_keys
from desktop.importing.reading import Source
from desktop.services import changelog
from desktop.services.errors import DomainError, NotFound
from desktop.services.normalize import address_dedup_key, normalize_address_text, zip_key
from desktop.services.validation import CUSTOMER_FIELDS, LOCATION_FIELDS
from desktop.store import bulk, search
from desktop.store import models as m

log = logging.getLogger("desktop.import")

CUSTOMER_REFS = ("default_sales_rep_id", "product_pricing_tier_id", "store_id", "warehouse_id",
                 "shipping_method_domestic_id", "shipping_method_international_id")
CUSTOMER_COLUMNS = ("id", "version", "created_at", "updated_at", *CUSTOMER_FIELDS, *CUSTOMER_REFS,
                    "default_shipping_address_id", "default_billing_address_id")
ADDRESS_COLUMNS = ("id", "customer_id", "version", "created_at", "updated_at", "name", "company", "email",
                   "phone", *LOCATION_FIELDS, "zip_key", "address1_key", "dedup_key")
CHANGE_COLUMNS = ("entity", "entity_id", "action", "changes", "os_user", "created_at")
# What a created customer's change-log entry records (its text fields and reference ids: JSON as they are).
LOGGED_FIELDS = (*CUSTOMER_FIELDS, *CUSTOMER_REFS)




@dataclass
class CommitResult:
    batch_id: int
    created: int = 0
    updated: int = 0
    addresses_added: int = 0
    skipped: int = 0




class IdReserver:
    """Fresh ids for one table during one import: from its sequence on PostgreSQL, in blocks (safe beside
    other writers); above max(id) on SQLite, where the write transaction holds the only write lock."""

    def __init__(self, conn: Connection, table: Any, block: int = 5000):
        self.conn, self.table, self.block = conn, table, block
        self.free: list[int] = []
        self.next_sqlite: int | None = None

    def take(self) -> int:
        if not self.free:
            self.free = self._reserve(self.block)[::-1]
        return self.free.pop()

    def _reserve(self, count: int) -> list[int]:
        if self.conn.dialect.name == "postgresql":
            sequence = self.conn.exec_driver_sql(
                "SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": self.table.name}).scalar_one()
            rows = self.conn.exec_driver_sql(
                "SELECT nextval(CAST(%(s)s AS regclass)) FROM generate_series(1, %(n)s)",
                {"s": sequence, "n": count},
            ).scalars().all()
            return [int(r) for r in rows]
        if self.next_sqlite is None:
            self.next_sqlite = bulk.next_id(self.conn, self.table)
        start = self.next_sqlite
        self.next_sqlite += count
        return list(range(start, start + count))


class Committer:
    """Writes chunk plans into the session's transaction; `finish()` records the batch."""

    def __init__(self, session: Session, source: Source, mapping: Mapping[int, str]):
        self.session = session
        self.source = source
        self.conn = session.connection()
        self.now = m.utcnow()
        self.stamp = bulk.storage_datetime(self.now)  # the form bulk inserts store without conversion
        self.user = changelog.os_user()
        self.batch = m.ImportBatch(
            file_name=str(source.path.name)[:1000], checksum="",  # of what was read: set by finish()
            mapping={source.header[i] if i < len(source.header) else str(i): f for i, f in mapping.items()},
            counts={}, created_customer_ids=[], updated_customer_ids=[], os_user=changelog.os_user(),
        )
        session.add(self.batch)
        session.flush()
        self.result = CommitResult(batch_id=self.batch.id)
        self.undo: dict[str, Any] = {"stamp": bulk.storage_datetime(self.now), "customers": {}, "addresses": {},
                                     "added_addresses": []}
        self.created_ids: list[int] = []
        self.updated_ids: list[int] = []
        self.customer_ids = IdReserver(self.conn, m.Customer.__table__)
        self.address_ids = IdReserver(self.conn, m.Address.__table__)

    # --- ids -----------------------------------------------------------------------------------------

    def _customer_id(self) -> int:
        return self.customer_ids.take()

    def _address_id(self) -> int:
        return self.address_ids.take()

    # --- writing -------------------------------------------------------------------------------------

    def write(self, chunk: ChunkPlan) -> None:
        creates = [p for p in chunk.rows if p.status is Status.CREATE]
        updates = [p for p in chunk.rows if p.status is Status.UPDATE]
        same_as = [p for p in chunk.rows if p.status is Status.SAME_AS]
        self.result.skipped += sum(1 for p in chunk.rows if p.status in (Status.ERROR, Status.DUPLICATE))
        self._lock_and_check(updates + [p for p in chunk.rows if p.status is Status.UNCHANGED])
        self._create(creates)
        self._update(updates)
        self._add_addresses(same_as)

    def _lock_and_check(self, rows: Sequence[RowPlan]) -> None:
        expected = {p.customer_id: p.version for p in rows if p.customer_id is not None}
        if not expected:
            return
        c = m.Customer
        ids = sorted(expected)
        for start in range(0, len(ids), 900):
            stmt = select(c.id, c.version).where(c.id.in_(ids[start:start + 900]))
            if self.conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            found = dict(self.conn.execute(stmt).all())
            for cid in ids[start:start + 900]:
                if found.get(cid) != expected[cid]:
                    what = "was deleted" if cid not in found else "was changed"
                    raise ImportConflict(
                        f"Customer {cid} {what} since the preview; nothing was imported. Preview the file again."
                    )

    def _create(self, rows: Sequence[RowPlan]) -> None:
        if not rows:
            return
        customers: list[tuple[Any, ...]] = []
        addresses: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        stamp, user, take_customer, take_address = self.stamp, self.user, self.customer_ids.take, self.address_ids.take
        batch = [None, self.batch.id]
        for p in rows:
            v = p.values
            cid = take_customer()
            address_id = key = None
            if any(v.get(f) for f in LOCATION_FIELDS):
                address_id = take_address()
                keys = p.location_keys or location_keys(v)
                key = keys[2]
                addresses.append(self._address_tuple(address_id, cid, v, v, keys))
            billing_id = address_id
            if p.billing is not None and any(p.billing.values()):
                billing_keys = location_keys(p.billing)
                if address_id is None or billing_keys[2] != key:  # another address than the shipping one
                    billing_id = take_address()
                    addresses.append(self._address_tuple(billing_id, cid, v, p.billing, billing_keys))
            customers.append((cid, 1, stamp, stamp, *[v.get(f) for f in CUSTOMER_FIELDS],
                              *[v.get(f) for f in CUSTOMER_REFS], address_id, billing_id))
            logged: dict[str, Any] = {"import_batch": batch}
            for f in LOGGED_FIELDS:
                value = v.get(f)
                if value is not None:
                    logged[f] = [None, value]
            if address_id is not None or billing_id is not None:
                logged["default_shipping_address_id"] = [None, address_id]
                logged["default_billing_address_id"] = [None, billing_id]
            changes.append(("customer", cid, "import", dumps(logged), user, stamp))
        self.created_ids.extend(c[0] for c in customers)
        bulk.bulk_insert(self.conn, m.Customer.__table__, CUSTOMER_COLUMNS, customers, convert=False)
        bulk.bulk_insert(self.conn, m.Address.__table__, ADDRESS_COLUMNS, addresses, convert=False)
        bulk.bulk_insert(self.conn, m.ChangeLog.__table__, CHANGE_COLUMNS, changes, convert=False)
        self.result.created += len(customers)
        self.result.addresses_added += len(addresses)

    def _address_tuple(self, address_id: int, customer_id: int, who: Mapping[str, Any],
                       location: Mapping[str, Any], keys: tuple[str | None, str | None, str]) -> tuple[Any, ...]:
        return (address_id, customer_id, 1, self.stamp, self.stamp, who.get("name"), who.get("company"),
                who.get("email"), who.get("phone"), *[location.get(f) for f in LOCATION_FIELDS], *keys)

    def _update(self, rows: Sequence[RowPlan]) -> None:
        if not rows:
            return
        c, a = m.Customer.__table__, m.Address.__table__
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        address_groups: list[dict[str, Any]] = []
        new_addresses: list[tuple[Any, ...]] = []
        new_defaults: list[dict[str, Any]] = []
        new_billing: list[dict[str, Any]] = []
        changes: list[tuple[Any, ...]] = []
        for p in rows:
            cid = p.customer_id
            assert cid is not None and p.version is not None
            fields = tuple(sorted(f for f in p.changes if f not in LOCATION_FIELDS and not f.startswith("billing_")))
            entry: dict[str, Any] = {"b_id": cid, "b_version": p.version, "b_now": self.now}
            undo: dict[str, Any] = {"version": p.version + 1, "before": {}}
            for f in fields:
                entry[f"b_{f}"] = p.changes[f][1]
                undo["before"][f] = changelog.json_value(p.changes[f][0])
            groups.setdefault(fields, []).append(entry)
            logged = {f: [changelog.json_value(b), changelog.json_value(after)] for f, (b, after) in p.changes.items()}
            if p.address is not None:
                key = address_dedup_key(p.address)
                if p.address_id is not None:
                    self._edit_address(address_groups, p.address_id, p.address, key,
                                       {f: p.changes[f][0] for f in LOCATION_FIELDS if f in p.changes})
                else:
                    address_id = self._address_id()
                    new_addresses.append(
                        self._address_tuple(address_id, cid, {**p.values}, p.address, location_keys(p.address)))
                    new_defaults.append({"b_id": cid, "b_address": address_id})
                    self.undo["added_addresses"].append(address_id)
                    undo["before"]["default_shipping_address_id"] = None
                    logged["default_shipping_address_id"] = [None, address_id]
            if p.billing is not None:
                key = address_dedup_key(p.billing)
                if p.billing_id is not None:  # the separate billing address, edited in place
                    self._edit_address(address_groups, p.billing_id, p.billing, key,
                                       {f: p.changes[f"billing_{f}"][0] for f in LOCATION_FIELDS
                                        if f"billing_{f}" in p.changes})
                else:  # a billing address of its own from now on
                    billing_id = self._address_id()
                    new_addresses.append(
                        self._address_tuple(billing_id, cid, {**p.values}, p.billing, location_keys(p.billing)))
                    new_billing.append({"b_id": cid, "b_address": billing_id})
                    self.undo["added_addresses"].append(billing_id)
                    undo["before"]["default_billing_address_id"] = p.billing_before
                    logged["default_billing_address_id"] = [p.billing_before, billing_id]
            self.undo["customers"][str(cid)] = undo
            changes.append(("customer", cid, "import", dumps({"import_batch": [None, self.batch.id], **logged}),
                            self.user, self.stamp))
            self.updated_ids.append(cid)
        for fields, params in groups.items():
            values = {f: bindparam(f"b_{f}") for f in fields}
            stmt = (
                update(c).where(c.c.id == bindparam("b_id"), c.c.version == bindparam("b_version"))
                .values(**values, version=c.c.version + 1, updated_at=bindparam("b_now"))
            )
            self.conn.execute(stmt, params)
        if address_groups:
            stmt = (
                update(a).where(a.c.id == bindparam("b_id"))
                .values(**{f: bindparam(f"b_{f}") for f in (*LOCATION_FIELDS, "zip_key", "address1_key", "dedup_key")},
                        version=a.c.version + 1, updated_at=bindparam("b_now"))
            )
            self.conn.execute(stmt, address_groups)
            ids = [int(k) for k in self.undo["addresses"] if self.undo["addresses"][k]["version"] is None]
            for start in range(0, len(ids), 900):
                for address_id, version in self.conn.execute(
                    select(a.c.id, a.c.version).where(a.c.id.in_(ids[start:start + 900]))
                ):
                    self.undo["addresses"][str(address_id)]["version"] = version
        if new_addresses:
            bulk.bulk_insert(self.conn, m.Address.__table__, ADDRESS_COLUMNS, new_addresses, convert=False)
            stmt = (
                update(c).where(c.c.id == bindparam("b_id"))
                .values(default_shipping_address_id=bindparam("b_address"),
                        default_billing_address_id=func.coalesce(c.c.default_billing_address_id, bindparam("b_address")))
            )
            if new_defaults:
                self.conn.execute(stmt, new_defaults)
            if new_billing:
                self.conn.execute(update(c).where(c.c.id == bindparam("b_id"))
                                  .values(default_billing_address_id=bindparam("b_address")), new_billing)
            self.result.addresses_added += len(new_addresses)
        bulk.bulk_insert(self.conn, m.ChangeLog.__table__, CHANGE_COLUMNS, changes, convert=False)
        self.result.updated += len(rows)

    def _edit_address(self, groups: list[dict[str, Any]], address_id: int, location: Mapping[str, Any], key: str,
                      before: Mapping[str, Any]) -> None:
        """An address edited in place (one of `groups`, written together), and what undo puts back."""
        groups.append({
            "b_id": address_id, "b_now": self.now, **{f"b_{f}": location[f] for f in LOCATION_FIELDS},
            "b_zip_key": zip_key(location.get("zip")),
            "b_address1_key": normalize_address_text(location.get("address1")) or None,
            "b_dedup_key": key,
        })
        self.undo["addresses"][str(address_id)] = {
            "version": None,  # filled in after the update bumps it
            "before": {f: changelog.json_value(v) for f, v in before.items()},
        }

    def _add_addresses(self, rows: Sequence[RowPlan]) -> None:
        """Rows of a customer an earlier row gave: their address, and their billing address when the file
        has one, join that customer's (de-duplicated; the customer's defaults stay). A customer this import
        created is found by its email (it is in the store by now)."""
        rows = [p for p in rows if _row_locations(p)]
        if not rows:
            return
        c, a = m.Customer.__table__, m.Address.__table__
        emails = sorted({p.values["email"].lower() for p in rows if p.customer_id is None and p.values.get("email")})
        by_email: dict[str, int] = {}
        for start in range(0, len(emails), 900):
            stmt = select(func.lower(c.c.email), c.c.id).where(func.lower(c.c.email).in_(emails[start:start + 900]))
            by_email.update((e, i) for e, i in self.conn.execute(stmt))
        targets: dict[int, list[RowPlan]] = {}
        for p in rows:
            cid = p.customer_id if p.customer_id is not None else by_email.get((p.values.get("email") or "").lower())
            if cid is not None:
                targets.setdefault(cid, []).append(p)
        keys: dict[int, set[str]] = {cid: set() for cid in targets}
        ids = sorted(targets)
        for start in range(0, len(ids), 900):
            stmt = select(a.c.customer_id, a.c.dedup_key).where(a.c.customer_id.in_(ids[start:start + 900]))
            for cid, key in self.conn.execute(stmt):
                keys[cid].add(key)
        new: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        for cid, plans in targets.items():
            for p in plans:
                for location in _row_locations(p):
                    key = address_dedup_key(location)
                    if key in keys[cid]:
                        continue
                    keys[cid].add(key)
                    address_id = self._address_id()
                    new.append(self._address_tuple(address_id, cid, p.values, location, location_keys(location)))
                    self.undo["added_addresses"].append(address_id)
                    changes.append(("address", address_id, "import",
                                    dumps({"import_batch": [None, self.batch.id], "customer_id": [None, cid]}),
                                    self.user, self.stamp))
        bulk.bulk_insert(self.conn, m.Address.__table__, ADDRESS_COLUMNS, new, convert=False)
        bulk.bulk_insert(self.conn, m.ChangeLog.__table__, CHANGE_COLUMNS, changes, convert=False)
        self.result.addresses_added += len(new)

    def finish(self, summary: Summary) -> CommitResult:
        # The file must still be the one read (a sync tool may have cut or replaced it meanwhile): else
        # UnreadableFile, and the transaction rolls back with nothing imported.
        self.source.check_unchanged()
        self.batch.checksum = self.source.checksum()
        bulk.reset_sequences(self.conn, [m.Customer.__table__, m.Address.__table__])
        self.batch.counts = {**summary.as_dict(), "created": self.result.created, "updated": self.result.updated,
                             "addresses_added": self.result.addresses_added}
        # Fresh objects: SQLAlchemy's JSON type does not see changes made inside a list or dict.
        self.batch.created_customer_ids = list(self.created_ids)
        self.batch.updated_customer_ids = list(self.updated_ids)
        self.batch.undo = self.undo
        self.batch.committed_at = m.utcnow()
        self.session.flush()
        log.info("import %s committed: %s", self.batch.id, self.batch.counts)
        return self.result


def _row_locations(p: RowPlan) -> list[dict[str, Any]]:
    """The addresses a row gives: its shipping location, then its billing address (this app's export),
    each when it has any value."""
    found = []
    location = {f: p.values.get(f) for f in LOCATION_FIELDS}
    if any(location.values()):
        found.append(location)
    if p.billing is not None and any(p.billing.values()):
        found.append({f: p.billing.get(f) for f in LOCATION_FIELDS})
    return found


def commit_preview(session: Session, preview: Preview, progress: Callable[[int, int], None] | None = None,
                   chunk_rows: int = 5000) -> CommitResult:
    """Commit a preview that kept its rows (the dialog). Raises ImportConflict if the store moved on."""
    if not preview.kept_all:
        raise ValueError("commit_preview needs a preview made with keep_rows=True")
    committer = Committer(session, preview.source, preview.mapping)
    total = len(preview.rows)
    with search_index_deferred(committer, total):
        for start in range(0, total, chunk_rows):
            committer.write(ChunkPlan(preview.rows[start:start + chunk_rows]))
            if progress is not None:
                progress(min(start + chunk_rows, total), total)
    return committer.finish(preview.summary)


class _NothingToImport(Exception):
    pass


def import_file(
    db: Any, source: Source, mapping: Mapping[int, str], options: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Preview, CommitResult | None]:
    """Plan and write the file in one transaction, chunk by chunk (streaming: a million rows never sit in
    memory together). Returns the preview of what was done (rows with issues only) and the result, which
    is None when no row creates or changes anything (then nothing is written, not even a batch).
    `progress(rows_done, 0)` may raise Cancelled: the transaction rolls back."""
    from desktop.importing.plan import Options, collect, plan_chunks

    result = Preview(source=source, mapping=dict(mapping), options=options or Options(), kept_all=False)
    done: CommitResult | None = None
    try:
        with db.transaction() as session:
            committer = Committer(session, source, mapping)
            with search_index_deferred(committer):
                for chunk in plan_chunks(session, source, mapping, result.options, progress):
                    committer.write(chunk)
                    collect(result, chunk)
            if not result.committable:
                raise _NothingToImport()  # rolls back the empty batch
            done = committer.finish(result.summary)
    except _NothingToImport:
        pass
    return result, done


# Indexes an import looks customers and addresses up by while it writes (by email, by zip for Find Match,
# by customer for the addresses a row adds): they stay when the others are rebuilt at the end.
LOOKUP_INDEXES = ("uq_customers_email_lower", "ix_addresses_email_lower", "ix_addresses_zip_key",
                  "ix_addresses_customer_dedup")
# A CSV row is rarely shorter than this: a file of N bytes holds at most about N / 60 rows.
SHORTEST_ROW_BYTES = 60


@contextlib.contextmanager
def search_index_deferred(committer: Committer, rows: int | None = None) -> Iterator[None]:
    """New customers are indexed for search in one statement at the end (SQLite: per-row triggers cost
    three index writes per customer); the customers the import changed are indexed again after.

    An import of at least as many rows as the store has customers (`rows`, else estimated from the file's
    size) also builds the other secondary indexes of customers and addresses once at the end, by one sort
    each, instead of updating them row by row (in the same transaction: a failed import leaves them as
    they were)."""
    conn = committer.conn
    if rows is None:
        rows = committer.source.size // SHORTEST_ROW_BYTES
    tables = [m.Customer.__table__, m.Address.__table__]
    existing = conn.execute(select(func.count()).select_from(m.Customer.__table__)).scalar_one()
    # Into an empty store, the planner looks nothing up by address (nothing existed before the import).
    keep = LOOKUP_INDEXES if existing else ("uq_customers_email_lower", "ix_addresses_customer_dedup")
    big = rows >= existing
    indexes = bulk.deferred_indexes(conn, tables, keep=keep) if big else contextlib.nullcontext()
    # With most indexes built at the end, few pages are written at random places: a smaller cache does.
    cache = _big_page_cache(conn, IMPORT_CACHE_KIB // 4 if big else IMPORT_CACHE_KIB)
    with search.bulk_append(conn), cache, indexes:
        yield
        search.refresh(conn, committer.updated_ids)


# SQLite's page cache while an import writes: the indexes of a big store are updated at random places, and
# with the default 2 MB cache every insert reads and writes pages again (most of a million-row import's time).
IMPORT_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _big_page_cache(conn: Connection, kib: int) -> Iterator[None]:
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


# --- batches and undo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    id: int
    file_name: str
    committed_at: dt.datetime | None
    undone_at: dt.datetime | None
    created: int
    updated: int
    rows: int
    errors: int
    user: str | None = None

    @property
    def state(self) -> str:
        if self.undone_at is not None:
            return "undone"
        return "committed" if self.committed_at is not None else "incomplete"


def list_batches(session: Session, limit: int = 200) -> list[BatchView]:
    b = m.ImportBatch
    rows = session.execute(
        select(b.id, b.file_name, b.committed_at, b.undone_at, b.counts, b.os_user)
        .order_by(b.id.desc()).limit(limit)
    )
    result = []
    for bid, name, committed, undone, counts, user in rows:
        counts = counts or {}
        result.append(BatchView(bid, name, committed, undone, int(counts.get("created", 0)),
                                int(counts.get("updated", 0)), int(counts.get("rows", 0)),
                                int(counts.get("errors", 0)), user))
    return result


@dataclass
class UndoResult:
    batch_id: int
    deleted: int = 0
    restored: int = 0
    addresses_removed: int = 0


def undo_batch(session: Session, batch_id: int) -> UndoResult:
    """Revert an import: delete the customers it created, restore the fields it changed, remove the
    addresses it added, provided none of them has changed since (otherwise UndoRefused names them)."""
    batch = session.get(m.ImportBatch, batch_id, with_for_update=session.bind.dialect.name == "postgresql")
    if batch is None:
        raise NotFound("import", batch_id)
    if batch.undone_at is not None:
        raise UndoRefused(batch_id, f"it was already undone on {batch.undone_at:%Y-%m-%d %H:%M} (UTC)")
    if batch.committed_at is None:
        raise UndoRefused(batch_id, "it was never committed")
    conn = session.connection()
    undo = batch.undo or {}
    created = [int(i) for i in batch.created_customer_ids or []]
    updated = {int(k): v for k, v in (undo.get("customers") or {}).items()}
    addresses = {int(k): v for k, v in (undo.get("addresses") or {}).items()}
    added = [int(i) for i in undo.get("added_addresses") or []]
    c, a = m.Customer.__table__, m.Address.__table__

    def chunked(ids: Sequence[int]) -> Iterable[list[int]]:
        ids = sorted(ids)
        for start in range(0, len(ids), 900):
            yield ids[start:start + 900]

    changed: list[tuple[int, str]] = []
    gone: list[int] = []
    later = _LaterUndos(session, batch_id)  # what imports after this one, since undone, did and undid
    expected = {cid: 1 for cid in created} | {cid: int(v["version"]) for cid, v in updated.items()}
    current: dict[int, int] = {}
    for part in chunked(list(expected)):
        stmt = select(c.c.id, c.c.version, c.c.name).where(c.c.id.in_(part))
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        found = {cid: (version, name) for cid, version, name in conn.execute(stmt)}
        for cid in part:
            if cid not in found:
                gone.append(cid)
            elif found[cid][0] != expected[cid] and found[cid][0] != later.customer(cid, expected[cid]):
                changed.append((cid, found[cid][1]))
            else:
                current[cid] = found[cid][0]
    # Addresses edited or added since (on created customers, or the ones this import edited).
    stamp = dt.datetime.strptime(undo["stamp"], "%Y-%m-%d %H:%M:%S.%f") if undo.get("stamp") else None
    for part in chunked(created):
        touched = or_(a.c.version != 1, a.c.updated_at != stamp) if stamp is not None else a.c.version != 1
        for address_id, version, cid, name in conn.execute(
            select(a.c.id, a.c.version, c.c.id, c.c.name).join(c, c.c.id == a.c.customer_id)
            .where(c.c.id.in_(part), touched)
        ):
            if version == 1 or version != later.address(address_id, 1):
                changed.append((cid, name))
    address_now: dict[int, int] = {}
    for part in chunked(list(addresses)):
        for address_id, version, cid, name in conn.execute(
            select(a.c.id, a.c.version, a.c.customer_id, c.c.name).join(c, c.c.id == a.c.customer_id)
            .where(a.c.id.in_(part))
        ):
            recorded = addresses[address_id].get("version")
            if recorded not in (None, version) and version != later.address(address_id, int(recorded)):
                changed.append((cid, name))  # named, so the clerk knows whom (not just an id)
            address_now[address_id] = version
    if changed:
        unique = sorted(dict(changed).items())
        raise UndoRefused(batch_id, f"{len(unique):,} of its customers changed since", unique)
    links = _linked(conn, created)
    if links:
        raise UndoRefused(batch_id, "some customers it created now have orders, credits or other records", links)
    result = UndoResult(batch_id)
    now, user = m.utcnow(), changelog.os_user()
    log_rows: list[tuple[Any, ...]] = []
    for part in chunked(created):
        conn.execute(update(c).where(c.c.id.in_(part)).values(default_shipping_address_id=None,
                                                                default_billing_address_id=None))
        conn.execute(delete(a).where(a.c.customer_id.in_(part)))
        result.deleted += conn.execute(delete(c).where(c.c.id.in_(part))).rowcount or 0
        log_rows.extend(("customer", cid, "undo import", {"import_batch": [batch_id, None]}, user, now) for cid in part)
    undone_versions: dict[str, dict[str, int]] = {"customers": {}, "addresses": {}}
    for cid, info in updated.items():
        before = dict(info.get("before") or {})
        if before:
            conn.execute(update(c).where(c.c.id == cid).values(**before, version=c.c.version + 1, updated_at=now))
        if cid in current:
            undone_versions["customers"][str(cid)] = current[cid] + (1 if before else 0)
        result.restored += 1
        log_rows.append(("customer", cid, "undo import",
                         {"import_batch": [batch_id, None], **{k: [None, v] for k, v in before.items()}}, user, now))
    for address_id, info in addresses.items():
        row = conn.execute(select(*(a.c[f] for f in LOCATION_FIELDS)).where(a.c.id == address_id)).mappings().first()
        if row is None:
            continue
        values = {**row, **(info.get("before") or {})}
        if address_id in address_now:
            undone_versions["addresses"][str(address_id)] = address_now[address_id] + 1
        conn.execute(update(a).where(a.c.id == address_id).values(
            **values, zip_key=zip_key(values.get("zip")),
            address1_key=normalize_address_text(values.get("address1")) or None,
            dedup_key=address_dedup_key(values), version=a.c.version + 1, updated_at=now,
        ))
    for part in chunked(added):
        conn.execute(update(c).where(c.c.default_billing_address_id.in_(part)).values(default_billing_address_id=None))
        result.addresses_removed += conn.execute(delete(a).where(a.c.id.in_(part))).rowcount or 0
    bulk.bulk_insert(conn, m.ChangeLog.__table__, CHANGE_COLUMNS, log_rows)
    # The versions this undo left: an earlier import undone after this one sees that its customers are as
    # it left them (this undo's restore is not a change of theirs), so undo 2 then 1 works.
    batch.undo = {**undo, "undone": undone_versions}
    batch.undone_at = now
    session.flush()
    log.info("import %s undone: %s", batch_id, result)
    return result


class _LaterUndos:
    """The imports after `batch_id` that have since been undone: for a customer or address, the version
    each one found it at (before its change) and the version its undo left. Following that chain from the
    version an earlier import left gives the version the row has if nothing else touched it. Read only
    when a version does not match (the usual undo of the newest import never reads it)."""

    def __init__(self, session: Session, batch_id: int):
        self.session, self.batch_id = session, batch_id
        self._steps: dict[str, dict[int, list[tuple[int, int]]]] | None = None

    def _load(self) -> dict[str, dict[int, list[tuple[int, int]]]]:
        if self._steps is None:
            b = m.ImportBatch
            steps: dict[str, dict[int, list[tuple[int, int]]]] = {"customers": {}, "addresses": {}}
            rows = self.session.execute(
                select(b.undo).where(b.id > self.batch_id, b.undone_at.is_not(None)).order_by(b.undone_at, b.id)
            ).scalars()
            for undo in rows:
                undone = (undo or {}).get("undone") or {}
                for kind in ("customers", "addresses"):
                    made = (undo or {}).get(kind) or {}
                    for key, after in (undone.get(kind) or {}).items():
                        version = (made.get(key) or {}).get("version")
                        if version is not None:
                            steps[kind].setdefault(int(key), []).append((int(version) - 1, int(after)))
            self._steps = steps
        return self._steps

    def _follow(self, kind: str, key: int, version: int) -> int:
        for before, after in self._load()[kind].get(key, ()):
            if before == version:
                version = after
        return version

    def customer(self, customer_id: int, version: int) -> int:
        return self._follow("customers", customer_id, version)

    def address(self, address_id: int, version: int) -> int:
        return self._follow("addresses", address_id, version)


def _linked(conn: Connection, customer_ids: Sequence[int]) -> list[tuple[int, str]]:
    c = m.Customer.__table__
    found: list[tuple[int, str]] = []
    ids = sorted(customer_ids)
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        linked = (
            select(m.SalesOrder.customer_id).where(m.SalesOrder.customer_id.in_(part))
            .union(select(m.SalesCredit.customer_id).where(m.SalesCredit.customer_id.in_(part)))
        ).subquery()
        found.extend(conn.execute(select(c.c.id, c.c.name).where(c.c.id.in_(select(linked.c[0])))).all())
    return [(int(i), n) for i, n in found]


_ENCODE = json.JSONEncoder(default=str, check_circular=False).encode


def dumps(value: Any) -> str:
    return _ENCODE(value)
