# The two commands of the README:
#   make run    set up, load the demo deals, and start the seller app on them
#   make test   set up and run the whole test suite
# Both create .venv with the running python3 (3.11+) the first time, and reinstall only when
# pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE ?= $(CURDIR)/.demo/coachkit.db
PYTEST_ARGS ?=
APP_ARGS ?=

.PHONY: run test lint clean

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
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .demo test-artifacts .pytest_cache .hypothesis
