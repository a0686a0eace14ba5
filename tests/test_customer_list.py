"""List Customers (DESIGN §2 item 1): search, filters, archived switch, sort, keyset and page/limit windows,
the total count — on SQLite (FTS5 trigram index) and PostgreSQL (pg_trgm + ILIKE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from desktop.services import customers as cs
from desktop.services.customer_list import (
    MAX_LIMIT,
    SORT_KEYS,
    CustomerQuery,
    CustomerRow,
    count_customers,
    iter_customers,
    list_customers,
    list_customers_page,
    search_plan,
)
from desktop.services.errors import ValidationError
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests import factories as f
from tests.conftest import BACKENDS

# Fictional customers. Keys are how the tests name them.
PEOPLE: dict[str, dict[str, Any]] = {
    "aroha": dict(
        name="Aroha Kowhai", company="Kowhai Traders Ltd", email="aroha@example.com", phone="+64 9 555 0101",
        address1="12 Kauri Street", city="Wellington", province="Wellington", zip="6011", country_code="NZ",
    ),
    "tane": dict(
        name="Tane Mahuta", email="tane@example.com", phone="+64 4 555 0202",
        address1="3 Rimu Road", city="Auckland", zip="1010", country_code="NZ",
        # Only the default *shipping* zip is searched: this billing zip must not be found by search.
        default_billing_address={"address1": "PO Box 77", "city": "Dunedin", "zip": "9016", "country_code": "NZ"},
    ),
    "mere": dict(
        name="Mere Rata", company="Rata & Co",
        address1="8 Totara Lane", city="Christchurch", zip="8011", country_code="NZ",
    ),
    "olivia": dict(
        name="Olivia Smith", company="Pohutukawa Imports", email="olivia.smith@example.com",
        phone="+61 2 5550 1234", address1="1 George Street", city="Sydney", province="New South Wales",
        province_code="NSW", zip="2000", country_code="AU",
    ),
    # LIKE wildcards, quotes and FTS5 syntax in the data; no address at all (NULL city/zip/country).
    "bob": dict(name="Bob O'Neil", company='100% Pure_Co AND "Sons" Ltd* 3/4 \\', email="bob@example.org"),
    "ana": dict(
        name="Ana Li", phone="613 555 0199", address1="80 Wellington St", city="Ottawa", province="Ontario",
        zip="K1A 0B1", country_code="CA",
    ),
    # Same name and company as Aroha apart from case: ties on the case-insensitive sorts.
    "twin": dict(
        name="AROHA KOWHAI", company="kowhai traders ltd", email="aroha.twin@example.com",
        address1="12 Kauri Street", city="Wellington", province="Wellington", zip="6011", country_code="NZ",
    ),
    "hemi": dict(
        name="Hemi Walker", email="hemi@example.com", address1="5 Matai Place", city="Nelson", zip="7010",
        country_code="NZ",
    ),
}
ARCHIVED = {"hemi"}
ACTIVE = set(PEOPLE) - ARCHIVED


@dataclass
class Directory:
    db: Database
    ids: dict[str, int]
    refs: dict[str, int]

    def key_of(self, customer_id: int) -> str:
        return {v: k for k, v in self.ids.items()}[customer_id]

    def keys(self, rows: list[CustomerRow]) -> list[str]:
        return [self.key_of(r.id) for r in rows]

    def rows(self, q: CustomerQuery = CustomerQuery()) -> list[CustomerRow]:
        return _list(self.db, q)


TIED = dt.datetime(2024, 3, 1, 12, 0)


def seed_directory(db: Database) -> Directory:
    with db.transaction() as s:
        refs = {
            "rep_mere": f.sales_rep(s, "Mere Tuhoe").id,
            "rep_wiremu": f.sales_rep(s, "wiremu Paki").id,
            "tier_gold": f.pricing_tier(s, "Gold").id,
            "tier_silver": f.pricing_tier(s, "silver").id,
            "store_wgtn": f.store(s, "Wellington shop").id,
            "wh_akl": f.warehouse(s, "Auckland DC").id,
        }
        ids = {k: cs.create_customer(s, v, allow_duplicate=True).id for k, v in PEOPLE.items()}
        settings = {
            "aroha": {"default_sales_rep_id": refs["rep_mere"], "product_pricing_tier_id": refs["tier_gold"]},
            "tane": {"product_pricing_tier_id": refs["tier_gold"], "warehouse_id": refs["wh_akl"]},
            "mere": {"store_id": refs["store_wgtn"]},
            "olivia": {"default_sales_rep_id": refs["rep_mere"], "product_pricing_tier_id": refs["tier_silver"],
                       "warehouse_id": refs["wh_akl"]},
            "ana": {"default_sales_rep_id": refs["rep_wiremu"]},
        }
        for key, values in settings.items():
            cs.update_customer(s, ids[key], values)
        for key in ARCHIVED:
            cs.archive_customer(s, ids[key])
    # Equal created/updated times on some customers, so the id tie-break of those sorts shows.
    _set_times(db, ids, ana=(TIED, TIED, None), bob=(TIED, TIED, None),
               mere=(TIED - dt.timedelta(days=1), TIED, None))
    return Directory(db, ids, refs)


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Overrides conftest's per-test store for this module: one store per back-end, seeded once and shared by
    the read-only tests below (it keeps the name so that the per-back-end summary counts these tests)."""
    return f.new_store_url(request, request.param)


@pytest.fixture(scope="module")
def listing(database_url: str) -> Iterator[Directory]:
    """The PEOPLE directory, shared read-only by the search, filter and sort tests."""
    database = open_database(database_url)
    try:
        yield seed_directory(database)
    finally:
        database.dispose()


@pytest.fixture
def directory(db: Database) -> Directory:
    """The PEOPLE directory in this test's own store (for tests that change it)."""
    return seed_directory(db)


def _list(db: Database, q: CustomerQuery = CustomerQuery()) -> list[CustomerRow]:
    with db.read() as s:
        return list_customers(s, q, limit=MAX_LIMIT).rows


def _set_times(db: Database, ids: dict[str, int], **times: tuple[dt.datetime, dt.datetime, dt.datetime | None]) -> None:
    with db.transaction() as s:
        for key, (created, updated, archived) in times.items():
            s.execute(update(m.Customer).where(m.Customer.id == ids[key])
                      .values(created_at=created, updated_at=updated, archived_at=archived))


# --- search -------------------------------------------------------------------------------------

SEARCHES = [
    ("aroha", {"aroha", "twin"}),                      # name, case-insensitive
    ("KOWHAI TRADERS", {"aroha", "twin"}),             # company, several words
    ("olivia.smith@", {"olivia"}),                     # email
    ("example.org", {"bob"}),
    ("555 0202", {"tane"}),                            # phone, every word must match
    ("6011", {"aroha", "twin"}),                       # default shipping zip
    ("k1a", {"ana"}),                                  # zip, case-insensitive
    ("9016", set()),                                   # a billing zip is not searched
    # The default shipping address's street lines, city and province (the customer API's "address fields").
    ("rimu road", {"tane"}),                           # address 1
    ("totara", {"mere"}),
    ("christchurch", {"mere"}),                        # city
    ("new south wales", {"olivia"}),                   # province
    ("ontario ana", {"ana"}),
    ("dunedin", set()),                                # a billing address is not searched
    ("po box", set()),
    ("aroha 6011", {"aroha", "twin"}),                 # words matched in different fields
    ("aroha 8011", set()),                             # all words must match
    ("twin aroha kowhai", {"twin"}),
    # Terms shorter than 3 characters match the start of the name, company, email or phone, or of the
    # default shipping address's street lines, city, province or zip (an index range each: at a million
    # customers "a" costs no scan).
    ("ar", {"aroha", "twin"}),
    ("Po", {"olivia"}),                                # company
    ("ol", {"olivia"}),                                # name and email
    ("+6", {"aroha", "tane", "olivia"}),               # phone
    ("61", {"ana"}),                                   # phone, from its first digit
    ("k1", {"ana"}),                                   # zip, case-insensitive
    ("10", {"bob", "tane"}),                           # company "100% …"; zip 1010
    ("Li", set()),                                     # "Ana Li": not the start of a field
    ("12", {"aroha", "twin"}),                         # address 1 "12 Kauri Street"
    ("80", {"ana", "mere"}),                           # address 1 "80 Wellington St"; zip 8011
    ("Sy", {"olivia"}),                                # city
    ("au", {"tane"}),                                  # city Auckland (not the email aroha@…)
    ("wE", {"aroha", "twin"}),                         # city and province Wellington, any case
    ("ne", {"olivia"}),                                # province New South Wales
    ("on ot", {"ana"}),                                # province Ontario, city Ottawa
    ("du", set()),                                     # Dunedin: a billing address is not searched
    ("an k1", {"ana"}),                                # two short terms
    ("an 0199", {"ana"}),                              # a short and a long term together
    ("Ltd", {"aroha", "twin", "bob"}),
    # Wildcards, quotes and FTS syntax match literally and never crash.
    ("%", set()),                                      # short: nothing starts with it
    ("1%", set()),                                     # as a LIKE pattern this would match "100%"
    ("1_", set()),
    ("100%", {"bob"}),
    ("_", set()),
    ("e_c", {"bob"}),                                  # as a LIKE pattern this would match "e.c" (example.com)
    ('"', set()),
    ('"Sons"', {"bob"}),
    ("'", set()),
    ("O'Neil", {"bob"}),
    ("*", set()),
    ("Ltd*", {"bob"}),                                 # not a prefix query
    ("AND", {"bob", "tane"}),                          # company "… AND …"; Auckl*and*, a city
    ("Ltd AND", {"bob"}),
    ("/", set()),                                      # the LIKE escape character itself
    ("/4", set()),
    ("3/4", {"bob"}),
    ("\\", set()),
    ("3/4 Bo", {"bob"}),
    ("aroha OR tane", set()),                          # OR is a word to find, not an operator
    ("-aroha", set()),
    ("NEAR(aroha tane)", set()),
    ("kauri:", set()),
    ("^aroha", set()),
    ("  aroha   ", {"aroha", "twin"}),
    ("   ", set(ACTIVE)),                              # blank search = no search
]


@pytest.mark.parametrize(("search", "expected"), SEARCHES, ids=[s for s, _ in SEARCHES])
def test_search(listing: Directory, search: str, expected: set[str]) -> None:
    q = CustomerQuery(search=search)
    assert set(listing.keys(listing.rows(q))) == expected
    with listing.db.read() as s:
        assert count_customers(s, q) == len(expected)
    # Read row by row in the sort's order (how a word most customers share is read), or gathered and then
    # sorted (a word with few hits): the same rows, in the same order.
    for mode in ("scan", "gather"):
        assert listing.keys(listing.rows(q.with_(search_mode=mode))) == listing.keys(listing.rows(q)), mode
    with listing.db.read() as s:  # the plan chosen for it (its probes see wildcards and quotes too)
        planned = search_plan(s, q)
    assert listing.keys(listing.rows(planned)) == listing.keys(listing.rows(q)), planned
    # PostgreSQL: any one word gathered through the indexes, the others compared row by row on its hits.
    for lead in range(len(search.split())):
        assert listing.keys(listing.rows(q.with_(lead_word=lead))) == listing.keys(listing.rows(q)), lead


@pytest.mark.parametrize("query", [
    {"search": "\x00"}, {"search": "aroha\x00"}, {"search": "ar\x00"}, {"name": "\x00"}, {"city": "\x00"},
], ids=["search-nul", "search-long-term-nul", "search-short-term-nul", "name-nul", "city-nul"])
def test_a_nul_character_matches_nothing_and_does_not_crash(listing: Directory, query: dict[str, str]) -> None:
    """No stored text can hold a NUL (validation refuses it), so a search or filter with one finds nothing."""
    q = CustomerQuery(**query)
    assert listing.rows(q) == []
    with listing.db.read() as s:
        assert count_customers(s, q) == 0


def test_case_is_ignored_beyond_ascii(db: Database) -> None:
    """Macrons and diaeresis fold like plain letters, for short and long search terms and for filters."""
    with db.transaction() as s:
        maui = cs.create_customer(s, {"name": "Māui Kōwhai", "company": "Zoë's Orchard", "city": "Ōtaki"}).id
        cs.create_customer(s, {"name": "Tane Mahuta", "city": "Otaki Beach"})
    queries = [
        {"search": "MĀUI"}, {"search": "kŌwhai"}, {"search": "MĀ"}, {"search": "mā"}, {"search": "ZOË'S"},
        {"search": "ōT"}, {"search": "ŌT"},  # the start of the city Ōtaki (not Otaki Beach)
        {"name": "MĀUI"}, {"company": "ZOË"}, {"city": "ōTAKI"},
    ]
    found = {str(q): [r.id for r in _list(db, CustomerQuery(**q))] for q in queries}
    assert found == {str(q): [maui] for q in queries}


def test_search_respects_the_archived_switch(listing: Directory) -> None:
    assert listing.rows(CustomerQuery(search="walker")) == []
    assert listing.keys(listing.rows(CustomerQuery(search="walker", archived="all"))) == ["hemi"]
    assert listing.keys(listing.rows(CustomerQuery(search="walker", archived="archived"))) == ["hemi"]


def test_search_follows_edits_of_name_email_and_zip(db: Database, directory: Directory) -> None:
    with db.transaction() as s:
        cs.update_customer(s, directory.ids["tane"], {"name": "Tane Nui", "email": "nui@example.net", "zip": "0610"})
    assert directory.keys(_list(db, CustomerQuery(search="tane nui"))) == ["tane"]
    assert directory.keys(_list(db, CustomerQuery(search="example.net"))) == ["tane"]
    assert directory.keys(_list(db, CustomerQuery(search="0610"))) == ["tane"]
    assert _list(db, CustomerQuery(search="mahuta")) == []
    assert _list(db, CustomerQuery(search="1010")) == []
    with db.transaction() as s:
        cs.delete_customer(s, directory.ids["mere"])
    assert _list(db, CustomerQuery(search="rata")) == []


# --- filters ------------------------------------------------------------------------------------

FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({"name": "KOWHAI"}, {"aroha", "twin"}),
    ({"name": "o'neil"}, {"bob"}),
    ({"name": "%"}, set()),
    ({"email": "@EXAMPLE.COM"}, {"aroha", "tane", "olivia", "twin"}),
    ({"company": "&"}, {"mere"}),
    ({"company": "pure_co"}, {"bob"}),
    ({"company": "e_c"}, {"bob"}),
    ({"company": "3/4"}, {"bob"}),
    ({"company": "/"}, {"bob"}),
    ({"phone": "0199"}, {"ana"}),
    ({"address1": "kauri"}, {"aroha", "twin"}),
    ({"city": "sydney"}, {"olivia"}),
    ({"province": "ontario"}, {"ana"}),
    ({"zip": "k1a"}, {"ana"}),
    ({"country_code": "nz"}, {"aroha", "tane", "mere", "twin"}),
    ({"country_code": "AU"}, {"olivia"}),
    ({"country_code": "NZ", "email": "example.com"}, {"aroha", "tane", "twin"}),
    ({"search": "example", "city": "auckland"}, {"tane"}),
    ({"city": "nelson"}, set()),                                      # Hemi is archived
    ({"city": "nelson", "archived": "all"}, {"hemi"}),
]


@pytest.mark.parametrize(("filters", "expected"), FILTERS, ids=[str(f) for f, _ in FILTERS])
def test_filters(listing: Directory, filters: dict[str, Any], expected: set[str]) -> None:
    q = CustomerQuery(**filters)
    assert set(listing.keys(listing.rows(q))) == expected
    with listing.db.read() as s:
        assert count_customers(s, q) == len(expected)


@pytest.mark.parametrize(("field", "ref", "expected"), [
    ("sales_rep_id", "rep_mere", {"aroha", "olivia"}),
    ("sales_rep_id", "rep_wiremu", {"ana"}),
    ("pricing_tier_id", "tier_gold", {"aroha", "tane"}),
    ("pricing_tier_id", "tier_silver", {"olivia"}),
    ("store_id", "store_wgtn", {"mere"}),
    ("warehouse_id", "wh_akl", {"tane", "olivia"}),
])
def test_reference_filters(listing: Directory, field: str, ref: str, expected: set[str]) -> None:
    q = CustomerQuery(**{field: listing.refs[ref]})
    assert set(listing.keys(listing.rows(q))) == expected
    with listing.db.read() as s:
        assert count_customers(s, q) == len(expected)


def test_rows_show_the_shipping_address_and_reference_names(listing: Directory) -> None:
    rows = {listing.key_of(r.id): r for r in listing.rows()}
    assert (rows["olivia"].sales_rep, rows["olivia"].pricing_tier, rows["olivia"].warehouse) == (
        "Mere Tuhoe", "silver", "Auckland DC")
    assert rows["mere"].store == "Wellington shop"
    assert (rows["tane"].city, rows["tane"].zip) == ("Auckland", "1010")  # the shipping address, not billing
    assert (rows["olivia"].province_code, rows["olivia"].country) == ("NSW", "Australia")
    assert (rows["bob"].city, rows["bob"].zip, rows["bob"].country_code) == (None, None, None)


T0 = dt.datetime(2024, 1, 1, 9, 0)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def dated(database_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[Database, dict[str, int]]]:
    """Three customers with known created / updated / archived times (two of them archived)."""
    with f.shared_store(request, _backend(database_url)) as database:
        with database.transaction() as s:
            ids = {k: cs.create_customer(s, PEOPLE[k], allow_duplicate=True).id for k in ("aroha", "tane", "mere")}
        _set_times(database, ids,
                   aroha=(T0, T0 + 2 * DAY, None),
                   tane=(T0 + 10 * DAY, T0 + 20 * DAY, T0 + 30 * DAY),
                   mere=(T0 + 20 * DAY, T0 + 40 * DAY, T0 + 50 * DAY))
        yield database, ids


@pytest.mark.parametrize(("filters", "expected"), [
    ({"archived": "all", "created_from": T0 + 10 * DAY}, {"tane", "mere"}),
    ({"archived": "all", "created_to": T0 + 10 * DAY}, {"aroha", "tane"}),   # bounds are inclusive
    ({"archived": "all", "created_from": T0 + 5 * DAY, "created_to": T0 + 15 * DAY}, {"tane"}),
    ({"archived": "all", "updated_from": T0 + 30 * DAY}, {"mere"}),
    ({"archived": "all", "updated_to": T0 + 29 * DAY}, {"aroha", "tane"}),
    ({"created_from": T0 + 10 * DAY}, set()),                                 # tane and mere are archived
    ({"archived": "all", "archived_from": T0 + 40 * DAY}, {"mere"}),
    ({"archived": "all", "archived_to": T0 + 35 * DAY}, {"tane"}),
    ({"archived": "archived", "archived_from": T0, "archived_to": T0 + 60 * DAY}, {"tane", "mere"}),
    ({"archived": "active", "archived_from": T0}, set()),
])
def test_date_range_filters(dated: tuple[Database, dict[str, int]], filters: dict[str, Any], expected: set[str]) -> None:
    database, ids = dated
    q = CustomerQuery(**filters)
    found = {r.id for r in _list(database, q)}
    assert {k for k, v in ids.items() if v in found} == expected
    with database.read() as s:
        assert count_customers(s, q) == len(expected)


@pytest.mark.parametrize(("archived", "expected"), [
    ("active", ACTIVE), ("archived", ARCHIVED), ("all", set(PEOPLE)),
])
def test_archived_switch(listing: Directory, archived: str, expected: set[str]) -> None:
    q = CustomerQuery(archived=archived)  # type: ignore[arg-type]
    rows = listing.rows(q)
    assert set(listing.keys(rows)) == expected
    assert all(r.archived == (listing.key_of(r.id) in ARCHIVED) for r in rows)
    with listing.db.read() as s:
        assert count_customers(s, q) == len(expected)


def test_default_query_shows_active_only(listing: Directory) -> None:
    with listing.db.read() as s:
        page = list_customers(s)
    assert set(listing.keys(page.rows)) == ACTIVE
    assert page.total == len(ACTIVE)


# --- sorting ------------------------------------------------------------------------------------

def _text(value: str | None) -> str:
    return (value or "").lower()


# What each sort key means, in Python (text ignores case; NULL sorts as an empty text).
EXPECTED_ORDER: dict[str, Callable[[CustomerRow], Any]] = {
    "id": lambda r: r.id,
    "name": lambda r: r.name.lower(),
    "company": lambda r: _text(r.company),
    "email": lambda r: _text(r.email),
    "phone": lambda r: r.phone or "",
    "created_at": lambda r: r.created_at,
    "updated_at": lambda r: r.updated_at,
    "city": lambda r: _text(r.city),
    "province": lambda r: _text(r.province),
    "zip": lambda r: r.zip or "",
    "country_code": lambda r: r.country_code or "",
    "sales_rep": lambda r: _text(r.sales_rep),
    "pricing_tier": lambda r: _text(r.pricing_tier),
    "store": lambda r: _text(r.store),
    "warehouse": lambda r: _text(r.warehouse),
    # Active customers (no archive time) first, as the oldest, on both back-ends.
    "archived_at": lambda r: r.archived_at or dt.datetime(1, 1, 1),
}


def test_every_sort_key_is_tested() -> None:
    assert set(SORT_KEYS) == set(EXPECTED_ORDER)


def _expected(rows: list[CustomerRow], sort: str) -> list[int]:
    """Ascending: (key, id); descending: the exact reverse, so ties go by id in the sort's direction."""
    key = EXPECTED_ORDER[sort.lstrip("-")]
    ordered = sorted(rows, key=lambda r: (key(r), r.id), reverse=sort.startswith("-"))
    return [r.id for r in ordered]


@pytest.mark.parametrize("sort", [p + k for k in EXPECTED_ORDER for p in ("", "-")])
def test_sort(listing: Directory, sort: str) -> None:
    rows = listing.rows(CustomerQuery(sort=sort, archived="all"))
    assert len(rows) == len(PEOPLE)
    assert [r.id for r in rows] == _expected(rows, sort)


def test_sort_examples(listing: Directory) -> None:
    """A few orders spelled out, so the Python model of the sort cannot be wrong in the same way."""
    ids = listing.ids

    def order(sort: str) -> list[int]:
        return [r.id for r in listing.rows(CustomerQuery(sort=sort))]

    assert order("name") == [ids[k] for k in ("ana", "aroha", "twin", "bob", "mere", "olivia", "tane")]
    # NULL companies first (as empty text) in id order, then "100% …", then the two Kowhai Traders by id.
    assert order("company") == [ids[k] for k in ("tane", "ana", "bob", "aroha", "twin", "olivia", "mere")]
    assert order("-company") == [ids[k] for k in ("mere", "olivia", "twin", "aroha", "bob", "ana", "tane")]
    assert order("-city")[-1] == ids["bob"]                  # no address: last when descending
    assert order("sales_rep")[-1] == ids["ana"]              # "wiremu Paki" after "Mere Tuhoe", case ignored
    assert order("created_at")[:3] == [ids["mere"], ids["bob"], ids["ana"]]   # bob and ana tie: by id
    assert order("-created_at")[-3:] == [ids["ana"], ids["bob"], ids["mere"]]


# --- keyset windows, page/limit, iteration -------------------------------------------------------

def _walk(db: Database, q: CustomerQuery, limit: int) -> tuple[list[int], list[int]]:
    seen: list[int] = []
    totals: list[int] = []
    after = None
    with db.read() as s:
        for _ in range(1000):
            page = list_customers(s, q, limit=limit, after=after)
            assert len(page.rows) <= limit
            seen.extend(r.id for r in page.rows)
            totals.append(page.total)
            if page.next_cursor is None:
                break
            after = page.next_cursor
        else:
            pytest.fail("keyset walk does not end")
    return seen, totals


CROWD = 43


@pytest.fixture(scope="module")
def crowd(database_url: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """43 customers with many ties and NULLs (bare rows, some with a shipping address, three via the service)."""
    companies = ["Kowhai Traders Ltd", None, "kowhai traders ltd", "Rata & Co", None, "Pohutukawa Imports"]
    same = dt.datetime(2024, 6, 1, 8, 30)
    with f.shared_store(request, _backend(database_url)) as database:
        with database.transaction() as s:
            ids = f.customers(s, [
                {"name": ["Aroha Kowhai", "Tane Mahuta", "aroha kowhai", "Mere Rata"][i % 4],
                 "company": companies[i % len(companies)],
                 "phone": None if i % 3 else f"+64 9 555 {i:04d}",
                 "created_at": same + dt.timedelta(minutes=i % 5),
                 "updated_at": same + dt.timedelta(minutes=i % 2)}
                for i in range(40)
            ])
            for i, cid in enumerate(ids[:12]):
                a = m.Address(customer_id=cid, city=["Nelson", None, "nelson"][i % 3], zip=[None, "7010"][i % 2],
                              dedup_key=f"k{i}")
                s.add(a)
                s.flush()
                s.execute(update(m.Customer).where(m.Customer.id == cid).values(default_shipping_address_id=a.id))
            for data in (PEOPLE["aroha"], PEOPLE["ana"], PEOPLE["bob"]):
                cs.create_customer(s, data, allow_duplicate=True)
        yield database


# Text, nullable text (company, phone, city, zip), timestamps with ties, and the id itself; both directions.
KEYSET_SORTS = ["name", "-name", "company", "-company", "-phone", "created_at", "-updated_at", "-city", "zip",
                "-id"]


@pytest.mark.parametrize("sort", KEYSET_SORTS)
def test_keyset_walk_yields_every_row_once_in_order(crowd: Database, sort: str) -> None:
    q = CustomerQuery(sort=sort)
    everything = _list(crowd, q)
    assert len(everything) == CROWD
    assert [r.id for r in everything] == _expected(everything, sort)
    seen, totals = _walk(crowd, q, 5)
    assert seen == [r.id for r in everything]
    assert set(totals) == {CROWD}


def test_keyset_walk_with_a_filter(crowd: Database) -> None:
    q = CustomerQuery(search="kowhai", sort="-company")
    everything = _list(crowd, q)
    assert 0 < len(everything) < CROWD
    seen, totals = _walk(crowd, q, 3)
    assert seen == [r.id for r in everything]
    assert set(totals) == {len(everything)}


def test_keyset_ends_after_an_exactly_full_last_page(crowd: Database) -> None:
    with crowd.read() as s:
        first = list_customers(s, CustomerQuery(sort="id"), limit=CROWD)
        assert len(first.rows) == CROWD
        if first.next_cursor is not None:
            rest = list_customers(s, CustomerQuery(sort="id"), limit=10, after=first.next_cursor)
            assert rest.rows == [] and rest.next_cursor is None


@pytest.mark.parametrize("sort", ["name", "-company", "city"])
def test_page_and_limit(crowd: Database, sort: str) -> None:
    q = CustomerQuery(sort=sort)
    everything = [r.id for r in _list(crowd, q)]
    collected: list[int] = []
    with crowd.read() as s:
        for page_no in range(1, 6):
            page = list_customers_page(s, q, page=page_no, limit=10)
            assert page.total == CROWD
            assert len(page.rows) == min(10, max(0, CROWD - (page_no - 1) * 10))
            collected.extend(r.id for r in page.rows)
        beyond = list_customers_page(s, q, page=50, limit=10)
    assert collected == everything
    assert beyond.rows == [] and beyond.total == CROWD


def test_iter_customers_streams_everything_in_order(crowd: Database) -> None:
    q = CustomerQuery(sort="-company")
    everything = [r.id for r in _list(crowd, q)]
    with crowd.read() as s:
        streamed = [r.id for r in iter_customers(s, q, chunk=5)]
    assert streamed == everything


def test_total_counts_the_filtered_set_not_the_page(crowd: Database) -> None:
    q = CustomerQuery(company="rata")
    with crowd.read() as s:
        page = list_customers(s, q, limit=2)
        assert len(page.rows) == 2
        assert page.total == count_customers(s, q) == sum(1 for i in range(40) if i % 6 == 3)
        assert page.next_cursor is not None


# --- invalid input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field"), [
    ({"sort": "colour"}, "sort"),
    ({"sort": "-colour"}, "sort"),
    ({"sort": ""}, "sort"),
    ({"sort": "name; drop table customers"}, "sort"),
    ({"archived": "deleted"}, "archived"),
    ({"archived": ""}, "archived"),
])
def test_invalid_query_is_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        CustomerQuery(**kwargs)
    assert exc.value.for_field(field)


def test_invalid_limit_and_page_are_refused(listing: Directory) -> None:
    with listing.db.read() as s:
        for limit in (0, -1, MAX_LIMIT + 1):
            with pytest.raises(ValidationError) as exc:
                list_customers(s, CustomerQuery(), limit=limit)
            assert exc.value.for_field("limit")
            with pytest.raises(ValidationError) as exc:
                list_customers_page(s, CustomerQuery(), page=1, limit=limit)
            assert exc.value.for_field("limit")
        with pytest.raises(ValidationError) as exc:
            list_customers_page(s, CustomerQuery(), page=0)
        assert exc.value.for_field("page")
        assert len(list_customers(s, CustomerQuery(), limit=1).rows) == 1
        assert len(list_customers(s, CustomerQuery(), limit=MAX_LIMIT).rows) == len(ACTIVE)


def test_search_follows_the_default_shipping_address(db: Database) -> None:
    """Its street lines, city and province are searched as they are now, on either back-end (SQLite: the
    index's triggers; PostgreSQL: the trigram indexes)."""
    from desktop.services import addresses as addr

    def found(term: str) -> list[str]:
        return [r.name for r in _list(db, CustomerQuery(search=term))]

    with db.transaction() as s:
        kiri = cs.create_customer(s, {"name": "Kiri Moss", "address1": "4 Harbour View", "address2": "Ahuriri",
                                      "city": "Napier", "country_code": "NZ"}).id
    assert found("harbour view") == found("ahuriri") == found("napier") == ["Kiri Moss"]
    with db.transaction() as s:
        cs.update_customer(s, kiri, {"city": "Hastings", "address2": ""})
    assert found("napier") == found("ahuriri") == [] and found("hastings") == ["Kiri Moss"]
    with db.transaction() as s:
        other = addr.add_address(s, kiri, {"address1": "7 Marine Parade", "city": "Gisborne",
                                           "province": "Tairawhiti"}).id
    assert found("gisborne") == []  # not the default shipping address
    with db.transaction() as s:
        addr.set_default_shipping_address(s, kiri, other)
    assert found("tairawhiti marine") == ["Kiri Moss"] and found("hastings") == []


def test_a_common_long_word_beside_a_rare_short_one_is_not_walked(db: Database, monkeypatch) -> None:
    """"hill st": streets with "hill" are everywhere, names starting with "st" are not; walking the store in
    name order comparing row by row would read it all for a few hits (SQLite's plan choice)."""
    from desktop.services import customer_list as cl

    with db.transaction() as s:
        for i in range(12):
            cs.create_customer(s, {"name": f"Aroha {i}", "address1": f"{i} Hill Road"}, allow_duplicate=True)
        cs.create_customer(s, {"name": "Stella Moana", "address1": "1 Hill Road"}, allow_duplicate=True)
    monkeypatch.setattr(cl, "SCAN_FROM_HITS", 10)
    monkeypatch.setattr(cl, "SCAN_SHORT_FROM_HITS", 5)
    with db.read() as s:
        if db.backend != "sqlite":
            assert cl.search_plan(s, CustomerQuery(search="hill st")).search_mode == "index"
            return
        assert cl.search_plan(s, CustomerQuery(search="hill")).search_mode == "scan"
        assert cl.search_plan(s, CustomerQuery(search="hill ar")).search_mode == "scan"  # "ar": common too
        assert cl.search_plan(s, CustomerQuery(search="hill st")).search_mode == "index"
    assert [r.name for r in _list(db, CustomerQuery(search="hill st"))] == ["Stella Moana"]


def test_a_short_word_common_in_the_address_fields_is_walked_in_order(db: Database, monkeypatch) -> None:
    """"au" (Auckland is the city of many) is read in name order, row by row, on either back-end; a rare
    short word is gathered through the indexes and sorted; the rows are the same either way."""
    from desktop.services import customer_list as cl

    with db.transaction() as s:
        for i in range(8):
            cs.create_customer(s, {"name": f"Kiri {i}", "address1": f"{i} Beach Road", "city": "Auckland"},
                               allow_duplicate=True)
        cs.create_customer(s, {"name": "Hemi Rua", "city": "Gisborne"}, allow_duplicate=True)
    monkeypatch.setattr(cl, "SCAN_SHORT_FROM_HITS", 5)
    monkeypatch.setattr(cl, "PG_SCAN_SHORT_FROM_HITS", 5)
    with db.read() as s:
        assert cl.search_plan(s, CustomerQuery(search="au")).search_mode == "scan"
        assert cl.search_plan(s, CustomerQuery(search="gi")).search_mode in ("gather", "index")
    assert [r.name for r in _list(db, CustomerQuery(search="au"))] == [f"Kiri {i}" for i in range(8)]
    assert [r.name for r in _list(db, CustomerQuery(search="Gi"))] == ["Hemi Rua"]
    assert [r.name for r in _list(db, CustomerQuery(search="3"))] == ["Kiri 3"]
    assert [r.name for r in _list(db, CustomerQuery(search="3 AU"))] == ["Kiri 3"]


def test_several_words_lead_with_the_rarest_short_one_on_postgresql(db: Database, monkeypatch) -> None:
    """"jo au": the customers whose fields start with "jo" are few, those in Auckland many; PostgreSQL
    gathers the few and compares the other word on them. Two common words are walked in name order."""
    from desktop.services import customer_list as cl

    with db.transaction() as s:
        for i in range(6):
            cs.create_customer(s, {"name": f"Kiri {i}", "city": "Auckland"}, allow_duplicate=True)
        cs.create_customer(s, {"name": "Jo Aperahama", "city": "Auckland"}, allow_duplicate=True)
        cs.create_customer(s, {"name": "Jo Rangi", "city": "Napier"}, allow_duplicate=True)
    monkeypatch.setattr(cl, "PG_LEAD_UP_TO_HITS", 5)
    with db.read() as s:
        plan = cl.search_plan(s, CustomerQuery(search="au jo"))
        if db.backend == "postgresql":
            assert (plan.search_mode, plan.lead_word) == ("index", 1)
            assert cl.search_plan(s, CustomerQuery(search="au ki")).search_mode == "scan"
        else:
            assert plan.lead_word is None
        # Words of three or more characters: PostgreSQL's own estimate of their hits decides.
        monkeypatch.setattr(cl, "SCAN_FROM_HITS", 10**9)
        assert cl.search_plan(s, CustomerQuery(search="kiri")).search_mode == "index"
        assert cl.search_plan(s, CustomerQuery(search="kiri auckland")).search_mode == "index"
        if db.backend == "postgresql":
            monkeypatch.setattr(cl, "SCAN_FROM_HITS", 1)
            assert cl.search_plan(s, CustomerQuery(search="kiri")).search_mode == "scan"
    assert [r.name for r in _list(db, CustomerQuery(search="au jo"))] == ["Jo Aperahama"]
    assert [r.name for r in _list(db, CustomerQuery(search="au ki"))] == [f"Kiri {i}" for i in range(6)]


def test_postgresql_sessions_plan_every_statement_for_its_values(db: Database) -> None:
    """A prepared search keeps its index ranges: PostgreSQL's generic plan of `LIKE $1 || '%'` would read
    every customer."""
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with db.read() as s:
        assert s.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
