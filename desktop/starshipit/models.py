"""Typed request and response objects for Starshipit's order JSON (`{"order": {...}}`), built and read here
only: the rest of the app never handles raw dictionaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

ORDER_NUMBER_MAX = 50
REFERENCE_MAX = 50


def _number(value: Decimal | None) -> int | float | None:
    """A JSON number for a Decimal (whole numbers stay integers)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass(frozen=True)
class Destination:
    name: str | None
    street: str | None
    city: str | None
    post_code: str | None
    country: str | None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    suburb: str | None = None
    state: str | None = None
    delivery_instructions: str | None = None

    def to_json(self) -> dict[str, Any]:
        keys = ("name", "company", "email", "phone", "street", "suburb", "city", "state", "post_code", "country",
                "delivery_instructions")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Destination:
        data = data or {}
        return cls(**{k: _text(data.get(k)) for k in (
            "name", "street", "city", "post_code", "country", "company", "email", "phone", "suburb", "state",
            "delivery_instructions")})

    def one_line(self) -> str:
        return ", ".join(p for p in (self.name, self.street, self.suburb, self.city, self.state, self.post_code,
                                     self.country) if p)


@dataclass(frozen=True)
class Item:
    description: str | None
    sku: str | None
    quantity: Decimal
    value: Decimal | None = None
    weight: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description, "sku": self.sku,
                               "quantity": _number(self.quantity)}
        if self.weight is not None:
            out["weight"] = _number(self.weight)
        if self.value is not None:
            out["value"] = _number(self.value)
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        return cls(description=_text(data.get("description")), sku=_text(data.get("sku")),
                   quantity=_decimal(data.get("quantity")) or Decimal(0), value=_decimal(data.get("value")),
                   weight=_decimal(data.get("weight")))


@dataclass(frozen=True)
class OrderRequest:
    """The body of POST/PUT /api/orders (`{"order": to_json()}`) and one element of an import."""

    order_number: str
    reference: str | None
    order_date: dt.date | dt.datetime | None
    destination: Destination
    items: tuple[Item, ...]
    shipping_method: str | None = None
    currency: str | None = None
    order_id: int | None = None  # set for an update

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.order_id is not None:
            out["order_id"] = self.order_id
        out["order_number"] = self.order_number
        if self.reference is not None:
            out["reference"] = self.reference
        if self.order_date is not None:
            when = self.order_date
            if not isinstance(when, dt.datetime):
                when = dt.datetime.combine(when, dt.time())
            out["order_date"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.shipping_method:
            out["shipping_method"] = self.shipping_method
        if self.currency:
            out["currency"] = self.currency
        out["destination"] = self.destination.to_json()
        out["items"] = [i.to_json() for i in self.items]
        return out


@dataclass(frozen=True)
class Package:
    name: str | None
    weight: Decimal | None
    tracking_number: str | None
    tracking_url: str | None
    carrier_service_name: str | None
    delivery_status: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Package:
        return cls(name=_text(data.get("name")), weight=_decimal(data.get("weight")),
                   tracking_number=_text(data.get("tracking_number")),
                   tracking_url=_text(data.get("tracking_url")),
                   carrier_service_name=_text(data.get("carrier_service_name")),
                   delivery_status=_text(data.get("delivery_status")))


@dataclass(frozen=True)
class StarshipitOrder:
    """An order as Starshipit returns it (the fields this app shows and stores)."""

    order_id: int
    order_number: str | None
    reference: str | None = None
    status: str | None = None
    carrier: str | None = None
    carrier_name: str | None = None
    shipping_method: str | None = None
    order_date: str | None = None
    destination: Destination | None = None
    items: tuple[Item, ...] = ()
    packages: tuple[Package, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tracking_number(self) -> str | None:
        return next((p.tracking_number for p in self.packages if p.tracking_number), None) or _text(
            self.raw.get("tracking_number"))

    @property
    def tracking_url(self) -> str | None:
        return next((p.tracking_url for p in self.packages if p.tracking_url), None) or _text(
            self.raw.get("tracking_url"))

    @property
    def carrier_display(self) -> str | None:
        return self.carrier_name or self.carrier

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StarshipitOrder:
        order_id = data.get("order_id")
        if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not str(order_id).isdigit():
            raise ValueError(f"order_id missing or not a number: {order_id!r}")
        items = data.get("items") or []
        packages = data.get("packages") or []
        return cls(
            order_id=int(order_id), order_number=_text(data.get("order_number")),
            reference=_text(data.get("reference")), status=_text(data.get("status")),
            carrier=_text(data.get("carrier")), carrier_name=_text(data.get("carrier_name")),
            shipping_method=_text(data.get("shipping_method")), order_date=_text(data.get("order_date")),
            destination=Destination.from_json(data.get("destination")) if data.get("destination") else None,
            items=tuple(Item.from_json(i) for i in items if isinstance(i, Mapping)),
            packages=tuple(Package.from_json(p) for p in packages if isinstance(p, Mapping)),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ImportResult:
    """What POST /api/orders/import said: the orders it created (by order number) and its error messages."""

    created: dict[str, int]
    errors: list[str]
