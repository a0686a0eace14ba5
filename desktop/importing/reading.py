"""What an import file is and its records, row by row, every value as text.

CSV: the encoding comes from a byte-order mark (UTF-8, UTF-16), else UTF-8 when the bytes are UTF-8, else
what `charset-normalizer` says of a sample (Windows-1252 / Latin-1 in practice); the delimiter (`,` `;`
tab `|`) is sniffed from the first lines. Records are parsed by the standard `csv` module, streaming: it
keeps blank rows countable and ragged rows whole, so that every problem can name the row number the clerk
sees in a spreadsheet (pandas' C parser drops blank rows' numbers and refuses ragged rows outright, and is
slower here once its frame is turned back into rows). `.xlsx` workbooks (also misnamed `.csv`) are read
with openpyxl in read-only mode, first sheet, streaming.

Files fight back, and each way is refused in one sentence before anything is written: a file another
program cuts, extends or replaces while it is read (its size, modification time and inode are noted when it
is opened and checked again before the import commits; the batch records the sha256 of the very bytes the
records were read from, hashed as they were read, not of a second read at another time); a quote that is
never closed (it would swallow every row after it into one cell); a workbook that inflates a thousand-fold
(a zip bomb: its parts' declared sizes are checked before openpyxl inflates a byte); an encoding name that
is not a text encoding (rot13, base64, zlib).

Nothing here knows about customers: `mapping` turns the header into fields.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

from desktop.importing.errors import UnreadableFile
from desktop.importing.encodings import ALL_ENCODINGS, Candidate, Unclear, common_name
from desktop.importing.encodings import choose as choose_encoding
from desktop.services.errors import DomainError

log = logging.getLogger("desktop.import")

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 256 * 1024
MAX_FIELD = 1 << 24  # 16 MB: one cell of a real file is never near this; a runaway quote is
csv.field_size_limit(min(sys.maxsize, MAX_FIELD))
# A quoted cell longer than this, or spanning more line ends, is a quote that was never closed (a real
# address or note is a few lines): the import stops there instead of swallowing the rows after it.
MAX_QUOTED_CELL = 64 * 1024
MAX_QUOTED_LINES = 1_000
# After the file's last line the csv reader is given two more: a line end and a marker. Outside any quote
# they are two blank records; inside a quote still open at the end of the file they are the end of its
# cell (the csv module's strict=False says nothing of that). One C-level chain, no check per row.
_END = "\u2000\u2001\u2002"  # Unicode spaces: str.strip() blanks them, so the record is a blank row
_AFTER_FILE = ("\n", _END)
_OPEN_AT_END = "\n" + _END
# Workbooks are zip archives: each part's declared size is checked before anything is inflated (zipfile
# never inflates a part beyond its declared size: it stops with a CRC error). Measured: a 200,000-row,
# 15-column customer workbook written by openpyxl is a 16.8 MB file whose sheet1.xml inflates to 173 MB
# (10x; inline strings). Excel writes the text once into sharedStrings.xml instead (about 35 MB for such a
# sheet, mostly unique names and emails), which openpyxl holds in memory whole. Real parts pack 4-20x, a
# bomb 1,000x. So: at most 512 MB a part (3x that sheet), 128 MB of shared strings, 1 GB for all parts,
# and 200x for a part above 16 MB.
MAX_XLSX_PART = 512 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS = 128 * 1024 * 1024
MAX_XLSX_TOTAL = 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200  # for parts above 16 MB
XLSX_RATIO_FLOOR = 16 * 1024 * 1024
# A workbook is read from a copy taken (and hashed) in one pass, so that openpyxl's random access reads
# exactly the bytes whose checksum the import records: in memory up to this, else in a temporary file.
XLSX_COPY_IN_MEMORY = 64 * 1024 * 1024

# Encodings the clerk may choose from in the dialog (Python codec names), grouped by script.
ENCODINGS = ALL_ENCODINGS
# Legacy detection judges a sample from the whole file: its start, middle and end.
DETECT_PART = 64 * 1024




@dataclass(frozen=True, slots=True)
class Record:
    """One data row: `row` is its number as a spreadsheet shows it (the header is row 1)."""

    row: int
    values: list[str]


@dataclass
class Source:
    """A readable import file: its kind, encoding and delimiter (CSV), header, and how to read records."""

    path: Path
    kind: str  # "csv" or "xlsx"
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    size: int = 0
    notes: list[str] = field(default_factory=list)  # what was detected or assumed, for the clerk
    # (size, mtime_ns, inode) when opened: an import re-checks it before it commits
    fingerprint: tuple[int, int, int] | None = None
    bytes_read: int = 0  # of the current pass over the records (progress, and the check below)
    read_checksum: str | None = None  # sha256 of the bytes the last complete pass over the records read
    read_complete: int = 0  # how many bytes that pass read
    cut_last_row: int | None = None  # the last record had no line end: it may have been cut short
    errors: str = "strict"  # "surrogateescape": UTF-8 with a few damaged bytes, reported row by row

    @property
    def file_name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        if self.kind == "xlsx":
            return "Excel workbook"
        return f"{self.encoding} text, {DELIMITER_NAMES.get(self.delimiter or ',', repr(self.delimiter))}-separated"

    def records(self) -> Iterator[Record]:
        """Every data row after the header; entirely blank rows are skipped (but counted)."""
        if self.kind == "xlsx":
            yield from _xlsx_records(self)
        else:
            yield from _csv_records(self)

    def checksum(self) -> str:
        """The sha256 of what was read: of the bytes the last complete pass over the records read, hashed
        as they were read (a workbook: of the copy openpyxl read). Only a source never read to its end is
        hashed here, from the file."""
        if self.read_checksum is not None:
            return self.read_checksum
        return file_checksum(self.path)

    def check_unchanged(self) -> None:
        """Refuse (UnreadableFile) when the file is not the one that was opened and read: another program
        (a sync tool, an editor) replaced, cut or extended it meanwhile, or the bytes read do not add up
        to its size. Called inside the import's transaction, before it commits: the refusal rolls it back."""
        try:
            now = _fingerprint(self.path)
        except OSError:
            now = None
        read_all = self.read_checksum is None or self.read_complete == self.size
        if now != self.fingerprint or not read_all:
            raise UnreadableFile(f"{self.path.name} changed while it was read: nothing was imported.")


def _fingerprint(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Counting(io.RawIOBase):
    """A raw file that hashes and counts every byte read through it (one pass, no second read)."""

    def __init__(self, raw: io.RawIOBase, source: Source):
        self.raw, self.source = raw, source
        self.digest = hashlib.sha256()
        self.count = 0
        source.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        n = self.raw.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.count += n
            self.source.bytes_read = self.count
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_source(path: str | os.PathLike[str], *, encoding: str | None = None,
                delimiter: str | None = None) -> Source:
    """Look at `path` and say how to read it; `encoding` / `delimiter` override what is detected."""
    path = Path(path)
    try:
        fingerprint = _fingerprint(path)
        size = fingerprint[0]
        with path.open("rb") as f:
            sample = f.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise UnreadableFile(f"{path.name} does not exist.") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path.name} is a folder, not a file.") from None
    except OSError as exc:
        raise UnreadableFile(f"{path.name} cannot be opened: {exc.strerror or exc}.") from None
    if not sample.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise UnreadableFile(f"{path.name} is empty: there are no customers to import.")
    if sample.startswith(b"PK\x03\x04"):
        source = _open_xlsx(path, size)
    elif sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            f"{path.name} is an old-style Excel (.xls) workbook; save it as .xlsx or CSV and import that."
        )
    else:
        source = _open_csv(path, size, sample, encoding, delimiter)
    source.fingerprint = fingerprint
    return source


# --- CSV ----------------------------------------------------------------------------------------


LEGACY = "legacy"  # what detect_encoding(judge=False) answers for a sample that is not UTF-8


def detect_encoding(sample: bytes, complete: bool, name: str = "the file", *,
                    judge: bool = True) -> tuple[str, str | None]:
    """(codec, note). `complete` says the sample is the whole file. Raises UnclearEncoding when two
    encodings read the sample equally well into different text, BinaryFile for binary data."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    # UTF-16 without a BOM: every other byte of ASCII text is NUL …
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return "utf-16-le", None
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
        return "utf-16-be", None
    # … but of Chinese or Japanese text none is: then it is recognised by reading as text.
    utf16 = _utf16_from_text(sample)
    if utf16 is not None:
        return utf16, f"no byte-order mark: read as {utf16} (its text reads cleanly)"
    if _looks_binary(sample):
        raise BinaryFile()
    try:
        sample.decode("utf-8") if complete else codecs.getincrementaldecoder("utf-8")().decode(sample)
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    if not judge:  # the caller judges a sample of the whole file instead
        return LEGACY, "not UTF-8"
    return guess_legacy(sample, name)


class UnclearEncoding(UnreadableFile):
    """Two encodings read the file equally well and give different text: the clerk chooses."""

    def __init__(self, name: str, first: Candidate, second: Candidate):
        self.first, self.second = first, second
        super().__init__(
            f"{name}: its encoding is unclear: it reads as {first.label} or as {second.label}, and the two give "
            f"different text; nothing was imported. Choose one with --encoding {first.codec} or --encoding "
            f"{second.codec} (in the window: the Encoding list)."
        )


def guess_legacy(sample: bytes, name: str = "the file") -> tuple[str, str | None]:
    """The legacy encoding of a sample that is not UTF-8, with its evidence as a note."""
    try:
        best, runner = choose_encoding(sample)
    except Unclear as unclear:
        raise UnclearEncoding(name, unclear.first, unclear.second) from None
    except LookupError:
        return "latin-1", "not UTF-8, and no encoding reads it cleanly: read as latin-1 (check the text)"
    evidence = f"{best.label}, {best.quality:.0%} clean"
    if runner is not None:
        evidence += f"; next best {common_name(runner.codec)}, {runner.quality:.0%}"
    if best.signs:
        evidence += f"; {best.signs} odd characters: check the text"
    return best.codec, f"not UTF-8: read as {best.codec} ({evidence})"


def _utf16_from_text(sample: bytes) -> str | None:
    """UTF-16 without a BOM, recognised from its text: it decodes, has line ends and a delimiter, and no
    control characters (CJK text in UTF-16 has no NUL bytes for the ASCII test above to see)."""
    if len(sample) < 8:
        return None
    even = sample[: len(sample) // 2 * 2]
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(codec)().decode(even)
        except UnicodeDecodeError:
            continue
        if "\n" not in text or not any(d in text for d in DELIMITERS):
            continue
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\r\n" for ch in text):
            continue
        return codec
    return None


class BinaryFile(Exception):
    pass


_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])


def _looks_binary(sample: bytes) -> bool:
    """Images, archives and programs are full of control bytes; a text file with one stray NUL is not
    binary (its row gets an error instead)."""
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) // 20


def _utf8_damage(path: Path, data: bytes | None = None) -> tuple[int, int, int | None]:
    """Read the whole file once as UTF-8: (bytes that are not UTF-8, characters outside ASCII that are,
    offset of the first bad byte). A file that starts as UTF-8 may not be further on: it is never refused
    or garbled halfway through an import."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    bad = good = 0
    first: int | None = None
    offset = 0
    with (io.BytesIO(data) if data is not None else path.open("rb")) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            text = decoder.decode(block)
            if not block.isascii():
                damaged = len(_SURROGATE.findall(text))
                if damaged and first is None:
                    where = _SURROGATE.search(text)
                    first = offset + len(text[: where.start()].encode("utf-8", "surrogateescape")) if where else offset
                bad += damaged
                good += len(text) - len(text.encode("ascii", "ignore")) - damaged
            offset += len(block)
        tail = decoder.decode(b"", final=True)
        bad += len(_SURROGATE.findall(tail))
    return bad, good, first


_SURROGATE = re.compile("[\udc80-\udcff]")


def _all_utf8(path: Path) -> bool:
    """The whole file is valid UTF-8 (the usual case: one strict pass at the codec's speed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(bad: int, good: int) -> bool:
    """UTF-8 with a few damaged bytes (a stray byte pasted from elsewhere) rather than a legacy file: the
    good UTF-8 letters outnumber the bad bytes many times over."""
    return bad > 0 and good >= 4 * bad


def spread_sample(path: Path, size: int, part: int = DETECT_PART) -> bytes:
    """The start, middle and end of the file, cut at line ends: what legacy detection judges."""
    if size <= 3 * part:
        return path.read_bytes()
    pieces = []
    with path.open("rb") as f:
        for start in (0, size // 2 - part // 2, size - part):
            f.seek(max(0, start))
            piece = f.read(part)
            if start > 0 and b"\n" in piece:
                piece = piece[piece.index(b"\n") + 1:]
            if start + part < size and b"\n" in piece:
                piece = piece[: piece.rindex(b"\n") + 1]
            pieces.append(piece)
    return b"".join(pieces)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most columns, consistently."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line short
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows if len(r) == width)
        score = (consistent * 100 // len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_csv(path: Path, size: int, sample: bytes, encoding: str | None, delimiter: str | None) -> Source:
    notes: list[str] = []
    errors = "strict"
    if encoding is None:
        try:
            encoding, note = detect_encoding(sample, complete=len(sample) >= size, name=path.name, judge=False)
        except BinaryFile:
            raise UnreadableFile(
                f"{path.name} is not a text or Excel file (it holds binary data), so it has no customers to read."
            ) from None
        legacy = encoding == LEGACY
        suspect = legacy or (encoding == "utf-8" and size > len(sample) and not _all_utf8(path))
        if suspect:
            # Judged on the start, middle and end when the start is not UTF-8 (a legacy file says so at
            # once); on the whole file when only something further on is not.
            bad, good, first = _utf8_damage(path, spread_sample(path, size) if legacy else None)
            if _mostly_utf8(bad, good):
                encoding, errors = "utf-8", "surrogateescape"
                note = (f"UTF-8 with {bad:,} damaged byte{'s' if bad != 1 else ''} (the first at byte {first or 0:,}): "
                        f"those rows are reported, every other row is read exactly")
            else:
                encoding, note = guess_legacy(spread_sample(path, size), path.name)
        if note:
            notes.append(note)
    else:
        encoding = _chosen_encoding(encoding)
    try:
        text = sample.decode(encoding, errors="replace")
    except UnicodeError:  # codecs that refuse "replace" (idna) or every byte ("undefined")
        raise UnreadableFile(f"{path.name} cannot be read as {encoding} text: choose another encoding "
                             f"(for example utf-8 or cp1252).") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif delimiter not in DELIMITERS and len(delimiter) != 1:
        raise UnreadableFile(f"{delimiter!r} cannot be a delimiter: give one character.")
    source = Source(path=path, kind="csv", header=[], encoding=encoding, delimiter=delimiter, size=size,
                    notes=notes, errors=errors)
    source.header = _csv_header(source)
    return source


def _chosen_encoding(name: str) -> str:
    """The codec of an encoding the clerk named: refused unless Python knows it and it turns bytes into
    text (rot13, base64, zlib and the like are codecs too, but not text encodings)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):  # ValueError: a name with a NUL in it
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        known = "" if info is not None else " this app knows"
        raise UnreadableFile(f"{name!r} is not a text encoding{known} (for example utf-8, cp1252, cp1251, "
                             f"gb18030, shift_jis).")
    return info.name


def _text_stream(source: Source) -> io.TextIOWrapper:
    raw = io.BufferedReader(_Counting(io.FileIO(source.path, "rb"), source), 1 << 16)
    return io.TextIOWrapper(raw, encoding=source.encoding or "utf-8", errors=source.errors, newline="")


def _csv_rows(source: Source) -> Iterator[list[str]]:
    """Every row of the file as the csv module splits it (the header is row 1). A complete pass records
    the checksum of the bytes it read and whether the last line had its line end. A quoted cell that
    runs on for more than MAX_QUOTED_LINES line ends or MAX_QUOTED_CELL characters, or to the end of
    the file, is a quote that was never closed: refused, naming where it opens.

    The loop is the import's hot path: per row it only compares the lines read with the records read;
    a record that spans several lines (a quoted line break) is looked at more closely."""
    stream = _text_stream(source)
    counting = stream.buffer.raw  # type: ignore[attr-defined]
    with stream:
        reader = csv.reader(chain(stream, _AFTER_FILE), delimiter=source.delimiter or ",", strict=False)
        numbered = enumerate(reader, 1)
        row = 0
        extra = 0  # lines read beyond one a record: the quoted line breaks so far
        try:
            for row, values in numbered:  # the first: a byte-order mark read as text is not in the header
                if reader.line_num - row != extra:
                    extra = _check_long(source, row, values, extra, reader.line_num - row)
                if values and values[0].startswith("\ufeff"):
                    values[0] = values[0][1:]
                yield values
                break
            for row, values in numbered:
                if reader.line_num - row != extra:
                    extra = _check_long(source, row, values, extra, reader.line_num - row)
                yield values
        except UnicodeError as exc:  # UnicodeDecodeError, or "UTF-16 stream does not start with BOM"
            where = f" after row {reader.line_num}" if reader.line_num else ""
            raise UnreadableFile(
                f"{source.path.name} is not valid {source.encoding}{where}: "
                f"choose its encoding (it may be Windows-1252)."
            ) from exc
        except csv.Error as exc:
            raise UnreadableFile(f"{source.path.name} cannot be read as CSV near row {reader.line_num}: {exc}.") from exc
        row -= len(_AFTER_FILE)  # the blank records after the file's last line
        tail = _tail(source)
        source.read_checksum = counting.digest.hexdigest()
        source.read_complete = counting.count
        source.cut_last_row = row if row > 1 and tail and not tail.endswith((b"\n", b"\r", b"\n\x00", b"\r\x00")) else None
        if source.cut_last_row is not None:
            note = f"the file does not end with a line end: row {row} may be cut short"
            if note not in source.notes:
                source.notes.append(note)


def _check_long(source: Source, row: int, values: list[str], extra: int, now: int) -> int:
    """A record over several lines (`now - extra` more than one): refused when a quote is still open at
    the end of the file (its last cell swallowed the lines given after the file), or when a cell runs on
    for more line ends or characters than a real one has. Returns the lines read beyond one a record."""
    if values and values[-1].endswith(_OPEN_AT_END):
        _refuse_quote(source, row, values, len(values) - 1)
    if now - extra > MAX_QUOTED_LINES or any(len(v) > MAX_QUOTED_CELL for v in values):
        column = max(range(len(values)),
                     key=lambda i: (values[i].count("\n") + values[i].count("\r"), len(values[i])))
        _refuse_quote(source, row, values, column)
    return now


def _refuse_quote(source: Source, row: int, values: list[str], column: int) -> None:
    header = source.header[column] if column < len(source.header) else ""
    named = f" ({header})" if header else ""
    raise UnreadableFile(
        f"{source.path.name}: an unterminated quote opens at row {row}, column {column + 1}{named}; nothing was "
        f"imported. Close the quote in that cell (or remove it) and import again."
    )


def _tail(source: Source) -> bytes:
    """The file's last bytes (to see whether it ends with a line end)."""
    try:
        with source.path.open("rb") as f:
            f.seek(max(0, source.size - 16))
            return f.read(16)
    except OSError:
        return b""


def _csv_header(source: Source) -> list[str]:
    for values in _csv_rows(source):
        if any(v.strip() for v in values):
            return [v.strip() for v in values]
    raise UnreadableFile(f"{source.path.name} is empty: there are no customers to import.")


def _blank(values: list[str]) -> bool:
    return not any(v.strip() for v in values)


def _csv_records(source: Source) -> Iterator[Record]:
    """Rows after the header. A spreadsheet shows one record per row (a quoted line break stays inside
    its cell), so the row number counts records, blank ones included."""
    rows = _csv_rows(source)
    number = 0
    for values in rows:  # up to and including the header
        number += 1
        if not _blank(values):
            break
    join = "".join
    for number, values in enumerate(rows, number + 1):
        # Not blank: the first cell says so at once, else all of them joined (a third of the time
        # `any(v.strip() for v in values)` takes, which pays for the checks in _csv_rows).
        if values and (values[0].strip() or join(values).strip()):
            yield Record(number, values)


# --- workbooks ----------------------------------------------------------------------------------


def _open_xlsx(path: Path, size: int) -> Source:
    source = Source(path=path, kind="xlsx", header=[], size=size)
    with path.open("rb") as f:
        _check_workbook(path, f)  # before the copy below is made, and again on it
    for record in _xlsx_rows(source):
        if any(v.strip() for v in record):
            source.header = [v.strip() for v in record]
            return source
    raise UnreadableFile(f"{path.name} has an empty first sheet: there are no customers to import.")


def _check_workbook(path: Path, stream: Any) -> None:
    """A zip archive with a workbook in it, none of whose parts inflates too far (read from the archive's
    directory alone)."""
    try:
        with zipfile.ZipFile(stream) as z:
            if "xl/workbook.xml" not in z.namelist():
                raise UnreadableFile(
                    f"{path.name} is a zip archive, not an Excel workbook, so it has no customers to read."
                )
            _check_inflation(path, z.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise UnreadableFile(f"{path.name} looks like a workbook but is damaged and cannot be read.") from None


def _copy(source: Source) -> tuple[Any, str, int]:
    """The workbook copied in one pass, hashed as it is read: (copy, sha256, bytes). openpyxl reads a
    zip by random access, so it reads this copy, and the checksum is of exactly what it read."""
    copy = tempfile.SpooledTemporaryFile(max_size=XLSX_COPY_IN_MEMORY)
    digest = hashlib.sha256()
    count = 0
    try:
        with source.path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
                copy.write(block)
                count += len(block)
    except OSError as exc:
        copy.close()
        raise UnreadableFile(f"{source.path.name} cannot be read: {exc.strerror or exc}.") from None
    copy.seek(0)
    return copy, digest.hexdigest(), count


def _check_inflation(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse a workbook whose parts would inflate beyond what a customer list needs (a zip bomb), before
    a byte of it is inflated: the sizes are the ones the archive declares, and zipfile refuses to inflate
    a part beyond its declared size."""
    total = 0
    for part in parts:
        total += part.file_size
        limit = MAX_XLSX_SHARED_STRINGS if part.filename.lower().endswith("sharedstrings.xml") else MAX_XLSX_PART
        if part.file_size > limit or total > MAX_XLSX_TOTAL:
            raise UnreadableFile(
                f"{path.name} inflates to {_size(max(total, part.file_size))} when opened, more than this app "
                f"reads from a workbook (at most {_size(limit)} a part, {_size(MAX_XLSX_TOTAL)} in all); save it "
                f"as CSV, or split it."
            )
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > XLSX_RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
            raise UnreadableFile(
                f"{path.name} inflates to {_size(part.file_size)} when opened, {ratio:,} times its packed size "
                f"(a real workbook packs 4 to 20 times; this app reads at most {MAX_XLSX_RATIO}); save it as "
                f"CSV, or split it."
            )


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MB"


def cell_text(value: Any) -> str:
    """A cell as the text a clerk sees: whole numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time, int, Decimal)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    return str(value)


def _xlsx_rows(source: Source) -> Iterator[list[str]]:
    """The first sheet's rows, from a copy of the workbook checked again before it is opened (the file
    may have been replaced since it was opened). A complete pass records the copy's checksum."""
    import warnings

    from openpyxl import load_workbook

    path = source.path
    stream, checksum, count = _copy(source)  # a file object: openpyxl would refuse a misnamed .csv by name
    try:
        _check_workbook(path, stream)
        stream.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = load_workbook(stream, read_only=True, data_only=True)
    except UnreadableFile:
        stream.close()
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        stream.close()
        raise UnreadableFile(f"{path.name} is a damaged workbook and cannot be read ({type(exc).__name__}).") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is not None:
            try:
                for row in sheet.iter_rows(values_only=True):
                    values = [cell_text(v) for v in row]
                    while values and values[-1] == "":
                        values.pop()
                    yield values
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, SyntaxError):  # damaged later,
                # or a part that inflates beyond the size it declares (zipfile stops there: a CRC error)
                raise UnreadableFile(f"{path.name} is a damaged workbook and cannot be read (its first sheet is "
                                     f"cut short or corrupt); nothing was imported.") from None
        source.read_checksum = checksum
        source.read_complete = count
    finally:
        workbook.close()
        stream.close()


def _xlsx_records(source: Source) -> Iterator[Record]:
    rows = _xlsx_rows(source)
    number = 0
    for values in rows:
        number += 1
        if any(v.strip() for v in values):
            break
    for values in rows:
        number += 1
        if any(v.strip() for v in values):
            yield Record(number, values)
