"""Property tests of the normal forms behind Find Match and address de-duplication (DESIGN §2 items 5, 10).

Pure functions: no database. Hypothesis settings stay modest so the file runs in a few seconds.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from desktop.services.normalize import (
    ABBREVIATIONS,
    address_dedup_key,
    address_dedup_text,
    fold,
    normalize_address_text,
    zip_key,
)

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters whose upper/lower case round-trips in Unicode (Latin script as clerks type it). Exotic
# case mappings (Turkish dotless ı, Greek iota subscript) are left out on purpose: str.upper() of those
# does not have the same case fold as the original in Unicode itself.
LATIN = string.ascii_letters + "äöüéèêëàâáåãñçøæœßÿíìîïóòôõúùûÄÖÜÉÈÊËÀÂÁÅÃÑÇØÆŒÍÌÎÏÓÒÔÕÚÙÛāēīōūĀĒĪŌŪ"
WORD_CHARS = LATIN + string.digits
PUNCTUATION = ".,;:!?'\"()[]{}-/\\#&*+<>@|~`^_"
SEPARATORS = [" ", "  ", "\t", ", ", ". ", " - ", "/", " / ", "_", "; ", "\u00a0", " (", ") ", ".,"]

words = st.text(alphabet=WORD_CHARS, min_size=1, max_size=8)
word_lists = st.lists(words, min_size=1, max_size=6)
latin_text = st.text(alphabet=WORD_CHARS + PUNCTUATION + " \t", max_size=40)
HEX40 = re.compile(r"[0-9a-f]{40}")


def recase(text: str, choice: int) -> str:
    return (text.upper(), text.lower(), text.title(), text.swapcase(), text)[choice % 5]


# --- fold and normalize_address_text --------------------------------------------------------------


@PROPS
@given(st.text(max_size=60))
@example("12 Kauri St.")
@example("Ｓｔｒｅｅｔ  ﬁrst")  # compatibility forms (full-width letters, ligatures)
@example("Ångström_Road")
def test_fold_and_normalize_are_idempotent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    normal = normalize_address_text(text)
    assert normalize_address_text(normal) == normal
    # A normal form never carries upper case, edge spaces or runs of spaces.
    for value in (folded, normal):
        assert value == value.strip()
        assert "  " not in value
        assert value == value.casefold()


@PROPS
@given(latin_text, st.integers(min_value=0, max_value=4))
def test_invariant_under_case_changes(text: str, choice: int) -> None:
    changed = recase(text, choice)
    assert fold(changed) == fold(text)
    assert normalize_address_text(changed) == normalize_address_text(text)


@PROPS
@given(word_lists, st.data())
def test_invariant_under_whitespace_and_punctuation(parts: list[str], data: st.DataObject) -> None:
    plain = " ".join(parts)
    seps = [data.draw(st.sampled_from(SEPARATORS)) for _ in range(len(parts) - 1)]
    lead = data.draw(st.sampled_from(["", " ", "  ", "\t", "(", "\"", "- ", "#"]))
    trail = data.draw(st.sampled_from(["", ".", " ", "  ", ",", ")", "!", ".\t", "; "]))
    messy = lead + "".join(p + s for p, s in zip(parts, [*seps, ""])) + trail
    assert fold(messy) == fold(plain)
    assert normalize_address_text(messy) == normalize_address_text(plain)


def test_fold_examples() -> None:
    assert fold("  12   KAURI   Street. ") == "12 kauri street"
    assert fold("Ōtāhuhu") == "otahuhu"
    assert fold("Straße") == "strasse"
    assert fold(None) == ""
    assert fold("") == ""
    assert fold("...,;") == ""
    assert normalize_address_text("12 KAURI STREET.") == normalize_address_text("12 Kauri St") == "12 kauri st"
    assert normalize_address_text("P.O. Box 41") == normalize_address_text("PO Box 41") == "po box 41"
    assert normalize_address_text(None) == ""


ABBREVIATION_PAIRS = sorted(ABBREVIATIONS.items())


@pytest.mark.parametrize(("long", "short"), ABBREVIATION_PAIRS, ids=[k for k, _ in ABBREVIATION_PAIRS])
def test_every_abbreviation_long_and_short_form_normalise_equal(long: str, short: str) -> None:
    # The short form is the normal form: it maps to itself.
    assert normalize_address_text(short) == short
    variants = {
        long, long.upper(), long.title(), f"{long}.",
        short, short.upper(), short.title(), f"{short}.", f"{short.upper()}.",
    }
    assert {normalize_address_text(v) for v in variants} == {short}
    # …and inside an address line, in any case, with a stray full stop.
    assert (
        normalize_address_text(f"12 Kauri {long.title()}")
        == normalize_address_text(f"12 KAURI {short.upper()}.")
        == f"12 kauri {short}"
    )


def test_street_examples() -> None:
    forms = ["Street", "street", "STREET", "St", "st.", "ST.", "Str", "str."]
    assert {normalize_address_text(f"7 Rimu {f}") for f in forms} == {"7 rimu st"}
    assert normalize_address_text("7 Rimu Avenue") == normalize_address_text("7 rimu ave.")
    assert normalize_address_text("7 Rimu Road") == normalize_address_text("7 RIMU RD")
    assert normalize_address_text("7 Rimu Road") != normalize_address_text("7 Rimu Street")


FILLER = st.lists(st.sampled_from(["12", "3a", "kauri", "Totara", "RIMU", "flat", "rear", "7"]), max_size=3)


@PROPS
@given(st.sampled_from(ABBREVIATION_PAIRS), FILLER, FILLER, st.integers(0, 4), st.integers(0, 4))
def test_abbreviations_unified_inside_any_line(pair, before, after, case_a, case_b) -> None:  # type: ignore[no-untyped-def]
    long, short = pair
    with_long = " ".join([*before, recase(long, case_a), *after])
    with_short = " ".join([*before, recase(short, case_b) + ".", *after])
    assert normalize_address_text(with_long) == normalize_address_text(with_short)


# --- zip_key --------------------------------------------------------------------------------------

zip_body = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=10)


@PROPS
@given(zip_body, st.data())
def test_zip_key_removes_spaces_and_upper_cases(body: str, data: st.DataObject) -> None:
    spaced = "".join(ch + data.draw(st.sampled_from(["", "", " ", "  ", "\t"])) for ch in body)
    spaced = data.draw(st.sampled_from(["", " ", "  "])) + spaced
    key = zip_key(spaced)
    assert key is not None
    assert key == zip_key(body) == zip_key(body.lower()) == zip_key(body.upper())
    assert not re.search(r"\s", key)
    assert key == key.upper()
    assert zip_key(key) == key  # idempotent
    if not re.fullmatch(r"\d{9}", body):
        assert key == body.upper()


@PROPS
@given(st.integers(0, 99999), st.integers(0, 9999), st.sampled_from(["-", " - ", "- ", " -"]))
def test_zip_plus_four_compares_on_five_digits(five_digits: int, four_digits: int, dash: str) -> None:
    five, four = f"{five_digits:05d}", f"{four_digits:04d}"
    assert zip_key(five) == five
    assert zip_key(f"{five}{dash}{four}") == five
    assert zip_key(f" {five}{dash}{four} ") == five


def test_zip_key_examples() -> None:
    assert zip_key("sw1a 1aa") == zip_key("SW1A 1AA") == zip_key("SW1A1AA") == "SW1A1AA"
    assert zip_key("94107-1234") == zip_key("94107") == "94107"
    assert zip_key("1010") == "1010"
    assert zip_key("1010") != zip_key("1011")
    # A hyphen outside the US ZIP+4 shape is kept (it is part of the postcode there).
    assert zip_key("1234-567") == "1234-567"
    assert zip_key(None) is None
    assert zip_key("") is None
    assert zip_key("   ") is None


# --- address_dedup_key ----------------------------------------------------------------------------

STREETS = ["Kauri", "Totara", "Pohutukawa", "Matai", "Harbour View", "Old Mill"]
SUFFIXES = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"), ("Crescent", "Cres"),
            ("Terrace", "Tce"), ("Lane", "Ln"), ("Place", "Pl")]
CITIES = ["Auckland", "Hamilton", "Nelson", "Whangārei", "New Plymouth"]
ZIPS = ["1010", "3204", "SW1A 1AA", "94107", "7010"]


@st.composite
def addresses(draw):  # type: ignore[no-untyped-def]
    number = draw(st.integers(min_value=1, max_value=999))
    street = draw(st.sampled_from(STREETS))
    suffix = draw(st.sampled_from(SUFFIXES))
    unit = draw(st.one_of(st.none(), st.integers(1, 40)))
    return {
        "number": number,
        "street": street,
        "suffix": suffix,
        "address2": None if unit is None else f"Unit {unit}",
        "city": draw(st.sampled_from(CITIES)),
        "province": draw(st.sampled_from([None, "Auckland", "Waikato"])),
        "zip": draw(st.sampled_from(ZIPS)),
        "country_code": draw(st.sampled_from(["NZ", "GB", "US"])),
    }


def render(a: dict, *, short: bool = False, messy: int = 0) -> dict[str, str | None]:  # type: ignore[type-arg]
    suffix = a["suffix"][1] if short else a["suffix"][0]
    line1 = f"{a['number']} {a['street']} {suffix}"
    fields: dict[str, str | None] = {
        "address1": line1, "address2": a["address2"], "city": a["city"], "province": a["province"],
        "zip": a["zip"], "country_code": a["country_code"],
    }
    if messy:
        fields["address1"] = recase(f"  {a['number']},  {a['street']}   {suffix}. ", messy)
        if fields["address2"]:
            fields["address2"] = recase(fields["address2"].replace(" ", "  ") + ",", messy)
        fields["city"] = recase(f" {a['city']}. ", messy)
        if fields["province"]:
            fields["province"] = recase(fields["province"], messy)
        fields["zip"] = recase(" " + a["zip"].replace(" ", "") + " ", messy)
        fields["country_code"] = recase(a["country_code"], messy)
    return fields


@PROPS
@given(addresses(), st.booleans(), st.integers(min_value=0, max_value=4))
def test_dedup_key_equal_for_the_same_place_written_differently(a, short, messy) -> None:  # type: ignore[no-untyped-def]
    key = address_dedup_key(render(a))
    assert HEX40.fullmatch(key)
    assert address_dedup_key(render(a, short=short, messy=messy)) == key


@PROPS
@given(addresses(), st.integers(min_value=1, max_value=999), st.integers(0, 4))
def test_dedup_key_differs_when_house_number_differs(a, other, messy) -> None:  # type: ignore[no-untyped-def]
    if other == a["number"]:
        other = a["number"] + 1
    b = {**a, "number": other}
    assert address_dedup_key(render(a)) != address_dedup_key(render(b, short=True, messy=messy))


@PROPS
@given(addresses(), st.sampled_from(ZIPS), st.integers(0, 4))
def test_dedup_key_differs_when_zip_differs(a, other_zip, messy) -> None:  # type: ignore[no-untyped-def]
    if zip_key(other_zip) == zip_key(a["zip"]):
        other_zip = "9999"
    b = {**a, "zip": other_zip}
    assert address_dedup_key(render(a)) != address_dedup_key(render(b, messy=messy))


def test_dedup_key_examples() -> None:
    base = {"address1": "12 Kauri Street", "city": "Auckland", "zip": "94107", "country_code": "US"}
    same = {"address1": "12 KAURI ST.", "city": "auckland", "zip": "94107-1234", "country_code": "us"}
    assert address_dedup_key(base) == address_dedup_key(same)
    # A moved line is another address; so are other house numbers, cities and countries.
    assert address_dedup_key(base) != address_dedup_key({**base, "address1": None, "address2": "12 Kauri St"})
    assert address_dedup_key(base) != address_dedup_key({**base, "address1": "14 Kauri Street"})
    assert address_dedup_key(base) != address_dedup_key({**base, "city": "Hamilton"})
    assert address_dedup_key(base) != address_dedup_key({**base, "country_code": "NZ"})
    assert address_dedup_key(base) != address_dedup_key({**base, "zip": "94108"})
    # Who it is for does not matter, only where it is.
    assert address_dedup_key(base) == address_dedup_key({**base, "name": "Mere Tane", "label": "Office"})
    for fields in (base, {}, {"zip": "1010"}):
        assert HEX40.fullmatch(address_dedup_key(fields))
    assert address_dedup_text(same).split("|")[0] == "12 kauri st"
