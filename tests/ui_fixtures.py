"""Fixtures and helpers shared by the Qt tests (loaded from conftest as a pytest plugin): modal message
boxes answered without blocking, and keyboard focus in an active window."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.ui.common import messages


class Asked(list[str]):
    """The confirmations asked, in order; each is answered by the next of `answers`, or yes."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool] = []


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    questions = Asked()

    def ask(_parent: Any, title: str, text: str, ok_text: str, **_kwargs: Any) -> bool:
        questions.append(f"{title}: {text} [{ok_text}]")
        return questions.answers.pop(0) if questions.answers else True

    def ask_count(_parent: Any, title: str, text: str, ok_text: str, count: int) -> bool:
        questions.append(f"{title}: {text} [type {count}] [{ok_text}]")
        return questions.answers.pop(0) if questions.answers else True

    monkeypatch.setattr(messages, "ask", ask)
    monkeypatch.setattr(messages, "ask_count", ask_count)
    return questions


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every error a dialog would show in a message box (none may block the test)."""
    shown: list[BaseException] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, exc: shown.append(exc))
    return shown


def focus(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Give `widget` the keyboard focus in an active window (shortcuts need both)."""
    window = widget.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def settled(qtbot, window: Any) -> None:  # type: ignore[no-untyped-def]
    """Wait until the customer table shows the query last asked for, and the detail pane the customer
    last selected (both are read off the GUI thread). `window` is the main window or its Customers
    section."""
    section = getattr(window, "customers", window)
    qtbot.waitUntil(lambda: not (section.model.busy or section.model.counting or section.filters.pending
                                 or section.detail.loading is not None), timeout=10_000)
