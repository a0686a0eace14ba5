"""`customer-desk import FILE [--dry-run] [--strict] [--errors OUT.csv]`, `customer-desk imports list` and
`customer-desk imports undo BATCH_ID`.

Exit codes of `import`: 0 committed (with `--dry-run`: would commit); 1 refused (`--strict` and some rows
have errors, or the store changed meanwhile); 2 the file cannot be read as customers. A dry run and
every refusal leave the database as it was: the strict check is a read-only pass before any write.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from desktop.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    in_store,
    open_store,
    whole_number,
)

MAX_PRINTED = 200  # issues printed; all of them go to --errors


def register(commands: argparse._SubParsersAction) -> None:
    imp = commands.add_parser(
        "import", help="import customers from a CSV or .xlsx file (preview with --dry-run)",
        description="Import customers from a CSV or .xlsx file. Rows with errors are skipped (or, with "
                    "--strict, nothing is imported); existing customers are matched by email or id.",
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing")
    imp.add_argument("--strict", action="store_true", help="import nothing when any row has an error")
    imp.add_argument("--errors", metavar="OUT.csv", help="save the rows with errors (original columns + error)")
    imp.add_argument("--encoding", metavar="NAME", help="read the CSV in this encoding instead of detecting it")
    imp.add_argument("--delimiter", metavar="CHAR", help="the CSV delimiter (',', ';', 'tab' or '|')")
    imp.add_argument("--allow-duplicates", action="store_true",
                     help="also create rows that look like an existing customer (Find Match)")
    imp.add_argument("--accept-identity-changes", action="store_true",
                     help="also update customers whose name and email the file both changes (otherwise those "
                          "rows are skipped and listed: they are usually another person)")
    imp.add_argument("--quiet", action="store_true", help="print one summary line only (and errors on stderr)")
    imp.set_defaults(handler=cmd_import)

    batches = commands.add_parser("imports", help="list past imports or undo one")
    sub = batches.add_subparsers(dest="imports_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list imports, newest first")
    listing.add_argument("--limit", type=whole_number("a number of imports", low=1, high=1_000_000), default=50)
    listing.set_defaults(handler=cmd_list)
    undo = sub.add_parser("undo", help="undo an import while its customers are untouched since")
    undo.add_argument("batch_id", type=whole_number("an import batch id", low=1), metavar="BATCH_ID")
    undo.set_defaults(handler=cmd_undo)


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return named.get(text.lower(), text)


def cmd_import(args: argparse.Namespace) -> int:
    from desktop.importing import commit as imp_commit
    from desktop.importing import plan as imp_plan
    from desktop.importing.errors_csv import write_error_rows
    from desktop.importing.mapping import auto_mapping
    from desktop.importing.reading import UnreadableFile, open_source

    out = sys.stdout
    if args.encoding is not None and not _text_encoding(args.encoding):
        print(f"customer-desk: {args.encoding!r} is not a text encoding (for example utf-8, cp1252, cp1251, "
              f"gb18030, shift_jis).", file=sys.stderr)
        return EXIT_USAGE
    try:
        source = open_source(args.file, encoding=args.encoding, delimiter=_delimiter(args.delimiter))
        mapping = auto_mapping(source.header)
    except UnreadableFile as exc:
        print(f"customer-desk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = imp_plan.Options(allow_duplicates=args.allow_duplicates,
                               accept_identity_changes=args.accept_identity_changes)
    db = open_store(args)
    try:
        if args.errors:  # before anything is read or written: never onto the store or the input
            from desktop.services.outputs import check_output

            check_output(args.errors, store=db.file, inputs=[source.path])
        if args.quiet:
            out = _Discard()
        print(f"{source.file_name}: {source.describe()}", file=out)
        for note in source.notes:
            print(f"  ({note})", file=out)
        _print_mapping(source.header, mapping, out)
        progress = _Progress(source) if not args.quiet else None
        try:
            preview: imp_plan.Preview | None = None
            if args.dry_run or args.strict:
                with db.read() as session:
                    preview = imp_plan.preview(session, source, mapping, options, keep_rows=bool(args.errors),
                                               progress=progress)
                if progress:
                    progress.done()
                if args.dry_run or preview.summary.errors:
                    _report(preview, out)
                    if args.errors:
                        _save_errors(write_error_rows, preview, args.errors, db, out)
                    if args.strict and preview.summary.errors:
                        print(f"Refused (--strict): {preview.summary.errors:,} rows have errors; nothing was "
                              f"imported.", file=sys.stdout)
                        return EXIT_ERROR
                    print(f"Dry run: nothing was written. {_counts(preview)}.", file=sys.stdout)
                    return EXIT_OK
            result, done = imp_commit.import_file(db, source, mapping, options, progress=progress)
            if progress:
                progress.done()
            _report(result, out)
            if args.errors:
                _save_errors(write_error_rows, result, args.errors, db, out)
            if done is None:
                print("Nothing to import: no row creates or changes a customer. Nothing was written.",
                      file=sys.stdout)
                return EXIT_OK
            errors = f", {result.summary.errors:,} with errors" if result.summary.errors else ""
            print(f"Imported as batch {done.batch_id}: {done.created:,} created, {done.updated:,} updated, "
                  f"{done.addresses_added:,} addresses added, {done.skipped:,} rows skipped{errors}. "
                  f"Undo with: customer-desk imports undo {done.batch_id}", file=sys.stdout)
            return EXIT_OK
        except UnreadableFile as exc:
            if progress:
                progress.done()
            print(f"customer-desk: {exc}", file=sys.stderr)
            return EXIT_USAGE
        finally:
            if progress:
                progress.done()
    finally:
        db.dispose()


def _text_encoding(name: str) -> bool:
    """A codec Python knows that turns bytes into text (not rot13, base64 or zlib)."""
    import codecs

    try:
        return bool(getattr(codecs.lookup(name), "_is_text_encoding", True))
    except (LookupError, TypeError, ValueError):
        return False


def _counts(preview) -> str:  # type: ignore[no-untyped-def]
    s = preview.summary
    return f"It would create {s.create:,} and update {s.update:,} customers; {s.errors:,} rows have errors"


class _Discard:
    """`--quiet`: everything but the one summary line goes nowhere."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


class _Progress:
    """Rows read, rows a second and (from the bytes read, when the source counts them) the time left, on
    stderr, rewritten in place a few times a second; only on a terminal. Raising from here is not done:
    Ctrl+C interrupts the import and the transaction rolls back."""

    def __init__(self, source) -> None:  # type: ignore[no-untyped-def]
        import time

        self.source = source
        self.clock = time.monotonic
        self.started = self.last = self.clock()
        self.stream = sys.stderr
        self.shown = False
        try:
            self.live = self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            self.live = False

    def __call__(self, rows: int, _total: int = 0) -> None:
        if not self.live:
            return
        now = self.clock()
        if now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        text = f"{rows:,} rows read, {rows / elapsed:,.0f} rows/s"
        read = getattr(self.source, "bytes_read", None)
        size = getattr(self.source, "size", 0)
        if read and size and 0 < read <= size:
            left = elapsed * (size - read) / read
            text += f", {read * 100 // size}%, about {_duration(left)} left"
        try:
            print(f"\r{text}\033[K", end="", file=self.stream, flush=True)
            self.shown = True
        except (OSError, ValueError):
            self.live = False

    def done(self) -> None:
        if self.shown:
            try:
                print("\r\033[K", end="", file=self.stream, flush=True)
            except (OSError, ValueError):
                pass
            self.shown = False


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _save_errors(write_error_rows, preview, path: str, db, out) -> None:  # type: ignore[no-untyped-def]
    from desktop.store.engine import describe_error

    try:
        count = write_error_rows(preview, path, store=db.file)
    except OSError as exc:
        raise CommandError(describe_error(exc) or f"Cannot write {path}: {exc.strerror or exc}.") from exc
    print(f"{count:,} rows with errors saved to {path}", file=out)


def _print_mapping(header: list[str], mapping: dict[int, str], out: TextIO) -> None:
    from desktop.importing.mapping import FIELDS, id_note

    used = [f"{header[i]} -> {FIELDS[f]}" for i, f in sorted(mapping.items())]
    ignored = [header[i] for i in range(len(header)) if i not in mapping and header[i]]
    print("Columns: " + "; ".join(used), file=out)
    note = id_note(header, mapping)
    if note:
        print(f"  ({note})", file=out)
    if ignored:
        print("Not imported: " + ", ".join(ignored), file=out)


def _report(preview, out: TextIO) -> None:  # type: ignore[no-untyped-def]
    for line in preview.summary.lines():
        print(line, file=out)
    if preview.source.cut_last_row is not None:
        print(f"Warning: the file does not end with a line end: row {preview.source.cut_last_row} may be cut "
              f"short (check it).", file=out)
    from desktop.importing.mapping import FIELDS
    from desktop.importing.plan import Status

    updates = [r for r in preview.rows if r.status is Status.UPDATE] if preview.kept_all else preview.updates
    if updates:
        shown = updates[:MAX_PRINTED]
        print(f"Updates ({preview.summary.update:,}){', the first ' + str(len(shown)) if len(shown) < preview.summary.update else ''}:",
              file=out)
        for row in shown:
            changes = "; ".join(f"{_label(FIELDS, f)}: {_shown(b)} -> {_shown(a)}" for f, (b, a) in row.changes.items())
            print(f"  row {row.row} (customer {row.customer_id}): {changes}", file=out)
    printed = 0
    for kind, title in (("error", "Errors"), ("financial alert", "Financial alerts"), ("warning", "Warnings")):
        issues = [i for i in preview.issues if i.kind == kind]
        if not issues:
            continue
        print(f"{title} ({len(issues):,}):", file=out)
        for issue in issues:
            if printed >= MAX_PRINTED:
                print(f"  … {len(issues):,} in all (save them with --errors OUT.csv)", file=out)
                break
            print(f"  {issue}", file=out)
            printed += 1


def _label(fields: dict[str, str], name: str) -> str:
    labels = {"default_sales_rep_id": "Sales rep", "product_pricing_tier_id": "Pricing tier", "store_id": "Store",
              "warehouse_id": "Warehouse"}
    return fields.get(name) or labels.get(name, name)


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def cmd_list(args: argparse.Namespace) -> int:
    from desktop.importing.commit import list_batches

    batches = in_store(args, lambda s: list_batches(s, limit=args.limit))
    if not batches:
        print("No imports yet.")
        return EXIT_OK
    print(f"{'batch':>6}  {'committed (UTC)':16}  {'state':9}  {'rows':>8}  {'created':>8}  {'updated':>8}  file")
    for b in batches:
        when = f"{b.committed_at:%Y-%m-%d %H:%M}" if b.committed_at else ""
        print(f"{b.id:>6}  {when:16}  {b.state:9}  {b.rows:>8,}  {b.created:>8,}  {b.updated:>8,}  {b.file_name}")
    return EXIT_OK


def cmd_undo(args: argparse.Namespace) -> int:
    from desktop.importing.commit import undo_batch

    result = in_store(args, lambda s: undo_batch(s, args.batch_id), write=True)
    print(f"Import {result.batch_id} undone: {result.deleted:,} customers deleted, {result.restored:,} restored, "
          f"{result.addresses_removed:,} addresses removed.")
    return EXIT_OK
