"""From a sales order fulfilment (the store's rows) to the plain shipment that desktop.starshipit.mapping
turns into a Starshipit order, checked before anything is sent.

order_number = the fulfilment number (unique in the store, one Starshipit order per shipment; a sales order
shipped in two parts becomes two Starshipit orders); reference = the sales order number; the ship-to is the
order's shipping address snapshot; one item per fulfilment line (its quantity, the order line's sku,
description, unit price, weight, tariff code and country of origin); the shipping method gives the carrier,
service code, signature default and whether the order is international; the packages are the
fulfilment's own when entered.

The Starshipit client and its mapping (desktop.starshipit) know nothing of the store: this is the services'
side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop.services.shipping_errors import domain_class
from desktop.starshipit.errors import InvalidShipment
from desktop.starshipit.mapping import Line, Method, Parcel, Shipment, ShipTo, build_order
from desktop.starshipit.models import OrderRequest, decimal_or_none
from desktop.store import models as m

__all__ = ["order_request", "shipment_of"]


def _parcels(packages: Sequence[Mapping[str, Any]] | None) -> tuple[Parcel, ...] | None:
    if not packages:
        return None
    return tuple(Parcel(weight=decimal_or_none(p.get("weight")), length=decimal_or_none(p.get("length")),
                        width=decimal_or_none(p.get("width")), height=decimal_or_none(p.get("height")))
                 for p in packages if isinstance(p, Mapping))


def shipment_of(
    fulfillment: m.SalesOrderFulfillment,
    order: m.SalesOrder,
    lines: Sequence[tuple[m.SalesOrderFulfillmentLine, m.SalesOrderLine]],
    shipping_method: m.ShippingMethod | None,
) -> Shipment:
    ship_to = ShipTo(
        name=order.ship_name, company=order.ship_company, email=order.ship_email, phone=order.ship_phone,
        address1=order.ship_address1, address2=order.ship_address2, address3=order.ship_address3,
        city=order.ship_city, province=order.ship_province, province_code=order.ship_province_code,
        zip=order.ship_zip, country=order.ship_country, country_code=order.ship_country_code,
    )
    method = None
    if shipping_method is not None:
        method = Method(name=shipping_method.name, carrier=shipping_method.carrier,
                        service_code=shipping_method.service_code,
                        signature_required=bool(shipping_method.signature_required),
                        international=bool(shipping_method.is_international))
    return Shipment(
        order_number=fulfillment.fulfillment_number, reference=order.order_number, order_date=order.order_date,
        currency=order.currency_code, ship_to=ship_to, method=method,
        lines=tuple(Line(sku=line.sku, description=line.description, quantity=fl.quantity, price=line.price,
                         weight=line.weight, tariff_code=line.tariff_code, country_of_origin=line.country_of_origin)
                    for fl, line in lines),
        signature_required=order.signature_required, delivery_instructions=order.delivery_instructions,
        packages=_parcels(fulfillment.packages),
    )


def order_request(
    fulfillment: m.SalesOrderFulfillment,
    order: m.SalesOrder,
    lines: Sequence[tuple[m.SalesOrderFulfillmentLine, m.SalesOrderLine]],
    shipping_method: m.ShippingMethod | None,
    *,
    order_id: int | None = None,
    item_ids: Sequence[int | None] = (),
    package_ids: Sequence[int | None] = (),
) -> OrderRequest:
    """The Starshipit order for `fulfillment`; raises InvalidShipment (a DomainError too) naming it and every
    problem."""
    try:
        return build_order(shipment_of(fulfillment, order, lines, shipping_method), order_id=order_id,
                           item_ids=item_ids, package_ids=package_ids)
    except InvalidShipment as exc:
        raise domain_class(InvalidShipment)(exc.fulfillment_number, exc.problems) from None
