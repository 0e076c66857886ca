# Hostmaster: `make run` serves the control panel, `make test` runs the checks and the test suite.
# Both install and start what they need first (contrib/stack/install.sh; packages need root).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
LINT_PATHS := hostmaster provision tests bench dispatch.py

.DEFAULT_GOAL := help
.PHONY: help run test lint venv clean distclean

help:
	@echo "make run        install and start MariaDB + Apache, then serve Hostmaster on"
	@echo "                http://$(or $(HOSTMASTER_HOST),127.0.0.1):$(or $(HOSTMASTER_PORT),5000)"
	@echo "make test       install the test stack, then ruff, mypy and pytest"
	@echo "make lint       ruff and mypy only"
	@echo "make clean      remove caches and build files (keeps .venv and var/)"
	@echo "make distclean  clean, and remove .venv too (var/, the store, is kept)"

run:
	bash contrib/stack/install.sh run
	bash contrib/stack/venv.sh
	$(VENV)/bin/hostmaster bootstrap
	exec $(VENV)/bin/hostmaster serve

# One recipe, in order, so that `make -j` cannot start pytest before the venv exists.
test:
	bash contrib/stack/install.sh test
	bash contrib/stack/venv.sh
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint:
	bash contrib/stack/venv.sh
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy

venv:
	bash contrib/stack/venv.sh

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info tests/artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
