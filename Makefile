# Two entry points: `make demo` (install + score the demo data + build the leaderboard)
# and `make test` (install + the whole test suite). Both create .venv/ in the repository.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean

# constraints.txt pins the versions the committed leaderboard/ is built with (its bytes depend
# on them); the test suite checks them.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/benchmark demo

test: $(STAMP)
	bash scripts/test-deps.sh $(PY)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
