"""Customer addresses (DESIGN §2 items 10–11): list, add with de-duplication, edit, delete, defaults,
optimistic locking, the change log and validation. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from desktop.services import addresses as svc
from desktop.services.addresses import DuplicateAddress
from desktop.services.customers import create_customer
from desktop.services.errors import (
    AddressNotOwned,
    ConflictError,
    DefaultAddressInUse,
    NotFound,
    ValidationError,
)
from desktop.services.normalize import address_dedup_key
from desktop.store import models as m
from desktop.store.engine import Database

KAURI = {"address1": "12 Kauri Street", "city": "Auckland", "zip": "1010", "country_code": "NZ"}
TOTARA = {"address1": "48 Totara Avenue", "city": "Hamilton", "zip": "3204", "country_code": "NZ"}
RIMU = {"address1": "7 Rimu Road", "city": "Nelson", "zip": "7010", "country_code": "NZ"}
US_HOME = {"address1": "250 Harbor Street", "city": "San Francisco", "province_code": "CA",
           "zip": "94107", "country_code": "US"}


def new_customer(db: Database, name: str = "Aroha Ngata", **fields: Any) -> int:
    with db.transaction() as s:
        return create_customer(s, {"name": name, **fields}, allow_duplicate=True).id


def add(db: Database, customer_id: int, data: dict[str, Any]) -> svc.AddressView:
    with db.transaction() as s:
        return svc.add_address(s, customer_id, data)


def listed(db: Database, customer_id: int) -> list[svc.AddressView]:
    with db.read() as s:
        return svc.list_addresses(s, customer_id)


def defaults(db: Database, customer_id: int) -> tuple[int | None, int | None]:
    with db.read() as s:
        c = s.get(m.Customer, customer_id)
        assert c is not None
        return c.default_shipping_address_id, c.default_billing_address_id


def count(db: Database, model: type[m.Base], *where: Any) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def log(db: Database, entity: str, entity_id: int) -> list[tuple[str, dict[str, Any]]]:
    with db.read() as s:
        rows = s.scalars(
            select(m.ChangeLog).where(m.ChangeLog.entity == entity, m.ChangeLog.entity_id == entity_id)
            .order_by(m.ChangeLog.id)
        )
        return [(r.action, r.changes) for r in rows]


def snapshot(db: Database) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Everything an address operation may write: address rows, log rows, customers' defaults/versions."""
    with db.read() as s:
        addresses = [tuple(r) for r in s.execute(
            select(m.Address.id, m.Address.version, m.Address.address1, m.Address.zip, m.Address.dedup_key)
            .order_by(m.Address.id))]
        customers = [tuple(r) for r in s.execute(
            select(m.Customer.id, m.Customer.version, m.Customer.default_shipping_address_id,
                   m.Customer.default_billing_address_id).order_by(m.Customer.id))]
        logs = s.scalar(select(func.count()).select_from(m.ChangeLog)) or 0
    return len(addresses), logs, addresses + customers


# --- list ---------------------------------------------------------------------------------------


def test_list_addresses_with_default_flags(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    second = add(db, cid, TOTARA)
    third = add(db, cid, {**RIMU, "label": "Warehouse", "is_default_billing": True})

    rows = listed(db, cid)
    assert [r.address1 for r in rows] == ["12 Kauri Street", "48 Totara Avenue", "7 Rimu Road"]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    flags = {r.address1: (r.is_default_shipping, r.is_default_billing) for r in rows}
    assert flags == {
        "12 Kauri Street": (True, False),
        "48 Totara Avenue": (False, False),
        "7 Rimu Road": (False, True),
    }
    assert all(r.customer_id == cid and r.version >= 1 for r in rows)
    assert rows[0].name == "Aroha Ngata"  # the root address carries the customer's name
    assert rows[2].label == "Warehouse" and rows[2].country == "New Zealand"
    assert second.id == rows[1].id and third.id == rows[2].id


def test_list_addresses_of_customer_without_any_and_of_unknown_customer(db: Database) -> None:
    cid = new_customer(db)
    assert listed(db, cid) == []
    with pytest.raises(NotFound) as exc, db.read() as s:
        svc.list_addresses(s, cid + 1000)
    assert exc.value.entity == "customer" and exc.value.entity_id == cid + 1000


# --- add and de-duplication ---------------------------------------------------------------------


SAME_ADDRESS_CASES = {
    "case": (KAURI, {**KAURI, "address1": "12 KAURI STREET", "city": "AUCKLAND"}),
    "punctuation": (KAURI, {**KAURI, "address1": "12, Kauri Street.", "city": "Auckland."}),
    "whitespace-abbreviation": (KAURI, {**KAURI, "address1": "  12   Kauri   St  "}),
    "street-st": (KAURI, {**KAURI, "address1": "12 kauri st."}),
    "avenue-ave": (TOTARA, {**TOTARA, "address1": "48 Totara Ave"}),
    "zip-plus-four": (US_HOME, {**US_HOME, "zip": "94107-1234"}),
    "zip-five-after-plus-four": ({**US_HOME, "zip": "94107-1234"}, {**US_HOME, "zip": "94107"}),
    "country-code-case": (KAURI, {**KAURI, "country_code": "nz"}),
    "recipient-fields-ignored": (KAURI, {**KAURI, "label": "Home", "name": "Someone Else",
                                         "phone": "+64 9 555 0100"}),
}


def test_add_same_address_written_differently_returns_existing(db: Database) -> None:
    for case, (original, again) in SAME_ADDRESS_CASES.items():
        cid = new_customer(db, f"Customer {case}")
        first = add(db, cid, original)
        assert first.duplicate is False, case
        before = snapshot(db)

        dup = add(db, cid, again)
        assert dup.duplicate is True, case
        assert dup.id == first.id, case
        assert (dup.address1, dup.zip) == (first.address1, first.zip), case  # stored address unchanged
        assert snapshot(db) == before, case  # no new row, no log row, nothing updated


def test_add_different_address_creates_new_row(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    n = count(db, m.Address, m.Address.customer_id == cid)
    for data in (
        {**KAURI, "address1": "14 Kauri Street"},       # other house number
        {**KAURI, "zip": "1011"},                       # other zip
        {**KAURI, "address2": "Unit 3"},                # extra line
        {**KAURI, "city": "Hamilton"},                  # other city
        {**KAURI, "address1": "12 Kauri Road"},         # other street type
    ):
        created = add(db, cid, data)
        assert created.duplicate is False
        n += 1
        assert count(db, m.Address, m.Address.customer_id == cid) == n
    keys = [a.id for a in listed(db, cid)]
    assert len(set(keys)) == n == 6


def test_dedup_is_per_customer(db: Database) -> None:
    a = new_customer(db, "Aroha Ngata", **KAURI)
    b = new_customer(db, "Hemi Walker")
    added = add(db, b, {**KAURI, "address1": "12 KAURI ST."})
    assert added.duplicate is False
    assert added.customer_id == b
    assert count(db, m.Address) == 2
    assert [x.id for x in listed(db, a)] != [added.id]


def test_add_stores_normalised_keys(db: Database) -> None:
    cid = new_customer(db)
    view = add(db, cid, {**US_HOME, "zip": "94107-1234"})
    with db.read() as s:
        row = s.get(m.Address, view.id)
        assert row is not None
        assert row.zip == "94107-1234"  # kept as written
        assert row.zip_key == "94107"
        assert row.dedup_key == address_dedup_key({**US_HOME, "zip": "94107"})


def test_first_address_becomes_both_defaults(db: Database) -> None:
    cid = new_customer(db)
    assert defaults(db, cid) == (None, None)
    first = add(db, cid, KAURI)
    assert first.is_default_shipping and first.is_default_billing
    assert defaults(db, cid) == (first.id, first.id)
    second = add(db, cid, TOTARA)
    assert not second.is_default_shipping and not second.is_default_billing
    assert defaults(db, cid) == (first.id, first.id)
    # …even when its flags say otherwise: a customer with addresses always has both defaults.
    other = new_customer(db, "Hemi Walker")
    only = add(db, other, {**KAURI, "is_default_shipping": False, "is_default_billing": False})
    assert defaults(db, other) == (only.id, only.id)


def test_add_with_default_flags(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    ship = add(db, cid, {**TOTARA, "is_default_shipping": True})
    assert ship.is_default_shipping and not ship.is_default_billing
    assert defaults(db, cid) == (ship.id, root)
    bill = add(db, cid, {**RIMU, "is_default_billing": True})
    assert bill.is_default_billing and not bill.is_default_shipping
    assert defaults(db, cid) == (ship.id, bill.id)
    both = add(db, cid, {**US_HOME, "is_default_shipping": True, "is_default_billing": True})
    assert defaults(db, cid) == (both.id, both.id)
    flags = {a.id: (a.is_default_shipping, a.is_default_billing) for a in listed(db, cid)}
    assert flags == {root: (False, False), ship.id: (False, False), bill.id: (False, False),
                     both.id: (True, True)}


def test_adding_a_duplicate_with_a_default_flag_makes_the_existing_one_default(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    other = add(db, cid, TOTARA)
    dup = add(db, cid, {**TOTARA, "address1": "48 TOTARA AVE.", "is_default_billing": True})
    assert dup.duplicate and dup.id == other.id and dup.is_default_billing
    assert defaults(db, cid) == (root, other.id)
    assert count(db, m.Address, m.Address.customer_id == cid) == 2


def test_unknown_customer_or_address_raises_not_found(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = listed(db, cid)[0].id
    before = snapshot(db)
    calls = [
        ("customer", lambda s: svc.add_address(s, cid + 1000, KAURI)),
        ("address", lambda s: svc.update_address(s, addr + 1000, {"city": "Nelson"})),
        ("address", lambda s: svc.delete_address(s, addr + 1000)),
        ("customer", lambda s: svc.set_default_shipping_address(s, cid + 1000, addr)),
        ("customer", lambda s: svc.set_default_billing_address(s, cid + 1000, addr)),
    ]
    for entity, call in calls:
        with pytest.raises(NotFound) as exc, db.transaction() as s:
            call(s)
        assert exc.value.entity == entity
    assert snapshot(db) == before


# --- edit ---------------------------------------------------------------------------------------


def test_update_address_changes_fields_and_recomputes_keys(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = add(db, cid, TOTARA)
    with db.transaction() as s:
        updated = svc.update_address(s, addr.id, {"address1": "50 Totara Avenue", "zip": "3210",
                                                   "label": "Depot"}, expected_version=addr.version)
    assert updated.address1 == "50 Totara Avenue" and updated.zip == "3210" and updated.label == "Depot"
    assert updated.city == "Hamilton"  # fields not given are kept
    assert updated.version == addr.version + 1
    with db.read() as s:
        row = s.get(m.Address, addr.id)
        assert row is not None
        assert (row.address1, row.zip, row.zip_key, row.label, row.version) == (
            "50 Totara Avenue", "3210", "3210", "Depot", addr.version + 1)
        assert row.dedup_key == address_dedup_key({**TOTARA, "address1": "50 Totara Ave", "zip": "3210"})

    # The old form is free again; the new form is now a duplicate.
    again_new = add(db, cid, {**TOTARA, "address1": "50 TOTARA AVE", "zip": "3210"})
    assert again_new.duplicate and again_new.id == addr.id
    again_old = add(db, cid, TOTARA)
    assert not again_old.duplicate and again_old.id != addr.id


def test_update_address_clears_a_field_with_empty_text(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = add(db, cid, {**TOTARA, "address2": "Unit 4"})
    with db.transaction() as s:
        updated = svc.update_address(s, addr.id, {"address2": "  "})
    assert updated.address2 is None
    with db.read() as s:
        row = s.get(m.Address, addr.id)
        assert row is not None and row.address2 is None
        assert row.dedup_key == address_dedup_key(TOTARA)


def test_update_country_keeps_country_code_consistent(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = listed(db, cid)[0]
    with db.transaction() as s:
        moved = svc.update_address(s, addr.id, {"country": "Australia"})
    assert (moved.country, moved.country_code) == ("Australia", "AU")
    with db.transaction() as s:
        moved = svc.update_address(s, addr.id, {"country_code": "GB"})
    assert moved.country_code == "GB" and moved.country == "United Kingdom"
    # A country that is not one is refused, on add and on update, and the address keeps its country.
    with db.transaction() as s, pytest.raises(ValidationError):
        svc.add_address(s, cid, {"address1": "1 Hobbiton Lane", "country": "Middle-earth"})
    with db.transaction() as s, pytest.raises(ValidationError):
        svc.update_address(s, addr.id, {"country": "Middle-earth"})
    with db.read() as s:
        row = s.get(m.Address, addr.id)
        assert row is not None and (row.country_code, row.country) == ("GB", "United Kingdom")


def test_editing_into_a_variant_of_itself_is_allowed(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0]
    with db.transaction() as s:
        updated = svc.update_address(s, root.id, {"address1": "12 KAURI ST"})
    assert updated.address1 == "12 KAURI ST"
    assert count(db, m.Address, m.Address.customer_id == cid) == 1


def test_editing_into_a_duplicate_of_another_address_raises(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0]
    other = add(db, cid, TOTARA)
    before = snapshot(db)
    with pytest.raises(DuplicateAddress) as exc, db.transaction() as s:
        svc.update_address(s, other.id, {**KAURI, "address1": "12 kauri st."})
    assert exc.value.existing.id == root.id
    assert "12 Kauri Street" in str(exc.value)
    assert snapshot(db) == before


def test_editing_an_address_of_another_customer_is_not_a_duplicate(db: Database) -> None:
    a = new_customer(db, "Aroha Ngata", **KAURI)
    b = new_customer(db, "Hemi Walker", **TOTARA)
    b_addr = listed(db, b)[0]
    with db.transaction() as s:
        svc.update_address(s, b_addr.id, KAURI)
    assert listed(db, b)[0].address1 == "12 Kauri Street"
    assert listed(db, a)[0].address1 == "12 Kauri Street"


def test_update_can_make_an_address_default(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    other = add(db, cid, TOTARA)
    with db.transaction() as s:
        view = svc.update_address(s, other.id, {"is_default_billing": True})
    assert view.is_default_billing and not view.is_default_shipping
    assert defaults(db, cid) == (root, other.id)


# --- delete -------------------------------------------------------------------------------------


def test_delete_non_default_address(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    other = add(db, cid, TOTARA)
    with db.transaction() as s:
        svc.delete_address(s, other.id, expected_version=other.version)
    assert [a.address1 for a in listed(db, cid)] == ["12 Kauri Street"]
    assert count(db, m.Address, m.Address.id == other.id) == 0


DEFAULT_ROLES = [
    ({}, ["shipping", "billing"]),
    ({"is_default_shipping": True}, ["shipping"]),
    ({"is_default_billing": True}, ["billing"]),
]


def test_delete_default_address_is_refused_naming_the_roles(db: Database) -> None:
    for i, (make_default, roles) in enumerate(DEFAULT_ROLES):
        cid = new_customer(db, f"Customer {i}")
        first = add(db, cid, KAURI)  # both defaults
        target = add(db, cid, {**TOTARA, **make_default}) if make_default else first
        before = snapshot(db)
        with pytest.raises(DefaultAddressInUse) as exc, db.transaction() as s:
            svc.delete_address(s, target.id)
        assert exc.value.roles == roles
        assert exc.value.address_id == target.id
        for role in roles:
            assert role in str(exc.value)
        assert snapshot(db) == before, roles


def test_default_address_can_be_deleted_after_another_is_made_default(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    other = add(db, cid, TOTARA)

    with db.transaction() as s:
        svc.set_default_shipping_address(s, cid, other.id)
    with pytest.raises(DefaultAddressInUse) as exc, db.transaction() as s:
        svc.delete_address(s, root)
    assert exc.value.roles == ["billing"]

    with db.transaction() as s:
        svc.set_default_billing_address(s, cid, other.id)
    with db.transaction() as s:
        svc.delete_address(s, root)
    assert [a.id for a in listed(db, cid)] == [other.id]
    assert defaults(db, cid) == (other.id, other.id)


# --- set defaults -------------------------------------------------------------------------------


def test_set_default_shipping_and_billing(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    other = add(db, cid, TOTARA)
    with db.transaction() as s:
        view = svc.set_default_shipping_address(s, cid, other.id)
    assert view.id == other.id and view.is_default_shipping and not view.is_default_billing
    assert defaults(db, cid) == (other.id, root)
    with db.transaction() as s:
        view = svc.set_default_billing_address(s, cid, other.id)
    assert view.is_default_shipping and view.is_default_billing
    assert defaults(db, cid) == (other.id, other.id)
    # Setting the same default again changes nothing and logs nothing.
    n_logs = count(db, m.ChangeLog)
    with db.transaction() as s:
        svc.set_default_billing_address(s, cid, other.id)
    assert count(db, m.ChangeLog) == n_logs
    with pytest.raises(ValueError), db.transaction() as s:
        svc.set_default_address(s, cid, root, "invoice")
    assert defaults(db, cid) == (other.id, other.id)


def test_set_default_to_address_of_another_customer_is_refused(db: Database) -> None:
    a = new_customer(db, "Aroha Ngata", **KAURI)
    b = new_customer(db, "Hemi Walker", **TOTARA)
    b_addr = listed(db, b)[0].id
    before = snapshot(db)
    for setter in (svc.set_default_shipping_address, svc.set_default_billing_address):
        with pytest.raises(AddressNotOwned) as exc, db.transaction() as s:
            setter(s, a, b_addr)
        assert exc.value.address_id == b_addr and exc.value.customer_id == a
    with pytest.raises(AddressNotOwned), db.transaction() as s:
        svc.set_default_shipping_address(s, a, b_addr + 1000)  # no such address
    assert snapshot(db) == before


# --- optimistic locking -------------------------------------------------------------------------


def test_update_with_stale_version_raises_conflict(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    seen = add(db, cid, TOTARA)
    with db.transaction() as s:  # another clerk edits first
        svc.update_address(s, seen.id, {"label": "Depot"}, expected_version=seen.version)
    before = snapshot(db)
    with pytest.raises(ConflictError) as exc, db.transaction() as s:
        svc.update_address(s, seen.id, {"address1": "99 Totara Avenue"}, expected_version=seen.version)
    assert exc.value.entity == "address" and exc.value.entity_id == seen.id
    assert exc.value.expected == seen.version and exc.value.actual == seen.version + 1
    assert snapshot(db) == before
    assert listed(db, cid)[1].address1 == "48 Totara Avenue"


def test_delete_with_stale_version_raises_conflict(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    seen = add(db, cid, TOTARA)
    with db.transaction() as s:
        svc.update_address(s, seen.id, {"city": "Cambridge"})
    before = snapshot(db)
    with pytest.raises(ConflictError), db.transaction() as s:
        svc.delete_address(s, seen.id, expected_version=seen.version)
    assert snapshot(db) == before
    with db.transaction() as s:  # with the current version it goes
        svc.delete_address(s, seen.id, expected_version=seen.version + 1)
    assert count(db, m.Address, m.Address.id == seen.id) == 0


ONLY_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_db(database_url: str):  # type: ignore[no-untyped-def]
    from desktop.store.engine import open_database

    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


def other_clerk_commits_before_the_lock(session: Any, db: Database, address_id: int) -> list[int]:
    """Just before `session` takes its first row lock (SELECT … FOR UPDATE), another clerk edits the
    address and commits — the window between reading the address and locking its customer. Only possible
    on PostgreSQL: on SQLite a write transaction holds the database's write lock from its first read."""
    fired: list[int] = []

    @event.listens_for(session.connection(), "before_cursor_execute")
    def _other_clerk(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "FOR UPDATE" in statement and not fired:
            fired.append(1)
            with db.transaction() as other:
                svc.update_address(other, address_id, {"city": "Nelson"})

    return fired


@ONLY_POSTGRESQL
def test_concurrent_edit_between_read_and_lock_raises_conflict_on_update(pg_db: Database) -> None:
    cid = new_customer(pg_db, **KAURI)
    seen = listed(pg_db, cid)[0]
    with pytest.raises(ConflictError), pg_db.transaction() as s:
        fired = other_clerk_commits_before_the_lock(s, pg_db, seen.id)
        svc.update_address(s, seen.id, {"city": "Hamilton"}, expected_version=seen.version)
    assert fired
    row = listed(pg_db, cid)[0]
    assert row.city == "Nelson" and row.version == seen.version + 1  # the other clerk's edit stands


@ONLY_POSTGRESQL
def test_concurrent_edit_between_read_and_lock_raises_conflict_on_delete(pg_db: Database) -> None:
    cid = new_customer(pg_db, **KAURI)
    other = add(pg_db, cid, TOTARA)
    with pytest.raises(ConflictError), pg_db.transaction() as s:
        fired = other_clerk_commits_before_the_lock(s, pg_db, other.id)
        svc.delete_address(s, other.id, expected_version=other.version)
    assert fired
    assert [a.city for a in listed(pg_db, cid)] == ["Auckland", "Nelson"]


# --- change log ---------------------------------------------------------------------------------


def test_change_log_for_address_create_update_delete(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = add(db, cid, {**TOTARA, "label": "Depot"})
    entries = log(db, "address", addr.id)
    assert [a for a, _ in entries] == ["create"]
    created = entries[0][1]
    assert created["customer_id"] == [None, cid]
    assert created["address1"] == [None, "48 Totara Avenue"]
    assert created["label"] == [None, "Depot"]
    assert created["country_code"] == [None, "NZ"]

    with db.transaction() as s:
        svc.update_address(s, addr.id, {"address1": "50 Totara Avenue", "city": "Hamilton"})
    entries = log(db, "address", addr.id)
    assert [a for a, _ in entries] == ["create", "update"]
    assert entries[1][1] == {"address1": ["48 Totara Avenue", "50 Totara Avenue"]}  # city unchanged

    with db.transaction() as s:  # nothing really changes: no log row
        svc.update_address(s, addr.id, {"city": "Hamilton"})
    assert len(log(db, "address", addr.id)) == 2

    with db.transaction() as s:
        svc.delete_address(s, addr.id)
    entries = log(db, "address", addr.id)
    assert [a for a, _ in entries] == ["create", "update", "delete"]
    deleted = entries[2][1]
    assert deleted["address1"] == ["50 Totara Avenue", None]
    assert deleted["zip"] == ["3204", None]


def test_change_log_for_default_changes(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    root = listed(db, cid)[0].id
    other = add(db, cid, TOTARA)
    third = add(db, cid, {**RIMU, "is_default_shipping": True})
    with db.transaction() as s:
        svc.set_default_billing_address(s, cid, other.id)
    entries = [(a, c) for a, c in log(db, "customer", cid) if a.startswith("set_default")]
    assert entries == [
        ("set_default_shipping", {"default_shipping_address_id": [root, third.id]}),
        ("set_default_billing", {"default_billing_address_id": [root, other.id]}),
    ]
    for entry in (log(db, "address", other.id)[0], log(db, "address", third.id)[0]):
        assert entry[0] == "create"

    # The first address of a customer without any becomes both defaults: logged too.
    cid = new_customer(db, "Hemi Walker")
    first = add(db, cid, KAURI)
    entries = [(a, c) for a, c in log(db, "customer", cid) if a.startswith("set_default")]
    assert entries == [
        ("set_default_shipping", {"default_shipping_address_id": [None, first.id]}),
        ("set_default_billing", {"default_billing_address_id": [None, first.id]}),
    ]


# --- validation ---------------------------------------------------------------------------------


ADD_ERRORS = {
    "unknown-field": ({**KAURI, "colour": "blue"}, "colour"),
    "customer-id-not-settable": ({**KAURI, "customer_id": 1}, "customer_id"),
    "address1-too-long": ({**KAURI, "address1": "x" * 201}, "address1"),
    "zip-too-long": ({**KAURI, "zip": "1" * 21}, "zip"),
    "bad-country-code": ({**KAURI, "country_code": "XX"}, "country_code"),
    "unknown-three-letter-code": ({**KAURI, "country_code": "XYZ"}, "country_code"),
    "bad-zip": ({**KAURI, "zip": "10/10"}, "zip"),
    "line-break": ({**KAURI, "address1": "12 Kauri\nStreet"}, "address1"),
    "bad-email": ({**KAURI, "email": "not-an-email"}, "email"),
    "empty": ({}, "address1"),
    "blank": ({"label": "Home", "name": "Aroha Ngata", "address1": "   "}, "address1"),
}


def test_add_validation_errors_leave_nothing_written(db: Database) -> None:
    cid = new_customer(db)
    before = snapshot(db)
    for case, (data, field) in ADD_ERRORS.items():
        with pytest.raises(ValidationError) as exc, db.transaction() as s:
            svc.add_address(s, cid, data)
        assert exc.value.for_field(field), (case, exc.value.errors)
        assert snapshot(db) == before, case
    assert defaults(db, cid) == (None, None)


UPDATE_ERRORS = {
    "unknown-field": ({"colour": "blue"}, "colour"),
    "city-too-long": ({"city": "c" * 101}, "city"),
    "bad-country-code": ({"country_code": "ZZ"}, "country_code"),
    "partly-valid": ({"address1": "13 Kauri Street", "province_code": "P" * 11}, "province_code"),
}


def test_update_validation_errors_leave_nothing_written(db: Database) -> None:
    cid = new_customer(db, **KAURI)
    addr = listed(db, cid)[0]
    before = snapshot(db)
    for case, (data, field) in UPDATE_ERRORS.items():
        with pytest.raises(ValidationError) as exc, db.transaction() as s:
            svc.update_address(s, addr.id, data)
        assert exc.value.for_field(field), (case, exc.value.errors)
        assert snapshot(db) == before, case


def test_update_cannot_empty_an_address(db: Database) -> None:
    """An address needs at least one of address, city, zip or country — on edit as on add."""
    cid = new_customer(db, **KAURI)
    addr = listed(db, cid)[0]
    before = snapshot(db)
    emptied = {"address1": "", "city": "", "zip": "", "country_code": "", "country": ""}
    with pytest.raises(ValidationError), db.transaction() as s:
        svc.update_address(s, addr.id, emptied)
    assert snapshot(db) == before
