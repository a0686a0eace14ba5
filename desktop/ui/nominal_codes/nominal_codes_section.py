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
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
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
from desktop.services.errors import (
    ConflictError,
    DomainError,
    FieldError,
    NotFound,
    ValidationError,
)
from desktop.services.nominal_codes import (
    MappingSetting,
    NominalCodeInUse,
    NominalCodeRow,
    NominalCodeTaken,
)
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.forms import ValidatingDialog, group, normalised
from desktop.ui.common.views import record_table, select_row

log = logging.getLogger("desktop.ui.nominal_codes")

Index = QModelIndex | QPersistentModelIndex
MUTED_STYLE = "color: palette(placeholder-text);"
NOT_SET = "(not set)"
LISTED = 10  # codes named in a confirmation; more are summed up


def plural(n: int, noun: str = "nominal code") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --- the table model ------------------------------------------------------------------------------


class NominalCodeRole(IntEnum):
    Row = Qt.ItemDataRole.UserRole + 1  # the NominalCodeRow
    Id = Qt.ItemDataRole.UserRole + 2
    Deletable = Qt.ItemDataRole.UserRole + 3


COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"), ("name", "Name"), ("type", "Type"), ("order_lines", "Order lines"),
    ("mappings", "Mapping settings"),
)
NUMERIC = frozenset({"order_lines"})


def _sort_value(row: NominalCodeRow, key: str) -> Any:
    if key == "code":
        return svc.natural_key(row.code)
    if key == "order_lines":
        return row.usage.order_lines
    if key == "mappings":
        return (len(row.usage.mappings), row.usage.mappings)
    return str(getattr(row, key)).casefold()


class NominalCodeTableModel(QAbstractTableModel):
    """The codes (a short list, held whole), sorted in Python by the clicked column. A new read of the same
    codes changes only the cells that differ; a reset only when codes come or go."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[NominalCodeRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    # --- reading ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section][0] in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "order_lines":
                return f"{row.usage.order_lines:,}"
            if key == "mappings":
                return ", ".join(svc.setting_label(s) for s in row.usage.mappings)
            return getattr(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.label}: {row.verdict()}"
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == NominalCodeRole.Row:
            return row
        if role == NominalCodeRole.Id:
            return row.id
        if role == NominalCodeRole.Deletable:
            return row.deletable
        return None

    def code_row(self, row: int) -> NominalCodeRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, code_id: int) -> int | None:
        return next((r for r, c in enumerate(self._rows) if c.id == code_id), None)

    def rows(self) -> list[NominalCodeRow]:
        return list(self._rows)

    # --- changing --------------------------------------------------------------------------------

    def _sorted(self, rows: Sequence[NominalCodeRow]) -> list[NominalCodeRow]:
        column, order = self._sort
        key = COLUMNS[column][0]
        ordered = sorted(rows, key=lambda r: (_sort_value(r, key), svc.natural_key(r.code), r.id))
        return ordered[::-1] if order == Qt.SortOrder.DescendingOrder else ordered

    def set_rows(self, rows: Sequence[NominalCodeRow]) -> None:
        new = self._sorted(rows)
        if [r.id for r in new] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        old, self._rows = self._rows, new
        for r, (before, after) in enumerate(zip(old, new)):
            if before != after:
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def update_rows(self, rows: Sequence[NominalCodeRow]) -> None:
        """Fresher copies of rows already shown (after a check): their cells change, nothing moves."""
        fresh = {r.id: r for r in rows}
        for r, current in enumerate(self._rows):
            newer = fresh.get(current.id)
            if newer is not None and newer != current:
                self._rows[r] = newer
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._rows[i.row()].id if 0 <= i.row() < len(self._rows) else None for i in before]
        self._rows = self._sorted(self._rows)
        position = {r.id: n for n, r in enumerate(self._rows)}
        after = [self.index(position[i], p.column()) if i in position else QModelIndex()
                 for i, p in zip(ids, before)]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()


# --- the form -------------------------------------------------------------------------------------


class NominalCodeForm(ValidatingDialog):
    """Create or edit a nominal code. After `accept`, `saved` is the code as stored."""

    def __init__(self, db: Database, row: NominalCodeRow | None = None, parent: QWidget | None = None):
        super().__init__(db, parent)
        self.loaded = row
        self.saved: NominalCodeRow | None = None
        self._initial: dict[str, Any] = {}
        box, rows = group("Nominal code")
        f = self.fields
        f.line(rows, "code", "&Code *", svc.CODE_LEN, placeholder="e.g. 4000")
        f.line(rows, "name", "&Name *", svc.NAME_LEN, placeholder="e.g. Sales")
        type_edit = f.line(rows, "type", "&Type *", svc.TYPE_LEN, placeholder=", ".join(svc.NOMINAL_TYPES))
        completer = QCompleter(list(svc.NOMINAL_TYPES), type_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        type_edit.setCompleter(completer)
        self.usage_note = QLabel()
        self.usage_note.setWordWrap(True)
        self.usage_note.setStyleSheet(MUTED_STYLE)
        self.usage_note.hide()
        self.reload_button = self.banner.add_button("&Reload")
        self.reload_button.setToolTip("Show the code as it is now")
        self.reload_button.clicked.connect(self.reload)

        root = QVBoxLayout(self)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        root.addWidget(self.banner)
        root.addWidget(box)
        root.addWidget(self.usage_note)
        root.addLayout(self.footer())
        if row is None:
            self.setWindowTitle("New nominal code")
            self.ok_button.setText("Create")
            self._initial = self._values()
        else:
            self.ok_button.setText("Save")
            self._load(row)
        self.validate()
        f["code"].widget.setFocus()
        self.resize(max(self.sizeHint().width(), 460), self.sizeHint().height())

    def _load(self, row: NominalCodeRow) -> None:
        self.loaded = row
        self.fields.set_values({"code": row.code, "name": row.name, "type": row.type})
        self.setWindowTitle(f"Edit nominal code — {row.label}")
        self.touched.clear()
        self._initial = self._values()
        if row.usage.in_use:
            self.usage_note.setText(
                f"This code is {row.usage.describe()}; they point at the code itself, so a new code or name "
                "applies to them too.")
            self.usage_note.show()
        else:
            self.usage_note.hide()

    def _values(self) -> dict[str, Any]:
        return {k: normalised(v) for k, v in self.fields.values().items()}

    def changed_values(self) -> dict[str, Any]:
        return {k: v for k, v in self._values().items() if v != self._initial.get(k)}

    def check(self) -> list[FieldError]:
        try:
            svc.clean_nominal_code(self._values(), creating=True)
        except ValidationError as exc:
            return exc.errors
        return []

    def save(self, **_options: Any) -> None:
        self.banner.hide()
        try:
            with self.db.transaction() as session:
                if self.loaded is None:
                    result = svc.create_nominal_code(session, self._values())
                else:
                    changes = self.changed_values()
                    if not changes:
                        self.saved = self.loaded
                        self.accept()
                        return
                    result = svc.update_nominal_code(session, self.loaded.id, changes,
                                                     expected_version=self.loaded.version)
        except ValidationError as exc:
            self.set_service_errors(exc.errors)
            return
        except NominalCodeTaken as exc:
            same = "" if exc.existing == exc.code else f" (as {exc.existing})"
            self.set_service_errors([FieldError("code", f"already exists{same}")])
            self.fields["code"].widget.setFocus()
            return
        except ConflictError as exc:
            self.banner.show_message(
                f"{exc}\nReload shows the code as it is now (the changes in this form are then lost).", "warning")
            self.reload_button.setFocus()
            return
        except NotFound as exc:
            messages.show_error(self, exc)
            self.reject()
            return
        self.saved = result
        self.accept()

    def reload(self) -> None:
        assert self.loaded is not None
        if self.changed_values() and not messages.ask(
            self, "Reload nominal code",
            f"Reload {self.loaded.label} as it is now? The changes you made in this form will be lost.", "Reload",
        ):
            return
        try:
            with self.db.read() as session:
                row = svc.get_nominal_code(session, self.loaded.id)
        except Exception as exc:  # noqa: BLE001 - gone meanwhile, or the store is unreachable
            messages.show_error(self, exc)
            return
        self.banner.hide()
        self._service_errors.clear()
        self.reveal_all = False
        self._load(row)
        self.validate()
        self.fields["code"].widget.setFocus()


# --- the mapping settings -------------------------------------------------------------------------


class MappingPanel(QGroupBox):
    """A code picker per mapping setting; Save writes the changed ones in one transaction."""

    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Mapping settings", parent)
        layout = QVBoxLayout(self)
        intro = QLabel("The code each kind of amount posts to. A code a setting uses cannot be deleted.")
        intro.setWordWrap(True)
        intro.setStyleSheet(MUTED_STYLE)
        layout.addWidget(intro)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        self.combos: dict[str, QComboBox] = {}
        self.loaded: dict[str, MappingSetting] = {}
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save ma&ppings")
        self.save_button.setToolTip("Write the changed mapping settings")
        self.save_button.clicked.connect(self.saveRequested)
        self.undo_button = QPushButton("&Undo changes")
        self.undo_button.setToolTip("Show the mapping settings as they are stored")
        self.undo_button.clicked.connect(self.undo)
        for b in (self.save_button, self.undo_button):
            b.setAutoDefault(False)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._codes: list[NominalCodeRow] = []
        self._update_buttons()

    def set_data(self, settings: Sequence[MappingSetting], codes: Sequence[NominalCodeRow], *,
                 keep_edits: bool = False) -> None:
        """Show `settings` with `codes` to pick from. `keep_edits`: a pick the clerk has not saved stays."""
        picks = {s: self.value(s) for s in self.combos} if keep_edits and self.dirty() else {}
        self.loaded = {s.setting: s for s in settings}
        self._codes = sorted(codes, key=lambda r: svc.natural_key(r.code))
        for s in settings:
            combo = self.combos.get(s.setting)
            if combo is None:
                combo = QComboBox()
                combo.setAccessibleName(f"{s.label} mapping")
                combo.setMinimumContentsLength(18)
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                combo.currentIndexChanged.connect(lambda _i: self._update_buttons())
                caption = QLabel(f"{s.label}:")
                caption.setBuddy(combo)
                self.form.addRow(caption, combo)
                self.combos[s.setting] = combo
            combo.blockSignals(True)
            try:
                combo.clear()
                combo.addItem(NOT_SET, None)
                for code in self._codes:
                    combo.addItem(f"{code.code} — {code.name}", code.id)
                wanted = picks.get(s.setting, s.nominal_code_id)
                index = combo.findData(wanted) if wanted is not None else 0
                combo.setCurrentIndex(max(index, 0))
            finally:
                combo.blockSignals(False)
        self._update_buttons()

    def value(self, setting: str) -> int | None:
        return self.combos[setting].currentData()

    def changes(self) -> dict[str, int | None]:
        return {s: self.value(s) for s, loaded in self.loaded.items()
                if s in self.combos and self.value(s) != loaded.nominal_code_id}

    def dirty(self) -> bool:
        return bool(self.changes())

    def pick(self, setting: str, code_id: int | None) -> None:
        combo = self.combos[setting]
        combo.setCurrentIndex(max(combo.findData(code_id) if code_id is not None else 0, 0))

    def undo(self) -> None:
        for setting, loaded in self.loaded.items():
            if setting in self.combos:
                self.pick(setting, loaded.nominal_code_id)

    def _update_buttons(self) -> None:
        dirty = self.dirty()
        self.save_button.setEnabled(dirty)
        self.undo_button.setEnabled(dirty)


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
