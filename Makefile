# Customer Desk. Every target creates or reuses .venv by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run demo test bench venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	QT_QPA_PLATFORM= $(VENV)/bin/customer-desk

demo: $(STAMP)
	$(VENV)/bin/customer-desk init
	$(VENV)/bin/customer-desk demo --customers 2000

# The packaged executable's smoke test, then the whole suite (SQLite and PostgreSQL; its summary closes).
test: $(STAMP)
	$(MAKE) smoke
	$(PY) -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(PY) -m benchmarks
	$(PY) -m benchmarks.ui
	$(PY) -m benchmarks.imports
	$(PY) -m benchmarks.import_dialog
	$(PY) -m benchmarks.money
	$(PY) -m benchmarks.starshipit

clean:
	rm -rf $(VENV) build dist .pytest_cache

# The desktop bundle (PyInstaller, build.spec): dist/customer-desk/customer-desk.
PACKAGE_STAMP := $(VENV)/.installed-package
BUNDLE := dist/customer-desk/customer-desk

.PHONY: package smoke

$(PACKAGE_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec

# The bundle starts, refuses a store that is not there, creates and migrates a fresh one, opens the window
# on it, and opens it again.
smoke: package
	QT_QPA_PLATFORM=offscreen $(BUNDLE) --version
	store=$$(mktemp -d) && \
	! QT_QPA_PLATFORM=offscreen $(BUNDLE) --database sqlite:///$$store/smoke.sqlite3 --smoke-test 2>/dev/null && \
	test ! -e $$store/smoke.sqlite3 && \
	$(BUNDLE) init sqlite:///$$store/smoke.sqlite3 && \
	QT_QPA_PLATFORM=offscreen $(BUNDLE) --database sqlite:///$$store/smoke.sqlite3 --smoke-test && \
	QT_QPA_PLATFORM=offscreen $(BUNDLE) --database sqlite:///$$store/smoke.sqlite3 --smoke-test && \
	rm -rf $$store

# PNGs of the main window and each dialog on fictional demo data (offscreen), into docs/.
.PHONY: screenshots
screenshots: $(STAMP)
	$(PY) -m desktop.ui.screenshots docs
	$(PY) -m desktop.ui.screenshots docs --dark --suffix=-dark --only main-window --only sales-credits
	QT_SCALE_FACTOR=2 $(PY) -m desktop.ui.screenshots docs --suffix @2x --only main-window
	$(PY) -m desktop.ui.screenshots docs --size 1366x768 --suffix=-1366x768 --only main-window --only customer-form
	$(PY) -m desktop.ui.screenshots docs --size 1920x1080 --suffix=-1920x1080 --only main-window
