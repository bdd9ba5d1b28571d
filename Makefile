# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-slow lint venv clean

venv: $(STAMP)

# Re-install only when pyproject.toml changes (dependencies, or the entry points that add
# `pvpp demo` and `pvpp serve`); the package itself is installed in editable mode, so code
# changes need no re-install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pvpp demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `make test`: lint and every test but the few marked slow (real browsers, whole demo and
# cycle runs, worker processes, fuzzing), within 15 minutes on 2 cores; `.ci/run` runs
# both (`make test test-slow`).
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m slow

clean:
	rm -rf $(VENV) var .pytest_cache
