# The project's commands. `make run` and `make test` work on a fresh Debian 12 machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(CURDIR)/.quire
PORT   ?= 12000
ADMIN_PASSWORD ?= admin
# pytest workers: more than the 2 cores here, since many tests wait on real processes
# (servers, workers, OCR, leases running out) rather than compute.
TEST_WORKERS ?= 3
WHEELHOUSE ?= dist/wheelhouse
WHEELHOUSE_PYTHON ?= /usr/bin/python3
SCENARIO ?= default
# The container image's name: quire:<the version in services/quire/__init__.py>.
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' services/quire/__init__.py)
IMAGE ?= quire:$(VERSION)
# The release the upgrade scenario starts from: the parent of the newest commit that changed
# services/ (the code before its latest change), unless told (a tag, a commit).
UPGRADE_FROM ?= $(shell git log -1 --format=%H -- services 2>/dev/null)^
PREVIOUS_WHEELHOUSE ?= dist/wheelhouse-previous
# Container and network names are global on a host: one suffix (and one 10.89.N.0/24) per
# checkout, so that scenarios of two checkouts can run at once.
MOLECULE_SUFFIX ?= $(shell printf '%s' '$(CURDIR)' | cksum | cut -c1-6)
MOLECULE_NET ?= $(shell echo $$(( $$(printf '%s' '$(CURDIR)' | cksum | cut -d' ' -f1) % 200 + 20 )))
ANSIBLE_DIRS := roles playbooks molecule inventories
SERVICES_SOURCES := $(shell find services -type f -not -path '*/__pycache__/*' -not -path '*.egg-info/*' 2>/dev/null)

.PHONY: messages run test test-fast test-all lint format typecheck bench services services-stop clean wheelhouse wheelhouse-previous molecule molecule-image image test-image

$(BIN)/quire: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The Ansible collection's tooling (pyproject's deploy extras: ansible, molecule, ansible-lint,
# yamllint, testinfra) in the same venv, beside the dev ones.
$(BIN)/molecule: $(BIN)/quire
	$(BIN)/pip install --quiet -e '.[dev,deploy]'
	@touch $@

## Serve Quire on the embedded default (SQLite, local files) at http://127.0.0.1:$(PORT), with
## OCR: Tesseract and Ghostscript are installed first when missing (as root; else it says how)
run: $(BIN)/quire
	scripts/ocr-packages.sh
	QUIRE__MAIN__DATA_DIR=$(DATA) \
	QUIRE__AUTH__PASSWORD=$${QUIRE__AUTH__PASSWORD:-$(ADMIN_PASSWORD)} \
	$(BIN)/quire serve --port $(PORT) --generate-secret

## The web UI's strings: extract them from the templates (locale/messages.pot) and update each
## language's catalog; translate what is new in locale/<lang>/LC_MESSAGES/messages.po (the .po
## files are compiled when the server starts: no build step)
UI_DIR := services/quire/web/ui
messages: $(BIN)/quire
	cd $(UI_DIR) && $(CURDIR)/$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
		--omit-header -o locale/messages.pot .
	$(BIN)/pybabel update -i $(UI_DIR)/locale/messages.pot -d $(UI_DIR)/locale \
		--no-fuzzy-matching --ignore-obsolete --width 100

## Run the whole test suite against real SQLite, PostgreSQL and MariaDB
test: $(BIN)/quire
	scripts/test-services.sh start > .test-services.env
	. ./.test-services.env && $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## Only SQLite, no services: Solr and S3 tests skip, saying so; tests marked slow (the schema
## fuzzing) are left to `make test`
test-fast: $(BIN)/quire
	QUIRE_TEST_DATABASES=sqlite QUIRE_TEST_SERVICES=none $(BIN)/pytest -x -n $(TEST_WORKERS) --dist loadgroup -m 'not slow' $(PYTEST_ARGS)

## Everything: the test suite, then every molecule scenario (CI runs default and cluster;
## mariadb, backup_restore and upgrade take another ~10-30 minutes each)
MOLECULE_SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
test-all: test
	@for scenario in $(MOLECULE_SCENARIOS); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory molecule SCENARIO=$$scenario || exit 1; \
		echo "::: molecule $$scenario took $$(( $$(date +%s) - start )) s"; \
	done

lint: $(BIN)/quire $(BIN)/molecule
	$(BIN)/ruff check services tests benchmarks molecule scripts container
	$(BIN)/ruff format --check services tests benchmarks molecule scripts container
	$(BIN)/mypy
	PYTHONPATH=services $(BIN)/lint-imports --no-cache
	$(BIN)/yamllint --strict $(ANSIBLE_DIRS)
	PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(CURDIR) \
		$(BIN)/ansible-lint --profile production $(ANSIBLE_DIRS)
	$(BIN)/python scripts/check-argument-specs.py roles
	BIN=$(BIN) scripts/check-collection.sh
	BIN=$(BIN) scripts/check-role-input.sh

format: $(BIN)/quire
	$(BIN)/ruff format services tests benchmarks molecule scripts container
	$(BIN)/ruff check --fix services tests benchmarks molecule scripts container

bench: $(BIN)/quire
	scripts/test-services.sh start > .test-services.env
	. ./.test-services.env && $(BIN)/python -m benchmarks

## Wheels of Quire and everything it needs at run time, with the PostgreSQL and MariaDB drivers,
## in dist/wheelhouse/: the Ansible roles copy it to the hosts and install from it offline
## (pip --no-index --find-links; the hosts are Debian 12 like this machine: glibc 2.36)
wheelhouse: $(WHEELHOUSE)/.complete

# Resolved for the hosts' Python, Debian 12's /usr/bin/python3 (3.11.2), not the venv's: the
# dependencies' markers differ between patch releases (redis needs async-timeout before 3.11.3).
$(WHEELHOUSE)/.complete: pyproject.toml $(SERVICES_SOURCES) | $(BIN)/quire
	rm -rf $(WHEELHOUSE)
	$(BIN)/pip --python $(WHEELHOUSE_PYTHON) wheel --quiet --wheel-dir $(WHEELHOUSE) '.[postgres,mysql]'
	@touch $@
	@echo "$(WHEELHOUSE): $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels, $$(du -sh $(WHEELHOUSE) | cut -f1)"

## The wheelhouse of an earlier release, UPGRADE_FROM (for the upgrade scenario)
wheelhouse-previous: | $(BIN)/quire
	rm -rf $(PREVIOUS_WHEELHOUSE) build/previous
	mkdir -p build/previous
	git archive --format=tar '$(UPGRADE_FROM)' | tar -x -C build/previous
	$(BIN)/pip --python $(WHEELHOUSE_PYTHON) wheel --quiet --wheel-dir $(PREVIOUS_WHEELHOUSE) './build/previous[postgres,mysql]'
	@echo "$(PREVIOUS_WHEELHOUSE): $$(git rev-parse --short '$(UPGRADE_FROM)'), $$(ls $(PREVIOUS_WHEELHOUSE)/*.whl | wc -l) wheels"

## Test an Ansible scenario (molecule/$(SCENARIO)) in podman containers running systemd:
## installs the tooling and the Debian packages it needs when missing (as root), builds or loads
## the base image and builds the wheelhouse first. `make molecule SCENARIO=default MOLECULE_ARGS=...`
molecule: $(BIN)/molecule wheelhouse $(if $(filter upgrade,$(SCENARIO)),wheelhouse-previous)
	scripts/apt-packages.sh scripts/molecule-packages.txt
	export CONTAINERS_CONF=$(CURDIR)/molecule/containers.conf \
		PATH=$(CURDIR)/$(BIN):$$PATH \
		QUIRE_MOLECULE_SUFFIX=$(MOLECULE_SUFFIX) QUIRE_MOLECULE_NET=$(MOLECULE_NET) \
		QUIRE_PREVIOUS_WHEELHOUSE=$(CURDIR)/$(PREVIOUS_WHEELHOUSE) && \
	QUIRE_MOLECULE_IMAGE="$$(scripts/molecule-image.sh)" && export QUIRE_MOLECULE_IMAGE && \
	$(BIN)/molecule test -s $(SCENARIO) $(MOLECULE_ARGS)

## Build (or load from ~/.cache/quire) the molecule scenarios' base image
molecule-image:
	scripts/apt-packages.sh scripts/molecule-packages.txt
	CONTAINERS_CONF=$(CURDIR)/molecule/containers.conf scripts/molecule-image.sh

## The container image $(IMAGE) (Containerfile) with podman, offline: its base is a Debian 12
## bootstrapped from the host's mirror (scripts/debian-image.sh slim, cached) unless BASE_IMAGE
## names one (docker.io/library/debian:bookworm-slim where a registry is reachable)
image:
	scripts/apt-packages.sh scripts/molecule-packages.txt
	CONTAINERS_CONF=$(CURDIR)/molecule/containers.conf scripts/container-image.sh $(IMAGE)

## Build the image and test it (tests/image): the README's `docker run` with OCR and search, a
## restart on the same volume, a stop during an upload, web and worker containers sharing Redis
test-image: $(BIN)/quire
	@start=$$(date +%s); \
	export CONTAINERS_CONF=$(CURDIR)/molecule/containers.conf && \
	scripts/apt-packages.sh scripts/molecule-packages.txt scripts/image-test-packages.txt && \
	scripts/container-image.sh $(IMAGE) >/dev/null && \
	QUIRE_TEST_IMAGE=$(IMAGE) $(BIN)/pytest tests/image --durations=10 $(PYTEST_ARGS); \
	status=$$?; echo "make test-image took $$(($$(date +%s) - start)) s"; exit $$status

services:
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

clean:
	-scripts/test-services.sh clean
	rm -rf $(VENV) .quire .test-services .test-services.env .pytest_cache .mypy_cache .ruff_cache \
		$(WHEELHOUSE) $(PREVIOUS_WHEELHOUSE) build
