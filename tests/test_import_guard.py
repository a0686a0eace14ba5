"""Import files that fight back: one changed by another process while it is read, an unterminated quote,
a workbook that inflates a thousand-fold, ids beyond what a store holds, a last line cut short. Each is
refused or reported in one line naming the row and column, and the store is left exactly as it was."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.cli import main
from desktop.importing import commit as imp_commit
from desktop.importing.mapping import auto_mapping
from desktop.importing import reading
from desktop.importing.reading import UnreadableFile, open_source
from desktop.store import models as m
from desktop.store.engine import Database

EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b")
ROOT = Path(__file__).resolve().parents[1]


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(m.Customer)) or 0,
                s.scalar(select(func.count()).select_from(m.ImportBatch)) or 0)


def many_rows(path: Path, rows: int, *, end: str = "\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("Name,Email,City\n")
        f.write("\n".join(f"Noah Person{i},noah{i}@guard.example,Dunedin" for i in range(rows)) + end)
    return path


def truncate_in_another_process(path: Path, size: int) -> None:
    subprocess.run([sys.executable, "-c", f"import os; os.truncate({str(path)!r}, {size})"], check=True)


# --- a file that changes while it is read -------------------------------------------------------------


def test_a_file_truncated_by_another_process_during_the_import_imports_nothing(db: Database, tmp_path: Path) -> None:
    path = many_rows(tmp_path / "big.csv", 20_000)
    source = open_source(path)
    calls: list[int] = []

    def progress(done: int, _total: int) -> None:
        if not calls:  # after the first chunk: a sync tool cuts the file in half
            truncate_in_another_process(path, path.stat().st_size // 2)
        calls.append(done)

    with pytest.raises(UnreadableFile, match="changed while it was read: nothing was imported"):
        imp_commit.import_file(db, source, auto_mapping(source.header), progress=progress)
    assert counts(db) == (0, 0)


def test_the_command_line_refuses_a_file_cut_while_read(db: Database, tmp_path: Path, capsys,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.commands import imports

    path = many_rows(tmp_path / "big.csv", 12_000)
    cut = path.stat().st_size * 2 // 3

    class Cutting:
        def __init__(self, _source: object) -> None:
            self.done_once = False

        def __call__(self, _rows: int, _total: int = 0) -> None:
            if not self.done_once:
                self.done_once = True
                truncate_in_another_process(path, cut)

        def done(self) -> None:
            pass

    monkeypatch.setattr(imports, "_Progress", Cutting)
    assert main(["--database", url_of(db), "import", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "customer-desk: big.csv changed while it was read: nothing was imported."
    assert "Imported as batch" not in captured.out
    assert counts(db) == (0, 0)


def test_the_batch_records_the_checksum_of_what_was_read(db: Database, tmp_path: Path) -> None:
    import hashlib

    path = many_rows(tmp_path / "few.csv", 30)
    source = open_source(path)
    _preview, done = imp_commit.import_file(db, source, auto_mapping(source.header))
    assert done is not None
    with db.read() as s:
        batch = s.get(m.ImportBatch, done.batch_id)
        assert batch is not None and batch.checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_last_line_without_its_line_end_is_reported_as_possibly_cut(db: Database, tmp_path: Path,
                                                                     capsys) -> None:
    path = many_rows(tmp_path / "cut.csv", 5, end="")
    assert main(["--database", url_of(db), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "the file does not end with a line end: row 6 may be cut short" in out


# --- quotes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("closed_later", [False, True])
def test_an_unterminated_quote_is_refused_naming_its_row_and_column(db: Database, tmp_path: Path, capsys,
                                                                    closed_later: bool) -> None:
    lines = ["Name,Email,City", 'Ana Reed,ana@reed.example,"Nelson']
    lines += [f"Good Row{i},good{i}@quote.example,Picton" for i in range(1_000)]
    if closed_later:  # a stray quote far below "closes" it: still 1,000 rows swallowed into one cell
        lines.append('Zed Last,zed@quote.example,Motueka"')
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--database", url_of(db), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "an unterminated quote opens at row 2, column 3 (City)" in err and err.count("\n") == 1
    assert counts(db) == (0, 0)


def test_an_unterminated_quote_in_the_last_row_is_refused(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('Name,Email,City\nAna Reed,ana@reed.example,Nelson\nIvo Stone,ivo@stone.example,"Nel\nson\n',
                    encoding="utf-8")
    assert main(["--database", url_of(db), "import", str(path)]) == 2
    assert "an unterminated quote opens at row 3, column 3 (City)" in capsys.readouterr().err
    assert counts(db) == (0, 0)


def test_quoted_cells_with_line_breaks_still_import(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('Name,Email,Address1,City\n"Ana Reed",ana@reed.example,"Unit 4\n12 Long Rd",Nelson\n'
                    'Ivo Stone,ivo@stone.example,"1 Short St",Picton\nMere Hale,mere@hale.example,"PO Box 5\n'
                    'Rural Delivery 2"', encoding="utf-8")
    assert main(["--database", url_of(db), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Rows read: +3\n", out), out  # three records, none swallowed, no quote refused
    assert "unterminated" not in out


# --- workbooks that inflate --------------------------------------------------------------------------


def _bomb(path: Path, inflated: int) -> Path:
    """A real workbook whose first sheet is replaced by `inflated` bytes of highly compressible rows."""
    from openpyxl import Workbook

    plain = path.with_name("plain.xlsx")
    wb = Workbook()
    wb.active.append(["Name", "Email"])
    wb.save(plain)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info.filename))
                continue
            with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')
                written = 0
                while written < inflated:
                    sheet.write(row)
                    written += len(row)
                sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_workbook_that_inflates_a_thousandfold_is_refused_before_it_is_read(tmp_path: Path) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    bomb = _bomb(tmp_path / "customers.xlsx", 300 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    # A small wrapper runs the command and reports its child's peak: a child forked straight from this
    # test run would count the test run's own pages in its peak until it execs.
    wrapper = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
               " stderr=subprocess.PIPE, text=True); print(done.stderr, end='', file=sys.stderr);"
               " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")
    result = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "desktop", "--database", str(store),
                             "import", str(bomb)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    peak_kib = int(result.stdout.strip())
    assert result.returncode == 2, result
    line = result.stderr.strip()
    assert line.startswith("customer-desk: customers.xlsx inflates to ") and "save it as CSV" in line
    assert "\n" not in line and not EXCEPTION_NAME.search(line)
    assert peak_kib < 200 * 1024  # KiB on Linux: under 200 MB resident


# --- numbers out of range ----------------------------------------------------------------------------


def test_ids_and_references_out_of_range_are_row_errors(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,Name,Email,created_at\n99999999999999999999999,Ana Reed,ana@reed.example,2026-01-02\n"
                    "-4,Ivo Stone,ivo@stone.example,2026-01-02\n1_000,Mere Hale,mere@hale.example,2026-01-02\n"
                    ",Kiri Moss,kiri@moss.example,\n", encoding="utf-8")
    assert main(["--database", url_of(db), "import", str(path)]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert not EXCEPTION_NAME.search(text), text
    for row, value in ((2, "99999999999999999999999"), (3, "-4"), (4, "1_000")):
        assert f"row {row}, id: {value!r} is not a customer id" in text.replace("Row", "row"), text
    assert counts(db) == (1, 1)  # Kiri Moss


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "no-such-codec"])
def test_an_encoding_that_is_not_a_text_encoding_is_a_usage_error(tmp_path: Path, capsys, encoding: str) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    path = many_rows(tmp_path / "a.csv", 3)
    capsys.readouterr()
    assert main(["--database", str(store), "import", str(path), "--encoding", encoding]) == 2
    err = capsys.readouterr().err
    assert f"{encoding!r} is not a text encoding" in err and err.count("\n") == 1
    assert not EXCEPTION_NAME.search(err)


def test_reading_is_still_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checksum comes from the bytes the records were read from: the file is not read a second time."""
    path = many_rows(tmp_path / "one.csv", 2_000)
    source = open_source(path)
    opened: list[str] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == path and (args[:1] or [kwargs.get("mode", "r")])[0] == "rb":
            opened.append("rb")
        return real_open(self, *args, **kwargs)

    real_stream = reading._text_stream

    def counting_stream(src):  # type: ignore[no-untyped-def]
        opened.append("records")
        return real_stream(src)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(reading, "_text_stream", counting_stream)
    assert sum(1 for _ in source.records()) == 2_000
    size = path.stat().st_size
    assert source.read_complete == size and len(source.checksum()) == 64
    # the records once, hashed as they are read, and the last 16 bytes (does it end with a line end?)
    assert opened.count("records") == 1 and opened.count("rb") == 1
    os.utime(path)  # touched: a new modification time is a change
    with pytest.raises(UnreadableFile):
        source.check_unchanged()
