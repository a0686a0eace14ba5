"""Starshipit, the shipping platform (DESIGN §2 items 17–19): typed order JSON, the mapping from a sales order
fulfilment, and an httpx client with a client-side rate limiter and bounded retries. No Qt here."""

from desktop.starshipit.client import DEFAULT_BASE_URL, RateLimiter, StarshipitClient
from desktop.starshipit.errors import (
    InvalidShipment,
    KeyProblem,
    OutcomeUnknown,
    StarshipitError,
    StarshipitRejected,
    StarshipitUnavailable,
)
from desktop.starshipit.models import Destination, Item, OrderRequest, StarshipitOrder

__all__ = [
    "DEFAULT_BASE_URL", "Destination", "InvalidShipment", "Item", "KeyProblem", "OrderRequest",
    "OutcomeUnknown", "RateLimiter", "StarshipitClient", "StarshipitError", "StarshipitOrder",
    "StarshipitRejected", "StarshipitUnavailable",
]
