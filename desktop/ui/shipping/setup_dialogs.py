"""Two small editors a shipping clerk needs before an order goes to Starshipit (issue 14):

- Settings → Shipping methods…: each method's name, Starshipit carrier (its own names, in a list), the
  carrier's service code, international or not, signature by default;
- Edit shipment… in the Shipping queue: the fulfilment's ship-to with the country's own labels (NZ:
  Street, Suburb, City; AU: Street, Suburb, State), delivery instructions, the signature choice and the
  packages (kg and cm); a submitted order can be updated in Starshipit right after saving.

The work is in desktop.services.shipping_setup; saving is one short transaction on the GUI thread (a few
rows), with the store's busy wait.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services import shipping_setup as setup
from desktop.services.errors import DomainError, ValidationError
from desktop.starshipit.mapping import CARRIERS
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.colours import text_style

Index = QModelIndex | QPersistentModelIndex


class MethodsModel(QAbstractListModel):
    """The shipping methods, by name."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.rows: list[setup.MethodRow] = []

    def set_rows(self, rows: list[setup.MethodRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.name}  ({row.carrier or 'no carrier'})"
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None


class ShippingMethodsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("Shipping methods")
        self.current: setup.MethodRow | None = None
        self.model = MethodsModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Shipping methods")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.name = QLineEdit()
        self.carrier = QComboBox()
        self.carrier.setEditable(False)
        self.carrier.addItem("(none: Starshipit's rules choose)", None)
        for carrier in sorted(CARRIERS, key=str.casefold):
            self.carrier.addItem(carrier, carrier)
        self.service_code = QLineEdit()
        self.service_code.setMaxLength(setup.SERVICE_CODE_LEN)
        self.service_code.setPlaceholderText("e.g. CPOLE (the carrier's code)")
        self.international = QCheckBox("&International (customs data is sent)")
        self.signature = QCheckBox("Si&gnature required by default")
        form = QFormLayout()
        form.addRow(QLabel("&Name:", buddy=self.name), self.name)
        form.addRow(QLabel("&Carrier:", buddy=self.carrier), self.carrier)
        form.addRow(QLabel("Service c&ode:", buddy=self.service_code), self.service_code)
        form.addRow("", self.international)
        form.addRow("", self.signature)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.new_button = QPushButton("Ne&w method")
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.message)
        right.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        right.addLayout(buttons)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(right, 2)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(close)
        self.new_button.clicked.connect(self.new_method)
        self.save_button.clicked.connect(self.save)
        self.list.selectionModel().currentChanged.connect(lambda now, _before: self._show(now))
        self.resize(720, 360)
        self.reload()
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))
        else:
            self.new_method()

    def reload(self, select_id: int | None = None) -> None:
        with self.db.read() as s:
            self.model.set_rows(setup.list_methods(s))
        if select_id is not None:
            for n, row in enumerate(self.model.rows):
                if row.id == select_id:
                    self.list.setCurrentIndex(self.model.index(n))

    def _show(self, index: QModelIndex) -> None:
        row = self.model.rows[index.row()] if index.isValid() else None
        self.current = row
        self.name.setText(row.name if row else "")
        self.carrier.setCurrentIndex(max(0, self.carrier.findData(row.carrier)) if row else 0)
        self.service_code.setText(row.service_code or "" if row else "")
        self.international.setChecked(bool(row and row.is_international))
        self.signature.setChecked(bool(row and row.signature_required))
        self.message.clear()

    def new_method(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentIndex(QModelIndex())
        self._show(QModelIndex())
        self.name.setFocus()

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text(), "carrier": self.carrier.currentData(),
                "service_code": self.service_code.text(), "is_international": self.international.isChecked(),
                "signature_required": self.signature.isChecked()}

    def save(self) -> bool:
        try:
            with self.db.transaction() as s:
                row = setup.save_method(s, self.values(), method_id=self.current.id if self.current else None,
                                        expected_version=self.current.version if self.current else None)
        except ValidationError as exc:
            self.message.setStyleSheet(text_style("error"))
            self.message.setText(" ".join(f"{messages.field_label(e.field)}: {e.message}." for e in exc.errors))
            return False
        except DomainError as exc:
            self.message.setStyleSheet(text_style("error"))
            self.message.setText(messages.explain(exc)[1])
            return False
        self.reload(row.id)
        self.message.setStyleSheet("")
        self.message.setText(f"Saved {row.name}.")
        return True


PACKAGE_COLUMNS = ("Weight (kg)", "Length (cm)", "Width (cm)", "Height (cm)")
PACKAGE_KEYS = ("weight", "length", "width", "height")
SHIP_ORDER = ("name", "company", "phone", "email", "address1", "address2", "address3", "city", "province",
              "province_code", "zip", "country_code")
PLAIN_LABELS = {"name": "&Name", "company": "C&ompany", "phone": "&Phone", "email": "E&mail",
                "country_code": "Countr&y code"}


class ShipmentDialog(QDialog):
    """Correct a fulfilment's shipment. After `accept`, `saved` is the form as stored and `update_now` says
    whether the clerk asked to update the Starshipit order straight away."""

    def __init__(self, db: Database, fulfillment_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        with db.read() as s:
            self.form = setup.shipment_form(s, fulfillment_id)
        self.saved: setup.ShipmentForm | None = None
        self.setWindowTitle(f"Shipment of fulfilment {self.form.fulfillment_number}")
        self.fields: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        grid = QFormLayout()
        for key in SHIP_ORDER:
            edit = QLineEdit(str(self.form.ship_to.get(key) or ""))
            edit.setMaxLength(setup.SHIP_FIELDS[key])
            label = QLabel(buddy=edit)
            self.fields[key], self.labels[key] = edit, label
            grid.addRow(label, edit)
        self.fields["country_code"].textChanged.connect(lambda _t: self._relabel())
        self.instructions = QLineEdit(self.form.delivery_instructions or "")
        self.instructions.setMaxLength(setup.INSTRUCTIONS_LEN)
        self.instructions.setPlaceholderText("e.g. Leave at the back door")
        grid.addRow(QLabel("Delivery &instructions:", buddy=self.instructions), self.instructions)
        self.signature = QComboBox()
        method_says = "yes" if self.form.method_signature else "no"
        self.signature.addItem(f"As the shipping method says ({method_says})", None)
        self.signature.addItem("Yes", True)
        self.signature.addItem("No", False)
        self.signature.setCurrentIndex(max(0, self.signature.findData(self.form.signature_required)))
        grid.addRow(QLabel("Si&gnature:", buddy=self.signature), self.signature)
        self.lines = QTableWidget(len(self.form.lines), 4)
        self.lines.setHorizontalHeaderLabels(["SKU", "Description", "At most", "Quantity"])
        self.lines.setAccessibleName("Lines")
        self.lines.verticalHeader().hide()
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, line in enumerate(self.form.lines):
            for col, text in enumerate((line.sku or "", line.description or "",
                                        format(line.most.normalize(), "f"), format(line.quantity.normalize(), "f"))):
                item = QTableWidgetItem(text)
                if col != 3:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.lines.setItem(row, col, item)
        self.lines.setMaximumHeight(self.fontMetrics().height() * (min(len(self.form.lines), 5) + 2) + 16)
        self.packages = QTableWidget(0, len(PACKAGE_COLUMNS))
        self.packages.setHorizontalHeaderLabels(list(PACKAGE_COLUMNS))
        self.packages.setAccessibleName("Packages")
        self.packages.verticalHeader().hide()
        self.packages.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.packages.setMinimumHeight(self.fontMetrics().height() * 6)
        for package in self.form.packages:
            self.add_package(package)
        self.add_button = QPushButton("&Add package")
        self.remove_button = QPushButton("&Remove package")
        self.add_button.clicked.connect(lambda: self.add_package())
        self.remove_button.clicked.connect(self.remove_package)
        hint = QLabel("No package: one is weighed from the lines' weights.")
        hint.setStyleSheet("color: palette(placeholder-text);")
        package_buttons = QHBoxLayout()
        package_buttons.addWidget(hint, 1)
        package_buttons.addWidget(self.add_button)
        package_buttons.addWidget(self.remove_button)
        self.update_box = QCheckBox("&Update the Starshipit order after saving")
        self.update_box.setChecked(self.form.submitted)
        self.update_box.setVisible(self.form.submitted)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(text_style("error"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(grid)
        outer.addWidget(QLabel("&Lines (a quantity of 0 takes the line out):", buddy=self.lines))
        outer.addWidget(self.lines)
        outer.addWidget(QLabel("Pac&kages:", buddy=self.packages))
        outer.addWidget(self.packages, 1)
        outer.addLayout(package_buttons)
        outer.addWidget(self.update_box)
        outer.addWidget(self.message)
        outer.addWidget(buttons)
        self._relabel()
        self.resize(640, 760)

    @property
    def update_now(self) -> bool:
        return self.form.submitted and self.update_box.isChecked()

    def _relabel(self) -> None:
        """The address fields as the country names them (NZ: Street, Suburb, City; AU: Street, Suburb, State)."""
        names = setup.address_labels(self.fields["country_code"].text())
        for key in SHIP_ORDER:
            text = PLAIN_LABELS.get(key) or names.get(key, key)
            if key == "province_code":
                text = f"{names['province']} code"
            if key == "address1":  # the one address field with a key of its own: Alt+T
                at = text.lower().find("t")
                text = f"{text[:at]}&{text[at:]}" if at >= 0 else f"&{text}"
            self.labels[key].setText(f"{text}:")

    def add_package(self, values: dict[str, str] | None = None) -> None:
        row = self.packages.rowCount()
        self.packages.insertRow(row)
        for col, key in enumerate(PACKAGE_KEYS):
            item = QTableWidgetItem((values or {}).get(key, ""))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.packages.setItem(row, col, item)
        if values is None:
            self.packages.setCurrentCell(row, 0)
            self.packages.setFocus()

    def remove_package(self) -> None:
        row = self.packages.currentRow()
        if row >= 0:
            self.packages.removeRow(row)

    def values(self) -> dict[str, Any]:
        packages = []
        for row in range(self.packages.rowCount()):
            packages.append({key: (self.packages.item(row, col).text() if self.packages.item(row, col) else "")
                             for col, key in enumerate(PACKAGE_KEYS)})
        lines = {line.id: (self.lines.item(row, 3).text() if self.lines.item(row, 3) else "")
                 for row, line in enumerate(self.form.lines)}
        return {"ship_to": {k: e.text() for k, e in self.fields.items()}, "lines": lines,
                "delivery_instructions": self.instructions.text(), "signature_required": self.signature.currentData(),
                "packages": packages}

    def save(self) -> bool:
        try:
            with self.db.transaction() as s:
                self.saved = setup.save_shipment(s, self.form.fulfillment_id, self.values(),
                                                 order_version=self.form.order_version,
                                                 fulfillment_version=self.form.fulfillment_version)
        except ValidationError as exc:
            self.message.setText(" ".join(f"{_field(e.field)}: {e.message}." for e in exc.errors))
            return False
        except DomainError as exc:
            self.message.setText(messages.explain(exc)[1])
            return False
        self.accept()
        return True


def _field(name: str) -> str:
    if name.startswith("packages."):
        return "Packages"
    if name.startswith("lines"):
        return "Lines"
    return messages.field_label(name)
