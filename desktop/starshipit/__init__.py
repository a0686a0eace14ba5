"""Starshipit, the shipping platform (DESIGN §2 items 17–19): typed order JSON (plain dataclasses), the checks
made before an order is sent (mapping.py), and an httpx client with a client-side rate limiter and bounded retries, with
errors of its own. It imports nothing of the store, the services or Qt: the mapping from a sales order
fulfilment to the plain shipment that mapping.py reads lives in desktop/services/shipping_mapping.py."""

from typing import TYPE_CHECKING, Any

from desktop.starshipit.errors import (
    Cancelled,
    InvalidShipment,
    KeyProblem,
    OutcomeUnknown,
    StarshipitError,
    StarshipitRejected,
    StarshipitUnavailable,
)
from desktop.starshipit.limits import DEFAULT_BASE_URL
from desktop.starshipit.models import Destination, Item, OrderRequest, StarshipitOrder

if TYPE_CHECKING:
    from desktop.starshipit.client import RateLimiter, StarshipitClient

__all__ = [
    "Cancelled", "DEFAULT_BASE_URL", "Destination", "InvalidShipment", "Item", "KeyProblem", "OrderRequest",
    "OutcomeUnknown", "RateLimiter", "StarshipitClient", "StarshipitError", "StarshipitOrder",
    "StarshipitRejected", "StarshipitUnavailable",
]


def __getattr__(name: str) -> Any:
    """The client (and httpx with it) is imported when first asked for, not with the package."""
    if name in ("RateLimiter", "StarshipitClient"):
        from desktop.starshipit import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
