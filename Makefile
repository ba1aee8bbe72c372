# Two entry points: `make demo` (install + score the demo data + build the leaderboard)
# and `make test` (install with the test extra, and the dask and parquet extras whose tests run
# too, + the whole test suite). `make demo-data` regenerates the SYNTHETIC demo files themselves
# (labels, reader studies, submissions) with the seeded generator `python -m benchmark.demo.generate`,
# which the command line never runs. All use .venv/ in the repository; `make demo` installs only
# what the demo needs: the harness and the age library for the demo task whose predictions are
# encrypted (the `confidential` extra), no test tools.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BASE   := $(VENV)/.installed
TESTS  := $(VENV)/.installed-test

.PHONY: demo demo-data test install clean

# constraints.txt pins the versions the committed leaderboard/ is built with (its bytes depend
# on them); the test suite checks them.
$(BASE): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[confidential]'
	touch $(BASE)

$(TESTS): $(BASE)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,dask,parquet]'
	touch $(TESTS)

install: $(BASE)

demo: $(BASE)
	$(VENV)/bin/benchmark demo

demo-data: $(BASE)
	$(PY) -m benchmark.demo.generate

test: $(TESTS)
	bash scripts/test-deps.sh $(PY)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
