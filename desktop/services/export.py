"""Export customers to CSV or an Excel workbook: streamed in keyset chunks, safe to open in a spreadsheet.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) are
prefixed with a single quote. A file is written next to its target and renamed at the end, so a failed
export never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from desktop.services.customer_list import CustomerQuery, CustomerRow, count_customers, iter_customers
from desktop.services.outputs import atomic_output, check_output
from desktop.store.engine import sqlite_file

EXPORT_COLUMNS = (
    "id", "name", "company", "email", "phone", "fax",
    "address1", "address2", "address3", "city", "province", "province_code", "zip", "country",
    "country_code", "sales_rep", "pricing_tier", "store", "warehouse", "archived", "created_at",
    # Added later, so at the end (scripts read the columns above by position too).
    "notes", "domestic_shipping", "international_shipping",
    # The default billing address when it is another than the shipping one (else empty).
    "billing_address1", "billing_address2", "billing_address3", "billing_city", "billing_province",
    "billing_province_code", "billing_zip", "billing_country", "billing_country_code",
)
BILLING_LINES = ("address1", "address2", "address3", "city", "province", "province_code", "zip", "country",
                 "country_code")
# Not in the list's rows: read a chunk of rows at a time.
EXTRA_COLUMNS = ("notes", "domestic_shipping", "international_shipping", *(f"billing_{f}" for f in BILLING_LINES))
EXTRAS_CHUNK = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_row(row: CustomerRow, extras: Mapping[str, Any] | None = None) -> list[str]:
    values = {
        **{c: getattr(row, c) for c in EXPORT_COLUMNS if c not in ("archived", "created_at", *EXTRA_COLUMNS)},
        **{c: (extras or {}).get(c) for c in EXTRA_COLUMNS},
        "archived": "true" if row.archived else "false",
        "created_at": row.created_at.isoformat(sep=" ", timespec="seconds"),
    }
    return [safe_cell(values[c]) for c in EXPORT_COLUMNS]


def _with_extras(session: Session, rows: Iterable[CustomerRow]) -> Iterator[tuple[CustomerRow, dict[str, Any]]]:
    """Each row with its notes and shipping methods' names, read a chunk of rows at a time."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from desktop.store import models as m

    domestic, international = aliased(m.ShippingMethod), aliased(m.ShippingMethod)
    billing = aliased(m.Address)
    C = m.Customer
    chunk: list[CustomerRow] = []

    def flush() -> Iterator[tuple[CustomerRow, dict[str, Any]]]:
        stmt = (select(C.id, C.notes, domestic.name, international.name,
                       *(getattr(billing, f) for f in BILLING_LINES))
                .outerjoin(domestic, domestic.id == C.shipping_method_domestic_id)
                .outerjoin(international, international.id == C.shipping_method_international_id)
                .outerjoin(billing, (billing.id == C.default_billing_address_id)
                           & (C.default_billing_address_id != func.coalesce(C.default_shipping_address_id, 0)))
                .where(C.id.in_([r.id for r in chunk])))
        found = {cid: {"notes": notes, "domestic_shipping": dom, "international_shipping": intl,
                       **{f"billing_{f}": v for f, v in zip(BILLING_LINES, lines)}}
                 for cid, notes, dom, intl, *lines in session.execute(stmt)}
        for r in chunk:
            yield r, found.get(r.id, {})

    for row in rows:
        chunk.append(row)
        if len(chunk) >= EXTRAS_CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


Progress = Callable[[int, int], None]  # (done, total); may raise errors.Cancelled to stop (nothing kept)
PROGRESS_EVERY = 2000


def _counted(rows: Iterable[Any], total: int, progress: Progress | None) -> Iterator[Any]:
    done = 0
    if progress:
        progress(0, total)
    for row in rows:
        yield row
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, max(total, done))
    if progress:
        progress(done, max(total, done))


def _pairs(rows: Iterable[Any]) -> Iterator[tuple[CustomerRow, Mapping[str, Any] | None]]:
    for item in rows:
        yield item if isinstance(item, tuple) else (item, None)


def write_csv(rows: Iterable[Any], stream) -> int:  # type: ignore[no-untyped-def]
    """Rows (or (row, extras) pairs) as CSV."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row, extras in _pairs(rows):
        writer.writerow(export_row(row, extras))
        count += 1
    return count


def write_xlsx(rows: Iterable[Any], stream) -> int:  # type: ignore[no-untyped-def]
    """An Excel workbook of one sheet, the same columns and cells as the CSV (text, so that a zip keeps
    its leading zeros and a phone its plus), written row by row (constant memory)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(list(EXPORT_COLUMNS))
    count = 0
    try:
        for row, extras in _pairs(rows):
            sheet.append(export_row(row, extras))
            count += 1
    except BaseException:
        # Stopped (Cancel, an error): finish the sheet's own temporary file and remove it, so that nothing
        # is left behind and nothing writes to a closed file when the workbook is collected.
        with contextlib.suppress(Exception):
            sheet.close()
            os.remove(sheet._writer.out)
        raise
    book.save(stream)
    return count


def is_xlsx(target: str | os.PathLike[str]) -> bool:
    return str(target).lower().endswith(".xlsx")


def export_customers(
    session: Session, query: CustomerQuery, target: str | os.PathLike[str], *, bom: bool = False,
    progress: Progress | None = None, total: int | None = None,
) -> int:
    """Write every customer matching `query`, in its order, to `target` ('-' = standard output): CSV, or an
    Excel workbook when the name ends in .xlsx. Returns the row count. `progress(done, total)` is called as
    it goes (`total` counted first unless given); if it raises (Cancelled), the target is left as it was."""
    encoding = "utf-8-sig" if bom else "utf-8"
    check_output(target, store=sqlite_file(session.get_bind().engine.url))
    rows: Iterable[Any] = _with_extras(session, iter_customers(session, query))
    if progress is not None:
        rows = _counted(rows, count_customers(session, query) if total is None else total, progress)
    if str(target) == "-":
        if sys.stdout is None:
            raise OSError(9, "standard output is closed")
        sys.stdout.reconfigure(newline="")  # type: ignore[union-attr]
        return write_csv(rows, sys.stdout)
    if is_xlsx(target):
        with atomic_output(target, binary=True) as stream:
            return write_xlsx(rows, stream)
    with atomic_output(target, encoding=encoding) as stream:
        return write_csv(rows, stream)
