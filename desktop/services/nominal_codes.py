"""Nominal codes (DESIGN §1, §2 item 16): the list with what uses each code, create, edit, delete, Check
Deletable, and the mapping settings that say which code sales, shipping, discounts and sales credits post to.

A code linked to sales order lines or named by a mapping setting cannot be deleted; the check says which
(counts and setting names), in one query per kind of link however many codes are checked, and deleting runs
the same check inside its own transaction with the code's row locked, so an order line added meanwhile
still blocks it (the foreign keys back this up).

Codes are compared case-insensitively ("sales" and "SALES" are one code) and are limited to ASCII letters,
digits and `- . _ /`, so that both back-ends agree on what "the same code" is. Every nominal code write
takes one lock first (PostgreSQL: the table in SHARE ROW EXCLUSIVE mode, which order entry never waits on;
SQLite: the write lock of BEGIN IMMEDIATE), so two clerks creating "sales" and "SALES" at once cannot both
succeed.

Each function works inside the caller's unit of work and raises typed errors; every change is written to
the ChangeLog.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from desktop.services import changelog
from desktop.services.errors import ConflictError, DomainError, FieldError, NotFound, ValidationError
from desktop.services.validation import Cleaner
from desktop.store import models as m

CODE_LEN: int = m.NominalCode.__table__.c.code.type.length  # type: ignore[attr-defined]
NAME_LEN = m.NAME_LEN
TYPE_LEN = m.KEY_LEN
FIELDS = ("code", "name", "type")
# The usual account types; the clerk may type another (kept as typed), these are offered and normalised.
NOMINAL_TYPES = ("asset", "liability", "equity", "revenue", "expense")
# The settings a clerk maps to a code, with the words the screen uses. Settings found in the store beyond
# these (written by another system) are shown and can be changed or cleared too.
MAPPING_SETTINGS: dict[str, str] = {
    "sales": "Sales",
    "shipping": "Shipping",
    "discounts": "Discounts",
    "sales_credits": "Sales credits",
}
CHUNK = 1000  # ids per IN (...) list

_CODE_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-._/]*$")
_DIGITS = re.compile(r"(\d+)")

ENTITY = "nominal_code"
MAPPING_ENTITY = "nominal_code_mapping"


# --- what the services hand out ----------------------------------------------------------------------


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True)
class Usage:
    """What links to a code; anything here forbids deleting it."""

    order_lines: int = 0
    mappings: tuple[str, ...] = ()

    @property
    def in_use(self) -> bool:
        return bool(self.order_lines or self.mappings)

    def reasons(self) -> list[str]:
        """['12 order lines', "the 'shipping' mapping"] (empty when nothing uses the code). Settings are
        named as the screen names them ('sales credits' for the setting `sales_credits`)."""
        parts = []
        if self.order_lines:
            parts.append(f"{self.order_lines:,} order line{'' if self.order_lines == 1 else 's'}")
        if self.mappings:
            names = [f"'{setting_label(s).lower()}'" for s in self.mappings]
            parts.append(f"the {_and(names)} mapping{'' if len(names) == 1 else 's'}")
        return parts

    def describe(self) -> str:
        """"used by 12 order lines and the 'shipping' mapping", or "not used"."""
        reasons = self.reasons()
        return f"used by {' and '.join(reasons)}" if reasons else "not used"


@dataclass(frozen=True)
class NominalCodeRow:
    """A nominal code with what uses it (a row of the list, and the answer of Check Deletable)."""

    id: int
    version: int
    code: str
    name: str
    type: str
    created_at: dt.datetime
    updated_at: dt.datetime
    usage: Usage = field(default_factory=Usage)

    @property
    def deletable(self) -> bool:
        return not self.usage.in_use

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    def verdict(self) -> str:
        """'can be deleted (not used)' or "cannot be deleted: used by 12 order lines and the 'sales' mapping"."""
        if self.deletable:
            return "can be deleted (not used)"
        return f"cannot be deleted: {self.usage.describe()}"


@dataclass(frozen=True)
class MappingSetting:
    """One mapping setting and the code it points at (`nominal_code_id` None: not set; `version` 0 then)."""

    setting: str
    label: str
    mapping_id: int | None
    version: int
    nominal_code_id: int | None
    code: str | None
    code_name: str | None


# --- errors ---------------------------------------------------------------------------------------


class NominalCodeTaken(DomainError):
    def __init__(self, code: str, existing: str, existing_id: int):
        self.code = code
        self.existing = existing
        self.existing_id = existing_id
        same = "" if existing == code else f" (as {existing})"
        super().__init__(f"The nominal code {code} already exists{same}: codes must differ by more than "
                         "upper and lower case.")


class NominalCodeInUse(DomainError):
    """Delete refused: each of `rows` is linked to order lines or mapping settings. Nothing was deleted."""

    def __init__(self, rows: Sequence[NominalCodeRow]):
        self.rows = list(rows)
        hint = (" Point the mapping setting at another code first." if any(r.usage.mappings for r in self.rows)
                else "")
        if len(self.rows) == 1:
            r = self.rows[0]
            text = f"Nominal code {r.label} cannot be deleted: {r.usage.describe()}.{hint}"
        else:
            listed = "; ".join(f"{r.label} is {r.usage.describe()}" for r in self.rows)
            text = f"{len(self.rows)} nominal codes cannot be deleted, so none was deleted: {listed}.{hint}"
        super().__init__(text)


class UnknownNominalCodes(DomainError):
    def __init__(self, codes: Sequence[str]):
        self.codes = list(codes)
        listed = ", ".join(self.codes)
        super().__init__(f"Unknown nominal code{'' if len(self.codes) == 1 else 's'}: {listed}.")


# --- validation -------------------------------------------------------------------------------------


def natural_key(code: str) -> tuple[Any, ...]:
    """'900' before '4000', 'A2' before 'A10': digits compare as numbers (parts alternate text/number)."""
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(_DIGITS.split(code)))


def normalise_type(value: str) -> str:
    """A known account type in its usual spelling ('Revenue' -> 'revenue'); any other text as typed."""
    folded = value.casefold()
    return next((t for t in NOMINAL_TYPES if t == folded), value)


def clean_nominal_code(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Clean input for create (every field required) or a partial update (only given fields, none empty)."""
    c = Cleaner()
    for key in data:
        if key not in FIELDS:
            c.error(key, "is not a field that can be set here")
    limits = {"code": CODE_LEN, "name": NAME_LEN, "type": TYPE_LEN}
    values: dict[str, Any] = {}
    for key, limit in limits.items():
        if key not in data and not creating:
            continue
        before = len(c.errors)
        value = c.text(key, data.get(key), limit)
        if value is None:
            if len(c.errors) == before:
                c.error(key, "is required")
            continue
        values[key] = value
    code = values.get("code")
    if code is not None and not _CODE_CHARS.match(code):
        c.error("code", "may contain only letters A–Z, digits and - . _ / (and starts with a letter or digit)")
        values.pop("code")
    if "type" in values:
        values["type"] = normalise_type(values["type"])
    if c.errors:
        raise ValidationError(c.errors)
    return values


# --- reading ----------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _usage(session: Session, ids: Sequence[int] | None) -> dict[int, Usage]:
    """Usage of the given codes (None: of every code): one grouped count of order lines and one read of the
    mappings per chunk of ids, never a query per code. Codes nothing uses are left out."""
    line_counts: dict[int, int] = {}
    mappings: dict[int, list[str]] = {}
    lines_stmt = (select(m.SalesOrderLine.nominal_code_id, func.count())
                  .where(m.SalesOrderLine.nominal_code_id.is_not(None))
                  .group_by(m.SalesOrderLine.nominal_code_id))
    maps_stmt = select(m.NominalCodeMapping.nominal_code_id, m.NominalCodeMapping.setting)
    chunks: Iterable[list[int] | None] = [None] if ids is None else _chunks(list(ids))
    for chunk in chunks:
        ls, ms = lines_stmt, maps_stmt
        if chunk is not None:
            ls = ls.where(m.SalesOrderLine.nominal_code_id.in_(chunk))
            ms = ms.where(m.NominalCodeMapping.nominal_code_id.in_(chunk))
        line_counts.update({code_id: int(n) for code_id, n in session.execute(ls)})
        for code_id, setting in session.execute(ms):
            mappings.setdefault(code_id, []).append(setting)
    order = {s: i for i, s in enumerate(MAPPING_SETTINGS)}
    return {
        code_id: Usage(line_counts.get(code_id, 0),
                       tuple(sorted(mappings.get(code_id, ()), key=lambda s: (order.get(s, len(order)), s))))
        for code_id in set(line_counts) | set(mappings)
    }


def _row(code: m.NominalCode, usage: Usage | None = None) -> NominalCodeRow:
    return NominalCodeRow(id=code.id, version=code.version, code=code.code, name=code.name, type=code.type,
                          created_at=code.created_at, updated_at=code.updated_at, usage=usage or Usage())


def _values(code: m.NominalCode) -> dict[str, Any]:
    return {f: getattr(code, f) for f in FIELDS}


def _rows(session: Session, codes: Iterable[m.NominalCode], usage: Mapping[int, Usage]) -> list[NominalCodeRow]:
    rows = [_row(c, usage.get(c.id)) for c in codes]
    rows.sort(key=lambda r: (natural_key(r.code), r.id))
    return rows


def list_nominal_codes(session: Session) -> list[NominalCodeRow]:
    """Every code with its usage, in code order ('900' before '4000'). Three queries in all."""
    codes = session.scalars(select(m.NominalCode)).all()
    return _rows(session, codes, _usage(session, None))


def get_nominal_code(session: Session, code_id: int) -> NominalCodeRow:
    code = session.get(m.NominalCode, code_id)
    if code is None:
        raise NotFound("nominal code", f"id {code_id}")
    return _row(code, _usage(session, [code_id]).get(code_id))


def check_deletable(session: Session, code_ids: Iterable[int]) -> dict[int, NominalCodeRow]:
    """Check Deletable by id: each code with its usage (`deletable`, `verdict()`). Unknown ids are left out.
    A query for the codes and one per kind of link, whatever the number of ids (up to CHUNK per query)."""
    ids = list(dict.fromkeys(int(i) for i in code_ids))
    codes: list[m.NominalCode] = []
    for chunk in _chunks(ids):
        codes.extend(session.scalars(select(m.NominalCode).where(m.NominalCode.id.in_(chunk))))
    usage = _usage(session, [c.id for c in codes])
    by_id = {r.id: r for r in _rows(session, codes, usage)}
    return {i: by_id[i] for i in ids if i in by_id}


def find_codes(session: Session, codes: Iterable[str]) -> dict[str, m.NominalCode]:
    """The codes for these strings (as typed; case does not matter). Raises UnknownNominalCodes naming every
    one that does not exist."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c is not None and c.strip()))
    found: dict[str, m.NominalCode] = {}
    rows: list[m.NominalCode] = []
    lowered = list(dict.fromkeys(c.lower() for c in wanted))
    for start in range(0, len(lowered), CHUNK):
        rows.extend(session.scalars(
            select(m.NominalCode).where(func.lower(m.NominalCode.code).in_(lowered[start : start + CHUNK]))
        ))
    unknown = []
    for text_ in wanted:
        exact = [r for r in rows if r.code == text_]
        folded = [r for r in rows if r.code.lower() == text_.lower()]
        match = exact[0] if exact else folded[0] if len(folded) == 1 else None
        if match is None:
            unknown.append(text_)
        else:
            found[text_] = match
    if unknown:
        raise UnknownNominalCodes(unknown)
    return found


def check_deletable_codes(session: Session, codes: Iterable[str] | None = None) -> list[NominalCodeRow]:
    """Check Deletable by code string ('4000'); None or empty: every code. In the order given (every code:
    in code order). Raises UnknownNominalCodes when any code does not exist."""
    codes = [c for c in (codes or ()) if c is not None]
    if not codes:
        return list_nominal_codes(session)
    found = find_codes(session, codes)
    checked = check_deletable(session, [c.id for c in found.values()])
    return list({checked[c.id].id: checked[c.id] for c in found.values()}.values())


# --- writing ----------------------------------------------------------------------------------------


def _lock_codes(session: Session) -> None:
    """Serialise nominal code writers. PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with other
    writes of nominal_codes, but not with the key-share locks order lines take through their foreign key,
    so order entry never waits here. SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE nominal_codes IN SHARE ROW EXCLUSIVE MODE"))


def _load_for_write(session: Session, code_id: int, expected_version: int | None) -> m.NominalCode:
    code = session.scalars(
        select(m.NominalCode).where(m.NominalCode.id == code_id)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if code is None:
        raise NotFound("nominal code", f"id {code_id}")
    if expected_version is not None and code.version != expected_version:
        raise ConflictError("nominal code", code.code, expected_version, code.version)
    return code


def _check_code_free(session: Session, code: str, code_id: int | None = None) -> None:
    stmt = select(m.NominalCode.id, m.NominalCode.code).where(func.lower(m.NominalCode.code) == code.lower())
    if code_id is not None:
        stmt = stmt.where(m.NominalCode.id != code_id)
    owner = session.execute(stmt.limit(1)).first()
    if owner is not None:
        raise NominalCodeTaken(code, owner.code, owner.id)


def _flush(session: Session, code: m.NominalCode, change: Callable[[], None]) -> None:
    """Make `change` and flush it in a savepoint (a savepoint flushes what is pending when it starts, so the
    change is made inside it); a lost race on the unique code or on the version becomes a typed error."""
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        owner = session.execute(
            select(m.NominalCode.id, m.NominalCode.code).where(func.lower(m.NominalCode.code) == code.code.lower())
        ).first()
        raise NominalCodeTaken(code.code, owner.code if owner else code.code, owner.id if owner else 0) from exc
    except StaleDataError as exc:
        raise ConflictError("nominal code", code.code) from exc


def create_nominal_code(session: Session, data: Mapping[str, Any]) -> NominalCodeRow:
    """Create a code: `code`, `name` and `type` required; the code must not exist in any letter case."""
    values = clean_nominal_code(data, creating=True)
    _lock_codes(session)
    _check_code_free(session, values["code"])
    code = m.NominalCode(**values)
    _flush(session, code, lambda: session.add(code))
    changelog.record(session, ENTITY, code.id, "create", changelog.diff({}, _values(code)))
    return _row(code)


def update_nominal_code(
    session: Session, code_id: int, data: Mapping[str, Any], *, expected_version: int | None = None
) -> NominalCodeRow:
    """Change the given fields. Order lines and mappings point at the code's id, so they follow a new code.
    `expected_version` is the version the clerk saw: ConflictError when the row has moved on since."""
    values = clean_nominal_code(data, creating=False)
    _lock_codes(session)
    code = _load_for_write(session, code_id, expected_version)
    if "code" in values:
        _check_code_free(session, values["code"], code_id)
    before = _values(code)
    changes = changelog.diff(before, {**before, **values})
    if changes:
        def change() -> None:
            for key in changes:
                setattr(code, key, values[key])

        _flush(session, code, change)
        changelog.record(session, ENTITY, code.id, "update", changes)
    return _row(code, _usage(session, [code.id]).get(code.id))


def delete_nominal_codes(
    session: Session, code_ids: Iterable[int], *, expected_versions: Mapping[int, int] | None = None
) -> list[NominalCodeRow]:
    """Delete the given codes, all or none: refused (NominalCodeInUse, listing each code that is linked and
    why) when any is used by order lines or a mapping setting. The check runs here, with the rows locked;
    the foreign keys refuse what a check could ever miss."""
    ids = list(dict.fromkeys(int(i) for i in code_ids))
    versions = expected_versions or {}
    _lock_codes(session)
    codes = [_load_for_write(session, i, versions.get(i)) for i in sorted(ids)]  # id order: no lock cycles
    usage = _usage(session, ids)
    rows = {c.id: _row(c, usage.get(c.id)) for c in codes}
    blocked = [rows[i] for i in ids if not rows[i].deletable]
    if blocked:
        raise NominalCodeInUse(blocked)
    changelog.record_many(session, ENTITY, "delete", (
        (c.id, changelog.diff(_values(c), dict.fromkeys(FIELDS))) for c in codes
    ))
    try:
        with session.begin_nested():  # the deletes are made inside it: it flushes what is pending first
            for c in codes:
                session.delete(c)
            session.flush()
    except IntegrityError as exc:  # linked by something the check did not see: report it as the check would
        session.expire_all()
        usage = _usage(session, ids)
        blocked = [_row(c, usage.get(c.id)) for c in codes if c.id in usage]
        raise NominalCodeInUse(blocked or list(rows.values())) from exc
    return [rows[i] for i in ids]


def delete_nominal_code(session: Session, code_id: int, *, expected_version: int | None = None) -> NominalCodeRow:
    """Delete one code; NominalCodeInUse (with the counts and settings) when anything uses it."""
    versions = {code_id: expected_version} if expected_version is not None else None
    return delete_nominal_codes(session, [code_id], expected_versions=versions)[0]


# --- mapping settings ---------------------------------------------------------------------------------


def setting_label(setting: str) -> str:
    return MAPPING_SETTINGS.get(setting) or setting.replace("_", " ").capitalize()


def list_mappings(session: Session) -> list[MappingSetting]:
    """The known settings in their usual order (set or not), then any other setting the store has."""
    rows = session.execute(
        select(m.NominalCodeMapping.id, m.NominalCodeMapping.setting, m.NominalCodeMapping.version,
               m.NominalCode.id, m.NominalCode.code, m.NominalCode.name)
        .join(m.NominalCode, m.NominalCode.id == m.NominalCodeMapping.nominal_code_id)
    ).all()
    by_setting = {r[1]: r for r in rows}
    settings = [*MAPPING_SETTINGS, *sorted(s for s in by_setting if s not in MAPPING_SETTINGS)]
    result = []
    for setting in settings:
        r = by_setting.get(setting)
        result.append(MappingSetting(setting, setting_label(setting), r[0] if r else None, r[2] if r else 0,
                                     r[3] if r else None, r[4] if r else None, r[5] if r else None))
    return result


def set_mapping(
    session: Session, setting: str, nominal_code_id: int | None, *, expected_version: int | None = None
) -> MappingSetting:
    """Point `setting` at a code, or clear it (None). `expected_version` is the mapping's version the clerk
    saw (0: it was not set); ConflictError when another clerk changed it since."""
    mapping = session.scalars(
        select(m.NominalCodeMapping).where(m.NominalCodeMapping.setting == setting)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if mapping is None and setting not in MAPPING_SETTINGS:
        raise ValidationError([FieldError("setting", f"{setting!r} is not a mapping setting; the settings are "
                                                     f"{', '.join(MAPPING_SETTINGS)}")])
    actual = mapping.version if mapping is not None else 0
    if expected_version is not None and actual != expected_version:
        raise ConflictError(f"the {setting_label(setting).lower()} mapping", "setting", expected_version, actual)
    target: m.NominalCode | None = None
    if nominal_code_id is not None:
        # Key-share lock: the code cannot be deleted before this transaction ends (PostgreSQL; the write
        # lock on SQLite).
        target = session.scalars(
            select(m.NominalCode).where(m.NominalCode.id == nominal_code_id).with_for_update(key_share=True)
        ).first()
        if target is None:
            raise NotFound("nominal code", f"id {nominal_code_id}")
    before_id = mapping.nominal_code_id if mapping is not None else None
    if before_id == nominal_code_id:
        return _mapping_view(session, setting)
    before_code = session.scalar(select(m.NominalCode.code).where(m.NominalCode.id == before_id)) if before_id else None
    after_code = target.code if target is not None else None
    changes = {"nominal_code_id": [before_id, nominal_code_id], "code": [before_code, after_code]}
    try:
        with session.begin_nested():
            if mapping is None:
                mapping = m.NominalCodeMapping(setting=setting, nominal_code_id=nominal_code_id)
                session.add(mapping)
                session.flush()
                action = "create"
                changes = {"setting": [None, setting], **changes}
            elif nominal_code_id is None:
                session.delete(mapping)
                session.flush()
                action = "delete"
                changes = {"setting": [setting, None], **changes}
            else:
                mapping.nominal_code_id = nominal_code_id
                session.flush()
                action = "update"
    except (IntegrityError, StaleDataError) as exc:  # another clerk created or changed it meanwhile
        raise ConflictError(f"the {setting_label(setting).lower()} mapping", "setting", expected_version) from exc
    changelog.record(session, MAPPING_ENTITY, mapping.id, action, changes)
    return _mapping_view(session, setting)


def set_mappings(
    session: Session, targets: Mapping[str, int | None], *, expected_versions: Mapping[str, int] | None = None
) -> list[MappingSetting]:
    """Several settings in one unit of work (all or none)."""
    versions = expected_versions or {}
    for setting, code_id in targets.items():
        set_mapping(session, setting, code_id, expected_version=versions.get(setting))
    return list_mappings(session)


def _mapping_view(session: Session, setting: str) -> MappingSetting:
    unset = MappingSetting(setting, setting_label(setting), None, 0, None, None, None)  # a cleared extra setting
    return next((s for s in list_mappings(session) if s.setting == setting), unset)
