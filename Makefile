# Two commands on a fresh machine: `make demo` and `make test`. Both create the
# virtual environment first when it is missing or older than requirements.txt.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench env clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/dry_run.py --workdir build/demo --disk-budget 1MB --shard-size 200KB

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/loader.py
	$(PY) benchmarks/memory.py
	$(PY) benchmarks/fit.py
	$(PY) benchmarks/preprocess.py

clean:
	rm -rf $(VENV) build .pytest_cache
