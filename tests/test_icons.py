"""resources/ and desktop.ui.common.icons: the vendored lucide SVGs, the application icon and its PNGs, the
desktop entry and AppStream metadata, and icons that take the palette's colour at any pixel ratio."""

from __future__ import annotations

import configparser
import gc
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

import desktop
from desktop.ui.common import icons

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
ACTIONS = RESOURCES / "icons" / "actions"
APP = RESOURCES / "icons" / "app"

# What the UI is promised (lucide names).
REQUIRED = {
    "user-plus", "pencil", "archive", "archive-restore", "trash-2", "refresh-cw", "search", "user-search",
    "import", "file-output", "log-out", "info", "settings", "columns-3", "shopping-cart", "banknote",
    "package-check", "receipt", "link", "send", "undo-2", "plus", "list-checks", "map-pin-plus", "map-pin",
    "star", "x", "check", "upload", "download", "rotate-ccw", "users", "truck", "wallet", "book-open",
    "history",
}

LIGHT_TEXT, LIGHT_DISABLED, LIGHT_SELECTED = QColor("#1a2b3c"), QColor("#a0a4a8"), QColor("#fefdfc")
DARK_TEXT, DARK_DISABLED = QColor("#e8e4d0"), QColor("#5c6066")


def _palette(text: QColor, disabled: QColor, selected: QColor) -> QPalette:
    palette = QPalette(QApplication.palette())
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.ButtonText, text)
        palette.setColor(group, QPalette.ColorRole.WindowText, text)
        palette.setColor(group, QPalette.ColorRole.HighlightedText, selected)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, disabled)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, disabled)
    return palette


@pytest.fixture
def palette(qapp: QApplication) -> Iterator[None]:
    """A known light palette on the application while the test runs; the one before is put back."""
    before = QPalette(qapp.palette())
    qapp.setPalette(_palette(LIGHT_TEXT, LIGHT_DISABLED, LIGHT_SELECTED))
    try:
        yield
    finally:
        qapp.setPalette(before)


def _opaque_colours(pixmap: QPixmap) -> set[str]:
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    found = set()
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() == 255:
                found.add(colour.name())
    return found


def _opaque_count(pixmap: QPixmap) -> int:
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    return sum(image.pixelColor(x, y).alpha() == 255 for y in range(image.height()) for x in range(image.width()))


# --- the files ------------------------------------------------------------------------------------


def test_every_vendored_svg_parses_and_draws_with_current_color(qapp: QApplication) -> None:
    svgs = sorted(ACTIONS.glob("*.svg"))
    assert {path.stem for path in svgs} >= REQUIRED
    for path in svgs:
        assert QSvgRenderer(str(path)).isValid(), path.name
        assert b'stroke="currentColor"' in path.read_bytes(), path.name


def test_lucide_licence_and_readme_name_the_vendored_version() -> None:
    licence = (ACTIONS / "LICENSE").read_text()
    assert "ISC License" in licence and "Lucide" in licence
    versions = {re.search(rb"lucide-static v([\d.]+)", p.read_bytes()).group(1).decode() for p in ACTIONS.glob("*.svg")}  # type: ignore[union-attr]
    assert len(versions) == 1, versions  # one release, not a mix
    assert f"v{versions.pop()}" in (ACTIONS / "README.md").read_text()


def test_icon_names_are_the_svgs_in_the_folder() -> None:
    assert icons.ICON_NAMES == frozenset(path.stem for path in ACTIONS.glob("*.svg"))
    assert isinstance(icons.ICON_NAMES, frozenset)
    assert icons.ICON_NAMES >= REQUIRED


def test_app_icon_pngs_have_the_size_their_names_say(qapp: QApplication) -> None:
    assert QSvgRenderer(str(APP / "customer-desk.svg")).isValid()
    for side in icons.APP_ICON_SIZES:
        image = QImage(str(APP / f"customer-desk-{side}.png"))
        assert not image.isNull(), side
        assert image.size() == QSize(side, side)
        assert image.hasAlphaChannel()
    assert set(icons.APP_ICON_SIZES) == {16, 24, 32, 48, 64, 128, 256, 512}


def test_app_icon_offers_every_png_size(qapp: QApplication) -> None:
    app_icon = icons.app_icon()
    assert not app_icon.isNull()
    assert set(app_icon.availableSizes()) >= {QSize(side, side) for side in icons.APP_ICON_SIZES}
    for side in icons.APP_ICON_SIZES:
        pixmap = app_icon.pixmap(QSize(side, side), 1.0)
        assert pixmap.size() == QSize(side, side)
        assert pixmap.toImage() == QImage(str(APP / f"customer-desk-{side}.png")).convertToFormat(pixmap.toImage().format())


def test_desktop_entry_has_the_required_keys() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign] # keys are case-sensitive
    entry.read(RESOURCES / "customer-desk.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Name"] == "Customer Desk"
    assert section["Exec"] == "customer-desk"
    assert section["Icon"] == "customer-desk"
    assert section["Type"] == "Application"
    assert section["Categories"] == "Office;Finance;"
    assert section["StartupWMClass"] == "customer-desk"
    assert section["Comment"].strip()


def test_metainfo_names_the_app_its_launcher_and_the_current_version() -> None:
    root = ET.parse(RESOURCES / "io.github.customerdesk.CustomerDesk.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.github.customerdesk.CustomerDesk"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "LicenseRef-proprietary"
    assert root.findtext("name") == "Customer Desk"
    assert (root.findtext("summary") or "").strip()
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == "customer-desk.desktop" and (RESOURCES / launchable.text).is_file()
    assert root.find("content_rating") is not None
    releases = root.findall("releases/release")
    assert releases and releases[0].get("version") == desktop.__version__


# --- where the resources are ----------------------------------------------------------------------


def test_resources_dir_is_the_repository_folder_or_the_bundle_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert icons.resources_dir() == RESOURCES
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert icons.resources_dir() == tmp_path / "resources"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "elsewhere"), raising=False)
    with pytest.raises(FileNotFoundError, match="resources"):
        icons.resources_dir()


# --- icon(): the palette's colour, sharp at any pixel ratio --------------------------------------


def test_icon_draws_in_the_palette_text_colour_and_follows_a_palette_change(qapp: QApplication, palette: None) -> None:
    check = icons.icon("check")
    light = check.pixmap(QSize(48, 48), 1.0)
    assert light.size() == QSize(48, 48)
    assert _opaque_count(light) > 20
    assert _opaque_colours(light) == {LIGHT_TEXT.name()}

    qapp.setPalette(_palette(DARK_TEXT, DARK_DISABLED, LIGHT_SELECTED))  # the same QIcon, a dark theme
    dark = check.pixmap(QSize(48, 48), 1.0)
    assert _opaque_colours(dark) == {DARK_TEXT.name()}
    assert _opaque_count(dark) == _opaque_count(light)  # same shape, other colour


def test_every_icon_renders_something(qapp: QApplication, palette: None) -> None:
    for name in sorted(icons.ICON_NAMES):
        pixmap = icons.icon(name).pixmap(QSize(32, 32), 1.0)
        assert not pixmap.isNull(), name
        assert _opaque_colours(pixmap) == {LIGHT_TEXT.name()}, name


def test_disabled_and_selected_modes_use_their_palette_colours(qapp: QApplication, palette: None) -> None:
    search = icons.icon("search")
    disabled = search.pixmap(QSize(48, 48), 1.0, QIcon.Mode.Disabled)
    assert _opaque_colours(disabled) == {LIGHT_DISABLED.name()}
    selected = search.pixmap(QSize(48, 48), 1.0, QIcon.Mode.Selected)
    assert _opaque_colours(selected) == {LIGHT_SELECTED.name()}
    active = search.pixmap(QSize(48, 48), 1.0, QIcon.Mode.Active)
    assert _opaque_colours(active) == {LIGHT_TEXT.name()}


def test_a_pixmap_at_pixel_ratio_two_is_rendered_at_twice_the_pixels(qapp: QApplication, palette: None) -> None:
    plus = icons.icon("plus")
    double = plus.pixmap(QSize(24, 24), 2.0)
    assert double.size() == QSize(48, 48)
    assert double.devicePixelRatio() == 2.0
    assert double.deviceIndependentSize().toSize() == QSize(24, 24)
    # Drawn from the vector at 48 device pixels, not a 24 px bitmap scaled up.
    assert double.toImage() == plus.pixmap(QSize(48, 48), 1.0).toImage()
    assert _opaque_count(double) > 2 * _opaque_count(plus.pixmap(QSize(24, 24), 1.0))


def test_paint_renders_at_the_device_pixel_ratio_of_the_target(qapp: QApplication, palette: None) -> None:
    target = QPixmap(48, 48)
    target.setDevicePixelRatio(2.0)
    target.fill(Qt.GlobalColor.transparent)
    painter = QPainter(target)
    icons.icon("x").paint(painter, QRect(0, 0, 24, 24))
    painter.end()
    assert _opaque_colours(target) == {LIGHT_TEXT.name()}
    reference = icons.icon("x").pixmap(QSize(48, 48), 1.0).toImage()
    assert target.toImage().convertToFormat(reference.format()) == reference


def test_a_copied_and_detached_icon_still_renders(qapp: QApplication, palette: None) -> None:
    original = icons.icon("star")
    copy = QIcon(original)
    copy.addPixmap(QPixmap(8, 8))  # detaches: Qt clones the engine
    del original
    gc.collect()
    assert _opaque_colours(copy.pixmap(QSize(32, 32), 1.0)) == {LIGHT_TEXT.name()}


def test_engine_reports_sizes_and_name(qapp: QApplication) -> None:
    star = icons.icon("star")
    assert not star.isNull()
    assert star.name() == "star"
    assert QSize(16, 16) in star.availableSizes() and QSize(32, 32) in star.availableSizes()


def test_an_unknown_name_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no-such-icon"):
        icons.icon("no-such-icon")
