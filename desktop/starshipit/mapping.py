"""From a sales order fulfilment to a Starshipit order, and the checks made before anything is sent.

order_number = the fulfilment number (unique in the store, one Starshipit order per shipment; a sales order
shipped in two parts becomes two Starshipit orders); reference = the sales order number; the destination is
the order's shipping address snapshot; one item per fulfilment line (its quantity, the order line's sku,
description, unit price as value and weight).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from desktop.starshipit.errors import InvalidShipment
from desktop.starshipit.models import ORDER_NUMBER_MAX, REFERENCE_MAX, Destination, Item, OrderRequest
from desktop.store import models as m


def _join(*parts: str | None) -> str | None:
    text = ", ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def destination_of(order: m.SalesOrder) -> Destination:
    return Destination(
        name=(order.ship_name or order.ship_company or "").strip() or None,
        company=order.ship_company or None,
        email=order.ship_email or None,
        phone=order.ship_phone or None,
        street=(order.ship_address1 or "").strip() or None,
        suburb=_join(order.ship_address2, order.ship_address3),
        city=(order.ship_city or "").strip() or None,
        state=order.ship_province_code or order.ship_province or None,
        post_code=(order.ship_zip or "").strip() or None,
        country=(order.ship_country or order.ship_country_code or "").strip() or None,
    )


def order_request(
    fulfillment: m.SalesOrderFulfillment,
    order: m.SalesOrder,
    lines: Sequence[tuple[m.SalesOrderFulfillmentLine, m.SalesOrderLine]],
    shipping_method: m.ShippingMethod | None,
    *,
    order_id: int | None = None,
) -> OrderRequest:
    """The Starshipit order for `fulfillment`; raises InvalidShipment naming it and every problem."""
    items = tuple(
        Item(description=line.description or line.sku, sku=line.sku, quantity=fl.quantity,
             value=line.price, weight=line.weight)
        for fl, line in lines
    )
    request = OrderRequest(
        order_number=fulfillment.fulfillment_number,
        reference=order.order_number,
        order_date=order.order_date,
        destination=destination_of(order),
        items=items,
        shipping_method=(shipping_method.service_code or shipping_method.name) if shipping_method else None,
        currency=order.currency_code,
        order_id=order_id,
    )
    problems = validate(request)
    if problems:
        raise InvalidShipment(fulfillment.fulfillment_number, problems)
    return request


def validate(request: OrderRequest) -> list[str]:
    """Everything Starshipit would refuse, in the clerk's words (empty: fine)."""
    problems: list[str] = []
    if not request.order_number.strip():
        problems.append("the order number is empty")
    elif len(request.order_number) > ORDER_NUMBER_MAX:
        problems.append(f"the order number is {len(request.order_number)} characters (at most {ORDER_NUMBER_MAX})")
    if request.reference is not None and len(request.reference) > REFERENCE_MAX:
        problems.append(f"the reference (sales order number) is {len(request.reference)} characters "
                        f"(at most {REFERENCE_MAX})")
    d = request.destination
    missing = [label for label, value in (("name", d.name), ("street", d.street), ("city", d.city or d.suburb),
                                          ("post code", d.post_code), ("country", d.country)) if not value]
    if missing:
        problems.append(f"the shipping address has no {', '.join(missing)}")
    if not request.items:
        problems.append("it has no lines to ship")
    for n, item in enumerate(request.items, 1):
        if item.quantity <= 0:
            problems.append(f"line {n} ({item.sku or item.description or 'no sku'}) has quantity {item.quantity}")
        elif item.quantity != item.quantity.to_integral_value():
            problems.append(f"line {n} ({item.sku or item.description or 'no sku'}) has a part quantity "
                            f"({item.quantity.normalize()}); Starshipit counts whole items")
        if item.weight is not None and item.weight < Decimal(0):
            problems.append(f"line {n} has a negative weight")
    return problems
