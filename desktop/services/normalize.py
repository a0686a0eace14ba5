"""Normal forms for matching: zip keys, address text and address de-duplication keys.

Two addresses that a clerk would call the same ("12 Kauri St." and "12 KAURI STREET") get the same
normal text; the dedup key is a hash of every normalised location field, so it is short and indexable.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Long form -> the one short form both sides are rewritten to.
ABBREVIATIONS: dict[str, str] = {
    "street": "st", "str": "st",
    "avenue": "ave", "av": "ave", "avenu": "ave",
    "road": "rd",
    "drive": "dr", "drv": "dr",
    "boulevard": "blvd", "boul": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "tce", "terr": "tce",
    "crescent": "cres", "cresc": "cres",
    "highway": "hwy",
    "parkway": "pkwy",
    "square": "sq",
    "circle": "cir",
    "close": "cl",
    "grove": "gr",
    "parade": "pde",
    "esplanade": "esp",
    "mount": "mt",
    "suite": "ste",
    "apartment": "apt",
    "building": "bldg",
    "floor": "fl",
    "unit": "unit",
    "level": "lvl",
    "post office box": "po box", "p o box": "po box", "pob": "po box",
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}

_MULTIWORD = sorted((k for k in ABBREVIATIONS if " " in k), key=len, reverse=True)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_US_ZIP = re.compile(r"^(\d{5})-?\d{4}$")


# Imports normalise hundreds of thousands of addresses whose cities, provinces and countries repeat.
@lru_cache(maxsize=1 << 16)
def fold(text: str | None) -> str:
    """Case-folded, accents removed, punctuation turned into spaces, whitespace collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", stripped.casefold()).replace("_", " ")
    return _SPACES.sub(" ", words).strip()


@lru_cache(maxsize=1 << 14)
def normalize_address_text(text: str | None) -> str:
    """Fold, then unify common abbreviations (Street/St, Avenue/Ave, Road/Rd, …)."""
    folded = fold(text)
    if not folded:
        return ""
    padded = f" {folded} "
    for phrase in _MULTIWORD:
        padded = padded.replace(f" {phrase} ", f" {ABBREVIATIONS[phrase]} ")
    return " ".join(ABBREVIATIONS.get(word, word) for word in padded.split())


def normalize_name(text: str | None) -> str:
    return fold(text)


@lru_cache(maxsize=1 << 16)
def zip_key(zip_code: str | None) -> str | None:
    """Upper case, spaces removed; a US ZIP+4 compares on its first five digits. None when empty."""
    if not zip_code:
        return None
    key = _SPACES.sub("", zip_code).upper()
    us = _US_ZIP.match(key)
    if us:
        key = us.group(1)
    return key or None


DEDUP_FIELDS = ("address1", "address2", "address3", "city", "province", "zip", "country_code")


def address_dedup_text(fields: Mapping[str, str | None]) -> str:
    """The normal form of a whole address (the part that says where it is, not who it is for)."""
    province = fields.get("province_code") or fields.get("province")
    country = fields.get("country_code") or fields.get("country")
    parts = [
        normalize_address_text(fields.get("address1")),
        normalize_address_text(fields.get("address2")),
        normalize_address_text(fields.get("address3")),
        fold(fields.get("city")),
        fold(province),
        zip_key(fields.get("zip")) or "",
        fold(country),
    ]
    return "|".join(parts)


def address_dedup_key(fields: Mapping[str, str | None]) -> str:
    """A short, indexable key: equal for two addresses of the same place written differently."""
    return hashlib.sha1(address_dedup_text(fields).encode("utf-8")).hexdigest()
