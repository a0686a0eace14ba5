"""Logging set-up: named loggers per area, a rotating log file in the user's log folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

APP_NAME = "customer-desk"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """For the console: the message only; tracebacks go to the log file, never to the clerk's screen."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def log_file() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / "customer-desk.log"


def setup(console_level: int | None = None) -> Path | None:
    """The log file at INFO and, only when `console_level` is given (`--verbose`), stderr too: otherwise a
    clerk's terminal shows the command's own one-line messages, never log lines. Returns the log file
    (None if it cannot be written)."""
    root = logging.getLogger()
    if getattr(root, "_customer_desk", False):
        if console_level is not None and not any(getattr(h, "_customer_desk_console", False)
                                                 for h in root.handlers):
            _add_console(root, console_level)
        return log_file()
    root.setLevel(logging.INFO)
    root.addHandler(logging.NullHandler())  # never logging's last resort, which writes to stderr
    if console_level is not None:
        _add_console(root, console_level)
    path: Path | None = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5,
                                                       encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    except OSError:
        path = None
    root._customer_desk = True  # type: ignore[attr-defined]
    return path


def _add_console(root: logging.Logger, level: int) -> None:
    console = logging.StreamHandler()
    console.setLevel(level)
    console.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    console._customer_desk_console = True  # type: ignore[attr-defined]
    root.addHandler(console)
