# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := demo-output

.PHONY: demo test lint typecheck install install-dev bench model-pages clean

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

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	mkdir -p $(DEMO_DIR)
	$(BIN)/cartsim simulate stein2019 --days 365 --patients 200 --seed 2019 \
		--out $(DEMO_DIR)/stein2019.csv --plot $(DEMO_DIR)/stein2019.png
	@echo "Wrote $(DEMO_DIR)/stein2019.csv and $(DEMO_DIR)/stein2019.png"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Test files run in parallel, one per core (each new model compiles its kernel once, ~20 s).
TEST_WORKERS ?= 2
test: lint typecheck
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The engine benchmark (benchmarks/README.md): several minutes; writes benchmarks/results/DATE.md.
# R deSolve runs only where Rscript and deSolve exist; BENCH_INSTALL_R=1 installs them (Debian, as root).
bench: $(VENV)/.installed-bench
	@if ! command -v Rscript >/dev/null 2>&1; then \
		if [ "$(BENCH_INSTALL_R)" = 1 ]; then \
			apt-get update && apt-get install -y r-base-core r-cran-desolve; \
		else \
			echo "note: Rscript not found, R deSolve is skipped (make bench BENCH_INSTALL_R=1 installs it)"; \
		fi; \
	fi
	$(BIN)/python benchmarks/run.py

# The model library's and the platform model's documentation pages and figures, generated from the models.
model-pages: $(VENV)/.installed
	$(BIN)/python -m cartsim.report.model_pages docs/models
	$(BIN)/python -m cartsim.report.platform_page docs

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
