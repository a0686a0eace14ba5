"""Which column gives which customer field: headers compared without case, spaces or punctuation, through
known aliases, including the customer exports of common shop platforms (Shopify, WooCommerce,
BigCommerce, Magento) and this app's own export."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

# Field -> label shown to the clerk. `first_name` + `last_name` make `name` when there is no name column.
FIELDS: dict[str, str] = {
    "id": "Customer id",
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "email": "Email",
    "phone": "Phone",
    "fax": "Fax",
    "notes": "Notes",
    "address1": "Address 1",
    "address2": "Address 2",
    "address3": "Address 3",
    "city": "City",
    "province": "Province",
    "province_code": "Province code",
    "zip": "Zip",
    "country": "Country",
    "country_code": "Country code",
    "sales_rep": "Sales rep",
    "pricing_tier": "Pricing tier",
    "store": "Store",
    "warehouse": "Warehouse",
    "domestic_shipping": "Domestic shipping",
    "international_shipping": "International shipping",
}
# The default billing address, when it is not the shipping one: this app's own export names these columns
# exactly so (billing_address1 … billing_country_code), beside address1. Only such a file gives them: a web
# shop's billing_city or "Billing Address 1" stays the customer's address, as it always was.
_LINE_LABELS = {"address1": "address 1", "address2": "address 2", "address3": "address 3", "city": "city",
                "province": "province", "province_code": "province code", "zip": "zip", "country": "country",
                "country_code": "country code"}
BILLING_FIELDS: dict[str, str] = {f"billing_{f}": f"Billing {label}" for f, label in _LINE_LABELS.items()}
OWN_FIELDS = dict(FIELDS)  # the fields found by name and alias
FIELDS.update(BILLING_FIELDS)

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "customer id", "customerid", "customer no", "customer number", "account id"),
    "name": ("name", "customer name", "full name", "contact name", "customer", "contact", "display name",
             "billing name", "shipping name"),
    "first_name": ("first name", "firstname", "given name", "forename", "billing first name",
                   "billing_first_name", "shipping first name", "default address first name"),
    "last_name": ("last name", "lastname", "surname", "family name", "billing last name",
                  "billing_last_name", "shipping last name", "default address last name"),
    "company": ("company", "company name", "organisation", "organization", "business", "business name",
                "default address company", "billing company", "shipping company"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "billing email",
              "customer email"),
    "phone": ("phone", "telephone", "tel", "phone number", "mobile", "mobile phone", "cell",
              "default address phone", "billing phone", "shipping phone", "contact phone"),
    "fax": ("fax", "fax number"),
    "notes": ("notes", "note", "comments", "comment", "remarks", "customer note"),
    "address1": ("address1", "address 1", "address", "address line 1", "street", "street address",
                 "address line1", "default address address1", "billing address 1", "billing address1",
                 "shipping address 1", "shipping address1", "addr1", "street 1"),
    "address2": ("address2", "address 2", "address line 2", "address line2", "default address address2",
                 "billing address 2", "billing address2", "shipping address 2", "shipping address2", "addr2",
                 "street 2", "suburb"),
    "address3": ("address3", "address 3", "address line 3", "addr3", "street 3"),
    "city": ("city", "town", "town city", "locality", "default address city", "billing city",
             "shipping city"),
    "province": ("province", "state", "region", "county", "state province", "province state",
                 "default address province", "billing state", "shipping state", "state region"),
    "province_code": ("province code", "state code", "region code", "default address province code",
                      "province_code"),
    "zip": ("zip", "zip code", "zipcode", "postcode", "post code", "postal code", "postalcode", "zip postcode",
            "zip postal code", "default address zip", "billing postcode", "shipping postcode", "postcode zip"),
    "country": ("country", "country name", "default address country", "billing country name",
                "shipping country name"),
    "country_code": ("country code", "countrycode", "iso country", "country iso",
                     "default address country code", "billing country", "shipping country"),
    "sales_rep": ("sales rep", "salesrep", "sales representative", "rep", "account manager",
                  "default sales rep"),
    "pricing_tier": ("pricing tier", "price tier", "price level", "price list", "product pricing tier",
                     "customer group", "tier"),
    "store": ("store", "shop", "sales channel", "channel"),
    "warehouse": ("warehouse", "default warehouse"),
    "domestic_shipping": ("domestic shipping", "domestic shipping method", "shipping method domestic",
                          "default domestic shipping"),
    "international_shipping": ("international shipping", "international shipping method",
                               "shipping method international", "default international shipping"),
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Case, accents, spaces and punctuation ignored: 'Default Address Zip' -> 'defaultaddresszip'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", plain.casefold())


ALIASES: dict[str, str] = {header_key(alias): f for f, aliases in _ALIASES.items() for alias in aliases}
ALIASES.update({header_key(label): f for f, label in OWN_FIELDS.items()})


def auto_mapping(header: Sequence[str], saved: Mapping[str, str] | None = None) -> dict[int, str]:
    """Map each column by a mapping the clerk saved before (header key -> field, '' = not imported), else
    by name. A field is given by one column only: a column named exactly like the field ('Phone') wins
    over an alias ('Default Address Phone'), then the first column that names it."""
    exact = {header_key(f): f for f in OWN_FIELDS} | {header_key(label): f for f, label in OWN_FIELDS.items()}
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    names = [(title or "").strip().lower() for title in header]
    own_export = "address1" in names and "billing_address1" in names  # a web shop's billing_city is not ours
    for index, name in enumerate(names):  # this app's own billing columns, by their exact names
        if own_export and name in BILLING_FIELDS and name not in taken:
            mapping[index] = name
            taken.add(name)
    keys = [header_key(title) for title in header]
    for exact_pass in (True, False):
        for index, key in enumerate(keys):
            if index in mapping:
                continue
            if saved and key in saved:
                field = saved[key] if exact_pass else None
            elif exact_pass:
                field = exact.get(key)
            else:
                field = ALIASES.get(key)
            if field in FIELDS and field not in taken:
                mapping[index] = field
                taken.add(field)
    return dict(sorted(mapping.items()))


def saved_form(header: Sequence[str], mapping: Mapping[int, str]) -> dict[str, str]:
    """A mapping in the form kept in settings: header key -> field (columns mapped to nothing: '')."""
    return {header_key(title): mapping.get(i, "") for i, title in enumerate(header) if header_key(title)}


def can_give_name(mapping: Mapping[int, str]) -> bool:
    fields = set(mapping.values())
    return "name" in fields or "first_name" in fields or "last_name" in fields or "company" in fields


# A customer id in a file names a customer of *this* store only in this store's own export, whose rows
# carry each customer's created_at beside the id: the planner trusts an id whose created_at matches that
# customer's (to the minute). Another store's export or a web shop's file with ids of its own is matched
# by email instead, so that its id 1 does not replace this store's customer 1 with another person.
CREATED_KEYS = ("createdat", "created", "datecreated", "customersince")
ID_IGNORED = "id: ignored (not this store's export, which has created_at beside it): matched by email"


def created_column(header: Sequence[str]) -> int | None:
    """The column holding each customer's creation time, if the file has one."""
    return next((i for i, title in enumerate(header) if header_key(title) in CREATED_KEYS), None)


def id_note(header: Sequence[str], mapping: Mapping[int, str]) -> str | None:
    """What becomes of a mapped id column: None when ids are looked at (beside created_at)."""
    if "id" in mapping.values() and created_column(header) is None:
        return ID_IGNORED
    return None
