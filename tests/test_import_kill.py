"""kill -9 in the middle of an import's commit leaves the store exactly as it was before the import, on SQLite
and PostgreSQL: the rows already written, the dropped indexes and search triggers, the batch, all gone; the
store opens, searches and takes new customers as before."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

from desktop.importing import plan as imp_plan
from desktop.store.engine import Database
from tests.test_store_safety import ROOT, run_cli, url_of

PROGRESS = re.compile(rb"(\d{1,3}(?:,\d{3})+) rows read")


def _csv(path: Path, rows: int, first: int = 0) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("Name,Company,Email,Phone,Address1,City,Zip,Country Code\n")
        for i in range(first, first + rows):
            stream.write(f"Rewi Tamaki {i},Tamaki Freight {i % 17},rewi.{i}@tamaki.example,+64 9 {300 + i % 600} "
                         f"{1000 + i % 9000},{i % 300} Kauri Street,Wellington,{6000 + i % 999},NZ\n")
    return path


def _kill_when_written(url: str, big: Path, rows_written: int) -> None:
    """Start the import on a terminal (so it shows its progress), and kill its whole process group (with its
    reading worker) once it reports that `rows_written` rows were read: the chunks before are written by then."""
    master, terminal = pty.openpty()
    importer = subprocess.Popen([sys.executable, "-m", "desktop", "--database", url, "import", str(big)], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal,
                                start_new_session=True)
    os.close(terminal)
    shown = b""
    try:
        while True:
            ready, _w, _x = select.select([master], [], [], 120)
            assert ready, f"no progress from the import: {shown[-300:]!r}"
            try:
                shown += os.read(master, 4096)
            except OSError:  # the terminal closed: the import ended before it could be killed
                raise AssertionError(f"the import ended before it was killed: {shown[-300:]!r}") from None
            counts = [int(n.replace(b",", b"")) for n in PROGRESS.findall(shown)]
            if counts and counts[-1] >= rows_written:
                break
        os.killpg(importer.pid, signal.SIGKILL)
    finally:
        importer.wait(timeout=60)
        os.close(master)
    assert importer.returncode == -signal.SIGKILL


def test_an_import_killed_mid_commit_leaves_the_store_as_before(db: Database, tmp_path: Path) -> None:
    url = url_of(db)
    assert run_cli("--database", url, "import", str(_csv(tmp_path / "first.csv", 40)), "--quiet").returncode == 0
    before = run_cli("--database", url, "export", "-").stdout
    batches = run_cli("--database", url, "imports", "list").stdout
    assert "Rewi Tamaki 39" in before
    # Big enough to be read by a worker process, and to write several chunks before the kill.
    big = _csv(tmp_path / "big.csv", 60_000, first=1000)
    assert imp_plan.read_workers(imp_plan.Source(path=big, kind="csv", header=[], size=big.stat().st_size)) >= 1
    db.dispose()

    _kill_when_written(url, big, 3 * imp_plan.CHUNK_ROWS)

    assert run_cli("--database", url, "export", "-").stdout == before
    assert run_cli("--database", url, "imports", "list").stdout == batches
    # The search index and its triggers are back as they were: a new customer is found, the killed import's not.
    created = run_cli("--database", url, "customers", "create", "--name", "Ngaio Afterwards", "--json")
    assert created.returncode == 0, created.stderr
    found = run_cli("--database", url, "customers", "list", "--search", "afterwards").stdout
    assert "Ngaio Afterwards" in found
    assert "Rewi Tamaki 1001" not in run_cli("--database", url, "customers", "list", "--search", "tamaki 1001").stdout
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            assert {"ix_customers_name_lower", "uq_customers_email_lower", "ix_addresses_zip_key"} <= indexes
