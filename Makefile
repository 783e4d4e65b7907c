# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit check-flows bench clean dev-key

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

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

check-flows: $(STAMP)
	$(BIN)/gateway flows check

unit: $(STAMP)
	$(BIN)/pytest

test: lint check-flows unit

bench: $(STAMP)
	$(BIN)/python benchmarks/ussd_load.py
	$(BIN)/python benchmarks/outbox_dispatch.py
	$(BIN)/python benchmarks/committee_summaries.py
	$(BIN)/python benchmarks/broadcast_expansion.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
