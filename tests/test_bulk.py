"""Bulk Delete / Archive / Unarchive (DESIGN §2 item 9): by ids or `apply_to_all` with the current filters
(the whole filtered set, not the visible page), per-customer outcomes, progress and cancellation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop.services import changelog
from desktop.services import customers as cs
from desktop.services.customer_list import (
    CustomerQuery,
    count_customers,
    list_customers,
)
from desktop.services.errors import Cancelled, ValidationError
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests import factories as f
from tests.conftest import BACKENDS

Bulk = Callable[..., cs.BulkResult]
MISSING = 999_999


def _archived_count(db: Database) -> int:
    with db.read() as s:
        return f.count(s, m.Customer, m.Customer.archived_at.is_not(None))


def _state(db: Database) -> dict[str, Any]:
    """What a bulk action may change: customers (with versions and archive times), addresses, ChangeLog."""
    with db.read() as s:
        return {
            "customers": list(s.execute(select(m.Customer.id, m.Customer.version, m.Customer.archived_at,
                                               m.Customer.updated_at).order_by(m.Customer.id))),
            "addresses": list(s.scalars(select(m.Address.id).order_by(m.Address.id))),
            "change_log": s.scalar(select(func.count()).select_from(m.ChangeLog)),
        }


def _entries(db: Database, customer_id: int) -> list[tuple[str, dict[str, Any]]]:
    with db.read() as s:
        return [(e.action, e.changes) for e in reversed(changelog.history(s, "customer", customer_id))]


def _outcomes(result: cs.BulkResult) -> list[tuple[int, bool, str | None]]:
    return [(o.customer_id, o.done, o.reason) for o in result.outcomes]


# --- by ids ---------------------------------------------------------------------------------------

def test_bulk_archive_by_ids(db: Database) -> None:
    with db.transaction() as s:
        a = cs.create_customer(s, {"name": "Aroha Kowhai"}).id
        b = cs.create_customer(s, {"name": "Tane Mahuta"}).id
        c = cs.create_customer(s, {"name": "Mere Rata"}).id
        untouched = cs.create_customer(s, {"name": "Olivia Smith"}).id
        cs.archive_customer(s, c)
    before = _state(db)
    with db.transaction() as s:
        result = cs.bulk_archive(s, ids=[a, c, MISSING, b, a])
    assert result.action == "archived"
    assert _outcomes(result) == [
        (a, True, None),
        (c, False, "already archived"),
        (MISSING, False, "does not exist (it may have been deleted)"),
        (b, True, None),
    ]
    assert [o.name for o in result.outcomes] == ["Aroha Kowhai", "Mere Rata", None, "Tane Mahuta"]
    assert ([o.customer_id for o in result.done], [o.customer_id for o in result.skipped]) == ([a, b], [c, MISSING])
    assert result.summary() == "2 archived, 2 skipped"
    after = _state(db)
    versions = {row.id: (row.version, row.archived_at) for row in after["customers"]}
    old = {row.id: (row.version, row.archived_at) for row in before["customers"]}
    assert versions[a][0] == old[a][0] + 1 and versions[a][1] is not None
    assert versions[b][0] == old[b][0] + 1 and versions[b][1] is not None
    assert versions[c] == old[c] and versions[untouched] == old[untouched]
    assert after["change_log"] == before["change_log"] + 2
    action, changes = _entries(db, a)[-1]
    assert action == "archive" and changes["archived_at"][0] is None and changes["archived_at"][1]
    assert [x for x, _ in _entries(db, c)] == ["create", "archive"]  # the skipped one got no new row
    with db.read() as s:
        assert {r.id for r in list_customers(s).rows} == {untouched}


def test_bulk_unarchive_by_ids(db: Database) -> None:
    with db.transaction() as s:
        a = cs.create_customer(s, {"name": "Aroha Kowhai"}).id
        b = cs.create_customer(s, {"name": "Tane Mahuta"}).id
        cs.bulk_archive(s, ids=[a])
    archived_at = _entries(db, a)[-1][1]["archived_at"][1]
    with db.transaction() as s:
        result = cs.bulk_unarchive(s, ids=[a, b, MISSING])
    assert result.action == "unarchived"
    assert _outcomes(result) == [(a, True, None), (b, False, "already active"),
                                 (MISSING, False, "does not exist (it may have been deleted)")]
    assert _archived_count(db) == 0
    assert _entries(db, a)[-1] == ("unarchive", {"archived_at": [archived_at, None]})


def test_bulk_delete_by_ids(db: Database) -> None:
    with db.transaction() as s:
        free = cs.create_customer(s, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "6011",
                                      "default_billing_address": {"address1": "PO Box 77", "zip": "9016"}}).id
        archived = cs.create_customer(s, {"name": "Hemi Walker", "city": "Nelson"}).id
        cs.archive_customer(s, archived)
        ordered = cs.create_customer(s, {"name": "Tane Mahuta", "city": "Auckland"}).id
        order = f.sales_order(s, ordered)
        f.payment(s, order)
        credited = cs.create_customer(s, {"name": "Mere Rata"}).id
        f.sales_credit(s, credited)
    with db.transaction() as s:
        result = cs.bulk_delete(s, ids=[free, ordered, MISSING, credited, archived])
    assert result.action == "deleted"
    assert _outcomes(result) == [
        (free, True, None),
        (ordered, False, "linked to 1 sales order, 1 payment — archive instead?"),
        (MISSING, False, "does not exist (it may have been deleted)"),
        (credited, False, "linked to 1 sales credit — archive instead?"),
        (archived, True, None),
    ]
    with db.read() as s:
        assert set(s.scalars(select(m.Customer.id))) == {ordered, credited}
        assert f.count(s, m.Address, m.Address.customer_id.in_([free, archived])) == 0
        assert f.count(s, m.Address, m.Address.customer_id == ordered) == 1
    assert _entries(db, free)[-1] == ("delete", {"name": ["Aroha Kowhai", None]})
    assert _entries(db, archived)[-1] == ("delete", {"name": ["Hemi Walker", None]})
    assert [a for a, _ in _entries(db, ordered)] == ["create"]


# --- apply to all: the whole filtered set ---------------------------------------------------------

MATCHING = 250


def _crowd(db: Database, *, archived: bool = False) -> tuple[list[int], list[int]]:
    """250 customers of Kowhai Traders (the filter) and 30 others."""
    stamp = m.utcnow() if archived else None
    with db.transaction() as s:
        matching = f.customers(s, [{"name": f"Kowhai Clerk {i:03d}", "company": "Kowhai Traders Ltd",
                                    "archived_at": stamp} for i in range(MATCHING)])
        others = f.customers(s, [{"name": f"Rata Clerk {i:02d}", "company": "Rata & Co", "archived_at": stamp}
                                 for i in range(30)])
    return matching, others


def test_apply_to_all_archives_the_whole_filtered_set(db: Database) -> None:
    matching, others = _crowd(db)
    q = CustomerQuery(company="kowhai", sort="-name")
    with db.read() as s:
        page = list_customers(s, q, limit=100)      # what the clerk sees: one page, and the count
        assert (len(page.rows), page.total) == (100, MATCHING)
        assert count_customers(s, q) == MATCHING
    calls: list[tuple[int, int]] = []
    with db.transaction() as s:
        result = cs.bulk_archive(s, apply_to_all=True, query=q, progress=lambda d, t: calls.append((d, t)))
    assert [o.customer_id for o in result.done] == matching
    assert result.skipped == []
    assert calls == [(0, MATCHING), (MATCHING, MATCHING)]
    with db.read() as s:
        assert set(s.scalars(select(m.Customer.id).where(m.Customer.archived_at.is_not(None)))) == set(matching)
        assert count_customers(s, q) == 0
        assert count_customers(s, CustomerQuery(company="rata")) == len(others)
        assert f.count(s, m.ChangeLog, m.ChangeLog.action == "archive") == MATCHING


def test_apply_to_all_with_a_search_and_skips(db: Database) -> None:
    matching, others = _crowd(db)
    with db.transaction() as s:
        cs.archive_customer(s, matching[0])           # hidden by the archived switch: not a target
        cs.archive_customer(s, others[0])
    q = CustomerQuery(search="kowhai clerk", archived="all")
    with db.transaction() as s:
        result = cs.bulk_archive(s, apply_to_all=True, query=q)
    assert len(result.outcomes) == MATCHING
    assert _outcomes(result)[0] == (matching[0], False, "already archived")
    assert len(result.done) == MATCHING - 1
    assert _archived_count(db) == MATCHING + 1


def test_apply_to_all_unarchive(db: Database) -> None:
    matching, others = _crowd(db, archived=True)
    with db.transaction() as s:
        result = cs.bulk_unarchive(s, apply_to_all=True, query=CustomerQuery(archived="archived", name="kowhai"))
    assert [o.customer_id for o in result.done] == matching
    assert _archived_count(db) == len(others)


def test_apply_to_all_delete_skips_linked_customers(db: Database) -> None:
    matching, others = _crowd(db)
    with db.transaction() as s:
        linked = matching[5], matching[120], matching[249]
        for cid in linked:
            f.sales_order(s, cid)
    with db.transaction() as s:
        result = cs.bulk_delete(s, apply_to_all=True, query=CustomerQuery(company="Kowhai Traders"))
    assert len(result.outcomes) == MATCHING
    assert [o.customer_id for o in result.skipped] == list(linked)
    assert {o.reason for o in result.skipped} == {"linked to 1 sales order — archive instead?"}
    with db.read() as s:
        assert set(s.scalars(select(m.Customer.id))) == set(others) | set(linked)


def test_apply_to_all_without_a_query_uses_the_default_list(db: Database) -> None:
    matching, others = _crowd(db)
    with db.transaction() as s:
        cs.archive_customer(s, others[0])
    with db.transaction() as s:
        result = cs.bulk_archive(s, apply_to_all=True)
    assert len(result.outcomes) == len(matching) + len(others) - 1      # the active ones
    assert _archived_count(db) == len(matching) + len(others)


# --- progress and cancel: one shared store with more than one chunk of work -----------------------

BIG = cs.CHUNK + 150


@dataclass
class Big:
    db: Database
    active: list[int]
    linked: int


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Overrides conftest's per-test store: one store per back-end shared by the tests below, which must leave
    it unchanged (it keeps the name so that the per-back-end summary counts these tests)."""
    return f.new_store_url(request, request.param)


@pytest.fixture(scope="module")
def big(database_url: str) -> Iterator[Big]:
    """More customers than one chunk of bulk work, so that progress has steps in between."""
    database = open_database(database_url)
    try:
        with database.transaction() as s:
            active = f.customers(s, [{"name": f"Kowhai Clerk {i:04d}", "company": "Kowhai Traders Ltd"}
                                     for i in range(BIG)])
            f.sales_order(s, active[7])
        yield Big(database, active, active[7])
    finally:
        database.dispose()


class Stop(Exception):
    """Raised by a test's progress callback after the last step, to roll the work back."""


def test_progress_counts_up_to_the_total(big: Big) -> None:
    calls: list[tuple[int, int]] = []

    def progress(done: int, of: int) -> None:
        calls.append((done, of))
        if done == of:
            raise Stop

    before = _state(big.db)
    with pytest.raises(Stop):
        with big.db.transaction() as s:
            cs.bulk_archive(s, apply_to_all=True, query=CustomerQuery(company="kowhai"), progress=progress)
    assert calls[0] == (0, BIG) and calls[-1] == (BIG, BIG)
    assert len(calls) >= 3                                             # steps in between
    done = [d for d, _ in calls]
    assert done == sorted(set(done))                                   # strictly increasing
    assert {t for _, t in calls} == {BIG}
    assert _state(big.db) == before


@pytest.mark.parametrize(("action", "archive_first", "total"), [
    (cs.bulk_archive, False, BIG),
    (cs.bulk_unarchive, True, BIG),
    (cs.bulk_delete, False, BIG - 1),           # one of them is linked to an order
], ids=["archive", "unarchive", "delete"])
def test_cancel_midway_leaves_the_store_as_it_was(big: Big, action: Bulk, archive_first: bool, total: int) -> None:
    calls: list[tuple[int, int]] = []

    def progress(done: int, of: int) -> None:
        calls.append((done, of))
        if 0 < done < of:
            raise Cancelled

    before = _state(big.db)
    with pytest.raises(Cancelled):
        with big.db.transaction() as s:
            if archive_first:
                cs.bulk_archive(s, ids=big.active)
                assert count_customers(s, CustomerQuery(archived="archived")) == BIG
            action(s, ids=big.active, progress=progress)
    assert calls == [(0, total), (cs.CHUNK, total)]                   # it did stop mid-way
    assert _archived_count(big.db) == 0
    assert _state(big.db) == before


@pytest.mark.parametrize("action", [cs.bulk_archive, cs.bulk_unarchive, cs.bulk_delete],
                         ids=["archive", "unarchive", "delete"])
@pytest.mark.parametrize("kwargs", [
    {"ids": [1, 2], "apply_to_all": True, "query": CustomerQuery(company="kowhai")},
    {},
    {"query": CustomerQuery(company="kowhai")},
], ids=["both", "neither", "query-without-apply-to-all"])
def test_ids_or_apply_to_all_exactly_one(big: Big, action: Bulk, kwargs: dict[str, Any]) -> None:
    def counts() -> tuple[int, ...]:
        with big.db.read() as s:
            return (f.count(s, m.Customer), f.count(s, m.Customer, m.Customer.archived_at.is_not(None)),
                    f.count(s, m.ChangeLog))

    before = counts()
    with pytest.raises(ValidationError) as exc:
        with big.db.transaction() as s:
            action(s, **kwargs)
    assert exc.value.for_field("ids")
    assert counts() == before


# --- undo ------------------------------------------------------------------------------------------

def test_a_bulk_archive_is_one_entry_and_undone_as_one(db: Database) -> None:
    with db.transaction() as s:
        ids = [cs.create_customer(s, {"name": name}).id for name in ("Aroha Kowhai", "Tane Mahuta", "Mere Rata")]
        already = cs.create_customer(s, {"name": "Olivia Smith"}).id
        cs.archive_customer(s, already)
    before = {row.id: row for row in _state(db)["customers"]}
    with db.transaction() as s:
        result = cs.bulk_archive(s, ids=[*ids, already], description="4 selected")
    assert result.bulk_action_id is not None
    with db.read() as s:
        (entry,) = cs.list_bulk_actions(s)
    assert (entry.id, entry.action, entry.count, entry.description, entry.state) == (
        result.bulk_action_id, "archive", 3, "4 selected", "done")

    with db.transaction() as s:
        undone = cs.undo_bulk_action(s, entry.id)
    assert (undone.restored, undone.changed_since, undone.gone) == (3, [], 0)
    after = {row.id: row for row in _state(db)["customers"]}
    for cid in ids:
        assert after[cid].archived_at is None and after[cid].version == before[cid].version + 2
    assert after[already].archived_at == before[already].archived_at  # it was not part of it
    assert _entries(db, ids[0])[-1][0] == "unarchive"
    with db.read() as s:
        assert cs.list_bulk_actions(s)[0].state == "undone"
    with pytest.raises(cs.DomainError, match="already undone"), db.transaction() as s:
        cs.undo_bulk_action(s, entry.id)


def test_undoing_a_bulk_unarchive_gives_back_each_archive_time(db: Database) -> None:
    with db.transaction() as s:
        a = cs.create_customer(s, {"name": "Aroha Kowhai"}).id
        b = cs.create_customer(s, {"name": "Tane Mahuta"}).id
        cs.archive_customer(s, a)
    with db.transaction() as s:
        cs.archive_customer(s, b)  # another time
    times = {row.id: row.archived_at for row in _state(db)["customers"]}
    assert times[a] != times[b]
    with db.transaction() as s:
        result = cs.bulk_unarchive(s, apply_to_all=True, query=CustomerQuery(archived="archived"))
    assert _archived_count(db) == 0
    with db.transaction() as s:
        undone = cs.undo_bulk_action(s, result.bulk_action_id)
    assert undone.restored == 2
    assert {row.id: row.archived_at for row in _state(db)["customers"]} == times


def test_a_customer_changed_since_stays_as_it_is_and_is_named(db: Database) -> None:
    with db.transaction() as s:
        a = cs.create_customer(s, {"name": "Aroha Kowhai"}).id
        b = cs.create_customer(s, {"name": "Tane Mahuta"}).id
        gone = cs.create_customer(s, {"name": "Mere Rata"}).id
    with db.transaction() as s:
        result = cs.bulk_archive(s, ids=[a, b, gone])
    with db.transaction() as s:
        cs.unarchive_customer(s, b)
        cs.archive_customer(s, b)  # archived again by hand: not the bulk's doing any more
        cs.delete_customer(s, gone)
    with db.transaction() as s:
        undone = cs.undo_bulk_action(s, result.bulk_action_id)
    assert (undone.restored, undone.changed_since, undone.gone) == (1, [(b, "Tane Mahuta")], 1)
    states = {row.id: row.archived_at for row in _state(db)["customers"]}
    assert states[a] is None and states[b] is not None


def test_a_cancelled_undo_leaves_the_store_as_it_was(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cs, "CHUNK", 2)
    with db.transaction() as s:
        ids = [cs.create_customer(s, {"name": f"Kauri Builders {n}"}).id for n in range(5)]
    with db.transaction() as s:
        result = cs.bulk_archive(s, ids=ids)
    before = _state(db)

    def cancel_after_first_chunk(done: int, total: int) -> None:
        if done >= 2:
            raise Cancelled()

    with pytest.raises(Cancelled), db.transaction() as s:
        cs.undo_bulk_action(s, result.bulk_action_id, progress=cancel_after_first_chunk)
    assert _state(db) == before
    with db.read() as s:
        assert cs.list_bulk_actions(s)[0].state == "done"
