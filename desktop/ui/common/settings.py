"""Every persistent setting of the app, declared once with its type and default, stored in QSettings.

Tests swap the storage for a dict (`Settings(store={})`) so that nothing touches the user's real settings.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

T = TypeVar("T")

ORGANIZATION = "Customer Desk"
APPLICATION = "customer-desk"


@dataclass(frozen=True)
class Option(Generic[T]):
    key: str
    type: type
    default: T
    doc: str


DATABASE_URL = Option[str]("store/database_url", str, "", "database URL (empty: the default SQLite file)")
STORE_BUSY_WAIT = Option[float]("store/busy_wait", float, 120.0,
                                "seconds a change waits while another program is writing to the store")
WINDOW_GEOMETRY = Option[QByteArray]("window/geometry", QByteArray, QByteArray(), "main window geometry")
WINDOW_STATE = Option[QByteArray]("window/state", QByteArray, QByteArray(), "main window toolbars/docks")
SPLITTER_STATE = Option[QByteArray]("window/splitter", QByteArray, QByteArray(), "table / detail splitter")
TABLE_HEADER = Option[QByteArray]("customers/header", QByteArray, QByteArray(),
                                  "customer table: column order, widths, hidden columns, sort")
DETAIL_PANE = Option[int]("customers/detail_pane", int, 1, "customer detail pane shown (1) or hidden (0)")
NEW_CUSTOMER_DEFAULTS = Option[dict]("customers/new_defaults", dict, {},
                                     "what a new customer starts with on this desk: field -> value (sales rep, "
                                     "pricing tier, store, warehouse, shipping methods)")
LAST_FILTER = Option[dict]("customers/filter", dict, {}, "last filter bar values (search, archived, …)")
STARSHIPIT_BASE_URL = Option[str]("starshipit/base_url", str, "https://api.starshipit.com",
                                  "Starshipit API base URL")
# The keys are never here: they live in the operating system's keyring (desktop/starshipit/credentials.py).
STARSHIPIT_RATE = Option[float]("starshipit/rate", float, 2.0,
                                "Starshipit requests per second (2 on a developer subscription, 20 on production)")
STARSHIPIT_SYNC_MINUTES = Option[int]("starshipit/sync_minutes", int, 0,
                                      "sync with Starshipit every so many minutes while the app runs (0: only "
                                      "when asked)")
SHIPPING_QUEUE_STATE = Option[str]("shipping/state", str, "all", "shipping queue: which fulfilments are listed")

IMPORT_MAPPING = Option[dict]("import/mapping", dict, {},
                              "import column mapping the clerk chose: header key -> field ('' = not imported)")
IMPORT_FOLDER = Option[str]("import/folder", str, "", "folder of the last file chosen for import")
EXPORT_FOLDER = Option[str]("export/folder", str, "", "folder of the last customer export written from the window")
IMPORT_ENCODINGS = Option[dict]("import/encodings", dict, {},
                                "encoding the clerk chose for files named alike: file name pattern -> codec")

ALL_OPTIONS = (DATABASE_URL, STORE_BUSY_WAIT, WINDOW_GEOMETRY, WINDOW_STATE, SPLITTER_STATE, TABLE_HEADER, LAST_FILTER,
               DETAIL_PANE, NEW_CUSTOMER_DEFAULTS,
               STARSHIPIT_BASE_URL, STARSHIPIT_RATE, STARSHIPIT_SYNC_MINUTES, SHIPPING_QUEUE_STATE, IMPORT_MAPPING, IMPORT_FOLDER,
               IMPORT_ENCODINGS, EXPORT_FOLDER)


class Settings:
    """Typed access to the options above; backed by QSettings, or by a plain dict in tests."""

    def __init__(self, store: MutableMapping[str, Any] | None = None):
        self._dict = store
        self._qsettings = None if store is not None else QSettings(ORGANIZATION, APPLICATION)

    def get(self, option: Option[T]) -> T:
        if self._dict is not None:
            return self._dict.get(option.key, option.default)  # type: ignore[no-any-return]
        assert self._qsettings is not None
        value = self._qsettings.value(option.key, option.default)
        if value is None:
            return option.default
        if option.type is dict:
            return value if isinstance(value, dict) else option.default  # type: ignore[return-value]
        if not isinstance(value, option.type):
            try:
                return option.type(value)  # type: ignore[no-any-return]
            except (TypeError, ValueError):
                return option.default
        return value  # type: ignore[no-any-return]

    def set(self, option: Option[T], value: T) -> None:
        if self._dict is not None:
            self._dict[option.key] = value
            return
        assert self._qsettings is not None
        self._qsettings.setValue(option.key, value)

    def sync(self) -> None:
        if self._qsettings is not None:
            self._qsettings.sync()
