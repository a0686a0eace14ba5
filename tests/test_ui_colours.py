"""Status colours read in light, dark and high-contrast palettes: every text colour has a contrast of at
least 4.5:1 with the palette's background, and with the tinted rows it is painted on (issue 15)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from desktop.ui.common import colours


def palette(base: str, window: str, text: str) -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Base, QColor(base))
    p.setColor(QPalette.ColorRole.Window, QColor(window))
    p.setColor(QPalette.ColorRole.Text, QColor(text))
    return p


PALETTES = {
    "light": palette("#ffffff", "#efefef", "#000000"),
    "dark": palette("#1e1e1e", "#2d2d2d", "#e6e6e6"),
    "high contrast": palette("#000000", "#000000", "#ffffff"),
    "grey": palette("#7f7f7f", "#808080", "#000000"),  # an awkward mid-grey theme
}


@pytest.mark.parametrize("name", sorted(PALETTES))
@pytest.mark.parametrize("kind", sorted(colours.TEXT))
def test_every_status_text_reads_on_the_palette(qapp, name: str, kind: str) -> None:
    p = PALETTES[name]
    colour = colours.text_colour(kind, p)
    assert colours.contrast(colour, p.color(QPalette.ColorRole.Base)) >= 4.5, (kind, name, colour.name())


@pytest.mark.parametrize("name", sorted(PALETTES))
@pytest.mark.parametrize("kind", sorted(colours.BACKGROUND))
def test_tinted_rows_read_and_follow_the_palette(qapp, name: str, kind: str) -> None:
    p = PALETTES[name]
    background, text = colours.row_colours(kind, p)
    assert colours.contrast(text, background) >= 4.5
    assert colours.is_dark(p) == (background.lightness() < 128)  # no light-pink rows in a dark theme


def test_contrast_is_the_wcag_ratio() -> None:
    assert round(colours.contrast(QColor("#000000"), QColor("#ffffff")), 1) == 21.0
    assert colours.contrast(QColor("#777777"), QColor("#777777")) == 1.0
