"""The *Nominal codes* section (DESIGN §2 item 16, §3): the codes with what uses them, New / Edit / Delete,
Check Deletable on the selection, and the mapping settings (which code sales, shipping, discounts and sales
credits post to).

Keys while the section has the focus: Ins or Ctrl+N new code, Return or F2 edit, Del delete, Ctrl+Shift+D
check deletable, F5 read again. Ctrl+N and F5 are the window's keys for customers elsewhere; inside this
section they are claimed (ShortcutOverride) for nominal codes, so the clerk's habit does the expected thing.

Reads are three small queries (a grouped count of order lines over its index, ~20 ms for 400,000 lines)
and run on the GUI thread like the detail pane's; writes are one short transaction each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.services import nominal_codes as svc
from desktop.services.errors import DomainError, NotFound
from desktop.services.nominal_codes import NominalCodeInUse, NominalCodeRow
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.views import record_table, select_row
from desktop.ui.nominal_codes.forms import MUTED_STYLE, MappingPanel, NominalCodeForm
from desktop.ui.nominal_codes.model import NominalCodeTableModel

log = logging.getLogger("desktop.ui.nominal_codes")

LISTED = 10  # codes named in a confirmation; more are summed up


def plural(n: int, noun: str = "nominal code") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --- the section ----------------------------------------------------------------------------------


class NominalCodesSection(QWidget):
    """The Nominal codes page of the main window. `activated()` reads the codes again."""

    changed = Signal()  # after anything was written

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.last_message = ""
        self.model = NominalCodeTableModel(self)
        self.table = record_table(self.model, "Nominal codes", multi=True)
        self.table.setSortingEnabled(True)
        self.table.setTabKeyNavigation(False)  # rows are picked whole: Tab leaves for the mapping settings
        header = self.table.horizontalHeader()
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((90, 240, 100, 100)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_code())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)

        self.check_panel = QGroupBox("Check deletable")
        check_layout = QVBoxLayout(self.check_panel)
        self.check_summary = QLabel()
        self.check_summary.setWordWrap(True)
        self.check_details = QPlainTextEdit(readOnly=True)
        self.check_details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.check_details.setMaximumHeight(self.fontMetrics().lineSpacing() * 8 + 16)
        self.check_details.setTabChangesFocus(True)
        self.check_close_button = QPushButton("Close")
        self.check_close_button.setAutoDefault(False)
        self.check_close_button.setToolTip("Hide the result of the check")
        self.check_close_button.clicked.connect(self._close_check)
        top = QHBoxLayout()
        top.addWidget(self.check_summary, 1)
        top.addWidget(self.check_close_button)
        check_layout.addLayout(top)
        check_layout.addWidget(self.check_details)
        self.check_panel.hide()

        self.mappings = MappingPanel()
        self.mappings.saveRequested.connect(self.save_mappings)

        self.actions_by_name = self._build_actions()
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        # Mnemonics clear of the menu bar's (File, Customer, View, Money, Settings, Help).
        for key, text in (("new", "Ne&w…"), ("edit", "&Edit…"), ("delete", "&Delete…"),
                          ("check", "Check dele&table"), ("refresh", "&Refresh")):
            action = self.actions_by_name[key]
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes table -> mapping settings; keys do the rest
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        self.status = QLabel()
        self.status.setStyleSheet(MUTED_STYLE)
        buttons.addWidget(self.status)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Nominal codes</b>")
        column.addWidget(title)
        column.addLayout(buttons)
        column.addWidget(self.table, 1)
        column.addWidget(self.check_panel)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.mappings)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([760, 320])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self.splitter)

        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.model.modelReset.connect(self._selection_changed)
        self._selection_changed()

    # --- actions and keys ------------------------------------------------------------------------

    def _build_actions(self) -> dict[str, QAction]:
        def action(text: str, slot: Callable[[], Any], keys: Sequence[str], tip: str, *,
                   on: QWidget | None = None) -> QAction:
            a = QAction(text, self)
            a.setShortcuts([QKeySequence(k) for k in keys])
            # On the table only (Return, Del mean other things in a picker), or anywhere in this section;
            # never window-wide: the Customers page has its own meaning for these keys.
            a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if on is not None
                                 else Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shown = " or ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
            a.setToolTip(f"{tip} ({shown})" if shown and not tip.endswith(")") else tip)
            a.triggered.connect(slot)
            (on or self).addAction(a)
            return a

        t = self.table
        return {
            "new": action("&New nominal code…", self.new_code, ["Ins"], "Create a nominal code (Ins or Ctrl+N)"),
            "edit": action("&Edit…", self.edit_code, ["Return", "Enter", "F2"], "Edit the selected code", on=t),
            "delete": action("&Delete…", self.delete_codes, ["Del"], "Delete the selected codes", on=t),
            "check": action("Check dele&table", self.check_deletable, ["Ctrl+Shift+D"],
                            "Say for each selected code (all codes when none is selected) whether it can be "
                            "deleted, and what uses it"),
            "refresh": action("&Refresh", self.reload, [], "Read the codes and mapping settings again (F5)"),
        }

    # The window binds these for customers; inside this section they mean the same for nominal codes.
    _CLAIMED = {"Ctrl+N": "new_code", "F5": "reload"}

    def _claimed(self, event: QKeyEvent) -> Callable[[], Any] | None:
        keys = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.PortableText)
        name = self._CLAIMED.get(keys)
        return getattr(self, name) if name else None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._claimed(event):
            event.accept()  # the key press comes to this section instead of triggering the window's action
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        slot = self._claimed(event)
        if slot is not None:
            event.accept()
            slot()
            return
        super().keyPressEvent(event)

    def table_menu(self) -> QMenu:
        a = self.actions_by_name
        menu = QMenu(self)
        menu.addActions([a["new"], a["edit"], a["delete"]])
        menu.addSeparator()
        menu.addAction(a["check"])
        return menu

    def _table_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row()):
            select_row(self.table, index.row())
        self.table_menu().popup(self.table.viewport().mapToGlobal(pos))

    # --- reading ---------------------------------------------------------------------------------

    def activated(self) -> None:
        """Shown in the main window: read again (another clerk, or order entry, may have changed things).
        The focus stays where it is (in the navigation list, Down goes on to the next section)."""
        self.reload()
        if not self.selected_rows() and self.model.rowCount():
            select_row(self.table, 0)

    def reload(self, *, keep_mapping_edits: bool = True) -> bool:
        """Read the codes (with their usage) and the mapping settings; the selection stays, and so do
        mapping picks not yet saved (unless `keep_mapping_edits` is False). False when the store could not be
        read (the message says why)."""
        selected = [r.id for r in self.selected_rows()]
        try:
            with self.db.read() as session:
                rows = svc.list_nominal_codes(session)
                settings = svc.list_mappings(session)
        except Exception as exc:  # noqa: BLE001 - shown beside the buttons, the page stays usable
            log.warning("reading nominal codes failed", exc_info=True)
            title, text = messages.explain(exc)
            self.status.setText(f"{title}: {text.splitlines()[0]} (F5 to try again)")
            return False
        self.model.set_rows(rows)
        self.mappings.set_data(settings, rows, keep_edits=keep_mapping_edits)
        self._tab_order()
        self.select_ids(selected)
        self._selection_changed()
        return True

    def _tab_order(self) -> None:
        chain: list[QWidget] = [self.table, self.check_details, self.check_close_button,
                                *self.mappings.combos.values(), self.mappings.save_button, self.mappings.undo_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def selected_rows(self) -> list[NominalCodeRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.code_row(n) for n in rows) if r is not None]

    def current_row(self) -> NominalCodeRow | None:
        rows = self.selected_rows()
        return rows[0] if len(rows) == 1 else None

    def select_ids(self, ids: Sequence[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        first: int | None = None
        for code_id in ids:
            row = self.model.row_of(code_id)
            if row is not None:
                selection.select(self.model.index(row, 0), flags)
                first = row if first is None else min(first, row)
        if first is not None:
            selection.setCurrentIndex(self.model.index(first, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(self.model.index(first, 0))

    def _selection_changed(self) -> None:
        count = len(self.selected_rows())
        a = self.actions_by_name
        a["edit"].setEnabled(count == 1)
        a["delete"].setEnabled(count > 0)
        for key in ("edit", "delete"):
            self.buttons[key].setEnabled(a[key].isEnabled())
        total = self.model.rowCount()
        self.status.setText(f"{plural(total)} ({count:,} selected)" if total else "No nominal codes yet: Ins creates one.")

    def _notify(self, text: str) -> None:
        self.last_message = text
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 10_000)

    # --- new, edit, delete -----------------------------------------------------------------------

    def new_code(self) -> None:
        form = NominalCodeForm(self.db, None, self)
        try:
            if form.exec() and form.saved is not None:
                self._after_write([form.saved.id])
                self._notify(f"Created nominal code {form.saved.label}.")
        finally:
            form.deleteLater()

    def edit_code(self) -> None:
        row = self.current_row()
        if row is None:
            return
        try:
            with self.db.read() as session:
                row = svc.get_nominal_code(session, row.id)  # as it is now, with its usage
        except DomainError as exc:
            messages.show_error(self, exc)
            self.reload()
            return
        form = NominalCodeForm(self.db, row, self)
        try:
            if form.exec() and form.saved is not None:
                self._after_write([form.saved.id])
                self._notify(f"Saved nominal code {form.saved.label}.")
            else:
                self.reload()  # cancelled, or the code was deleted meanwhile: show the codes as they are
        finally:
            form.deleteLater()

    def delete_codes(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        try:
            with self.db.read() as session:
                checked = svc.check_deletable(session, [r.id for r in rows])
        except Exception as exc:  # noqa: BLE001
            messages.show_error(self, exc)
            return
        self.model.update_rows(list(checked.values()))
        gone = [r for r in rows if r.id not in checked]
        blocked = [checked[r.id] for r in rows if r.id in checked and not checked[r.id].deletable]
        if blocked:
            self._show_check([checked[r.id] for r in rows if r.id in checked])
            messages.show_error(self, NominalCodeInUse(blocked))
            return
        if gone:
            messages.show_error(self, NotFound("nominal code", gone[0].code))
            self.reload()
            return
        listed = ", ".join(r.code for r in rows[:LISTED]) + (", …" if len(rows) > LISTED else "")
        scope = rows[0].label if len(rows) == 1 else f"{plural(len(rows))} ({listed})"
        if not messages.ask(self, "Delete nominal codes", f"Delete {scope}?\n\nDeleting cannot be undone.",
                            "Delete"):
            return
        try:
            with self.db.transaction() as session:
                deleted = svc.delete_nominal_codes(session, [r.id for r in rows],
                                                   expected_versions={r.id: r.version for r in rows})
        except Exception as exc:  # noqa: BLE001 - refused (now in use, changed, gone) or the store failed
            messages.show_error(self, exc)
            self.reload()
            return
        self._after_write([])
        self._notify(f"Deleted {deleted[0].label if len(deleted) == 1 else plural(len(deleted))}.")

    def _after_write(self, select: Sequence[int]) -> None:
        self.reload()
        if select:
            self.select_ids(select)
            self._selection_changed()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    # --- check deletable -------------------------------------------------------------------------

    def check_deletable(self) -> None:
        """Check the selected codes (all when none is selected), fresh from the store, and show the result."""
        rows = self.selected_rows()
        try:
            with self.db.read() as session:
                if rows:
                    found = svc.check_deletable(session, [r.id for r in rows])
                    checked = [found[r.id] for r in rows if r.id in found]
                    gone = [r for r in rows if r.id not in found]
                else:
                    checked, gone = svc.list_nominal_codes(session), []
        except Exception as exc:  # noqa: BLE001
            messages.show_error(self, exc)
            return
        self.model.update_rows(checked)
        self._show_check(checked, gone)

    def _show_check(self, checked: Sequence[NominalCodeRow], gone: Sequence[NominalCodeRow] = ()) -> None:
        free = sum(1 for r in checked if r.deletable)
        total = len(checked)
        if total == 1:
            r = checked[0]
            summary = f"{r.label} {r.verdict()}."
        elif free == total:
            summary = f"All {total:,} codes checked can be deleted."
        elif free == 0:
            summary = f"None of the {total:,} codes checked can be deleted."
        else:
            summary = f"{free:,} of the {total:,} codes checked can be deleted; {total - free:,} cannot."
        lines = [f"{'✓' if r.deletable else '✗'} {r.label} — {r.verdict()}" for r in checked]
        lines += [f"? {r.label} — no longer exists (deleted meanwhile)" for r in gone]
        self.check_summary.setText(summary)
        self.check_details.setPlainText("\n".join(lines))
        self.check_details.setVisible(total > 1 or bool(gone))
        self.check_panel.show()
        self._notify(summary)

    def check_text(self) -> str:
        """What the check panel says ('' when hidden), for tests and screenshots."""
        if self.check_panel.isHidden():
            return ""
        details = self.check_details.toPlainText() if not self.check_details.isHidden() else ""
        return "\n".join(t for t in (self.check_summary.text(), details) if t)

    def _close_check(self) -> None:
        self.check_panel.hide()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- mapping settings ------------------------------------------------------------------------

    def save_mappings(self) -> None:
        changes = self.mappings.changes()
        if not changes:
            return
        versions = {s: self.mappings.loaded[s].version for s in changes}
        try:
            with self.db.transaction() as session:
                svc.set_mappings(session, changes, expected_versions=versions)
        except Exception as exc:  # noqa: BLE001 - changed by someone else, code gone, or the store failed
            messages.show_error(self, exc)
            self.reload(keep_mapping_edits=False)  # show what is stored now
            return
        self.reload(keep_mapping_edits=False)
        self._after_write([r.id for r in self.selected_rows()])
        self._notify(f"Saved {plural(len(changes), 'mapping setting')}.")
