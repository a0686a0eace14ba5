"""Starshipit's fixed figures, in a module of their own so that what only needs them (settings, batch sizes,
the command line's help) does not import httpx with the client."""

DEFAULT_BASE_URL = "https://api.starshipit.com"
DEFAULT_RATE = 2.0  # requests per second on a developer subscription (20 on production)
IMPORT_MAX = 50  # orders per POST /api/orders/import
LIST_MAX = 250  # orders per page of GET /api/orders/shipped and /api/orders/unshipped
