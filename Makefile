# The two set-up commands: `make run` (the platform) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Two test processes (pytest-xdist): most of the suite waits on servers and peers; `PYTEST_ARGS=` runs one.
PYTEST_ARGS ?= -n 2

ASSETS := src/stixflow/web/static/vendor/htmx.min.js
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint bench clean browser

$(VENV)/.run-installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(VENV)/.run-installed $@

# The UI's front-end library, pinned and integrity-checked, from the npm registry (stdlib only).
$(ASSETS): src/stixflow/web/assets.py
	$(PYTHON) src/stixflow/web/assets.py

# Debian's Chromium for the end-to-end UI tests (never a browser downloaded by Playwright).
browser:
	@test -x $(CHROMIUM) || (apt-get install -y -qq chromium >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) \
	  || echo "could not install chromium: the UI tests will skip (and fail in CI)"

run: $(VENV)/.run-installed $(ASSETS)
	$(VENV)/bin/stixflow migrate
	$(VENV)/bin/stixflow serve

test: $(VENV)/.test-installed $(ASSETS) browser
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

bench: $(VENV)/.test-installed
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
