"""The checks made on an order before anything is sent: everything Starshipit would refuse, in the clerk's
words."""

from __future__ import annotations

from decimal import Decimal

from desktop.starshipit.models import ORDER_NUMBER_MAX, REFERENCE_MAX, OrderRequest


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
