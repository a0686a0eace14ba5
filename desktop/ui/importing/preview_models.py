"""The import preview's item models: the rows table over the preview's `RowPlan`s (each cell is formatted
when it is painted: a 200,000-row file is one list, not 800,000 items), its status filter index, and the
financial alerts list. Labels and colours the preview shows live here too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.importing import plan as imp_plan
from desktop.importing.plan import Kind, Preview, RowPlan, Status
from desktop.ui.common import messages
from desktop.ui.common.colours import row_colours, text_colour


Index = QModelIndex | QPersistentModelIndex


SHOWN_VALUE = 60  # characters of one value shown in the rows table (the tooltip shows more)
TOOLTIP_VALUE = 300
MUTED_STYLE = "color: palette(placeholder-text);"

DELIMITER_LABELS = {",": "Comma (,)", ";": "Semicolon (;)", "\t": "Tab", "|": "Pipe (|)"}
STATUS_LABELS = {
    Status.CREATE: "Create", Status.UPDATE: "Update", Status.UNCHANGED: "Unchanged",
    Status.SAME_AS: "Same customer", Status.DUPLICATE: "Possible duplicate", Status.ERROR: "Error",
}
# Row filters: key -> tab title. "alert" is any row with a financial alert, whatever its status.
FILTERS: tuple[tuple[str, str], ...] = (
    ("all", "All"), ("create", "Create"), ("update", "Update"), ("unchanged", "Unchanged"),
    ("same", "Same customer"), ("duplicate", "Duplicates"), ("error", "Errors"), ("alert", "Alerts"),
)
FILTER_STATUS = {"create": Status.CREATE, "update": Status.UPDATE, "unchanged": Status.UNCHANGED,
                 "same": Status.SAME_AS, "duplicate": Status.DUPLICATE, "error": Status.ERROR}
# The status column's colour kind (desktop.ui.common.colours: readable in light and dark palettes); rows
# that need the clerk's eye are tinted, with their text set to read on the tint.
STATUS_TEXT = {Status.CREATE: "ok", Status.UPDATE: "info", Status.ERROR: "error", Status.DUPLICATE: "warning",
               Status.SAME_AS: "muted", Status.UNCHANGED: "muted"}
SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("rows", "Rows read"), ("create", "To create"), ("update", "To update"), ("unchanged", "Unchanged"),
    ("same_as", "Same customer as an earlier row"), ("duplicates", "Possible duplicates"),
    ("errors", "With errors"), ("alerts", "Financial alerts"),
)
REFERENCE_COLUMNS = {column: model for model, column, _what in imp_plan.REFERENCES.values()}
REFERENCE_LABELS = {"default_sales_rep_id": "Sales rep", "product_pricing_tier_id": "Pricing tier",
                    "store_id": "Store", "warehouse_id": "Warehouse"}


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def _field_label(name: str) -> str:
    return REFERENCE_LABELS.get(name) or messages.field_label(name)


def short_text(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # a multi-line note reads on one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- dropped files ---------------------------------------------------------------------------------





@dataclass
class RowsIndex:
    """One pass over a preview's rows: how many of each status, which rows have financial alerts, and the
    alerts' lines."""

    counts: Counter[Status] = field(default_factory=Counter)
    alert_rows: list[int] = field(default_factory=list)  # indexes into the rows
    alerts: list[tuple[int, str]] = field(default_factory=list)  # (file row, 'Row 12 · Pricing tier: …')


def index_rows(rows: Sequence[RowPlan]) -> RowsIndex:
    index = RowsIndex()
    index.counts.update(p.status for p in rows)
    for n, p in enumerate(rows):
        if not p.issues:
            continue
        alerts = [i for i in p.issues if i.kind is Kind.ALERT]
        if alerts:
            index.alert_rows.append(n)
            for issue in alerts:
                text = f"{issue.column}: {issue.message}" if issue.column else issue.message
                index.alerts.append((p.row, f"Row {p.row}  ·  {text[:1].upper()}{text[1:]}"))
    return index


class RowRole(IntEnum):
    Plan = Qt.ItemDataRole.UserRole + 1  # the RowPlan
    Status = Qt.ItemDataRole.UserRole + 2  # its Status
    HasAlert = Qt.ItemDataRole.UserRole + 3


ROW_COLUMNS = ("Row", "Status", "Customer", "What changes, or the problem")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class ImportRowsModel(QAbstractTableModel):
    """The preview's rows, filtered by status; each cell is formatted when asked for, nothing is cached."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[RowPlan] = []
        self._shown: list[int] | None = None  # indexes into _rows (None: every row)
        self._alerts: list[int] = []  # rows with a financial alert
        self._counts: Counter[Status] = Counter()
        self._filter = "all"
        self._fields: dict[str, int] = {}  # field -> the file column giving it (for rows that failed)
        self.names: dict[str, dict[int, str]] = {}  # reference column -> id -> name

    # --- content ---------------------------------------------------------------------------------

    def set_preview(self, preview: Preview | None, names: dict[str, dict[int, str]] | None = None,
                    index: RowsIndex | None = None) -> None:
        """Show `preview`'s rows; `index` (made off the GUI thread for a big file) saves a pass over them."""
        self.beginResetModel()
        self._rows = preview.rows if preview is not None else []
        self._fields = {f: i for i, f in preview.mapping.items()} if preview is not None else {}
        self.names = names or {}
        index = index if index is not None else index_rows(self._rows)
        self._alerts, self._counts = index.alert_rows, index.counts
        self._shown = self._select(self._filter)
        self.endResetModel()

    def set_filter(self, key: str) -> None:
        if key == self._filter:
            return
        self.beginResetModel()
        self._filter = key
        self._shown = self._select(key)
        self.endResetModel()

    @property
    def filter(self) -> str:
        return self._filter

    def _select(self, key: str) -> list[int] | None:
        if key == "all":
            return None
        if key == "alert":
            return self._alerts
        status = FILTER_STATUS[key]
        return [i for i, p in enumerate(self._rows) if p.status is status]

    def count(self, key: str) -> int:
        """Rows the filter `key` shows."""
        if key == "all":
            return len(self._rows)
        if key == "alert":
            return len(self._alerts)
        return self._counts.get(FILTER_STATUS[key], 0)

    def plan(self, row: int) -> RowPlan:
        return self._rows[row if self._shown is None else self._shown[row]]

    def row_of(self, file_row: int) -> int | None:
        """The table row showing the file's row `file_row`, under the current filter."""
        for n in range(self.rowCount()):
            if self.plan(n).row == file_row:
                return n
        return None

    # --- Qt --------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return len(self._rows) if self._shown is None else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ROW_COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(ROW_COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return ROW_COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(_RIGHT if section == 0 else _LEFT)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        p = self.plan(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(p.row)
            if column == 1:
                return STATUS_LABELS[p.status]
            if column == 2:
                return self.who(p)
            return "  ·  ".join(self.details(p, SHOWN_VALUE))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3:
                return "\n".join(self.details(p, TOOLTIP_VALUE))
            if column == 2:
                return self.who(p)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if column == 0 else _LEFT)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            colours = self._colours(p)
            if colours is not None:
                if role == Qt.ItemDataRole.BackgroundRole:
                    return QBrush(colours[0])
                if column == 1:
                    return QBrush(text_colour(STATUS_TEXT[p.status], on=colours[0]))
                return QBrush(colours[1])
            if role == Qt.ItemDataRole.ForegroundRole and column == 1:
                return QBrush(text_colour(STATUS_TEXT[p.status]))
            return None
        if role == Qt.ItemDataRole.FontRole and column == 1 and p.status is Status.ERROR:
            font = QFont()
            font.setBold(True)
            return font
        if role == RowRole.Plan:
            return p
        if role == RowRole.Status:
            return p.status
        if role == RowRole.HasAlert:
            return any(i.kind is Kind.ALERT for i in p.issues)
        return None

    # --- formatting ------------------------------------------------------------------------------

    def _colours(self, p: RowPlan) -> tuple[QColor, QColor] | None:
        if p.status is Status.ERROR:
            return row_colours("error")
        if any(i.kind is Kind.ALERT for i in p.issues):
            return row_colours("warning")
        if p.status is Status.DUPLICATE:
            return row_colours("duplicate")
        return None

    def _cell(self, p: RowPlan, f: str) -> str:
        index = self._fields.get(f)
        if p.record is None or index is None or index >= len(p.record.values):
            return ""
        return p.record.values[index].strip()

    def who(self, p: RowPlan) -> str:
        name = p.values.get("name")
        if not name:  # a row that failed validation: what the file says
            name = (self._cell(p, "name")
                    or " ".join(x for x in (self._cell(p, "first_name"), self._cell(p, "last_name")) if x)
                    or self._cell(p, "company") or self._cell(p, "email"))
        name = short_text(name, SHOWN_VALUE) or "(no name)"
        if p.customer_id is not None and p.status in (Status.UPDATE, Status.UNCHANGED):
            return f"{name} (id {p.customer_id})"
        return name

    def value(self, f: str, value: Any, limit: int) -> str:
        if value is None or value == "":
            return "(empty)"
        if f in REFERENCE_COLUMNS:
            return short_text(self.names.get(f, {}).get(value, f"id {value}"), limit)
        return short_text(value, limit)

    def details(self, p: RowPlan, limit: int) -> list[str]:
        """The row's problems first (errors, alerts, warnings), then what it changes or creates."""
        parts: list[str] = []
        order = {Kind.ERROR: 0, Kind.ALERT: 1, Kind.WARNING: 2}
        for issue in sorted(p.issues, key=lambda i: order[i.kind]):
            text = f"{issue.column}: {issue.message}" if issue.column else issue.message
            text = text[0].upper() + text[1:] if text else text
            parts.append(f"Financial alert: {text}" if issue.kind is Kind.ALERT else text)
        if p.status is Status.UPDATE:
            parts.extend(f"{_field_label(f)}: {self.value(f, before, limit)} → {self.value(f, after, limit)}"
                         for f, (before, after) in p.changes.items())
        elif p.status is Status.UNCHANGED and not parts:
            parts.append("No changes")
        elif p.status is Status.CREATE:
            v = p.values
            place = ", ".join(short_text(x, limit) for x in (v.get("address1"), v.get("city"), v.get("zip"),
                                                          v.get("country_code") or v.get("country")) if x)
            new = [x for x in (short_text(v.get("email"), limit), place) if x]
            parts.append("New customer" + (": " + " · ".join(new) if new else ""))
        return parts


class AlertsModel(QAbstractListModel):
    """The financial alerts of a preview, one line each: 'Row 12 · Pricing tier: changes …'."""

    FileRowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._alerts: list[tuple[int, str]] = []

    def set_alerts(self, alerts: Sequence[tuple[int, str]]) -> None:
        """(file row, text) of each alert, as `index_rows` lists them."""
        self.beginResetModel()
        self._alerts = list(alerts)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._alerts)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._alerts):
            return None
        row, text = self._alerts[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return text
        if role == self.FileRowRole:
            return row
        return None

    def texts(self) -> list[str]:
        return [t for _r, t in self._alerts]


# --- the column mapping ----------------------------------------------------------------------------
