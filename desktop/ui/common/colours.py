"""Status colours that read in any palette: one helper for every screen (errors, warnings, success, info,
muted text, and the tinted backgrounds of rows and banners).

Each kind has a shade for light palettes and one for dark ones; the shade is then nudged, if need be, until
its contrast with the palette's own background is at least 4.5:1 (WCAG AA for text), so a high-contrast or
unusual theme still reads. Colours are worked out when they are painted, from the application's palette
of that moment, never fixed at import.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

MIN_CONTRAST = 4.5
TEXT = {  # kind: (on a light palette, on a dark one)
    "error": ("#a4262c", "#ff9a9a"),
    "warning": ("#7a4d00", "#ffcc70"),
    "ok": ("#1b5e20", "#86e08f"),
    "info": ("#0b4f8a", "#9ccaff"),
    "muted": ("#5c5c5c", "#b0b0b0"),
}
BACKGROUND = {  # kind: (light, dark) tints for a row or a banner
    "error": ("#fde7e9", "#4a1f24"),
    "warning": ("#fff4ce", "#4a3b12"),
    "info": ("#e5f1fb", "#16324d"),
    "duplicate": ("#eef1f5", "#2b3440"),
}
BANNER_TEXT = {"error": ("#5a0a0f", "#ffd6d9"), "warning": ("#3b2f00", "#ffeeb8"), "info": ("#0b2a45", "#d6ebff"),
               "duplicate": ("#26323f", "#dde6f0")}


def _palette(palette: QPalette | None) -> QPalette:
    if palette is not None:
        return palette
    app = QGuiApplication.instance()
    return QGuiApplication.palette() if app is not None else QPalette()


def is_dark(palette: QPalette | None = None) -> bool:
    return _palette(palette).color(QPalette.ColorRole.Base).lightness() < 128


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(colour: QColor, against: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """`colour`, darkened (on a light background) or lightened (on a dark one) until it reads."""
    out = QColor(colour)
    dark_background = luminance(against) < 0.18
    for _ in range(40):
        if contrast(out, against) >= minimum:
            return out
        out = out.lighter(112) if dark_background else out.darker(112)
        if dark_background and out.lightness() >= 250:
            return QColor("#ffffff")
        if not dark_background and out.lightness() <= 5:
            return QColor("#000000")
    return QColor("#ffffff") if dark_background else QColor("#000000")


def text_colour(kind: str, palette: QPalette | None = None, *, on: QColor | None = None) -> QColor:
    """The text colour of a status `kind` for the palette (against its Base, or `on`)."""
    p = _palette(palette)
    light, dark = TEXT[kind]
    background = on or p.color(QPalette.ColorRole.Base)
    return readable(QColor(dark if is_dark(p) else light), background)


def background_colour(kind: str, palette: QPalette | None = None) -> QColor:
    light, dark = BACKGROUND[kind]
    return QColor(dark if is_dark(palette) else light)


def row_colours(kind: str, palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """(background, text) of a tinted row: the text reads on the tint."""
    p = _palette(palette)
    background = background_colour(kind, p)
    light, dark = BANNER_TEXT[kind]
    return background, readable(QColor(dark if is_dark(p) else light), background)


def text_style(kind: str, *, bold: bool = False) -> str:
    """A style sheet fragment for a label in a status colour."""
    return f"color: {text_colour(kind).name()};" + (" font-weight: bold;" if bold else "")


def banner_style(kind: str) -> str:
    background, text = row_colours(kind)
    border = text.lighter(160) if not is_dark() else text.darker(200)
    return f"background: {background.name()}; color: {text.name()}; border: 1px solid {border.name()};"
