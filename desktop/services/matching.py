"""Find Customer Match (DESIGN §2 item 5): block on the indexed zip key, then score with rapidfuzz.

A candidate shares the normalised zip, has address1 similarity >= 90 % on normalised text (case,
punctuation and Street/St-style abbreviations unified) and a similar name (customer name or company).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from rapidfuzz import fuzz, process

from desktop.services.errors import MatchCandidate
from desktop.services.normalize import normalize_address_text, normalize_name, zip_key
from desktop.store import models as m

ADDRESS_THRESHOLD = 90.0
NAME_THRESHOLD = 80.0
# How the per-field scores weigh in the ranking score (zip always matches: it is the blocking key).
WEIGHTS = {"address1": 0.5, "name": 0.4, "zip": 0.1}


# Built once: the zip block (read from ix_addresses_zip_key alone) and the details of the few addresses
# that pass the address threshold.
_BLOCK = select(m.Address.id, m.Address.address1_key).where(m.Address.zip_key == bindparam("zip_key"))
_DETAILS = (
    select(
        m.Address.id, m.Address.address1, m.Address.city, m.Address.zip,
        m.Customer.id, m.Customer.name, m.Customer.company, m.Customer.email, m.Customer.archived_at,
    )
    .join(m.Customer, m.Customer.id == m.Address.customer_id)
    .where(m.Address.id.in_(bindparam("address_ids", expanding=True)))
)
# A customer's own addresses are dropped here rather than from the block, so the block stays index-only.
_DETAILS_EXCLUDING = _DETAILS.where(m.Address.customer_id != bindparam("customer_id"))


def name_similarity(a: str, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, normalize_name(b)))


def find_customer_match(
    session: Session,
    name: str | None,
    zip_code: str | None,
    address1: str | None,
    *,
    limit: int = 10,
    exclude_customer_id: int | None = None,
) -> list[MatchCandidate]:
    """Ranked candidates (best first, one per customer). Empty when zip or address1 is missing."""
    key = zip_key(zip_code)
    wanted_address = normalize_address_text(address1)
    wanted_name = normalize_name(name)
    if not key or not wanted_address:
        return []
    conn = session.connection()  # Core rows: no ORM bookkeeping on the hot path
    block = conn.execute(_BLOCK, {"zip_key": key}).all()
    # One C call scores the whole zip block; only the few addresses over the threshold go further.
    scores = process.extract(
        wanted_address, [key_text or "" for _address_id, key_text in block],
        scorer=fuzz.ratio, score_cutoff=ADDRESS_THRESHOLD, limit=None,
    )
    if not scores:
        return []
    address_scores = {block[index][0]: float(score) for _text, score, index in scores}
    if exclude_customer_id is None:
        details = conn.execute(_DETAILS, {"address_ids": list(address_scores)})
    else:
        details = conn.execute(
            _DETAILS_EXCLUDING, {"address_ids": list(address_scores), "customer_id": exclude_customer_id}
        )
    best: dict[int, MatchCandidate] = {}
    for address_id, a1, city, zip_, customer_id, c_name, company, email, archived_at in details:
        address_score = address_scores[address_id]
        name_score = max(name_similarity(wanted_name, c_name), name_similarity(wanted_name, company))
        if name_score < NAME_THRESHOLD:
            continue
        score = (
            WEIGHTS["address1"] * address_score + WEIGHTS["name"] * name_score + WEIGHTS["zip"] * 100.0
        )
        candidate = MatchCandidate(
            customer_id=customer_id, name=c_name, company=company, email=email, address_id=address_id,
            address1=a1, city=city, zip=zip_, archived=archived_at is not None,
            name_score=round(name_score, 1), address1_score=round(address_score, 1),
            zip_score=100.0, score=round(score, 1),
        )
        if customer_id not in best or best[customer_id].score < candidate.score:
            best[customer_id] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.customer_id))
    return ranked[:limit]


# --- Find match from whatever the clerk has at hand ---------------------------------------------------
# (The seed's rule above stays the rule of `find-match` and of the create warning.)

ANY_FIELDS = ("name", "company", "email", "phone", "zip", "address1", "city")
ANY_MIN_SCORE = 60.0  # the mean of the given fields' scores a candidate needs (or one exact email / phone)
ANY_CANDIDATES = 200  # per field looked up


@dataclass(frozen=True)
class AnyMatch:
    """A customer found from some of name, company, email, phone, zip, address 1 and city, with the
    evidence of each field given (0–100) and their mean."""

    customer_id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    address1: str | None
    city: str | None
    zip: str | None
    archived: bool
    evidence: dict[str, float]
    score: float

    def evidence_text(self) -> str:
        return ", ".join(f"{FIELD_WORDS[k]} {v:.0f} %" for k, v in self.evidence.items())


FIELD_WORDS = {"name": "name", "company": "company", "email": "email", "phone": "phone", "zip": "zip",
               "address1": "address 1", "city": "city"}


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _field_score(field: str, wanted: str, row: Any) -> float:
    have = getattr(row, field)
    if not have:
        return 0.0
    if field == "email":
        return 100.0 if have.casefold() == wanted.casefold() else float(fuzz.ratio(wanted.casefold(), have.casefold()))
    if field == "phone":
        a, b = _digits(wanted), _digits(have)
        if not a or not b:
            return 0.0
        a, b = a.lstrip("0"), b.lstrip("0")  # a national trunk 0 ("04 …") is not part of the number
        short, long_ = sorted((a, b), key=len)
        if a == b or (len(short) >= 7 and long_.endswith(short)):
            return 100.0  # the same number, with or without the country prefix
        return float(fuzz.ratio(a, b))
    if field == "zip":
        return 100.0 if zip_key(have) == zip_key(wanted) else 0.0
    if field == "address1":
        return float(fuzz.ratio(normalize_address_text(wanted), normalize_address_text(have)))
    if field == "city":
        return 100.0 if have.casefold() == wanted.casefold() else float(fuzz.ratio(wanted.casefold(), have.casefold()))
    return max(name_similarity(normalize_name(wanted), have), float(fuzz.partial_ratio(
        normalize_name(wanted), normalize_name(have))) if len(wanted) >= 4 else 0.0)


def find_by_any(session: Session, given: Mapping[str, str | None], *, limit: int = 50) -> list[AnyMatch]:
    """Customers that fit what is given (any of ANY_FIELDS, each that is given counts), best first."""
    from desktop.services.customer_list import CustomerQuery, list_customers

    wanted = {f: " ".join(str(v).split()) for f, v in given.items() if f in ANY_FIELDS and v and str(v).strip()}
    if not wanted:
        return []
    rows: dict[int, Any] = {}
    for field, value in wanted.items():
        if field == "phone":  # the number as typed differs (prefix, spaces): its last groups of digits
            groups = [g for g in "".join(ch if ch.isdigit() else " " for ch in value).split() if g]
            tail = " ".join(groups[-2:]) if len(groups) >= 2 else _digits(value)[-4:]
            if len(_digits(tail)) < 3:
                continue
            query = CustomerQuery(search=tail, archived="all")
        elif field in ("name", "company", "email", "zip"):
            query = CustomerQuery(search=value, archived="all")
        else:  # address 1 and city are not in the search index: their own filters
            query = CustomerQuery(archived="all", **{field: value})
        for row in list_customers(session, query, limit=ANY_CANDIDATES, with_total=False).rows:
            rows.setdefault(row.id, row)
    found = []
    for row in rows.values():
        evidence = {field: round(_field_score(field, value, row), 1) for field, value in wanted.items()}
        score = round(sum(evidence.values()) / len(evidence), 1)
        exact = evidence.get("email") == 100.0 or evidence.get("phone") == 100.0
        if score >= ANY_MIN_SCORE or exact:
            found.append(AnyMatch(row.id, row.name, row.company, row.email, row.phone, row.address1, row.city,
                                  row.zip, row.archived, evidence, score))
    found.sort(key=lambda c: (-c.score, c.name.casefold(), c.customer_id))
    return found[:limit]
