"""The import preview's item models: the rows table over the preview's `RowPlan`s (each cell is formatted
when it is painted: a 200,000-row file is one list, not 800,000 items), its status filter index, and the
financial alerts list. Labels and colours the preview shows live here too."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
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
from desktop.importing.plan_store import STATUS_CODE, PlanStore
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





class RowRole(IntEnum):
    Plan = Qt.ItemDataRole.UserRole + 1  # the RowPlan
    Status = Qt.ItemDataRole.UserRole + 2  # its Status
    HasAlert = Qt.ItemDataRole.UserRole + 3


ROW_COLUMNS = ("Row", "Status", "Customer", "What changes, or the problem")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class ImportRowsModel(QAbstractTableModel):
    """The preview's rows, filtered by status; each cell is formatted when asked for, nothing is cached.

    The rows are a `PlanStore` (off the heap; filters read its compact arrays), which may still grow while
    the preview runs: `grow()` shows the rows added since (the model's own counts change only there, on
    the GUI thread)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: PlanStore | None = None
        self._size = 0  # rows of the store shown so far
        self._shown: list[int] | None = None  # indexes into the store (None: every row)
        self._alerts = 0  # rows with a financial alert among the first _size
        self._counts: Counter[Status] = Counter()
        self._filter = "all"
        self._fields: dict[str, int] = {}  # field -> the file column giving it (for rows that failed)
        self.names: dict[str, dict[int, str]] = {}  # reference column -> id -> name

    # --- content ---------------------------------------------------------------------------------

    def set_preview(self, preview: Preview | None, names: dict[str, dict[int, str]] | None = None) -> None:
        """Show `preview`'s rows (a PlanStore), as many as it has so far."""
        self.beginResetModel()
        self._rows = preview.rows if preview is not None else None
        self._size = len(self._rows) if self._rows is not None else 0
        self._fields = {f: i for i, f in preview.mapping.items()} if preview is not None else {}
        self.names = names or {}
        self._count()
        self._shown = self._select(self._filter, 0, self._size)
        self.endResetModel()

    def grow(self) -> bool:
        """Show the rows the store gained since; True if there were any."""
        rows = self._rows
        if rows is None or len(rows) == self._size:
            return False
        old, new = self._size, len(rows)
        added = self._select(self._filter, old, new)
        if added is None:
            self.beginInsertRows(QModelIndex(), old, new - 1)
            self._size = new
            self._count()
            self.endInsertRows()
        elif added:
            assert self._shown is not None
            at = len(self._shown)
            self.beginInsertRows(QModelIndex(), at, at + len(added) - 1)
            self._shown.extend(added)
            self._size = new
            self._count()
            self.endInsertRows()
        else:
            self._size = new
            self._count()
        return True

    def _count(self) -> None:
        rows, size = self._rows, self._size
        if rows is None:
            self._counts, self._alerts = Counter(), 0
            return
        self._counts = Counter({status: rows.statuses.count(code, 0, size) for status, code in STATUS_CODE.items()})
        self._alerts = bisect_left(rows.alert_rows, size)

    def set_filter(self, key: str) -> None:
        if key == self._filter:
            return
        self.beginResetModel()
        self._filter = key
        self._shown = self._select(key, 0, self._size)
        self.endResetModel()

    @property
    def filter(self) -> str:
        return self._filter

    @property
    def rows(self) -> PlanStore | None:
        """The store shown."""
        return self._rows

    def _select(self, key: str, start: int, stop: int) -> list[int] | None:
        """The store's indexes from start to stop the filter `key` shows (None: all of them)."""
        if key == "all":
            return None
        rows = self._rows
        if rows is None:
            return []
        if key == "alert":
            alert_rows = rows.alert_rows
            return list(alert_rows[bisect_left(alert_rows, start):bisect_left(alert_rows, stop)])
        return rows.indexes_of(FILTER_STATUS[key], start, stop)

    def count(self, key: str) -> int:
        """Rows the filter `key` shows."""
        if key == "all":
            return self._size
        if key == "alert":
            return self._alerts
        return self._counts.get(FILTER_STATUS[key], 0)

    def alerts(self) -> list[tuple[int, str]]:
        """(file row, text) of each financial alert among the rows shown so far."""
        if self._rows is None or not self._size:
            return []
        last = self._rows.file_rows[self._size - 1]
        alerts = self._rows.alerts
        return alerts[:bisect_right(alerts, last, key=lambda a: a[0])]

    def plan(self, row: int) -> RowPlan:
        assert self._rows is not None
        return self._rows[row if self._shown is None else self._shown[row]]

    def row_of(self, file_row: int) -> int | None:
        """The table row showing the file's row `file_row`, under the current filter."""
        if self._rows is None:
            return None
        file_rows = self._rows.file_rows
        at = bisect_left(file_rows, file_row, 0, self._size)
        if at >= self._size or file_rows[at] != file_row:
            return None
        if self._shown is None:
            return at
        found = bisect_left(self._shown, at)
        return found if found < len(self._shown) and self._shown[found] == at else None

    # --- Qt --------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return self._size if self._shown is None else len(self._shown)

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
        """(file row, text) of each alert, as `ImportRowsModel.alerts()` lists them."""
        self.beginResetModel()
        self._alerts = list(alerts)
        self.endResetModel()

    @property
    def alerts(self) -> list[tuple[int, str]]:
        return self._alerts

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
