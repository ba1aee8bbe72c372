# Two entry points: `make demo` (install + score the demo data + build the leaderboard)
# and `make test` (install with the test extra + the whole test suite). Both use .venv/ in the
# repository; `make demo` installs only what the harness itself needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BASE   := $(VENV)/.installed
TESTS  := $(VENV)/.installed-test

.PHONY: demo test install clean

# editable_mode=compat: a plain path entry to this checkout (the task files are read from the
# checkout, not from the package-data copy the wheel carries), installed without setuptools'
# editable-finder banner.
$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --config-settings editable_mode=compat -e .
	touch $(BASE)

$(TESTS): $(BASE)
	$(PY) -m pip install --quiet --config-settings editable_mode=compat -e '.[test]'
	touch $(TESTS)

install: $(BASE)

demo: $(BASE)
	$(VENV)/bin/benchmark demo

test: $(TESTS)
	bash scripts/test-deps.sh $(PY)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
