"""The preview: every row validated with the customer form's rules, matched against the store (by id or
email), compared field by field, checked for possible duplicates (Find Match, blocked by zip) and for
financial alerts (DESIGN §12). Writes nothing.

Rows are planned in chunks so that a million-row file streams: `plan_chunks` yields `ChunkPlan`s that
`commit` can write as they come, and `Preview` sums them up (keeping every row only when asked, for the
dialog's table).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from desktop.importing.mapping import FIELDS, can_give_name, created_column
from desktop.importing.reading import Record, Source, UnreadableFile
from desktop.services.errors import ValidationError
from desktop.services.matching import ADDRESS_THRESHOLD, NAME_THRESHOLD, name_similarity
from desktop.services.normalize import address_dedup_key, normalize_address_text, normalize_name, zip_key
from desktop.services.validation import (
    CUSTOMER_FIELDS,
    LOCATION_FIELDS,
    MAX_ID,
    clean_address,
    clean_customer,
    unknown_province,
)
from desktop.store import models as m

log = logging.getLogger("desktop.import")

CHUNK_ROWS = 5000
# Files from this size on are read (validated row by row) by a worker process beside the main one, which
# plans against the store and writes (and reads a chunk itself rather than wait). One worker: on two cores a
# second one only takes turns with the main process (measured: slower).
PARALLEL_MIN_BYTES = 4 << 20
READ_WORKERS = 1
UPDATES_SHOWN = 200
# Stored addresses kept from one chunk's Find Match to the next (about 100 bytes each).
BLOCK_CACHE_ROWS = 1_000_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REFERENCES: dict[str, tuple[type[m.Base], str, str]] = {
    # import field -> (model, customer column, what the clerk calls it)
    "sales_rep": (m.SalesRep, "default_sales_rep_id", "sales rep"),
    "pricing_tier": (m.PricingTier, "product_pricing_tier_id", "pricing tier"),
    "store": (m.Store, "store_id", "store"),
    "warehouse": (m.Warehouse, "warehouse_id", "warehouse"),
    "domestic_shipping": (m.ShippingMethod, "shipping_method_domestic_id", "domestic shipping method"),
    "international_shipping": (m.ShippingMethod, "shipping_method_international_id", "international shipping method"),
}
# Default settings whose change for an existing customer is a financial alert (DESIGN §12).
MONEY_SETTINGS = ("product_pricing_tier_id", "store_id", "warehouse_id")
TEXT_FIELDS = (*CUSTOMER_FIELDS, *LOCATION_FIELDS)
# Progress(done_rows, total_bytes_or_rows); may raise Cancelled.
Progress = Callable[[int, int], None]


class Status(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SAME_AS = "same customer"  # the same email as an earlier row: one customer, this row adds its address
    DUPLICATE = "possible duplicate"
    ERROR = "error"


class Kind(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    ALERT = "financial alert"


@dataclass(frozen=True, slots=True)
class Issue:
    row: int
    column: str  # the file's column title ('' for the whole row)
    message: str
    kind: Kind = Kind.ERROR

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(slots=True)
class RowPlan:
    row: int
    status: Status
    values: dict[str, Any] = field(default_factory=dict)  # cleaned fields (create) / new values (update)
    customer_id: int | None = None  # the existing customer (update, unchanged, duplicate candidates' best)
    version: int | None = None  # its version when previewed: a later change makes the commit refuse
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)
    issues: list[Issue] = field(default_factory=list)
    first_row: int | None = None  # SAME_AS: the row whose customer this row belongs to
    candidates: list[tuple[int, str, float]] = field(default_factory=list)  # (customer id, name, score)
    address_id: int | None = None  # UPDATE: the default shipping address the row's location edits
    address: dict[str, Any] | None = None  # UPDATE with location changes: the whole address afterwards
    # The default billing address the row gives (this app's own export: billing_address1 …), when it is
    # another than the shipping one: CREATE, or UPDATE with `billing` changes (the whole address afterwards;
    # `billing_id` is the separate billing address it edits, None for a new one).
    billing: dict[str, Any] | None = None
    billing_id: int | None = None
    billing_before: int | None = None  # UPDATE: the default billing address until now (for the undo)
    record: Record | None = None
    # The row's own location as the address keys store it (zip_key, address1_key, dedup_key), worked out
    # where the row was read (a worker process); None when the row gives no location.
    location_keys: tuple[str | None, str | None, str] | None = None
    created_at: str | None = None  # the row's created_at to the minute, beside an id (this store's export)
    # What the clerk may decide for this row (Options.decisions): a possible duplicate ("duplicate": of a
    # stored customer; "email": another name with an email an earlier row has) or an identity change.
    held: Held | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.kind is Kind.ERROR]


class Held(enum.StrEnum):
    DUPLICATE = "duplicate"  # looks like a stored customer (candidates)
    EMAIL = "email"  # the email of an earlier row, with another name
    IDENTITY = "identity"  # an update that changes both the name and the email


class Decision(enum.StrEnum):
    """What the clerk decided for one held row (the dialog: per row; the CLI: the options below for all)."""

    CREATE = "create"  # a possible duplicate created anyway (a repeated email: created without it)
    ADDRESS = "address"  # a possible duplicate's address added to the customer it looks like
    SKIP = "skip"  # not imported (what happens to a held row by default)
    ACCEPT = "accept"  # an identity change imported


# The decisions each kind of held row offers.
DECISIONS: dict[Held, tuple[Decision, ...]] = {
    Held.DUPLICATE: (Decision.CREATE, Decision.ADDRESS, Decision.SKIP),
    Held.EMAIL: (Decision.CREATE, Decision.ADDRESS, Decision.SKIP),
    Held.IDENTITY: (Decision.ACCEPT, Decision.SKIP),
}


@dataclass
class Options:
    allow_duplicates: bool = False  # create rows that look like an existing customer anyway
    # Update a customer even when the row changes both its name and its email: another person's row,
    # as a bare `id` column from another store's export or a web shop gives (held back unless accepted).
    accept_identity_changes: bool = False
    # Row number -> the clerk's decision for that held row; it overrides the two options above.
    decisions: dict[int, Decision] = field(default_factory=dict)

    def decided(self, row: int, held: Held) -> Decision | None:
        """The decision for a held row: the clerk's for that row, else the options' for all rows."""
        decision = self.decisions.get(row)
        if decision is not None and decision in DECISIONS[held]:
            return None if decision is Decision.SKIP else decision  # None: held back, not imported
        if held is Held.IDENTITY:
            return Decision.ACCEPT if self.accept_identity_changes else None
        if held is Held.EMAIL:
            return Decision.ADDRESS if self.allow_duplicates else None
        return Decision.CREATE if self.allow_duplicates else None


@dataclass
class ChunkPlan:
    rows: list[RowPlan]


@dataclass
class Summary:
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    same_as: int = 0
    errors: int = 0
    duplicates: int = 0
    alerts: int = 0
    warnings: int = 0

    def add(self, plan: RowPlan) -> None:
        self.rows += 1
        status = plan.status
        if status is Status.CREATE:
            self.create += 1
        elif status is Status.UPDATE:
            self.update += 1
        elif status is Status.UNCHANGED:
            self.unchanged += 1
        elif status is Status.SAME_AS:
            self.same_as += 1
        elif status is Status.DUPLICATE:
            self.duplicates += 1
        else:
            self.errors += 1
        for issue in plan.issues:
            if issue.kind is Kind.ALERT:
                self.alerts += 1
            elif issue.kind is Kind.WARNING:
                self.warnings += 1

    def lines(self) -> list[str]:
        return [
            f"Rows read:            {self.rows:,}",
            f"To create:            {self.create:,}",
            f"To update:            {self.update:,}",
            f"Unchanged:            {self.unchanged:,}",
            f"Same customer as an earlier row: {self.same_as:,}",
            f"Possible duplicates:  {self.duplicates:,}",
            f"With errors:          {self.errors:,}",
            f"Financial alerts:     {self.alerts:,}",
        ]

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Preview:
    """What an import would do. `rows` holds every RowPlan when kept (the dialog: a `PlanStore`, off the
    heap, or a list), else only the rows with errors, alerts or warnings (a list)."""

    source: Source
    mapping: dict[int, str]
    options: Options
    summary: Summary = field(default_factory=Summary)
    rows: Any = field(default_factory=list)  # list[RowPlan] or desktop.importing.plan_store.PlanStore
    kept_all: bool = False
    # When not every row is kept: the first updates, with their before -> after, to show as examples.
    updates: list[RowPlan] = field(default_factory=list)

    @property
    def issues(self) -> Iterator[Issue]:
        for row in self.rows:
            yield from row.issues

    def error_rows(self) -> list[RowPlan]:
        of_status = getattr(self.rows, "of_status", None)  # a PlanStore reads only the pages with errors
        if of_status is not None:
            return list(of_status(Status.ERROR))
        return [r for r in self.rows if r.status is Status.ERROR]

    @property
    def committable(self) -> bool:
        return self.summary.create + self.summary.update + self.summary.same_as > 0


def location_keys(values: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(zip_key, address1_key, dedup_key) of the location fields in `values`, as addresses store them."""
    return (zip_key(values.get("zip")), normalize_address_text(values.get("address1")) or None,
            address_dedup_key({f: values.get(f) for f in LOCATION_FIELDS}))


def unescape(value: str) -> str:
    """Undo the export's guard: a cell written as "'=…" (so a spreadsheet never runs it) reads as "=…"."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def _minute(value: Any) -> str | None:
    """A creation time to the minute ('2026-12-06 13:45'), from the store or from a file (ISO text, with or
    without seconds, as a spreadsheet may have rewritten it); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value or "").strip().replace("T", " ")
    try:
        return dt.datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M") if text else None
    except ValueError:
        return None


def _renamed(changes: Mapping[str, tuple[Any, Any]]) -> bool:
    """The name changes to another name (not only its spelling: case, accents, spaces)."""
    if "name" not in changes:
        return False
    before, after = changes["name"]
    return bool(before) and bool(after) and normalize_name(before) != normalize_name(after)


def _moved(changes: Mapping[str, tuple[Any, Any]]) -> bool:
    """The street address changes to another one (not only its spelling)."""
    if "address1" not in changes:
        return False
    before, after = changes["address1"]
    return bool(before) and bool(after) and normalize_address_text(before) != normalize_address_text(after)


def _identity_change(changes: Mapping[str, tuple[Any, Any]]) -> bool:
    """A row that changes both who the customer is called and how they are reached is about someone else
    (unless only the spelling changed: case, accents, spaces)."""
    if "name" not in changes or "email" not in changes:
        return False
    before, after = changes["name"]
    old_email, new_email = changes["email"]
    return (bool(before) and bool(after) and normalize_name(before) != normalize_name(after)
            and bool(old_email) and bool(new_email))


class RowReader:
    """What planning learns from one row on its own, without the store: its cleaned values (the form's
    rules), its issues, its id and references. Plain data, so that a worker process can read chunks
    while the main process plans and writes the ones before (`plan_chunks`)."""

    def __init__(self, mapping: Mapping[int, str], columns: Mapping[str, str], width: int,
                 references: Mapping[str, Mapping[str, list[int]]], created_column: int | None):
        self.mapping = dict(mapping)
        self.columns = dict(columns)
        self.width = width
        self.references = references
        self.created_column = created_column
        self.ids_trusted = created_column is not None
        # What read_row looks at, worked out once for the file's columns.
        self.mapping_items = tuple(self.mapping.items())
        mapped = set(self.mapping.values()) | ({"name"} if {"first_name", "last_name"} & set(self.mapping.values())
                                               else set())
        self.text_fields = tuple(f for f in TEXT_FIELDS if f in mapped)
        self.billing_fields = tuple((f, f"billing_{f}") for f in LOCATION_FIELDS if f"billing_{f}" in mapped)
        self.references_mapped = tuple((f, ref) for f, ref in REFERENCES.items() if f in mapped)

    def read_rows(self, records: Sequence[Record]) -> list[RowPlan]:
        return [self.read_row(r) for r in records]

    def read_compact(self, records: Sequence[Record]) -> list[tuple[Any, ...]]:
        """`read_rows` as plain tuples (cheap to send between processes), without the records."""
        return [(p.status, p.values, p.issues, p.billing, p.customer_id, p.created_at, p.location_keys)
                for p in self.read_rows(records)]

    @staticmethod
    def from_compact(records: Sequence[Record], compact: Sequence[tuple[Any, ...]]) -> list[RowPlan]:
        return [
            RowPlan(row=record.row, status=status, values=values, issues=issues, billing=billing,
                    customer_id=customer_id, created_at=created_at, location_keys=keys, record=record)
            for record, (status, values, issues, billing, customer_id, created_at, keys)
            in zip(records, compact, strict=True)
        ]

    def column(self, f: str) -> str:
        if f in self.columns:
            return self.columns[f]
        if f == "name":
            for source in ("first_name", "last_name", "company"):
                if source in self.columns:
                    return self.columns[source]
        return FIELDS.get(f, f)

    def read_row(self, record: Record) -> RowPlan:
        plan = RowPlan(row=record.row, status=Status.CREATE, record=record)
        values = record.values
        raw: dict[str, str] = {}
        count = len(values)
        for index, f in self.mapping_items:
            if index < count:
                text = values[index].strip()
                if text:
                    raw[f] = unescape(text) if text[0] == "'" else text
        if len(values) > self.width and any(v.strip() for v in values[self.width:]):
            plan.issues.append(Issue(record.row, "", (
                f"has {len(values)} values but the header has {self.width} columns: a value may hold an "
                f"unquoted delimiter, so the row is not imported"
            )))
        if "name" not in raw:
            full = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
            if full:
                raw["name"] = full
        data = {f: raw[f] for f in self.text_fields if f in raw}
        try:
            plan.values = clean_customer(data, creating=False)
        except ValidationError as exc:
            for error in exc.errors:
                plan.issues.append(Issue(record.row, self.column(error.field), error.message))
            plan.values = {}
        billing_raw = {f: raw[key] for f, key in self.billing_fields if key in raw}
        if billing_raw:
            try:
                cleaned = clean_address(billing_raw, prefix="billing_", partial=True)
                plan.billing = {f: cleaned.get(f) for f in LOCATION_FIELDS}
            except ValidationError as exc:
                for error in exc.errors:
                    plan.issues.append(Issue(record.row, self.column(error.field), error.message))
        province = unknown_province(plan.values.get("country_code"), plan.values.get("province_code"))
        if province:
            plan.issues.append(Issue(record.row, self.column("province_code"), province, Kind.WARNING))
        if "id" in raw and not self.ids_trusted:
            del raw["id"]
        if "id" in raw:
            created = values[self.created_column] if self.created_column is not None and \
                self.created_column < len(values) else ""
            plan.created_at = _minute(created)
            try:
                text = raw["id"].strip()
                # Digits only (int() also takes "1_000", " ٣ " and 4,300-digit numbers): 1 to 2**63 - 1.
                if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 0 < int(text) <= MAX_ID:
                    raise ValueError
                plan.customer_id = int(text)
            except ValueError:
                plan.issues.append(Issue(record.row, self.column("id"), f"{raw['id']!r} is not a customer id"))
        for f, (_model, column, what) in self.references_mapped:
            if f not in raw:
                continue
            ids = self.references.get(f, {}).get(raw[f].casefold(), [])
            if not ids:
                plan.issues.append(Issue(record.row, self.column(f),
                                         f"unknown {what} {raw[f]!r}: left unset", Kind.ALERT))
                continue
            if len(ids) > 1:
                plan.issues.append(Issue(record.row, self.column(f),
                                         f"{len(ids)} {what}s are called {raw[f]!r}: the first (id {ids[0]}) is used",
                                         Kind.WARNING))
            plan.values[column] = ids[0]
        if any(i.kind is Kind.ERROR for i in plan.issues):
            plan.status = Status.ERROR
        elif any(plan.values.get(f) for f in LOCATION_FIELDS):
            plan.location_keys = location_keys(plan.values)
        return plan


class SeenEmails:
    """The emails earlier rows of the file gave: lower-case email -> (the first row that gave it, its name).

    Kept in a private temporary SQLite database (on disk past a small cache, deleted when closed): a
    million-row file's emails would take some 250 MB as a dict. Each chunk loads the entries of its own
    emails, plans with them as a dict and saves the ones it adds."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)  # "": SQLite's private temporary database
        self.db.execute("PRAGMA cache_size = -32768")  # 32 MB: the emails of some 400,000 rows
        self.db.execute("CREATE TABLE seen (email TEXT PRIMARY KEY, first_row INTEGER NOT NULL, name TEXT NOT NULL)"
                        " WITHOUT ROWID")

    def load(self, emails: Iterable[str]) -> dict[str, tuple[int, str]]:
        keys = sorted(set(emails))
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            marks = ", ".join("?" * len(part))
            found.update((email, (row, name)) for email, row, name in self.db.execute(
                f"SELECT email, first_row, name FROM seen WHERE email IN ({marks})", part))
        return found

    def save(self, entries: Mapping[str, tuple[int, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?)",  # in key order: fewer page splits
                            sorted((email, row, name) for email, (row, name) in entries.items()))


class Planner:
    """Plans chunks of records against the store; keeps what must carry across chunks (emails seen)."""

    def __init__(self, session: Session, source: Source, mapping: Mapping[int, str], options: Options):
        if not can_give_name(mapping):
            raise UnreadableFile(
                f"{source.file_name} has no column that gives a customer's name (such as Name, First Name "
                f"or Company), so it cannot be read as customers."
            )
        self.session = session
        self.conn = session.connection()
        self.source = source
        self.mapping = dict(mapping)
        self.options = options
        self.columns = {f: source.header[i] if i < len(source.header) else f"column {i + 1}"
                        for i, f in self.mapping.items()}
        self.width = len(source.header)
        self.seen_emails = SeenEmails()  # lower-case email -> the first row planned for it, and its name
        self.seen_ids: dict[int, int] = {}  # existing customer id -> first row number that changes it
        self.not_created: set[int] = set()  # rows seen in emails whose customer will not be created
        # Customers created by this import while it plans (a commit plans as it writes) are not "existing".
        self.horizon = self.conn.execute(select(func.coalesce(func.max(m.Customer.id), 0))).scalar_one()
        self.address_horizon = self.conn.execute(select(func.coalesce(func.max(m.Address.id), 0))).scalar_one()
        self.block_cache: dict[str, dict[int, str]] = {}
        # A bare `id` names a customer of *this* store only in this store's own export, whose rows also
        # carry each customer's created_at: an id is trusted when that matches too. Another store's export
        # or a web shop's file (ids without created_at) is matched by email instead.
        self.created_column = created_column(source.header)
        self.ids_trusted = self.created_column is not None
        self.block_cache_size = 0
        self.moved: list[RowPlan] = []  # renamed and moved in this chunk: checked once the chunk is planned
        self.references = self._load_references()
        self.reader = RowReader(self.mapping, self.columns, self.width, self.references, self.created_column)

    # --- references (names -> ids) ------------------------------------------------------------------

    def _load_references(self) -> dict[str, dict[str, list[int]]]:
        wanted = {f for f in self.mapping.values() if f in REFERENCES}
        found: dict[str, dict[str, list[int]]] = {}
        for f in wanted:
            model = REFERENCES[f][0]
            names: dict[str, list[int]] = {}
            for ref_id, name in self.conn.execute(select(model.id, model.name).order_by(model.id)):
                names.setdefault((name or "").strip().casefold(), []).append(ref_id)
            found[f] = names
        return found

    def column(self, f: str) -> str:
        return self.reader.column(f)

    # --- a chunk against the store ----------------------------------------------------------------

    def plan(self, records: Sequence[Record]) -> ChunkPlan:
        return self.plan_rows(self.reader.read_rows(records))

    def plan_rows(self, rows: list[RowPlan]) -> ChunkPlan:
        """Plan rows `RowReader` has read (here or in a worker process) against the store."""
        live = [p for p in rows if p.status is not Status.ERROR]
        existing = self._existing(live)
        creates: list[RowPlan] = []
        seen = self.seen_emails.load(p.values["email"].lower() for p in live if p.values.get("email"))
        first_seen: dict[str, tuple[int, str]] = {}
        for p in live:
            email = p.values.get("email")
            email_key = email.lower() if email else None
            by_id = existing["id"].get(p.customer_id) if p.customer_id is not None else None
            if by_id is not None and (p.created_at is None or _minute(by_id["created_at"]) != p.created_at):
                p.issues.append(Issue(p.row, self.column("id"), (
                    f"customer {p.customer_id} of this store was created at another time than this row "
                    f"says: not the same customer, matched by email instead"), Kind.WARNING))
                by_id = None
                p.customer_id = None
            by_email = existing["email"].get(email_key) if email_key else None
            if p.customer_id is not None and by_id is None:
                if by_email is None:
                    p.issues.append(Issue(p.row, self.column("id"),
                                          f"no customer has id {p.customer_id}: a new customer is created",
                                          Kind.WARNING))
                p.customer_id = None
            current = by_id or by_email
            if by_id is not None and by_email is not None and by_id["id"] != by_email["id"]:
                self._error(p, "email", f"{email} belongs to another customer, {by_email['name']} "
                                        f"(id {by_email['id']})")
                continue
            on_address = existing["address_email"].get(email_key) if email_key else None
            if on_address is not None and by_email is None and (current is None or current["id"] != on_address["id"]):
                self._error(p, "email", f"{email} is on an address of another customer, {on_address['name']} "
                                        f"(id {on_address['id']})")
                continue
            if email_key and email_key in seen:
                first, other_name = seen[email_key]
                name = p.values.get("name")
                if name and other_name and normalize_name(name) != normalize_name(other_name):
                    p.held = Held.EMAIL  # another person with the same email: the clerk decides
                    decision = self.options.decided(p.row, Held.EMAIL)
                    said = f"the same email as row {first} ({other_name}) but another name: a possible duplicate"
                    if decision is Decision.CREATE:  # another person: a customer of their own, without the email
                        p.values.pop("email", None)
                        p.issues.append(Issue(p.row, self.column("email"), f"{said}, created without the email "
                                                                            f"(row {first} keeps it)", Kind.WARNING))
                        creates.append(p)
                        continue
                    if decision is not Decision.ADDRESS:
                        p.status = Status.DUPLICATE
                        p.first_row = first
                        p.issues.append(Issue(p.row, self.column("name"),
                                              f"{said}, not imported (create it anyway, add it as that customer's "
                                              f"address, or allow duplicates)", Kind.WARNING))
                        continue
                self._same_as(p, first, current)
                continue
            if current is not None:
                if current["id"] in self.seen_ids:
                    self._same_as(p, self.seen_ids[current["id"]], current)
                    continue
                self._compare(p, current)
                self.seen_ids[current["id"]] = p.row
            else:
                if not p.values.get("name") and p.values.get("company"):
                    p.values["name"] = p.values["company"]  # a business without a contact name
                if not p.values.get("name"):
                    self._error(p, "name", "is required for a new customer")
                    continue
                creates.append(p)
            if email_key:
                seen[email_key] = first_seen[email_key] = (
                    p.row, p.values.get("name") or (current or {}).get("name") or "")
        self.seen_emails.save(first_seen)
        self._duplicates(creates)
        for p in creates:
            if p.status is Status.DUPLICATE:
                self.not_created.add(p.row)
        for p in live:  # a later row of a customer that will not be created is not imported either
            if p.status is Status.SAME_AS and p.first_row in self.not_created:
                p.status = Status.DUPLICATE
                p.issues.append(Issue(p.row, "", f"row {p.first_row} is not created, so neither is this row",
                                      Kind.WARNING))
        self._moved_elsewhere()
        self._money_alerts([p for p in live if p.status is Status.UPDATE])
        return ChunkPlan(rows)

    def _error(self, p: RowPlan, f: str, message: str) -> None:
        p.issues.append(Issue(p.row, self.column(f), message))
        p.status = Status.ERROR

    def _same_as(self, p: RowPlan, first_row: int, current: Mapping[str, Any] | None) -> None:
        """The customer of an earlier row: an existing one (its id), or one this import creates (found by
        email when written)."""
        p.status = Status.SAME_AS
        p.first_row = first_row
        p.customer_id = current["id"] if current is not None else None
        p.issues.append(Issue(p.row, self.column("email"),
                              f"the same customer as row {first_row}: only its addresses are added", Kind.WARNING))

    def _existing(self, rows: Sequence[RowPlan]) -> dict[str, dict[Any, dict[str, Any]]]:
        ids = {p.customer_id for p in rows if p.customer_id is not None and p.customer_id <= self.horizon}
        emails = {p.values["email"].lower() for p in rows if p.values.get("email")}
        c, a, b = m.Customer, m.Address, aliased(m.Address)
        found: dict[str, dict[Any, dict[str, Any]]] = {"id": {}, "email": {}, "address_email": {}}
        if (not ids and not emails) or self.horizon == 0:  # (the store had no customers when the import began)
            return found
        columns = [c.id, c.version, c.archived_at, c.created_at, *(getattr(c, f) for f in CUSTOMER_FIELDS),
                   c.default_sales_rep_id, c.product_pricing_tier_id, c.store_id, c.warehouse_id,
                   c.shipping_method_domestic_id, c.shipping_method_international_id,
                   c.default_shipping_address_id, *(getattr(a, f).label(f"a_{f}") for f in LOCATION_FIELDS),
                   c.default_billing_address_id, *(getattr(b, f).label(f"b_{f}") for f in LOCATION_FIELDS)]
        stmt = (select(*columns).outerjoin(a, a.id == c.default_shipping_address_id)
                .outerjoin(b, b.id == c.default_billing_address_id).where(c.id <= self.horizon))
        conditions = []
        if ids:
            conditions.append(c.id.in_(sorted(ids)))
        if emails:
            conditions.append(func.lower(c.email).in_(sorted(emails)))
        for row in self.conn.execute(stmt.where(or_(*conditions))).mappings():
            row = dict(row)
            found["id"][row["id"]] = row
            if row["email"]:
                found["email"][row["email"].lower()] = row
        # An email on another customer's address is that customer's too (one owner per email).
        if emails:
            on_address = (select(func.lower(a.email).label("email"), c.id, c.name)
                          .join(c, c.id == a.customer_id)
                          .where(func.lower(a.email).in_(sorted(emails)), c.id <= self.horizon)
                          .order_by(c.id))
            for email_key, owner_id, owner_name in self.conn.execute(on_address):
                found["address_email"].setdefault(email_key, {"id": owner_id, "name": owner_name})
        return found

    def _compare(self, p: RowPlan, current: Mapping[str, Any]) -> None:
        p.customer_id = current["id"]
        p.version = current["version"]
        p.address_id = current["default_shipping_address_id"]
        changes: dict[str, tuple[Any, Any]] = {}
        for f, value in p.values.items():
            before = current[f"a_{f}"] if f in LOCATION_FIELDS else current.get(f)
            if f in LOCATION_FIELDS and p.address_id is None:
                before = None
            if f == "email" and before and before.lower() == value.lower():
                p.values[f] = before  # emails compare without case: keep the stored spelling
                continue
            if before != value and not (f == "email" and before and before.lower() == value.lower()):
                changes[f] = (before, value)
        p.changes = changes
        if any(f in LOCATION_FIELDS for f in changes):
            p.address = {f: (current[f"a_{f}"] if p.address_id is not None else None) for f in LOCATION_FIELDS}
            p.address.update({f: v for f, v in p.values.items() if f in LOCATION_FIELDS})
        self._compare_billing(p, current, changes)
        p.status = Status.UPDATE if changes else Status.UNCHANGED
        if _identity_change(changes):
            (before_name, after_name) = changes["name"]
            if not self._hold_identity(p, f"changes both the name ({before_name} → {after_name}) and the email "
                                          f"of customer {p.customer_id}"):
                return
        elif _renamed(changes) and _moved(changes):
            self.moved.append(p)  # another person, if that address was the customer's only one (below)
        if p.status is Status.UPDATE:
            for f, (_model, column, what) in REFERENCES.items():
                if column in MONEY_SETTINGS and column in changes:
                    p.issues.append(Issue(p.row, self.column(f), f"changes the {what} of an existing customer",
                                          Kind.ALERT))
            if current["archived_at"] is not None:
                p.issues.append(Issue(p.row, "", "updates an archived customer", Kind.WARNING))

    def _compare_billing(self, p: RowPlan, current: Mapping[str, Any], changes: dict[str, tuple[Any, Any]]) -> None:
        """The row's billing address against the customer's default billing address: empty cells leave it
        as it is; a change edits a separate billing address, or adds one (the default billing until now
        being the shipping address, or none)."""
        if p.billing is None:
            return
        billing_id = current["default_billing_address_id"]
        separate = billing_id is not None and billing_id != current["default_shipping_address_id"]
        source = "b" if billing_id is not None else None
        before = {f: (current[f"{source}_{f}"] if source else None) for f in LOCATION_FIELDS}
        after = {**before, **{f: v for f, v in p.billing.items() if v is not None}}
        if all(after[f] == before[f] for f in LOCATION_FIELDS):
            p.billing = None
            return
        for f in LOCATION_FIELDS:
            if after[f] != before[f]:
                changes[f"billing_{f}"] = (before[f], after[f])
        p.billing = after
        p.billing_id = billing_id if separate else None
        p.billing_before = billing_id

    def _hold_identity(self, p: RowPlan, what: str) -> bool:
        """An update about another person: held back unless the clerk accepted it. True when it goes on."""
        p.held = Held.IDENTITY
        if self.options.decided(p.row, Held.IDENTITY) is not Decision.ACCEPT:
            p.issues.append(Issue(p.row, self.column("name"), f"{what}: another person? Not imported; accept "
                                                               f"identity changes to import it"))
            p.status = Status.ERROR
            return False
        p.issues.append(Issue(p.row, self.column("name"), f"{what} (accepted)", Kind.WARNING))
        return True

    def _moved_elsewhere(self) -> None:
        """Rows that rename a customer and move their address: an identity change when that address is
        the customer's only one (nothing of who they were would remain)."""
        rows, self.moved = self.moved, []
        if not rows:
            return
        a = m.Address
        ids = sorted({p.customer_id for p in rows if p.customer_id is not None})
        counts: dict[int, int] = {}
        for start in range(0, len(ids), 900):
            stmt = select(a.customer_id, func.count()).where(a.customer_id.in_(ids[start:start + 900])) \
                .group_by(a.customer_id)
            counts.update((cid, n) for cid, n in self.conn.execute(stmt))
        for p in rows:
            if counts.get(p.customer_id, 0) <= 1:
                before_name, after_name = p.changes["name"]
                self._hold_identity(p, f"changes both the name ({before_name} → {after_name}) and the only address "
                                       f"of customer {p.customer_id}")

    def _money_alerts(self, updates: Sequence[RowPlan]) -> None:
        if not updates:
            return
        ids = sorted({p.customer_id for p in updates if p.customer_id is not None})
        unpaid = _customers_with_unpaid_orders(self.conn, ids)
        open_credits = _customers_with_open_credits(self.conn, ids)
        for p in updates:
            what = []
            if p.customer_id in unpaid:
                what.append("unpaid orders")
            if p.customer_id in open_credits:
                what.append("open sales credits")
            if what:
                p.issues.append(Issue(p.row, "", f"changes a customer with {' and '.join(what)}", Kind.ALERT))

    def _duplicates(self, creates: Sequence[RowPlan]) -> None:
        """Find Match against the store for each new customer, one query per chunk over its zips."""
        wanted: dict[str, list[tuple[RowPlan, str, str]]] = {}
        if self.address_horizon == 0:  # the store had no addresses when the import began: nothing to match
            return
        for p in creates:
            if p.location_keys is not None:
                key, address = p.location_keys[0], p.location_keys[1] or ""
            else:
                key, address = zip_key(p.values.get("zip")), normalize_address_text(p.values.get("address1"))
            if key and address:
                wanted.setdefault(key, []).append((p, address, normalize_name(p.values.get("name"))))
        if wanted:
            blocks = self._zip_blocks(sorted(wanted))
            scored: list[tuple[RowPlan, str, dict[int, float]]] = []
            hits: set[int] = set()
            for key, entries in wanted.items():
                block = blocks.get(key)
                if not block:
                    continue
                for p, address, name in entries:
                    scores = {address_id: float(score) for _text, score, address_id in process.extract(
                        address, block, scorer=fuzz.ratio, score_cutoff=ADDRESS_THRESHOLD, limit=None)}
                    if scores:
                        scored.append((p, name, scores))
                        hits.update(scores)
            owners = self._owners(sorted(hits))
            for p, name, scores in scored:
                found: dict[int, tuple[int, str, float]] = {}
                for address_id, score in scores.items():
                    customer_id, c_name, company = owners[address_id]
                    name_score = max(name_similarity(name, c_name), name_similarity(name, company))
                    if name_score < NAME_THRESHOLD:
                        continue
                    total = 0.5 * score + 0.4 * name_score + 10.0
                    if customer_id not in found or found[customer_id][2] < total:
                        found[customer_id] = (customer_id, c_name, round(total, 1))
                if found:
                    p.candidates = sorted(found.values(), key=lambda t: -t[2])[:5]
        for p in creates:
            if p.candidates and p.held is None:
                best = p.candidates[0]
                text = f"looks like existing customer {best[1]} (id {best[0]}, score {best[2]:.0f})"
                p.held = Held.DUPLICATE
                decision = self.options.decided(p.row, Held.DUPLICATE)
                if decision is Decision.CREATE:
                    p.issues.append(Issue(p.row, "", text + ": created anyway", Kind.WARNING))
                elif decision is Decision.ADDRESS:  # that customer's: its address is added to them
                    p.status = Status.SAME_AS
                    p.customer_id = best[0]
                    p.issues.append(Issue(p.row, "", text + ": its address is added to that customer", Kind.WARNING))
                else:
                    p.status = Status.DUPLICATE
                    p.issues.append(Issue(p.row, "", text + ": not created", Kind.WARNING))


    def _zip_blocks(self, keys: Sequence[str]) -> dict[str, dict[int, str]]:
        """Each zip's stored addresses (id -> normalised address1), read from the zip index alone and kept
        for later chunks (a file's zips repeat); only addresses that existed before this import."""
        cache = self.block_cache
        missing = [k for k in keys if k not in cache]
        if self.block_cache_size > BLOCK_CACHE_ROWS:
            cache.clear()
            self.block_cache_size = 0
            missing = list(keys)
        a = m.Address
        for start in range(0, len(missing), 900):
            part = missing[start:start + 900]
            for key in part:
                cache[key] = {}
            stmt = select(a.zip_key, a.id, a.address1_key).where(
                a.zip_key.in_(part), a.id <= self.address_horizon)
            for key, address_id, address_key in self.conn.execute(stmt):
                cache[key][address_id] = address_key or ""
                self.block_cache_size += 1
        return {k: cache[k] for k in keys}

    def _owners(self, address_ids: Sequence[int]) -> dict[int, tuple[int, str, str | None]]:
        a, c = m.Address, m.Customer
        owners: dict[int, tuple[int, str, str | None]] = {}
        for start in range(0, len(address_ids), 900):
            stmt = (select(a.id, c.id, c.name, c.company).join(c, c.id == a.customer_id)
                    .where(a.id.in_(address_ids[start:start + 900])))
            for address_id, customer_id, name, company in self.conn.execute(stmt):
                owners[address_id] = (customer_id, name, company)
        return owners



def _customers_with_unpaid_orders(conn: Any, ids: Sequence[int]) -> set[int]:
    o = m.SalesOrder
    found: set[int] = set()
    for start in range(0, len(ids), 900):
        stmt = (
            select(o.customer_id).distinct()
            .where(o.customer_id.in_(ids[start:start + 900]), o.status.not_in(("draft", "cancelled")),
                   o.outstanding > 0)
        )
        found.update(conn.execute(stmt).scalars())
    return found


def _customers_with_open_credits(conn: Any, ids: Sequence[int]) -> set[int]:
    s = m.SalesCredit
    found: set[int] = set()
    for start in range(0, len(ids), 900):
        stmt = select(s.customer_id).distinct().where(s.customer_id.in_(ids[start:start + 900]), s.remaining > 0)
        found.update(conn.execute(stmt).scalars())
    return found


def chunks(records: Iterable[Record], size: int = CHUNK_ROWS) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def plan_chunks(
    session: Session, source: Source, mapping: Mapping[int, str], options: Options | None = None,
    progress: Progress | None = None,
) -> Iterator[ChunkPlan]:
    """Plan the file chunk by chunk (streaming). `progress(rows_done, 0)` after each chunk."""
    planner = Planner(session, source, mapping, options or Options())
    done = 0
    for records, rows in read_chunks(planner.reader, source):
        chunk = planner.plan_rows(rows)
        done += len(records)
        if progress is not None:
            progress(done, 0)
        yield chunk


def read_workers(source: Source) -> int:
    """How many worker processes read a file beside the main process: none for a small file (starting
    one costs more than it saves) or on one core."""
    cores = os.cpu_count() or 1
    if source.size < PARALLEL_MIN_BYTES or cores < 2:
        return 0
    return min(READ_WORKERS, cores)


def read_chunks(reader: RowReader, source: Source) -> Iterator[tuple[list[Record], list[RowPlan]]]:
    """The file's records chunk by chunk, each with its rows as `reader` reads them.

    A big file is read by worker processes, a few chunks ahead, while the caller plans and writes the
    chunks before (the records themselves are read here, in order, so the source still checks the file).
    If the workers cannot start or die, the rest is read here: the result is the same either way."""
    workers = read_workers(source)
    if workers == 0:
        for records in chunks(source.records()):
            yield records, reader.read_rows(records)
        return
    pool = None
    try:
        # Not "fork": the caller may be the window, whose other threads must not be copied mid-step.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_reader, initargs=(reader,))
    except (OSError, ValueError, RuntimeError) as exc:  # pragma: no cover - no processes on this system
        log.warning("import: reading in one process (%s)", exc)
    # [records, the worker's future or None, the rows once read here]
    pending: deque[list[Any]] = deque()

    def ready() -> tuple[list[Record], list[RowPlan]]:
        nonlocal pool
        entry = pending[0]
        # Rather than wait for the workers, read here the newest queued chunk that none has begun.
        while entry[1] is not None and not entry[1].done():
            stolen = next((e for e in reversed(pending) if e is not entry and e[1] is not None and e[1].cancel()),
                          None)
            if stolen is None:
                break
            stolen[1], stolen[2] = None, reader.read_rows(stolen[0])
        records, future, rows = pending.popleft()
        if rows is not None:
            return records, rows
        if future is not None:
            try:
                return records, RowReader.from_compact(records, future.result())
            except BrokenProcessPool as exc:
                log.warning("import: a reading process stopped (%s); reading on in one process", exc)
                pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
                pool = None
        return records, reader.read_rows(records)

    try:
        for records in chunks(source.records()):
            future = None
            if pool is not None:
                try:
                    future = pool.submit(_read_in_worker, [(r.row, r.values) for r in records])
                except Exception as exc:  # noqa: BLE001 - a worker that cannot start: read here instead
                    log.warning("import: no reading process (%s); reading in one process", exc)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
            pending.append([records, future, None])
            if len(pending) > 2 * workers + 2:
                yield ready()
        while pending:
            yield ready()
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_WORKER_READER: RowReader | None = None


def _start_reader(reader: RowReader) -> None:
    global _WORKER_READER
    _WORKER_READER = reader


def _read_in_worker(rows: list[tuple[int, list[str]]]) -> list[tuple[Any, ...]]:
    assert _WORKER_READER is not None
    return _WORKER_READER.read_compact([Record(row, values) for row, values in rows])


def preview(
    session: Session, source: Source, mapping: Mapping[int, str], options: Options | None = None, *,
    keep_rows: bool = False, progress: Progress | None = None,
) -> Preview:
    """Preview Import: the whole plan, writing nothing."""
    result = Preview(source=source, mapping=dict(mapping), options=options or Options(), kept_all=keep_rows)
    for chunk in plan_chunks(session, source, mapping, result.options, progress):
        collect(result, chunk)
    return result


def collect(result: Preview, chunk: ChunkPlan) -> None:
    kept = result.kept_all
    for p in chunk.rows:
        result.summary.add(p)
        p.location_keys = None  # (some 250 bytes a row; a later commit of a kept preview works them out again)
        if kept:
            continue
        if p.issues:
            result.rows.append(p)
        if p.status is not Status.ERROR:
            p.record = None
        if p.status is Status.UPDATE and len(result.updates) < UPDATES_SHOWN:
            result.updates.append(p)
    if kept:
        result.rows.extend(chunk.rows)


