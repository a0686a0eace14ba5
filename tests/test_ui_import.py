"""The import preview dialog and the Import history section (issue 4, DESIGN §2 items 12–13, §3), driven
as a clerk would: a real drop event on the main window, File → Import (Ctrl+I), encoding, delimiter and
column changes, status filters, Save error rows, All or nothing, Import on the write worker, Cancel during
the import (a rollback), and Undo from the history.

Background jobs are awaited with `qtbot.waitUntil`, never a sleep; confirmations and file choosers are
answered by monkeypatching `messages.ask`, `import_dialog.choose_import_file` and `choose_save_path`.
Every store-backed test runs on SQLite and on PostgreSQL through the `db` fixture.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import func, select

from desktop.importing.commit import ImportConflict, UndoRefused
from desktop.importing import plan as imp_plan
from desktop.importing.plan import Status
from desktop.importing.reading import UnreadableFile
from desktop.services import customers as cs
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import colours, messages, workers
from desktop.ui.common.settings import IMPORT_FOLDER, IMPORT_MAPPING, Settings
from desktop.ui.importing import import_dialog, preview_models
from desktop.ui.importing.import_dialog import ImportDialog
from desktop.ui.importing.preview_models import RowRole
from desktop.ui.importing.import_history import ImportHistorySection
from desktop.ui.main_window import MainWindow
from tests import factories as f

HEADER = ["Name", "Email", "Phone", "Address", "City", "Zip", "Country Code", "Pricing tier"]
# Against `known` below: 2 updates (one with a pricing-tier alert, one with unpaid orders), 1 unchanged,
# 3 errors, 1 possible duplicate, 1 same customer (row 11 repeats row 7's email), 3 new customers (one
# with an unknown-tier alert).
ROWS = [
    ["Aroha Kowhai", "aroha@example.com", "", "12 Kauri Street", "Lower Hutt", "5010", "NZ", "Wholesale"],  # 2
    ["Tane Mahuta", "tane@example.com", "", "3 Rimu Road", "Auckland", "1010", "NZ", ""],  # 3 unchanged
    ["Hemi Rata", "hemi@example.com", "+64 7 555 0199", "7 Pohutukawa Lane", "Hamilton", "3204", "NZ", ""],  # 4
    ["Mere Tui", "mere@example", "", "9 Totara Avenue", "Dunedin", "9016", "NZ", ""],  # 5 bad email
    ["Tane Mahutaa", "", "", "3 Rimu Rd", "Auckland", "1010", "NZ", ""],  # 6 possible duplicate
    ["Ngaio Parata", "ngaio@example.com", "", "1 Beach Road", "Nelson", "7010", "NZ", "Gold"],  # 7 unknown tier
    ["", "nobody@example.com", "", "2 Beach Road", "Nelson", "7010", "NZ", ""],  # 8 no name
    ["Kiri Waititi", "kiri@example.com", "", "4 Harbour View", "Napier", "4110", "XX", ""],  # 9 bad country
    ["Rangi Potae", "rangi@example.com", "", "8 Kowhai Crescent", "Rotorua", "3010", "NZ", ""],  # 10 new
    ["Ngaio Parata", "ngaio@example.com", "", "5 Other Road", "Nelson", "7011", "NZ", ""],  # 11 same customer
    ["Wiremu Horomona", "wiremu@example.com", "", "6 Matai Street", "Taupo", "3330", "NZ", ""],  # 12 new
]
NEW_NAMES = {"Ngaio Parata", "Rangi Potae", "Wiremu Horomona"}


# --- fixtures and helpers -------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Sequence[str]], *, header: Sequence[str] = HEADER,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def known(db: Database) -> dict[str, int]:
    """Customers the file matches: Aroha (Retail tier), Tane, Hemi (with an unpaid order)."""
    with db.transaction() as s:
        f.pricing_tier(s, "Wholesale")
        retail = f.pricing_tier(s, "Retail")
        ids = {}
        for data in (
            dict(name="Aroha Kowhai", email="aroha@example.com", address1="12 Kauri Street", city="Wellington",
                 zip="6011", country_code="NZ"),
            dict(name="Tane Mahuta", email="tane@example.com", address1="3 Rimu Road", city="Auckland",
                 zip="1010", country_code="NZ"),
            dict(name="Hemi Rata", email="hemi@example.com", address1="7 Pohutukawa Lane", city="Hamilton",
                 zip="3204", country_code="NZ"),
        ):
            ids[data["name"]] = cs.create_customer(s, data).id
        s.get(m.Customer, ids["Aroha Kowhai"]).product_pricing_tier_id = retail.id
        f.sales_order(s, ids["Hemi Rata"])
    return ids


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "customers-october.csv", ROWS)


@pytest.fixture
def make_window(qtbot, db: Database) -> Iterator[Callable[..., MainWindow]]:  # type: ignore[no-untyped-def]
    made: list[MainWindow] = []

    def make(settings: Settings | None = None) -> MainWindow:
        window = MainWindow(db, settings if settings is not None else Settings({}))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        dialog = window.parts["importing"].dialog
        if isinstance(dialog, ImportDialog) and dialog.committing:
            dialog.cancel_job()
        window.workers.wait(20_000)


def mime_for(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(p) if isinstance(p, str) else QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_onto(target: QWidget, mime: QMimeData, *, drop: bool = True) -> bool:
    """A real drag and drop, as the windowing system delivers it: DragEnter (which Qt hands up from
    `target` to the first parent that accepts drops), DragMove, then Drop, or DragLeave when refused.
    Returns whether the drag was accepted."""
    pos = target.rect().center()
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        QApplication.sendEvent(target, QDragLeaveEvent())
        return False
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(target, move)
    if drop:
        QApplication.sendEvent(target, QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, buttons, modifiers))
    else:
        QApplication.sendEvent(target, QDragLeaveEvent())
    return move.isAccepted()


def wait_idle(qtbot, dialog: ImportDialog, timeout: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Until no job of the dialog runs and what they sent is shown."""
    qtbot.waitUntil(lambda: not dialog.busy, timeout=timeout)


def open_dropped(qtbot, window: MainWindow, path: Path) -> ImportDialog:  # type: ignore[no-untyped-def]
    assert drag_onto(window.customers.table.viewport(), mime_for(path))
    dialog = window.parts["importing"].dialog
    assert isinstance(dialog, ImportDialog)
    wait_idle(qtbot, dialog)
    return dialog


def summary(dialog: ImportDialog) -> dict[str, str]:
    return {key: label.text() for key, label in dialog.summary_values.items()}


def shown_rows(dialog: ImportDialog) -> list[tuple[int, Status]]:
    model = dialog.rows_model
    return [(model.plan(r).row, model.data(model.index(r, 0), RowRole.Status)) for r in range(model.rowCount())]


def cell(dialog: ImportDialog, file_row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    model = dialog.rows_model
    row = model.row_of(file_row)
    assert row is not None, f"row {file_row} is not shown"
    return model.data(model.index(row, column), role)


def count(db: Database, model: type[m.Base], *where: Any) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)))


def customer_names(db: Database) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(m.Customer.name)))


def set_combo(combo: Any, data: str) -> None:
    """Choose the item holding `data`, as the clerk's click does (currentIndexChanged)."""
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


# --- opening: drop, File → Import -----------------------------------------------------------------


def test_drop_opens_the_preview_with_its_summary(qtbot, qtmodeltester, make_window, known, sample) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.path == sample
    assert dialog.windowTitle() == "Import customers — customers-october.csv"
    assert dialog.file_label.text() == "<b>customers-october.csv</b>"
    assert "11 rows" in dialog.kind_label.text()
    assert dialog.encoding_combo.currentData() == "utf-8" and dialog.encoding_combo.currentText() == "UTF-8 (detected)"
    assert dialog.delimiter_combo.currentData() == "," and "(detected)" in dialog.delimiter_combo.currentText()
    assert summary(dialog) == {"rows": "11", "create": "3", "update": "2", "unchanged": "1", "same_as": "1",
                               "duplicates": "1", "errors": "3", "alerts": "3"}
    assert shown_rows(dialog) == [
        (2, Status.UPDATE), (3, Status.UNCHANGED), (4, Status.UPDATE), (5, Status.ERROR), (6, Status.DUPLICATE),
        (7, Status.CREATE), (8, Status.ERROR), (9, Status.ERROR), (10, Status.CREATE), (11, Status.SAME_AS),
        (12, Status.CREATE),
    ]
    # What changes (before → after, reference names not ids) and the problems, in words.
    assert cell(dialog, 2, 2) == f"Aroha Kowhai (id {known['Aroha Kowhai']})"
    details = cell(dialog, 2, 3)
    assert details.startswith("Financial alert: Pricing tier: changes the pricing tier of an existing customer")
    assert "City: Wellington → Lower Hutt" in details and "Pricing tier: Retail → Wholesale" in details
    assert cell(dialog, 3, 3) == "No changes"
    assert cell(dialog, 4, 3).startswith("Financial alert: Changes a customer with unpaid orders")
    assert cell(dialog, 5, 1) == "Error" and cell(dialog, 5, 3).startswith("Email: is not a valid email address")
    assert cell(dialog, 8, 2) == "nobody@example.com"  # no name: what the file says of the row
    assert cell(dialog, 8, 3) == "Name: is required for a new customer"
    assert cell(dialog, 9, 3) == "Country Code: 'XX' is not an ISO 3166-1 country code"
    assert cell(dialog, 6, 3).startswith("Looks like existing customer Tane Mahuta")
    assert cell(dialog, 10, 3) == "New customer: rangi@example.com · 8 Kowhai Crescent, Rotorua, 3010, NZ"
    # Errors and alerts are coloured; the alerts are listed apart.
    assert cell(dialog, 5, 0, Qt.ItemDataRole.BackgroundRole).color() == colours.row_colours("error")[0]
    assert cell(dialog, 2, 3, Qt.ItemDataRole.BackgroundRole).color() == colours.row_colours("warning")[0]
    assert cell(dialog, 10, 3, Qt.ItemDataRole.BackgroundRole) is None
    assert not dialog.alerts_box.isHidden()
    assert dialog.alerts_box.title() == "Financial alerts (3): check these before importing"
    assert dialog.alerts_model.texts() == [
        "Row 2  ·  Pricing tier: changes the pricing tier of an existing customer",
        "Row 4  ·  Changes a customer with unpaid orders",
        "Row 7  ·  Pricing tier: unknown pricing tier 'Gold': left unset",
    ]
    assert dialog.import_button.isEnabled() and dialog.import_button.isDefault()
    assert dialog.hint.text() == "Import: 3 new, 2 updates, addresses from 1 row; 4 rows skipped."
    assert [dialog.mapping_editor.combos[i].currentData() for i in range(len(HEADER))] == [
        "name", "email", "phone", "address1", "city", "zip", "country_code", "pricing_tier"]
    assert [label.text() for label in dialog.mapping_editor.examples][:2] == ["Aroha Kowhai", "aroha@example.com"]
    qtmodeltester.check(dialog.rows_model)
    qtmodeltester.check(dialog.alerts_model)
    assert count(window.db, m.ImportBatch) == 0  # a preview writes nothing


def test_a_new_preview_lists_its_own_alerts_even_when_as_many(qtbot, make_window, known, sample) -> None:
    """Read again after the file changed: the alerts list is the new preview's, not the old one's with the
    same count."""
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    assert dialog.alerts_model.texts()[:2] == [
        "Row 2  ·  Pricing tier: changes the pricing tier of an existing customer",
        "Row 4  ·  Changes a customer with unpaid orders",
    ]
    write_csv(sample, [ROWS[2], ROWS[1], ROWS[0], *ROWS[3:]])  # rows 2 and 4 change places
    dialog.mapping_editor.set_field(dialog.mapping_editor.column_of("City"), "")  # reads again
    wait_idle(qtbot, dialog)
    assert dialog.alerts_model.texts() == [
        "Row 2  ·  Changes a customer with unpaid orders",
        "Row 4  ·  Pricing tier: changes the pricing tier of an existing customer",
        "Row 7  ·  Pricing tier: unknown pricing tier 'Gold': left unset",
    ]


def test_only_local_csv_xlsx_txt_files_are_taken(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    pdf = tmp_path / "brochure.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert not drag_onto(window.customers.table.viewport(), mime_for(pdf))
    assert not drag_onto(window, mime_for("https://example.com/customers.csv"))
    text = QMimeData()
    text.setText("Aroha Kowhai")
    assert not drag_onto(window.customers.table.viewport(), text)
    assert window.parts["importing"].dialog is None
    for name in ("list.CSV", "list.txt", "book.xlsx"):
        assert import_dialog.importable_paths(mime_for(tmp_path / name)) == [tmp_path / name]
    assert import_dialog.importable_paths(mime_for(pdf, tmp_path / "b.csv")) == [tmp_path / "b.csv"]


def test_file_import_menu_and_ctrl_i(qtbot, make_window, known, sample, monkeypatch) -> None:
    settings = Settings({})
    window = make_window(settings)
    action = window.actions_by_name["import"]
    assert action.shortcut().toString() == "Ctrl+I"
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()
    folders: list[str] = []
    answers: list[str | None] = [None, str(sample)]

    def choose(_parent: Any, folder: str) -> str | None:
        folders.append(folder)
        return answers.pop(0)

    monkeypatch.setattr(import_dialog, "choose_import_file", choose)
    action.trigger()  # the clerk cancels the file chooser: nothing opens
    assert window.parts["importing"].dialog is None
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.customers.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = window.parts["importing"].dialog
    assert isinstance(dialog, ImportDialog) and dialog.path == sample
    wait_idle(qtbot, dialog)
    assert dialog.preview is not None and dialog.preview.summary.rows == 11
    assert settings.get(IMPORT_FOLDER) == str(sample.parent)  # the next chooser starts there
    assert folders[0] == str(Path.home())


def read_again_paused(qtbot, window, dialog, monkeypatch) -> threading.Event:  # type: ignore[no-untyped-def]
    """Make the dialog read its file again, and hold the worker at its first progress report (the first
    chunk is read); the worker goes on once the returned event is set."""
    reached, proceed = threading.Event(), threading.Event()

    def on_worker(done: int, total: int) -> None:
        reached.set()
        proceed.wait(20)

    real_start = window.workers.start

    def start(job: workers.Job, *, write: bool = False) -> workers.Job:
        job.progress.connect(on_worker, Qt.ConnectionType.DirectConnection)
        return real_start(job, write=write)

    monkeypatch.setattr(window.workers, "start", start)
    dialog.mapping_editor.set_field(dialog.mapping_editor.column_of("Phone"), "")  # reads again
    qtbot.waitUntil(reached.is_set, timeout=20_000)
    return proceed


def test_cancel_while_reading_leaves_nothing_to_import(qtbot, make_window, known, sample, monkeypatch) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    proceed = read_again_paused(qtbot, window, dialog, monkeypatch)
    assert dialog.previewing and not dialog.import_button.isEnabled()
    dialog.cancel_button.click()
    proceed.set()
    wait_idle(qtbot, dialog)
    assert dialog.preview is None and dialog.rows_model.rowCount() == 0
    assert dialog.summary_values["rows"].text() == "–"
    assert not dialog.import_button.isEnabled()  # the rows shown before were read with other columns
    assert dialog.banner.text().startswith("Reading was cancelled")
    assert dialog.isVisible()


def test_the_first_rows_show_while_the_rest_is_still_read(qtbot, make_window, tmp_path, monkeypatch) -> None:
    """A big file's first chunk of rows is in the table while the rest is validated; Import waits for all."""
    total = imp_plan.CHUNK_ROWS + 10
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Name", "Email", "Phone"])
        writer.writerows([f"Tui Kowhai {n}", f"tui.{n}@example.com", ""] for n in range(total))
    window = make_window()
    dialog = open_dropped(qtbot, window, path)
    proceed = read_again_paused(qtbot, window, dialog, monkeypatch)
    try:
        qtbot.waitUntil(lambda: dialog.rows_model.rowCount() == imp_plan.CHUNK_ROWS, timeout=20_000)
        assert dialog.previewing and not dialog.import_button.isEnabled()
        assert dialog.rows_model.plan(0).row == 2 and dialog.rows_model.count("create") == imp_plan.CHUNK_ROWS
    finally:
        proceed.set()
    wait_idle(qtbot, dialog)
    assert dialog.rows_model.rowCount() == total and dialog.import_button.isEnabled()
    assert summary(dialog)["create"] == f"{total:,}"


def test_unreadable_file_is_explained_in_the_dialog(qtbot, make_window, tmp_path, errors_shown) -> None:
    window = make_window()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    dialog = open_dropped(qtbot, window, empty)
    assert isinstance(dialog.problem, UnreadableFile)
    assert dialog.banner.text() == "empty.csv is empty: there are no customers to import."
    assert not dialog.import_button.isEnabled() and not dialog.save_errors_button.isEnabled()
    assert errors_shown == []  # shown inside the dialog, where the encoding can be changed


def test_workbook_hides_encoding_and_delimiter(qtbot, make_window, tmp_path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["First Name", "Last Name", "Default Address Zip", "Email"])
    sheet.append(["Aroha", "Kowhai", "02134", "aroha@example.com"])
    sheet.append(["Tane", "Mahuta", "1010", "tane@example.com"])
    path = tmp_path / "shop-export.xlsx"
    book.save(path)
    window = make_window()
    dialog = open_dropped(qtbot, window, path)
    assert dialog.preview is not None and dialog.preview.summary.create == 2
    assert dialog.encoding_combo.isHidden() and dialog.delimiter_combo.isHidden()
    assert dialog.kind_label.text().startswith("Excel workbook")
    assert cell(dialog, 2, 2) == "Aroha Kowhai"
    assert "02134" in cell(dialog, 2, 3)


# --- encoding, delimiter, mapping -----------------------------------------------------------------


def test_changing_encoding_and_delimiter_reads_again(qtbot, make_window, tmp_path) -> None:
    path = write_csv(tmp_path / "zoe.csv", [["Zoë Müller", "zoe@example.com", "Zürich"]],
                     header=["Name", "Email", "City"], encoding="cp1252", delimiter=";")
    window = make_window()
    dialog = open_dropped(qtbot, window, path)
    assert dialog.encoding_combo.currentData() == "cp1252"
    assert dialog.encoding_combo.currentText() == "Windows-1252 (Western European) (detected)"
    assert dialog.delimiter_combo.currentData() == ";"
    assert cell(dialog, 2, 2) == "Zoë Müller"

    set_combo(dialog.encoding_combo, "mac-roman")  # the clerk tries another encoding: read again
    assert dialog.previewing
    wait_idle(qtbot, dialog)
    assert dialog.encoding_choice == "mac-roman"
    assert dialog.encoding_combo.currentText() == "Mac Roman"
    assert cell(dialog, 2, 2) != "Zoë Müller"
    set_combo(dialog.encoding_combo, "cp1252")
    wait_idle(qtbot, dialog)
    assert cell(dialog, 2, 2) == "Zoë Müller"

    set_combo(dialog.delimiter_combo, ",")  # one column "Name;Email;City": no name to import
    wait_idle(qtbot, dialog)
    assert dialog.mapping_editor.header == ["Name;Email;City"]
    assert isinstance(dialog.problem, UnreadableFile) and dialog.preview is None
    assert "no column that gives a customer's name" in dialog.banner.text()
    assert not dialog.import_button.isEnabled()
    set_combo(dialog.delimiter_combo, ";")
    wait_idle(qtbot, dialog)
    assert dialog.problem is None and dialog.banner.text() == ""
    assert dialog.mapping_editor.header == ["Name", "Email", "City"]
    assert dialog.preview is not None and dialog.preview.summary.create == 1


def test_mapping_change_previews_again_and_is_remembered(qtbot, make_window, tmp_path, db) -> None:
    header = ["Full Name", "E-mail", "Ref"]
    first = write_csv(tmp_path / "first.csv", [["Aroha Kowhai", "aroha@example.com", "VIP since 2019"]],
                      header=header)
    settings = Settings({})
    window = make_window(settings)
    dialog = open_dropped(qtbot, window, first)
    editor = dialog.mapping_editor
    assert editor.mapping() == {0: "name", 1: "email"}  # "Ref" is nobody's alias
    editor.set_field(editor.column_of("Ref"), "notes")
    assert dialog.previewing
    wait_idle(qtbot, dialog)
    assert dialog.preview is not None and dialog.preview.mapping == {0: "name", 1: "email", 2: "notes"}
    assert dialog.preview.rows[0].values["notes"] == "VIP since 2019"
    assert settings.get(IMPORT_MAPPING) == {"fullname": "name", "email": "email", "ref": "notes"}

    # A field comes from one column: giving "email" to Ref takes it from E-mail.
    editor.set_field(editor.column_of("Ref"), "email")
    wait_idle(qtbot, dialog)
    assert editor.mapping() == {0: "name", 2: "email"}
    assert dialog.preview.rows[0].status is Status.ERROR  # "VIP since 2019" is not an email
    editor.set_field(editor.column_of("Ref"), "notes")
    editor.set_field(editor.column_of("E-mail"), "email")
    editor.set_field(editor.column_of("Full Name"), "")  # no name at all: explained, Import disabled
    wait_idle(qtbot, dialog)
    assert "no column that gives a customer's name" in dialog.banner.text()
    assert not dialog.import_button.isEnabled()
    editor.set_field(editor.column_of("Full Name"), "name")
    wait_idle(qtbot, dialog)
    assert dialog.banner.text() == "" and dialog.import_button.isEnabled()
    dialog.reject()

    # The next file with these headers (in another order, other case) is mapped the same way.
    second = write_csv(tmp_path / "second.csv", [["VIP", "tane@example.com", "Tane Mahuta"]],
                       header=["REF", "e-mail", "full name"])
    dialog = open_dropped(qtbot, window, second)
    assert dialog.mapping_editor.mapping() == {0: "notes", 1: "email", 2: "name"}
    assert dialog.preview is not None and dialog.preview.rows[0].values == {
        "name": "Tane Mahuta", "email": "tane@example.com", "notes": "VIP"}


def test_status_filter(qtbot, qtmodeltester, make_window, known, sample) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    tabs = dialog.filter_tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == [
        "All 11", "Create 3", "Update 2", "Unchanged 1", "Same customer 1", "Duplicates 1", "Errors 3", "Alerts 3"]
    expected = {
        "all": list(range(2, 13)), "create": [7, 10, 12], "update": [2, 4], "unchanged": [3], "same": [11],
        "duplicate": [6], "error": [5, 8, 9], "alert": [2, 4, 7],
    }
    for index, (key, _title) in enumerate(preview_models.FILTERS):
        tabs.setCurrentIndex(index)  # a click on the tab
        assert dialog.rows_model.filter == key
        assert [row for row, _status in shown_rows(dialog)] == expected[key], key
        qtmodeltester.check(dialog.rows_model)
    # Keyboard: Left from Alerts goes back to Errors.
    tabs.setFocus()
    qtbot.keyClick(tabs, Qt.Key.Key_Left)
    assert dialog.rows_model.filter == "error"
    # An alert in the list shows its row.
    dialog.set_filter("create")
    dialog.alerts_view.activated.emit(dialog.alerts_model.index(1, 0))
    assert dialog.rows_model.filter == "alert"
    assert dialog.rows_view.selectionModel().selectedRows()[0].row() == dialog.rows_model.row_of(4)


def test_create_possible_duplicates_anyway_previews_again(qtbot, make_window, known, sample, asked, db) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    assert (dialog.preview.summary.duplicates, dialog.preview.summary.create) == (1, 3)
    dialog.duplicates_box.click()
    assert dialog.previewing
    wait_idle(qtbot, dialog)
    assert (dialog.preview.summary.duplicates, dialog.preview.summary.create) == (0, 4)
    assert dialog.preview.options.allow_duplicates
    assert cell(dialog, 6, 1) == "Create"
    assert cell(dialog, 6, 3).startswith("Looks like existing customer Tane Mahuta")
    assert cell(dialog, 6, 3).endswith(": created anyway  ·  New customer: 3 Rimu Rd, Auckland, 1010, NZ")
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    assert "Tane Mahutaa" in customer_names(db)


def test_save_error_rows_writes_the_csv(qtbot, make_window, known, sample, tmp_path, monkeypatch) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    target = tmp_path / "to-fix.csv"
    suggested: list[str] = []

    def choose(_parent: Any, proposal: str) -> str:
        suggested.append(proposal)
        return str(target)

    monkeypatch.setattr(import_dialog, "choose_save_path", choose)
    assert dialog.save_errors_button.isEnabled()
    dialog.save_errors_button.click()
    assert suggested == [str(tmp_path / "customers-october-errors.csv")]
    with target.open(encoding="utf-8-sig", newline="") as stream:
        saved = list(csv.reader(stream))
    assert saved[0] == [*HEADER, "error"]
    assert [r[:-1] for r in saved[1:]] == [ROWS[3], ROWS[6], ROWS[7]]
    assert saved[1][-1].startswith("Email: is not a valid email address")
    assert saved[3][-1] == "Country Code: 'XX' is not an ISO 3166-1 country code"
    assert dialog.banner.text().startswith(f"3 rows with errors saved to {target}")


def test_error_rows_never_overwrite_the_file_or_the_store(qtbot, make_window, known, sample, monkeypatch,
                                                         errors_shown) -> None:
    import hashlib

    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    targets = [sample]
    if window.db.file is not None:  # an SQLite store: its file and its write-ahead log
        targets += [window.db.file, window.db.file.with_name(window.db.file.name + "-wal")]
    for target in targets:
        before = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None
        monkeypatch.setattr(import_dialog, "choose_save_path", lambda _parent, _proposal, t=target: str(t))
        dialog.save_errors_button.click()
        assert "nothing was written" in str(errors_shown[-1])
        assert (hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None) == before
    assert len(errors_shown) == len(targets)
    assert dialog.preview is not None and dialog.preview.summary.errors == 3  # the preview is still there


def test_all_or_nothing_blocks_the_import(qtbot, make_window, known, sample, asked) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    assert dialog.import_button.isEnabled()
    dialog.strict_box.click()
    assert not dialog.import_button.isEnabled() and not dialog.import_button.isDefault()
    assert dialog.hint.text() == "All or nothing: 3 rows have errors, so nothing is imported."
    dialog.start_import()  # even when asked directly
    assert dialog.commit_job is None and asked == []
    assert count(window.db, m.ImportBatch) == 0
    dialog.strict_box.click()
    assert dialog.import_button.isEnabled() and dialog.import_button.isDefault()


def test_all_or_nothing_allows_a_clean_file(qtbot, make_window, tmp_path, db) -> None:
    path = write_csv(tmp_path / "clean.csv", [ROWS[8], ROWS[10]])
    window = make_window()
    dialog = open_dropped(qtbot, window, path)
    dialog.strict_box.click()
    assert dialog.import_button.isEnabled()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=20_000)
    assert customer_names(db) == {"Rangi Potae", "Wiremu Horomona"}


# --- importing, cancelling, undoing ---------------------------------------------------------------


def test_import_commits_and_the_customers_appear(qtbot, make_window, known, sample, asked, db) -> None:
    window = make_window()
    assert window.customers.model.total == 3
    dialog = open_dropped(qtbot, window, sample)
    with qtbot.waitSignal(dialog.committed, timeout=30_000) as committed:
        dialog.import_button.click()
        assert "3 rows have financial alerts" in asked[0]  # the clerk confirms the alerts
        assert dialog.committing and not dialog.import_button.isEnabled()
    result = committed.args[0]
    wait_idle(qtbot, dialog)
    assert (result.created, result.updated, result.skipped) == (3, 2, 4)
    assert dialog.banner.text() == (f"Imported: 3 created, 2 updated, 4 addresses added, 4 rows skipped. "
                                    f"Undo is in Import history (batch {result.batch_id}).")
    assert window.statusBar().currentMessage() == dialog.banner.text()
    assert not dialog.import_button.isEnabled() and dialog.close_button.isDefault()
    assert not dialog.encoding_combo.isEnabled()  # this preview is done with
    assert customer_names(db) == {"Aroha Kowhai", "Tane Mahuta", "Hemi Rata", *NEW_NAMES}
    with db.read() as s:
        aroha = s.get(m.Customer, known["Aroha Kowhai"])
        assert aroha.product_pricing_tier_id == s.scalar(select(m.PricingTier.id).where(m.PricingTier.name == "Wholesale"))
        ngaio = s.scalars(select(m.Customer).where(m.Customer.name == "Ngaio Parata")).one()
        assert ngaio.product_pricing_tier_id is None  # unknown tier "Gold": left unset
        assert count(db, m.Address, m.Address.customer_id == ngaio.id) == 2  # row 11 added its address
    assert window.customers.model.total == 6  # the customer table read again
    history = window.sections["Import history"]
    assert isinstance(history, ImportHistorySection)
    assert history.model.rowCount() == 1 and history.model.batch(0).id == result.batch_id
    dialog.close_button.click()
    assert not dialog.isVisible()


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancel_during_import_rolls_everything_back(qtbot, make_window, db, tmp_path, monkeypatch, how) -> None:
    rows = [[f"Kauri Customer {i:04d}", f"kauri{i}@example.com", "", f"{i} Kauri Road", "Whangarei", "0110",
             "NZ", ""] for i in range(1500)]
    path = write_csv(tmp_path / "many.csv", rows)
    monkeypatch.setattr(import_dialog, "COMMIT_CHUNK_ROWS", 500)
    monkeypatch.setattr(workers, "PROGRESS_INTERVAL_S", 0.0)  # every chunk reports
    window = make_window()
    reached, proceed = threading.Event(), threading.Event()

    def on_worker(done: int, total: int) -> None:  # on the worker thread, after the first chunk is written
        if not reached.is_set():
            reached.set()
            proceed.wait(20)

    real_start = window.workers.start

    def start(job: workers.Job, *, write: bool = False) -> workers.Job:
        if write:
            job.progress.connect(on_worker, Qt.ConnectionType.DirectConnection)
        return real_start(job, write=write)

    monkeypatch.setattr(window.workers, "start", start)
    dialog = open_dropped(qtbot, window, path)
    assert dialog.preview is not None and dialog.preview.summary.create == 1500
    dialog.import_button.click()
    qtbot.waitUntil(reached.is_set, timeout=20_000)
    assert dialog.committing and dialog.cancel_button.isVisible()
    if how == "button":
        dialog.cancel_button.click()
    else:
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels the import; the dialog stays to say so
    assert dialog.progress_label.text() == "Cancelling… (nothing is written)"
    proceed.set()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    assert dialog.isVisible()
    assert dialog.result is None
    assert dialog.banner.text() == "Import cancelled: nothing was written."
    assert count(db, m.Customer) == 0
    assert count(db, m.Address) == 0
    assert count(db, m.ImportBatch) == 0
    assert count(db, m.ChangeLog) == 0
    assert dialog.import_button.isEnabled()  # the preview still holds: the clerk may import after all


def test_store_changed_since_the_preview(qtbot, make_window, known, sample, asked, errors_shown, db) -> None:
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    first = dialog.preview
    with db.transaction() as s:  # another clerk edits Aroha meanwhile
        cs.update_customer(s, known["Aroha Kowhai"], {"city": "Porirua"},
                           expected_version=s.get(m.Customer, known["Aroha Kowhai"]).version)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: bool(errors_shown) and dialog.preview is not first and not dialog.busy, timeout=30_000)
    assert isinstance(errors_shown[0], ImportConflict)
    assert f"Customer {known['Aroha Kowhai']} was changed since the preview" in str(errors_shown[0])
    assert count(db, m.ImportBatch) == 0 and customer_names(db) == {"Aroha Kowhai", "Tane Mahuta", "Hemi Rata"}
    # Previewed again at once: Aroha's update starts from her new city; the banner says what happened.
    assert dialog.banner.text().startswith("Nothing was imported: customers changed since the preview")
    assert "City: Porirua → Lower Hutt" in cell(dialog, 2, 3)
    with qtbot.waitSignal(dialog.committed, timeout=30_000):
        dialog.import_button.click()
    assert len(customer_names(db)) == 6


def test_import_history_lists_the_batch_and_undo_removes_it(qtbot, qtmodeltester, make_window, known, sample,
                                                            asked, db) -> None:
    window = make_window()
    history = window.show_section("Import history")
    assert isinstance(history, ImportHistorySection)
    assert history.model.rowCount() == 0 and not history.empty_label.isHidden()
    window.show_section("Customers")
    dialog = open_dropped(qtbot, window, sample)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    batch_id = dialog.result.batch_id
    dialog.accept()

    assert window.show_section("Import history") is history  # activated(): read again
    assert window.nav.currentItem().text() == "Import history"
    model = history.model
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    values = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert values[0] == str(batch_id) and values[2] == "customers-october.csv"
    assert values[3:7] == ["11", "3", "2", "Committed"]
    assert len(values[1]) == len("2026-11-29 21:00") and values[7]
    assert history.undo_button.isEnabled()

    asked.answers = [False]  # the clerk thinks again
    history.undo_button.click()
    assert asked[-1].startswith(f"Undo import: Undo import {batch_id} of customers-october.csv?")
    assert history.undo_job is None and count(db, m.Customer) == 6

    with qtbot.waitSignal(history.undoEnded, timeout=20_000):
        history.undo_button.click()
    assert history.last_undo is not None and history.last_undo.deleted == 3
    assert history.status_label.text() == (f"Import {batch_id} undone: 3 customers deleted, 2 restored, "
                                           f"0 addresses removed.")
    assert customer_names(db) == {"Aroha Kowhai", "Tane Mahuta", "Hemi Rata"}
    with db.read() as s:
        aroha = s.get(m.Customer, known["Aroha Kowhai"])
        assert aroha.product_pricing_tier_id == s.scalar(select(m.PricingTier.id).where(m.PricingTier.name == "Retail"))
    assert model.data(model.index(0, 6)).startswith("Undone ")
    assert not history.undo_button.isEnabled()
    assert window.customers.model.total == 3  # the customer list read again
    qtmodeltester.check(model)


def test_undo_refused_names_the_changed_customers(qtbot, make_window, tmp_path, asked, errors_shown, db) -> None:
    path = write_csv(tmp_path / "two.csv", [ROWS[8], ROWS[10]])
    window = make_window()
    dialog = open_dropped(qtbot, window, path)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    dialog.accept()
    with db.transaction() as s:
        rangi = s.scalars(select(m.Customer).where(m.Customer.name == "Rangi Potae")).one()
        cs.update_customer(s, rangi.id, {"phone": "+64 7 555 0123"}, expected_version=rangi.version)
    history = window.show_section("Import history")
    assert isinstance(history, ImportHistorySection)
    with qtbot.waitSignal(history.undoEnded, timeout=20_000):
        history.undo_selected()
    assert len(errors_shown) == 1 and isinstance(errors_shown[0], UndoRefused)
    title, text = messages.explain(errors_shown[0])
    assert f"Rangi Potae (id {rangi.id})" in text and "changed since" in text
    assert customer_names(db) == {"Rangi Potae", "Wiremu Horomona"}
    assert history.model.batch(0).state == "committed"


def test_undo_refused_names_the_customer_whose_address_changed(qtbot, make_window, known, sample, asked,
                                                                 errors_shown, db) -> None:
    from desktop.services import addresses

    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    dialog.import_button.click()  # moves Aroha to Lower Hutt 5010
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    dialog.accept()
    with db.transaction() as s:  # then a clerk corrects her street (the address, not the customer)
        aroha = s.get(m.Customer, known["Aroha Kowhai"])
        version = aroha.version
        addresses.update_address(s, aroha.default_shipping_address_id, {"address1": "14 Kauri Street"})
    with db.read() as s:
        assert s.get(m.Customer, known["Aroha Kowhai"]).version == version  # only her address changed
    history = window.show_section("Import history")
    assert isinstance(history, ImportHistorySection)
    with qtbot.waitSignal(history.undoEnded, timeout=20_000):
        history.undo_selected()
    assert len(errors_shown) == 1 and isinstance(errors_shown[0], UndoRefused)
    assert f"Aroha Kowhai (id {known['Aroha Kowhai']})" in messages.explain(errors_shown[0])[1]
    assert count(db, m.Customer) == 6


# --- keyboard -------------------------------------------------------------------------------------


def test_keyboard_default_button_and_escape(qtbot, make_window, tmp_path) -> None:
    nothing = write_csv(tmp_path / "bad.csv", [["", "x@y", "", "", "", "", "", ""]])
    window = make_window()
    dialog = open_dropped(qtbot, window, nothing)
    assert dialog.preview is not None and not dialog.preview.committable
    assert not dialog.import_button.isEnabled() and not dialog.import_button.isDefault()
    assert dialog.hint.text() == "Nothing to import: no row creates or updates a customer."
    # Every input is reachable with Tab, in reading order.
    chain, widget = [], dialog.encoding_combo
    for _ in range(40):
        chain.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisibleTo(dialog):
            widget = widget.nextInFocusChain()
        if widget is dialog.encoding_combo:
            break
    for wanted in (dialog.delimiter_combo, *dialog.mapping_editor.combos, dialog.duplicates_box, dialog.strict_box,
                   dialog.filter_tabs, dialog.rows_view, dialog.close_button):
        assert wanted in chain
    assert chain.index(dialog.delimiter_combo) < chain.index(dialog.mapping_editor.combos[0]) < chain.index(
        dialog.strict_box) < chain.index(dialog.rows_view) < chain.index(dialog.close_button)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_mapping_combos_ignore_the_wheel_unless_focused(qtbot, make_window, sample) -> None:
    from PySide6.QtGui import QWheelEvent

    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    combo = dialog.mapping_editor.combos[0]
    before = combo.currentIndex()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(combo.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, wheel)
    assert combo.currentIndex() == before
    assert not dialog.busy  # nothing was read again


def test_screenshot_of_a_realistic_preview(qtbot, make_window, known, sample, tmp_path) -> None:
    """Renders the dialog offscreen (looked at by a person: tmp_path/import-dialog.png)."""
    window = make_window()
    dialog = open_dropped(qtbot, window, sample)
    dialog.resize(1180, 800)
    qtbot.waitUntil(lambda: dialog.mapping_editor.combos[0].isVisible())
    image = dialog.grab()
    assert image.width() == 1180 and image.save(str(tmp_path / "import-dialog.png"))


def test_import_history_searches_sorts_and_totals(qtbot, qtmodeltester, db) -> None:
    with db.transaction() as s:
        for name, rows, created, undone in (("kauri-customers.csv", 120, 100, False),
                                            ("rimu-export.xlsx", 8, 2, True), ("kauri-more.csv", 30, 30, False)):
            s.add(m.ImportBatch(file_name=name, checksum="0" * 64, committed_at=m.utcnow(),
                                undone_at=m.utcnow() if undone else None, os_user="clerk",
                                counts={"rows": rows, "created": created, "updated": rows - created, "errors": 0}))
    history = ImportHistorySection(db, workers.Workers())
    qtbot.addWidget(history)
    history.show()
    history.activated()
    qtmodeltester.check(history.proxy)
    files = lambda: [history.proxy.index(r, 2).data() for r in range(history.proxy.rowCount())]  # noqa: E731
    assert files() == ["kauri-more.csv", "rimu-export.xlsx", "kauri-customers.csv"]  # newest first
    assert history.totals_label.text() == ("3 imports: 158 rows read, 132 customers created, 26 updated, "
                                           "0 rows with errors skipped; 1 undone")
    history.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # Rows, as numbers: 120 before 30 before 8
    assert files() == ["kauri-customers.csv", "kauri-more.csv", "rimu-export.xlsx"]

    history.search.setText("KAURI")
    qtbot.waitUntil(lambda: history.proxy.rowCount() == 2)
    assert history.totals_label.text().startswith("2 imports: 150 rows read, 130 customers created")
    assert history.selected_batch() is not None and history.selected_batch().file_name.startswith("kauri")
    history.search.setText("totara")
    qtbot.waitUntil(lambda: history.proxy.rowCount() == 0)
    assert history.empty_label.isVisible() and "No import matches “totara”" in history.empty_label.text()
    history.empty_label.linkActivated.emit("clear")
    assert history.proxy.rowCount() == 3 and history.search.text() == ""
