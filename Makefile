# make run: start the platform on embedded defaults (SQLite, in-process worker, demo tenant, channel sandboxes).
# make test: lint, the test suite on SQLite, then again on PostgreSQL + Redis whenever those answer (the URLs in
# SCRM_TEST_DATABASE_URL / SCRM_TEST_REDIS_URL, by default the local services); a loud warning when they do not,
# a failure under CI=true. Both legs run on $(TEST_WORKERS) pytest-xdist workers (TEST_WORKERS=0: one process).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLUGIN_DISTS := $(wildcard plugins/*/pyproject.toml)
TRANSLATIONS := $(wildcard hostapp/translations plugins/*/scrm_*/translations)
SCRM_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
SCRM_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=15

.PHONY: install run test test-sqlite test-postgres lint translations messages vendor bench clean

$(STAMP): pyproject.toml setup.py tests/example_plugin/pyproject.toml tests/example_channel/pyproject.toml $(PLUGIN_DISTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	for dist in $(dir $(PLUGIN_DISTS)); do $(BIN)/pip install -q -e $$dist || exit 1; done
	$(BIN)/pip install -q -e tests/example_plugin
	$(BIN)/pip install -q -e tests/example_channel
	touch $@

install: $(STAMP) translations

translations: $(STAMP)
	for dir in $(TRANSLATIONS); do $(BIN)/pybabel --quiet compile -d $$dir || exit 1; done

# make messages: re-extract each catalogue's template (messages.pot, rules in babel.cfg) from the package that holds
# the translations folder, then merge it into every locale's messages.po. Translate, then `make translations`.
# A new locale: $(BIN)/pybabel init -i DIR/messages.pot -d DIR -l LOCALE
messages: $(STAMP)
	for dir in $(TRANSLATIONS); do \
	  package=$$(dirname $$dir); \
	  $(BIN)/pybabel --quiet extract -F babel.cfg --add-location=file --sort-output \
	    --project=$$(basename $$package) --copyright-holder="SCRM contributors" -o $$dir/messages.pot $$package \
	  && $(BIN)/pybabel --quiet update -i $$dir/messages.pot -d $$dir --ignore-obsolete || exit 1; \
	done

run: install
	$(BIN)/scrm demo
	$(BIN)/scrm serve --host 127.0.0.1 --port 5000 --sandboxes

lint: $(STAMP)
	$(BIN)/ruff check .

test-sqlite: install
	env -u SCRM_TEST_DATABASE_URL -u SCRM_TEST_REDIS_URL $(PYTEST)

test-postgres: install
	SCRM_TEST_DATABASE_URL="$(SCRM_TEST_DATABASE_URL)" SCRM_TEST_REDIS_URL="$(SCRM_TEST_REDIS_URL)" \
	  $(PYTEST) -m "not browser"

test: lint test-sqlite
	@if $(BIN)/python .ci/services.py "$(SCRM_TEST_DATABASE_URL)" "$(SCRM_TEST_REDIS_URL)"; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else \
	  { echo; echo "############################################################################"; \
	    echo "##  WARNING: the PostgreSQL + Redis leg of the tests did NOT run."; \
	    echo "##  Code that runs only on PostgreSQL or on the Redis broker was not tested."; \
	    echo "##  Start PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379, or set"; \
	    echo "##  SCRM_TEST_DATABASE_URL and SCRM_TEST_REDIS_URL, then run make test again."; \
	    echo "############################################################################"; echo; } >&2; \
	  if [ "$$CI" = "true" ]; then echo "error: CI=true needs PostgreSQL and Redis" >&2; exit 1; fi; \
	fi

vendor:
	mkdir -p $(VENV)/vendor && cd $(VENV)/vendor && npm pack htmx.org@2 chart.js@4 --silent
	tar -xzOf $(VENV)/vendor/htmx.org-2*.tgz package/dist/htmx.min.js > hostapp/static/vendor/htmx.min.js
	tar -xzOf $(VENV)/vendor/chart.js-4*.tgz package/dist/chart.umd.min.js > hostapp/static/vendor/chart.umd.min.js

bench: install
	@for script in bench/*_bench.py; do [ -f "$$script" ] && $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance
