"""The search box of a section's table: a clear button, Ctrl+F anywhere in its section, and the search
applied a moment after the last key (or at once on Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QWidget

MAX_SEARCH = 200


class SearchBox(QLineEdit):
    """`applied(text)` once typing pauses for `delay_ms`, or on Enter; `find_action` (Ctrl+F) is added to
    `owner` and works while the focus is anywhere in it."""

    applied = Signal(str)

    def __init__(self, owner: QWidget, placeholder: str, accessible_name: str, *, delay_ms: int = 150,
                 action_text: str = "Search"):
        super().__init__(owner)
        self.setPlaceholderText(f"{placeholder}  (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self.setMaxLength(MAX_SEARCH)
        self.setAccessibleName(accessible_name)
        self._debounce = QTimer(self, singleShot=True, interval=delay_ms)
        self._debounce.timeout.connect(self.apply)
        self.textChanged.connect(lambda _t: self._debounce.start())
        self.returnPressed.connect(self.apply)
        find = QAction(action_text, owner)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.focus_and_select)
        owner.addAction(find)
        self.find_action = find

    @property
    def pending(self) -> bool:
        return self._debounce.isActive()

    def focus_and_select(self) -> None:
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def apply(self) -> None:
        self._debounce.stop()
        self.applied.emit(self.text())

    def stop(self) -> None:
        """The search is being applied by its owner now: no need for the pending one."""
        self._debounce.stop()
