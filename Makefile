# Two commands on a fresh machine: `make demo` and `make test`. Both create the
# virtual environment first when it is missing or older than requirements.txt.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Kaggle's library versions (requirements-kaggle.txt) under a Python 3.12 like Kaggle's image.
# The project is NOT installed there: kernels find our code only inside their bundles.
KAGGLE_VENV  ?= .venv-kaggle
KAGGLE_PY    := $(KAGGLE_VENV)/bin/python
KAGGLE_STAMP := $(KAGGLE_VENV)/.installed
KAGGLE_PYTHON_VERSION ?= 3.12

.PHONY: demo test check bench env kaggle-env clean

env: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

kaggle-env: $(KAGGLE_STAMP)

$(KAGGLE_STAMP): requirements-kaggle.txt
	rm -rf $(KAGGLE_VENV)
	@base="$$(sh scripts/find_python.sh $(KAGGLE_PYTHON_VERSION))"; \
	if [ -z "$$base" ]; then \
	    base="$$(command -v $(PYTHON))"; \
	    echo "note: no Python $(KAGGLE_PYTHON_VERSION) found (python$(KAGGLE_PYTHON_VERSION) on" \
	         "PATH, pyenv's versions, /usr/bin, /usr/local/bin): the Kaggle-versions" \
	         "environment uses $$base ($$($$base -V 2>&1)) instead; Kaggle runs 3.12"; \
	fi; \
	echo "building $(KAGGLE_VENV) from requirements-kaggle.txt with $$base"; \
	"$$base" -m venv $(KAGGLE_VENV)
	$(KAGGLE_PY) -m pip install --quiet -r requirements-kaggle.txt
	touch $(KAGGLE_STAMP)

demo: $(STAMP)
	$(PY) scripts/dry_run.py --workdir build/demo --disk-budget 1MB

# The suite, with the embedded example's dry run also run by Kaggle's versions
# (tests/test_kaggle_runtime.py reads KAGGLE_PIPELINE_KERNEL_PYTHON), spread over
# TEST_WORKERS processes; a module's tests stay together, so its fixtures are built once.
# TEST_WORKERS=0 runs it in this one process (for pdb, or to read a failure in order).
TEST_WORKERS ?= auto
test: $(STAMP) $(KAGGLE_STAMP)
	KAGGLE_PIPELINE_KERNEL_PYTHON=$(abspath $(KAGGLE_PY)) $(PY) -m pytest -q \
	    -n $(TEST_WORKERS) --dist loadscope

# The fast loop for editing: every test not marked slow (no kernel runs, no dry runs).
check: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadscope

bench: $(STAMP)
	$(PY) benchmarks/loader.py
	$(PY) benchmarks/memory.py
	$(PY) benchmarks/fit.py
	$(PY) benchmarks/preprocess.py

clean:
	rm -rf $(VENV) $(KAGGLE_VENV) build .pytest_cache
