# Two commands from a fresh clone: `make demo` and `make test`. Each creates .venv when missing and
# installs the package (with its compiled engine) and every extra the tests need; a stamp file skips
# the install when pyproject, CMakeLists and the C++ sources have not changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.alphafactory-installed
CPP_SOURCES := $(shell find cpp -type f 2>/dev/null)
# The editable install maps every Python module to its file when it is installed, so adding,
# moving or removing a module needs a reinstall: the list of modules is a prerequisite, rewritten
# only when it changes.
PY_LAYOUT := build/py-layout.txt
$(shell mkdir -p build && find src -name '*.py' | sort > build/py-layout.new && \
  (cmp -s build/py-layout.new $(PY_LAYOUT) || mv build/py-layout.new $(PY_LAYOUT)))
EXTRAS ?= dev,distributed,gbm,serve,portfolio,track,tune,drift,alpaca,live,strategies
PYTEST_ARGS ?=
# The suite runs on one pytest-xdist worker per core, a test file to a worker (module fixtures built
# once); PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= auto

.PHONY: demo test bench dashboard build lint clean help

help:
	@echo "make demo       set up .venv, build the engine, run the end-to-end demo on bundled data"
	@echo "make test       set up .venv, build the engine, run the whole test suite"
	@echo "make bench      run the benchmarks in bench/ (BENCH=engine runs one)"
	@echo "make dashboard  open the Streamlit dashboard on the newest run in runs/"
	@echo "make build      rebuild and reinstall the C++ engine after a change in cpp/"
	@echo "make lint       ruff on src, tests, bench, research"
	@echo "make clean      remove build outputs (keeps .venv); 'make clean-all' removes .venv too"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Build requirements are installed into the venv so that the editable install can run without
# build isolation and reuse build/ between rebuilds (incremental C++ builds).
$(STAMP): $(PY) pyproject.toml CMakeLists.txt $(CPP_SOURCES) $(PY_LAYOUT)
	$(PY) -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.15" "ninja"
	$(PY) -m pip install --quiet --no-build-isolation -e ".[$(EXTRAS)]"
	@touch $(STAMP)

build:
	@rm -f $(STAMP)
	@$(MAKE) --no-print-directory $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/alphafactory demo

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/run_all.py $(BENCH)

dashboard: $(STAMP)
	$(VENV)/bin/alphafactory dashboard

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench research

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache $(STAMP)

clean-all: clean
	rm -rf $(VENV)
