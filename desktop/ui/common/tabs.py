"""A tab bar that never hides a tab behind scroll arrows: tabs while they fit, else one drop-down list;
and the tab page that reads its data only while it is shown."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QMouseEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QMenu, QStyle, QStyleOptionComboBox, QStylePainter, QTabBar, QWidget


class ReadWhenShown(QWidget):
    """A tab page that reads from the store only while shown (a hidden tab of the detail pane costs the
    selection nothing): `read_soon()` reads now if the page is shown, else when it next is; `reload()`
    reads now. Subclasses implement `read()`."""

    def __init__(self, parent: QWidget | None = None, *, stale: bool = False):
        super().__init__(parent)
        self._stale = stale

    def read_soon(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        self._stale = False
        self.read()

    def read(self) -> None:
        raise NotImplementedError


def plain(text: str) -> str:
    """A tab's text without its mnemonic marker ("Hi&story" -> "History", "R&&D" -> "R&D")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class FittingTabBar(QTabBar):
    """Tabs while they all fit; when they do not, one drop-down naming the current tab that lists them all
    (no tab hidden behind scroll arrows). Mnemonics, Ctrl+Tab and the arrow keys work either way."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.listed = False
        self._room = 0
        self.setUsesScrollButtons(False)
        self.setExpanding(False)
        self.currentChanged.connect(lambda _i: self._relayout())

    def natural_width(self) -> int:
        return sum(super(FittingTabBar, self).tabSizeHint(i).width() for i in range(self.count()))

    def fit(self, room: int) -> None:
        listed = self.count() > 1 and self.natural_width() > room
        if listed != self.listed or (listed and room != self._room):
            self.listed, self._room = listed, room
            self._relayout()

    def _relayout(self) -> None:
        if self.count():  # QTabBar lays its tabs out again when a tab's text is set
            self.setTabText(0, self.tabText(0))
        self.updateGeometry()
        self.update()

    def tabSizeHint(self, index: int) -> QSize:  # noqa: N802
        hint = super().tabSizeHint(index)
        if not self.listed:
            return hint
        return QSize(max(self._room, 1) if index == self.currentIndex() else 0, hint.height())

    def minimumTabSizeHint(self, index: int) -> QSize:  # noqa: N802
        if not self.listed:
            return super().minimumTabSizeHint(index)
        return QSize(0, super().tabSizeHint(index).height())  # the list never holds its pane wider

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 120), hint.height()) if self.listed else hint

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self.listed:
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        option.initFrom(self)
        option.rect = QRect(0, 1, self._room, self.height() - 2)
        option.currentText = plain(self.tabText(self.currentIndex()))
        option.editable = False
        option.frame = True
        if self.hasFocus():
            option.state |= QStyle.StateFlag.State_HasFocus
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.listed and event.button() == Qt.MouseButton.LeftButton:
            self.show_list()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.listed and (event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F4)
                            or (event.key() == Qt.Key.Key_Down
                                and event.modifiers() & Qt.KeyboardModifier.AltModifier)):
            self.show_list()
            return
        super().keyPressEvent(event)

    def list_menu(self) -> QMenu:
        menu = QMenu(self)
        group = QActionGroup(menu)
        for i in range(self.count()):
            action = QAction(self.tabText(i), menu)
            action.setCheckable(True)
            action.setChecked(i == self.currentIndex())
            action.setEnabled(self.isTabEnabled(i))
            action.triggered.connect(lambda _checked=False, i=i: self.setCurrentIndex(i))
            group.addAction(action)
            menu.addAction(action)
        return menu

    def show_list(self) -> None:
        menu = self.list_menu()
        menu.setMinimumWidth(self._room)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.mapToGlobal(QPoint(0, self.height())))

