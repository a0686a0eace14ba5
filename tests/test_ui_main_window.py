"""The clerk's workspace (DESIGN §3): filter bar, customer table, detail pane, actions, bulk work on the
write worker, keyboard habits, and the layout that survives a restart.

Dialogs never block: confirmations are answered by monkeypatching `messages.ask`, the customer form by
monkeypatching its `exec` (it fills the real form and presses its real OK), result dialogs are opened
with `open()` and read. Background jobs are awaited with `qtbot.waitUntil`, never a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from sqlalchemy import func, select

from desktop import __version__
from desktop.services import customers as cs
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages, workers
from desktop.ui.common.views import select_row
from desktop.ui.common.settings import DETAIL_PANE, LAST_FILTER, NEW_CUSTOMER_DEFAULTS, TABLE_HEADER, Settings
from desktop.ui.customers.bulk import BulkResultDialog
from desktop.ui.customers.customer_form import CustomerForm
from desktop.ui.customers.customer_model import COLUMNS
from desktop.ui.customers.pane_models import HistoryRole
from desktop.ui.main_window import MainWindow
from tests import factories as f
from tests.ui_fixtures import focus, settled

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

COLUMN = {c.key: i for i, c in enumerate(COLUMNS)}
AROHA: dict[str, Any] = dict(
    name="Aroha Kowhai", company="Kowhai Traders Ltd", email="aroha@example.com", phone="+64 9 555 0101",
    address1="12 Kauri Street", city="Wellington", zip="6011", country_code="NZ",
)
TANE: dict[str, Any] = dict(name="Tane Mahuta", email="tane@example.com", address1="3 Rimu Road", city="Auckland",
                            zip="1010", country_code="NZ")
MERE: dict[str, Any] = dict(name="Mere Tui", company="Tui Design", address1="9 Totara Avenue", city="Dunedin",
                            zip="9016", country_code="NZ")


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def people(store: Database) -> dict[str, int]:
    """Three active customers with addresses and one archived one."""
    with store.transaction() as s:
        ids = {data["name"]: cs.create_customer(s, data).id for data in (AROHA, TANE, MERE)}
        hemi = cs.create_customer(s, {"name": "Hemi Rata", "zip": "3010"})
        cs.archive_customer(s, hemi.id)
        ids["Hemi Rata"] = hemi.id
    return ids


@pytest.fixture
def make_window(qtbot, store: Database) -> Iterator[Callable[..., MainWindow]]:  # type: ignore[no-untyped-def]
    made: list[MainWindow] = []

    def make(settings: Settings | None = None) -> MainWindow:
        window = MainWindow(store, settings or Settings({}))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        pane_shown(qtbot, window)
        return window

    yield make
    for window in made:
        window.workers.wait(10_000)


def row_of(window: MainWindow, name: str) -> int:
    model = window.customers.model
    return next(r for r in range(model.rowCount()) if model.customer_row(r).name == name)


def pick(qtbot, window: MainWindow, *names: str) -> None:  # type: ignore[no-untyped-def]
    """Select the rows of these customers, as a clerk's clicks would, and wait for the detail pane."""
    window.customers.table.clearSelection()
    for name in names:
        window.customers.table.selectionModel().select(
            window.customers.model.index(row_of(window, name), 0),
            window.customers.table.selectionModel().SelectionFlag.Select | window.customers.table.selectionModel().SelectionFlag.Rows,
        )
    pane_shown(qtbot, window)


def pane_shown(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Wait until the table shows the query last asked for and the detail pane the customer last
    selected (both are read off the GUI thread)."""
    settled(qtbot, window)


def names(window: MainWindow) -> list[str]:
    return [window.customers.model.customer_row(r).name for r in range(window.customers.model.rowCount())]


def wait_bulk(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.customers.bulk_job is not None and not window.customers.bulk_job.running, timeout=20_000)
    qtbot.waitUntil(lambda: window.customers.bulk_dialog is None, timeout=5_000)  # ended() has run on the GUI thread


def count(db: Database, model: type[m.Base], *where: Any) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)))


def answer_form(monkeypatch: pytest.MonkeyPatch, qtbot, fill: Callable[[CustomerForm], None]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """CustomerForm.exec shows the real form, lets `fill` type into it and press OK, returns its result."""
    seen: list[dict[str, Any]] = []

    def fake_exec(form: CustomerForm) -> int:
        form.show()
        qtbot.waitExposed(form)
        fill(form)
        seen.append({"title": form.windowTitle(), "customer": form.customer, "result": form.result()})
        return form.result()

    monkeypatch.setattr(CustomerForm, "exec", fake_exec)
    return seen


def type_and_ok(qtbot, form: CustomerForm, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, text in values.items():
        widget = form.fields[key].widget
        widget.clear()
        qtbot.keyClicks(widget, text)
    qtbot.waitUntil(form.ok_button.isEnabled, timeout=3000)
    form.ok_button.click()


# --- opening, filters, selection --------------------------------------------------------------------


def test_opens_with_title_status_navigation_and_the_first_customer(qtbot, make_window, store, people) -> None:
    window = make_window()
    assert window.windowTitle() == f"Customer Desk — {store.location}"
    assert window.customers.status.text() == "3 customers (1 selected)"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Customers", "Sales credits", "Nominal codes", "Shipping queue", "Import history"]  # DESIGN §3
    assert names(window) == ["Aroha Kowhai", "Mere Tui", "Tane Mahuta"]  # by name
    # The first row is selected at start: the detail pane shows that customer, not an empty pane.
    assert window.customers.selected_ids() == [people["Aroha Kowhai"]]
    assert window.customers.detail.details_stack.currentIndex() == 1 and window.customers.detail.isTabEnabled(1)
    assert window.focusWidget() is window.customers.filters.search  # the keyboard still starts in the search
    assert window.actions_by_name["edit"].isEnabled() and window.actions_by_name["delete"].isEnabled()
    assert window.actions_by_name["delete_all"].text() == "Delete all 3 matching…"

    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert window.customers.status.text() == "3 customers (3 selected)"
    assert window.customers.detail.placeholder.text() == "3 customers selected."
    # Initial column widths suit the content (no layout restored).
    header = window.customers.table.horizontalHeader()
    assert header.sectionSize(COLUMN["name"]) >= 150 and header.sectionSize(COLUMN["email"]) >= 175
    assert header.sectionSize(COLUMN["zip"]) < 100


def test_an_empty_store_opens_on_an_empty_detail_pane(qtbot, make_window) -> None:
    window = make_window()
    assert window.customers.status.text() == "0 customers (0 selected)"
    assert window.customers.detail.details_stack.currentIndex() == 0 and not window.customers.detail.isTabEnabled(1)
    assert not window.actions_by_name["edit"].isEnabled() and not window.actions_by_name["delete"].isEnabled()


def test_search_as_you_type_is_debounced_and_escape_clears_it(qtbot, make_window, people, monkeypatch) -> None:
    window = make_window()
    edits: list[int] = []
    window.customers.actions["edit"].triggered.connect(lambda: edits.append(1))
    search = window.customers.filters.search
    focus(qtbot, search)
    qtbot.keyClicks(search, "kowh")
    assert window.customers.filters.pending and window.customers.model.total == 3  # not on every key
    qtbot.waitUntil(lambda: window.customers.model.total == 1)
    assert names(window) == ["Aroha Kowhai"] and window.customers.status.text() == "1 customer (1 selected)"

    qtbot.keyClicks(search, "zzz")
    qtbot.keyClick(search, Qt.Key.Key_Return)  # Enter searches at once; it does not edit a customer
    assert not window.customers.filters.pending
    settled(qtbot, window)
    assert window.customers.model.total == 0 and not window.customers.filters.pending and edits == []

    assert search.hasFocus()  # nothing found: the keyboard stays in the search
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    settled(qtbot, window)
    assert search.text() == "" and window.customers.model.total == 3
    assert search.hasFocus()
    qtbot.keyClicks(search, "kowh")
    qtbot.keyClick(search, Qt.Key.Key_Return)  # a hit: Enter goes on to the first one
    settled(qtbot, window)
    assert window.customers.table.hasFocus() and window.customers.detail.customer.name == "Aroha Kowhai"
    assert edits == []
    focus(qtbot, search)
    search.clear()
    window.customers.filters.flush()
    settled(qtbot, window)
    settled(qtbot, window)

    qtbot.keyClicks(search, "tane")
    qtbot.keyClick(search, Qt.Key.Key_Down)  # on to the results, at once, the first one selected
    settled(qtbot, window)
    assert window.customers.table.hasFocus() and names(window) == ["Tane Mahuta"]
    assert window.customers.detail.customer.name == "Tane Mahuta"


def test_archived_switch_and_reference_filters(qtbot, make_window, store, people) -> None:
    with store.transaction() as s:
        rep = f.sales_rep(s, "Mere Tuhoe").id
        tier = f.pricing_tier(s, "Wholesale").id
        cs.update_customer(s, people["Tane Mahuta"], {"default_sales_rep_id": rep, "product_pricing_tier_id": tier})
        cs.update_customer(s, people["Mere Tui"], {"default_sales_rep_id": rep})
    window = make_window()
    archived = window.customers.filters.archived
    archived.setCurrentIndex(archived.findData("archived"))
    settled(qtbot, window)
    assert names(window) == ["Hemi Rata"] and window.customers.status.text() == "1 customer (0 selected)"
    archived.setCurrentIndex(archived.findData("all"))
    settled(qtbot, window)
    assert window.customers.model.total == 4
    archived.setCurrentIndex(archived.findData("active"))
    settled(qtbot, window)

    reps = window.customers.filters.references["sales_rep_id"]
    reps.setCurrentIndex(reps.findText("Mere Tuhoe"))
    settled(qtbot, window)
    assert names(window) == ["Mere Tui", "Tane Mahuta"]
    tiers = window.customers.filters.references["pricing_tier_id"]
    tiers.setCurrentIndex(tiers.findText("Wholesale"))
    settled(qtbot, window)
    assert names(window) == ["Tane Mahuta"]
    assert window.customers.filters.is_filtered()

    # A store added meanwhile appears in its filter after F5; the picked filters stay.
    with store.transaction() as s:
        f.store(s, "Ponsonby shop")
    stores = window.customers.filters.references["store_id"]
    assert stores.findText("Ponsonby shop") == -1
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_F5)
    assert stores.findText("Ponsonby shop") > 0
    assert tiers.currentText() == "Wholesale" and names(window) == ["Tane Mahuta"]


def test_selection_fills_the_detail_pane(qtbot, make_window, store, people) -> None:
    with store.transaction() as s:
        cs.update_customer(s, people["Aroha Kowhai"], {"phone": "+64 9 555 0199"})
    window = make_window()
    pick(qtbot, window, "Aroha Kowhai")
    detail = window.customers.detail
    assert window.customers.status.text() == "3 customers (1 selected)"
    assert detail.customer.id == people["Aroha Kowhai"] and detail.details_stack.currentIndex() == 1
    assert "Aroha Kowhai" in detail.title.text() and detail.subtitle.text() == "Kowhai Traders Ltd"
    assert detail.value("email") == "aroha@example.com" and detail.value("phone") == "+64 9 555 0199"
    assert detail.value("shipping").startswith("12 Kauri Street\nWellington 6011")
    assert detail.value("billing") == "Same as shipping" and detail.value("sales_rep") == ""
    assert detail.address_model.rowCount() == 1
    assert detail.address_model.data(detail.address_model.index(0, 0)) == "Shipping + Billing"
    history = detail.history_model
    whats = [history.data(history.index(r, 0), HistoryRole.What) for r in range(history.rowCount())]
    assert whats[0] == "Details changed" and "Customer created" in whats and "Address added" in whats
    assert history.data(history.index(0, 1)) == "Details changed\nPhone: +64 9 555 0101 → +64 9 555 0199"

    pick(qtbot, window, "Aroha Kowhai", "Tane Mahuta")
    assert detail.customer is None and detail.placeholder.text() == "2 customers selected."
    assert window.customers.status.text() == "3 customers (2 selected)"


def test_sorting_by_a_header_keeps_the_selected_customer(qtbot, make_window, store, people) -> None:
    with store.transaction() as s:
        f.customers(s, [{"name": f"Bulk {i:03d}", "email": f"z{i:03d}@example.com"} for i in range(260)])
    window = make_window()
    pick(qtbot, window, "Aroha Kowhai")
    header = window.customers.table.horizontalHeader()
    rect = header.sectionViewportPosition(COLUMN["email"]) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect, 5))
    settled(qtbot, window)
    assert window.customers.model.query.sort == "email"
    # The customer is still selected, wherever the new order put it, and shown.
    assert window.customers.selected_ids() == [people["Aroha Kowhai"]]
    assert window.customers.detail.customer.id == people["Aroha Kowhai"]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect, 5))
    settled(qtbot, window)
    assert window.customers.model.query.sort == "-email"
    assert window.customers.selected_ids() == [people["Aroha Kowhai"]]
    row = window.customers.selected_rows()[0]
    assert row > 200  # beyond the first window: found by locate()
    # The Archived column cannot be sorted: the indicator stays where the query sorts.
    archived = header.sectionViewportPosition(COLUMN["archived_at"]) + 5
    window.customers.table.scrollTo(window.customers.model.index(row, COLUMN["archived_at"]))
    header.setSortIndicator(COLUMN["archived_at"], Qt.SortOrder.AscendingOrder)
    assert header.sortIndicatorSection() == COLUMN["email"] and window.customers.model.query.sort == "-email"
    assert archived > 0


# --- create and edit -------------------------------------------------------------------------------


def test_ctrl_n_creates_a_customer_and_selects_it_beyond_the_first_page(
    qtbot, make_window, store, people, monkeypatch
) -> None:
    with store.transaction() as s:  # more than one window of rows before the new one
        f.customers(s, [{"name": f"Bulk {i:03d}"} for i in range(250)])
    window = make_window()
    seen = answer_form(monkeypatch, qtbot, lambda form: type_and_ok(
        qtbot, form, {"name": "Zara Whetu", "email": "zara@example.com", "zip": "6011", "address1": "1 Ngaio Lane"}))
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen[0]["title"] == "New customer" and seen[0]["customer"] is not None
    created = seen[0]["customer"].id
    assert window.customers.selected_ids() == [created] and window.customers.selected_rows() == [window.customers.model.total - 1]
    pane_shown(qtbot, window)
    assert window.customers.detail.customer.id == created and window.customers.model.total == 254
    assert window.statusBar().currentMessage() == "Created Zara Whetu."
    assert window.focusWidget() is window.customers.table  # the window's focus, once the form is gone

    # Created while a search hides it: the filter is cleared so the clerk sees the new customer.
    window.customers.filters.search.setText("kowhai")
    window.customers.filters.flush()
    settled(qtbot, window)
    assert window.customers.model.total == 1
    answer_form(monkeypatch, qtbot, lambda form: type_and_ok(qtbot, form, {"name": "Wiremu Pene"}))
    window.actions_by_name["new"].trigger()
    pane_shown(qtbot, window)
    assert window.customers.filters.search.text() == "" and window.customers.model.query.archived == "all"
    assert window.customers.detail.customer.name == "Wiremu Pene"
    assert window.statusBar().currentMessage() == "Created Wiremu Pene. The filter was cleared to show it."


def test_create_cancelled_and_duplicate_open_existing(qtbot, make_window, store, people, monkeypatch) -> None:
    window = make_window()
    monkeypatch.setattr(CustomerForm, "exec", lambda form: 0)
    window.customers.new_customer()
    assert window.customers.model.total == 3

    def duplicate(form: CustomerForm) -> None:
        type_and_ok(qtbot, form, {"name": "Aroha Kowhai", "address1": "12 Kauri St", "zip": "6011"})
        assert form.duplicate_panel.isVisibleTo(form)
        form.open_existing_button.click()

    answer_form(monkeypatch, qtbot, duplicate)
    window.customers.new_customer()
    assert window.customers.model.total == 3 and window.customers.selected_ids() == [people["Aroha Kowhai"]]


def test_edit_with_return_and_double_click(qtbot, make_window, store, people, monkeypatch) -> None:
    window = make_window()
    seen = answer_form(monkeypatch, qtbot, lambda form: type_and_ok(qtbot, form, {"phone": "+64 4 555 0123"}))
    pick(qtbot, window, "Tane Mahuta")
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_Return)
    assert seen[-1]["title"].startswith("Edit customer — Tane Mahuta")
    pane_shown(qtbot, window)
    assert window.customers.detail.value("phone") == "+64 4 555 0123"
    assert window.customers.model.customer_row(row_of(window, "Tane Mahuta")).phone == "+64 4 555 0123"
    assert window.customers.selected_ids() == [people["Tane Mahuta"]]
    assert window.statusBar().currentMessage() == "Saved Tane Mahuta."

    seen = answer_form(monkeypatch, qtbot, lambda form: type_and_ok(qtbot, form, {"company": "Mahuta Forestry"}))
    rect = window.customers.table.visualRect(window.customers.model.index(row_of(window, "Tane Mahuta"), 0))
    qtbot.mouseClick(window.customers.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.customers.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    pane_shown(qtbot, window)
    assert len(seen) == 1
    assert window.customers.detail.subtitle.text() == "Mahuta Forestry"


def test_find_match_with_ctrl_m_opens_the_chosen_customer(qtbot, make_window, store, people, monkeypatch) -> None:
    from desktop.ui.customers.find_match_dialog import FindMatchDialog

    window = make_window()
    window.customers.filters.search.setText("tane")
    window.customers.filters.flush()
    settled(qtbot, window)

    def fake_exec(dialog: FindMatchDialog) -> int:
        dialog.show()
        for edit, text in ((dialog.name_edit, "aroha kowhai"), (dialog.zip_edit, "6011"),
                           (dialog.address1_edit, "12 kauri st")):
            qtbot.keyClicks(edit, text)
        qtbot.keyClick(dialog.address1_edit, Qt.Key.Key_Return)
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # the best match
        return dialog.result()

    monkeypatch.setattr(FindMatchDialog, "exec", fake_exec)
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert window.customers.selected_ids() == [people["Aroha Kowhai"]]  # the search hid it: cleared
    pane_shown(qtbot, window)
    assert window.customers.filters.search.text() == "" and window.customers.detail.customer.name == "Aroha Kowhai"


def test_edit_of_a_customer_deleted_meanwhile(qtbot, make_window, store, people, errors_shown) -> None:
    window = make_window()
    pick(qtbot, window, "Mere Tui")
    with store.transaction() as s:
        cs.delete_customer(s, people["Mere Tui"])
    window.customers.edit_customer()
    assert [type(e).__name__ for e in errors_shown] == ["NotFound"]
    assert window.customers.model.total == 2 and "Mere Tui" not in names(window)


# --- archive, unarchive, delete ------------------------------------------------------------------


def test_archive_shortcut_then_unarchive(qtbot, make_window, store, people, asked) -> None:
    window = make_window()
    pick(qtbot, window, "Tane Mahuta")
    assert window.actions_by_name["archive"].isEnabled() and not window.actions_by_name["unarchive"].isEnabled()
    asked.answers.append(False)  # the clerk says no first
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked[-1].startswith("Archive customers: Archive Tane Mahuta?") and window.customers.bulk_job is None

    qtbot.keyClick(window.customers.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result.summary() == "1 archived, 0 skipped"
    assert window.statusBar().currentMessage() == ("1 archived, 0 skipped — undo it from Import history (Bulk "
                                                   "archive and unarchive)")
    assert "Tane Mahuta" not in names(window) and window.customers.status.text() == "2 customers (0 selected)"
    assert window.customers.bulk_result_dialog is None  # nothing skipped: the status bar says it all

    window.customers.filters.archived.setCurrentIndex(window.customers.filters.archived.findData("archived"))

    settled(qtbot, window)
    pick(qtbot, window, "Tane Mahuta")
    assert window.actions_by_name["unarchive"].isEnabled() and not window.actions_by_name["archive"].isEnabled()
    qtbot.keyClick(window.customers.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result.summary() == "1 unarchived, 0 skipped"
    assert names(window) == ["Hemi Rata"]
    with store.read() as s:
        assert cs.get_customer(s, people["Tane Mahuta"]).archived_at is None


@both
def test_delete_key_skips_a_linked_customer_with_the_reason(qtbot, make_window, store, people, asked) -> None:
    with store.transaction() as s:
        f.sales_order(s, people["Aroha Kowhai"])
    window = make_window()
    pick(qtbot, window, "Aroha Kowhai", "Mere Tui")
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_Delete)
    assert asked[-1].startswith("Delete customers: Delete 2 customers?")
    wait_bulk(qtbot, window)
    result = window.customers.last_bulk_result
    assert result.summary() == "1 deleted, 1 skipped"
    dialog = window.customers.bulk_result_dialog
    assert isinstance(dialog, BulkResultDialog) and dialog.isVisible()
    assert f"Aroha Kowhai (id {people['Aroha Kowhai']}): linked to 1 sales order — archive instead?" in dialog.text()
    assert names(window) == ["Aroha Kowhai", "Tane Mahuta"]
    assert count(store, m.Customer) == 3
    # The reason suggests archiving: the dialog offers it for the customers it could not delete.
    assert dialog.archive_button.text() == "&Archive it instead"
    dialog.archive_button.click()
    assert not dialog.isVisible() and asked[-1].startswith("Archive customers: Archive 1 customer?")
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result.summary() == "1 archived, 0 skipped"
    assert names(window) == ["Tane Mahuta"]


@both
def test_bulk_delete_all_matching_the_filter(qtbot, make_window, store, asked) -> None:
    with store.transaction() as s:
        ids = f.customers(s, [{"name": f"Batch {i:02d}", "company": "Batch Co"} for i in range(15)])
        f.customers(s, [{"name": "Someone Else"}])
        for cid in ids[:3]:
            f.sales_order(s, cid)
    window = make_window()
    window.customers.filters.search.setText("batch")
    window.customers.filters.flush()
    settled(qtbot, window)
    assert window.customers.model.total == 15
    window.actions_by_name["delete_all"].trigger()
    assert asked[-1].startswith("Delete customers: Delete all 15 customers matching the filter?")
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result.summary() == "12 deleted, 3 skipped"
    assert window.statusBar().currentMessage() == "12 deleted, 3 skipped"
    assert window.customers.model.total == 3 and window.customers.status.text() == "3 customers (1 selected)"
    assert window.customers.bulk_result_dialog.text().count("linked to 1 sales order — archive instead?") == 3
    assert count(store, m.Customer) == 4


@both
def test_a_bulk_archive_is_undone_from_the_history_as_one(qtbot, make_window, store, asked) -> None:
    with store.transaction() as s:
        ids = f.customers(s, [{"name": f"Batch {i:02d}", "company": "Batch Co"} for i in range(12)])
        f.customers(s, [{"name": "Someone Else"}])
    window = make_window()
    window.customers.filters.search.setText("batch")
    window.customers.filters.flush()
    settled(qtbot, window)
    window.actions_by_name["archive_all"].trigger()
    wait_bulk(qtbot, window)
    assert window.statusBar().currentMessage().startswith("12 archived, 0 skipped — undo it from Import history")
    assert count(store, m.Customer, m.Customer.archived_at.is_not(None)) == 12

    history = window.show_section("Import history")
    assert history.bulk_model.rowCount() == 1 and history.bulk_empty.isHidden()
    assert history.bulk_model.index(0, 3).data() == "all 12 customers matching “batch”"
    assert history.bulk_model.index(0, 2).data() == "12" and history.bulk_model.index(0, 4).data() == "Done"
    focus(qtbot, history.bulk_table)
    with qtbot.waitSignal(history.undoEnded, timeout=20_000):
        qtbot.keyClick(history.bulk_table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert asked[-1].startswith("Undo bulk action: Undo the bulk archive of 12 customers (all 12 customers "
                                "matching “batch”)")
    assert history.bulk_status.text() == "Bulk archive undone: 12 customers unarchived."
    assert count(store, m.Customer, m.Customer.archived_at.is_not(None)) == 0
    assert history.bulk_model.index(0, 4).data().startswith("Undone ")
    assert not history.bulk_undo_button.isEnabled()
    window.show_section("Customers")
    qtbot.waitUntil(lambda: window.customers.model.total == 12)
    assert len(ids) == 12


def test_ctrl_a_then_archive_works_on_the_filter_not_on_every_id(qtbot, make_window, store, asked, monkeypatch) -> None:
    with store.transaction() as s:
        f.customers(s, [{"name": f"Many {i:03d}"} for i in range(230)])
    window = make_window()
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert window.customers.status.text() == "230 customers (230 selected)"
    monkeypatch.setattr(window.customers, "selected_ids", lambda: pytest.fail("no need to read every id"))
    window.customers.archive_selected()
    # no search, no filter: every customer of the store, confirmed by typing how many
    assert "every active customer of the store (230 customers): no search or filter is set" in asked[-1]
    assert "[type 230]" in asked[-1]
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result.summary() == "230 archived, 0 skipped"
    assert window.customers.model.total == 0


def test_cancel_during_bulk_rolls_everything_back(qtbot, make_window, store, asked, monkeypatch) -> None:
    with store.transaction() as s:
        f.customers(s, [{"name": f"Batch {i:02d}"} for i in range(15)])
    # Chunks of two (cs.CHUNK is bound as _chunks' default at import, so _chunks itself is replaced).
    chunks = cs._chunks
    monkeypatch.setattr(cs, "_chunks", lambda ids, size=2: chunks(ids, 2))
    monkeypatch.setattr(workers, "PROGRESS_INTERVAL_S", 0.0)  # every chunk reports
    changes_before = count(store, m.ChangeLog)
    window = make_window()
    reached, proceed = threading.Event(), threading.Event()

    def on_worker(done: int, total: int) -> None:  # runs on the worker thread, between two chunks
        if 0 < done < total and not reached.is_set():
            reached.set()
            proceed.wait(10)

    real_start = window.workers.start

    def start(job: workers.Job, *, write: bool = False) -> workers.Job:
        job.progress.connect(on_worker, Qt.ConnectionType.DirectConnection)
        return real_start(job, write=write)

    monkeypatch.setattr(window.workers, "start", start)
    window.actions_by_name["archive_all"].trigger()
    qtbot.waitUntil(reached.is_set, timeout=10_000)
    cancel = window.customers.bulk_dialog.findChild(QPushButton)
    assert cancel.text() == "Cancel"
    cancel.click()  # the clerk presses Cancel while chunks are written
    proceed.set()
    wait_bulk(qtbot, window)
    assert window.customers.last_bulk_result is None
    assert window.statusBar().currentMessage() == "Cancelled: nothing was changed."
    assert count(store, m.Customer, m.Customer.archived_at.is_not(None)) == 0
    assert count(store, m.ChangeLog) == changes_before
    assert window.customers.model.total == 15


# --- keyboard, menus, help ------------------------------------------------------------------------


def test_keyboard_focus_order_and_shortcuts(qtbot, make_window, people, asked) -> None:
    window = make_window()
    chain = [*window.customers.filters.widgets(), window.customers.table, window.customers.detail]
    widget: QWidget = chain[0]
    order = [widget]
    while len(order) < len(chain):
        widget = widget.nextInFocusChain()
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(window) and widget.isEnabled():
            order.append(widget)
    assert order == chain

    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.customers.filters.search.hasFocus()
    # Delete in the search box edits the text; it never deletes customers.
    window.customers.filters.search.setText("abc")
    window.customers.filters.search.setCursorPosition(0)
    qtbot.keyClick(window.customers.filters.search, Qt.Key.Key_Delete)
    assert window.customers.filters.search.text() == "bc" and asked == []

    # Delete in the detail pane's address list is about the address, not the customer.
    window.customers.filters.search.clear()
    window.customers.filters.flush()
    settled(qtbot, window)
    pick(qtbot, window, "Aroha Kowhai")
    window.customers.detail.setCurrentIndex(1)
    window.customers.detail.address_view.selectRow(0)
    focus(qtbot, window.customers.detail.address_view)
    asked.answers.append(False)
    qtbot.keyClick(window.customers.detail.address_view, Qt.Key.Key_Delete)
    assert len(asked) == 1 and asked[0].startswith("Delete address:") and window.customers.bulk_job is None


def test_context_menus_and_column_choice(qtbot, make_window, people) -> None:
    window = make_window()
    texts = [a.text() for a in window.customers.table_menu().actions() if not a.isSeparator()]
    assert texts == ["&New customer…", "&Edit customer…", "&Archive", "&Unarchive", "&Delete…",
                     "Archive all 3 matching…", "Unarchive all 3 matching…", "Delete all 3 matching…"]
    # A right-click on a row selects it first, then offers the actions.
    rect = window.customers.table.visualRect(window.customers.model.index(row_of(window, "Mere Tui"), 0))
    window.customers._table_menu(rect.center())
    popup = QApplication.activePopupWidget()
    assert popup is not None and window.customers.selected_ids() == [window.customers.model.customer_id(row_of(window, "Mere Tui"))]
    popup.close()
    window.customers._column_menu(QPoint(10, 5))  # right-click on the header
    popup = QApplication.activePopupWidget()
    assert popup is not None and [a.text() for a in popup.actions()][:3] == ["Name", "Company", "Email"]
    popup.close()

    header = window.customers.table.horizontalHeader()
    menu = window.customers.column_menu()
    email = next(a for a in menu.actions() if a.text() == "Email")
    assert email.isChecked()
    email.trigger()
    assert header.isSectionHidden(COLUMN["email"])
    view_columns = window.customers.columns_menu
    view_columns.aboutToShow.emit()
    assert not next(a for a in view_columns.actions() if a.text() == "Email").isChecked()
    next(a for a in view_columns.actions() if a.text() == "Email").trigger()
    assert not header.isSectionHidden(COLUMN["email"]) and header.sectionSize(COLUMN["email"]) >= 175
    # The last visible column cannot be hidden.
    for section in range(1, len(COLUMNS)):
        header.setSectionHidden(section, True)
    assert not next(a for a in window.customers.column_menu().actions() if a.text() == "Name").isEnabled()
    window.actions_by_name["reset_columns"].trigger()
    assert not any(header.isSectionHidden(s) for s in range(len(COLUMNS)))


def test_an_address_added_in_the_pane_stays_selected(qtbot, make_window, store, people, monkeypatch) -> None:
    from desktop.ui.customers.address_form import AddressForm

    window = make_window()
    pick(qtbot, window, "Mere Tui")
    window.customers.detail.setCurrentIndex(1)

    def fake_exec(form: AddressForm) -> int:
        form.show()
        for key, text in {"address1": "1 Ngaio Lane", "zip": "9010"}.items():
            qtbot.keyClicks(form.fields[key].widget, text)
        qtbot.waitUntil(form.ok_button.isEnabled)
        form.ok_button.click()
        return form.result()

    monkeypatch.setattr(AddressForm, "exec", fake_exec)
    window.customers.detail.address_buttons["add"].click()
    assert window.customers.detail.address_model.rowCount() == 2
    assert window.customers.detail._selected_address().address1 == "1 Ngaio Lane"
    assert window.customers.selected_ids() == [people["Mere Tui"]]


def test_about_shows_version_and_database(qtbot, make_window, store) -> None:
    window = make_window()
    window.actions_by_name["about"].trigger()
    box = window.about_box
    assert box.isVisible() and __version__ in box.text() and store.location in box.text()
    box.accept()


def test_f5_reads_changes_made_elsewhere_and_keeps_the_selection(qtbot, make_window, store, people) -> None:
    window = make_window()
    pick(qtbot, window, "Tane Mahuta")
    with store.transaction() as s:
        cs.create_customer(s, {"name": "Anahera Pou"})
        cs.update_customer(s, people["Tane Mahuta"], {"email": "tane.mahuta@example.com"})
    focus(qtbot, window.customers.table)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_F5)
    assert window.customers.model.total == 4 and names(window)[0] == "Anahera Pou"
    assert window.customers.selected_ids() == [people["Tane Mahuta"]]
    pane_shown(qtbot, window)
    assert window.customers.detail.value("email") == "tane.mahuta@example.com"


# --- persistence -----------------------------------------------------------------------------------


def test_layout_and_last_filter_survive_a_restart(qtbot, make_window, people) -> None:
    stored: dict[str, Any] = {}
    first = make_window(Settings(stored))
    # (The offscreen screen is 800 x 800 and a restored window is fitted into it: the height tells.)
    first.resize(first.minimumSizeHint().width(), 640)
    first.customers.splitter.setSizes([600, 380])
    sizes = first.customers.splitter.sizes()
    header = first.customers.table.horizontalHeader()
    first.customers.set_column_visible(COLUMN["company"], False)
    header.moveSection(header.visualIndex(COLUMN["phone"]), 1)
    header.resizeSection(COLUMN["name"], 260)
    header.setSortIndicator(COLUMN["email"], Qt.SortOrder.DescendingOrder)
    settled(qtbot, first)
    assert first.customers.model.query.sort == "-email"
    first.customers.filters.search.setText("a")
    first.customers.filters.archived.setCurrentIndex(first.customers.filters.archived.findData("all"))
    settled(qtbot, first)
    first.customers.filters.flush()
    settled(qtbot, first)
    total = first.customers.model.total
    first.close()
    assert stored[TABLE_HEADER.key] and stored[LAST_FILTER.key]["search"] == "a"

    second = make_window(Settings(stored))
    header = second.customers.table.horizontalHeader()
    assert second.height() == 640
    assert second.customers.splitter.sizes() == sizes
    assert header.isSectionHidden(COLUMN["company"]) and header.visualIndex(COLUMN["phone"]) == 1
    assert header.sectionSize(COLUMN["name"]) == 260
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (COLUMN["email"],
                                                                             Qt.SortOrder.DescendingOrder)
    assert second.customers.model.query.sort == "-email"  # the rows are in the order the header shows
    assert second.customers.filters.search.text() == "a" and second.customers.model.query.archived == "all"
    assert second.customers.model.total == total


def test_unusable_saved_layout_falls_back_to_the_initial_one(qtbot, make_window, people) -> None:
    from PySide6.QtCore import QByteArray

    window = make_window(Settings({TABLE_HEADER.key: QByteArray(b"not a header state"),
                                   LAST_FILTER.key: {"archived": "bogus", "sales_rep_id": "x"}}))
    header = window.customers.table.horizontalHeader()
    assert header.sectionSize(COLUMN["name"]) >= 150 and window.customers.model.query.sort == "name"
    assert window.customers.model.query.archived == "active" and window.customers.model.total == 3


def test_customer_actions_rest_while_another_section_is_shown(qtbot, make_window, people) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    select_row(window.customers.table, 0)  # not selectRow: it toggles while a test left Shift or Ctrl "held"
    assert window.actions_by_name["archive"].isEnabled() and window.customers.toolbar.isVisibleTo(window)
    window.show_section("Nominal codes")
    from desktop.ui.customers.section import CUSTOMER_ACTIONS

    for name in CUSTOMER_ACTIONS:
        assert not window.actions_by_name[name].isEnabled(), name
    assert not window.customers.toolbar.isVisibleTo(window)
    window.show_section("Customers")
    assert window.actions_by_name["archive"].isEnabled() and window.actions_by_name["new"].isEnabled()
    assert window.customers.toolbar.isVisibleTo(window)


def test_programmatic_selection_ignores_the_last_keyboard_modifiers(qtbot, make_window, people) -> None:  # type: ignore[no-untyped-def]
    """After a Ctrl shortcut Qt still reports Ctrl as held; showing a customer must select it all the same
    (QTableView.selectRow would toggle it instead)."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    window = make_window()
    ids = [people["Aroha Kowhai"]]
    QTest.keyClick(window.customers.filters.search, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier  # what Qt believes
    for _round in range(2):  # the second time, a toggle would clear the selection
        window.show_customer(ids[0])
        assert window.customers.selected_ids() == ids


def test_actions_sections_and_window_wear_their_icons(qtbot, make_window, store) -> None:
    from desktop.ui.common.icons import ACTION_ICONS, ICON_NAMES, SECTION_ICONS

    assert set(ACTION_ICONS.values()) | set(SECTION_ICONS.values()) <= ICON_NAMES
    window = make_window()
    assert not window.windowIcon().isNull()
    missing = [name for name in ACTION_ICONS if name in window.actions_by_name
               and window.actions_by_name[name].icon().isNull()]
    assert missing == []
    assert {"new", "edit", "archive", "delete", "refresh", "import", "about"} <= set(window.actions_by_name)
    nav_icons = [window.nav.item(i).icon().isNull() for i in range(window.nav.count())]
    assert nav_icons and not any(nav_icons)
    window.show_about()
    assert window.about_box is not None and not window.about_box.iconPixmap().isNull()
    assert "Lucide" in window.about_box.text()
    window.about_box.close()


def test_the_keyboard_starts_in_the_search_and_types_into_it_from_the_table(qtbot, make_window, people) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    search = window.customers.filters.search
    qtbot.waitUntil(search.hasFocus, timeout=5_000)  # at start: typing searches, not the sections list
    table = window.customers.table
    focus(qtbot, table)
    qtbot.keyClicks(table, "T")  # a letter in the table starts a search with it
    assert search.hasFocus() and search.text() == "T"
    qtbot.keyClicks(search, "ane")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    settled(qtbot, window)
    assert table.hasFocus() and names(window) == ["Tane Mahuta"]
    qtbot.keyClick(table, Qt.Key.Key_Tab)  # Tab leaves the table (not cell to cell) for the detail pane
    assert not table.hasFocus() and window.customers.detail.isAncestorOf(QApplication.focusWidget())
    qtbot.keyClick(window, Qt.Key.Key_F24)  # no modifier left "held" for the next test


def test_ctrl_and_a_number_go_to_each_section(qtbot, make_window, people) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    titles = list(window.sections)
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    listed = [a for a in view.actions() if a.text().startswith("Go to ")]
    assert [a.text() for a in listed] == [f"Go to {t}" for t in titles[:9]]
    assert [a.shortcut().toString() for a in listed] == [f"Ctrl+{n}" for n in range(1, len(listed) + 1)]
    for n, title in enumerate(titles[:9], 1):
        qtbot.keyClick(QApplication.focusWidget() or window, getattr(Qt.Key, f"Key_{n}"),
                       Qt.KeyboardModifier.ControlModifier)
        assert window.nav.currentItem().text() == title
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.customers.filters.search.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_F24)  # a key without Ctrl: Qt no longer reports Ctrl as held


def test_f6_cycles_the_panes_and_shift_f6_goes_back(qtbot, make_window, people) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    c = window.customers
    qtbot.waitUntil(c.filters.search.hasFocus, timeout=5_000)

    def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> QWidget:
        qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)
        return QApplication.focusWidget()

    assert press(Qt.Key.Key_F6) is c.table
    assert c.detail.isAncestorOf(press(Qt.Key.Key_F6))
    assert press(Qt.Key.Key_F6) is window.nav
    assert press(Qt.Key.Key_F6) is c.filters.search
    assert press(Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier) is window.nav
    press(Qt.Key.Key_F24)  # a key without Shift: Qt no longer reports Shift as held


def test_an_empty_table_says_why_and_offers_the_ways_on(qtbot, make_window, people, monkeypatch) -> None:
    window = make_window()
    c = window.customers
    assert c.empty.isHidden()
    c.filters.search.setText("Zebedee")
    c.filters.flush()
    settled(qtbot, c)
    assert not c.empty.isHidden() and c.model.total == 0
    text = c.empty.text()
    assert "No customers match “Zebedee”." in text
    assert 'href="clear"' in text and 'href="archived"' in text and "New customer “Zebedee”" in text
    assert 'href="import"' in text
    opened: list[str | None] = []
    monkeypatch.setattr(c, "new_customer", lambda name=None: opened.append(name))
    c.empty.linkActivated.emit("new")
    assert opened == ["Zebedee"]
    c.empty.linkActivated.emit("archived")
    assert c.filters.archived.currentData() == "all"
    c.empty.linkActivated.emit("clear")
    settled(qtbot, c)
    assert c.filters.search.text() == "" and c.model.total == 4 and c.empty.isHidden()


def test_a_new_store_says_it_has_no_customers_yet(qtbot, make_window) -> None:
    window = make_window()
    c = window.customers
    assert not c.empty.isHidden()
    assert "This store has no customers yet." in c.empty.text()
    assert 'href="new">New customer<' in c.empty.text() and 'href="import"' in c.empty.text()


def test_typing_the_number_is_what_confirms_a_bulk_action_on_many(qtbot) -> None:
    assert messages.typed_count_matches("1,234", 1234) and messages.typed_count_matches(" 1 234 ", 1234)
    assert not messages.typed_count_matches("1,235", 1234) and not messages.typed_count_matches("all", 1234)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QLineEdit

    seen: list[bool] = []

    def answer() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible())
        edit = dialog.findChild(QLineEdit)
        ok = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Delete")
        edit.setText("1,233")
        seen.append(ok.isEnabled())
        edit.setText("1,234")
        seen.append(ok.isEnabled())
        ok.click()

    QTimer.singleShot(0, answer)
    assert messages.ask_count(None, "Delete customers", "Delete 1,234 customers?", "Delete", 1234)
    assert seen == [False, True]


def test_the_window_fits_a_1366_pixel_laptop_screen(qtbot, make_window, people) -> None:
    window = make_window()
    assert window.minimumSizeHint().width() <= 1366, [
        (window.pages.widget(i).objectName(), window.pages.widget(i).minimumSizeHint().width())
        for i in range(window.pages.count())]
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.width() == 1366, timeout=5_000)
    # Beside the detail pane, the table shows Name, Company, Email, Phone, City and Country whole.
    table = window.customers.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: table.viewport().width() > 700, timeout=5_000)
    for key in ("name", "company", "email", "phone", "city", "country_code"):
        section = COLUMN[key]
        assert not header.isSectionHidden(section)
        assert 0 <= header.sectionViewportPosition(section)
        assert header.sectionViewportPosition(section) + header.sectionSize(section) <= table.viewport().width(), key
    assert not window.customers.detail.isHidden()

    # The pane's tabs do not fit at its narrowest: they are one drop-down list, none behind scroll arrows.
    detail = window.customers.detail
    bar = detail.tabBar()
    titles = [detail.tabText(i).replace("&", "") for i in range(detail.count())]
    assert titles == ["Details", "Addresses", "Unpaid orders", "Open credits", "Shipping", "History"]
    assert bar.listed and bar.width() <= detail.width()
    menu = bar.list_menu()
    assert [a.text().replace("&", "") for a in menu.actions()] == titles
    assert all(a.isEnabled() for a in menu.actions())  # a customer is selected: every tab can be opened
    menu.actions()[5].trigger()
    assert detail.currentWidget() is detail.history_view
    focus(qtbot, bar)
    qtbot.keyClick(bar, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Tab: next, wrapping
    qtbot.keyClick(bar, Qt.Key.Key_F24)
    assert detail.currentIndex() == 0

    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=5_000)
    window.customers.splitter.setSizes([1100, 700])
    qtbot.waitUntil(lambda: not bar.listed, timeout=5_000)  # room enough: the tabs themselves


def test_the_detail_pane_hides_with_its_key_and_stays_hidden_after_a_restart(qtbot, make_window, people) -> None:
    stored: dict[str, Any] = {}
    first = make_window(Settings(stored))
    c = first.customers
    before = c.table.width()
    focus(qtbot, c.table)
    qtbot.keyClick(c.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(c.table, Qt.Key.Key_F24)  # no modifier left "held"
    assert c.detail.isHidden() and not c.actions["detail_pane"].isChecked()
    qtbot.waitUntil(lambda: c.table.width() > before)  # the table takes the room
    assert c.detail not in c.panes()  # F6 skips it
    first.close()
    assert stored[DETAIL_PANE.key] == 0

    second = make_window(Settings(stored))
    assert second.customers.detail.isHidden() and not second.customers.actions["detail_pane"].isChecked()
    second.customers.actions["detail_pane"].trigger()
    assert not second.customers.detail.isHidden() and stored[DETAIL_PANE.key] == 1


def test_a_restored_filter_shows_as_a_chip_that_clears_it(qtbot, make_window, people) -> None:
    window = make_window(Settings({LAST_FILTER.key: {"search": "kowhai", "archived": "all"}}))
    c = window.customers
    chip = c.filters.chip
    assert not chip.isHidden() and "kowhai" in chip.text() and "all" in chip.text()
    assert c.model.total == 1
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    settled(qtbot, window)
    assert chip.isHidden() and c.filters.search.text() == "" and c.model.query.archived == "active"
    assert c.model.total == 3

    # A filter the clerk types is theirs: no chip; nor for a window opened on no filter.
    clean = make_window()
    assert clean.customers.filters.chip.isHidden()


def test_a_new_customer_starts_with_what_this_desks_last_one_had(qtbot, make_window, store, people,
                                                                 monkeypatch) -> None:
    with store.transaction() as s:
        rep, gone = f.sales_rep(s, "Mere Tuhoe").id, f.store(s, "Closing shop").id
    stored: dict[str, Any] = {}
    window = make_window(Settings(stored))

    def first(form: CustomerForm) -> None:
        assert form.fields["default_sales_rep_id"].raw() is None  # nothing remembered yet
        form.fields["default_sales_rep_id"].set(rep)
        form.fields["store_id"].set(gone)
        form.fields["country_code"].set("NZ")
        type_and_ok(qtbot, form, {"name": "Kiri Moss", "address1": "4 Harbour View", "city": "Napier",
                                  "zip": "4110"})

    answer_form(monkeypatch, qtbot, first)
    window.actions_by_name["new"].trigger()
    assert stored[NEW_CUSTOMER_DEFAULTS.key] == {"default_sales_rep_id": rep, "store_id": gone, "country_code": "NZ"}
    with store.transaction() as s:  # the store closes meanwhile
        cs.update_customer(s, window.customers.current_id(), {"store_id": None})
        s.delete(s.get(m.Store, gone))

    seen: list[tuple[Any, Any, Any]] = []

    def second(form: CustomerForm) -> None:
        seen.append((form.fields["default_sales_rep_id"].raw(), form.fields["store_id"].raw(),
                     form.fields["country_code"].raw()))
        form.reject()

    answer_form(monkeypatch, qtbot, second)
    window.actions_by_name["new"].trigger()
    assert seen == [(rep, None, "NZ")]  # the rep and country again; the closed shop not brought back


def test_tab_walks_the_customer_page_search_filters_table_then_detail(qtbot, make_window, people) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    c = window.customers
    select_row(c.table, 0)
    focus(qtbot, c.filters.search)
    chain = [c.filters.search]
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is c.filters.search or now in chain:
            break
        chain.append(now)
    filters = c.filters.widgets()
    assert chain[:len(filters)] == filters  # search, Active/Archived/All, then each reference filter
    assert chain[len(filters)] is c.table  # then the table (Tab leaves it at once, not cell by cell)
    assert any(c.detail.isAncestorOf(w) or w is c.detail for w in chain[len(filters) + 1:])  # then the pane
    assert all(w.isVisible() and w.isEnabled() for w in chain)
