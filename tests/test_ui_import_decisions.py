"""The import dialog puts to the clerk what it must not guess (issue 13): a file whose encoding is unclear
(both readings side by side, the lines that differ, a choice remembered for files named alike) and the
rows it holds back (a possible duplicate: create anyway, add as an address, skip; an identity change:
accept, skip), one row at a time, keyboard included. Stores: SQLite and PostgreSQL (`db`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from desktop.importing.plan import Decision, Held, Status
from desktop.services import customers as cs
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common.settings import IMPORT_ENCODINGS, Settings
from desktop.ui.common.views import select_row
from desktop.ui.common.workers import Workers
from desktop.ui.importing.encoding_choice import DifferencesModel
from desktop.ui.importing.import_dialog import ImportDialog

JAPANESE = [("山田太郎", "東京"), ("佐藤花子", "大阪"), ("鈴木一郎", "ｷｮｳﾄ"), ("高橋美咲", "札幌"), ("田中健太", "福岡")]


def japanese_file(path: Path) -> Path:
    """Shift-JIS text that Korean UHC (cp949) reads just as cleanly into other text: unclear."""
    lines = ["Name,Email,City"] + [f"{n},c{i}@jp.example,{c}" for i, (n, c) in enumerate(JAPANESE)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("shift_jis"))
    return path


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def open_dialog(qtbot, db: Database) -> Iterator:  # type: ignore[no-untyped-def]
    workers = Workers()
    made: list[ImportDialog] = []

    def make(path: Path, settings: Settings) -> ImportDialog:
        dialog = ImportDialog(db, path, settings=settings, workers=workers)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        made.append(dialog)
        idle(qtbot, dialog)
        return dialog

    yield make
    workers.wait(20_000)


def idle(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)


def press(qtbot, dialog: ImportDialog, *keys: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """Keys as the clerk presses them, each to the widget that has the focus in the active dialog."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    for key in keys:
        qtbot.keyClick(QApplication.focusWidget() or dialog, key)


def names_and_cities(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as s:
        rows = s.execute(select(m.Customer.name, m.Address.city).join(
            m.Address, m.Address.id == m.Customer.default_shipping_address_id).order_by(m.Customer.id))
        return [(n, c) for n, c in rows]


def test_an_unclear_encoding_shows_both_readings_and_the_choice_is_remembered(
        qtbot, qtmodeltester, db: Database, tmp_path: Path, open_dialog) -> None:
    settings = Settings({})
    path = japanese_file(tmp_path / "tokyo-2026-11-30.csv")
    dialog = open_dialog(path, settings)
    panel = dialog.encoding_panel
    assert dialog.preview is None and not panel.isHidden()
    first, second = panel.candidates
    assert {first.codec, second.codec} == {"cp932", "cp949"}
    qtmodeltester.check(panel.model)
    model = panel.model
    assert model.rowCount() == 5  # the five lines with Japanese text; the header is the same in both
    right = 0 if first.codec == "cp932" else 1
    shown = [model.data(model.index(r, right)) for r in range(model.rowCount())]
    assert shown[0] == f"{JAPANESE[0][0]},c0@jp.example,{JAPANESE[0][1]}"
    wrong = [model.data(model.index(r, 1 - right)) for r in range(model.rowCount())]
    assert all(w != s for w, s in zip(wrong, shown))
    assert not dialog.import_button.isEnabled()
    # The keyboard: the first reading's button has the focus; Tab goes on to the second; Space picks.
    assert QApplication.focusWidget() is panel.first_button
    press(qtbot, dialog, *([Qt.Key.Key_Tab] if right else []), Qt.Key.Key_Space)
    idle(qtbot, dialog)
    assert panel.isHidden() and dialog.preview is not None and dialog.source.encoding == "cp932"
    assert settings.get(IMPORT_ENCODINGS) == {"tokyo-#-#-#.csv": "cp932"}
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    assert names_and_cities(db) == JAPANESE
    # Next week's file from the same desk is read the same way at once, and says so.
    later = open_dialog(japanese_file(tmp_path / "tokyo-2026-12-07.csv"), settings)
    assert later.encoding_panel.isHidden() and later.source.encoding == "cp932"
    assert "as chosen before for files named like this one" in later.kind_label.text()
    # Another file name is still put to the clerk.
    other = open_dialog(japanese_file(tmp_path / "osaka.csv"), settings)
    assert not other.encoding_panel.isHidden()


def test_the_differences_model_is_empty_without_candidates(qtmodeltester) -> None:
    model = DifferencesModel()
    model.set_candidates(None, None)
    qtmodeltester.check(model)
    assert (model.rowCount(), model.columnCount()) == (0, 0)


def test_every_codec_is_listed_under_its_script(qtbot, db: Database, tmp_path: Path, open_dialog) -> None:
    dialog = open_dialog(write_rows(tmp_path / "a.csv", ["Name"], [["Ana Reed"]]), Settings({}))
    combo = dialog.encoding_combo
    items = [(combo.itemText(i), combo.itemData(i), combo.model().item(i).isEnabled()) for i in range(combo.count())]
    headings = [text for text, data, enabled in items if data is None]
    assert headings[:3] == ["— Unicode —", "— Western European —", "— Central European —"]
    assert "— Other —" in headings and all(not enabled for _t, data, enabled in items if data is None)
    codecs_listed = {data for _t, data, _e in items if data is not None}
    assert {"cp1251", "koi8_r", "gb18030", "big5", "shift_jis", "euc_kr", "cp037", "utf_32", "mac_iceland"} <= {
        c.replace("-", "_") for c in codecs_listed}
    assert ("Windows-1251 (Cyrillic)", "cp1251") in {(t, d) for t, d, _e in items}


def select_file_row(qtbot, dialog: ImportDialog, file_row: int) -> None:  # type: ignore[no-untyped-def]
    row = dialog.rows_model.row_of(file_row)
    assert row is not None
    select_row(dialog.rows_view, row)
    dialog.rows_view.setFocus()


def test_a_repeated_email_with_another_name_is_decided_row_by_row(qtbot, db: Database, tmp_path: Path,
                                                                  open_dialog) -> None:
    path = write_rows(tmp_path / "office.csv", ["Name", "Email", "City"], [
        ["Mere Hale", "office@hale.example", "Napier"],
        ["Rangi Hale", "office@hale.example", "Hastings"],
        ["Kiri Hale", "office@hale.example", "Taupo"],
    ])
    dialog = open_dialog(path, Settings({}))
    held = [p for p in dialog.preview.rows if p.held is Held.EMAIL]
    assert [(p.row, p.status) for p in held] == [(3, Status.DUPLICATE), (4, Status.DUPLICATE)]
    bar = dialog.decisions_bar
    select_file_row(qtbot, dialog, 2)
    assert bar.isHidden()  # row 2 is not held
    select_file_row(qtbot, dialog, 3)
    assert bar.label.text() == "Row 3 has the email of an earlier row, with another name: not imported."
    assert [d for d, b in bar.buttons.items() if not b.isHidden()] == [Decision.CREATE, Decision.ADDRESS,
                                                                         Decision.SKIP]
    assert bar.current is Decision.SKIP and not bar.buttons[Decision.SKIP].isEnabled()
    bar.buttons[Decision.CREATE].click()  # Rangi is another person: their own customer, without the email
    idle(qtbot, dialog)
    assert dialog.rows_model.plan(dialog.rows_view.currentIndex().row()).row == 3  # still on that row
    assert bar.current is Decision.CREATE and bar.label.text().endswith(": created as a new customer.")
    select_file_row(qtbot, dialog, 4)
    press(qtbot, dialog, Qt.Key.Key_Tab)  # from the rows to the first decision
    assert QApplication.focusWidget() is bar.buttons[Decision.CREATE]
    press(qtbot, dialog, Qt.Key.Key_Tab, Qt.Key.Key_Space)  # Kiri's line: Add as address
    idle(qtbot, dialog)
    statuses = {p.row: p.status for p in dialog.preview.rows}
    assert statuses == {2: Status.CREATE, 3: Status.CREATE, 4: Status.SAME_AS}
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    with db.read() as s:
        people = {c.name: c.email for c in s.scalars(select(m.Customer))}
        cities = sorted(s.scalars(select(m.Address.city)).all())
    assert people == {"Mere Hale": "office@hale.example", "Rangi Hale": None}
    assert cities == ["Hastings", "Napier", "Taupo"]


def test_a_possible_duplicate_of_a_stored_customer_can_add_its_address(qtbot, db: Database, tmp_path: Path,
                                                                       open_dialog) -> None:
    with db.transaction() as s:
        tane = cs.create_customer(s, {"name": "Tane Mahuta", "email": "tane@mahuta.example",
                                      "address1": "3 Rimu Road", "city": "Auckland", "zip": "1010",
                                      "country_code": "NZ"}).id
    path = write_rows(tmp_path / "shop.csv", ["Name", "Address1", "City", "Zip", "Phone"],
                      [["Tane Mahutaa", "3 Rimu Rd", "Auckland", "1010", ""],
                       ["Tane Mahuta", "3 Rimu Road.", "Auckland", "1010", "+64 9 555 0100"]])
    dialog = open_dialog(path, Settings({}))
    assert [(p.row, p.held, p.status) for p in dialog.preview.rows] == [
        (2, Held.DUPLICATE, Status.DUPLICATE), (3, Held.DUPLICATE, Status.DUPLICATE)]
    select_file_row(qtbot, dialog, 2)
    dialog.decisions_bar.buttons[Decision.CREATE].click()
    idle(qtbot, dialog)
    select_file_row(qtbot, dialog, 3)
    dialog.decisions_bar.buttons[Decision.ADDRESS].click()
    idle(qtbot, dialog)
    assert {p.row: p.status for p in dialog.preview.rows} == {2: Status.CREATE, 3: Status.SAME_AS}
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    with db.read() as s:
        assert sorted(s.scalars(select(m.Customer.name))) == ["Tane Mahuta", "Tane Mahutaa"]
        tane_addresses = s.scalars(select(m.Address.address1).where(m.Address.customer_id == tane)).all()
    assert sorted(tane_addresses) == ["3 Rimu Road", "3 Rimu Road."]  # the row's address joined Tane's


def test_an_identity_change_is_accepted_for_one_row_only(qtbot, db: Database, tmp_path: Path,
                                                        open_dialog) -> None:
    with db.transaction() as s:
        first = cs.create_customer(s, {"name": "Tui Bianchi", "email": "tui@bianchi.example"})
        second = cs.create_customer(s, {"name": "Ana Reed", "email": "ana@reed.example"})
        ids = {"tui": (first.id, first.created_at), "ana": (second.id, second.created_at)}

    def created(key: str) -> str:
        return ids[key][1].isoformat(sep=" ", timespec="seconds")

    path = write_rows(tmp_path / "ours.csv", ["id", "name", "email", "created_at"], [
        [str(ids["tui"][0]), "Isobel Rainsford", "isobel@rainsford.example", created("tui")],
        [str(ids["ana"][0]), "Ivo Stone", "ivo@stone.example", created("ana")],
    ])
    dialog = open_dialog(path, Settings({}))
    assert [(p.row, p.held, p.status) for p in dialog.preview.rows] == [
        (2, Held.IDENTITY, Status.ERROR), (3, Held.IDENTITY, Status.ERROR)]
    select_file_row(qtbot, dialog, 2)
    bar = dialog.decisions_bar
    assert [d for d, b in bar.buttons.items() if not b.isHidden()] == [Decision.ACCEPT, Decision.SKIP]
    press(qtbot, dialog, Qt.Key.Key_Tab, Qt.Key.Key_Space)  # Accept the change
    idle(qtbot, dialog)
    assert {p.row: p.status for p in dialog.preview.rows} == {2: Status.UPDATE, 3: Status.ERROR}
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    with db.read() as s:
        assert s.get(m.Customer, ids["tui"][0]).name == "Isobel Rainsford"
        assert s.get(m.Customer, ids["ana"][0]).name == "Ana Reed"
