"""Settings → Starshipit: the API key and the subscription key (kept in the operating system's keyring,
never in QSettings or the log), the base URL and the request rate (QSettings), and "Test connection"."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.starshipit import credentials
from desktop.starshipit.limits import DEFAULT_BASE_URL
from desktop.starshipit.errors import StarshipitError
from desktop.ui.common import settings as opt
from desktop.ui.common.messages import Banner
from desktop.ui.common.workers import Job, Workers

SAVED_PLACEHOLDER = "saved in the keyring — type to replace"


class StarshipitSettingsDialog(QDialog):
    def __init__(self, settings: opt.Settings, workers: Workers, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.workers = workers
        self.test_job: Job | None = None
        self.setWindowTitle("Starshipit settings")
        layout = QVBoxLayout(self)
        self.banner = Banner(self)
        layout.addWidget(self.banner)
        intro = QLabel("Both keys are on Starshipit's <i>Settings → API</i> page. They are kept in this computer's "
                       "keyring, never in the app's settings or its log.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.subscription_key = QLineEdit()
        self.subscription_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.base_url = QLineEdit(settings.get(opt.STARSHIPIT_BASE_URL) or DEFAULT_BASE_URL)
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.1, 100.0)
        self.rate.setDecimals(1)
        self.rate.setSuffix(" requests/s")
        self.rate.setValue(float(settings.get(opt.STARSHIPIT_RATE) or 2.0))
        self.rate.setToolTip("2 on a developer subscription, 20 on production")
        form.addRow("&API key (StarShipIT-Api-Key):", self.api_key)
        form.addRow("S&ubscription key (Ocp-Apim-Subscription-Key):", self.subscription_key)
        form.addRow("&Base URL:", self.base_url)
        form.addRow("&Rate limit:", self.rate)
        self.sync_minutes = QSpinBox()
        self.sync_minutes.setRange(0, 24 * 60)
        self.sync_minutes.setSuffix(" minutes")
        self.sync_minutes.setSpecialValueText("Only when asked")
        self.sync_minutes.setValue(int(settings.get(opt.STARSHIPIT_SYNC_MINUTES) or 0))
        self.sync_minutes.setToolTip("While the app runs, bring home statuses and tracking this often")
        form.addRow("S&ync every:", self.sync_minutes)
        layout.addLayout(form)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.keyring_problem = credentials.keyring_problem()
        self.saved = credentials.load_keys({}) if self.keyring_problem is None else None
        if self.saved is not None:
            self.api_key.setPlaceholderText(SAVED_PLACEHOLDER)
            self.subscription_key.setPlaceholderText(SAVED_PLACEHOLDER)
        if self.keyring_problem is not None:
            self.banner.show_message(str(credentials.KeyringUnavailable(self.keyring_problem)), "error")
            for w in (self.api_key, self.subscription_key):
                w.setEnabled(False)
                w.setPlaceholderText("no keyring on this computer")
        self.resize(560, self.sizeHint().height())

    def _keys(self) -> tuple[str, str] | None:
        api = self.api_key.text().strip() or (self.saved.api_key if self.saved else "")
        sub = self.subscription_key.text().strip() or (self.saved.subscription_key if self.saved else "")
        if not api or not sub:
            env = credentials.load_keys()
            if env is not None and env.source == "environment":
                return env.api_key, env.subscription_key
            return None
        return api, sub

    def _url(self) -> str | None:
        url = self.base_url.text().strip().rstrip("/")
        if not url.startswith(("https://", "http://")):
            return None
        return url

    def test_connection(self) -> None:
        keys = self._keys()
        url = self._url()
        if keys is None:
            self.result_label.setText("Enter both keys first.")
            return
        if url is None:
            self.result_label.setText("The base URL must start with https:// (or http://).")
            return
        self.test_button.setEnabled(False)
        self.result_label.setText("Testing…")
        cancel = threading.Event()

        def work(_progress: object) -> str:
            from desktop.starshipit.client import StarshipitClient  # httpx, imported when first needed

            with StarshipitClient(keys[0], keys[1], url, rate=self.rate.value(), max_attempts=2, timeout=15,
                                  cancel=cancel) as client:
                client.test_connection()
            return f"Connected: {url} accepted both keys."

        job = Job(work, self)
        job.finished.connect(self.result_label.setText)
        job.failed.connect(lambda exc: self.result_label.setText(
            str(exc) if isinstance(exc, StarshipitError) else f"Could not test: {exc}"))
        job.ended.connect(lambda: self.test_button.setEnabled(True))
        self.finished.connect(lambda _r: cancel.set())
        self.test_job = job
        self.workers.start(job)

    def save(self) -> None:
        url = self._url()
        if url is None:
            self.result_label.setText("The base URL must start with https:// (or http://).")
            self.base_url.setFocus()
            return
        api, sub = self.api_key.text().strip(), self.subscription_key.text().strip()
        if api or sub:
            if not (api and sub) and self.saved is None:
                self.result_label.setText("Enter both keys (or neither, to keep the ones saved).")
                return
            try:
                credentials.save_keys(api or self.saved.api_key, sub or self.saved.subscription_key)  # type: ignore[union-attr]
            except StarshipitError as exc:
                self.banner.show_message(str(exc), "error")
                return
        self.settings.set(opt.STARSHIPIT_BASE_URL, url)
        self.settings.set(opt.STARSHIPIT_RATE, float(self.rate.value()))
        self.settings.set(opt.STARSHIPIT_SYNC_MINUTES, int(self.sync_minutes.value()))
        self.settings.sync()
        self.accept()
