# The two commands of the README:
#   make run    set up, load the demo deals, and start the seller app on them
#   make test   set up and run the whole test suite (ruff, mypy, pytest)
# CI also runs `make test-ahead`: the suite without browser and slow tests, a year ahead.
# Both create .venv with the running python3 (3.11+) the first time, and reinstall only when
# pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE ?= $(CURDIR)/.demo/coachkit.db
PYTEST_ARGS ?=
APP_ARGS ?=

FAKETIME_LIB ?= /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

.PHONY: run test test-ahead canonical clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coachkit needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/coachkit demo --store $(DEMO_STORE)
	$(BIN)/coachkit app --store $(DEMO_STORE) $(APP_ARGS)

test: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# No test may depend on the day it runs: the same suite, the clock moved 400 days ahead
# (Debian's faketime; FAKETIME_DONT_FAKE_MONOTONIC must stay unset, time.sleep needs it).
test-ahead: $(BIN)/.installed
	LD_PRELOAD=$(FAKETIME_LIB) FAKETIME="+400d" $(BIN)/python -m pytest \
		-m "not browser and not slow" $(PYTEST_ARGS)

# the demo deals and scenario workbooks, written back in canonical form (after a model change)
canonical: $(BIN)/.installed
	$(BIN)/python -m coachkit.training.canonical

clean:
	rm -rf $(VENV) .demo test-artifacts .pytest_cache .hypothesis .mypy_cache build
