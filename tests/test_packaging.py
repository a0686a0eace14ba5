"""The packaged build's smoke test and build.spec. The bundle itself is built by `make smoke`, not here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from desktop.store.engine import create_store
from desktop.store.migrate import head_revision
from desktop.ui.app import run_smoke_test

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build.spec"


def test_smoke_test_refuses_a_missing_store_and_opens_a_fresh_one(qapp, tmp_path, capsys):
    path = tmp_path / "smoke.sqlite3"
    assert run_smoke_test(f"sqlite:///{path}") == 1  # never creates a store
    assert "No store at" in capsys.readouterr().err and not path.exists()
    create_store(f"sqlite:///{path}")[0].dispose()
    assert run_smoke_test(f"sqlite:///{path}") == 0
    assert capsys.readouterr().err == ""
    engine = create_engine(f"sqlite:///{path}")
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    finally:
        engine.dispose()
    assert {"customers", "addresses", "alembic_version"} <= tables
    assert version == head_revision()
    assert run_smoke_test(f"sqlite:///{path}") == 0  # and again on the store that now exists


def test_smoke_test_failure_is_one_line_and_exit_1(qapp, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert run_smoke_test(f"sqlite:///{blocker / 'store.sqlite3'}") == 1
    err = capsys.readouterr().err
    assert err.startswith("customer-desk: smoke test failed: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def _run_cli(*argv: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("CUSTOMER_DESK_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "desktop", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_cli_smoke_test_exits_0(tmp_path):
    store = tmp_path / "cli.sqlite3"
    assert _run_cli("init", f"sqlite:///{store}", tmp_path=tmp_path).returncode == 0
    done = _run_cli("--database", f"sqlite:///{store}", "--smoke-test", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert store.exists()


def test_cli_smoke_test_uses_the_default_store(tmp_path):
    missing = _run_cli("--smoke-test", tmp_path=tmp_path)
    assert missing.returncode == 1 and "No store at" in missing.stderr
    assert not (tmp_path / "data" / "customer-desk" / "customers.sqlite3").exists()
    assert _run_cli("init", tmp_path=tmp_path).returncode == 0  # `init` without a path: the default store
    done = _run_cli("--smoke-test", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "customer-desk" / "customers.sqlite3").exists()


def test_cli_smoke_test_on_an_unreachable_store_exits_1(tmp_path):
    done = _run_cli("--database", "postgresql://nobody@127.0.0.1:1/none", "--smoke-test", tmp_path=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("customer-desk: smoke test failed: Cannot open database")


@pytest.fixture(scope="module")
def spec() -> str:
    return SPEC.read_text(encoding="utf-8")


def test_spec_bundles_the_migrations_as_files(spec):
    assert re.search(r"""MIGRATIONS\s*=\s*["']desktop/store/migrations["']""", spec)
    for piece in ("env.py", "script.py.mako", "versions/*.py"):
        assert f'"{piece}"' in spec
    migrations = ROOT / "desktop" / "store" / "migrations"
    assert (migrations / "env.py").is_file() and list((migrations / "versions").glob("*.py"))


def test_spec_excludes_the_other_qt_bindings_and_heavy_qt_modules(spec):
    excludes = spec[spec.index("excludes = ["):]
    excludes = excludes[:excludes.index("\n]\n")]
    for name in ("PyQt5", "PyQt6", "PySide2", "tkinter", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore",
                 "PySide6.QtQuick", "PySide6.QtQml", "pytest"):
        assert f'"{name}"' in excludes, name


def test_spec_is_one_folder_windowed_with_a_one_file_option(spec):
    assert "COLLECT(" in spec and "CUSTOMER_DESK_ONEFILE" in spec
    assert "console=False" in spec and 'NAME = "customer-desk"' in spec
    for hidden in ("sqlalchemy.dialects.postgresql.psycopg", "psycopg_binary", "alembic.op",
                   "alembic.context", "desktop.store.models"):
        assert f'"{hidden}"' in spec, hidden
    assert 'collect_data_files("pycountry")' in spec
    assert 'collect_submodules(\n    "phonenumbers"' in spec or 'collect_submodules("phonenumbers"' in spec
