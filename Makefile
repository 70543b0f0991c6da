# One-command local use: `make run` (site + worker + embedded Redis), `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MEDIAPIPE := mediapipe==0.10.21
PORT ?= 8000

.PHONY: install run test test-fast lint bench clean

install: $(STAMP)

# mediapipe is installed with --no-deps: its declared jax/jaxlib (~600 MB) are unused by
# Holistic; its real runtime needs are pinned in pyproject.toml.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(MEDIAPIPE)
	touch $(STAMP)

run: install
	PORT=$(PORT) $(BIN)/slrweb run

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not integration and not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy landmarks mlcore recognition translation jobs accounts registry annotation slrweb

bench: install
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_isolated.py
	$(BIN)/python bench/bench_translation.py

clean:
	rm -rf $(VENV) var .pytest_cache
