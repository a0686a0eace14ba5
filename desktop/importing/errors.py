"""The import's errors, in a module of their own: the window's message helpers know them without importing
the file readers and the planner (and their libraries) at start."""

from __future__ import annotations

from collections.abc import Sequence

from desktop.services.errors import DomainError


class UnreadableFile(DomainError):
    """The file cannot be read as customers: one sentence saying why (exit 2 on the command line)."""


class ImportConflict(DomainError):
    """The store changed since the preview: preview again."""


class UndoRefused(DomainError):
    def __init__(self, batch_id: int, reason: str, customers: Sequence[tuple[int, str]] = ()):
        self.batch_id = batch_id
        self.customers = list(customers)
        shown = ", ".join(f"{name} (id {cid})" for cid, name in self.customers[:10])
        more = f" and {len(self.customers) - 10:,} more" if len(self.customers) > 10 else ""
        super().__init__(f"Import {batch_id} cannot be undone: {reason}" + (f": {shown}{more}." if shown else "."))
