"""Customer use cases (DESIGN §2 items 2–9): create, get, update, check deletable, delete, archive,
and the bulk actions over a list of ids or over every customer matching the current filters.

Each function works inside the caller's transaction (one unit of work) and raises typed errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from desktop.services import changelog
from desktop.services.addresses import (
    AddressView,
    address_values,
    apply_values,
    check_email_free,
    load_customer,
    new_address,
    view,
)
from desktop.services.customer_list import CustomerQuery, matching_ids
from desktop.services.errors import (
    ArchivedCustomer,
    ConflictError,
    DomainError,
    DuplicateCustomer,
    EmailTaken,
    FieldError,
    Links,
    NotDeletable,
    NotFound,
    ValidationError,
)
from desktop.services.matching import find_customer_match
from desktop.services.validation import (
    CUSTOMER_FIELDS,
    CUSTOMER_REFERENCES,
    DEFAULT_SETTINGS,
    LOCATION_FIELDS,
    clean_customer,
)
from desktop.store import models as m

# progress(done, total); may raise errors.Cancelled to stop (the caller's transaction then rolls back).
Progress = Callable[[int, int], None]
CHUNK = 2000

REFERENCE_MODELS: dict[str, type[m.Base]] = {
    "default_sales_rep_id": m.SalesRep,
    "product_pricing_tier_id": m.PricingTier,
    "store_id": m.Store,
    "warehouse_id": m.Warehouse,
    "shipping_method_domestic_id": m.ShippingMethod,
    "shipping_method_international_id": m.ShippingMethod,
}
CUSTOMER_COLUMNS = (*CUSTOMER_FIELDS, *CUSTOMER_REFERENCES, *DEFAULT_SETTINGS)


@dataclass(frozen=True)
class CustomerDetail:
    """Get Customer: the customer with all its addresses (default flags) and its default sales rep."""

    id: int
    version: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    fax: str | None
    notes: str | None
    default_sales_rep_id: int | None
    default_sales_rep: str | None
    product_pricing_tier_id: int | None
    store_id: int | None
    warehouse_id: int | None
    shipping_method_domestic_id: int | None
    shipping_method_international_id: int | None
    default_shipping_address_id: int | None
    default_billing_address_id: int | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    addresses: list[AddressView] = field(default_factory=list)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def default_shipping_address(self) -> AddressView | None:
        return next((a for a in self.addresses if a.is_default_shipping), None)

    @property
    def default_billing_address(self) -> AddressView | None:
        return next((a for a in self.addresses if a.is_default_billing), None)


@dataclass
class Outcome:
    customer_id: int
    name: str | None
    done: bool
    reason: str | None = None


@dataclass
class BulkResult:
    """Per-customer outcome of a bulk action: done, or skipped with the reason."""

    action: str
    outcomes: list[Outcome] = field(default_factory=list)
    bulk_action_id: int | None = None  # an archive or unarchive that changed someone: undo it by this id

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.done]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.done]

    def summary(self) -> str:
        return f"{len(self.done)} {self.action}, {len(self.skipped)} skipped"


# --- reading ------------------------------------------------------------------------------------


def _detail(session: Session, customer: m.Customer) -> CustomerDetail:
    addresses = session.scalars(
        select(m.Address).where(m.Address.customer_id == customer.id).order_by(m.Address.id)
    ).all()
    rep = session.get(m.SalesRep, customer.default_sales_rep_id) if customer.default_sales_rep_id else None
    return CustomerDetail(
        id=customer.id, version=customer.version,
        **{f: getattr(customer, f) for f in CUSTOMER_COLUMNS},
        default_sales_rep=rep.name if rep else None,
        default_shipping_address_id=customer.default_shipping_address_id,
        default_billing_address_id=customer.default_billing_address_id,
        archived_at=customer.archived_at, created_at=customer.created_at, updated_at=customer.updated_at,
        addresses=[view(a, customer) for a in addresses],
    )


def get_customer(session: Session, customer_id: int) -> CustomerDetail:
    return _detail(session, load_customer(session, customer_id))


def _customer_values(customer: m.Customer) -> dict[str, Any]:
    return {f: getattr(customer, f) for f in CUSTOMER_COLUMNS}


# --- checks shared by create and update -----------------------------------------------------------


def _check_references(session: Session, values: Mapping[str, Any]) -> None:
    errors = []
    for key, model in REFERENCE_MODELS.items():
        ref = values.get(key)
        if ref is not None and session.get(model, ref) is None:
            errors.append(FieldError(key, f"refers to {model.__tablename__.replace('_', ' ')[:-1]} {ref}, "
                                          "which does not exist"))
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class EmailHolder:
    customer_id: int
    name: str
    where: str  # "customer" (its own email) or "address <id>"


@dataclass(frozen=True)
class EmailClash:
    """One email held by more than one customer (an older store's data, from before the rule)."""

    email: str
    holders: list[EmailHolder]


def list_email_clashes(session: Session, *, limit: int = 10_000) -> list[EmailClash]:
    """Every email (any case) that more than one customer holds, as its own email or on an address."""
    C, A = m.Customer, m.Address
    held = union_all(
        select(func.lower(C.email).label("key"), C.id.label("customer_id")).where(C.email.is_not(None)),
        select(func.lower(A.email).label("key"), A.customer_id.label("customer_id")).where(A.email.is_not(None)),
    ).subquery()
    keys = list(session.scalars(
        select(held.c.key).group_by(held.c.key)
        .having(func.count(func.distinct(held.c.customer_id)) > 1).order_by(held.c.key).limit(limit)
    ))
    clashes: list[EmailClash] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        rows = session.execute(union_all(
            select(func.lower(C.email).label("key"), C.id, C.name, literal("customer").label("kind"),
                   literal(None, type_=A.id.type).label("address_id"), C.email.label("email"))
            .where(func.lower(C.email).in_(chunk)),
            select(func.lower(A.email).label("key"), C.id, C.name, literal("address").label("kind"),
                   A.id.label("address_id"), A.email.label("email"))
            .join(C, C.id == A.customer_id).where(func.lower(A.email).in_(chunk)),
        )).all()
        by_key: dict[str, list[Any]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        for key in chunk:
            found = sorted(by_key.get(key, []), key=lambda r: (r.id, r.kind != "customer", r.address_id or 0))
            holders = [EmailHolder(r.id, r.name, "customer" if r.kind == "customer" else f"address {r.address_id}")
                       for r in found]
            if len({h.customer_id for h in holders}) > 1:
                clashes.append(EmailClash(found[0].email if found else key, holders))
    return clashes


def _flush(session: Session, customer: m.Customer, *, add: bool = False) -> None:
    """Flush in a savepoint, turning a lost race on the email index or the version into typed errors.

    `add`: the new customer joins the session inside the savepoint. begin_nested() flushes what is pending
    before it emits SAVEPOINT: a customer added before it would be inserted outside the savepoint, and a
    lost race on its email would then spoil the whole transaction instead of this step."""
    try:
        with session.begin_nested():
            if add:
                session.add(customer)
            session.flush()
    except IntegrityError as exc:
        if customer.email and "email" in str(exc.orig).lower():
            owner = session.execute(
                select(m.Customer.id, m.Customer.name).where(func.lower(m.Customer.email) == customer.email.lower())
            ).first()
            raise EmailTaken(customer.email, owner.id if owner else 0, owner.name if owner else None) from exc
        raise
    except StaleDataError as exc:
        raise ConflictError("customer", customer.id) from exc


def _location(values: Mapping[str, Any], customer: m.Customer) -> dict[str, Any]:
    """Root address fields plus the customer's name/company/email/phone, as a shipping address."""
    location = {f: values.get(f) for f in LOCATION_FIELDS}
    location.update(name=customer.name, company=customer.company, email=customer.email, phone=customer.phone)
    return location


# --- create / update ----------------------------------------------------------------------------


def create_customer(
    session: Session, data: Mapping[str, Any], *, allow_duplicate: bool = False
) -> CustomerDetail:
    """Create a customer; root address fields become its default shipping (and billing) address.

    A customer matching an existing one (Find Match rule) is refused with the candidates unless
    `allow_duplicate`. Default settings are refused here (only on update).
    """
    values = clean_customer(data, creating=True)
    _check_references(session, values)
    check_email_free(session, values.get("email"))
    if not allow_duplicate:
        candidates = find_customer_match(session, values["name"], values.get("zip"), values.get("address1"))
        if candidates:
            raise DuplicateCustomer(candidates)

    customer = m.Customer(**{k: values.get(k) for k in (*CUSTOMER_FIELDS, *CUSTOMER_REFERENCES)})
    _flush(session, customer, add=True)
    if any(values.get(f) for f in LOCATION_FIELDS):
        shipping, _ = new_address(session, customer, _location(values, customer))
        customer.default_shipping_address_id = shipping.id
        customer.default_billing_address_id = shipping.id
    billing_values = values.get("default_billing_address")
    if billing_values:
        billing, _ = new_address(session, customer, billing_values)
        customer.default_billing_address_id = billing.id
    _flush(session, customer)
    changelog.record(session, "customer", customer.id, "create", changelog.diff({}, {
        **_customer_values(customer),
        "default_shipping_address_id": customer.default_shipping_address_id,
        "default_billing_address_id": customer.default_billing_address_id,
    }))
    return _detail(session, customer)


def update_customer(
    session: Session,
    customer_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> CustomerDetail:
    """Change only the given fields. Root address fields edit the default shipping address.

    `expected_version` is the version the clerk saw; if the row has moved on since, ConflictError.
    """
    values = clean_customer(data, creating=False)
    customer = load_customer(session, customer_id, lock=True)
    if expected_version is not None and customer.version != expected_version:
        raise ConflictError("customer", customer_id, expected_version, customer.version)
    _check_references(session, values)
    # Only a new email is checked: a clash from before the rule stays until the email changes.
    if "email" in values and (values["email"] or "").lower() != (customer.email or "").lower():
        check_email_free(session, values["email"], customer_id)

    before = _customer_values(customer)
    for key in CUSTOMER_COLUMNS:
        if key in values and getattr(customer, key) != values[key]:
            setattr(customer, key, values[key])
    changes = changelog.diff(before, _customer_values(customer))

    location = {k: values[k] for k in LOCATION_FIELDS if k in values}
    if location:
        shipping = (
            session.get(m.Address, customer.default_shipping_address_id)
            if customer.default_shipping_address_id else None
        )
        if shipping is None:
            created, _ = new_address(session, customer, _location(values, customer))
            customer.default_shipping_address_id = created.id
            if customer.default_billing_address_id is None:
                customer.default_billing_address_id = created.id
            changes["default_shipping_address_id"] = [None, created.id]
        else:
            address_before = address_values(shipping)
            apply_values(shipping, {**address_before, **location})
            address_changes = changelog.diff(address_before, address_values(shipping))
            if address_changes:
                changelog.record(session, "address", shipping.id, "update", address_changes)
                changes.update({f"shipping.{k}": v for k, v in address_changes.items()})
    if changes:
        # An edit of the default shipping address is an edit of the customer too: its version moves on.
        customer.updated_at = m.utcnow()
        _flush(session, customer)
        changelog.record(session, "customer", customer.id, "update", changes)
    return _detail(session, customer)


# --- archive ------------------------------------------------------------------------------------


def _set_archived(session: Session, customer_id: int, archived: bool, expected_version: int | None) -> bool:
    customer = load_customer(session, customer_id, lock=True)
    if expected_version is not None and customer.version != expected_version:
        raise ConflictError("customer", customer_id, expected_version, customer.version)
    if (customer.archived_at is not None) == archived:
        return False  # idempotent
    before = customer.archived_at
    customer.archived_at = m.utcnow() if archived else None
    _flush(session, customer)
    changelog.record(session, "customer", customer.id, "archive" if archived else "unarchive",
                     {"archived_at": [changelog.json_value(before), changelog.json_value(customer.archived_at)]})
    return True


def archive_customer(session: Session, customer_id: int, *, expected_version: int | None = None) -> bool:
    """Archive one customer. Returns False when it already was archived (nothing changes)."""
    return _set_archived(session, customer_id, True, expected_version)


def unarchive_customer(session: Session, customer_id: int, *, expected_version: int | None = None) -> bool:
    return _set_archived(session, customer_id, False, expected_version)


def ensure_active(session: Session, customer_id: int) -> m.Customer:
    """The customer, or ArchivedCustomer (archived customers cannot be given new sales orders)."""
    customer = load_customer(session, customer_id)
    if customer.archived_at is not None:
        raise ArchivedCustomer(customer.id, customer.name)
    return customer


# --- delete -------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int], size: int | None = None) -> Iterable[list[int]]:
    size = size or CHUNK  # read at call time, so a caller (or a test) can change CHUNK
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def check_deletable(session: Session, customer_ids: Iterable[int]) -> dict[int, Links]:
    """For each id: the records linking it (zero counts = deletable). Unknown ids are left out."""
    ids = list(dict.fromkeys(customer_ids))
    result: dict[int, Links] = {}
    for chunk in _chunks(ids):
        counts: dict[int, dict[str, int]] = {cid: {} for cid in session.scalars(
            select(m.Customer.id).where(m.Customer.id.in_(chunk))
        )}
        queries = {
            "sales_orders": select(m.SalesOrder.customer_id, func.count())
            .where(m.SalesOrder.customer_id.in_(chunk)).group_by(m.SalesOrder.customer_id),
            "sales_credits": select(m.SalesCredit.customer_id, func.count())
            .where(m.SalesCredit.customer_id.in_(chunk)).group_by(m.SalesCredit.customer_id),
            "payments": select(m.SalesOrder.customer_id, func.count())
            .join(m.Payment, m.Payment.sales_order_id == m.SalesOrder.id)
            .where(m.SalesOrder.customer_id.in_(chunk)).group_by(m.SalesOrder.customer_id),
            "fulfillments": select(m.SalesOrder.customer_id, func.count())
            .join(m.SalesOrderFulfillment, m.SalesOrderFulfillment.sales_order_id == m.SalesOrder.id)
            .where(m.SalesOrder.customer_id.in_(chunk)).group_by(m.SalesOrder.customer_id),
        }
        for kind, stmt in queries.items():
            for customer_id, n in session.execute(stmt):
                counts[customer_id][kind] = n
        result.update({cid: Links(**c) for cid, c in counts.items()})
    return result


def _delete_rows(session: Session, ids: list[int]) -> None:
    session.execute(
        update(m.Customer).where(m.Customer.id.in_(ids))
        .values(default_shipping_address_id=None, default_billing_address_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(m.Address).where(m.Address.customer_id.in_(ids))
                    .execution_options(synchronize_session=False))
    session.execute(delete(m.Customer).where(m.Customer.id.in_(ids))
                    .execution_options(synchronize_session=False))


def delete_customer(session: Session, customer_id: int, *, expected_version: int | None = None) -> None:
    """Delete a customer and its addresses; refused (NotDeletable) when other records link to it."""
    customer = load_customer(session, customer_id, lock=True)
    if expected_version is not None and customer.version != expected_version:
        raise ConflictError("customer", customer_id, expected_version, customer.version)
    links = check_deletable(session, [customer_id])[customer_id]
    if links.any:
        raise NotDeletable(customer.id, customer.name, links)
    changelog.record(session, "customer", customer.id, "delete",
                     changelog.diff(_customer_values(customer), {k: None for k in CUSTOMER_COLUMNS}))
    session.expunge(customer)
    _delete_rows(session, [customer_id])
    session.expire_all()


# --- bulk ---------------------------------------------------------------------------------------


def _targets(
    session: Session, ids: Sequence[int] | None, apply_to_all: bool, query: CustomerQuery | None
) -> list[int]:
    if apply_to_all:
        if ids:
            raise ValidationError([FieldError("ids", "give either ids or apply_to_all, not both")])
        return list(session.scalars(matching_ids(session, query or CustomerQuery()).order_by(m.Customer.id)))
    if ids is None:
        raise ValidationError([FieldError("ids", "give the customers to change, or apply_to_all")])
    try:
        return list(dict.fromkeys(int(i) for i in ids))
    except (TypeError, ValueError):
        raise ValidationError([FieldError("ids", "must be a list of customer ids")]) from None


def _states(session: Session, ids: list[int]) -> dict[int, tuple[str, dt.datetime | None]]:
    states: dict[int, tuple[str, dt.datetime | None]] = {}
    for chunk in _chunks(ids):
        for cid, name, archived_at in session.execute(
            select(m.Customer.id, m.Customer.name, m.Customer.archived_at).where(m.Customer.id.in_(chunk))
        ):
            states[cid] = (name, archived_at)
    return states


def _bulk_archive(
    session: Session, archive: bool, ids: Sequence[int] | None, apply_to_all: bool,
    query: CustomerQuery | None, progress: Progress | None, description: str | None = None,
) -> BulkResult:
    targets = _targets(session, ids, apply_to_all, query)
    result = BulkResult("archived" if archive else "unarchived")
    states = _states(session, targets)
    todo: list[int] = []
    for cid in targets:
        if cid not in states:
            result.outcomes.append(Outcome(cid, None, False, "does not exist (it may have been deleted)"))
            continue
        name, archived_at = states[cid]
        if (archived_at is not None) == archive:
            result.outcomes.append(Outcome(cid, name, False, f"already {'archived' if archive else 'active'}"))
        else:
            todo.append(cid)
            result.outcomes.append(Outcome(cid, name, True))
    now = m.utcnow()
    done = 0
    if progress:
        progress(0, len(todo))
    for chunk in _chunks(todo):
        session.execute(
            update(m.Customer)
            .where(m.Customer.id.in_(chunk))
            .values(archived_at=now if archive else None, updated_at=now, version=m.Customer.version + 1)
            .execution_options(synchronize_session=False)
        )
        changelog.record_many(session, "customer", "archive" if archive else "unarchive", (
            (cid, {"archived_at": [changelog.json_value(states[cid][1]),
                                   changelog.json_value(now if archive else None)]})
            for cid in chunk
        ))
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    if todo:
        record = m.BulkAction(
            action="archive" if archive else "unarchive", count=len(todo), customer_ids=todo, stamp=now,
            description=(description or ("all matching the filter" if apply_to_all else
                                         f"{len(targets):,} chosen"))[:1000],
            before=None if archive else {str(cid): changelog.json_value(states[cid][1]) for cid in todo},
            os_user=changelog.os_user())
        session.add(record)
        session.flush()
        result.bulk_action_id = record.id
    session.expire_all()
    return result


@dataclass(frozen=True)
class BulkActionView:
    id: int
    action: str  # "archive" or "unarchive"
    description: str
    count: int
    done_at: dt.datetime
    undone_at: dt.datetime | None
    user: str | None

    @property
    def state(self) -> str:
        return "undone" if self.undone_at is not None else "done"


@dataclass
class BulkUndoResult:
    bulk_action_id: int
    action: str
    restored: int = 0
    changed_since: list[tuple[int, str]] = field(default_factory=list)  # left as they are now
    gone: int = 0  # deleted since


def list_bulk_actions(session: Session, *, limit: int = 500) -> list[BulkActionView]:
    """The bulk archives and unarchives, newest first."""
    b = m.BulkAction
    rows = session.execute(select(b.id, b.action, b.description, b.count, b.stamp, b.undone_at, b.os_user)
                           .order_by(b.id.desc()).limit(limit))
    return [BulkActionView(*row) for row in rows]


def undo_bulk_action(session: Session, bulk_action_id: int, progress: Progress | None = None) -> BulkUndoResult:
    """Undo a bulk archive (unarchive them again) or unarchive (archive them again, with the archive time they
    had), for each of its customers untouched since; the ones changed since stay as they are and are named.
    One transaction; refused when it was undone already."""
    locking = session.get_bind().dialect.name == "postgresql"
    action = session.get(m.BulkAction, bulk_action_id, with_for_update=locking)
    if action is None:
        raise NotFound("bulk action", bulk_action_id)
    if action.undone_at is not None:
        raise DomainError(f"That bulk {action.action} was already undone on "
                          f"{action.undone_at:%Y-%m-%d %H:%M} (UTC).")
    archive = action.action == "archive"
    result = BulkUndoResult(action.id, action.action)
    ids = [int(i) for i in action.customer_ids or []]
    before = action.before or {}
    now = m.utcnow()
    done = 0
    if progress:
        progress(0, len(ids))
    for chunk in _chunks(ids):
        rows = session.execute(select(m.Customer.id, m.Customer.name, m.Customer.updated_at, m.Customer.archived_at)
                               .where(m.Customer.id.in_(chunk))).all()
        result.gone += len(chunk) - len(rows)
        untouched = []
        for cid, name, updated_at, archived_at in rows:
            if updated_at == action.stamp and (archived_at is not None) == archive:
                untouched.append(cid)
            else:
                result.changed_since.append((cid, name))
        if archive:
            session.execute(update(m.Customer).where(m.Customer.id.in_(untouched))
                            .values(archived_at=None, updated_at=now, version=m.Customer.version + 1)
                            .execution_options(synchronize_session=False))
            changelog.record_many(session, "customer", "unarchive", (
                (cid, {"archived_at": [changelog.json_value(action.stamp), None], "undo_of_bulk": [None, action.id]})
                for cid in untouched))
        else:
            by_time: dict[str | None, list[int]] = {}  # one UPDATE per archive time (often one for all)
            for cid in untouched:
                by_time.setdefault(before.get(str(cid)), []).append(cid)
            for was, same in by_time.items():
                session.execute(update(m.Customer).where(m.Customer.id.in_(same))
                                .values(archived_at=dt.datetime.fromisoformat(was) if was else now, updated_at=now,
                                        version=m.Customer.version + 1)
                                .execution_options(synchronize_session=False))
            changelog.record_many(session, "customer", "archive", (
                (cid, {"archived_at": [None, before.get(str(cid))], "undo_of_bulk": [None, action.id]})
                for cid in untouched))
        result.restored += len(untouched)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    action.undone_at = now
    session.flush()
    session.expire_all()
    return result


def bulk_archive(
    session: Session, *, ids: Sequence[int] | None = None, apply_to_all: bool = False,
    query: CustomerQuery | None = None, progress: Progress | None = None, description: str | None = None,
) -> BulkResult:
    """Archive the given customers, or with `apply_to_all` every customer matching `query`. Recorded as one
    bulk action (`result.bulk_action_id`) that `undo_bulk_action` undoes; `description` says what was chosen."""
    return _bulk_archive(session, True, ids, apply_to_all, query, progress, description)


def bulk_unarchive(
    session: Session, *, ids: Sequence[int] | None = None, apply_to_all: bool = False,
    query: CustomerQuery | None = None, progress: Progress | None = None, description: str | None = None,
) -> BulkResult:
    return _bulk_archive(session, False, ids, apply_to_all, query, progress, description)


def bulk_delete(
    session: Session, *, ids: Sequence[int] | None = None, apply_to_all: bool = False,
    query: CustomerQuery | None = None, progress: Progress | None = None,
) -> BulkResult:
    """Delete every target that nothing links to; the others are skipped with the reason."""
    targets = _targets(session, ids, apply_to_all, query)
    result = BulkResult("deleted")
    states = _states(session, targets)
    links = check_deletable(session, [cid for cid in targets if cid in states])
    todo: list[int] = []
    for cid in targets:
        if cid not in states:
            result.outcomes.append(Outcome(cid, None, False, "does not exist (it may have been deleted)"))
        elif links[cid].any:
            result.outcomes.append(Outcome(cid, states[cid][0], False,
                                           f"linked to {links[cid].describe()} — archive instead?"))
        else:
            todo.append(cid)
            result.outcomes.append(Outcome(cid, states[cid][0], True))
    done = 0
    if progress:
        progress(0, len(todo))
    for chunk in _chunks(todo):
        columns = [getattr(m.Customer, f) for f in CUSTOMER_COLUMNS]
        before = session.execute(select(m.Customer.id, *columns).where(m.Customer.id.in_(chunk))).all()
        changelog.record_many(session, "customer", "delete", (
            (r[0], changelog.diff(dict(zip(CUSTOMER_COLUMNS, r[1:])), dict.fromkeys(CUSTOMER_COLUMNS)))
            for r in before
        ))
        _delete_rows(session, chunk)
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    session.expire_all()
    return result
