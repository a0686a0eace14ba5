"""How a feature plugs into the main window: one small interface, and no section imports the window.

A `Section` is a feature's share of the workspace: a page in the navigation (optional), window-wide
actions, entries in the menu bar, a toolbar and a status-bar widget shown while its page is, tabs of the
customer detail pane. The window (desktop/ui/main_window.py) builds the sections that
desktop/ui/sections.py lists, in that order, and hands each one a `Host`: the few things a section may ask
of the window. A feature never reaches into another feature's widgets; what they share goes through the
host (open a customer, tell the customers that another section wrote them, add a customer tab).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QMimeData, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget

if TYPE_CHECKING:
    from desktop.services.customers import CustomerDetail
    from desktop.store.engine import Database
    from desktop.ui.common.settings import Settings
    from desktop.ui.common.workers import Workers

MenuItem = QAction | QMenu | None  # None: a separator


class Host(Protocol):
    """What the main window offers its sections."""

    db: Database
    settings: Settings
    workers: Workers

    @property
    def widget(self) -> QMainWindow:
        """The window: the parent of dialogs and the owner of window-wide shortcuts."""
        ...

    def show_message(self, text: str, timeout_ms: int = 10_000) -> None:
        """A message in the status bar, wherever the clerk is."""
        ...

    def show_section(self, title: str) -> QWidget:
        """Bring the section with this navigation title to the front; its page."""
        ...

    def open_customer(self, customer_id: int) -> None:
        """Show the Customers section with this customer selected (the filter is cleared if it hides it)."""
        ...

    def customers_changed(self) -> None:
        """Another section wrote customers (an import, an undo): the customer list is read again."""
        ...

    def current_customer(self) -> CustomerDetail | None:
        """The customer the detail pane shows, if one."""
        ...

    def add_customer_tab(self, widget: QWidget, title: str) -> None:
        """A tab of the customer detail pane; `widget.show_customer(detail | None)` is called on every change."""
        ...



class CustomerPlace(Protocol):
    """What the Customers section does for the others, through the host."""

    def show_customer(self, customer_id: int) -> bool: ...

    def refresh(self) -> None: ...

    def current_customer(self) -> CustomerDetail | None: ...

    def add_customer_tab(self, widget: QWidget, title: str) -> None: ...


class Section(QObject):
    """One feature in the window. Subclasses set what they contribute in `__init__`."""

    key = ""  # the window's name for it: window.parts[key]
    title = ""  # the navigation title, when the section has a page

    def __init__(self, host: Host):
        super().__init__(host.widget)
        self.host = host
        self.page: QWidget | None = None
        self.actions: dict[str, QAction] = {}  # window-wide actions, by name (window.actions_by_name)
        self.menus: list[tuple[str, list[MenuItem]]] = []  # (menu title, entries), merged by title in order
        self.toolbar: QToolBar | None = None  # shown while the page is
        self.status_widget: QWidget | None = None  # a permanent status-bar widget shown while the page is

    def sections_ready(self, actions: Mapping[str, QAction]) -> None:
        """Every section is built; `actions` are all the window-wide actions, by name."""

    def activated(self) -> None:
        """The page came to the front."""
        page_activated = getattr(self.page, "activated", None)
        if callable(page_activated):
            page_activated()

    def deactivated(self) -> None:
        """Another page came to the front."""

    def panes(self) -> list[QWidget]:
        """The page's parts that F6 moves the keyboard between, in order."""
        return [self.page] if self.page is not None else []

    def focus_first(self) -> None:
        """Where the keyboard goes when the page comes to the front (the page's first input)."""
        if self.page is not None:
            self.page.setFocus(Qt.FocusReason.OtherFocusReason)

    def reload(self) -> None:
        """What the page shows changed elsewhere."""
        page_reload = getattr(self.page, "reload", None)
        if callable(page_reload):
            page_reload()

    def accepts_drop(self, mime: QMimeData | None) -> bool:
        """Whether a drop of `mime` onto the window is for this section."""
        return False

    def drop(self, mime: QMimeData | None) -> None:
        """`mime` was dropped onto the window (after `accepts_drop` said yes)."""

    def save_state(self) -> None:
        """The window is closing or saving its layout: keep what the clerk arranged."""

    def closing(self) -> None:
        """The window is about to close: stop or finish background work."""
