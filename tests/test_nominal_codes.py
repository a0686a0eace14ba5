"""Nominal codes (DESIGN §2 item 16): list with usage, create, edit, delete, Check Deletable with its exact
reasons and counts (one query per kind of link), deleting that obeys the check even when an order line
arrives at the same moment, optimistic locking, validation, the ChangeLog, and the mapping settings.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop.services import nominal_codes as svc
from desktop.services.errors import ConflictError, NotFound, ValidationError
from desktop.services.nominal_codes import (
    NominalCodeInUse,
    NominalCodeTaken,
    UnknownNominalCodes,
)
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests import factories as f


def new_code(db: Database, code: str, name: str = "Sales", type_: str = "revenue") -> svc.NominalCodeRow:
    with db.transaction() as s:
        return svc.create_nominal_code(s, {"code": code, "name": name, "type": type_})


def add_lines(session: Session, code_id: int, n: int) -> m.SalesOrder:
    """An order of a new customer with `n` lines on the code."""
    customer = f.customer(session, "Aroha Kowhai")
    order = f.sales_order(session, customer.id, lines=[("1", "10.00")] * n)
    for line in order.lines:
        line.nominal_code_id = code_id
    session.flush()
    return order


def map_to(db: Database, setting: str, code_id: int | None) -> svc.MappingSetting:
    with db.transaction() as s:
        return svc.set_mapping(s, setting, code_id)


def reread(db: Database, code_id: int) -> svc.NominalCodeRow:
    with db.read() as s:
        return svc.get_nominal_code(s, code_id)


def log_rows(db: Database, entity: str = svc.ENTITY) -> list[tuple[int, str, dict[str, Any]]]:
    with db.read() as s:
        return [(r.entity_id, r.action, r.changes) for r in s.scalars(
            select(m.ChangeLog).where(m.ChangeLog.entity == entity).order_by(m.ChangeLog.id))]


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    """The SQL statements run on `db` meanwhile (BEGIN/SAVEPOINT bookkeeping left out)."""
    seen: list[str] = []

    def listen(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


@pytest.fixture
def ledger(db: Database) -> dict[str, int]:
    """The codes of the examples: 4100 with 12 order lines and the shipping mapping, 4000 with the sales and
    discounts mappings, 4200 with one line, 4900 unused."""
    ids = {code: new_code(db, code, name).id for code, name in
           (("4000", "Sales"), ("4100", "Shipping income"), ("4200", "Discounts"), ("4900", "Other income"))}
    with db.transaction() as s:
        add_lines(s, ids["4100"], 12)
        add_lines(s, ids["4200"], 1)
    map_to(db, "shipping", ids["4100"])
    map_to(db, "sales", ids["4000"])
    map_to(db, "discounts", ids["4000"])
    return ids


# --- Check Deletable -----------------------------------------------------------------------------


def test_check_deletable_says_what_uses_each_code_with_counts(db: Database, ledger: dict[str, int]) -> None:
    with db.read() as s:
        checked = svc.check_deletable(s, [ledger["4100"], ledger["4000"], ledger["4200"], ledger["4900"]])
    assert list(checked) == [ledger["4100"], ledger["4000"], ledger["4200"], ledger["4900"]]  # as asked
    shipping, sales, discounts, other = checked.values()
    assert shipping.usage == svc.Usage(order_lines=12, mappings=("shipping",))
    assert shipping.usage.describe() == "used by 12 order lines and the 'shipping' mapping"
    assert shipping.verdict() == "cannot be deleted: used by 12 order lines and the 'shipping' mapping"
    assert not shipping.deletable
    assert sales.usage.describe() == "used by the 'sales' and 'discounts' mappings"
    assert discounts.usage.describe() == "used by 1 order line"
    assert other.deletable and other.usage.describe() == "not used" and other.verdict() == "can be deleted (not used)"


def test_check_names_settings_as_the_screen_does_and_lists_three(db: Database) -> None:
    code = new_code(db, "2100", "Sales credits", "liability")
    for setting in ("sales_credits", "sales", "shipping"):
        map_to(db, setting, code.id)
    with db.transaction() as s:
        add_lines(s, code.id, 1500)
    usage = reread(db, code.id).usage
    assert usage.mappings == ("sales", "shipping", "sales_credits")  # the screen's order
    assert usage.describe() == "used by 1,500 order lines and the 'sales', 'shipping' and 'sales credits' mappings"


def test_bulk_check_is_one_query_per_kind_of_link_not_one_per_code(db: Database) -> None:
    with db.transaction() as s:
        ids = [svc.create_nominal_code(s, {"code": str(4000 + n), "name": f"Income {n}", "type": "revenue"}).id
               for n in range(60)]
        add_lines(s, ids[0], 3)
        add_lines(s, ids[59], 2)
        svc.set_mapping(s, "sales", ids[30])
    with db.read() as s, counting(db) as statements:
        checked = svc.check_deletable(s, ids)
    assert len(statements) == 3, statements  # the codes, the order line counts, the mappings
    assert [r.usage.order_lines for r in checked.values()].count(0) == 58
    assert checked[ids[0]].usage.order_lines == 3 and checked[ids[59]].usage.order_lines == 2
    assert checked[ids[30]].usage.mappings == ("sales",)
    assert sum(r.deletable for r in checked.values()) == 57

    with db.read() as s, counting(db) as statements:
        by_code = svc.check_deletable_codes(s, [str(4000 + n) for n in range(60)])
    assert len(statements) == 4, statements  # plus the look-up of the code strings
    assert [r.id for r in by_code] == ids


def test_check_by_code_strings_any_case_in_the_order_given(db: Database, ledger: dict[str, int]) -> None:
    uk = new_code(db, "SALES-UK", "Sales UK")
    with db.read() as s:
        rows = svc.check_deletable_codes(s, ["sales-uk", "4100", " 4900 ", "4100"])
    assert [(r.code, r.deletable) for r in rows] == [("SALES-UK", True), ("4100", False), ("4900", True)]
    assert rows[0].id == uk.id


def test_check_every_code_when_none_given_in_code_order(db: Database, ledger: dict[str, int]) -> None:
    new_code(db, "900", "Suspense", "asset")
    with db.read() as s:
        every = svc.check_deletable_codes(s, None)
        same = svc.check_deletable_codes(s, [])
    assert [r.code for r in every] == ["900", "4000", "4100", "4200", "4900"]  # 900 before 4000
    assert every == same


def test_unknown_codes_are_named_all_at_once(db: Database, ledger: dict[str, int]) -> None:
    with db.read() as s, pytest.raises(UnknownNominalCodes) as exc:
        svc.check_deletable_codes(s, ["4000", "9999", "x"])
    assert exc.value.codes == ["9999", "x"]
    assert str(exc.value) == "Unknown nominal codes: 9999, x."
    with db.read() as s, pytest.raises(UnknownNominalCodes, match=r"^Unknown nominal code: 1234\.$"):
        svc.check_deletable_codes(s, ["1234"])
    with db.read() as s:
        assert svc.check_deletable(s, [999_999]) == {}  # unknown ids are left out


def test_list_shows_every_code_with_usage_in_three_queries(db: Database, ledger: dict[str, int]) -> None:
    with db.read() as s, counting(db) as statements:
        rows = svc.list_nominal_codes(s)
    assert len(statements) == 3
    assert [(r.code, r.name, r.type, r.usage.order_lines, r.usage.mappings) for r in rows] == [
        ("4000", "Sales", "revenue", 0, ("sales", "discounts")),
        ("4100", "Shipping income", "revenue", 12, ("shipping",)),
        ("4200", "Discounts", "revenue", 1, ()),
        ("4900", "Other income", "revenue", 0, ()),
    ]


# --- delete --------------------------------------------------------------------------------------


def test_delete_is_refused_with_the_reason_and_changes_nothing(db: Database, ledger: dict[str, int]) -> None:
    with pytest.raises(NominalCodeInUse) as exc, db.transaction() as s:
        svc.delete_nominal_code(s, ledger["4100"])
    assert str(exc.value) == (
        "Nominal code 4100 Shipping income cannot be deleted: used by 12 order lines and the 'shipping' "
        "mapping. Point the mapping setting at another code first.")
    assert [r.code for r in exc.value.rows] == ["4100"]
    with pytest.raises(NominalCodeInUse, match=r"^Nominal code 4200 Discounts cannot be deleted: used by 1 "
                                                r"order line\.$"), db.transaction() as s:
        svc.delete_nominal_code(s, ledger["4200"])
    assert reread(db, ledger["4100"]).usage.order_lines == 12
    assert reread(db, ledger["4200"]).usage.order_lines == 1
    assert [a for _i, a, _c in log_rows(db)] == ["create"] * 4


def test_delete_an_unused_code_and_log_it(db: Database, ledger: dict[str, int]) -> None:
    seen = reread(db, ledger["4900"])
    with db.transaction() as s:
        deleted = svc.delete_nominal_code(s, seen.id, expected_version=seen.version)
    assert deleted.code == "4900"
    with db.read() as s, pytest.raises(NotFound, match="does not exist"):
        svc.get_nominal_code(s, seen.id)
    assert log_rows(db)[-1] == (seen.id, "delete", {"code": ["4900", None], "name": ["Other income", None],
                                                    "type": ["revenue", None]})


def test_bulk_delete_is_all_or_nothing_and_names_every_blocked_code(db: Database, ledger: dict[str, int]) -> None:
    ids = [ledger["4900"], ledger["4100"], ledger["4200"]]
    with pytest.raises(NominalCodeInUse) as exc, db.transaction() as s:
        svc.delete_nominal_codes(s, ids)
    assert [r.code for r in exc.value.rows] == ["4100", "4200"]
    assert str(exc.value) == (
        "2 nominal codes cannot be deleted, so none was deleted: 4100 Shipping income is used by 12 order lines "
        "and the 'shipping' mapping; 4200 Discounts is used by 1 order line. Point the mapping setting at "
        "another code first.")
    assert reread(db, ledger["4900"]).code == "4900"  # the deletable one is still there
    unused = new_code(db, "5000", "Cost of goods sold", "expense")
    with db.transaction() as s:
        assert [r.code for r in svc.delete_nominal_codes(s, [ledger["4900"], unused.id])] == ["4900", "5000"]
    with db.read() as s:
        assert [r.code for r in svc.list_nominal_codes(s)] == ["4000", "4100", "4200"]


def test_clearing_the_mappings_makes_a_code_deletable(db: Database, ledger: dict[str, int]) -> None:
    with db.transaction() as s:
        svc.set_mappings(s, {"sales": None, "discounts": ledger["4900"]})
    with db.transaction() as s:
        svc.delete_nominal_code(s, ledger["4000"])
    with db.read() as s:
        assert {x.setting: x.code for x in svc.list_mappings(s)}["discounts"] == "4900"


def test_a_line_added_after_the_check_still_blocks_the_delete(db: Database, ledger: dict[str, int]) -> None:
    """The clerk checks, a line arrives, the clerk confirms: the delete checks again in its own transaction."""
    with db.read() as s:
        assert svc.check_deletable(s, [ledger["4900"]])[ledger["4900"]].deletable
    with db.transaction() as s:
        add_lines(s, ledger["4900"], 1)
    with pytest.raises(NominalCodeInUse, match="used by 1 order line"), db.transaction() as s:
        svc.delete_nominal_code(s, ledger["4900"])
    assert reread(db, ledger["4900"]).usage.order_lines == 1


def test_the_foreign_key_refuses_what_a_check_missed(db: Database, ledger: dict[str, int],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the check ever blind to a link, the foreign key still refuses, and the refusal says why."""
    real = svc._usage
    calls: list[int] = []

    def blind_first(session: Session, ids: Any) -> dict[int, svc.Usage]:
        calls.append(1)
        return {} if len(calls) == 1 else real(session, ids)

    monkeypatch.setattr(svc, "_usage", blind_first)
    with pytest.raises(NominalCodeInUse, match="used by 1 order line") as exc, db.transaction() as s:
        svc.delete_nominal_code(s, ledger["4200"])
    assert isinstance(exc.value.__cause__, IntegrityError)
    monkeypatch.setattr(svc, "_usage", real)
    assert reread(db, ledger["4200"]).usage.order_lines == 1
    assert [a for _i, a, _c in log_rows(db)] == ["create"] * 4  # the delete's log row went with it


def _second(db: Database) -> Database:
    return open_database(db.url.render_as_string(hide_password=False))


def _insert_line(other: Database, code_id: int) -> None:
    with other.transaction() as s:
        add_lines(s, code_id, 1)


def _run(fn: Callable[[], Any], started: threading.Event, outcome: dict[str, Any]) -> threading.Thread:
    def body() -> None:
        started.set()
        try:
            outcome["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc
    thread = threading.Thread(target=body)
    thread.start()
    return thread


def test_a_line_inserted_while_the_delete_runs_fails_instead_of_pointing_nowhere(
    db: Database, ledger: dict[str, int]
) -> None:
    """The delete holds the code (row lock on PostgreSQL, the write lock on SQLite) from its check to its
    commit: an order line for it that arrives meanwhile waits, then fails on the foreign key."""
    other = _second(db)
    started, outcome = threading.Event(), {}
    try:
        with db.transaction() as s:
            svc.delete_nominal_code(s, ledger["4900"])
            thread = _run(lambda: _insert_line(other, ledger["4900"]), started, outcome)
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome.get("error"), IntegrityError), outcome
    with db.read() as s:
        assert f.count(s, m.NominalCode, m.NominalCode.id == ledger["4900"]) == 0
        assert f.count(s, m.SalesOrderLine, m.SalesOrderLine.nominal_code_id == ledger["4900"]) == 0


def _blocked_on_lock(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))


def test_a_line_being_inserted_makes_the_delete_wait_then_refuse(db: Database, ledger: dict[str, int]) -> None:
    """An order line for the code is inserted but not yet committed when the delete starts: the delete
    waits for it (PostgreSQL: the line's key-share lock; SQLite: the write lock), then sees it and refuses."""
    other = _second(db)
    started, waiting, outcome = threading.Event(), threading.Event(), {}
    marker = "FOR UPDATE" if db.backend == "postgresql" else "BEGIN IMMEDIATE"

    @event.listens_for(db.engine, "before_cursor_execute")
    def about_to_wait(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if marker in statement:
            waiting.set()

    def delete() -> Any:
        with db.transaction() as s:
            return svc.delete_nominal_code(s, ledger["4900"])

    try:
        with other.transaction() as s:
            add_lines(s, ledger["4900"], 1)
            thread = _run(delete, started, outcome)
            assert waiting.wait(10)
            if db.backend == "postgresql":  # the delete is really queued behind this transaction
                deadline = threading.Event()
                timer = threading.Timer(10, deadline.set)
                timer.start()
                while not _blocked_on_lock(db) and not deadline.is_set():
                    pass
                timer.cancel()
                assert not deadline.is_set(), "the delete never waited for the line's lock"
            assert thread.is_alive()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        event.remove(db.engine, "before_cursor_execute", about_to_wait)
        other.dispose()
    assert isinstance(outcome.get("error"), NominalCodeInUse), outcome
    assert "used by 1 order line" in str(outcome["error"])
    assert reread(db, ledger["4900"]).usage.order_lines == 1


# --- create and edit -----------------------------------------------------------------------------


def test_create_and_edit_are_logged_and_lines_follow_a_new_code(db: Database, ledger: dict[str, int]) -> None:
    seen = reread(db, ledger["4100"])
    with db.transaction() as s:
        edited = svc.update_nominal_code(s, seen.id, {"code": "4150", "name": "Freight income", "type": "Revenue"},
                                         expected_version=seen.version)
    assert (edited.code, edited.name, edited.type, edited.version) == ("4150", "Freight income", "revenue",
                                                                       seen.version + 1)
    assert edited.usage.order_lines == 12 and edited.usage.mappings == ("shipping",)
    with db.read() as s:
        assert [x.code for x in svc.list_mappings(s) if x.setting == "shipping"] == ["4150"]
    first, *_rest, last = log_rows(db)
    assert first == (ledger["4000"], "create", {"code": [None, "4000"], "name": [None, "Sales"],
                                                "type": [None, "revenue"]})
    assert last == (seen.id, "update", {"code": ["4100", "4150"], "name": ["Shipping income", "Freight income"]})


def test_an_edit_that_changes_nothing_writes_nothing(db: Database, ledger: dict[str, int]) -> None:
    seen = reread(db, ledger["4900"])
    with db.transaction() as s:
        same = svc.update_nominal_code(s, seen.id, {"name": " Other income ", "type": "REVENUE"},
                                       expected_version=seen.version)
    assert same.version == seen.version
    assert len(log_rows(db)) == 4


def test_a_stale_edit_or_delete_is_a_conflict(db: Database, ledger: dict[str, int]) -> None:
    seen = reread(db, ledger["4900"])
    with db.transaction() as s:
        svc.update_nominal_code(s, seen.id, {"name": "Sundry income"}, expected_version=seen.version)
    with pytest.raises(ConflictError, match="^Nominal code 4900 was changed by someone else") as exc, \
            db.transaction() as s:
        svc.update_nominal_code(s, seen.id, {"name": "Interest"}, expected_version=seen.version)
    assert (exc.value.expected, exc.value.actual) == (seen.version, seen.version + 1)
    with pytest.raises(ConflictError), db.transaction() as s:
        svc.delete_nominal_code(s, seen.id, expected_version=seen.version)
    assert reread(db, seen.id).name == "Sundry income"


def test_two_clerks_editing_at_once_the_second_is_refused(db: Database, ledger: dict[str, int]) -> None:
    seen = reread(db, ledger["4900"])
    other = _second(db)
    started, outcome = threading.Event(), {}

    def clerk_b() -> Any:
        with other.transaction() as s:
            return svc.update_nominal_code(s, seen.id, {"name": "Interest"}, expected_version=seen.version)

    try:
        with db.transaction() as s:
            svc.update_nominal_code(s, seen.id, {"name": "Sundry income"}, expected_version=seen.version)
            thread = _run(clerk_b, started, outcome)
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome.get("error"), ConflictError), outcome
    assert reread(db, seen.id).name == "Sundry income"


def test_codes_are_unique_whatever_the_case(db: Database, ledger: dict[str, int]) -> None:
    new_code(db, "SALES-UK", "Sales UK")
    with pytest.raises(NominalCodeTaken) as exc, db.transaction() as s:
        svc.create_nominal_code(s, {"code": "sales-uk", "name": "Sales (UK)", "type": "revenue"})
    assert str(exc.value) == ("The nominal code sales-uk already exists (as SALES-UK): codes must differ by more "
                              "than upper and lower case.")
    with pytest.raises(NominalCodeTaken, match="The nominal code 4000 already exists:"), db.transaction() as s:
        svc.update_nominal_code(s, ledger["4900"], {"code": "4000"})
    with db.transaction() as s:  # a code may change its own case
        assert svc.update_nominal_code(s, ledger["4000"], {"code": "4000"}).code == "4000"


def test_two_clerks_creating_the_same_code_in_two_cases_at_once(db: Database) -> None:
    other = _second(db)
    started, outcome = threading.Event(), {}

    def clerk_b() -> Any:
        with other.transaction() as s:
            return svc.create_nominal_code(s, {"code": "SALES", "name": "Sales", "type": "revenue"})

    try:
        with db.transaction() as s:
            svc.create_nominal_code(s, {"code": "sales", "name": "Sales", "type": "revenue"})
            thread = _run(clerk_b, started, outcome)
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome.get("error"), NominalCodeTaken), outcome
    with db.read() as s:
        assert [r.code for r in svc.list_nominal_codes(s)] == ["sales"]


@pytest.mark.parametrize("data, field, message", [
    ({"name": "Sales", "type": "revenue"}, "code", "is required"),
    ({"code": "   ", "name": "Sales", "type": "revenue"}, "code", "is required"),
    ({"code": "4000", "type": "revenue"}, "name", "is required"),
    ({"code": "4000", "name": "Sales", "type": ""}, "type", "is required"),
    ({"code": "4" * 21, "name": "Sales", "type": "revenue"}, "code", "is 21 characters long; at most 20 allowed"),
    ({"code": "4000", "name": "S" * 201, "type": "revenue"}, "name", "is 201 characters long; at most 200 allowed"),
    ({"code": "40\x0700", "name": "Sales", "type": "revenue"}, "code", "contains control characters or line breaks"),
    ({"code": "4000", "name": "Sales\nUK", "type": "revenue"}, "name", "contains control characters or line breaks"),
    ({"code": "4000", "name": "Sa\x00les", "type": "revenue"}, "name", "contains a NUL character"),
    ({"code": "40 00", "name": "Sales", "type": "revenue"}, "code", "may contain only letters A–Z"),
    ({"code": "4000é", "name": "Sales", "type": "revenue"}, "code", "may contain only letters A–Z"),
    ({"code": "-4000", "name": "Sales", "type": "revenue"}, "code", "may contain only letters A–Z"),
    ({"code": "4000", "name": "Sales", "type": "revenue", "colour": "red"}, "colour", "is not a field"),
])
def test_validation_names_the_field(db: Database, data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc, db.transaction() as s:
        svc.create_nominal_code(s, data)
    assert any(text_.startswith(message) for text_ in exc.value.for_field(field)), exc.value.errors
    with db.read() as s:
        assert svc.list_nominal_codes(s) == []


def test_input_is_trimmed_types_normalised_and_other_types_kept(db: Database) -> None:
    with db.transaction() as s:
        a = svc.create_nominal_code(s, {"code": " 4000 ", "name": " Sales ", "type": "Revenue"})
        b = svc.create_nominal_code(s, {"code": "SALES.UK/01", "name": "Sales UK", "type": "Contra revenue"})
        c = svc.create_nominal_code(s, {"code": 5000, "name": "Cost of goods sold", "type": "EXPENSE"})
    assert (a.code, a.name, a.type) == ("4000", "Sales", "revenue")
    assert (b.code, b.type) == ("SALES.UK/01", "Contra revenue")
    assert (c.code, c.type) == ("5000", "expense")
    with pytest.raises(ValidationError) as exc, db.transaction() as s:
        svc.update_nominal_code(s, a.id, {"name": ""})
    assert exc.value.for_field("name") == ["is required"]


def test_editing_a_code_that_is_gone_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match=r"^Nominal code id 424242 does not exist"), db.transaction() as s:
        svc.update_nominal_code(s, 424242, {"name": "Sales"})
    with pytest.raises(NotFound), db.transaction() as s:
        svc.delete_nominal_code(s, 424242)


# --- mapping settings ----------------------------------------------------------------------------


def test_mapping_settings_set_change_clear_with_log(db: Database, ledger: dict[str, int]) -> None:
    with db.read() as s:
        before = {x.setting: (x.code, x.version) for x in svc.list_mappings(s)}
    assert before == {"sales": ("4000", 1), "shipping": ("4100", 1), "discounts": ("4000", 1),
                      "sales_credits": (None, 0)}
    created = map_to(db, "sales_credits", ledger["4900"])
    assert (created.label, created.code, created.code_name, created.version) == ("Sales credits", "4900",
                                                                                 "Other income", 1)
    changed = map_to(db, "sales_credits", ledger["4200"])
    assert (changed.code, changed.version, changed.mapping_id) == ("4200", 2, created.mapping_id)
    cleared = map_to(db, "sales_credits", None)
    assert (cleared.code, cleared.version, cleared.mapping_id) == (None, 0, None)
    assert map_to(db, "sales_credits", None) == cleared  # nothing to clear: nothing logged
    rows = [r for r in log_rows(db, svc.MAPPING_ENTITY) if r[0] == created.mapping_id]
    assert rows == [
        (created.mapping_id, "create", {"setting": [None, "sales_credits"], "nominal_code_id": [None, ledger["4900"]],
                                        "code": [None, "4900"]}),
        (created.mapping_id, "update", {"nominal_code_id": [ledger["4900"], ledger["4200"]],
                                        "code": ["4900", "4200"]}),
        (created.mapping_id, "delete", {"setting": ["sales_credits", None], "nominal_code_id": [ledger["4200"], None],
                                        "code": ["4200", None]}),
    ]


def test_mapping_refusals(db: Database, ledger: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="'freight' is not a mapping setting"), db.transaction() as s:
        svc.set_mapping(s, "freight", ledger["4000"])
    with pytest.raises(NotFound, match="Nominal code id 777777"), db.transaction() as s:
        svc.set_mapping(s, "sales", 777777)
    with pytest.raises(ConflictError, match="^The sales mapping setting was changed by someone else"), \
            db.transaction() as s:
        svc.set_mapping(s, "sales", ledger["4900"], expected_version=0)  # the clerk saw it unset
    with pytest.raises(ConflictError), db.transaction() as s:  # all or nothing: sales_credits is not set
        svc.set_mappings(s, {"sales_credits": ledger["4900"], "sales": ledger["4900"]},
                         expected_versions={"sales_credits": 0, "sales": 7})
    with db.read() as s:
        assert {x.setting: x.code for x in svc.list_mappings(s)} == {
            "sales": "4000", "shipping": "4100", "discounts": "4000", "sales_credits": None}


def test_a_setting_another_system_wrote_is_shown_and_can_be_cleared(db: Database, ledger: dict[str, int]) -> None:
    with db.transaction() as s:
        s.add(m.NominalCodeMapping(setting="gift_cards", nominal_code_id=ledger["4900"]))
    with db.read() as s:
        settings = svc.list_mappings(s)
        usage = svc.get_nominal_code(s, ledger["4900"]).usage
    assert [x.setting for x in settings] == ["sales", "shipping", "discounts", "sales_credits", "gift_cards"]
    assert settings[-1].label == "Gift cards" and usage.describe() == "used by the 'gift cards' mapping"
    assert map_to(db, "gift_cards", None).code is None


def test_a_code_cannot_be_deleted_while_a_mapping_is_being_pointed_at_it(db: Database, ledger: dict[str, int]) -> None:
    """Setting a mapping holds the code (key-share lock / write lock) until it commits; the delete then sees
    the mapping and refuses."""
    other = _second(db)
    started, outcome = threading.Event(), {}

    def delete() -> Any:
        with other.transaction() as s:
            return svc.delete_nominal_code(s, ledger["4900"])

    try:
        with db.transaction() as s:
            svc.set_mapping(s, "sales_credits", ledger["4900"])
            thread = _run(delete, started, outcome)
            assert started.wait(10)
        thread.join(30)
        assert not thread.is_alive()
    finally:
        other.dispose()
    assert isinstance(outcome.get("error"), NominalCodeInUse), outcome
    assert "the 'sales credits' mapping" in str(outcome["error"])


def test_version_column_moves_on_every_write(db: Database, ledger: dict[str, int]) -> None:
    with db.transaction() as s:
        s.execute(update(m.NominalCode).where(m.NominalCode.id == ledger["4900"]).values(version=41))
    seen = reread(db, ledger["4900"])
    assert seen.version == 41
    with db.transaction() as s:
        assert svc.update_nominal_code(s, seen.id, {"name": "Sundry"}, expected_version=41).version == 42
