# Ketenflow: the two commands a new machine needs are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint bench bench-scale clean lock

VENDOR := webui/static/vendor

install: $(STAMP) $(VENDOR)/.installed

# The exact versions of requirements.lock, then Ketenflow itself without resolving again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

EDITOR_SOURCES := frontend/build.mjs $(wildcard frontend/editor/*.* frontend/editor/*/*.* frontend/dmn/*.* frontend/form/*.* frontend/shared/*.*)

# Front-end libraries from npm (pinned in package.json/package-lock.json), never committed;
# the process owners' editors are bundled from frontend/editor, frontend/dmn and frontend/form
# with esbuild (from npm).
$(VENDOR)/.installed: package.json package-lock.json $(EDITOR_SOURCES)
	npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	node frontend/build.mjs $(VENDOR)/editor
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/axe-core/axe.min.js $(VENDOR)/
	cp node_modules/bpmn-js/dist/bpmn-viewer.production.min.js \
	   node_modules/bpmn-js/dist/assets/diagram-js.css \
	   node_modules/bpmn-js/dist/assets/bpmn-js.css $(VENDOR)/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	touch $@

run: install
	$(BIN)/ketenflow init
	$(BIN)/ketenflow seed-demo --signals 150 --days 60
	$(BIN)/ketenflow serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check engine webui tests bench
	$(BIN)/mypy

# Tests in parallel, one pytest-xdist worker per core (each with its own databases).
test: lint
	$(BIN)/pytest -q -n auto

bench: install
	$(BIN)/python -m bench.run

# The long run at national volume (bench/scale.py), on PostgreSQL only: needs
# KETENFLOW_BENCH_PG_URL, e.g. postgresql+psycopg://postgres@127.0.0.1/ketenflow_bench_scale.
bench-scale: install
	@test -n "$$KETENFLOW_BENCH_PG_URL" || { echo "bench-scale: set KETENFLOW_BENCH_PG_URL (PostgreSQL)"; exit 2; }
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) instance

# Re-resolve pyproject.toml's ranges in a clean venv and write requirements.lock from it.
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV) && $(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ sed -n '/^#/p' requirements.lock; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^#'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)
