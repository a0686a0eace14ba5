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


def decimal_or_none(value: Any) -> Decimal | None:
    """A Decimal from JSON or stored text; None when empty or not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


DESTINATION_KEYS = ("name", "company", "email", "phone", "building", "street", "suburb", "city", "state",
                    "post_code", "country", "delivery_instructions")


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
    suburb: str | None = None  # the locality within the city (NZ), or the town itself (AU)
    state: str | None = None
    delivery_instructions: str | None = None
    building: str | None = None  # a unit, floor or building line

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in DESTINATION_KEYS if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Destination:
        data = data or {}
        return cls(**{k: _text(data.get(k)) for k in DESTINATION_KEYS})

    def one_line(self) -> str:
        return ", ".join(p for p in (self.name, self.building, self.street, self.suburb, self.city, self.state,
                                     self.post_code, self.country) if p)


@dataclass(frozen=True)
class Item:
    description: str | None
    sku: str | None
    quantity: Decimal
    value: Decimal | None = None  # of one item
    weight: Decimal | None = None  # kg, of one item
    tariff_code: str | None = None
    country_of_origin: str | None = None
    item_id: int | None = None  # Starshipit's, for an update

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item_id": self.item_id, "description": self.description, "sku": self.sku,
                               "quantity": _number(self.quantity), "weight": _number(self.weight),
                               "value": _number(self.value), "tariff_code": self.tariff_code,
                               "country_of_origin": self.country_of_origin}
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        item_id = data.get("item_id")
        return cls(description=_text(data.get("description")), sku=_text(data.get("sku")),
                   quantity=decimal_or_none(data.get("quantity")) or Decimal(0), value=decimal_or_none(data.get("value")),
                   weight=decimal_or_none(data.get("weight")), tariff_code=_text(data.get("tariff_code")),
                   country_of_origin=_text(data.get("country_of_origin")),
                   item_id=int(item_id) if isinstance(item_id, int) and not isinstance(item_id, bool) else None)


@dataclass(frozen=True)
class PackageRequest:
    """One package of an order as sent: kg and metres (Starshipit's units)."""

    weight: Decimal
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    package_id: int | None = None  # Starshipit's, for an update

    def to_json(self) -> dict[str, Any]:
        out = {"package_id": self.package_id, "weight": _number(self.weight), "height": _number(self.height),
               "width": _number(self.width), "length": _number(self.length)}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class OrderRequest:
    """The body of POST/PUT /api/orders (`{"order": to_json()}`) and one element of an import."""

    order_number: str
    reference: str | None
    order_date: dt.date | dt.datetime | None
    destination: Destination
    items: tuple[Item, ...]
    shipping_method: str | None = None  # the method's human name
    currency: str | None = None
    order_id: int | None = None  # set for an update
    carrier: str | None = None
    carrier_service_code: str | None = None
    signature_required: bool | None = None
    declared_value: Decimal | None = None  # international orders
    packages: tuple[PackageRequest, ...] = ()

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
        if self.carrier:
            out["carrier"] = self.carrier
        if self.carrier_service_code:
            out["carrier_service_code"] = self.carrier_service_code
        if self.shipping_method:
            out["shipping_method"] = self.shipping_method
        if self.signature_required is not None:
            out["signature_required"] = self.signature_required
        if self.currency:
            out["currency"] = self.currency
        if self.declared_value is not None:
            out["declared_value"] = _number(self.declared_value)
        out["destination"] = self.destination.to_json()
        out["items"] = [i.to_json() for i in self.items]
        if self.packages:
            out["packages"] = [p.to_json() for p in self.packages]
        return out

    def body_hash(self) -> str:
        """The sha256 of the body as sent (without the order id): the same order sent again hashes alike."""
        import hashlib
        import json

        body = {k: v for k, v in self.to_json().items() if k != "order_id"}
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Package:
    package_id: int | None
    name: str | None
    weight: Decimal | None
    tracking_number: str | None
    tracking_url: str | None
    carrier_service_name: str | None
    delivery_status: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Package:
        package_id = data.get("package_id")
        return cls(package_id=package_id if isinstance(package_id, int) and not isinstance(package_id, bool)
                   else None, name=_text(data.get("name")), weight=decimal_or_none(data.get("weight")),
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


ORDER_STATUSES = ("Unshipped", "Saved", "Printed", "Shipped", "Delivered")  # as the API names them


@dataclass(frozen=True)
class ListedOrder:
    """One row of GET /api/orders/shipped or /api/orders/unshipped."""

    order_id: int
    order_number: str | None
    status: str | None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], default_status: str | None) -> ListedOrder:
        order_id = data.get("order_id")
        if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not str(order_id).isdigit():
            raise ValueError(f"order_id missing or not a number: {order_id!r}")
        return cls(order_id=int(order_id), order_number=_text(data.get("order_number")),
                   status=_text(data.get("status")) or default_status,
                   carrier=_text(data.get("carrier_name")) or _text(data.get("carrier")),
                   tracking_number=_text(data.get("tracking_number")), tracking_url=_text(data.get("tracking_url")))


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[ListedOrder, ...]
    total_pages: int
