"""Fictional sample data for `customer-desk demo --customers N [--seed S]`: every table, at any size.

Nothing here is real: people and companies are random combinations of made-up-ish names, emails are at
the example domains reserved for documentation (example.com/.net/.org), phone numbers are in the ranges
regulators keep for drama and tests (NZ 021 0xx, AU 02 5550, US 555-01xx, UK 020 7946 0xxx), streets are
invented and postcodes only have the right shape for their town.

Built for speed (a million customers in well under two minutes on SQLite, most of it in SQLite itself):
rows are plain tuples in storage form written by `desktop.store.bulk`; ids are assigned here (so a
customer can point at its default address before that is written); the search index gets one statement
per chunk of customers instead of a trigger per row (`search.bulk_append`); a load that is big next to
the store builds its secondary indexes once at the end (`bulk.deferred_indexes`); and a helper thread
generates the next chunk while SQLite indexes the current one. Addresses come from a pool of distinct
places whose normalised keys are computed once each (normalising is the costly part); in a large demo
several customers share a place (as flatmates and office buildings do), but no customer has one twice.

Deterministic: the same seed into an empty store gives the same rows (timestamps are relative to today).
Appending to a store that has data works too: new ids, unique emails and numbers that do not collide.

Why one file of ~1,100 lines: the generators share one random stream and one id plan (a customer points at
its address before either is written); split apart, every part would need the other's state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import queue
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, select

from desktop.services.changelog import os_user
from desktop.services.normalize import fold, normalize_address_text, zip_key
from desktop.store import models as m
from desktop.store import search
from desktop.store.bulk import bulk_insert, deferred_indexes, next_id, reset_sequences

# progress(done, total) in customer units; it may raise errors.Cancelled (the transaction then rolls back).
Progress = Callable[[int, int], None]

CHUNK_CUSTOMERS = 25_000
PROGRESS_CALLS = 40
ADDRESS_POOL_MAX = 100_000
HISTORY_DAYS = 3 * 365
ORDER_CUSTOMER_SHARE = 0.10
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
# A load at least this big (and at least as big as the customers already there) builds the secondary
# indexes of the tables it fills once at the end instead of row by row.
BULK_INDEX_MIN = 20_000
SQLITE_CACHE_KIB = 256 * 1024
# FTS5 option: (value during the load, FTS5's default to restore when the table had none set).
FTS_BULK_SETTINGS = {"hashsize": (64 * 1024 * 1024, 1024 * 1024), "automerge": (0, 4)}


@dataclass
class DemoSummary:
    """How many rows `seed_demo` wrote, per table."""

    sales_reps: int = 0
    pricing_tiers: int = 0
    stores: int = 0
    warehouses: int = 0
    shipping_methods: int = 0
    nominal_codes: int = 0
    nominal_code_mappings: int = 0
    customers: int = 0
    addresses: int = 0
    sales_orders: int = 0
    sales_order_lines: int = 0
    payments: int = 0
    sales_credits: int = 0
    sales_credit_allocations: int = 0
    sales_order_fulfillments: int = 0
    sales_order_fulfillment_lines: int = 0
    import_batches: int = 0
    bulk_actions: int = 0
    change_log: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


# --- vocabulary ---------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aroha", "Hemi", "Mere", "Wiremu", "Ngaio", "Rangi", "Kiri", "Anahera", "Tama", "Manaia", "Ariana",
    "Nikau", "Tui", "Kahu", "Marama", "Olivia", "Liam", "Charlotte", "Noah", "Isla", "Jack", "Amelia",
    "Oliver", "Mia", "Leo", "Harper", "Lucas", "Ava", "Hugo", "Ruby", "Finn", "Zoe", "Arlo", "Grace",
    "Theo", "Ella", "Max", "Lily", "Sam", "Chloe", "Ethan", "Maya", "Eli", "Sophie", "Caleb", "Nina",
    "Owen", "Priya", "Arjun", "Mei", "Wei", "Yuki", "Hana", "Kenji", "Sione", "Losa", "Tevita", "Malia",
    "Ana", "Mateo", "Sofia", "Diego", "Lucia", "Omar", "Layla", "Amira", "Felix", "Iris", "Jasper",
    "Willow", "Rowan", "Hazel", "Silas", "Ivy", "Eamon", "Freya", "Declan", "Orla", "Callum", "Isobel",
    "Rhys", "Ffion", "Bodhi", "Matilda", "Archie", "Poppy", "Harvey", "Esme", "Otis", "Georgia",
    "Ravi", "Anika", "Tariq", "Noor", "Lena", "Jonas", "Elsa", "Nils", "Ingrid", "Pavel", "Vera",
)
LAST_NAMES = (
    "Whitcombe", "Marsden", "Halloway", "Kereama", "Rakena", "Pennington", "Ashdown", "Birchall",
    "Calloway", "Dunmore", "Everleigh", "Fairbairn", "Glenholme", "Hartwell", "Inglewood", "Jessop",
    "Kingsley", "Lockhart", "Merriweather", "Norwood", "Oakridge", "Pemberton", "Quayle", "Redfern",
    "Stanmore", "Thornbury", "Underhill", "Vance", "Wakefield", "Yardley", "Ashby", "Brightwater",
    "Carrow", "Dalby", "Elmstead", "Fenwick", "Galloway", "Holloway", "Iredale", "Jarvis", "Kettering",
    "Langford", "Maitland", "Netherby", "Ormsby", "Prescott", "Rainsford", "Saltmarsh", "Tillman",
    "Upton", "Vickery", "Wetherby", "Aldridge", "Blackwood", "Coldwell", "Drummond", "Eastwood",
    "Fairweather", "Greaves", "Huxley", "Ives", "Kilbride", "Lindqvist", "Moreau", "Nakamura", "Okafor",
    "Paterangi", "Rewiti", "Tainui", "Te Hira", "Waititi-Brown", "Horomona", "Tapsell", "Ngata-Ross",
    "Fa'amausili", "Taufa", "Latu", "Havili", "Mendoza", "Alvarez", "Castellano", "Rossi", "Bianchi",
    "Kowalczyk", "Novak", "Haugen", "Lindgren", "Van der Berg", "De Vries", "O'Malley", "McAllister",
    "MacLeod", "Fitzgerald", "Sharma", "Patel", "Chen", "Lin", "Tanaka", "Park", "Nguyen", "Tran",
)
COMPANY_WORDS = (
    "Kowhai", "Totara", "Rimu", "Harakeke", "Kauri", "Pohutukawa", "Manuka", "Wattle", "Bluegum",
    "Banksia", "Jarrah", "Maple", "Cedar", "Juniper", "Aspen", "Heather", "Thistle", "Bramble", "Harbour",
    "Summit", "Riverbend", "Ironbark", "Silver Fern", "Southern Cross", "Tasman", "Coastal", "Highland",
    "Meadow", "Orchard", "Granite", "Copperleaf", "Driftwood", "Saltwater", "Foxglove", "Kestrel",
    "Tidewater", "Larkspur", "Blue Penguin", "Kea", "Tuatara", "Waxeye", "Clearwater", "Northwind",
)
COMPANY_NOUNS = (
    "Traders", "Supplies", "Goods", "Trading Co", "Outfitters", "Provisions", "Wholesale", "Imports",
    "Hardware", "Collective", "Studio", "Workshop", "Pantry", "Botanicals", "Logistics", "Crafts",
    "Merchants", "Design", "Gardens", "Kitchens", "Electrical", "Cafe", "Books", "Bikes",
)
COMPANY_SUFFIX = {"NZ": "Ltd", "AU": "Pty Ltd", "US": "LLC", "GB": "Ltd"}
STREET_NAMES = (
    "Kowhai", "Totara", "Rata", "Matai", "Rimu", "Kauri", "Nikau", "Wattle", "Jacaranda", "Maple", "Oak",
    "Elm", "Cedar", "Birch", "Willow", "Harbour", "Beach", "Hill", "Station", "Church", "Mill", "Victoria",
    "Albert", "King", "Queen", "Park", "Bridge", "Orchard", "Meadow", "Rose", "Fern", "Pine", "Lake",
    "River", "Spring", "Sunset", "Highland", "Seaview", "Ridge", "Valley", "Garden", "Forest", "Market",
    "Wharf", "Quarry", "Tannery", "Foundry", "Lighthouse", "Kingfisher", "Heron", "Magpie", "Cook",
)
STREET_TYPES = (
    "Street", "Street", "Road", "Road", "Avenue", "Lane", "Drive", "Crescent", "Place", "Terrace", "Way",
    "Close", "Court", "Parade",
)
ADDRESS2_NZ_AU_GB = ("Unit {}", "Flat {}", "Level {}", "Suite {}")
ADDRESS2_US = ("Apt {}", "Suite {}", "Unit {}", "Apt {}B")
ADDRESS3 = ("Attn: Accounts", "c/o Reception", "Rear entrance", "Loading dock")
SUBURBS = (
    "Riverside", "Hillcrest", "Northcote", "Seaview", "Woodlands", "Kingsland", "Brookfield", "Fairfield",
    "Glenview", "Parkside", "Westmere", "Eastbourne", "Highbury", "Oakleigh",
)

# (city, province, province code, postcode ranges). Provinces use ISO 3166-2 subdivision codes.
NZ_CITIES = (
    ("Auckland", "Auckland", "AUK", ((600, 699), (1010, 1072), (2010, 2025)), 30),
    ("Wellington", "Wellington", "WGN", ((6011, 6037), (5010, 5019)), 14),
    ("Christchurch", "Canterbury", "CAN", ((8011, 8083),), 14),
    ("Hamilton", "Waikato", "WKO", ((3200, 3216),), 8),
    ("Tauranga", "Bay of Plenty", "BOP", ((3110, 3118),), 6),
    ("Dunedin", "Otago", "OTA", ((9010, 9092),), 6),
    ("Napier", "Hawke's Bay", "HKB", ((4110, 4112),), 4),
    ("Nelson", "Nelson", "NSN", ((7010, 7011),), 4),
    ("Palmerston North", "Manawatu-Whanganui", "MWT", ((4410, 4414),), 4),
    ("Queenstown", "Otago", "OTA", ((9300, 9305),), 3),
    ("Whangarei", "Northland", "NTL", ((110, 112),), 3),
)
AU_CITIES = (
    ("Sydney", "New South Wales", "NSW", ((2000, 2234),), 30),
    ("Melbourne", "Victoria", "VIC", ((3000, 3207),), 26),
    ("Brisbane", "Queensland", "QLD", ((4000, 4179),), 16),
    ("Perth", "Western Australia", "WA", ((6000, 6199),), 10),
    ("Adelaide", "South Australia", "SA", ((5000, 5199),), 8),
    ("Hobart", "Tasmania", "TAS", ((7000, 7019),), 3),
    ("Canberra", "Australian Capital Territory", "ACT", ((2600, 2617),), 4),
    ("Darwin", "Northern Territory", "NT", ((800, 832),), 2),
    ("Gold Coast", "Queensland", "QLD", ((4217, 4230),), 5),
)
US_CITIES = (
    ("Springfield", "Illinois", "IL", ((62701, 62796),), 6),
    ("Portland", "Oregon", "OR", ((97201, 97299),), 8),
    ("Austin", "Texas", "TX", ((78701, 78799),), 8),
    ("Denver", "Colorado", "CO", ((80201, 80299),), 7),
    ("Boston", "Massachusetts", "MA", ((2101, 2137),), 8),
    ("Seattle", "Washington", "WA", ((98101, 98199),), 8),
    ("Madison", "Wisconsin", "WI", ((53701, 53794),), 4),
    ("Asheville", "North Carolina", "NC", ((28801, 28816),), 3),
    ("Burlington", "Vermont", "VT", ((5401, 5408),), 2),
    ("Santa Fe", "New Mexico", "NM", ((87501, 87508),), 2),
    ("Columbus", "Ohio", "OH", ((43201, 43299),), 6),
    ("Savannah", "Georgia", "GA", ((31401, 31499),), 3),
    ("Brooklyn", "New York", "NY", ((11201, 11256),), 8),
    ("San Diego", "California", "CA", ((92101, 92199),), 8),
)
# (town, postcode area, districts, weight); London also gets a few lettered districts like SW1A.
GB_TOWNS = (
    ("London", "SW", (1, 20), 10), ("London", "N", (1, 22), 6), ("London", "E", (1, 18), 6),
    ("Manchester", "M", (1, 40), 6), ("Leeds", "LS", (1, 29), 4), ("Bristol", "BS", (1, 16), 4),
    ("Birmingham", "B", (1, 40), 5), ("Edinburgh", "EH", (1, 17), 4), ("Cardiff", "CF", (10, 24), 3),
    ("York", "YO", (1, 32), 2), ("Brighton", "BN", (1, 3), 2), ("Oxford", "OX", (1, 4), 2),
)
LONDON_LETTERED = ("SW1A", "SW1P", "W1D", "W1F", "EC1A", "EC2M", "WC2H", "WC1E", "SE1", "NW1")
GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
COUNTRIES = (  # code, name, weight
    ("NZ", "New Zealand", 45), ("AU", "Australia", 25), ("US", "United States", 18),
    ("GB", "United Kingdom", 12),
)
CURRENCY = {"NZ": "NZD", "AU": "AUD", "US": "USD", "GB": "USD"}
# Towns repeated by weight, so a uniform pick is a weighted one.
_WEIGHTED_CITIES = {
    code: [city for city in cities for _ in range(city[4])]
    for code, cities in (("NZ", NZ_CITIES), ("AU", AU_CITIES), ("US", US_CITIES))
}
_WEIGHTED_GB = [town for town in GB_TOWNS for _ in range(town[3])]

SALES_REPS = (
    ("Mere Whitcombe", "mere.whitcombe@example.org"), ("Jasper Ashdown", "jasper.ashdown@example.org"),
    ("Priya Halloway", "priya.halloway@example.org"), ("Tevita Marsden", "tevita.marsden@example.org"),
    ("Grace Kereama", "grace.kereama@example.org"), ("Owen Lindqvist", "owen.lindqvist@example.org"),
    ("Sofia Rewiti", "sofia.rewiti@example.org"), ("Callum Drummond", "callum.drummond@example.org"),
)
PRICING_TIERS = ("Retail", "Wholesale", "Trade", "VIP", "Distributor")
STORES = ("Online Store", "Auckland Showroom", "Wellington Pop-up", "Trade Portal", "Marketplace")
WAREHOUSES = ("Auckland Main", "Christchurch DC", "Sydney 3PL", "Los Angeles 3PL")
SHIPPING_METHODS = (  # name, international, carrier, service code
    ("NZ Post Courier", False, "NZ Post", "CPOLP"),
    ("NZ Post Economy", False, "NZ Post", "CPOLE"),
    ("Aramex Standard", False, "Aramex", "ARXSTD"),
    ("Courier Pickup", False, None, None),
    ("NZ Post International Courier", True, "NZ Post", "TIC"),
    ("DHL Express Worldwide", True, "DHL Express", "P"),
    ("Aramex International", True, "Aramex", "ARXINT"),
)
NOMINAL_CODES = (  # code, name, type
    ("1100", "Accounts receivable", "asset"),
    ("2100", "Sales credits", "liability"),
    ("2200", "GST / sales tax", "liability"),
    ("4000", "Sales", "revenue"),
    ("4100", "Shipping income", "revenue"),
    ("4200", "Discounts", "revenue"),
    ("4900", "Other income", "revenue"),
    ("5000", "Cost of goods sold", "expense"),
)
NOMINAL_MAPPINGS = (("sales", "4000"), ("shipping", "4100"), ("discounts", "4200"), ("sales_credits", "2100"))
PRODUCTS = (  # sku, description, price in cents, weight in kg
    ("KWH-HNY-500", "Kowhai honey 500 g", 1850, "0.650"),
    ("KWH-HNY-1K", "Kowhai honey 1 kg", 3290, "1.200"),
    ("TTR-BWL-S", "Totara serving bowl, small", 4500, "0.800"),
    ("TTR-BWL-L", "Totara serving bowl, large", 8900, "1.600"),
    ("HRK-BSK-01", "Harakeke basket", 6500, "0.400"),
    ("WOL-THR-GRY", "Wool throw, grey", 14900, "1.100"),
    ("WOL-THR-OAT", "Wool throw, oatmeal", 14900, "1.100"),
    ("WOL-SCK-3PK", "Merino socks, 3 pack", 3900, "0.250"),
    ("CER-MUG-BLU", "Ceramic mug, harbour blue", 2400, "0.420"),
    ("CER-MUG-SND", "Ceramic mug, sand", 2400, "0.420"),
    ("CER-PLT-4", "Stoneware plates, set of 4", 11900, "3.200"),
    ("TEA-KWK-100", "Kawakawa tea, 100 g", 1450, "0.150"),
    ("TEA-MNK-50", "Manuka leaf tea, 50 g", 1290, "0.090"),
    ("SOP-LAV-2", "Lavender soap, twin pack", 1600, "0.260"),
    ("CND-PHK-L", "Pohutukawa candle, large", 4200, "0.900"),
    ("CND-PHK-S", "Pohutukawa candle, small", 2200, "0.350"),
    ("PRT-A3-FRN", "Fern print, A3", 5500, "0.300"),
    ("PRT-A2-MTN", "Mountain print, A2", 7900, "0.450"),
    ("BAG-TOT-NAT", "Canvas tote, natural", 2900, "0.200"),
    ("BAG-DUF-BLK", "Waxed duffel, black", 18900, "1.700"),
    ("GRD-GLV-M", "Garden gloves, medium", 1990, "0.150"),
    ("GRD-TRW-01", "Hand trowel", 3400, "0.380"),
    ("KIT-KNF-CHF", "Chef's knife", 12900, "0.300"),
    ("KIT-BRD-RM", "Rimu chopping board", 6900, "1.400"),
)
SHIPPING_LINE = ("SHIPPING", "Shipping")
DISCOUNT_LINE = ("DISCOUNT", "Loyalty discount")
PAYMENT_METHODS = ("Credit card", "Credit card", "Bank transfer", "PayPal", "Cash", "Account")
CREDIT_NOTES = (
    "Damaged in transit", "Goodwill credit", "Returned item", "Price adjustment", "Short shipment",
    "Duplicate charge", None,
)
CUSTOMER_NOTES = (
    "Prefers delivery before noon.", "Invoice monthly.", "Leave parcels at the side door.",
    "Trade account: 30-day terms.", "Call before delivery.", "Gift wrap all orders.",
)
ADDRESS_LABELS = ("Home", "Office", "Warehouse", "Shop", "Billing", "Holiday house")
ORDER_STATUSES = ("draft", "open", "fulfilled", "closed", "cancelled")
ORDER_STATUS_WEIGHTS = (6, 24, 20, 42, 8)
UNPAID_EXCLUDED = frozenset(m.UNPAID_EXCLUDED_STATUSES)
TRACKING_PREFIX = {"NZ Post": "CP", "Aramex": "ARX", "DHL Express": "JD0", None: "TRK"}

# --- columns (rows below are tuples in exactly this order) ---------------------------------------

STAMP = ("version", "created_at", "updated_at")
CUSTOMER_COLUMNS = (
    "id", "name", "company", "email", "phone", "fax", "default_sales_rep_id", "product_pricing_tier_id",
    "store_id", "warehouse_id", "shipping_method_domestic_id", "shipping_method_international_id",
    "default_shipping_address_id", "default_billing_address_id", "archived_at", "notes", *STAMP,
)
PLACE_COLUMNS = (
    "address1", "address2", "address3", "city", "province", "province_code", "zip", "country",
    "country_code", "zip_key", "address1_key", "dedup_key",
)
ADDRESS_COLUMNS = ("id", "customer_id", "label", "name", "company", "email", "phone", *PLACE_COLUMNS, *STAMP)
SNAPSHOT = ("name", "company", "email", "phone", *PLACE_COLUMNS[:9])
ORDER_COLUMNS = (
    "id", "order_number", "customer_id", "status", "order_date", "currency_code", "shipping_method_id",
    *(f"ship_{c}" for c in SNAPSHOT), *STAMP,
)
LINE_COLUMNS = (
    "id", "sales_order_id", "sku", "description", "quantity", "price", "weight", "nominal_code_id", *STAMP,
)
PAYMENT_COLUMNS = ("id", "sales_order_id", "amount", "payment_date", "method", "external_reference", *STAMP)
CREDIT_COLUMNS = (
    "id", "sales_credit_number", "customer_id", "sales_order_id", "credit_date", "currency_code", "total",
    "sales_credit_note", *STAMP,
)
ALLOCATION_COLUMNS = ("id", "sales_credit_id", "sales_order_id", "amount", *STAMP)
FULFILLMENT_COLUMNS = (
    "id", "sales_order_id", "fulfillment_number", "warehouse_id", "status", "starshipit_order_id",
    "submitted_at", "tracking_number", "carrier", *STAMP,
)
FULFILLMENT_LINE_COLUMNS = ("id", "fulfillment_id", "sales_order_line_id", "quantity", *STAMP)

T = m.Base.metadata.tables
BULK_TABLES: tuple[tuple[str, Sequence[str]], ...] = (
    ("customers", CUSTOMER_COLUMNS),
    ("addresses", ADDRESS_COLUMNS),
    ("sales_orders", ORDER_COLUMNS),
    ("sales_order_lines", LINE_COLUMNS),
    ("payments", PAYMENT_COLUMNS),
    ("sales_credits", CREDIT_COLUMNS),
    ("sales_credit_allocations", ALLOCATION_COLUMNS),
    ("sales_order_fulfillments", FULFILLMENT_COLUMNS),
    ("sales_order_fulfillment_lines", FULFILLMENT_LINE_COLUMNS),
)


def money(cents: int) -> str:
    """Cents as a two-place decimal string (the storage form both back-ends accept)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class _Clock:
    """Seconds since the first day of the demo's history, turned into storage strings without datetime."""

    def __init__(self, now: dt.datetime):
        now = now.replace(microsecond=0)
        self.start = dt.datetime.combine(now.date() - dt.timedelta(days=HISTORY_DAYS), dt.time())
        self.now = int((now - self.start).total_seconds())
        days = self.now // 86400 + 2
        self.dates = [(self.start.date() + dt.timedelta(days=d)).isoformat() for d in range(days)]
        self._days = [d + " " for d in self.dates]
        self._times = [
            f"{h:02d}:{mi:02d}:{s:02d}.000000" for h in range(24) for mi in range(60) for s in range(60)
        ]

    def stamp(self, seconds: int) -> str:
        return self._days[seconds // 86400] + self._times[seconds % 86400]

    def date(self, seconds: int) -> str:
        return self.dates[seconds // 86400]


@dataclass
class _Refs:
    reps: list[int]
    tiers: list[int]
    stores: list[int]
    warehouses: list[int]
    domestic: list[int]
    international: list[int]
    carriers: dict[int, str | None]
    sales_code: int
    shipping_code: int
    discount_code: int


@dataclass
class _Ids:
    customer: int
    address: int
    order: int
    line: int
    payment: int
    credit: int
    allocation: int
    fulfillment: int
    fulfillment_line: int


def seed_demo(
    conn: Connection,
    customers: int,
    seed: int = 1,
    progress: Progress | None = None,
    *,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Append `customers` fictional customers (with addresses, orders, payments, credits, fulfilments and
    the reference data they use) inside `conn`'s transaction, and return how many rows went into each table.

    Deterministic for a given `seed` (and day). Reference rows that already exist by name (or code) are
    reused, not duplicated. `progress(done, total)` is called (on the calling thread) a few dozen times
    with total = `customers`; done reaches total only when everything, indexes included, is written. It
    may raise (e.g. errors.Cancelled) to stop; the caller then rolls back. Rows are generated on a helper
    thread that never touches `conn`. Run it while nobody else writes to the store: ids are assigned here.
    """
    if customers < 0:
        raise ValueError("customers must be zero or more")
    rng = random.Random(seed)
    clock = _Clock(now or m.utcnow())
    summary = DemoSummary()
    if conn.dialect.name == "sqlite":
        # The customer <-> address cycle (and everything else) is checked at commit, like PostgreSQL's
        # DEFERRABLE constraints; the pragma ends with the transaction.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    refs = _reference_data(conn, clock, summary)
    ids = _Ids(**{
        key: next_id(conn, T[name]) for key, name in (
            ("customer", "customers"), ("address", "addresses"), ("order", "sales_orders"),
            ("line", "sales_order_lines"), ("payment", "payments"), ("credit", "sales_credits"),
            ("allocation", "sales_credit_allocations"), ("fulfillment", "sales_order_fulfillments"),
            ("fulfillment_line", "sales_order_fulfillment_lines"),
        )
    })
    taken = _TakenKeys(conn)
    generator = _Generator(rng, clock, refs, ids, taken, customers)
    reporter = _Reporter(progress, customers)
    deferred = []
    if customers >= BULK_INDEX_MIN:
        existing = conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one()
        if customers >= existing:
            deferred = [T[name] for name, _columns in BULK_TABLES]
    # Building the deferred indexes at the end takes about a sixth of the time: keep that share of the bar.
    loop_share = 0.85 if deferred else 1.0
    plan = [(offset, min(CHUNK_CUSTOMERS, customers - offset)) for offset in range(0, customers, CHUNK_CUSTOMERS)]
    # When the helper thread generates the next chunk: on SQLite while the search index rows of this
    # chunk are written (one statement that runs without the GIL; during `executemany` the two threads
    # would take turns at the GIL row by row); on PostgreSQL while the server digests this chunk's COPY.
    ahead = conn.dialect.name != "sqlite"
    archived: list[tuple[int, str]] = []
    with _sqlite_load_settings(conn), deferred_indexes(conn, deferred), _ChunkWorker(generator) as worker:
        if plan:
            worker.request(*plan[0])
        for number, (offset, count) in enumerate(plan):
            tables, chunk_archived = worker.result()
            following = plan[number + 1] if number + 1 < len(plan) else None
            if following and ahead:
                worker.request(*following)
            # SQLite: search rows for this chunk's customers are written when the block ends (one
            # INSERT … SELECT instead of a trigger per row). Elsewhere bulk_append does nothing.
            with search.bulk_append(conn):
                for name, columns in BULK_TABLES:  # parents before children
                    rows = tables[name]
                    if rows:
                        written = bulk_insert(conn, T[name], columns, rows, convert=False)
                        setattr(summary, name, getattr(summary, name) + written)
                if following and not ahead:
                    worker.request(*following)
            del tables
            archived.extend(chunk_archived)
            reporter(int((offset + count) * loop_share))
    _history(conn, clock, generator, archived, summary)
    reset_sequences(conn, [T[name] for name in summary.as_dict()])
    reporter(customers, force=True)
    return summary


class _ChunkWorker:
    """Generates chunks on a helper thread, one at a time and only when asked (see `seed_demo` for when).

    Order and randomness are exactly those of generating the chunks one after another on one thread.
    An error in the helper is raised in the main thread by `result()`.
    """

    def __init__(self, generator: _Generator):
        self.generator = generator
        self.jobs: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="demo-data", daemon=True)

    def __enter__(self) -> _ChunkWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.jobs.put(None)
        self.thread.join()

    def request(self, offset: int, count: int) -> None:
        self.jobs.put((offset, count))

    def result(self) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[int, str]]]:
        outcome = self.results.get()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                self.results.put(self.generator.chunk(*job))
            except BaseException as exc:  # handed to the main thread, which raises it
                self.results.put(exc)


# --- reference data -----------------------------------------------------------------------------


def _reference_data(conn: Connection, clock: _Clock, summary: DemoSummary) -> _Refs:
    """Get or create the sales reps, tiers, stores, warehouses, shipping methods and nominal codes."""
    stamp = clock.stamp(0)

    def ensure(table: Table, key: str, rows: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> dict[Any, int]:
        existing = {k: i for k, i in conn.execute(table.select().with_only_columns(table.c[key], table.c.id))}
        missing = [r for r in rows if r[0] not in existing]
        start = next_id(conn, table)
        new = [(start + n, *r, 1, stamp, stamp) for n, r in enumerate(missing)]
        if new:
            bulk_insert(conn, table, ("id", *columns, *STAMP), new, convert=False)
        setattr(summary, table.name, len(new))
        existing.update({r[1]: r[0] for r in new})
        return {r[0]: existing[r[0]] for r in rows}

    reps = ensure(T["sales_reps"], "name", SALES_REPS, ("name", "email"))
    tiers = ensure(T["pricing_tiers"], "name", [(n,) for n in PRICING_TIERS], ("name",))
    stores = ensure(T["stores"], "name", [(n,) for n in STORES], ("name",))
    warehouses = ensure(T["warehouses"], "name", [(n,) for n in WAREHOUSES], ("name",))
    methods = ensure(
        T["shipping_methods"], "name", SHIPPING_METHODS, ("name", "is_international", "carrier", "service_code")
    )
    codes = ensure(T["nominal_codes"], "code", NOMINAL_CODES, ("code", "name", "type"))
    ensure(
        T["nominal_code_mappings"], "setting",
        [(setting, codes[code]) for setting, code in NOMINAL_MAPPINGS], ("setting", "nominal_code_id"),
    )
    return _Refs(
        reps=list(reps.values()),
        tiers=list(tiers.values()),
        stores=list(stores.values()),
        warehouses=list(warehouses.values()),
        domestic=[methods[name] for name, intl, _c, _s in SHIPPING_METHODS if not intl],
        international=[methods[name] for name, intl, _c, _s in SHIPPING_METHODS if intl],
        carriers={methods[name]: carrier for name, _i, carrier, _s in SHIPPING_METHODS},
        sales_code=codes["4000"],
        shipping_code=codes["4100"],
        discount_code=codes["4200"],
    )


class _TakenKeys:
    """Unique values already in the store that a generated one might collide with (none in a fresh store)."""

    def __init__(self, conn: Connection):
        def load(column: Any, pattern: str) -> set[str]:
            return set(conn.execute(select(column).where(column.like(pattern))).scalars())

        email = func.lower(m.Customer.email)
        self.emails = load(email, "%@example.%")
        self.order_numbers = load(m.SalesOrder.order_number, "SO-%")
        self.credit_numbers = load(m.SalesCredit.sales_credit_number, "SC-%")
        self.fulfillment_numbers = load(m.SalesOrderFulfillment.fulfillment_number, "FF-%")

    @staticmethod
    def free(value: str, taken: set[str]) -> str:
        """`value`, or the first of value-2, value-3 … (before the @ of an email) that is not taken.

        Emails are compared in lower case (`taken` holds them lowered); numbers as they are.
        """
        email = "@" in value
        candidate, n = value, 1
        while (candidate.lower() if email else candidate) in taken:
            n += 1
            candidate = value.replace("@", f"-{n}@") if email else f"{value}-{n}"
        return candidate


# --- the generator ------------------------------------------------------------------------------


class _Generator:
    """Produces the rows of each chunk of customers, in storage form, with ids assigned."""

    def __init__(self, rng: random.Random, clock: _Clock, refs: _Refs, ids: _Ids, taken: _TakenKeys, total: int):
        self.rng = rng
        self.clock = clock
        self.refs = refs
        self.ids = ids
        self.taken = taken
        self.total = total
        self.last_plain: list[tuple[int, str]] = []  # (id, updated_at) of recent customers without orders
        self.first_slugs = [_slug(n) for n in FIRST_NAMES]
        self.last_slugs = [_slug(n) for n in LAST_NAMES]
        self.phones = {code: self._phone_pool(code) for code, _n, _w in COUNTRIES}
        # Places are made as the run goes (each chunk adds its share), so that on SQLite computing their
        # keys overlaps the search indexing of the previous chunk instead of delaying the first one.
        pool_size = min(int(total * 1.5) + 100, ADDRESS_POOL_MAX)
        total_weight = sum(w for _c, _n, w in COUNTRIES)
        self.pool_target = {code: max(50, pool_size * w // total_weight) for code, _n, w in COUNTRIES}
        self.places: dict[str, list[tuple[str | None, ...]]] = {code: [] for code, _n, _w in COUNTRIES}
        self.place_keys: set[str] = set()
        self.zip_keys: dict[str, str | None] = {}
        self.normal_texts: dict[str, str] = {}  # address line -> normalize_address_text(line)
        self.folded: dict[str, str] = {}  # town, province or country -> fold(text)
        self.country_codes = [code for code, _n, _w in COUNTRIES]
        self.country_weights = [w for _c, _n, w in COUNTRIES]

    # pools

    def _phone_pool(self, country: str) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(2000):
            if country == "NZ":
                out.append(f"+64 21 0{rng.randrange(100):02d} {rng.randrange(10000):04d}")
            elif country == "AU":
                out.append(
                    f"+61 2 5550 {rng.randrange(10000):04d}" if rng.random() < 0.5
                    else f"+61 3 7010 {rng.randrange(10000):04d}"
                )
            elif country == "US":
                area = rng.choice((212, 312, 415, 503, 512, 617, 720, 206, 608, 614, 619, 718))
                out.append(f"+1 {area} 555-01{rng.randrange(100):02d}")
            else:
                out.append(
                    f"+44 20 7946 0{rng.randrange(1000):03d}" if rng.random() < 0.6
                    else f"+44 7700 900{rng.randrange(1000):03d}"
                )
        return out

    def _grow_places(self, share: float) -> None:
        """Add distinct fictional places (with their zip and dedup keys) until each country's pool holds
        `share` of its final size (at least 50, so a customer's few addresses can always differ)."""
        names = {code: name for code, name, _w in COUNTRIES}
        for code, target in self.pool_target.items():
            places = self.places[code]
            want = max(50, min(target, int(target * share) + 1))
            attempts = 0
            while len(places) < want and attempts < 3 * want:
                attempts += 1
                fields = self._place(code, names[code])
                address1_key, key = self._keys(fields)
                if key in self.place_keys:
                    continue
                self.place_keys.add(key)
                places.append((*(fields[c] for c in PLACE_COLUMNS[:9]), self.zip_keys[fields["zip"]],
                               address1_key or None, key))

    def _keys(self, fields: dict[str, Any]) -> tuple[str, str]:
        """(normalised address1, dedup key) of a place: what `normalize.normalize_address_text` and
        `normalize.address_dedup_key` give (a test holds them equal), with each normalised part computed
        once per distinct text: street names, towns and countries repeat, and normalising is the costly
        part of making a place."""
        texts, folded, zips = self.normal_texts, self.folded, self.zip_keys

        def text(value: str | None) -> str:
            if value is None:
                return ""
            found = texts.get(value)
            if found is None:
                found = texts[value] = normalize_address_text(value)
            return found

        def folded_text(value: str | None) -> str:
            if value is None:
                return ""
            found = folded.get(value)
            if found is None:
                found = folded[value] = fold(value)
            return found

        z = fields["zip"]
        if z not in zips:
            zips[z] = zip_key(z)
        address1 = text(fields["address1"])
        parts = (
            address1, text(fields["address2"]), text(fields["address3"]), folded_text(fields["city"]),
            folded_text(fields["province_code"] or fields["province"]), zips[z] or "",
            folded_text(fields["country_code"] or fields["country"]),
        )
        return address1, hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()

    def _place(self, code: str, country: str) -> dict[str, Any]:
        rnd = self.rng.random

        def pick(seq: Sequence[Any]) -> Any:
            return seq[int(rnd() * len(seq))]

        def between(lo: int, hi: int) -> int:
            return lo + int(rnd() * (hi - lo + 1))

        street = f"{pick(STREET_NAMES)} {pick(STREET_TYPES)}"
        address2 = address3 = province = province_code = None
        if code == "GB":
            city, area, (lo, hi), _w = pick(_WEIGHTED_GB)
            if city == "London" and rnd() < 0.25:
                outward = pick(LONDON_LETTERED)
            else:
                outward = f"{area}{between(lo, hi)}"
            zip_code = f"{outward} {between(1, 9)}{pick(GB_INWARD_LETTERS)}{pick(GB_INWARD_LETTERS)}"
            address1 = f"{between(1, 240)} {street}"
            if rnd() < 0.15:
                address2 = pick(ADDRESS2_NZ_AU_GB).format(between(1, 30))
        else:
            city, province, province_code, ranges, _w = pick(_WEIGHTED_CITIES[code])
            lo, hi = pick(ranges)
            if code == "US":
                zip_code = f"{between(lo, hi):05d}"
                if rnd() < 0.2:
                    zip_code += f"-{between(1, 9999):04d}"
                address1 = f"{between(100, 9899)} {street}"
                if rnd() < 0.2:
                    address2 = pick(ADDRESS2_US).format(between(1, 40))
            else:
                zip_code = f"{between(lo, hi):04d}"
                address1 = f"{between(1, 399)} {street}"
                roll = rnd()
                if roll < 0.15:
                    address2 = pick(ADDRESS2_NZ_AU_GB).format(between(1, 30))
                elif code == "NZ" and roll < 0.45:
                    address2 = pick(SUBURBS)
        if rnd() < 0.02:
            address3 = pick(ADDRESS3)
        return {
            "address1": address1, "address2": address2, "address3": address3, "city": city,
            "province": province, "province_code": province_code, "zip": zip_code, "country": country,
            "country_code": code,
        }

    # one chunk

    def chunk(self, offset: int, count: int) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[int, str]]]:
        """Rows for customers number `offset` … `offset + count - 1` of this run."""
        self._grow_places((offset + count) / max(self.total, 1))
        rng, rnd, clock, refs, ids = self.rng, self.rng.random, self.clock, self.refs, self.ids
        stamp = clock.stamp
        first_names, last_names = FIRST_NAMES, LAST_NAMES
        first_slugs, last_slugs = self.first_slugs, self.last_slugs
        n_first, n_last = len(first_names), len(last_names)
        taken_emails = self.taken.emails
        places, phones = self.places, self.phones
        reps, tiers, stores, warehouses = refs.reps, refs.tiers, refs.stores, refs.warehouses
        domestic, international = refs.domestic, refs.international
        countries = rng.choices(self.country_codes, weights=self.country_weights, k=count)
        address_counts = rng.choices((1, 2, 3), weights=(60, 30, 10), k=count)
        span, total, now = clock.now - 60, max(self.total, 1), clock.now
        step = max(1, span // total)

        customers: list[tuple[Any, ...]] = []
        addresses: list[tuple[Any, ...]] = []
        buyers: list[tuple[Any, ...]] = []
        archived: list[tuple[int, str]] = []
        cid, aid = ids.customer, ids.address
        for k in range(count):
            country = countries[k]
            fi, li = int(rnd() * n_first), int(rnd() * n_last)
            name = f"{first_names[fi]} {last_names[li]}"
            company = None
            roll = rnd()
            if roll < 0.3:
                company = (
                    f"{COMPANY_WORDS[int(rnd() * len(COMPANY_WORDS))]} "
                    f"{COMPANY_NOUNS[int(rnd() * len(COMPANY_NOUNS))]} {COMPANY_SUFFIX[country]}"
                )
            email = None
            if rnd() < 0.92:
                domain = EMAIL_DOMAINS[cid % 3]
                style = int(rnd() * 3)
                if style == 0:
                    email = f"{first_slugs[fi]}.{last_slugs[li]}{cid}@{domain}"
                elif style == 1:
                    email = f"{first_slugs[fi][0]}{last_slugs[li]}{cid}@{domain}"
                else:
                    email = f"{last_slugs[li]}.{first_slugs[fi]}{cid}@{domain}"
                if email in taken_emails:
                    email = self.taken.free(email, taken_emails)
            phone = phones[country][int(rnd() * 2000)] if rnd() < 0.85 else None
            fax = phones[country][int(rnd() * 2000)] if rnd() < 0.03 else None
            created_s = (offset + k) * span // total + int(rnd() * step)
            created = stamp(created_s)
            updated = stamp(created_s + int(rnd() * (now - created_s))) if rnd() < 0.25 else created
            archived_at = None
            # The first two customers of a run always show an order history and an archived customer,
            # so that even a tiny demo has rows in every table.
            position = offset + k
            if (rnd() < 0.03 or position == 1) and position != 0:
                archived_s = created_s + int(rnd() * (now - created_s))
                archived_at = stamp(archived_s)
                updated = archived_at
                archived.append((cid, archived_at))

            pool = places[country]
            n_pool = len(pool)
            first_place = int(rnd() * n_pool)
            n_addresses = address_counts[k]
            shipping_id = aid
            billing_id = aid
            shipping_place = pool[first_place]
            used = [shipping_place]
            for j in range(n_addresses):
                if j == 0:
                    place = shipping_place
                    row = (aid, cid, "Shipping" if n_addresses > 1 else None, name, company, email, phone)
                else:
                    place = pool[(first_place + j) % n_pool]
                    if rnd() < 0.15:  # somewhere abroad perhaps; never a place this customer already has
                        other = places[self.country_codes[int(rnd() * 4)]]
                        candidate = other[int(rnd() * len(other))]
                        if candidate not in used and candidate is not pool[(first_place + 2) % n_pool]:
                            place = candidate
                    used.append(place)
                    label = ADDRESS_LABELS[int(rnd() * len(ADDRESS_LABELS))]
                    if j == 1 and rnd() < 0.5:
                        billing_id = aid
                        label = "Billing"
                    row = (aid, cid, label, name, company, None, phone if rnd() < 0.5 else None)
                addresses.append((*row, *place, 1, created, created))
                aid += 1

            customers.append((
                cid, name, company, email, phone, fax,
                reps[int(rnd() * len(reps))] if rnd() < 0.7 else None,
                tiers[int(rnd() * len(tiers))] if rnd() < 0.6 else None,
                stores[int(rnd() * len(stores))] if rnd() < 0.8 else None,
                warehouses[int(rnd() * len(warehouses))] if rnd() < 0.7 else None,
                domestic[int(rnd() * len(domestic))] if rnd() < 0.3 else None,
                international[int(rnd() * len(international))] if rnd() < 0.15 else None,
                shipping_id, billing_id, archived_at,
                CUSTOMER_NOTES[int(rnd() * len(CUSTOMER_NOTES))] if rnd() < 0.05 else None,
                1, created, updated,
            ))
            if rnd() < ORDER_CUSTOMER_SHARE or position == 0:
                snapshot = (name, company, email, phone, *shipping_place[:9])
                buyers.append((cid, country, created_s, snapshot, position == 0))
            elif archived_at is None:
                self.last_plain.append((cid, updated))
            cid += 1
        ids.customer, ids.address = cid, aid
        del self.last_plain[:-25]
        tables = self._orders(buyers)
        tables["customers"] = customers
        tables["addresses"] = addresses
        return tables, archived

    def _orders(self, buyers: Iterable[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
        """Orders with lines, payments, credits with allocations, and fulfilments, for these customers."""
        rng, rnd, clock, refs, ids, taken = self.rng, self.rng.random, self.clock, self.refs, self.ids, self.taken
        stamp, date, now = clock.stamp, clock.date, clock.now
        orders: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        credits: list[tuple[Any, ...]] = []
        allocations: list[tuple[Any, ...]] = []
        fulfillments: list[tuple[Any, ...]] = []
        fulfillment_lines: list[tuple[Any, ...]] = []
        n_products = len(PRODUCTS)
        for cid, country, created_s, snapshot, showcase in buyers:
            # A showcase customer has one order of each kind the screens need: an open one, part paid,
            # waiting to be shipped and partly covered by a credit; and a fulfilled one, shipped.
            n_orders = 2 if showcase else 1 + (rnd() < 0.4) + (rnd() < 0.15)
            # (order id, currency, outstanding cents, status, created seconds) of this customer's orders
            mine: list[list[Any]] = []
            for number_of_order in range(n_orders):
                oid = ids.order
                ids.order += 1
                status = rng.choices(ORDER_STATUSES, weights=ORDER_STATUS_WEIGHTS)[0]
                if showcase:
                    status = ("open", "fulfilled")[number_of_order]
                currency = CURRENCY[country] if country != "GB" or rnd() < 0.7 else "NZD"
                domestic = country == "NZ"
                method = (refs.domestic if domestic else refs.international)[
                    int(rnd() * len(refs.domestic if domestic else refs.international))
                ]
                order_s = created_s + int(rnd() * (now - created_s))
                created = stamp(order_s)
                number = f"SO-{oid:06d}"
                if number in taken.order_numbers:
                    number = taken.free(number, taken.order_numbers)
                orders.append((
                    oid, number, cid, status, date(order_s), currency, method, *snapshot, 1, created, created,
                ))
                total = 0
                product_lines: list[tuple[int, int]] = []
                for _ in range(1 + int(rnd() * 3)):
                    sku, description, price, weight = PRODUCTS[int(rnd() * n_products)]
                    quantity = 1 + int(rnd() * rnd() * 6)
                    lid = ids.line
                    ids.line += 1
                    lines.append((
                        lid, oid, sku, description, quantity, money(price), weight, refs.sales_code,
                        1, created, created,
                    ))
                    product_lines.append((lid, quantity))
                    total += quantity * price
                if rnd() < 0.25:  # a discount line
                    discount = -(total // 10 // 100 * 100 or 100)
                    if total + discount > 0:
                        lid = ids.line
                        ids.line += 1
                        lines.append((
                            lid, oid, DISCOUNT_LINE[0], DISCOUNT_LINE[1], 1, money(discount), None,
                            refs.discount_code, 1, created, created,
                        ))
                        total += discount
                if len(product_lines) < 3 and rnd() < 0.5:  # a shipping line
                    price = 650 if domestic else 2900
                    lid = ids.line
                    ids.line += 1
                    lines.append((
                        lid, oid, SHIPPING_LINE[0], SHIPPING_LINE[1], 1, money(price), None,
                        refs.shipping_code, 1, created, created,
                    ))
                    total += price

                paid = 0
                roll = rnd()
                if showcase:
                    paid = total if status == "fulfilled" else total // 3
                elif status == "closed" or (status == "fulfilled" and roll < 0.8) or (status == "open" and roll < 0.15):
                    paid = total
                elif status in ("fulfilled", "open") and roll < 0.45:
                    paid = total * (20 + int(rnd() * 60)) // 100
                if paid > 0:
                    pid = ids.payment
                    ids.payment += 1
                    pay_s = min(now, order_s + int(rnd() * 5 * 86400))
                    payments.append((
                        pid, oid, money(paid), date(pay_s), PAYMENT_METHODS[int(rnd() * len(PAYMENT_METHODS))],
                        f"TXN-{rng.randrange(10**10):010d}", 1, stamp(pay_s), stamp(pay_s),
                    ))
                mine.append([oid, currency, total - paid, status, order_s])

                if status in ("open", "fulfilled") and (status == "fulfilled" or showcase or rnd() < 0.5):
                    fid = ids.fulfillment
                    ids.fulfillment += 1
                    if status == "fulfilled":
                        f_status = "shipped"
                    else:
                        f_status = "pending" if showcase or rnd() < 0.6 else "submitted"
                    number = f"FF-{fid:06d}"
                    if number in taken.fulfillment_numbers:
                        number = taken.free(number, taken.fulfillment_numbers)
                    f_s = min(now, order_s + int(rnd() * 2 * 86400))
                    carrier = refs.carriers.get(method)
                    if f_status == "pending":
                        submitted = tracking = starshipit_id = ship_carrier = None
                    else:
                        submitted = stamp(f_s)
                        starshipit_id = 40_000_000 + fid
                        ship_carrier = carrier or "NZ Post"
                        tracking = f"{TRACKING_PREFIX.get(carrier, 'TRK')}{rng.randrange(10**9):09d}NZ"
                    fulfillments.append((
                        fid, oid, number, self.refs.warehouses[int(rnd() * len(self.refs.warehouses))],
                        f_status, starshipit_id, submitted, tracking, ship_carrier, 1, stamp(f_s), stamp(f_s),
                    ))
                    for lid, quantity in product_lines:
                        flid = ids.fulfillment_line
                        ids.fulfillment_line += 1
                        fulfillment_lines.append((flid, fid, lid, quantity, 1, stamp(f_s), stamp(f_s)))

            # A sales credit: mostly for customers who still owe something, and then mostly allocated to
            # their unpaid orders in its currency.
            unpaid = [order for order in mine if order[2] > 0 and order[3] not in UNPAID_EXCLUDED]
            if showcase or rnd() < (0.4 if unpaid else 0.1):
                sid = ids.credit
                ids.credit += 1
                about = unpaid[0] if showcase else (unpaid or mine)[int(rnd() * len(unpaid or mine))]
                credit_s = min(now, about[4] + int(rnd() * 20 * 86400))
                credit_total = 500 * (1 + int(rnd() * 30))
                number = f"SC-{sid:06d}"
                if number in taken.credit_numbers:
                    number = taken.free(number, taken.credit_numbers)
                credits.append((
                    sid, number, cid, about[0] if rnd() < 0.5 else None, date(credit_s), about[1],
                    money(credit_total), CREDIT_NOTES[int(rnd() * len(CREDIT_NOTES))],
                    1, stamp(credit_s), stamp(credit_s),
                ))
                if unpaid and (showcase or rnd() < 0.7):
                    remaining = credit_total
                    for order in unpaid:
                        oid, currency, outstanding, status, _s = order
                        if remaining <= 0 or currency != about[1] or outstanding <= 0:
                            continue
                        amount = min(remaining, outstanding)
                        if showcase or rnd() < 0.4:
                            amount = max(1, amount * (30 + int(rnd() * 60)) // 100)
                        alid = ids.allocation
                        ids.allocation += 1
                        allocations.append((alid, sid, oid, money(amount), 1, stamp(credit_s), stamp(credit_s)))
                        remaining -= amount
                        order[2] -= amount
        return {
            "sales_orders": orders,
            "sales_order_lines": lines,
            "payments": payments,
            "sales_credits": credits,
            "sales_credit_allocations": allocations,
            "sales_order_fulfillments": fulfillments,
            "sales_order_fulfillment_lines": fulfillment_lines,
        }


# --- history: the change log and a sample import batch ------------------------------------------


def _history(
    conn: Connection, clock: _Clock, generator: _Generator, archived: list[tuple[int, str]], summary: DemoSummary
) -> None:
    """Change-log rows for the archived customers, and an import batch holding a few recent customers."""
    user = os_user()
    log_id = next_id(conn, T["change_log"])
    rows = (
        (log_id + n, "customer", cid, "archive", json.dumps({"archived_at": [None, at.replace(" ", "T")[:19]]}),
         user, at)
        for n, (cid, at) in enumerate(archived)
    )
    summary.change_log = bulk_insert(
        conn, T["change_log"], ("id", "entity", "entity_id", "action", "changes", "os_user", "created_at"),
        rows, convert=False,
    )
    batch = generator.last_plain
    if not batch:
        return
    committed = max(updated for _cid, updated in batch)
    ids = [cid for cid, _updated in batch]
    row = (
        next_id(conn, T["import_batches"]), "demo-customers.csv", hashlib.sha256(json.dumps(ids).encode()).hexdigest(),
        json.dumps({"Name": "name", "Email": "email"}),
        json.dumps({"rows": len(ids), "created": len(ids), "updated": 0, "unchanged": 0, "errors": 0}),
        json.dumps(ids), json.dumps([]), committed, None, 1, committed, committed,
    )
    summary.import_batches = bulk_insert(
        conn, T["import_batches"],
        ("id", "file_name", "checksum", "mapping", "counts", "created_customer_ids", "updated_customer_ids",
         "committed_at", "undone_at", *STAMP),
        [row], convert=False,
    )
    # One bulk archive of those customers, undone the same minute (the history shows both kinds of entry).
    action = (next_id(conn, T["bulk_actions"]), "archive", f"{len(ids):,} chosen", len(ids), json.dumps(ids), None,
              committed, committed, user, 1, committed, committed)
    summary.bulk_actions = bulk_insert(
        conn, T["bulk_actions"],
        ("id", "action", "description", "count", "customer_ids", "before", "stamp", "undone_at", "os_user", *STAMP),
        [action], convert=False,
    )


# --- plumbing -----------------------------------------------------------------------------------


class _Reporter:
    """Throttled progress: at most about PROGRESS_CALLS calls, and always the last one."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress = progress
        self.total = total
        self.every = max(1, total // PROGRESS_CALLS)
        self.last = 0

    def __call__(self, done: int, *, force: bool = False) -> None:
        if self.progress is None:
            return
        if (force and done != self.last) or done - self.last >= self.every:
            self.last = done
            self.progress(done, self.total)


@contextlib.contextmanager
def _sqlite_load_settings(conn: Connection) -> Iterator[None]:
    """SQLite, for the length of the load: a larger page cache, and FTS5
    settings for bulk writing (a large in-memory term buffer; no incremental merging while the chunks
    arrive, which roughly halves the cost of the search index: FTS5's own "crisis merge" still bounds the
    number of segments). Everything is set back afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    cache_before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    fts_before = dict(conn.exec_driver_sql(f"SELECT k, v FROM {search.FTS_TABLE}_config").all())
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    for key, (bulk, _default) in FTS_BULK_SETTINGS.items():
        _fts_config(conn, key, bulk)
    try:
        yield
    finally:
        for key, (_bulk, default) in FTS_BULK_SETTINGS.items():
            _fts_config(conn, key, int(fts_before.get(key, default)))
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache_before)}")


def _fts_config(conn: Connection, key: str, value: int) -> None:
    table = search.FTS_TABLE
    conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('{key}', {int(value)})")
