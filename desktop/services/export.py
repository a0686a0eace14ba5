"""Export customers to CSV: streamed in keyset chunks, safe to open in a spreadsheet.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) are
prefixed with a single quote. A file is written next to its target and renamed at the end, so a failed
export never leaves half a file behind.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable

from sqlalchemy.orm import Session

from desktop.services.customer_list import CustomerQuery, CustomerRow, iter_customers
from desktop.services.outputs import atomic_output, check_output
from desktop.store.engine import sqlite_file

EXPORT_COLUMNS = (
    "id", "name", "company", "email", "phone", "fax",
    "address1", "address2", "address3", "city", "province", "province_code", "zip", "country",
    "country_code", "sales_rep", "pricing_tier", "store", "warehouse", "archived", "created_at",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_row(row: CustomerRow) -> list[str]:
    values = {
        **{c: getattr(row, c) for c in EXPORT_COLUMNS if c not in ("archived", "created_at")},
        "archived": "true" if row.archived else "false",
        "created_at": row.created_at.isoformat(sep=" ", timespec="seconds"),
    }
    return [safe_cell(values[c]) for c in EXPORT_COLUMNS]


def write_csv(rows: Iterable[CustomerRow], stream) -> int:  # type: ignore[no-untyped-def]
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(export_row(row))
        count += 1
    return count


def export_customers(session: Session, query: CustomerQuery, target: str | os.PathLike[str], *, bom: bool = False) -> int:
    """Write every customer matching `query` to `target` ('-' = standard output). Returns the row count."""
    encoding = "utf-8-sig" if bom else "utf-8"
    check_output(target, store=sqlite_file(session.get_bind().engine.url))
    rows = iter_customers(session, query)
    if str(target) == "-":
        if sys.stdout is None:
            raise OSError(9, "standard output is closed")
        sys.stdout.reconfigure(newline="")  # type: ignore[union-attr]
        return write_csv(rows, sys.stdout)
    with atomic_output(target, encoding=encoding) as stream:
        return write_csv(rows, stream)
