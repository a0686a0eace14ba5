"""Import files that fight back, through the same paths a clerk uses (`import_file`, the dialog's
`commit_preview`, and the `customer-desk import` command line):

- a file another process cuts, extends, replaces or touches while it is read imports nothing, and the
  batch records the sha256 of the bytes the records were read from (no second read at another time);
- a quote that is never closed, in the middle of the file or at its very end, is refused naming its row
  and column, while real multi-line cells (addresses) keep importing;
- a workbook that would inflate to a gigabyte is refused from its archive's directory, before openpyxl
  inflates a byte, in a process that stays small;
- ids and encodings out of range are a row error or one line, never an exception's name.

Every refusal leaves the store exactly as it was: no customer and no import batch.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.cli import main
from desktop.importing import commit as imp_commit
from desktop.importing import plan as imp_plan
from desktop.importing import reading
from desktop.importing.mapping import auto_mapping
from desktop.importing.reading import UnreadableFile, open_source
from desktop.store import models as m
from desktop.store.engine import Database

EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b")
ROOT = Path(__file__).resolve().parents[1]
CHANGED = "changed while it was read: nothing was imported."


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def counts(db: Database) -> tuple[int, int]:
    """(customers, import batches) in the store."""
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(m.Customer)) or 0,
                s.scalar(select(func.count()).select_from(m.ImportBatch)) or 0)


def batch_checksum(db: Database, batch_id: int) -> str:
    with db.read() as s:
        batch = s.get(m.ImportBatch, batch_id)
        assert batch is not None
        return batch.checksum


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_csv(path: Path, rows: int, *, end: str = "\n", first: int = 0) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("Name,Email,City\n")
        f.write("\n".join(f"Hana Reader{i},hana{i}@hostile.example,Oamaru" for i in range(first, first + rows)) + end)
    return path


def rows_xlsx(path: Path, rows: int, *, first: int = 0) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Name", "Email", "City"])
    for i in range(first, first + rows):
        ws.append([f"Hana Reader{i}", f"hana{i}@hostile.example", "Oamaru"])
    wb.save(path)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_clean_line(text: str) -> str:
    """`text` is exactly one line with no exception name in it: that line."""
    assert text.count("\n") == 1 and text.endswith("\n"), text
    assert not EXCEPTION_NAME.search(text), text
    return text.strip()


# --- a file that changes while it is read ----------------------------------------------------------


def _cut(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _extend(path: Path) -> None:
    with path.open("a", encoding="utf-8", newline="") as f:
        f.write("".join(f"Late Row{i},late{i}@hostile.example,Picton\n" for i in range(100)))


def _replace(path: Path) -> None:
    """An editor's save: a new file renamed over the old one (a new inode; the import reads the old)."""
    fresh = path.with_name("fresh" + path.suffix)
    fresh.write_bytes(path.read_bytes())
    os.replace(fresh, path)


def _touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


CHANGES = {"cut": _cut, "extended": _extend, "replaced": _replace, "touched": _touch}


def _after_first_chunk(path: Path, change) -> imp_plan.Progress:  # type: ignore[no-untyped-def]
    done: list[int] = []

    def progress(rows: int, _total: int) -> None:
        if not done:
            change(path)
        done.append(rows)

    return progress


@pytest.mark.parametrize("how", sorted(CHANGES))
def test_a_csv_changed_after_the_first_chunk_imports_nothing(db: Database, tmp_path: Path, how: str) -> None:
    path = rows_csv(tmp_path / "big.csv", 12_000)
    source = open_source(path)
    with pytest.raises(UnreadableFile) as refused:
        imp_commit.import_file(db, source, auto_mapping(source.header),
                               progress=_after_first_chunk(path, CHANGES[how]))
    assert str(refused.value) == f"big.csv {CHANGED}"
    assert counts(db) == (0, 0)


def test_a_20000_row_file_cut_while_read_imports_nothing(db: Database, tmp_path: Path) -> None:
    path = rows_csv(tmp_path / "big.csv", 20_000)
    source = open_source(path)
    with pytest.raises(UnreadableFile, match=re.escape(CHANGED)):
        imp_commit.import_file(db, source, auto_mapping(source.header), progress=_after_first_chunk(path, _cut))
    assert counts(db) == (0, 0)


def test_a_workbook_changed_while_read_imports_nothing(db: Database, tmp_path: Path) -> None:
    path = rows_xlsx(tmp_path / "big.xlsx", 6_000)
    source = open_source(path)
    with pytest.raises(UnreadableFile) as refused:
        imp_commit.import_file(db, source, auto_mapping(source.header), progress=_after_first_chunk(path, _cut))
    assert str(refused.value) == f"big.xlsx {CHANGED}"
    assert counts(db) == (0, 0)


def test_the_command_line_refuses_a_file_cut_after_the_first_chunk(db: Database, tmp_path: Path, capsys,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = rows_csv(tmp_path / "big.csv", 20_000)
    planned: list[int] = []
    real_plan = imp_plan.Planner.plan_rows

    def plan_then_cut(self, rows):  # type: ignore[no-untyped-def]
        chunk = real_plan(self, rows)
        if not planned:  # a sync tool cuts the file once the first 5,000 rows are planned
            _cut(path)
        planned.append(len(rows))
        return chunk

    monkeypatch.setattr(imp_plan.Planner, "plan_rows", plan_then_cut)
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 2
    assert one_clean_line(err) == f"customer-desk: big.csv {CHANGED}"
    assert planned[0] == imp_plan.CHUNK_ROWS and len(planned) > 1
    assert "Imported as batch" not in out
    assert counts(db) == (0, 0)


def test_another_process_cuts_the_file_while_it_is_read(db: Database, tmp_path: Path) -> None:
    """A real second process: it waits (polling, in its own process) until the import has read its first
    chunk, then truncates the file; the import's progress hook waits for that process to finish, so the
    order of events is fixed without any sleep here."""
    path = rows_csv(tmp_path / "big.csv", 20_000)
    half = path.stat().st_size // 2
    started, cut = tmp_path / "read-a-chunk", tmp_path / "cut"
    script = textwrap.dedent(f"""
        import os, sys, time
        deadline = time.monotonic() + 60
        while not os.path.exists({str(started)!r}):
            if time.monotonic() > deadline:
                sys.exit(3)
            time.sleep(0.01)
        os.truncate({str(path)!r}, {half})
        open({str(cut)!r}, "w").close()
    """)
    cutter = subprocess.Popen([sys.executable, "-c", script])
    hook_calls: list[int] = []

    def progress(rows: int, _total: int) -> None:
        if not hook_calls:
            started.write_text(str(rows))
            assert cutter.wait(timeout=60) == 0  # the other process has truncated the file
        hook_calls.append(rows)

    source = open_source(path)
    try:
        with pytest.raises(UnreadableFile, match=re.escape(f"big.csv {CHANGED}")):
            imp_commit.import_file(db, source, auto_mapping(source.header), progress=progress)
    finally:
        if cutter.poll() is None:
            cutter.kill()
            cutter.wait()
    assert cut.exists() and path.stat().st_size == half
    assert hook_calls[0] == imp_plan.CHUNK_ROWS
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_batch_checksum_is_of_the_bytes_read_without_reading_the_file_again(
        db: Database, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = rows_csv(tmp_path / "few.csv", 40) if kind == "csv" else rows_xlsx(tmp_path / "few.xlsx", 40)
    source = open_source(path)

    def no_second_read(_path: Path) -> str:
        raise AssertionError("the file was read a second time for its checksum")

    monkeypatch.setattr(reading, "file_checksum", no_second_read)
    _preview, done = imp_commit.import_file(db, source, auto_mapping(source.header))
    assert done is not None and done.created == 40
    assert batch_checksum(db, done.batch_id) == sha256(path)
    assert source.read_complete == path.stat().st_size


def _dialog_preview(db: Database, path: Path) -> imp_plan.Preview:
    source = open_source(path)
    with db.read() as s:
        return imp_plan.preview(s, source, auto_mapping(source.header), keep_rows=True)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_dialog_commits_the_preview_with_the_checksum_of_its_read(db: Database, tmp_path: Path,
                                                                      kind: str) -> None:
    path = rows_csv(tmp_path / "few.csv", 25) if kind == "csv" else rows_xlsx(tmp_path / "few.xlsx", 25)
    preview = _dialog_preview(db, path)
    with db.transaction() as s:
        result = imp_commit.commit_preview(s, preview)
    assert result.created == 25
    assert batch_checksum(db, result.batch_id) == sha256(path)


@pytest.mark.parametrize("how", ["extended", "replaced", "touched"])
def test_the_dialog_refuses_a_file_changed_since_its_preview(db: Database, tmp_path: Path, how: str) -> None:
    path = rows_csv(tmp_path / "few.csv", 25)
    preview = _dialog_preview(db, path)
    CHANGES[how](path)
    with pytest.raises(UnreadableFile, match=re.escape(f"few.csv {CHANGED}")):
        with db.transaction() as s:
            imp_commit.commit_preview(s, preview)
    assert counts(db) == (0, 0)


def test_a_last_line_without_its_line_end_is_reported_with_its_row(db: Database, tmp_path: Path, capsys) -> None:
    path = rows_csv(tmp_path / "cut.csv", 3, end="")
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 0, err
    assert "the file does not end with a line end: row 4 may be cut short" in out
    assert counts(db) == (3, 1)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_file_that_ends_with_a_line_end_gets_no_such_warning(db: Database, tmp_path: Path, capsys,
                                                               ending: str) -> None:
    path = tmp_path / "whole.csv"
    path.write_bytes(ending.join(["Name,Email", "Ana Reed,ana@reed.example", 'Ivo Stone,"ivo@stone.example"'])
                     .encode() + ending.encode())
    code, out, _err = run_cli(capsys, "--database", url_of(db), "import", str(path), "--dry-run")
    assert code == 0
    assert "does not end with a line end" not in out
    assert re.search(r"To create: +2\n", out), out


def test_a_multi_line_last_cell_without_a_line_end_is_read_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text('Name,Address1\nAna Reed,"Unit 4\n12 Long Rd"', encoding="utf-8")
    source = open_source(path)
    records = list(source.records())
    assert [(r.row, r.values) for r in records] == [(2, ["Ana Reed", "Unit 4\n12 Long Rd"])]
    assert source.cut_last_row == 2


# --- unterminated quotes -----------------------------------------------------------------------------


def test_an_unterminated_quote_before_1000_good_rows_is_refused(db: Database, tmp_path: Path, capsys) -> None:
    lines = ["Name,Email,City,Zip", 'Ana Reed,"ana@reed.example,Nelson,7010']
    lines += [f"Good Row{i},good{i}@quote.example,Picton,7220" for i in range(1_000)]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 2
    line = one_clean_line(err)
    assert line.startswith("customer-desk: quote.csv: an unterminated quote opens at row 2, column 2 (Email); "
                           "nothing was imported."), line
    assert "Imported as batch" not in out
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("last_row", [
    'Ivo Stone,ivo@stone.example,"Nel\nson\n',  # runs over a line end to the end of the file
    'Ivo Stone,ivo@stone.example,"Nelson\n',  # one line, the line end inside the open quote
    'Ivo Stone,ivo@stone.example,"Nelson',  # no line end at all
    'Ivo Stone,ivo@stone.example,"Nel\nson ""the town""',  # ends with an escaped quote: still open
    'Ivo Stone,ivo@stone.example,Nelson\n"',  # a lone quote on a last line of its own opens a cell
])
def test_a_quote_still_open_at_the_end_of_the_file_is_refused(db: Database, tmp_path: Path, capsys,
                                                              last_row: str) -> None:
    path = tmp_path / "quote.csv"
    path.write_text("Name,Email,City\nAna Reed,ana@reed.example,Nelson\n" + last_row, encoding="utf-8")
    code, _out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 2
    line = one_clean_line(err)
    where = "row 4, column 1 (Name)" if last_row.endswith('\n"') else "row 3, column 3 (City)"
    assert f"quote.csv: an unterminated quote opens at {where}; nothing was imported." in line, line
    assert counts(db) == (0, 0)


def test_a_quoted_cell_of_more_than_64_kb_is_refused_even_when_closed_later(tmp_path: Path) -> None:
    lines = ["Name,Notes,City", 'Ana Reed,"starts a note,Nelson']
    lines += [f"Row{i} with a long enough line to add up quickly {'x' * 100},note,Picton" for i in range(500)]
    lines.append('Zed Last,"closes it",Motueka')  # 500 lines (< 1,000) but ~75 KB inside one quote
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert reading.MAX_QUOTED_LINES > 500 and len(path.read_bytes()) > reading.MAX_QUOTED_CELL
    source = open_source(path)
    with pytest.raises(UnreadableFile, match=r"an unterminated quote opens at row 2, column 2 \(Notes\)"):
        list(source.records())


def test_real_multi_line_cells_still_import(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(
        b'Name,Email,Notes,City\r\n'
        b'"Ana Reed",ana@reed.example,"Deliveries to the back door\r\nafter 10",Nelson\r\n'
        b'Ivo Stone,ivo@stone.example,"One line",Picton\r\n'
        b'Mere Hale,mere@hale.example,"Call first\nGate code 42\nAsk for ""B""",Motueka\r\n'
        b'Kiri Moss,kiri@moss.example,"Two\r\nlines","Blenheim ""North"""\r\n'
    )
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 0, err
    assert "unterminated" not in out + err and re.search(r"Rows read: +4\n", out), out
    with db.read() as s:
        notes = dict(s.execute(select(m.Customer.name, m.Customer.notes)).all())
    assert notes["Mere Hale"] == 'Call first\nGate code 42\nAsk for "B"'
    assert "after 10" in notes["Ana Reed"] and "lines" in notes["Kiri Moss"]
    assert counts(db) == (4, 1)


def test_addresses_over_two_lines_are_read_as_one_row_each(tmp_path: Path) -> None:
    """The reader keeps a quoted address whole, and the rows after it keep their numbers (whether the
    store takes a line break in an address is the customer form's rule, not the reader's)."""
    path = tmp_path / "addresses.csv"
    path.write_text('Name,Address1,City\nAna Reed,"Unit 4\n12 Long Rd",Nelson\nIvo Stone,1 Short St,Picton\n'
                    'Mere Hale,"PO Box 5\nRural Delivery 2\nMotueka",\n', encoding="utf-8")
    records = list(open_source(path).records())
    assert [(r.row, r.values[1]) for r in records] == [
        (2, "Unit 4\n12 Long Rd"), (3, "1 Short St"), (4, "PO Box 5\nRural Delivery 2\nMotueka")]


# --- workbooks that inflate --------------------------------------------------------------------------


def _plain_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Name", "Email"])
    wb.active.append(["Ana Reed", "ana@reed.example"])
    wb.save(path)
    return path


def _streamed_bomb(path: Path, inflated: int) -> Path:
    """A real workbook whose sheet1.xml is replaced by `inflated` bytes of rows, written in chunks (the
    test never holds more than one chunk)."""
    plain = _plain_workbook(path.with_name("plain.xlsx"))
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
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


def _declaring(path: Path, part: str, declared: int) -> Path:
    """A copy of a workbook whose `part` declares `declared` bytes uncompressed (in its local header and
    in the central directory); what is stored is unchanged."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        name_at = 30 if signature == b"PK\x03\x04" else 46
        start = 0
        while (start := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, start + (26 if name_at == 30 else 28))[0]
            if data[start + name_at:start + name_at + length] == name:
                struct.pack_into("<I", data, start + size_at, declared)
            start += 4
    out = path.with_name("declared-" + path.name)
    out.write_bytes(bytes(data))
    return out


def test_a_workbook_that_inflates_to_a_gigabyte_is_refused_in_a_small_process(tmp_path: Path) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    bomb = _streamed_bomb(tmp_path / "customers.xlsx", 1 << 30)
    assert bomb.stat().st_size < 16 * 1024 * 1024
    # A small wrapper runs the command and reports its child's peak resident memory (KiB on Linux): a
    # child forked straight from this test run would count the test run's own pages until it execs.
    wrapper = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
               " stderr=subprocess.PIPE, text=True); print(done.stderr, end='', file=sys.stderr);"
               " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")
    result = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "desktop", "--database", str(store),
                             "import", str(bomb)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2, result
    line = one_clean_line(result.stderr)
    assert line.startswith("customer-desk: customers.xlsx inflates to 1.0 GB when opened, more than this app "
                           "reads from a workbook (at most 512 MB a part"), line
    assert line.endswith("save it as CSV, or split it.")
    assert int(result.stdout.strip()) < 200 * 1024


def test_a_workbook_declaring_gigabytes_is_refused_before_anything_is_inflated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _declaring(_plain_workbook(tmp_path / "c.xlsx"), "xl/worksheets/sheet1.xml", 3 << 30)
    inflated: list[str] = []
    real_open = zipfile.ZipFile.open

    def watched_open(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        inflated.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", watched_open)
    with pytest.raises(UnreadableFile, match=r"^declared-c\.xlsx inflates to 3\.0 GB when opened"):
        open_source(bomb)
    assert inflated == []


def test_a_part_that_packs_a_thousandfold_is_refused(tmp_path: Path) -> None:
    bomb = _declaring(_plain_workbook(tmp_path / "c.xlsx"), "xl/worksheets/sheet1.xml", 100 << 20)
    with pytest.raises(UnreadableFile) as refused:
        open_source(bomb)
    message = str(refused.value)
    assert message.startswith("declared-c.xlsx inflates to 100 MB when opened, ") and "times its packed size" in message
    assert message.endswith("save it as CSV, or split it.")


def test_shared_strings_have_their_own_lower_limit(tmp_path: Path) -> None:
    plain = _plain_workbook(tmp_path / "c.xlsx")
    part = "xl/sharedStrings.xml"  # as Excel writes it (openpyxl's write-only workbooks use inline strings)
    with zipfile.ZipFile(plain, "a", compression=zipfile.ZIP_DEFLATED) as z:
        if part not in z.namelist():
            z.writestr(part, '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    bomb = _declaring(plain, part, reading.MAX_XLSX_SHARED_STRINGS + 1)
    with pytest.raises(UnreadableFile, match="at most 128 MB a part"):
        open_source(bomb)


def test_a_part_that_inflates_beyond_what_it_declares_is_a_damaged_workbook(db: Database, tmp_path: Path,
                                                                             capsys) -> None:
    real = rows_xlsx(tmp_path / "c.xlsx", 3_000)
    liar = _declaring(real, "xl/worksheets/sheet1.xml", 4096)  # zipfile stops there: a CRC error
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(liar))
    assert code == 2, out
    line = one_clean_line(err)
    assert "declared-c.xlsx is a damaged workbook and cannot be read" in line
    assert counts(db) == (0, 0)


def test_the_limits_admit_a_real_200000_row_customer_workbook(tmp_path: Path) -> None:
    """The sizes measured for a 200,000-row, 15-column customer workbook: as openpyxl writes it (inline
    strings) and as Excel would (shared strings)."""

    def part(name: str, size: int, packed: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name)
        info.file_size, info.compress_size = size, packed
        return info

    openpyxl_written = [part("xl/workbook.xml", 552, 304), part("xl/styles.xml", 2_631, 594),
                        part("xl/worksheets/sheet1.xml", 172_911_577, 16_782_929)]
    excel_written = [part("xl/workbook.xml", 552, 304), part("xl/sharedStrings.xml", 36_000_000, 9_000_000),
                     part("xl/worksheets/sheet1.xml", 95_000_000, 9_500_000)]
    for parts in (openpyxl_written, excel_written):
        reading._check_inflation(tmp_path / "real.xlsx", parts)  # no refusal
    three_times = [part("xl/worksheets/sheet1.xml", 3 * 172_911_577, 3 * 16_782_929)]
    reading._check_inflation(tmp_path / "real.xlsx", three_times)  # 600,000 rows still fit


# --- numbers and names out of range ------------------------------------------------------------------


def test_ids_out_of_range_are_row_errors_naming_the_row_and_column(db: Database, tmp_path: Path, capsys) -> None:
    bad = ["99999999999999999999999", "9223372036854775808", "-4", "0", "1e30", "NaN", "Infinity", "1_000",
           "١٢", "12.5", "0x1F"]
    # ids are looked at only beside a created_at column (this store's own export)
    lines = ["Customer ID,Name,Email,Created at"]
    lines += [f"{value},Bad Id{i},bad{i}@ids.example,2026-01-02 03:04" for i, value in enumerate(bad)]
    lines.append("9223372036854775807,Top Id,top@ids.example,2026-01-02 03:04")  # the largest id: created
    lines.append(",No Id,none@ids.example,")
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 0, err
    assert not EXCEPTION_NAME.search(out + err), out + err
    for row, value in enumerate(bad, 2):
        assert f"row {row}, Customer ID: {value!r} is not a customer id" in out, (value, out)
    assert f"no customer has id {2**63 - 1}: a new customer is created" in out
    assert counts(db) == (2, 1)


def test_reference_names_and_money_columns_out_of_range_never_raise(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "refs.csv"
    path.write_text("Name,Email,Sales rep,Store,Warehouse,Pricing tier,Credit limit,Balance\n"
                    "Ana Reed,ana@reed.example,99999999999999999999999,-1,1e30,NaN,1e30,Infinity\n"
                    "Ivo Stone,ivo@stone.example,0,,,,NaN,-1e400\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "--database", url_of(db), "import", str(path))
    assert code == 0, err
    assert not EXCEPTION_NAME.search(out + err), out + err
    assert "row 2, Sales rep: unknown sales rep '99999999999999999999999': left unset" in out
    assert "row 2, Warehouse: unknown warehouse '1e30': left unset" in out
    assert "Not imported: Credit limit, Balance" in out  # the import has no money fields
    assert counts(db) == (2, 1)


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "bogus", "hex", "uu"])
def test_an_encoding_that_is_not_a_text_encoding_is_one_line(tmp_path: Path, capsys, encoding: str) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    path = rows_csv(tmp_path / "a.csv", 3)
    capsys.readouterr()
    code, _out, err = run_cli(capsys, "--database", str(store), "import", str(path), "--encoding", encoding)
    assert code == 2
    assert f"{encoding!r} is not a text encoding" in one_clean_line(err)


@pytest.mark.parametrize("encoding", ["undefined", "idna", "punycode", "utf-16", "utf-32"])
def test_a_text_encoding_that_cannot_read_the_file_is_one_line(tmp_path: Path, capsys, encoding: str) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    path = rows_csv(tmp_path / "a.csv", 3)
    capsys.readouterr()
    code, _out, err = run_cli(capsys, "--database", str(store), "import", str(path), "--encoding", encoding)
    assert code == 2
    line = one_clean_line(err)
    assert line.startswith("customer-desk: a.csv ") and "encoding" in line, line


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "bogus", "a\x00b"])
def test_the_dialog_path_refuses_a_non_text_encoding_too(tmp_path: Path, encoding: str) -> None:
    path = rows_csv(tmp_path / "a.csv", 3)
    with pytest.raises(UnreadableFile, match="is not a text encoding"):
        open_source(path, encoding=encoding)
