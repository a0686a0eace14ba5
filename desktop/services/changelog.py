"""ChangeLog: one row per change, `changes` = {field: [before, after]}, with the OS user and the time."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from desktop.store.models import ChangeLog, utcnow


@cache
def os_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without a passwd entry)
        return None


def json_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs, as {field: [before, after]} in JSON-safe form."""
    return {
        key: [json_value(before.get(key)), json_value(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def record(session: Session, entity: str, entity_id: int, action: str, changes: Mapping[str, Any]) -> None:
    session.add(
        ChangeLog(entity=entity, entity_id=entity_id, action=action, changes=dict(changes), os_user=os_user())
    )


def record_many(session: Session, entity: str, action: str, changes: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
    """Many rows in one executemany (bulk actions)."""
    now, user = utcnow(), os_user()
    rows = [
        {"entity": entity, "entity_id": entity_id, "action": action, "changes": dict(change),
         "os_user": user, "created_at": now}
        for entity_id, change in changes
    ]
    if rows:
        session.execute(insert(ChangeLog), rows)


def history(session: Session, entity: str, entity_id: int, *, limit: int = 500) -> list[ChangeLog]:
    """Newest first."""
    stmt = (
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
