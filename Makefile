# Two commands set everything up: `make sandbox` and `make test`. Both create .venv and
# install the project into it when needed (a no-op when nothing changed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Two test processes: the suite waits on HTTP, subprocesses and the database more than on CPU.
PYTEST_ARGS ?= -n 2

.PHONY: sandbox test lint unit browser-deps bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

sandbox: $(STAMP)
	$(BIN)/productops sandbox

# Debian's chromium drives the browser tests; Playwright never downloads a browser here.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get install -y -q chromium >/dev/null 2>&1 \
		|| (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) browser-deps lint
	@if [ -z "$$TEST_DATABASE_URL" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close()" 2>/dev/null; then \
		echo "PostgreSQL answers on 127.0.0.1:5432: running the suite on SQLite and PostgreSQL"; \
		TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		$(BIN)/pytest $(PYTEST_ARGS); \
	fi

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache sandbox.db*
