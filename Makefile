# The project's commands. `make run` and `make test` work on a fresh Debian 12 machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(CURDIR)/.quire
PORT   ?= 12000
ADMIN_PASSWORD ?= admin

.PHONY: run test test-fast lint format typecheck bench services services-stop clean

$(BIN)/quire: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## Serve Quire on the embedded default (SQLite, local files) at http://127.0.0.1:$(PORT), with
## OCR: Tesseract and Ghostscript are installed first when missing (as root; else it says how)
run: $(BIN)/quire
	scripts/ocr-packages.sh
	QUIRE__MAIN__DATA_DIR=$(DATA) \
	QUIRE__AUTH__PASSWORD=$${QUIRE__AUTH__PASSWORD:-$(ADMIN_PASSWORD)} \
	$(BIN)/quire serve --port $(PORT) --generate-secret

## Run the whole test suite against real SQLite, PostgreSQL and MariaDB
test: $(BIN)/quire
	scripts/test-services.sh start > .test-services.env
	. ./.test-services.env && $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## Only SQLite, no services: Solr and S3 tests skip, saying so
test-fast: $(BIN)/quire
	QUIRE_TEST_DATABASES=sqlite QUIRE_TEST_SERVICES=none $(BIN)/pytest -x -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(BIN)/quire
	$(BIN)/ruff check services tests benchmarks
	$(BIN)/ruff format --check services tests benchmarks
	$(BIN)/mypy
	PYTHONPATH=services $(BIN)/lint-imports --no-cache

format: $(BIN)/quire
	$(BIN)/ruff format services tests benchmarks
	$(BIN)/ruff check --fix services tests benchmarks

bench: $(BIN)/quire
	scripts/test-services.sh start > .test-services.env
	. ./.test-services.env && $(BIN)/python -m benchmarks

services:
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

clean:
	-scripts/test-services.sh clean
	rm -rf $(VENV) .quire .test-services .test-services.env .pytest_cache .mypy_cache .ruff_cache
