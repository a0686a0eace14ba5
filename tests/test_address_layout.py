"""The address lines in the order their country writes them, and the address as its post reads it."""

from __future__ import annotations

import pytest

from desktop.services.address_layout import LINE_KEYS, line_order, written_lines


@pytest.mark.parametrize(("country", "before", "after"), [
    ("DE", "zip", "city"),        # 10115 Berlin
    ("JP", "zip", "address1"),    # 〒 first, then the prefecture, then the street
    ("JP", "province", "address1"),
    ("US", "city", "province"),   # Springfield, IL 62701
    ("US", "province", "zip"),
    ("NZ", "address2", "city"),   # the suburb above the town
])
def test_lines_follow_the_country(country: str, before: str, after: str) -> None:
    order = line_order(country)
    assert sorted(order) == sorted(LINE_KEYS)
    assert order.index(before) < order.index(after)


@pytest.mark.parametrize("country", [None, "", "XX", "nz "])
def test_unknown_or_loose_codes(country: str | None) -> None:
    expected = line_order("NZ") if country == "nz " else LINE_KEYS
    assert line_order(country) == expected


def test_written_lines() -> None:
    lines = written_lines({"name": "Aroha Tane", "company": "Tane Joinery", "address1": "1 Wharf Road",
                           "address2": "Ahuriri", "city": "Napier", "zip": "4110"}, "NZ")
    assert lines == ["Aroha Tane", "Tane Joinery", "1 Wharf Road", "Ahuriri", "NAPIER 4110", "NEW ZEALAND"]
    jp = written_lines({"zip": "150-0002", "province": "東京都", "address1": "渋谷区渋谷2-21-1"}, "JP")
    assert jp[:3] == ["〒150-0002", "東京都", "渋谷区渋谷2-21-1"]
    # No data for the country: the lines as they are, with the country's name.
    assert written_lines({"address1": "1 Main", "city": "Town"}, "XX", "Elsewhere") == ["1 Main", "Town", "Elsewhere"]
    assert written_lines({}, None) == []
