"""No command can hurt the store: outputs that would overwrite it (or the input) are refused, a store that is
not there is never created, a busy store is waited for and then named in one line, undo works in reverse
order, and hostile arguments end in one line, never a Python exception.

Through the real entry point: `python -m desktop` in a subprocess where the process matters (closed
stdout, a second process holding the store), `desktop.cli.main` in-process elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.store.engine import Database

EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b|\[SQL|sqlalche\.me")
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def store_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert not EXCEPTION_NAME.search(text), text
    return lines[0]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A small SQLite store with fictional customers, created the way a clerk does."""
    path = tmp_path / "shop.sqlite"
    assert main(["init", str(path)]) == 0
    assert main(["--database", str(path), "demo", "--customers", "6"]) == 0
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


# --- outputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["store", "wal", "shm", "symlink", "hardlink", "other-database"])
def test_export_onto_the_store_or_a_database_is_refused_and_changes_nothing(shop: Path, target: str) -> None:
    files = store_files(shop)
    other = shop.with_name("other.sqlite")
    assert main(["init", str(other)]) == 0
    names = {"store": shop, "wal": files[1], "shm": files[2], "other-database": other,
             "symlink": shop.with_name("customers.csv"), "hardlink": shop.with_name("hard.csv")}
    if target == "symlink":
        names["symlink"].symlink_to(shop.name)
    if target == "hardlink":
        os.link(shop, names["hardlink"])
    before = digest(*files, other)
    result = run_cli("--database", str(shop), "export", str(names[target]))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "nothing was written" in line and ("store" in line or "database" in line)
    assert digest(*files, other) == before
    assert not list(shop.parent.glob(".*.part"))  # no temporary file left behind


def test_error_rows_onto_the_store_or_the_input_are_refused_before_anything_is_imported(shop: Path) -> None:
    source = write_csv(shop.with_name("in.csv"), [["Name", "Email"], ["Tui Lark", "not an email"],
                                                  ["Ana Reed", "ana@reed.example"]])
    files = store_files(shop)
    for target in (shop, source, files[1]):
        before = digest(*files, source)
        result = run_cli("--database", str(shop), "import", str(source), "--errors", str(target))
        assert result.returncode == 1, result
        assert "nothing was written" in one_line(result.stderr)
        assert digest(*files, source) == before
    # A good target works, and the store then holds the one good row.
    ok = run_cli("--database", str(shop), "import", str(source), "--errors", str(shop.with_name("fix.csv")))
    assert ok.returncode == 0, ok.stderr
    assert "Tui Lark" in shop.with_name("fix.csv").read_text(encoding="utf-8-sig")


def test_export_to_a_full_disk_is_one_line(shop: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    result = run_cli("--database", str(shop), "export", "/dev/full")
    assert result.returncode == 1
    assert "disk is full" in one_line(result.stderr)


def test_export_to_a_closed_stdout_is_one_line(shop: Path) -> None:
    script = f"exec {sys.executable} -m desktop --database {shop} export - >&-"
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1
    assert "Standard output is closed" in one_line(result.stderr)


def test_export_into_a_pipe_closed_early_is_quiet(shop: Path) -> None:
    script = f"{sys.executable} -m desktop --database {shop} export - | head -c 10 >/dev/null"
    result = subprocess.run(["sh", "-c", f"set -o pipefail 2>/dev/null; {script}"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert not EXCEPTION_NAME.search(result.stderr), result.stderr
    assert "unexpected" not in result.stderr


# --- no store, no creation ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing-dir", "missing-file"])
def test_a_store_that_is_not_there_is_never_created(tmp_path: Path, where: str) -> None:
    path = tmp_path / "no" / "such" / "dir" / "x.sqlite" if where == "missing-dir" else tmp_path / "x.sqlite"
    for args in (["export", "-"], ["imports", "list"], ["demo", "--customers", "1"],
                 ["find-match", "--name", "A", "--zip", "1", "--address1", "B"]):
        result = run_cli("--database", str(path), *args)
        assert result.returncode == 2, (args, result)
        line = one_line(result.stderr)
        assert f"No store at {path}" in line and "customer-desk init" in line
        assert result.stdout == ""
    assert not path.exists() and not path.parent.exists() or where == "missing-file"
    assert not path.exists()
    created = run_cli("init", str(path))
    assert created.returncode == 0 and path.is_file()
    assert run_cli("--database", str(path), "export", "-").stdout.startswith("id,name,")


@pytest.mark.parametrize("raw", [":memory:", "sqlite://", "sqlite:///:memory:", "::garbage::", "file:/tmp/x.db",
                                 "sqlite:///file:x?mode=memory&uri=true", "postgresql://"])
def test_memory_and_unparsable_stores_are_refused(tmp_path: Path, raw: str) -> None:
    source = write_csv(tmp_path / "a.csv", [["Name", "Email"], ["Ana Reed", "ana@reed.example"]])
    result = run_cli("--database", raw, "import", str(source))
    assert result.returncode == 2, result
    one_line(result.stderr)
    assert "Imported" not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_postgresql_database_without_a_store_is_not_filled_implicitly(pg_cluster) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database("empty_for_init")
    result = run_cli("--database", url, "export", "-")
    assert result.returncode == 2
    assert "No store in the PostgreSQL database" in one_line(result.stderr)
    assert run_cli("init", url).returncode == 0
    assert run_cli("--database", url, "export", "-").returncode == 0


# --- undo in reverse order ---------------------------------------------------------------------------


def test_undo_two_then_one_restores_the_store_byte_for_byte(db: Database, tmp_path: Path, capsys) -> None:
    url = url_of(db)
    seed = write_csv(tmp_path / "seed.csv", [["Name", "Email", "City"],
                                             ["Mere Hale", "mere@hale.example", "Napier"],
                                             ["Ivo Stone", "ivo@stone.example", "Nelson"]])
    assert main(["--database", url, "import", str(seed), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--database", url, "export", str(tmp_path / "before.csv")]) == 0
    first = write_csv(tmp_path / "first.csv", [["Name", "Email", "Phone", "City"],
                                               ["Mere Hale-Ross", "mere@hale.example", "+64 6 555 0101", "Hastings"],
                                               ["Kiri Moss", "kiri@moss.example", "", "Picton"]])
    second = write_csv(tmp_path / "second.csv", [["Name", "Email", "City"],
                                                 ["Mere Ross", "mere@hale.example", "Havelock North"],
                                                 ["Kiri Moss-Lee", "kiri@moss.example", "Blenheim"],
                                                 ["Ivo Stone", "ivo@stone.example", "Motueka"]])
    assert main(["--database", url, "import", str(first), "--quiet"]) == 0
    assert main(["--database", url, "import", str(second), "--quiet"]) == 0
    out = capsys.readouterr().out
    batches = [int(b) for b in re.findall(r"batch (\d+)", out)]
    assert len(batches) == 2 and batches[0] < batches[1]
    assert main(["--database", url, "imports", "undo", str(batches[1])]) == 0
    assert main(["--database", url, "imports", "undo", str(batches[0])]) == 0, capsys.readouterr().err
    assert main(["--database", url, "export", str(tmp_path / "after.csv")]) == 0
    assert (tmp_path / "after.csv").read_bytes() == (tmp_path / "before.csv").read_bytes()


def test_undo_of_an_earlier_import_is_still_refused_after_a_real_edit(db: Database, tmp_path: Path,
                                                                       capsys) -> None:
    from desktop.services.customers import get_customer, update_customer

    url = url_of(db)
    first = write_csv(tmp_path / "first.csv", [["Name", "Email"], ["Lena Frost", "lena@frost.example"]])
    second = write_csv(tmp_path / "second.csv", [["Name", "Email"], ["Lena Frost-Hay", "lena@frost.example"]])
    assert main(["--database", url, "import", str(first), "--quiet"]) == 0
    assert main(["--database", url, "import", str(second), "--quiet"]) == 0
    batches = [int(b) for b in re.findall(r"batch (\d+)", capsys.readouterr().out)]
    assert main(["--database", url, "imports", "undo", str(batches[1])]) == 0
    with db.transaction() as s:
        customer = get_customer(s, 1)
        update_customer(s, customer.id, {"name": "Lena Hay"}, expected_version=customer.version)
    capsys.readouterr()
    assert main(["--database", url, "imports", "undo", str(batches[0])]) == 1
    assert "changed since" in capsys.readouterr().err


# --- a busy store ------------------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()  # until the test says so
    conn.execute("COMMIT")
""")


def _hold(path: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_sqlite_import_waits_for_another_writer_and_finishes(shop: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Oren Vale", "oren@vale.example"]])
    holder = _hold(shop)
    try:
        importer = subprocess.Popen([sys.executable, "-m", "desktop", "--database", str(shop), "import",
                                     str(source)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
        assert importer.stderr is not None
        waiting = importer.stderr.readline()  # blocks until the importer says it waits
        assert waiting.startswith("Waiting for the store: another program is writing to it")
        assert importer.poll() is None
        holder.communicate("go\n", timeout=30)
        out, err = importer.communicate(timeout=60)
    finally:
        holder.kill()
    assert importer.returncode == 0, err
    assert "Imported as batch" in out and not EXCEPTION_NAME.search(err)


def test_sqlite_import_gives_up_after_the_busy_limit_with_one_line(shop: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Oren Vale", "oren@vale.example"]])
    holder = _hold(shop)
    try:
        result = run_cli("--busy-wait", "1.5", "--database", str(shop), "import", str(source))
    finally:
        holder.communicate("go\n", timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == ("customer-desk: The store is busy: another program is writing to it. Nothing was "
                         "changed; try again.")
    assert len(lines) <= 2 and not EXCEPTION_NAME.search(result.stderr)
    assert "Oren Vale" not in run_cli("--database", str(shop), "export", "-").stdout


def test_postgresql_import_behind_a_table_lock_gives_up_with_one_line(pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    url = pg_cluster.create_database("locked_store")
    assert run_cli("init", url).returncode == 0
    source = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Oren Vale", "oren@vale.example"]])
    with psycopg.connect(url.replace("+psycopg", "")) as other:
        other.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
        result = run_cli("--busy-wait", "1", "--database", url, "import", str(source), timeout=60)
        other.rollback()
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == ("customer-desk: The store is busy: another program is writing to it. Nothing was "
                         "changed; try again.")
    assert len(lines) <= 2 and not EXCEPTION_NAME.search(result.stderr)  # the waiting line, then that
    assert "Oren Vale" not in run_cli("--database", url, "export", "-").stdout


def test_postgresql_import_waits_for_a_table_lock_and_finishes(pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    url = pg_cluster.create_database("waiting_store")
    assert run_cli("init", url).returncode == 0
    source = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Oren Vale", "oren@vale.example"]])
    plain = url.replace("+psycopg", "")
    with psycopg.connect(plain) as other:
        other.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
        importer = subprocess.Popen([sys.executable, "-m", "desktop", "--database", url, "import", str(source)],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert importer.stderr is not None
            waiting = importer.stderr.readline()  # blocks until the importer says it waits for the lock
            assert waiting.startswith("Waiting for the store: another program is writing to it ("), waiting
            other.rollback()
            out, err = importer.communicate(timeout=60)
        finally:
            importer.kill()
    assert importer.returncode == 0, err
    assert "Imported as batch" in out and not EXCEPTION_NAME.search(waiting + err)


# --- faults of the machine ---------------------------------------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or not Path("/bin/mount").exists():
        return False
    where.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def _big_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("Name,Email,Address1,City,Zip\n")
        for i in range(rows):
            f.write(f"Person {i} Tester,person{i}@full.example,{i} Long Road Name Street,Wellington,{6000 + i % 999}\n")
    return path


def test_a_full_disk_under_the_store_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "3m"):
        pytest.skip("needs root to mount a small file system")
    try:
        store = mount / "shop.sqlite"
        assert run_cli("init", str(store)).returncode == 0
        before = run_cli("--database", str(store), "export", "-").stdout
        source = _big_csv(tmp_path / "big.csv", 40_000)
        result = run_cli("--database", str(store), "import", str(source), "--quiet")
        assert result.returncode == 1, result
        assert "full" in one_line(result.stderr)
        assert run_cli("--database", str(store), "export", "-").stdout == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_store_is_one_line_and_changes_nothing(shop: Path, tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    if os.geteuid() == 0:
        if not _mount_tmpfs(mount, "16m"):
            pytest.skip("needs a file system it can remount read-only")
        store = mount / "shop.sqlite"
        with shop.open("rb") as src, store.open("wb") as dst:
            dst.write(src.read())
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    else:
        store = shop
        os.chmod(store, 0o444)
        os.chmod(store.parent, 0o555)
    try:
        before = digest(store)
        source = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Oren Vale", "oren@vale.example"]])
        result = run_cli("--database", str(store), "import", str(source))
        assert result.returncode == 1, result
        assert "read-only" in one_line(result.stderr)
        assert digest(store) == before
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        else:
            os.chmod(store.parent, 0o755)


# --- hostile arguments -------------------------------------------------------------------------------

HUGE = "99999999999999999999999"


def test_every_command_with_hostile_arguments_answers_in_one_line(shop: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "ids.csv", [["id", "Name", "Email"], [HUGE, "Ana Reed", "ana@reed.example"]])
    cases = [
        ["demo", "--customers", "99999999999999999999"],
        ["demo", "--customers", "-5"],
        ["demo", "--customers", "1", "--seed", HUGE],
        ["imports", "undo", "999999999999999999999"],
        ["imports", "undo", "0"],
        ["imports", "list", "--limit", HUGE],
        ["import", str(source), "--encoding", "rot13"],
        ["import", str(source), "--encoding", "no-such-codec"],
        ["import", str(source), "--delimiter", ";;"],
        ["orders", "unpaid", HUGE],
        ["credits", "open", "-1"],
        ["credits", "allocate", "1", f"{HUGE}=5"],
        ["credits", "allocate", "1", "1=1e999999"],
        ["credits", "allocate", "1", "1=NaN"],
        ["find-match", "--name", "x" * 100_000, "--zip", "\u202e1", "--address1", "\x01\x7f"],
        ["export", str(tmp_path / "no" / "dir" / "x.csv")],
        ["--busy-wait", "inf", "export", "-"],
        ["--busy-wait", "-1", "export", "-"],
    ]
    for args in cases:
        result = run_cli("--database", str(shop), *args)
        text = result.stdout + result.stderr
        assert result.returncode in (0, 1, 2), (args, result)
        assert not EXCEPTION_NAME.search(text), (args, text)
        assert "unexpected error" not in text, (args, text)
    for raw in ("::garbage::", "file:/x", "sqlite:///:memory:", "postgresql://nobody@127.0.0.1:1/x", "\u202e"):
        result = run_cli("--database", raw, "export", "-")
        assert result.returncode in (1, 2), (raw, result)
        one_line(result.stderr)


# --- progress and --quiet ----------------------------------------------------------------------------


def test_import_shows_progress_on_a_terminal_and_quiet_prints_one_line(shop: Path, tmp_path: Path) -> None:
    import pty
    import select

    source = _big_csv(tmp_path / "many.csv", 60_000)
    master, slave = pty.openpty()
    importer = subprocess.Popen([sys.executable, "-m", "desktop", "--database", str(shop), "import", str(source),
                                 "--dry-run"], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = b""
    while True:  # read the terminal until the importer closes it
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out, _ = importer.communicate(timeout=60)
    assert importer.returncode == 0
    text = seen.decode("utf-8", "replace")
    assert re.search(r"[\d,]+ rows read, [\d,]+ rows/s", text), text
    assert "rows read" not in out  # progress goes to the terminal's stderr, never into the report
    quiet = run_cli("--database", str(shop), "import", str(source), "--quiet")
    assert quiet.returncode == 0
    assert quiet.stdout.count("\n") == 1 and quiet.stdout.startswith("Imported as batch ")
    assert quiet.stderr == ""


def test_a_store_written_by_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    from desktop.store.migrate import HEAD

    store = tmp_path / "newer.sqlite"
    assert run_cli("init", str(store)).returncode == 0
    conn = sqlite3.connect(store)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()  # the last connection: its write-ahead log is folded into the file
    before = store.read_bytes()
    result = run_cli("--database", str(store), "export", "-")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line == (f"customer-desk: The store {store} was written by a newer version of Customer Desk (its schema "
                    f"is 0099; this version knows up to {HEAD}): update this app to use it. Nothing was changed.")
    assert store.read_bytes() == before
