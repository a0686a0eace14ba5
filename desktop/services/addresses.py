"""Customer addresses (DESIGN §2 items 10–11): list, add with de-duplication, edit, delete, defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from desktop.services import changelog
from desktop.services.errors import (
    AddressNotOwned,
    ConflictError,
    DefaultAddressInUse,
    DomainError,
    EmailTaken,
    FieldError,
    NotFound,
    ValidationError,
)
from desktop.services.normalize import address_dedup_key, normalize_address_text, zip_key
from desktop.services.validation import ADDRESS_FIELDS, EMPTY_ADDRESS, LOCATION_FIELDS, clean_address
from desktop.store import models as m


class DuplicateAddress(DomainError):
    def __init__(self, existing: AddressView):
        self.existing = existing
        super().__init__(
            f"The customer already has this address ({existing.one_line()}): nothing was added."
        )


@dataclass(frozen=True)
class AddressView:
    id: int
    customer_id: int
    version: int
    label: str | None
    name: str | None
    company: str | None
    email: str | None
    phone: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    city: str | None
    province: str | None
    province_code: str | None
    zip: str | None
    country: str | None
    country_code: str | None
    is_default_shipping: bool
    is_default_billing: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    # Set by add_address when the address already existed and was returned instead of added.
    duplicate: bool = False

    def one_line(self) -> str:
        parts = [self.address1, self.address2, self.city, self.province_code or self.province, self.zip,
                 self.country_code]
        return ", ".join(p for p in parts if p)


def view(address: m.Address, customer: m.Customer, *, duplicate: bool = False) -> AddressView:
    return AddressView(
        id=address.id, customer_id=address.customer_id, version=address.version,
        **{f: getattr(address, f) for f in ADDRESS_FIELDS},
        is_default_shipping=customer.default_shipping_address_id == address.id,
        is_default_billing=customer.default_billing_address_id == address.id,
        created_at=address.created_at, updated_at=address.updated_at, duplicate=duplicate,
    )


def address_values(address: m.Address) -> dict[str, Any]:
    return {f: getattr(address, f) for f in ADDRESS_FIELDS}


def apply_values(address: m.Address, values: Mapping[str, Any]) -> None:
    """Set address fields and recompute its keys."""
    for key, value in values.items():
        if key in ADDRESS_FIELDS:
            setattr(address, key, value)
    address.zip_key = zip_key(address.zip)
    address.address1_key = normalize_address_text(address.address1) or None
    address.dedup_key = address_dedup_key({f: getattr(address, f) for f in LOCATION_FIELDS})


def find_same(session: Session, customer_id: int, values: Mapping[str, Any], *, exclude_id: int | None = None) -> m.Address | None:
    key = address_dedup_key({f: values.get(f) for f in LOCATION_FIELDS})
    stmt = select(m.Address).where(m.Address.customer_id == customer_id, m.Address.dedup_key == key)
    if exclude_id is not None:
        stmt = stmt.where(m.Address.id != exclude_id)
    return session.scalars(stmt.order_by(m.Address.id).limit(1)).first()


def new_address(session: Session, customer: m.Customer, values: Mapping[str, Any]) -> tuple[m.Address, bool]:
    """The customer's address equal to `values`, or a new one. Returns (address, created)."""
    existing = find_same(session, customer.id, values)
    if existing is not None:
        return existing, False
    address = m.Address(customer_id=customer.id)
    apply_values(address, values)
    session.add(address)
    session.flush()
    changelog.record(session, "address", address.id, "create",
                     {"customer_id": [None, customer.id], **changelog.diff({}, address_values(address))})
    return address, True


def load_customer(session: Session, customer_id: int, *, lock: bool = False) -> m.Customer:
    """The customer row, or NotFound. `lock` takes the row lock (PostgreSQL) and re-reads it fresh."""
    stmt = select(m.Customer).where(m.Customer.id == customer_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    customer = session.scalars(stmt).first()
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def _address_for_write(
    session: Session, address_id: int, expected_version: int | None
) -> tuple[m.Address, m.Customer]:
    """The address and its customer, the customer row locked first, then the address read fresh."""
    customer_id = session.scalar(select(m.Address.customer_id).where(m.Address.id == address_id))
    if customer_id is None:
        raise NotFound("address", address_id)
    customer = load_customer(session, customer_id, lock=True)
    address = session.scalars(
        select(m.Address).where(m.Address.id == address_id).execution_options(populate_existing=True)
    ).first()
    if address is None:
        raise NotFound("address", address_id)
    _check_version("address", address_id, address.version, expected_version)
    return address, customer


def _flush(session: Session, address_id: int) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError("address", address_id) from exc


def _check_version(entity: str, entity_id: int, actual: int, expected: int | None) -> None:
    if expected is not None and actual != expected:
        raise ConflictError(entity, entity_id, expected, actual)


def list_addresses(session: Session, customer_id: int) -> list[AddressView]:
    customer = load_customer(session, customer_id)
    addresses = session.scalars(
        select(m.Address).where(m.Address.customer_id == customer_id).order_by(m.Address.id)
    )
    return [view(a, customer) for a in addresses]


def _set_default(session: Session, customer: m.Customer, address: m.Address, role: str) -> None:
    column = f"default_{role}_address_id"
    before = getattr(customer, column)
    if before == address.id:
        return
    setattr(customer, column, address.id)
    changelog.record(session, "customer", customer.id, f"set_default_{role}", {column: [before, address.id]})


def email_owner(session: Session, email: str | None, customer_id: int | None = None) -> tuple[int, str] | None:
    """Another customer (id, name) whose email or one of whose addresses' emails is `email` (any case)."""
    if not email:
        return None
    key = email.lower()
    C, A = m.Customer, m.Address
    own = select(C.id, C.name).where(func.lower(C.email) == key)
    on_address = select(C.id, C.name).join(A, A.customer_id == C.id).where(func.lower(A.email) == key)
    if customer_id is not None:
        own = own.where(C.id != customer_id)
        on_address = on_address.where(A.customer_id != customer_id)
    for stmt in (own, on_address):
        found = session.execute(stmt.order_by(C.id).limit(1)).first()
        if found is not None:
            return int(found.id), str(found.name)
    return None


def check_email_free(session: Session, email: str | None, customer_id: int | None = None) -> None:
    """An email is one customer's: no other customer has it, nor on one of its addresses (EmailTaken)."""
    owner = email_owner(session, email, customer_id)
    if owner is not None:
        raise EmailTaken(str(email), owner[0], owner[1])


def add_address(session: Session, customer_id: int, data: Mapping[str, Any]) -> AddressView:
    """Add an address; an equal one (same dedup key) is returned instead, with `duplicate=True`."""
    values = clean_address(data)
    customer = load_customer(session, customer_id, lock=True)
    check_email_free(session, values.get("email"), customer.id)
    address, created = new_address(session, customer, values)
    if values.get("is_default_shipping") or customer.default_shipping_address_id is None:
        _set_default(session, customer, address, "shipping")
    if values.get("is_default_billing") or customer.default_billing_address_id is None:
        _set_default(session, customer, address, "billing")
    session.flush()
    return view(address, customer, duplicate=not created)


def update_address(
    session: Session, address_id: int, data: Mapping[str, Any], *, expected_version: int | None = None
) -> AddressView:
    values = clean_address(data, partial=True)
    address, customer = _address_for_write(session, address_id, expected_version)
    before = address_values(address)
    if "email" in values and (values["email"] or "").lower() != (address.email or "").lower():
        check_email_free(session, values["email"], customer.id)
    merged = {**before, **{k: v for k, v in values.items() if k in ADDRESS_FIELDS}}
    if not any(merged.get(f) for f in LOCATION_FIELDS):
        raise ValidationError([FieldError("address1", EMPTY_ADDRESS)])
    same = find_same(session, customer.id, merged, exclude_id=address.id)
    if same is not None:
        raise DuplicateAddress(view(same, customer))
    apply_values(address, merged)
    changes = changelog.diff(before, address_values(address))
    if changes:
        changelog.record(session, "address", address.id, "update", changes)
    if values.get("is_default_shipping"):
        _set_default(session, customer, address, "shipping")
    if values.get("is_default_billing"):
        _set_default(session, customer, address, "billing")
    _flush(session, address_id)
    return view(address, customer)


def delete_address(session: Session, address_id: int, *, expected_version: int | None = None) -> None:
    """Delete an address that is neither the default shipping nor the default billing address."""
    address, customer = _address_for_write(session, address_id, expected_version)
    roles = [
        role for role, default_id in (
            ("shipping", customer.default_shipping_address_id),
            ("billing", customer.default_billing_address_id),
        ) if default_id == address.id
    ]
    if roles:
        raise DefaultAddressInUse(address.id, roles)
    changelog.record(session, "address", address.id, "delete",
                     changelog.diff(address_values(address), {f: None for f in ADDRESS_FIELDS}))
    session.delete(address)
    _flush(session, address_id)


def set_default_address(session: Session, customer_id: int, address_id: int, role: str) -> AddressView:
    """Make `address_id` the customer's default `role` ("shipping" or "billing") address."""
    if role not in ("shipping", "billing"):
        raise ValueError(role)
    customer = load_customer(session, customer_id, lock=True)
    address = session.get(m.Address, address_id)
    if address is None or address.customer_id != customer.id:
        raise AddressNotOwned(address_id, customer_id)
    _set_default(session, customer, address, role)
    session.flush()
    return view(address, customer)


def set_default_shipping_address(session: Session, customer_id: int, address_id: int) -> AddressView:
    return set_default_address(session, customer_id, address_id, "shipping")


def set_default_billing_address(session: Session, customer_id: int, address_id: int) -> AddressView:
    return set_default_address(session, customer_id, address_id, "billing")
