# subzero — the two set-up commands are `make demo` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo test test-fast bench lint typecheck clean

install: $(STAMP)

# Rebuilt only when the dependency pins change; the project itself is installed editable.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade "pip==26.3" >/dev/null
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

demo: install
	$(BIN)/subzero demo --reset

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow"

bench: install
	@ONLY=$(ONLY) $(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache subzero.db
