"""From a sales order fulfilment (the store's rows) to a Starshipit order, checked before anything is sent.

order_number = the fulfilment number (unique in the store, one Starshipit order per shipment; a sales order
shipped in two parts becomes two Starshipit orders); reference = the sales order number; the destination is
the order's shipping address snapshot; one item per fulfilment line (its quantity, the order line's sku,
description, unit price as value and weight).

The Starshipit client (desktop.starshipit) knows nothing of the store: this mapping is the services' side.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.services.shipping_errors import domain_class
from desktop.starshipit.errors import InvalidShipment
from desktop.starshipit.models import Destination, Item, OrderRequest
from desktop.starshipit.validation import validate
from desktop.store import models as m

__all__ = ["destination_of", "order_request"]


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
    """The Starshipit order for `fulfillment`; raises InvalidShipment (a DomainError too) naming it and every
    problem."""
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
        raise domain_class(InvalidShipment)(fulfillment.fulfillment_number, problems)
    return request
