"""List Customers (DESIGN §2 item 1): search, filters, sort, keyset and page/limit windows, total count.

One query builder serves the table (keyset windows), the command line (page/limit), the export (a stream
of keyset chunks) and the bulk actions ("all N matching the filter").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    DateTime,
    Integer,
    and_,
    any_,
    bindparam,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from desktop.services.errors import FieldError, ValidationError
from desktop.services.normalize import zip_key
from desktop.services.validation import normal_text
from desktop.store import models as m
from desktop.store.search import FTS_TABLE, MIN_INDEXED_TERM, PREFIX_ADDRESS_COLUMNS

Archived = Literal["active", "archived", "all"]
ARCHIVED_CHOICES: tuple[str, ...] = ("active", "archived", "all")
MAX_LIMIT = 1000

ShipAddress = aliased(m.Address, name="ship")
Rep = aliased(m.SalesRep, name="rep")
Tier = aliased(m.PricingTier, name="tier")
StoreA = aliased(m.Store, name="store")
WarehouseA = aliased(m.Warehouse, name="warehouse")

C = m.Customer
_FTS = table(FTS_TABLE, column("rowid"))


_EMPTY = literal_column("''")


def _text_key(column: Any) -> ColumnElement[Any]:
    # A literal '' (not a bound parameter), so the expression matches the sort indexes exactly.
    return func.lower(func.coalesce(column, _EMPTY))


# Sortable columns -> the SQL expression the query orders by (text sorts ignore case; NULL sorts as "").
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "id": C.id,
    "name": func.lower(C.name),
    "company": _text_key(C.company),
    "email": _text_key(C.email),
    "phone": func.coalesce(C.phone, _EMPTY),
    "created_at": C.created_at,
    "updated_at": C.updated_at,
    # Active customers (no archive time) first, as the oldest; a plain NULL would break the keyset's
    # comparisons and sorts first on SQLite but last on PostgreSQL.
    "archived_at": func.coalesce(C.archived_at, literal(dt.datetime(1, 1, 1), type_=DateTime())),
    "city": _text_key(ShipAddress.city),
    "province": _text_key(ShipAddress.province),
    "zip": func.coalesce(ShipAddress.zip, _EMPTY),
    "country_code": func.coalesce(ShipAddress.country_code, _EMPTY),
    "sales_rep": _text_key(Rep.name),
    "pricing_tier": _text_key(Tier.name),
    "store": _text_key(StoreA.name),
    "warehouse": _text_key(WarehouseA.name),
}
TEXT_FILTERS = ("name", "email", "company", "phone")
ADDRESS_FILTERS = ("address1", "city", "province", "zip", "country_code")


@dataclass(frozen=True)
class CustomerQuery:
    """What the clerk asked for: search text, filters, archived switch and sort (`-` = descending)."""

    search: str | None = None
    archived: Archived = "active"
    name: str | None = None
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    province: str | None = None
    zip: str | None = None
    country_code: str | None = None
    sales_rep_id: int | None = None
    pricing_tier_id: int | None = None
    store_id: int | None = None
    warehouse_id: int | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    archived_from: dt.datetime | None = None
    archived_to: dt.datetime | None = None
    sort: str = "name"
    # How a search is read (the same rows every way): "index" leaves it to the store's planner; "gather"
    # collects the hits through the indexes first and sorts only those (few hits); "scan" reads customers
    # in the sort's order and compares as it goes (a first page of a word most customers share costs a
    # few hundred rows). `search_plan()` chooses.
    search_mode: Literal["index", "gather", "scan"] = "index"
    # PostgreSQL, a search of several words: the (short) word whose hits are gathered through the indexes;
    # the others are compared row by row on those hits only. `search_plan()` picks the rarest.
    lead_word: int | None = None

    def __post_init__(self) -> None:
        errors = []
        if self.archived not in ARCHIVED_CHOICES:
            errors.append(FieldError("archived", f"must be one of {', '.join(ARCHIVED_CHOICES)}"))
        if self.sort.removeprefix("-") not in SORT_KEYS:
            errors.append(FieldError("sort", f"cannot sort by {self.sort.removeprefix('-')!r}"))
        if errors:
            raise ValidationError(errors)

    @property
    def sort_column(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def with_(self, **changes: Any) -> CustomerQuery:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("search_mode", "lead_word")}


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    fax: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    city: str | None
    province: str | None
    province_code: str | None
    zip: str | None
    country: str | None
    country_code: str | None
    sales_rep: str | None
    pricing_tier: str | None
    store: str | None
    warehouse: str | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    sort_value: Any = field(repr=False, compare=False, default=None)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.sort_value, self.id)


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the sort value and id of the last row seen."""

    value: Any
    id: int


@dataclass
class CustomerPage:
    rows: list[CustomerRow]
    total: int
    next_cursor: Cursor | None


ROW_COLUMNS = (
    C.id, C.name, C.company, C.email, C.phone, C.fax,
    ShipAddress.address1, ShipAddress.address2, ShipAddress.address3, ShipAddress.city,
    ShipAddress.province, ShipAddress.province_code, ShipAddress.zip, ShipAddress.country,
    ShipAddress.country_code,
    Rep.name.label("sales_rep"), Tier.name.label("pricing_tier"), StoreA.name.label("store"),
    WarehouseA.name.label("warehouse"),
    C.archived_at, C.created_at, C.updated_at, C.version,
)


def contains(dialect: str, column: Any, value: str) -> ColumnElement[bool]:
    """Case-insensitive substring match. SQLite's LIKE folds only ASCII letters, so a term with other
    letters ("Ōtaki", "ZOË") is compared through Python's lower() registered on every connection."""
    if dialect == "sqlite" and not value.isascii():
        return func.py_lower(column).contains(value.lower(), autoescape=True)
    return column.icontains(value, autoescape=True)


def _has_nul(q: CustomerQuery) -> bool:
    values = (q.search, *(getattr(q, n) for n in (*TEXT_FILTERS, *ADDRESS_FILTERS)))
    return any(v and "\x00" in v for v in values)


def _tokens(search: str) -> list[str]:
    """The words of a search, in the form text is stored in (NFC, no zero-width characters), so "Café"
    typed on a Mac finds the "Café" typed on Windows."""
    return [t for t in re.split(r"\s+", normal_text(search).strip()) if t]


def _fts_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _prefix_range(dialect: str, key: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """`key` starts with `prefix`, as a range an index on `key` can seek (SQLite compares text as its
    bytes, so the range is exact); PostgreSQL: LIKE 'prefix%' (its text_pattern_ops indexes)."""
    if dialect == "postgresql":
        return key.startswith(prefix, autoescape=True)
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return and_(key >= prefix, func.substr(key, 1, len(prefix)) == prefix)
    return and_(key >= prefix, key < prefix[:-1] + chr(last + 1))


def _case_variants(dialect: str, token: str) -> list[str]:
    """The token as the sort keys hold it: lower case; SQLite's lower() folds only ASCII, so a stored
    "Ō" stays "Ō": each other letter in both cases (two letters at most: four variants)."""
    token = token.lower()
    if dialect == "postgresql" or token.isascii():
        return [token]
    variants = [""]
    for ch in token:
        forms = {ch} if ch.isascii() else {ch.lower(), ch.upper()}
        variants = [v + f for v in variants for f in sorted(forms)]
    return variants


CUSTOMER_SEARCHED = ("name", "company", "email", "phone")  # the customer's own fields a search reads
ADDRESS_SEARCHED = ("zip", "address1", "address2", "city", "province")  # of the default shipping address


def _address_prefix_terms(dialect: str, token: str) -> list[ColumnElement[bool]]:
    """An address's street lines, city, province or zip start with the token (each an index range)."""
    A = m.Address
    terms = [_prefix_range(dialect, func.lower(getattr(A, f)), variant)
             for variant in _case_variants(dialect, token) for f in PREFIX_ADDRESS_COLUMNS]
    key = zip_key(token)
    if key:
        terms.append(_prefix_range(dialect, A.zip_key, key))
    return terms


def _customer_prefix_terms(dialect: str, token: str,
                           fields: tuple[str, ...] = CUSTOMER_SEARCHED) -> list[ColumnElement[bool]]:
    """The customer's own fields (their sort keys) start with the token (each an index range)."""
    return [_prefix_range(dialect, SORT_KEYS[k], v) for v in _case_variants(dialect, token) for k in fields]


def _starts_with(dialect: str, token: str, scan: bool = False) -> ColumnElement[bool]:
    """A term of one or two characters: the name, company, email or phone, or the default shipping
    address's street lines, city, province or zip start with it. Each is an index range (the sort
    indexes; the address prefix indexes and zip key), so even "a" costs no scan."""
    return _on_customer_or_address(dialect, _customer_prefix_terms(dialect, token),
                                   or_(*_address_prefix_terms(dialect, token)), scan)


def _on_customer_or_address(dialect: str, on_customer: list[ColumnElement[bool]], on_address: ColumnElement[bool],
                            scan: bool, few_addresses: bool = False) -> ColumnElement[bool]:
    """One of the customer's own terms holds, or `on_address` does for its default shipping address.
    `few_addresses`: the address term usually matches few (a word of three or more characters)."""
    A = m.Address
    if scan:  # row by row in the sort's order: the address of the rows read, not every matching one first
        # (a scalar subquery: PostgreSQL would turn an EXISTS into a hash of every matching address)
        return or_(*on_customer, select(on_address).where(A.id == C.default_shipping_address_id).scalar_subquery())
    if dialect == "postgresql" and not few_addresses:
        # One set of ids from two index-served halves (a semi-join). An OR with `= ANY(ARRAY(…))` would
        # recheck every hit against the whole array, which grows with the addresses matched.
        owner = aliased(m.Customer, name="owner")
        by_customer = select(C.id).where(or_(*on_customer)).correlate(None)  # its own customers, not the query's
        by_address = (select(owner.id).select_from(A).join(owner, owner.default_shipping_address_id == A.id)
                      .where(on_address))
        return C.id.in_(union_all(by_customer, by_address))
    if dialect == "postgresql":
        # = ANY(ARRAY(…)) is computed once, so the OR of trigram index scans stays a bitmap OR.
        address_ids = select(A.id).where(on_address).scalar_subquery()
        return or_(*on_customer, C.default_shipping_address_id == any_(func.array(address_ids)))
    return or_(*on_customer, C.default_shipping_address_id.in_(select(A.id).where(on_address)))


def _contains_anywhere(dialect: str, token: str, scan: bool) -> ColumnElement[bool]:
    """The name, company, email or phone, or the default shipping address's zip, street lines, city or
    province contains the token (no index)."""
    on_customer, on_address = _contains_terms(dialect, token)
    return _on_customer_or_address(dialect, on_customer, on_address, scan, few_addresses=True)


def _contains_terms(dialect: str, token: str) -> tuple[list[ColumnElement[bool]], ColumnElement[bool]]:
    """(each of the customer's own fields contains the token, one of an address's fields does)."""
    on_customer = [contains(dialect, getattr(C, f), token) for f in CUSTOMER_SEARCHED]
    return on_customer, or_(*(contains(dialect, getattr(m.Address, f), token) for f in ADDRESS_SEARCHED))


def _fts_match(tokens: list[str]) -> str:
    return " AND ".join(_fts_phrase(t) for t in tokens)


def _search_condition(dialect: str, search: str, scan: bool = False,
                      lead: int | None = None) -> ColumnElement[bool] | None:
    """Every word must match. A word of three or more characters matches anywhere in the name, company,
    email, phone or the default shipping address's zip, street lines, city or province (through the
    trigram index, or row by row with `scan`); a word of one or two characters matches the start of the
    name, company, email, phone, or of the default shipping address's street lines, city, province or zip
    (index ranges: no scan). With `lead` (PostgreSQL), that word is looked up through the indexes and the
    others are compared row by row."""
    tokens = _tokens(search)
    if not tokens:
        return None
    if dialect == "postgresql" and lead is not None and not scan and 0 <= lead < len(tokens):
        return and_(*((_contains_anywhere if len(t) >= MIN_INDEXED_TERM else _starts_with)(dialect, t, i != lead)
                      for i, t in enumerate(tokens)))
    conditions: list[ColumnElement[bool]] = []
    long_tokens = [t for t in tokens if len(t) >= MIN_INDEXED_TERM]
    if dialect == "sqlite" and long_tokens and not scan:
        fts_ids = select(_FTS.c.rowid).where(
            text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=_fts_match(long_tokens))
        )
        conditions.append(C.id.in_(fts_ids))
    else:
        conditions.extend(_contains_anywhere(dialect, t, scan) for t in long_tokens)
    conditions.extend(_starts_with(dialect, t, scan) for t in tokens if len(t) < MIN_INDEXED_TERM)
    return and_(*conditions)


# A search whose long words have at least this many hits in the index reads its first page by scanning
# in the sort's order instead (a few hundred rows in, for a word most customers share).
SCAN_FROM_HITS = 30_000
# The same for words of one or two characters (compared row by row at more cost: more hits needed).
SCAN_SHORT_FROM_HITS = 40_000
# PostgreSQL gathers the hits of a short word through a semi-join and sorts them: dearer per hit than
# SQLite's index lookups, so its walk pays from fewer hits.
PG_SCAN_SHORT_FROM_HITS = 5_000
# PostgreSQL, several words: a short word with fewer hits than this leads (its hits are gathered and the
# other words compared on them); when every word has more, the search is walked in the sort's order.
PG_LEAD_UP_TO_HITS = 40_000


def _short_hits(session: Session, token: str, cap: int, fields: tuple[str, ...] = CUSTOMER_SEARCHED) -> int:
    """At most `cap`: how many customers a short word can match (each field's index range counted on
    its own, index only; an overestimate when one customer matches in two fields). `fields`: the
    customer's own fields counted (the address fields always are)."""
    dialect = session.get_bind().dialect.name
    ranges = [(C, term) for term in _customer_prefix_terms(dialect, token, fields)]
    ranges.extend((m.Address, term) for term in _address_prefix_terms(dialect, token))
    total = 0
    for entity, condition in ranges:
        # A constant, not a column: the index alone answers (PostgreSQL's prefix indexes hold no id).
        entries = select(literal_column("1")).select_from(entity).where(condition).limit(cap - total)
        counted = select(func.count()).select_from(entries.subquery())
        total += int(session.execute(counted).scalar_one())
        if total >= cap:
            break
    return total


def _pg_estimate(session: Session, token: str) -> int:
    """PostgreSQL's own estimate (its statistics, nothing read) of how many customers a word of three or
    more characters matches: in their fields, plus in addresses' (an overestimate)."""
    on_customer, on_address = _contains_terms("postgresql", token)
    total = 0
    for entity, condition in ((C, or_(*on_customer)), (m.Address, on_address)):
        compiled = select(literal_column("1")).select_from(entity).where(condition).compile(
            dialect=session.get_bind().dialect)
        plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                                    compiled.params).scalar_one()
        total += int(plan[0]["Plan"]["Plan Rows"])
    return total


# Fields whose order follows the name's: hits at the start of them cluster where the name sorts, so a
# walk in name order does not meet them evenly.
_NAME_LIKE = {"name": ("name", "company", "email"), "company": ("name", "company", "email"),
              "email": ("name", "company", "email")}


def _pg_search_plan(session: Session, q: CustomerQuery, tokens: list[str]) -> CustomerQuery:
    """PostgreSQL: a word with many hits spread through the sort's order is walked in that order; several
    words lead with the rarest (gathered; the others compared on its hits); otherwise gathered."""
    def hits(token: str, cap: int) -> int:
        return _short_hits(session, token, cap) if len(token) < MIN_INDEXED_TERM else _pg_estimate(session, token)

    if len(tokens) == 1:
        token = tokens[0]
        if len(token) < MIN_INDEXED_TERM:  # only hits spread through the order count for a walk
            spread = tuple(f for f in CUSTOMER_SEARCHED if f not in _NAME_LIKE.get(q.sort_column, ()))
            many = _short_hits(session, token, PG_SCAN_SHORT_FROM_HITS, spread) >= PG_SCAN_SHORT_FROM_HITS
        else:
            many = _pg_estimate(session, token) >= SCAN_FROM_HITS
        return q.with_(search_mode="scan" if many else "index")
    counted = {i: hits(t, PG_LEAD_UP_TO_HITS) for i, t in enumerate(tokens)}
    lead = min(counted, key=lambda i: (counted[i], i))
    if all(len(t) >= MIN_INDEXED_TERM for t in tokens):  # their trigram index scans AND-ed do well
        # unless the words together are common too (estimated as if independent: "ltd example")
        customers = max(1.0, float(session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'customers'")).scalar() or 1.0))
        together = customers
        for n in counted.values():
            together *= min(1.0, n / customers)
        return q.with_(search_mode="scan" if together >= SCAN_FROM_HITS else "index")
    if counted[lead] < PG_LEAD_UP_TO_HITS:
        return q.with_(search_mode="index", lead_word=lead)
    return q.with_(search_mode="scan")  # common words each: so is their pair, most likely; walked like one


def search_plan(session: Session, q: CustomerQuery) -> CustomerQuery:
    """`q` with the cheaper way to read its first pages (`search_mode`). Index probes of a bounded number
    of entries: a search with many hits is scanned in the sort's order, one with fewer is looked up (or
    gathered) and sorted (PostgreSQL: `_pg_search_plan`)."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql") or not (q.search and q.search.strip()) or _has_nul(q):
        return q.with_(search_mode="index")
    tokens = _tokens(q.search)
    long_tokens = [t for t in tokens if len(t) >= MIN_INDEXED_TERM]
    if dialect == "postgresql":
        return _pg_search_plan(session, q, tokens)
    if long_tokens:
        hits = select(_FTS.c.rowid).where(
            text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=_fts_match(long_tokens)))
        probe = select(func.count()).select_from(hits.limit(SCAN_FROM_HITS).subquery())
        many = int(session.execute(probe).scalar_one()) >= SCAN_FROM_HITS
        # A common long word beside a rare short one ("hill st": streets are everywhere, names starting
        # with "st" are not): their pair is rare, and a walk in the sort's order would read the whole store.
        short = [t for t in tokens if len(t) < MIN_INDEXED_TERM]
        if many and short and min(_short_hits(session, t, SCAN_SHORT_FROM_HITS) for t in short) < SCAN_SHORT_FROM_HITS:
            many = False
        return q.with_(search_mode="scan" if many else "index")  # FTS hits by id: the planner does well
    if not tokens:
        return q.with_(search_mode="index")
    # Index ranges OR-ed together are gathered and sorted, never walked in the sort's order; so are two
    # short words together (common each, their pair can be rare: a walk could read the whole store).
    if len(tokens) > 1 or _short_hits(session, tokens[0], SCAN_SHORT_FROM_HITS) < SCAN_SHORT_FROM_HITS:
        return q.with_(search_mode="gather")
    return q.with_(search_mode="scan")


def filter_conditions(session: Session, q: CustomerQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms for a query (shared by list, count, export and bulk "apply to all")."""
    return _filter_conditions(session.get_bind().dialect.name, q)


def _filter_conditions(dialect: str, q: CustomerQuery) -> list[ColumnElement[bool]]:
    if _has_nul(q):
        return [false()]  # no stored text holds a NUL (validation refuses it): nothing can match
    where: list[ColumnElement[bool]] = []
    if q.archived == "active":
        where.append(C.archived_at.is_(None))
    elif q.archived == "archived":
        where.append(C.archived_at.is_not(None))
    if q.search:
        condition = _search_condition(dialect, q.search, q.search_mode == "scan", q.lead_word)
        if condition is not None:
            where.append(condition)
    for name in TEXT_FILTERS:
        value = getattr(q, name)
        if value:
            where.append(contains(dialect, getattr(C, name), value.strip()))
    for name in ADDRESS_FILTERS:
        value = getattr(q, name)
        if not value:
            continue
        column = getattr(m.Address, name)
        if name == "country_code":
            term = column == value.strip().upper()
        else:
            term = contains(dialect, column, value.strip())
        where.append(exists().where(m.Address.customer_id == C.id, term))
    for name, column in (
        ("sales_rep_id", C.default_sales_rep_id),
        ("pricing_tier_id", C.product_pricing_tier_id),
        ("store_id", C.store_id),
        ("warehouse_id", C.warehouse_id),
    ):
        value = getattr(q, name)
        if value is not None:
            where.append(column == value)
    for prefix, column in (("created", C.created_at), ("updated", C.updated_at), ("archived", C.archived_at)):
        start, end = getattr(q, f"{prefix}_from"), getattr(q, f"{prefix}_to")
        if start is not None:
            where.append(column >= start)
        if end is not None:
            where.append(column <= end)
    return where


# Each joined table, how it joins, and which sort keys need it inside the page query.
JOINS = (
    (ShipAddress, ShipAddress.id == C.default_shipping_address_id, ("city", "province", "zip", "country_code")),
    (Rep, Rep.id == C.default_sales_rep_id, ("sales_rep",)),
    (Tier, Tier.id == C.product_pricing_tier_id, ("pricing_tier",)),
    (StoreA, StoreA.id == C.store_id, ("store",)),
    (WarehouseA, WarehouseA.id == C.warehouse_id, ("warehouse",)),
)
# Sort keys of another table's column: no index of the customers' orders by them, so a sort by one sorts
# every matching row (fine for a search's hits, slow for a whole store of a million).
JOIN_SORTS = frozenset(key for _target, _onclause, keys in JOINS for key in keys)


def _with_joins(stmt: Select[Any], only_for: str | None = None) -> Select[Any]:
    for target, onclause, sort_keys in JOINS:
        if only_for is None or only_for in sort_keys:
            stmt = stmt.outerjoin(target, onclause)
    return stmt


def _ordered(
    q: CustomerQuery, key: ColumnElement[Any] | None = None, id_column: ColumnElement[Any] = C.id
) -> tuple[ColumnElement[Any], list[ColumnElement[Any]]]:
    key = SORT_KEYS[q.sort_column] if key is None else key
    if q.sort_column == "id":
        order = [id_column.desc() if q.descending else id_column.asc()]
    elif q.descending:
        order = [key.desc(), id_column.desc()]
    else:
        order = [key.asc(), id_column.asc()]
    return key, order


def _keyset(
    q: CustomerQuery, key: ColumnElement[Any], id_column: ColumnElement[Any] = C.id
) -> ColumnElement[bool]:
    """Rows after the cursor bound as :after_value / :after_id."""
    after_id = bindparam("after_id", type_=Integer)
    if q.sort_column == "id":
        return id_column < after_id if q.descending else id_column > after_id
    after_value = bindparam("after_value", type_=key.type)
    position = tuple_(key, id_column)
    mark = tuple_(after_value, after_id)
    # The plain range term lets SQLite seek the (key, id) index; the row comparison alone makes it scan.
    if q.descending:
        return and_(key <= after_value, position < mark)
    return and_(key >= after_value, position > mark)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError([FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])


@lru_cache(maxsize=256)
def _window_statement(dialect: str, q: CustomerQuery, keyset: bool, with_total: bool) -> Select[Any]:
    """The window query for one CustomerQuery, built once and reused (limit, offset and cursor are bound
    parameters), so paging costs SQLAlchemy neither statement construction nor compilation."""
    key, order = _ordered(q)
    total_column = func.count().over().label("total")
    if (dialect == "postgresql" and q.search and q.search.strip() and q.search_mode != "scan") \
            or q.search_mode == "gather":
        # PostgreSQL would walk the sort index and test every row against the search; gathering the
        # (few) hits first through the trigram indexes and sorting only those is far faster.
        hits = (
            _with_joins(select(C.id.label("id"), key.label("sort_value")).select_from(C), only_for=q.sort_column)
            .where(*_filter_conditions(dialect, q))
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        key, order = _ordered(q, hits.c.sort_value, hits.c.id)
        if with_total and not keyset:
            # Counted by one pass over the materialised hits, not a window function (which would copy
            # every hit once more before the sort): the same number, a few ms less on common terms.
            total_column = select(func.count()).select_from(hits).scalar_subquery().label("total")
        inner = select(hits.c.id, hits.c.sort_value, *([total_column] if with_total else []))
        if keyset:
            inner = inner.where(_keyset(q, hits.c.sort_value, hits.c.id))
    else:
        columns: list[Any] = [C.id.label("id"), key.label("sort_value")]
        if with_total:
            columns.append(total_column)
        inner = _with_joins(select(*columns).select_from(C), only_for=q.sort_column)
        inner = inner.where(*_filter_conditions(dialect, q))
        if keyset:
            inner = inner.where(_keyset(q, key))
    page = (
        inner.order_by(*order)
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
        .subquery("page")
    )
    outer_columns: list[Any] = [*ROW_COLUMNS, page.c.sort_value]
    if with_total:
        outer_columns.append(page.c.total)
    direction = (lambda c: c.desc()) if q.descending else (lambda c: c.asc())
    stmt = _with_joins(select(*outer_columns).select_from(page.join(C, C.id == page.c.id)))
    return stmt.order_by(direction(page.c.sort_value), direction(page.c.id))


def _window(
    session: Session,
    q: CustomerQuery,
    *,
    limit: int,
    after: Cursor | None = None,
    offset: int = 0,
    with_total: bool = False,
) -> tuple[list[CustomerRow], int | None]:
    """One window of rows. The ids are chosen, sorted and limited first (touching only what the filter
    and the sort need); the display columns are joined to those few rows only (a deferred join).
    With `with_total`, the total count comes from the same pass (window function)."""
    dialect = session.get_bind().dialect.name
    stmt = _window_statement(dialect, q, after is not None, with_total)
    params: dict[str, Any] = {"page_limit": limit, "page_offset": offset}
    if after is not None:
        params.update(after_value=after.value, after_id=after.id)
    # Core execution on the session's connection: plain rows, no ORM bookkeeping for a read of 100 rows.
    result = session.connection().execute(stmt, params).all()
    total: int | None = None
    if with_total:
        total = int(result[0][-1]) if result else 0
    width = len(ROW_COLUMNS) + 1  # the CustomerRow fields, in ROW_COLUMNS order, then sort_value
    rows = [CustomerRow(*r[:width]) for r in result]
    return rows, total


def count_customers(session: Session, q: CustomerQuery) -> int:
    if q.search_mode == "scan":  # counting every row is what the indexes are for
        q = q.with_(search_mode="index")
    stmt = select(func.count()).select_from(C).where(*filter_conditions(session, q))
    return int(session.execute(stmt).scalar_one())


def list_customers(
    session: Session,
    q: CustomerQuery = CustomerQuery(),
    *,
    limit: int = 100,
    after: Cursor | None = None,
    with_total: bool = True,
) -> CustomerPage:
    """A keyset window of `limit` rows after `after` (None = from the top), with the filtered total."""
    _check_limit(limit)
    # A search narrows the set first, so counting in the same pass is cheapest; without one, the page
    # walks an index in order and stops early, and the count is a separate index-only query.
    in_one_pass = with_total and after is None and bool(q.search and q.search.strip())
    rows, total = _window(session, q, limit=limit, after=after, with_total=in_one_pass)
    if total is None:
        total = count_customers(session, q) if with_total else -1
    next_cursor = rows[-1].cursor if len(rows) == limit else None
    return CustomerPage(rows=rows, total=total, next_cursor=next_cursor)


def list_customers_page(
    session: Session, q: CustomerQuery = CustomerQuery(), *, page: int = 1, limit: int = 100
) -> CustomerPage:
    """Page/limit access (1-based pages) for the command line and scripts."""
    _check_limit(limit)
    if page < 1:
        raise ValidationError([FieldError("page", "must be 1 or more")])
    q = search_plan(session, q)  # the window's way to read it (a common word walked, a rare one gathered)
    rows, _ = _window(session, q, limit=limit, offset=(page - 1) * limit)
    total = count_customers(session, q)
    return CustomerPage(rows=rows, total=total, next_cursor=rows[-1].cursor if len(rows) == limit else None)


def iter_customers(session: Session, q: CustomerQuery, *, chunk: int = 5000) -> Iterator[CustomerRow]:
    """Every matching row in the query's order, fetched in keyset chunks (constant memory)."""
    after: Cursor | None = None
    while True:
        rows, _ = _window(session, q, limit=chunk, after=after)
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1].cursor


def matching_ids(session: Session, q: CustomerQuery) -> Select[Any]:
    """A SELECT of the ids of every customer matching `q` (the whole filtered set, not one page)."""
    return select(C.id).where(*filter_conditions(session, q))
