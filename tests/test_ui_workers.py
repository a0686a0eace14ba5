"""Background jobs: result, error and progress reach the GUI thread through signals; Cancel stops them."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from desktop.services.errors import Cancelled
from desktop.ui.common.settings import LAST_FILTER, Settings
from desktop.ui.common.workers import Job, Workers


@pytest.fixture
def workers():
    w = Workers()
    yield w
    w.wait(10_000)


def test_result_arrives_on_gui_thread(qtbot, workers):
    seen: dict[str, object] = {}
    gui_thread = QThread.currentThread()

    def work(progress):
        seen["worker"] = threading.current_thread()
        for i in range(5):
            progress(i + 1, 5)
        return 42

    job = Job(work)
    job.finished.connect(lambda r: seen.update(result=r, on_gui=QThread.currentThread() is gui_thread))
    with qtbot.waitSignal(job.ended, timeout=10_000):
        workers.start(job)
    assert seen["result"] == 42 and seen["on_gui"] is True
    assert seen["worker"] is not threading.main_thread()


def test_error_is_handed_over_not_raised(qtbot, workers):
    job = Job(lambda progress: 1 / 0)
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        workers.start(job)
    assert isinstance(blocker.args[0], ZeroDivisionError)


def test_cancel_stops_at_next_progress_call(qtbot, workers):
    release = threading.Event()
    steps: list[int] = []

    def work(progress):
        for i in range(1000):
            progress(i, 1000)
            steps.append(i)
            if i == 2:
                release.wait(10)
        return "finished"

    job = Job(work)
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        workers.start(job)
        qtbot.waitUntil(lambda: len(steps) >= 3)
        job.cancel()
        release.set()
    assert isinstance(blocker.args[0], Cancelled)
    assert len(steps) == 3


def test_write_pool_runs_one_job_at_a_time(qtbot, workers):
    active, peak = [0], [0]
    lock = threading.Lock()

    def work(progress):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        for i in range(20000):
            progress(i, 20000)
        with lock:
            active[0] -= 1
        return None

    jobs = [Job(work) for _ in range(3)]
    for job in jobs:
        workers.start(job, write=True)
    qtbot.waitUntil(lambda: not any(j.running for j in jobs), timeout=20_000)
    assert peak[0] == 1


def test_settings_in_a_dict():
    store: dict = {}
    settings = Settings(store)
    assert settings.get(LAST_FILTER) == {}
    settings.set(LAST_FILTER, {"search": "kowhai"})
    assert store == {"customers/filter": {"search": "kowhai"}}
    assert settings.get(LAST_FILTER) == {"search": "kowhai"}
