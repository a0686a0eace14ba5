"""The Qt binding keeps Python's reference counts right (PySide6 6.12.0 on Python 3.11 did not: every
void call took a reference from None until the interpreter aborted). Guards the pinned version."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit


class _Emitter(QObject):
    fired = Signal(bool)


def test_void_calls_and_emits_keep_singleton_refcounts(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    emitter = _Emitter()
    received: list[bool] = []
    emitter.fired.connect(received.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        edit.setText("Aroha")
        emitter.fired.emit(True)
    assert len(received) == 2000
    assert sys.getrefcount(None) >= none_before - 50
    assert sys.getrefcount(True) >= true_before - 50
