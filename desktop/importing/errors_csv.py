"""Save the rows with errors as a CSV to fix and import again: the file's own columns plus `error`.

Written as UTF-8 with a BOM (Excel then shows accents right), formula-like cells guarded as the export
does, to a temporary file renamed at the end (desktop.services.outputs).
"""

from __future__ import annotations

import csv
import os

from desktop.importing.plan import Preview
from desktop.services.export import safe_cell
from desktop.services.outputs import atomic_output, check_output


def write_error_rows(preview: Preview, target: str | os.PathLike[str], *,
                     store: str | os.PathLike[str] | None = None) -> int:
    """Write every error row of `preview` to `target`; return how many. Refused (UnsafeOutput) when
    `target` is the file imported, the store (`store`: its SQLite file) or any database."""
    check_output(target, store=store, inputs=[preview.source.path])
    header = list(preview.source.header)
    width = len(header)
    rows = [r for r in preview.error_rows() if r.record is not None]
    extra = max((len(r.record.values) for r in rows if r.record is not None), default=width)
    header += [f"column {i + 1}" for i in range(width, extra)]
    with atomic_output(target, encoding="utf-8-sig") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([*header, "error"])
        for r in rows:
            assert r.record is not None
            values = list(r.record.values) + [""] * (len(header) - len(r.record.values))
            message = "; ".join(f"{i.column}: {i.message}" if i.column else i.message for i in r.errors)
            writer.writerow([safe_cell(v) for v in values] + [safe_cell(message)])
    return len(rows)
