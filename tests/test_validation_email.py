"""Fast paths of validation agree with the libraries: plain emails (email-validator), phones (phonenumbers)."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.services.validation import Cleaner, plain_email

LOCAL = st.text(alphabet="abcXYZ019.!#$%&'*+/=?^_`{|}~-\"(),:;<>@[\\] é", min_size=0, max_size=70)
LABEL = st.text(alphabet="abcxyzXN019-_é", min_size=0, max_size=66)
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["example.com", "kowhai.example", "a.test", "x.localhost", "xn--nxasmq6b.example", "ab--cd.example",
     "example.123", "example.c0m", "EXAMPLE.COM", "a.arpa", "mail.local", "b.onion", "invalid"])


def reference(value: str) -> str | None:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=3000, deadline=None)
@given(LOCAL, DOMAIN)
def test_fast_path_agrees_with_email_validator(local: str, domain: str) -> None:
    value = f"{local}@{domain}"
    fast = plain_email(value)
    if fast is not None:
        assert reference(value) == fast


@pytest.mark.parametrize("value, expected", [
    ("Aroha@Kowhai.Example", "Aroha@kowhai.example"),
    ("o'brien+tag@mail.example.co.nz", "o'brien+tag@mail.example.co.nz"),
    ("a@b.test", None),  # special-use domain: email-validator refuses it
    ("a@xn--nxasmq6b.example", None),  # Punycode: left to email-validator
    ("a..b@example.com", None),
    ("zoë@example.com", None),  # non-ASCII: left to email-validator
])
def test_fast_path_examples(value: str, expected: str | None) -> None:
    assert plain_email(value) == expected


def test_cleaner_gives_the_same_result_either_way() -> None:
    c = Cleaner()
    assert c.email("email", "Aroha@Kowhai.Example") == "Aroha@kowhai.example"
    assert c.email("email", "zoë@Example.com") == "zoë@example.com"
    assert c.email("email", "a@b.test") is None and c.errors and c.errors[0].field == "email"


PHONE = st.text(alphabet="0123456789 ().-+", min_size=0, max_size=22)


@settings(max_examples=3000, deadline=None)
@given(PHONE, st.sampled_from([None, "NZ", "US", "GB", "DE", "IT", "JP", "AU"]))
def test_phone_fast_path_agrees_with_phonenumbers_on_the_raw_text(value: str, country: str | None) -> None:
    """A phone of digits and plain separators is parsed from its digits alone: the same verdict as
    phonenumbers gives the text as written."""
    import phonenumbers

    from desktop.services.validation import phone_problem

    def reference() -> str | None:
        if not value or sum(ch.isdigit() for ch in value) < 3:
            return "is not a phone number"
        region = None if value.startswith("+") else country
        if region is None and not value.startswith("+"):
            return None
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return "is not a phone number"
        return None if phonenumbers.is_possible_number(number) else "is not a possible phone number for its country"

    assert phone_problem(value, None if value.startswith("+") else country) == reference()
