"""The command line: demo, export, find-match, and one clear line (never a traceback) on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys

import pytest

from desktop.cli import main
from desktop.services import customers as cs
from desktop.services.export import EXPORT_COLUMNS, safe_cell
from desktop.store.engine import open_database

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add(url: str, **fields: object) -> int:
    db = open_database(url)
    try:
        with db.transaction() as s:
            return cs.create_customer(s, fields, allow_duplicate=True).id
    finally:
        db.dispose()


def read_csv(path) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@both
def test_export_columns_values_and_formula_escaping(database_url, tmp_path, capsys):
    first = add(database_url, name="=HYPERLINK(\"http://example.com\")", company="@Kowhai Traders Ltd",
                email="aroha@example.com", phone="+64 21 012 3456", address1="-12 Kauri Street",
                address2="\tBack door", city="Auckland", zip="1010", country_code="NZ")
    second = add(database_url, name="Tane Rata", company="Rata & Sons", city="Napier", zip="4110",
                 country_code="NZ")
    target = tmp_path / "out.csv"
    code, _out, err = run(capsys, "--database", database_url, "export", str(target))
    assert code == 0, err
    rows = read_csv(target)
    assert list(rows[0].keys()) == list(EXPORT_COLUMNS)
    by_id = {int(r["id"]): r for r in rows}
    assert set(by_id) == {first, second}
    a = by_id[first]
    assert a["name"] == "'=HYPERLINK(\"http://example.com\")"
    assert a["company"] == "'@Kowhai Traders Ltd"
    assert a["phone"] == "'+64 21 012 3456"
    assert a["address1"] == "'-12 Kauri Street"
    assert a["email"] == "aroha@example.com"
    assert (a["city"], a["zip"], a["country"], a["country_code"]) == ("Auckland", "1010", "New Zealand", "NZ")
    assert a["archived"] == "false"
    assert by_id[second]["name"] == "Tane Rata"
    assert "Exported 2 customers" in err


@both
def test_export_search_and_archived_filters(database_url, tmp_path, capsys):
    keep = add(database_url, name="Mere Tui", email="mere@example.com")
    gone = add(database_url, name="Hemi Tui", email="hemi@example.org")
    add(database_url, name="Unrelated Person")
    db = open_database(database_url)
    with db.transaction() as s:
        cs.archive_customer(s, gone)
    db.dispose()
    target = tmp_path / "a.csv"
    assert run(capsys, "--database", database_url, "export", str(target), "--search", "tui")[0] == 0
    assert [int(r["id"]) for r in read_csv(target)] == [keep]
    assert run(capsys, "--database", database_url, "export", str(target), "--search", "tui",
               "--archived", "archived")[0] == 0
    rows = read_csv(target)
    assert [(int(r["id"]), r["archived"]) for r in rows] == [(gone, "true")]
    assert run(capsys, "--database", database_url, "export", str(target), "--archived", "all")[0] == 0
    assert len(read_csv(target)) == 3


@both
def test_export_to_stdout(database_url, capsys):
    add(database_url, name="Aroha Kowhai")
    code, out, _err = run(capsys, "--database", database_url, "export", "-")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(EXPORT_COLUMNS) and rows[1][1] == "Aroha Kowhai"


@both
def test_find_match_text_and_json(database_url, capsys):
    cid = add(database_url, name="Aroha Kowhai", address1="12 Kauri Street", city="Auckland", zip="1010",
              country_code="NZ")
    add(database_url, name="Someone Else", address1="99 Totara Road", zip="1010", country_code="NZ")
    code, out, _ = run(capsys, "--database", database_url, "find-match", "--name", "aroha kowhai",
                       "--zip", "1010", "--address1", "12 KAURI STREET.", "--json")
    assert code == 0
    found = json.loads(out)
    assert [c["customer_id"] for c in found] == [cid]
    assert found[0]["address1_score"] >= 90 and found[0]["score"] > 0
    code, out, _ = run(capsys, "--database", database_url, "find-match", "--name", "Aroha Kowhai",
                       "--zip", "1010", "--address1", "12 kauri st")
    assert code == 0 and "Aroha Kowhai" in out and str(cid) in out
    code, out, _ = run(capsys, "--database", database_url, "find-match", "--name", "Nobody",
                       "--zip", "9999", "--address1", "1 Nowhere Lane")
    assert code == 0 and "No matching customers" in out


@both
def test_export_refuses_unwritable_target_and_writes_nothing(database_url, tmp_path, capsys):
    add(database_url, name="Aroha Kowhai")
    code, _out, err = run(capsys, "--database", database_url, "export", str(tmp_path / "no" / "such" / "x.csv"))
    assert code == 1
    assert err.count("\n") == 1 and "Cannot write" in err and "Traceback" not in err
    code, _out, err = run(capsys, "--database", database_url, "export", str(tmp_path))
    assert code == 1 and "Cannot write" in err
    assert os.listdir(tmp_path) == [] or all(not n.endswith(".part") for n in os.listdir(tmp_path))


def test_safe_cell_prefixes_only_dangerous_starts():
    for raw in ("=1+1", "+64", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(raw) == "'" + raw
    for raw in ("Kowhai", "1=1", "a+b", "", None):
        assert safe_cell(raw) == ("" if raw is None else raw)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "database, expected",
    [
        ("mysql://user@localhost/db", "Unsupported database"),
        ("postgresql://nobody@127.0.0.1:{port}/x", "Cannot open database"),
        ("{tmp}/not-a-db.sqlite3", "Cannot open database"),
        ("{tmp}", "Cannot open database"),
    ],
)
def test_bad_database_is_one_clear_line(tmp_path, database, expected):
    (tmp_path / "not-a-db.sqlite3").write_bytes(os.urandom(4096))
    url = database.format(port=_closed_port(), tmp=tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--database", url, "export", str(tmp_path / "x.csv")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_usage_errors_exit_2(database_url, capsys):
    # database_url: an SQLite store (the default parameter); argparse refuses before it is opened.
    with pytest.raises(SystemExit) as exc:
        main(["--database", database_url, "demo", "--customers", "lots"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--database", database_url, "export", "x.csv", "--archived", "sometimes"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--database", database_url, "find-match", "--name", "x"])
    assert exc.value.code == 2


def test_export_shows_progress_on_a_terminal_only(database_url, tmp_path, capsys, monkeypatch) -> None:
    for name in ("Aroha Kowhai", "Ben Tasman"):
        add(database_url, name=name)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["--database", database_url, "export", str(tmp_path / "a.csv")]) == 0
    assert "\r2 of 2 customers" in terminal.getvalue() and "Exported 2 customers" in terminal.getvalue()
    monkeypatch.undo()
    assert main(["--database", database_url, "export", str(tmp_path / "b.csv")]) == 0
    err = capsys.readouterr().err
    assert "of 2 customers" not in err and "Exported 2 customers" in err  # a log or a pipe: one line
