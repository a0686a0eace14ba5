"""The import preview's column mapping: file column → customer field, one combo box per column, a field given
by one column only. The mapping the clerk chooses is kept in the settings and applied to the next file with
the same headers."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QWidget,
)

from desktop.importing.mapping import FIELDS
from desktop.ui.importing.preview_models import MUTED_STYLE, TOOLTIP_VALUE, short_text




class _ComboGuard(QObject):
    """For the combo boxes of a scrolled list: the wheel changes one only when it has the focus (otherwise
    the wheel scrolls the list), and a combo box that gets the focus is scrolled into view."""

    def __init__(self, area: QScrollArea):
        super().__init__(area)
        self.area = area

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, QWidget):
            return False
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            event.ignore()
            return True
        if event.type() == QEvent.Type.FocusIn:
            self.area.ensureWidgetVisible(watched)
        return False


NOT_IMPORTED = "(not imported)"


class MappingEditor(QScrollArea):
    """File column → customer field, one combo box per column; a field is given by one column only."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its combo boxes
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.header: list[str] = []
        self.combos: list[QComboBox] = []
        self.examples: list[QLabel] = []
        self._guard = _ComboGuard(self)
        self._inner = QWidget()
        self._grid = QGridLayout(self._inner)
        self._grid.setContentsMargins(2, 2, 8, 2)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(4)
        self.setWidget(self._inner)

    def set_columns(self, header: Sequence[str], mapping: dict[int, str], sample: Sequence[str] = ()) -> None:
        """Show `header` with `mapping`; rebuilt only when the header is a new one."""
        if list(header) != self.header:
            self._rebuild(list(header))
        for i, combo in enumerate(self.combos):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(mapping.get(i, "")), 0))
            combo.blockSignals(False)
        self.set_sample(sample)

    def set_sample(self, sample: Sequence[str]) -> None:
        for i, label in enumerate(self.examples):
            text = sample[i].strip() if i < len(sample) else ""
            label.setText(short_text(text, 28))
            label.setToolTip(short_text(text, TOOLTIP_VALUE) if len(text) > 28 else "")

    def _rebuild(self, header: list[str]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.header = header
        self.combos, self.examples = [], []
        for column, title in enumerate(("File column", "First row", "Imported as")):
            label = QLabel(f"<b>{title}</b>")
            self._grid.addWidget(label, 0, column)
            label.show()
        for i, title in enumerate(header):
            name = QLabel(short_text(title, 40) or f"(column {i + 1}, no title)")
            name.setToolTip(title)
            example = QLabel()
            example.setStyleSheet(MUTED_STYLE)
            combo = QComboBox()
            combo.setAccessibleName(f"Import column {title or i + 1} as")
            combo.addItem(NOT_IMPORTED, "")
            for key, label in FIELDS.items():
                combo.addItem(label, key)
            combo.setMinimumContentsLength(14)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            combo.installEventFilter(self._guard)
            combo.currentIndexChanged.connect(lambda _i, c=i: self._picked(c))
            name.setBuddy(combo)
            for column, widget in enumerate((name, example, combo)):
                self._grid.addWidget(widget, i + 1, column)
                widget.show()  # at once (a layout would show it on the next turn of the event loop)
            self.combos.append(combo)
            self.examples.append(example)
        self._grid.setColumnStretch(0, 3)
        self._grid.setColumnStretch(1, 2)
        self._grid.setColumnStretch(2, 0)
        self._grid.setRowStretch(len(header) + 1, 1)

    def _picked(self, column: int) -> None:
        chosen = self.combos[column].currentData()
        if chosen:  # one column per field: the one that gave it before gives nothing now
            for i, combo in enumerate(self.combos):
                if i != column and combo.currentData() == chosen:
                    combo.blockSignals(True)
                    combo.setCurrentIndex(0)
                    combo.blockSignals(False)
        self.changed.emit()

    def mapping(self) -> dict[int, str]:
        return {i: c.currentData() for i, c in enumerate(self.combos) if c.currentData()}

    def set_field(self, column: int, field: str) -> None:
        """Map `column` to `field` ('' for nothing) as the clerk would (emits `changed`)."""
        combo = self.combos[column]
        combo.setCurrentIndex(combo.findData(field))

    def column_of(self, title: str) -> int:
        return self.header.index(title)

    def set_editable(self, enabled: bool) -> None:
        for combo in self.combos:
            combo.setEnabled(enabled)


# --- the dialog ------------------------------------------------------------------------------------
