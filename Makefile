# One-command local use: `make run` (site + worker + embedded Redis), `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MEDIAPIPE := mediapipe==0.10.21
PORT ?= 8000

.PHONY: install vendor browser run test test-fast lint bench clean

install: $(STAMP) vendor

# The browser's MediaPipe Holistic (privacy mode) from the npm registry, integrity-checked, into
# the git-ignored frontend/vendor/ (frontend/vendor.py). Offline, the site installs without it and
# the command says how to add it later.
vendor: $(STAMP)
	@$(BIN)/slrweb vendor || echo "make: privacy mode stays off (see above); everything else is installed" >&2

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

# Browser tests drive Debian's Chromium and ChromeDriver (never `playwright install`). Installed
# here when missing, if we may (root); otherwise stop with the exact command to run.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "Debian's Chromium is missing. Install it, then run make test again:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y chromium chromium-driver" >&2; \
	  exit 1; \
	fi; \
	echo "Installing Debian's chromium and chromium-driver (browser tests)"; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null

test: install browser
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not integration and not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy landmarks mlcore recognition translation jobs accounts registry annotation slrweb corpus webhooks

bench: install
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_isolated.py
	$(BIN)/python bench/bench_translation.py

clean:
	rm -rf $(VENV) var .pytest_cache
