"""The Nominal codes section (DESIGN §2 item 16, §3): the codes with their usage, Check Deletable on the
selection, a refused delete with its reason, the create / edit form, the mapping settings, and the keys
(Ins / Ctrl+N new, Return / F2 edit, Del delete, Ctrl+Shift+D check, F5 read again) that inside this section
act on nominal codes and never on customers.

Dialogs never block: confirmations and error boxes are answered by monkeypatching `messages.ask` /
`messages.show_error`, the form by monkeypatching its `exec` (it fills the real form and presses its real
OK).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from sqlalchemy import select

from desktop.services import nominal_codes as svc
from desktop.services.errors import ConflictError
from desktop.services.nominal_codes import NominalCodeInUse, NominalCodeRow
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.settings import Settings
from desktop.ui.customers.customer_form import CustomerForm
from desktop.ui.main_window import MainWindow
from desktop.ui.nominal_codes.forms import NOT_SET, NominalCodeForm
from desktop.ui.nominal_codes.model import NominalCodeRole, NominalCodeTableModel
from desktop.ui.nominal_codes.nominal_codes_section import NominalCodesSection
from tests import factories as f
from tests.ui_fixtures import focus

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


# --- fixtures and helpers -------------------------------------------------------------------------


def add_lines(session: Any, code_id: int, n: int) -> None:
    customer = f.customer(session, "Aroha Kowhai")
    order = f.sales_order(session, customer.id, lines=[("1", "10.00")] * n)
    for line in order.lines:
        line.nominal_code_id = code_id
    session.flush()


@pytest.fixture
def ledger(store: Database) -> dict[str, int]:
    """4000 Sales (the sales mapping), 4100 Shipping income (12 order lines, the shipping mapping),
    4900 Other income and 5000 Cost of goods sold (unused)."""
    with store.transaction() as s:
        ids = {code: svc.create_nominal_code(s, {"code": code, "name": name, "type": type_}).id
               for code, name, type_ in (("4000", "Sales", "revenue"), ("4100", "Shipping income", "revenue"),
                                         ("4900", "Other income", "revenue"), ("5000", "Cost of goods sold", "expense"))}
        add_lines(s, ids["4100"], 12)
        svc.set_mappings(s, {"sales": ids["4000"], "shipping": ids["4100"]})
    return ids


@pytest.fixture
def section(qtbot, store: Database, ledger: dict[str, int]) -> NominalCodesSection:  # type: ignore[no-untyped-def]
    page = NominalCodesSection(store)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    qtbot.waitExposed(page)
    page.activated()
    return page


@pytest.fixture
def make_window(qtbot, store: Database) -> Iterator[Callable[[], MainWindow]]:  # type: ignore[no-untyped-def]
    made: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(store, Settings({}))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.workers.wait(10_000)


def codes(page: NominalCodesSection) -> list[str]:
    return [page.model.code_row(r).code for r in range(page.model.rowCount())]  # type: ignore[union-attr]


def pick(page: NominalCodesSection, *wanted: str) -> None:
    page.table.clearSelection()
    flags = page.table.selectionModel().SelectionFlag
    for code in wanted:
        page.table.selectionModel().select(page.model.index(codes(page).index(code), 0), flags.Select | flags.Rows)


def answer_form(monkeypatch: pytest.MonkeyPatch, qtbot, fill: Callable[[NominalCodeForm], None]) -> list[NominalCodeForm]:  # type: ignore[no-untyped-def]
    """NominalCodeForm.exec shows the real form and lets `fill` type into it and press its buttons."""
    seen: list[NominalCodeForm] = []

    def fake_exec(form: NominalCodeForm) -> int:
        form.show()
        qtbot.waitExposed(form)
        seen.append(form)
        fill(form)
        return form.result()

    monkeypatch.setattr(NominalCodeForm, "exec", fake_exec)
    return seen


def type_into(qtbot, form: NominalCodeForm, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, text in values.items():
        widget = form.fields[key].widget
        widget.clear()
        qtbot.keyClicks(widget, text)
    form.validate()


def stored(db: Database) -> dict[str, tuple[str, str]]:
    with db.read() as s:
        return {r.code: (r.name, r.type) for r in svc.list_nominal_codes(s)}


# --- the model ------------------------------------------------------------------------------------


def test_model_passes_the_model_tester_sorts_and_changes_only_what_changed(qtmodeltester, store, ledger) -> None:
    model = NominalCodeTableModel()
    qtmodeltester.check(model)
    with store.read() as s:
        rows = svc.list_nominal_codes(s)
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Code", "Name", "Type", "Order lines", "Mapping settings"]
    second = [model.data(model.index(1, c)) for c in range(model.columnCount())]
    assert second == ["4100", "Shipping income", "revenue", "12", "Shipping"]
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) == (
        "4100 Shipping income: cannot be deleted: used by 12 order lines and the 'shipping' mapping")
    assert model.data(model.index(1, 0), NominalCodeRole.Deletable) is False
    assert model.data(model.index(2, 0), NominalCodeRole.Id) == ledger["4900"]
    assert model.data(model.index(1, 3), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight

    model.sort(3, Qt.SortOrder.DescendingOrder)  # most used first
    qtmodeltester.check(model)
    assert model.code_row(0).code == "4100"  # type: ignore[union-attr]
    model.sort(0, Qt.SortOrder.AscendingOrder)

    resets: list[int] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    renamed = [NominalCodeRow(**{**r.__dict__, "name": "Sundry income"}) if r.code == "4900" else r for r in rows]
    model.set_rows(renamed)
    assert (resets, changed) == ([], [2])  # the same codes: one row's cells change, nothing is reset
    model.set_rows(renamed[:3])
    assert resets == [1]  # a code went: a new list
    qtmodeltester.check(model)


# --- the section ------------------------------------------------------------------------------------


def test_the_window_has_the_section_and_it_lists_the_codes_with_usage(qtbot, make_window, ledger) -> None:
    window = make_window()
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert "Nominal codes" in titles
    page = window.show_section("Nominal codes")
    assert isinstance(page, NominalCodesSection)
    assert codes(page) == ["4000", "4100", "4900", "5000"]
    assert page.status.text() == "4 nominal codes (1 selected)"  # the first is selected on arrival
    assert window.nav.hasFocus() or not page.table.hasFocus()  # arriving does not steal the focus
    assert page.mappings.combos["sales"].currentText() == "4000 — Sales"
    assert page.mappings.combos["sales_credits"].currentText() == NOT_SET
    focus(qtbot, page.table)
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)
    assert page.mappings.combos["sales"].hasFocus()  # Tab: from the codes on to the mapping settings


def mnemonic(text: str) -> str | None:
    at = text.replace("&&", "").find("&")
    return text.replace("&&", "")[at + 1].lower() if at >= 0 else None


def test_the_section_buttons_alt_keys_leave_the_menu_bar_alone(qtbot, make_window, ledger) -> None:
    window = make_window()
    page = window.show_section("Nominal codes")
    menus = {mnemonic(a.text()) for a in window.menuBar().actions()} - {None}
    buttons = [b.text() for b in page.findChildren(QPushButton) if b.isVisible()]
    mine = [mnemonic(t) for t in buttons if mnemonic(t)]
    assert len(mine) == len(set(mine)), buttons
    assert not menus & set(mine), (menus, buttons)


def test_check_deletable_on_the_selection_says_why(qtbot, section) -> None:
    pick(section, "4100", "4900")
    focus(qtbot, section.table)
    qtbot.keyClick(section.table, Qt.Key.Key_D,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert section.check_text() == (
        "1 of the 2 codes checked can be deleted; 1 cannot.\n"
        "✗ 4100 Shipping income — cannot be deleted: used by 12 order lines and the 'shipping' mapping\n"
        "✓ 4900 Other income — can be deleted (not used)")
    pick(section, "4000")
    section.buttons["check"].click()
    assert section.check_text() == "4000 Sales cannot be deleted: used by the 'sales' mapping."


def test_check_with_nothing_selected_checks_every_code_fresh(qtbot, section, store, ledger) -> None:
    with store.transaction() as s:  # another clerk's order, since the section read the codes
        add_lines(s, ledger["5000"], 2)
    section.table.clearSelection()
    section.check_deletable()
    assert section.check_text().splitlines()[0] == "1 of the 4 codes checked can be deleted; 3 cannot."
    assert "✗ 5000 Cost of goods sold — cannot be deleted: used by 2 order lines" in section.check_text()
    assert section.model.data(section.model.index(3, 3)) == "2"  # the table shows the fresh count too
    section.check_close_button.click()
    assert section.check_text() == ""


def test_delete_is_refused_with_the_reason(qtbot, section, store, asked, errors_shown) -> None:
    pick(section, "4100")
    focus(qtbot, section.table)
    qtbot.keyClick(section.table, Qt.Key.Key_Delete)
    assert asked == []  # nothing to confirm: it cannot be done
    assert len(errors_shown) == 1 and isinstance(errors_shown[0], NominalCodeInUse)
    assert messages.explain(errors_shown[0])[1] == (
        "Nominal code 4100 Shipping income cannot be deleted: used by 12 order lines and the 'shipping' mapping. "
        "Point the mapping setting at another code first.")
    assert section.check_text().startswith("4100 Shipping income cannot be deleted")
    assert "4100" in stored(store)


def test_delete_a_selection_that_mixes_free_and_used_codes_deletes_none(qtbot, section, store, asked, errors_shown) -> None:
    pick(section, "4900", "4000")
    section.delete_codes()
    assert asked == [] and "1 of the 2 codes checked can be deleted" in section.check_text()
    assert str(errors_shown[0]).startswith("Nominal code 4000 Sales cannot be deleted: used by the 'sales' mapping.")
    assert set(stored(store)) == {"4000", "4100", "4900", "5000"}


@both
def test_delete_unused_codes_after_confirming(qtbot, section, store, asked, errors_shown) -> None:
    pick(section, "4900", "5000")
    asked.answers.append(False)
    section.buttons["delete"].click()
    assert asked[-1] == ("Delete nominal codes: Delete 2 nominal codes (4900, 5000)?\n\nDeleting cannot be undone. "
                         "[Delete]")
    assert "4900" in stored(store)
    section.buttons["delete"].click()
    assert set(stored(store)) == {"4000", "4100"}
    assert codes(section) == ["4000", "4100"] and errors_shown == []
    assert section.last_message == "Deleted 2 nominal codes."
    with store.read() as s:
        assert s.scalars(select(m.ChangeLog.action).where(m.ChangeLog.entity == "nominal_code")
                         .order_by(m.ChangeLog.id.desc()).limit(2)).all() == ["delete", "delete"]


def test_a_line_added_after_the_screen_read_still_blocks_the_delete(qtbot, section, store, ledger, asked,
                                                                      errors_shown) -> None:
    pick(section, "4900")
    assert section.model.data(section.model.index(2, 3)) == "0"
    with store.transaction() as s:
        add_lines(s, ledger["4900"], 1)
    section.delete_codes()
    assert asked == []
    assert "used by 1 order line" in str(errors_shown[0])
    assert "4900" in stored(store)


def test_a_line_added_after_confirming_still_blocks_the_delete(qtbot, section, store, ledger, monkeypatch,
                                                                 errors_shown) -> None:
    """Between "Delete?" and Yes, another clerk's order line arrives: the delete's own check refuses."""
    def ask(*_args: Any, **_kwargs: Any) -> bool:
        with store.transaction() as s:
            add_lines(s, ledger["4900"], 1)
        return True

    monkeypatch.setattr(messages, "ask", ask)
    pick(section, "4900")
    section.delete_codes()
    assert len(errors_shown) == 1 and "used by 1 order line" in str(errors_shown[0])
    assert "4900" in stored(store)
    assert section.model.data(section.model.index(2, 3)) == "1"  # read again after the refusal


# --- create and edit ------------------------------------------------------------------------------


def test_create_with_ins_shows_the_rules_and_a_taken_code_under_its_input(qtbot, section, store, monkeypatch) -> None:
    def fill(form: NominalCodeForm) -> None:
        assert form.windowTitle() == "New nominal code" and not form.ok_button.isEnabled()
        type_into(qtbot, form, {"code": "40 00", "name": "Sales UK"})
        assert form.error_text("code").startswith("Code may contain only letters A–Z")
        assert "Type is required" in form.hint.text()
        type_into(qtbot, form, {"code": "4000", "type": "Revenue"})
        form.fields["type"].widget.completer().popup().hide()  # the usual types, offered as one types
        assert form.ok_button.isEnabled()
        form.ok_button.click()
        assert form.isVisible() and form.error_text("code") == "Code already exists"
        type_into(qtbot, form, {"code": "4010"})
        form.ok_button.click()

    seen = answer_form(monkeypatch, qtbot, fill)
    focus(qtbot, section.table)
    qtbot.keyClick(section.table, Qt.Key.Key_Insert)
    assert len(seen) == 1
    assert stored(store)["4010"] == ("Sales UK", "revenue")
    assert codes(section) == ["4000", "4010", "4100", "4900", "5000"]
    assert [r.code for r in section.selected_rows()] == ["4010"]
    assert section.last_message == "Created nominal code 4010 Sales UK."


def test_ctrl_n_and_f5_in_the_section_act_on_codes_not_customers(qtbot, make_window, store, ledger,
                                                                 monkeypatch) -> None:
    window = make_window()
    page = window.show_section("Nominal codes")
    monkeypatch.setattr(CustomerForm, "exec", lambda form: pytest.fail("Ctrl+N opened the customer form"))
    refreshed: list[int] = []
    window.actions_by_name["refresh"].triggered.connect(lambda: refreshed.append(1))
    seen = answer_form(monkeypatch, qtbot, lambda form: (
        type_into(qtbot, form, {"code": "4300", "name": "Freight", "type": "revenue"}), form.ok_button.click()))
    focus(qtbot, page.table)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(seen) == 1 and "4300" in codes(page)

    with store.transaction() as s:  # another clerk
        svc.create_nominal_code(s, {"code": "6000", "name": "Wages", "type": "expense"})
    focus(qtbot, page.mappings.combos["sales"])
    qtbot.keyClick(page.mappings.combos["sales"], Qt.Key.Key_F5)
    assert "6000" in codes(page)
    assert refreshed == []  # the customers were left alone


def test_edit_with_f2_saves_only_what_changed(qtbot, section, store, ledger, monkeypatch) -> None:
    def fill(form: NominalCodeForm) -> None:
        assert form.windowTitle() == "Edit nominal code — 4100 Shipping income"
        assert form.usage_note.text().startswith("This code is used by 12 order lines and the 'shipping' mapping")
        type_into(qtbot, form, {"name": "Freight income"})
        form.ok_button.click()

    answer_form(monkeypatch, qtbot, fill)
    pick(section, "4100")
    focus(qtbot, section.table)
    qtbot.keyClick(section.table, Qt.Key.Key_F2)
    assert stored(store)["4100"] == ("Freight income", "revenue")
    with store.read() as s:
        last = s.execute(select(m.ChangeLog.action, m.ChangeLog.changes).order_by(m.ChangeLog.id.desc()).limit(1)).one()
    assert tuple(last) == ("update", {"name": ["Shipping income", "Freight income"]})
    assert section.model.data(section.model.index(1, 1)) == "Freight income"


@both
def test_edit_that_lost_a_race_offers_to_reload(qtbot, section, store, ledger, monkeypatch, asked) -> None:
    def fill(form: NominalCodeForm) -> None:
        with store.transaction() as s:  # another clerk saves first
            svc.update_nominal_code(s, ledger["4900"], {"name": "Interest received"})
        type_into(qtbot, form, {"name": "Sundry income"})
        form.ok_button.click()
        assert form.isVisible()
        assert form.banner.text().startswith("Nominal code 4900 was changed by someone else")
        form.reload_button.click()
        assert asked[-1].startswith("Reload nominal code: Reload 4900 Other income as it is now?")
        assert form.fields["name"].raw() == "Interest received"
        type_into(qtbot, form, {"type": "equity"})
        form.ok_button.click()

    answer_form(monkeypatch, qtbot, fill)
    pick(section, "4900")
    section.buttons["edit"].click()
    assert stored(store)["4900"] == ("Interest received", "equity")


def test_edit_of_a_code_deleted_meanwhile_says_so(qtbot, section, store, ledger, monkeypatch, errors_shown) -> None:
    monkeypatch.setattr(NominalCodeForm, "exec", lambda form: pytest.fail("no form for a code that is gone"))
    pick(section, "5000")
    with store.transaction() as s:
        svc.delete_nominal_code(s, ledger["5000"])
    section.edit_code()
    assert "does not exist" in str(errors_shown[0])
    assert "5000" not in codes(section)


# --- mapping settings ----------------------------------------------------------------------------


@both
def test_mapping_settings_are_saved_together_and_change_what_can_be_deleted(qtbot, section, store, ledger) -> None:
    panel = section.mappings
    assert not panel.save_button.isEnabled()
    panel.pick("sales", ledger["4900"])
    panel.pick("sales_credits", ledger["5000"])
    assert panel.save_button.isEnabled() and panel.undo_button.isEnabled()
    panel.save_button.click()
    with store.read() as s:
        assert {x.setting: x.code for x in svc.list_mappings(s)} == {
            "sales": "4900", "shipping": "4100", "discounts": None, "sales_credits": "5000"}
    assert not panel.save_button.isEnabled()
    assert section.model.data(section.model.index(0, 4)) == ""  # 4000 is free now
    assert section.model.data(section.model.index(2, 4)) == "Sales"
    assert section.last_message == "Saved 2 mapping settings."
    panel.pick("sales", None)
    panel.undo_button.click()
    assert panel.value("sales") == ledger["4900"] and not panel.save_button.isEnabled()


def test_mapping_changed_by_someone_else_is_refused_and_shown_as_stored(qtbot, section, store, ledger,
                                                                        errors_shown) -> None:
    with store.transaction() as s:
        svc.set_mapping(s, "sales", ledger["5000"])
    section.mappings.pick("sales", ledger["4900"])
    section.save_mappings()
    assert isinstance(errors_shown[0], ConflictError)
    assert str(errors_shown[0]).startswith("The sales mapping setting was changed by someone else")
    assert section.mappings.value("sales") == ledger["5000"] and not section.mappings.dirty()


def test_unsaved_mapping_picks_survive_a_refresh(qtbot, section, ledger) -> None:
    section.mappings.pick("discounts", ledger["4900"])
    section.reload()
    assert section.mappings.value("discounts") == ledger["4900"] and section.mappings.dirty()


def test_screenshot_renders(qtbot, section, tmp_path) -> None:
    pick(section, "4100", "4900")
    section.check_deletable()
    image = section.grab()
    assert not image.isNull() and image.width() >= 1000
