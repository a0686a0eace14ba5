"""Under the import preview's rows: what to do with the selected row when the import holds it back for the
clerk — a possible duplicate (create it anyway, add its address to the customer it looks like, or skip
it) or an identity change (accept it, or skip it). The choice applies to that row alone and the preview is
worked out again with it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.importing.plan import DECISIONS, Decision, Held, RowPlan

BUTTONS = {
    Decision.CREATE: ("Create an&yway", "Import this row as a new customer (a repeated email: without the email)"),
    Decision.ADDRESS: ("Add as a&ddress", "Add this row's address to the customer it looks like"),
    Decision.ACCEPT: ("Accept the &change", "Update the customer with this row's name and email"),
    Decision.SKIP: ("S&kip", "Leave this row out of the import"),
}
NOW_TEXT = {
    Decision.CREATE: "created as a new customer", Decision.ADDRESS: "its address added to that customer",
    Decision.ACCEPT: "the change is imported", Decision.SKIP: "not imported",
}
HELD_TEXT = {
    Held.DUPLICATE: "looks like a customer already in the store",
    Held.EMAIL: "has the email of an earlier row, with another name",
    Held.IDENTITY: "changes both the name and the email of a customer",
}


class RowDecisions(QWidget):
    """`decided(file row, decision)` when the clerk chooses for the row shown."""

    decided = Signal(int, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan: RowPlan | None = None
        self.current: Decision | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.label = QLabel()
        layout.addWidget(self.label, 1)
        self.buttons: dict[Decision, QPushButton] = {}
        for decision, (text, tip) in BUTTONS.items():
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, d=decision: self._clicked(d))
            self.buttons[decision] = button
            layout.addWidget(button)
        self.show_row(None, None)

    def show_row(self, plan: RowPlan | None, decision: Decision | None) -> None:
        """The row selected in the table, and the decision taken for it so far (None: held, the default)."""
        self.plan = plan if plan is not None and plan.held is not None else None
        if self.plan is None:
            self.hide()
            return
        held = self.plan.held
        assert held is not None
        offered = DECISIONS[held]
        self.current = decision if decision in offered else Decision.SKIP  # held back unless decided
        self.label.setText(f"Row {self.plan.row:,} {HELD_TEXT[held]}: {NOW_TEXT[self.current]}.")
        for d, button in self.buttons.items():
            button.setVisible(d in offered)
            button.setEnabled(d is not self.current)  # the decision in force is the label's
        self.show()

    def _clicked(self, decision: Decision) -> None:
        if self.plan is not None:
            self.decided.emit(self.plan.row, decision.value)
