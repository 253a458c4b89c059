# One entry point for newcomers, CI and maintainers.
#   make demo    provision the example tenants against the bundled emulator (PROFILE=public: the
#                real-world path with manual steps)
#   make test    everything CI runs: unit, emulator, integration, molecule, sanity, lint
#   make test-newest   the suite again on the newest supported ansible-core (Python 3.12)
#   make test-oldest   the pytest part of the suite on the oldest supported ansible-core (2.17)
#   make docs    the collection's HTML reference (antsibull-docs + Sphinx) in build/docs/build/html
#   make bench N=200   the benchmark
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
ANSIBLE_CORE ?= 2.19.14
VENV ?= .venv
# ansible-lint and molecule exclude ansible-core 2.17: its virtualenv gets the test tools only.
REQUIREMENTS ?= requirements-dev.txt
BIN := $(CURDIR)/$(VENV)/bin
PROFILE ?= extended
N ?= 200
PYTEST_ARGS ?=
COLLECTION_ROOT := build/ansible_collections/msp/umbrella_psa
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PATH := $(BIN):$(PATH)

NEWEST_CORE := 2.21.5
NEWEST_PYTHON_VERSION := 3.12
OLDEST_CORE := 2.17.14
DOCS_DIR := build/docs

.PHONY: help venv collection demo docs test test-newest test-oldest unit emulator-tests integration reliability molecule sanity lint bench changelog clean

help:
	@echo "make demo   - provision the example tenants against the bundled emulator (PROFILE=$(PROFILE))"
	@echo "make test   - run the whole test suite"
	@echo "make test-newest - the suite on ansible-core $(NEWEST_CORE) / Python $(NEWEST_PYTHON_VERSION)"
	@echo "make test-oldest - unit, emulator, integration and reliability tests on ansible-core $(OLDEST_CORE)"
	@echo "make docs   - the HTML reference of every plugin and the role, in $(DOCS_DIR)/build/html"
	@echo "make bench N=200 - the benchmark"
	@echo "make reliability - faults, crashes, restarts, hostile input, secrets (RELIABILITY_FULL=1 for the full sizes)"

# The virtualenv is rebuilt only when the pinned requirements or the ansible-core version change.
$(VENV)/.installed-$(ANSIBLE_CORE): $(REQUIREMENTS) requirements-test.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(REQUIREMENTS) "ansible-core==$(ANSIBLE_CORE)"
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(VENV)/.installed-$(ANSIBLE_CORE)

# Ansible finds the collection under build/ansible_collections/msp/umbrella_psa: a copy of the
# tracked (and not ignored) files, refreshed on every call, so what is tested is what is committed.
collection: venv
	@scripts/stage-collection "$(COLLECTION_ROOT)"

demo: collection
	$(BIN)/python scripts/demo.py --profile $(PROFILE)

unit: venv
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

emulator-tests: venv
	$(BIN)/python -m pytest tests/emulator $(PYTEST_ARGS)

integration: collection
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# Faults, lost answers, crashes, emulator restart, expired tokens, bounded retries, hostile input, secrets,
# isolation (docs/reliability.md). `make test` runs the small sizes; RELIABILITY_FULL=1 make reliability
# runs the full ones (100 tenants under faults, a 20-tenant run killed at every write: about an hour).
reliability: collection
	$(BIN)/python -m pytest tests/reliability $(PYTEST_ARGS)

molecule: collection
	cd extensions && $(BIN)/molecule test -s default

sanity: collection
	scripts/sanity "$(COLLECTION_ROOT)"

lint: collection
	cd "$(COLLECTION_ROOT)" && $(BIN)/ansible-lint --profile production

bench: collection
	$(BIN)/python benchmarks/run.py --tenants $(N)

changelog: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog generate

test: collection
	$(BIN)/python -m pytest -n 2 tests/unit tests/emulator tests/integration tests/reliability $(PYTEST_ARGS)
	$(MAKE) --no-print-directory molecule
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory sanity

test-newest:
	$(MAKE) --no-print-directory test VENV=.venv-newest ANSIBLE_CORE=$(NEWEST_CORE) \
		PYTHON="$$(scripts/find-python $(NEWEST_PYTHON_VERSION))"

# ansible-core 2.17 (Python 3.11): the pytest part of the suite; ansible-lint and molecule do not install there.
test-oldest:
	$(MAKE) --no-print-directory collection VENV=.venv-oldest ANSIBLE_CORE=$(OLDEST_CORE) REQUIREMENTS=requirements-test.txt
	$(CURDIR)/.venv-oldest/bin/python -m pytest -n 2 tests/unit tests/emulator tests/integration tests/reliability $(PYTEST_ARGS)

# The reference documentation as a Sphinx site: antsibull-docs writes the RST, Sphinx renders it
# (warnings are errors). tests/integration/test_docs_build.py builds the same site.
docs: collection
	$(BIN)/python scripts/build_docs.py "$(DOCS_DIR)"

clean:
	rm -rf build .pytest_cache
