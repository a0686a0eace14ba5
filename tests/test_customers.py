"""Customers (DESIGN §2 items 2–8): create, get, update with optimistic locking, ChangeLog, check deletable,
delete, archive / unarchive — on SQLite and PostgreSQL.

Refused operations run against one seeded store per back-end (`refusal_store`): each of them must leave
that store exactly as it was, which every such test checks, so they can share it.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.services import addresses as addr
from desktop.services import changelog
from desktop.services import customers as cs
from desktop.services.customer_list import CustomerQuery, list_customers
from desktop.services.errors import (
    ArchivedCustomer,
    ConflictError,
    DomainError,
    DuplicateCustomer,
    EmailTaken,
    Links,
    NotDeletable,
    NotFound,
    ValidationError,
)
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests import factories as f
from tests.conftest import BACKENDS
from tests.factories import create, get

AROHA: dict[str, Any] = dict(
    name="Aroha Kowhai", company="Kowhai Traders Ltd", email="aroha@example.com", phone="+64 9 555 0101",
    address1="12 Kauri Street", address2="Level 2", city="Wellington", province="Wellington", zip="6011",
    country_code="NZ",
)
BILLING: dict[str, Any] = dict(
    label="Accounts", name="Kowhai Traders Accounts", address1="PO Box 77", city="Dunedin", zip="9016",
    country_code="NZ",
)
TANE: dict[str, Any] = dict(name="Tane Mahuta", email="tane@example.com", address1="3 Rimu Road", zip="1010")


@dataclass(frozen=True)
class Entry:
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]
    os_user: str | None
    created_at: Any


def history(db: Database, customer_id: int) -> list[Entry]:
    """The customer's ChangeLog, oldest first."""
    with db.read() as s:
        return [Entry(e.entity, e.entity_id, e.action, e.changes, e.os_user, e.created_at)
                for e in reversed(changelog.history(s, "customer", customer_id))]


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a customer operation may touch."""
    tables = (m.Customer, m.Address, m.ChangeLog, m.SalesOrder)
    with db.read() as s:
        return {
            model.__tablename__: [tuple(r) for r in s.execute(select(model.__table__).order_by(model.__table__.c.id))]
            for model in tables
        }


# --- the shared store for refusals ----------------------------------------------------------------

@dataclass
class Seeded:
    db: Database
    ids: dict[str, int]
    refs: dict[str, int]
    versions: dict[str, int]


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Overrides conftest's per-test store for this module's refusal tests: one store per back-end, shared
    (it keeps the name so that the per-back-end summary counts these tests)."""
    return f.new_store_url(request, request.param)


@pytest.fixture(scope="module")
def refusal_store(database_url: str) -> Iterator[Seeded]:
    database = open_database(database_url)
    try:
        with database.transaction() as s:
            refs = {
                "rep": f.sales_rep(s, "Mere Tuhoe").id,
                "tier": f.pricing_tier(s, "Gold").id,
                "store": f.store(s, "Wellington shop").id,
                "warehouse": f.warehouse(s, "Auckland DC").id,
                "domestic": f.shipping_method(s, "NZ Post").id,
                "international": f.shipping_method(s, "DHL Express", is_international=True).id,
            }
            aroha = cs.create_customer(s, {**AROHA, "default_sales_rep_id": refs["rep"]})
            tane = cs.create_customer(s, TANE)
            f.sales_order(s, tane.id)
            hemi = cs.create_customer(s, {"name": "Hemi Walker", "email": "hemi@example.com"})
            cs.archive_customer(s, hemi.id)
            ids = {"aroha": aroha.id, "tane": tane.id, "hemi": hemi.id}
        versions = {k: get(database, v).version for k, v in ids.items()}
        yield Seeded(database, ids, refs, versions)
    finally:
        database.dispose()


Op = Callable[[Session, Seeded], Any]


def _create(data: dict[str, Any], **kwargs: Any) -> Op:
    return lambda s, st: cs.create_customer(s, data, **kwargs)


def _update(key: str, data: Op | dict[str, Any], **kwargs: Any) -> Op:
    def op(s: Session, st: Seeded) -> Any:
        values = data(s, st) if callable(data) else data
        return cs.update_customer(s, st.ids[key], values, **kwargs)
    return op


def _stale(fn: Callable[..., Any], key: str) -> Op:
    return lambda s, st: fn(s, st.ids[key], expected_version=st.versions[key] - 1)


def _ref(field: str, ref: str) -> Op:
    return lambda s, st: {field: st.refs[ref]}


LONG = "x" * 201
REFUSALS: list[tuple[str, Op, type[DomainError], str | None]] = [
    # create: required name
    ("create-no-name", _create({"email": "nobody@example.com"}), ValidationError, "name"),
    ("create-empty-name", _create({"name": ""}), ValidationError, "name"),
    ("create-blank-name", _create({"name": "   "}), ValidationError, "name"),
    ("create-none-name", _create({"name": None}), ValidationError, "name"),
    # create: default settings only on update (real rows, so only the rule can refuse them)
    *[
        (f"create-{field}", lambda s, st, field=field, ref=ref: cs.create_customer(
            s, {"name": "Olivia Smith", field: st.refs[ref]}), ValidationError, field)
        for field, ref in [
            ("product_pricing_tier_id", "tier"), ("store_id", "store"), ("warehouse_id", "warehouse"),
            ("shipping_method_domestic_id", "domestic"), ("shipping_method_international_id", "international"),
        ]
    ],
    # create: unknown fields
    ("create-unknown-field", _create({"name": "Olivia Smith", "colour": "blue"}), ValidationError, "colour"),
    ("create-id", _create({"name": "Olivia Smith", "id": 7}), ValidationError, "id"),
    ("create-version", _create({"name": "Olivia Smith", "version": 7}), ValidationError, "version"),
    ("create-archived_at", _create({"name": "Olivia Smith", "archived_at": "2024-01-01"}), ValidationError,
     "archived_at"),
    ("create-default-shipping-id", _create({"name": "Olivia Smith", "default_shipping_address_id": 1}),
     ValidationError, "default_shipping_address_id"),
    # create: field validation
    ("create-bad-email", _create({"name": "Olivia Smith", "email": "not-an-email"}), ValidationError, "email"),
    ("create-bad-email-2", _create({"name": "Olivia Smith", "email": "olivia@@example.com"}), ValidationError,
     "email"),
    ("create-unknown-country", _create({"name": "Olivia Smith", "country_code": "XX"}), ValidationError,
     "country_code"),
    ("create-country-code-4", _create({"name": "Olivia Smith", "country_code": "NZLD"}), ValidationError,
     "country_code"),
    ("create-name-201", _create({"name": LONG}), ValidationError, "name"),
    ("create-company-201", _create({"name": "Olivia Smith", "company": LONG}), ValidationError, "company"),
    ("create-address1-201", _create({"name": "Olivia Smith", "address1": LONG}), ValidationError, "address1"),
    ("create-zip-21", _create({"name": "Olivia Smith", "zip": "1" * 21}), ValidationError, "zip"),
    ("create-notes-4001", _create({"name": "Olivia Smith", "notes": "n" * 4001}), ValidationError, "notes"),
    ("create-nul", _create({"name": "Olivia Smith", "company": "Kowhai\x00Traders"}), ValidationError, "company"),
    ("create-bell", _create({"name": "Olivia\x07Smith"}), ValidationError, "name"),
    ("create-escape", _create({"name": "Olivia Smith", "city": "Wellington\x1b[2J"}), ValidationError, "city"),
    ("create-del", _create({"name": "Olivia Smith\x7f"}), ValidationError, "name"),
    ("create-c1", _create({"name": "Olivia Smith", "address2": "Level\x852"}), ValidationError, "address2"),
    ("create-line-break", _create({"name": "Olivia Smith", "address1": "12 Kauri\nStreet"}), ValidationError,
     "address1"),
    ("create-phone-words", _create({"name": "Olivia Smith", "phone": "call me"}), ValidationError, "phone"),
    ("create-phone-short", _create({"name": "Olivia Smith", "phone": "12"}), ValidationError, "phone"),
    ("create-phone-impossible", _create({"name": "Olivia Smith", "phone": "+64 1"}), ValidationError, "phone"),
    ("create-phone-impossible-nz", _create({"name": "Olivia Smith", "phone": "123", "country_code": "NZ"}),
     ValidationError, "phone"),
    ("create-fax", _create({"name": "Olivia Smith", "fax": "fax me"}), ValidationError, "fax"),
    ("create-zip-chars", _create({"name": "Olivia Smith", "zip": "60#11"}), ValidationError, "zip"),
    ("create-zip-start", _create({"name": "Olivia Smith", "zip": "-6011"}), ValidationError, "zip"),
    # create: references
    ("create-missing-rep", _create({"name": "Olivia Smith", "default_sales_rep_id": 999_999}), ValidationError,
     "default_sales_rep_id"),
    ("create-rep-not-an-id", _create({"name": "Olivia Smith", "default_sales_rep_id": "Mere"}), ValidationError,
     "default_sales_rep_id"),
    ("create-rep-zero", _create({"name": "Olivia Smith", "default_sales_rep_id": 0}), ValidationError,
     "default_sales_rep_id"),
    ("create-rep-bool", _create({"name": "Olivia Smith", "default_sales_rep_id": True}), ValidationError,
     "default_sales_rep_id"),
    # create: the separate billing address
    ("create-billing-not-mapping", _create({"name": "Olivia Smith", "default_billing_address": "PO Box 77"}),
     ValidationError, "default_billing_address"),
    ("create-billing-bad-zip", _create({"name": "Olivia Smith", "default_billing_address": {"zip": "!!"}}),
     ValidationError, "default_billing_address.zip"),
    ("create-billing-empty", _create({"name": "Olivia Smith", "default_billing_address": {"label": "Home"}}),
     ValidationError, "default_billing_address.address1"),
    ("create-billing-unknown", _create({"name": "Olivia Smith",
                                        "default_billing_address": {"address1": "PO Box 77", "colour": "red"}}),
     ValidationError, "default_billing_address.colour"),
    # create: email unique, case-insensitively, also against archived customers
    ("create-email-taken", _create({"name": "Olivia Smith", "email": "aroha@example.com"}), EmailTaken, None),
    ("create-email-taken-case", _create({"name": "Olivia Smith", "email": "AROHA@Example.COM"}), EmailTaken, None),
    ("create-email-taken-archived", _create({"name": "Olivia Smith", "email": "Hemi@example.com"}), EmailTaken,
     None),
    # create: duplicate by the Find Match rule
    ("create-duplicate", _create({"name": "aroha kowhai", "address1": "12 KAURI ST.", "zip": "6011"}),
     DuplicateCustomer, None),
    ("create-duplicate-by-company", _create({"name": "Kowhai Traders Ltd", "address1": "12 Kauri Street",
                                             "zip": " 6011 "}), DuplicateCustomer, None),
    # update
    ("update-unknown", lambda s, st: cs.update_customer(s, 999_999, {"phone": "+64 9 555 0199"}), NotFound, None),
    ("update-clear-name", _update("aroha", {"name": ""}), ValidationError, "name"),
    ("update-none-name", _update("aroha", {"name": None}), ValidationError, "name"),
    ("update-long-name", _update("aroha", {"name": LONG}), ValidationError, "name"),
    ("update-bad-email", _update("aroha", {"email": "aroha at example.com"}), ValidationError, "email"),
    ("update-email-taken", _update("tane", {"email": "Aroha@Example.com"}), EmailTaken, None),
    ("update-bad-zip", _update("aroha", {"zip": "60#11"}), ValidationError, "zip"),
    ("update-unknown-country", _update("aroha", {"country_code": "XX"}), ValidationError, "country_code"),
    ("update-unknown-field", _update("aroha", {"colour": "blue"}), ValidationError, "colour"),
    ("update-billing-not-here", _update("aroha", {"default_billing_address": dict(BILLING)}), ValidationError,
     "default_billing_address"),
    *[
        (f"update-missing-{field}", _update("aroha", {field: 999_999}), ValidationError, field)
        for field in ("default_sales_rep_id", "product_pricing_tier_id", "store_id", "warehouse_id",
                      "shipping_method_domestic_id", "shipping_method_international_id")
    ],
    ("update-stale-version", lambda s, st: cs.update_customer(
        s, st.ids["aroha"], {"phone": "+64 9 555 0199"}, expected_version=st.versions["aroha"] - 1),
     ConflictError, None),
    ("update-stale-with-default-settings", _update("aroha", _ref("store_id", "store"),
                                                   expected_version=0), ConflictError, None),
    # delete / archive
    ("delete-unknown", lambda s, st: cs.delete_customer(s, 999_999), NotFound, None),
    ("delete-linked", lambda s, st: cs.delete_customer(s, st.ids["tane"]), NotDeletable, None),
    ("delete-stale", _stale(cs.delete_customer, "aroha"), ConflictError, None),
    ("archive-unknown", lambda s, st: cs.archive_customer(s, 999_999), NotFound, None),
    ("archive-stale", _stale(cs.archive_customer, "aroha"), ConflictError, None),
    ("unarchive-unknown", lambda s, st: cs.unarchive_customer(s, 999_999), NotFound, None),
    ("unarchive-stale", _stale(cs.unarchive_customer, "hemi"), ConflictError, None),
    ("ensure-active-archived", lambda s, st: cs.ensure_active(s, st.ids["hemi"]), ArchivedCustomer, None),
    ("ensure-active-unknown", lambda s, st: cs.ensure_active(s, 999_999), NotFound, None),
]


@pytest.mark.parametrize(("op", "error", "field"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_operation_changes_nothing(
    refusal_store: Seeded, op: Op, error: type[DomainError], field: str | None
) -> None:
    before = snapshot(refusal_store.db)
    with pytest.raises(error) as exc:
        with refusal_store.db.transaction() as s:
            op(s, refusal_store)
    assert str(exc.value)
    if field is not None:
        assert isinstance(exc.value, ValidationError)
        assert exc.value.for_field(field), exc.value.errors
    assert snapshot(refusal_store.db) == before


def test_validation_reports_every_bad_field_at_once(refusal_store: Seeded) -> None:
    with pytest.raises(ValidationError) as exc:
        with refusal_store.db.transaction() as s:
            cs.create_customer(s, {"name": "", "email": "nope", "zip": "#", "country_code": "XX", "colour": 1})
    assert {e.field for e in exc.value.errors} == {"name", "email", "zip", "country_code", "colour"}
    assert "201 characters" in "; ".join(
        _validation_messages(refusal_store, {"name": LONG}))


def _validation_messages(st: Seeded, data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        with st.db.transaction() as s:
            cs.create_customer(s, data)
    return [str(e) for e in exc.value.errors]


def test_missing_reference_names_the_record(refusal_store: Seeded) -> None:
    messages = _validation_messages(refusal_store, {"name": "Olivia Smith", "default_sales_rep_id": 999_999})
    assert messages == ["default_sales_rep_id: refers to sales rep 999999, which does not exist"]


def test_email_taken_names_the_owner(refusal_store: Seeded) -> None:
    with pytest.raises(EmailTaken) as exc:
        with refusal_store.db.transaction() as s:
            cs.create_customer(s, {"name": "Olivia Smith", "email": "ArOhA@example.com"})
    assert exc.value.customer_id == refusal_store.ids["aroha"]


def test_duplicate_carries_the_candidates(refusal_store: Seeded) -> None:
    with pytest.raises(DuplicateCustomer) as exc:
        with refusal_store.db.transaction() as s:
            cs.create_customer(s, {"name": "Aroha Kowhai", "address1": "12 Kauri St", "zip": "6011"})
    [candidate] = exc.value.candidates
    assert candidate.customer_id == refusal_store.ids["aroha"]
    assert (candidate.address1, candidate.zip) == ("12 Kauri Street", "6011")
    assert candidate.address1_score == candidate.name_score == candidate.zip_score == candidate.score == 100.0
    assert "Aroha Kowhai" in str(exc.value)


# --- create ---------------------------------------------------------------------------------------

def test_create_with_a_name_only(db: Database) -> None:
    created = create(db, {"name": "  Olivia Smith  ", "company": "", "notes": "Prefers email.\nNo calls."})
    assert (created.name, created.company, created.notes) == ("Olivia Smith", None, "Prefers email.\nNo calls.")
    assert created.addresses == []
    assert created.default_shipping_address_id is None and created.default_billing_address_id is None
    assert created.archived is False
    assert get(db, created.id) == created


def test_create_root_address_becomes_default_shipping_and_billing(db: Database) -> None:
    created = create(db, AROHA)
    [address] = created.addresses
    assert created.default_shipping_address_id == created.default_billing_address_id == address.id
    assert address.is_default_shipping and address.is_default_billing
    assert created.default_shipping_address == created.default_billing_address == address
    # The address carries the customer's own name / company / email / phone.
    assert (address.name, address.company, address.email, address.phone) == (
        "Aroha Kowhai", "Kowhai Traders Ltd", "aroha@example.com", "+64 9 555 0101")
    assert (address.address1, address.address2, address.city, address.province, address.zip) == (
        "12 Kauri Street", "Level 2", "Wellington", "Wellington", "6011")
    assert (address.country_code, address.country) == ("NZ", "New Zealand")
    with db.read() as s:
        assert f.count(s, m.Address) == 1


def test_create_with_a_separate_billing_address(db: Database) -> None:
    created = create(db, {**AROHA, "default_billing_address": BILLING})
    shipping, billing = created.addresses
    assert created.default_shipping_address_id == shipping.id != created.default_billing_address_id == billing.id
    assert (shipping.is_default_shipping, shipping.is_default_billing) == (True, False)
    assert (billing.is_default_shipping, billing.is_default_billing) == (False, True)
    assert (billing.label, billing.name, billing.address1, billing.zip, billing.country) == (
        "Accounts", "Kowhai Traders Accounts", "PO Box 77", "9016", "New Zealand")
    assert shipping.address1 == "12 Kauri Street"


def test_billing_equal_to_shipping_is_one_address(db: Database) -> None:
    same_place = {"address1": "12 KAURI ST.", "address2": "level 2", "city": "wellington",
                  "province": "Wellington", "zip": "60 11", "country": "New Zealand"}
    created = create(db, {**AROHA, "default_billing_address": same_place})
    [address] = created.addresses
    assert created.default_shipping_address_id == created.default_billing_address_id == address.id
    assert address.address1 == "12 Kauri Street"
    with db.read() as s:
        assert f.count(s, m.Address) == 1


def test_create_with_billing_address_only(db: Database) -> None:
    created = create(db, {"name": "Olivia Smith", "default_billing_address": BILLING})
    [billing] = created.addresses
    assert created.default_billing_address_id == billing.id
    assert created.default_shipping_address_id is None


COUNTRIES: list[tuple[dict[str, str], str | None, str]] = [
    ({"country_code": "nz"}, "NZ", "New Zealand"),
    ({"country_code": "GB"}, "GB", "United Kingdom"),
    ({"country_code": "NZL"}, "NZ", "New Zealand"),             # alpha-3
    ({"country": "New Zealand"}, "NZ", "New Zealand"),
    ({"country": "australia"}, "AU", "Australia"),             # the country's own name, whatever the case
    ({"country": "Aotearoa"}, "NZ", "New Zealand"),            # a common alias
    ({"country": "NZ"}, "NZ", "New Zealand"),                  # a code in the country column
    ({"country": "UK"}, "GB", "United Kingdom"),
    ({"country": "Aotearoa", "country_code": "NZ"}, "NZ", "New Zealand"),
]


def test_an_unknown_country_is_refused_naming_it(db: Database) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as refused:
        cs.create_customer(s, {"name": "Olivia Smith", "city": "Somewhere", "country": "Narnia"})
    assert [(e.field, e.message.split(":")[0]) for e in refused.value.errors] == [
        ("country", "'Narnia' is not a country this app knows")]
    with db.transaction() as s, pytest.raises(ValidationError) as refused:
        cs.create_customer(s, {"name": "Olivia Smith", "city": "Somewhere", "country": "France",
                               "country_code": "NZ"})
    assert "is another country than the code 'NZ'" in refused.value.errors[0].message


def test_country_name_and_code_fill_each_other(db: Database) -> None:
    found = []
    with db.transaction() as s:
        for given, _code, _country in COUNTRIES:
            [address] = cs.create_customer(s, {"name": "Olivia Smith", "city": "Somewhere", **given}).addresses
            found.append((address.country_code, address.country))
    assert found == [(code, country) for _given, code, country in COUNTRIES]


def test_create_accepts_values_at_the_limits(db: Database) -> None:
    created = create(db, {
        "name": "A" * 200, "email": "Aroha.Kowhai@EXAMPLE.com", "phone": "+64 9 555 0101 ext 12",
        "fax": "+1 (613) 555-0102", "zip": "K1A 0B1", "country_code": "CA", "notes": "n" * 4000,
    })
    assert len(created.name) == 200
    assert created.email == "Aroha.Kowhai@example.com"          # domain normalised, mailbox kept
    assert created.phone == "+64 9 555 0101 ext 12"
    assert created.addresses[0].zip == "K1A 0B1"


def test_create_refuses_a_duplicate_with_ranked_candidates(db: Database) -> None:
    first = create(db, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "6011"})
    typo = create(db, {"name": "Arohaa Kowhai", "address1": "12 Kauri St", "zip": "60 11"}, allow_duplicate=True)
    create(db, {"name": "Aroha Kowhai", "address1": "40 Rimu Road", "zip": "6011"})       # other street
    create(db, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "6012"})    # other zip
    create(db, {"name": "Tane Mahuta", "address1": "12 Kauri Street", "zip": "6011"},     # other name
           allow_duplicate=True)
    data = {"name": "AROHA KOWHAI", "email": "aroha@example.com", "address1": "12 kauri street", "zip": "6011"}
    with pytest.raises(DuplicateCustomer) as exc:
        create(db, data)
    candidates = exc.value.candidates
    assert [c.customer_id for c in candidates] == [first.id, typo.id]
    assert candidates[0].score == 100.0
    assert candidates[0].score > candidates[1].score >= 90
    assert candidates[1].address1_score == 100.0 and 80 <= candidates[1].name_score < 100
    assert {c.zip_score for c in candidates} == {100.0}
    with db.read() as s:
        assert f.count(s, m.Customer) == 5
    forced = create(db, data, allow_duplicate=True)
    with db.read() as s:
        assert f.count(s, m.Customer) == 6
    assert get(db, forced.id).email == "aroha@example.com"


# --- get ------------------------------------------------------------------------------------------

def test_get_customer_with_addresses_and_sales_rep(db: Database) -> None:
    with db.transaction() as s:
        rep = f.sales_rep(s, "Mere Tuhoe", "mere@example.com")
        created = cs.create_customer(s, {**AROHA, "default_sales_rep_id": rep.id, "default_billing_address": BILLING})
        extra = addr.add_address(s, created.id, {"label": "Bach", "address1": "1 Beach Road", "zip": "3506"})
    got = get(db, created.id)
    assert got.default_sales_rep_id == rep.id and got.default_sales_rep == "Mere Tuhoe"
    assert [a.id for a in got.addresses] == sorted(a.id for a in got.addresses)
    flags = {a.id: (a.is_default_shipping, a.is_default_billing) for a in got.addresses}
    assert flags == {created.default_shipping_address_id: (True, False),
                     created.default_billing_address_id: (False, True),
                     extra.id: (False, False)}
    assert got.default_shipping_address is not None and got.default_shipping_address.address1 == "12 Kauri Street"


def test_get_unknown_customer(refusal_store: Seeded) -> None:
    with refusal_store.db.read() as s:
        with pytest.raises(NotFound) as exc:
            cs.get_customer(s, 999_999)
    assert (exc.value.entity, exc.value.entity_id) == ("customer", 999_999)
    assert "999999 does not exist" in str(exc.value)


# --- update ---------------------------------------------------------------------------------------

def test_update_changes_only_the_given_fields(db: Database) -> None:
    before = create(db, {**AROHA, "fax": "+64 9 555 0102", "notes": "VIP"})
    with db.transaction() as s:
        after = cs.update_customer(s, before.id, {"phone": "+64 9 555 0199"}, expected_version=before.version)
    assert after.phone == "+64 9 555 0199"
    assert after.version == before.version + 1
    unchanged = ("name", "company", "email", "fax", "notes", "default_shipping_address_id",
                 "default_billing_address_id", "created_at")
    assert {k: getattr(after, k) for k in unchanged} == {k: getattr(before, k) for k in unchanged}
    assert after.addresses == before.addresses
    assert get(db, before.id) == after


def test_update_can_clear_optional_fields(db: Database) -> None:
    before = create(db, AROHA)
    with db.transaction() as s:
        after = cs.update_customer(s, before.id, {"company": "", "email": None})
    assert (after.company, after.email, after.name) == (None, None, "Aroha Kowhai")


def test_update_sets_default_settings(db: Database) -> None:
    with db.transaction() as s:
        refs = {
            "default_sales_rep_id": f.sales_rep(s).id,
            "product_pricing_tier_id": f.pricing_tier(s).id,
            "store_id": f.store(s).id,
            "warehouse_id": f.warehouse(s).id,
            "shipping_method_domestic_id": f.shipping_method(s).id,
            "shipping_method_international_id": f.shipping_method(s, is_international=True).id,
        }
        created = cs.create_customer(s, AROHA)
    with db.transaction() as s:
        cs.update_customer(s, created.id, refs)
    got = get(db, created.id)
    assert {k: getattr(got, k) for k in refs} == refs
    assert got.default_sales_rep == "Mere Tuhoe"
    [entry] = [h for h in history(db, created.id) if h.action == "update"]
    assert entry.changes == {k: [None, v] for k, v in refs.items()}


def test_update_email_to_own_email_in_other_case(db: Database) -> None:
    created = create(db, AROHA)
    with db.transaction() as s:
        updated = cs.update_customer(s, created.id, {"email": "Aroha@EXAMPLE.com"})
    assert updated.email == "Aroha@example.com"


def test_update_root_address_fields_edit_the_default_shipping_address(db: Database) -> None:
    created = create(db, {**AROHA, "default_billing_address": BILLING})
    shipping_before, billing_before = created.addresses
    with db.transaction() as s:
        updated = cs.update_customer(s, created.id, {"city": "Lower Hutt", "zip": "5010", "country": "Australia"})
    shipping, billing = updated.addresses
    assert shipping.id == updated.default_shipping_address_id == shipping_before.id
    assert (shipping.city, shipping.zip, shipping.country_code, shipping.country) == (
        "Lower Hutt", "5010", "AU", "Australia")
    assert (shipping.address1, shipping.address2, shipping.name) == ("12 Kauri Street", "Level 2", "Aroha Kowhai")
    assert billing == billing_before
    entry = history(db, created.id)[-1]
    assert entry.action == "update"
    assert entry.changes["shipping.city"] == ["Wellington", "Lower Hutt"]
    assert entry.changes["shipping.zip"] == ["6011", "5010"]


def test_update_root_address_fields_add_a_default_address_when_there_is_none(db: Database) -> None:
    created = create(db, {"name": "Olivia Smith", "email": "olivia@example.com"})
    with db.transaction() as s:
        updated = cs.update_customer(s, created.id, {"address1": "1 George Street", "zip": "2000",
                                                     "country_code": "AU"})
    [address] = updated.addresses
    assert updated.default_shipping_address_id == updated.default_billing_address_id == address.id
    assert (address.address1, address.name, address.email, address.country) == (
        "1 George Street", "Olivia Smith", "olivia@example.com", "Australia")


def test_update_without_a_change_writes_nothing(db: Database) -> None:
    created = create(db, AROHA)
    entries = len(history(db, created.id))
    with db.transaction() as s:
        same = cs.update_customer(s, created.id, {"phone": "+64 9 555 0101", "city": "Wellington"},
                                  expected_version=created.version)
    assert same.version == created.version
    assert len(history(db, created.id)) == entries


def test_stale_version_is_refused_and_keeps_the_first_change(db: Database) -> None:
    created = create(db, AROHA)
    seen = created.version
    with db.transaction() as s:
        cs.update_customer(s, created.id, {"phone": "+64 9 555 0111"}, expected_version=seen)
    with pytest.raises(ConflictError) as exc:
        with db.transaction() as s:
            cs.update_customer(s, created.id, {"phone": "+64 9 555 0222"}, expected_version=seen)
    assert (exc.value.expected, exc.value.actual) == (seen, seen + 1)
    assert "changed by someone else" in str(exc.value)
    assert get(db, created.id).phone == "+64 9 555 0111"


def _second_database(db: Database) -> Database:
    return open_database(db.url.render_as_string(hide_password=False))


def _phone(d: cs.CustomerDetail) -> str | None:
    return d.phone


def _city(d: cs.CustomerDetail) -> str | None:
    return d.default_shipping_address.city if d.default_shipping_address else None


@pytest.mark.parametrize(("first", "second", "read"), [
    ({"phone": "+64 9 555 0111"}, {"phone": "+64 9 555 0222"}, _phone),
    # Root address fields: the change lives on the default shipping address, but it is still the customer's.
    ({"city": "Lower Hutt"}, {"city": "Porirua"}, _city),
], ids=["customer-field", "root-address-field"])
def test_two_clerks_on_two_connections(
    db: Database, first: dict[str, str], second: dict[str, str], read: Callable[[cs.CustomerDetail], Any]
) -> None:
    """Both clerks open the customer at version v; the first saves; the second's save must conflict."""
    created = create(db, AROHA)
    other = _second_database(db)
    try:
        with db.read() as s:
            seen_by_a = cs.get_customer(s, created.id).version
        with other.read() as s:
            seen_by_b = cs.get_customer(s, created.id).version
        assert seen_by_a == seen_by_b
        with db.transaction() as s:
            cs.update_customer(s, created.id, first, expected_version=seen_by_a)
        with pytest.raises(ConflictError):
            with other.transaction() as s:
                cs.update_customer(s, created.id, second, expected_version=seen_by_b)
    finally:
        other.dispose()
    assert read(get(db, created.id)) == next(iter(first.values()))


def test_two_clerks_in_overlapping_transactions(db: Database) -> None:
    """The second clerk's transaction starts while the first one's is still open (it waits for the lock on
    either back-end); whatever the interleaving, the second save is refused and the first is kept."""
    created = create(db, AROHA)
    seen = created.version
    other = _second_database(db)
    started = threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def clerk_b() -> None:
        started.set()
        try:
            with other.transaction() as s:
                cs.update_customer(s, created.id, {"phone": "+64 9 555 0222"}, expected_version=seen)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc
        else:
            outcome["error"] = None

    thread = threading.Thread(target=clerk_b)
    try:
        with db.transaction() as s:
            cs.update_customer(s, created.id, {"phone": "+64 9 555 0111"}, expected_version=seen)
            thread.start()
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome["error"], ConflictError), outcome
    kept = get(db, created.id)
    assert (kept.phone, kept.version) == ("+64 9 555 0111", seen + 1)


def test_two_clerks_creating_the_same_email_at_once(db: Database) -> None:
    """The second create starts while the first is still uncommitted; it must end as EmailTaken, never as a
    raw database error and never as a second customer with the same email."""
    other = _second_database(db)
    started = threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def clerk_b() -> None:
        started.set()
        try:
            with other.transaction() as s:
                cs.create_customer(s, {"name": "Olivia Smith", "email": "SHARED@example.com"})
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc
        else:
            outcome["error"] = None

    thread = threading.Thread(target=clerk_b)
    try:
        with db.transaction() as s:
            first = cs.create_customer(s, {"name": "Aroha Kowhai", "email": "shared@example.com"})
            thread.start()
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome["error"], EmailTaken), outcome
    assert outcome["error"].customer_id == first.id
    with db.read() as s:
        assert f.count(s, m.Customer) == 1


# --- ChangeLog ------------------------------------------------------------------------------------

def test_changelog_records_each_step_with_before_and_after(db: Database) -> None:
    created = create(db, {**AROHA, "default_billing_address": BILLING})
    cid = created.id
    with db.transaction() as s:
        cs.update_customer(s, cid, {"name": "Aroha Kowhai-Smith", "phone": "+64 9 555 0199"})
    with db.transaction() as s:
        cs.archive_customer(s, cid)
    with db.transaction() as s:
        cs.unarchive_customer(s, cid)
    with db.transaction() as s:
        cs.delete_customer(s, cid)
    entries = history(db, cid)
    assert [e.action for e in entries] == ["create", "update", "archive", "unarchive", "delete"]
    create_, update_, archive_, unarchive_, delete_ = (e.changes for e in entries)
    assert create_["name"] == [None, "Aroha Kowhai"]
    assert create_["email"] == [None, "aroha@example.com"]
    assert create_["default_shipping_address_id"] == [None, created.default_shipping_address_id]
    assert create_["default_billing_address_id"] == [None, created.default_billing_address_id]
    assert update_ == {"name": ["Aroha Kowhai", "Aroha Kowhai-Smith"], "phone": ["+64 9 555 0101", "+64 9 555 0199"]}
    assert archive_["archived_at"][0] is None and archive_["archived_at"][1]
    assert unarchive_["archived_at"] == [archive_["archived_at"][1], None]
    assert delete_["name"] == ["Aroha Kowhai-Smith", None]
    assert delete_["email"] == ["aroha@example.com", None]
    assert all(e.entity == "customer" and e.entity_id == cid and e.created_at for e in entries)
    assert {e.os_user for e in entries} == {getpass.getuser()}


# --- check deletable / delete ---------------------------------------------------------------------

def test_check_deletable_counts_every_kind_of_link(db: Database) -> None:
    with db.transaction() as s:
        busy = cs.create_customer(s, AROHA).id
        free = cs.create_customer(s, TANE).id
        neighbour = cs.create_customer(s, {"name": "Mere Rata"}).id
        first, second = f.sales_order(s, busy), f.sales_order(s, busy, lines=(("2", "15.00"), ("1", "4.50")))
        f.payment(s, first)
        f.payment(s, first, "1.00")
        f.payment(s, second)
        f.sales_credit(s, busy, order=second)
        f.fulfillment(s, second)
        other_order = f.sales_order(s, neighbour)
        f.payment(s, other_order)
    with db.read() as s:
        result = cs.check_deletable(s, [busy, free, neighbour, 999_999, busy])
    assert result == {
        busy: Links(sales_orders=2, sales_credits=1, payments=3, fulfillments=1),
        free: Links(),
        neighbour: Links(sales_orders=1, payments=1),
    }
    assert result[busy].any and not result[free].any


def test_linked_customers_cannot_be_deleted(db: Database) -> None:
    with db.transaction() as s:
        ids = {kind: cs.create_customer(s, {"name": f"Customer with {kind}", "city": "Nelson"}).id
               for kind in ("order", "credit", "payment", "fulfilment")}
        f.sales_order(s, ids["order"])
        f.sales_credit(s, ids["credit"])
        f.payment(s, f.sales_order(s, ids["payment"]))
        f.fulfillment(s, f.sales_order(s, ids["fulfilment"]))
    expected = {
        "order": (Links(sales_orders=1), "linked to 1 sales order."),
        "credit": (Links(sales_credits=1), "linked to 1 sales credit."),
        "payment": (Links(sales_orders=1, payments=1), "linked to 1 sales order, 1 payment."),
        "fulfilment": (Links(sales_orders=1, fulfillments=1), "linked to 1 sales order, 1 fulfilment."),
    }
    before = snapshot(db)
    for kind, cid in ids.items():
        with pytest.raises(NotDeletable) as exc:
            with db.transaction() as s:
                cs.delete_customer(s, cid)
        links, words = expected[kind]
        assert exc.value.links == links
        assert exc.value.customer_id == cid
        assert words in str(exc.value)
        assert "Archive the customer instead" in str(exc.value)
    assert snapshot(db) == before


def test_delete_removes_the_customer_and_its_addresses(db: Database) -> None:
    gone = create(db, {**AROHA, "default_billing_address": BILLING})
    kept = create(db, TANE)
    with db.transaction() as s:
        cs.delete_customer(s, gone.id, expected_version=gone.version)
    with db.read() as s:
        assert s.get(m.Customer, gone.id) is None
        assert f.count(s, m.Address, m.Address.customer_id == gone.id) == 0
        assert f.count(s, m.Address, m.Address.customer_id == kept.id) == 1
        with pytest.raises(NotFound):
            cs.get_customer(s, gone.id)
    assert get(db, kept.id) == kept


def test_delete_plural_message(db: Database) -> None:
    with db.transaction() as s:
        cid = cs.create_customer(s, {"name": "Mere Rata"}).id
        for _ in range(3):
            f.sales_order(s, cid)
        f.sales_credit(s, cid)
        f.sales_credit(s, cid)
    with pytest.raises(NotDeletable) as exc:
        with db.transaction() as s:
            cs.delete_customer(s, cid)
    assert str(exc.value) == ("Mere Rata cannot be deleted: linked to 3 sales orders, 2 sales credits. "
                              "Archive the customer instead.")


# --- archive / unarchive ------------------------------------------------------------------------

def _visible(db: Database, archived: str) -> set[int]:
    with db.read() as s:
        return {r.id for r in list_customers(s, CustomerQuery(archived=archived)).rows}  # type: ignore[arg-type]


def test_archive_and_unarchive_are_idempotent(db: Database) -> None:
    created = create(db, AROHA)
    other = create(db, TANE)
    cid = created.id
    with db.transaction() as s:
        assert cs.archive_customer(s, cid, expected_version=created.version) is True
    archived = get(db, cid)
    assert archived.archived and archived.version == created.version + 1
    entries = len(history(db, cid))
    with db.transaction() as s:
        assert cs.archive_customer(s, cid) is False
    assert get(db, cid) == archived                      # nothing moved: same version, same time
    assert len(history(db, cid)) == entries

    assert _visible(db, "active") == {other.id}
    assert _visible(db, "archived") == {cid}
    assert _visible(db, "all") == {cid, other.id}

    with db.transaction() as s:
        assert cs.unarchive_customer(s, cid) is True
    with db.transaction() as s:
        assert cs.unarchive_customer(s, cid) is False
    restored = get(db, cid)
    assert not restored.archived and restored.version == created.version + 2
    assert [e.action for e in history(db, cid)] == ["create", "archive", "unarchive"]
    assert _visible(db, "active") == {cid, other.id}


def test_ensure_active(db: Database) -> None:
    created = create(db, AROHA)
    with db.read() as s:
        assert cs.ensure_active(s, created.id).id == created.id
    with db.transaction() as s:
        cs.archive_customer(s, created.id)
    with db.read() as s:
        with pytest.raises(ArchivedCustomer) as exc:
            cs.ensure_active(s, created.id)
    assert exc.value.customer_id == created.id
    assert str(exc.value) == "Aroha Kowhai is archived: unarchive the customer first."


def test_archived_customer_can_still_be_edited_and_deleted(db: Database) -> None:
    created = create(db, AROHA)
    with db.transaction() as s:
        cs.archive_customer(s, created.id)
        updated = cs.update_customer(s, created.id, {"notes": "Closed the shop."})
    assert updated.archived and updated.notes == "Closed the shop."
    with db.transaction() as s:
        cs.delete_customer(s, created.id)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.Customer)) == 0


@pytest.mark.parametrize(("country", "zip_code", "said"), [
    ("NZ", "12345678", "is not a post code of New Zealand (for example 6001)"),
    ("GB", "12345", "is not a post code of United Kingdom"),
    ("US", "2134", "a spreadsheet may have dropped its leading zero: 02134?"),
])
def test_a_post_code_is_checked_against_its_country(db: Database, country: str, zip_code: str, said: str) -> None:
    with pytest.raises(ValidationError) as refused:
        create(db, {"name": "Ana Reed", "address1": "1 Main Street", "city": "Townsville", "zip": zip_code,
                    "country_code": country})
    (error,) = refused.value.errors
    assert error.field == "zip" and said in error.message
    created = create(db, {"name": "Ana Reed", "address1": "1 Main Street", "city": "Wellington", "zip": "60 11",
                          "country_code": "NZ"})
    assert created.addresses[0].zip is not None
