# orderloop: `make run` serves the app with demo data; `make test` runs the whole suite, `make test-fast`
# all of it but the tests marked slow.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast install lock clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "orderloop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/orderloop run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The inner loop: every test but those marked slow (the browser's among them).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Re-pin the dependencies after changing pyproject.toml.
lock:
	rm -rf /tmp/orderloop-lock && $(PYTHON) -m venv /tmp/orderloop-lock
	/tmp/orderloop-lock/bin/pip install --quiet '.[test]'
	/tmp/orderloop-lock/bin/pip freeze --exclude-editable | grep -v '^orderloop' > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
