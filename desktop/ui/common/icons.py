"""The one place icons come from: lucide action icons that follow the palette, and the application icon.

The files live in the top-level `resources/` folder (in a PyInstaller bundle, `<_MEIPASS>/resources`):
`icons/actions/<lucide name>.svg` drawn with `currentColor`, and `icons/app/customer-desk[-<N>].{svg,png}`.
`icon(name)` returns a QIcon whose engine paints the SVG in the application palette's text colour at
paint time, at the target's device pixel ratio, so a theme change or a 2x screen needs nothing more.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
    QPixmapCache,
)
from PySide6.QtSvg import QSvgRenderer
from shiboken6 import Shiboken

APP_ICON_NAME = "customer-desk"
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
_AVAILABLE_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)  # what a vector icon offers to those who ask
# PySide6 leaves the engine that a Python clone() returns owned by Python, which frees it at once: keep
# each clone here until the QIcon that holds it deletes it (the wrapper then turns invalid).
_clones: list[QIconEngine] = []


def resources_dir() -> Path:
    """The `resources/` folder: inside the PyInstaller bundle if frozen, else at the repository root."""
    bundle = getattr(sys, "_MEIPASS", None)
    base = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    folder = base / "resources"
    if not folder.is_dir():
        raise FileNotFoundError(f"Customer Desk's resources folder is missing: {folder}")
    return folder


def _actions_dir() -> Path:
    return resources_dir() / "icons" / "actions"


ICON_NAMES: frozenset[str] = frozenset(path.stem for path in _actions_dir().glob("*.svg"))

# Window-wide actions (window.actions_by_name) -> their icon, after the usual desktop conventions. Bulk
# "… all matching" entries share the icon of their one-customer action.
ACTION_ICONS: dict[str, str] = {
    "new": "user-plus", "edit": "pencil", "archive": "archive", "unarchive": "archive-restore",
    "delete": "trash-2", "archive_all": "archive", "unarchive_all": "archive-restore", "delete_all": "trash-2",
    "refresh": "refresh-cw", "find": "search", "find_match": "user-search", "reset_columns": "columns-3",
    "order": "shopping-cart", "payment": "banknote", "fulfil": "package-check", "credit": "receipt",
    "allocate": "link", "starshipit_settings": "settings", "import": "import", "quit": "log-out",
    "about": "info", "store_settings": "settings",
}
# Sections (Section.key) -> their icon in the navigation.
SECTION_ICONS: dict[str, str] = {
    "customers": "users", "money": "wallet", "nominal_codes": "book-open", "shipping": "truck",
    "importing": "history",
}


@cache
def _svg(name: str) -> bytes:
    if name not in ICON_NAMES:
        raise KeyError(f"no action icon named {name!r} in {_actions_dir()}")
    return (_actions_dir() / f"{name}.svg").read_bytes()


def _colour(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)


class PaletteIconEngine(QIconEngine):
    """Paints one lucide SVG with `currentColor` set to the palette's colour for the mode, when asked."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._data = _svg(name)  # KeyError now, not at the first paint

    def key(self) -> str:
        return "PaletteIconEngine"

    def iconName(self) -> str:
        return self._name

    def isNull(self) -> bool:
        return False

    def clone(self) -> QIconEngine:
        _clones[:] = [engine for engine in _clones if Shiboken.isValid(engine)]
        engine = PaletteIconEngine(self._name)
        _clones.append(engine)
        return engine

    def availableSizes(self, mode: QIcon.Mode = QIcon.Mode.Normal, state: QIcon.State = QIcon.State.Off) -> list[QSize]:
        return [QSize(side, side) for side in _AVAILABLE_SIZES]

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """`size` in logical pixels; the pixmap has size * scale device pixels and that pixel ratio."""
        scale = scale if scale > 0 else 1.0
        width, height = round(size.width() * scale), round(size.height() * scale)
        if width <= 0 or height <= 0:
            return QPixmap()
        colour = _colour(mode)
        cache_key = f"customer-desk-icon:{self._name}:{width}x{height}:{scale}:{colour.rgba():08x}"
        found = QPixmap()
        if QPixmapCache.find(cache_key, found):
            return found
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        renderer = QSvgRenderer(self._data.replace(b"currentColor", colour.name().encode()))
        side = min(width, height)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(colour.alphaF())
        renderer.render(painter, QRectF((width - side) / 2, (height - side) / 2, side, side))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        QPixmapCache.insert(cache_key, pixmap)
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatio() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))


def icon(name: str) -> QIcon:
    """The action icon `name` (a lucide name in ICON_NAMES); KeyError for any other name."""
    return QIcon(PaletteIconEngine(name))


def app_icon() -> QIcon:
    """The application icon: every PNG render, then the SVG for any other size."""
    folder = resources_dir() / "icons" / "app"
    result = QIcon()
    for side in APP_ICON_SIZES:
        result.addFile(str(folder / f"{APP_ICON_NAME}-{side}.png"), QSize(side, side))
    result.addFile(str(folder / f"{APP_ICON_NAME}.svg"))
    return result
