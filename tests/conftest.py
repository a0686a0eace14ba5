"""Shared fixtures. Every test that takes `db` runs twice: on a real SQLite file and on a real PostgreSQL
(a throwaway cluster this suite starts itself). The summary at the end says how many ran on each."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from desktop.store.engine import Database, open_database
from tests.pgcluster import PostgresCluster, find_bindir

pytest_plugins = ["tests.ui_fixtures"]  # message boxes answered, focus: for every Qt test

BACKENDS = ("sqlite", "postgresql")
_outcomes: Counter[tuple[str, str]] = Counter()
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _no_native_file_choosers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file chooser that a test forgot to answer fails the test instead of waiting for a clerk forever."""
    try:
        from PySide6.QtWidgets import QFileDialog
    except ImportError:  # pragma: no cover - Qt is a dependency
        return

    def refuse(*_args: object, **_kwargs: object) -> None:
        pytest.fail("a file chooser opened that the test did not answer")

    for name in ("getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))


def pytest_report_header(config: pytest.Config) -> list[str]:
    bindir = find_bindir()
    return [
        "database back-ends: sqlite (a file per test), postgresql "
        f"({'throwaway cluster from ' + str(bindir) if bindir else 'NOT FOUND: postgresql tests will fail'})"
    ]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A migrated database that every PostgreSQL test copies (CREATE DATABASE … TEMPLATE is fast)."""
    url = pg_cluster.create_database("customer_desk_template")
    open_database(url).dispose()
    return "customer_desk_template"


def _pg_database(cluster: PostgresCluster, template: str) -> str:
    import psycopg

    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return cluster.url(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A migrated SQLite store that every SQLite test copies (the app never creates one implicitly)."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite3"
    database = open_database(f"sqlite:///{path}")
    with database.engine.connect() as conn:  # one self-contained file: no -wal beside it to copy
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


def _new_store_url(request: pytest.FixtureRequest, backend: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if backend == "postgresql":
        return _pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    import shutil

    target = tmp_path / "store.sqlite3"
    if not target.exists():
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
    return f"sqlite:///{target}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A URL of an empty store on the back-end of the current parameter (default: sqlite)."""
    return _new_store_url(request, getattr(request, "param", "sqlite"), tmp_path)


@pytest.fixture
def store(database_url: str) -> Iterator[Database]:
    """The store at `database_url` (SQLite unless the test parametrises `database_url`), opened."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """An opened, migrated, empty store; once on SQLite, once on PostgreSQL."""
    database = open_database(_new_store_url(request, request.param, tmp_path))
    try:
        yield database
    finally:
        database.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    callspec = getattr(item, "callspec", None)
    backend = None
    if callspec is not None:
        backend = callspec.params.get("db") or callspec.params.get("database_url")
    report.backend = backend  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    backend = getattr(report, "backend", None)
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[(backend or "no database", report.outcome)] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not _outcomes:
        return
    terminalreporter.section("tests per database back-end")
    for backend in (*BACKENDS, "no database"):
        counts = {o: n for (b, o), n in _outcomes.items() if b == backend}
        if counts:
            detail = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
            terminalreporter.write_line(f"{backend}: {detail}")
