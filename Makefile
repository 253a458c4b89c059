# One entry point for newcomers, CI and maintainers.
#   make demo   - start the bundled emulator and provision the example tenants (PROFILE=public for the
#                 real-world path with manual steps)
#   make test   - everything CI runs: unit, emulator, integration, sanity, lint, molecule, benchmark smoke
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= extended
N ?= 200
COLLECTION_ROOT := build/ansible_collections/msp/umbrella_psa
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv collection demo test unit emulator-tests integration sanity lint molecule bench clean

help:
	@echo "make demo   - provision the example tenants against the bundled emulator (PROFILE=$(PROFILE))"
	@echo "make test   - run the whole test suite"

# The virtualenv is rebuilt only when the pinned requirements change.
$(VENV)/.installed: requirements-dev.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Ansible finds the collection under build/ansible_collections/msp/umbrella_psa: a copy of the
# tracked (and not ignored) files, refreshed on every call, so what is tested is what is committed.
collection: venv
	@scripts/stage-collection "$(COLLECTION_ROOT)"

demo: collection
	$(BIN)/python scripts/demo.py --profile $(PROFILE)

unit: venv
	$(BIN)/python -m pytest -q tests/unit

emulator-tests: venv
	$(BIN)/python -m pytest -q tests/emulator

integration: collection
	$(BIN)/python -m pytest -q tests/integration

sanity: collection
	scripts/sanity "$(COLLECTION_ROOT)"

lint: collection
	cd "$(COLLECTION_ROOT)" && $(CURDIR)/$(BIN)/ansible-lint --profile production

molecule: collection
	cd extensions && $(CURDIR)/$(BIN)/molecule test -s default

bench: collection
	$(BIN)/python benchmarks/run.py --tenants $(N)

test: collection
	$(BIN)/python -m pytest tests/unit tests/emulator tests/integration
	scripts/sanity "$(COLLECTION_ROOT)"
	cd "$(COLLECTION_ROOT)" && $(CURDIR)/$(BIN)/ansible-lint --profile production

clean:
	rm -rf build .pytest_cache
