# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := demo-output

.PHONY: demo test lint typecheck install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	mkdir -p $(DEMO_DIR)
	$(BIN)/cartsim simulate stein2019 --days 365 --patients 200 --seed 2019 \
		--out $(DEMO_DIR)/stein2019.csv --plot $(DEMO_DIR)/stein2019.png
	@echo "Wrote $(DEMO_DIR)/stein2019.csv and $(DEMO_DIR)/stein2019.png"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
