"""The window: the navigation, a page per section, the menu bar, the status bar and Help → About. What each
section shows and does lives in its own package (desktop/ui/sections.py lists them); the window only
hosts them (desktop/ui/common/section.py: the interface between the two)."""

from __future__ import annotations

import logging
from typing import cast

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from desktop import __version__
from desktop.services.customers import CustomerDetail
from desktop.store.engine import Database
from desktop.ui.common import settings as opt
from desktop.ui.common.icons import ACTION_ICONS, SECTION_ICONS, app_icon, icon
from desktop.ui.common.section import CustomerPlace, MenuItem, Section
from desktop.ui.common.store_settings import StoreDialog
from desktop.ui.common.workers import Workers, busy_hook, busy_signals
from desktop.ui.sections import SECTIONS

log = logging.getLogger("desktop.ui")

WINDOW_SIZE = (1360, 800)  # the first time, on a screen that has room for it


def initial_size() -> QSize:
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(*WINDOW_SIZE)
    room = screen.availableGeometry()
    return QSize(min(WINDOW_SIZE[0], int(room.width() * 0.95)), min(WINDOW_SIZE[1], int(room.height() * 0.9)))


class MainWindow(QMainWindow):
    """Hosts the sections (it is their `Host`): navigation on the left, the current section's page, its
    toolbar and status, and the menus every section contributes to."""

    def __init__(self, db: Database, settings: opt.Settings | None = None, workers: Workers | None = None):
        super().__init__()
        self.db = db
        self.settings = settings or opt.Settings()
        self.workers = workers or Workers()
        self.about_box: QMessageBox | None = None
        if db.on_busy is None:  # a write that waits for another program says so in the status bar
            db.on_busy = busy_hook
        busy_signals.waiting.connect(self._store_busy)
        self.setWindowTitle(f"Customer Desk — {db.location}")
        self.setWindowIcon(app_icon())
        self.resize(initial_size())

        self.nav = QListWidget()
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        self.nav.setAccessibleName("Sections")
        self.pages = QStackedWidget()
        self.sections: dict[str, QWidget] = {}  # navigation title -> page
        self._paged: list[Section] = []  # the sections with a page, in navigation order
        outer = QWidget()
        row = QHBoxLayout(outer)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(outer)
        self.setAcceptDrops(True)  # a CSV or workbook dropped anywhere on the window opens the import preview

        self.actions_by_name: dict[str, QAction] = {}
        self.parts: dict[str, Section] = {}
        for section_class in SECTIONS:
            self._add(section_class(self))
        self._own_actions()
        for name, action in self.actions_by_name.items():
            if name in ACTION_ICONS and action.icon().isNull():
                action.setIcon(icon(ACTION_ICONS[name]))
        for section in self.parts.values():
            section.sections_ready(self.actions_by_name)
        self._fit_nav()
        self._build_menus()
        self._restore()
        self.nav.currentRowChanged.connect(self._show_page)
        self._current: Section | None = None
        self._shown_once = False
        self.nav.setCurrentRow(0)

    # --- the sections ---------------------------------------------------------------------------

    def _add(self, section: Section) -> None:
        if section.key in self.parts:
            raise ValueError(f"two sections are called {section.key!r}")
        self.parts[section.key] = section
        for name, action in section.actions.items():
            if name in self.actions_by_name:
                raise ValueError(f"two sections define the action {name!r}")
            self.actions_by_name[name] = action
        if section.page is not None:
            self.nav.addItem(section.title)
            if section.key in SECTION_ICONS:
                self.nav.item(self.nav.count() - 1).setIcon(icon(SECTION_ICONS[section.key]))
            self.pages.addWidget(section.page)
            self.sections[section.title] = section.page
            self._paged.append(section)
        if section.toolbar is not None:
            section.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.addToolBar(Qt.ToolBarArea.TopToolBarArea, section.toolbar)
            section.toolbar.setVisible(False)
        if section.status_widget is not None:
            self.statusBar().addPermanentWidget(section.status_widget)
            section.status_widget.setVisible(False)

    @property
    def customers(self) -> CustomerPlace:
        return cast(CustomerPlace, self.parts["customers"])

    def _fit_nav(self) -> None:
        """As wide as its longest title with its icon (at any font and scale), never wider than needed."""
        widths = [self.nav.sizeHintForColumn(0)] + [
            self.nav.fontMetrics().horizontalAdvance(self.nav.item(i).text()) + self.nav.iconSize().width() + 16
            for i in range(self.nav.count())]
        self.nav.setFixedWidth(max(widths) + 2 * self.nav.frameWidth() + 12)

    def show_section(self, title: str) -> QWidget:
        self.nav.setCurrentRow(list(self.sections).index(title))
        return self.sections[title]

    def go_to(self, title: str) -> None:
        """A section by its shortcut: its page in front, the keyboard in its first input."""
        self.show_section(title)
        if self._current is not None:
            self._current.focus_first()

    def cycle_pane(self, step: int = 1) -> None:
        """F6 / Shift+F6: the keyboard to the next (previous) part of the window: the sections list, then
        the parts of the page (customers: search, table, detail pane)."""
        panes = [self.nav, *(self._current.panes() if self._current is not None else [])]
        panes = [p for p in panes if p.isVisible()]
        if not panes:
            return
        focused = QApplication.focusWidget()
        at = next((i for i, p in enumerate(panes) if focused is p or (focused is not None and p.isAncestorOf(focused))),
                  -1)
        target = panes[(at + step) % len(panes)]
        first = _first_input(target)
        (first or target).setFocus(Qt.FocusReason.TabFocusReason)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:  # at start the keyboard is in the first page's input (the search)
            self._shown_once = True
            if self._current is not None:
                self._current.focus_first()

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        section = self._paged[row]
        if self._current is not None and self._current is not section:
            self._current.deactivated()
        self.pages.setCurrentIndex(row)
        for other in self._paged:
            if other.toolbar is not None:
                other.toolbar.setVisible(other is section)
            if other.status_widget is not None:
                other.status_widget.setVisible(other is section)
        self._current = section
        section.activated()

    # --- what the sections may ask (Host) -------------------------------------------------------

    @property
    def widget(self) -> QMainWindow:
        return self

    def show_message(self, text: str, timeout_ms: int = 10_000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def open_customer(self, customer_id: int) -> None:
        self.show_section("Customers")
        self.customers.show_customer(customer_id)

    def show_customer(self, customer_id: int) -> bool:
        """Select `customer_id` in the customer table (see Customers.show_customer)."""
        return self.customers.show_customer(customer_id)

    def customers_changed(self) -> None:
        self.customers.refresh()

    def current_customer(self) -> CustomerDetail | None:
        return self.customers.current_customer()

    def add_customer_tab(self, widget: QWidget, title: str) -> None:
        self.customers.add_customer_tab(widget, title)

    # --- menus ----------------------------------------------------------------------------------

    def _own_actions(self) -> None:
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        quit_action.setToolTip("Quit")
        quit_action.triggered.connect(self.close)
        store = QAction("&Store…", self)
        store.setToolTip("Which store Customer Desk opens, and how long a change waits for a busy one")
        store.triggered.connect(self.show_store_settings)
        self.actions_by_name["store_settings"] = store
        self.addAction(store)
        about = QAction("&About Customer Desk", self)
        about.setToolTip("About Customer Desk")
        about.triggered.connect(self.show_about)
        for action in (quit_action, about):
            self.addAction(action)
        self.actions_by_name["quit"] = quit_action
        self.actions_by_name["about"] = about
        for name, text, key, step in (("next_pane", "Next pane", "F6", 1), ("previous_pane", "Previous pane",
                                                                           "Shift+F6", -1)):
            move = QAction(text, self)
            move.setShortcut(QKeySequence(key))
            move.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            move.triggered.connect(lambda _checked=False, d=step: self.cycle_pane(d))
            self.addAction(move)
            self.actions_by_name[name] = move
        self.goto_actions: list[QAction] = []
        for n, title in enumerate(self.sections, 1):  # Ctrl+1 … Ctrl+9: straight to a section
            if n > 9:
                break
            go = QAction(f"Go to {title}", self)
            go.setShortcut(QKeySequence(f"Ctrl+{n}"))
            go.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            go.triggered.connect(lambda _checked=False, t=title: self.go_to(t))
            self.addAction(go)
            self.goto_actions.append(go)

    def _build_menus(self) -> None:
        """The menu bar: every section's entries merged by menu title, in the order they first appear;
        File ends with Quit, Help comes last."""
        a = self.actions_by_name
        merged: dict[str, list[MenuItem]] = {"&File": []}
        for section in self.parts.values():
            for title, items in section.menus:
                merged.setdefault(title, []).extend(items)
        merged["&File"] += [None, a["store_settings"], None, a["quit"]]
        view = merged.setdefault("&View", [])
        merged["&View"] = [*view, *([None] if view else []), *self.goto_actions, None, a["next_pane"],
                           a["previous_pane"]]
        merged["&Help"] = [a["about"]]
        for title, items in merged.items():
            menu = self.menuBar().addMenu(title)
            for item in items:
                if item is None:
                    menu.addSeparator()
                elif isinstance(item, QMenu):
                    menu.addMenu(item)
                else:
                    menu.addAction(item)

    # --- drops (a file onto the window) ---------------------------------------------------------

    def _drop_target(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> Section | None:
        mime = event.mimeData()
        return next((s for s in self.parts.values() if s.accepts_drop(mime)), None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._drop_target(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._drop_target(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        target = self._drop_target(event)
        if target is None:
            event.ignore()
            return
        event.acceptProposedAction()
        target.drop(event.mimeData())

    # --- state ----------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.get(opt.WINDOW_GEOMETRY)
        if geometry and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.get(opt.WINDOW_STATE)
        if state and not state.isEmpty():
            self.restoreState(state)

    def save_state(self) -> None:
        s = self.settings
        s.set(opt.WINDOW_GEOMETRY, self.saveGeometry())
        s.set(opt.WINDOW_STATE, self.saveState())
        for section in self.parts.values():
            section.save_state()
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        for section in self.parts.values():
            section.closing()
        self.save_state()
        super().closeEvent(event)

    # --- help -----------------------------------------------------------------------------------

    def about_text(self) -> str:
        from desktop import logs

        return (f"<h3>Customer Desk {__version__}</h3>"
                f"<p>Keeps your company's customers and their addresses.</p>"
                f"<p><b>Database:</b> {_escape(self.db.location)} ({self.db.backend})<br>"
                f"<b>Log file:</b> {_escape(str(logs.log_file()))}</p>"
                f"<p><small>Icons: Lucide (lucide-static, ISC licence).</small></p>")

    def _store_busy(self, waited: float, limit: float) -> None:
        self.show_message(f"Waiting for the store: another program is writing to it ({waited:.0f} s of "
                          f"{_duration(limit)})… Cancel stops waiting.", 5_000)

    def show_store_settings(self) -> StoreDialog:
        dialog = StoreDialog(self.settings, self.workers, db=self.db, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.show_message(dialog.saved_message) if dialog.saved else None)
        dialog.open()
        return dialog

    def show_about(self) -> None:
        if self.about_box is None:
            self.about_box = QMessageBox(QMessageBox.Icon.Information, "About Customer Desk", "",
                                         QMessageBox.StandardButton.Ok, self)
            self.about_box.setIconPixmap(app_icon().pixmap(QSize(64, 64), self.devicePixelRatioF()))
            self.about_box.setWindowIcon(app_icon())
            self.about_box.setTextFormat(Qt.TextFormat.RichText)
            self.about_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about_box.setText(self.about_text())
        self.about_box.open()


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _first_input(pane: QWidget) -> QWidget | None:
    """The pane itself when it takes the keyboard, else its first widget in the Tab chain that does."""
    if pane.focusPolicy() & Qt.FocusPolicy.TabFocus and pane.isEnabled():
        return pane
    widget = pane.nextInFocusChain()
    while widget is not None and widget is not pane:
        if (pane.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            return widget
        widget = widget.nextInFocusChain()
    return None
