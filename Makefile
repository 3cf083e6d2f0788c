# Two commands: `make run` (set up + run the main job) and `make test` (set up + run the tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint format docs install bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.docs-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,docs]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/xmbench run

# every test, the doctests of xmbench/ and baselines/ included
test: install
	$(PY) -m pytest -q

# the edit loop: skips the tests marked slow or distributed
test-fast: install
	$(PY) -m pytest -q -m "not slow and not distributed"

lint: install
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# the docs site, built strictly (a broken link or reference fails) into build/site (git-ignored)
docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) xmbench-out .xmbench build
