# make run: start the platform on embedded defaults (SQLite, in-process worker, demo tenant, channel sandboxes).
# make test: lint, then the test suite on SQLite; again on PostgreSQL + Redis when SCRM_TEST_DATABASE_URL is set.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLUGIN_DISTS := $(wildcard plugins/*/pyproject.toml)
TRANSLATIONS := $(wildcard hostapp/translations plugins/*/scrm_*/translations)

.PHONY: install run test test-sqlite test-postgres lint translations messages vendor bench clean

$(STAMP): pyproject.toml setup.py tests/example_plugin/pyproject.toml $(PLUGIN_DISTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	for dist in $(dir $(PLUGIN_DISTS)); do $(BIN)/pip install -q -e $$dist || exit 1; done
	$(BIN)/pip install -q -e tests/example_plugin
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
	env -u SCRM_TEST_DATABASE_URL -u SCRM_TEST_REDIS_URL $(BIN)/python -m pytest -q

test-postgres: install
	$(BIN)/python -m pytest -q -m "not browser"

test: lint test-sqlite
	@if [ -n "$$SCRM_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "SCRM_TEST_DATABASE_URL not set: PostgreSQL + Redis run skipped"; fi

vendor:
	mkdir -p $(VENV)/vendor && cd $(VENV)/vendor && npm pack htmx.org@2 chart.js@4 --silent
	tar -xzOf $(VENV)/vendor/htmx.org-2*.tgz package/dist/htmx.min.js > hostapp/static/vendor/htmx.min.js
	tar -xzOf $(VENV)/vendor/chart.js-4*.tgz package/dist/chart.umd.min.js > hostapp/static/vendor/chart.umd.min.js

bench: install
	@for script in bench/*_bench.py; do [ -f "$$script" ] && $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance
