"""Typed domain errors. Each carries what the UI and the CLI need to explain it in the clerk's words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose. `str(error)` is a sentence for the clerk."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(DomainError):
    """One or more fields are wrong; `errors` names each field with its message."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "Invalid input.")

    def for_field(self, name: str) -> list[str]:
        return [e.message for e in self.errors if e.field == name]


class NotFound(DomainError):
    def __init__(self, entity: str, entity_id: Any):
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(f"{entity.capitalize()} {entity_id} does not exist (it may have been deleted).")


class ConflictError(DomainError):
    """Someone else changed the record since it was read: reload, then apply the change again."""

    def __init__(self, entity: str, entity_id: Any, expected: int | None = None, actual: int | None = None):
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{entity.capitalize()} {entity_id} was changed by someone else since you opened it. "
            "Reload it and make your change again."
        )


class EmailTaken(DomainError):
    def __init__(self, email: str, customer_id: int, name: str | None = None):
        self.email = email
        self.customer_id = customer_id
        self.name = name
        who = f"{name} (customer {customer_id})" if name else f"customer {customer_id}"
        super().__init__(f"The email {email} already belongs to {who}.")

    @property
    def owner(self) -> str:
        return f"{self.name} (customer {self.customer_id})" if self.name else f"customer {self.customer_id}"


@dataclass(frozen=True)
class MatchCandidate:
    """A customer that looks like the one being entered, with per-field scores (0–100)."""

    customer_id: int
    name: str
    company: str | None
    email: str | None
    address_id: int
    address1: str | None
    city: str | None
    zip: str | None
    archived: bool
    name_score: float
    address1_score: float
    zip_score: float
    score: float


class DuplicateCustomer(DomainError):
    def __init__(self, candidates: Sequence[MatchCandidate]):
        self.candidates = list(candidates)
        best = self.candidates[0]
        super().__init__(
            f"This looks like an existing customer: {best.name} (id {best.customer_id}, "
            f"{best.score:.0f}% match). Open that customer, or create anyway."
        )


@dataclass(frozen=True)
class Links:
    """What ties a customer to other records; any non-zero count forbids deleting it."""

    sales_orders: int = 0
    sales_credits: int = 0
    payments: int = 0
    fulfillments: int = 0

    @property
    def any(self) -> bool:
        return any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {
            "sales orders": self.sales_orders,
            "sales credits": self.sales_credits,
            "payments": self.payments,
            "fulfilments": self.fulfillments,
        }

    def describe(self) -> str:
        parts = [f"{n} {_plural(label, n)}" for label, n in self.counts().items() if n]
        return ", ".join(parts)


def _plural(label: str, n: int) -> str:
    return label if n != 1 else label[:-1]


class NotDeletable(DomainError):
    def __init__(self, customer_id: int, name: str, links: Links):
        self.customer_id = customer_id
        self.name = name
        self.links = links
        super().__init__(
            f"{name} cannot be deleted: linked to {links.describe()}. Archive the customer instead."
        )


class ArchivedCustomer(DomainError):
    def __init__(self, customer_id: int, name: str):
        self.customer_id = customer_id
        super().__init__(f"{name} is archived: unarchive the customer first.")


class AddressNotOwned(DomainError):
    def __init__(self, address_id: int, customer_id: int):
        self.address_id = address_id
        self.customer_id = customer_id
        super().__init__(f"Address {address_id} does not belong to customer {customer_id}.")


class DefaultAddressInUse(DomainError):
    def __init__(self, address_id: int, roles: Sequence[str]):
        self.address_id = address_id
        self.roles = list(roles)
        super().__init__(
            f"This address is the default {' and '.join(roles)} address: "
            "make another address the default first."
        )


class Cancelled(DomainError):
    """The clerk cancelled long work; the transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__("Cancelled: nothing was changed.")
