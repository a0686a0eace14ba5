"""Money screens with pytest-qt: the allocation dialog (typing amounts, live checks, oldest-first fill,
Allocate enabled only when every rule holds, the write on the worker, a conflict), the customer tabs with
totals, the Sales credits section, the entry dialogs, and qtmodeltester on every model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from desktop.services import customers as cs
from desktop.services import money
from desktop.services import orders as os_
from desktop.store.engine import Database
from desktop.ui.common.settings import Settings
from desktop.ui.common.workers import Workers
from desktop.ui.main_window import MainWindow
from desktop.ui.money.allocation_dialog import AllocationDialog
from desktop.ui.money.money_models import (
    AllocationColumn,
    AllocationModel,
    AllOpenCreditsModel,
    MoneyRole,
    OpenCreditsModel,
    UnpaidOrdersModel,
)
from desktop.ui.money.order_entry import (
    CreditDialog,
    FulfilmentDialog,
    OrderDialog,
    PaymentDialog,
)
from tests import factories as f
from tests.test_money import new_credit, new_customer, new_order, outstanding, remaining
from tests.ui_fixtures import settled

D = Decimal
both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def books(store: Database) -> dict[str, Any]:
    """Aroha: four unpaid orders (40, 25.50, 60, 10 NZD; one AUD), a 100.00 credit and a 7.25 credit."""
    cid = new_customer(store)
    orders = [new_order(store, cid, [("1", amount)], day=day)
              for day, amount in ((1, "40.00"), (2, "25.50"), (3, "60.00"), (4, "10.00"))]
    aud = new_order(store, cid, [("1", "99.00")], currency="AUD", day=5)
    credit = new_credit(store, cid, "100.00", day=1)
    small = new_credit(store, cid, "7.25", day=2)
    return {"customer": cid, "orders": orders, "aud": aud, "credit": credit, "small": small}


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    pool.wait(10_000)


def open_dialog(qtbot: Any, db: Database, workers: Workers, customer: int, credit: int | None) -> AllocationDialog:
    dialog = AllocationDialog(db, workers, customer, credit)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_amount(qtbot: Any, dialog: AllocationDialog, row: int, text: str) -> None:
    """Type into the Allocate cell as a clerk does: go to the cell, start editing, type."""
    index = dialog.model.index(row, AllocationColumn.AMOUNT)
    dialog.view.setFocus()
    dialog.view.setCurrentIndex(index)  # opens the editor (every edit trigger is on)
    if dialog.view.indexWidget(index) is None:
        dialog.view.edit(index)
    editor = dialog.view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.setFocus()
    editor.selectAll()
    if text:
        QTest.keyClicks(editor, text)
    else:
        QTest.keyClick(editor, Qt.Key.Key_Backspace)


def check_text(dialog: AllocationDialog, row: int) -> str:
    return str(dialog.model.index(row, AllocationColumn.CHECK).data())


# --- models -------------------------------------------------------------------------------------


def test_every_model_passes_qtmodeltester(qtmodeltester: Any, store: Database, books: dict[str, Any]):
    with store.read() as s:
        unpaid = money.unpaid_orders(s, books["customer"]).orders
        credits = money.open_credits(s, books["customer"]).credits
    m1 = UnpaidOrdersModel()
    m1.set_rows(unpaid)
    qtmodeltester.check(m1)
    m2 = OpenCreditsModel()
    m2.set_rows(credits)
    qtmodeltester.check(m2)
    m3 = AllOpenCreditsModel(store)
    m3.PAGE = 1  # type: ignore[misc]
    m3.reload()
    qtmodeltester.check(m3)
    while m3.canFetchMore(QModelIndex()):
        m3.fetchMore(QModelIndex())
    assert m3.rowCount() == 2 and m3.complete
    m4 = AllocationModel()
    m4.set_orders(credits[0], [o for o in unpaid if o.currency_code == "NZD"])
    m4.set_amount(0, "10")
    m4.set_amount(1, "0.001")
    qtmodeltester.check(m4)
    assert m1.data(m1.index(0, 6), MoneyRole.Amount) == D("40.00")


def test_allocation_model_running_total_and_sum_rule(store: Database, books: dict[str, Any]):
    with store.read() as s:
        orders = [o for o in money.unpaid_orders(s, books["customer"]).orders if o.currency_code == "NZD"]
        credit = money.credit_amounts(s, books["credit"])
    model = AllocationModel()
    model.set_orders(credit, orders)
    model.set_amount(0, "0.1")
    model.set_amount(1, "0.2")
    assert model.total == D("0.30") and model.check().ok
    model.set_amount(0, "40")
    model.set_amount(2, "60")
    assert model.total == D("100.20")
    assert not model.check().ok
    assert model.check().problems[0].rule == money.Rule.OVER_REMAINING
    assert "credit runs out here" in model.message(2) and "0.20" in model.message(2)
    assert model.message(0) == "Pays the order in full"
    model.set_amount(1, "")
    assert model.total == D("100.00") and model.check().ok and model.message(2) == "Pays the order in full"


# --- the allocation dialog ----------------------------------------------------------------------


def test_typing_amounts_checks_live_and_enables_allocate(qtbot: Any, store: Database, books: dict[str, Any],
                                                         workers: Workers):
    dialog = open_dialog(qtbot, store, workers, books["customer"], books["credit"])
    assert dialog.model.rowCount() == 4  # the AUD order is not offered for an NZD credit
    assert "1 in other currencies" in dialog.orders_label.text()
    assert not dialog.allocate_button.isEnabled()
    assert dialog.remaining_label.text() == "Remaining after: NZD 100.00"

    type_amount(qtbot, dialog, 0, "12.5")
    assert dialog.remaining_label.text() == "Remaining after: NZD 87.50"
    assert check_text(dialog, 0) == "Leaves 27.50 outstanding"
    assert dialog.allocate_button.isEnabled()

    type_amount(qtbot, dialog, 1, "0.001")
    assert "More than two decimals" in check_text(dialog, 1)
    assert dialog.model.index(1, AllocationColumn.AMOUNT).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert not dialog.allocate_button.isEnabled()
    assert "1 amount needs correcting" in dialog.status.text()

    type_amount(qtbot, dialog, 1, "-3")
    assert "Must be more than 0" in check_text(dialog, 1)
    type_amount(qtbot, dialog, 1, "0")
    assert "Must be more than 0" in check_text(dialog, 1)
    type_amount(qtbot, dialog, 1, "25.51")
    assert check_text(dialog, 1) == "0.01 more than the 25.50 outstanding"
    assert "more than the 25.50 outstanding on order" in str(
        dialog.model.index(1, AllocationColumn.AMOUNT).data(Qt.ItemDataRole.ToolTipRole))
    assert not dialog.allocate_button.isEnabled()

    type_amount(qtbot, dialog, 1, "25.50")
    assert check_text(dialog, 1) == "Pays the order in full"
    type_amount(qtbot, dialog, 2, "60")
    assert dialog.remaining_label.text() == "Remaining after: NZD 2.00"
    type_amount(qtbot, dialog, 3, "10")
    assert dialog.remaining_label.text() == "Remaining after: NZD -8.00"
    assert "credit runs out here" in check_text(dialog, 3)
    assert "more than the 100.00 remaining" in dialog.status.text()
    assert not dialog.allocate_button.isEnabled()
    type_amount(qtbot, dialog, 3, "2")
    assert dialog.remaining_label.text() == "Remaining after: NZD 0.00"
    assert dialog.allocate_button.isEnabled()


def test_oldest_first_fill_and_clear(qtbot: Any, store: Database, books: dict[str, Any], workers: Workers):
    dialog = open_dialog(qtbot, store, workers, books["customer"], books["credit"])
    qtbot.mouseClick(dialog.fill_button, Qt.MouseButton.LeftButton)
    amounts = [dialog.model.index(r, AllocationColumn.AMOUNT).data() for r in range(4)]
    assert amounts == ["40.00", "25.50", "34.50", ""]
    assert dialog.remaining_label.text() == "Remaining after: NZD 0.00"
    assert dialog.allocate_button.isEnabled()
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert dialog.model.total == 0 and not dialog.allocate_button.isEnabled()
    dialog.credit_combo.setCurrentIndex(dialog.credit_combo.findData(books["small"]))
    assert dialog.fill_button.shortcut().toString() == "Alt+O"  # the mnemonic of "Allocate &oldest first"
    dialog.fill_button.animateClick()
    qtbot.waitUntil(lambda: bool(dialog.model.typed()))
    assert dialog.model.typed() == {books["orders"][0]: "7.25"}


@both
def test_allocate_commits_on_the_write_worker(qtbot: Any, store: Database, books: dict[str, Any],
                                              workers: Workers):
    dialog = open_dialog(qtbot, store, workers, books["customer"], books["credit"])
    type_amount(qtbot, dialog, 0, "40")
    type_amount(qtbot, dialog, 1, "0.1")
    with qtbot.waitSignal(dialog.allocated, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.total == D("40.10") and result.remaining == D("59.90")
    assert dialog.result() == AllocationDialog.DialogCode.Accepted
    assert outstanding(store, books["orders"][0]) == D("0.00")
    assert outstanding(store, books["orders"][1]) == D("25.40")
    assert remaining(store, books["credit"]) == D("59.90")


def test_conflict_reloads_keeps_the_figures_and_explains(qtbot: Any, store: Database, books: dict[str, Any],
                                                         workers: Workers):
    dialog = open_dialog(qtbot, store, workers, books["customer"], books["credit"])
    type_amount(qtbot, dialog, 2, "60")
    with store.transaction() as s:  # another clerk allocates 50 of the credit meanwhile
        money.allocate_credit(s, books["credit"], {"sales_orders": [{"id": books["orders"][0], "amount": "40"},
                                                                    {"id": books["orders"][3], "amount": "10"}]})
    with qtbot.waitSignal(dialog.model.modelReset, timeout=10_000):  # the refusal reloads the amounts
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "Someone else allocated" in dialog.banner.text()
    assert dialog.model.rowCount() == 2  # the two orders paid meanwhile are no longer unpaid
    assert dialog.model.typed() == {books["orders"][2]: "60"}
    assert "credit runs out here" in check_text(dialog, 1)  # only 50.00 remains now
    assert not dialog.allocate_button.isEnabled()
    type_amount(qtbot, dialog, 1, "50")
    with qtbot.waitSignal(dialog.allocated, timeout=10_000):
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert remaining(store, books["credit"]) == D("0.00")


def test_dialog_without_open_credit(qtbot: Any, store: Database, workers: Workers):
    cid = new_customer(store)
    new_order(store, cid)
    dialog = open_dialog(qtbot, store, workers, cid, None)
    assert "no open sales credit" in dialog.credit_info.text()
    assert not dialog.fill_button.isEnabled() and not dialog.allocate_button.isEnabled()
    assert dialog.model.rowCount() == 0


# --- the workspace ------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot: Any, store: Database) -> Iterator[MainWindow]:
    w = MainWindow(store, Settings({}))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.workers.wait(10_000)


def test_tabs_in_design_order_with_totals(qtbot: Any, store: Database, books: dict[str, Any], window: MainWindow):
    pane = window.customers.detail
    titles = [pane.tabText(i).replace("&", "") for i in range(pane.count())]
    assert titles.index("Addresses") + 1 == titles.index("Unpaid orders")
    assert titles.index("Unpaid orders") + 1 == titles.index("Open credits")
    assert titles.index("Open credits") < titles.index("History")
    assert [window.nav.item(i).text() for i in range(window.nav.count())][:2] == ["Customers", "Sales credits"]

    window.show_customer(books["customer"])

    settled(qtbot, window)
    tab = window.parts["money"].unpaid_tab
    pane.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 5)
    assert "NZD: outstanding 135.50, of total 135.50" in tab.totals.text()
    assert "AUD: outstanding 99.00" in tab.totals.text()
    qtmodeltester_rows = [tab.model.index(r, 0).data() for r in range(tab.model.rowCount())]
    assert len(set(qtmodeltester_rows)) == 5
    credits_tab = window.parts["money"].credits_tab
    pane.setCurrentWidget(credits_tab)
    qtbot.waitUntil(lambda: credits_tab.model.rowCount() == 2)
    assert "NZD: remaining 107.25, of total 107.25, allocated 0.00" == credits_tab.totals.text()


def test_tabs_read_only_when_shown(qtbot: Any, store: Database, books: dict[str, Any], window: MainWindow):
    tab = window.parts["money"].unpaid_tab
    window.customers.detail.setCurrentIndex(0)
    window.show_customer(books["customer"])
    settled(qtbot, window)
    assert tab.model.rowCount() == 0  # not shown: not read
    window.customers.detail.setCurrentWidget(tab)
    assert tab.model.rowCount() == 5


def test_allocate_from_the_credits_tab_refreshes_everything(qtbot: Any, store: Database, books: dict[str, Any],
                                                            window: MainWindow, monkeypatch: pytest.MonkeyPatch):
    def exec_(dialog: AllocationDialog) -> int:
        dialog.show()
        dialog.fill_oldest_first()
        with qtbot.waitSignal(dialog.allocated, timeout=10_000):
            dialog.allocate()
        return dialog.result()

    monkeypatch.setattr(AllocationDialog, "exec", exec_)
    window.show_customer(books["customer"])
    settled(qtbot, window)
    window.customers.detail.setCurrentWidget(window.parts["money"].credits_tab)
    window.parts["money"].credits_tab.view.selectRow(0)
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert "Allocated 100.00 of credit" in window.statusBar().currentMessage()
    assert window.parts["money"].credits_tab.model.rowCount() == 1
    window.customers.detail.setCurrentWidget(window.parts["money"].unpaid_tab)
    assert "NZD: outstanding 35.50" in window.parts["money"].unpaid_tab.totals.text()


def test_sales_credits_section_lists_and_allocates(qtbot: Any, store: Database, books: dict[str, Any],
                                                   window: MainWindow, monkeypatch: pytest.MonkeyPatch):
    other = new_customer(store, "Tane Mahuta")
    new_credit(store, other, "3.00", day=9)
    opened: list[tuple[int, int]] = []
    monkeypatch.setattr(AllocationDialog, "exec", lambda d: opened.append((d.customer_id, d.credit.id)) or 0)
    section = window.show_section("Sales credits")
    assert section.model.rowCount() == 3
    assert section.model.index(0, 2).data() == "Tane Mahuta"  # newest first
    section.view.setFocus()
    section.view.selectRow(1)
    QTest.keyClick(section.view, Qt.Key.Key_Return)
    assert opened == [(books["customer"], books["small"])]
    section.view.selectRow(0)
    QTest.keyClick(section.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.nav.currentRow() == 0 and window.customers.current_id() == other


def test_sales_credits_section_searches_sorts_and_totals_what_matches(
    qtbot: Any, store: Database, books: dict[str, Any], window: MainWindow, qtmodeltester: Any
):
    other = new_customer(store, "Tane Mahuta")
    new_credit(store, other, "3.00", day=9)
    section = window.show_section("Sales credits")
    qtmodeltester.check(section.model)
    # Totals of every open credit, per currency, beside the list (107.25 Aroha's + 3.00 Tane's).
    assert "NZD: open 110.25 of 110.25 (allocated 0.00)" in section.totals_label.text()
    # Sorted by a header click: the biggest remaining first.
    header = section.view.horizontalHeader()
    header.setSortIndicator(6, Qt.SortOrder.DescendingOrder)
    assert [section.model.index(r, 6).data() for r in range(3)] == ["100.00", "7.25", "3.00"]
    header.setSortIndicator(2, Qt.SortOrder.AscendingOrder)
    assert section.model.index(0, 2).data() == "Aroha Kowhai"
    # Ctrl+F, a customer's name: only their credits, and their totals.
    section.view.setFocus()
    QTest.keyClick(section.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert section.search.hasFocus()
    qtbot.keyClicks(section.search, "mahuta")
    qtbot.keyClick(section.search, Qt.Key.Key_Return)
    assert section.model.rowCount() == 1 and section.model.index(0, 2).data() == "Tane Mahuta"
    assert section.totals_label.text() == "NZD: open 3.00 of 3.00 (allocated 0.00)"
    section.search.clear()
    qtbot.keyClicks(section.search, "no such credit")
    qtbot.keyClick(section.search, Qt.Key.Key_Return)
    assert section.model.rowCount() == 0 and "No open credit matches" in section.count_label.text()


def test_new_order_is_refused_for_archived_customers(qtbot: Any, store: Database, window: MainWindow):
    cid = new_customer(store)
    with store.transaction() as s:
        cs.archive_customer(s, cid)
    window.show_customer(cid)  # clears the Active filter to show it
    settled(qtbot, window)
    qtbot.waitUntil(lambda: window.customers.detail.customer is not None and window.customers.detail.customer.id == cid)
    assert not window.parts["money"].actions["order"].isEnabled()
    assert window.parts["money"].actions["credit"].isEnabled()


# --- entry dialogs ------------------------------------------------------------------------------


def test_order_dialog_lines_total_and_save(qtbot: Any, store: Database):
    cid = new_customer(store)
    dialog = OrderDialog(store, cid, "Aroha Kowhai")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_button.isEnabled() and "at least one line" in dialog.check_label.text()
    dialog.set_line(0, "KETE", "Harakeke kete", "3", "0.10")
    dialog.set_line(1, "", "Delivery", "1", "0.20")
    assert dialog.lines.rowCount() == 3  # a new empty line waits at the end
    assert dialog.total_label.text() == "Total NZD 0.50"
    dialog.set_line(1, "", "Delivery", "1", "0.205")
    assert not dialog.save_button.isEnabled() and "in cents" in dialog.check_label.text()
    dialog.set_line(1, "", "Delivery", "1", "0.20")
    dialog.save()
    assert dialog.result_.total == D("0.50") and dialog.result_.order_number.startswith("SO-")
    assert outstanding(store, dialog.result_.id) == D("0.50")


def test_order_dialog_shows_the_refusal_for_an_archived_customer(qtbot: Any, store: Database):
    cid = new_customer(store)
    with store.transaction() as s:
        cs.archive_customer(s, cid)
    dialog = OrderDialog(store, cid, "Aroha Kowhai")
    qtbot.addWidget(dialog)
    dialog.set_line(0, "KETE", "", "1", "5")
    dialog.save()
    assert "archived" in dialog.banner.text() and dialog.result_ is None


def test_payment_dialog_refuses_over_payment_live(qtbot: Any, store: Database, books: dict[str, Any]):
    dialog = PaymentDialog(store, books["customer"], books["orders"][1])
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "25.50" and dialog.save_button.isEnabled()
    dialog.amount.setText("25.51")
    assert not dialog.save_button.isEnabled() and "more than the 25.50 outstanding" in dialog.check_label.text()
    dialog.amount.setText("0.001")
    assert not dialog.save_button.isEnabled()
    dialog.amount.setText("5.5")
    dialog.save()
    assert dialog.result_.outstanding == D("20.00")


def test_credit_dialog(qtbot: Any, store: Database, books: dict[str, Any]):
    dialog = CreditDialog(store, books["customer"], "Aroha Kowhai")
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    dialog.total.setText("-4")
    assert "more than 0" in dialog.check_label.text()
    dialog.total.setText("12.34")
    dialog.save()
    assert dialog.result_.total == D("12.34") and remaining(store, dialog.result_.id) == D("12.34")


def test_fulfilment_dialog(qtbot: Any, store: Database):
    cid = new_customer(store)
    order = new_order(store, cid, [("3", "1.00"), ("2", "4.00")])
    dialog = FulfilmentDialog(store, cid, order)
    qtbot.addWidget(dialog)
    assert dialog.quantities() == {line.id: q for line, q in zip(dialog.line_rows, ("3", "2"))}
    dialog.set_quantity(0, "4")
    assert not dialog.save_button.isEnabled() and "more than the 3 still to fulfil" in dialog.check_label.text()
    dialog.set_quantity(0, "1")
    dialog.set_quantity(1, "0")
    dialog.save()
    assert list(dialog.result_.lines.values()) == [D("1.000")]
    with store.read() as s:
        assert [line.unfulfilled for line in os_.fulfilment_lines(s, order)] == [D("2"), D("2")]


def test_bulk_orders_for_the_dialog(qtbot: Any, store: Database, workers: Workers):
    cid = new_customer(store)
    with store.transaction() as s:
        f.bulk_orders(s, cid, 300, first_date=dt.date(2023, 1, 1))
    credit = new_credit(store, cid, "1000.00")
    dialog = open_dialog(qtbot, store, workers, cid, credit)
    assert dialog.model.rowCount() == 300
    dialog.fill_oldest_first()
    assert dialog.model.total == D("1000.00") and dialog.allocate_button.isEnabled()
    assert dialog.model.typed()[dialog.model.order(99).id] == "10.00"  # type: ignore[union-attr]
    assert dialog.model.order(100).id not in dialog.model.typed()  # type: ignore[union-attr]


def test_enter_in_an_amount_moves_down_and_never_allocates(qtbot: Any, store: Database, books: dict[str, Any],
                                                           workers: Workers):
    dialog = open_dialog(qtbot, store, workers, books["customer"], books["credit"])
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    type_amount(qtbot, dialog, 0, "40")
    editor = dialog.view.indexWidget(dialog.model.index(0, AllocationColumn.AMOUNT))
    assert isinstance(editor, QLineEdit)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.currentIndex().row() == 1)
    assert dialog.view.currentIndex().column() == AllocationColumn.AMOUNT
    assert dialog.isVisible() and dialog.job is None  # Enter moved on; it did not press Allocate
    assert dialog.model.typed() == {books["orders"][0]: "40"}
    editor = dialog.view.indexWidget(dialog.model.index(1, AllocationColumn.AMOUNT))
    assert isinstance(editor, QLineEdit)  # the next amount is ready to type
    editor.setFocus()
    QTest.keyClicks(editor, "25.5")
    assert dialog.model.total == D("65.50")
    shortcut = dialog.findChild(QShortcut)
    assert shortcut is not None and shortcut.key().toString() == "Ctrl+Return"  # Allocate from anywhere
    with qtbot.waitSignal(dialog.allocated, timeout=10_000):
        shortcut.activated.emit()
    assert remaining(store, books["credit"]) == D("34.50")


def test_money_menu_shortcuts_open_the_entry_dialogs(qtbot: Any, store: Database, books: dict[str, Any],
                                                     window: MainWindow, monkeypatch: pytest.MonkeyPatch):
    seen: list[str] = []

    def order_exec(dialog: OrderDialog) -> int:
        seen.append("order")
        dialog.set_line(0, "KETE", "Harakeke kete", "2", "12.25")
        dialog.save()
        return dialog.result()

    def payment_exec(dialog: PaymentDialog) -> int:
        seen.append(f"payment {dialog.current_order().order_number}")  # type: ignore[union-attr]
        dialog.save()
        return dialog.result()

    monkeypatch.setattr(OrderDialog, "exec", order_exec)
    monkeypatch.setattr(PaymentDialog, "exec", payment_exec)
    monkeypatch.setattr(CreditDialog, "exec", lambda d: seen.append("credit") or 0)
    monkeypatch.setattr(FulfilmentDialog, "exec", lambda d: seen.append("fulfil") or 0)
    window.show_customer(books["customer"])
    settled(qtbot, window)
    tab = window.parts["money"].unpaid_tab
    window.customers.detail.setCurrentWidget(tab)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(window, Qt.Key.Key_O, ctrl_shift)
    assert "Created order SO-" in window.statusBar().currentMessage()
    # In the currency of the customer's latest order (AUD here), the form's default.
    assert tab.model.rowCount() == 6 and "AUD: outstanding 123.50" in tab.totals.text()
    tab.view.selectRow(1)
    number = tab.model.index(1, 0).data()
    QTest.keyClick(window, Qt.Key.Key_P, ctrl_shift)
    assert seen[:2] == ["order", f"payment {number}"]
    assert tab.model.rowCount() == 5  # paid in full: no longer unpaid
    QTest.keyClick(window, Qt.Key.Key_R, ctrl_shift)
    QTest.keyClick(window, Qt.Key.Key_F, ctrl_shift)
    assert seen[2:] == ["credit", "fulfil"]
    menu = window.parts["money"].menu  # type: ignore[attr-defined]
    assert [a.text() for a in menu.actions() if a.text()] == [
        "New sales &order…", "Record &payment…", "&Fulfil order…", "New sales &credit…", "&Allocate credit…"]
