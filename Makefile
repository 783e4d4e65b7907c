# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip-compile lives in a venv of its own: the tool that writes the pins never mixes with what it pins.
LOCK_VENV := .venv-lock
PIP_TOOLS := pip-tools==7.6.2
# Extra options for `make lock`, e.g. LOCK_ARGS=--upgrade or LOCK_ARGS='--upgrade-package fastapi';
# without them the versions already pinned are kept and only what pyproject.toml changed moves.
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: run test lint unit check-flows bench clean dev-key lock review-sheets screenshots

# Exactly the hash-checked files of the lock, so what runs here and in CI is what the image deploys;
# the project goes in editable without choosing dependencies of its own. `pip check` stops a
# pyproject.toml that gained a dependency the lock lacks (then: `make lock`).
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# The runtime lock is for the image; the dev lock is constrained by it, so the versions CI tests
# are the image's. Run after changing dependencies in pyproject.toml, and commit both files.
# pip-compile resolves environment markers for the interpreter it runs on: the image's, 3.11.
lock:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "make lock needs Python 3.11, the image's: make lock PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet '$(PIP_TOOLS)'
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml

# A development secret key is generated once into .env (git-ignored) so phone numbers in
# the embedded database stay decryptable between runs. An existing key is never replaced.
dev-key:
	@if [ -z "$$GATEWAY_SECRET_KEY" ] && ! grep -qs '^GATEWAY_SECRET_KEY=' .env; then \
	  $(PYTHON) -c "import secrets; print('GATEWAY_SECRET_KEY=' + secrets.token_urlsafe(48))" >> .env; \
	  echo "generated a development GATEWAY_SECRET_KEY into .env" >&2; \
	fi

run: $(STAMP) dev-key
	$(BIN)/gateway serve

lint: $(STAMP)
	$(BIN)/ruff check gateway tests benchmarks
	$(BIN)/ruff format --check gateway tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

check-flows: $(STAMP)
	$(BIN)/gateway flows check

unit: $(STAMP)
	$(BIN)/pytest

test: lint check-flows unit

# What a native reviewer reads or prints (docs/translation.md): one sheet per national language,
# made again whenever a catalog or a flow changes (tests/i18n/test_review_sheets_current.py says so).
review-sheets: $(STAMP)
	mkdir -p docs/review
	for lang in bm dyu mos; do \
		$(BIN)/gateway i18n sheet $$lang --html docs/review/$$lang.html --pdf docs/review/$$lang.pdf \
			--csv docs/review/$$lang.csv || exit 1; \
	done

# The pictures docs/console.md shows, taken by the browser tests (tests/web) in Debian's chromium.
screenshots: $(STAMP)
	GATEWAY_TEST_BROWSER=required GATEWAY_TEST_SCREENSHOTS=$(CURDIR)/docs/console $(BIN)/pytest tests/web -q

bench: $(STAMP)
	$(BIN)/python benchmarks/ussd_load.py
	$(BIN)/python benchmarks/outbox_dispatch.py
	$(BIN)/python benchmarks/committee_summaries.py
	$(BIN)/python benchmarks/broadcast_expansion.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
