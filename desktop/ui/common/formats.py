"""How times read on screen: the store keeps naive UTC, the clerk reads their own day and time."""

from __future__ import annotations

import datetime as dt


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time in the workstation's time zone."""
    return value.replace(tzinfo=dt.UTC).astimezone()


def local_minute(value: dt.datetime | None) -> str:
    """'2026-03-04 09:15' in local time; empty for no time."""
    return f"{local_time(value):%Y-%m-%d %H:%M}" if value is not None else ""


def local_day(value: dt.datetime | None) -> str:
    """'2026-03-04' in local time; empty for no time."""
    return f"{local_time(value):%Y-%m-%d}" if value is not None else ""
