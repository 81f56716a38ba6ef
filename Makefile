# Thin targets over the keybus command and pytest. Every target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-unit test-integration bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/keybus dev fetch
	touch $(STAMP)

demo: setup
	$(BIN)/keybus demo $(DEMO_ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: setup
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py --report bench/REPORT.md

lint: setup
	$(BIN)/ruff format --check platform tests bench topologies
	$(BIN)/ruff check platform tests bench topologies
	$(BIN)/mypy

clean:
	$(BIN)/keybus dev down || true
	rm -rf $(VENV) build *.egg-info
